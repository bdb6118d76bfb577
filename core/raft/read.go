package raft

import "errors"

// Reads that do not go through the log (thesis §6.4). A leader answers a
// read with a ReadState: the read may be served from the state machine once
// it has applied up to Index. Two ways to know that Index is safe:
//
//   - ReadIndex: the leader notes its commit index, then confirms it is still
//     the leader by a round of heartbeats a quorum acknowledges. A new leader
//     serves none until an entry of its own term commits (its commit index
//     may lag what its predecessor committed).
//   - Lease: once a quorum acknowledged a heartbeat sent at tick T of the
//     leader's clock, no other leader can be elected before T plus the
//     election timeout (followers with CheckQuorum ignore candidates while
//     they hear from a leader), less a bound on clock drift and one tick (a
//     follower's clock may tick just after the heartbeat arrives). Within the
//     lease the leader answers at once. A leader that hands over (TimeoutNow
//     lets the transferee skip that wait) gives its lease up.

// ReadState says that read Ctx may be served once Index is applied.
type ReadState struct {
	Ctx   uint64
	Index uint64
}

// ErrReadNotLeader is returned for a read asked of a server that does not lead.
var ErrReadNotLeader = errors.New("raft: not the leader: cannot serve a read")

type pendingRead struct {
	ctx   uint64
	index uint64
	round uint64 // the heartbeat round that confirms it (0: waits for an own-term commit)
}

// leaseRounds is how many recent heartbeat rounds a leader remembers the send
// tick of.
const leaseRounds = 64

// ReadIndex asks the leader for a linearizable read (thesis §6.4): the answer
// comes as a ReadState in a later Ready.
func (n *Node) ReadIndex(ctx uint64) error {
	if n.role != Leader {
		return ErrReadNotLeader
	}
	r := pendingRead{ctx: ctx, index: n.commit}
	if !n.committedInTerm() && !n.cfg.Bugs.Has(BugReadIndexBeforeNoop) {
		// Wait for the no-op of this term to commit: only then is the
		// commit index at least every entry committed before.
		n.pendingReads = append(n.pendingReads, r)
		return nil
	}
	if n.cfg.Bugs.Has(BugLeaderLocalRead) || n.singleVoter() {
		n.readStates = append(n.readStates, ReadState{Ctx: ctx, Index: r.index})
		return nil
	}
	r.round = n.heartbeatRound()
	n.pendingReads = append(n.pendingReads, r)
	return nil
}

// LeaseRead answers a read at once while the leader holds its lease, and
// falls back to ReadIndex otherwise. It reports whether the lease served it.
func (n *Node) LeaseRead(ctx uint64) (bool, error) {
	if n.role != Leader {
		return false, ErrReadNotLeader
	}
	if n.leaseValid() && n.committedInTerm() {
		n.readStates = append(n.readStates, ReadState{Ctx: ctx, Index: n.commit})
		return true, nil
	}
	return false, n.ReadIndex(ctx)
}

// LeaseRemaining is how many ticks of its lease the leader has left (0: none).
func (n *Node) LeaseRemaining() int {
	if n.role != Leader || !n.leaseValid() {
		return 0
	}
	return int(n.leaseUntil - n.ticks)
}

func (n *Node) leaseValid() bool {
	return n.role == Leader && n.cfg.CheckQuorum && n.ticks < n.leaseUntil
}

func (n *Node) committedInTerm() bool {
	t, _ := n.log.term(n.commit)
	return t == n.term
}

func (n *Node) singleVoter() bool {
	return !n.conf.Joint() && len(n.conf.Voters) == 1 && n.conf.Voters[0] == n.id
}

// heartbeatRound sends a heartbeat to every member now, numbered with a new
// round that their answers echo, and returns the round.
func (n *Node) heartbeatRound() uint64 {
	n.heartbeatElapsed = 0
	n.bcastHeartbeat()
	return n.readRound
}

// noteRound starts a new heartbeat round at the current tick.
func (n *Node) noteRound() uint64 {
	n.readRound++
	n.roundSentAt[n.readRound%leaseRounds] = n.ticks
	return n.readRound
}

