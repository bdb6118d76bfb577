package check

import (
	"fmt"
	"strings"

	"smrlab/core/raft"
)

// CheckElectable is Leader Completeness looked at one election ahead: no
// server that lacks the last committed entry may have a log at least as up
// to date (§5.4.1) as those of a majority of the voters, itself included.
// Such a server could win the next election and overwrite the entry. In a
// correct cluster a majority holds the entry, or an entry of a later term
// than the committing leader's, so no such majority exists.
//
// It is checked after every step of an exhaustive exploration (the manual
// scheduler), where it catches a bad commit at the moment it happens instead
// of at the election that follows. It applies to a cluster whose voters are
// servers S1..Sn, unchanged, with no snapshot; elsewhere it reports nothing.
func (c *Checker) CheckElectable(n int) *Violation {
	if len(c.nodes) != n || n == 0 {
		return nil
	}
	k := c.known()
	if k == 0 || c.base != 0 {
		return nil
	}
	for i := range c.nodes {
		l := &c.nodes[i]
		if l.offset != 0 || l.config.Index != 0 || l.config.Joint() || len(l.config.Learners) > 0 {
			return nil
		}
	}
	for i := range c.nodes {
		x := &c.nodes[i]
		if x.has(k) && x.chainAt(k) == c.committedAt(k) {
			continue
		}
		var by []string
		for j := range c.nodes {
			y := &c.nodes[j]
			xt, yt := x.termAt(x.last()), y.termAt(y.last())
			if xt > yt || (xt == yt && x.last() >= y.last()) {
				by = append(by, raft.ID(j+1).String())
			}
		}
		if len(by) >= n/2+1 {
			id := raft.ID(i + 1)
			return c.violation(LeaderCompleteness, fmt.Sprintf(
				"%v lacks entry %d, committed in term %d, yet its log is as up to date as those of %s, a majority: "+
					"it can win the next election and overwrite the entry", id, k, c.commitTerm[k-c.base],
				strings.Join(by, ",")), id, c.committer(k))
		}
	}
	return nil
}
