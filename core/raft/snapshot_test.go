package raft

// Tests of log compaction and InstallSnapshot (paper §7, Figure 13; thesis
// chapter 5): local snapshots, chunked transfers and their failures, what a
// follower keeps of its log, and restarts from a snapshot and a log suffix.

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// snapChunks cuts s into the chunks of InstallSnapshot a leader of term
// sends, size bytes each, with Done and the configuration on the last one.
func snapChunks(from, to ID, term uint64, s Snapshot, size int) []Message {
	var out []Message
	for off := 0; ; off += size {
		end := min(off+size, len(s.Data))
		m := Message{Type: MsgSnap, From: from, To: to, Term: term, Index: s.Meta.Index, LogTerm: s.Meta.Term,
			Offset: uint64(off), Size: uint64(len(s.Data)), Data: s.Data[off:end]}
		if end == len(s.Data) {
			conf := s.Meta.Config.Clone()
			m.Done, m.Config = true, &conf
			return append(out, m)
		}
		out = append(out, m)
	}
}

// snapshotOf is a snapshot of a cluster S1..S3 that never changed its configuration.
func snapshotOf(index, term uint64, data string) Snapshot {
	return Snapshot{Meta: SnapshotMeta{Index: index, Term: term, Config: Configuration{Voters: peers(3)}}, Data: []byte(data)}
}

// snapOffsets lists the offsets of the delivered chunks of InstallSnapshot from from to to.
func (nw *network) snapOffsets(from, to ID) []uint64 {
	var out []uint64
	for _, m := range nw.delivered {
		if m.Type == MsgSnap && m.From == from && m.To == to {
			out = append(out, m.Offset)
		}
	}
	return out
}

// laggingFollowerNetwork returns a network of three servers with chunks of
// four bytes: S1 leads, S3 was cut off while a, b and c (indexes 2..4)
// committed, and S1 then compacted its log into a ten-byte snapshot at 4.
// S3 is reconnected; the next heartbeat starts the transfer.
func laggingFollowerNetwork(t *testing.T) *network {
	t.Helper()
	nw := newNetwork(t, 3, withSnapshotChunkBytes(4))
	nw.campaign(1)
	nw.isolate(3)
	for _, d := range []string{"a", "b", "c"} {
		nw.propose(1, d)
	}
	require.Equal(t, uint64(4), nw.node(1).Commit())
	require.Equal(t, uint64(1), nw.node(3).LastIndex())
	require.NoError(t, nw.node(1).CreateSnapshot(4, []byte("0123456789")))
	nw.send(nw.flush(1)...)
	require.Equal(t, uint64(4), nw.disks[1].Snapshot.Meta.Index)
	require.Empty(t, nw.disks[1].Entries, "the disk dropped the entries the snapshot covers")
	nw.heal()
	return nw
}

// TestCreateSnapshotCompactsLog checks that a server snapshots its applied
// state: the log drops the entries up to the snapshot's index (which becomes
// the log's offset, with its term), the snapshot comes back in a Ready to be
// written (without Restore: the state machine already holds it), and a
// snapshot past the applied index, or not newer than the latest, is refused.
// Reference: section 7 (log compaction), Figure 12
func TestCreateSnapshotCompactsLog(t *testing.T) {
	n := replicatingLeader(t, 3)
	for _, d := range []string{"a", "b", "c"} {
		_, _, err := n.Propose([]byte(d))
		require.NoError(t, err)
	}
	drain(t, n)
	ackAppend(t, n, 2, 4)
	drain(t, n)
	_, _, err := n.Propose([]byte("d"))
	require.NoError(t, err)
	drain(t, n)
	st := n.Status()
	require.Equal(t, [3]uint64{4, 4, 5}, [3]uint64{st.Commit, st.Applied, st.LastIndex})

	require.ErrorContains(t, n.CreateSnapshot(5, []byte("x")), "past the applied index",
		"index 5 is not committed, let alone applied")
	require.NoError(t, n.CreateSnapshot(3, []byte("state@3")))
	st = n.Status()
	require.Equal(t, uint64(3), st.SnapshotIndex)
	require.Equal(t, uint64(1), st.SnapshotTerm)
	require.Equal(t, uint64(5), st.LastIndex, "the entries after the snapshot stay")
	require.Equal(t, uint64(4), st.Commit)
	require.Equal(t, uint64(4), st.Applied)
	require.Equal(t, []uint64{4, 5}, indexes(n.Entries(1, 6)))
	want := Snapshot{Meta: SnapshotMeta{Index: 3, Term: 1, Config: Configuration{Voters: peers(3)}}, Data: []byte("state@3")}
	require.Equal(t, want, n.Snapshot())

	rd := takeReady(n)
	require.NotNil(t, rd.Snapshot)
	require.Equal(t, want, *rd.Snapshot)
	require.False(t, rd.Restore, "the state machine made it: nothing to restore")
	require.Empty(t, rd.Entries)
	require.Empty(t, rd.Committed)
	require.False(t, n.HasReady())

	require.ErrorContains(t, n.CreateSnapshot(3, nil), "not newer")
	require.ErrorContains(t, n.CreateSnapshot(2, nil), "not newer")
	require.NoError(t, n.CreateSnapshot(4, []byte("state@4")))
	require.Equal(t, uint64(4), n.Status().SnapshotIndex)

	// The leader goes on replicating what the log still holds.
	ackAppend(t, n, 2, 5)
	require.Equal(t, uint64(5), n.Commit())
}

