package lab

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"smrlab/core/check"
	"smrlab/core/linear"
	"smrlab/core/raft"
	"smrlab/core/scenario"
	"smrlab/core/sim"
	"smrlab/core/trace"
)

// Limits of a session.
const (
	// CheckpointEveryMicros is how often a session keeps a copy of the world,
	// so that seeking back re-runs at most this much virtual time.
	CheckpointEveryMicros = 2 * sim.Second
	// CheckpointsMax bounds the copies a session keeps (see thinCheckpoints).
	CheckpointsMax = 512
	// RecentEventsMax bounds the events a view hands over at once.
	RecentEventsMax = 2000
	// MessageTextsMax bounds the sends and deliveries a view describes in
	// words: the newest ones. A busy ring sends thousands of messages a
	// second; the page's event log shows a few hundred of the newest events
	// and the space-time diagram needs no words, so describing the others
	// only cost time, in the worker and in the page.
	MessageTextsMax = 600
	// RecentAfterJumpMicros and RecentAfterJumpMax bound the events the view
	// after a jump in time hands over: the last moments before it.
	RecentAfterJumpMicros = 1 * sim.Second
	RecentAfterJumpMax    = 600
	// SessionActionsMax bounds the actions one session records.
	SessionActionsMax = 10_000
	// StepEventsMax bounds how far one step looks for the event it wants.
	StepEventsMax = 1_000_000
)

// DefaultScenario is the cluster a session opens when given no scenario:
// five servers, a calm network slow enough to watch, clients writing.
const DefaultScenario = `# The lab's default cluster: five servers, two spare machines to add, and a
# few clients. Each server snapshots and compacts its log every 32 entries.
name lab
description A cluster with PreVote and CheckQuorum on, two spare machines, and two clients writing and reading.
servers 5 spare 2
duration 60m
options all prevote=on checkquorum=on election=150ms heartbeat=50ms snapshot=32 chunk=16
network latency=8ms..12ms
disk latency=1ms..2ms
workload clients=2 rate=4/s writes=70% keys=5 timeout=1s
watchdog 5s
`

// Recorded is a user action as the recording keeps it: scenario syntax with
// its exact virtual time.
type Recorded struct {
	At   int64  `json:"at"`
	Text string `json:"text"`
}

// Options choose a session's seed and extra bug toggles.
type Options struct {
	Seed    uint64
	SeedSet bool
	Bugs    raft.Bugs
}

type checkpoint struct {
	at int64
	w  *sim.World
	// fresh marks the checkpoint taken before anything ran: actions at its
	// time are not in it yet.
	fresh bool
}

// Session is one interactive run: a scenario, a seed and the user's actions.
// It can run forward, step, act, seek back (from checkpoints) and fork: an
// action in the past discards the old future. The browser, the lab server
// and the command line all drive it.
type Session struct {
	sc          *scenario.Scenario
	opt         scenario.RunOptions
	actions     []Recorded
	parsed      []sim.Action
	w           *sim.World
	checkpoints []checkpoint
	// checkpointsMax bounds the checkpoints (0: CheckpointsMax).
	checkpointsMax int
	reached        int64
	// recent holds events since the last view (ticks left out).
	recent    []trace.Event
	truncated bool
	reset     bool
	// kinds marks the kinds of events seen since a step began.
	kinds uint32
	// ahead is the violation this branch reaches, kept when the session goes
	// back before it, until a fork discards that future.
	ahead *check.Violation
	// lin checks the client history while the session runs, a few keys per
	// view (the light in the browser).
	lin linear.Checker
}

// Open starts a session on a scenario's source.
func Open(file string, src []byte, o Options) (*Session, error) {
	sc, err := scenario.Parse(file, src)
	if err != nil {
		return nil, err
	}
	s := &Session{sc: sc, opt: scenario.RunOptions{Seed: o.Seed, SeedSet: o.SeedSet, Bugs: o.Bugs}}
	if s.w, err = scenario.World(sc, s.opt); err != nil {
		return nil, err
	}
	s.attach()
	s.checkpoints = []checkpoint{{at: 0, w: s.w.Clone(), fresh: true}}
	return s, nil
}

// OpenDefault starts a session on the default cluster.
func OpenDefault(o Options) (*Session, error) {
	return Open("lab.scn", []byte(DefaultScenario), o)
}

// DefaultScenarioFor is the default cluster with n servers instead of five.
func DefaultScenarioFor(n int) (string, error) {
	if n < 1 || n > sim.ServersMax {
		return "", fmt.Errorf("a cluster of %d servers: want 1 to %d", n, sim.ServersMax)
	}
	line := fmt.Sprintf("\nservers %d\n", n)
	if spare := min(2, sim.ServersMax-n); spare > 0 {
		line = fmt.Sprintf("\nservers %d spare %d\n", n, spare)
	}
	return strings.Replace(DefaultScenario, "\nservers 5 spare 2\n", line, 1), nil
}

