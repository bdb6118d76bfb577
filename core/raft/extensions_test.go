package raft

// Tests of the PreVote and CheckQuorum extensions, from Ongaro's thesis
// ("Consensus: Bridging Theory and Practice", 2014).

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// tickUntilCampaign ticks a follower until its election timer fires.
func tickUntilCampaign(t *testing.T, n *Node) {
	t.Helper()
	for range 2 * testElectionTicks {
		n.Tick()
		if n.Role() != Follower {
			return
		}
	}
	t.Fatalf("%v never campaigned", n.ID())
}

// TestPreCandidateKeepsTerm checks that with PreVote an expired timer starts
// a pre-election that changes nothing durable: the term and vote stay, the
// PreVote requests carry the next term and leave at once. Only a majority of
// pre-votes starts the real election, at the next term.
// Reference: thesis section 9.6
func TestPreCandidateKeepsTerm(t *testing.T) {
	n := newTestNode(t, testConfig(1, peers(3), withPreVote), Durable{HardState: HardState{Term: 2, Vote: 3}})
	tickUntilCampaign(t, n)
	require.Equal(t, PreCandidate, n.Role())
	require.Equal(t, uint64(2), n.Term())
	require.Equal(t, ID(3), n.Status().Vote)
	rd := takeReady(n)
	require.False(t, rd.HardStateChanged)
	require.Empty(t, rd.MessagesAfterPersist)
	require.Len(t, rd.Messages, 2)
	for _, m := range rd.Messages {
		require.Equal(t, MsgPreVote, m.Type)
		require.Equal(t, uint64(3), m.Term)
	}

	// Pre-elections that get no answer never raise the term.
	for range 5 {
		tickUntilCampaignAgain(t, n)
		require.Equal(t, uint64(2), n.Term())
		drain(t, n)
	}

	// A rejection from a majority ends the pre-election, term unchanged.
	for _, id := range []ID{2, 3} {
		step(t, n, Message{Type: MsgPreVoteResp, From: id, To: 1, Term: 2, Reject: true})
	}
	require.Equal(t, Follower, n.Role())
	require.Equal(t, uint64(2), n.Term())

	// A majority of grants starts the real election.
	n.Campaign()
	drain(t, n)
	step(t, n, Message{Type: MsgPreVoteResp, From: 2, To: 1, Term: 3})
	require.Equal(t, Candidate, n.Role())
	require.Equal(t, uint64(3), n.Term())
	rd = takeReady(n)
	require.Equal(t, HardState{Term: 3, Vote: 1}, rd.HardState)
	require.Len(t, ofType(rd.MessagesAfterPersist, MsgVote), 2)
}

// tickUntilCampaignAgain ticks a pre-candidate or candidate until its
// election timer fires again (its elapsed count drops back to zero).
func tickUntilCampaignAgain(t *testing.T, n *Node) {
	t.Helper()
	for range 2 * testElectionTicks {
		n.Tick()
		if n.Status().ElectionElapsed == 0 {
			return
		}
	}
	t.Fatalf("%v never campaigned again", n.ID())
}

// TestPreVoteGrant checks how a server answers a PreVote: it grants it to a
// candidate with an up-to-date log and a later term without changing its own
// term or vote, and rejects it otherwise.
// Reference: thesis section 9.6
func TestPreVoteGrant(t *testing.T) {
	tests := []struct {
		term, index, logTerm uint64
		reject               bool
	}{
		{3, 2, 2, false}, // up-to-date, later term
		{3, 5, 2, false},
		{3, 1, 2, true}, // shorter log
		{3, 9, 1, true}, // earlier last term
	}
	for i, tt := range tests {
		n := newTestNode(t, testConfig(1, peers(3), withPreVote), Durable{HardState: HardState{Term: 2, Vote: 2}, Entries: logOfTerms(1, 2)})
		step(t, n, Message{Type: MsgPreVote, From: 3, To: 1, Term: tt.term, Index: tt.index, LogTerm: tt.logTerm})
		rd := takeReady(n)
		require.False(t, rd.HardStateChanged, "#%d", i)
		require.Len(t, rd.Messages, 1, "#%d", i)
		require.Equal(t, tt.reject, rd.Messages[0].Reject, "#%d", i)
		require.Equal(t, uint64(2), n.Term(), "#%d", i)
		require.Equal(t, ID(2), n.Status().Vote, "#%d", i)
	}
}

