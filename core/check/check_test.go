package check

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/fsm"
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

// ---- Snapshots, membership and memory ----

// put is the data of a client write at index i: one of eight keys.
func put(i uint64) []byte {
	return fsm.Command{Client: 1, Seq: i, AckBelow: i, Op: fsm.OpPut, Key: fmt.Sprintf("k%d", i%8),
		Value: fmt.Sprintf("v%d", i)}.Encode(nil)
}

// kvEnts builds n entries of term from index first, each a client write.
func kvEnts(first, term uint64, n int) []raft.Entry {
	out := make([]raft.Entry, n)
	for k := range out {
		i := first + uint64(k)
		out[k] = raft.Entry{Index: i, Term: term, Data: put(i)}
	}
	return out
}

// stateOf is the state machine after applying log up to index i.
func stateOf(log []raft.Entry, i uint64) *fsm.KV {
	kv := fsm.NewKV()
	for _, e := range log[:i] {
		_, _ = kv.Apply(e.Index, e.Data)
	}
	return kv
}

func snapAt(log []raft.Entry, i uint64) *raft.Snapshot {
	return &raft.Snapshot{Meta: raft.SnapshotMeta{Index: i, Term: log[i-1].Term}, Data: stateOf(log, i).Snapshot()}
}

var voters123 = raft.Configuration{Voters: []raft.ID{1, 2, 3}}

// stc is a status with a configuration.
func stc(role raft.Role, term, commit, applied uint64, cfg raft.Configuration) raft.Status {
	s := st(role, term, commit, applied)
	s.Config = cfg
	return s
}

// encodeConfig writes a configuration entry's data as raft does: a version
// byte, then Voters, OldVoters and Learners, each a count and one byte per ID.
func encodeConfig(c raft.Configuration) []byte {
	b := []byte{1}
	for _, set := range [][]raft.ID{c.Voters, c.OldVoters, c.Learners} {
		b = append(b, byte(len(set)))
		for _, id := range set {
			b = append(b, byte(id))
		}
	}
	return b
}

func confEntry(index, term uint64, c raft.Configuration) raft.Entry {
	return raft.Entry{Index: index, Term: term, Type: raft.EntryConfig, Data: encodeConfig(c)}
}

// tester drives a checker and fails the test on an unexpected answer.
type tester struct {
	t  *testing.T
	ch *Checker
}

func (x tester) ok(id raft.ID, s raft.Status, rd raft.Ready) {
	x.t.Helper()
	v := x.ch.Observe(id, s, &rd)
	require.Nil(x.t, v, "%v", v)
}

// bad expects a violation of inv whose explanation holds every part.
func (x tester) bad(id raft.ID, s raft.Status, rd raft.Ready, inv string, parts ...string) *Violation {
	x.t.Helper()
	return expect(x.t, x.ch.Observe(id, s, &rd), inv, parts...)
}

func expect(t *testing.T, v *Violation, inv string, parts ...string) *Violation {
	t.Helper()
	require.NotNil(t, v, "want %s", inv)
	require.Equal(t, inv, v.Invariant, v.Error())
	require.NotEmpty(t, v.Nodes)
	for _, p := range parts {
		require.Contains(t, v.Explanation, p)
	}
	return v
}

// lagging is a cluster where S1 and S2 committed and applied log[:6] while
// S3 holds and applied log[:4] only.
func lagging(t *testing.T, log []raft.Entry) tester {
	x := cluster(t, log, 4)
	x.ok(1, stc(raft.Leader, 1, 4, 4, voters123), raft.Ready{Entries: log[4:6]})
	x.ok(2, stc(raft.Follower, 1, 4, 4, voters123), raft.Ready{Entries: log[4:6]})
	x.ok(1, stc(raft.Leader, 1, 6, 6, voters123), raft.Ready{Committed: log[4:6]})
	x.ok(2, stc(raft.Follower, 1, 6, 6, voters123), raft.Ready{Committed: log[4:6]})
	return x
}

// cluster replicates log[:n] from leader S1 (term 1) to S2 and S3, commits
// and applies it everywhere, under voters {S1,S2,S3}.
func cluster(t *testing.T, log []raft.Entry, n int) tester {
	x := tester{t, New(3)}
	x.ok(1, stc(raft.Leader, 1, 0, 0, voters123), raft.Ready{Entries: log[:n]})
	x.ok(2, stc(raft.Follower, 1, 0, 0, voters123), raft.Ready{Entries: log[:n]})
	x.ok(3, stc(raft.Follower, 1, 0, 0, voters123), raft.Ready{Entries: log[:n]})
	c := uint64(n)
	x.ok(1, stc(raft.Leader, 1, c, c, voters123), raft.Ready{Committed: log[:n]})
	x.ok(2, stc(raft.Follower, 1, c, c, voters123), raft.Ready{Committed: log[:n]})
	x.ok(3, stc(raft.Follower, 1, c, c, voters123), raft.Ready{Committed: log[:n]})
	return x
}