// OpenRecording starts a session from a recording (a trace header) and runs
// it to the time the recording was made (Until; 0 means the scenario's end).
func OpenRecording(h *trace.Header) (*Session, error) {
	in, err := InputsOf(h)
	if err != nil {
		return nil, err
	}
	s, err := Open(h.ScenarioName, []byte(h.Scenario), Options{Seed: h.Seed, SeedSet: true, Bugs: in.Options.Bugs})
	if err != nil {
		return nil, err
	}
	if len(h.Actions) > SessionActionsMax {
		return nil, fmt.Errorf("the recording has %d actions, over the limit of %d", len(h.Actions), SessionActionsMax)
	}
	for i, a := range in.Options.Actions {
		if i > 0 && a.At < in.Options.Actions[i-1].At {
			return nil, fmt.Errorf("the recording's action %d (%q) is earlier than the one before it", i+1, h.Actions[i])
		}
		s.actions = append(s.actions, Recorded{At: a.At, Text: h.Actions[i]})
		s.parsed = append(s.parsed, a)
		if err := s.w.Schedule(a); err != nil {
			return nil, fmt.Errorf("the recording's action %d: %w", i+1, err)
		}
	}
	until := h.Until
	if until == 0 {
		until = s.End() // a whole run, as the command line records it
	}
	s.runTo(min(until, s.End()))
	return s, nil
}

// attach streams the world's events into the session's recent list.
func (s *Session) attach() {
	s.w.Recorder().Sink = func(e *trace.Event) error {
		s.kinds |= 1 << e.Kind
		if e.Kind == trace.Tick {
			return nil
		}
		if len(s.recent) >= RecentEventsMax {
			copy(s.recent, s.recent[len(s.recent)/2:])
			s.recent = s.recent[:len(s.recent)-len(s.recent)/2]
			s.truncated = true
		}
		s.recent = append(s.recent, *e)
		return nil
	}
}

// Scenario returns the session's scenario.
func (s *Session) Scenario() *scenario.Scenario { return s.sc }

// World returns the current world (read only: drive it through the session).
func (s *Session) World() *sim.World { return s.w }

// Now is the session's virtual time.
func (s *Session) Now() int64 { return s.w.Now() }

// End is the furthest the session can run: the scenario's duration.
func (s *Session) End() int64 { return s.sc.Duration }

// Reached is the furthest time computed on the current branch.
func (s *Session) Reached() int64 { return s.reached }

// Seed is the session's seed.
func (s *Session) Seed() uint64 { return s.w.Config().Seed }

// Actions returns the user actions recorded so far.
func (s *Session) Actions() []Recorded { return s.actions }

// Advance runs the world forward by dt microseconds (to the end at most).
func (s *Session) Advance(dt int64) {
	if dt > 0 {
		s.runTo(min(s.w.Now()+dt, s.End()))
	}
}

// runTo runs to time t, keeping a checkpoint at every multiple of the
// checkpoint interval it passes.
func (s *Session) runTo(t int64) {
	for s.w.Now() < t && !s.w.Stopped() {
		last := s.checkpoints[len(s.checkpoints)-1].at
		next := last + CheckpointEveryMicros
		target := min(t, next)
		s.w.RunUntil(target)
		s.noteViolation()
		if s.w.Now() == next && s.w.Violation() == nil {
			s.checkpoints = append(s.checkpoints, checkpoint{at: next, w: s.w.Clone()})
			s.thinCheckpoints()
		}
	}
	s.reached = max(s.reached, s.w.Now())
}

// CheckpointsLeast is the fewest copies of the world SetCheckpointsMax lets
// a session keep.
const CheckpointsLeast = 16

// SetCheckpointsMax bounds the copies of the world this session keeps
// (CheckpointsMax by default; CheckpointsLeast at least). A server that runs
// many sessions at once (classroom rooms) keeps fewer: going far back then
// re-runs more, and nothing else changes.
func (s *Session) SetCheckpointsMax(n int) {
	s.checkpointsMax = max(n, CheckpointsLeast)
	s.thinCheckpoints()
}

