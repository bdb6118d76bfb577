package lesson

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"smrlab/core/check"
	"smrlab/core/lab"
	"smrlab/core/linear"
	"smrlab/core/raft"
	"smrlab/core/scenario"
	"smrlab/core/sim"
)

// Evaluation rhythm of the player.
const (
	// EvalEveryMicros: while the world runs, goals are evaluated at least
	// this often in virtual time (and after every action).
	EvalEveryMicros = 10 * sim.Millisecond
	// LinearEveryMicros: the linearizability verdict is brought up to date
	// at most this often, when the history changed (and only in a step
	// whose goals ask for it): each update re-checks the keys that changed
	// from their first operation, so checking every 100ms cost several
	// times the simulation itself (BenchmarkGoals).
	LinearEveryMicros = sim.Second
	// LinearStepsPerKey bounds the linearizability search of each key in
	// model steps, and nothing else bounds it (no timeout, natively either),
	// so that the verdict is the same on every machine, loaded or not, and
	// `lesson check` agrees with the page.
	LinearStepsPerKey = 200_000
)

// ErrLocked is returned for a run control used while the step's prediction
// is unanswered.
var ErrLocked = errors.New("answer the prediction first: the run controls are locked until you do")

// Player drives one lab.Session through a lesson: it runs each step's
// setup, judges the goals as the world runs, locks the run until the
// prediction is answered, unlocks hints, plays the solution ("show me"),
// resets a step to its start, and moves to the next step once the goals
// are met. The page, the lab server and `smrlab lesson check` all use it.
type Player struct {
	l    *Lesson
	seed uint64
	s    *lab.Session
	step int
	// worlds counts the sessions opened (a step may start a fresh world).
	worlds int

	// The step's start: its time and the session's actions then (setup
	// included), and what the counters read.
	start        int64
	startActions int
	seenActions  int
	counts0      map[string]uint64
	rejected0    map[string]uint64
	liveness0    int
	violation0   *check.Violation
	last         uint64
	term0        uint64

	// What survives a reset of the step.
	attempts     int
	stuckBefore  int64 // virtual time spent in the step before the last reset
	answered     bool
	chosen       string
	revealed     bool
	hintsShown   int
	done         bool
	assisted     bool
	playing      bool // show me, a check, or the replay of earlier steps: no attempts
	inSetup      bool // a setup runs: its actions are no one's
	simulated    int64
	firstLeader  raft.ID
	changed      bool
	dids         []did
	goals, when  *tracker
	needLinear   bool
	lin          linear.Checker
	linAt        int64
	linOps       int
	linRes       *linear.Result
	prevViews    []sim.ServerView
	viewsBuf     []sim.ServerView // the buffer the next Observe fills (it and prevViews alternate)
	prevLeader   raft.ID
	msgTo        raft.ID // the receiver of the message the action being taken names
	stopped      string
	env          *env // the last judgement's, to explain the goals
	observedOnce bool

	// The lesson log: the student's operations so far (Log), what each
	// step earned (Results), and whether hidden goals are shown (Reveal).
	log        []Op
	results    []StepResult
	showHidden bool
}

// Open starts a lesson on a seed at step (0-based): the world at time 0,
// then the solutions of the steps before step, each after its setup. When a
// step before it (or it) starts a fresh world, only the steps from the
// latest such step are replayed, from that world.
func Open(l *Lesson, seed uint64, step int) (*Player, error) {
	if step < 0 || step >= len(l.Steps) {
		return nil, fmt.Errorf("lesson %s has steps 1 to %d, not %d", l.ID, len(l.Steps), step+1)
	}
	from := 0
	for i := step; i > 0; i-- {
		if l.Steps[i].World != nil {
			from = i
			break
		}
	}
	p := &Player{l: l, seed: seed, results: make([]StepResult, len(l.Steps))}
	if from == 0 {
		if err := p.openWorld(0); err != nil {
			return nil, err
		}
	}
	if err := p.startStep(from); err != nil {
		return nil, err
	}
	for p.step < step {
		if err := p.play(p.l.Steps[p.step].Solution); err != nil {
			return nil, fmt.Errorf("replaying the solution of step %s: %w", p.l.Steps[p.step].ID, err)
		}
		if err := p.startStep(p.step + 1); err != nil {
			return nil, err
		}
	}
	// The steps before the one opened at were the lesson's to play, not
	// the student's: they earned nothing.
	for i := 0; i < step; i++ {
		p.results[i] = StepResult{ID: l.Steps[i].ID}
	}
	return p, nil
}

