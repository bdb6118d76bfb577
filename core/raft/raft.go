// Package raft is one server's side of the Raft protocol, written as a pure
// state machine in the manner of etcd's RawNode: a Node takes inputs (Tick,
// Step, Propose, Campaign) and hands back, in a Ready, what the outside must
// do: entries and hard state to persist, messages to send, entries to apply.
// It does no I/O, reads no clock and starts no goroutine, so the simulator can
// run it deterministically and a test can drive it step by step.
//
// Read it next to the Raft paper (Ongaro and Ousterhout, 2014); comments cite
// its sections.
package raft

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
)

// Config holds one server's options. Durations are in ticks of the server's
// own clock.
type Config struct {
	ID ID
	// Voters is the configuration the cluster starts with; a server that
	// joins a running cluster starts with none and learns its configuration
	// from the leader's log or snapshot.
	Voters []ID
	// ElectionTicks is the base election timeout; each term draws a
	// randomized timeout in [ElectionTicks, 2*ElectionTicks) (paper §5.2).
	ElectionTicks  int
	HeartbeatTicks int
	// PreVote makes a server win a pre-election before it raises its term
	// (thesis §9.6), so a partitioned server cannot disrupt the cluster.
	PreVote bool
	// CheckQuorum makes a leader step down when it has not heard from a
	// quorum for an election timeout, and makes followers that hear from a
	// leader ignore vote requests (thesis §6.2, §9.6).
	CheckQuorum bool
	// MaxInflightMsgs bounds the appends in flight to one follower.
	MaxInflightMsgs int
	// MaxEntriesPerMsg bounds the entries of one AppendEntries; 0 is unbounded.
	MaxEntriesPerMsg int
	// SingleServerChanges makes membership changes add or remove one voter
	// at a time (thesis §4.1) instead of going through a joint configuration.
	SingleServerChanges bool
	// SnapshotChunkBytes is the size of one InstallSnapshot chunk.
	SnapshotChunkBytes int
	// LeaseDriftPPM bounds how far apart two servers' clocks may drift, in
	// parts per million: a leader's lease is shortened by that much of an
	// election timeout (thesis §6.4.1).
	LeaseDriftPPM uint32
	// Seed feeds this server's own random stream (its election timeouts).
	Seed uint64
	Bugs Bugs
}

// Limits on the options.
const (
	maxElectionTicks   = 1 << 20
	maxInflightMsgsMax = 1 << 12
	maxChunkBytes      = 1 << 24
	// DefaultSnapshotChunkBytes is the chunk size when none is set.
	DefaultSnapshotChunkBytes = 1024
)

// Validate reports the first option that is out of range.
func (c *Config) Validate() error {
	switch {
	case c.ID == None || c.ID > MaxID:
		return fmt.Errorf("raft: server ID %d out of range (S1..S%d)", uint32(c.ID), MaxID)
	case len(c.Voters) > 0 && !slices.Contains(c.Voters, c.ID):
		return fmt.Errorf("raft: %v is not among the voters %v", c.ID, c.Voters)
	case c.LeaseDriftPPM > 1_000_000:
		return fmt.Errorf("raft: lease drift bound %d ppm is over 100%%", c.LeaseDriftPPM)
	case c.SnapshotChunkBytes < 0 || c.SnapshotChunkBytes > maxChunkBytes:
		return fmt.Errorf("raft: snapshot chunk of %d bytes, want 1 to %d", c.SnapshotChunkBytes, maxChunkBytes)
	case c.HeartbeatTicks <= 0:
		return errors.New("raft: heartbeat ticks must be positive")
	case c.ElectionTicks <= c.HeartbeatTicks || c.ElectionTicks > maxElectionTicks:
		return fmt.Errorf("raft: election ticks %d must exceed heartbeat ticks %d (and be at most %d)",
			c.ElectionTicks, c.HeartbeatTicks, maxElectionTicks)
	case c.MaxInflightMsgs <= 0 || c.MaxInflightMsgs > maxInflightMsgsMax:
		return fmt.Errorf("raft: max inflight messages %d, want 1 to %d", c.MaxInflightMsgs, maxInflightMsgsMax)
	case c.MaxEntriesPerMsg < 0:
		return errors.New("raft: max entries per message must not be negative")
	}
	if unknown := uint32(c.Bugs) &^ (uint32(bugEnd) - 1); unknown != 0 {
		return fmt.Errorf("raft: unknown bug toggle bits %#x", unknown)
	}
	seen := map[ID]bool{}
	for _, v := range c.Voters {
		if v == None || v > MaxID || seen[v] {
			return fmt.Errorf("raft: voter list %v has a repeated or out-of-range ID", c.Voters)
		}
		seen[v] = true
	}
	return nil
}

// ErrNotLeader is returned by Propose on a server that is not the leader.
var ErrNotLeader = errors.New("raft: not the leader")

// ErrTransferring is returned by Propose while the leader hands over: new
// entries would only delay the transferee (thesis §3.10).
var ErrTransferring = errors.New("raft: leadership transfer in progress")

