package lesson

import (
	"fmt"
	"strings"

	"smrlab/core/check"
	"smrlab/core/linear"
	"smrlab/core/raft"
	"smrlab/core/scenario"
	"smrlab/core/sim"
)

// Status is a condition's tri-state.
type Status uint8

// A condition is not yet met, met, or failed for good (until the step is
// reset).
const (
	NotYet Status = iota
	Met
	Failed
)

func (s Status) String() string {
	switch s {
	case Met:
		return "met"
	case Failed:
		return "failed"
	}
	return "not-yet"
}

// did is one thing the student did in a step: an action's verb, the
// servers it touched, and who led when it was taken.
type did struct {
	verb    string
	servers []raft.ID // servers named or affected (crashed, restarted, isolated...)
	leader  raft.ID   // the leader at that moment
}

// env is what conditions are judged against: the world now and the step's
// own memory.
type env struct {
	w           *sim.World
	views       []sim.ServerView
	now, start  int64
	lead        raft.ID // the serving leader now
	term        uint64  // the highest term of a running server
	term0       uint64  // that at the step's start
	firstLeader raft.ID // the first leader seen in the step
	changed     bool    // another server took office since
	last        uint64  // "last": the leader's last index at the step's start
	counts0     map[string]uint64
	rejected0   map[string]uint64
	liveness0   int
	violation0  *check.Violation
	lin         *linear.Result // nil: no history checked yet
	dids        []did
	predicted   bool
	votersCache []raft.ID
}

// eval judges one condition now, without its within bound and latching
// (the tracker adds them).
func (c *Cond) eval(e *env) (Status, string) {
	switch c.Kind {
	case CondLeader:
		return evalLeader(c, e)
	case CondNoLeader:
		if e.lead == raft.None {
			return Met, "no server leads"
		}
		return NotYet, fmt.Sprintf("%v leads in term %d", e.lead, e.term)
	case CondLeaderChanged:
		switch {
		case e.changed:
			return Met, fmt.Sprintf("%v took over from %v", e.lead, e.firstLeader)
		case e.firstLeader == raft.None:
			return NotYet, "no leader yet in this step"
		}
		return NotYet, fmt.Sprintf("%v still leads: another server must take office", e.firstLeader)
	case CondTerm:
		need := c.N
		if c.Relative {
			need += e.term0
		}
		if e.term >= need {
			return Met, fmt.Sprintf("term %d", e.term)
		}
		if c.Relative {
			return NotYet, fmt.Sprintf("the highest term is %d, needs %d (%d more than at the step's start)", e.term, need, c.N)
		}
		return NotYet, fmt.Sprintf("the highest term is %d, needs %d", e.term, need)
	case CondCommitted:
		return evalCommitted(c, e)
	case CondSnapshot:
		v := e.views[c.Server-1]
		if v.Status.SnapshotIndex > 0 && v.Status.SnapshotIndex >= c.N {
			return Met, fmt.Sprintf("S%d's snapshot covers up to index %d", c.Server, v.Status.SnapshotIndex)
		}
		if v.Status.SnapshotIndex == 0 {
			return NotYet, fmt.Sprintf("S%d holds no snapshot", c.Server)
		}
		return NotYet, fmt.Sprintf("S%d's snapshot covers up to index %d, needs %d", c.Server, v.Status.SnapshotIndex, c.N)
	case CondVoters:
		ok, why := scenario.JudgeVoters(e.w, c.Voters, c.Learners)
		return metIf(ok), why
	case CondJoint:
		if e.lead == raft.None {
			return NotYet, "no leader"
		}
		if cfg := e.views[e.lead-1].Status.Config; cfg.Joint() {
			return Met, fmt.Sprintf("%v is in the joint configuration %v", e.lead, cfg)
		} else {
			return NotYet, fmt.Sprintf("%v's configuration is %v, not joint", e.lead, cfg)
		}
	case CondViolation:
		return evalViolation(c, e)
	case CondNoViolation:
		if v := e.w.Violation(); v != nil {
			return Failed, v.Error()
		}
		if e.lin != nil && e.lin.Verdict == linear.NotLinearizable {
			return Failed, "the history is not linearizable"
		}
		return Met, "every invariant held so far"
	case CondLinearizable, CondNotLinearizable:
		return evalLinear(c, e)
	case CondMetric:
		return evalMetric(c, e)
	case CondCount:
		return evalCount(c, e)
	case CondStall:
		if l := e.w.Liveness(); len(l) > e.liveness0 {
			return Met, l[len(l)-1].Explanation
		}
		return NotYet, "the liveness watchdog has not fired in this step"
	case CondNoStall:
		if l := e.w.Liveness(); len(l) > e.liveness0 {
			return Failed, l[len(l)-1].Explanation
		}
		return Met, "no stall so far"
	case CondDid:
		return evalDid(c, e)
	case CondTime:
		if t := e.now - e.start; t >= c.Dur {
			return Met, fmtDuration(t) + " in this step"
		} else {
			return NotYet, fmt.Sprintf("%s of %s so far", fmtDuration(t), fmtDuration(c.Dur))
		}
	case CondPredicted:
		if e.predicted {
			return Met, "answered"
		}
		return NotYet, "answer the prediction"
	case CondLeaderUnchanged:
		if n := tookOffice(e); n > 0 {
			return Failed, fmt.Sprintf("%d election%s won in this step (%s)", n, plural(int(n)), leadsNow(e))
		}
		return Met, "no server took office in this step (" + leadsNow(e) + ")"
	case CondNot:
		inner, why := c.Inner.eval(e)
		switch st := not(c.Inner, inner); st {
		case Met:
			return st, why
		case Failed:
			return st, "it happened: " + why
		default:
			return st, "it holds now: " + why
		}
	}
	return NotYet, "unknown condition"
}

