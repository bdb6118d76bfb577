// Package check watches a simulated cluster for broken Raft guarantees. The
// simulator reports each server's Ready and status after every input, and the
// Checker verifies the five properties of the Raft paper's Figure 3, plus that
// commit indexes never go back and that no server applies past its commit
// index. Every check is incremental: it costs a few array reads per entry.
package check

import (
	"fmt"
	"slices"
	"strings"

	"smrlab/core/raft"
)

// The names of the invariants, as scenarios and reports spell them.
const (
	ElectionSafety      = "ElectionSafety"
	LeaderAppendOnly    = "LeaderAppendOnly"
	LogMatching         = "LogMatching"
	LeaderCompleteness  = "LeaderCompleteness"
	StateMachineSafety  = "StateMachineSafety"
	CommitMonotonic     = "CommitIndexMonotonic"
	AppliedWithinCommit = "AppliedWithinCommit"
)

// Invariants lists every invariant the Checker verifies.
var Invariants = []string{ElectionSafety, LeaderAppendOnly, LogMatching, LeaderCompleteness,
	StateMachineSafety, CommitMonotonic, AppliedWithinCommit}

// Known reports whether name is an invariant this package checks (or the
// liveness watchdog's "Liveness").
func Known(name string) bool {
	for _, n := range Invariants {
		if n == name {
			return true
		}
	}
	return name == LivenessName
}

// Violation says which invariant broke, where and why.
type Violation struct {
	Invariant   string
	Event       uint64 // the event index (trace sequence number) after which it was seen
	Time        int64  // virtual microseconds
	Nodes       []raft.ID
	Explanation string
}

func (v *Violation) Error() string {
	ids := make([]string, len(v.Nodes))
	for i, id := range v.Nodes {
		ids[i] = id.String()
	}
	return fmt.Sprintf("%s violated at event %d (t=%s) on %s: %s", v.Invariant, v.Event,
		FormatMicros(v.Time), strings.Join(ids, ","), v.Explanation)
}

// FormatMicros prints virtual time the way scenarios write it: 3s, 150ms,
// 1.25s, 12.406ms, 250us.
func FormatMicros(us int64) string {
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	switch {
	case us >= 1_000_000:
		return sign + decimal(us, 1_000_000, 6) + "s"
	case us >= 1000:
		return sign + decimal(us, 1000, 3) + "ms"
	}
	return fmt.Sprintf("%s%dus", sign, us)
}