func indexes(ents []Entry) []uint64 {
	var out []uint64
	for _, e := range ents {
		out = append(out, e.Index)
	}
	return out
}

// TestFollowerInstallsSnapshotInChunks checks the receiver's side of a
// chunked InstallSnapshot: each chunk is acknowledged with the bytes received
// so far; the last one installs the snapshot, which the next Ready hands out
// with Restore set, and the answer that says so (Done, with the index now
// held) waits until that Ready is durable. Commitment then resumes after
// the snapshot's index: only later entries are applied.
// Reference: section 7 and Figure 13 (InstallSnapshot RPC, receiver steps 2-8)
func TestFollowerInstallsSnapshotInChunks(t *testing.T) {
	n := newTestNode(t, testConfig(2, peers(3)), Durable{})
	snap := snapshotOf(5, 2, "0123456789")
	chunks := snapChunks(1, 2, 2, snap, 4)
	require.Len(t, chunks, 3)

	for i, off := range []uint64{4, 8} {
		step(t, n, chunks[i])
		rd := takeReady(n)
		require.Nil(t, rd.Snapshot, "chunk %d", i)
		require.Equal(t, []Message{{Type: MsgSnapResp, From: 2, To: 1, Term: 2, Index: 5, LogTerm: 2, Offset: off}},
			rd.Messages, "chunk %d", i)
		require.Empty(t, rd.MessagesAfterPersist)
		index, got, size := n.Receiving()
		require.Equal(t, [3]uint64{5, off, 10}, [3]uint64{index, got, size})
		require.Equal(t, uint64(0), n.Status().SnapshotIndex, "nothing installed before the last chunk")
	}

	step(t, n, chunks[2])
	rd := takeReady(n)
	require.NotNil(t, rd.Snapshot)
	require.Equal(t, snap, *rd.Snapshot)
	require.True(t, rd.Restore, "the state machine must load the leader's snapshot")
	require.Empty(t, rd.Committed, "the snapshot replaces the entries up to its index")
	require.Empty(t, rd.Messages)
	require.Equal(t, []Message{{Type: MsgSnapResp, From: 2, To: 1, Term: 2, Index: 5, LogTerm: 2,
		Offset: 10, Done: true, Commit: 5}}, rd.MessagesAfterPersist, "Done only once the snapshot is durable")
	require.True(t, rd.HardStateChanged)
	require.Equal(t, HardState{Term: 2, Commit: 5}, rd.HardState)
	st := n.Status()
	require.Equal(t, [5]uint64{5, 5, 5, 5, 2}, [5]uint64{st.Commit, st.Applied, st.LastIndex, st.SnapshotIndex, st.SnapshotTerm})
	require.Equal(t, Configuration{Voters: peers(3)}, st.Config)
	index, got, size := n.Receiving()
	require.Zero(t, index+got+size)

	// Replication resumes after the snapshot.
	step(t, n, Message{Type: MsgApp, From: 1, To: 2, Term: 2, Index: 5, LogTerm: 2,
		Entries: []Entry{{Term: 2, Index: 6, Data: []byte("x")}}, Commit: 6})
	rd = takeReady(n)
	require.Nil(t, rd.Snapshot)
	require.False(t, rd.Restore)
	require.Equal(t, []Entry{{Term: 2, Index: 6, Data: []byte("x")}}, rd.Committed)
	require.Equal(t, []Message{{Type: MsgAppResp, From: 2, To: 1, Term: 2, Index: 6}}, rd.MessagesAfterPersist)
}

