package check

import (
	"slices"

	"smrlab/core/raft"
)

// Memory. Without trimming, the global arrays grow by one slot per committed
// entry and the leaders map by one per term, for the whole run. Once servers
// snapshot, most of that is dead weight:
//
//   - An index at or below a server's snapshot (its mirror's offset) is never
//     compared again for that server: its log no longer holds it.
//   - A restart brings back the log after the snapshot on the disk, so the
//     chain value at the durable snapshot's index must stay known.
//
// So the checker keeps the global arrays (committed chain, entry terms, commit
// terms, first committers, reference hashes) from
//
//	base = min over servers of min(mirror offset, durable snapshot index)
//
// on, also never past the reference state machine's applied index. Spare
// machines (an empty mirror from index 0 and no snapshot on disk) are left
// out: they hold nothing to compare. A server that never snapshots, or one
// that stays down forever, holds base where it is. Trimming copies the kept
// suffix into fresh arrays (a clone may share the old ones) and happens in
// batches, once the prefix to drop is at least trimMin entries and at least
// as long as the suffix kept, so that it costs O(1) per entry.
const trimMin = 4096

// SnapshotDurable notes that server id's snapshot at index is now on its disk
// (a restart will start from it). Call it when the write completes.
func (c *Checker) SnapshotDurable(id raft.ID, index uint64) {
	l := c.node(id)
	if l == nil {
		return
	}
	l.durable = index
	c.maybeTrim()
}

// maybeTrim drops the global arrays' prefix below the trimming pin (see
// above) once it is long enough.
func (c *Checker) maybeTrim() {
	pin := c.refApplied()
	for i := range c.nodes {
		l := &c.nodes[i]
		if l.spare() {
			continue
		}
		pin = min(pin, l.offset, l.durable)
	}
	if pin <= c.base {
		return
	}
	drop := pin - c.base
	if drop < trimMin || drop < uint64(len(c.committed))-drop {
		return
	}
	c.committed = slices.Clone(c.committed[drop:])
	c.entryTerm = slices.Clone(c.entryTerm[drop:])
	c.commitTerm = slices.Clone(c.commitTerm[drop:])
	c.firstCommitter = slices.Clone(c.firstCommitter[drop:])
	c.refHash = slices.Clone(c.refHash[drop:])
	c.base = pin
}

// The leaders map. Election Safety needs the leader of term t only while a
// second server could still be elected in t. A server campaigns in term t
// only with a term at most t, and it needs votes from servers whose terms are
// at most t too; terms never decrease, on disk or in memory. A crashed server
// comes back with the term on its disk, which trails the last term it showed
// by the few elections it had not yet written (a candidate writes its term
// before it asks for votes). So the checker forgets the terms more than
// leaderTermSlack below the lowest term any non-spare server (running or
// down) last showed: those can no longer get a leader. Trimming runs when
// the map has doubled since the last trim, so it costs O(1) per election.
// A server that stays down forever holds the floor where it is, as it holds
// the global arrays' base.
const (
	leaderTermSlack = 64
	leaderTrimMin   = 256
)

func (c *Checker) trimLeaders() {
	if len(c.leaders) < c.leaderTrimAt {
		return
	}
	floor, any := uint64(0), false
	for i := range c.nodes {
		l := &c.nodes[i]
		if l.spare() {
			continue
		}
		if !any || l.term < floor {
			floor = l.term
		}
		any = true
	}
	if any && floor > leaderTermSlack && floor-leaderTermSlack > c.leaderFloor {
		c.leaderFloor = floor - leaderTermSlack
		for t := range c.leaders {
			if t < c.leaderFloor {
				delete(c.leaders, t)
			}
		}
	}
	c.leaderTrimAt = max(2*len(c.leaders), leaderTrimMin)
}
