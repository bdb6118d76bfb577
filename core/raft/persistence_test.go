package raft

// Tests of the persistence contract: what a server promises (a vote, an
// acknowledgement, its own share of a quorum) rests on stable storage.

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLeaderCountsItselfOnlyWhenDurable checks that a leader counts its own
// log toward a commit quorum only for entries its disk reports durable
// (StorageAppended), while acknowledgements from a quorum of followers commit
// without it. With the ack-before-durable toggle it counts itself at once.
// Reference: section 5.3 and Figure 2 (the leader is one of the majority)
func TestLeaderCountsItselfOnlyWhenDurable(t *testing.T) {
	tests := []struct {
		acks         []ID
		bug          bool
		commitBefore bool // committed before the leader's own write is durable
		commitAfter  bool // committed once it is
		why          string
	}{
		{[]ID{2}, false, false, true, "leader and S2 are a majority"},
		{[]ID{2, 3}, false, true, true, "S2 and S3 are a majority"},
		{nil, false, false, false, "the leader alone is no majority"},
		{[]ID{2}, true, true, true, "the bug counts the leader's unwritten entry"},
	}
	for i, tt := range tests {
		var opts []configOption
		if tt.bug {
			opts = append(opts, withBugs(BugAckBeforeDurable))
		}
		n := newTestNode(t, testConfig(1, peers(3), opts...), Durable{})
		n.Campaign()
		takeReady(n)
		step(t, n, Message{Type: MsgVoteResp, From: 2, To: 1, Term: 1})
		require.Equal(t, Leader, n.Role())
		rd := takeReady(n)
		require.Len(t, rd.Entries, 1, "the no-op")
		for _, id := range tt.acks {
			ackAppend(t, n, id, 1)
		}
		require.Equal(t, tt.commitBefore, n.Commit() == 1, "#%d before durable: %s", i, tt.why)
		n.StorageAppended(1, 1)
		require.Equal(t, tt.commitAfter, n.Commit() == 1, "#%d after durable: %s", i, tt.why)
	}
}

// TestTruncatedEntriesAreNotDurable checks that entries a follower replaces
// after a conflict no longer count as durable: if it becomes leader before
// the replacement is written, it counts itself only up to the common prefix,
// so its no-op does not commit on one follower's acknowledgement until its
// own write is durable.
// Reference: section 5.3, Figure 2
func TestTruncatedEntriesAreNotDurable(t *testing.T) {
	n := newTestNode(t, testConfig(1, peers(3)), Durable{HardState: HardState{Term: 1}, Entries: logOfTerms(1, 1, 1)})
	step(t, n, Message{Type: MsgApp, From: 2, To: 1, Term: 2, Index: 1, LogTerm: 1, Entries: []Entry{{Term: 2, Index: 2}}})
	require.Equal(t, []uint64{1, 2}, logTerms(n))
	takeReady(n) // index 2 (term 2) is not yet durable
	n.Campaign()
	takeReady(n)
	step(t, n, Message{Type: MsgVoteResp, From: 3, To: 1, Term: 3})
	require.Equal(t, Leader, n.Role())
	require.Equal(t, uint64(1), n.Progress(1).Match, "only index 1 is durable")
	takeReady(n)
	ackAppend(t, n, 3, 3)
	require.Equal(t, uint64(0), n.Commit(), "the leader's no-op is on S3 only")
	n.StorageAppended(3, 3)
	require.Equal(t, uint64(3), n.Commit())
}

// TestAcksMayRestOnEarlierWrites documents a point of the persistence
// contract: an acknowledgement can rest on a write handed out in an earlier
// Ready. A repeated append adds nothing to write, yet its answer must wait
// for the first write too: the caller's disk must make writes durable in
// order and release a Ready's MessagesAfterPersist only after every earlier
// write (as core/sim does).
// Reference: Figure 2 ("respond after updating stable storage")
func TestAcksMayRestOnEarlierWrites(t *testing.T) {
	n := newTestNode(t, testConfig(2, peers(3)), Durable{HardState: HardState{Term: 1}})
	app := Message{Type: MsgApp, From: 1, To: 2, Term: 1, Entries: logOfTerms(1)}
	step(t, n, app)
	first := takeReady(n)
	require.Len(t, first.Entries, 1)
	step(t, n, app) // the leader retries before the first write is durable
	second := takeReady(n)
	require.False(t, second.HardStateChanged)
	require.Empty(t, second.Entries, "nothing new to write")
	require.Equal(t, []Message{{Type: MsgAppResp, From: 2, To: 1, Term: 1, Index: 1}}, second.MessagesAfterPersist,
		"yet this acknowledgement rests on the first Ready's write")
}

