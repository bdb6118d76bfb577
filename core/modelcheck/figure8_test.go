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
	"smrlab/core/raft"
)

func TestFigure8ShortestCounterexample(t *testing.T) {
	set := bugs(t, "commit-previous-term")
	r, err := modelcheck.Explore(modelcheck.BoundsFor(set), set, modelcheck.Options{})
	require.NoError(t, err)
	require.NotNil(t, r.Violation, "explored %d states", r.States)
	require.Equal(t, check.LeaderCompleteness, r.Violation.Invariant)
	require.LessOrEqual(t, len(r.Path), knownSteps(t, "figure8-manual.scn"))
	require.Len(t, r.Path, 14)
	v := replay(t, r)
	require.NotNil(t, v)
	require.Equal(t, r.Violation.Invariant, v.Invariant)
}

// TestEveryBugInReach: each bug toggle the explorer reaches (Reaches) has
// a shortest counterexample within its bounds (BoundsFor) of exactly the
// length listed, and it replays. Figure 8 has a test of its own.
func TestEveryBugInReach(t *testing.T) {
	for _, c := range modelcheck.Reaches {
		if c.Bug == raft.BugCommitPreviousTerm {
			continue
		}
		t.Run(c.Bug.Name(), func(t *testing.T) {
			set := raft.Bugs(0).With(c.Bug)
			r, err := modelcheck.Explore(modelcheck.BoundsFor(set), set, modelcheck.Options{})
			require.NoError(t, err)
			require.NotNil(t, r.Violation, "explored %d states", r.States)
			require.Equal(t, c.Invariant, r.Violation.Invariant, "%v", r.Violation)
			require.Len(t, r.Path, c.Steps, "%q", r.Path)
			v := replay(t, r)
			require.NotNil(t, v)
			require.Equal(t, r.Violation.Invariant, v.Invariant)
			t.Logf("%s: %d steps, %d states", c.Bug.Name(), len(r.Path), r.States)
			if c.Default {
				d, err := modelcheck.Explore(modelcheck.DefaultBounds(), set, modelcheck.Options{})
				require.NoError(t, err)
				require.NotNil(t, d.Violation, "the default bounds must find it")
				require.Len(t, d.Path, c.Steps, "%q", d.Path)
			}
		})
	}
}