// TestSnapshotReceiverRejectsOutOfOrderChunks checks that a receiver takes
// only the chunk that follows the bytes it holds: a chunk ahead of it, a
// repeated one, one of another snapshot or one with no transfer under way is
// rejected with the offset it expects (0 when it has nothing of that
// snapshot), and what it holds is kept.
// Reference: Figure 13 (receiver steps 2-4: offset order), thesis section 5.3
func TestSnapshotReceiverRejectsOutOfOrderChunks(t *testing.T) {
	chunks := snapChunks(1, 2, 1, snapshotOf(5, 1, "0123456789"), 4)
	other := snapChunks(1, 2, 1, snapshotOf(6, 1, "abcdefghij"), 4)
	tests := []struct {
		before []Message
		chunk  Message
		want   uint64 // the offset the rejection asks for
		got    uint64 // the bytes held afterwards
	}{
		{chunks[:1], chunks[2], 4, 4},
		{chunks[:2], chunks[1], 8, 8},
		{chunks[:1], other[1], 0, 4},
		{nil, chunks[1], 0, 0},
	}
	for i, tt := range tests {
		n := newTestNode(t, testConfig(2, peers(3)), Durable{})
		for _, m := range tt.before {
			step(t, n, m)
		}
		drain(t, n)
		step(t, n, tt.chunk)
		rd := takeReady(n)
		require.Nil(t, rd.Snapshot, "#%d", i)
		require.Equal(t, []Message{{Type: MsgSnapResp, From: 2, To: 1, Term: 1, Index: tt.chunk.Index,
			LogTerm: 1, Reject: true, Offset: tt.want}}, rd.Messages, "#%d", i)
		_, got, _ := n.Receiving()
		require.Equal(t, tt.got, got, "#%d", i)
	}
}

// TestLeaderSendsSnapshotInChunks checks the whole transfer through the
// network: a leader whose follower needs entries it has compacted sends its
// snapshot in chunks at increasing offsets, Done and the configuration on the
// last; the follower installs it and writes it to its disk, restores its
// state machine, and replication and commitment resume after the snapshot.
// Reference: section 7 ("the leader must occasionally send snapshots to
// followers that lag behind"), Figure 13
func TestLeaderSendsSnapshotInChunks(t *testing.T) {
	nw := laggingFollowerNetwork(t)
	var restored []bool
	var applied []uint64
	nw.observe = func(id ID, rd Ready) {
		if id == 3 {
			if rd.Snapshot != nil {
				restored = append(restored, rd.Restore)
			}
			applied = append(applied, indexes(rd.Committed)...)
		}
	}
	nw.tick(1, 1)

	require.Equal(t, []uint64{0, 4, 8}, nw.snapOffsets(1, 3))
	var resps []Message
	for _, m := range nw.delivered {
		switch {
		case m.Type == MsgSnap:
			require.Equal(t, [3]uint64{4, 1, 10}, [3]uint64{m.Index, m.LogTerm, m.Size})
			require.Equal(t, m.Offset == 8, m.Done, "Done on the last chunk only")
			require.Equal(t, m.Done, m.Config != nil)
			require.Equal(t, "0123456789"[m.Offset:m.Offset+uint64(len(m.Data))], string(m.Data))
		case m.Type == MsgSnapResp:
			resps = append(resps, m)
		}
	}
	require.Len(t, resps, 3)
	require.Equal(t, []uint64{4, 8}, []uint64{resps[0].Offset, resps[1].Offset})
	require.True(t, resps[2].Done)
	require.Equal(t, uint64(4), resps[2].Commit)

	require.Equal(t, []bool{true}, restored)
	require.Empty(t, applied, "S3 applies nothing the snapshot covers")
	st := nw.node(3).Status()
	require.Equal(t, [4]uint64{4, 4, 4, 4}, [4]uint64{st.SnapshotIndex, st.Commit, st.Applied, st.LastIndex})
	require.Equal(t, []byte("0123456789"), nw.disks[3].Snapshot.Data)
	require.Empty(t, nw.disks[3].Entries, "S3's old log (the no-op) is gone from its disk")
	p := nw.node(1).Progress(3)
	require.NotEqual(t, StateSnapshot, p.State)
	require.Equal(t, uint64(4), p.Match)
	require.Zero(t, nw.node(1).SnapshotFailures())

	index := nw.propose(1, "d")
	require.Equal(t, uint64(5), index)
	require.Equal(t, index, nw.node(3).Commit())
	require.Equal(t, []uint64{5}, applied, "commitment resumes after the snapshot")
	nw.requireLogsEqual(1, 3)

	// S3 restarts from its disk: the snapshot and the entry after it.
	nw.crash(3)
	nw.restart(3)
	st = nw.node(3).Status()
	require.Equal(t, [3]uint64{4, 5, 5}, [3]uint64{st.SnapshotIndex, st.LastIndex, st.Commit})
	require.Empty(t, nw.safety)
}