func TestSnapshotsCompactMirrors(t *testing.T) {
	log := kvEnts(1, 1, 12)
	x := cluster(t, log, 6)
	// S1 snapshots at 4: its mirror keeps 5..6 after the snapshot point.
	x.ok(1, stc(raft.Leader, 1, 6, 6, voters123), raft.Ready{Snapshot: snapAt(log, 4)})
	l := &x.ch.nodes[0]
	require.Equal(t, uint64(4), l.offset)
	require.Equal(t, uint64(6), l.last())
	x.ok(1, stc(raft.Leader, 1, 6, 6, voters123), raft.Ready{Entries: log[6:8]})
	x.ok(2, stc(raft.Follower, 1, 6, 6, voters123), raft.Ready{Entries: log[6:8]})
	x.ok(1, stc(raft.Leader, 1, 8, 8, voters123), raft.Ready{Committed: log[6:8]})
	// S2 compacts too; S3 is left holding 1..6 only.
	x.ok(2, stc(raft.Follower, 1, 8, 8, voters123), raft.Ready{Committed: log[6:8], Snapshot: snapAt(log, 7)})
	require.Equal(t, uint64(7), x.ch.nodes[1].offset)

	// InstallSnapshot at 8 to S3, whose log does not hold entry 8: the
	// mirror becomes the snapshot point alone.
	x.ok(3, stc(raft.Follower, 1, 8, 8, voters123), raft.Ready{Snapshot: snapAt(log, 8), Restore: true})
	require.Equal(t, uint64(8), x.ch.nodes[2].offset)
	require.Equal(t, uint64(8), x.ch.nodes[2].last())
	require.Nil(t, x.ch.StateHash(3, 8, stateOf(log, 8).Hash()))
	// What follows the snapshot chains on from the committed chain.
	x.ok(1, stc(raft.Leader, 1, 8, 8, voters123), raft.Ready{Entries: log[8:10]})
	x.ok(3, stc(raft.Follower, 1, 8, 8, voters123), raft.Ready{Entries: log[8:10]})
	x.ok(2, stc(raft.Follower, 1, 8, 8, voters123), raft.Ready{Entries: log[8:10]})
	x.ok(1, stc(raft.Leader, 1, 10, 10, voters123), raft.Ready{Committed: log[8:10]})
	x.ok(3, stc(raft.Follower, 1, 10, 10, voters123), raft.Ready{Committed: log[8:10]})
	require.Nil(t, x.ch.StateHash(3, 10, stateOf(log, 10).Hash()))

	// InstallSnapshot at 9 to S2, whose log holds entry 9 with the same
	// term: the entries after it stay.
	x.ok(2, stc(raft.Follower, 1, 9, 9, voters123), raft.Ready{Snapshot: snapAt(log, 9), Restore: true})
	require.Equal(t, uint64(9), x.ch.nodes[1].offset)
	require.Equal(t, uint64(10), x.ch.nodes[1].last(), "the suffix after the snapshot is kept")
	x.ok(2, stc(raft.Follower, 1, 10, 10, voters123), raft.Ready{Committed: log[9:10]})

	// A follower that does the same yet drops the suffix (its status says
	// its log ends at the snapshot) has lost committed entry 6: the
	// drop-suffix-on-snapshot bug.
	y := lagging(t, log)
	y.ok(3, stc(raft.Follower, 1, 4, 4, voters123), raft.Ready{Entries: log[4:6]})
	require.Equal(t, uint64(6), y.ch.nodes[2].last())
	s := stc(raft.Follower, 1, 5, 5, voters123)
	s.LastIndex = 5
	y.bad(3, s, raft.Ready{Snapshot: snapAt(log, 5), Restore: true}, StateMachineSafety,
		"S3 discarded committed entry 6", "its log now ends at 5")
}

func TestLogMatchingAcrossOffsets(t *testing.T) {
	log := kvEnts(1, 1, 8)
	x := cluster(t, log, 6)
	x.ok(1, stc(raft.Leader, 1, 6, 6, voters123), raft.Ready{Snapshot: snapAt(log, 4)})
	x.ok(2, stc(raft.Follower, 1, 6, 6, voters123), raft.Ready{Snapshot: snapAt(log, 6)})
	x.ok(1, stc(raft.Leader, 1, 6, 6, voters123), raft.Ready{Entries: log[6:8]})
	// A fourth server writes the same indexes and terms over a different
	// history (entry 2 differs): its log disagrees with S1's from index 4,
	// S1's snapshot point, on.
	bad := slices.Clone(log)
	bad[1].Data = put(99)
	v := x.bad(4, st(raft.Follower, 1, 0, 0), raft.Ready{Entries: bad}, LogMatching, "index 4 of term 1")
	require.Contains(t, v.Nodes, raft.ID(1))
	// The same log, done right, raises nothing.
	y := cluster(t, log, 6)
	y.ok(1, stc(raft.Leader, 1, 6, 6, voters123), raft.Ready{Snapshot: snapAt(log, 4)})
	y.ok(2, stc(raft.Follower, 1, 6, 6, voters123), raft.Ready{Snapshot: snapAt(log, 6)})
	y.ok(1, stc(raft.Leader, 1, 6, 6, voters123), raft.Ready{Entries: log[6:8]})
	y.ok(4, st(raft.Follower, 1, 0, 0), raft.Ready{Entries: log})
}

