package raft

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLeadershipTransferToUpToDateFollower: the leader sends TimeoutNow to a
// caught-up voter, which wins the next term at once, even with CheckQuorum
// leases on every voter.
// Reference: thesis section 3.10
func TestLeadershipTransferToUpToDateFollower(t *testing.T) {
	nw := newNetwork(t, 3, withCheckQuorum, withPreVote)
	nw.campaign(1)
	require.Equal(t, Leader, nw.node(1).Role())
	nw.propose(1, "x")
	require.NoError(t, nw.node(1).TransferLeadership(3))
	nw.send(nw.flush(1)...)
	require.Equal(t, Leader, nw.node(3).Role())
	require.Equal(t, uint64(2), nw.node(3).Term(), "no pre-election: TimeoutNow starts the real one")
	require.Equal(t, Follower, nw.node(1).Role())
	require.Equal(t, 1, nw.count(func(m Message) bool { return m.Type == MsgTimeoutNow }))
	nw.propose(3, "y")
	nw.requireLogsEqual(1, 2, 3)
}

// TestLeadershipTransferCatchesUpALaggingFollower: a transferee behind the
// leader first receives what it lacks; proposals are refused meanwhile.
func TestLeadershipTransferCatchesUpALaggingFollower(t *testing.T) {
	nw := newNetwork(t, 3)
	nw.campaign(1)
	nw.isolate(3)
	nw.propose(1, "a")
	nw.propose(1, "b")
	require.Less(t, nw.node(3).LastIndex(), nw.node(1).LastIndex())
	nw.heal()
	require.NoError(t, nw.node(1).TransferLeadership(3))
	require.Equal(t, ID(3), nw.node(1).LeadTransferee())
	_, _, err := nw.node(1).Propose([]byte("c"))
	require.ErrorIs(t, err, ErrTransferring)
	nw.send(nw.flush(1)...)
	require.Equal(t, Leader, nw.node(3).Role())
	nw.requireLogsEqual(1, 2, 3)
}

// TestLeadershipTransferTimesOut: a transfer that cannot finish within an
// election timeout is abandoned and the leader takes proposals again.
func TestLeadershipTransferTimesOut(t *testing.T) {
	nw := newNetwork(t, 3)
	nw.campaign(1)
	nw.isolate(3)
	require.NoError(t, nw.node(1).TransferLeadership(3))
	_, _, err := nw.node(1).Propose([]byte("a"))
	require.ErrorIs(t, err, ErrTransferring)
	nw.tick(1, testElectionTicks)
	require.Equal(t, None, nw.node(1).LeadTransferee())
	require.Equal(t, Leader, nw.node(1).Role())
	nw.propose(1, "a")
}

func TestLeadershipTransferRefusals(t *testing.T) {
	nw := newNetwork(t, 3)
	nw.campaign(1)
	require.ErrorIs(t, nw.node(2).TransferLeadership(3), ErrNotLeader)
	require.ErrorContains(t, nw.node(1).TransferLeadership(1), "already leads")
	require.ErrorContains(t, nw.node(1).TransferLeadership(7), "not a voter")
	require.Equal(t, None, nw.node(1).LeadTransferee())
}

// TestTimeoutNowFromAStaleLeaderIsIgnored: a TimeoutNow of an older term
// starts nothing.
func TestTimeoutNowFromAStaleLeaderIsIgnored(t *testing.T) {
	n := newTestNode(t, testConfig(2, peers(3)), Durable{HardState: HardState{Term: 5}})
	require.NoError(t, n.Step(Message{Type: MsgTimeoutNow, From: 1, To: 2, Term: 4}))
	require.Equal(t, Follower, n.Role())
	require.Equal(t, uint64(5), n.Term())
}
