package lab

import (
	"slices"
	"strconv"

	"smrlab/core/check"
	"smrlab/core/linear"
	"smrlab/core/raft"
	"smrlab/core/sim"
	"smrlab/core/trace"
)

// LogTailMax is how many of a server's last log entries a view shows.
const LogTailMax = 48

// View is everything the page draws, built once per frame and handed over
// in one piece. Times are virtual microseconds.
type View struct {
	Now      int64  `json:"now"`
	End      int64  `json:"end"`
	Reached  int64  `json:"reached"`
	Seed     string `json:"seed"`
	Scenario string `json:"scenario"`
	Bugs     string `json:"bugs"`
	// TickMicros is one tick of a server clock, to turn timers into time.
	TickMicros int64          `json:"tick"`
	Servers    []ServerView   `json:"servers"`
	Cuts       [][2]uint32    `json:"cuts"`
	Net        NetView        `json:"net"`
	Flights    []FlightView   `json:"flights"`
	Events     []EventView    `json:"events"`
	Truncated  bool           `json:"truncated"`
	Reset      bool           `json:"reset"`
	Metrics    MetricsView    `json:"metrics"`
	Violation  *ViolationView `json:"violation"`
	// BranchViolation is the violation this branch reaches, also after going
	// back before it (for "jump to the violating event").
	BranchViolation *ViolationView `json:"branchViolation"`
	Liveness        []string       `json:"liveness"`
	Workload        WorkloadView   `json:"workload"`
	Actions         []Recorded     `json:"actions"`
	Stopped         bool           `json:"stopped"`
	Hash            string         `json:"hash"`
	// Config is the cluster's configuration: the leader's, or the newest a
	// running server holds. Changes are the membership steps still to do.
	Config  ConfigView `json:"config"`
	Changes []string   `json:"changes"`
	// SingleServer tells that membership changes go one voter at a time.
	SingleServer bool `json:"singleServer"`
	// Linear is the live linearizability check of the client history.
	Linear LinearView `json:"linear"`
	// Nemeses are the fault schedules whose fault is in effect now.
	Nemeses []string `json:"nemeses"`
	// ReadModes is each server's read mode (log, index, lease, stale).
	ReadModes []string `json:"readModes"`
	// Manual tells a world under the manual scheduler (`schedule manual`):
	// nothing happens by itself, and Choices are the steps that can come
	// next, as actions ("deliver m7", "campaign S2").
	Manual  bool     `json:"manual"`
	Choices []string `json:"choices"`
}

// LinearView is the verdict of the linearizability check so far: "ok"
// (every key checked is linearizable), "unknown" (a check timed out),
// "violation", or "none" (no client history).
type LinearView struct {
	Verdict     string `json:"verdict"`
	Ops         int    `json:"ops"`
	Keys        int    `json:"keys"`
	Key         string `json:"key,omitempty"`
	Explanation string `json:"explanation,omitempty"`
	// Time is the call time of the first operation that no order explains.
	Time int64 `json:"time,omitempty"`
	// Unknown counts the keys whose check could not decide (verdict
	// "unknown"), UnknownKeys names the first few of them, and Reason says
	// why: its time or step budget ran out.
	Unknown     int      `json:"unknown,omitempty"`
	UnknownKeys []string `json:"unknownKeys,omitempty"`
	Reason      string   `json:"reason,omitempty"`
}

// unknownKeysShown bounds the undecided keys a view names, to keep views
// small whatever the number of keys.
const unknownKeysShown = 8

// ConfigView is a configuration (paper §6) with the quorums it needs.
type ConfigView struct {
	Version   uint64   `json:"version"`
	Voters    []uint32 `json:"voters"`
	OldVoters []uint32 `json:"oldVoters"`
	Learners  []uint32 `json:"learners"`
	Joint     bool     `json:"joint"`
	// Quorum is the majority of Voters; OldQuorum of OldVoters (joint only).
	Quorum    int `json:"quorum"`
	OldQuorum int `json:"oldQuorum"`
	// Committed tells whether the server holding it has committed it.
	Committed bool `json:"committed"`
}