func TestRestartFromSnapshot(t *testing.T) {
	log := kvEnts(1, 1, 8)
	snap := *snapAt(log, 4)
	other := slices.Clone(log)
	other[3].Term = 2 // index 4 of another term
	for _, c := range []struct {
		name        string
		ents        []raft.Entry
		offset, end uint64
	}{
		{"the log starts after the snapshot", log[4:], 4, 8},
		{"the log holds the snapshot's entry: its suffix stays", log, 4, 8},
		{"the log holds index 4 with another term: all of it goes", other, 4, 4},
		{"the log ends before the snapshot: all of it goes", log[:3], 4, 4},
		{"no log", nil, 4, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := cluster(t, log, 8)
			x.ch.Crash(2)
			require.Nil(t, x.ch.Restart(2, stc(raft.Follower, 1, 4, 4, voters123),
				raft.Durable{HardState: raft.HardState{Term: 1, Commit: 4}, Snapshot: snap, Entries: c.ents}))
			l := &x.ch.nodes[1]
			require.Equal(t, c.offset, l.offset)
			require.Equal(t, c.end, l.last())
			// Applying from the snapshot on is not a step back, and the
			// state checks out.
			require.Nil(t, x.ch.StateHash(2, 4, stateOf(log, 4).Hash()))
		})
	}
	// A disk whose snapshot does not hold the committed state.
	x := cluster(t, log, 8)
	x.ch.Crash(2)
	wrong := raft.Snapshot{Meta: snap.Meta, Data: stateOf(log, 3).Snapshot()}
	expect(t, x.ch.Restart(2, stc(raft.Follower, 1, 4, 4, voters123), raft.Durable{Snapshot: wrong}),
		SnapshotConsistency, "S2", "index 4")
	// A disk whose log starts past its snapshot.
	x.ch.Crash(3)
	expect(t, x.ch.Restart(3, stc(raft.Follower, 1, 4, 4, voters123), raft.Durable{Snapshot: snap, Entries: log[5:]}),
		LogMatching, "S3", "starts at index 6")
}

func TestAppliedIndexMonotonic(t *testing.T) {
	log := kvEnts(1, 1, 8)
	t.Run("applied goes back", func(t *testing.T) {
		x := cluster(t, log, 6)
		x.bad(2, stc(raft.Follower, 1, 6, 5, voters123), raft.Ready{}, AppliedIndexMonotonic,
			"S2", "from 6 to 5")
	})
	t.Run("an older snapshot installed", func(t *testing.T) {
		x := cluster(t, log, 6)
		x.bad(2, stc(raft.Follower, 1, 6, 6, voters123), raft.Ready{Snapshot: snapAt(log, 3), Restore: true},
			AppliedIndexMonotonic, "S2", "applied up to index 6", "index 3")
	})
	t.Run("a restart starts over from the disk", func(t *testing.T) {
		x := cluster(t, log, 6)
		x.ch.Crash(2)
		require.Nil(t, x.ch.Restart(2, stc(raft.Follower, 1, 6, 0, voters123),
			raft.Durable{HardState: raft.HardState{Term: 1, Commit: 6}, Entries: log[:6]}))
		x.ok(2, stc(raft.Follower, 1, 6, 6, voters123), raft.Ready{Committed: log[:6]})
	})
}

func TestSnapshotConsistency(t *testing.T) {
	log := kvEnts(1, 1, 8)
	good := snapAt(log, 5)
	for _, c := range []struct {
		name                   string
		snap                   *raft.Snapshot
		local, installed, both string
	}{
		{"another state", &raft.Snapshot{Meta: good.Meta, Data: stateOf(log, 4).Snapshot()},
			"S2: the snapshot it took", "S3: the snapshot it installed",
			"at index 5, differs from the state obtained by applying the committed log up to 5"},
		{"data that does not decode", &raft.Snapshot{Meta: good.Meta, Data: []byte("junk")},
			"S2", "S3", "at index 5, does not decode"},
		{"the wrong term", &raft.Snapshot{Meta: raft.SnapshotMeta{Index: 5, Term: 2}, Data: good.Data},
			"its log holds an entry of term 1 there", "committed entry 5 has term 1", "term 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := cluster(t, log, 6)
			x.bad(2, stc(raft.Follower, 1, 6, 6, voters123), raft.Ready{Snapshot: c.snap}, SnapshotConsistency,
				c.local, c.both)
			// Installed from a leader, the same snapshot is as wrong.
			y := lagging(t, log)
			y.bad(3, stc(raft.Follower, 1, 5, 5, voters123), raft.Ready{Snapshot: c.snap, Restore: true},
				SnapshotConsistency, c.installed, c.both)
		})
	}
	t.Run("past the committed entries", func(t *testing.T) {
		x := cluster(t, log, 4)
		x.bad(3, stc(raft.Follower, 1, 5, 5, voters123), raft.Ready{Snapshot: good, Restore: true},
			SnapshotConsistency, "S3", "up to index 5", "committed only up to 4")
	})
	t.Run("a snapshot past what was applied", func(t *testing.T) {
		x := cluster(t, log, 6)
		x.bad(2, stc(raft.Follower, 1, 6, 4, voters123), raft.Ready{Snapshot: good}, SnapshotConsistency,
			"S2", "applied entries only up to 4")
	})
	t.Run("right", func(t *testing.T) {
		x := cluster(t, log, 6)
		x.ok(2, stc(raft.Follower, 1, 6, 6, voters123), raft.Ready{Snapshot: good})
		y := cluster(t, log, 4)
		// The leader committed 5 without applying it yet, so nobody did:
		// the check waits for the reference state machine.
		y.ok(1, stc(raft.Leader, 1, 4, 4, voters123), raft.Ready{Entries: log[4:5]})
		y.ok(2, stc(raft.Follower, 1, 4, 4, voters123), raft.Ready{Entries: log[4:5]})
		y.ok(1, stc(raft.Leader, 1, 5, 4, voters123), raft.Ready{})
		y.ok(3, stc(raft.Follower, 1, 5, 5, voters123), raft.Ready{Snapshot: good, Restore: true})
		require.Len(t, y.ch.pending, 1)
		y.ok(1, stc(raft.Leader, 1, 5, 5, voters123), raft.Ready{Committed: log[4:5]})
		require.Empty(t, y.ch.pending)
	})
	t.Run("a wrong snapshot waiting for the reference", func(t *testing.T) {
		y := cluster(t, log, 4)
		y.ok(1, stc(raft.Leader, 1, 4, 4, voters123), raft.Ready{Entries: log[4:5]})
		y.ok(2, stc(raft.Follower, 1, 4, 4, voters123), raft.Ready{Entries: log[4:5]})
		y.ok(1, stc(raft.Leader, 1, 5, 4, voters123), raft.Ready{})
		wrong := &raft.Snapshot{Meta: good.Meta, Data: stateOf(log, 4).Snapshot()}
		y.ok(3, stc(raft.Follower, 1, 5, 5, voters123), raft.Ready{Snapshot: wrong, Restore: true})
		y.bad(1, stc(raft.Leader, 1, 5, 5, voters123), raft.Ready{Committed: log[4:5]}, SnapshotConsistency,
			"S3", "index 5")
	})
}

