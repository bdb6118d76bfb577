package check

import (
	"fmt"
	"slices"
	"strings"

	"smrlab/core/raft"
)

// checkConfigEntries checks the configuration entries a leader appended in
// one Ready (ConfigurationSafety, paper §6 and thesis §4): each must overlap
// the configuration in effect just before it, which is the previous one in
// the batch or, for the first, the one the leader reported at its previous
// Observe. It returns the configurations the batch set, in order.
func (c *Checker) checkConfigEntries(id raft.ID, st raft.Status, prev raft.Configuration,
	ents []raft.Entry) ([]raft.Configuration, *Violation) {
	var out []raft.Configuration
	cur := prev
	for k := range ents {
		e := &ents[k]
		if e.Type != raft.EntryConfig || e.Term != st.Term {
			continue
		}
		next, err := raft.DecodeConfig(e.Data)
		if err != nil {
			return out, c.violation(ConfigurationSafety, fmt.Sprintf(
				"leader %v of term %d appended configuration entry %d that does not decode: %v",
				id, st.Term, e.Index, err), id)
		}
		next.Index = e.Index
		// A server reporting no voters at all (a spare machine, or a test
		// that leaves the configuration out) gives nothing to compare with.
		if len(cur.Voters) > 0 {
			if why := configStep(&cur, &next); why != "" {
				return out, c.violation(ConfigurationSafety, fmt.Sprintf(
					"leader %v of term %d appended configuration entry %d going %s", id, st.Term, e.Index, why), id)
			}
		}
		out = append(out, next)
		cur = next
	}
	return out, nil
}

// configStep says why going from configuration a to b may leave two
// majorities that do not overlap, or "" if the step is safe: a joint step
// C -> C_old,new whose old voters are C's voters, C_old,new -> C_new with
// the same new voters, or a change of at most one voter outside a joint
// configuration. Learners may change freely.
func configStep(a, b *raft.Configuration) string {
	sameVoters := sameSet(a.Voters, b.Voters) && sameSet(a.OldVoters, b.OldVoters)
	switch {
	case sameVoters:
		return ""
	case !a.Joint() && b.Joint():
		if sameSet(b.OldVoters, a.Voters) {
			return ""
		}
		return fmt.Sprintf("from voters %s to the joint configuration old %s new %s: its old voters must be "+
			"the voters in effect, %s, or a majority of one need not overlap a majority of the other",
			idSet(a.Voters), idSet(b.OldVoters), idSet(b.Voters), idSet(a.Voters))
	case a.Joint() && !b.Joint():
		if sameSet(b.Voters, a.Voters) {
			return ""
		}
		return fmt.Sprintf("from the joint configuration old %s new %s to voters %s: a joint configuration may "+
			"only be followed by its new voters, %s, or a majority of one need not overlap a majority of the other",
			idSet(a.OldVoters), idSet(a.Voters), idSet(b.Voters), idSet(a.Voters))
	case a.Joint() && b.Joint():
		return fmt.Sprintf("from the joint configuration old %s new %s to another, old %s new %s: a joint "+
			"configuration may only be followed by its new voters, %s",
			idSet(a.OldVoters), idSet(a.Voters), idSet(b.OldVoters), idSet(b.Voters), idSet(a.Voters))
	case differ(a.Voters, b.Voters) > 1:
		return fmt.Sprintf("from voters %s to %s: a majority of one need not overlap a majority of the other "+
			"(change one voter at a time, or go through a joint configuration)", idSet(a.Voters), idSet(b.Voters))
	}
	return ""
}