// Node is one server's protocol state.
type Node struct {
	cfg Config
	id  ID
	rng *rand.Rand
	pcg *rand.PCG // the state behind rng, copied by Clone

	term uint64
	vote ID
	lead ID
	role Role
	log  raftLog

	commit  uint64
	applied uint64
	// stableIndex is the last index known durable on this server's disk with
	// the term this log holds there; a leader counts itself only up to it.
	stableIndex uint64

	// conf is the configuration in effect: the latest in the log (§6).
	// baseConf is the one at the log's offset (the snapshot's, or the one the
	// cluster started with); confs those of configuration entries after it.
	conf     Configuration
	baseConf Configuration
	confs    []Configuration
	members  []ID

	prs   [MaxID + 1]Progress // a leader's view of each member, by ID
	votes [MaxID + 1]int8     // per server: 0 unknown, 1 granted, -1 rejected

	// snap is the latest snapshot; incoming a snapshot being received.
	snap     Snapshot
	incoming *incomingSnapshot
	// readySnap is a snapshot to hand out in the next Ready, to persist
	// (and, with readyRestore, to restore the state machine from).
	readySnap    *Snapshot
	readyRestore bool
	// snapFailures counts snapshot transfers that lost a chunk, restarted or
	// were abandoned.
	snapFailures uint64

	// ticks counts this server's clock ticks since it started: the clock a
	// lease is measured on.
	ticks uint64
	// Reads (read.go): heartbeat rounds and when each was sent, the highest
	// round a quorum confirmed, the lease, and the reads waiting or answered.
	readRound      uint64
	roundSentAt    [leaseRounds]uint64
	confirmedSoFar uint64
	leaseUntil     uint64
	leaseRevoked   bool
	pendingReads   []pendingRead
	readStates     []ReadState
	droppedReads   []uint64

	electionElapsed           int
	heartbeatElapsed          int
	randomizedElectionTimeout int

	// restartGuard makes a restarted server act, for one election timeout,
	// as if it had just heard from a leader: a leader's lease counted on its
	// vote, and it may have forgotten that in the crash.
	restartGuard bool

	// leadTransferee is the voter a leader is handing over to, or None.
	leadTransferee ID
	// transferCampaign marks the election a TimeoutNow started.
	transferCampaign bool

	step func(*Node, Message)

	prevHS               HardState
	prevSoft             SoftState
	msgs                 []Message
	msgsAfterPersist     []Message
	pendingHardStateSync bool
}

// NewNode starts a server from what its disk holds.
func NewNode(cfg Config, d Durable) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.SnapshotChunkBytes == 0 {
		cfg.SnapshotChunkBytes = DefaultSnapshotChunkBytes
	}
	ents, err := validateDurable(d)
	if err != nil {
		return nil, err
	}
	if v := d.HardState.Vote; v > MaxID {
		return nil, fmt.Errorf("raft: durable vote for server %d, out of range", uint32(v))
	}
	n := &Node{
		cfg: cfg,
		id:  cfg.ID,
		log: newLog(d.Snapshot.Meta.Index, d.Snapshot.Meta.Term, ents),
	}
	n.pcg = rand.NewPCG(cfg.Seed, uint64(cfg.ID))
	n.rng = rand.New(n.pcg)
	if d.Snapshot.Meta.Index > 0 {
		n.snap = d.Snapshot
		n.baseConf = d.Snapshot.Meta.Config.Clone()
		n.applied = d.Snapshot.Meta.Index
	} else {
		n.baseConf = Configuration{Voters: slices.Sorted(slices.Values(cfg.Voters))}
	}
	n.noteConfigs(ents)
	if len(n.confs) == 0 {
		n.setConfig(n.baseConf)
	}
	hs := d.HardState
	n.term, n.vote, n.commit = hs.Term, hs.Vote, max(hs.Commit, n.applied)
	if cfg.Bugs.Has(BugForgetVoteOnRestart) {
		n.vote = None
	}
	n.prevHS = n.hardState()
	n.prevSoft = SoftState{Role: Follower}
	n.stableIndex = n.log.lastIndex()
	n.becomeFollower(n.term, None)
	// A server that had a term before may have promised a leader, through
	// its acknowledgements, not to vote for another for an election timeout
	// (the lease, thesis §6.4.1): keep that promise across the restart.
	n.restartGuard = n.term > 0 && cfg.CheckQuorum
	return n, nil
}

// validateDurable checks what a disk holds and returns the log entries after
// the snapshot. Entries the snapshot covers are dropped; so is the whole log
// when it does not hold the snapshot's last entry (a crash came after an
// installed snapshot was written and before the old log was truncated).
func validateDurable(d Durable) ([]Entry, error) {
	snap := d.Snapshot.Meta
	if snap.Index > 0 {
		if snap.Term == 0 || snap.Term > d.HardState.Term {
			return nil, fmt.Errorf("raft: durable snapshot at %d has term %d (current term %d)",
				snap.Index, snap.Term, d.HardState.Term)
		}
		if err := snap.Config.Validate(); err != nil {
			return nil, fmt.Errorf("raft: durable snapshot at %d: %w", snap.Index, err)
		}
	}
	ents := d.Entries
	first := snap.Index + 1
	if len(ents) > 0 {
		first = ents[0].Index
	}
	for i, e := range ents {
		if e.Index != first+uint64(i) {
			return nil, fmt.Errorf("raft: durable entry %d has index %d", first+uint64(i), e.Index)
		}
		if e.Term == 0 || e.Term > d.HardState.Term || (i > 0 && e.Term < ents[i-1].Term) {
			return nil, fmt.Errorf("raft: durable entry %d has term %d out of order", e.Index, e.Term)
		}
		if e.Type == EntryConfig {
			if _, err := DecodeConfig(e.Data); err != nil {
				return nil, fmt.Errorf("durable entry %d: %w", e.Index, err)
			}
		}
	}
	if len(ents) > 0 {
		switch {
		case first == 0 || first > snap.Index+1:
			return nil, fmt.Errorf("raft: durable log starts at %d, after the snapshot at %d", first, snap.Index)
		case snap.Index == 0 || first == snap.Index+1:
			// Nothing the snapshot covers: the log is its suffix.
		case ents[len(ents)-1].Index < snap.Index || ents[snap.Index-first].Term != snap.Term:
			ents = nil
		default:
			ents = ents[snap.Index+1-first:]
		}
	}
	last := snap.Index + uint64(len(ents))
	if d.HardState.Commit > last {
		return nil, fmt.Errorf("raft: durable commit %d is past the last entry %d", d.HardState.Commit, last)
	}
	return ents, nil
}