// openWorld opens a new session: the lesson's world (i == 0) or step i's.
func (p *Player) openWorld(i int) error {
	file, src, seed := p.l.WorldFile, p.l.WorldSource, p.seed
	if i > 0 {
		w := p.l.Steps[i].World
		file, src, seed = w.File, w.Source, p.worldSeed(i)
	}
	s, err := lab.Open(file, src, lab.Options{Seed: seed, SeedSet: true})
	if err != nil {
		return err
	}
	p.s = s
	p.worlds++
	return nil
}

// worldSeed is the seed of step i's fresh world: its seed line's, or for
// seed per-student one derived from the lesson's seed (the student's), or
// else its scenario's.
func (p *Player) worldSeed(i int) uint64 {
	w := p.l.Steps[i].World
	if w.PerStudent {
		return StudentSeed(p.l.ID+"/"+p.l.Steps[i].ID, strconv.FormatUint(p.seed, 10))
	}
	return w.Seed
}

// Worlds counts the worlds (sessions) the player has opened: 1 after Open,
// one more each time a step starts a fresh world. Session() then returns
// the new one.
func (p *Player) Worlds() int { return p.worlds }

// SeedFor is the seed a student opens the lesson with: the lesson's own, or
// for a per-student lesson one derived from the student's id.
func (l *Lesson) SeedFor(studentID string) uint64 {
	if l.PerStudent {
		return StudentSeed(l.ID, studentID)
	}
	return l.Seed
}

// Lesson is the lesson played.
func (p *Player) Lesson() *Lesson { return p.l }

// Seed is the world's seed.
func (p *Player) Seed() uint64 { return p.seed }

// Step is the current step's index (0-based).
func (p *Player) Step() int { return p.step }

// Session is the session the player drives. The page draws it and may drive
// it directly (seek, step), calling Observe after: run controls go through
// Advance and Act, which enforce the prediction's lock. A step that starts a
// fresh world replaces it (Next, Open): Worlds() and State().World count.
func (p *Player) Session() *lab.Session { return p.s }

func (p *Player) cur() *Step { return &p.l.Steps[p.step] }

// Locked reports the run controls locked by an unanswered prediction
// (State().Locked, without building the state).
func (p *Player) Locked() bool { return p.locked() }

// StepStart is the virtual time the current step began (after its setup):
// a page that lets the student seek should not go before it, since what the
// step's start holds (the setup) would be lost by acting there.
func (p *Player) StepStart() int64 { return p.start }

// locked reports the run controls locked by an unanswered prediction.
func (p *Player) locked() bool {
	return p.cur().Predict != nil && !p.answered && !p.revealed
}

// startStep begins step i: its setup runs, then its start is kept.
func (p *Player) startStep(i int) error {
	p.step = i
	st := p.cur()
	if i > 0 && st.World != nil {
		if err := p.openWorld(i); err != nil {
			return fmt.Errorf("%s:%d: step %s's world: %w", p.l.File, st.World.Line, st.ID, err)
		}
	}
	p.attempts, p.stuckBefore, p.answered, p.chosen, p.revealed = 0, 0, false, "", false
	p.hintsShown, p.done, p.assisted = 0, false, false
	p.results[i] = StepResult{ID: st.ID, Reached: true, Met: make([]bool, len(st.Goals))}
	p.needLinear = false
	conds := make([]*Cond, 0, len(st.Goals))
	for j := range st.Goals {
		conds = append(conds, &st.Goals[j].Cond)
	}
	if st.Predict != nil {
		conds = append(conds, &st.Predict.When)
	}
	for _, c := range conds {
		p.needLinear = p.needLinear || c.needsLinear()
	}
	p.goals, p.when = nil, nil // judged again from the step's start
	p.inSetup = true
	p.observeQuiet()
	for _, a := range st.Setup {
		if err := p.do(a); err != nil {
			p.inSetup = false
			return fmt.Errorf("%s:%d: step %s's setup: %w", p.l.File, a.Line, st.ID, err)
		}
	}
	p.inSetup = false
	p.start = p.s.Now()
	p.startActions = len(p.s.Actions())
	p.baseline()
	return nil
}

