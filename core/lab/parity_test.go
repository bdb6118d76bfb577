package lab

// Determinism rule 4 (DESIGN.md): the same inputs give byte-identical traces
// natively and under GOOS=js GOARCH=wasm. `make test` runs TestParityTraces
// twice, once natively and once in WebAssembly under Node.js, and both runs
// compare against the same golden file: when both pass, the canonical
// msgpack traces are byte-identical on both platforms.
//
// Regenerate the golden file (natively, after a deliberate change to the
// simulation or to the trace format) with
//
//	go test -run TestParityTraces ./core/lab -update
//
// and check that the WebAssembly run still passes:
//
//	PATH=$(go env GOROOT)/lib/wasm:$PATH GOOS=js GOARCH=wasm go test -run TestParity ./core/lab

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/scenario"
	"smrlab/core/trace"
	"smrlab/core/tracefile"
)

var update = flag.Bool("update", false, "rewrite testdata/parity.golden from this run")

// scenariosDir is where the shipped scenario files live, relative to this
// package's directory. `go test` runs a test binary with the package
// directory as its working directory, and so does go_js_wasm_exec under
// Node.js (whose fs module backs the os package in WebAssembly), so the
// same relative path works on both platforms.
const scenariosDir = "../../scenarios"

type paritySpec struct {
	file  string
	seeds uint64
}

// parityScenarios are the scenario files the parity test covers, each run
// over seeds 1..seeds. The list is explicit so that the golden file stays
// stable when scenario files are added: to cover a new one, append it here
// and rerun with -update. The two long-standing scenarios get more seeds;
// chaos.scn draws every fault from the seed, so each seed is a new run.
// Together they take a few seconds natively and about ten in WebAssembly.
var parityScenarios = []paritySpec{
	{"leader-crash.scn", 6},
	{"chaos.scn", 6},
	{"asymmetric-checkquorum.scn", 3},
	{"asymmetric-no-checkquorum.scn", 3},
	{"crash-restart-storm.scn", 3},
	{"figure8.scn", 3},
	{"figure8-bug.scn", 3},
	{"forget-vote.scn", 3},
	{"lossy-reordering.scn", 3},
	{"majority-partition-heal.scn", 3},
	{"minority-partition.scn", 3},
	{"chaos-membership.scn", 4},
	{"snapshot-lost-chunks.scn", 2},
	{"snapshot-catch-up.scn", 1},
	{"compaction-under-load.scn", 1},
	{"learners-then-promote.scn", 2},
	{"replace-server.scn", 1},
	{"remove-leader.scn", 1},
	{"membership-during-partition.scn", 1},
	{"single-server-change-bug.scn", 1},
	{"install-older-snapshot.scn", 1},
	{"drop-suffix-on-snapshot.scn", 1},
	{"learner-votes.scn", 1},
	{"chaos-clients.scn", 2},
	{"retries-with-sessions.scn", 1},
	{"lease-reads.scn", 1},
	{"overload-admission.scn", 1},
	{"read-index-before-noop.scn", 1},
	{"hot-keys.scn", 1},
}

const goldenPath = "testdata/parity.golden"

func loadScenario(t testing.TB, name string) *scenario.Scenario {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(scenariosDir, name))
	require.NoError(t, err, "reading scenario %s (the working directory must be the package directory)", name)
	// The scenario is named by its base name, as the command line names it:
	// the header must not depend on where the checkout lives.
	sc, err := scenario.Parse(name, src)
	require.NoError(t, err, "parsing scenario %s", name)
	return sc
}

// buildTrace runs sc with seed, stopping at virtual time until (µs; 0: at
// the scenario's end), and returns its whole trace.
func buildTrace(t testing.TB, sc *scenario.Scenario, seed uint64, until int64) *trace.Trace {
	t.Helper()
	r, err := scenario.Run(sc, scenario.RunOptions{Seed: seed, SeedSet: true, Until: until, KeepEvents: true})
	require.NoError(t, err, "running %s seed %d", sc.File, seed)
	tr := &trace.Trace{
		Header: Header(sc, seed, 0, nil, until),
		Events: r.World.Events(),
		Footer: Footer(r),
	}
	require.Equal(t, r.Events, uint64(len(tr.Events)), "%s seed %d: the result counts %d events but keeps %d",
		sc.File, seed, r.Events, len(tr.Events))
	return tr
}

