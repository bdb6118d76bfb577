package raft

// Each bug toggle of BUGS.md, switched on in a minimal setting, does what
// its documentation says; the same setting without the toggle is correct.
// (commit-previous-term, forget-vote-on-restart and ack-before-durable are
// exercised next to the rules they break: TestLeaderOnlyCommitsLogFromCurrentTerm,
// TestFigure8, TestRestartKeepsTermAndVote, TestBugForgetVoteOnRestartElectsTwoLeaders,
// TestAcksWaitForDurability and TestLeaderCountsItselfOnlyWhenDurable.)

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func bugOpts(bug Bug, on bool) []configOption {
	if !on {
		return nil
	}
	return []configOption{withBugs(bug)}
}

// TestBugSkipLogConsistencyCheck checks the skip-log-consistency-check
// toggle: a follower with a stale entry at prevLogIndex accepts the new
// leader's entries after it, so that its log and the leader's hold the same
// index 3 over different index-2 entries (Log Matching broken). A follower
// missing prevLogIndex altogether still refuses.
// Reference: section 5.3 (consistency check)
func TestBugSkipLogConsistencyCheck(t *testing.T) {
	tests := []struct {
		prev    uint64
		bug     bool
		reject  bool
		wantLog []uint64
	}{
		{2, false, true, []uint64{1, 2}},
		{2, true, false, []uint64{1, 2, 3}},
		{5, false, true, []uint64{1, 2}},
		{5, true, true, []uint64{1, 2}},
	}
	for i, tt := range tests {
		// The leader's log is 1, 3, 3: the follower's index 2 (term 2) is stale.
		n := newTestNode(t, testConfig(2, peers(3), bugOpts(BugSkipLogConsistencyCheck, tt.bug)...),
			Durable{HardState: HardState{Term: 2}, Entries: logOfTerms(1, 2)})
		step(t, n, Message{Type: MsgApp, From: 1, To: 2, Term: 3, Index: tt.prev, LogTerm: 3,
			Entries: []Entry{{Term: 3, Index: tt.prev + 1}}})
		msgs := drain(t, n)
		require.Len(t, msgs, 1, "#%d", i)
		require.Equal(t, tt.reject, msgs[0].Reject, "#%d", i)
		require.Equal(t, tt.wantLog, logTerms(n), "#%d", i)
	}
}

// TestBugCountStaleVotes checks the count-stale-votes toggle: a vote granted
// for a candidate's earlier term, arriving after it moved to the next term,
// wins it an election that no majority granted in that term. The correct
// candidate drops it.
// Reference: section 5.2 (votes are per term); akka-raft issues 45-47
func TestBugCountStaleVotes(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			n := newTestNode(t, testConfig(1, peers(3), bugOpts(BugCountStaleVotes, bug)...), Durable{})
			n.Campaign() // term 1; S2's grant is delayed
			drain(t, n)
			n.Campaign() // the timer fires again: term 2
			drain(t, n)
			step(t, n, Message{Type: MsgVoteResp, From: 2, To: 1, Term: 1})
			require.Equal(t, uint64(2), n.Term())
			if bug {
				require.Equal(t, Leader, n.Role(), "a term-1 vote counted in term 2")
			} else {
				require.Equal(t, Candidate, n.Role())
			}
		})
	}
}

// TestBugTruncateWithoutConflict checks the truncate-without-conflict toggle:
// a reordered, older append whose entries all match makes the follower drop
// the entries after them, entries it has already acknowledged. The correct
// follower keeps its log (it truncates only at a conflict).
// Reference: section 5.3 ("if an existing entry conflicts ... delete it and
// all that follow"); MIT 6.824 students' guide to Raft
func TestBugTruncateWithoutConflict(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			n := newTestNode(t, testConfig(2, peers(3), bugOpts(BugTruncateWithoutConflict, bug)...), Durable{HardState: HardState{Term: 1}})
			step(t, n, Message{Type: MsgApp, From: 1, To: 2, Term: 1, Entries: logOfTerms(1, 1, 1)})
			require.Equal(t, uint64(3), drain(t, n)[0].Index, "index 3 acknowledged")
			// The older append of index 1 alone arrives late.
			step(t, n, Message{Type: MsgApp, From: 1, To: 2, Term: 1, Entries: logOfTerms(1)})
			rd := takeReady(n)
			if bug {
				require.Equal(t, uint64(1), n.LastIndex(), "acknowledged entries 2 and 3 are gone")
				require.Equal(t, logOfTerms(1), rd.Entries, "the disk is told to drop them too")
			} else {
				require.Equal(t, uint64(3), n.LastIndex())
				require.Empty(t, rd.Entries)
			}
		})
	}
}

// TestBugToggleNames checks that every toggle has a documented, unique name
// that parses back to it, and that an unknown name is refused with the list
// of known ones.
func TestBugToggleNames(t *testing.T) {
	docs := BugDocs()
	var all Bugs
	for _, d := range docs {
		require.NotEmpty(t, d.Summary)
		require.NotEmpty(t, d.CaughtBy)
		require.NotEmpty(t, d.Reference)
		require.False(t, all.Has(d.Bug), "%s listed twice", d.Name)
		all = all.With(d.Bug)
		b, err := ParseBug(d.Name)
		require.NoError(t, err)
		require.Equal(t, d.Bug, b)
		require.Equal(t, d.Name, b.Name())
	}
	require.Equal(t, Bugs(bugEnd-1), all, "every toggle is documented")
	require.Len(t, all.Names(), len(docs))
	require.Equal(t, "none", Bugs(0).String())
	require.Equal(t, "commit-previous-term,ack-before-durable",
		Bugs(0).With(BugAckBeforeDurable).With(BugCommitPreviousTerm).String())
	_, err := ParseBug("commit-prevous-term")
	require.ErrorContains(t, err, `unknown bug toggle "commit-prevous-term"`)
	require.ErrorContains(t, err, "commit-previous-term")
}