// baseline reads the counters at the step's start and starts its judging.
func (p *Player) baseline() {
	w := p.s.World()
	st := w.Stats()
	p.counts0 = map[string]uint64{}
	for _, n := range scenario.CountNames {
		p.counts0[n], _ = scenario.Count(n, st)
	}
	p.rejected0 = map[string]uint64{}
	for k, v := range st.Rejected {
		p.rejected0[k] = v
	}
	p.liveness0 = len(w.Liveness())
	p.violation0 = w.Violation()
	views := w.Servers()
	p.last = 0
	if id := w.Leader(); id != raft.None {
		p.last = views[id-1].Status.LastIndex
	} else {
		for _, v := range views {
			if v.Up {
				p.last = max(p.last, v.Status.LastIndex)
			}
		}
	}
	p.firstLeader, _ = scenario.Serving(views)
	p.term0 = highestTerm(views)
	p.changed = false
	p.dids = nil
	p.seenActions = len(p.s.Actions())
	st0 := p.cur()
	conds := make([]*Cond, 0, len(st0.Goals))
	for j := range st0.Goals {
		conds = append(conds, &st0.Goals[j].Cond)
	}
	p.goals = newTracker(conds)
	p.when = nil
	if st0.Predict != nil {
		p.when = newTracker([]*Cond{&st0.Predict.When})
	}
	p.lin = newLinearChecker()
	p.linAt, p.linOps, p.linRes = -1, 0, nil
	p.Observe()
}

// observeQuiet remembers the world's servers and leader without judging
// (before a setup, whose actions are attributed to no one).
func (p *Player) observeQuiet() {
	p.prevViews = p.s.World().AppendServers(p.prevViews[:0])
	p.prevLeader = p.s.World().Leader()
	p.seenActions = len(p.s.Actions())
}

// Observe reads what happened since the last call (new actions, time run)
// and judges the goals. Call it after driving Session() directly.
func (p *Player) Observe() {
	w := p.s.World()
	views := w.AppendServers(p.viewsBuf[:0])
	p.viewsBuf = p.prevViews
	acts := p.s.Actions()
	if len(acts) < p.seenActions {
		p.seenActions = len(acts) // a fork discarded actions
	}
	for i := p.seenActions; i < len(acts); i++ {
		if p.inSetup || i < p.startActions {
			continue
		}
		// Show me's actions count for "did" goals (the step is then marked
		// assisted), not as attempts.
		p.dids = append(p.dids, p.attribute(acts[i].Text, views))
		if !p.playing {
			p.attempts++
		}
	}
	p.seenActions = len(acts)
	lead, _ := scenario.Serving(views)
	switch {
	case lead == raft.None:
	case p.firstLeader == raft.None:
		p.firstLeader = lead
	case lead != p.firstLeader:
		p.changed = true
	}
	p.updateLinear(w)
	e := &env{w: w, views: views, now: w.Now(), start: p.start, lead: lead,
		firstLeader: p.firstLeader, changed: p.changed, last: p.last, counts0: p.counts0,
		rejected0: p.rejected0, liveness0: p.liveness0, violation0: p.violation0, lin: p.linRes,
		dids: p.dids, predicted: p.answered}
	e.term, e.term0 = highestTerm(views), p.term0
	p.stopped = ""
	switch {
	case w.Violation() != nil && w.Violation() != p.violation0:
		p.stopped = "the run stopped at a violation (" + w.Violation().Invariant + ")"
	case w.Now() >= p.s.End():
		p.stopped = "the run reached its end (" + fmtDuration(p.s.End()) + ")"
	}
	if p.goals == nil {
		p.prevViews, p.prevLeader = views, w.Leader()
		return // a setup runs: nothing is judged until the step starts
	}
	p.env = e
	p.goals.update(e, p.stopped)
	if p.when != nil {
		p.when.update(e, p.stopped)
	}
	res := &p.results[p.step]
	for i, st := range p.goals.status {
		if st == Met && i < len(res.Met) && !p.inSetup {
			res.Met[i] = true
		}
	}
	if p.goals.allMetVisible(p.cur().Goals) && !p.done {
		p.done = true
		res.Done = true
	}
	if p.done && (p.answered || p.cur().Predict == nil) {
		p.revealed = true
	}
	p.prevViews, p.prevLeader = views, w.Leader()
}

