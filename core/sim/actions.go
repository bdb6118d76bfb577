package sim

import (
	"fmt"
	"strings"

	"smrlab/core/fsm"
	"smrlab/core/raft"
	"smrlab/core/trace"
)

// runAction carries out one scheduled action and records it.
func (w *World) runAction(a *Action) {
	note := w.doAction(a)
	kind := trace.Action
	switch a.Kind {
	case ActCrash, ActRestart, ActPause, ActResume, ActIsolate, ActPartition, ActCut, ActHeal, ActNet,
		ActDisk, ActClock, ActDrop, ActDuplicate:
		kind = trace.Fault
	}
	if a.Kind.IsMembership() || a.Kind == ActReconfigure {
		kind = trace.Member
	}
	text := a.String()
	if note != "" {
		text += " (" + note + ")"
	}
	w.record(trace.Event{Kind: kind, Text: text})
	for _, s := range w.servers {
		w.flush(s)
	}
	if w.cfg.Manual && w.checker != nil && w.cfg.members() == w.cfg.Servers {
		// Under the manual scheduler every step is checked one election
		// ahead too (check.CheckElectable).
		w.fail(w.checker.CheckElectable(w.cfg.Servers))
	}
	if a.Kind.IsMembership() {
		w.advanceChanges()
	}
}

// resolve turns targets into servers, as the world is now.
func (w *World) resolve(ts []Target) []*server {
	var out []*server
	add := func(s *server) {
		if s != nil && !containsServer(out, s) {
			out = append(out, s)
		}
	}
	for _, t := range ts {
		switch t.Kind {
		case TargetID:
			add(w.servers[t.ID-1])
		case TargetAll:
			for _, s := range w.servers {
				add(s)
			}
		case TargetLeader:
			add(w.leader())
		case TargetRandom:
			add(w.pick(func(s *server) bool { return s.node != nil }))
		case TargetFollower:
			cfg := w.latestConfig()
			add(w.pick(func(s *server) bool {
				return s.node != nil && s.node.Role() != raft.Leader && (len(cfg.Voters) == 0 || cfg.IsMember(s.id))
			}))
		case TargetSpare:
			cfg := w.latestConfig()
			add(w.pick(func(s *server) bool { return s.node != nil && !cfg.IsMember(s.id) }))
		}
	}
	return out
}

func containsServer(list []*server, s *server) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Leader returns the running leader of the highest term, or None.
func (w *World) Leader() raft.ID {
	if s := w.leader(); s != nil {
		return s.id
	}
	return raft.None
}

// leader returns the running leader of the highest term, or nil.
func (w *World) leader() *server {
	var best *server
	for _, s := range w.servers {
		if s.node != nil && s.node.Role() == raft.Leader && (best == nil || s.node.Term() > best.node.Term()) {
			best = s
		}
	}
	return best
}

// pick draws one server that satisfies ok from the fault stream.
func (w *World) pick(ok func(*server) bool) *server {
	var cands []*server
	for _, s := range w.servers {
		if ok(s) {
			cands = append(cands, s)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	return cands[w.faultRng.IntN(len(cands))]
}

func names(ss []*server) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.id.String()
	}
	return strings.Join(parts, ",")
}

// doAction changes the world and returns a note on what it resolved to.
func (w *World) doAction(a *Action) string {
	switch a.Kind {
	case ActDeliver, ActDrop, ActDuplicate:
		return w.chooseMessage(a)
	case ActCrash, ActRestart, ActPause, ActResume, ActIsolate, ActDisk, ActClock, ActCampaign, ActPropose,
		ActPersist, ActHeartbeat:
		ss := w.resolve(a.Targets)
		if len(ss) == 0 {
			return "no such server now"
		}
		for _, s := range ss {
			w.doServerAction(a, s)
		}
		return names(ss)
	case ActPartition:
		if a.RandomHalves {
			return w.randomHalves()
		}
		w.partition(a.Groups)
	case ActCut:
		w.cutLink(a, true)
	case ActHeal:
		if a.Link {
			w.cutLink(a, false)
		} else {
			clear(w.net.cut)
		}
	case ActNet:
		if a.Link {
			for _, l := range w.links(a) {
				p := a.Net
				w.net.overrides[l] = &p
			}
		} else {
			w.net.params = a.Net
			clear(w.net.overrides)
		}
	case ActWorkload:
		return w.workload(a)
	case ActTransfer:
		return w.transfer(a)
	case ActSnapshot:
		ss := w.resolve(a.Targets)
		var notes []string
		for _, s := range ss {
			if s.node == nil || s.paused {
				notes = append(notes, s.id.String()+" is down")
				continue
			}
			notes = append(notes, w.takeSnapshot(s))
			w.flush(s)
		}
		if len(notes) == 0 {
			return "no such server now"
		}
		return strings.Join(notes, "; ")
	case ActReconfigure:
		return w.reconfigure(a)
	case ActNemesis:
		return w.startNemeses(a)
	case ActOptions:
		ss := w.resolve(a.Targets)
		for _, s := range ss {
			for _, f := range a.SetOptions {
				f(&s.opts)
			}
			if s.node != nil {
				s.node.SetLeaseDriftPPM(s.opts.LeaseDriftPPM)
			}
		}
		return names(ss)
	case ActSnapshotEvery:
		ss := w.resolve(a.Targets)
		for _, s := range ss {
			s.opts.SnapshotEntries = a.Entries
		}
		return names(ss)
	default:
		if a.Kind.IsMembership() {
			return w.requestChange(a)
		}
	}
	return ""
}

