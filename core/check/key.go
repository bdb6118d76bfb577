package check

import (
	"slices"

	"smrlab/core/raft"
)

// StateKey feeds sink what the checker remembers of the run so far and what
// a later check depends on: the leader of each term, the committed prefix
// with each entry's term and the term it was first seen committed in, and
// each server's mirror. An exhaustive explorer hashes it with the servers'
// states, so that two paths to the same servers are merged only when the
// checks ahead would judge them alike. Servers are named through r.
func (c *Checker) StateKey(sink raft.KeySink, r *raft.Renaming) {
	terms := make([]uint64, 0, len(c.leaders))
	for t := range c.leaders {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	sink.Uint64(uint64(len(terms)))
	for _, t := range terms {
		sink.Uint64(t)
		sink.Uint64(uint64(r.Of(c.leaders[t])))
	}
	sink.Uint64(c.base)
	sink.Uint64(uint64(len(c.committed)))
	for i := range c.committed {
		sink.Uint64(c.entryTerm[i])
		sink.Uint64(c.commitTerm[i])
	}
	mirrors := make([]*nodeLog, len(c.nodes))
	for i := range c.nodes {
		at := int(r.Of(raft.ID(i+1))) - 1
		if at < 0 || at >= len(mirrors) {
			at = i
		}
		mirrors[at] = &c.nodes[i]
	}
	for _, l := range mirrors {
		if l == nil {
			sink.Uint64(0)
			continue
		}
		sink.Uint64(l.offset)
		sink.Uint64(uint64(len(l.terms)))
		for _, t := range l.terms {
			sink.Uint64(t)
		}
		sink.Uint64(uint64(l.role) | b2u(l.up)<<8 | b2u(l.anchored)<<9)
		sink.Uint64(l.term)
		sink.Uint64(l.commit)
		sink.Uint64(l.applied)
		sink.Uint64(l.durable)
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
