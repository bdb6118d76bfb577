package modelcheck_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/check"
	"smrlab/core/modelcheck"
	"smrlab/core/raft"
	"smrlab/core/scenario"
)

func bugs(t *testing.T, names ...string) raft.Bugs {
	var set raft.Bugs
	for _, n := range names {
		b, err := raft.ParseBug(n)
		require.NoError(t, err)
		set = set.With(b)
	}
	return set
}

// knownSteps counts the steps of a hand-written counterexample: the timed
// actions of a shipped manual-schedule scenario.
func knownSteps(t *testing.T, file string) int {
	src, err := os.ReadFile("../../scenarios/" + file)
	require.NoError(t, err)
	sc, err := scenario.Parse(file, src)
	require.NoError(t, err)
	r, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	require.NotNil(t, r.Violation, "%s must reach its violation", file)
	n := 0
	for _, a := range sc.Actions {
		if a.At <= r.Violation.Time {
			n++
		}
	}
	return n
}

// replay runs a counterexample's path as a recording, the way the lab opens
// it, and returns the violation it reaches.
func replay(t *testing.T, r *modelcheck.Result) *check.Violation {
	src := r.Scenario + "\n" + strings.Join(r.Path, "\n") + "\n"
	sc, err := scenario.Parse("counterexample.scn", []byte(src))
	require.NoError(t, err)
	res, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	return res.Violation
}

func TestForgottenVoteShortestCounterexample(t *testing.T) {
	b := modelcheck.BoundsFor(bugs(t, "forget-vote-on-restart"))
	b.Depth = 8
	r, err := modelcheck.Explore(b, bugs(t, "forget-vote-on-restart"), modelcheck.Options{})
	require.NoError(t, err)
	require.NotNil(t, r.Violation, "explored %d states", r.States)
	require.Equal(t, check.ElectionSafety, r.Violation.Invariant)
	require.LessOrEqual(t, len(r.Path), knownSteps(t, "forget-vote-manual.scn"))
	require.Equal(t, len(r.Path), r.Depth)
	v := replay(t, r)
	require.NotNil(t, v, "the path must replay to its violation")
	require.Equal(t, r.Violation.Invariant, v.Invariant)
	require.Equal(t, r.Until(), v.Time, "the violation is at the path's last step")
}

// TestCorrectCorePassesTheSameBounds explores the correct core with the
// bounds that found the forgotten vote: the whole space, no violation.
func TestCorrectCorePassesTheSameBounds(t *testing.T) {
	b := modelcheck.BoundsFor(bugs(t, "forget-vote-on-restart"))
	b.Depth = 8
	r, err := modelcheck.Explore(b, 0, modelcheck.Options{})
	require.NoError(t, err)
	require.Nil(t, r.Violation, "path: %q", r.Path)
	require.Greater(t, r.States, uint64(5000))
	require.Equal(t, 8, r.Depth)
}

func TestBoundsRefuseBadValues(t *testing.T) {
	for _, f := range []func(*modelcheck.Bounds){
		func(b *modelcheck.Bounds) { b.Servers = 0 },
		func(b *modelcheck.Bounds) { b.Servers = 9 },
		func(b *modelcheck.Bounds) { b.Term = 0 },
		func(b *modelcheck.Bounds) { b.Depth = 0 },
		func(b *modelcheck.Bounds) { b.Depth = 1000 },
		func(b *modelcheck.Bounds) { b.InFlight = 0 },
		func(b *modelcheck.Bounds) { b.Crashes = -1 },
	} {
		b := modelcheck.DefaultBounds()
		f(&b)
		_, err := modelcheck.Explore(b, 0, modelcheck.Options{})
		require.Error(t, err)
	}
}

// TestStateBoundStops: a bound on states ends the search early, incomplete.
func TestStateBoundStops(t *testing.T) {
	b := modelcheck.DefaultBounds()
	b.States = 500
	r, err := modelcheck.Explore(b, 0, modelcheck.Options{})
	require.NoError(t, err)
	require.False(t, r.Complete)
	require.Equal(t, uint64(500), r.States)
}

// TestWholeSpaceWithinSmallBounds: with one term allowed, the space is
// finite well within the depth bound; the search explores all of it and
// says so.
func TestWholeSpaceWithinSmallBounds(t *testing.T) {
	b := modelcheck.DefaultBounds()
	b.Term, b.Crashes, b.Drops, b.Duplicates, b.Depth = 1, 0, 0, 0, 60
	r, err := modelcheck.Explore(b, 0, modelcheck.Options{})
	require.NoError(t, err)
	require.Nil(t, r.Violation)
	require.True(t, r.Complete, "explored %d states to depth %d", r.States, r.Depth)
	require.Less(t, r.Depth, 60)
	t.Logf("the whole space: %d states, %d steps, longest path %d", r.States, r.Transitions, r.Depth)
}

// TestCorrectCorePassesTheBugsBounds: the correct core within the whole
// bounds two bugs are found in (the others' take a minute or more each:
// make explore runs them all).
func TestCorrectCorePassesTheBugsBounds(t *testing.T) {
	for _, name := range []string{"truncate-without-conflict", "ack-before-durable"} {
		b := modelcheck.BoundsFor(bugs(t, name))
		r, err := modelcheck.Explore(b, 0, modelcheck.Options{})
		require.NoError(t, err)
		require.Nil(t, r.Violation, "%s's bounds: %v after %q", name, r.Violation, r.Path)
		require.Equal(t, b.Depth, r.Depth)
		require.Greater(t, r.States, uint64(5000))
	}
}
