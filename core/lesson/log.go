package lesson

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"smrlab/core/minijson"
)

// The lesson log: the operations a student took in a run of a lesson, each
// at the virtual time it was taken. A Player records it as it goes (Log);
// Replay plays it again natively to the same verdict (step, goal states,
// state hash): the player judges the goals only on the step's 10ms marks
// and after operations, never at the end of an Advance call, so how the
// page chunked time between operations does not matter.

// The operations of a lesson log.
const (
	OpAct    = "act"    // Act(Text)
	OpAnswer = "answer" // Answer(Choice)
	OpHint   = "hint"   // Hint()
	OpShowMe = "showme" // ShowMe()
	OpReset  = "reset"  // Reset()
	OpNext   = "next"   // Next()
)

// Limits of a lesson log.
const (
	// LogOpsMax bounds the operations of one lesson's log.
	LogOpsMax = 20_000
	// OpTextBytesMax bounds an act's text; ChoiceBytesMax an answer's choice.
	OpTextBytesMax = 200
	ChoiceBytesMax = 32
)

// Op is one operation of a lesson log, at virtual time At (µs): the run is
// advanced to At, then the operation is taken.
type Op struct {
	Op     string
	At     int64
	Text   string // act
	Choice string // answer
}

// Log is a lesson run: its operations and the virtual time the run had
// reached (Now, at or after the last operation's time).
type Log struct {
	Ops []Op
	Now int64
}

// Log returns the operations the student took so far (a copy).
func (p *Player) Log() []Op { return append([]Op(nil), p.log...) }

// LogLen is the number of operations taken so far.
func (p *Player) LogLen() int { return len(p.log) }

// Now is the run's virtual time.
func (p *Player) Now() int64 { return p.s.Now() }

// StateHash is the world's state hash now (Session().StateHash()).
func (p *Player) StateHash() uint64 { return p.s.StateHash() }

// Simulated is the virtual time the player has simulated so far (µs), over
// steps, resets and "show me": what its replay cost.
func (p *Player) Simulated() int64 { return p.simulated }

// CheckOp checks an operation's shape (not whether it applies).
func CheckOp(op Op) error {
	if op.At < 0 {
		return fmt.Errorf("a time of 0 or more µs, not %d", op.At)
	}
	switch op.Op {
	case OpAct:
		if op.Choice != "" {
			return fmt.Errorf("an act takes a text, not a choice")
		}
		if op.Text == "" || len(op.Text) > OpTextBytesMax {
			return fmt.Errorf("an act's text is 1 to %d bytes, not %d", OpTextBytesMax, len(op.Text))
		}
		if strings.ContainsFunc(op.Text, unicode.IsControl) {
			return fmt.Errorf("an act's text is one line of printable text")
		}
	case OpAnswer:
		if op.Text != "" {
			return fmt.Errorf("an answer takes a choice, not a text")
		}
		if op.Choice == "" || len(op.Choice) > ChoiceBytesMax {
			return fmt.Errorf("an answer's choice is 1 to %d bytes, not %d", ChoiceBytesMax, len(op.Choice))
		}
	case OpHint, OpShowMe, OpReset, OpNext:
		if op.Text != "" || op.Choice != "" {
			return fmt.Errorf("%s takes neither a text nor a choice", op.Op)
		}
	default:
		return fmt.Errorf("unknown operation %q (known: act, answer, hint, showme, reset, next)", op.Op)
	}
	return nil
}

// Apply takes one operation of a log: the run is advanced to its time, then
// it is taken as the page took it. It fails, naming what the run shows,
// when the log cannot have been made by this lesson on this seed: a time
// before the run's, a run that cannot get there (a locked prediction, a
// stop), an operation the player refuses. A player that failed is left
// part-way: start again from the log's accepted part.
func (p *Player) Apply(op Op) error {
	if err := CheckOp(op); err != nil {
		return err
	}
	if err := p.AdvanceTo(op.At); err != nil {
		return err
	}
	switch op.Op {
	case OpAct:
		return p.Act(op.Text)
	case OpAnswer:
		return p.Answer(op.Choice)
	case OpHint:
		return p.Hint()
	case OpShowMe:
		return p.ShowMe()
	case OpReset:
		return p.Reset()
	}
	return p.Next()
}