// parityLine is one golden line: "scenario seed events sha256", the hash
// taken over the canonical msgpack encoding of the whole trace.
func parityLine(t testing.TB, name string, seed uint64, tr *trace.Trace) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, tracefile.WriteMsgpack(&buf, tr), "encoding %s seed %d", name, seed)
	sum := sha256.Sum256(buf.Bytes())
	return fmt.Sprintf("%s %d %d %s", name, seed, len(tr.Events), hex.EncodeToString(sum[:]))
}

func TestParityTraces(t *testing.T) {
	var got []string
	for _, p := range parityScenarios {
		sc := loadScenario(t, p.file)
		for seed := uint64(1); seed <= p.seeds; seed++ {
			got = append(got, parityLine(t, p.file, seed, buildTrace(t, sc, seed, 0)))
		}
	}
	require.GreaterOrEqual(t, len(got), 20, "the parity test should cover at least 20 (scenario, seed) pairs")
	logUncovered(t)

	if *update {
		out := strings.Join(got, "\n") + "\n"
		require.NoError(t, os.MkdirAll(filepath.Dir(goldenPath), 0o755))
		require.NoError(t, os.WriteFile(goldenPath, []byte(out), 0o644))
		t.Logf("wrote %s: %d lines", goldenPath, len(got))
		return
	}

	want := readGolden(t)
	if msg := compareGolden(want, got); msg != "" {
		require.Fail(t, "traces differ from "+goldenPath, "%s\n\nIf the change is deliberate, regenerate it natively with\n"+
			"  go test -run TestParityTraces ./core/lab -update\nand check the WebAssembly run still passes.", msg)
	}
}

// logUncovered names scenario files that parityScenarios leaves out. It
// does not fail: a new scenario joins the parity test when it is appended to
// the list and the golden file is regenerated.
func logUncovered(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(scenariosDir, "*.scn"))
	require.NoError(t, err)
	for _, f := range files {
		name := filepath.Base(f)
		if !slices.ContainsFunc(parityScenarios, func(p paritySpec) bool { return p.file == name }) {
			t.Logf("%s is not in parityScenarios: append it and rerun with -update to cover it", name)
		}
	}
}

func readGolden(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(goldenPath)
	require.NoError(t, err, "reading the golden file (create it with -update)")
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	require.NoError(t, sc.Err())
	return lines
}

// compareGolden explains how got differs from want: the first line that
// differs, and every (scenario, seed) pair whose trace diverged, is missing
// or is new. It returns "" when they are equal.
func compareGolden(want, got []string) string {
	var b strings.Builder
	for i := range max(len(want), len(got)) {
		w, g := lineAt(want, i), lineAt(got, i)
		if w != g {
			fmt.Fprintf(&b, "first difference at line %d:\n  golden: %s\n  got:    %s\n", i+1, w, g)
			break
		}
	}
	if b.Len() == 0 {
		return ""
	}
	byKey := func(lines []string) map[string]string {
		m := make(map[string]string, len(lines))
		for _, l := range lines {
			m[lineKey(l)] = l
		}
		return m
	}
	wantBy := byKey(want)
	gotBy := byKey(got)
	for _, g := range got {
		k := lineKey(g)
		w, ok := wantBy[k]
		switch {
		case !ok:
			fmt.Fprintf(&b, "%s: not in the golden file (got %s)\n", k, g)
		case w != g:
			fmt.Fprintf(&b, "%s diverged:\n  golden: %s\n  got:    %s\n", k, w, g)
		}
	}
	for _, w := range want {
		if _, ok := gotBy[lineKey(w)]; !ok {
			fmt.Fprintf(&b, "%s: in the golden file but not run (%s)\n", lineKey(w), w)
		}
	}
	return b.String()
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(none)"
}

// lineKey names a golden line's pair: "scenario chaos.scn seed 3".
func lineKey(line string) string {
	f := strings.Fields(line)
	if len(f) < 2 {
		return fmt.Sprintf("line %q", line)
	}
	return fmt.Sprintf("scenario %s seed %s", f[0], f[1])
}