// transfer asks the current leader to hand over to the target.
func (w *World) transfer(a *Action) string {
	to := w.resolve(a.Targets)
	lead := w.leader()
	switch {
	case len(to) != 1:
		return "no such server now"
	case lead == nil:
		return "no leader to hand over"
	case lead.paused:
		return "the leader is paused"
	}
	if err := lead.node.TransferLeadership(to[0].id); err != nil {
		return err.Error()
	}
	w.flush(lead)
	return fmt.Sprintf("%v hands over to %v", lead.id, to[0].id)
}

func (w *World) doServerAction(a *Action, s *server) {
	switch a.Kind {
	case ActCrash:
		w.crash(s)
	case ActRestart:
		w.restart(s)
	case ActPause:
		s.paused = s.node != nil
	case ActResume:
		w.resume(s)
	case ActIsolate:
		for o := range w.servers {
			if o != s.idx {
				w.net.cut[w.net.link(s.idx, o)] = true
				w.net.cut[w.net.link(o, s.idx)] = true
			}
		}
	case ActDisk:
		s.disk.slowPercent = a.SlowPercent
	case ActClock:
		s.driftPPM, s.skewMicros = a.DriftPPM, a.SkewMicros
	case ActCampaign:
		if s.node != nil && !s.paused {
			s.node.Campaign()
		}
	case ActHeartbeat:
		if s.node != nil && !s.paused {
			s.node.Heartbeat()
		}
	case ActPersist:
		w.persist(s)
	case ActPropose:
		if s.node != nil && !s.paused {
			cmd := fsm.Command{Op: fsm.OpPut, Key: a.Key, Value: a.Value}
			if _, _, err := s.node.Propose(cmd.Encode(nil)); err == nil {
				w.stats.Proposals++
			}
		}
	}
}

func (w *World) resume(s *server) {
	if !s.paused {
		return
	}
	s.paused = false
	inbox := s.inbox
	s.inbox = nil
	for _, it := range inbox {
		it.at = w.now
		w.q.push(it)
	}
	w.scheduleTick(s)
}

// partition cuts every link between servers of different groups. A server
// in no group keeps all its links: it bridges the groups.
func (w *World) partition(groups [][]Target) {
	group := make([]int, len(w.servers))
	for i := range group {
		group[i] = -1
	}
	for g, ts := range groups {
		for _, s := range w.resolve(ts) {
			group[s.idx] = g
		}
	}
	for a := range w.servers {
		for b := range w.servers {
			if a != b && group[a] >= 0 && group[b] >= 0 && group[a] != group[b] {
				w.net.cut[w.net.link(a, b)] = true
			}
		}
	}
}

// randomHalves cuts the cluster into two halves drawn from the fault stream.
func (w *World) randomHalves() string {
	perm := w.faultRng.Perm(len(w.servers))
	half := len(w.servers) / 2
	var a, b []Target
	for i, p := range perm {
		t := Target{Kind: TargetID, ID: raft.ID(p + 1)}
		if i < half {
			a = append(a, t)
		} else {
			b = append(b, t)
		}
	}
	w.partition([][]Target{a, b})
	return fmt.Sprintf("%v | %v", targetNames(a), targetNames(b))
}

func targetNames(ts []Target) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	return strings.Join(parts, " ")
}

func (w *World) links(a *Action) []int {
	var out []int
	for _, f := range w.resolve([]Target{a.From}) {
		for _, t := range w.resolve([]Target{a.To}) {
			if f == t {
				continue
			}
			out = append(out, w.net.link(f.idx, t.idx))
			if a.Both {
				out = append(out, w.net.link(t.idx, f.idx))
			}
		}
	}
	return out
}

func (w *World) cutLink(a *Action, cut bool) {
	for _, l := range w.links(a) {
		w.net.cut[l] = cut
	}
}

