package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestModelcheckWritesTheCounterexample: a bug's shortest path is printed
// and written as a trace that replays and a scenario that runs to it.
func TestModelcheckWritesTheCounterexample(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := smrlab(t, "modelcheck", "--bug", "forget-vote-on-restart", "--depth", "8", "--quiet", "--out", dir)
	require.Equal(t, 1, code, "a violation exits 1\n%s%s", out, errOut)
	require.Contains(t, out, "states per second")
	require.Contains(t, out, "VIOLATION after 8 steps")
	require.Contains(t, out, "ElectionSafety")
	require.Contains(t, out, "#r=")
	trace := filepath.Join(dir, "modelcheck-forget-vote-on-restart.trace")
	scn := filepath.Join(dir, "modelcheck-forget-vote-on-restart.scn")
	code, out, _ = smrlab(t, "replay", trace)
	require.Equal(t, 0, code, out)
	code, out, _ = smrlab(t, "run", scn, "--quiet")
	require.Equal(t, 0, code, "the scenario expects the violation it reaches\n%s", out)
	require.Contains(t, out, "ok   expect violation ElectionSafety")
}

// TestModelcheckCorrectCore: no violation within the bounds, exit 0, no file.
func TestModelcheckCorrectCore(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := smrlab(t, "modelcheck", "--bounds-of", "truncate-without-conflict", "--depth", "6", "--out", dir)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "depth   6")
	require.Contains(t, out, "term<=2 log<=3", "the bounds of truncate-without-conflict")
	require.Contains(t, out, "bug toggles: none")
	require.Contains(t, out, "no violation")
	files, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, files)
}

func TestModelcheckRefusesBadBounds(t *testing.T) {
	for _, args := range [][]string{
		{"modelcheck", "--servers", "0"},
		{"modelcheck", "--depth", "100000"},
		{"modelcheck", "--bug", "no-such-bug"},
		{"modelcheck", "scenarios/chaos.scn"},
		{"modelcheck", "--max-term", "x"},
		{"modelcheck", "--bounds-of", "no-such-bug"},
		{"modelcheck", "--spares", "3"},
		{"modelcheck", "--changes", "-1"},
		{"modelcheck", "--crashes", "1000"},
	} {
		code, out, errOut := smrlab(t, args...)
		require.Equal(t, 2, code, "%v\n%s%s", args, out, errOut)
	}
}

// TestModelcheckHelpSaysWhichBoundsFindEachBug: -h lists the default
// bounds, the reconfiguration bounds, and for each bug in reach its bounds
// and steps; it names the bugs out of reach.
func TestModelcheckHelpSaysWhichBoundsFindEachBug(t *testing.T) {
	_, out, errOut := smrlab(t, "modelcheck", "-h")
	out = strings.Join(strings.Fields(out+errOut), " ")
	for _, want := range []string{"Default bounds: term<=3", "--reconfiguration: ", "spares=1 changes<=2",
		"commit-previous-term 14 steps term<=3",
		"vote-without-log-check 8 steps the default bounds find it too",
		"truncate-without-conflict 12 steps term<=2 log<=3",
		"learner-votes 11 steps", "Out of reach: commit-from-leader-commit-without-min",
		"-spares", "-changes", "-single-server"} {
		require.Contains(t, out, want)
	}
}

// TestModelcheckReconfiguration: the reconfiguration bounds, cut short,
// on the correct core: no violation.
func TestModelcheckReconfiguration(t *testing.T) {
	code, out, _ := smrlab(t, "modelcheck", "--reconfiguration", "--depth", "6", "--quiet")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "exploring 3 servers and 1 spare machine(s)")
	require.Contains(t, out, "spares=1 changes<=2")
	require.Contains(t, out, "crashes<=1")
	require.Contains(t, out, "no violation")
}
