//go:build !js

// Figure 8's fourteen steps take a minute of breadth-first search natively;
// under WebAssembly the same searches would take several times longer, so
// this file is for native builds only.

package modelcheck_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/check"
	"smrlab/core/modelcheck"
)

func TestFigure8ShortestCounterexample(t *testing.T) {
	set := bugs(t, "commit-previous-term")
	r, err := modelcheck.Explore(modelcheck.BoundsFor(set), set, modelcheck.Options{})
	require.NoError(t, err)
	require.NotNil(t, r.Violation, "explored %d states", r.States)
	require.Equal(t, check.LeaderCompleteness, r.Violation.Invariant)
	require.LessOrEqual(t, len(r.Path), knownSteps(t, "figure8-manual.scn"))
	v := replay(t, r)
	require.NotNil(t, v)
	require.Equal(t, r.Violation.Invariant, v.Invariant)
}

// TestEveryBugOfTheElectionAndCommitCore: each bug toggle of the election
// and commit core has a shortest counterexample within its bounds
// (BoundsFor), no longer than the one first found, and it replays.
func TestEveryBugOfTheElectionAndCommitCore(t *testing.T) {
	for _, c := range []struct {
		bug       string
		invariant string
		steps     int
	}{
		{"count-stale-votes", check.ElectionSafety, 8},
		{"ack-before-durable", check.LeaderCompleteness, 7},
		{"skip-log-consistency-check", check.LogMatching, 11},
		{"truncate-without-conflict", check.QuorumOfVoters, 12},
		{"commit-from-leader-commit-without-min", check.StateMachineSafety, 11},
		{"match-index-from-next-index", check.QuorumOfVoters, 8},
	} {
		t.Run(c.bug, func(t *testing.T) {
			set := bugs(t, c.bug)
			r, err := modelcheck.Explore(modelcheck.BoundsFor(set), set, modelcheck.Options{})
			require.NoError(t, err)
			require.NotNil(t, r.Violation, "explored %d states", r.States)
			require.Equal(t, c.invariant, r.Violation.Invariant, "%v", r.Violation)
			require.LessOrEqual(t, len(r.Path), c.steps)
			v := replay(t, r)
			require.NotNil(t, v)
			require.Equal(t, r.Violation.Invariant, v.Invariant)
			t.Logf("%s: %d steps, %d states", c.bug, len(r.Path), r.States)
		})
	}
}
