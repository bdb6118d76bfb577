package scenario

import (
	"fmt"
	"slices"
	"time"

	"smrlab/core/check"
	"smrlab/core/linear"
	"smrlab/core/raft"
	"smrlab/core/sim"
	"smrlab/core/trace"
)

// RunOptions change how a scenario runs without changing the scenario.
type RunOptions struct {
	// Seed replaces the scenario's seed when SeedSet.
	Seed    uint64
	SeedSet bool
	// Bugs are switched on in every server, on top of the scenario's own.
	Bugs raft.Bugs
	// Actions are extra (user) actions, applied after the scenario's own at
	// the same time.
	Actions []sim.Action
	// Until stops the run early (0: at the scenario's duration).
	Until int64
	// KeepEvents keeps every event in memory; Sink streams them.
	KeepEvents bool
	Sink       func(*trace.Event) error
	// NoLinearizability skips the linearizability check of the client
	// history at the end; LinearTimeout bounds it (linear.DefaultTimeout
	// when zero), and LinearSteps, when not zero, bounds each key's search
	// in steps (linear.Options.Steps).
	NoLinearizability bool
	LinearTimeout     time.Duration
	LinearSteps       uint64
}

// Result is what a run showed.
type Result struct {
	Scenario  *Scenario
	Seed      uint64
	Bugs      raft.Bugs
	World     *sim.World
	Outcomes  []Outcome
	Passed    bool
	Violation *check.Violation
	Liveness  []*check.Violation
	// Linear is the linearizability check of the client history (nil when
	// there were no clients, the check was skipped, or an invariant broke
	// first).
	Linear     *linear.Result
	Events     uint64
	EventsHash uint64
	StateHash  uint64
	EndTime    int64
	// Knobs are what the swarm drew for this seed (none without a swarm
	// line), as scenario lines.
	Knobs []string
}

// World builds the simulator for a scenario under the options.
func World(sc *Scenario, opt RunOptions) (*sim.World, error) {
	w, _, err := world(sc, opt)
	return w, err
}

// Knobs returns the scenario as a run under opt sees it: a swarm scenario
// with the knobs of the run's seed drawn, and those knobs.
func Knobs(sc *Scenario, opt RunOptions) (*Scenario, []string, error) {
	if sc.Swarm == nil {
		return sc, nil, nil
	}
	seed := sc.Seed
	if opt.SeedSet {
		seed = opt.Seed
	}
	return sc.Swarmed(seed)
}

func world(sc *Scenario, opt RunOptions) (*sim.World, []string, error) {
	sc, knobs, err := Knobs(sc, opt)
	if err != nil {
		return nil, nil, err
	}
	cfg := sc.Config
	cfg.Seed = sc.Seed
	if opt.SeedSet {
		cfg.Seed = opt.Seed
	}
	cfg.Nodes = append([]sim.NodeOptions(nil), cfg.Nodes...)
	for i := range cfg.Nodes {
		cfg.Nodes[i].Bugs |= opt.Bugs
	}
	cfg.KeepEvents = opt.KeepEvents
	actions := append(append([]sim.Action(nil), sc.Actions...), opt.Actions...)
	w, err := sim.New(cfg, actions)
	if err != nil {
		return nil, nil, err
	}
	w.Recorder().Sink = opt.Sink
	return w, knobs, nil
}

// Run runs a scenario to its end (or its first violation) and judges its
// expectations.
func Run(sc *Scenario, opt RunOptions) (*Result, error) {
	w, knobs, err := world(sc, opt)
	if err != nil {
		return nil, err
	}
	end := sc.Duration
	if opt.Until > 0 {
		end = min(opt.Until, end)
	}
	j := newJudge(sc, w)
	sample := w.Config().TickMicros
	for t := int64(0); ; t += sample {
		t = min(t, end)
		w.RunUntil(t)
		if w.Violation() != nil {
			break
		}
		j.sample(t)
		if t == end {
			break
		}
	}
	if err := w.Recorder().SinkErr; err != nil {
		return nil, fmt.Errorf("writing events: %w", err)
	}
	r := &Result{Scenario: sc, Seed: w.Config().Seed, Bugs: opt.Bugs, World: w, Violation: w.Violation(),
		Liveness: w.Liveness(), Events: w.Recorder().Count(), EventsHash: w.Recorder().Sum(),
		StateHash: w.StateHash(), EndTime: w.Now(), Knobs: knobs}
	if h := w.History(); h != nil && h.Len() > 0 && r.Violation == nil && !opt.NoLinearizability {
		res := linear.CheckWith(h.Ops(), linear.Options{Timeout: opt.LinearTimeout, Steps: opt.LinearSteps})
		r.Linear = &res
		if res.Verdict == linear.NotLinearizable {
			r.Violation = &check.Violation{Invariant: check.Linearizability, Time: w.Now(),
				Event: w.Recorder().Count(), Explanation: res.Violation.Explanation}
		}
	}
	j.linear = r.Linear
	r.Outcomes, r.Passed = j.verdict(r.Violation)
	return r, nil
}