func TestStateHash(t *testing.T) {
	log := kvEnts(1, 1, 8)
	x := cluster(t, log, 6)
	require.Nil(t, x.ch.StateHash(2, 6, stateOf(log, 6).Hash()))
	require.Nil(t, x.ch.StateHash(2, 3, stateOf(log, 3).Hash()))
	v := x.ch.StateHash(2, 6, stateOf(log, 5).Hash())
	expect(t, v, StateMachineSafety, "S2's state after applying index 6 differs from the state of the committed log up to 6")
	// A state machine that applied a different entry at 6.
	bad := slices.Clone(log[:6])
	bad[5].Data = put(99)
	expect(t, x.ch.StateHash(3, 6, stateOf(bad, 6).Hash()), StateMachineSafety, "S3", "index 6")
	// An applied entry other than the committed one is caught as it is
	// fed to the reference state machine.
	y := cluster(t, log, 4)
	y.ok(1, stc(raft.Leader, 1, 4, 4, voters123), raft.Ready{Entries: log[4:5]})
	y.ok(2, stc(raft.Follower, 1, 4, 4, voters123), raft.Ready{Entries: log[4:5]})
	y.ok(1, stc(raft.Leader, 1, 5, 4, voters123), raft.Ready{})
	e := log[4]
	e.Data = put(98)
	y.bad(1, stc(raft.Leader, 1, 5, 5, voters123), raft.Ready{Committed: []raft.Entry{e}}, StateMachineSafety,
		"S1 applied at index 5 an entry other than the one")
}