// TestLostSnapshotChunkIsResent checks that a chunk (or its answer) that is
// lost stalls the transfer only until the leader has gone two heartbeats
// without an answer: it then sends the chunk again, from the bytes the
// follower confirmed, and counts the failure.
// Reference: section 7, section 5.5 (a lost RPC is retried); thesis section 5.3
func TestLostSnapshotChunkIsResent(t *testing.T) {
	nw := laggingFollowerNetwork(t)
	lost := false
	nw.drop = func(m Message) bool {
		if m.Type == MsgSnap && m.Offset == 4 && !lost {
			lost = true
			return true
		}
		return false
	}
	nw.tick(1, 1)
	require.Equal(t, []uint64{0}, nw.snapOffsets(1, 3))
	index, got, size := nw.node(3).Receiving()
	require.Equal(t, [3]uint64{4, 4, 10}, [3]uint64{index, got, size})
	p := nw.node(1).Progress(3)
	require.Equal(t, StateSnapshot, p.State)
	require.Equal(t, uint64(4), p.SnapAcked)
	require.Equal(t, uint64(4), p.SnapshotIndex())
	require.Equal(t, uint64(10), p.SnapshotSize())

	nw.tick(1, 1)
	require.Equal(t, []uint64{0}, nw.snapOffsets(1, 3), "one heartbeat without an answer is not yet a loss")
	require.Zero(t, nw.node(1).SnapshotFailures())
	nw.tick(1, 1)
	require.Equal(t, []uint64{0, 4, 8}, nw.snapOffsets(1, 3), "resent from the confirmed offset")
	require.Equal(t, uint64(1), nw.node(1).SnapshotFailures())
	require.Equal(t, uint64(4), nw.node(3).Status().SnapshotIndex)
	require.NotEqual(t, StateSnapshot, nw.node(1).Progress(3).State)
}

// TestSnapshotReceiverRestartsMidTransfer checks that a receiver that
// restarts in the middle of a transfer, and so lost the chunks it held in
// memory, rejects the next chunk with offset 0, and that the leader starts
// the transfer over from there.
// Reference: Figure 13 (receiver step 2: create a new snapshot file if offset is 0), thesis section 5.3
func TestSnapshotReceiverRestartsMidTransfer(t *testing.T) {
	nw := laggingFollowerNetwork(t)
	crashed := false
	nw.drop = func(m Message) bool {
		if m.Type == MsgSnap && m.Offset == 4 && !crashed {
			// S3 crashes with the chunk in flight.
			crashed = true
			nw.crash(3)
			return true
		}
		return false
	}
	nw.tick(1, 1)
	require.True(t, crashed)
	nw.restart(3)
	index, _, _ := nw.node(3).Receiving()
	require.Zero(t, index, "a restarted server holds no partial snapshot")

	nw.tick(1, 2)
	require.Equal(t, []uint64{0, 4, 0, 4, 8}, nw.snapOffsets(1, 3))
	var rejects []Message
	for _, m := range nw.delivered {
		if m.Type == MsgSnapResp && m.Reject {
			rejects = append(rejects, m)
		}
	}
	require.Len(t, rejects, 1)
	require.Equal(t, uint64(0), rejects[0].Offset, "the restarted S3 wants the snapshot from the start")
	require.Equal(t, uint64(2), nw.node(1).SnapshotFailures(), "the resend after two heartbeats, then the restart")
	require.Equal(t, uint64(4), nw.node(3).Status().SnapshotIndex)
	nw.propose(1, "d")
	require.Equal(t, uint64(5), nw.node(3).Commit())
}