// attribute says what a new action did: its verb, the servers it named or
// changed, and who led just before it.
func (p *Player) attribute(text string, views []sim.ServerView) did {
	f := strings.Fields(text)
	if len(f) >= 3 && f[0] == "at" {
		f = f[2:]
	}
	d := did{leader: p.prevLeader}
	if len(f) == 0 {
		return d
	}
	d.verb = f[0]
	for _, word := range f[1:] {
		for _, part := range strings.Split(word, ",") {
			if n, ok := serverNumber(part); ok {
				d.servers = appendID(d.servers, raft.ID(n))
			} else if part == "leader" && p.prevLeader != raft.None {
				d.servers = appendID(d.servers, p.prevLeader)
			}
		}
	}
	// A message delivered, dropped or duplicated: its receiver.
	if p.msgTo != raft.None && (d.verb == "deliver" || d.verb == "drop" || d.verb == "duplicate") {
		d.servers = appendID(d.servers, p.msgTo)
	}
	// A crash or restart of "random", "follower" or "all": the servers that
	// went down, or came up.
	for i, v := range views {
		if i >= len(p.prevViews) {
			break
		}
		was := p.prevViews[i].Up
		if (d.verb == "crash" && was && !v.Up) || (d.verb == "restart" && !was && v.Up) {
			d.servers = appendID(d.servers, v.ID)
		}
	}
	return d
}

func appendID(ids []raft.ID, id raft.ID) []raft.ID {
	if containsID(ids, id) {
		return ids
	}
	return append(ids, id)
}

// newLinearChecker is the lesson's linearizability checker: bounded by
// LinearStepsPerKey steps per key only, never by the wall clock.
func newLinearChecker() linear.Checker {
	return linear.Checker{Steps: LinearStepsPerKey, StepsOnly: true}
}

// updateLinear brings the linearizability verdict up to date when the
// history changed, at most every LinearEveryMicros.
func (p *Player) updateLinear(w *sim.World) {
	if !p.needLinear {
		return
	}
	h := w.History()
	if h == nil || h.Len() == 0 {
		return
	}
	if p.linRes != nil && (h.Len() == p.linOps || (p.linAt >= 0 && w.Now()-p.linAt < LinearEveryMicros)) {
		return
	}
	p.linAt, p.linOps = w.Now(), h.Len()
	p.lin.Update(h)
	r := p.lin.Result()
	p.linRes = &r
}

// Advance runs the world forward by dt microseconds of virtual time,
// judging the goals at least every EvalEveryMicros. It refuses while the
// prediction is unanswered.
func (p *Player) Advance(dt int64) error {
	if p.locked() {
		return ErrLocked
	}
	p.advance(dt)
	return nil
}

func (p *Player) advance(dt int64) {
	end := p.s.Now() + dt
	for p.s.Now() < end {
		before := p.s.Now()
		// Evaluate at the step's own 10ms marks, so that a "within" bound
		// is judged at its exact time.
		next := p.start + ((before-p.start)/EvalEveryMicros+1)*EvalEveryMicros
		if before < p.start {
			next = before + EvalEveryMicros
		}
		target := min(next, end)
		p.s.Advance(target - before)
		p.simulated += p.s.Now() - before
		// Judge only on the step's marks (and when the run stops short of
		// where it was asked to go): never at the end of a call, so that
		// the verdict does not depend on how the page chunked time into
		// frames, and a replay of the lesson log reaches the same one.
		if p.s.Now() == next || p.s.Now() < target {
			p.Observe()
		}
		if p.s.Now() < target {
			return // stopped: a violation, or the end of the run
		}
	}
}