// Status is a snapshot of a server's protocol state for display and checks.
type Status struct {
	ID        ID
	Role      Role
	Term      uint64
	Vote      ID
	Lead      ID
	Commit    uint64
	Applied   uint64
	LastIndex uint64
	LastTerm  uint64
	// ElectionElapsed and ElectionTimeout are the election timer (for a
	// leader, the CheckQuorum period); HeartbeatElapsed and HeartbeatTimeout
	// the leader's heartbeat timer (zero on other roles).
	ElectionElapsed  int
	ElectionTimeout  int
	HeartbeatElapsed int
	HeartbeatTimeout int
	// SnapshotIndex and SnapshotTerm are the latest snapshot's last included
	// entry (the log holds what follows it).
	SnapshotIndex uint64
	SnapshotTerm  uint64
	// Config is the configuration in effect; Config.Index is its version.
	Config Configuration
}

// Status reports the server's current state.
func (n *Node) Status() Status {
	return Status{
		ID: n.id, Role: n.role, Term: n.term, Vote: n.vote, Lead: n.lead,
		Commit: n.commit, Applied: n.applied,
		LastIndex: n.log.lastIndex(), LastTerm: n.log.lastTerm(),
		ElectionElapsed: n.electionElapsed, ElectionTimeout: n.timerTimeout(),
		HeartbeatElapsed: n.heartbeatElapsed, HeartbeatTimeout: n.heartbeatTimeout(),
		SnapshotIndex: n.log.offset(), SnapshotTerm: n.log.offsetTerm(), Config: n.conf,
	}
}

func (n *Node) heartbeatTimeout() int {
	if n.role == Leader {
		return n.cfg.HeartbeatTicks
	}
	return 0
}

func (n *Node) timerTimeout() int {
	if n.role == Leader {
		return n.cfg.ElectionTicks
	}
	return n.randomizedElectionTimeout
}

// ID returns the server's ID.
func (n *Node) ID() ID { return n.id }

// Role returns the server's current role.
func (n *Node) Role() Role { return n.role }

// Term returns the server's current term.
func (n *Node) Term() uint64 { return n.term }

// Lead returns the leader this server knows of in its term, or None.
func (n *Node) Lead() ID { return n.lead }

// Commit returns the server's commit index.
func (n *Node) Commit() uint64 { return n.commit }

// LastIndex returns the index of the last entry in the server's log.
func (n *Node) LastIndex() uint64 { return n.log.lastIndex() }

// Members returns the voters and learners of the configuration in effect,
// in ID order.
func (n *Node) Members() []ID { return n.members }

// Progress returns the leader's view of member id, or nil when this server
// is not the leader or id is not a member.
func (n *Node) Progress(id ID) *Progress {
	if n.role != Leader || id == None || id > MaxID || !n.prs[id].tracked {
		return nil
	}
	return &n.prs[id]
}

// Snapshot returns the latest snapshot (Meta.Index 0: none).
func (n *Node) Snapshot() Snapshot { return n.snap }

// SnapshotFailures counts snapshot transfers, to or from this server since it
// started, that lost a chunk, had to restart or were abandoned.
func (n *Node) SnapshotFailures() uint64 { return n.snapFailures }

// Receiving reports the snapshot this server is receiving: its index, the
// bytes received and the total size (all zero when none).
func (n *Node) Receiving() (index, got, size uint64) {
	if n.incoming == nil {
		return 0, 0, 0
	}
	return n.incoming.meta.Index, uint64(len(n.incoming.buf)), n.incoming.size
}

// Entries returns the log entries [lo, hi) this server holds; the slice must
// not be changed.
func (n *Node) Entries(lo, hi uint64) []Entry {
	lo = max(lo, n.log.offset()+1)
	hi = min(hi, n.log.lastIndex()+1)
	if lo >= hi {
		return nil
	}
	return n.log.slice(lo, hi)
}

func (n *Node) hardState() HardState {
	return HardState{Term: n.term, Vote: n.vote, Commit: n.commit}
}

func (n *Node) resetRandomizedElectionTimeout() {
	e := n.cfg.ElectionTicks
	n.randomizedElectionTimeout = e + n.rng.IntN(e)
}

func (n *Node) reset(term uint64) {
	if n.term != term {
		n.term = term
		n.vote = None
	}
	n.lead = None
	n.leadTransferee = None
	for _, r := range n.pendingReads {
		n.droppedReads = append(n.droppedReads, r.ctx)
	}
	n.pendingReads = n.pendingReads[:0]
	n.leaseUntil, n.leaseRevoked, n.confirmedSoFar = 0, false, 0
	n.electionElapsed = 0
	n.heartbeatElapsed = 0
	n.resetRandomizedElectionTimeout()
	if n.role == Leader {
		for _, id := range n.members {
			if n.prs[id].State == StateSnapshot {
				// A transfer the leader gives up with its office.
				n.snapFailures++
			}
		}
	}
	for id := range n.prs {
		n.prs[id].tracked = false
		n.prs[id].snap = nil
	}
	clear(n.votes[:])
}