func metIf(ok bool) Status {
	if ok {
		return Met
	}
	return NotYet
}

func evalLeader(c *Cond, e *env) (Status, string) {
	switch {
	case e.lead == raft.None:
		return NotYet, fmt.Sprintf("no server leads (the highest term is %d)", e.term)
	case c.Server == 0 || raft.ID(c.Server) == e.lead:
		return Met, fmt.Sprintf("%v leads in term %d", e.lead, e.term)
	}
	return NotYet, fmt.Sprintf("%v leads, not S%d", e.lead, c.Server)
}

func evalCommitted(c *Cond, e *env) (Status, string) {
	n := c.N
	if c.Last {
		n = e.last
	}
	if c.On == "server" {
		v := e.views[c.Server-1]
		if v.Status.Commit >= n {
			return Met, fmt.Sprintf("S%d has commit index %d", c.Server, v.Status.Commit)
		}
		return NotYet, fmt.Sprintf("S%d has commit index %d, needs %d", c.Server, v.Status.Commit, n)
	}
	var voters []raft.ID
	for _, id := range e.voters() {
		if int(id) <= len(e.views) {
			voters = append(voters, id)
		}
	}
	have, behind := 0, []string{}
	for _, id := range voters {
		if cm := e.views[id-1].Status.Commit; cm >= n {
			have++
		} else {
			behind = append(behind, fmt.Sprintf("%v has %d", id, cm))
		}
	}
	need := len(voters)/2 + 1
	if c.On == "all" {
		need = len(voters)
	}
	if have >= need {
		return Met, fmt.Sprintf("%d of %d voters have commit index %d or more", have, len(voters), n)
	}
	return NotYet, fmt.Sprintf("%d of %d voters have commit index %d or more, needs %d (%s)", have, len(voters), n, need,
		strings.Join(behind, ", "))
}

