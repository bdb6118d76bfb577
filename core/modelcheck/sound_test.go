package modelcheck_test

import (
	"strconv"
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

// TestReconfigurationBoundsReachAJointChangeAndACrash: within
// ReconfigurationBounds a leader removes a server through C_old,new, appends
// C_new once the joint configuration commits, and crashes; each step of that
// path is one the explorer takes. The correct core passes the bounds.
func TestReconfigurationBoundsReachAJointChangeAndACrash(t *testing.T) {
	b := modelcheck.ReconfigurationBounds()
	path := []string{"campaign S1", "deliver m1", "deliver m3", "reconfigure S1 remove S3",
		"deliver m4", "deliver m6", "deliver m7", "deliver m8", "crash S1"}
	require.LessOrEqual(t, len(path), b.Depth)
	w := world(t, b, 0)
	for i, c := range path {
		require.Contains(t, modelcheck.ChoicesOf(w, &b), c, "step %d", i+1)
		if c == "crash S1" {
			conf := w.Node(1).Config()
			require.False(t, conf.Joint(), "S1 has appended C_new: %v", conf)
			require.Equal(t, []raft.ID{1, 2}, conf.Voters)
			conf2 := w.Node(2).Config()
			require.True(t, conf2.Joint(), "S2 holds C_old,new: %v", conf2)
		}
		a, err := scenario.ParseAction("at "+strconv.Itoa((i+1)*1000)+"us "+c, b.Servers+b.Spares, sim.LinkParams{})
		require.NoError(t, err)
		require.NoError(t, w.Schedule(a))
		w.RunUntil(a.At)
	}
	require.Nil(t, w.Node(1), "S1 crashed")
	require.Nil(t, w.Violation())

	r, err := modelcheck.Explore(b, 0, modelcheck.Options{})
	require.NoError(t, err)
	require.Nil(t, r.Violation, "%q", r.Path)
	require.Equal(t, b.Depth, r.Depth)
	t.Logf("the correct core within %v: %d states", b, r.States)
}

// TestCorrectCorePassesTheLearnerBounds: the bounds that find learner-votes
// (a spare machine added as a learner) hold no violation of the correct
// core.
func TestCorrectCorePassesTheLearnerBounds(t *testing.T) {
	b := modelcheck.BoundsFor(bugs(t, "learner-votes"))
	r, err := modelcheck.Explore(b, 0, modelcheck.Options{})
	require.NoError(t, err)
	require.Nil(t, r.Violation, "%q", r.Path)
	require.Equal(t, b.Depth, r.Depth)
	t.Logf("the correct core within %v: %d states", b, r.States)
}