// thinCheckpoints bounds the memory of a long session: past CheckpointsMax
// copies, every other one of the older part goes, so checkpoints stay dense
// near the present (where students scrub most) and sparse further back.
func (s *Session) thinCheckpoints() {
	limit := CheckpointsMax
	if s.checkpointsMax > 0 {
		limit = s.checkpointsMax
	}
	if len(s.checkpoints) <= limit {
		return
	}
	keepRecent := limit / 4
	old := s.checkpoints[:len(s.checkpoints)-keepRecent]
	thinned := []checkpoint{old[0]}
	for i := 2; i < len(old); i += 2 {
		thinned = append(thinned, old[i])
	}
	s.checkpoints = append(thinned, s.checkpoints[len(s.checkpoints)-keepRecent:]...)
}

// StepEvent runs until one event other than a tick happens. It reports
// whether one did.
func (s *Session) StepEvent() bool {
	return s.stepUntil(^uint32(1 << trace.Tick))
}

// StepDelivery runs until a message is delivered. It reports whether one was.
func (s *Session) StepDelivery() bool {
	return s.stepUntil(1 << trace.Deliver)
}

// stepUntil runs event by event until one of the kinds in mask happens.
func (s *Session) stepUntil(mask uint32) bool {
	for i := 0; i < StepEventsMax; i++ {
		next := s.w.NextEventTime()
		if next < 0 || next > s.End() || s.w.Stopped() {
			return false
		}
		s.kinds = 0
		if cp := s.checkpoints[len(s.checkpoints)-1].at + CheckpointEveryMicros; next >= cp {
			// Pass the checkpoint time through runTo, which keeps a copy there.
			s.runTo(cp)
		} else {
			s.w.Step()
			s.reached = max(s.reached, s.w.Now())
			s.noteViolation()
		}
		if s.kinds&mask != 0 {
			return true
		}
	}
	return false
}

// ErrStopped is returned for an action on a run that a violation stopped.
var ErrStopped = errors.New("the run stopped at a violation: go back in time to act")

// Act takes a user action now, written as in a scenario without its time
// ("crash S2", "partition S1 S2 | S3 S4 S5"). Acting in the past (after a
// seek back) forks: the actions of the old future are discarded.
func (s *Session) Act(text string) error {
	if s.w.Violation() != nil {
		return ErrStopped
	}
	if len(s.actions) >= SessionActionsMax {
		return fmt.Errorf("this session has %d actions, the most it keeps", SessionActionsMax)
	}
	now := s.w.Now()
	prefix := "at " + strconv.FormatInt(now, 10) + "us "
	line := prefix + text
	a, err := parseUserAction(s.sc, s.parsed, line)
	if err != nil {
		// Point at the column of the user's own text, not of the time we added.
		var se *scenario.Error
		if errors.As(err, &se) {
			se.Col = max(se.Col-len(prefix), 1)
		}
		return err
	}
	s.fork(now)
	if err := s.w.Schedule(a); err != nil {
		return err
	}
	s.actions = append(s.actions, Recorded{At: now, Text: line})
	s.parsed = append(s.parsed, a)
	s.w.RunUntil(now)
	return nil
}

// fork discards everything after now: recorded actions, checkpoints (at
// now too, as the action about to be taken is not in them) and the reach.
func (s *Session) fork(now int64) {
	n := len(s.actions)
	for n > 0 && s.actions[n-1].At > now {
		n--
	}
	dropped := n < len(s.actions)
	s.actions, s.parsed = s.actions[:n], s.parsed[:n]
	c := len(s.checkpoints)
	for c > 1 && s.checkpoints[c-1].at >= now {
		c--
	}
	s.checkpoints = s.checkpoints[:c]
	if dropped {
		// The world may hold the dropped actions in its queue already:
		// compute now again without them.
		s.restore(now)
	}
	s.reached = now
	if s.ahead != nil && s.ahead.Time >= now {
		s.ahead = nil
	}
}

// noteViolation remembers a violation the current branch reaches.
func (s *Session) noteViolation() {
	if v := s.w.Violation(); v != nil {
		s.ahead = v
	}
}

// BranchViolation returns the violation this branch reaches, now or later.
func (s *Session) BranchViolation() *check.Violation { return s.ahead }

// Fork discards the future of the current branch: what was computed past
// now and the actions recorded there.
func (s *Session) Fork() { s.fork(s.w.Now()) }

// GoTo moves the session to time t on the current branch: back from the
// nearest checkpoint, or forward by running.
func (s *Session) GoTo(t int64) {
	t = min(max(t, 0), s.End())
	if t >= s.w.Now() && s.w.Violation() == nil && s.nearestCheckpoint(t) <= s.w.Now() {
		// Going forward, and no checkpoint lies between here and there.
		s.runTo(t)
		return
	}
	reached := s.reached
	s.restore(t)
	s.reached = max(reached, s.reached)
}

