package modelcheck_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/check"
	"smrlab/core/modelcheck"
	"smrlab/core/raft"
	"smrlab/core/scenario"
	"smrlab/core/sim"
)

// TestDeadLettersAreExplored: no reduction assumes the behaviour under
// test. A vote response of an older term is a dead letter to a correct
// candidate; the explorer delivers it all the same, so a candidate that
// counts it (count-stale-votes) is found, and its shortest counterexample
// delivers a message that was a dead letter when it came. (The explorer
// used to leave dead letters out unless the toggle was on: the toggle
// changed which reductions applied, and a candidate that counted stale
// votes by any other code than the toggle's went unseen.)
func TestDeadLettersAreExplored(t *testing.T) {
	set := bugs(t, "count-stale-votes")
	b := modelcheck.BoundsFor(set)
	r, err := modelcheck.Explore(b, set, modelcheck.Options{})
	require.NoError(t, err)
	require.NotNil(t, r.Violation)
	require.Equal(t, check.ElectionSafety, r.Violation.Invariant)
	deadDelivered := 0
	w := world(t, b, set)
	for _, line := range r.Path {
		a, err := scenario.ParseAction(line, b.Servers+b.Spares, sim.LinkParams{})
		require.NoError(t, err)
		if a.Kind == sim.ActDeliver {
			dead := w.DeadLetters(nil)
			for _, id := range dead {
				if id == a.MsgID {
					deadDelivered++
				}
			}
		}
		require.NoError(t, w.Schedule(a))
		w.RunUntil(a.At)
	}
	require.NotNil(t, w.Violation())
	require.Positive(t, deadDelivered, "the counterexample delivers a dead letter: %q", r.Path)

	// The correct core within the same bounds: the dead letters are
	// delivered too, and change nothing that breaks an invariant.
	r, err = modelcheck.Explore(b, 0, modelcheck.Options{})
	require.NoError(t, err)
	require.Nil(t, r.Violation, "%q", r.Path)
}

// world is the explorer's starting world for bounds b and bug toggles set.
func world(t *testing.T, b modelcheck.Bounds, set raft.Bugs) *sim.World {
	t.Helper()
	sc, err := scenario.Parse("modelcheck.scn", []byte(modelcheck.Scenario(b, set)))
	require.NoError(t, err)
	w, err := scenario.World(sc, scenario.RunOptions{})
	require.NoError(t, err)
	return w
}