// trackMembers starts a new leader's view of every member (Figure 2:
// nextIndex = last log index + 1, matchIndex = 0).
func (n *Node) trackMembers() {
	for id := range n.prs {
		n.prs[id].tracked = false
	}
	n.setConfig(n.conf)
}

func (n *Node) becomeFollower(term uint64, lead ID) {
	n.reset(term)
	n.lead = lead
	n.role = Follower
	n.step = stepFollower
}

func (n *Node) becomePreCandidate() {
	// A pre-candidate keeps its term and vote: nothing is persisted (thesis §9.6).
	n.role = PreCandidate
	n.step = stepCandidate
	n.lead = None
	clear(n.votes[:])
}

func (n *Node) becomeCandidate() {
	n.reset(n.term + 1)
	n.vote = n.id
	n.role = Candidate
	n.step = stepCandidate
}

func (n *Node) becomeLeader() {
	n.reset(n.term)
	n.lead = n.id
	n.role = Leader
	n.step = stepLeader
	n.trackMembers()
	// Paper §8: a leader commits a blank no-op entry at the start of its term,
	// which also commits every earlier entry (§5.4.2).
	n.appendEntries(Entry{Type: EntryNoop})
	n.maybeFinishConfigChange()
}

// Tick advances the server's logical clock by one tick.
func (n *Node) Tick() {
	n.ticks++
	if n.role == Leader {
		n.tickHeartbeat()
	} else {
		n.tickElection()
	}
}

// Clone returns an independent copy of the server's state, for checkpoints
// that let a session go back in time. The copy shares log entries, which are
// never changed in place, and nothing else. Call it between inputs, when
// Ready has been drained.
func (n *Node) Clone() *Node {
	c := *n
	pcg := *n.pcg
	c.pcg = &pcg
	c.rng = rand.New(c.pcg)
	c.log = n.log.clone()
	for i := range c.prs {
		c.prs[i].inflights.buf = slices.Clone(n.prs[i].inflights.buf)
	}
	c.confs = slices.Clip(n.confs)
	if n.incoming != nil {
		in := *n.incoming
		in.buf = slices.Clip(in.buf)
		c.incoming = &in
	}
	c.pendingReads = slices.Clone(n.pendingReads)
	c.readStates = slices.Clone(n.readStates)
	c.droppedReads = slices.Clone(n.droppedReads)
	c.msgs = slices.Clone(n.msgs)
	c.msgsAfterPersist = slices.Clone(n.msgsAfterPersist)
	return &c
}

func (n *Node) tickElection() {
	n.electionElapsed++
	if n.electionElapsed >= n.cfg.ElectionTicks {
		n.restartGuard = false
	}
	if n.electionElapsed >= n.randomizedElectionTimeout {
		n.electionElapsed = 0
		// A learner, or a server outside the configuration, never campaigns.
		n.Campaign()
	}
}

func (n *Node) tickHeartbeat() {
	n.heartbeatElapsed++
	n.electionElapsed++
	if n.electionElapsed >= n.cfg.ElectionTicks {
		n.electionElapsed = 0
		// A transfer that did not finish within an election timeout is
		// abandoned (thesis §3.10): the leader takes proposals again.
		n.leadTransferee = None
		if n.cfg.CheckQuorum && !n.quorumActive() {
			// Thesis §6.2: a leader that cannot reach a quorum steps down.
			n.becomeFollower(n.term, None)
			return
		}
	}
	if n.heartbeatElapsed >= n.cfg.HeartbeatTicks {
		n.heartbeatElapsed = 0
		n.bcastHeartbeat()
		n.retrySnapshots()
	}
}

// quorumActive reports whether a quorum of every voter set was heard from
// since the last check, and clears the marks for the next election timeout.
func (n *Node) quorumActive() bool {
	var active idSet
	for _, id := range n.members {
		if n.prs[id].RecentActive || id == n.id {
			active |= 1 << id
		}
		n.prs[id].RecentActive = id == n.id
	}
	ok := true
	for _, set := range n.voterSets() {
		heard := (active & setOf(set)).count()
		if n.cfg.Bugs.Has(BugLearnerVotes) {
			heard += (active & setOf(n.conf.Learners)).count()
		}
		if heard < Quorum(set) {
			ok = false
		}
	}
	return ok
}

// Campaign starts an election now (a pre-election first with PreVote), as an
// expired election timer does. A leader ignores it.
func (n *Node) Campaign() {
	if n.role == Leader || !n.conf.IsVoter(n.id) {
		return
	}
	if n.cfg.PreVote {
		n.campaign(true)
	} else {
		n.campaign(false)
	}
}

func (n *Node) campaign(pre bool) {
	var term uint64
	var typ MsgType
	if pre {
		n.becomePreCandidate()
		term, typ = n.term+1, MsgPreVote
	} else {
		n.becomeCandidate()
		term, typ = n.term, MsgVote
	}
	if n.recordVote(n.id, true) {
		n.wonElection(pre)
		return
	}
	for _, v := range n.members {
		if v == n.id || (!n.conf.IsVoter(v) && !n.cfg.Bugs.Has(BugLearnerVotes)) {
			continue
		}
		m := Message{Type: typ, To: v, Term: term, Index: n.log.lastIndex(), LogTerm: n.log.lastTerm(),
			Transfer: n.transferCampaign}
		if pre {
			n.send(m)
		} else {
			// The request rests on the new term and our own vote: send it only
			// once both are durable.
			n.sendAfterPersist(m)
		}
	}
}

