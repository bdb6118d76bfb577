package raft

// Tests of reads served outside the log (thesis §6.4): ReadIndex, confirmed
// by a round of heartbeats a quorum acknowledges, and leases, which let a
// leader answer at once while no other leader can have been elected; and of
// the bug toggles that break them, with the two replication bugs
// (commit-from-leader-commit-without-min, match-index-from-next-index) that
// came with them.

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func withLeaseDriftPPM(ppm uint32) configOption { return func(c *Config) { c.LeaseDriftPPM = ppm } }

// testLeaseTicks is how long a lease lasts with no drift bound: an election
// timeout less the one tick a follower's clock may gain by ticking just
// after the heartbeat arrives.
const testLeaseTicks = testElectionTicks - 1

// drainReads drains n as drain does, and returns the ReadStates its Readies
// handed out along with the messages.
func drainReads(t testing.TB, n *Node) ([]ReadState, []Message) {
	t.Helper()
	var reads []ReadState
	var out []Message
	for n.HasReady() {
		rd := takeReady(n)
		reads = append(reads, rd.ReadStates...)
		if k := len(rd.Entries); k > 0 {
			n.StorageAppended(rd.Entries[k-1].Index, rd.Entries[k-1].Term)
		}
		out = append(out, rd.Messages...)
		out = append(out, rd.MessagesAfterPersist...)
	}
	return reads, out
}

// heartbeatRoundOf returns the round the heartbeats in msgs carry: one
// round, sent to every server in to.
func heartbeatRoundOf(t testing.TB, msgs []Message, to ...ID) uint64 {
	t.Helper()
	hbs := ofType(msgs, MsgHeartbeat)
	require.Len(t, hbs, len(to), "one heartbeat per member: %v", msgs)
	var got []ID
	for _, m := range hbs {
		require.Equal(t, hbs[0].Context, m.Context, "one round: %v", hbs)
		got = append(got, m.To)
	}
	require.ElementsMatch(t, to, got)
	require.NotZero(t, hbs[0].Context, "a heartbeat round is numbered")
	return hbs[0].Context
}

// ackHeartbeat answers heartbeat round for follower from, as stepFollower does.
func ackHeartbeat(t testing.TB, leader *Node, from ID, round uint64) {
	t.Helper()
	step(t, leader, Message{Type: MsgHeartbeatResp, From: from, To: leader.ID(), Term: leader.Term(), Context: round})
}

// leaseLeader is a caught-up leader of S1..S<size> with CheckQuorum; its
// clock has not ticked yet.
func leaseLeader(t *testing.T, size int, opts ...configOption) *Node {
	t.Helper()
	n := replicatingLeader(t, size, append([]configOption{withCheckQuorum}, opts...)...)
	require.Zero(t, n.ticks)
	return n
}

// collectReads makes the network record the ReadStates each node hands out.
func collectReads(nw *network) map[ID][]ReadState {
	reads := map[ID][]ReadState{}
	nw.observe = func(id ID, rd Ready) { reads[id] = append(reads[id], rd.ReadStates...) }
	return reads
}

// TestReadIndexRefusedOffLeader checks that a follower, a pre-candidate and
// a candidate refuse ReadIndex and LeaseRead with ErrReadNotLeader, report no
// lease and queue nothing: only a leader knows a safe read index.
// Reference: thesis section 6.4 ("if the server is not the leader ... the
// client should contact the leader")
func TestReadIndexRefusedOffLeader(t *testing.T) {
	for _, role := range []Role{Follower, PreCandidate, Candidate} {
		t.Run(role.String(), func(t *testing.T) {
			n := nodeInRole(t, role, withCheckQuorum)
			drain(t, n)
			require.ErrorIs(t, n.ReadIndex(1), ErrReadNotLeader)
			served, err := n.LeaseRead(2)
			require.ErrorIs(t, err, ErrReadNotLeader)
			require.False(t, served)
			require.Zero(t, n.LeaseRemaining())
			require.False(t, n.HasReady(), "nothing queued, nothing sent")
			require.Empty(t, n.DroppedReads())
		})
	}
}

