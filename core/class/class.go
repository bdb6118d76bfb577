// Package class is a class taught in a room: lessons the teacher starts,
// each student's progress verified by replaying their lesson log natively
// (the server believes recordings, not claims), the hints and "show me"
// the server granted, predictions held for the whole room and voted on in
// rounds, bug hunts whose submissions are replayed with the room's bug
// toggle, and the grades all of it earns (CSV, JSON Lines). It is pure:
// core/room feeds it the room's inputs, live and on Restore, and turns
// what it returns into frames.
package class

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"smrlab/core/lesson"
)

// Limits and rhythms of a class.
const (
	// LessonsMax bounds the lessons one start names.
	LessonsMax = 20
	// OpsPerProgressMax bounds the operations one progress frame brings.
	OpsPerProgressMax = 500
	// StuckAfterMs: a student this long on a step is shown stuck.
	StuckAfterMs = 180_000
	// StuckHints: as is one who was granted this many hints in the step.
	StuckHints = 2
	// WallEntriesMax bounds a progress frame's wall times.
	WallEntriesMax = 100
	// ForgedMax: after this many forged progress frames a run's further
	// frames are refused unread (each forged one costs a replay of the
	// accepted log to undo it). Not an input: a restarted server forgets it.
	ForgedMax = 50
	// VirtualPerProgressMax bounds the virtual time one progress frame may
	// make the server simulate (five minutes): a page sends its progress
	// far more often, and a frame that asks for more is refused before the
	// server spends the time (but for one wait action, which the lesson's
	// world bounds).
	VirtualPerProgressMax = 300_000_000
)

// Lesson is a lesson of the class: its name (the file's, "01-elections"),
// its parsed lesson and its source (kept with the room's inputs).
type Lesson struct {
	Name   string
	Lesson *lesson.Lesson
}

// Refusal is a class input refused: Code for the metrics (forged, closed,
// role, state, limit), Reason in words (what the replay found).
type Refusal struct {
	Code, Reason string
}

func (r *Refusal) Error() string { return r.Reason }

func refusal(code, format string, a ...any) error {
	return &Refusal{Code: code, Reason: fmt.Sprintf(format, a...)}
}

// Class is the class model of one room. It is not safe for concurrent use.
type Class struct {
	room    string
	lessons []Lesson
	order   []string // every lesson ever started, in order
	active  bool
	seats   map[int]*seatState
	hold    *Hold
	holds   []*Hold // every hold, revealed or not, in order
	hunt    *Hunt
	hunts   []*Hunt
	closed  bool
}

type seatState struct {
	runs map[string]*Run
	last string // the lesson the seat progressed in last
}

// New starts the class model of room id.
func New(roomID string) *Class { return &Class{room: roomID, seats: map[int]*seatState{}} }

// Lessons are the lessons started, in order (nil when none).
func (c *Class) Lessons() []Lesson { return c.lessons }

// Active reports a lesson sequence started and not stopped.
func (c *Class) Active() bool { return c.active }

// SetClosed marks the room closed: hidden checks are shown to students.
func (c *Class) SetClosed() { c.closed = true }

// Start starts a sequence of lessons for the room (replacing the last).
// Runs of lessons started before are kept (their grades stay).
func (c *Class) Start(ls []Lesson) error {
	if len(ls) == 0 || len(ls) > LessonsMax {
		return refusal("limit", "start 1 to %d lessons, not %d", LessonsMax, len(ls))
	}
	seen := map[string]bool{}
	for _, l := range ls {
		if seen[l.Name] {
			return refusal("state", "lesson %s named twice", l.Name)
		}
		seen[l.Name] = true
	}
	c.lessons = append([]Lesson(nil), ls...)
	c.active = true
	for _, l := range ls {
		if !slices.Contains(c.order, l.Name) {
			c.order = append(c.order, l.Name)
		}
	}
	return nil
}

// Stop stops the lessons: progress is refused until the next start.
func (c *Class) Stop() error {
	if !c.active {
		return refusal("state", "no lesson is running")
	}
	c.active = false
	return nil
}