func (n *Node) wonElection(pre bool) {
	if pre {
		n.campaign(false)
	} else {
		n.becomeLeader()
		n.bcastAppend(true)
	}
}

// recordVote records a vote and reports whether the votes now win.
func (n *Node) recordVote(from ID, granted bool) bool {
	if n.votes[from] == 0 {
		if granted {
			n.votes[from] = 1
		} else {
			n.votes[from] = -1
		}
	}
	won, _ := n.voteTally()
	return won
}

func (n *Node) lostElection() bool {
	_, lost := n.voteTally()
	return lost
}

// Propose appends a command to the leader's log. The caller learns that it
// committed when the entry comes back in Ready.Committed. It returns the
// entry's index and term.
func (n *Node) Propose(data []byte) (index, term uint64, err error) {
	if n.role != Leader {
		return 0, 0, ErrNotLeader
	}
	if n.leadTransferee != None {
		return 0, 0, ErrTransferring
	}
	n.appendEntries(Entry{Type: EntryNormal, Data: data})
	n.bcastAppend(false)
	return n.log.lastIndex(), n.term, nil
}

// TransferLeadership hands leadership to voter to (thesis §3.10): the
// leader stops taking proposals, brings to's log up to date, then tells it
// to start an election at once (MsgTimeoutNow). A transfer that does not
// finish within an election timeout is abandoned.
func (n *Node) TransferLeadership(to ID) error {
	switch {
	case n.role != Leader:
		return ErrNotLeader
	case to == n.id:
		return fmt.Errorf("raft: %v already leads", to)
	case to == None || to > MaxID || !n.conf.IsVoter(to):
		return fmt.Errorf("raft: %v is not a voter", to)
	}
	n.leadTransferee = to
	n.electionElapsed = 0
	// The transferee will not wait out our lease: give it up now.
	n.revokeLease()
	if n.prs[to].Match == n.log.lastIndex() {
		n.send(Message{Type: MsgTimeoutNow, To: to})
	} else {
		n.maybeSendAppend(to, true)
	}
	return nil
}

// LeadTransferee is the voter this leader is handing over to, or None.
func (n *Node) LeadTransferee() ID { return n.leadTransferee }

func (n *Node) appendEntries(ents ...Entry) {
	last := n.log.lastIndex()
	for i := range ents {
		ents[i].Term = n.term
		ents[i].Index = last + 1 + uint64(i)
	}
	n.log.append(ents...)
	n.noteConfigs(ents)
	if n.cfg.Bugs.Has(BugAckBeforeDurable) {
		n.StorageAppended(n.log.lastIndex(), n.term)
	}
}

// StorageAppended tells the server that its disk holds entries up to index,
// the last of them of the given term, durably. A leader counts itself toward
// a quorum only for durable entries.
func (n *Node) StorageAppended(index, term uint64) {
	if !n.log.matchTerm(index, term) || index <= n.stableIndex {
		return
	}
	n.stableIndex = index
	if n.role == Leader {
		p := &n.prs[n.id]
		if p.tracked && p.maybeUpdate(index) && n.maybeCommit() {
			n.bcastAppend(false)
		}
	}
}

// Step feeds the server one message from the network.
func (n *Node) Step(m Message) error {
	if !m.Type.Valid() {
		return fmt.Errorf("raft: %v got a message of unknown type %d", n.id, m.Type)
	}
	if m.To != n.id {
		return fmt.Errorf("raft: %v got a message for %v", n.id, m.To)
	}
	if m.From == None || m.From > MaxID || m.From == n.id {
		return fmt.Errorf("raft: %v got a message from %v, not a peer", n.id, m.From)
	}
	if err := checkShape(&m); err != nil {
		return fmt.Errorf("raft: %v got a malformed %v from %v: %w", n.id, m.Type, m.From, err)
	}
	switch {
	case m.Term > n.term:
		if !n.stepHigherTerm(m) {
			return nil
		}
	case m.Term < n.term:
		n.stepLowerTerm(m)
		return nil
	}
	switch m.Type {
	case MsgVote, MsgPreVote:
		n.handleVoteRequest(m)
	default:
		n.step(n, m)
	}
	return nil
}

// stepHigherTerm applies §5.1's rule (a server that sees a higher term
// adopts it and becomes a follower), with PreVote's and CheckQuorum's
// exceptions. It reports whether to go on handling the message.
func (n *Node) stepHigherTerm(m Message) bool {
	if m.Type == MsgVote || m.Type == MsgPreVote {
		heard := n.lead != None || n.restartGuard
		if n.cfg.CheckQuorum && heard && n.electionElapsed < n.cfg.ElectionTicks && !m.Transfer {
			// Thesis §6.2 / §9.6: a server that heard from a leader within the
			// minimum election timeout does not help depose it.
			return false
		}
	}
	switch {
	case m.Type == MsgPreVote:
		// A pre-vote does not change our term.
	case m.Type == MsgPreVoteResp && !m.Reject:
		// A granted pre-vote carries the future term; keep ours.
	default:
		lead := None
		if m.Type == MsgApp || m.Type == MsgHeartbeat || m.Type == MsgSnap {
			lead = m.From
		}
		n.becomeFollower(m.Term, lead)
	}
	return true
}

