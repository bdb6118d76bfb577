package lesson

import (
	"strconv"

	"smrlab/core/minijson"
	"smrlab/core/raft"
)

// State is what the page shows of the lesson now (State.AppendJSON is its
// JSON, written without reflection for the browser's build).
type State struct {
	Lesson, Title string
	Seed          uint64
	Step, Steps   int // Step is 0-based
	StepID        string
	StepTitle     string
	Narration     string // safe HTML
	Controls      []string
	Highlights    []HighlightState
	Locked        bool
	Prediction    *PredictionState
	Goals         []GoalState
	Hints         []string // unlocked and shown so far
	HintsLeft     int
	NextHint      string // what unlocks the next hint: "now", "after 2 more attempts", "in 3s of virtual time"
	Attempts      int
	Elapsed       int64 // virtual µs in the step, over its resets
	Done          bool
	Assisted      bool
	Last          bool
	// World counts the worlds opened so far (1, then one more each time a
	// step starts a fresh world): when it changes, the session is a new one.
	World int
	// HideBugs: the page must not show the world's bug toggles: the lesson
	// says hide bugs, or the step offers none of the bugs, scenario and all
	// controls.
	HideBugs bool
}

// HighlightState is a highlight, with "leader" resolved to the server that
// leads now (Server 0: none).
type HighlightState struct {
	Kind   string
	Server int
	Index  uint64
	Panel  string
}

// PredictionState is the prediction card. Answer, Right, Explain and When
// are filled once the run revealed the answer (the goals met, or "show me").
type PredictionState struct {
	Question string
	Choices  []Choice
	Answered bool
	Chosen   string
	Revealed bool
	Answer   string
	Right    bool
	Explain  string
	When     *GoalState
}

// GoalState is one checklist item: its label, its state (not-yet, met or
// failed) and why, in words.
type GoalState struct {
	Label string
	State string
	Why   string
	// Hidden: a hidden check, in the state only once revealed.
	Hidden bool
}

// State reports the lesson as the page shows it.
func (p *Player) State() State {
	st := p.cur()
	s := State{Lesson: p.l.ID, Title: p.l.Title, Seed: p.seed, Step: p.step, Steps: len(p.l.Steps),
		StepID: st.ID, StepTitle: st.Title, Narration: st.Narration(), Controls: st.Controls,
		Locked: p.locked(), Attempts: p.attempts, Elapsed: p.stuck(), Done: p.done, Assisted: p.assisted,
		Last: p.step == len(p.l.Steps)-1, World: p.worlds, HideBugs: p.hideBugs()}
	lead := p.s.World().Leader()
	for _, h := range st.Highlights {
		hs := HighlightState{Kind: h.Kind, Server: h.Server, Index: h.Index, Panel: h.Panel}
		if h.Kind == "leader" && lead != raft.None {
			hs.Server = int(lead)
		}
		s.Highlights = append(s.Highlights, hs)
	}
	for i, g := range st.Goals {
		if g.Hidden && !p.showHidden {
			continue // a hidden check: scored, shown once revealed
		}
		gs := GoalState{Label: g.Label, State: NotYet.String(), Hidden: g.Hidden}
		if p.goals != nil {
			gs.State, gs.Why = p.goals.status[i].String(), p.goals.explain(i, p.env)
		}
		s.Goals = append(s.Goals, gs)
	}
	if pr := st.Predict; pr != nil {
		ps := &PredictionState{Question: pr.Question, Choices: pr.Choices, Answered: p.answered, Chosen: p.chosen,
			Revealed: p.revealed}
		if p.revealed {
			ps.Answer, ps.Right, ps.Explain = pr.Answer, p.chosen == pr.Answer, pr.Explain
			ws := GoalState{Label: pr.When.Text, State: NotYet.String()}
			if p.when != nil {
				ws.State, ws.Why = p.when.status[0].String(), p.when.explain(0, p.env)
			}
			ps.When = &ws
		}
		s.Prediction = ps
	}
	for _, h := range st.Hints[:p.hintsShown] {
		s.Hints = append(s.Hints, h.Text)
	}
	s.HintsLeft = len(st.Hints) - p.hintsShown
	if s.HintsLeft > 0 {
		s.NextHint = p.hintLock(st.Hints[p.hintsShown])
		if s.NextHint == "" {
			s.NextHint = "now"
		}
	}
	return s
}

// hideBugs reports whether the page must hide the world's bug toggles now.
func (p *Player) hideBugs() bool {
	if p.l.HideBugs {
		return true
	}
	for _, c := range p.cur().Controls {
		if c == "bugs" || c == "scenario" || c == "all" {
			return false
		}
	}
	return true
}