// TestStorageAppendedIgnoresOverwrittenEntries checks that a durability
// report for entries the log no longer holds (another term at that index) is
// ignored, so that a leader never counts entries it does not have.
// Reference: section 5.3 (conflicting entries are replaced)
func TestStorageAppendedIgnoresOverwrittenEntries(t *testing.T) {
	n := newTestNode(t, testConfig(1, peers(3)), Durable{HardState: HardState{Term: 2}, Entries: logOfTerms(1)})
	step(t, n, Message{Type: MsgApp, From: 2, To: 1, Term: 2, Index: 1, LogTerm: 1, Entries: logOfTerms(1, 2, 2)[1:]})
	takeReady(n) // the write of index 2..3 (term 2) is in flight
	step(t, n, Message{Type: MsgApp, From: 3, To: 1, Term: 3, Index: 1, LogTerm: 1, Entries: logOfTerms(1, 3)[1:]})
	takeReady(n)
	n.StorageAppended(3, 2) // the first write lands: index 3 is gone
	require.Equal(t, uint64(1), n.stableIndex)
	n.StorageAppended(2, 3)
	require.Equal(t, uint64(2), n.stableIndex)
}

// restartFrom builds the Durable a server's disk holds after the given
// Readies were written, and starts a new server from it.
func restartFrom(t *testing.T, cfg Config, d Durable, readies ...Ready) *Node {
	t.Helper()
	for _, rd := range readies {
		if rd.HardStateChanged {
			d.HardState = rd.HardState
		}
		if len(rd.Entries) > 0 {
			d.Entries = append(d.Entries[:rd.Entries[0].Index-1:rd.Entries[0].Index-1], rd.Entries...)
		}
	}
	return newTestNode(t, cfg, d)
}

// TestRestartKeepsTermAndVote checks that currentTerm and votedFor survive a
// restart, so that a server cannot vote twice in one term. With the
// forget-vote-on-restart toggle the vote is not persisted, and the restarted
// server grants a second vote in the same term.
// Reference: Figure 2 (persistent state on all servers), section 5.2
func TestRestartKeepsTermAndVote(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			var opts []configOption
			if bug {
				opts = append(opts, withBugs(BugForgetVoteOnRestart))
			}
			cfg := testConfig(1, peers(3), opts...)
			n := newTestNode(t, cfg, Durable{HardState: HardState{Term: 4}})
			step(t, n, Message{Type: MsgVote, From: 2, To: 1, Term: 5})
			rd := takeReady(n)
			require.False(t, rd.MessagesAfterPersist[0].Reject)
			require.True(t, rd.HardStateChanged)

			restarted := restartFrom(t, cfg, Durable{HardState: HardState{Term: 4}}, rd)
			require.Equal(t, uint64(5), restarted.Term(), "the term is always persisted")
			step(t, restarted, Message{Type: MsgVote, From: 3, To: 1, Term: 5})
			resp := drain(t, restarted)
			require.Len(t, resp, 1)
			if bug {
				require.Equal(t, None, rd.HardState.Vote, "the bug leaves the vote out of the HardState")
				require.False(t, resp[0].Reject, "a second vote in term 5")
			} else {
				require.Equal(t, ID(2), restarted.Status().Vote)
				require.True(t, resp[0].Reject)
			}
		})
	}
}