// TestReadIndexWaitsForOwnTermCommitThenQuorumRound checks the whole
// ReadIndex path on a new leader whose predecessor left entries of term 1:
// no heartbeat round starts and no read is answered until the leader's no-op
// commits (its commit index may lag what was committed before); then one
// heartbeat round, numbered in Message.Context, goes to every follower, and
// the ReadState appears only once a quorum (the leader and one follower of
// three) echoed that round. Its Index is the commit index once the no-op
// committed.
// Reference: thesis section 6.4 (steps 1-3: "if the leader has not yet
// marked an entry from its current term committed, it waits until it has
// done so"; "the leader sends a new round of heartbeats and waits for their
// acknowledgments from a majority")
func TestReadIndexWaitsForOwnTermCommitThenQuorumRound(t *testing.T) {
	n := newTestNode(t, testConfig(1, peers(3)),
		Durable{HardState: HardState{Term: 1, Commit: 1}, Entries: logOfTerms(1, 1)})
	electLeader(t, n)
	require.Equal(t, uint64(2), n.Term())
	require.Equal(t, uint64(3), n.LastIndex(), "the no-op of term 2")
	require.Equal(t, uint64(1), n.Commit())

	require.NoError(t, n.ReadIndex(7))
	reads, msgs := drainReads(t, n)
	require.Empty(t, reads)
	require.Empty(t, ofType(msgs, MsgHeartbeat), "no round before the no-op commits")

	// A heartbeat round of the leader's clock, acknowledged by everyone,
	// does not answer the read either: the no-op has not committed.
	n.Tick()
	_, msgs = drainReads(t, n)
	r := heartbeatRoundOf(t, msgs, 2, 3)
	ackHeartbeat(t, n, 2, r)
	ackHeartbeat(t, n, 3, r)
	reads, _ = drainReads(t, n)
	require.Empty(t, reads, "read answered before an entry of term 2 committed")

	// S2 acknowledges the no-op: it commits, and the read's round starts.
	ackAppend(t, n, 2, 3)
	require.Equal(t, uint64(3), n.Commit())
	reads, msgs = drainReads(t, n)
	require.Empty(t, reads, "the commit alone does not confirm leadership")
	round := heartbeatRoundOf(t, msgs, 2, 3)
	require.Greater(t, round, r)

	ackHeartbeat(t, n, 3, round)
	reads, _ = drainReads(t, n)
	require.Equal(t, []ReadState{{Ctx: 7, Index: 3}}, reads)
	require.Empty(t, n.DroppedReads())

	// The last acknowledgement of the round releases nothing more.
	ackHeartbeat(t, n, 2, round)
	require.False(t, n.HasReady())
}

// TestReadIndexUsesCommitIndexAtRequest checks that a read's Index is the
// leader's commit index when the read was asked, even if more entries
// commit before its heartbeat round is confirmed: everything committed
// before the read began must be visible, and nothing later has to be.
// Reads asked together share one answer each, in order.
// Reference: thesis section 6.4 (step 1: "the leader saves its current
// commit index in a local variable readIndex")
func TestReadIndexUsesCommitIndexAtRequest(t *testing.T) {
	n := replicatingLeader(t, 3)
	require.Equal(t, uint64(1), n.Commit())
	require.NoError(t, n.ReadIndex(1))
	_, msgs := drainReads(t, n)
	r1 := heartbeatRoundOf(t, msgs, 2, 3)

	index := proposeAndCommit(t, n, "x")
	require.Equal(t, uint64(2), index)
	require.NoError(t, n.ReadIndex(2))
	_, msgs = drainReads(t, n)
	r2 := heartbeatRoundOf(t, msgs, 2, 3)

	// S2 answers the later round: that confirms both reads.
	ackHeartbeat(t, n, 2, r2)
	reads, _ := drainReads(t, n)
	require.Equal(t, []ReadState{{Ctx: 1, Index: 1}, {Ctx: 2, Index: 2}}, reads)
	ackHeartbeat(t, n, 3, r1)
	require.False(t, n.HasReady())
}

// proposeAndCommit proposes data on leader n and has every follower of
// S1..S3 acknowledge it; it returns the entry's index.
func proposeAndCommit(t *testing.T, n *Node, data string) uint64 {
	t.Helper()
	index, _, err := n.Propose([]byte(data))
	require.NoError(t, err)
	drain(t, n)
	ackAppend(t, n, 2, index)
	ackAppend(t, n, 3, index)
	drain(t, n)
	require.Equal(t, index, n.Commit())
	return index
}

// TestReadIndexMinorityRoundReleasesNothing checks, in a cluster of five,
// that a heartbeat round acknowledged by the leader and one follower (a
// minority), even twice, releases no read; the third member makes a quorum.
// Reference: thesis section 6.4 (step 2: acknowledgments "from a majority of
// the cluster")
func TestReadIndexMinorityRoundReleasesNothing(t *testing.T) {
	n := replicatingLeader(t, 5)
	require.NoError(t, n.ReadIndex(1))
	_, msgs := drainReads(t, n)
	r := heartbeatRoundOf(t, msgs, 2, 3, 4, 5)

	ackHeartbeat(t, n, 2, r)
	ackHeartbeat(t, n, 2, r)
	reads, _ := drainReads(t, n)
	require.Empty(t, reads, "S1 and S2 are two of five")

	ackHeartbeat(t, n, 5, r)
	reads, _ = drainReads(t, n)
	require.Equal(t, []ReadState{{Ctx: 1, Index: n.Commit()}}, reads)
}