func (n *Node) stepLowerTerm(m Message) {
	switch {
	case m.Type == MsgHeartbeat || m.Type == MsgApp || m.Type == MsgSnap:
		// Figure 2: reply with our term, so that a stale leader steps down.
		n.send(Message{Type: MsgAppResp, To: m.From})
	case m.Type == MsgPreVote:
		n.send(Message{Type: MsgPreVoteResp, To: m.From, Term: n.term, Reject: true})
	case m.Type == MsgVote:
		n.send(Message{Type: MsgVoteResp, To: m.From, Reject: true})
	case m.Type == MsgVoteResp && n.role == Candidate && n.cfg.Bugs.Has(BugCountStaleVotes):
		// Bug: a vote granted for an earlier term of ours is counted now.
		n.step(n, m)
	}
}

func (n *Node) handleVoteRequest(m Message) {
	pre := m.Type == MsgPreVote
	canVote := n.vote == m.From || (n.vote == None && n.lead == None) || (pre && m.Term > n.term)
	// §5.4.1: vote only for a candidate whose log is at least as up to date.
	grant := canVote && (n.log.isUpToDate(m.Index, m.LogTerm) || n.cfg.Bugs.Has(BugVoteWithoutLogCheck))
	respType := MsgVoteResp
	if pre {
		respType = MsgPreVoteResp
	}
	// A pre-vote answer carries the term asked for, so the pre-candidate
	// recognizes it; a vote answer carries our (equal) term.
	resp := Message{Type: respType, To: m.From, Term: m.Term, Reject: !grant}
	if !grant {
		resp.Term = n.term
		if pre {
			n.send(resp)
		} else {
			n.sendAfterPersist(resp)
		}
		return
	}
	if pre {
		n.send(resp)
		return
	}
	n.electionElapsed = 0
	n.vote = m.From
	// Figure 2: the vote must be on stable storage before the answer leaves.
	n.sendAfterPersist(resp)
}

func stepFollower(n *Node, m Message) {
	switch m.Type {
	case MsgApp:
		n.electionElapsed = 0
		n.lead = m.From
		n.handleAppendEntries(m)
	case MsgHeartbeat:
		n.electionElapsed = 0
		n.lead = m.From
		n.commitTo(min(m.Commit, n.log.lastIndex()))
		n.send(Message{Type: MsgHeartbeatResp, To: m.From, Context: m.Context})
	case MsgSnap:
		n.electionElapsed = 0
		n.lead = m.From
		n.handleSnapshotChunk(m)
	case MsgTimeoutNow:
		// The leader hands over: campaign now, without a pre-election, and
		// ask voters to set their leader's lease aside (thesis §3.10).
		if !n.conf.IsVoter(n.id) {
			return
		}
		n.transferCampaign = true
		n.campaign(false)
		n.transferCampaign = false
	}
}

func stepCandidate(n *Node, m Message) {
	switch m.Type {
	case MsgApp:
		n.becomeFollower(m.Term, m.From)
		n.handleAppendEntries(m)
	case MsgHeartbeat, MsgSnap:
		n.becomeFollower(m.Term, m.From)
		stepFollower(n, m)
	case MsgPreVoteResp, MsgVoteResp:
		pre := n.role == PreCandidate
		if pre != (m.Type == MsgPreVoteResp) {
			return
		}
		if n.recordVote(m.From, !m.Reject) {
			n.wonElection(pre)
		} else if n.lostElection() {
			n.becomeFollower(n.term, None)
		}
	}
}

func (n *Node) handleAppendEntries(m Message) {
	if m.Index < n.commit {
		// Everything up to our commit index is settled: say so.
		n.sendAfterPersist(Message{Type: MsgAppResp, To: m.From, Index: n.commit})
		return
	}
	if !n.log.matchTerm(m.Index, m.LogTerm) && !n.skipConsistencyCheck(m) {
		// §5.3: reject, with a hint for the fast back-off: the last index at
		// or before prevLogIndex whose term is at most prevLogTerm.
		hint, hintTerm := n.log.findConflictByTerm(min(m.Index, n.log.lastIndex()), m.LogTerm)
		n.send(Message{Type: MsgAppResp, To: m.From, Index: m.Index, Reject: true, Hint: hint, LogTerm: hintTerm})
		return
	}
	lastNew := m.Index + uint64(len(m.Entries))
	if len(m.Entries) > 0 {
		if n.cfg.Bugs.Has(BugTruncateWithoutConflict) {
			// Bug: drop everything after prevLogIndex, matching or not.
			n.truncateAndAppend(m.Entries)
		} else if c := n.log.findConflict(m.Entries); c != 0 {
			// §5.3: delete the conflicting entry and all that follow it.
			n.truncateAndAppend(m.Entries[c-m.Entries[0].Index:])
		}
	}
	// Figure 2, AppendEntries step 5: commit = min(leaderCommit, index of last new entry).
	if n.cfg.Bugs.Has(BugCommitWithoutMin) {
		// Bug: trust leaderCommit as far as the log goes, even past the
		// entries this append vouched for (a stale tail may be committed).
		n.commitTo(min(m.Commit, n.log.lastIndex()))
	} else {
		n.commitTo(min(m.Commit, lastNew))
	}
	n.sendAfterPersist(Message{Type: MsgAppResp, To: m.From, Index: lastNew})
}

// truncateAndAppend replaces the log from ents[0].Index on, and with it any
// configuration the dropped entries set.
func (n *Node) truncateAndAppend(ents []Entry) {
	first := ents[0].Index
	if first <= n.log.offset() {
		// Entries a snapshot covers are committed and already ours.
		skip := n.log.offset() + 1 - first
		if skip >= uint64(len(ents)) {
			return
		}
		ents, first = ents[skip:], n.log.offset()+1
	}
	n.forgetConfigsFrom(first)
	n.log.truncateAndAppend(ents)
	n.stableIndex = min(n.stableIndex, first-1)
	n.noteConfigs(ents)
}

