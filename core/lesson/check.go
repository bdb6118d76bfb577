package lesson

import (
	"fmt"
	"strings"
)

// CheckSeedsDefault is how many seeds `lesson check` proves a per-student
// lesson on.
const CheckSeedsDefault = 20

// Problem is what Check found wrong in a lesson, at a line of its file.
type Problem struct {
	File string
	Line int
	Step string
	Seed uint64
	Msg  string
}

func (p Problem) String() string {
	where := fmt.Sprintf("%s:%d:", p.File, p.Line)
	if p.Step != "" {
		where += fmt.Sprintf(" step %s", p.Step)
	}
	return fmt.Sprintf("%s (seed %d): %s", where, p.Seed, p.Msg)
}

// Report is what Check did: the problems, and how much it ran.
type Report struct {
	Problems    []Problem
	Steps       int
	Predictions int
	Seeds       []uint64
	// Virtual is the virtual time simulated, in µs, over every seed and path.
	Virtual int64
	// Checked counts the steps proved (their solution played to its
	// goals), over every seed; Actions the actions played (solutions and
	// wrong paths). A manual-scheduler lesson may take no virtual time at
	// all, so these, not Virtual, say that something was checked.
	Checked, Actions int
}

// Seeds are the seeds Check proves a lesson on: its own, or for a
// per-student lesson n students' (StudentSeed of "check-1" .. "check-n").
func Seeds(l *Lesson, n int) []uint64 {
	if !l.PerStudent {
		return []uint64{l.Seed}
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = StudentSeed(l.ID, fmt.Sprintf("check-%d", i+1))
	}
	return out
}

// Check proves a lesson on seeds: for every step, from the step's start,
// the goals are not met already, each declared wrong path does not reach
// them, the solution does, and the prediction's answer condition is what
// the solution's run shows.
func Check(l *Lesson, seeds []uint64) []Problem { return CheckReport(l, seeds).Problems }

// CheckReport is Check with what it ran.
func CheckReport(l *Lesson, seeds []uint64) Report {
	r := Report{Steps: len(l.Steps), Seeds: seeds}
	for _, st := range l.Steps {
		if st.Predict != nil {
			r.Predictions++
		}
	}
	for _, seed := range seeds {
		r.Problems = append(r.Problems, checkSeed(l, seed, &r)...)
	}
	return r
}

func checkSeed(l *Lesson, seed uint64, r *Report) []Problem {
	var out []Problem
	p, err := Open(l, seed, 0)
	if err != nil {
		return []Problem{{File: l.File, Line: 1, Seed: seed, Msg: err.Error()}}
	}
	defer func() { r.Virtual += p.simulated }()
	for {
		st := p.cur()
		add := func(line int, format string, args ...any) {
			out = append(out, Problem{File: l.File, Line: line, Step: st.ID, Seed: seed, Msg: fmt.Sprintf(format, args...)})
		}
		if p.done {
			add(st.Line, "the goals are met at the step's start: the step asks nothing of the student")
		}
		if st.Predict != nil {
			if p.Advance(1) != ErrLocked {
				add(st.Predict.Line, "the run controls are not locked before the prediction is answered")
			}
			if err := p.Answer(st.Predict.Answer); err != nil {
				add(st.Predict.AnswerLine, "%v", err)
			}
		}
		for _, w := range st.Wrong {
			r.Actions += len(w.Actions)
			p.checkRewind()
			if err := p.play(w.Actions); err != nil {
				add(w.Line, "the wrong path does not run: %v", err)
			} else if p.done {
				add(w.Line, "the wrong path reaches the goals")
			}
		}
		p.checkRewind()
		r.Actions += len(st.Solution)
		if err := p.play(st.Solution); err != nil {
			add(st.Solution[0].Line, "the solution does not run: %v", err)
			return out
		}
		if !p.done || !p.goals.allMet() {
			add(st.Solution[0].Line, "the solution does not reach the goals: %s", p.unmet())
			return out
		}
		r.Checked++
		if pr := st.Predict; pr != nil && p.when.status[0] != Met {
			add(pr.AnswerLine, "the answer %s says %q, but the solution's run does not show it: %s", pr.Answer,
				pr.When.Text, p.when.explain(0, p.env))
		}
		if p.step+1 >= len(l.Steps) {
			return out
		}
		if err := p.Next(); err != nil {
			add(st.Line, "%v", err)
			return out
		}
	}
}

// checkRewind returns to the step's start with nothing latched, as a
// fresh student would find it (the prediction stays answered).
func (p *Player) checkRewind() {
	p.rewind()
	p.done, p.revealed = false, false
	p.Observe()
}

// unmet lists the goals not met now, with why.
func (p *Player) unmet() string {
	var parts []string
	for i, g := range p.cur().Goals {
		if p.goals.status[i] != Met {
			parts = append(parts, fmt.Sprintf("%q is %s (%s)", g.Label, p.goals.status[i], p.goals.explain(i, p.env)))
		}
	}
	return strings.Join(parts, "; ")
}
