package room

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	cm "smrlab/core/class"
	"smrlab/core/lesson"
	"smrlab/lessons"
	"smrlab/scenarios"
)

// The class frames (issue 14, /work/class-spec.md): lessons in a room,
// progress verified by replaying each student's lesson log natively, asks,
// held predictions, teacher hints, watching a student, bug hunts. Every
// accepted one is a room input, so Restore rebuilds the class.

// Class limits and rhythms.
const (
	// DashboardEveryMs: the teacher's dashboard at most 4 a second...
	DashboardEveryMs = 250
	// DashboardIdleMs: ...and, with nothing new, every 5 s (its times move).
	DashboardIdleMs = 5000
	// HintBytesMax bounds a teacher's hint.
	HintBytesMax = 500
	// HuntScenarioDefault is a hunt's scenario when the teacher names none.
	HuntScenarioDefault = "manual-sandbox.scn"
	nameBytesMax        = 64
)

// setRaw decodes an array or object field of a class frame strictly.
func setRaw(f *Frame, key string, raw []byte) error {
	sc := scanner{b: raw}
	switch key {
	case "ops":
		f.Ops = []lesson.Op{} // present: never nil, as encoding/json reads it
	case "wall":
		f.Wall = []cm.Wall{}
	case "lessons":
		f.Lessons = []string{}
	}
	switch key {
	case "lessons":
		return sc.array(key, 1, func(i int, fd rawField) error {
			if fd.kind != 's' {
				return frameErr(key, "want lesson names (strings)")
			}
			if i >= cm.LessonsMax {
				return frameErr(key, "at most %d lessons", cm.LessonsMax)
			}
			f.Lessons = append(f.Lessons, fd.str)
			return nil
		})
	case "ops":
		return sc.array(key, 1, func(i int, fd rawField) error {
			if i >= cm.OpsPerProgressMax {
				return frameErr(key, "at most %d operations a frame", cm.OpsPerProgressMax)
			}
			fields, err := objectFields(key, i, fd, []string{"!s op", "!i at", "?s text", "?s choice"})
			if err != nil {
				return err
			}
			var op lesson.Op
			for _, x := range fields {
				switch x.key {
				case "op":
					op.Op = x.str
				case "at":
					op.At = x.num
				case "text":
					op.Text = x.str
				case "choice":
					op.Choice = x.str
				}
			}
			if err := lesson.CheckOp(op); err != nil {
				return frameErr(fmt.Sprintf("%s[%d]", key, i), "%v", err)
			}
			f.Ops = append(f.Ops, op)
			return nil
		})
	case "wall":
		return sc.array(key, 1, func(i int, fd rawField) error {
			if i >= cm.WallEntriesMax {
				return frameErr(key, "at most %d entries", cm.WallEntriesMax)
			}
			fields, err := objectFields(key, i, fd, []string{"!s step", "!i ms"})
			if err != nil {
				return err
			}
			var w cm.Wall
			for _, x := range fields {
				if x.key == "step" {
					w.Step = x.str
				} else {
					w.Ms = x.num
				}
			}
			if w.Ms < 0 || !validName(w.Step) {
				return frameErr(fmt.Sprintf("%s[%d]", key, i), "want a step id and 0 or more ms")
			}
			f.Wall = append(f.Wall, w)
			return nil
		})
	case "recording":
		f.Recording = append(json.RawMessage(nil), raw...)
	}
	return nil
}

// objectFields reads element i of an array as an object of the given
// fields (as frameFields lists them), strictly.
func objectFields(key string, i int, fd rawField, spec []string) ([]rawField, error) {
	where := fmt.Sprintf("%s[%d]", key, i)
	if fd.kind != 'o' {
		return nil, frameErr(where, "want an object")
	}
	sc := scanner{b: fd.raw}
	fields, err := sc.object(1)
	if err != nil {
		return nil, frameErr(where, "%v", err)
	}
	present := map[string]bool{}
	for _, x := range fields {
		kind := fieldSpec(spec, x.key)
		switch {
		case kind == "":
			return nil, frameErr(where+"."+x.key, "unknown field")
		case kind[1] != x.kind:
			return nil, frameErr(where+"."+x.key, "want a %s", map[byte]string{'s': "string", 'i': "whole number"}[kind[1]])
		}
		present[x.key] = true
	}
	for _, fs := range spec {
		if fs[0] == '!' && !present[fs[3:]] {
			return nil, frameErr(where+"."+fs[3:], "missing")
		}
	}
	return fields, nil
}