// TestBugForgetVoteOnRestartElectsTwoLeaders plays BUGS.md's trigger through
// the network: S2 votes for S1 in term 1, crashes and restarts, and votes for
// S3 in term 1 too. Two leaders in one term break Election Safety; the
// correct core keeps S2's vote and S3 loses.
// Reference: section 5.2 (Election Safety), Figure 2
func TestBugForgetVoteOnRestartElectsTwoLeaders(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			var opts []configOption
			if bug {
				opts = append(opts, withBugs(BugForgetVoteOnRestart))
			}
			nw := newNetwork(t, 3, opts...)
			nw.isolate(3)
			// S1 wins term 1 with S2's vote; its appends are lost.
			nw.drop = func(m Message) bool { return m.From == 1 && m.Type == MsgApp }
			nw.campaign(1)
			require.Equal(t, Leader, nw.node(1).Role())
			nw.crash(2)
			nw.restart(2)
			nw.heal()
			nw.isolate(1)
			nw.campaign(3)
			require.Equal(t, uint64(1), nw.node(3).Term())
			if bug {
				require.Equal(t, Leader, nw.node(3).Role())
				require.ElementsMatch(t, []ID{1, 3}, nw.leaders[1], "two leaders in term 1")
			} else {
				require.Equal(t, Candidate, nw.node(3).Role())
				require.Equal(t, []ID{1}, nw.leaders[1])
			}
		})
	}
}

// TestAcksWaitForDurability checks that a follower's acknowledgement of
// appended entries and its vote leave only after the write they rest on
// (MessagesAfterPersist). With the ack-before-durable toggle they are in
// Messages, free to leave at once: a crash before the write lands loses an
// entry the leader counted.
// Reference: Figure 2 ("respond after updating stable storage"), etcd-io/raft README
func TestAcksWaitForDurability(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			var opts []configOption
			if bug {
				opts = append(opts, withBugs(BugAckBeforeDurable))
			}
			cfg := testConfig(2, peers(3), opts...)
			disk := Durable{HardState: HardState{Term: 1}}

			// A vote.
			n := newTestNode(t, cfg, disk)
			step(t, n, Message{Type: MsgVote, From: 1, To: 2, Term: 2})
			rd := takeReady(n)
			now, later := ofType(rd.Messages, MsgVoteResp), ofType(rd.MessagesAfterPersist, MsgVoteResp)
			if bug {
				require.Len(t, now, 1)
				require.Empty(t, later)
			} else {
				require.Empty(t, now)
				require.Len(t, later, 1)
			}

			// An acknowledgement of appended entries.
			n = newTestNode(t, cfg, disk)
			step(t, n, Message{Type: MsgApp, From: 1, To: 2, Term: 1, Entries: logOfTerms(1, 1)})
			rd = takeReady(n)
			require.Len(t, rd.Entries, 2)
			now, later = ofType(rd.Messages, MsgAppResp), ofType(rd.MessagesAfterPersist, MsgAppResp)
			if !bug {
				require.Empty(t, now)
				require.Len(t, later, 1)
				return
			}
			require.Empty(t, later)
			require.Len(t, now, 1)
			require.Equal(t, uint64(2), now[0].Index)
			// The server crashes before the write lands: it acknowledged
			// index 2 and holds nothing.
			restarted := restartFrom(t, cfg, disk)
			require.Equal(t, uint64(0), restarted.LastIndex())
		})
	}
}

// TestRestartReappliesCommittedEntries checks that a restarted server starts
// from its durable log and commit index and hands the committed entries to
// the state machine again, in order.
// Reference: Figure 2 (volatile state: lastApplied is reinitialized)
func TestRestartReappliesCommittedEntries(t *testing.T) {
	d := Durable{HardState: HardState{Term: 3, Vote: 2, Commit: 2}, Entries: logOfTerms(1, 2, 3)}
	n := newTestNode(t, testConfig(1, peers(3)), d)
	st := n.Status()
	require.Equal(t, Status{ID: 1, Role: Follower, Term: 3, Vote: 2, Commit: 2, LastIndex: 3, LastTerm: 3,
		ElectionTimeout: st.ElectionTimeout, Config: Configuration{Voters: peers(3)}}, st)
	rd := takeReady(n)
	require.False(t, rd.HardStateChanged)
	require.Empty(t, rd.Entries, "durable entries are not written again")
	require.Equal(t, logOfTerms(1, 2), rd.Committed)
	require.False(t, n.HasReady())
}