func TestQuorumOfVoters(t *testing.T) {
	withLearner := raft.Configuration{Voters: []raft.ID{1, 2, 3}, Learners: []raft.ID{4}}
	joint := raft.Configuration{OldVoters: []raft.ID{1, 2, 3}, Voters: []raft.ID{1, 4, 5}}
	notLeader := raft.Configuration{Voters: []raft.ID{2, 3, 4}}
	log := kvEnts(1, 1, 5)
	// S1 leads with cfg; holders append log[:2]; S1 then commits 2.
	run := func(t *testing.T, cfg raft.Configuration, holders []raft.ID) *Violation {
		x := tester{t, New(5)}
		x.ok(1, stc(raft.Leader, 1, 0, 0, cfg), raft.Ready{Entries: log[:2]})
		for _, id := range holders {
			x.ok(id, stc(raft.Follower, 1, 0, 0, cfg), raft.Ready{Entries: log[:2]})
		}
		return x.ch.Observe(1, stc(raft.Leader, 1, 2, 2, cfg), &raft.Ready{Committed: log[:2]})
	}
	t.Run("a learner does not count", func(t *testing.T) {
		v := expect(t, run(t, withLearner, []raft.ID{4}), QuorumOfVoters, "S1, leader of term 1",
			"commit index to 2", "voters {S1,S2,S3} only {S1} hold entry 2", "majority is 2", "learners {S4}")
		require.Equal(t, []raft.ID{1}, v.Nodes)
		require.Nil(t, run(t, withLearner, []raft.ID{2}))
		require.Nil(t, run(t, withLearner, []raft.ID{3, 4}))
	})
	t.Run("a joint configuration needs both majorities", func(t *testing.T) {
		expect(t, run(t, joint, []raft.ID{2, 3}), QuorumOfVoters, "new voters {S1,S4,S5} only {S1} hold entry 2")
		expect(t, run(t, joint, []raft.ID{4, 5}), QuorumOfVoters, "old voters {S1,S2,S3} only {S1} hold entry 2")
		require.Nil(t, run(t, joint, []raft.ID{2, 4}))
	})
	t.Run("a leader outside the voters does not count itself", func(t *testing.T) {
		expect(t, run(t, notLeader, []raft.ID{2}), QuorumOfVoters, "voters {S2,S3,S4} only {S2} hold entry 2")
		require.Nil(t, run(t, notLeader, []raft.ID{2, 4}))
	})
	t.Run("a snapshot at or past the index counts", func(t *testing.T) {
		// S2 holds entry 4 only in a snapshot (at 4, or at 5), S3 lost its
		// log: S1 and S2 are a majority. Without S2's snapshot, S1 alone
		// is not.
		for _, snap := range []uint64{4, 5, 0} {
			x := tester{t, New(3)}
			for id := raft.ID(1); id <= 3; id++ {
				x.ok(id, stc(raft.Follower, 1, 0, 0, voters123), raft.Ready{Entries: log[:5]})
			}
			x.ok(1, stc(raft.Leader, 1, 0, 0, voters123), raft.Ready{})
			// (S3 and S2 learned of commits the leader has yet to see.)
			x.ok(3, stc(raft.Follower, 1, 5, 5, voters123), raft.Ready{Committed: log[:5]})
			x.ok(2, stc(raft.Follower, 1, 5, 5, voters123), raft.Ready{Committed: log[:5]})
			if snap > 0 {
				x.ok(2, stc(raft.Follower, 1, 5, 5, voters123), raft.Ready{Snapshot: snapAt(log, snap)})
				require.Equal(t, snap, x.ch.nodes[1].offset)
				if snap == 5 {
					require.Equal(t, uint64(5), x.ch.nodes[1].last())
				}
			} else {
				x.ch.Crash(2)
				require.Nil(t, x.ch.Restart(2, stc(raft.Follower, 1, 0, 0, voters123), raft.Durable{}))
			}
			x.ch.Crash(3)
			require.Nil(t, x.ch.Restart(3, stc(raft.Follower, 1, 0, 0, voters123), raft.Durable{}))
			v := x.ch.Observe(1, stc(raft.Leader, 1, 4, 4, voters123), &raft.Ready{Committed: log[:4]})
			if snap > 0 {
				require.Nil(t, v, "snapshot at %d", snap)
			} else {
				expect(t, v, QuorumOfVoters, "only {S1} hold entry 4")
			}
		}
	})
	t.Run("the configuration that decided changed within the Ready", func(t *testing.T) {
		// Entry 1 is on S1 and S2, a majority of {S1,S2,S3}: it commits,
		// and in the same Ready the leader appends {S1,S2,S3,S4}, of which
		// S1 and S2 are no majority. The commit was decided before.
		x := tester{t, New(4)}
		x.ok(1, stc(raft.Leader, 1, 0, 0, voters123), raft.Ready{Entries: log[:1]})
		x.ok(2, stc(raft.Follower, 1, 0, 0, voters123), raft.Ready{Entries: log[:1]})
		add4 := raft.Configuration{Voters: []raft.ID{1, 2, 3, 4}, Index: 2}
		x.ok(1, stc(raft.Leader, 1, 1, 1, add4), raft.Ready{Entries: []raft.Entry{confEntry(2, 1, add4)},
			Committed: log[:1]})
		// Under {S1,S2,S3,S4} alone it would not have been.
		y := tester{t, New(4)}
		y.ok(1, stc(raft.Leader, 1, 0, 0, voters123), raft.Ready{Entries: log[:1]})
		y.ok(1, stc(raft.Leader, 1, 0, 0, add4), raft.Ready{Entries: []raft.Entry{confEntry(2, 1, add4)}})
		y.ok(2, stc(raft.Follower, 1, 0, 0, add4), raft.Ready{Entries: []raft.Entry{log[0], confEntry(2, 1, add4)}})
		y.bad(1, stc(raft.Leader, 1, 2, 2, add4), raft.Ready{}, QuorumOfVoters,
			"voters {S1,S2,S3,S4} only {S1,S2} hold entry 2, and a majority is 3")
	})
	t.Run("joint consensus, then C_new in the same Ready", func(t *testing.T) {
		x := tester{t, New(5)}
		x.ok(1, stc(raft.Leader, 1, 0, 0, voters123), raft.Ready{Entries: log[:1]})
		x.ok(2, stc(raft.Follower, 1, 0, 0, voters123), raft.Ready{Entries: log[:1]})
		x.ok(1, stc(raft.Leader, 1, 1, 1, voters123), raft.Ready{Committed: log[:1]})
		j := joint
		j.Index = 2
		x.ok(1, stc(raft.Leader, 1, 1, 1, j), raft.Ready{Entries: []raft.Entry{confEntry(2, 1, joint)}})
		x.ok(2, stc(raft.Follower, 1, 1, 1, j), raft.Ready{Entries: []raft.Entry{confEntry(2, 1, joint)}})
		x.ok(4, stc(raft.Follower, 1, 1, 1, j), raft.Ready{Entries: []raft.Entry{log[0], confEntry(2, 1, joint)}})
		cnew := raft.Configuration{Voters: joint.Voters, Index: 3}
		x.ok(1, stc(raft.Leader, 1, 2, 2, cnew), raft.Ready{Entries: []raft.Entry{confEntry(3, 1, cnew)}})
	})
}

