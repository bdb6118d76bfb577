//go:build js && wasm && lessons

// The lesson player's part of the bridge, in the lessons build only
// (smrlab-lessons.wasm: `go build -tags lessons ./wasm`): lessonOpen opens
// a lesson (core/lesson) over a new session, and the other lesson* calls
// drive its Player. main.go routes frame, act, step, goto and fork through
// the open lesson and adds its state to every view.

package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall/js"

	"smrlab/core/lesson"
	"smrlab/core/minijson"
	"smrlab/wasm/bridge"
)

func init() {
	lessonFuncs = map[string]bridge.Func{
		"lessonOpen":   lessonOpen,
		"lessonState":  lessonState,
		"lessonAnswer": lessonCall(func(args []js.Value) error { return logged(logOp{op: "answer", choice: argString(args)}) }),
		"lessonHint":   lessonCall(func([]js.Value) error { return logged(logOp{op: "hint"}) }),
		"lessonReset":  lessonCall(func([]js.Value) error { return logged(logOp{op: "reset"}) }),
		"lessonShowMe": lessonCall(func([]js.Value) error { return logged(logOp{op: "showme"}) }),
		"lessonNext":   lessonCall(func([]js.Value) error { return logged(logOp{op: "next"}) }),
		"lessonClose":  lessonClose,
		"lessonLog":    lessonLog,
		"lessonApply":  lessonApply,
	}
}

// lp is the open lesson's player: player (main.go) is it while the lesson
// is open; another session opened by the page leaves it behind.
var lp *lesson.Player

// lessonOf is a Player as main.go's lessonPlayer.
type lessonOf struct{ *lesson.Player }

// Act takes a student's action and logs it.
func (l lessonOf) Act(text string) error { return logged(logOp{op: "act", text: text}) }

func (l lessonOf) Refuse() error {
	if l.State().Locked {
		return lesson.ErrLocked
	}
	return nil
}

func (l lessonOf) AppendState(b []byte) []byte {
	st := l.State()
	return st.AppendJSON(b)
}

// lessonOptions is what the page sends to open a lesson, as a JSON object
// with these fields' names in lower case.
type lessonOptions struct {
	// Source is the lesson file, File its name (for errors).
	Source string
	File   string
	// Scenarios holds the scenario files that the lesson's world names, by
	// name: the page fetched them.
	Scenarios map[string]string
	// Student is the student's id, from which a per-student lesson draws
	// its seed; Seed, when set, is used instead.
	Student string
	Seed    string
	// Step is the step to open at (0-based), or StepID names it.
	Step   int
	StepID string
}

func parseLessonOptions(raw string) (lessonOptions, error) {
	o := lessonOptions{Scenarios: map[string]string{}}
	r := minijson.NewReader([]byte(raw))
	err := r.Object(func(key string) error {
		var err error
		switch key {
		case "source":
			o.Source, err = r.String()
		case "file":
			o.File, err = r.String()
		case "scenarios":
			err = r.Object(func(name string) error {
				src, err := r.String()
				o.Scenarios[name] = src
				return err
			})
		case "student":
			o.Student, err = r.String()
		case "seed":
			o.Seed, err = r.String()
		case "step":
			o.Step, err = countField(r, "step")
		case "stepId":
			o.StepID, err = r.String()
		default:
			err = r.UnknownKey(key)
		}
		return err
	})
	if err == nil {
		err = r.End()
	}
	return o, err
}

// lessonOpen opens a lesson at a step (the solutions of the steps before it
// replayed) and returns the view with the lesson's state.
func lessonOpen(args []js.Value) (any, error) {
	if err := need(args, 1, "lessonOpen(optionsJSON)"); err != nil {
		return nil, err
	}
	raw := args[0].String()
	if len(raw) > 4*scenarioBytesMax {
		return nil, fmt.Errorf("lessonOpen: options of %d bytes, over the limit", len(raw))
	}
	o, err := parseLessonOptions(raw)
	if err != nil {
		return nil, fmt.Errorf("lessonOpen: %w", err)
	}
	if o.File == "" {
		o.File = "lesson.lesson"
	}
	l, err := lesson.Parse(o.File, []byte(o.Source), func(name string) ([]byte, error) {
		src, ok := o.Scenarios[name]
		if !ok {
			return nil, fmt.Errorf("scenario %q was not loaded with the lesson", name)
		}
		return []byte(src), nil
	})
	if err != nil {
		return nil, err
	}
	seed := l.SeedFor(o.Student)
	if o.Seed != "" {
		if seed, err = strconv.ParseUint(strings.TrimSpace(o.Seed), 10, 64); err != nil {
			return nil, fmt.Errorf("seed %q: want a whole number from 0 to %d", o.Seed, uint64(1<<64-1))
		}
	}
	step := o.Step
	if o.StepID != "" {
		step = -1
		ids := make([]string, len(l.Steps))
		for i, st := range l.Steps {
			ids[i] = st.ID
			if st.ID == o.StepID {
				step = i
			}
		}
		if step < 0 {
			return nil, fmt.Errorf("lesson %s has no step %q (its steps: %s)", l.ID, o.StepID, strings.Join(ids, ", "))
		}
	}
	p, err := lesson.Open(l, seed, step)
	if err != nil {
		return nil, err
	}
	lp = p
	session, player = p.Session(), lessonOf{p}
	opLog = opLog[:0]
	return viewJSON()
}

var errNoLesson = errors.New("no lesson is open")

