package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/export"
	"smrlab/core/tracefile"
)

// exportScenario is a short run with what every format shows: an
// election, a crash and a restart, client operations.
const exportScenario = `name export-test
servers 3
duration 1500ms
options all prevote=on checkquorum=on election=150ms heartbeat=50ms
network latency=1ms..5ms
workload clients=2 rate=40/s writes=60% appends=30% keys=3 timeout=300ms

at 600ms crash leader
at 1s restart all
`

// traceFile runs exportScenario and writes its trace as name (JSON Lines
// if it ends in .jsonl, else msgpack).
func traceFile(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	sc := filepath.Join(dir, "export-test.scn")
	require.NoError(t, os.WriteFile(sc, []byte(exportScenario), 0o600))
	path := filepath.Join(dir, name)
	code, out, errs := smrlab(t, "run", sc, "--trace", path, "--quiet")
	require.Equal(t, 0, code, out+errs)
	return path
}

func TestExportEveryFormat(t *testing.T) {
	in := traceFile(t, "run.trace")
	dir := t.TempDir()
	for _, f := range export.Formats() {
		out := filepath.Join(dir, "run"+f.Ext)
		code, stdout, errs := smrlab(t, "export", in, "--format", f.Name, "-o", out)
		require.Equal(t, 0, code, f.Name+": "+errs)
		require.Contains(t, stdout, "written to "+out)
		data, err := os.ReadFile(out)
		require.NoError(t, err)
		require.NotEmpty(t, data, f.Name)
		// Without -o the same bytes go to standard output.
		code, stdout, _ = smrlab(t, "export", "--format", f.Name, in)
		require.Equal(t, 0, code)
		require.Equal(t, string(data), stdout, f.Name)
	}
	data, err := os.ReadFile(filepath.Join(dir, "run.json"))
	require.NoError(t, err)
	var perfetto struct{ TraceEvents []map[string]any }
	require.NoError(t, json.Unmarshal(data, &perfetto))
	require.NotEmpty(t, perfetto.TraceEvents)
	f, err := os.Open(filepath.Join(dir, "run.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	_, err = tracefile.Read(f)
	require.NoError(t, err)
}

func TestExportFormatFromExtension(t *testing.T) {
	in := traceFile(t, "run.jsonl")
	out := filepath.Join(t.TempDir(), "history.edn")
	code, _, errs := smrlab(t, "export", in, "-o", out)
	require.Equal(t, 0, code, errs)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(data), "{:type :invoke"), string(data[:min(len(data), 80)]))
}

func TestExportRefusesBadInput(t *testing.T) {
	in := traceFile(t, "run.trace")
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.trace")
	data, err := os.ReadFile(in)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(broken, data[:len(data)/2], 0o600))
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"export"}, 2, nil},
		{[]string{"export", in, "--format", "svg"}, 2, []string{`unknown export format "svg"`, "perfetto, edn"}},
		{[]string{"export", in}, 2, []string{"--format is missing"}},
		{[]string{"export", in, "-o", filepath.Join(dir, "x.zip")}, 2, []string{"x.zip's extension names no format"}},
		{[]string{"export", filepath.Join(dir, "missing.trace"), "--format", "edn"}, 1, []string{"missing.trace", "no such file"}},
		{[]string{"export", broken, "--format", "perfetto"}, 1, []string{"broken.trace", "record"}},
		{[]string{"export", scenarios + "leader-crash.scn", "--format", "edn"}, 1, []string{"leader-crash.scn", "not a trace"}},
		{[]string{"export", in, "--format", "edn", "-o", filepath.Join(dir, "no", "such", "dir.edn")}, 1, []string{"no such file"}},
	} {
		code, _, errs := smrlab(t, tc.args...)
		require.Equal(t, tc.code, code, "%v: %s", tc.args, errs)
		for _, w := range tc.want {
			require.Contains(t, errs, w, tc.args)
		}
	}
	// A failed export leaves no partial file.
	forged := filepath.Join(dir, "forged.jsonl")
	jsonl, err := os.ReadFile(traceFile(t, "run.jsonl"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(forged, bytes.Replace(jsonl, []byte(`"seed":"1"`), []byte(`"seed":"2"`), 1), 0o600))
	out := filepath.Join(dir, "forged.html")
	code, _, errs := smrlab(t, "export", forged, "--format", "porcupine", "-o", out)
	require.Equal(t, 1, code)
	require.Contains(t, errs, "re-running the trace's inputs")
	require.NoFileExists(t, out)
}

func TestExportListsFormats(t *testing.T) {
	code, out, _ := smrlab(t, "export", "--list")
	require.Equal(t, 0, code)
	for _, f := range export.Formats() {
		require.Contains(t, out, f.Name)
		require.Contains(t, out, f.Ext)
	}
}