// ServerView is one server as drawn.
type ServerView struct {
	ID      uint32 `json:"id"`
	Up      bool   `json:"up"`
	Paused  bool   `json:"paused"`
	Role    string `json:"role"`
	Term    uint64 `json:"term"`
	Vote    uint32 `json:"vote"`
	Lead    uint32 `json:"lead"`
	Commit  uint64 `json:"commit"`
	Applied uint64 `json:"applied"`
	Last    uint64 `json:"last"`
	// Durable is the last index on disk; DurableTerm and DurableVote the
	// hard state there (what survives a crash).
	Durable     uint64 `json:"durable"`
	DurableTerm uint64 `json:"durableTerm"`
	DurableVote uint32 `json:"durableVote"`
	Pending     int    `json:"pendingWrites"`
	// Timer is the election timer (for a leader, the heartbeat timer), in
	// ticks elapsed and ticks to go off.
	TimerElapsed int `json:"timerElapsed"`
	TimerTimeout int `json:"timerTimeout"`
	// LogStart is the index of LogTerms[0]: the tail of the log, by term.
	LogStart uint64         `json:"logStart"`
	LogTerms []uint64       `json:"logTerms"`
	Progress []ProgressView `json:"progress"`
	Slow     int64          `json:"slowPercent"`
	DriftPPM int64          `json:"driftPPM"`
	Skew     int64          `json:"skew"`
	Keys     int            `json:"keys"`
	// LogKinds marks each entry of the tail: 0 a command, 1 a leader's
	// no-op, 2 a configuration.
	LogKinds []int8 `json:"logKinds"`
	// SnapIndex and SnapTerm are the snapshot the log starts after;
	// DurableSnap the snapshot on disk; SnapshotEvery the threshold.
	SnapIndex     uint64 `json:"snapIndex"`
	SnapTerm      uint64 `json:"snapTerm"`
	DurableSnap   uint64 `json:"durableSnap"`
	SnapshotEvery int    `json:"snapshotEvery"`
	// Receiving is the snapshot arriving in chunks (nil when none).
	Receiving *ReceivingView `json:"receiving"`
	// Member is this server's place in the cluster's configuration: voter,
	// learner, joining (a voter of C_new only, in a joint configuration),
	// leaving (of C_old only) or spare (outside it).
	Member string     `json:"member"`
	Config ConfigView `json:"config"`
}

// ReceivingView is a snapshot transfer as the receiver sees it.
type ReceivingView struct {
	Index uint64 `json:"index"`
	Got   uint64 `json:"got"`
	Size  uint64 `json:"size"`
}

// ProgressView is a leader's view of one follower.
type ProgressView struct {
	ID       uint32 `json:"id"`
	Match    uint64 `json:"match"`
	Next     uint64 `json:"next"`
	State    string `json:"state"`
	Inflight int    `json:"inflight"`
	Active   bool   `json:"active"`
	// A snapshot being sent: its index, bytes confirmed and size.
	Snapshot  uint64 `json:"snapshot,omitempty"`
	SnapAcked uint64 `json:"snapAcked,omitempty"`
	SnapSize  uint64 `json:"snapSize,omitempty"`
}

// NetView is the network's default link parameters.
type NetView struct {
	LatencyMin   int64  `json:"latencyMin"`
	LatencyMax   int64  `json:"latencyMax"`
	Loss         uint32 `json:"lossPPM"`
	Duplicate    uint32 `json:"duplicatePPM"`
	Reorder      uint32 `json:"reorderPPM"`
	ReorderDelay int64  `json:"reorderDelay"`
}

