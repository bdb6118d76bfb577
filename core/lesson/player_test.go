package lesson

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func loadFile(t testing.TB, path string) *Lesson {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	l, err := Parse(path, src, readScenario)
	require.NoError(t, err)
	return l
}

// TestCheckRefusesWrongLessons: a wrong solution and a wrong prediction
// answer are problems, at their lines.
func TestCheckRefusesWrongLessons(t *testing.T) {
	strict(t)
	probs := Check(loadFile(t, "testdata/wrong-solution.lesson"), []uint64{2})
	require.Len(t, probs, 1)
	require.Equal(t, 18, probs[0].Line)
	require.Contains(t, probs[0].Msg, `the solution does not reach the goals: "You crashed the leader" is not-yet`)

	probs = Check(loadFile(t, "testdata/wrong-prediction.lesson"), []uint64{2})
	require.Len(t, probs, 1)
	require.Equal(t, 19, probs[0].Line)
	require.Contains(t, probs[0].Msg, `the answer a says "no leader", but the solution's run does not show it`)
}

// TestPerStudentSeeds: StudentSeed is deterministic and spreads students
// over seeds; a per-student lesson is proved on 20 of them.
func TestPerStudentSeeds(t *testing.T) {
	strict(t)
	require.Equal(t, StudentSeed("elections", "ada"), StudentSeed("elections", "ada"))
	// Pinned: a student's seed must not change between releases of the lab.
	require.Equal(t, uint64(0x16ed5e59d5f35fb6), StudentSeed("elections", "ada"))
	l := loadFile(t, "testdata/per-student.lesson")
	seeds := Seeds(l, 20)
	seen := map[uint64]bool{}
	for _, s := range seeds {
		require.False(t, seen[s], "seed %d twice", s)
		seen[s] = true
		require.Positive(t, s)
	}
	require.NotEqual(t, StudentSeed("per-student", "ada"), StudentSeed("per-student", "bob"))
	require.Equal(t, StudentSeed("per-student", "ada"), l.SeedFor("ada"))
	r := CheckReport(l, seeds)
	require.Empty(t, r.Problems)
	require.Len(t, r.Seeds, 20)
}

// TestPlayerLocksUntilAnswered: the run controls refuse while a prediction
// is unanswered; hints unlock after attempts; show me completes the step
// and reveals the answer; next moves on.
func TestPlayerLocksUntilAnswered(t *testing.T) {
	strict(t)
	l := loadFile(t, "testdata/per-student.lesson")
	p, err := Open(l, l.SeedFor("ada"), 1) // step 2, after step 1's solution
	require.NoError(t, err)
	require.Equal(t, 1, p.Step())
	st := p.State()
	require.True(t, st.Locked)
	require.Equal(t, ErrLocked, p.Advance(1000))
	require.Equal(t, ErrLocked, p.Act("crash leader"))
	require.Nil(t, st.Prediction.When)
	require.Empty(t, st.Prediction.Answer, "the answer is hidden until revealed")
	require.Equal(t, "after 1 more attempt", st.NextHint)
	require.ErrorContains(t, p.Hint(), "unlocks after 1 more attempt")
	require.ErrorContains(t, p.Answer("z"), `no choice "z" (the choices are a, b)`)

	require.NoError(t, p.Answer("b"))
	require.False(t, p.State().Locked)
	require.ErrorContains(t, p.Answer("a"), "answered already")
	require.NoError(t, p.Act("crash follower"))
	require.NoError(t, p.Advance(500_000))
	require.NoError(t, p.Hint())
	st = p.State()
	require.Equal(t, []string{"The crown marks the leader."}, st.Hints)
	require.False(t, st.Done)
	require.ErrorContains(t, p.Next(), "not met yet")

	require.NoError(t, p.ShowMe())
	st = p.State()
	require.True(t, st.Done)
	require.True(t, st.Assisted)
	require.True(t, st.Prediction.Revealed)
	require.Equal(t, "a", st.Prediction.Answer)
	require.False(t, st.Prediction.Right)
	require.Equal(t, "met", st.Prediction.When.State)
	require.Equal(t, 1, st.Attempts, "show me is no attempt")
	require.True(t, st.Last)
	require.ErrorContains(t, p.Next(), "the lesson's last")

	// The state's JSON, written without reflection, reads back.
	var back map[string]any
	require.NoError(t, json.Unmarshal(st.AppendJSON(nil), &back))
	require.Equal(t, "per-student", back["lesson"])
	require.Equal(t, true, back["done"])
	require.Equal(t, "a", back["prediction"].(map[string]any)["answer"])
	require.Len(t, back["goals"], 3)
}