// AdvanceTo runs the world to virtual time t (never back).
func (p *Player) AdvanceTo(t int64) error {
	now := p.s.Now()
	switch {
	case t < now:
		return fmt.Errorf("at %s, but the run is at %s already", fmtMicros(t), fmtMicros(now))
	case t == now:
		return nil
	}
	if err := p.Advance(t - now); err != nil {
		return fmt.Errorf("at %s: %w", fmtMicros(t), err)
	}
	if p.s.Now() != t {
		return fmt.Errorf("at %s, but the run stops at %s (%s)", fmtMicros(t), fmtMicros(p.s.Now()), p.stopped)
	}
	return nil
}

// Replay plays a lesson log from the lesson's first step on seed: the same
// step, goal states and state hash the student's page reached.
func Replay(l *Lesson, seed uint64, log Log) (*Player, error) {
	p, err := Open(l, seed, 0)
	if err != nil {
		return nil, err
	}
	for i, op := range log.Ops {
		if err := p.Apply(op); err != nil {
			return p, &ReplayError{Index: i, Op: op, Err: err}
		}
	}
	if err := p.AdvanceTo(log.Now); err != nil {
		return p, &ReplayError{Index: len(log.Ops), Err: err}
	}
	return p, nil
}

// ReplayError says which operation of a log did not replay, and why.
type ReplayError struct {
	Index int // 0-based; len(ops) for the log's final time
	Op    Op
	Err   error
}

func (e *ReplayError) Error() string {
	if e.Op.Op == "" {
		return fmt.Sprintf("the log's time: %v", e.Err)
	}
	return fmt.Sprintf("operation %d (%s at %s): %v", e.Index+1, e.Op.Op, fmtMicros(e.Op.At), e.Err)
}

func (e *ReplayError) Unwrap() error { return e.Err }

// fmtMicros writes a virtual time in seconds with milliseconds: 1.250s.
func fmtMicros(us int64) string {
	return fmt.Sprintf("%d.%03ds", us/1_000_000, us%1_000_000/1000)
}

// AppendOpJSON appends an operation as the room's progress frame carries
// it: {"op","at"} and "text" for act, "choice" for answer.
func AppendOpJSON(b []byte, op Op) []byte {
	b = append(b, `{"op":`...)
	b = minijson.AppendString(b, op.Op)
	b = append(b, `,"at":`...)
	b = strconv.AppendInt(b, op.At, 10)
	switch op.Op {
	case OpAct:
		b = append(b, `,"text":`...)
		b = minijson.AppendString(b, op.Text)
	case OpAnswer:
		b = append(b, `,"choice":`...)
		b = minijson.AppendString(b, op.Choice)
	}
	return append(b, '}')
}

// AppendOpsJSON appends operations as a JSON array.
func AppendOpsJSON(b []byte, ops []Op) []byte {
	b = append(b, '[')
	for i, op := range ops {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendOpJSON(b, op)
	}
	return append(b, ']')
}

// StepResult is what a step earned in a run: which of its goals were met at
// some moment (hidden ones included), whether all of them that count were
// (Done), the hints shown, and whether "show me" played it.
type StepResult struct {
	ID      string
	Reached bool
	Met     []bool
	Done    bool
	Hints   int
	ShowMe  bool
}

// Results returns what each step earned so far (copies), in step order.
func (p *Player) Results() []StepResult {
	out := make([]StepResult, len(p.results))
	for i, r := range p.results {
		r.Met = append([]bool(nil), r.Met...)
		out[i] = r
	}
	return out
}

// Reveal shows the hidden goals in State (a class's room closed; the
// teacher's views).
func (p *Player) Reveal(show bool) { p.showHidden = show }
