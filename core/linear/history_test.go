package linear

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHistoryRecordsOutcomes checks that each way an operation ends is
// recorded, that operations come back in invocation order, and that a
// still-pending one is reported as indeterminate.
func TestHistoryRecordsOutcomes(t *testing.T) {
	h := NewHistory()
	require.True(t, h.Invoke(1, 1, Put, "x", "a", 10))
	require.True(t, h.Invoke(2, 1, Get, "x", "ignored", 20))
	require.True(t, h.Invoke(3, 7, Append, "y", "b", 30))
	require.True(t, h.Invoke(4, 1, Put, "z", "c", 40))
	require.True(t, h.Invoke(5, 1, Get, "z", "", 50))

	require.True(t, h.Complete(2, 1, "a", true, 60))
	require.True(t, h.Complete(1, 1, "previous value, ignored for a put", true, 70))
	require.True(t, h.Fail(3, 7, 80))
	require.True(t, h.Indeterminate(4, 1, 90))
	require.Equal(t, 5, h.Len())

	require.Equal(t, []Op{
		{Client: 1, ID: 1, Kind: Put, Key: "x", Value: "a", Call: 10, Return: 70, Outcome: OK},
		{Client: 2, ID: 1, Kind: Get, Key: "x", Call: 20, Return: 60, Output: "a", Found: true, Outcome: OK},
		{Client: 3, ID: 7, Kind: Append, Key: "y", Value: "b", Call: 30, Return: 80, Outcome: Failed},
		{Client: 4, ID: 1, Kind: Put, Key: "z", Value: "c", Call: 40, Return: 90, Outcome: Indeterminate},
		{Client: 5, ID: 1, Kind: Get, Key: "z", Call: 50, Outcome: Indeterminate},
	}, h.Ops())
}

// TestHistoryRefusesWhatIsNotPending checks that a retry under the same ID
// is one operation, and that settling an unknown, already settled, or
// not-yet-invoked operation changes nothing.
func TestHistoryRefusesWhatIsNotPending(t *testing.T) {
	h := NewHistory()
	require.True(t, h.Invoke(1, 1, Put, "x", "a", 10))
	require.False(t, h.Invoke(1, 1, Put, "x", "a", 15), "a retry is the same operation")
	require.False(t, h.Invoke(1, 2, Kind(9), "x", "a", 15), "unknown kind")
	require.False(t, h.Complete(1, 1, "", false, 5), "return before call")
	require.False(t, h.Complete(9, 1, "", false, 20), "unknown client")
	require.True(t, h.Complete(1, 1, "", false, 20))
	require.False(t, h.Complete(1, 1, "", false, 30), "already complete")
	require.False(t, h.Indeterminate(1, 1, 30))
	require.False(t, h.Fail(1, 1, 30))
	require.Equal(t, 1, h.Len())
	require.Equal(t, OK, h.Ops()[0].Outcome)
}

// TestZeroHistory checks that the zero History is usable, with the default
// limits.
func TestZeroHistory(t *testing.T) {
	var h History
	require.Empty(t, h.Ops())
	require.True(t, h.Invoke(1, 1, Put, "x", "a", 0))
	require.True(t, h.Complete(1, 1, "", false, 1))
	require.Len(t, h.Ops(), 1)
	require.Equal(t, DefaultOpsMax, h.limits.OpsMax)
	require.Equal(t, DefaultBytesMax, h.limits.BytesMax)
}

// TestHistoryOpsMax checks the operation limit at its edge: the last
// operation that fits is recorded, the next is dropped and counted, and a
// get still pending when the history filled up is recorded as indeterminate
// (it may have seen a write that was dropped), while a pending write
// completes normally.
func TestHistoryOpsMax(t *testing.T) {
	h := NewHistoryLimits(Limits{OpsMax: 3})
	require.True(t, h.Invoke(1, 1, Get, "x", "", 0))
	require.True(t, h.Invoke(2, 1, Put, "x", "a", 0))
	require.True(t, h.Complete(2, 1, "", false, 5))
	require.True(t, h.Invoke(2, 2, Put, "x", "b", 6))
	require.False(t, h.Full())

	require.False(t, h.Invoke(3, 1, Put, "x", "c", 7), "over OpsMax")
	require.True(t, h.Full())
	require.Equal(t, 1, h.Dropped())
	require.Equal(t, 3, h.Len())

	require.True(t, h.Complete(1, 1, "c", true, 8))
	require.True(t, h.Complete(2, 2, "", false, 9))
	ops := h.Ops()
	require.Equal(t, Indeterminate, ops[0].Outcome)
	require.Empty(t, ops[0].Output)
	require.Equal(t, OK, ops[2].Outcome)
	require.Equal(t, Linearizable, Check(ops, 0).Verdict, "the dropped write leaves no false violation")
}

