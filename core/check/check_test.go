package check

import (
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/raft"
)

// ents builds entries with the given terms, from index first.
func ents(first uint64, terms ...uint64) []raft.Entry {
	out := make([]raft.Entry, len(terms))
	for i, t := range terms {
		out[i] = raft.Entry{Index: first + uint64(i), Term: t, Data: []byte{byte(t), byte(i)}}
	}
	return out
}

func st(role raft.Role, term, commit, applied uint64) raft.Status {
	return raft.Status{Role: role, Term: term, Commit: commit, Applied: applied}
}

func TestCheckerCatchesEachInvariant(t *testing.T) {
	type step struct {
		id raft.ID
		st raft.Status
		rd raft.Ready
	}
	cases := []struct {
		name  string
		steps []step
		want  string
	}{
		{"two leaders in one term", []step{
			{1, st(raft.Leader, 2, 0, 0), raft.Ready{}},
			{2, st(raft.Leader, 2, 0, 0), raft.Ready{}},
		}, ElectionSafety},
		{"a leader overwrites its log", []step{
			{1, st(raft.Leader, 1, 0, 0), raft.Ready{Entries: ents(1, 1, 1)}},
			{1, st(raft.Leader, 1, 0, 0), raft.Ready{Entries: ents(2, 1)}},
		}, LeaderAppendOnly},
		{"same index and term, different history", []step{
			{1, st(raft.Follower, 2, 0, 0), raft.Ready{Entries: ents(1, 1, 2)}},
			{2, st(raft.Follower, 2, 0, 0), raft.Ready{Entries: []raft.Entry{{Index: 1, Term: 1, Data: []byte("x")}, {Index: 2, Term: 2}}}},
		}, LogMatching},
		{"a gap in the log", []step{
			{1, st(raft.Follower, 1, 0, 0), raft.Ready{Entries: ents(3, 1)}},
		}, LogMatching},
		{"a new leader lacks a committed entry", []step{
			{1, st(raft.Follower, 1, 0, 0), raft.Ready{Entries: ents(1, 1)}},
			{1, st(raft.Follower, 1, 1, 0), raft.Ready{}},
			{2, st(raft.Leader, 2, 0, 0), raft.Ready{}},
		}, LeaderCompleteness},
		{"two servers commit different entries", []step{
			{1, st(raft.Follower, 1, 0, 0), raft.Ready{Entries: ents(1, 1)}},
			{1, st(raft.Follower, 1, 1, 0), raft.Ready{}},
			{2, st(raft.Follower, 2, 0, 0), raft.Ready{Entries: ents(1, 2)}},
			{2, st(raft.Follower, 2, 1, 0), raft.Ready{}},
		}, StateMachineSafety},
		{"a committed entry replaced", []step{
			{1, st(raft.Follower, 1, 0, 0), raft.Ready{Entries: ents(1, 1, 1)}},
			{1, st(raft.Follower, 1, 2, 0), raft.Ready{}},
			{1, st(raft.Follower, 3, 2, 0), raft.Ready{Entries: ents(2, 3)}},
		}, StateMachineSafety},
		{"commit goes back", []step{
			{1, st(raft.Follower, 1, 0, 0), raft.Ready{Entries: ents(1, 1, 1)}},
			{1, st(raft.Follower, 1, 2, 0), raft.Ready{}},
			{1, st(raft.Follower, 1, 1, 0), raft.Ready{}},
		}, CommitMonotonic},
		{"applied past commit", []step{
			{1, st(raft.Follower, 1, 0, 0), raft.Ready{Entries: ents(1, 1, 1)}},
			{1, st(raft.Follower, 1, 1, 2), raft.Ready{}},
		}, AppliedWithinCommit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := New(3)
			var v *Violation
			for _, s := range c.steps {
				if v = ch.Observe(s.id, s.st, &s.rd); v != nil {
					break
				}
			}
			require.NotNil(t, v)
			require.Equal(t, c.want, v.Invariant, v.Error())
			require.NotEmpty(t, v.Nodes)
			require.NotEmpty(t, v.Explanation)
		})
	}
}

// TestCheckerAcceptsRaft: the same shapes, done right, raise nothing.
func TestCheckerAcceptsRaft(t *testing.T) {
	ch := New(3)
	ok := func(id raft.ID, s raft.Status, rd raft.Ready) {
		t.Helper()
		require.Nil(t, ch.Observe(id, s, &rd))
	}
	ok(1, st(raft.Leader, 1, 0, 0), raft.Ready{Entries: ents(1, 1, 1)})
	ok(2, st(raft.Follower, 1, 0, 0), raft.Ready{Entries: ents(1, 1, 1)})
	ok(1, st(raft.Leader, 1, 2, 2), raft.Ready{})
	ok(2, st(raft.Follower, 1, 2, 1), raft.Ready{})
	// S3 has a divergent uncommitted entry and is overwritten: fine.
	ok(3, st(raft.Follower, 1, 0, 0), raft.Ready{Entries: ents(1, 1, 1, 1)})
	ok(3, st(raft.Follower, 2, 0, 0), raft.Ready{Entries: ents(3, 2)})
	// A new leader of term 2 holds everything committed.
	ok(2, st(raft.Leader, 2, 2, 2), raft.Ready{Entries: ents(3, 2)})
	ok(2, st(raft.Leader, 2, 3, 3), raft.Ready{})
	// A crash loses volatile state; the restart brings the disk back.
	ch.Crash(1)
	require.Nil(t, ch.Restart(1, st(raft.Follower, 1, 2, 0), raft.Durable{Entries: ents(1, 1, 1)}))
	ok(1, st(raft.Follower, 2, 3, 3), raft.Ready{Entries: ents(3, 2)})
	// The clone goes on independently.
	c := ch.Clone()
	require.Nil(t, c.Observe(3, st(raft.Leader, 3, 3, 3), &raft.Ready{Entries: ents(4, 3)}))
	require.NotNil(t, ch.Observe(1, st(raft.Leader, 2, 3, 3), &raft.Ready{}), "the original still knows S2 led term 2")
}

func TestWatchdog(t *testing.T) {
	w := NewWatchdog(1000)
	require.Nil(t, w.Observe(0, true, false, "no leader"))
	require.Nil(t, w.Observe(999, true, false, "no leader"))
	v := w.Observe(1000, true, false, "no leader")
	require.NotNil(t, v)
	require.Equal(t, LivenessName, v.Invariant)
	require.Contains(t, v.Explanation, "no leader")
	require.Nil(t, w.Observe(5000, true, false, "no leader"), "one report per stall")
	require.Nil(t, w.Observe(6000, true, true, ""))
	require.False(t, w.Stalled())
	require.Nil(t, w.Observe(7000, false, false, ""), "no connected quorum: nothing to expect")
}

func TestFormatMicros(t *testing.T) {
	for us, want := range map[int64]string{0: "0us", 250: "250us", 1500: "1.5ms", 150_000: "150ms",
		3_000_000: "3s", 1_250_000: "1.25s", -2000: "-2ms", 12_406: "12.406ms"} {
		require.Equal(t, want, FormatMicros(us))
	}
}