// TestNewLeaderRestartsSnapshotTransfer checks that when the sender of a
// snapshot crashes mid-transfer, the next leader sends its own snapshot from
// offset 0: the receiver drops the partial one of the earlier term.
// Reference: section 7, Figure 13 (receiver step 1: reply if term < currentTerm), thesis section 5.3
func TestNewLeaderRestartsSnapshotTransfer(t *testing.T) {
	nw := laggingFollowerNetwork(t)
	require.NoError(t, nw.node(2).CreateSnapshot(4, []byte("0123456789")))
	nw.send(nw.flush(2)...)
	nw.drop = func(m Message) bool {
		if m.Type == MsgSnap && m.From == 1 && m.Offset == 4 {
			nw.crash(1)
			return true
		}
		return false
	}
	nw.tick(1, 1)
	require.Nil(t, nw.node(1), "S1 crashed after its first chunk")
	index, got, _ := nw.node(3).Receiving()
	require.Equal(t, [2]uint64{4, 4}, [2]uint64{index, got})

	nw.campaign(2)
	require.Equal(t, Leader, nw.node(2).Role())
	require.Equal(t, []uint64{0, 4, 8}, nw.snapOffsets(2, 3), "the new leader starts over at offset 0")
	st := nw.node(3).Status()
	require.Equal(t, uint64(4), st.SnapshotIndex)
	require.Equal(t, uint64(5), st.Commit, "and S3 then takes S2's no-op")
	require.Equal(t, ID(2), st.Lead)
}

// TestStaleSnapshotNeverRollsBack checks that a snapshot that is not newer
// than what the follower has committed (a delayed chunk, or the leader's
// retry of a transfer whose answer was lost) is answered Done with the
// follower's commit index and installed nowhere: the applied and commit
// indexes never go back and the log stays. With the install-older-snapshot
// toggle the follower installs it: its state machine restarts from the older
// state and applies entries a second time.
// Reference: section 7 ("if the follower receives a snapshot that describes a prefix of its log..."),
// Figure 13 receiver step 6; redisraft issues 14, 43
func TestStaleSnapshotNeverRollsBack(t *testing.T) {
	tests := []struct {
		index  uint64
		offset uint64
		bug    bool
	}{
		{3, 0, false},
		{5, 0, false},
		{3, 4, false}, // a later chunk of a stale snapshot
		{3, 0, true},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			d := Durable{HardState: HardState{Term: 1, Commit: 5}, Entries: logOfTerms(1, 1, 1, 1, 1, 1)}
			n := newTestNode(t, testConfig(2, peers(3), bugOpts(BugInstallOlderSnapshot, tt.bug)...), d)
			drain(t, n)
			require.Equal(t, uint64(5), n.Status().Applied)
			for _, c := range snapChunks(1, 2, 1, snapshotOf(tt.index, 1, "01234567"), 4) {
				if c.Offset == tt.offset || (tt.bug && c.Offset > tt.offset) {
					step(t, n, c)
				}
			}
			st := n.Status()
			rd := takeReady(n)
			if tt.bug {
				require.Equal(t, uint64(3), st.Applied, "the applied index went back")
				require.Equal(t, uint64(3), st.SnapshotIndex)
				require.NotNil(t, rd.Snapshot)
				require.True(t, rd.Restore)
				require.Equal(t, []uint64{4, 5}, indexes(rd.Committed), "entries 4 and 5 applied a second time")
				return
			}
			require.Nil(t, rd.Snapshot)
			require.Empty(t, rd.Committed)
			require.Empty(t, rd.Messages)
			require.Equal(t, []Message{{Type: MsgSnapResp, From: 2, To: 1, Term: 1, Index: tt.index, LogTerm: 1,
				Done: true, Commit: 5}}, rd.MessagesAfterPersist)
			require.Equal(t, [4]uint64{5, 5, 6, 0}, [4]uint64{st.Applied, st.Commit, st.LastIndex, st.SnapshotIndex})
		})
	}
}

// TestStaleSnapshotOlderThanOwnSnapshot checks a follower that compacted
// its own log past a snapshot that arrives late: the old snapshot is
// answered Done and changes nothing, even with the install-older-snapshot
// toggle (which brings back only installs the log can take: its log no
// longer holds anything to restart from at that index).
// Reference: section 7, Figure 13 receiver step 6
func TestStaleSnapshotOlderThanOwnSnapshot(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			d := Durable{HardState: HardState{Term: 1, Commit: 6}, Snapshot: snapshotOf(4, 1, "own"),
				Entries: logOfTerms(1, 1, 1, 1, 1, 1)[4:]}
			n := newTestNode(t, testConfig(2, peers(3), bugOpts(BugInstallOlderSnapshot, bug)...), d)
			drain(t, n)
			step(t, n, snapChunks(1, 2, 1, snapshotOf(3, 1, "old"), 4)[0])
			msgs := drain(t, n)
			require.Len(t, msgs, 1)
			require.True(t, msgs[0].Done)
			st := n.Status()
			require.Equal(t, [4]uint64{6, 6, 6, 4}, [4]uint64{st.Applied, st.Commit, st.LastIndex, st.SnapshotIndex})
			require.Equal(t, []byte("own"), n.Snapshot().Data)
		})
	}
}

