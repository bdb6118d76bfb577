package raft

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MaxID is the highest server ID: a cluster has at most nine servers, S1..S9.
const MaxID = 9

// Configuration is the set of servers of a cluster (paper §6). Outside a
// change it is one voter set. During a joint consensus change it is the
// joint configuration C_old,new: OldVoters is C_old, Voters is C_new, and
// elections and commitment need a majority of each. Learners receive the log
// but never vote and never count toward a quorum.
type Configuration struct {
	Voters    []ID
	OldVoters []ID
	Learners  []ID
	// Index is the log index of the entry that set this configuration, its
	// version: 0 for the configuration a cluster starts with.
	Index uint64
}

// Joint reports whether c is a joint configuration C_old,new.
func (c *Configuration) Joint() bool { return len(c.OldVoters) > 0 }

// IsVoter reports whether id votes in c (in C_old or C_new).
func (c *Configuration) IsVoter(id ID) bool {
	return slices.Contains(c.Voters, id) || slices.Contains(c.OldVoters, id)
}

// IsLearner reports whether id is a learner in c.
func (c *Configuration) IsLearner(id ID) bool { return slices.Contains(c.Learners, id) }

// IsMember reports whether id is a voter or learner in c.
func (c *Configuration) IsMember(id ID) bool { return c.IsVoter(id) || c.IsLearner(id) }