// judge watches a run at regular samples and rules on each expectation.
type judge struct {
	sc       *Scenario
	w        *sim.World
	leaderAt []int64 // per expectation: when a leader was seen in its window (-1: not yet)
	// from is when a leader expectation's window starts: After, or the
	// last disruptive election (Undisrupted).
	from      []int64
	startC    []uint64 // commit at a window's start
	maxC      []uint64 // highest commit seen inside the window
	started   []bool
	maxCommit uint64
	linear    *linear.Result
	// lead is the serving leader at the last sample and leadSince when it
	// began serving (-1: no leader serves).
	lead      raft.ID
	leadTerm  uint64
	leadSince int64
}

func newJudge(sc *Scenario, w *sim.World) *judge {
	n := len(sc.Expect)
	j := &judge{sc: sc, w: w, leaderAt: make([]int64, n), startC: make([]uint64, n), maxC: make([]uint64, n),
		started: make([]bool, n), from: make([]int64, n), leadSince: -1}
	for i := range j.leaderAt {
		j.leaderAt[i] = -1
		j.from[i] = sc.Expect[i].After
	}
	return j
}

func (j *judge) sample(t int64) {
	views := j.w.Servers()
	for _, v := range views {
		j.maxCommit = max(j.maxCommit, v.Status.Commit)
	}
	switch id, term := serving(views); {
	case id == raft.None:
		j.lead, j.leadSince = raft.None, -1
	case id != j.lead || term != j.leadTerm:
		j.lead, j.leadTerm, j.leadSince = id, term, t
	}
	for i := range j.sc.Expect {
		e := &j.sc.Expect[i]
		switch e.Kind {
		case ExpectLeaderWithin:
			if j.leaderAt[i] >= 0 || t < j.from[i] || t > j.from[i]+e.Within {
				break
			}
			if servingLeader(views, e.Servers) {
				j.leaderAt[i] = t
			} else if e.Undisrupted && disrupted(views) {
				j.from[i] = t
			}
		case ExpectCommitDuring:
			j.window(i, t, e, j.maxCommit)
		case ExpectNoCommitDuring:
			c := uint64(0)
			for _, id := range e.Servers {
				c = max(c, views[id-1].Status.Commit)
			}
			j.window(i, t, e, c)
		}
	}
}

func (j *judge) window(i int, t int64, e *Expectation, c uint64) {
	if t < e.From || t > e.To {
		return
	}
	if !j.started[i] {
		j.started[i], j.startC[i], j.maxC[i] = true, c, c
		return
	}
	j.maxC[i] = max(j.maxC[i], c)
}

// servingLeader reports whether a running server leads in the highest term
// any running server knows (and is the one named, if one is).
func servingLeader(views []sim.ServerView, want []raft.ID) bool {
	lead, _ := serving(views)
	return lead != raft.None && (len(want) == 0 || want[0] == lead)
}

// serving is the running server that leads in the highest term any running
// server knows, and that term (raft.None if none does).
func serving(views []sim.ServerView) (raft.ID, uint64) {
	var top uint64
	lead := raft.None
	for _, v := range views {
		if !v.Up {
			continue
		}
		if v.Status.Term > top {
			top, lead = v.Status.Term, raft.None
		}
		if v.Status.Term == top && v.Status.Role == raft.Leader {
			lead = v.ID
		}
	}
	return lead, top
}

// disrupted reports a candidate that cannot win: its log is behind the logs
// of a majority of the servers (§5.4.1), so it can only push the term up and
// make the others start again (the voters of its configuration count).
func disrupted(views []sim.ServerView) bool {
	for _, c := range views {
		if !c.Up || c.Status.Role != raft.Candidate {
			continue
		}
		ahead := 0
		for _, v := range views {
			if !slices.Contains(c.Status.Config.Voters, v.ID) {
				continue
			}
			if v.Status.LastTerm > c.Status.LastTerm ||
				v.Status.LastTerm == c.Status.LastTerm && v.Status.LastIndex > c.Status.LastIndex {
				ahead++
			}
		}
		if 2*ahead > len(c.Status.Config.Voters) {
			return true
		}
	}
	return false
}

func (j *judge) verdict(v *check.Violation) ([]Outcome, bool) {
	expectedViolation := false
	for _, e := range j.sc.Expect {
		if e.Kind == ExpectViolation && v != nil && v.Invariant == e.Invariant {
			expectedViolation = true
		}
	}
	all := true
	var out []Outcome
	for i, e := range j.sc.Expect {
		o := Outcome{Expectation: e}
		switch {
		case e.Kind == ExpectViolation || e.Kind == ExpectNoViolation:
			o.Passed, o.Detail = j.judgeViolation(e, v)
		case v != nil && expectedViolation:
			o.Passed, o.Detail = true, "not judged: the run stopped at the expected violation"
		case v != nil:
			o.Passed, o.Detail = false, "not reached: the run stopped at a violation"
		default:
			o.Passed, o.Detail = j.judge(i, e)
		}
		all = all && o.Passed
		out = append(out, o)
	}
	return out, all
}