func TestConfigurationSafety(t *testing.T) {
	c := func(voters, old, learners []raft.ID) raft.Configuration {
		return raft.Configuration{Voters: voters, OldVoters: old, Learners: learners}
	}
	ids := func(s ...raft.ID) []raft.ID { return s }
	// S1 leads term 1 under voters {S1,S2,S3} and appends the configurations.
	run := func(t *testing.T, next ...raft.Configuration) *Violation {
		x := tester{t, New(5)}
		x.ok(1, stc(raft.Leader, 1, 0, 0, voters123), raft.Ready{Entries: ents(1, 1)})
		var es []raft.Entry
		for i, n := range next {
			es = append(es, confEntry(uint64(2+i), 1, n))
		}
		cur := next[len(next)-1]
		cur.Index = uint64(len(next) + 1)
		return x.ch.Observe(1, stc(raft.Leader, 1, 0, 0, cur), &raft.Ready{Entries: es})
	}
	t.Run("two voters at once", func(t *testing.T) {
		v := expect(t, run(t, c(ids(1, 4, 5), nil, nil)), ConfigurationSafety, "leader S1 of term 1",
			"entry 2", "from voters {S1,S2,S3} to {S1,S4,S5}: a majority of one need not overlap a majority of the other")
		require.Equal(t, []raft.ID{1}, v.Nodes)
		expect(t, run(t, c(ids(1, 2, 3, 4), nil, nil), c(ids(1, 2, 3, 4, 5), nil, nil), c(ids(1, 2), nil, nil)),
			ConfigurationSafety, "entry 4", "from voters {S1,S2,S3,S4,S5} to {S1,S2}")
	})
	t.Run("a joint configuration that does not start from the voters", func(t *testing.T) {
		expect(t, run(t, c(ids(1, 4, 5), ids(1, 2, 4), nil)), ConfigurationSafety,
			"its old voters must be the voters in effect, {S1,S2,S3}")
	})
	t.Run("leaving a joint configuration for other voters", func(t *testing.T) {
		expect(t, run(t, c(ids(1, 4, 5), ids(1, 2, 3), nil), c(ids(1, 2, 3), nil, nil)), ConfigurationSafety,
			"may only be followed by its new voters, {S1,S4,S5}")
		expect(t, run(t, c(ids(1, 4, 5), ids(1, 2, 3), nil), c(ids(1, 4), ids(1, 4, 5), nil)), ConfigurationSafety,
			"to another")
	})
	t.Run("a configuration entry that does not decode", func(t *testing.T) {
		x := tester{t, New(3)}
		x.bad(1, stc(raft.Leader, 1, 0, 0, voters123),
			raft.Ready{Entries: []raft.Entry{{Index: 1, Term: 1, Type: raft.EntryConfig, Data: []byte{7}}}},
			ConfigurationSafety, "does not decode")
	})
	t.Run("safe steps", func(t *testing.T) {
		require.Nil(t, run(t, c(ids(1, 2, 3, 4), nil, nil)), "one voter added")
		require.Nil(t, run(t, c(ids(1, 2), nil, nil)), "one voter removed")
		require.Nil(t, run(t, c(ids(1, 2, 3), nil, ids(4)), c(ids(1, 2, 3), nil, ids(4, 5))), "learners added")
		require.Nil(t, run(t, c(ids(1, 2, 3, 4), nil, nil), c(ids(1, 2, 4), nil, nil)), "one voter at a time")
		require.Nil(t, run(t, c(ids(1, 4, 5), ids(1, 2, 3), nil), c(ids(1, 4, 5), nil, ids(2))),
			"through a joint configuration")
	})
}

func TestElectionSafetyAcrossConfigurations(t *testing.T) {
	// S1 believes in {S1,S2,S3}, S4 in {S3,S4,S5}: each may gather "its"
	// majority, yet a term still has one leader.
	x := tester{t, New(5)}
	x.ok(1, stc(raft.Leader, 2, 0, 0, voters123), raft.Ready{})
	other := raft.Configuration{Voters: []raft.ID{3, 4, 5}}
	x.bad(4, stc(raft.Leader, 2, 0, 0, other), raft.Ready{}, ElectionSafety, "S1 and S4", "term 2")
	// Leaders of different terms in different configurations are fine.
	x = tester{t, New(5)}
	x.ok(1, stc(raft.Leader, 2, 0, 0, voters123), raft.Ready{})
	x.ok(4, stc(raft.Leader, 3, 0, 0, other), raft.Ready{})
}

// longRun drives a 3-server cluster through a checker the way the simulator
// would: S1..S3 replicate batches of client writes, commit and apply them,
// snapshot every snapEvery entries (each snapshot durable one interval
// later) and change leader every termEvery entries. S4 is a spare machine
// that never hears anything.
type longRun struct {
	tb     testing.TB
	ch     *Checker
	kv     *fsm.KV // the state of the committed log
	leader raft.ID
	commit uint64
	// durable[i] is false for a server whose snapshots never reach its disk.
	durable  [3]bool
	lastSnap [3]uint64
	// The most each retained array held.
	maxGlobal, maxMirror, maxLeaders, maxPending int
}

