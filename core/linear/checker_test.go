package linear

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// record invokes and settles each operation in h as it says.
func record(t *testing.T, h *History, ops ...Op) {
	t.Helper()
	for _, op := range ops {
		require.True(t, h.Invoke(op.Client, op.ID, op.Kind, op.Key, op.Value, op.Call))
		switch op.Outcome {
		case OK:
			require.True(t, h.Complete(op.Client, op.ID, op.Output, op.Found, op.Return))
		case Failed:
			require.True(t, h.Fail(op.Client, op.ID, op.Return))
		case Indeterminate:
			require.True(t, h.Indeterminate(op.Client, op.ID, op.Return))
		}
	}
}

// queued lists the keys a Checker will check next.
func queued(c *Checker) []string {
	var keys []string
	for _, k := range c.queue {
		keys = append(keys, k.key)
	}
	return keys
}

// TestCheckerReportsViolationOnce checks that the incremental checker finds
// a stale read when it completes, returns it from that Update only, and
// keeps it as its verdict.
func TestCheckerReportsViolationOnce(t *testing.T) {
	h := NewHistory()
	c := &Checker{}
	record(t, h, put(1, 1, "x", "1", 0, 10), put(2, 1, "x", "2", 20, 30), getMissing(3, 1, "y", 0, 1))
	require.Nil(t, c.Update(h))
	require.Equal(t, Linearizable, c.Result().Verdict)
	require.Equal(t, 3, c.Result().Ops)
	require.Equal(t, 2, c.Result().Keys)

	record(t, h, get(3, 2, "x", "1", 40, 50))
	v := c.Update(h)
	require.NotNil(t, v)
	require.Equal(t, NotLinearizable, v.Verdict)
	require.Equal(t, "x", v.Violation.Key)
	require.Contains(t, v.Violation.Explanation, `client 3 op 2 get("x") -> "1" [40ms, 50ms]`)

	record(t, h, get(3, 3, "x", "1", 60, 70))
	require.Nil(t, c.Update(h), "reported once")
	require.Nil(t, c.Update(h))
	require.Equal(t, NotLinearizable, c.Result().Verdict)
	require.Equal(t, "x", c.Result().Violation.Key)
}

// TestCheckerChecksOnlyChangedKeys checks that an Update takes only keys
// with new results, at most KeysPerUpdateMax of them, first seen first, and
// that a new pending operation or an indeterminate one changes nothing
// while a result or a failed write does.
func TestCheckerChecksOnlyChangedKeys(t *testing.T) {
	h := NewHistory()
	c := &Checker{KeysPerUpdateMax: 2}
	record(t, h, put(1, 1, "a", "1", 0, 1), put(1, 2, "b", "1", 2, 3), put(1, 3, "c", "1", 4, 5))
	require.Nil(t, c.Update(h))
	require.Equal(t, []string{"c"}, queued(c), "a and b were checked first")
	require.Equal(t, 2, c.Result().Keys)
	require.Nil(t, c.Update(h))
	require.Empty(t, queued(c))
	require.Equal(t, 3, c.Result().Keys)

	require.True(t, h.Invoke(2, 1, Get, "a", "", ms(10)))
	require.True(t, h.Invoke(2, 2, Put, "b", "2", ms(10)))
	require.True(t, h.Invoke(2, 3, Put, "c", "2", ms(10)))
	require.True(t, h.Invoke(2, 4, Get, "d", "", ms(10)))
	require.True(t, h.Invoke(2, 5, Put, "e", "2", ms(10)))
	c.index(h)
	require.Empty(t, queued(c), "pending operations change nothing")

	require.True(t, h.Indeterminate(2, 1, ms(20)))
	require.True(t, h.Indeterminate(2, 2, ms(20)))
	require.True(t, h.Fail(2, 4, ms(20)))
	c.index(h)
	require.Empty(t, queued(c), "an indeterminate operation or a failed read changes nothing")

	require.True(t, h.Fail(2, 5, ms(20)))
	require.True(t, h.Complete(2, 3, "", false, ms(20)))
	c.index(h)
	require.Equal(t, []string{"c", "e"}, queued(c), "changes seen together queue in invocation order")
	require.Nil(t, c.Update(h))
	require.Equal(t, Linearizable, c.Result().Verdict)
	require.Equal(t, 4, c.Result().Keys)
}

// TestCheckerSeesPendingWriteSettle checks that a write pending at one
// Update and failing later is taken into account: a read saw it, so its
// failure is a violation.
func TestCheckerSeesPendingWriteSettle(t *testing.T) {
	h := NewHistory()
	c := &Checker{}
	require.True(t, h.Invoke(1, 1, Put, "x", "a", 0))
	record(t, h, get(2, 1, "x", "a", 10, 20))
	require.Nil(t, c.Update(h), "the pending put may have taken effect")
	require.True(t, h.Fail(1, 1, ms(30)))
	v := c.Update(h)
	require.NotNil(t, v, "it did not, so the get saw a value nobody wrote")
	require.Equal(t, "x", v.Violation.Key)
}

// TestCheckerTimeout checks that a key whose check times out makes the
// verdict Unknown, is not checked again until it changes, and leaves the
// other keys' checks alone.
func TestCheckerTimeout(t *testing.T) {
	h := NewHistory()
	c := &Checker{Timeout: 20 * time.Millisecond}
	record(t, h, pathological(12)...)
	require.Nil(t, c.Update(h))
	res := c.Result()
	require.Equal(t, Unknown, res.Verdict)
	require.Equal(t, []string{"x"}, res.UnknownKeys)

	record(t, h, put(50, 1, "y", "1", 0, 1))
	require.Nil(t, c.Update(h))
	require.Equal(t, []string{"x"}, c.Result().UnknownKeys)
	require.Equal(t, 2, c.Result().Keys)
	require.Empty(t, queued(c))
	require.Contains(t, c.Result().Reason, "the search")
}

// TestCheckerStepBudget checks that a Checker with a step budget says which
// key is undecided and why.
func TestCheckerStepBudget(t *testing.T) {
	h := NewHistory()
	c := &Checker{Steps: 500}
	record(t, h, pathological(8)...)
	require.Nil(t, c.Update(h))
	res := c.Result()
	require.Equal(t, Unknown, res.Verdict)
	require.Equal(t, []string{"x"}, res.UnknownKeys)
	require.Equal(t, "the search ran out of its budget of 500 steps per key", res.Reason)
}

// TestCheckerFollowsOneHistory checks that a Checker given another history,
// here a clone taken before a violation, as when the lab seeks back to a
// checkpoint, starts over instead of mixing the two.
func TestCheckerFollowsOneHistory(t *testing.T) {
	h := NewHistory()
	c := &Checker{}
	record(t, h, put(1, 1, "x", "1", 0, 10), put(2, 1, "x", "2", 20, 30))
	require.Nil(t, c.Update(h))
	checkpoint := h.Clone()
	require.Nil(t, c.Update(h), "cloning changes nothing for the original")
	require.Equal(t, h.id, c.histID)

	record(t, h, get(3, 1, "x", "1", 40, 50))
	require.NotNil(t, c.Update(h))

	restored := checkpoint.Clone()
	record(t, restored, get(3, 1, "x", "2", 40, 50))
	require.Nil(t, c.Update(restored))
	require.Equal(t, Linearizable, c.Result().Verdict)
	require.Equal(t, 3, c.Result().Ops)

	// The same History value overwritten with another one is another
	// history too.
	*restored = *h.Clone()
	require.NotNil(t, c.Update(restored))
}
