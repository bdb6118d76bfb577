package lesson

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCheckCountsManualSteps: a manual-scheduler lesson whose solutions
// take no virtual time is still checked step by step, and the report says
// so in steps and actions.
func TestCheckCountsManualSteps(t *testing.T) {
	strict(t)
	l := loadFile(t, "testdata/manual.lesson")
	r := CheckReport(l, Seeds(l, CheckSeedsDefault))
	require.Empty(t, r.Problems)
	require.Equal(t, int64(0), r.Virtual, "the solutions take no virtual time")
	require.Equal(t, 2, r.Checked)
	require.Equal(t, 3+3+1, r.Actions, "two solutions and a wrong path")
}

// TestDidDeliverNamesTheReceiver: deliver, drop and duplicate name a
// message by number; "did deliver S2" is met by a message to S2, not by one
// to S3, and the goal explains which.
func TestDidDeliverNamesTheReceiver(t *testing.T) {
	strict(t)
	l := loadFile(t, "testdata/manual.lesson")
	p, err := Open(l, l.Seed, 0)
	require.NoError(t, err)
	require.NoError(t, p.Act("campaign S1"))
	require.NoError(t, p.Act("deliver m2")) // S1's RequestVote to S3
	require.NoError(t, p.Act("duplicate m3"))
	expectGoals(t, p, "not-yet", "no server leads", "not-yet", "not done yet in this step: deliver S2")
	require.NoError(t, p.Act("drop m1")) // S1's RequestVote to S2
	expectGoals(t, p, "not-yet", "no server leads", "not-yet", "deliver S2")
	require.NoError(t, p.Act("deliver m3")) // S3's grant, to S1
	expectGoals(t, p, "met", "S1 leads", "not-yet", "deliver S2")

	require.NoError(t, p.Reset())
	for _, a := range []string{"campaign S1", "deliver m1"} {
		require.NoError(t, p.Act(a))
	}
	expectGoals(t, p, "not-yet", "no server leads", "met", "you did deliver S2")

	// Dropped and duplicated messages are attributed to their receiver too.
	l2 := condLesson(t, "world\n  servers 3\n  schedule manual\n  duration 1m", "did drop S2", "did duplicate S3",
		"did deliver S3")
	p, err = Open(l2, l2.Seed, 0)
	require.NoError(t, err)
	require.NoError(t, p.Act("campaign S1"))
	require.NoError(t, p.Act("drop m1"))
	require.NoError(t, p.Act("duplicate m2"))
	expectGoals(t, p, "met", "you did drop S2", "met", "you did duplicate S3", "not-yet", "deliver S3")
}

// TestStepsStartFromSolutions: under "steps start from solutions", a
// student who reached a step's goals by another path still starts the next
// step in the world the solution reaches, exactly as opening the lesson at
// that step does, so the messages the narration numbers are the same.
func TestStepsStartFromSolutions(t *testing.T) {
	strict(t)
	src, err := os.ReadFile("testdata/manual.lesson")
	require.NoError(t, err)
	// Step 1 asks only for S1 to lead, which S3's vote gives too.
	loose := strings.Replace(string(src), "  goal \"You delivered a message to S2\" did deliver S2\n", "", 1)
	loose = strings.Replace(loose, "  wrong campaign S1; deliver m2; deliver m3\n", "", 1)
	for _, fromSolutions := range []bool{false, true} {
		text := loose
		if fromSolutions {
			text = strings.Replace(text, "seed 1\n", "seed 1\nsteps start from solutions\n", 1)
		}
		l, err := Parse("manual.lesson", []byte(text), readScenario)
		require.NoError(t, err)
		require.Equal(t, fromSolutions, l.StartFromSolutions)
		want, err := Open(l, l.Seed, 1)
		require.NoError(t, err)

		p, err := Open(l, l.Seed, 0)
		require.NoError(t, err)
		for _, a := range []string{"campaign S1", "deliver m2", "deliver m3"} { // through S3, not S2
			require.NoError(t, p.Act(a))
		}
		require.True(t, p.Done())
		require.NoError(t, p.Next())
		require.Equal(t, fromSolutions, p.Session().StateHash() == want.Session().StateHash(),
			"from solutions: %v", fromSolutions)
		if fromSolutions {
			require.Equal(t, len(want.Session().Actions()), len(p.Session().Actions()))
			require.Equal(t, 0, p.State().Attempts)
			require.False(t, p.State().Assisted)
			// Reset returns to that start.
			require.NoError(t, p.Act("deliver m5"))
			require.NoError(t, p.Reset())
			require.Equal(t, want.Session().StateHash(), p.Session().StateHash())
		}
	}
	_, err = Parse("x.lesson", []byte(strings.Replace(string(src), "seed 1\n", "seed 1\nsteps start from anywhere\n", 1)), readScenario)
	require.ErrorContains(t, err, "x.lesson:15:1: write: steps start from solutions")
}
