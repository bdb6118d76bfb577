package lab

import (
	"testing"

	"smrlab/core/sim"
)

// FuzzAct: whatever a user types in the action box, the session answers
// with an error or takes the action, never panics, and runs on.
func FuzzAct(f *testing.F) {
	for _, s := range []string{"crash S1", "partition S1 S2 | S3 S4 S5", "cut S1 -> S2", "net loss=5% latency=1ms..2ms",
		"slow-disk S2 10x", "clock S3 drift=-50% skew=+1s", "transfer S2", "workload rate=100/s", "propose S1 a=b",
		"heal S1 <-> S2", "pause leader", "resume all", "restart random"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := OpenDefault(Options{Seed: 1, SeedSet: true})
		if err != nil {
			t.Fatal(err)
		}
		s.Advance(300 * sim.Millisecond)
		_ = s.Act(text)
		s.Advance(200 * sim.Millisecond)
		s.GoTo(100 * sim.Millisecond)
		_ = s.View()
	})
}
