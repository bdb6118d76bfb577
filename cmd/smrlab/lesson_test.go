package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/lab"
	"smrlab/core/sim"
)

const lessons = "../../lessons/"

// TestLessonCheckTheCourse: every lesson of the course passes check.
func TestLessonCheckTheCourse(t *testing.T) {
	code, out, errs := smrlab(t, "lesson", "check", lessons)
	require.Equal(t, 0, code, out+errs)
	require.Contains(t, out, "ok   01-elections.lesson")
}

// TestLessonCheckRefusesWrongLessons: a wrong solution and a wrong
// prediction answer fail check with exit 1, naming file and line.
func TestLessonCheckRefusesWrongLessons(t *testing.T) {
	for file, want := range map[string]string{
		"wrong-solution.lesson":   "wrong-solution.lesson:18: step crash (seed 2): the solution does not reach the goals",
		"wrong-prediction.lesson": "wrong-prediction.lesson:19: step crash (seed 2): the answer a says \"no leader\"",
	} {
		code, out, _ := smrlab(t, "lesson", "check", "../../core/lesson/testdata/"+file)
		require.Equal(t, 1, code, out)
		require.Contains(t, out, "FAIL "+file)
		require.Contains(t, out, want)
	}
	// A per-student lesson is proved on --seeds seeds.
	code, out, _ := smrlab(t, "lesson", "check", "--seeds", "21", "../../core/lesson/testdata/per-student.lesson")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "21 seeds")
}

// TestLessonList: the catalogue as the page reads it.
func TestLessonList(t *testing.T) {
	code, out, _ := smrlab(t, "lesson", "list", "--json", lessons)
	require.Equal(t, 0, code, out)
	var list []listedLesson
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.NotEmpty(t, list)
	require.Equal(t, listedLesson{ID: "elections", File: "01-elections.lesson", Order: 1,
		Title: "Elections, terms and randomized timers", Minutes: 5, Steps: 4, Seed: "3", Assumes: []string{},
		StepIDs: []string{"first-leader", "crash-leader", "no-majority", "back-to-majority"},
		Summary: list[0].Summary, Question: list[0].Question, Reference: list[0].Reference}, list[0])
}

// TestLessonNewFromARecording: a session's recording becomes a lesson
// skeleton that check proves: its solution replays the recorded actions and
// reaches the state the recording ended in.
func TestLessonNewFromARecording(t *testing.T) {
	s, err := lab.OpenDefault(lab.Options{Seed: 4, SeedSet: true})
	require.NoError(t, err)
	s.Advance(1500 * sim.Millisecond)
	require.NoError(t, s.Act("crash leader"))
	s.Advance(700*sim.Millisecond + 13)
	require.NoError(t, s.Act("restart all"))
	s.Advance(time2s)
	h := s.Recording()
	b, err := json.Marshal(&h)
	require.NoError(t, err)
	dir := t.TempDir()
	rec := filepath.Join(dir, "session.json")
	require.NoError(t, os.WriteFile(rec, b, 0o644))

	out := filepath.Join(dir, "01-recorded-crash.lesson")
	code, stdout, errs := smrlab(t, "lesson", "new", "--from", rec, "-o", out)
	require.Equal(t, 0, code, stdout+errs)
	require.Contains(t, errs, "lesson recorded-crash with 2 recorded actions")
	text, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Contains(t, string(text), "solution wait 1500ms\n  solution crash leader\n  solution wait 700013us\n  solution restart all\n")
	require.Contains(t, string(text), "goal \"Every invariant holds\" no-violation")
	code, stdout, errs = smrlab(t, "lesson", "check", out)
	require.Equal(t, 0, code, stdout+errs+"\n"+string(text))

	// Without -o it goes to standard output, with the id asked for.
	code, stdout, _ = smrlab(t, "lesson", "new", "--from", rec, "--id", "mine")
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "lesson mine\n")
	code, _, errs = smrlab(t, "lesson", "new", "--from", rec, "--id", "Bad Id")
	require.Equal(t, 2, code)
	require.Contains(t, errs, "a lesson id is lowercase letters")
}

const time2s = 2 * sim.Second