func evalViolation(c *Cond, e *env) (Status, string) {
	v := e.w.Violation()
	if c.Name == check.Linearizability || (c.Name == "" && v == nil) {
		if e.lin != nil && e.lin.Verdict == linear.NotLinearizable {
			return Met, "the history is not linearizable"
		}
		if c.Name == check.Linearizability && v != nil {
			return Failed, "another invariant broke first: " + v.Error()
		}
	}
	switch {
	case v == nil:
		if c.Name == "" {
			return NotYet, "every invariant holds so far"
		}
		return NotYet, c.Name + " holds so far"
	case v == e.violation0 && e.violation0 != nil:
		return Met, "broken before this step: " + v.Error()
	case c.Name == "" || v.Invariant == c.Name:
		return Met, v.Error()
	}
	return Failed, "another invariant broke first: " + v.Error()
}

func evalLinear(c *Cond, e *env) (Status, string) {
	want := c.Kind == CondLinearizable
	switch {
	case e.lin == nil:
		return NotYet, "no client operation has completed yet"
	case e.lin.Verdict == linear.NotLinearizable:
		if want {
			return Failed, "not linearizable: " + firstSentence(e.lin)
		}
		return Met, "not linearizable: " + firstSentence(e.lin)
	case e.lin.Verdict == linear.Unknown:
		return NotYet, "the check could not decide yet: " + e.lin.Reason
	}
	if want {
		return Met, fmt.Sprintf("%d operations on %d keys are linearizable", e.lin.Ops, e.lin.Keys)
	}
	return NotYet, fmt.Sprintf("%d operations on %d keys are linearizable so far", e.lin.Ops, e.lin.Keys)
}

func firstSentence(r *linear.Result) string {
	if r.Violation == nil {
		return "no order of the operations explains the results"
	}
	s := r.Violation.Explanation
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i+1]
	}
	return s
}

// metricShown writes a metric's value as the metrics panel does.
func metricShown(name string, e *env) string {
	v := metricValue(name, e)
	switch name {
	case "leader_changes_per_minute":
		return fmt.Sprintf("%d.%02d", v/1000, v%1000/10)
	case "quorum_acks_latency_p99":
		return fmtDuration(v / 1000)
	case "commit_index_monotonic":
		if v == 0 {
			return "0 (a commit index went back)"
		}
	}
	return fmt.Sprint(v / 1000)
}

func evalMetric(c *Cond, e *env) (Status, string) {
	v, shown := metricValue(c.Name, e), metricShown(c.Name, e)
	ok := v >= c.Milli
	cmp := ">="
	if c.AtMost {
		ok, cmp = v <= c.Milli, "<="
	}
	bound := fmt.Sprintf("%d", c.Milli/1000)
	if c.Milli%1000 != 0 {
		bound = fmt.Sprintf("%d.%03d", c.Milli/1000, c.Milli%1000)
		bound = strings.TrimRight(bound, "0")
	}
	if c.Name == "quorum_acks_latency_p99" {
		bound = fmtDuration(c.Milli / 1000)
	}
	if ok {
		return Met, fmt.Sprintf("%s is %s", c.Name, shown)
	}
	return NotYet, fmt.Sprintf("%s is %s, needs %s %s", c.Name, shown, cmp, bound)
}

// leadsNow says who leads now.
func leadsNow(e *env) string {
	if e.lead == raft.None {
		return "no server leads now"
	}
	return fmt.Sprintf("%v leads in term %d", e.lead, e.term)
}

// evalCount counts from the step's start: "completed >= 5" asks for five
// operations completed in this step, "leader-changes <= 0" for none.
func evalCount(c *Cond, e *env) (Status, string) {
	n := countInStep(c, e)
	what := c.Name
	if c.Target != "" {
		what += " (" + c.Target + ")"
	}
	if c.AtMost {
		if n > c.N {
			return Failed, fmt.Sprintf("%s: %d in this step, more than %d", what, n, c.N)
		}
		return Met, fmt.Sprintf("%s: %d in this step, at most %d", what, n, c.N)
	}
	if n >= c.N {
		return Met, fmt.Sprintf("%s: %d in this step", what, n)
	}
	return NotYet, fmt.Sprintf("%s: %d in this step, needs %d", what, n, c.N)
}