// decimal prints v/unit with up to digits decimals, trailing zeros dropped.
func decimal(v, unit int64, digits int) string {
	s := fmt.Sprintf("%d.%0*d", v/unit, digits, v%unit)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// nodeLog mirrors one server's in-memory log as chained prefix hashes: two
// logs agree up to index i exactly when their chain values at i agree.
type nodeLog struct {
	chain   []uint64 // chain[i] for index i; chain[0] = 0
	terms   []uint64
	role    raft.Role
	term    uint64
	commit  uint64
	applied uint64
	up      bool
}

func (l *nodeLog) last() uint64 { return uint64(len(l.chain) - 1) }

func (l *nodeLog) reset() {
	l.chain = []uint64{0}
	l.terms = []uint64{0}
}

func (l *nodeLog) appendEntry(e *raft.Entry) {
	h := l.chain[len(l.chain)-1]
	l.chain = append(l.chain, entryHash(h, e))
	l.terms = append(l.terms, e.Term)
}

func entryHash(prev uint64, e *raft.Entry) uint64 {
	x := prev ^ mix(e.Term+1) ^ mix(uint64(e.Type)<<56|e.Index)
	for _, b := range e.Data {
		x = (x ^ uint64(b)) * 1099511628211
	}
	return mix(x)
}

func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// Checker verifies the invariants across all servers of one run.
type Checker struct {
	nodes   []nodeLog
	leaders map[uint64]raft.ID // Election Safety: the leader of each term
	// committed is the chain of the longest prefix any server has committed;
	// commitTerm[i] is the lowest term in which a server saw index i committed.
	committed  []uint64
	commitTerm []uint64
	// firstCommitter[i] is the first server seen committing index i (for reports).
	firstCommitter []raft.ID
}

// New returns a checker for servers S1..Sn with empty logs.
func New(n int) *Checker {
	c := &Checker{nodes: make([]nodeLog, n), leaders: map[uint64]raft.ID{},
		committed: []uint64{0}, commitTerm: []uint64{0}, firstCommitter: []raft.ID{0}}
	for i := range c.nodes {
		c.nodes[i].reset()
		c.nodes[i].up = true
	}
	return c
}

func (c *Checker) node(id raft.ID) *nodeLog { return &c.nodes[id-1] }

// Crash notes that a server stopped; its volatile state is gone.
func (c *Checker) Crash(id raft.ID) {
	l := c.node(id)
	l.up = false
	l.role = raft.Follower
}

// Restart notes that a server started from its disk.
func (c *Checker) Restart(id raft.ID, st raft.Status, d raft.Durable) *Violation {
	l := c.node(id)
	l.reset()
	for i := range d.Entries {
		l.appendEntry(&d.Entries[i])
	}
	l.up, l.role, l.term = true, st.Role, st.Term
	l.commit, l.applied = st.Commit, st.Applied
	if v := c.checkLogMatching(id, 1); v != nil {
		return v
	}
	return c.checkCommitted(id, st.Term)
}

// Observe checks a server after it produced a Ready (applied by the caller)
// and reached status st.
func (c *Checker) Observe(id raft.ID, st raft.Status, rd *raft.Ready) *Violation {
	l := c.node(id)
	// Only a server that led the same term before and after this input
	// must have kept its log append-only.
	stillLeader := l.role == raft.Leader && st.Role == raft.Leader && l.term == st.Term
	// The role first: a second leader of a term breaks Election Safety
	// before its no-op entry can break Log Matching.
	if v := c.observeRole(id, l, st); v != nil {
		return v
	}
	if len(rd.Entries) > 0 {
		if v := c.appendEntries(id, l, rd.Entries, stillLeader); v != nil {
			return v
		}
	}
	if st.Commit < l.commit {
		return c.violation(CommitMonotonic, fmt.Sprintf("%v's commit index went back from %d to %d",
			id, l.commit, st.Commit), id)
	}
	if st.Commit > l.commit {
		l.commit = st.Commit
		if v := c.checkCommitted(id, st.Term); v != nil {
			return v
		}
	}
	if st.Applied > st.Commit {
		return c.violation(AppliedWithinCommit, fmt.Sprintf("%v applied index %d past its commit index %d",
			id, st.Applied, st.Commit), id)
	}
	if st.Applied > l.applied {
		l.applied = st.Applied
		if l.chain[st.Applied] != c.committed[st.Applied] {
			return c.violation(StateMachineSafety, fmt.Sprintf(
				"%v applied an entry at index %d that differs from the committed one", id, st.Applied),
				id, c.firstCommitter[st.Applied])
		}
	}
	return nil
}

func (c *Checker) appendEntries(id raft.ID, l *nodeLog, ents []raft.Entry, leader bool) *Violation {
	first := ents[0].Index
	if first == 0 || first > l.last()+1 {
		return c.violation(LogMatching, fmt.Sprintf("%v wrote entry %d after a log ending at %d (a gap)",
			id, first, l.last()), id)
	}
	if leader && first <= l.last() {
		return c.violation(LeaderAppendOnly, fmt.Sprintf(
			"leader %v of term %d overwrote its log from index %d (its log ended at %d)",
			id, l.term, first, l.last()), id)
	}
	if first <= l.commit && l.terms[first] != ents[0].Term {
		return c.violation(StateMachineSafety, fmt.Sprintf(
			"%v replaced committed entry %d (term %d) with one of term %d", id, first, l.terms[first], ents[0].Term),
			id)
	}
	if first <= l.last() {
		// Truncate into fresh arrays: a clone of this checker shares them.
		l.chain, l.terms = slices.Clone(l.chain[:first]), slices.Clone(l.terms[:first])
	}
	for i := range ents {
		l.appendEntry(&ents[i])
	}
	return c.checkLogMatching(id, first)
}

// checkLogMatching verifies §5.3's Log Matching Property for the entries of
// id from index `from` on: wherever another log holds the same index and term,
// the two logs agree on every entry up to it.
func (c *Checker) checkLogMatching(id raft.ID, from uint64) *Violation {
	l := c.node(id)
	for j := range c.nodes {
		o := &c.nodes[j]
		other := raft.ID(j + 1)
		if other == id {
			continue
		}
		hi := min(l.last(), o.last())
		for i := from; i <= hi; i++ {
			if l.terms[i] == o.terms[i] && l.chain[i] != o.chain[i] {
				return c.violation(LogMatching, fmt.Sprintf(
					"%v and %v both hold index %d of term %d but their logs differ before it",
					id, other, i, l.terms[i]), id, other)
			}
		}
	}
	return nil
}

func (c *Checker) observeRole(id raft.ID, l *nodeLog, st raft.Status) *Violation {
	became := st.Role == raft.Leader && (l.role != raft.Leader || l.term != st.Term)
	l.role, l.term = st.Role, st.Term
	if !became {
		return nil
	}
	if other, ok := c.leaders[st.Term]; ok && other != id {
		return c.violation(ElectionSafety, fmt.Sprintf("%v and %v were both elected leader in term %d",
			other, id, st.Term), other, id)
	}
	c.leaders[st.Term] = id
	// Leader Completeness (§5.4): every entry committed in an earlier term
	// is in the new leader's log.
	need := uint64(0)
	for i := uint64(len(c.committed)) - 1; i > 0; i-- {
		if c.commitTerm[i] < st.Term {
			need = i
			break
		}
	}
	if need > 0 && (need > l.last() || l.chain[need] != c.committed[need]) {
		return c.violation(LeaderCompleteness, fmt.Sprintf(
			"%v became leader of term %d without entry %d, committed in term %d", id, st.Term, need,
			c.commitTerm[need]), id, c.firstCommitter[need])
	}
	return nil
}

// checkCommitted folds id's commit index into the committed prefix: every
// server must agree on every committed entry (§5.4.3, State Machine Safety).
func (c *Checker) checkCommitted(id raft.ID, term uint64) *Violation {
	l := c.node(id)
	if l.commit > l.last() {
		return c.violation(StateMachineSafety, fmt.Sprintf("%v's commit index %d is past the end of its log (%d)",
			id, l.commit, l.last()), id)
	}
	known := uint64(len(c.committed) - 1)
	upto := min(l.commit, known)
	if upto > 0 && l.chain[upto] != c.committed[upto] {
		first := upto
		for first > 1 && l.chain[first-1] != c.committed[first-1] {
			first--
		}
		return c.violation(StateMachineSafety, fmt.Sprintf(
			"%v committed index %d with an entry other than the one %v committed there",
			id, first, c.firstCommitter[first]), id, c.firstCommitter[first])
	}
	for i := upto; i > 0 && c.commitTerm[i] > term; i-- {
		c.commitTerm[i] = term
	}
	if l.commit <= known {
		return nil
	}
	for i := known + 1; i <= l.commit; i++ {
		c.committed = append(c.committed, l.chain[i])
		c.commitTerm = append(c.commitTerm, term)
		c.firstCommitter = append(c.firstCommitter, id)
	}
	// Leaders of later terms must already hold what was just committed.
	for j := range c.nodes {
		o := &c.nodes[j]
		if !o.up || o.role != raft.Leader || o.term <= l.terms[l.commit] {
			continue
		}
		if o.last() < l.commit || o.chain[l.commit] != c.committed[l.commit] {
			if l.terms[l.commit] < o.term && term < o.term {
				return c.violation(LeaderCompleteness, fmt.Sprintf(
					"%v committed index %d in term %d, but %v, leader of term %d, does not hold it",
					id, l.commit, term, raft.ID(j+1), o.term), id, raft.ID(j+1))
			}
		}
	}
	return nil
}

func (c *Checker) violation(inv, why string, nodes ...raft.ID) *Violation {
	ns := make([]raft.ID, 0, len(nodes))
	for _, n := range nodes {
		if n != raft.None {
			ns = append(ns, n)
		}
	}
	return &Violation{Invariant: inv, Nodes: ns, Explanation: why}
}

// Clone returns an independent copy of the checker, for a cloned world.
func (c *Checker) Clone() *Checker {
	n := &Checker{nodes: make([]nodeLog, len(c.nodes)), leaders: make(map[uint64]raft.ID, len(c.leaders)),
		committed: slices.Clip(c.committed), commitTerm: slices.Clone(c.commitTerm),
		firstCommitter: slices.Clip(c.firstCommitter)}
	for i, l := range c.nodes {
		// Shared, not copied: both sides only append past their own end, and
		// a truncation copies (appendEntries, reset).
		l.chain, l.terms = slices.Clip(l.chain), slices.Clip(l.terms)
		n.nodes[i] = l
	}
	for t, id := range c.leaders {
		n.leaders[t] = id
	}
	return n
}