// Act takes a student action now: a scenario action without its time
// ("crash leader"), "wait DUR", or "step event|delivery". It refuses while
// the prediction is unanswered.
func (p *Player) Act(text string) error {
	if p.locked() {
		return ErrLocked
	}
	a := Action{Text: strings.TrimSpace(text), Col: 1}
	if a.Text == "" {
		return fmt.Errorf("an empty action")
	}
	if err := (&parser{file: "action", line: 1}).checkActionShape(&a); err != nil {
		return err
	}
	at := p.s.Now()
	if err := p.do(a); err != nil {
		return err
	}
	p.log = append(p.log, Op{Op: OpAct, At: at, Text: a.Text})
	return nil
}

// do runs one action: a wait, a step of the manual scheduler, or a scenario
// action, then judges the goals.
func (p *Player) do(a Action) error {
	p.Observe()
	switch {
	case a.Wait > 0:
		p.advance(a.Wait)
		return nil
	case a.Text == "step event" || a.Text == "step delivery":
		before := p.s.Now()
		if a.Text == "step event" {
			p.s.StepEvent()
		} else {
			p.s.StepDelivery()
		}
		p.simulated += p.s.Now() - before
		if !p.inSetup {
			p.dids = append(p.dids, did{verb: "step", leader: p.prevLeader})
		}
		if !p.inSetup && !p.playing {
			p.attempts++
		}
		p.Observe()
		return nil
	}
	before := p.s.Now()
	p.msgTo = p.receiver(a.Text)
	defer func() { p.msgTo = raft.None }()
	if err := p.s.Act(a.Text); err != nil {
		return err
	}
	p.simulated += p.s.Now() - before
	p.Observe()
	return nil
}

// receiver is the server a deliver, drop or duplicate action's message is
// addressed to (raft.None for other actions, or no such message on the
// wire): the action is then attributed to it, for "did deliver S2".
func (p *Player) receiver(text string) raft.ID {
	f := strings.Fields(text)
	if len(f) != 2 || (f[0] != "deliver" && f[0] != "drop" && f[0] != "duplicate") {
		return raft.None
	}
	num, ok := strings.CutPrefix(f[1], "m")
	id, err := strconv.ParseUint(num, 10, 64)
	if !ok || err != nil {
		return raft.None
	}
	w := p.s.World()
	for _, m := range w.InFlight() {
		if m.ID == id && m.To >= 1 && int(m.To) <= w.Config().Servers {
			return raft.ID(m.To)
		}
	}
	return raft.None
}

// play runs a list of actions as the lesson (not the student) takes them.
func (p *Player) play(list []Action) error {
	p.playing = true
	defer func() { p.playing = false; p.seenActions = len(p.s.Actions()) }()
	for _, a := range list {
		if err := p.do(a); err != nil {
			return fmt.Errorf("%s:%d: %q: %w", p.l.File, a.Line, a.Text, err)
		}
	}
	return nil
}

// Answer answers the step's prediction with a choice's id; the run
// controls unlock.
func (p *Player) Answer(choice string) error {
	pr := p.cur().Predict
	switch {
	case pr == nil:
		return fmt.Errorf("step %s asks no prediction", p.cur().ID)
	case p.answered:
		return fmt.Errorf("the prediction is answered already (%s)", p.chosen)
	}
	ids := []string{}
	for _, c := range pr.Choices {
		if c.ID == choice {
			p.log = append(p.log, Op{Op: OpAnswer, At: p.s.Now(), Choice: choice})
			p.answered, p.chosen = true, choice
			p.Observe()
			return nil
		}
		ids = append(ids, c.ID)
	}
	return fmt.Errorf("no choice %q (the choices are %s)", choice, strings.Join(ids, ", "))
}