// checkQuorum checks QuorumOfVoters when a leader's commit index advanced to
// st.Commit: the voters whose logs hold the leader's entry there (the same
// chain value, or a snapshot at or past it) must be a majority of every voter
// set of its configuration: C_new and C_old in a joint one. Learners and
// non-members never count, nor does the leader unless it is a voter.
//
// The configuration that decided may have changed within the Ready (the
// leader appends C_new as soon as C_old,new commits), so the check passes if
// any configuration the leader held during the Ready is satisfied: the one of
// its previous Observe, each it appended, and its current one.
func (c *Checker) checkQuorum(id raft.ID, l *nodeLog, st raft.Status, prev raft.Configuration,
	batch []raft.Configuration) *Violation {
	ci := st.Commit
	if ci <= l.offset {
		return nil
	}
	h := holders{c: c, index: ci, chain: l.chainAt(ci), term: l.termAt(ci), anchored: l.anchored}
	// The current configuration first: it decides almost always.
	if h.satisfied(&st.Config) || h.satisfied(&prev) {
		return nil
	}
	for i := range batch {
		if h.satisfied(&batch[i]) {
			return nil
		}
	}
	report := &st.Config
	if len(report.Voters) == 0 && len(batch) > 0 {
		report = &batch[len(batch)-1]
	}
	if len(report.Voters) == 0 {
		report = &prev
	}
	if len(report.Voters) == 0 {
		return nil // no configuration known: nothing to count against
	}
	type voterSet struct {
		name string
		ids  []raft.ID
	}
	sets := []voterSet{{"voters", report.Voters}}
	if report.Joint() {
		sets = []voterSet{{"new voters", report.Voters}, {"old voters", report.OldVoters}}
	}
	var why []string
	for _, s := range sets {
		if h.majority(s.ids) {
			continue
		}
		have := h.filter(s.ids)
		if len(have) == 0 {
			why = append(why, fmt.Sprintf("none of the %s %s holds entry %d, and a majority is %d",
				s.name, idSet(s.ids), ci, raft.Quorum(s.ids)))
			continue
		}
		why = append(why, fmt.Sprintf("of the %s %s only %s hold entry %d, and a majority is %d",
			s.name, idSet(s.ids), idSet(have), ci, raft.Quorum(s.ids)))
	}
	msg := fmt.Sprintf("%v, leader of term %d, advanced its commit index to %d, but %s", id, st.Term, ci,
		strings.Join(why, "; and "))
	if learners := h.filter(report.Learners); len(learners) > 0 {
		msg += fmt.Sprintf(" (learners %s hold it too, but learners never count toward a quorum)", idSet(learners))
	}
	return c.violation(QuorumOfVoters, msg, id)
}

// holders answers which servers hold a leader's entry: the same chain value
// at its index, or a snapshot at or past it.
type holders struct {
	c        *Checker
	index    uint64
	chain    uint64
	term     uint64
	anchored bool // the leader's mirror is anchored
}

func (h *holders) holds(v raft.ID) bool {
	o := h.c.peer(v)
	switch {
	case o == nil || h.index > o.last():
		return false
	case o.offset >= h.index:
		return true
	case !o.anchored || !h.anchored:
		return o.termAt(h.index) == h.term
	}
	return o.chainAt(h.index) == h.chain
}

// majority reports whether the servers of set that hold the entry are a
// majority of it.
func (h *holders) majority(set []raft.ID) bool {
	n := 0
	for _, v := range set {
		if h.holds(v) {
			n++
		}
	}
	return n >= raft.Quorum(set)
}

// satisfied reports whether cfg has voters and a majority of each of its
// voter sets holds the entry.
func (h *holders) satisfied(cfg *raft.Configuration) bool {
	return len(cfg.Voters) > 0 && h.majority(cfg.Voters) && (!cfg.Joint() || h.majority(cfg.OldVoters))
}

func (h *holders) filter(set []raft.ID) []raft.ID {
	var out []raft.ID
	for _, v := range set {
		if h.holds(v) {
			out = append(out, v)
		}
	}
	return out
}

// sameSet reports whether a and b hold the same servers, in any order.
func sameSet(a, b []raft.ID) bool { return differ(a, b) == 0 }

// differ counts the servers in one of a and b and not in the other.
func differ(a, b []raft.ID) int {
	n := 0
	for _, x := range a {
		if !slices.Contains(b, x) {
			n++
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			n++
		}
	}
	return n
}

// idSet prints servers the way configurations print: {S1,S2,S3}.
func idSet(ids []raft.ID) string {
	s := slices.Sorted(slices.Values(ids))
	parts := make([]string, len(s))
	for i, id := range s {
		parts[i] = id.String()
	}
	return "{" + strings.Join(parts, ",") + "}"
}