const (
	runBatch     = 100
	runSnapEvery = 10_000
	runTermEvery = 2_000
)

func newLongRun(tb testing.TB) *longRun {
	return &longRun{tb: tb, ch: New(4), kv: fsm.NewKV(), leader: 1, durable: [3]bool{true, true, true}}
}

// runTerm is the term of index i in a long run.
func runTerm(i uint64) uint64 { return 1 + (i-1)/runTermEvery }

func runEnts(first, last uint64) []raft.Entry {
	out := make([]raft.Entry, 0, last+1-first)
	for i := first; i <= last; i++ {
		out = append(out, raft.Entry{Index: i, Term: runTerm(i), Data: put(i)})
	}
	return out
}

func (r *longRun) must(v *Violation) {
	if v != nil {
		r.tb.Fatal(v)
	}
}

func (r *longRun) observe(id raft.ID, role raft.Role, term, commit uint64, rd raft.Ready) {
	r.must(r.ch.Observe(id, stc(role, term, commit, commit, voters123), &rd))
}

// run adds n entries (a multiple of runBatch).
func (r *longRun) run(n uint64) {
	for end := r.commit + n; r.commit < end; {
		next, last := r.commit+1, r.commit+runBatch
		term := runTerm(next)
		if next > 1 && runTerm(next-1) != term {
			// The leader steps down; the next server wins the new term.
			r.observe(r.leader, raft.Follower, term, r.commit, raft.Ready{})
			r.leader = r.leader%3 + 1
			r.observe(r.leader, raft.Leader, term, r.commit, raft.Ready{})
		}
		ents := runEnts(next, last)
		role := func(id raft.ID) raft.Role {
			if id == r.leader {
				return raft.Leader
			}
			return raft.Follower
		}
		for id := raft.ID(1); id <= 3; id++ {
			r.observe(id, role(id), term, r.commit, raft.Ready{Entries: ents})
		}
		for i := range ents {
			_, _ = r.kv.Apply(ents[i].Index, ents[i].Data)
		}
		for id := raft.ID(1); id <= 3; id++ {
			r.observe(id, role(id), term, last, raft.Ready{Committed: ents})
			r.must(r.ch.StateHash(id, last, r.kv.Hash()))
		}
		r.commit = last
		if last%runSnapEvery == 0 {
			snap := &raft.Snapshot{Meta: raft.SnapshotMeta{Index: last, Term: term}, Data: r.kv.Snapshot()}
			for id := raft.ID(1); id <= 3; id++ {
				r.observe(id, role(id), term, last, raft.Ready{Snapshot: snap})
				if prev := r.lastSnap[id-1]; prev > 0 && r.durable[id-1] {
					r.ch.SnapshotDurable(id, prev)
				}
				r.lastSnap[id-1] = last
			}
		}
		r.measure()
	}
}

func (r *longRun) measure() {
	c := r.ch
	for _, n := range []int{len(c.committed), len(c.entryTerm), len(c.commitTerm), len(c.firstCommitter),
		len(c.refHash)} {
		r.maxGlobal = max(r.maxGlobal, n)
	}
	for i := range c.nodes {
		r.maxMirror = max(r.maxMirror, len(c.nodes[i].chain), len(c.nodes[i].terms))
	}
	r.maxLeaders = max(r.maxLeaders, len(c.leaders))
	r.maxPending = max(r.maxPending, len(c.pending))
}

// TestCheckerMemoryStaysFlat runs a million entries through a 3-server
// checker with snapshots every 10,000: what the checker retains stays
// bounded by the snapshot interval, not the run's length.
func TestCheckerMemoryStaysFlat(t *testing.T) {
	r := newLongRun(t)
	r.run(1_000_000)
	require.LessOrEqual(t, r.maxGlobal, 4*runSnapEvery, "global arrays")
	require.LessOrEqual(t, r.maxMirror, runSnapEvery+2*runBatch, "mirrors")
	require.LessOrEqual(t, r.maxLeaders, 2*leaderTrimMin, "leaders map (500 terms in the run)")
	require.Zero(t, r.maxPending, "the reference never lags")
	require.Greater(t, r.ch.base, uint64(1_000_000-4*runSnapEvery), "the base follows the durable snapshots")
	require.Equal(t, r.ch.known(), uint64(1_000_000))
	require.Equal(t, r.ch.refApplied(), uint64(1_000_000))
	// 500 terms: the floor moves each time the map doubles past leaderTrimMin.
	require.Greater(t, r.ch.leaderFloor, uint64(500-leaderTrimMin))
}

// BenchmarkCheckerCompaction measures the checker per entry over a long run
// with snapshots, and reports the longest retained arrays.
func BenchmarkCheckerCompaction(b *testing.B) {
	r := newLongRun(b)
	b.ReportAllocs()
	r.run(max(uint64(b.N)/runBatch, 1) * runBatch)
	b.ReportMetric(float64(r.maxGlobal), "global-slots")
	b.ReportMetric(float64(r.maxMirror), "mirror-slots")
}