// find returns the started lesson called name.
func (c *Class) find(name string) (*Lesson, error) {
	for i := range c.lessons {
		if c.lessons[i].Name == name {
			return &c.lessons[i], nil
		}
	}
	if !c.active {
		return nil, refusal("state", "no lesson is running in this room")
	}
	return nil, refusal("state", "lesson %q is not one the teacher started", name)
}

// Seed is the seed seat's run of a lesson uses: the lesson's own, or for a
// per-student lesson one derived from the room and the seat. The server
// computes it; the browser is told it.
func (c *Class) Seed(l *lesson.Lesson, seat int) uint64 {
	return l.SeedFor(c.room + "/" + strconv.Itoa(seat))
}

// Run is one seat's run of one lesson as the server replays it: the
// accepted log, one native player applying only new operations, the asks
// granted, the wall time on each step.
type Run struct {
	Lesson *Lesson
	Seat   int
	Seed   uint64
	p      *lesson.Player
	ops    []lesson.Op
	now    int64
	grants []string // hint, showme: in the order granted
	wall   map[string]int64
	// stepAtMs: the wall ms the run's current step was first reached.
	stepAtMs  int64
	stepIndex int
	// forged counts the run's refused forged frames.
	forged int
}

func (c *Class) seat(seat int) *seatState {
	s := c.seats[seat]
	if s == nil {
		s = &seatState{runs: map[string]*Run{}}
		c.seats[seat] = s
	}
	return s
}

// run returns (opening if need be) seat's run of lesson l.
func (c *Class) run(seat int, l *Lesson, nowMs int64) (*Run, error) {
	s := c.seat(seat)
	if r := s.runs[l.Name]; r != nil {
		return r, nil
	}
	r := &Run{Lesson: l, Seat: seat, Seed: c.Seed(l.Lesson, seat), wall: map[string]int64{}, stepAtMs: nowMs}
	p, err := lesson.Open(l.Lesson, r.Seed, 0)
	if err != nil {
		return nil, refusal("state", "lesson %s does not open on seed %d: %v", l.Name, r.Seed, err)
	}
	r.p = p
	s.runs[l.Name] = r
	return r, nil
}

// Run returns seat's run of the lesson called name, or nil.
func (c *Class) Run(seat int, name string) *Run {
	if s := c.seats[seat]; s != nil {
		return s.runs[name]
	}
	return nil
}

// Ops are the run's accepted operations (a copy); Now the time it reached.
func (r *Run) Ops() []lesson.Op { return append([]lesson.Op(nil), r.ops...) }

// Now is the virtual time the accepted log reached.
func (r *Run) Now() int64 { return r.now }

// Player is the server's player of the run (read it, do not drive it).
func (r *Run) Player() *lesson.Player { return r.p }

// Grants are the asks granted, in order ("hint", "showme").
func (r *Run) Grants() []string { return append([]string(nil), r.grants...) }

