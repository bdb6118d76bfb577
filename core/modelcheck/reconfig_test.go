//go:build !js

// The reconfiguration searches take seconds natively and several times
// longer under WebAssembly: native builds only.

package modelcheck_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/modelcheck"
	"smrlab/core/raft"
	"smrlab/core/scenario"
	"smrlab/core/sim"
)

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
