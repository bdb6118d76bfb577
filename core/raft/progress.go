package raft

import "fmt"

// ProgressState is how a leader sends to one follower.
type ProgressState uint8

// A leader probes a follower whose log position it does not know (one
// AppendEntries at a time, walking nextIndex back), and pipelines appends to a
// follower that has acknowledged one (replicate).
//
// A follower whose next entry is compacted away gets a snapshot instead
// (paper §7): the leader sends it one chunk at a time.
const (
	StateProbe ProgressState = iota
	StateReplicate
	StateSnapshot
)

func (s ProgressState) String() string {
	switch s {
	case StateReplicate:
		return "replicate"
	case StateSnapshot:
		return "snapshot"
	}
	return "probe"
}

// Progress is a leader's view of one follower: the paper's nextIndex and
// matchIndex (Figure 2, "Volatile state on leaders"), plus flow control.
type Progress struct {
	Match, Next uint64
	State       ProgressState
	// ProbeSent pauses a probing leader until the follower answers.
	ProbeSent bool
	// RecentActive is set by any message from the follower; CheckQuorum reads it.
	RecentActive bool
	inflights    inflights
	// matchAtHeartbeat notices a follower that made no progress for a whole
	// heartbeat interval (its appends were lost) so that the leader probes again.
	matchAtHeartbeat uint64
	// sentCommit is the highest commit index sent to the follower.
	sentCommit uint64
	// tracked marks a member of the configuration the leader sends to.
	tracked bool
	// readAck is the latest heartbeat round the member answered.
	readAck uint64
	// snap is the snapshot being sent (StateSnapshot); SnapAcked the bytes
	// the follower confirmed; snapIdle the heartbeats since it last answered.
	snap      *Snapshot
	SnapAcked uint64
	snapIdle  int
}

// SnapshotIndex is the last included index of the snapshot being sent, or 0.
func (p *Progress) SnapshotIndex() uint64 {
	if p.State != StateSnapshot || p.snap == nil {
		return 0
	}
	return p.snap.Meta.Index
}

// SnapshotSize is the size of the snapshot being sent, or 0.
func (p *Progress) SnapshotSize() uint64 {
	if p.State != StateSnapshot || p.snap == nil {
		return 0
	}
	return uint64(len(p.snap.Data))
}

func (p *Progress) String() string {
	return fmt.Sprintf("match=%d next=%d %v inflight=%d", p.Match, p.Next, p.State, p.inflights.count)
}

// Inflight is the number of AppendEntries sent and not yet acknowledged.
func (p *Progress) Inflight() int { return p.inflights.count }

func (p *Progress) becomeProbe() {
	p.State = StateProbe
	p.snap = nil
	p.Next = p.Match + 1
	p.ProbeSent = false
	p.inflights.reset()
}

func (p *Progress) becomeReplicate() {
	p.State = StateReplicate
	p.Next = p.Match + 1
	p.ProbeSent = false
	p.inflights.reset()
}

// maybeUpdate records an acknowledged match index; it never lowers Match.
func (p *Progress) maybeUpdate(n uint64) bool {
	updated := false
	if p.Match < n {
		p.Match = n
		updated = true
		p.ProbeSent = false
	}
	if p.Next < n+1 {
		p.Next = n + 1
	}
	return updated
}

// maybeDecrTo handles a rejected append of prevLogIndex rejected, with the
// follower's hint. It returns false for a stale rejection.
func (p *Progress) maybeDecrTo(rejected, hint uint64) bool {
	if p.State == StateSnapshot {
		return false
	}
	if p.State == StateReplicate {
		if rejected <= p.Match {
			return false
		}
		p.Next = p.Match + 1
		return true
	}
	if p.Next-1 != rejected {
		return false
	}
	p.Next = max(min(rejected, hint+1), p.Match+1)
	p.ProbeSent = false
	return true
}

func (p *Progress) paused() bool {
	switch p.State {
	case StateProbe:
		return p.ProbeSent
	case StateSnapshot:
		return true
	}
	return p.inflights.full()
}

// inflights is a bounded ring of the last index of each append in flight.
type inflights struct {
	start, count int
	buf          []uint64
}

func newInflights(size int) inflights { return inflights{buf: make([]uint64, size)} }

func (in *inflights) full() bool { return in.count == len(in.buf) }
func (in *inflights) reset()     { in.start, in.count = 0, 0 }

func (in *inflights) add(last uint64) {
	i := (in.start + in.count) % len(in.buf)
	in.buf[i] = last
	in.count++
}

// freeLE frees every append whose last index is <= to.
func (in *inflights) freeLE(to uint64) {
	for in.count > 0 && in.buf[in.start] <= to {
		in.start = (in.start + 1) % len(in.buf)
		in.count--
	}
}