// LogHash is the SHA-256 of the accepted log as JSON Lines evidence names
// it: the operations as the progress frames carried them, then the time.
func (r *Run) LogHash() string {
	b := lesson.AppendOpsJSON(nil, r.ops)
	b = append(b, '\n')
	b = strconv.AppendInt(b, r.now, 10)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// StateHash is the replay's state hash now, 16 hex digits.
func (r *Run) StateHash() string { return fmt.Sprintf("%016x", r.p.StateHash()) }

// Progress is a progress frame's content.
type Progress struct {
	Lesson string
	From   int
	Ops    []lesson.Op
	Now    int64
	Wall   []Wall
	// Step and Hash, when set, are what the page claims: its current
	// step's id and its state hash (16 hex digits) at Now.
	Step, Hash string
}

// Wall is the wall time a student spent on a step, as the page measured it.
type Wall struct {
	Step string `json:"step"`
	Ms   int64  `json:"ms"`
}

// FromError says a progress frame's from is not the server's log length:
// the page resends from From.
type FromError struct {
	Lesson string
	From   int
}

func (e *FromError) Error() string {
	return fmt.Sprintf("progress of %s from %d: the server has %d operations", e.Lesson, e.From, e.From)
}

// CheckFrom tells whether a progress frame continues the server's copy of
// the seat's log: nil, or a *FromError with the length to resend from.
func (c *Class) CheckFrom(seat int, p *Progress) error {
	n := 0
	if r := c.Run(seat, p.Lesson); r != nil {
		n = len(r.ops)
	}
	if p.From != n {
		return &FromError{Lesson: p.Lesson, From: n}
	}
	return nil
}

// Progress verifies a progress frame by replaying its new operations on
// the seat's player, and keeps them when the replay reaches what the page
// claims. A refused frame changes nothing: the player is rebuilt from the
// accepted log. The error is a *Refusal (code forged for a log the server
// does not believe) or a *FromError.
func (c *Class) Progress(seat int, p *Progress, nowMs int64) error {
	l, err := c.find(p.Lesson)
	if err != nil {
		return err
	}
	if !c.active {
		return refusal("state", "the lessons are stopped")
	}
	if len(p.Ops) > OpsPerProgressMax || len(p.Wall) > WallEntriesMax {
		return refusal("limit", "a progress frame brings at most %d operations and %d wall times", OpsPerProgressMax, WallEntriesMax)
	}
	if err := c.CheckFrom(seat, p); err != nil {
		return err
	}
	fresh := c.Run(seat, l.Name) == nil
	r, err := c.run(seat, l, nowMs)
	if err != nil {
		return err
	}
	if r.forged >= ForgedMax {
		return refusal("limit", "%d forged progress frames from this seat: its progress is no longer read (the teacher can see why in the audit log)", r.forged)
	}
	if err := c.progress(r, p, nowMs); err != nil {
		var rf *Refusal
		if errors.As(err, &rf) && rf.Code == "forged" {
			r.forged++
		}
		if fresh {
			delete(c.seats[seat].runs, l.Name) // refused: no run either
		}
		return err
	}
	c.seat(seat).last = l.Name
	return nil
}

func (c *Class) progress(r *Run, p *Progress, nowMs int64) error {
	if len(r.ops)+len(p.Ops) > lesson.LogOpsMax {
		return refusal("limit", "a lesson log keeps at most %d operations", lesson.LogOpsMax)
	}
	// The hint and show me operations must be the ones the server granted,
	// in order: none taken without asking, none stripped.
	var asked []string
	for _, op := range append(r.Ops(), p.Ops...) {
		if op.Op == lesson.OpHint || op.Op == lesson.OpShowMe {
			asked = append(asked, op.Op)
		}
	}
	if why := matchGrants(asked, r.grants); why != "" {
		return refusal("forged", "forged progress: %s", why)
	}
	if why := r.apply(p); why != "" {
		r.rebuild()
		return refusal("forged", "forged progress: %s", why)
	}
	r.ops = append(r.ops, p.Ops...)
	r.now = p.Now
	for _, w := range p.Wall {
		r.wall[w.Step] = max(r.wall[w.Step], w.Ms)
	}
	if r.p.Step() != r.stepIndex {
		r.stepIndex, r.stepAtMs = r.p.Step(), nowMs
	}
	return nil
}

// matchGrants compares the log's asks with the server's grants.
func matchGrants(asked, granted []string) string {
	for i := range max(len(asked), len(granted)) {
		switch {
		case i >= len(granted):
			return fmt.Sprintf("the log takes %s %d, which the server never granted", asked[i], i+1)
		case i >= len(asked):
			return fmt.Sprintf("the log lacks the %s the server granted (ask %d)", granted[i], i+1)
		case asked[i] != granted[i]:
			return fmt.Sprintf("the log's ask %d is %s, the server granted %s", i+1, asked[i], granted[i])
		}
	}
	return ""
}

// apply replays new operations and checks the page's claims: "" or what
// the replay found.
func (r *Run) apply(p *Progress) string {
	sim0 := r.p.Simulated()
	for i, op := range p.Ops {
		if op.At-r.p.Now() > VirtualPerProgressMax || r.p.Simulated()-sim0 > VirtualPerProgressMax {
			return fmt.Sprintf("operation %d asks for more than %ds of virtual time in one frame", len(r.ops)+i+1,
				VirtualPerProgressMax/1_000_000)
		}
		if err := r.p.Apply(op); err != nil {
			return fmt.Sprintf("operation %d (%s at %dus) does not replay: %v; the replay is at %s",
				len(r.ops)+i+1, op.Op, op.At, err, r.where())
		}
	}
	if p.Now-r.p.Now() > VirtualPerProgressMax || r.p.Simulated()-sim0 > VirtualPerProgressMax {
		return fmt.Sprintf("the frame asks for more than %ds of virtual time", VirtualPerProgressMax/1_000_000)
	}
	if err := r.p.AdvanceTo(p.Now); err != nil {
		return fmt.Sprintf("the run's time does not replay: %v", err)
	}
	st := r.p.Lesson().Steps
	if p.Step != "" && p.Step != st[r.p.Step()].ID {
		return fmt.Sprintf("claims step %s; the replay is at %s", p.Step, r.where())
	}
	res := r.p.Results()
	for _, w := range p.Wall {
		i := stepIndex(r.p.Lesson(), w.Step)
		switch {
		case i < 0:
			return fmt.Sprintf("wall time for step %q, which lesson %s does not have", w.Step, r.Lesson.Name)
		case !res[i].Reached:
			return fmt.Sprintf("claims time on step %s; the replay is at %s", w.Step, r.where())
		case w.Ms < 0:
			return fmt.Sprintf("a negative wall time on step %s", w.Step)
		}
	}
	if p.Hash != "" && p.Hash != r.StateHash() {
		return fmt.Sprintf("claims state %s at %dus; the replay's is %s (another seed or another run), at %s",
			p.Hash, p.Now, r.StateHash(), r.where())
	}
	return ""
}

// where says where the replay is: the step and its first goal not met.
func (r *Run) where() string {
	st := r.p.State()
	w := st.StepID
	if st.Done {
		return w + ", its goals met"
	}
	for _, g := range st.Goals {
		if g.State != "met" {
			return fmt.Sprintf("%s, goal %q not met", w, g.Label)
		}
	}
	return w
}

// rebuild replays the accepted log on a fresh player: a refused frame's
// operations are undone.
func (r *Run) rebuild() {
	p, err := lesson.Replay(r.Lesson.Lesson, r.Seed, lesson.Log{Ops: r.ops, Now: r.now})
	if err != nil {
		// The accepted log replayed before: it cannot fail now.
		panic(fmt.Sprintf("class: the accepted log of seat %d no longer replays: %v", r.Seat, err))
	}
	r.p = p
}

func stepIndex(l *lesson.Lesson, id string) int {
	for i, s := range l.Steps {
		if s.ID == id {
			return i
		}
	}
	return -1
}

// Ask grants a hint or "show me" to seat in lesson: the server records it
// and the seat's log must then take it.
func (c *Class) Ask(seat int, name, what string, nowMs int64) error {
	if what != lesson.OpHint && what != lesson.OpShowMe {
		return refusal("state", "ask for hint or showme, not %q", what)
	}
	l, err := c.find(name)
	if err != nil {
		return err
	}
	if !c.active {
		return refusal("state", "the lessons are stopped")
	}
	fresh := c.Run(seat, l.Name) == nil
	r, err := c.run(seat, l, nowMs)
	if err != nil {
		return err
	}
	if err := r.ask(what); err != nil {
		if fresh {
			delete(c.seats[seat].runs, l.Name)
		}
		return err
	}
	r.grants = append(r.grants, what)
	return nil
}

func (r *Run) ask(what string) error {
	if len(r.grants) >= lesson.LogOpsMax {
		return refusal("limit", "too many asks")
	}
	// Granted only what the page can then take on the server's replay of
	// its log (the page sends its progress before it asks): a grant the
	// log could never match would refuse every later progress frame.
	if len(r.grants) > r.asked() {
		return refusal("state", "the %s granted before is not in your progress yet", r.grants[len(r.grants)-1])
	}
	if what == lesson.OpHint {
		if err := r.p.CanHint(); err != nil {
			return refusal("state", "on the server's replay of your run (at %s): %v", r.where(), err)
		}
	}
	return nil
}

// asked counts the hint and show me operations of the accepted log.
func (r *Run) asked() int {
	n := 0
	for _, op := range r.ops {
		if op.Op == lesson.OpHint || op.Op == lesson.OpShowMe {
			n++
		}
	}
	return n
}
