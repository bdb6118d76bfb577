package modelcheck

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/check"
	"smrlab/core/raft"
	"smrlab/core/scenario"
	"smrlab/core/sim"
)

// TestFigure8PathWithinItsBounds: the hand-written Figure 8 walk
// (figure8-manual.scn) is a path the explorer may take within the bounds
// of commit-previous-term, every step a choice within its budgets, and it
// reaches the violation at step 14. So a breadth-first search within those
// bounds finds a counterexample of at most 14 steps (it finds one of 14,
// after about 980,000 states: make explore runs it).
func TestFigure8PathWithinItsBounds(t *testing.T) {
	src, err := os.ReadFile("../../scenarios/figure8-manual.scn")
	require.NoError(t, err)
	var path []string
	for _, line := range strings.Split(string(src), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "at" {
			path = append(path, f[2]+" "+f[3])
		}
	}
	bugs := raft.Bugs(0).With(raft.BugCommitPreviousTerm)
	b := BoundsFor(bugs)
	sc, err := scenario.Parse("modelcheck.scn", []byte(Scenario(b, bugs)))
	require.NoError(t, err)
	w, err := scenario.World(sc, scenario.RunOptions{})
	require.NoError(t, err)
	var used budget
	for i, c := range path[:14] {
		require.Contains(t, ChoicesOf(w, &b), c, "step %d", i+1)
		var ok bool
		used, ok = allowed(w, used, w.InFlightCount() >= b.InFlight, c, &b)
		require.True(t, ok, "step %d, %q, is within the bounds %v", i+1, c, b)
		a, err := scenario.ParseAction("at "+strconv.Itoa((i+1)*1000)+"us "+c, b.Servers, sim.LinkParams{})
		require.NoError(t, err)
		require.NoError(t, w.Schedule(a))
		w.RunUntil(a.At)
		if i < 13 {
			require.Nil(t, w.Violation(), "step %d", i+1)
		}
	}
	require.NotNil(t, w.Violation())
	require.Equal(t, check.LeaderCompleteness, w.Violation().Invariant)
}