// TestRejoiningNodeDisruption checks that a server cut off from the cluster
// and rejoining does not depose a working leader when it uses PreVote: its
// pre-elections never raised its term, and the others refuse its behind log.
// Without PreVote its term climbs while it is away and its return forces an
// election. PreVote alone cannot refuse a rejoining server whose log is as
// up-to-date as the others' (nothing was committed meanwhile); CheckQuorum's
// lease does.
// Reference: thesis sections 9.6 and 6.2
func TestRejoiningNodeDisruption(t *testing.T) {
	tests := []struct {
		preVote, checkQuorum, commitMeanwhile bool
		disrupted                             bool
	}{
		{false, false, true, true},
		{true, false, true, false},
		{true, false, false, true},
		{true, true, false, false},
		{true, true, true, false},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("prevote=%v,checkquorum=%v,commit=%v", tt.preVote, tt.checkQuorum, tt.commitMeanwhile)
		t.Run(name, func(t *testing.T) {
			var opts []configOption
			if tt.preVote {
				opts = append(opts, withPreVote)
			}
			if tt.checkQuorum {
				opts = append(opts, withCheckQuorum)
			}
			nw := newNetwork(t, 3, opts...)
			nw.campaign(1)
			term := nw.node(1).Term()
			nw.isolate(3)
			if tt.commitMeanwhile {
				nw.propose(1, "x")
			}
			nw.tick(3, 10*testElectionTicks)
			if tt.preVote {
				require.Equal(t, term, nw.node(3).Term(), "pre-elections do not raise the term")
			} else {
				require.Greater(t, nw.node(3).Term(), term)
			}

			nw.heal()
			tickUntilCampaignAgain(t, nw.node(3))
			nw.send(nw.flush(3)...)
			if tt.disrupted {
				require.NotEqual(t, term, nw.node(1).Term())
				return
			}
			require.Equal(t, Leader, nw.node(1).Role())
			require.Equal(t, term, nw.node(1).Term())
			require.Equal(t, term, nw.node(2).Term())
			// The leader's next heartbeat brings S3 back.
			nw.tick(1, 1)
			require.Equal(t, ID(1), nw.node(3).Lead())
			nw.requireLogsEqual(1, 2, 3)
		})
	}
}

// TestLeaderStepsDownWithoutQuorum checks CheckQuorum: a leader that has not
// heard from a majority for a whole election timeout steps down, so that
// clients stop waiting on it; a leader that hears from a majority stays. The
// check runs once per election timeout over what was heard since the last
// one (as in etcd), so a leader cut off right after a check steps down
// after between one and two election timeouts.
// Reference: thesis section 6.2
func TestLeaderStepsDownWithoutQuorum(t *testing.T) {
	tests := []struct {
		checkQuorum, isolated, stays bool
	}{
		{true, true, false},
		{true, false, true},
		{false, true, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("checkquorum=%v,isolated=%v", tt.checkQuorum, tt.isolated), func(t *testing.T) {
			var opts []configOption
			if tt.checkQuorum {
				opts = append(opts, withCheckQuorum)
			}
			nw := newNetwork(t, 3, opts...)
			nw.campaign(1) // the followers answer its first appends
			if tt.isolated {
				nw.isolate(1)
			}
			nw.tick(1, testElectionTicks)
			require.Equal(t, Leader, nw.node(1).Role(), "it heard from a majority within the last timeout")
			if tt.stays {
				nw.tick(1, 3*testElectionTicks)
				require.Equal(t, Leader, nw.node(1).Role())
				return
			}
			nw.tick(1, testElectionTicks-1)
			require.Equal(t, Leader, nw.node(1).Role())
			nw.tick(1, 1)
			require.Equal(t, Follower, nw.node(1).Role(), "a whole election timeout without a majority")
			require.Equal(t, uint64(1), nw.node(1).Term(), "stepping down does not change the term")
			require.Equal(t, None, nw.node(1).Lead())
		})
	}
}

// TestFollowerIgnoresVoteWithinLease checks CheckQuorum's other half: a
// server that heard from a leader within the minimum election timeout ignores
// a RequestVote of a higher term (it neither adopts the term nor answers);
// once that time has passed, it considers the request.
// Reference: thesis sections 6.2 and 4.2.3
func TestFollowerIgnoresVoteWithinLease(t *testing.T) {
	for _, checkQuorum := range []bool{false, true} {
		t.Run(fmt.Sprintf("checkquorum=%v", checkQuorum), func(t *testing.T) {
			var opts []configOption
			if checkQuorum {
				opts = append(opts, withCheckQuorum)
			}
			nw := newNetwork(t, 3, opts...)
			nw.campaign(1)
			nw.isolate(1)
			nw.campaign(3) // term 2
			if !checkQuorum {
				require.Equal(t, uint64(2), nw.node(2).Term())
				require.Equal(t, Leader, nw.node(3).Role())
				return
			}
			require.Equal(t, uint64(1), nw.node(2).Term())
			require.Equal(t, ID(1), nw.node(2).Lead())
			require.Equal(t, Candidate, nw.node(3).Role())
			answers := nw.count(func(m Message) bool { return m.Type == MsgVoteResp && m.From == 2 && m.To == 3 })
			require.Zero(t, answers, "S2 did not answer S3")
		})
	}

	// After an election timeout without the leader, the lease is over.
	var n *Node
	for seed := uint64(1); ; seed++ {
		n = newTestNode(t, testConfig(2, peers(3), withCheckQuorum, withSeed(seed)), Durable{HardState: HardState{Term: 1}})
		if n.Status().ElectionTimeout > testElectionTicks {
			break
		}
	}
	step(t, n, Message{Type: MsgHeartbeat, From: 1, To: 2, Term: 1})
	drain(t, n)
	vote := Message{Type: MsgVote, From: 3, To: 2, Term: 2}
	step(t, n, vote)
	require.Equal(t, uint64(1), n.Term())
	require.Empty(t, drain(t, n))
	for range testElectionTicks {
		n.Tick()
	}
	require.Equal(t, Follower, n.Role())
	step(t, n, vote)
	require.Equal(t, uint64(2), n.Term())
	resp := drain(t, n)
	require.Equal(t, []Message{{Type: MsgVoteResp, From: 2, To: 3, Term: 2}}, resp)
}
