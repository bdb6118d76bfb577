package lab

import (
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/sim"
)

// TestRewindDropsActionsAtItsTime: a lesson's "reset step" returns to the
// step's start with the actions taken before it, including those of its
// very time, and drops a student's action taken at that same time.
func TestRewindDropsActionsAtItsTime(t *testing.T) {
	s := openDefault(t, 3)
	s.Advance(2*sim.Second + 500*sim.Millisecond) // past a checkpoint
	require.NoError(t, s.Act("crash S1"))         // the step's setup
	start, keep, want := s.Now(), len(s.Actions()), s.StateHash()
	require.NoError(t, s.Act("crash leader")) // the student, at the very start
	s.Advance(3 * sim.Second)
	require.NoError(t, s.Act("restart all"))
	s.Advance(sim.Second)

	s.Rewind(start, keep)
	require.Equal(t, start, s.Now())
	require.Len(t, s.Actions(), keep)
	require.Equal(t, want, s.StateHash(), "the world as it was after the setup")
	require.False(t, s.World().Servers()[0].Up, "the setup's crash is kept")

	// Running on from there is the run without the student's actions.
	s.Advance(2 * sim.Second)
	ref := openDefault(t, 3)
	ref.Advance(2*sim.Second + 500*sim.Millisecond)
	require.NoError(t, ref.Act("crash S1"))
	ref.Advance(2 * sim.Second)
	require.Equal(t, ref.StateHash(), s.StateHash())
}