// TestReadIndexStaleRoundDoesNotConfirm checks that acknowledgements of a
// heartbeat round sent before the read was asked do not confirm it, even from
// every follower: they say nothing of who led after they were sent. Nor does
// an answer carrying a round the leader never sent. A later round's
// acknowledgement confirms it, and a repeated old acknowledgement confirms
// no later read.
// Reference: thesis section 6.4 (step 2: the heartbeats are sent after the
// read index is recorded)
func TestReadIndexStaleRoundDoesNotConfirm(t *testing.T) {
	n := replicatingLeader(t, 3)
	n.Tick() // an ordinary heartbeat, before the read
	_, msgs := drainReads(t, n)
	old := heartbeatRoundOf(t, msgs, 2, 3)

	require.NoError(t, n.ReadIndex(1))
	_, msgs = drainReads(t, n)
	r := heartbeatRoundOf(t, msgs, 2, 3)
	require.Greater(t, r, old)

	ackHeartbeat(t, n, 2, old)
	ackHeartbeat(t, n, 3, old)
	reads, _ := drainReads(t, n)
	require.Empty(t, reads, "a round older than the read")

	ackHeartbeat(t, n, 2, r+5)
	reads, _ = drainReads(t, n)
	require.Empty(t, reads, "a round never sent")

	ackHeartbeat(t, n, 3, r)
	reads, _ = drainReads(t, n)
	require.Equal(t, []ReadState{{Ctx: 1, Index: 1}}, reads)

	require.NoError(t, n.ReadIndex(2))
	_, msgs = drainReads(t, n)
	r2 := heartbeatRoundOf(t, msgs, 2, 3)
	ackHeartbeat(t, n, 2, r)
	ackHeartbeat(t, n, 3, r)
	reads, _ = drainReads(t, n)
	require.Empty(t, reads, "repeated acknowledgements of the earlier round")
	ackHeartbeat(t, n, 2, r2)
	reads, _ = drainReads(t, n)
	require.Equal(t, []ReadState{{Ctx: 2, Index: 1}}, reads)
}

// TestReadIndexJointConfigurationNeedsBothMajorities checks that in the
// joint configuration C_old,new (C_old = {S1,S2,S3}, C_new = {S1,S4,S5}) a
// read is confirmed only by a round a majority of C_old and a majority of
// C_new acknowledged, as an election or a commit needs both.
// Reference: section 6 ("agreement (for elections and entry commitment)
// requires separate majorities from both the old and new configurations");
// thesis section 6.4
func TestReadIndexJointConfigurationNeedsBothMajorities(t *testing.T) {
	tests := []struct {
		acks []ID
		read bool
		why  string
	}{
		{[]ID{2, 3}, false, "all of C_old, but only S1 of C_new"},
		{[]ID{4, 5}, false, "all of C_new, but only S1 of C_old"},
		{[]ID{2, 4}, true, "S1, S2 of C_old and S1, S4 of C_new"},
		{[]ID{3, 5}, true, "S1, S3 of C_old and S1, S5 of C_new"},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			n := replicatingLeader(t, 3)
			_, err := n.ProposeConfig([]ID{1, 4, 5}, nil)
			require.NoError(t, err)
			require.True(t, n.conf.Joint())
			drain(t, n)
			require.NoError(t, n.ReadIndex(1))
			_, msgs := drainReads(t, n)
			r := heartbeatRoundOf(t, msgs, 2, 3, 4, 5)
			for _, id := range tt.acks {
				ackHeartbeat(t, n, id, r)
			}
			reads, _ := drainReads(t, n)
			if tt.read {
				require.Equal(t, []ReadState{{Ctx: 1, Index: 1}}, reads, tt.why)
			} else {
				require.Empty(t, reads, tt.why)
			}
		})
	}
}

// TestReadIndexLearnerAcksDoNotCount checks that learners, which receive the
// heartbeat round, do not count toward confirming a read: the leader and two
// learners are not a majority of the three voters.
// Reference: thesis section 4.2.1 (non-voting members) and section 6.4
func TestReadIndexLearnerAcksDoNotCount(t *testing.T) {
	n := replicatingLeader(t, 3)
	_, err := n.ProposeConfig(peers(3), []ID{4, 5})
	require.NoError(t, err)
	drain(t, n)
	require.NoError(t, n.ReadIndex(1))
	_, msgs := drainReads(t, n)
	r := heartbeatRoundOf(t, msgs, 2, 3, 4, 5)
	ackHeartbeat(t, n, 4, r)
	ackHeartbeat(t, n, 5, r)
	reads, _ := drainReads(t, n)
	require.Empty(t, reads)
	ackHeartbeat(t, n, 3, r)
	reads, _ = drainReads(t, n)
	require.Equal(t, []ReadState{{Ctx: 1, Index: 1}}, reads)
}

// TestReadIndexSingleVoterAnswersAtOnce checks that the only voter of a
// cluster is a quorum by itself: a read asked before its no-op is durable
// waits for that commit, then is answered with no message sent; a later read
// is answered in the very next Ready. LeaseRead's fallback answers the same
// way.
// Reference: thesis section 6.4 ("in a single-server cluster ... the leader
// can proceed immediately")
func TestReadIndexSingleVoterAnswersAtOnce(t *testing.T) {
	n := newTestNode(t, testConfig(1, peers(1), withCheckQuorum), Durable{})
	n.Campaign()
	require.Equal(t, Leader, n.Role())
	require.Zero(t, n.Commit(), "the no-op is not yet durable")
	require.NoError(t, n.ReadIndex(1))
	reads, msgs := drainReads(t, n)
	require.Empty(t, msgs)
	require.Equal(t, []ReadState{{Ctx: 1, Index: 1}}, reads, "answered once the no-op committed")

	require.NoError(t, n.ReadIndex(2))
	require.True(t, n.HasReady())
	rd := takeReady(n)
	require.Equal(t, []ReadState{{Ctx: 2, Index: 1}}, rd.ReadStates)
	require.Empty(t, rd.Messages)
	require.False(t, n.HasReady())

	served, err := n.LeaseRead(3)
	require.NoError(t, err)
	require.False(t, served, "no follower ever acknowledged a lease")
	reads, msgs = drainReads(t, n)
	require.Empty(t, msgs)
	require.Equal(t, []ReadState{{Ctx: 3, Index: 1}}, reads)
}

