//go:build !js

// Figure 8's fourteen steps take a minute or two of breadth-first search
// natively; under WebAssembly the same search would take several times
// longer, so this file is for native builds only.

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