// Members returns every voter and learner, in ID order.
func (c *Configuration) Members() []ID {
	var out []ID
	for _, set := range [][]ID{c.Voters, c.OldVoters, c.Learners} {
		for _, id := range set {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Equal reports whether c and o have the same members in the same roles.
func (c *Configuration) Equal(o *Configuration) bool {
	return slices.Equal(c.Voters, o.Voters) && slices.Equal(c.OldVoters, o.OldVoters) &&
		slices.Equal(c.Learners, o.Learners)
}

// Clone returns a copy that shares nothing with c.
func (c Configuration) Clone() Configuration {
	c.Voters, c.OldVoters, c.Learners = slices.Clone(c.Voters), slices.Clone(c.OldVoters), slices.Clone(c.Learners)
	return c
}

func (c Configuration) String() string {
	ids := func(set []ID) string {
		parts := make([]string, len(set))
		for i, id := range set {
			parts[i] = id.String()
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	s := "voters " + ids(c.Voters)
	if c.Joint() {
		s = "joint old " + ids(c.OldVoters) + " new " + ids(c.Voters)
	}
	if len(c.Learners) > 0 {
		s += " learners " + ids(c.Learners)
	}
	return s
}

// Quorum is the number of votes a majority of voters needs.
func Quorum(voters []ID) int { return len(voters)/2 + 1 }

// Validate reports a configuration that cannot be: no voters, an ID out of
// range, a server listed twice or both voter and learner.
func (c *Configuration) Validate() error {
	if len(c.Voters) == 0 {
		return errors.New("a configuration needs at least one voter")
	}
	for _, set := range [][]ID{c.Voters, c.OldVoters, c.Learners} {
		if !slices.IsSorted(set) {
			return fmt.Errorf("server list %v is not in ID order", set)
		}
		for i, id := range set {
			if id == None || id > MaxID {
				return fmt.Errorf("server ID %d out of range (S1..S%d)", uint32(id), MaxID)
			}
			if i > 0 && set[i-1] == id {
				return fmt.Errorf("%v is listed twice", id)
			}
		}
	}
	for _, id := range c.Learners {
		if c.IsVoter(id) {
			return fmt.Errorf("%v is both a voter and a learner", id)
		}
	}
	return nil
}

// encodeConfig is the data of an EntryConfig: a version byte, then each of
// Voters, OldVoters and Learners as a count and one byte per ID.
func encodeConfig(c *Configuration) []byte {
	b := make([]byte, 0, 4+len(c.Voters)+len(c.OldVoters)+len(c.Learners))
	b = append(b, 1)
	for _, set := range [][]ID{c.Voters, c.OldVoters, c.Learners} {
		b = append(b, byte(len(set)))
		for _, id := range set {
			b = append(b, byte(id))
		}
	}
	return b
}

// DecodeConfig reads the data of an EntryConfig.
func DecodeConfig(b []byte) (Configuration, error) {
	var c Configuration
	if len(b) < 1 || b[0] != 1 {
		return c, errors.New("raft: configuration entry of unknown version")
	}
	b = b[1:]
	sets := [3]*[]ID{&c.Voters, &c.OldVoters, &c.Learners}
	for _, set := range sets {
		if len(b) < 1 || int(b[0]) > len(b)-1 {
			return c, errors.New("raft: configuration entry is truncated")
		}
		n := int(b[0])
		for _, x := range b[1 : 1+n] {
			*set = append(*set, ID(x))
		}
		b = b[1+n:]
	}
	if len(b) != 0 {
		return c, errors.New("raft: configuration entry has trailing bytes")
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("raft: configuration entry: %w", err)
	}
	return c, nil
}

// configOf decodes the configuration an entry sets, with its index.
func configOf(e *Entry) Configuration {
	c, err := DecodeConfig(e.Data)
	if err != nil {
		// Only leaders write configuration entries, with encodeConfig.
		panic(fmt.Sprintf("raft: entry %d: %v", e.Index, err))
	}
	c.Index = e.Index
	return c
}

// idSet is a small set of server IDs as a bit mask.
type idSet uint16

func setOf(ids []ID) idSet {
	var s idSet
	for _, id := range ids {
		s |= 1 << id
	}
	return s
}

func (s idSet) has(id ID) bool { return s&(1<<id) != 0 }

func (s idSet) count() int {
	n := 0
	for x := s; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// differ counts the servers in one set and not the other.
func differ(a, b []ID) int { return (setOf(a) ^ setOf(b)).count() }

// Errors of membership changes.
var (
	ErrConfigPending   = errors.New("raft: a configuration change is not yet committed")
	ErrNoCommitInTerm  = errors.New("raft: the leader has not yet committed an entry of its term")
	ErrLearnerBehind   = errors.New("raft: the learner has not caught up with the log")
	ErrOneServerChange = errors.New("raft: single-server changes add or remove one voter at a time")
)

// ProposeConfig asks the leader to move the cluster to voters and learners.
//
// With joint consensus (the default) a change of voters appends the joint
// configuration C_old,new; once it commits the leader appends C_new on its
// own (paper §6). With Config.SingleServerChanges the voters may change by one
// server, in one step (thesis §4.1), and only once the leader has committed an
// entry of its own term: the fix for the 2015 single-server change bug.
//
// Either way, one change at a time: a leader refuses a change while its
// latest configuration is uncommitted. A learner is promoted only once its
// log has caught up with the leader's commit index (thesis §4.2.1). It
// returns the index of the new configuration entry.
func (n *Node) ProposeConfig(voters, learners []ID) (uint64, error) {
	if n.role != Leader {
		return 0, ErrNotLeader
	}
	if n.leadTransferee != None {
		return 0, ErrTransferring
	}
	target := Configuration{Voters: slices.Sorted(slices.Values(voters)), Learners: slices.Sorted(slices.Values(learners))}
	if err := target.Validate(); err != nil {
		return 0, fmt.Errorf("raft: %w", err)
	}
	cur := &n.conf
	if cur.Joint() || cur.Index > n.commit {
		return 0, ErrConfigPending
	}
	if cur.Equal(&target) {
		return 0, fmt.Errorf("raft: the configuration is already %v", target)
	}
	for _, id := range target.Voters {
		if cur.IsLearner(id) && n.prs[id].Match < n.commit {
			return 0, fmt.Errorf("%w (%v holds up to %d, commit index %d)", ErrLearnerBehind, id,
				n.prs[id].Match, n.commit)
		}
	}
	next := target
	if !slices.Equal(cur.Voters, target.Voters) {
		if n.cfg.SingleServerChanges {
			if differ(cur.Voters, target.Voters) > 1 {
				return 0, ErrOneServerChange
			}
			if t, _ := n.log.term(n.commit); t != n.term && !n.cfg.Bugs.Has(BugSingleServerChangeWithoutFix) {
				return 0, ErrNoCommitInTerm
			}
		} else {
			next.OldVoters = slices.Clone(cur.Voters)
			if err := next.Validate(); err != nil {
				// A voter of C_old cannot be a learner of C_new in one change.
				return 0, fmt.Errorf("raft: %w", err)
			}
		}
	}
	n.appendEntries(Entry{Type: EntryConfig, Data: encodeConfig(&next)})
	n.bcastAppend(false)
	return n.log.lastIndex(), nil
}

// Config returns the configuration in effect: the latest in the log.
func (n *Node) Config() Configuration { return n.conf }

// setConfig makes c the configuration in effect. A leader starts tracking
// servers that joined; servers that left are no longer sent to.
func (n *Node) setConfig(c Configuration) {
	n.conf = c
	n.members = c.Members()
	if n.role != Leader {
		return
	}
	last := n.log.lastIndex()
	for _, id := range n.members {
		p := &n.prs[id]
		if p.tracked {
			continue
		}
		*p = Progress{Next: last + 1, tracked: true, inflights: p.inflights}
		if p.inflights.buf == nil {
			p.inflights = newInflights(n.cfg.MaxInflightMsgs)
		}
		p.inflights.reset()
		if id == n.id {
			p.Match, p.RecentActive = n.stableIndex, true
		}
	}
	for id := ID(1); id <= MaxID; id++ {
		if n.prs[id].tracked && !c.IsMember(id) {
			n.prs[id].tracked = false
		}
	}
}

// configAt returns the configuration in effect at index i (i >= the log's offset).
func (n *Node) configAt(i uint64) Configuration {
	c := n.baseConf
	for _, x := range n.confs {
		if x.Index > i {
			break
		}
		c = x
	}
	return c
}

// noteConfigs records the configurations among newly appended entries.
func (n *Node) noteConfigs(ents []Entry) {
	changed := false
	for i := range ents {
		if ents[i].Type == EntryConfig {
			n.confs = append(n.confs, configOf(&ents[i]))
			changed = true
		}
	}
	if changed {
		n.setConfig(n.confs[len(n.confs)-1])
	}
}

// forgetConfigsFrom drops the configurations of entries at index from and
// after (a truncation): the server falls back to the latest one left (§6).
func (n *Node) forgetConfigsFrom(from uint64) {
	k := len(n.confs)
	for k > 0 && n.confs[k-1].Index >= from {
		k--
	}
	if k == len(n.confs) {
		return
	}
	n.confs = slices.Clip(n.confs[:k])
	if k > 0 {
		n.setConfig(n.confs[k-1])
	} else {
		n.setConfig(n.baseConf)
	}
}

// compactConfigs drops configurations at or before index i, which a
// snapshot now covers; base is the configuration at i.
func (n *Node) compactConfigs(i uint64, base Configuration) {
	n.baseConf = base
	k := 0
	for k < len(n.confs) && n.confs[k].Index <= i {
		k++
	}
	n.confs = slices.Clone(n.confs[k:])
	if len(n.confs) > 0 {
		n.setConfig(n.confs[len(n.confs)-1])
	} else {
		n.setConfig(base)
	}
}

// voteTally reports whether the granted votes win the election and whether
// the refusals make winning impossible, in every voter set of the
// configuration.
func (n *Node) voteTally() (won, lost bool) {
	granted, refused := idSet(0), idSet(0)
	for id := ID(1); id <= MaxID; id++ {
		switch n.votes[id] {
		case 1:
			granted |= 1 << id
		case -1:
			refused |= 1 << id
		}
	}
	won = true
	for _, set := range n.voterSets() {
		s := setOf(set)
		yes := (granted & s).count()
		if n.cfg.Bugs.Has(BugLearnerVotes) {
			// Bug: a learner's vote counts as a voter's.
			yes += (granted & setOf(n.conf.Learners)).count()
		}
		q := Quorum(set)
		if yes < q {
			won = false
		}
		if len(set)-(refused&s).count() < q {
			lost = true
		}
	}
	return won, lost
}

// voterSets returns C_new, and C_old in a joint configuration.
func (n *Node) voterSets() [][]ID {
	if n.conf.Joint() {
		return [][]ID{n.conf.Voters, n.conf.OldVoters}
	}
	return [][]ID{n.conf.Voters}
}

// quorumMatch is the highest index a majority of voters holds.
func (n *Node) quorumMatch(voters []ID) uint64 {
	return n.quorumOf(voters, func(p *Progress) uint64 { return p.Match })
}

// quorumOf is the highest value of f that a majority of voters reach.
func (n *Node) quorumOf(voters []ID, f func(*Progress) uint64) uint64 {
	var buf [2 * MaxID]uint64
	m := buf[:0]
	for _, id := range voters {
		m = append(m, f(&n.prs[id]))
	}
	if n.cfg.Bugs.Has(BugLearnerVotes) {
		for _, id := range n.conf.Learners {
			m = append(m, f(&n.prs[id]))
		}
	}
	slices.Sort(m)
	return m[len(m)-Quorum(voters)]
}

// committedIndex is the highest index stored on a quorum of every voter set.
func (n *Node) committedIndex() uint64 {
	c := n.quorumMatch(n.conf.Voters)
	if n.conf.Joint() {
		c = min(c, n.quorumMatch(n.conf.OldVoters))
	}
	return c
}