// TestReadIndexDroppedWhenLeaderStepsDown checks that a leader that stops
// leading gives back every read it has not answered, those waiting for a
// heartbeat round and those waiting for its no-op, through DroppedReads
// (once), and answers none of them later, even if the old round's
// acknowledgements arrive. Reads already answered are not given back.
// Reference: thesis section 6.4 (a read is answered only by a server that is
// still the leader)
func TestReadIndexDroppedWhenLeaderStepsDown(t *testing.T) {
	t.Run("higher term", func(t *testing.T) {
		n := replicatingLeader(t, 3)
		require.NoError(t, n.ReadIndex(1))
		_, msgs := drainReads(t, n)
		r1 := heartbeatRoundOf(t, msgs, 2, 3)
		ackHeartbeat(t, n, 2, r1)
		require.NoError(t, n.ReadIndex(2))
		require.NoError(t, n.ReadIndex(3))
		_, msgs = drainReads(t, n)
		r2 := heartbeatRoundOf(t, msgs[:2], 2, 3)

		step(t, n, Message{Type: MsgHeartbeat, From: 3, To: 1, Term: n.Term() + 1})
		require.Equal(t, Follower, n.Role())
		require.Equal(t, []uint64{2, 3}, n.DroppedReads())
		require.Empty(t, n.DroppedReads(), "given back once")
		step(t, n, Message{Type: MsgHeartbeatResp, From: 2, To: 1, Term: n.Term(), Context: r2})
		reads, _ := drainReads(t, n)
		require.Empty(t, reads)
	})
	t.Run("before the no-op commits", func(t *testing.T) {
		n := newTestNode(t, testConfig(1, peers(3), withCheckQuorum), Durable{})
		electLeader(t, n)
		require.NoError(t, n.ReadIndex(4))
		// No follower answers: CheckQuorum makes the leader step down.
		for range testElectionTicks {
			n.Tick()
		}
		require.Equal(t, Follower, n.Role())
		reads, _ := drainReads(t, n)
		require.Empty(t, reads)
		require.Equal(t, []uint64{4}, n.DroppedReads())
	})
}

// TestReadIndexPartitionedLeaderCannotAnswer runs reads through the network:
// a leader cut off from the others, while a new leader commits a write, can
// answer no read (no quorum echoes its heartbeats); the new leader answers
// with an index that covers the write. When the partition heals the old
// leader learns of the new term, steps down and gives its read back.
// Reference: thesis section 6.4 (a deposed leader must not serve stale data)
func TestReadIndexPartitionedLeaderCannotAnswer(t *testing.T) {
	nw := newNetwork(t, 3)
	reads := collectReads(nw)
	nw.campaign(1)
	nw.isolate(1)
	nw.campaign(2)
	require.Equal(t, Leader, nw.node(2).Role())
	index := nw.propose(2, "x")
	require.Equal(t, index, nw.node(2).Commit())

	require.Equal(t, Leader, nw.node(1).Role(), "S1 has not heard of term 2")
	require.NoError(t, nw.node(1).ReadIndex(1))
	nw.send(nw.flush(1)...)
	nw.tick(1, 3)
	require.Empty(t, reads[1])

	require.NoError(t, nw.node(2).ReadIndex(2))
	nw.send(nw.flush(2)...)
	require.Equal(t, []ReadState{{Ctx: 2, Index: index}}, reads[2])

	nw.heal()
	nw.tick(1, 1)
	require.Equal(t, Follower, nw.node(1).Role())
	require.Equal(t, []uint64{1}, nw.node(1).DroppedReads())
	require.Empty(t, reads[1])
}

// TestLeaseNeedsQuorumAck checks that a leader holds no lease until a quorum
// acknowledged one of its heartbeat rounds: before, LeaseRead falls back to
// ReadIndex (a round goes out, nothing is answered at once), and the
// acknowledgement that answers that read also grants the lease, under which
// the next LeaseRead is answered at once with the commit index. A new leader
// whose no-op has not committed answers no lease read even after a quorum
// acknowledged a round.
// Reference: thesis section 6.4.1 ("once the leader's heartbeats were
// acknowledged by a majority of the cluster, it would extend its lease")
func TestLeaseNeedsQuorumAck(t *testing.T) {
	n := leaseLeader(t, 3)
	require.Zero(t, n.LeaseRemaining())
	served, err := n.LeaseRead(1)
	require.NoError(t, err)
	require.False(t, served)
	reads, msgs := drainReads(t, n)
	require.Empty(t, reads)
	r := heartbeatRoundOf(t, msgs, 2, 3)

	ackHeartbeat(t, n, 2, r)
	reads, _ = drainReads(t, n)
	require.Equal(t, []ReadState{{Ctx: 1, Index: 1}}, reads)
	require.Equal(t, testLeaseTicks, n.LeaseRemaining())

	served, err = n.LeaseRead(2)
	require.NoError(t, err)
	require.True(t, served)
	reads, msgs = drainReads(t, n)
	require.Empty(t, msgs, "no heartbeat round for a lease read")
	require.Equal(t, []ReadState{{Ctx: 2, Index: 1}}, reads)

	// A fresh leader, before its no-op commits.
	n = newTestNode(t, testConfig(1, peers(3), withCheckQuorum),
		Durable{HardState: HardState{Term: 1, Commit: 1}, Entries: logOfTerms(1, 1)})
	electLeader(t, n)
	n.Tick()
	_, msgs = drainReads(t, n)
	r = heartbeatRoundOf(t, msgs, 2, 3)
	ackHeartbeat(t, n, 2, r)
	served, err = n.LeaseRead(3)
	require.NoError(t, err)
	require.False(t, served, "no lease read before an entry of the term commits")
	reads, _ = drainReads(t, n)
	require.Empty(t, reads)
}