// FlightView is a message on the wire.
type FlightView struct {
	ID      uint64 `json:"id"`
	From    uint32 `json:"from"`
	To      uint32 `json:"to"`
	Type    string `json:"type"`
	Sent    int64  `json:"sent"`
	Arrive  int64  `json:"arrive"`
	Term    uint64 `json:"term"`
	Entries int    `json:"entries"`
	Reject  bool   `json:"reject,omitempty"`
	Dup     bool   `json:"dup,omitempty"`
	Held    bool   `json:"held,omitempty"`
	// A snapshot chunk: the snapshot's index and size, the chunk's offset
	// and bytes, and whether it is the last.
	Snapshot uint64 `json:"snapshot,omitempty"`
	Size     uint64 `json:"size,omitempty"`
	Offset   uint64 `json:"offset,omitempty"`
	Bytes    uint64 `json:"bytes,omitempty"`
	Done     bool   `json:"done,omitempty"`
}

// EventView is one event, with its description (left out of the sends and
// deliveries before a view's newest MessageTextsMax events).
type EventView struct {
	Seq  uint64 `json:"seq"`
	T    int64  `json:"t"`
	Kind string `json:"kind"`
	Node uint32 `json:"node"`
	Peer uint32 `json:"peer"`
	Msg  string `json:"msg,omitempty"`
	ID   uint64 `json:"id,omitempty"`
	// Count is the number of entries of an AppendEntries; Reject marks a
	// rejection (so the page need not read them out of Text).
	Count  uint64 `json:"count,omitempty"`
	Reject bool   `json:"reject,omitempty"`
	Text   string `json:"text,omitempty"`
}

// MetricsView holds the protocol metrics of the run so far.
type MetricsView struct {
	LeaderChanges       uint64  `json:"leaderChanges"`
	LeaderChangesPerMin float64 `json:"leaderChangesPerMinute"`
	Elections           uint64  `json:"elections"`
	Commit              uint64  `json:"commit"`
	QuorumAckP99        int64   `json:"quorumAckP99"`
	OpsStarted          uint64  `json:"opsStarted"`
	OpsOK               uint64  `json:"opsOK"`
	OpsRetried          uint64  `json:"opsRetried"`
	Sent                uint64  `json:"sent"`
	Dropped             uint64  `json:"dropped"`
	Events              uint64  `json:"events"`
	// Rejected counts requests refused by admission control, by reason.
	Rejected map[string]uint64 `json:"rejected"`
	// Snapshots taken, installed from a leader, and failed transfers
	// (snapshot_install_failures); membership changes completed.
	Snapshots               uint64 `json:"snapshots"`
	SnapshotsInstalled      uint64 `json:"snapshotsInstalled"`
	SnapshotInstallFailures uint64 `json:"snapshotInstallFailures"`
	MembershipChanges       uint64 `json:"membershipChanges"`
	// Operations given up on (failed: refused every time; indeterminate:
	// outcome unknown) and reads answered outside the log, by way.
	OpsFailed        uint64 `json:"opsFailed"`
	OpsIndeterminate uint64 `json:"opsIndeterminate"`
	StaleReads       uint64 `json:"staleReads"`
	LeaseReads       uint64 `json:"leaseReads"`
	ReadIndexReads   uint64 `json:"readIndexReads"`
}

// linearView moves the live linearizability check on by a few keys and
// reports where it stands.
func (s *Session) linearView() LinearView {
	h := s.w.History()
	if h == nil || h.Len() == 0 {
		return LinearView{Verdict: "none"}
	}
	s.lin.Update(h)
	r := s.lin.Result()
	v := LinearView{Verdict: "ok", Ops: r.Ops, Keys: r.Keys}
	switch r.Verdict {
	case linear.NotLinearizable:
		v.Verdict = "violation"
		if r.Violation != nil {
			v.Key, v.Explanation = r.Violation.Key, r.Violation.Explanation
			if len(r.Violation.Stuck) > 0 {
				v.Time = r.Violation.Stuck[0].Call
			}
		}
	case linear.Unknown:
		if len(r.UnknownKeys) > 0 {
			v.Verdict, v.Unknown, v.Reason = "unknown", len(r.UnknownKeys), r.Reason
			v.UnknownKeys = r.UnknownKeys[:min(len(r.UnknownKeys), unknownKeysShown)]
		}
	}
	return v
}