func evalDid(c *Cond, e *env) (Status, string) {
	if why, ok := findDid(c, e); ok {
		return Met, why
	}
	what := c.Name
	if c.Target != "" {
		what += " " + c.Target
	}
	return NotYet, "not done yet in this step: " + what
}

// findDid looks for what c names among the student's actions, and says what
// it found.
func findDid(c *Cond, e *env) (string, bool) {
	for _, d := range e.dids {
		if d.verb != c.Name {
			continue
		}
		switch c.Target {
		case "":
			return "you did " + c.Name, true
		case "leader":
			if d.leader != raft.None && containsID(d.servers, d.leader) {
				return fmt.Sprintf("you did %s %v, the leader then", c.Name, d.leader), true
			}
		case "follower":
			for _, id := range d.servers {
				if id != d.leader {
					return fmt.Sprintf("you did %s %v, a follower then", c.Name, id), true
				}
			}
		default:
			n, _ := serverNumber(c.Target)
			if containsID(d.servers, raft.ID(n)) {
				return fmt.Sprintf("you did %s S%d", c.Name, n), true
			}
		}
	}
	return "", false
}

func containsID(ids []raft.ID, id raft.ID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// voters are the voters of the latest configuration (every server when
// none is known yet).
func (e *env) voters() []raft.ID {
	if e.votersCache == nil {
		e.votersCache = e.w.LatestConfig().Voters
		if len(e.votersCache) == 0 {
			for _, v := range e.views {
				e.votersCache = append(e.votersCache, v.ID)
			}
		}
	}
	return e.votersCache
}

// checkStatus makes the tracker hold status to eval's verdict (tests).
var checkStatus = false

// tracker follows a list of conditions through a step: event conditions
// and within bounds latch, no-violation and no-stall fail for good. It
// keeps the explanation of a verdict that latched; the others are
// explained on demand, from the world as it is (explain).
type tracker struct {
	conds  []*Cond
	status []Status
	why    []string
}

func newTracker(conds []*Cond) *tracker {
	return &tracker{conds: conds, status: make([]Status, len(conds)), why: make([]string, len(conds))}
}

// update judges every condition now; stopped says the world can go no
// further (a violation or its end), so what is not yet met never will be.
func (t *tracker) update(e *env, stopped string) {
	for i, c := range t.conds {
		if t.status[i] != NotYet && (t.status[i] == Failed || c.event()) {
			continue
		}
		st := c.status(e)
		if checkStatus {
			if want, why := c.eval(e); want != st {
				panic(fmt.Sprintf("condition %q: status %v, eval %v (%s)", c.Text, st, want, why))
			}
		}
		t.why[i] = ""
		switch {
		case st == NotYet && c.Within > 0 && e.now-e.start >= c.Within:
			_, why := c.eval(e)
			st, t.why[i] = Failed, fmt.Sprintf("not within %s: %s", fmtDuration(c.Within), why)
		case st == NotYet && stopped != "":
			_, why := c.eval(e)
			st, t.why[i] = Failed, stopped+": "+why
		case st == Failed || (st == Met && c.event()):
			_, t.why[i] = c.eval(e)
		}
		t.status[i] = st
	}
}

// explain says why condition i is in its state.
func (t *tracker) explain(i int, e *env) string {
	if t.why[i] != "" || e == nil {
		return t.why[i]
	}
	_, why := t.conds[i].eval(e)
	return why
}

// allMetVisible reports every condition of the goals that are not hidden
// met now: hidden checks are scored, but do not hold the student back.
func (t *tracker) allMetVisible(goals []Goal) bool {
	for i, s := range t.status {
		if s != Met && (i >= len(goals) || !goals[i].Hidden) {
			return false
		}
	}
	return true
}

// allMet reports every condition met now.
func (t *tracker) allMet() bool {
	for _, s := range t.status {
		if s != Met {
			return false
		}
	}
	return true
}