// skipConsistencyCheck is the skip-log-consistency-check bug: accept an append
// whose prevLogIndex we hold, whatever its term.
func (n *Node) skipConsistencyCheck(m Message) bool {
	return n.cfg.Bugs.Has(BugSkipLogConsistencyCheck) && m.Index <= n.log.lastIndex()
}

func (n *Node) commitTo(c uint64) {
	if c > n.commit {
		n.commit = c
	}
}

func stepLeader(n *Node, m Message) {
	p := &n.prs[m.From]
	if !p.tracked {
		// A server outside the configuration: nothing to track.
		return
	}
	switch m.Type {
	case MsgSnapResp:
		p.RecentActive = true
		n.handleSnapshotResponse(m.From, p, m)
	case MsgAppResp:
		p.RecentActive = true
		if m.Reject {
			n.handleAppendRejection(p, m)
			return
		}
		ack := m.Index
		if n.cfg.Bugs.Has(BugMatchFromNextIndex) && p.State == StateReplicate {
			// Bug: take the match index from what was sent (nextIndex), not
			// from what this answer acknowledges.
			ack = max(m.Index, p.Next-1)
		}
		if !p.maybeUpdate(ack) && !(p.State == StateProbe && m.Index == p.Match) {
			// A stale acknowledgement; but one that confirms the match of a
			// probed follower still ends the probing (as etcd does).
			return
		}
		switch {
		case p.State == StateProbe:
			p.becomeReplicate()
		case p.State == StateReplicate:
			p.inflights.freeLE(m.Index)
		case p.State == StateSnapshot && p.Match >= p.snap.Meta.Index:
			p.becomeProbe()
		}
		if n.maybeCommit() {
			n.bcastAppend(false)
		} else {
			n.maybeSendAppend(m.From, false)
		}
		if m.From == n.leadTransferee && p.Match == n.log.lastIndex() {
			n.send(Message{Type: MsgTimeoutNow, To: m.From})
		}
	case MsgHeartbeatResp:
		p.RecentActive = true
		p.ProbeSent = false
		n.ackRound(p, m.Context)
		if p.State == StateSnapshot {
			return
		}
		if p.Match < n.log.lastIndex() {
			if p.State == StateReplicate && p.Match == p.matchAtHeartbeat && p.inflights.count > 0 {
				// No acknowledgement for a whole heartbeat: appends were lost.
				p.becomeProbe()
			}
			p.matchAtHeartbeat = p.Match
			n.maybeSendAppend(m.From, true)
		}
	}
}

func (n *Node) handleAppendRejection(p *Progress, m Message) {
	next := m.Hint
	if m.LogTerm > 0 {
		// Skip every entry of the follower's conflicting term at once.
		next, _ = n.log.findConflictByTerm(m.Hint, m.LogTerm)
	}
	if p.maybeDecrTo(m.Index, next) {
		if p.State == StateReplicate {
			p.becomeProbe()
		}
		n.maybeSendAppend(m.From, true)
	}
}

// maybeCommit advances the commit index to the highest index stored on a
// quorum (of both C_old and C_new in a joint configuration), but only if that
// entry is of the current term (§5.4.2, Figure 8).
func (n *Node) maybeCommit() bool {
	mci := n.committedIndex()
	if mci <= n.commit {
		return false
	}
	if t, _ := n.log.term(mci); t != n.term && !n.cfg.Bugs.Has(BugCommitPreviousTerm) {
		return false
	}
	n.commit = mci
	n.releaseWaitingReads()
	n.maybeFinishConfigChange()
	return true
}

// maybeFinishConfigChange takes the next step once the configuration in
// effect commits: from a joint configuration C_old,new the leader goes on to
// C_new; a leader that C_new leaves out steps down (paper §6).
func (n *Node) maybeFinishConfigChange() {
	if n.role != Leader || n.conf.Index > n.commit {
		return
	}
	if n.conf.Joint() {
		next := Configuration{Voters: n.conf.Voters, Learners: n.conf.Learners}
		n.appendEntries(Entry{Type: EntryConfig, Data: encodeConfig(&next)})
		return
	}
	if !n.conf.IsVoter(n.id) {
		// Tell the others the new commit index first, so that they learn
		// C_new committed without waiting for the next leader.
		n.bcastHeartbeat()
		n.becomeFollower(n.term, None)
	}
}

// bcastAppend sends every follower what it lacks; with sendIfEmpty, even
// those that lack nothing hear from the leader (a new leader's first probe).
func (n *Node) bcastAppend(sendIfEmpty bool) {
	if n.role != Leader {
		return
	}
	for _, v := range n.members {
		if v != n.id {
			n.maybeSendAppend(v, sendIfEmpty)
		}
	}
}

func (n *Node) bcastHeartbeat() {
	round := n.noteRound()
	if p := &n.prs[n.id]; p.tracked {
		p.readAck = round
	}
	for _, v := range n.members {
		if v != n.id {
			p := &n.prs[v]
			c := min(p.Match, n.commit)
			p.sentCommit = max(p.sentCommit, c)
			n.send(Message{Type: MsgHeartbeat, To: v, Commit: c, Context: round})
		}
	}
}

