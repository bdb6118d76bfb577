package trace

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHasherSeesEveryField(t *testing.T) {
	base := Event{Seq: 1, Time: 2, Kind: Send, Node: 1, Peer: 2, Msg: 5, ID: 9, Term: 3, Index: 4, LogTerm: 2,
		Count: 1, Commit: 3, Text: "x"}
	sum := func(e Event) uint64 {
		h := NewHasher()
		h.Event(&e)
		return h.Sum()
	}
	mutations := []func(*Event){
		func(e *Event) { e.Seq++ }, func(e *Event) { e.Time++ }, func(e *Event) { e.Kind = Deliver },
		func(e *Event) { e.Node++ }, func(e *Event) { e.Peer++ }, func(e *Event) { e.Msg++ },
		func(e *Event) { e.Reject = true }, func(e *Event) { e.ID++ }, func(e *Event) { e.Term++ },
		func(e *Event) { e.Index++ }, func(e *Event) { e.LogTerm++ }, func(e *Event) { e.Count++ },
		func(e *Event) { e.Commit++ }, func(e *Event) { e.Text = "y" }, func(e *Event) { e.Text = "" },
	}
	seen := map[uint64]bool{sum(base): true}
	for i, m := range mutations {
		e := base
		m(&e)
		s := sum(e)
		require.False(t, seen[s], "mutation %d does not change the hash", i)
		seen[s] = true
	}
}

func TestRecorderNumbersKeepsAndClones(t *testing.T) {
	var r Recorder
	r.Keep = true
	var sunk []uint64
	r.Sink = func(e *Event) error { sunk = append(sunk, e.Seq); return nil }
	r.Record(Event{Kind: Tick, Node: 1})
	r.Record(Event{Kind: Tick, Node: 2})
	require.Equal(t, uint64(2), r.Count())
	require.Equal(t, []uint64{0, 1}, sunk)
	c := r.Clone()
	c.Record(Event{Kind: Tick, Node: 3})
	r.Record(Event{Kind: Tick, Node: 3})
	require.Equal(t, r.Sum(), c.Sum())
	require.Len(t, r.Events, 3)
	require.Len(t, c.Events, 3)
	require.Equal(t, []uint64{0, 1, 2}, sunk, "a clone has no sink")
}

func TestTimelineDescribesEveryKind(t *testing.T) {
	for k := Kind(1); k < kindEnd; k++ {
		e := Event{Kind: k, Node: 1, Peer: 2, Msg: 5, Count: 3, Text: "why"}
		d := Describe(&e)
		require.NotEmpty(t, d, k.String())
		require.NotContains(t, d, "%!", k.String())
		back, err := ParseKind(k.String())
		require.NoError(t, err)
		require.Equal(t, k, back)
	}
	var b strings.Builder
	events := []Event{{Kind: Tick, Node: 1}, {Time: 1500000, Kind: Role, Node: 2, Count: 3, Term: 4}}
	require.NoError(t, WriteTimeline(&b, events, DetailProtocol))
	require.Equal(t, "   1.500000s #0       S2 became LEADER of term 4 (log ends at 0, term 0)\n", b.String())
	require.Equal(t, "C3", EndpointName(103))
	require.Equal(t, "ClientReply", MsgName(101))
}