// ackRound records that a member answered heartbeat round r, and releases
// the reads (and extends the lease) a quorum has now confirmed.
func (n *Node) ackRound(p *Progress, r uint64) {
	if r <= p.readAck || r > n.readRound {
		return
	}
	p.readAck = r
	confirmed := n.confirmedRound()
	if confirmed <= n.confirmedSoFar {
		return
	}
	n.confirmedSoFar = confirmed
	if n.readRound-confirmed < leaseRounds {
		start := n.roundSentAt[confirmed%leaseRounds]
		span := uint64(n.cfg.ElectionTicks) - n.leaseDriftTicks()
		if n.cfg.Bugs.Has(BugLeaseIgnoresSkew) {
			// Bug: the lease runs from when the acknowledgement arrived, and
			// trusts the clock to be exact.
			start = n.ticks
		} else {
			if n.cfg.Bugs.Has(BugLeaseFromAckArrival) {
				// Bug: the lease runs from when the acknowledgement arrived,
				// as if the heartbeat had taken no time to go and come back.
				start = n.ticks
			}
			// A follower's clock may tick just after the heartbeat arrived:
			// its election timeout can end ElectionTicks-1 of our ticks (and
			// a moment) after we sent it. Stop a tick short of that.
			span -= min(span, 1)
		}
		until := start + span
		if until > n.leaseUntil && !n.leaseRevoked {
			n.leaseUntil = until
		}
	}
	k := 0
	for _, r := range n.pendingReads {
		if r.round != 0 && r.round <= confirmed {
			n.readStates = append(n.readStates, ReadState{Ctx: r.ctx, Index: r.index})
			continue
		}
		n.pendingReads[k] = r
		k++
	}
	clear(n.pendingReads[k:])
	n.pendingReads = n.pendingReads[:k]
}

// leaseDriftTicks is the part of an election timeout that clocks drifting
// apart by up to Config.LeaseDriftPPM could eat (rounded up).
func (n *Node) leaseDriftTicks() uint64 {
	if n.cfg.Bugs.Has(BugLeaseIgnoresSkew) || n.cfg.Bugs.Has(BugLeaseIgnoresDrift) {
		return 0
	}
	e := uint64(n.cfg.ElectionTicks)
	return min((e*uint64(n.cfg.LeaseDriftPPM)+999_999)/1_000_000, e)
}

// confirmedRound is the highest round a quorum of every voter set answered.
func (n *Node) confirmedRound() uint64 {
	c := n.quorumOf(n.conf.Voters, func(p *Progress) uint64 { return p.readAck })
	if n.conf.Joint() {
		c = min(c, n.quorumOf(n.conf.OldVoters, func(p *Progress) uint64 { return p.readAck }))
	}
	return c
}

// releaseWaitingReads gives the reads that waited for an own-term commit
// their heartbeat round, once that entry has committed.
func (n *Node) releaseWaitingReads() {
	if len(n.pendingReads) == 0 || !n.committedInTerm() {
		return
	}
	waiting := false
	for i := range n.pendingReads {
		if n.pendingReads[i].round == 0 {
			waiting = true
		}
	}
	if !waiting {
		return
	}
	if n.cfg.Bugs.Has(BugLeaderLocalRead) || n.singleVoter() {
		k := 0
		for _, r := range n.pendingReads {
			if r.round == 0 {
				n.readStates = append(n.readStates, ReadState{Ctx: r.ctx, Index: n.commit})
				continue
			}
			n.pendingReads[k] = r
			k++
		}
		n.pendingReads = n.pendingReads[:k]
		return
	}
	round := n.heartbeatRound()
	for i := range n.pendingReads {
		if n.pendingReads[i].round == 0 {
			n.pendingReads[i].round, n.pendingReads[i].index = round, n.commit
		}
	}
}

// revokeLease gives up the lease for good in this term (a transfer began).
func (n *Node) revokeLease() {
	if n.cfg.Bugs.Has(BugLeaderKeepsLeaseAfterRemoval) {
		return
	}
	n.leaseUntil, n.leaseRevoked = 0, true
}

// DroppedReads returns and forgets the reads a server can no longer answer
// (it stopped leading): their clients must ask again.
func (n *Node) DroppedReads() []uint64 {
	out := n.droppedReads
	n.droppedReads = nil
	return out
}

// SetLeaseDriftPPM changes the clock-drift bound leases allow for.
func (n *Node) SetLeaseDriftPPM(ppm uint32) { n.cfg.LeaseDriftPPM = min(ppm, 1_000_000) }