func TestCompareGoldenNamesDivergence(t *testing.T) {
	want := []string{"a.scn 1 10 aaaa", "a.scn 2 11 bbbb", "b.scn 1 12 cccc"}
	require.Empty(t, compareGolden(want, want))

	got := []string{"a.scn 1 10 aaaa", "a.scn 2 11 beef", "b.scn 1 12 cccc"}
	msg := compareGolden(want, got)
	require.Contains(t, msg, "first difference at line 2")
	require.Contains(t, msg, "scenario a.scn seed 2 diverged")
	require.Contains(t, msg, "got:    a.scn 2 11 beef")

	msg = compareGolden(want, append(got[:3:3], "c.scn 1 5 dddd"))
	require.Contains(t, msg, "scenario c.scn seed 1: not in the golden file")
	msg = compareGolden(want, want[:2])
	require.Contains(t, msg, "scenario b.scn seed 1: in the golden file but not run")
}

var eventDiffers = regexp.MustCompile(`event (\d+) differs`)

// TestReplayReproduces writes traces in both formats, reads them back and
// replays them: each must reproduce its events and hashes exactly. The runs
// are a whole leader-crash.scn, a whole chaos.scn (every fault drawn from
// the seed) and one stopped early (the header's until).
func TestReplayReproduces(t *testing.T) {
	formats := []struct {
		name  string
		write func(*bytes.Buffer, *trace.Trace) error
	}{
		{"msgpack", func(b *bytes.Buffer, tr *trace.Trace) error { return tracefile.WriteMsgpack(b, tr) }},
		{"jsonl", func(b *bytes.Buffer, tr *trace.Trace) error { return tracefile.WriteJSONL(b, tr) }},
	}
	runs := []struct {
		file  string
		seed  uint64
		until int64
	}{
		{"leader-crash.scn", 1, 0},
		{"chaos.scn", 2, 0},
		{"leader-crash.scn", 7, 4_000_000},
	}
	for _, run := range runs {
		tr := buildTrace(t, loadScenario(t, run.file), run.seed, run.until)
		for _, f := range formats {
			t.Run(fmt.Sprintf("%s/seed%d/until%d/%s", run.file, run.seed, run.until, f.name), func(t *testing.T) {
				var buf bytes.Buffer
				require.NoError(t, f.write(&buf, tr))
				back, err := tracefile.Read(&buf)
				require.NoError(t, err)
				require.Equal(t, tr.Header, back.Header)
				require.Equal(t, tr.Footer, back.Footer)
				require.Equal(t, len(tr.Events), len(back.Events))

				rep, err := Replay(back)
				require.NoError(t, err)
				require.True(t, rep.Same, "%s seed %d: %s", f.name, run.seed, rep.Divergence)
				require.Empty(t, rep.Divergence)
				require.Equal(t, tr.Footer, Footer(rep.Result))
			})
		}
	}
}

// TestReplayReportsDivergence tampers with a decoded trace and requires
// Replay to notice, naming the first event that differs.
func TestReplayReportsDivergence(t *testing.T) {
	tr := buildTrace(t, loadScenario(t, "leader-crash.scn"), 3, 0)
	var buf bytes.Buffer
	require.NoError(t, tracefile.WriteMsgpack(&buf, tr))
	encoded := buf.Bytes()
	decode := func(t *testing.T) *trace.Trace {
		back, err := tracefile.Read(bytes.NewReader(encoded))
		require.NoError(t, err)
		return back
	}

	t.Run("flipped event field", func(t *testing.T) {
		back := decode(t)
		i := len(back.Events) / 2
		back.Events[i].Node ^= 1
		rep, err := Replay(back)
		require.NoError(t, err)
		require.False(t, rep.Same)
		require.Contains(t, rep.Divergence, fmt.Sprintf("event %d differs", i))
	})

	t.Run("changed seed", func(t *testing.T) {
		back := decode(t)
		back.Header.Seed++
		rep, err := Replay(back)
		require.NoError(t, err)
		require.False(t, rep.Same)
		m := eventDiffers.FindStringSubmatch(rep.Divergence)
		require.NotNil(t, m, "the divergence should name an event index: %s", rep.Divergence)
	})

	t.Run("changed footer hash", func(t *testing.T) {
		back := decode(t)
		back.Footer.StateHash++
		rep, err := Replay(back)
		require.NoError(t, err)
		require.False(t, rep.Same)
		require.Contains(t, rep.Divergence, "state hash")
	})
}
