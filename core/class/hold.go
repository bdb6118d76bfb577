package class

import (
	"slices"
	"strings"
)

// Hold is a prediction held for the whole room (peer instruction): the
// students answer in rounds, the teacher may call another round after a
// discussion, then reveals; the answers are kept per round.
type Hold struct {
	Lesson, Step string
	Round        int // 1, 2, ...
	// Answers[i] maps a seat to its answer in round i+1.
	Answers  []map[int]string
	Revealed bool
	Answer   string
	Choices  []string
}

// heldStep reports a prediction the room held (its votes grade it).
func (c *Class) heldStep(name, step string) bool {
	for _, h := range c.holds {
		if h.Lesson == name && h.Step == step {
			return true
		}
	}
	return false
}

// Held is the prediction held now, or nil.
func (c *Class) Held() *Hold { return c.hold }

// HoldStep holds step's prediction of lesson for the room: round 1.
func (c *Class) HoldStep(name, step string) error {
	l, err := c.find(name)
	if err != nil {
		return err
	}
	i := stepIndex(l.Lesson, step)
	if i < 0 {
		return refusal("state", "lesson %s has no step %q", name, step)
	}
	pr := l.Lesson.Steps[i].Predict
	if pr == nil {
		return refusal("state", "step %s of %s asks no prediction", step, name)
	}
	if c.hold != nil {
		return refusal("state", "step %s's prediction is held: reveal it first", c.hold.Step)
	}
	if c.heldStep(name, step) {
		return refusal("state", "step %s's prediction was held already", step)
	}
	h := &Hold{Lesson: name, Step: step, Round: 1, Answers: []map[int]string{{}}, Answer: pr.Answer}
	for _, ch := range pr.Choices {
		h.Choices = append(h.Choices, ch.ID)
	}
	c.hold = h
	c.holds = append(c.holds, h)
	return nil
}

// AnswerHeld takes a student's answer to the held prediction in round.
// A student may change it until the round ends.
func (c *Class) AnswerHeld(seat int, name, step string, round int, choice string) error {
	h := c.hold
	switch {
	case h == nil:
		return refusal("state", "no prediction is held")
	case h.Lesson != name || h.Step != step:
		return refusal("state", "the held prediction is step %s of %s, not %s of %s", h.Step, h.Lesson, step, name)
	case round != h.Round:
		return refusal("state", "this is round %d, not %d", h.Round, round)
	case !slices.Contains(h.Choices, choice):
		return refusal("state", "no choice %q (the choices are %s)", choice, strings.Join(h.Choices, ", "))
	}
	h.Answers[h.Round-1][seat] = choice
	return nil
}

// Vote ends the held round: "again" opens another round, "reveal" shows
// the answer (every screen then runs the step).
func (c *Class) Vote(op string) (*Hold, error) {
	h := c.hold
	if h == nil {
		return nil, refusal("state", "no prediction is held")
	}
	switch op {
	case "again":
		h.Round++
		h.Answers = append(h.Answers, map[int]string{})
	case "reveal":
		h.Revealed = true
		c.hold = nil
	default:
		return nil, refusal("state", "vote again or reveal, not %q", op)
	}
	return h, nil
}

// Histogram counts the answers of a round (1-based), by choice, in the
// prediction's order; Answered how many students answered.
func (h *Hold) Histogram(round int) (keys []string, counts []int, answered int) {
	if round < 1 || round > len(h.Answers) {
		return nil, nil, 0
	}
	for _, ch := range h.Choices {
		n := 0
		for _, a := range h.Answers[round-1] {
			if a == ch {
				n++
			}
		}
		keys, counts = append(keys, ch), append(counts, n)
	}
	return keys, counts, len(h.Answers[round-1])
}

// rounds are seat's answers, round by round.
func (h *Hold) rounds(seat int) []string {
	out := make([]string, len(h.Answers))
	for i, a := range h.Answers {
		out[i] = a[seat]
	}
	return out
}

// heldScores grades seat's answers to every held prediction.
func (c *Class) heldScores(seat int) []PredictionScore {
	var out []PredictionScore
	for _, h := range c.holds {
		rs := h.rounds(seat)
		answered := false
		for _, a := range rs {
			answered = answered || a != ""
		}
		if !answered {
			continue
		}
		out = append(out, PredictionScore{Lesson: h.Lesson, Step: h.Step, Held: true, Rounds: rs, Answer: h.Answer,
			Points: PredictionPoints(rs, h.Answer)})
	}
	return out
}