// Rewind returns the session to time t with only its first keep actions:
// what a lesson's "reset step" does. Unlike GoTo and Fork, it also drops the
// actions taken at t itself after the first keep (a student who acted at the
// very moment the step began), and runs the kept actions of time t.
func (s *Session) Rewind(t int64, keep int) {
	t = min(max(t, 0), s.End())
	keep = min(max(keep, 0), len(s.actions))
	s.actions, s.parsed = s.actions[:keep], s.parsed[:keep]
	c := len(s.checkpoints)
	for c > 1 && s.checkpoints[c-1].at >= t {
		c--
	}
	s.checkpoints = s.checkpoints[:c]
	s.restore(t)
	s.w.RunUntil(t)
	s.noteViolation()
	s.reached = t
	if s.ahead != nil && s.ahead.Time > t {
		s.ahead = nil
	}
}

// nearestCheckpoint returns the time of the last checkpoint at or before t.
func (s *Session) nearestCheckpoint(t int64) int64 {
	i := len(s.checkpoints) - 1
	for i > 0 && s.checkpoints[i].at > t {
		i--
	}
	return s.checkpoints[i].at
}

// restore rebuilds the world at time t from the nearest checkpoint before
// it and the recorded actions after that checkpoint.
func (s *Session) restore(t int64) {
	i := len(s.checkpoints) - 1
	for i > 0 && s.checkpoints[i].at > t {
		i--
	}
	cp := s.checkpoints[i]
	s.w = cp.w.Clone()
	for _, a := range s.parsed {
		if a.At > cp.at || (cp.fresh && a.At == cp.at) {
			// Cannot fail: the action was valid when it was first taken.
			_ = s.w.Schedule(a)
		}
	}
	s.recent, s.truncated, s.reset = s.recent[:0], false, true
	s.attach()
	s.runTo(t)
	if cp.fresh && t == cp.at {
		// runTo does not run what is due at the time it is already at: the
		// actions taken at the very start run now, as they did when taken,
		// so that going to a time shows its actions done, at 0 as anywhere.
		s.w.RunUntil(t)
	}
	// The page redraws from what it is handed after a jump: the events of
	// the last moments are enough, and handing over seconds of them would
	// make every jump slow.
	keep := len(s.recent)
	for keep > 0 && len(s.recent)-keep < RecentAfterJumpMax && s.recent[keep-1].Time >= t-RecentAfterJumpMicros {
		keep--
	}
	s.recent = append(s.recent[:0], s.recent[keep:]...)
}

// StateHash hashes the world's whole state now.
func (s *Session) StateHash() uint64 { return s.w.StateHash() }

// EventsHash is the running hash of every event so far.
func (s *Session) EventsHash() uint64 { return s.w.Recorder().Sum() }

// Recording returns the session's inputs as a trace header that reproduces
// its state at the current time.
func (s *Session) Recording() trace.Header {
	texts := make([]string, 0, len(s.actions))
	for _, a := range s.actions {
		if a.At <= s.w.Now() {
			texts = append(texts, a.Text)
		}
	}
	// Until 0 would mean "to the scenario's end": a session still at time 0
	// is recorded as stopping 1us later, before any tick.
	return Header(s.sc, s.Seed(), s.opt.Bugs, texts, max(s.w.Now(), 1))
}

// Trace re-runs the recording from the start and hands every event to sink,
// then returns the footer: the whole trace of the session up to now, without
// keeping it in memory.
func (s *Session) Trace(sink func(*trace.Event) error) (trace.Header, trace.Footer, error) {
	h := s.Recording()
	in, err := InputsOf(&h)
	if err != nil {
		return h, trace.Footer{}, err
	}
	in.Options.Sink = sink
	r, err := scenario.Run(in.Scenario, in.Options)
	if err != nil {
		return h, trace.Footer{}, err
	}
	return h, Footer(r), nil
}

// Branch returns the session's whole branch as a trace header: every
// action recorded, also those past now (after a seek back), with Until at
// now. Opening it (OpenRecording) gives a session at the same time, with the
// same future: what a classroom room hands a browser that joins late.
func (s *Session) Branch() trace.Header {
	texts := make([]string, len(s.actions))
	for i, a := range s.actions {
		texts[i] = a.Text
	}
	return Header(s.sc, s.Seed(), s.opt.Bugs, texts, max(s.w.Now(), 1))
}

// Receiver returns the server that message id (as the manual scheduler
// numbers messages: "deliver m7") is on its way to, while it is on the wire.
func (s *Session) Receiver(id uint64) (raft.ID, bool) {
	for _, f := range s.w.InFlight() {
		if f.ID == id {
			return raft.ID(f.To), true
		}
	}
	return raft.None, false
}
