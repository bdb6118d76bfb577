//go:build !js

// These searches take seconds each natively; under WebAssembly they would
// take several times longer, so this file is for native builds only.
// Figure 8's own search takes minutes (about 980,000 states; make explore
// runs it): TestFigure8PathWithinItsBounds holds its bounds to the 14-step
// walk instead.

package modelcheck_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/modelcheck"
	"smrlab/core/raft"
)

// TestEveryBugInReach: each bug toggle the explorer reaches (Reaches) has
// a shortest counterexample within its bounds (BoundsFor) of exactly the
// length listed, and it replays. Figure 8's search is too long for a test.
func TestEveryBugInReach(t *testing.T) {
	for _, c := range modelcheck.Reaches {
		if c.Long {
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