// TestRepeatedLastChunkIsAnsweredDone checks, through the network, a
// transfer whose final answer is lost: the leader resends the last chunk
// after two heartbeats, the follower (which installed the snapshot) answers
// Done again without installing it twice, and the leader goes back to
// appending.
// Reference: section 7, Figure 13 receiver step 6
func TestRepeatedLastChunkIsAnsweredDone(t *testing.T) {
	nw := laggingFollowerNetwork(t)
	lost := false
	nw.drop = func(m Message) bool {
		if m.Type == MsgSnapResp && m.Done && !lost {
			lost = true
			return true
		}
		return false
	}
	restores := 0
	nw.observe = func(id ID, rd Ready) {
		if id == 3 && rd.Snapshot != nil {
			restores++
		}
	}
	nw.tick(1, 1)
	require.Equal(t, StateSnapshot, nw.node(1).Progress(3).State)
	require.Equal(t, uint64(4), nw.node(3).Status().SnapshotIndex)
	nw.tick(1, 2)
	require.Equal(t, []uint64{0, 4, 8, 8}, nw.snapOffsets(1, 3))
	require.Equal(t, 1, restores)
	require.Equal(t, uint64(4), nw.node(3).Status().Applied)
	require.Equal(t, uint64(4), nw.node(1).Progress(3).Match)
	require.NotEqual(t, StateSnapshot, nw.node(1).Progress(3).State)
	nw.propose(1, "d")
	require.Equal(t, uint64(5), nw.node(3).Commit())
}

// TestInstallSnapshotKeepsMatchingSuffix checks what a follower keeps of its
// log when a snapshot arrives: if the log holds the snapshot's last entry
// (same index and term), the entries following it are retained; otherwise
// the whole log is discarded. With the drop-suffix-on-snapshot toggle the
// retained entries are discarded too.
// Reference: section 7 ("If instead the follower receives a snapshot that
// describes a prefix of its log ... entries following it are retained"), Figure 13 steps 6-7
func TestInstallSnapshotKeepsMatchingSuffix(t *testing.T) {
	tests := []struct {
		index, term uint64
		bug         bool
		wantLast    uint64
		wantTerms   []uint64 // of the entries after the snapshot
	}{
		{4, 2, false, 6, []uint64{2, 2}},
		{4, 2, true, 4, nil},
		{4, 3, false, 4, nil}, // the log's entry 4 has another term
		{8, 2, false, 8, nil}, // past the log's end
		{6, 2, false, 6, nil}, // the log's last entry
		{5, 2, true, 5, nil},  // the toggle drops entry 6
		{3, 2, false, 6, []uint64{2, 2, 2}},
	}
	for i, tt := range tests {
		d := Durable{HardState: HardState{Term: 2, Commit: 2}, Entries: logOfTerms(1, 1, 2, 2, 2, 2)}
		n := newTestNode(t, testConfig(2, peers(3), bugOpts(BugDropSuffixOnSnapshot, tt.bug)...), d)
		drain(t, n)
		step(t, n, snapChunks(1, 2, tt.term, snapshotOf(tt.index, tt.term, "snap"), 16)[0])
		rd := takeReady(n)
		require.NotNil(t, rd.Snapshot, "#%d", i)
		require.Empty(t, rd.Entries, "#%d: retained entries are already on the disk", i)
		st := n.Status()
		require.Equal(t, tt.index, st.SnapshotIndex, "#%d", i)
		require.Equal(t, tt.index, st.Commit, "#%d", i)
		require.Equal(t, tt.wantLast, st.LastIndex, "#%d", i)
		var terms []uint64
		for _, e := range n.Entries(1, st.LastIndex+1) {
			terms = append(terms, e.Term)
		}
		require.Equal(t, tt.wantTerms, terms, "#%d", i)
		require.Equal(t, []Message{{Type: MsgSnapResp, From: 2, To: 1, Term: tt.term, Index: tt.index,
			LogTerm: tt.term, Offset: 4, Done: true, Commit: tt.index}}, rd.MessagesAfterPersist, "#%d", i)
	}
}