// TestHistoryBytesMax checks the byte limit at its edge, for invocations and
// for a get's output.
func TestHistoryBytesMax(t *testing.T) {
	h := NewHistoryLimits(Limits{BytesMax: 10})
	require.True(t, h.Invoke(1, 1, Put, "k", "12345678", 0)) // 9 bytes
	require.True(t, h.Invoke(2, 1, Get, "k", "", 0))         // 10 bytes: full to the byte
	require.False(t, h.Full())
	require.True(t, h.Complete(2, 1, "", false, 1)) // an empty output fits
	require.Equal(t, OK, h.Ops()[1].Outcome)

	require.True(t, h.Invoke(2, 2, Put, "", "", 2), "an empty operation fits too")
	require.False(t, h.Invoke(2, 3, Get, "k", "", 2), "one byte over")
	require.True(t, h.Full())

	h = NewHistoryLimits(Limits{BytesMax: 10})
	require.True(t, h.Invoke(1, 1, Get, "k", "", 0))
	require.True(t, h.Complete(1, 1, "a long output", true, 1))
	require.Equal(t, Indeterminate, h.Ops()[0].Outcome, "an output over the limit is not kept")
	require.True(t, h.Full())
}

// TestCloneIndependence checks that a clone and its original, which share
// storage, go on independently: new operations, completions of operations
// pending in both (in a shared chunk), and further clones.
func TestCloneIndependence(t *testing.T) {
	h := NewHistory()
	for i := range uint64(300) { // more than two chunks
		require.True(t, h.Invoke(1, i, Put, "x", "v", int64(i)))
		if i != 5 && i != 299 {
			require.True(t, h.Complete(1, i, "", false, int64(i)))
		}
	}
	before := h.Ops()

	c := h.Clone()
	require.Equal(t, before, c.Ops())

	require.True(t, c.Complete(1, 5, "", false, 400))
	require.True(t, c.Invoke(2, 1, Get, "x", "", 401))
	require.True(t, h.Fail(1, 299, 402))
	require.True(t, h.Invoke(3, 1, Append, "y", "z", 403))

	require.Equal(t, Indeterminate, h.Ops()[5].Outcome, "pending in the original")
	require.Equal(t, OK, c.Ops()[5].Outcome)
	require.Equal(t, Failed, h.Ops()[299].Outcome)
	require.Equal(t, Indeterminate, c.Ops()[299].Outcome, "pending in the clone")
	require.Equal(t, Append, h.Ops()[300].Kind)
	require.Equal(t, Get, c.Ops()[300].Kind)

	// A clone of the clone is independent of both.
	cc := c.Clone()
	require.True(t, cc.Complete(2, 1, "v", true, 500))
	require.True(t, c.Indeterminate(2, 1, 501))
	require.Equal(t, OK, cc.Ops()[300].Outcome)
	require.Equal(t, Indeterminate, c.Ops()[300].Outcome)
	require.Equal(t, Append, h.Ops()[300].Kind)
	require.Equal(t, before[:299], h.Ops()[:299])
	require.Equal(t, before[:5], cc.Ops()[:5])
}

// TestConcurrentClones checks that one History, a checkpoint say, can be
// cloned from several goroutines at once and each clone written to (run
// with -race to see it).
func TestConcurrentClones(t *testing.T) {
	h := NewHistory()
	for i := range uint64(200) {
		require.True(t, h.Invoke(1, i, Put, "x", "v", int64(i)))
	}
	want := h.Ops()
	var wg sync.WaitGroup
	for g := range uint64(4) {
		wg.Go(func() {
			c := h.Clone()
			c.Complete(1, g, "", false, 1000)
			c.Invoke(2, g, Get, "x", "", 1000)
		})
	}
	wg.Wait()
	require.Equal(t, want, h.Ops())
}

// TestOpString checks how an operation names itself in explanations.
func TestOpString(t *testing.T) {
	require.Equal(t, `client 3 op 7 get("x") -> "ab" [1.25s, 1.3s]`,
		Op{Client: 3, ID: 7, Kind: Get, Key: "x", Output: "ab", Found: true, Call: 1_250_000, Return: 1_300_000,
			Outcome: OK}.String())
	require.Equal(t, `client 1 op 2 get("x") -> missing [0s, 350µs]`,
		Op{Client: 1, ID: 2, Kind: Get, Key: "x", Return: 350, Outcome: OK}.String())
	require.Equal(t, `client 1 op 2 append("x", "v") [2ms, 3ms] indeterminate`,
		Op{Client: 1, ID: 2, Kind: Append, Key: "x", Value: "v", Call: 2000, Return: 3000,
			Outcome: Indeterminate}.String())
	require.Equal(t, `client 1 op 2 put("x", "v") [2ms, ?] pending`,
		Op{Client: 1, ID: 2, Kind: Put, Key: "x", Value: "v", Call: 2000}.String())
}
