package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/lab"
	"smrlab/core/sim"
)

// TestSaveScenarioFromARecording: a session's recording, as the browser
// saves it, becomes a scenario file that `smrlab run` runs to the session's
// hashes.
func TestSaveScenarioFromARecording(t *testing.T) {
	s, err := lab.OpenDefault(lab.Options{Seed: 4, SeedSet: true})
	require.NoError(t, err)
	s.Advance(1500 * sim.Millisecond)
	require.NoError(t, s.Act("crash leader"))
	s.Advance(300*sim.Millisecond + 17)
	require.NoError(t, s.Act("partition S1 S2 | S3 S4 S5"))
	s.Advance(700 * sim.Millisecond)
	h := s.Recording()
	b, err := json.MarshalIndent(&h, "", "  ")
	require.NoError(t, err)
	dir := t.TempDir()
	rec := filepath.Join(dir, "session.json")
	require.NoError(t, os.WriteFile(rec, b, 0o644))

	saved := filepath.Join(dir, "session.scn")
	code, out, errs := smrlab(t, "save-scenario", rec, "-o", saved)
	require.Equal(t, 0, code, out+errs)
	require.Contains(t, errs, "wrote "+saved)
	code, out, errs = smrlab(t, "run", saved, "--quiet")
	require.Contains(t, out, fmt.Sprintf("hashes    events %016x, state %016x", s.EventsHash(), s.StateHash()), errs)
	_ = code // the default cluster's expectations are not the point here

	// Without -o the scenario goes to standard output.
	code, out, _ = smrlab(t, "save-scenario", rec)
	require.Equal(t, 0, code)
	text, err := os.ReadFile(saved)
	require.NoError(t, err)
	require.Equal(t, string(text), out)
}

// TestSaveScenarioFromATraceFile: a trace file written by run carries the
// same inputs; the saved scenario reproduces its hashes.
func TestSaveScenarioFromATraceFile(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"run.trace", "run.jsonl"} {
		tr := filepath.Join(dir, name)
		code, out, _ := smrlab(t, "run", scenarios+"leader-crash.scn", "--seed", "9", "--trace", tr, "--quiet")
		require.Equal(t, 0, code, out)
		want := hashesLine(t, out)
		saved := filepath.Join(dir, name+".scn")
		code, out, errs := smrlab(t, "save-scenario", "-o", saved, tr)
		require.Equal(t, 0, code, out+errs)
		code, out, _ = smrlab(t, "run", saved, "--quiet")
		require.Equal(t, 0, code, out)
		require.Equal(t, want, hashesLine(t, out))
	}
}

func TestSaveScenarioRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"format":"smrlab-trace","major":1,"scenario":"servers 0\n"}`), 0o644))
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"save-scenario"}, 2, "usage: smrlab save-scenario"},
		{[]string{"save-scenario", filepath.Join(dir, "missing.json")}, 2, "missing.json"},
		{[]string{"save-scenario", bad}, 2, "bad.json"},
	} {
		code, out, errs := smrlab(t, c.args...)
		require.Equal(t, c.code, code, "%v: %s%s", c.args, out, errs)
		require.Contains(t, out+errs, c.want, "%v", c.args)
	}
}

func hashesLine(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "hashes") {
			return line
		}
	}
	t.Fatalf("no hashes line in:\n%s", out)
	return ""
}