// AppendJSON appends the state as JSON: {"lesson", "title", "seed" (a
// string), "step", "steps", "stepId", "stepTitle", "narration", "controls",
// "highlights": [{"kind", "server", "index", "panel"}], "locked",
// "prediction": null or {"question", "choices": [{"id", "text"}],
// "answered", "chosen", "revealed", "answer", "right", "explain", "when":
// null or a goal}, "goals": [{"label", "state", "why", "hidden" (only when true)}]
// (hidden goals only once revealed), "hints": [{"text"}],
// "hintsLeft", "nextHint", "attempts", "elapsed", "done", "assisted", "last",
// "world", "hideBugs"}.
func (s *State) AppendJSON(b []byte) []byte {
	b = append(b, `{"lesson":`...)
	b = minijson.AppendString(b, s.Lesson)
	b = append(b, `,"title":`...)
	b = minijson.AppendString(b, s.Title)
	b = append(b, `,"seed":`...)
	b = minijson.AppendString(b, strconv.FormatUint(s.Seed, 10))
	b = append(b, `,"step":`...)
	b = strconv.AppendInt(b, int64(s.Step), 10)
	b = append(b, `,"steps":`...)
	b = strconv.AppendInt(b, int64(s.Steps), 10)
	b = append(b, `,"stepId":`...)
	b = minijson.AppendString(b, s.StepID)
	b = append(b, `,"stepTitle":`...)
	b = minijson.AppendString(b, s.StepTitle)
	b = append(b, `,"narration":`...)
	b = minijson.AppendString(b, s.Narration)
	b = append(b, `,"controls":`...)
	b = minijson.AppendStrings(b, nonNil(s.Controls))
	b = append(b, `,"highlights":[`...)
	for i, h := range s.Highlights {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"kind":`...)
		b = minijson.AppendString(b, h.Kind)
		b = append(b, `,"server":`...)
		b = strconv.AppendInt(b, int64(h.Server), 10)
		b = append(b, `,"index":`...)
		b = strconv.AppendUint(b, h.Index, 10)
		b = append(b, `,"panel":`...)
		b = minijson.AppendString(b, h.Panel)
		b = append(b, '}')
	}
	b = append(b, `],"locked":`...)
	b = minijson.AppendBool(b, s.Locked)
	b = append(b, `,"prediction":`...)
	b = s.Prediction.appendJSON(b)
	b = append(b, `,"goals":[`...)
	for i := range s.Goals {
		if i > 0 {
			b = append(b, ',')
		}
		b = s.Goals[i].appendJSON(b)
	}
	b = append(b, `],"hints":[`...)
	for i, h := range s.Hints {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"text":`...)
		b = minijson.AppendString(b, h)
		b = append(b, '}')
	}
	b = append(b, `],"hintsLeft":`...)
	b = strconv.AppendInt(b, int64(s.HintsLeft), 10)
	b = append(b, `,"nextHint":`...)
	b = minijson.AppendString(b, s.NextHint)
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(s.Attempts), 10)
	b = append(b, `,"elapsed":`...)
	b = strconv.AppendInt(b, s.Elapsed, 10)
	b = append(b, `,"done":`...)
	b = minijson.AppendBool(b, s.Done)
	b = append(b, `,"assisted":`...)
	b = minijson.AppendBool(b, s.Assisted)
	b = append(b, `,"last":`...)
	b = minijson.AppendBool(b, s.Last)
	b = append(b, `,"world":`...)
	b = strconv.AppendInt(b, int64(s.World), 10)
	b = append(b, `,"hideBugs":`...)
	b = minijson.AppendBool(b, s.HideBugs)
	return append(b, '}')
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (g *GoalState) appendJSON(b []byte) []byte {
	b = append(b, `{"label":`...)
	b = minijson.AppendString(b, g.Label)
	b = append(b, `,"state":`...)
	b = minijson.AppendString(b, g.State)
	b = append(b, `,"why":`...)
	b = minijson.AppendString(b, g.Why)
	if g.Hidden {
		b = append(b, `,"hidden":true`...)
	}
	return append(b, '}')
}

func (p *PredictionState) appendJSON(b []byte) []byte {
	if p == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"question":`...)
	b = minijson.AppendString(b, p.Question)
	b = append(b, `,"choices":[`...)
	for i, c := range p.Choices {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = minijson.AppendString(b, c.ID)
		b = append(b, `,"text":`...)
		b = minijson.AppendString(b, c.Text)
		b = append(b, '}')
	}
	b = append(b, `],"answered":`...)
	b = minijson.AppendBool(b, p.Answered)
	b = append(b, `,"chosen":`...)
	b = minijson.AppendString(b, p.Chosen)
	b = append(b, `,"revealed":`...)
	b = minijson.AppendBool(b, p.Revealed)
	b = append(b, `,"answer":`...)
	b = minijson.AppendString(b, p.Answer)
	b = append(b, `,"right":`...)
	b = minijson.AppendBool(b, p.Right)
	b = append(b, `,"explain":`...)
	b = minijson.AppendString(b, p.Explain)
	b = append(b, `,"when":`...)
	if p.When == nil {
		b = append(b, "null"...)
	} else {
		b = p.When.appendJSON(b)
	}
	return append(b, '}')
}
