package check

import (
	"fmt"

	"smrlab/core/fsm"
	"smrlab/core/raft"
)

// pendingCheck is a state to compare with the reference state machine once
// the reference reaches its index.
type pendingCheck struct {
	id    raft.ID
	index uint64
	hash  uint64
	what  string // "" for a state machine (StateHash), else which snapshot
}

// maxPending bounds the checks waiting for the reference; the oldest go
// first. In a correct run the reference is never behind a server's state.
const maxPending = 64

// observeSnapshot mirrors a snapshot a Ready carries and checks it.
//
// A local snapshot (Restore false) compacts the log up to its index. One
// installed from the leader (Restore true) keeps the entries after it if the
// log holds its last entry with the same term (paper §7), and otherwise
// replaces the whole log.
func (c *Checker) observeSnapshot(id raft.ID, l *nodeLog, st raft.Status, rd *raft.Ready) *Violation {
	s := rd.Snapshot
	i, term := s.Meta.Index, s.Meta.Term
	if i == 0 {
		return nil
	}
	var v *Violation
	first := func(w *Violation) {
		if v == nil {
			v = w
		}
	}
	if rd.Restore {
		if i < l.applied {
			first(c.violation(AppliedIndexMonotonic, fmt.Sprintf(
				"%v had applied up to index %d, then installed a snapshot from the leader at index %d: its state went back to an older one",
				id, l.applied, i), id))
		}
		if i > l.offset && l.has(i) && l.termAt(i) == term {
			if l.anchored && c.isCommitted(i) && l.chainAt(i) != c.committedAt(i) {
				first(c.violation(LogMatching, fmt.Sprintf(
					"%v holds entry %d of term %d, the last entry of the snapshot it installed, but its log before it differs from the committed one",
					id, i, term), id, c.committer(i)))
			}
			l.compact(i)
		} else {
			c.resetMirror(l, i, term)
		}
		l.applied = max(l.applied, i)
	} else {
		switch {
		case i > l.last():
			first(c.violation(SnapshotConsistency, fmt.Sprintf(
				"%v took a snapshot up to index %d, past the end of its log (%d)", id, i, l.last()), id))
			c.resetMirror(l, i, term)
		case i > l.offset:
			if l.termAt(i) != term {
				first(c.violation(SnapshotConsistency, fmt.Sprintf(
					"%v took a snapshot at index %d saying term %d, but its log holds an entry of term %d there",
					id, i, term, l.termAt(i)), id))
			}
			l.compact(i)
		}
		if i > st.Applied {
			first(c.violation(SnapshotConsistency, fmt.Sprintf(
				"%v took a snapshot at index %d but has applied entries only up to %d: a snapshot is the state machine's state",
				id, i, st.Applied), id))
		}
	}
	what := "the snapshot it took"
	if rd.Restore {
		what = "the snapshot it installed"
	}
	first(c.checkSnapshot(id, s, what))
	return v
}

// checkSnapshot checks that a snapshot holds committed entries only, with
// the committed entry's term at its index, and that its state is the state
// of the committed log up to its index (now, or once the reference gets there).
func (c *Checker) checkSnapshot(id raft.ID, s *raft.Snapshot, what string) *Violation {
	i, term := s.Meta.Index, s.Meta.Term
	if known := c.known(); i > known {
		return c.violation(SnapshotConsistency, fmt.Sprintf(
			"%v: %s covers the log up to index %d, but entries are committed only up to %d: a snapshot may hold committed entries only",
			id, what, i, known), id)
	}
	if i >= c.base && c.entryTerm[i-c.base] != term {
		return c.violation(SnapshotConsistency, fmt.Sprintf(
			"%v: %s says its last entry, index %d, has term %d, but the committed entry %d has term %d",
			id, what, i, term, i, c.entryTerm[i-c.base]), id, c.committer(i))
	}
	h, err := fsm.SnapshotHash(s.Data)
	if err != nil {
		return c.violation(SnapshotConsistency, fmt.Sprintf("%v: %s, at index %d, does not decode: %v",
			id, what, i, err), id)
	}
	return c.compareState(pendingCheck{id: id, index: i, hash: h, what: what})
}

// StateHash checks a server's state machine: hash is its state after
// applying index applied (call it after each batch of applies and after a
// restore). It must equal the state of the committed log up to that index.
func (c *Checker) StateHash(id raft.ID, applied uint64, hash uint64) *Violation {
	if c.node(id) == nil {
		return nil
	}
	return c.compareState(pendingCheck{id: id, index: applied, hash: hash})
}

// compareState compares a state with the reference at its index, or keeps
// it until the reference gets there. Below the trimmed base nothing is
// known any more: such a state is not checked.
func (c *Checker) compareState(p pendingCheck) *Violation {
	if p.index < c.base {
		return nil
	}
	if p.index > c.refApplied() {
		if len(c.pending) >= maxPending {
			c.pending = append(c.pending[:0:0], c.pending[1:]...)
		}
		c.pending = append(c.pending, p)
		return nil
	}
	want := c.refHash[p.index-c.base]
	if p.hash == want {
		return nil
	}
	if p.what == "" {
		return c.violation(StateMachineSafety, fmt.Sprintf(
			"%v's state after applying index %d differs from the state of the committed log up to %d",
			p.id, p.index, p.index), p.id)
	}
	return c.violation(SnapshotConsistency, fmt.Sprintf(
		"%v: %s, at index %d, differs from the state obtained by applying the committed log up to %d",
		p.id, p.what, p.index, p.index), p.id)
}

// refApplied is the index the reference state machine has applied up to.
func (c *Checker) refApplied() uint64 { return c.base + uint64(len(c.refHash)) - 1 }

// applyReference feeds the reference state machine the committed entries a
// server applied, each index once: the first Committed that reaches it. An
// entry is checked against the committed chain before it is applied.
func (c *Checker) applyReference(id raft.ID, ents []raft.Entry) *Violation {
	advanced := false
	for k := range ents {
		e := &ents[k]
		r := c.refApplied()
		if e.Index <= r {
			continue
		}
		if e.Index != r+1 || e.Index > c.known() {
			break
		}
		if entryHash(c.committedAt(r), e) != c.committedAt(e.Index) {
			return c.violation(StateMachineSafety, fmt.Sprintf(
				"%v applied at index %d an entry other than the one %v committed there",
				id, e.Index, c.committer(e.Index)), id, c.committer(e.Index))
		}
		// Like the simulator, apply every entry's data: a no-op or a
		// configuration changes nothing but the applied index.
		_, _ = c.ref.Apply(e.Index, e.Data)
		c.refHash = append(c.refHash, c.ref.Hash())
		advanced = true
	}
	if !advanced || len(c.pending) == 0 {
		return nil
	}
	// Settle the checks that waited for these indexes.
	var v *Violation
	keep := c.pending[:0:0]
	for _, p := range c.pending {
		if p.index > c.refApplied() {
			keep = append(keep, p)
			continue
		}
		if w := c.compareState(p); w != nil && v == nil {
			v = w
		}
	}
	c.pending = keep
	return v
}