func (w *World) workload(a *Action) string {
	if a.Rate >= 0 {
		w.rate = a.Rate
	}
	was := w.workloadOn
	w.workloadOn = a.On
	if a.On && !was {
		w.cfg.Workload.StopMicros = 0
		for _, c := range w.clients {
			c.scheduleFirst(w.now)
		}
	}
	if len(w.clients) == 0 {
		return "no clients"
	}
	return fmt.Sprintf("%d clients", len(w.clients))
}

// watch feeds the liveness watchdog: is there a connected quorum, and does
// it have a leader that makes progress?
func (w *World) watch() {
	q := w.connectedQuorum()
	commit := uint64(0)
	for _, s := range w.servers {
		if s.node != nil {
			commit = max(commit, s.node.Commit())
		}
	}
	progressed := commit > w.lastCommit
	w.lastCommit = commit
	live, why := w.quorumLive(q, progressed)
	if v := w.watchdog.Observe(w.now, q != nil, live, why); v != nil {
		v.Event = w.rec.Count()
		v.Nodes = serverIDs(q)
		w.liveness = append(w.liveness, v)
		w.record(trace.Event{Kind: trace.Liveness, Text: v.Explanation})
	}
}

func serverIDs(ss []*server) []raft.ID {
	ids := make([]raft.ID, len(ss))
	for i, s := range ss {
		ids[i] = s.id
	}
	return ids
}

func (w *World) quorumLive(q []*server, progressed bool) (bool, string) {
	if q == nil {
		return false, ""
	}
	var lead *server
	maxTerm := uint64(0)
	for _, s := range q {
		maxTerm = max(maxTerm, s.node.Term())
		if s.node.Role() == raft.Leader && (lead == nil || s.node.Term() > lead.node.Term()) {
			lead = s
		}
	}
	if lead == nil || lead.node.Term() < maxTerm {
		return false, fmt.Sprintf("no leader among %s", names(q))
	}
	if w.opsOutstanding() > 0 && !progressed {
		return false, fmt.Sprintf("leader %v commits nothing while clients wait", lead.id)
	}
	return true, ""
}

func (w *World) opsOutstanding() int {
	n := 0
	for _, c := range w.clients {
		n += len(c.ops)
	}
	return n
}

// connectedQuorum returns the largest set of running, unpaused servers that
// can all reach each other both ways, if it holds a quorum of the latest
// configuration any running server knows (of both voter sets in a joint
// one); else nil.
func (w *World) connectedQuorum() []*server {
	cfg := w.latestConfig()
	if len(cfg.Voters) == 0 {
		return nil
	}
	n := len(w.servers)
	best := 0
	bestSize := 0
	for set := 1; set < 1<<n; set++ {
		size := popcount(set)
		if size <= bestSize || !holdsQuorum(set, cfg.Voters) || !holdsQuorum(set, cfg.OldVoters) || !w.clique(set) {
			continue
		}
		best, bestSize = set, size
	}
	if bestSize == 0 {
		return nil
	}
	var out []*server
	for i, s := range w.servers {
		if best&(1<<i) != 0 {
			out = append(out, s)
		}
	}
	return out
}

// holdsQuorum reports whether the servers in set (bit i for S(i+1)) hold a
// majority of voters; an empty voter set needs none.
func holdsQuorum(set int, voters []raft.ID) bool {
	if len(voters) == 0 {
		return true
	}
	n := 0
	for _, id := range voters {
		if set&(1<<(id-1)) != 0 {
			n++
		}
	}
	return n >= raft.Quorum(voters)
}

func popcount(x int) int {
	c := 0
	for ; x != 0; x &= x - 1 {
		c++
	}
	return c
}

func (w *World) clique(set int) bool {
	for a, s := range w.servers {
		if set&(1<<a) == 0 {
			continue
		}
		if s.node == nil || s.paused {
			return false
		}
		for b := a + 1; b < len(w.servers); b++ {
			if set&(1<<b) != 0 && (!w.net.connected(a, b) || !w.net.connected(b, a)) {
				return false
			}
		}
	}
	return true
}

// LatestConfig is the cluster's configuration: the leader's, or the newest
// a running server holds.
func (w *World) LatestConfig() raft.Configuration { return w.latestConfig() }

// latestConfig is the configuration of the highest version a running server
// knows: the leader's, when there is one.
func (w *World) latestConfig() raft.Configuration {
	if l := w.leader(); l != nil {
		return l.node.Config()
	}
	var cfg raft.Configuration
	for _, s := range w.servers {
		if s.node != nil {
			if c := s.node.Config(); c.Index >= cfg.Index && len(c.Voters) > 0 {
				cfg = c
			}
		}
	}
	return cfg
}
