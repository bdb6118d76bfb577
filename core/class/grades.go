package class

import (
	"strconv"

	"smrlab/core/lesson"
)

// Points are hundredths of a point: grades are integers, so that every
// machine adds them up the same.
type Points int64

// String writes points with two decimals: 8.33.
func (p Points) String() string {
	sign := ""
	if p < 0 {
		sign, p = "-", -p
	}
	frac := strconv.FormatInt(int64(p%100), 10)
	if len(frac) < 2 {
		frac = "0" + frac
	}
	return sign + strconv.FormatInt(int64(p/100), 10) + "." + frac
}

// The grading rules (issue 14): each is a pure function, tested rule by rule.
const (
	// StepPointsMax: a step is worth 10 points, shared equally by its goal
	// conditions (hidden checks included).
	StepPointsMax Points = 1000
	// HintPenaltyPct: each hint granted in a step takes 10% off it...
	HintPenaltyPct = 10
	// HintPenaltyMaxPct: ...at most 30%.
	HintPenaltyMaxPct = 30
	// ShowMePct: a step "show me" played earns half.
	ShowMePct = 50
	// PredictFirst: a correct first answer to a prediction; PredictLater a
	// correct answer after discussion (round 2 or later).
	PredictFirst Points = 200
	PredictLater Points = 100
	// HuntValid: a valid find; HuntGuess: the right bug named; HuntPar: a
	// counterexample no longer than the model checker's shortest.
	HuntValid Points = 1000
	HuntGuess Points = 500
	HuntPar   Points = 300
)

// StepPoints is what a step earns: its share for every condition met on
// the replay, less 10% a hint (at most 30%), or half with "show me".
func StepPoints(met []bool, hints int, showMe bool) Points {
	if len(met) == 0 {
		return 0
	}
	n := 0
	for _, m := range met {
		if m {
			n++
		}
	}
	p := StepPointsMax * Points(n) / Points(len(met))
	switch {
	case showMe:
		return p * ShowMePct / 100
	case hints > 0:
		return p * Points(100-min(hints*HintPenaltyPct, HintPenaltyMaxPct)) / 100
	}
	return p
}

// PredictionPoints is what a prediction earns from its answers, round by
// round (round 1 first; "" for a round not answered): 2 for a correct
// first answer, 1 for a correct answer in a later round, 0 otherwise.
func PredictionPoints(rounds []string, answer string) Points {
	for i, a := range rounds {
		if a == answer {
			if i == 0 {
				return PredictFirst
			}
			return PredictLater
		}
	}
	return 0
}

// HuntPoints is what a bug hunt earns: 10 for a valid find, +5 for the
// right guess, +3 for a length within par (par 0: no par known).
func HuntPoints(valid, rightGuess bool, length, par int) Points {
	if !valid {
		return 0
	}
	p := HuntValid
	if rightGuess {
		p += HuntGuess
	}
	if par > 0 && length <= par {
		p += HuntPar
	}
	return p
}

// StepScore is one step's grade in a run, with what earned it.
type StepScore struct {
	Lesson, Step string
	Met          []bool
	Labels       []string
	Hidden       []bool
	Hints        int
	ShowMe, Done bool
	Points       Points
}

// stepScores grades every step of a run the student reached.
func (r *Run) stepScores() []StepScore {
	var out []StepScore
	l := r.p.Lesson()
	for i, res := range r.p.Results() {
		if !res.Reached {
			continue
		}
		st := &l.Steps[i]
		s := StepScore{Lesson: r.Lesson.Name, Step: res.ID, Met: res.Met, Hints: res.Hints, ShowMe: res.ShowMe,
			Done: res.Done, Points: StepPoints(res.Met, res.Hints, res.ShowMe)}
		for _, g := range st.Goals {
			s.Labels = append(s.Labels, g.Label)
			s.Hidden = append(s.Hidden, g.Hidden)
		}
		out = append(out, s)
	}
	return out
}

// ownPredictions grades the predictions a student answered in their own
// run (the log's answer operations), except those held for the room,
// which the votes grade.
func (c *Class) ownPredictions(r *Run) []PredictionScore {
	var out []PredictionScore
	l := r.p.Lesson()
	step := 0
	for _, op := range r.ops {
		switch op.Op {
		case lesson.OpNext:
			step++
		case lesson.OpAnswer:
			if step >= len(l.Steps) || l.Steps[step].Predict == nil || c.heldStep(r.Lesson.Name, l.Steps[step].ID) {
				continue
			}
			pr := l.Steps[step].Predict
			out = append(out, PredictionScore{Lesson: r.Lesson.Name, Step: l.Steps[step].ID, Rounds: []string{op.Choice},
				Answer: pr.Answer, Points: PredictionPoints([]string{op.Choice}, pr.Answer)})
		}
	}
	return out
}

// PredictionScore is a prediction's grade: the answers per round.
type PredictionScore struct {
	Lesson, Step string
	Held         bool
	Rounds       []string
	Answer       string
	Points       Points
}
