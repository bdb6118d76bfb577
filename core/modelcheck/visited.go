package modelcheck

import (
	"smrlab/core/raft"
	"smrlab/core/sim"
)

// visited remembers the states explored, by their servers' part (the
// servers' states, disks and what the checker remembers, under the renaming
// of servers that gives the least hash) and, for each, the wires and budgets
// it was reached with.
//
// A state is new unless a remembered one subsumes it: the same servers, a
// wire holding every message it holds (as a multiset) and budgets used no
// more. The remembered state can take every step the new one can (it may
// leave its extra messages on the wire for ever), and reach states that
// subsume the new one's successors in as many steps; so no violation, and no
// shortest path to one, is lost. The bound on messages in flight is the one
// exception: a full wire forbids sending, so a full state subsumes only
// full ones. (At that edge the rule is not exact: a remembered state with
// more messages in flight may fill up a step before the new one would, so a
// path that sends at the bound's very edge can be missed; never a violation
// reported that is not there. Counting only equal wires would cost several
// times the states.)
type visited struct {
	b         *Bounds
	renamings []raft.Renaming
	// sig holds each server's signature (sim.World.Signature) in the state
	// being added; only renamings that list servers in signature order
	// are tried, as the others cannot give the least key of the orbit.
	sig       []uint64
	byServers map[uint64][]reached
	keys      []uint64
	wire      []uint64
}

// subsumeScanMax bounds the remembered wires a new state is compared with.
const subsumeScanMax = 64

type reached struct {
	wire []uint64
	used budget
	full bool
}

func newVisited(b Bounds) *visited {
	n := b.Servers + b.Spares
	return &visited{b: &b, renamings: permutations(n), sig: make([]uint64, n),
		byServers: map[uint64][]reached{}}
}

// ordered reports whether r lists the servers in the order of their
// signatures: the server it names 1 has the least signature, and so on.
// Among renamings, only these are compared; the set is the same for every
// state of an orbit, so the least key among them still names the orbit.
func (v *visited) ordered(r *raft.Renaming) bool {
	var byName [raft.MaxID + 1]uint64
	for id := range v.sig {
		byName[r[id+1]] = v.sig[id]
	}
	for name := 2; name <= len(v.sig); name++ {
		if byName[name] < byName[name-1] {
			return false
		}
	}
	return true
}

// add records w's state, reached with budgets used, and reports whether it
// is new.
func (v *visited) add(w *sim.World, used budget) bool {
	v.keys = v.keys[:0]
	for id := range v.sig {
		v.sig[id] = w.Signature(raft.ID(id + 1))
	}
	best := ^uint64(0)
	for i := range v.renamings {
		k := ^uint64(0)
		if v.ordered(&v.renamings[i]) {
			k = w.ModelKey(&v.renamings[i])
			best = min(best, k)
		}
		v.keys = append(v.keys, k)
	}
	full := w.InFlightCount() >= v.b.InFlight
	list := v.byServers[best]
	var first []uint64
	for i, k := range v.keys {
		if k != best {
			continue
		}
		v.wire = w.Wire(v.wire[:0], &v.renamings[i])
		if len(list) > subsumeScanMax {
			// Past this many, compare with the latest ones only: a miss
			// costs a state explored twice, never a state lost.
			list = list[len(list)-subsumeScanMax:]
		}
		for _, r := range list {
			if r.used.within(used) && (!r.full || full) && superset(r.wire, v.wire) {
				return false
			}
		}
		if first == nil {
			first = append([]uint64(nil), v.wire...)
		}
	}
	v.byServers[best] = append(v.byServers[best], reached{wire: first, used: used, full: full})
	return true
}

// within reports whether b used no more of any budget than o.
func (b budget) within(o budget) bool {
	return b.crashes <= o.crashes && b.timeouts <= o.timeouts && b.drops <= o.drops && b.dups <= o.dups &&
		b.changes <= o.changes
}

// superset reports whether sorted multiset a holds every element of sorted
// multiset b, as often.
func superset(a, b []uint64) bool {
	if len(b) > len(a) {
		return false
	}
	i := 0
	for _, x := range b {
		for i < len(a) && a[i] < x {
			i++
		}
		if i == len(a) || a[i] != x {
			return false
		}
		i++
	}
	return true
}