// lessonCall wraps a player call that answers with the view.
func lessonCall(fn func(args []js.Value) error) bridge.Func {
	return func(args []js.Value) (any, error) {
		if player == nil || lp == nil {
			return nil, errNoLesson
		}
		if err := fn(args); err != nil {
			return nil, err
		}
		return viewJSON()
	}
}

func argString(args []js.Value) string {
	if len(args) == 0 || args[0].Type() != js.TypeString {
		return ""
	}
	return args[0].String()
}

// lessonState returns the open lesson's state alone, as JSON.
func lessonState([]js.Value) (any, error) {
	if player == nil || lp == nil {
		return nil, errNoLesson
	}
	st := lp.State()
	return string(st.AppendJSON(nil)), nil
}

// lessonClose leaves the lesson: the session goes on as a free lab.
func lessonClose([]js.Value) (any, error) {
	player, lp = nil, nil
	opLog = opLog[:0]
	return viewJSON()
}

// ---- The lesson log: what a class's server replays (issue 14)

// logOp is one operation the student took, at the virtual time it was
// taken: act TEXT, answer CHOICE, hint, showme, reset, next.
type logOp struct {
	op, text, choice string
	at               int64
}

// opLog is the open lesson's log since it opened.
var opLog []logOp

// opLogMax bounds the log (a class's progress frames are at most 64 KiB).
const opLogMax = 20000

// logged applies an operation to the open player, logging it when the
// player takes it.
func logged(o logOp) error {
	if len(opLog) >= opLogMax {
		return fmt.Errorf("this lesson's log holds %d operations, its limit: reset the lesson to go on", opLogMax)
	}
	o.at = lp.Session().Now()
	var err error
	switch o.op {
	case "act":
		err = lp.Act(o.text)
	case "answer":
		err = lp.Answer(o.choice)
	case "hint":
		err = lp.Hint()
	case "showme":
		err = lp.ShowMe()
	case "reset":
		err = lp.Reset()
	case "next":
		err = lp.Next()
	default:
		err = fmt.Errorf("no lesson operation %q (act, answer, hint, showme, reset, next)", o.op)
	}
	if err == nil {
		opLog = append(opLog, o)
	}
	return err
}

// lessonLog returns the log from index from on, as JSON:
// {"len":N,"now":µs,"ops":[{"op":"act","at":µs,"text":".."},...]}.
func lessonLog(args []js.Value) (any, error) {
	if player == nil || lp == nil {
		return nil, errNoLesson
	}
	from := 0
	if len(args) > 0 && args[0].Type() == js.TypeNumber {
		from = args[0].Int()
	}
	if from < 0 || from > len(opLog) {
		return nil, fmt.Errorf("lessonLog: from %d, but the log holds %d operations", from, len(opLog))
	}
	b := append([]byte(`{"len":`), strconv.Itoa(len(opLog))...)
	b = append(b, `,"now":`...)
	b = strconv.AppendInt(b, lp.Session().Now(), 10)
	b = append(b, `,"ops":[`...)
	for i, o := range opLog[from:] {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"op":`...)
		b = minijson.AppendString(b, o.op)
		b = append(b, `,"at":`...)
		b = strconv.AppendInt(b, o.at, 10)
		if o.op == "act" {
			b = append(b, `,"text":`...)
			b = minijson.AppendString(b, o.text)
		}
		if o.op == "answer" {
			b = append(b, `,"choice":`...)
			b = minijson.AppendString(b, o.choice)
		}
		b = append(b, '}')
	}
	return string(append(b, "]}"...)), nil
}

// lessonApply replays operations on the open lesson (a student's log
// restored after a reload, or a student's run the teacher watches): each
// at its virtual time, then the run goes on to now. ops is an array of
// {op, at, text, choice} objects; an operation that fails is named.
func lessonApply(args []js.Value) (any, error) {
	if player == nil || lp == nil {
		return nil, errNoLesson
	}
	if err := need(args, 2, "lessonApply(ops, now)"); err != nil {
		return nil, err
	}
	ops, now := args[0], int64(args[1].Float())
	if ops.Type() != js.TypeObject || ops.Get("length").Type() != js.TypeNumber {
		return nil, errors.New("lessonApply: ops must be an array")
	}
	n := ops.Get("length").Int()
	for i := range n {
		v := ops.Index(i)
		if v.Type() != js.TypeObject {
			return nil, fmt.Errorf("lessonApply: operation %d is not an object", len(opLog)+1)
		}
		o := logOp{op: jsString(v.Get("op")), text: jsString(v.Get("text")), choice: jsString(v.Get("choice"))}
		at := int64(v.Get("at").Float())
		if err := runTo(at); err != nil {
			return nil, fmt.Errorf("lessonApply: operation %d (%s at %d µs): %w", len(opLog)+1, o.op, at, err)
		}
		if err := logged(o); err != nil {
			return nil, fmt.Errorf("lessonApply: operation %d (%s at %d µs): %w", len(opLog)+1, o.op, at, err)
		}
	}
	if err := runTo(now); err != nil {
		return nil, fmt.Errorf("lessonApply: running to %d µs: %w", now, err)
	}
	return viewJSON()
}

// runTo advances the open lesson to virtual time at (never back).
func runTo(at int64) error {
	now := lp.Session().Now()
	if at < now {
		return fmt.Errorf("its time is before the run's %d µs", now)
	}
	if at == now || lp.Locked() {
		return nil
	}
	return lp.Advance(at - now)
}

func jsString(v js.Value) string {
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}