// TestLeaseLastsElectionTimeoutLessDriftFromSendTick checks how long a lease
// lasts: a quorum acknowledged a round sent at tick T of the leader's clock,
// and the acknowledgement arrived 3 ticks later; with a drift bound of 20%
// of the election timeout (2 of 10 ticks) the lease runs until T + 10 - 1 - 2
// (one tick for the phase of the followers' clocks), counted from the send,
// not from the arrival. LeaseRead answers at once
// while LeaseRemaining is positive and falls back to ReadIndex from the tick
// it reaches 0. Acknowledging a later round extends the lease from that
// round's send tick; a late acknowledgement of an older round shortens
// nothing.
// Reference: thesis section 6.4.1 ("the leader would use the time at which
// it sent the heartbeats as the start of the lease ... start + election
// timeout / clock drift bound")
func TestLeaseLastsElectionTimeoutLessDriftFromSendTick(t *testing.T) {
	n := leaseLeader(t, 3, withLeaseDriftPPM(200_000))
	n.Tick()
	const sent = 1
	_, msgs := drainReads(t, n)
	r := heartbeatRoundOf(t, msgs, 2, 3)
	for range 3 {
		n.Tick()
	}
	drain(t, n) // those rounds are never answered
	require.Zero(t, n.LeaseRemaining())

	ackHeartbeat(t, n, 2, r)
	until := uint64(sent + testLeaseTicks - 2)
	require.Equal(t, int(until-n.ticks), n.LeaseRemaining())
	require.Equal(t, 4, n.LeaseRemaining())
	for ctx := uint64(1); n.ticks < until; ctx++ {
		require.Equal(t, int(until-n.ticks), n.LeaseRemaining())
		served, err := n.LeaseRead(ctx)
		require.NoError(t, err)
		require.True(t, served, "tick %d, lease until %d", n.ticks, until)
		reads, msgs := drainReads(t, n)
		require.Empty(t, msgs)
		require.Equal(t, []ReadState{{Ctx: ctx, Index: 1}}, reads)
		n.Tick()
		drain(t, n)
	}
	require.Zero(t, n.LeaseRemaining())
	served, err := n.LeaseRead(100)
	require.NoError(t, err)
	require.False(t, served, "the lease ended at tick %d", until)
	reads, msgs := drainReads(t, n)
	require.Empty(t, reads)
	r2 := heartbeatRoundOf(t, msgs, 2, 3)

	// The fallback round, sent at tick 8, renews the lease from there.
	ackHeartbeat(t, n, 3, r2)
	reads, _ = drainReads(t, n)
	require.Equal(t, []ReadState{{Ctx: 100, Index: 1}}, reads)
	require.Equal(t, testLeaseTicks-2, n.LeaseRemaining())
	ackHeartbeat(t, n, 2, r) // stale and repeated
	ackHeartbeat(t, n, 3, r)
	require.Equal(t, testLeaseTicks-2, n.LeaseRemaining())
}

// TestLeaseNeedsCheckQuorum checks that without CheckQuorum there is no
// lease at all: followers then vote for a candidate however recently they
// heard from the leader, so the acknowledged round promises nothing.
// LeaseRead always falls back to ReadIndex.
// Reference: thesis section 6.4.1 (the lease rests on followers not timing
// out) and section 6.2 / 9.6 (CheckQuorum makes them ignore vote requests)
func TestLeaseNeedsCheckQuorum(t *testing.T) {
	n := replicatingLeader(t, 3)
	n.Tick()
	_, msgs := drainReads(t, n)
	r := heartbeatRoundOf(t, msgs, 2, 3)
	ackHeartbeat(t, n, 2, r)
	ackHeartbeat(t, n, 3, r)
	require.Zero(t, n.LeaseRemaining())
	served, err := n.LeaseRead(1)
	require.NoError(t, err)
	require.False(t, served)
	reads, msgs := drainReads(t, n)
	require.Empty(t, reads)
	require.NotZero(t, heartbeatRoundOf(t, msgs, 2, 3))
}