// TestDiscardedLogIsNotDurable checks that a follower that discards its log
// for a snapshot counts as durable only what the snapshot covers: if it then
// becomes leader, it counts itself toward a quorum for its no-op only once
// that entry is written, and a durability report for it is not ignored.
// Reference: section 7 (discard the entire log), Figure 2; as TestTruncatedEntriesAreNotDurable
func TestDiscardedLogIsNotDurable(t *testing.T) {
	n := newTestNode(t, testConfig(1, peers(3)), Durable{HardState: HardState{Term: 1, Commit: 1},
		Entries: logOfTerms(1, 1, 1, 1, 1)})
	step(t, n, snapChunks(2, 1, 2, snapshotOf(3, 2, "snap"), 16)[0])
	drain(t, n)
	require.Equal(t, uint64(3), n.LastIndex(), "entry 3 had term 1: the whole log is gone")
	n.Campaign()
	drain(t, n)
	step(t, n, Message{Type: MsgVoteResp, From: 3, To: 1, Term: 3})
	require.Equal(t, Leader, n.Role())
	require.Equal(t, uint64(3), n.Progress(1).Match, "only the snapshot is durable")
	rd := takeReady(n)
	require.Equal(t, []uint64{4}, indexes(rd.Entries), "the no-op")
	ackAppend(t, n, 3, 4)
	require.Equal(t, uint64(3), n.Commit(), "the no-op is durable on S3 only")
	n.StorageAppended(4, 3)
	require.Equal(t, uint64(4), n.Commit())
}

// TestRestartFromSnapshot checks a restart at each step of the sequence
// "write the snapshot, then truncate the log": (a) the snapshot is not yet
// durable and the full log is; (b) the snapshot is durable and the old log
// is still all there, entries the snapshot covers included; (c) the log has
// been cut to the suffix after the snapshot. Each start gives the same log
// after the snapshot, commit index and configuration, and re-applies only
// the committed entries after the snapshot. A log that does not hold the
// snapshot's last entry (an installed snapshot, written before the old log
// was dropped) is dropped whole, with the configurations its entries set.
// Reference: section 7 (Figure 12), Figure 2 (lastApplied is volatile); thesis section 5.1
func TestRestartFromSnapshot(t *testing.T) {
	learner := Configuration{Voters: peers(3), Learners: []ID{4}, Index: 2}
	promoted := Configuration{Voters: peers(4), Index: 5}
	ents := []Entry{
		{Term: 1, Index: 1, Type: EntryNoop},
		{Term: 1, Index: 2, Type: EntryConfig, Data: encodeConfig(&learner)},
		{Term: 2, Index: 3, Data: []byte("c")},
		{Term: 2, Index: 4, Data: []byte("d")},
		{Term: 2, Index: 5, Type: EntryConfig, Data: encodeConfig(&promoted)},
	}
	hs := HardState{Term: 2, Vote: 1, Commit: 4}
	snap := Snapshot{Meta: SnapshotMeta{Index: 3, Term: 2, Config: learner}, Data: []byte("state@3")}
	// An installed snapshot at 3 of term 2, over an old log whose entry 3 has
	// term 1 or that ends before 3: the old log, its learner included, goes.
	installed := Snapshot{Meta: SnapshotMeta{Index: 3, Term: 2, Config: Configuration{Voters: peers(3)}}, Data: []byte("s")}
	oldLearner := Configuration{Voters: peers(3), Learners: []ID{5}, Index: 2}
	old := []Entry{{Term: 1, Index: 1}, {Term: 1, Index: 2, Type: EntryConfig, Data: encodeConfig(&oldLearner)},
		{Term: 1, Index: 3}, {Term: 1, Index: 4}}

	tests := []struct {
		name      string
		d         Durable
		snapIndex uint64
		last      uint64
		commit    uint64
		conf      Configuration
		reapplied []uint64
	}{
		{"a: log only", Durable{HardState: hs, Entries: ents}, 0, 5, 4, promoted, []uint64{1, 2, 3, 4}},
		{"b: snapshot and the whole log", Durable{HardState: hs, Snapshot: snap, Entries: ents}, 3, 5, 4, promoted, []uint64{4}},
		{"c: snapshot and suffix", Durable{HardState: hs, Snapshot: snap, Entries: ents[3:]}, 3, 5, 4, promoted, []uint64{4}},
		{"c: snapshot alone", Durable{HardState: HardState{Term: 2, Commit: 3}, Snapshot: snap}, 3, 3, 3, learner, nil},
		{"b: old log of another term", Durable{HardState: HardState{Term: 2, Commit: 1}, Snapshot: installed, Entries: old},
			3, 3, 3, installed.Meta.Config, nil},
		{"b: old log too short", Durable{HardState: HardState{Term: 2, Commit: 1}, Snapshot: installed, Entries: old[:2]},
			3, 3, 3, installed.Meta.Config, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newTestNode(t, testConfig(1, peers(3)), tt.d)
			st := n.Status()
			require.Equal(t, tt.snapIndex, st.SnapshotIndex)
			require.Equal(t, tt.last, st.LastIndex)
			require.Equal(t, uint64(2), st.LastTerm)
			require.Equal(t, tt.commit, st.Commit)
			require.Equal(t, tt.snapIndex, st.Applied, "the state machine starts from the durable snapshot")
			require.Equal(t, tt.conf, st.Config)
			require.Equal(t, tt.d.Snapshot, n.Snapshot())
			rd := takeReady(n)
			require.Nil(t, rd.Snapshot, "the snapshot is durable already")
			require.Empty(t, rd.Entries, "so are the entries")
			require.Equal(t, tt.reapplied, indexes(rd.Committed))
			for _, e := range rd.Committed {
				require.Equal(t, ents[e.Index-1], e)
			}
			require.False(t, n.HasReady())
		})
	}
}