func (j *judge) judgeViolation(e Expectation, v *check.Violation) (bool, string) {
	if e.Kind == ExpectNoViolation {
		if v == nil {
			return true, "every invariant held"
		}
		return false, v.Error()
	}
	switch {
	case v == nil:
		return false, "no violation was seen"
	case v.Invariant != e.Invariant:
		return false, "another invariant broke: " + v.Error()
	}
	return true, fmt.Sprintf("caught at event %d (t=%s)", v.Event, check.FormatMicros(v.Time))
}

func (j *judge) judge(i int, e Expectation) (bool, string) {
	switch e.Kind {
	case ExpectLeaderWithin:
		if j.leaderAt[i] >= 0 {
			return true, fmt.Sprintf("leader serving at t=%s", check.FormatMicros(j.leaderAt[i]))
		}
		from := j.from[i]
		if e.Undisrupted && from+e.Within > j.w.Now() {
			return true, fmt.Sprintf("not expected: elections that cannot win went on until %s, too late to judge",
				check.FormatMicros(from))
		}
		who := "no leader"
		if len(e.Servers) > 0 {
			who = e.Servers[0].String() + " did not lead"
		}
		since := ""
		if from > e.After {
			since = " (the last election that could not win began at " + check.FormatMicros(from) + ")"
		}
		return false, fmt.Sprintf("%s between %s and %s%s", who, check.FormatMicros(from),
			check.FormatMicros(from+e.Within), since)
	case ExpectStall, ExpectNoStall:
		l := j.w.Liveness()
		if (len(l) > 0) == (e.Kind == ExpectStall) {
			if len(l) > 0 {
				return true, l[0].Explanation
			}
			return true, "no stall"
		}
		if len(l) > 0 {
			return false, l[0].Explanation
		}
		return false, "the watchdog saw no stall"
	case ExpectCommittedAtLeast:
		return j.maxCommit >= e.N, fmt.Sprintf("highest commit index %d", j.maxCommit)
	case ExpectAllOpsComplete:
		st := j.w.Stats()
		open := st.OpsStarted - st.OpsOK - st.OpsFailed - st.OpsIndeterminate
		detail := fmt.Sprintf("%d of %d operations returned", st.OpsOK, st.OpsStarted)
		if given := st.OpsFailed + st.OpsIndeterminate; given > 0 {
			detail += fmt.Sprintf(", %d given up (%d failed, %d indeterminate)", given, st.OpsFailed, st.OpsIndeterminate)
		}
		// Expected only once one leader has served for the client bound
		// (core/sim/client.go) before the end.
		bound := j.w.ClientBoundMicros()
		if served := j.w.Now() - j.leadSince; open > 0 && (j.leadSince < 0 || served < bound) {
			what := "no leader served at the end"
			if j.leadSince >= 0 {
				what = fmt.Sprintf("%v served only for the last %s", j.lead, check.FormatMicros(served))
			}
			return true, fmt.Sprintf("not expected: %s, but %s (they are due once one has served for the client bound, %s)",
				detail, what, check.FormatMicros(bound))
		}
		return open == 0 && st.OpsStarted > 0, detail
	case ExpectCommitDuring:
		return j.maxC[i] > j.startC[i], fmt.Sprintf("commit index %d -> %d", j.startC[i], j.maxC[i])
	case ExpectNoCommitDuring:
		return j.maxC[i] <= j.startC[i], fmt.Sprintf("commit index %d -> %d", j.startC[i], j.maxC[i])
	case ExpectCountAtLeast:
		n := counts[e.Stat](j.w.Stats())
		return n >= e.N, fmt.Sprintf("%s: %d", e.Stat, n)
	case ExpectRetainedAtMost:
		most, who := uint64(0), raft.None
		for _, v := range j.w.Servers() {
			if r := v.Status.LastIndex - v.Status.SnapshotIndex; v.Up && r >= most {
				most, who = r, v.ID
			}
		}
		return most <= e.N, fmt.Sprintf("%v retains %d entries past its snapshot", who, most)
	case ExpectVoters:
		return judgeVoters(j.w, e)
	case ExpectLinearizable:
		switch {
		case j.linear == nil:
			return false, "no client history was checked"
		case j.linear.Verdict == linear.Linearizable:
			return true, j.linear.String()
		case j.linear.Verdict == linear.Unknown:
			return false, "not a pass: the check could not decide, " + j.linear.String()
		}
		return false, j.linear.String()
	}
	return false, "unknown expectation"
}

// judgeVoters compares the configuration the leader has committed with the
// one expected.
func judgeVoters(w *sim.World, e Expectation) (bool, string) {
	id := w.Leader()
	if id == raft.None {
		return false, "no leader at the end"
	}
	st := w.Node(id).Status()
	c := st.Config
	switch {
	case c.Joint():
		return false, fmt.Sprintf("%v is still in a joint configuration: %v", id, c)
	case c.Index > st.Commit:
		return false, fmt.Sprintf("configuration %d (%v) is not yet committed", c.Index, c)
	case !slices.Equal(c.Voters, e.Servers) || !slices.Equal(c.Learners, e.Learners):
		return false, fmt.Sprintf("the configuration is %v", c)
	}
	return true, fmt.Sprintf("configuration %d is %v", c.Index, c)
}