// TestLeaseRevokedByTransferLeadership checks that a leader gives up its
// lease when it starts handing over: the transferee, told by TimeoutNow,
// campaigns at once and the voters set the lease aside for it. LeaseRead
// falls back to ReadIndex, and further acknowledgements do not bring the
// lease back in this term, even once the transfer was abandoned.
// Reference: thesis section 3.10 (TimeoutNow) and section 6.4.1; etcd issue
// 12704
func TestLeaseRevokedByTransferLeadership(t *testing.T) {
	n := leaseLeader(t, 3)
	n.Tick()
	_, msgs := drainReads(t, n)
	ackHeartbeat(t, n, 2, heartbeatRoundOf(t, msgs, 2, 3))
	require.Equal(t, testLeaseTicks, n.LeaseRemaining())

	require.NoError(t, n.TransferLeadership(2))
	_, msgs = drainReads(t, n)
	require.Len(t, ofType(msgs, MsgTimeoutNow), 1)
	require.Zero(t, n.LeaseRemaining())
	served, err := n.LeaseRead(1)
	require.NoError(t, err)
	require.False(t, served)
	_, msgs = drainReads(t, n)
	r := heartbeatRoundOf(t, msgs, 2, 3)
	ackHeartbeat(t, n, 3, r)
	reads, _ := drainReads(t, n)
	require.Equal(t, []ReadState{{Ctx: 1, Index: 1}}, reads, "ReadIndex still works")
	require.Zero(t, n.LeaseRemaining(), "no new lease while handing over")

	// The transfer times out (S2 never campaigned); still no lease.
	for range testElectionTicks {
		n.Tick()
		_, msgs = drainReads(t, n)
		r = heartbeatRoundOf(t, msgs, 2, 3)
		ackHeartbeat(t, n, 2, r)
		ackHeartbeat(t, n, 3, r)
	}
	require.Equal(t, Leader, n.Role())
	require.Equal(t, None, n.LeadTransferee())
	require.Zero(t, n.LeaseRemaining())
}

// TestLeaseExpiresBeforeRivalCanWin runs a lease against the rule it rests
// on: the leader's last round is acknowledged, then it is cut off; the other
// two servers tick in step with it and one of them campaigns on every tick.
// With CheckQuorum the voter ignores the candidate until an election timeout
// has passed since it heard from the leader, so no other leader exists while
// the old one's lease lasts, and one is elected once it has run out.
// Reference: thesis section 6.4.1 and section 6.2 ("if a server receives a
// RequestVote request within the minimum election timeout of hearing from a
// current leader, it does not update its term or grant its vote")
func TestLeaseExpiresBeforeRivalCanWin(t *testing.T) {
	nw := newNetwork(t, 3, withCheckQuorum)
	nw.campaign(1)
	nw.tick(1, 1)
	old := nw.node(1)
	require.Equal(t, testLeaseTicks, old.LeaseRemaining())
	nw.isolate(1)
	elected := false
	for range 2 * testElectionTicks {
		for _, id := range nw.ids {
			nw.tick(id, 1)
		}
		nw.campaign(2)
		rival := nw.node(2).Role() == Leader || nw.node(3).Role() == Leader
		if old.LeaseRemaining() > 0 {
			require.False(t, rival, "a rival leader while S1's lease has %d ticks left", old.LeaseRemaining())
			served, err := old.LeaseRead(1)
			require.NoError(t, err)
			require.True(t, served)
			nw.flush(1)
		}
		if rival {
			elected = true
			break
		}
	}
	require.True(t, elected, "a rival is elected once the lease has run out")
}

// TestBugReadIndexBeforeNoop checks the read-index-before-noop toggle: a new
// leader whose commit index lags (entry 2, of term 1, may have committed under
// its predecessor) starts the read's heartbeat round at once and answers,
// once a quorum echoes it, with Index 1: a read that may miss a committed
// write. The correct leader waits for its no-op.
// Reference: thesis section 6.4 (step 1); redisraft issues 18/19
func TestBugReadIndexBeforeNoop(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			n := newTestNode(t, testConfig(1, peers(3), bugOpts(BugReadIndexBeforeNoop, bug)...),
				Durable{HardState: HardState{Term: 1, Commit: 1}, Entries: logOfTerms(1, 1)})
			electLeader(t, n)
			require.NoError(t, n.ReadIndex(1))
			reads, msgs := drainReads(t, n)
			require.Empty(t, reads)
			if !bug {
				require.Empty(t, ofType(msgs, MsgHeartbeat))
				n.Tick()
				_, msgs = drainReads(t, n)
			}
			r := heartbeatRoundOf(t, msgs, 2, 3)
			ackHeartbeat(t, n, 2, r)
			reads, _ = drainReads(t, n)
			if bug {
				require.Equal(t, []ReadState{{Ctx: 1, Index: 1}}, reads, "entry 2 may be committed")
			} else {
				require.Empty(t, reads)
			}
		})
	}
}