// validName accepts a lesson, step or scenario name: 1 to 64 of a-z, A-Z,
// 0-9, '-', '_', '.'.
func validName(s string) bool {
	if s == "" || len(s) > nameBytesMax {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// checkClassFrame checks a class frame's values.
func checkClassFrame(f *Frame, present map[string]bool) error {
	name := func(key, v string) error {
		if !validName(v) {
			return frameErr(key, "want a name of 1 to %d letters, digits, '-', '_' or '.', not %q", nameBytesMax, v)
		}
		return nil
	}
	switch f.T {
	case "lesson":
		switch f.Op {
		case "start":
			if len(f.Lessons) == 0 {
				return frameErr("lessons", "missing: op start names the lessons")
			}
			for _, l := range f.Lessons {
				if err := name("lessons", l); err != nil {
					return err
				}
			}
		case "stop":
			if present["lessons"] {
				return frameErr("lessons", "only op start names lessons")
			}
		default:
			return frameErr("op", "want start or stop, not %q", f.Op)
		}
	case "progress":
		if err := name("lesson", f.Lesson); err != nil {
			return err
		}
		if f.From < 0 || f.From > lesson.LogOpsMax {
			return frameErr("from", "want 0 to %d, not %d", lesson.LogOpsMax, f.From)
		}
		if f.Now < 0 {
			return frameErr("now", "want a time of 0 or more µs, not %d", f.Now)
		}
		for i, op := range f.Ops {
			if op.At > f.Now {
				return frameErr(fmt.Sprintf("ops[%d]", i), "at %dus, after the frame's now (%dus)", op.At, f.Now)
			}
		}
		if present["step"] {
			if err := name("step", f.Step); err != nil {
				return err
			}
		}
		if present["hash"] && !validHash(f.Hash) {
			return frameErr("hash", "want 16 hex digits, not %q", f.Hash)
		}
	case "ask":
		if err := name("lesson", f.Lesson); err != nil {
			return err
		}
		if f.What != lesson.OpHint && f.What != lesson.OpShowMe {
			return frameErr("what", "want hint or showme, not %q", f.What)
		}
	case "hold", "answer":
		if err := name("lesson", f.Lesson); err != nil {
			return err
		}
		if err := name("step", f.Step); err != nil {
			return err
		}
		if f.T == "answer" {
			if f.Round < 1 || f.Round > 100 {
				return frameErr("round", "want 1 to 100, not %d", f.Round)
			}
			if err := name("choice", f.Choice); err != nil {
				return err
			}
		}
	case "vote":
		if f.Op != "again" && f.Op != "reveal" {
			return frameErr("op", "want again or reveal, not %q", f.Op)
		}
	case "hint":
		if f.To < 0 || f.To > SeatsMax {
			return frameErr("to", "want a student's seat, or 0 for every student, not %d", f.To)
		}
		if f.Text == "" || len(f.Text) > HintBytesMax || strings.ContainsFunc(f.Text, func(r rune) bool {
			return unicode.IsControl(r) && r != '\n'
		}) {
			return frameErr("text", "a hint is 1 to %d bytes of text", HintBytesMax)
		}
	case "watch":
		if f.Seat != -1 && (f.Seat < 1 || f.Seat > SeatsMax) {
			return frameErr("seat", "want a student's seat, or -1 to stop, not %d", f.Seat)
		}
	case "hunt":
		switch f.Op {
		case "start":
			if err := name("bug", f.Bug); err != nil {
				return err
			}
			if present["scenario"] && (!validName(f.Scenario) || !strings.HasSuffix(f.Scenario, ".scn")) {
				return frameErr("scenario", "want a shipped scenario's file, like %s, not %q", HuntScenarioDefault, f.Scenario)
			}
		case "end":
			if present["bug"] || present["scenario"] {
				return frameErr(map[bool]string{true: "bug", false: "scenario"}[present["bug"]], "only op start takes it")
			}
		default:
			return frameErr("op", "want start or end, not %q", f.Op)
		}
	case "submit":
		if present["guess"] && !validName(f.Guess) {
			return frameErr("guess", "want a bug toggle's name, not %q", f.Guess)
		}
	}
	return nil
}

// appendClassJSON writes a class frame's fields after t and seq.
func (f *Frame) appendClassJSON(b []byte) []byte {
	switch f.T {
	case "lesson":
		b = appendStr(b, "op", f.Op)
		if f.Op == "start" {
			b = append(b, `,"lessons":`...)
			b = append(b, marshal(f.Lessons)...)
		}
	case "progress":
		b = appendStr(b, "lesson", f.Lesson)
		b = appendInt(b, "from", f.From)
		b = append(b, `,"ops":`...)
		b = lesson.AppendOpsJSON(b, f.Ops)
		b = appendInt(b, "now", f.Now)
		if f.Wall != nil {
			b = append(b, `,"wall":[`...)
			for i, w := range f.Wall {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"step":`...)
				b = appendString(b, w.Step)
				b = appendInt(b, "ms", w.Ms)
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		if f.Step != "" {
			b = appendStr(b, "step", f.Step)
		}
		if f.Hash != "" {
			b = appendStr(b, "hash", f.Hash)
		}
	case "ask":
		b = appendStr(b, "lesson", f.Lesson)
		b = appendStr(b, "what", f.What)
	case "hold", "answer":
		b = appendStr(b, "lesson", f.Lesson)
		b = appendStr(b, "step", f.Step)
		if f.T == "answer" {
			b = appendInt(b, "round", f.Round)
			b = appendStr(b, "choice", f.Choice)
		}
	case "vote":
		b = appendStr(b, "op", f.Op)
	case "hint":
		b = appendInt(b, "to", f.To)
		b = appendStr(b, "text", f.Text)
	case "watch":
		b = appendInt(b, "seat", f.Seat)
	case "hunt":
		b = appendStr(b, "op", f.Op)
		if f.Bug != "" {
			b = appendStr(b, "bug", f.Bug)
		}
		if f.Scenario != "" {
			b = appendStr(b, "scenario", f.Scenario)
		}
	case "submit":
		b = append(b, `,"recording":`...)
		b = append(b, f.Recording...)
		if f.Guess != "" {
			b = appendStr(b, "guess", f.Guess)
		}
	}
	return b
}

// lessonSource is a lesson as a start input keeps it: its text, and the
// shipped scenarios its worlds name, so that a restore needs no file.
type lessonSource struct {
	Name      string            `json:"name"`
	Source    string            `json:"source"`
	Scenarios map[string]string `json:"scenarios,omitempty"`
}

// opBody is a lesson operation in an input's JSON.
type opBody struct {
	Op     string `json:"op"`
	At     int64  `json:"at"`
	Text   string `json:"text,omitempty"`
	Choice string `json:"choice,omitempty"`
}

// classBody holds the class fields of an input (inputBody embeds it).
type classBody struct {
	Lessons   []lessonSource  `json:"lessons,omitempty"`
	Lesson    string          `json:"lesson,omitempty"`
	From      int             `json:"from,omitempty"`
	Ops       []opBody        `json:"ops,omitempty"`
	Now       int64           `json:"now,omitempty"`
	Wall      []cm.Wall       `json:"wall,omitempty"`
	Step      string          `json:"step,omitempty"`
	Hash      string          `json:"hash,omitempty"`
	What      string          `json:"what,omitempty"`
	Round     int64           `json:"round,omitempty"`
	Choice    string          `json:"choice,omitempty"`
	Bug       string          `json:"bug,omitempty"`
	Scenario  string          `json:"scenario,omitempty"`
	Source    string          `json:"source,omitempty"`
	Recording json.RawMessage `json:"recording,omitempty"`
	Guess     string          `json:"guess,omitempty"`
}

// parseLessons parses a start input's lessons.
func parseLessons(srcs []lessonSource) ([]cm.Lesson, error) {
	var out []cm.Lesson
	for _, s := range srcs {
		read := func(name string) ([]byte, error) {
			if src, ok := s.Scenarios[name]; ok {
				return []byte(src), nil
			}
			return nil, fmt.Errorf("no scenario %q kept with the lesson", name)
		}
		l, err := lesson.Parse(s.Name+".lesson", []byte(s.Source), read)
		if err != nil {
			return nil, err
		}
		out = append(out, cm.Lesson{Name: s.Name, Lesson: l})
	}
	return out, nil
}

// resolveLessons finds the course's lessons by name, with the scenarios
// their worlds name.
func resolveLessons(names []string) ([]lessonSource, error) {
	var out []lessonSource
	for _, n := range names {
		src, ok := lessons.Source(n)
		if !ok {
			return nil, fmt.Errorf("no lesson %q in the course (its lessons: %s)", n, strings.Join(lessons.Names(), ", "))
		}
		ls := lessonSource{Name: n, Source: string(src)}
		read := func(name string) ([]byte, error) {
			b, ok := scenarios.Source(name + ".scn")
			if !ok {
				return nil, fmt.Errorf("no shipped scenario %q", name)
			}
			if ls.Scenarios == nil {
				ls.Scenarios = map[string]string{}
			}
			ls.Scenarios[name] = string(b)
			return b, nil
		}
		if _, err := lesson.Parse(n+".lesson", src, read); err != nil {
			return nil, err
		}
		out = append(out, ls)
	}
	return out, nil
}

// applyClass carries out a class input.
func (r *Room) applyClass(b *inputBody) error {
	c := r.cls
	seat := int(b.Seat)
	switch b.K {
	case "lesson":
		if b.Op == "stop" {
			return c.Stop()
		}
		ls, err := parseLessons(b.Lessons)
		if err != nil {
			return err
		}
		return c.Start(ls)
	case "progress":
		p := &cm.Progress{Lesson: b.Lesson, From: b.From, Now: b.Now, Wall: b.Wall, Step: b.Step, Hash: b.Hash}
		for _, op := range b.Ops {
			p.Ops = append(p.Ops, lesson.Op{Op: op.Op, At: op.At, Text: op.Text, Choice: op.Choice})
		}
		return c.Progress(seat, p, b.Ms)
	case "ask":
		return c.Ask(seat, b.Lesson, b.What, b.Ms)
	case "hold":
		return c.HoldStep(b.Lesson, b.Step)
	case "answer":
		return c.AnswerHeld(seat, b.Lesson, b.Step, int(b.Round), b.Choice)
	case "vote":
		_, err := c.Vote(b.Op)
		return err
	case "hint":
		return nil // kept for the log and the audit
	case "hunt":
		if b.Op == "end" {
			return c.EndHunt(b.Ms)
		}
		return c.StartHunt(b.Bug, b.Scenario, b.Source, b.Ms)
	case "submit":
		_, err := c.Submit(seat, b.Recording, b.Guess, b.Ms)
		return err
	}
	return fmt.Errorf("unknown input %q", b.K)
}

// teacherOnly are the class frames only the teacher sends.
var teacherOnly = map[string]string{"lesson": "start or stop lessons", "hold": "hold a prediction", "vote": "end a round",
	"hint": "send hints", "watch": "watch a student", "hunt": "start or end a bug hunt"}

// classFrames are the class's frame types.
var classFrames = map[string]bool{"lesson": true, "progress": true, "ask": true, "hold": true, "answer": true, "vote": true,
	"hint": true, "watch": true, "hunt": true, "submit": true}

// studentOnly are the class frames only a student sends.
var studentOnly = map[string]bool{"progress": true, "ask": true, "answer": true, "submit": true}

// classFrame takes a class frame from a seat (its seq already taken).
func (r *Room) classFrame(o *Output, id SeatID, f *Frame, nowMs int64) {
	if what, ok := teacherOnly[f.T]; ok && id != Teacher {
		r.refuse(o, id, f.Seq, "role", "only the teacher can "+what, nowMs)
		return
	}
	if studentOnly[f.T] && id == Teacher {
		r.refuse(o, id, f.Seq, "role", "the teacher does not "+map[string]string{"progress": "send progress",
			"ask": "ask for hints", "answer": "vote", "submit": "submit to a hunt"}[f.T], nowMs)
		return
	}
	b := inputBody{K: f.T, Seat: id, Seq: f.Seq, At: r.s.Now(), Ms: nowMs}
	switch f.T {
	case "watch":
		r.watch(o, f, nowMs)
		return
	case "lesson":
		b.Op = f.Op
		if f.Op == "start" {
			srcs, err := resolveLessons(f.Lessons)
			if err != nil {
				r.refuse(o, id, f.Seq, "action", err.Error(), nowMs)
				return
			}
			b.Lessons = srcs
		}
	case "progress":
		if err := r.cls.CheckFrom(int(id), &cm.Progress{Lesson: f.Lesson, From: int(f.From)}); err != nil {
			var fe *cm.FromError
			if errors.As(err, &fe) {
				o.Sends = append(o.Sends, Send{To: id, Frame: marshal(struct {
					T      string `json:"t"`
					Seq    int64  `json:"seq"`
					Lesson string `json:"lesson"`
					From   int    `json:"from"`
				}{"progress-from", f.Seq, f.Lesson, fe.From})})
				o.Refused = append(o.Refused, "from")
				return
			}
		}
		b.Lesson, b.From, b.Now, b.Wall, b.Step, b.Hash = f.Lesson, int(f.From), f.Now, f.Wall, f.Step, f.Hash
		for _, op := range f.Ops {
			b.Ops = append(b.Ops, opBody{Op: op.Op, At: op.At, Text: op.Text, Choice: op.Choice})
		}
	case "ask":
		b.Lesson, b.What = f.Lesson, f.What
	case "hold":
		b.Lesson, b.Step = f.Lesson, f.Step
	case "answer":
		b.Lesson, b.Step, b.Round, b.Choice = f.Lesson, f.Step, f.Round, f.Choice
	case "vote":
		b.Op = f.Op
	case "hint":
		if f.To != 0 && r.seat(SeatID(f.To)) == nil {
			r.refuse(o, id, f.Seq, "action", fmt.Sprintf("no student in seat %d", f.To), nowMs)
			return
		}
		b.Target, b.Text = SeatID(f.To), f.Text
	case "hunt":
		b.Op = f.Op
		if f.Op == "start" {
			b.Bug, b.Scenario = f.Bug, f.Scenario
			if b.Scenario == "" {
				b.Scenario = HuntScenarioDefault
			}
			src, ok := scenarios.Source(b.Scenario)
			if !ok {
				r.refuse(o, id, f.Seq, "action", fmt.Sprintf("no shipped scenario %q", b.Scenario), nowMs)
				return
			}
			b.Source = string(src)
		}
	case "submit":
		b.Recording, b.Guess = f.Recording, f.Guess
	}
	before := r.cls.Held()
	if err := r.commit(o, &b); err != nil {
		code := "action"
		var rf *cm.Refusal
		if errors.As(err, &rf) {
			code = rf.Code
		}
		if f.T == "submit" && code == "forged" {
			code = "forged-submission"
		}
		r.refuse(o, id, f.Seq, code, err.Error(), nowMs)
		return
	}
	r.classOutputs(o, id, f, &b, before, nowMs)
}

// classOutputs sends what an accepted class input changed.
func (r *Room) classOutputs(o *Output, id SeatID, f *Frame, b *inputBody, before *cm.Hold, nowMs int64) {
	ack := func() { o.Sends = append(o.Sends, Send{To: id, Frame: ackFrame(f.Seq, r.n)}) }
	c := r.cls
	switch f.T {
	case "lesson":
		ack()
		r.audit(o, nowMs, "teacher", "lesson", fmt.Sprintf("%s %s", f.Op, strings.Join(f.Lessons, ", ")))
		r.sendClass(o, Everyone)
		r.dashDirty = true
		r.sendBoards(o)
	case "progress":
		ack()
		cr := c.Credit(int(id), f.Lesson, r.Closed())
		o.Sends = append(o.Sends, Send{To: id, Frame: marshal(struct {
			T   string `json:"t"`
			Seq int64  `json:"seq"`
			N   uint64 `json:"n"`
			cm.Credit
		}{"credited", f.Seq, r.n, cr})})
		o.Progress = append(o.Progress, "accepted")
		if r.watching == id && r.watchLesson == f.Lesson {
			r.sendWatching(o, int(f.From))
		}
		r.dashDirty = true
		r.boardDirty = f.Lesson
	case "ask":
		ack()
		o.Sends = append(o.Sends, Send{To: id, Frame: marshal(struct {
			T      string `json:"t"`
			Seq    int64  `json:"seq"`
			Lesson string `json:"lesson"`
			What   string `json:"what"`
		}{"granted", f.Seq, f.Lesson, f.What})})
		r.dashDirty = true
	case "hold":
		ack()
		r.audit(o, nowMs, "teacher", "hold", fmt.Sprintf("%s step %s", f.Lesson, f.Step))
		r.sendClass(o, Everyone)
		r.sendVotes(o)
	case "answer":
		ack()
		r.sendVotes(o)
	case "vote":
		ack()
		r.audit(o, nowMs, "teacher", "vote", f.Op)
		if f.Op == "again" {
			r.sendClass(o, Everyone)
			r.sendVotes(o)
			break
		}
		type round struct {
			Round     int            `json:"round"`
			Histogram map[string]int `json:"histogram"`
			Answered  int            `json:"answered"`
		}
		var rounds []round
		for i := range before.Answers {
			keys, counts, n := before.Histogram(i + 1)
			h := map[string]int{}
			for j, k := range keys {
				h[k] = counts[j]
			}
			rounds = append(rounds, round{i + 1, h, n})
		}
		o.Sends = append(o.Sends, Send{To: Everyone, Frame: marshal(struct {
			T      string  `json:"t"`
			Lesson string  `json:"lesson"`
			Step   string  `json:"step"`
			Answer string  `json:"answer"`
			Rounds []round `json:"rounds"`
		}{"reveal", before.Lesson, before.Step, before.Answer, rounds})})
		r.sendClass(o, Everyone)
		r.dashDirty = true
	case "hint":
		ack()
		to := SeatID(f.To)
		if to == 0 {
			to = Everyone
		}
		o.Sends = append(o.Sends, Send{To: to, Frame: marshal(struct {
			T    string `json:"t"`
			Text string `json:"text"`
			From string `json:"from"`
		}{"hint", f.Text, "teacher"})})
		r.audit(o, nowMs, "teacher", "hint", fmt.Sprintf("to seat %d: %s", f.To, f.Text))
	case "hunt":
		ack()
		h := c.Hunt()
		r.audit(o, nowMs, "teacher", "hunt", fmt.Sprintf("%s: bug %s on %s", f.Op, h.Bug, h.Scenario))
		r.sendClass(o, Everyone)
		r.sendHunt(o)
	case "submit":
		ack()
		o.Submissions = append(o.Submissions, "valid")
		r.audit(o, nowMs, r.actor(id), "submit", fmt.Sprintf("valid find: %s", c.Hunt().Subs[len(c.Hunt().Subs)-1].Invariant))
		r.sendHunt(o)
		r.dashDirty = true
	}
	r.maybeDashboard(o, nowMs, false)
}

// classView is the class frame a student gets: the lessons with the
// seat's seeds, the held prediction, the hunt (never its bug while it runs).
type classView struct {
	T       string        `json:"t"`
	Lessons []classLesson `json:"lessons"`
	Seed    string        `json:"seed"`
	Active  bool          `json:"active"`
	Hold    *holdView     `json:"hold"`
	Hunt    *huntView     `json:"hunt"`
	Closed  bool          `json:"closed"`
}

type classLesson struct {
	Name  string `json:"name"`
	ID    string `json:"id"`
	Title string `json:"title"`
	Seed  string `json:"seed"`
	Steps int    `json:"steps"`
	// From is the length of the seat's log the server holds: a page that
	// reloads resumes its queue from there.
	From int `json:"from"`
}

type holdView struct {
	Lesson string `json:"lesson"`
	Step   string `json:"step"`
	Round  int    `json:"round"`
}

type huntView struct {
	Scenario  string          `json:"scenario"`
	Started   int64           `json:"started"`
	State     string          `json:"state"`
	Recording json.RawMessage `json:"recording"`
}

func (r *Room) classView(id SeatID) *classView {
	c := r.cls
	if len(c.Lessons()) == 0 && c.Hunt() == nil {
		return nil
	}
	v := &classView{T: "class", Lessons: []classLesson{}, Active: c.Active(), Closed: r.Closed()}
	for i, l := range c.Lessons() {
		seed := fmt.Sprint(c.Seed(l.Lesson, int(id)))
		from := 0
		if run := c.Run(int(id), l.Name); run != nil {
			from = len(run.Ops())
		}
		v.Lessons = append(v.Lessons, classLesson{Name: l.Name, ID: l.Lesson.ID, Title: l.Lesson.Title, Seed: seed,
			Steps: len(l.Lesson.Steps), From: from})
		if i == 0 {
			v.Seed = seed
		}
	}
	if h := c.Held(); h != nil {
		v.Hold = &holdView{h.Lesson, h.Step, h.Round}
	}
	if h := c.Hunt(); h != nil {
		st := "running"
		if !h.Running() {
			st = "ended"
		}
		v.Hunt = &huntView{h.Scenario, h.StartMs, st, h.Recording}
	}
	return v
}

// sendClass sends each seat its class frame (seeds differ by seat).
func (r *Room) sendClass(o *Output, to SeatID) {
	for _, s := range r.seats {
		if s.row.Seat == Teacher || (to != Everyone && to != s.row.Seat) {
			continue
		}
		if v := r.classView(s.row.Seat); v != nil {
			o.Sends = append(o.Sends, Send{To: s.row.Seat, Frame: marshal(v)})
		}
	}
	if to == Everyone || to == Teacher {
		if v := r.classView(Teacher); v != nil {
			o.Sends = append(o.Sends, Send{To: Teacher, Frame: marshal(v)})
		}
	}
}

// sendVotes sends the held round's histogram to the teacher and projectors.
func (r *Room) sendVotes(o *Output) {
	h := r.cls.Held()
	if h == nil {
		return
	}
	keys, counts, answered := h.Histogram(h.Round)
	hist := map[string]int{}
	for i, k := range keys {
		hist[k] = counts[i]
	}
	frame := marshal(struct {
		T         string         `json:"t"`
		Lesson    string         `json:"lesson"`
		Step      string         `json:"step"`
		Round     int            `json:"round"`
		Histogram map[string]int `json:"histogram"`
		Answered  int            `json:"answered"`
		Of        int            `json:"of"`
	}{"votes", h.Lesson, h.Step, h.Round, hist, answered, len(r.seats) - 1})
	o.Sends = append(o.Sends, Send{To: Teacher, Frame: frame}, Send{To: Projectors, Frame: frame})
}

type rankView struct {
	Seat   SeatID `json:"seat"`
	Name   string `json:"name"`
	Ms     int64  `json:"ms"`
	Length int    `json:"length"`
	Valid  bool   `json:"valid"`
	Guess  string `json:"guess,omitempty"`
}

// huntFrame is the hunt's state and ranking; guesses only for the teacher
// or once the hunt ended (a right guess would tell the others the bug).
func (r *Room) huntFrame(teacher bool) []byte {
	h := r.cls.Hunt()
	ranking := []rankView{}
	for _, e := range h.Ranking() {
		v := rankView{Seat: SeatID(e.Seat), Ms: e.Ms, Length: e.Length, Valid: true}
		if s := r.seat(SeatID(e.Seat)); s != nil {
			v.Name = s.row.Name
		}
		if teacher || !h.Running() {
			v.Guess = e.Guess
		}
		ranking = append(ranking, v)
	}
	f := struct {
		T         string          `json:"t"`
		State     string          `json:"state"`
		Scenario  string          `json:"scenario"`
		Started   int64           `json:"started"`
		Ranking   []rankView      `json:"ranking"`
		Recording json.RawMessage `json:"recording"`
		Bug       string          `json:"bug,omitempty"`
		Par       *int            `json:"par,omitempty"`
	}{T: "hunt", State: "running", Scenario: h.Scenario, Started: h.StartMs, Ranking: ranking, Recording: h.Recording}
	if !h.Running() {
		f.State, f.Bug, f.Par = "ended", h.Bug, &h.Par
	}
	return marshal(f)
}

func (r *Room) sendHunt(o *Output) {
	o.Sends = append(o.Sends, Send{To: Everyone, Frame: r.huntFrame(false)})
	if r.cls.Hunt().Running() {
		o.Sends = append(o.Sends, Send{To: Teacher, Frame: r.huntFrame(true)})
	}
}

// watch starts or stops following a student's run live.
func (r *Room) watch(o *Output, f *Frame, nowMs int64) {
	id := SeatID(f.Seat)
	if f.Seat == -1 {
		r.watching, r.watchLesson = -1, ""
		o.Sends = append(o.Sends, Send{To: Teacher, Frame: ackFrame(f.Seq, r.n)})
		return
	}
	s := r.seat(id)
	if s == nil {
		r.refuse(o, Teacher, f.Seq, "action", fmt.Sprintf("no student in seat %d", f.Seat), nowMs)
		return
	}
	name := ""
	for _, l := range r.cls.Lessons() {
		if r.cls.Run(int(id), l.Name) != nil || name == "" {
			name = l.Name
		}
		if d := r.cls.Dashboard([]cm.Student{{Seat: int(id)}}, nowMs); len(d) == 1 && d[0].Lesson != "" {
			name = d[0].Lesson
		}
	}
	if name == "" {
		r.refuse(o, Teacher, f.Seq, "action", "no lesson is running", nowMs)
		return
	}
	r.watching, r.watchLesson = id, name
	r.audit(o, nowMs, "teacher", "watch", fmt.Sprintf("seat %d (%s), lesson %s", id, s.row.Name, name))
	o.Sends = append(o.Sends, Send{To: Teacher, Frame: ackFrame(f.Seq, r.n)})
	r.sendWatching(o, 0)
}

// sendWatching sends the watched run's operations from index from.
func (r *Room) sendWatching(o *Output, from int) {
	id, name := r.watching, r.watchLesson
	var l *lesson.Lesson
	for _, cl := range r.cls.Lessons() {
		if cl.Name == name {
			l = cl.Lesson
		}
	}
	if l == nil {
		return
	}
	var ops []lesson.Op
	now := int64(0)
	if run := r.cls.Run(int(id), name); run != nil {
		ops, now = run.Ops(), run.Now()
	}
	from = min(from, len(ops))
	b := []byte(`{"t":"watching","seat":`)
	b = fmt.Appendf(b, "%d", id)
	b = append(b, `,"lesson":`...)
	b = appendString(b, name)
	b = fmt.Appendf(b, `,"seed":"%d","from":%d,"ops":`, r.cls.Seed(l, int(id)), from)
	b = lesson.AppendOpsJSON(b, ops[from:])
	b = fmt.Appendf(b, `,"now":%d}`, now)
	o.Sends = append(o.Sends, Send{To: Teacher, Frame: b})
}

// students lists the student seats for the class's views.
func (r *Room) students() []cm.Student {
	out := make([]cm.Student, 0, len(r.seats)-1)
	for _, s := range r.seats[1:] {
		out = append(out, cm.Student{Seat: int(s.row.Seat), Name: s.row.Name})
	}
	return out
}

// DashboardFrame is the teacher's dashboard now.
func (r *Room) DashboardFrame(nowMs int64) []byte {
	return marshal(struct {
		T        string       `json:"t"`
		Lessons  []string     `json:"lessons"`
		Students []cm.DashRow `json:"students"`
	}{"dashboard", r.lessonNames(), r.cls.Dashboard(r.students(), nowMs)})
}

func (r *Room) lessonNames() []string {
	out := []string{}
	for _, l := range r.cls.Lessons() {
		out = append(out, l.Name)
	}
	return out
}

// maybeDashboard sends the dashboard to the teacher when it changed, at
// most every DashboardEveryMs (and every DashboardIdleMs regardless, while
// a lesson runs: the times on it move).
func (r *Room) maybeDashboard(o *Output, nowMs int64, urgent bool) {
	if len(r.cls.Lessons()) == 0 && r.cls.Hunt() == nil {
		return
	}
	due := nowMs-r.lastDashMs >= DashboardEveryMs
	idle := r.cls.Active() && nowMs-r.lastDashMs >= DashboardIdleMs
	if !(urgent || (r.dashDirty && due) || idle) {
		return
	}
	r.dashDirty, r.lastDashMs = false, nowMs
	o.Sends = append(o.Sends, Send{To: Teacher, Frame: r.DashboardFrame(nowMs)})
	if r.boardDirty != "" {
		r.sendBoard(o, r.boardDirty)
		r.boardDirty = ""
	}
}

// sendBoards sends the projectors the board of every lesson running.
func (r *Room) sendBoards(o *Output) {
	for _, l := range r.cls.Lessons() {
		r.sendBoard(o, l.Name)
	}
}

func (r *Room) sendBoard(o *Output, name string) {
	o.Sends = append(o.Sends, Send{To: Projectors, Frame: marshal(struct {
		T      string         `json:"t"`
		Lesson string         `json:"lesson"`
		Steps  []cm.BoardStep `json:"steps"`
	}{"board", name, r.cls.Board(name)})})
}

// Class is the room's class model (read it; the room drives it).
func (r *Room) Class() *cm.Class { return r.cls }

// GradesCSV is the class's grades, one row a student (teacher's export).
func (r *Room) GradesCSV() []byte { return r.cls.CSV(r.students()) }

// GradesJSONL is every scored event with its evidence (teacher's export).
func (r *Room) GradesJSONL() []byte { return r.cls.JSONL(r.students()) }

// ProjectorFrames are the class frames a projector needs when it connects
// (after Watch's sync): the board of every lesson running, and the votes
// of a held prediction.
func (r *Room) ProjectorFrames() [][]byte {
	var o Output
	r.sendBoards(&o)
	r.sendVotes(&o)
	var out [][]byte
	for _, s := range o.Sends {
		if s.To == Projectors {
			out = append(out, s.Frame)
		}
	}
	return out
}

// resultsFrame is what a student earned, hidden checks included: sent to
// each student when the teacher closes the room.
func (r *Room) resultsFrame(id SeatID) []byte {
	g := r.cls.Grades([]cm.Student{{Seat: int(id), Name: r.seats[id].row.Name}})[0]
	type step struct {
		Lesson string        `json:"lesson"`
		Step   string        `json:"step"`
		Goals  []cm.GoalView `json:"goals"`
		Hints  int           `json:"hints"`
		ShowMe bool          `json:"showme"`
		Points string        `json:"points"`
	}
	steps := []step{}
	for _, s := range g.Steps {
		st := step{Lesson: s.Lesson, Step: s.Step, Hints: s.Hints, ShowMe: s.ShowMe, Points: s.Points.String()}
		for i, m := range s.Met {
			st.Goals = append(st.Goals, cm.GoalView{Label: s.Labels[i], Met: m, Hidden: s.Hidden[i]})
		}
		steps = append(steps, st)
	}
	return marshal(struct {
		T           string `json:"t"`
		Steps       []step `json:"steps"`
		Predictions string `json:"predictions"`
		Hunt        string `json:"hunt"`
		Total       string `json:"total"`
	}{"results", steps, g.Predictions.String(), g.Hunt.String(), g.Total.String()})
}