// CanHint says whether Hint would reveal a hint now (nil), or why not.
func (p *Player) CanHint() error {
	st := p.cur()
	if p.hintsShown >= len(st.Hints) {
		return fmt.Errorf("no more hints in this step: \"show me\" plays the solution")
	}
	if why := p.hintLock(st.Hints[p.hintsShown]); why != "" {
		return fmt.Errorf("the next hint unlocks %s", why)
	}
	return nil
}

// Hint reveals the next hint, if it is unlocked.
func (p *Player) Hint() error {
	if err := p.CanHint(); err != nil {
		return err
	}
	p.hintsShown++
	p.results[p.step].Hints = p.hintsShown
	p.log = append(p.log, Op{Op: OpHint, At: p.s.Now()})
	return nil
}

// stuck is the virtual time spent in the step, over its resets too.
func (p *Player) stuck() int64 { return p.stuckBefore + max(p.s.Now()-p.start, 0) }

// hintLock says what still locks a hint ("" when it is unlocked).
func (p *Player) hintLock(h Hint) string {
	switch {
	case h.Attempts > p.attempts:
		n := h.Attempts - p.attempts
		return fmt.Sprintf("after %d more attempt%s", n, plural(n))
	case h.After > p.stuck():
		return "in " + fmtDuration(h.After-p.stuck()) + " of virtual time"
	}
	return ""
}

// Reset returns the world to the step's start (the setup done, nothing the
// student did since). Attempts go on counting; hints stay unlocked.
func (p *Player) Reset() error {
	p.log = append(p.log, Op{Op: OpReset, At: p.s.Now()})
	p.attempts++
	p.rewind()
	return nil
}

func (p *Player) rewind() {
	p.stuckBefore = p.stuck()
	p.s.Rewind(p.start, p.startActions)
	attempts, answered, chosen, revealed, hints, done, assisted := p.attempts, p.answered, p.chosen, p.revealed,
		p.hintsShown, p.done, p.assisted
	stuck := p.stuckBefore
	p.baseline()
	p.attempts, p.answered, p.chosen, p.revealed, p.hintsShown, p.done, p.assisted = attempts, answered, chosen,
		revealed, hints, done, assisted
	p.stuckBefore = stuck
	p.Observe()
}

// ShowMe resets the step and plays its solution; the step is marked
// assisted and the prediction's answer revealed.
func (p *Player) ShowMe() error {
	p.log = append(p.log, Op{Op: OpShowMe, At: p.s.Now()})
	p.results[p.step].ShowMe = true
	p.rewind()
	p.assisted, p.revealed = true, true
	return p.play(p.cur().Solution)
}

// Next moves to the next step, once the goals are met.
func (p *Player) Next() error {
	switch {
	case !p.done:
		return fmt.Errorf("the goals of step %s are not met yet", p.cur().ID)
	case p.step+1 >= len(p.l.Steps):
		return fmt.Errorf("step %s is the lesson's last", p.cur().ID)
	}
	p.log = append(p.log, Op{Op: OpNext, At: p.s.Now()})
	if p.l.StartFromSolutions && p.l.Steps[p.step+1].World == nil {
		// The next step starts where the solution leads, whatever path
		// the student took: back to this step's start, and play it.
		// What the step earned is the student's run's, not the replay's.
		res := p.results[p.step]
		res.Met = append([]bool(nil), res.Met...)
		p.rewind()
		if err := p.play(p.cur().Solution); err != nil {
			return fmt.Errorf("replaying the solution of step %s: %w", p.cur().ID, err)
		}
		p.results[p.step] = res
	}
	return p.startStep(p.step + 1)
}

// Done reports the current step's goals met (at some moment).
func (p *Player) Done() bool { return p.done }

// highestTerm is the highest term a running server knows.
func highestTerm(views []sim.ServerView) uint64 {
	t := uint64(0)
	for _, v := range views {
		if v.Up {
			t = max(t, v.Status.Term)
		}
	}
	return t
}