// ViolationView is a broken invariant, for the red light and the jump to it.
type ViolationView struct {
	Invariant   string   `json:"invariant"`
	Event       uint64   `json:"event"`
	Time        int64    `json:"time"`
	Nodes       []uint32 `json:"nodes"`
	Explanation string   `json:"explanation"`
}

// WorkloadView says what the clients do.
type WorkloadView struct {
	On      bool  `json:"on"`
	Rate    int64 `json:"rate"`
	Clients int   `json:"clients"`
	Pending int   `json:"pending"`
}

// View builds the view model of the session now, and hands over the events
// recorded since the previous view.
func (s *Session) View() View {
	w := s.w
	v := View{Now: w.Now(), End: s.End(), Reached: s.reached, Seed: strconv.FormatUint(s.Seed(), 10),
		Scenario: s.sc.Name, Bugs: s.bugs().String(), TickMicros: w.Config().TickMicros,
		Events: s.takeEvents(), Truncated: s.truncated, Reset: s.reset, Actions: s.actions,
		Stopped: w.Stopped(), Hash: strconv.FormatUint(w.Recorder().Sum(), 16)}
	s.truncated, s.reset = false, false
	cluster := w.LatestConfig()
	v.Config = configView(cluster, false)
	if lead := w.Node(w.Leader()); lead != nil {
		v.Config.Committed = cluster.Index <= lead.Commit()
	}
	v.Changes = w.Changes()
	v.Linear = s.linearView()
	v.Nemeses = w.ActiveNemeses()
	v.SingleServer = w.Config().Nodes[0].SingleServerChanges
	if v.Manual = w.Manual(); v.Manual && w.Violation() == nil {
		v.Choices = w.Choices()
	}
	for _, sv := range w.Servers() {
		v.Servers = append(v.Servers, serverView(w, sv, &cluster))
		// The live read mode, which the "options" action changes.
		v.ReadModes = append(v.ReadModes, sv.ReadMode.String())
	}
	n := raft.ID(len(v.Servers))
	for a := raft.ID(1); a <= n; a++ {
		for b := raft.ID(1); b <= n; b++ {
			if a != b && w.Cut(a, b) {
				v.Cuts = append(v.Cuts, [2]uint32{uint32(a), uint32(b)})
			}
		}
	}
	p := w.Network()
	v.Net = NetView{LatencyMin: p.LatencyMinMicros, LatencyMax: p.LatencyMaxMicros, Loss: p.LossPPM,
		Duplicate: p.DuplicatePPM, Reorder: p.ReorderPPM, ReorderDelay: p.ReorderDelayMicros}
	for _, f := range w.InFlight() {
		v.Flights = append(v.Flights, FlightView{ID: f.ID, From: f.From, To: f.To, Type: trace.MsgName(f.Msg),
			Sent: f.SentAt, Arrive: f.ArriveAt, Term: f.Term, Entries: f.Entries, Reject: f.Reject, Dup: f.Dup,
			Held: f.Held, Snapshot: f.SnapIndex, Size: f.Size, Offset: f.Offset, Bytes: f.Bytes, Done: f.Done})
	}
	v.Metrics = metricsView(w, v.Servers)
	v.Violation = violationView(w.Violation())
	v.BranchViolation = violationView(s.ahead)
	for _, l := range w.Liveness() {
		v.Liveness = append(v.Liveness, l.Explanation)
	}
	on, rate, clients := w.Workload()
	v.Workload = WorkloadView{On: on, Rate: rate, Clients: clients, Pending: w.OpsOutstanding()}
	return v
}