func TestTrimmingRule(t *testing.T) {
	t.Run("a server whose snapshots never reach its disk holds the base", func(t *testing.T) {
		r := newLongRun(t)
		r.durable[2] = false
		r.run(50_000)
		require.Zero(t, r.ch.base)
		require.Greater(t, r.maxGlobal, 50_000)
	})
	t.Run("a restart from before the base is checked from the base on", func(t *testing.T) {
		r := newLongRun(t)
		r.run(40_000)
		base := r.ch.base
		require.Greater(t, base, uint64(0))
		// S3 restarts from a disk whose snapshot (at 100) is older than
		// anything the checker remembers: its log is mirrored from the base.
		old := raft.Snapshot{Meta: raft.SnapshotMeta{Index: 100, Term: 1}, Data: fsm.NewKV().Snapshot()}
		term := runTerm(r.commit)
		r.ch.Crash(3)
		r.must(r.ch.Restart(3, stc(raft.Follower, term, 100, 100, voters123),
			raft.Durable{HardState: raft.HardState{Term: term, Commit: 100}, Snapshot: old,
				Entries: runEnts(101, r.commit)}))
		require.Equal(t, base, r.ch.nodes[2].offset)
		require.Equal(t, r.commit, r.ch.nodes[2].last())
		// A disk with no snapshot and the whole log: all of it is mirrored.
		r.ch.Crash(2)
		r.must(r.ch.Restart(2, stc(raft.Follower, term, 0, 0, voters123),
			raft.Durable{HardState: raft.HardState{Term: term}, Entries: runEnts(1, r.commit)}))
		require.Zero(t, r.ch.nodes[1].offset)
		// States below the base are no longer known; above it they are.
		require.Nil(t, r.ch.StateHash(2, 50, 12345))
		expect(t, r.ch.StateHash(2, r.commit, 12345), StateMachineSafety, "S2")
		// The cluster goes on; S2's log from index 1 now holds the base.
		r.durable[1] = false
		r.run(20_000)
		require.Equal(t, base, r.ch.base)
	})
	t.Run("a violation after trimming is still caught", func(t *testing.T) {
		r := newLongRun(t)
		r.run(30_000)
		require.Greater(t, r.ch.base, uint64(0))
		term := runTerm(r.commit + 1)
		ents := runEnts(r.commit+1, r.commit+2)
		r.observe(1, raft.Follower, term, r.commit, raft.Ready{Entries: ents})
		r.observe(1, raft.Follower, term, r.commit+2, raft.Ready{Committed: ents})
		// S2 holds another entry at the second index, of a later term.
		bad := slices.Clone(ents)
		bad[1].Term, bad[1].Data = ents[1].Term+1, put(7)
		r.observe(2, raft.Follower, term, r.commit, raft.Ready{Entries: bad})
		v := r.ch.Observe(2, stc(raft.Follower, term, r.commit+2, r.commit+2, voters123), &raft.Ready{Committed: bad})
		expect(t, v, StateMachineSafety, fmt.Sprintf("index %d", r.commit+2))
	})
	t.Run("old terms are forgotten, recent ones are not", func(t *testing.T) {
		r := newLongRun(t)
		r.run(600_000) // 300 terms
		require.Greater(t, r.ch.leaderFloor, uint64(100))
		term := runTerm(r.commit)
		_, ok := r.ch.leaders[1]
		require.False(t, ok, "term 1 is long gone")
		require.LessOrEqual(t, len(r.ch.leaders), 2*leaderTrimMin)
		// A second leader of a recent term is still caught.
		leader := r.ch.leaders[term-1]
		other := leader%3 + 1
		v := r.ch.Observe(other, stc(raft.Leader, term-1, r.commit, r.commit, voters123), &raft.Ready{})
		expect(t, v, ElectionSafety, fmt.Sprintf("term %d", term-1))
	})
}

func TestCloneWithSnapshots(t *testing.T) {
	r := newLongRun(t)
	r.run(30_000)
	c := r.ch.Clone()
	// The original goes on (compacting, trimming and copying its reference
	// state machine); the clone is untouched and goes its own way.
	base, known := c.base, c.known()
	r.run(30_000)
	require.Equal(t, base, c.base)
	require.Equal(t, known, c.known())
	term := runTerm(known) + 1
	alt := []raft.Entry{{Index: known + 1, Term: term, Data: put(1_000_001)}}
	ok := func(id raft.ID, s raft.Status, rd raft.Ready) {
		t.Helper()
		require.Nil(t, c.Observe(id, s, &rd))
	}
	ok(3, stc(raft.Leader, term, known, known, voters123), raft.Ready{Entries: alt})
	ok(1, stc(raft.Follower, term, known, known, voters123), raft.Ready{Entries: alt})
	ok(3, stc(raft.Leader, term, known+1, known+1, voters123), raft.Ready{Committed: alt})
	// The clone's reference state machine was not touched by the original.
	want := stateOf(append(runEnts(1, known), alt...), known+1).Hash()
	require.Nil(t, c.StateHash(3, known+1, want))
	require.NotNil(t, c.StateHash(3, known+1, stateOf(runEnts(1, known+1), known+1).Hash()))
	// Nor was the original by the clone.
	r.run(10_000)
}