// maybeSendAppend sends the follower what it lacks, unless flow control
// pauses it. It sends an empty append with sendIfEmpty (a probe), or to tell
// an idle follower a commit index it has not heard; a follower with appends
// in flight learns it from the append that follows their acknowledgement.
func (n *Node) maybeSendAppend(to ID, sendIfEmpty bool) bool {
	p := &n.prs[to]
	if p.paused() {
		return false
	}
	if p.Next <= n.log.offset() {
		// The entries the follower needs are compacted away (§7).
		n.startSnapshot(to, p)
		return true
	}
	last := n.log.lastIndex()
	hi := last + 1
	if max := n.cfg.MaxEntriesPerMsg; max > 0 && p.Next+uint64(max) < hi {
		hi = p.Next + uint64(max)
	}
	var ents []Entry
	if p.Next <= last {
		ents = n.log.slice(p.Next, hi)
	}
	bumpCommit := p.sentCommit < n.commit && p.inflights.count == 0
	if len(ents) == 0 && !sendIfEmpty && !bumpCommit {
		return false
	}
	p.sentCommit = n.commit
	prevTerm, _ := n.log.term(p.Next - 1)
	n.send(Message{Type: MsgApp, To: to, Index: p.Next - 1, LogTerm: prevTerm, Entries: ents, Commit: n.commit})
	switch p.State {
	case StateProbe:
		p.ProbeSent = true
	case StateReplicate:
		if len(ents) > 0 {
			p.Next = ents[len(ents)-1].Index + 1
			p.inflights.add(p.Next - 1)
		}
	}
	return true
}

// send is not inlined: a Message is large, and its 25 inlined copies were
// 3 KB of the browser's compressed download for no measurable speed.
//
//go:noinline
func (n *Node) send(m Message) {
	m.From = n.id
	if m.Term == 0 && m.Type != MsgPreVote && m.Type != MsgPreVoteResp {
		m.Term = n.term
	}
	n.msgs = append(n.msgs, m)
}

// sendAfterPersist queues a message that rests on state not yet durable (a
// vote, a term, appended entries): the caller must hold it until the write of
// the same Ready is durable. The ack-before-durable bug sends it at once.
func (n *Node) sendAfterPersist(m Message) {
	if n.cfg.Bugs.Has(BugAckBeforeDurable) {
		n.send(m)
		return
	}
	m.From = n.id
	if m.Term == 0 {
		m.Term = n.term
	}
	n.msgsAfterPersist = append(n.msgsAfterPersist, m)
}

// Ready is what a server asks of the outside after an input. Its message
// slices are reused: they are valid only until the next call to the Node.
type Ready struct {
	// HardState is set when HardStateChanged: persist it.
	HardState        HardState
	HardStateChanged bool
	// Entries must be written to the disk after it drops every entry at or
	// after Entries[0].Index.
	Entries []Entry
	// Messages may be sent at once.
	Messages []Message
	// MessagesAfterPersist may be sent only once HardState and Entries of this
	// Ready, and of every Ready before it, are durable: an acknowledgement
	// may rest on an earlier write.
	MessagesAfterPersist []Message
	// Snapshot, when set, must be written to the disk before Entries; the log
	// entries it covers may then be dropped from the disk. With Restore it
	// came from the leader: the state machine must be replaced by its data
	// before Committed is applied.
	Snapshot *Snapshot
	Restore  bool
	// Committed entries are to be applied to the state machine, in order.
	Committed []Entry
	// ReadStates are reads the leader confirmed: each may be served once
	// the state machine has applied up to its Index.
	ReadStates []ReadState
	// SoftState is set when SoftStateChanged: the role or the known leader
	// changed (nothing to persist, but worth showing).
	SoftState        SoftState
	SoftStateChanged bool
}

// SoftState is the volatile state worth reporting when it changes: who
// leads and in what role this server is.
type SoftState struct {
	Lead ID
	Role Role
}

func (n *Node) softState() SoftState { return SoftState{Lead: n.lead, Role: n.role} }

// HasReady reports whether Ready would return anything.
func (n *Node) HasReady() bool {
	return len(n.msgs) > 0 || len(n.msgsAfterPersist) > 0 || n.log.unstable <= n.log.lastIndex() ||
		n.readySnap != nil || len(n.readStates) > 0 ||
		n.commit > n.applied || n.persistedHardState() != n.prevHS || n.softState() != n.prevSoft
}

func (n *Node) persistedHardState() HardState {
	hs := n.hardState()
	if n.cfg.Bugs.Has(BugForgetVoteOnRestart) {
		hs.Vote = None
	}
	return hs
}

// Ready collects what the outside must do, and treats it as done: the entries
// are taken as handed to storage and the committed entries as applied.
func (n *Node) Ready() Ready {
	rd := Ready{
		Snapshot:             n.readySnap,
		Restore:              n.readyRestore,
		Entries:              n.log.unstableEntries(),
		Messages:             n.msgs,
		MessagesAfterPersist: n.msgsAfterPersist,
	}
	n.readySnap, n.readyRestore = nil, false
	if len(n.readStates) > 0 {
		rd.ReadStates = n.readStates
		n.readStates = nil
	}
	if hs := n.persistedHardState(); hs != n.prevHS {
		rd.HardState, rd.HardStateChanged = hs, true
		n.prevHS = hs
	}
	if ss := n.softState(); ss != n.prevSoft {
		rd.SoftState, rd.SoftStateChanged = ss, true
		n.prevSoft = ss
	}
	if n.commit > n.applied {
		rd.Committed = n.log.slice(n.applied+1, n.commit+1)
		n.applied = n.commit
	}
	n.msgs = n.msgs[:0]
	n.msgsAfterPersist = n.msgsAfterPersist[:0]
	return rd
}