func violationView(vi *check.Violation) *ViolationView {
	if vi == nil {
		return nil
	}
	vv := &ViolationView{Invariant: vi.Invariant, Event: vi.Event, Time: vi.Time, Explanation: vi.Explanation}
	for _, id := range vi.Nodes {
		vv.Nodes = append(vv.Nodes, uint32(id))
	}
	return vv
}

func (s *Session) takeEvents() []EventView {
	out := make([]EventView, len(s.recent))
	wordless := len(s.recent) - MessageTextsMax
	for i := range s.recent {
		e := &s.recent[i]
		ev := EventView{Seq: e.Seq, T: e.Time, Kind: e.Kind.String(), Node: e.Node, Peer: e.Peer, ID: e.ID}
		if i >= wordless || (e.Kind != trace.Send && e.Kind != trace.Deliver) {
			ev.Text = trace.Describe(e)
		}
		switch e.Kind {
		case trace.Send, trace.Deliver, trace.Drop, trace.Duplicate:
			ev.Msg = trace.MsgName(e.Msg)
			ev.Count, ev.Reject = e.Count, e.Reject
		}
		out[i] = ev
	}
	s.recent = s.recent[:0]
	return out
}

func serverView(w *sim.World, sv sim.ServerView, cluster *raft.Configuration) ServerView {
	st := sv.Status
	v := ServerView{ID: uint32(sv.ID), Up: sv.Up, Paused: sv.Paused, Role: st.Role.String(), Term: st.Term,
		Vote: uint32(st.Vote), Lead: uint32(st.Lead), Commit: st.Commit, Applied: st.Applied, Last: st.LastIndex,
		Durable: sv.DurableLast, DurableTerm: sv.Durable.Term, DurableVote: uint32(sv.Durable.Vote),
		Pending: sv.PendingWrites, TimerElapsed: st.ElectionElapsed, TimerTimeout: st.ElectionTimeout,
		Slow: sv.SlowPercent, DriftPPM: sv.DriftPPM, Skew: sv.SkewMicros, Keys: sv.Keys,
		SnapIndex: st.SnapshotIndex, SnapTerm: st.SnapshotTerm, DurableSnap: sv.DurableSnap.Index,
		SnapshotEvery: sv.SnapshotEvery, Member: memberOf(cluster, sv.ID)}
	if !sv.Up {
		v.Role = "crashed"
	}
	if st.Role == raft.Leader {
		v.TimerElapsed, v.TimerTimeout = st.HeartbeatElapsed, st.HeartbeatTimeout
	}
	if sv.ReceivingSize > 0 {
		v.Receiving = &ReceivingView{Index: sv.ReceivingIndex, Got: sv.ReceivingBytes, Size: sv.ReceivingSize}
	}
	node := w.Node(sv.ID)
	if node == nil {
		// A crashed server shows what its disk kept.
		v.Last = sv.DurableLast
		v.SnapIndex, v.SnapTerm = sv.DurableSnap.Index, sv.DurableSnap.Term
		v.LogStart, v.LogTerms, v.LogKinds = logTail(w.DurableEntries(sv.ID, tailFrom(sv.DurableLast), sv.DurableLast+1),
			sv.DurableLast)
		return v
	}
	v.Config = configView(st.Config, false)
	v.Config.Committed = st.Config.Index <= st.Commit
	if !st.Config.IsVoter(sv.ID) {
		// A learner or a machine outside the configuration never campaigns.
		v.TimerElapsed, v.TimerTimeout = 0, 0
	}
	v.LogStart, v.LogTerms, v.LogKinds = logTail(node.Entries(tailFrom(st.LastIndex), st.LastIndex+1), st.LastIndex)
	for _, id := range node.Members() {
		if p := node.Progress(id); p != nil && id != sv.ID {
			v.Progress = append(v.Progress, ProgressView{ID: uint32(id), Match: p.Match, Next: p.Next,
				State: p.State.String(), Inflight: p.Inflight(), Active: p.RecentActive,
				Snapshot: p.SnapshotIndex(), SnapAcked: p.SnapAcked, SnapSize: p.SnapshotSize()})
		}
	}
	return v
}