// TestPlayerNext: a step done by the student offers next; the next step
// starts where the world was left.
func TestPlayerNext(t *testing.T) {
	strict(t)
	l := loadFile(t, "../../lessons/01-elections.lesson")
	p, err := Open(l, l.Seed, 0)
	require.NoError(t, err)
	require.NoError(t, p.Answer("b"))
	require.NoError(t, p.Advance(1_000_000))
	st := p.State()
	require.True(t, st.Done)
	require.True(t, st.Prediction.Right)
	require.Equal(t, "panel", st.Highlights[0].Kind)
	now := p.Session().Now()
	require.NoError(t, p.Next())
	require.Equal(t, now, p.Session().Now())
	st = p.State()
	require.Equal(t, "crash-leader", st.StepID)
	require.Equal(t, "leader", st.Highlights[0].Kind)
	require.Equal(t, 4, st.Highlights[0].Server, "the highlight follows the leader")
	require.Equal(t, []string{"play", "pause", "crash"}, st.Controls)
}

// TestLessonOneByOtherPaths: goals judge the world, not keystrokes: lesson 1
// done by a student who names servers instead of "leader", crashes two
// followers instead of the leader, and restarts servers one by one.
func TestLessonOneByOtherPaths(t *testing.T) {
	strict(t)
	l := loadFile(t, "../../lessons/01-elections.lesson")
	p, err := Open(l, l.Seed, 0)
	require.NoError(t, err)
	require.NoError(t, p.Answer("a"))
	require.NoError(t, p.Advance(2_000_000))
	st := p.State()
	require.True(t, st.Done)
	require.False(t, st.Prediction.Right)
	require.Contains(t, st.Prediction.Explain, "S4's random timeout was the shortest")
	require.NoError(t, p.Next())

	require.NoError(t, p.Answer("b"))
	require.NoError(t, p.Act("crash S4")) // S4 leads
	require.NoError(t, p.Advance(1_000_000))
	st = p.State()
	require.True(t, st.Done, "%+v", st.Goals)
	require.Equal(t, "you did crash S4, the leader then", st.Goals[0].Why)
	require.True(t, st.Prediction.Right)
	require.NoError(t, p.Next())

	require.NoError(t, p.Answer("b"))
	leader := p.Session().World().Leader()
	var followers []string
	for _, v := range p.Session().World().Servers() {
		if v.Up && v.ID != leader {
			followers = append(followers, v.ID.String())
		}
	}
	require.NoError(t, p.Act("crash "+followers[0]))
	require.NoError(t, p.Advance(500_000))
	require.False(t, p.State().Done, "three servers still elect a leader")
	require.NoError(t, p.Act("crash "+followers[1]))
	require.NoError(t, p.Advance(3_000_000))
	st = p.State()
	require.True(t, st.Done, "%+v", st.Goals)
	require.Equal(t, 2, st.Attempts)
	require.NoError(t, p.Next())

	require.NoError(t, p.Act("restart "+followers[0]))
	require.NoError(t, p.Act("restart "+followers[1]))
	require.NoError(t, p.Advance(2_000_000))
	st = p.State()
	require.True(t, st.Done, "%+v", st.Goals)
	require.Nil(t, st.Prediction)
	require.True(t, st.Last)
	require.False(t, st.Assisted)
}

// TestPlayerLockedAndStepStart: the cheap accessors agree with the state.
func TestPlayerLockedAndStepStart(t *testing.T) {
	strict(t)
	l := loadFile(t, "../../lessons/01-elections.lesson")
	p, err := Open(l, l.Seed, 1)
	require.NoError(t, err)
	require.True(t, p.Locked())
	require.Equal(t, p.State().Locked, p.Locked())
	require.Equal(t, int64(1_000_000), p.StepStart(), "step 2 starts where step 1's solution left the world")
	require.NoError(t, p.Answer("b"))
	require.False(t, p.Locked())
}
