package class

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
)

// Student is a seat as the room names it.
type Student struct {
	Seat int
	Name string
}

// GoalView is a checklist item in a frame.
type GoalView struct {
	Label  string `json:"label"`
	Met    bool   `json:"met"`
	Hidden bool   `json:"hidden,omitempty"`
}

// Credit is what a student hears after an accepted progress frame: the
// server's length of the log (the next from), the replay's step, its goals
// (met at some moment in the step), and the steps done.
type Credit struct {
	Lesson string     `json:"lesson"`
	From   int        `json:"from"`
	Step   string     `json:"step"`
	Goals  []GoalView `json:"goals"`
	Done   []string   `json:"done"`
}

// Credit reports seat's run of a lesson as the replay has it. Hidden
// checks are left out unless reveal (the room closed, or the teacher).
func (c *Class) Credit(seat int, name string, reveal bool) Credit {
	cr := Credit{Lesson: name, Goals: []GoalView{}, Done: []string{}}
	r := c.Run(seat, name)
	if r == nil {
		return cr
	}
	cr.From = len(r.ops)
	l := r.p.Lesson()
	res := r.p.Results()
	cur := r.p.Step()
	cr.Step = l.Steps[cur].ID
	for i, g := range l.Steps[cur].Goals {
		if g.Hidden && !reveal {
			continue
		}
		cr.Goals = append(cr.Goals, GoalView{Label: g.Label, Met: res[cur].Met[i], Hidden: g.Hidden})
	}
	for _, rs := range res {
		if rs.Done {
			cr.Done = append(cr.Done, rs.ID)
		}
	}
	return cr
}

// DashRow is one student on the teacher's dashboard.
type DashRow struct {
	Seat      int        `json:"seat"`
	Name      string     `json:"name"`
	Lesson    string     `json:"lesson"`
	Step      string     `json:"step"`
	StepIndex int        `json:"stepIndex"`
	SinceMs   int64      `json:"sinceMs"`
	Hints     int        `json:"hints"`
	ShowMe    bool       `json:"showme"`
	Goals     []GoalView `json:"goals"`
	Done      []string   `json:"done"`
	Stuck     bool       `json:"stuck"`
	Score     string     `json:"score"`
}

// Dashboard is the teacher's view of every student: the lesson they are
// in, their step and how long they have been on it (wall ms), hints,
// checklist (hidden checks included), steps done, stuck, total score.
func (c *Class) Dashboard(students []Student, nowMs int64) []DashRow {
	out := make([]DashRow, 0, len(students))
	for _, st := range students {
		row := DashRow{Seat: st.Seat, Name: st.Name, Goals: []GoalView{}, Done: []string{}}
		name := ""
		if s := c.seats[st.Seat]; s != nil {
			name = s.last
		}
		if name == "" && len(c.lessons) > 0 {
			name = c.lessons[0].Name
		}
		row.Lesson = name
		if r := c.Run(st.Seat, name); r != nil {
			cr := c.Credit(st.Seat, name, true)
			res := r.p.Results()[r.p.Step()]
			row.Step, row.StepIndex, row.Goals, row.Done = cr.Step, r.p.Step(), cr.Goals, cr.Done
			row.SinceMs = max(nowMs-r.stepAtMs, 0)
			row.Hints, row.ShowMe = res.Hints, res.ShowMe
			row.Stuck = !res.Done && (row.SinceMs >= StuckAfterMs || res.Hints >= StuckHints)
		} else if l, err := c.find(name); err == nil {
			row.Step = l.Lesson.Steps[0].ID
		}
		row.Score = c.grade(st).Total.String()
		out = append(out, row)
	}
	return out
}

// BoardStep is one step on the projector's board: how many students
// reached it and how many did it, without names.
type BoardStep struct {
	Step    string `json:"step"`
	Reached int    `json:"reached"`
	Done    int    `json:"done"`
}

// Board is the class's progress through a lesson, without names.
func (c *Class) Board(name string) []BoardStep {
	l, err := c.find(name)
	if err != nil {
		return []BoardStep{}
	}
	out := make([]BoardStep, len(l.Lesson.Steps))
	for i, st := range l.Lesson.Steps {
		out[i].Step = st.ID
	}
	for _, s := range c.seats {
		r := s.runs[name]
		if r == nil {
			continue
		}
		for i, res := range r.p.Results() {
			if res.Reached {
				out[i].Reached++
			}
			if res.Done {
				out[i].Done++
			}
		}
	}
	return out
}

// Grade is one student's grades.
type Grade struct {
	Student
	Lessons     []Points // in LessonNames' order
	Predictions Points
	Hunt        Points
	Total       Points
	Steps       []StepScore
	Preds       []PredictionScore
	Hunts       []HuntScore
	runs        map[string]*Run
}

// LessonNames are the lessons graded: every lesson the room started, in
// the order first started.
func (c *Class) LessonNames() []string { return c.order }

