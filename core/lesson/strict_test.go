package lesson

import "testing"

// strict makes every judgement of the test check that status (what the
// player computes every 10ms) agrees with eval (what it explains).
func strict(t *testing.T) {
	checkStatus = true
	t.Cleanup(func() { checkStatus = false })
}