// TestBugLeaderLocalRead checks the leader-local-read toggle: the leader
// answers ReadIndex from its own state with no heartbeat round, and so does
// a deposed leader cut off from the cluster, with an index that misses a
// write the new leader committed. The correct leader answers nothing
// without a quorum.
// Reference: thesis section 6.4 (step 2); Jepsen, "etcd and Consul" (2014)
func TestBugLeaderLocalRead(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			n := replicatingLeader(t, 3, bugOpts(BugLeaderLocalRead, bug)...)
			require.NoError(t, n.ReadIndex(1))
			reads, msgs := drainReads(t, n)
			if bug {
				require.Equal(t, []ReadState{{Ctx: 1, Index: 1}}, reads)
				require.Empty(t, msgs)
			} else {
				require.Empty(t, reads)
				require.NotZero(t, heartbeatRoundOf(t, msgs, 2, 3))
			}

			nw := newNetwork(t, 3, bugOpts(BugLeaderLocalRead, bug)...)
			got := collectReads(nw)
			nw.campaign(1)
			nw.isolate(1)
			nw.campaign(2)
			index := nw.propose(2, "x")
			require.NoError(t, nw.node(1).ReadIndex(2))
			nw.send(nw.flush(1)...)
			if bug {
				require.Equal(t, []ReadState{{Ctx: 2, Index: 1}}, got[1], "stale: index %d committed", index)
			} else {
				require.Empty(t, got[1])
			}
		})
	}
}

// TestBugLeaseIgnoresSkew checks the lease-ignores-skew toggle: with the
// acknowledgement of a round sent at tick 1 arriving at tick 4 and a drift
// bound of 2 ticks, the correct lease ends at tick 8 (1 + 10 - 1 - 2); the
// buggy one runs from the arrival with no allowance, to tick 14, and
// LeaseRead still answers at once at ticks 8..13, after a rival could be
// elected.
// Reference: thesis section 6.4.1 ("start + election timeout / clock drift
// bound"); sofa-jraft issue 25
func TestBugLeaseIgnoresSkew(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			n := leaseLeader(t, 3, append(bugOpts(BugLeaseIgnoresSkew, bug), withLeaseDriftPPM(200_000))...)
			n.Tick()
			_, msgs := drainReads(t, n)
			r := heartbeatRoundOf(t, msgs, 2, 3)
			for range 3 {
				n.Tick()
			}
			drain(t, n)
			ackHeartbeat(t, n, 2, r)
			want, until := 4, uint64(8)
			if bug {
				want, until = 10, 14
			}
			require.Equal(t, want, n.LeaseRemaining())
			for n.ticks < 8 {
				n.Tick()
				drain(t, n)
			}
			served, err := n.LeaseRead(1)
			require.NoError(t, err)
			require.Equal(t, bug, served, "lease read at tick 8")
			require.Equal(t, int(until-min(until, 8)), n.LeaseRemaining())
		})
	}
}

// TestBugLeaderKeepsLeaseAfterRemoval checks the
// leader-keeps-lease-after-removal toggle. At unit level, LeaseRead still
// answers at once after TransferLeadership. In a network, the transferee
// wins the next term at once (TimeoutNow lets voters set the lease aside)
// and commits a write while the old leader has not heard of it: the buggy
// old leader answers a lease read that misses the write; the correct one
// falls back to ReadIndex, which no quorum confirms.
// Reference: thesis sections 3.10 and 6.4.1; etcd issue 12704
func TestBugLeaderKeepsLeaseAfterRemoval(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			n := leaseLeader(t, 3, bugOpts(BugLeaderKeepsLeaseAfterRemoval, bug)...)
			n.Tick()
			_, msgs := drainReads(t, n)
			ackHeartbeat(t, n, 2, heartbeatRoundOf(t, msgs, 2, 3))
			require.NoError(t, n.TransferLeadership(2))
			served, err := n.LeaseRead(1)
			require.NoError(t, err)
			require.Equal(t, bug, served)

			nw := newNetwork(t, 3, append(bugOpts(BugLeaderKeepsLeaseAfterRemoval, bug), withCheckQuorum)...)
			got := collectReads(nw)
			nw.campaign(1)
			nw.tick(1, 1)
			require.Equal(t, testLeaseTicks, nw.node(1).LeaseRemaining())
			// S1 hears nothing more; it still reaches the others.
			nw.cut[[2]ID{2, 1}], nw.cut[[2]ID{3, 1}] = true, true
			require.NoError(t, nw.node(1).TransferLeadership(3))
			nw.send(nw.flush(1)...)
			require.Equal(t, Leader, nw.node(3).Role())
			index := nw.propose(3, "x")
			require.Equal(t, index, nw.node(3).Commit())
			require.Equal(t, Leader, nw.node(1).Role(), "S1 has not heard of the new term")

			served, err = nw.node(1).LeaseRead(2)
			require.NoError(t, err)
			nw.send(nw.flush(1)...)
			require.Equal(t, bug, served)
			if bug {
				require.Equal(t, []ReadState{{Ctx: 2, Index: 1}}, got[1], "stale: index %d committed", index)
			} else {
				require.Empty(t, got[1])
			}
		})
	}
}