// memberOf names a server's place in a configuration.
func memberOf(c *raft.Configuration, id raft.ID) string {
	inNew, inOld := slices.Contains(c.Voters, id), slices.Contains(c.OldVoters, id)
	switch {
	case c.Joint() && inNew && !inOld:
		return "joining"
	case c.Joint() && inOld && !inNew:
		return "leaving"
	case inNew:
		return "voter"
	case c.IsLearner(id):
		return "learner"
	}
	return "spare"
}

func configView(c raft.Configuration, committed bool) ConfigView {
	ids := func(set []raft.ID) []uint32 {
		out := make([]uint32, len(set))
		for i, id := range set {
			out[i] = uint32(id)
		}
		return out
	}
	v := ConfigView{Version: c.Index, Voters: ids(c.Voters), OldVoters: ids(c.OldVoters), Learners: ids(c.Learners),
		Joint: c.Joint(), Committed: committed}
	if len(c.Voters) > 0 {
		v.Quorum = raft.Quorum(c.Voters)
	}
	if c.Joint() {
		v.OldQuorum = raft.Quorum(c.OldVoters)
	}
	return v
}

// tailFrom is the first index of the log tail a view shows: asking for the
// tail alone spares copying a long log kept in chunks.
func tailFrom(last uint64) uint64 { return max(last+1, LogTailMax+1) - LogTailMax }

// logTail returns the first index, the terms and the kinds of the last
// LogTailMax entries of a log that ends at last.
func logTail(ents []raft.Entry, last uint64) (uint64, []uint64, []int8) {
	if len(ents) > LogTailMax {
		ents = ents[len(ents)-LogTailMax:]
	}
	terms := make([]uint64, len(ents))
	kinds := make([]int8, len(ents))
	for i, e := range ents {
		terms[i] = e.Term
		switch e.Type {
		case raft.EntryNoop:
			kinds[i] = 1
		case raft.EntryConfig:
			kinds[i] = 2
		}
	}
	return last - uint64(len(ents)) + 1, terms, kinds
}

func metricsView(w *sim.World, servers []ServerView) MetricsView {
	st := w.Stats()
	m := MetricsView{LeaderChanges: st.LeaderChanges, Elections: st.Elections,
		QuorumAckP99: st.QuorumAcks.Percentile(99), OpsStarted: st.OpsStarted, OpsOK: st.OpsOK,
		OpsRetried: st.OpsRetried, Sent: st.Sent, Dropped: st.Dropped, Events: w.Recorder().Count(),
		Rejected: map[string]uint64{}, Snapshots: st.Snapshots, SnapshotsInstalled: st.SnapshotsInstalled,
		SnapshotInstallFailures: st.SnapshotInstallFailures, MembershipChanges: st.MembershipChanges,
		OpsFailed: st.OpsFailed, OpsIndeterminate: st.OpsIndeterminate, StaleReads: st.StaleReads,
		LeaseReads: st.LeaseReads, ReadIndexReads: st.ReadIndexReads}
	for k, n := range st.Rejected {
		m.Rejected[k] = n
	}
	if now := w.Now(); now > 0 {
		m.LeaderChangesPerMin = float64(st.LeaderChanges) * 60e6 / float64(now)
	}
	for _, sv := range servers {
		m.Commit = max(m.Commit, sv.Commit)
	}
	return m
}

// bugs is every toggle on in some server: the scenario's own and the extras.
func (s *Session) bugs() raft.Bugs {
	b := s.opt.Bugs
	for _, n := range s.w.Config().Nodes {
		b |= n.Bugs
	}
	return b
}
