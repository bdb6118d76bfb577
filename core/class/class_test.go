package class

import (
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/lesson"
)

const hiddenLesson = `lesson hidden
title Hidden
summary A hidden check.
minutes 1
question Is it hidden?
world
  servers 3
  duration 1m
seed 2

step s1
  title One
  goal "A leader" leader
  goal hidden "Term 50" term >= 50
  solution wait 1s

step s2
  title Two
  goal "Still a leader" leader
  solution wait 1s
`

// TestHiddenCheck: a hidden check is scored and on the teacher's
// dashboard, but not in what the student is credited until revealed.
func TestHiddenCheck(t *testing.T) {
	l, err := lesson.Parse("hidden.lesson", []byte(hiddenLesson), nil)
	require.NoError(t, err)
	c := New("room")
	require.NoError(t, c.Start([]Lesson{{Name: "hidden", Lesson: l}}))
	require.NoError(t, c.Progress(1, &Progress{Lesson: "hidden", Now: 1_000_000}, 10))
	cr := c.Credit(1, "hidden", false)
	require.Equal(t, []GoalView{{Label: "A leader", Met: true}}, cr.Goals)
	require.Equal(t, []string{"s1"}, cr.Done, "a hidden check does not hold the step back")
	require.Len(t, c.Credit(1, "hidden", true).Goals, 2)
	d := c.Dashboard([]Student{{1, "Ada"}}, 20)
	require.Equal(t, []GoalView{{Label: "A leader", Met: true}, {Label: "Term 50", Hidden: true}}, d[0].Goals)
	require.Equal(t, "5.00", d[0].Score, "one of the step's two conditions")
	require.Equal(t, int64(10), d[0].SinceMs)
	require.Contains(t, string(c.JSONL([]Student{{1, "Ada"}})), `{"label":"Term 50","met":false,"hidden":true}`)

	// Refused progress changes nothing, and a stopped class takes none.
	err = c.Progress(1, &Progress{Lesson: "hidden", From: 0, Ops: []lesson.Op{{Op: lesson.OpNext, At: 1_000_000}}, Now: 900_000}, 30)
	require.ErrorContains(t, err, "forged progress: the run's time does not replay: at 0.900s, but the run is at 1.000s already")
	// From 0 again: the frame above was refused.
	require.NoError(t, c.Progress(1, &Progress{Lesson: "hidden", From: 0, Ops: []lesson.Op{{Op: lesson.OpNext, At: 1_000_000}},
		Now: 1_000_000}, 30))
	require.Equal(t, "s2", c.Credit(1, "hidden", false).Step)
	err = c.Progress(1, &Progress{Lesson: "hidden", From: 1, Now: 1_000_000 + VirtualPerProgressMax + 1}, 35)
	require.ErrorContains(t, err, "more than 300s of virtual time")
	require.NoError(t, c.Stop())
	var rf *Refusal
	require.ErrorAs(t, c.Progress(1, &Progress{Lesson: "hidden", From: 1, Now: 2_000_000}, 40), &rf)
	require.Equal(t, "state", rf.Code)
}