func (c *Class) grade(st Student) Grade {
	g := Grade{Student: st, runs: map[string]*Run{}}
	for _, name := range c.order {
		var sum Points
		if r := c.Run(st.Seat, name); r != nil {
			g.runs[name] = r
			for _, s := range r.stepScores() {
				sum += s.Points
				g.Steps = append(g.Steps, s)
			}
			g.Preds = append(g.Preds, c.ownPredictions(r)...)
		}
		g.Lessons = append(g.Lessons, sum)
		g.Total += sum
	}
	g.Preds = append(g.Preds, c.heldScores(st.Seat)...)
	for _, p := range g.Preds {
		g.Predictions += p.Points
	}
	g.Hunts = c.huntScores(st.Seat)
	for _, h := range g.Hunts {
		g.Hunt += h.Points
	}
	g.Total += g.Predictions + g.Hunt
	return g
}

// Grades grades every student.
func (c *Class) Grades(students []Student) []Grade {
	out := make([]Grade, len(students))
	for i, st := range students {
		out[i] = c.grade(st)
	}
	return out
}

// CSV is the grades, one row a student: seat, name, points per lesson,
// predictions, hunt, total.
func (c *Class) CSV(students []Student) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	head := append([]string{"seat", "name"}, c.order...)
	_ = w.Write(append(head, "predictions", "hunt", "total"))
	for _, g := range c.Grades(students) {
		row := []string{strconv.Itoa(g.Seat), g.Name}
		for _, p := range g.Lessons {
			row = append(row, p.String())
		}
		_ = w.Write(append(row, g.Predictions.String(), g.Hunt.String(), g.Total.String()))
	}
	w.Flush()
	return b.Bytes()
}

// Evidence is what earned a scored event: the SHA-256 of the lesson log
// (or of the recording) and the replay's state hash.
type Evidence struct {
	LogSHA256       string `json:"log_sha256,omitempty"`
	RecordingSHA256 string `json:"recording_sha256,omitempty"`
	StateHash       string `json:"state_hash,omitempty"`
	Invariant       string `json:"invariant,omitempty"`
}

// Event is one scored event of the JSON Lines export.
type Event struct {
	Seat     int        `json:"seat"`
	Name     string     `json:"name"`
	Kind     string     `json:"kind"` // step, prediction, hunt
	Lesson   string     `json:"lesson,omitempty"`
	Step     string     `json:"step,omitempty"`
	Points   string     `json:"points"`
	Goals    []GoalView `json:"goals,omitempty"`
	WallMs   int64      `json:"wall_ms,omitempty"` // the page's wall time on the step
	Hints    int        `json:"hints,omitempty"`
	ShowMe   bool       `json:"showme,omitempty"`
	Done     bool       `json:"done,omitempty"`
	Held     bool       `json:"held,omitempty"`
	Rounds   []string   `json:"rounds,omitempty"`
	Answer   string     `json:"answer,omitempty"`
	Bug      string     `json:"bug,omitempty"`
	Ms       int64      `json:"ms,omitempty"`
	Length   int        `json:"length,omitempty"`
	Guess    string     `json:"guess,omitempty"`
	Evidence Evidence   `json:"evidence"`
}

// Events lists every scored event of every student, in seat order.
func (c *Class) Events(students []Student) []Event {
	var out []Event
	for _, g := range c.Grades(students) {
		ev := func(lessonName string) Evidence {
			if r := g.runs[lessonName]; r != nil {
				return Evidence{LogSHA256: r.LogHash(), StateHash: r.StateHash()}
			}
			return Evidence{}
		}
		for _, s := range g.Steps {
			e := Event{Seat: g.Seat, Name: g.Name, Kind: "step", Lesson: s.Lesson, Step: s.Step, Points: s.Points.String(),
				WallMs: g.runs[s.Lesson].wall[s.Step],
				Hints:  s.Hints, ShowMe: s.ShowMe, Done: s.Done, Evidence: ev(s.Lesson)}
			for i, m := range s.Met {
				e.Goals = append(e.Goals, GoalView{Label: s.Labels[i], Met: m, Hidden: s.Hidden[i]})
			}
			out = append(out, e)
		}
		for _, p := range g.Preds {
			out = append(out, Event{Seat: g.Seat, Name: g.Name, Kind: "prediction", Lesson: p.Lesson, Step: p.Step,
				Points: p.Points.String(), Held: p.Held, Rounds: p.Rounds, Answer: p.Answer, Evidence: ev(p.Lesson)})
		}
		for _, h := range g.Hunts {
			out = append(out, Event{Seat: g.Seat, Name: g.Name, Kind: "hunt", Points: h.Points.String(), Bug: h.Bug,
				Ms: h.Entry.Ms, Length: h.Entry.Length, Guess: h.Entry.Guess,
				Evidence: Evidence{RecordingSHA256: h.Entry.Sub.SHA256, StateHash: h.Entry.Sub.StateHash, Invariant: h.Entry.Sub.Invariant}})
		}
	}
	return out
}

// JSONL is Events as JSON Lines.
func (c *Class) JSONL(students []Student) []byte {
	var b bytes.Buffer
	for _, e := range c.Events(students) {
		line, _ := json.Marshal(e) // plain values: cannot fail
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}
