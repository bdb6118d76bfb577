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
		"lessonAnswer": lessonCall(func(args []js.Value) error { return lp.Answer(argString(args)) }),
		"lessonHint":   lessonCall(func([]js.Value) error { return lp.Hint() }),
		"lessonReset":  lessonCall(func([]js.Value) error { return lp.Reset() }),
		"lessonShowMe": lessonCall(func([]js.Value) error { return lp.ShowMe() }),
		"lessonNext":   lessonCall(func([]js.Value) error { return lp.Next() }),
		"lessonClose":  lessonClose,
		"lessonLog":    lessonLog,
		"lessonReveal": lessonCall(func(args []js.Value) error { lp.Reveal(len(args) > 0 && args[0].Truthy()); return nil }),
		"lessonApply":  lessonApply,
	}
}

// lp is the open lesson's player: player (main.go) is it while the lesson
// is open; another session opened by the page leaves it behind.
var lp *lesson.Player

// lessonOf is a Player as main.go's lessonPlayer.
type lessonOf struct{ *lesson.Player }

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
	return viewJSON()
}

// ---- The lesson log: what a class's server replays (issue 14)

// lessonLog returns the open lesson's log (core/lesson's Player.Log) from
// index from on, as JSON: {"len":N,"now":µs,"step":"<step id>","hash":"<state
// hash, 16 hex>","ops":[{"op","at",...},...]}: the step and the hash at now,
// which a class's server checks against its replay.
func lessonLog(args []js.Value) (any, error) {
	if player == nil || lp == nil {
		return nil, errNoLesson
	}
	from := 0
	if len(args) > 0 && args[0].Type() == js.TypeNumber {
		from = args[0].Int()
	}
	n := lp.LogLen()
	if from < 0 || from > n {
		return nil, fmt.Errorf("lessonLog: from %d, but the log holds %d operations", from, n)
	}
	b := append([]byte(`{"len":`), strconv.Itoa(n)...)
	b = append(b, `,"now":`...)
	b = strconv.AppendInt(b, lp.Now(), 10)
	b = append(b, `,"step":`...)
	b = minijson.AppendString(b, lp.Lesson().Steps[lp.Step()].ID)
	b = append(b, `,"hash":"`...)
	b = fmt.Appendf(b, "%016x", lp.StateHash())
	b = append(b, `","ops":`...)
	b = lesson.AppendOpsJSON(b, lp.Log()[from:])
	return string(append(b, '}')), nil
}

// lessonApply takes a log's operations on the open lesson (Player.Apply:
// a student's log restored after a reload, or a student's run the teacher
// watches), then runs it on to now. ops is an array of {op, at, text,
// choice} objects; an operation that fails is named.
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
	for i := range ops.Get("length").Int() {
		v := ops.Index(i)
		if v.Type() != js.TypeObject {
			return nil, fmt.Errorf("lessonApply: operation %d is not an object", lp.LogLen()+1)
		}
		op := lesson.Op{Op: jsString(v.Get("op")), At: int64(v.Get("at").Float()), Text: jsString(v.Get("text")), Choice: jsString(v.Get("choice"))}
		n := lp.LogLen() + 1
		if err := lesson.CheckOp(op); err != nil {
			return nil, fmt.Errorf("lessonApply: operation %d: %w", n, err)
		}
		if err := lp.Apply(op); err != nil {
			return nil, fmt.Errorf("lessonApply: operation %d (%s at %d µs): %w", n, op.Op, op.At, err)
		}
	}
	if now > lp.Now() {
		if err := lp.AdvanceTo(now); err != nil {
			return nil, fmt.Errorf("lessonApply: the run's time: %w", err)
		}
	}
	return viewJSON()
}

func jsString(v js.Value) string {
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}