// TestRestartRefusesInconsistentDisk checks that a server does not start
// from a disk whose log leaves a gap after the snapshot or whose snapshot
// is of a term later than the current one.
// Reference: section 7, Figure 2
func TestRestartRefusesInconsistentDisk(t *testing.T) {
	for _, d := range []Durable{
		{HardState: HardState{Term: 2}, Snapshot: snapshotOf(3, 2, "s"), Entries: logOfTerms(2, 2, 2, 2, 2)[4:]},
		{HardState: HardState{Term: 1}, Snapshot: snapshotOf(3, 2, "s")},
		{HardState: HardState{Term: 2, Commit: 5}, Snapshot: snapshotOf(3, 2, "s"), Entries: logOfTerms(2, 2, 2, 2)[3:]},
	} {
		_, err := NewNode(testConfig(1, peers(3)), d)
		require.Error(t, err)
	}
}

// TestSnapshotAndLogSurviveRestartsInNetwork runs a cluster through
// compactions and restarts: every server snapshots at its applied index; one
// crashes, misses an entry that the leader then compacts away, and restarts
// from its disk (snapshot plus suffix); the leader brings it up to date with
// an InstallSnapshot, and no two servers ever apply different entries at an
// index.
// Reference: section 7, section 5.4.3 (State Machine Safety)
func TestSnapshotAndLogSurviveRestartsInNetwork(t *testing.T) {
	nw := newNetwork(t, 3, withSnapshotChunkBytes(3))
	nw.campaign(1)
	snapshot := func(id ID) {
		n := nw.node(id)
		if st := n.Status(); st.Applied > st.SnapshotIndex {
			require.NoError(t, n.CreateSnapshot(st.Applied, fmt.Appendf(nil, "S%d@%d", id, st.Applied)))
			nw.send(nw.flush(id)...)
		}
	}
	for round := range 4 {
		for i := range 3 {
			nw.propose(1, fmt.Sprintf("%d.%d", round, i))
		}
		for _, id := range nw.ids {
			snapshot(id)
		}
		down := ID(round%2 + 2)
		nw.crash(down)
		nw.propose(1, fmt.Sprintf("%d.x", round))
		snapshot(1)
		sent := nw.count(func(m Message) bool { return m.Type == MsgSnap && m.To == down })
		nw.restart(down)
		require.Equal(t, nw.disks[down].Snapshot.Meta.Index, nw.node(down).Status().SnapshotIndex)
		nw.tick(1, 3)
		require.Greater(t, nw.count(func(m Message) bool { return m.Type == MsgSnap && m.To == down }), sent,
			"round %d: %v needs the leader's snapshot", round, down)
		require.Equal(t, nw.node(1).Status().SnapshotIndex, nw.node(down).Status().SnapshotIndex)
		require.Equal(t, nw.node(1).Commit(), nw.node(down).Commit())
	}
	require.Empty(t, nw.safety)
	last := nw.node(1).LastIndex()
	require.Equal(t, uint64(17), last)
	for _, id := range nw.ids {
		require.Equal(t, last, nw.node(id).Status().Applied)
	}
	require.Zero(t, nw.node(1).SnapshotFailures())
}
