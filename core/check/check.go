// Package check watches a simulated cluster for broken Raft guarantees. The
// simulator reports each server's Ready and status after every input, and the
// Checker verifies the five properties of the Raft paper's Figure 3, plus that
// commit and applied indexes never go back, that no server applies past its
// commit index, that snapshots hold the state of the committed log, that
// commitment counts voters only and that membership changes keep majorities
// overlapping. Every check is incremental: it costs a few array reads per
// entry, and with snapshots the checker's memory stays flat over a long run.
package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"smrlab/core/fsm"
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
	// AppliedIndexMonotonic: a running server never un-applies entries.
	AppliedIndexMonotonic = "AppliedIndexMonotonic"
	// SnapshotConsistency: a snapshot is the state of the committed log up
	// to its index, and carries that entry's term.
	SnapshotConsistency = "SnapshotConsistency"
	// QuorumOfVoters: a leader commits an entry only once a majority of
	// every voter set of its configuration holds it; learners never count.
	QuorumOfVoters = "QuorumOfVoters"
	// ConfigurationSafety: each configuration a leader appends overlaps the
	// one before in majorities (a joint step, or one voter at a time).
	ConfigurationSafety = "ConfigurationSafety"
)

// Invariants lists every invariant the Checker verifies.
var Invariants = []string{ElectionSafety, LeaderAppendOnly, LogMatching, LeaderCompleteness,
	StateMachineSafety, CommitMonotonic, AppliedWithinCommit, AppliedIndexMonotonic, SnapshotConsistency,
	QuorumOfVoters, ConfigurationSafety}

// NoSessionDedup makes the checker's reference state machine apply retried
// commands again, as servers with the no-session-dedup bug do: that bug is
// a state machine of its own, and the check that catches it is
// linearizability, not a mismatch with the reference.
func (c *Checker) NoSessionDedup() { c.ref.NoDedup = true }

// Linearizability names a client history that no order of its operations
// explains (checked on the history at the end of a run, or live in the
// browser, by core/linear).
const Linearizability = "Linearizability"