// TestBugCommitWithoutMin checks the commit-from-leader-commit-without-min
// toggle: a follower holding a stale tail of term 2 at indexes 3-4 gets an
// append of the term-3 leader that vouches only for index 2 (an early
// message of a pipeline, or one limited to a single entry), carrying
// leaderCommit 4, which the leader reached with its own term-3 entries. The
// correct follower commits up to 2, the last new entry; the buggy one
// commits and applies its own stale entries 3 and 4.
// Reference: Figure 2 (AppendEntries receiver implementation, step 5:
// "commitIndex = min(leaderCommit, index of last new entry)"); atomix/copycat
// issue 265
func TestBugCommitWithoutMin(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			n := newTestNode(t, testConfig(2, peers(3), bugOpts(BugCommitWithoutMin, bug)...),
				Durable{HardState: HardState{Term: 2}, Entries: logOfTerms(1, 1, 2, 2)})
			step(t, n, Message{Type: MsgApp, From: 1, To: 2, Term: 3, Index: 1, LogTerm: 1,
				Entries: []Entry{{Term: 1, Index: 2}}, Commit: 4})
			rd := takeReady(n)
			require.Equal(t, []uint64{1, 1, 2, 2}, logTerms(n), "no conflict: the tail stays")
			resp := ofType(rd.MessagesAfterPersist, MsgAppResp)
			require.Len(t, resp, 1)
			require.Equal(t, uint64(2), resp[0].Index, "the append vouched for index 2 only")
			if bug {
				require.Equal(t, uint64(4), n.Commit())
				require.Equal(t, logOfTerms(1, 1, 2, 2), rd.Committed, "stale term-2 entries applied")
			} else {
				require.Equal(t, uint64(2), n.Commit())
				require.Equal(t, logOfTerms(1, 1), rd.Committed)
			}
		})
	}
}

// TestBugMatchFromNextIndex checks the match-index-from-next-index toggle:
// with appends of entries 2, 3 and 4 in flight to S2, its acknowledgement of
// entry 2 (and even a late one of entry 1) makes the buggy leader set S2's
// matchIndex to 4, nextIndex - 1, and commit entries 3 and 4 that only the
// leader holds. The correct leader takes matchIndex from the acknowledgement.
// Reference: Figure 2 (rules for leaders: "if successful: update nextIndex
// and matchIndex for follower"); MIT 6.824 students' guide to Raft
func TestBugMatchFromNextIndex(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			n := replicatingLeader(t, 3, bugOpts(BugMatchFromNextIndex, bug)...)
			for _, d := range []string{"a", "b", "c"} {
				_, _, err := n.Propose([]byte(d))
				require.NoError(t, err)
			}
			msgs := drain(t, n)
			require.Len(t, appsTo(msgs, 2), 3, "pipelined")
			p := n.Progress(2)
			require.Equal(t, StateReplicate, p.State)
			require.Equal(t, uint64(5), p.Next)

			ackAppend(t, n, 2, 1) // a late acknowledgement of the no-op
			if bug {
				require.Equal(t, uint64(4), p.Match, "raised above anything S2 acknowledged")
				require.Equal(t, uint64(4), n.Commit())
				return
			}
			require.Equal(t, uint64(1), p.Match)
			ackAppend(t, n, 2, 2)
			require.Equal(t, uint64(2), p.Match)
			require.Equal(t, uint64(2), n.Commit())
		})
	}
}

// TestLeaseSafeWhateverTheTickPhase runs the lease against followers whose
// clocks run at exactly the leader's rate but tick a moment after they hear
// its heartbeat (so the first tick of their election timeout is almost
// free): their timeout then ends ElectionTicks - 1 leader ticks (and a
// moment) after the round was sent. With no drift at all, no rival may be
// elected while the old leader's lease lasts. With the lease-ignores-skew
// toggle one is, while the old leader still has a tick of lease left.
// Reference: thesis section 6.4.1 (the lease is safe given a bound on clock
// drift; here there is none) and section 6.2
func TestLeaseSafeWhateverTheTickPhase(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			nw := newNetwork(t, 3, append(bugOpts(BugLeaseIgnoresSkew, bug), withCheckQuorum)...)
			nw.campaign(1)
			nw.tick(1, 1)
			old := nw.node(1)
			require.Positive(t, old.LeaseRemaining())
			nw.isolate(1)
			for range 2 * testElectionTicks {
				// The followers' ticks come first in each tick period.
				nw.tick(2, 1)
				nw.tick(3, 1)
				nw.campaign(2)
				if nw.node(2).Role() == Leader || nw.node(3).Role() == Leader {
					if bug {
						require.Equal(t, 1, old.LeaseRemaining(), "a rival leader while S1's lease lasts")
					} else {
						require.Zero(t, old.LeaseRemaining(), "a rival leader while S1's lease lasts")
					}
					return
				}
				nw.tick(1, 1)
			}
			t.Fatal("no rival was ever elected")
		})
	}
}

// TestFollowerEchoesHeartbeatRound checks that a follower's (or a
// candidate's) answer to a heartbeat carries the heartbeat's round, so that
// the leader can tell which round it acknowledges.
// Reference: thesis section 6.4 (step 2)
func TestFollowerEchoesHeartbeatRound(t *testing.T) {
	for _, role := range []Role{Follower, Candidate} {
		t.Run(role.String(), func(t *testing.T) {
			n := nodeInRole(t, role)
			step(t, n, Message{Type: MsgHeartbeat, From: 2, To: 1, Term: n.Term(), Context: 42})
			resp := ofType(drain(t, n), MsgHeartbeatResp)
			require.Len(t, resp, 1)
			require.Equal(t, uint64(42), resp[0].Context)
			require.Equal(t, ID(2), resp[0].To)
		})
	}
}