// Known reports whether name is an invariant this package checks, the
// liveness watchdog's "Liveness", or "Linearizability".
func Known(name string) bool {
	for _, n := range Invariants {
		if n == name {
			return true
		}
	}
	return name == LivenessName || name == Linearizability
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
	on := ""
	if len(ids) > 0 {
		on = " on " + strings.Join(ids, ",")
	}
	return fmt.Sprintf("%s violated at event %d (t=%s)%s: %s", v.Invariant, v.Event,
		FormatMicros(v.Time), on, v.Explanation)
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

// Checker verifies the invariants across all servers of one run. The
// simulator calls, per server: Observe after each Ready is handled;
// StateHash after each batch of applies and after a restore; SnapshotDurable
// when a snapshot write reaches the disk; Crash when the server stops and
// Restart once it has started again from its disk. Clone copies the checker
// with its world.
//
// The global arrays below are indexed from base, the lowest index the checker
// still remembers: committed[i-base] is index i's chain value, and so on.
// Everything below base is covered by the snapshots of every server that
// holds anything (see maybeTrim), so it is never needed again.
type Checker struct {
	nodes []nodeLog
	// leaders is the leader of each term (Election Safety), for the terms
	// from leaderFloor on (see trimLeaders).
	leaders      map[uint64]raft.ID
	leaderFloor  uint64
	leaderTrimAt int

	base uint64
	// committed is the chain of the longest prefix any server has committed;
	// entryTerm[i] the term of committed entry i; commitTerm[i] the lowest
	// term in which a server saw index i committed.
	committed  []uint64
	entryTerm  []uint64
	commitTerm []uint64
	// firstCommitter[i] is the first server seen committing index i (for reports).
	firstCommitter []raft.ID

	// ref is the reference state machine: every committed entry applied once,
	// in order; refHash[i-base] its state hash after index i.
	ref     *fsm.KV
	refHash []uint64
	// pending are state checks at indexes the reference has not reached yet.
	pending []pendingCheck
}

// New returns a checker for servers S1..Sn with empty logs. A server with a
// higher ID gets an empty mirror the first time the checker hears of it.
func New(n int) *Checker {
	c := &Checker{nodes: make([]nodeLog, n), leaders: map[uint64]raft.ID{}, leaderTrimAt: leaderTrimMin,
		committed: []uint64{0}, entryTerm: []uint64{0}, commitTerm: []uint64{0}, firstCommitter: []raft.ID{0},
		ref: fsm.NewKV()}
	c.refHash = []uint64{c.ref.Hash()}
	for i := range c.nodes {
		c.nodes[i] = newNodeLog()
	}
	return c
}

func newNodeLog() nodeLog {
	l := nodeLog{up: true}
	l.reset(0, 0, 0, true)
	return l
}

// node returns the mirror of server id, making it if the checker has not
// heard of the server yet.
func (c *Checker) node(id raft.ID) *nodeLog {
	if id == raft.None || id > maxServers {
		return nil
	}
	for int(id) > len(c.nodes) {
		c.nodes = append(c.nodes, newNodeLog())
	}
	return &c.nodes[id-1]
}

// peer returns the mirror of server id, or nil if there is none.
func (c *Checker) peer(id raft.ID) *nodeLog {
	if id == raft.None || int(id) > len(c.nodes) {
		return nil
	}
	return &c.nodes[id-1]
}

// maxServers bounds the IDs the checker makes mirrors for.
const maxServers = 64

// known is the last index of the committed prefix.
func (c *Checker) known() uint64 { return c.base + uint64(len(c.committed)) - 1 }

// committedAt is committed index i's chain value (base <= i <= known).
func (c *Checker) committedAt(i uint64) uint64 { return c.committed[i-c.base] }

// isCommitted reports whether the checker remembers committed index i.
func (c *Checker) isCommitted(i uint64) bool { return i >= c.base && i <= c.known() }

func (c *Checker) committer(i uint64) raft.ID {
	if !c.isCommitted(i) {
		return raft.None
	}
	return c.firstCommitter[i-c.base]
}

// resetMirror empties l to a snapshot point (index, term), taking the chain
// value from the committed chain when it is known there.
func (c *Checker) resetMirror(l *nodeLog, index, term uint64) {
	switch {
	case index == 0:
		l.reset(0, 0, 0, true)
	case c.isCommitted(index):
		l.reset(index, term, c.committedAt(index), true)
	default:
		l.reset(index, term, placeholder(index, term), false)
	}
}

// Crash notes that a server stopped; its volatile state is gone.
func (c *Checker) Crash(id raft.ID) {
	l := c.node(id)
	if l == nil {
		return
	}
	l.up = false
	l.role = raft.Follower
}

// Restart notes that a server started from its disk, with status st. The
// mirror becomes the log raft.NewNode builds from d: the entries after the
// snapshot, all of them dropped when the log does not hold the snapshot's
// last entry. The applied index starts over (from the snapshot).
func (c *Checker) Restart(id raft.ID, st raft.Status, d raft.Durable) *Violation {
	l := c.node(id)
	if l == nil {
		return nil
	}
	snap := d.Snapshot.Meta
	ents, gap := durableLog(d)
	c.resetMirror(l, snap.Index, snap.Term)
	if s := snap.Index; s > 0 && s < c.base && len(ents) > 0 {
		// The checker no longer knows the chain at the snapshot: check this
		// log from the trimmed base on (if it reaches that far).
		if k := c.base - ents[0].Index; k < uint64(len(ents)) && ents[k].Index == c.base {
			c.resetMirror(l, c.base, ents[k].Term)
			ents = ents[k+1:]
		}
	}
	var v *Violation
	if gap != "" {
		v = c.violation(LogMatching, fmt.Sprintf("%v restarted from a disk whose log %s", id, gap), id)
	}
	for i := range ents {
		if ents[i].Index != l.last()+1 {
			v = c.violation(LogMatching, fmt.Sprintf("%v restarted from a disk whose log has entry %d after entry %d (a gap)",
				id, ents[i].Index, l.last()), id)
			break
		}
		l.appendEntry(&ents[i])
	}
	l.up, l.role, l.term = true, st.Role, st.Term
	l.commit, l.applied = st.Commit, st.Applied
	l.config = st.Config.Clone()
	l.durable = snap.Index
	if v != nil {
		return v
	}
	if snap.Index > 0 {
		if v := c.checkSnapshot(id, &d.Snapshot, "the snapshot on its disk"); v != nil {
			return v
		}
	}
	if v := c.checkLogMatching(id, l.offset); v != nil {
		return v
	}
	if v := c.checkCommitted(id, st.Term); v != nil {
		return v
	}
	c.maybeTrim()
	return nil
}

// durableLog returns the entries raft.NewNode keeps from a disk: those after
// the snapshot, or none if the log does not hold the snapshot's last entry.
// It describes a log that cannot be (a gap) instead.
func durableLog(d raft.Durable) ([]raft.Entry, string) {
	snap := d.Snapshot.Meta
	ents := d.Entries
	if len(ents) == 0 {
		return nil, ""
	}
	first, last := ents[0].Index, ents[len(ents)-1].Index
	switch {
	case first == 0 || first > snap.Index+1:
		return nil, fmt.Sprintf("starts at index %d, after the snapshot at %d (a gap)", first, snap.Index)
	case snap.Index == 0 || first == snap.Index+1:
		return ents, ""
	case last < snap.Index:
		return nil, ""
	case snap.Index-first >= uint64(len(ents)):
		return nil, fmt.Sprintf("has a gap before the snapshot's index %d", snap.Index)
	case ents[snap.Index-first].Term != snap.Term:
		return nil, ""
	}
	return ents[snap.Index+1-first:], ""
}

// Observe checks a server after it produced a Ready (applied by the caller)
// and reached status st.
func (c *Checker) Observe(id raft.ID, st raft.Status, rd *raft.Ready) *Violation {
	l := c.node(id)
	if l == nil {
		return nil
	}
	// Only a server that led the same term before and after this input
	// must have kept its log append-only.
	stillLeader := l.role == raft.Leader && st.Role == raft.Leader && l.term == st.Term
	prevConfig := l.config
	// The role first: a second leader of a term breaks Election Safety
	// before its no-op entry can break Log Matching.
	if v := c.observeRole(id, l, st); v != nil {
		return v
	}
	// A snapshot comes before the entries of the same Ready: they follow it.
	if rd.Snapshot != nil {
		if v := c.observeSnapshot(id, l, st, rd); v != nil {
			return v
		}
	}
	var configs []raft.Configuration
	if len(rd.Entries) > 0 {
		if v := c.appendEntries(id, l, rd.Entries, stillLeader); v != nil {
			return v
		}
		if st.Role == raft.Leader {
			var v *Violation
			if configs, v = c.checkConfigEntries(id, st, prevConfig, rd.Entries); v != nil {
				return v
			}
		}
	}
	// The status is the truth about the log's end: a node that dropped
	// entries it was not asked to drop (after a snapshot, say) no longer
	// holds them.
	if n := st.LastIndex; n >= 1 && n >= l.offset && n < l.last() {
		// Only a conflict may remove entries from a log (§5.3), and a
		// committed entry never conflicts: dropping one loses it.
		if i := n + 1; c.isCommitted(i) && l.anchored && l.chainAt(i) == c.committedAt(i) {
			return c.violation(StateMachineSafety, fmt.Sprintf(
				"%v discarded committed entry %d: its log now ends at %d (the paper's §7 says the entries "+
					"following a snapshot's last entry are retained)", id, i, n), id, c.committer(i))
		}
		l.truncate(n + 1)
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
		if st.Role == raft.Leader && l.has(st.Commit) && (stillLeader || l.termAt(st.Commit) == st.Term) {
			if v := c.checkQuorum(id, l, st, prevConfig, configs); v != nil {
				return v
			}
		}
	}
	if st.Applied > st.Commit {
		return c.violation(AppliedWithinCommit, fmt.Sprintf("%v applied index %d past its commit index %d",
			id, st.Applied, st.Commit), id)
	}
	if st.Applied < l.applied {
		return c.violation(AppliedIndexMonotonic, fmt.Sprintf(
			"%v's applied index went back from %d to %d while it kept running: a state machine never un-applies entries",
			id, l.applied, st.Applied), id)
	}
	if a := st.Applied; a > l.applied {
		l.applied = a
		if l.anchored && a > l.offset && a <= l.last() && c.isCommitted(a) && l.chainAt(a) != c.committedAt(a) {
			return c.violation(StateMachineSafety, fmt.Sprintf(
				"%v applied an entry at index %d that differs from the committed one", id, a),
				id, c.committer(a))
		}
	}
	if len(rd.Committed) > 0 {
		if v := c.applyReference(id, rd.Committed); v != nil {
			return v
		}
	}
	if !l.config.Equal(&st.Config) || l.config.Index != st.Config.Index {
		l.config = st.Config.Clone()
	}
	if rd.Snapshot != nil {
		c.maybeTrim()
	}
	return nil
}

func (c *Checker) appendEntries(id raft.ID, l *nodeLog, ents []raft.Entry, leader bool) *Violation {
	first := ents[0].Index
	if first == 0 || first > l.last()+1 {
		return c.violation(LogMatching, fmt.Sprintf("%v wrote entry %d after a log ending at %d (a gap)",
			id, first, l.last()), id)
	}
	if first <= l.offset {
		return c.violation(StateMachineSafety, fmt.Sprintf(
			"%v wrote entry %d over its snapshot, which already covers the committed entries up to %d",
			id, first, l.offset), id)
	}
	if leader && first <= l.last() {
		return c.violation(LeaderAppendOnly, fmt.Sprintf(
			"leader %v of term %d overwrote its log from index %d (its log ended at %d)",
			id, l.term, first, l.last()), id)
	}
	if first <= l.commit && first <= l.last() && l.termAt(first) != ents[0].Term {
		return c.violation(StateMachineSafety, fmt.Sprintf(
			"%v replaced committed entry %d (term %d) with one of term %d", id, first, l.termAt(first), ents[0].Term),
			id)
	}
	if first <= l.last() {
		l.truncate(first)
	}
	for i := range ents {
		if ents[i].Index != l.last()+1 {
			return c.violation(LogMatching, fmt.Sprintf("%v wrote entry %d after entry %d (a gap)",
				id, ents[i].Index, l.last()), id)
		}
		l.appendEntry(&ents[i])
	}
	return c.checkLogMatching(id, first)
}

// checkLogMatching verifies §5.3's Log Matching Property for the entries of
// id from index `from` on: wherever another log holds the same index and term,
// the two logs agree on every entry up to it. A snapshot point counts as
// holding its last entry, with the committed chain before it.
func (c *Checker) checkLogMatching(id raft.ID, from uint64) *Violation {
	l := c.peer(id)
	if !l.anchored {
		return nil
	}
	for j := range c.nodes {
		o := &c.nodes[j]
		other := raft.ID(j + 1)
		if other == id || !o.anchored {
			continue
		}
		hi := min(l.last(), o.last())
		for i := max(from, l.offset, o.offset, 1); i <= hi; i++ {
			if l.termAt(i) == o.termAt(i) && l.chainAt(i) != o.chainAt(i) {
				return c.violation(LogMatching, fmt.Sprintf(
					"%v and %v both hold index %d of term %d but their logs differ before it",
					id, other, i, l.termAt(i)), id, other)
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
	// Whatever configuration each server believes in, a term has one leader.
	if other, ok := c.leaders[st.Term]; ok && other != id {
		return c.violation(ElectionSafety, fmt.Sprintf("%v and %v were both elected leader in term %d",
			other, id, st.Term), other, id)
	}
	c.leaders[st.Term] = id
	c.trimLeaders()
	// Leader Completeness (§5.4): every entry committed in an earlier term
	// is in the new leader's log (or in its snapshot).
	need := uint64(0)
	for i := c.known(); i > c.base; i-- {
		if c.commitTerm[i-c.base] < st.Term {
			need = i
			break
		}
	}
	if need == 0 || need <= l.offset {
		return nil
	}
	if need > l.last() || (l.anchored && l.chainAt(need) != c.committedAt(need)) {
		return c.violation(LeaderCompleteness, fmt.Sprintf(
			"%v became leader of term %d without entry %d, committed in term %d", id, st.Term, need,
			c.commitTerm[need-c.base]), id, c.committer(need))
	}
	return nil
}

// checkCommitted folds id's commit index into the committed prefix: every
// server must agree on every committed entry (§5.4.3, State Machine Safety).
func (c *Checker) checkCommitted(id raft.ID, term uint64) *Violation {
	l := c.peer(id)
	if l.commit > l.last() {
		return c.violation(StateMachineSafety, fmt.Sprintf("%v's commit index %d is past the end of its log (%d)",
			id, l.commit, l.last()), id)
	}
	if !l.anchored {
		return nil
	}
	known := c.known()
	upto := min(l.commit, known)
	lo := max(c.base, l.offset)
	if upto > 0 && upto >= lo && l.chainAt(upto) != c.committedAt(upto) {
		first := upto
		for first-1 > lo && l.chainAt(first-1) != c.committedAt(first-1) {
			first--
		}
		return c.violation(StateMachineSafety, fmt.Sprintf(
			"%v committed index %d with an entry other than the one %v committed there",
			id, first, c.committer(first)), id, c.committer(first))
	}
	for i := upto; i > c.base && c.commitTerm[i-c.base] > term; i-- {
		c.commitTerm[i-c.base] = term
	}
	if l.commit <= known || known < l.offset {
		// Nothing new, or a snapshot past the committed prefix (reported
		// when it came) leaves a hole the mirror cannot fill.
		return nil
	}
	for i := known + 1; i <= l.commit; i++ {
		c.committed = append(c.committed, l.chainAt(i))
		c.entryTerm = append(c.entryTerm, l.termAt(i))
		c.commitTerm = append(c.commitTerm, term)
		c.firstCommitter = append(c.firstCommitter, id)
	}
	// Leaders of later terms must already hold what was just committed.
	ci, ct := l.commit, l.termAt(l.commit)
	for j := range c.nodes {
		o := &c.nodes[j]
		if !o.up || o.role != raft.Leader || o.term <= ct {
			continue
		}
		holds := o.offset >= ci || (ci <= o.last() && (!o.anchored || o.chainAt(ci) == c.committedAt(ci)))
		if !holds && term < o.term {
			return c.violation(LeaderCompleteness, fmt.Sprintf(
				"%v committed index %d in term %d, but %v, leader of term %d, does not hold it",
				id, ci, term, raft.ID(j+1), o.term), id, raft.ID(j+1))
		}
	}
	return nil
}

// violation is not inlined: it runs only when an invariant breaks, and its
// 33 inlined copies were 7 KB of the browser's compressed download.
//
//go:noinline
func (c *Checker) violation(inv, why string, nodes ...raft.ID) *Violation {
	ns := make([]raft.ID, 0, len(nodes))
	for _, n := range nodes {
		if n != raft.None && !slices.Contains(ns, n) {
			ns = append(ns, n)
		}
	}
	return &Violation{Invariant: inv, Nodes: ns, Explanation: why}
}

// Clone returns an independent copy of the checker, for a cloned world. It
// costs the mirrors' headers, the commit terms, the leaders map and the
// reference state machine (one copy of the keys, as each server's state
// machine costs the world's clone): the other arrays are shared, since both
// sides only append past their own ends and every truncation, compaction or
// trim copies. The original is only read.
func (c *Checker) Clone() *Checker {
	n := *c
	n.nodes = make([]nodeLog, len(c.nodes))
	for i, l := range c.nodes {
		l.chain, l.terms = slices.Clip(l.chain), slices.Clip(l.terms)
		n.nodes[i] = l
	}
	n.leaders = maps.Clone(c.leaders)
	n.committed = slices.Clip(c.committed)
	n.entryTerm = slices.Clip(c.entryTerm)
	n.commitTerm = slices.Clone(c.commitTerm)
	n.firstCommitter = slices.Clip(c.firstCommitter)
	n.refHash = slices.Clip(c.refHash)
	n.pending = slices.Clone(c.pending)
	n.ref = c.ref.Clone()
	return &n
}
