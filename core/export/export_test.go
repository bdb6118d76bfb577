package export_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/export"
	"smrlab/core/lab"
	"smrlab/core/linear"
	"smrlab/core/scenario"
	"smrlab/core/trace"
	"smrlab/core/tracefile"
)

// To accept new golden files after a deliberate change of an exporter:
//
//	go test ./core/export -update
var update = flag.Bool("update", false, "rewrite testdata/*.golden from this run")

// tinyScenario is short enough for golden files, and has what every
// exporter shows: an election, a crash and a restart, clients with two
// operations in flight, appends, timeouts and give-ups.
const tinyScenario = `name tiny
servers 3
duration 1200ms
options all prevote=on checkquorum=on election=150ms heartbeat=50ms
network latency=1ms..5ms
workload clients=2 inflight=2 rate=40/s writes=60% appends=50% keys=3 timeout=150ms attempts=2

at 500ms crash leader
at 800ms restart all
`

// runTrace runs a scenario and returns its whole trace.
func runTrace(t testing.TB, name, src string) *trace.Trace {
	t.Helper()
	sc, err := scenario.Parse(name, []byte(src))
	require.NoError(t, err)
	r, err := scenario.Run(sc, scenario.RunOptions{KeepEvents: true})
	require.NoError(t, err)
	return &trace.Trace{Header: lab.Header(sc, sc.Seed, 0, nil, 0), Events: r.World.Events(), Footer: lab.Footer(r)}
}

func tiny(t testing.TB) *trace.Trace { return runTrace(t, "tiny.scn", tinyScenario) }

func export1(t testing.TB, format string, tr *trace.Trace) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, export.Write(&buf, format, tr), "exporting %s", format)
	return buf.Bytes()
}

// TestGolden compares every format's export of the tiny scenario with its
// golden file.
func TestGolden(t *testing.T) {
	tr := tiny(t)
	for _, f := range export.Formats() {
		t.Run(f.Name, func(t *testing.T) {
			got := export1(t, f.Name, tr)
			path := filepath.Join("testdata", "tiny."+f.Name+".golden")
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(path, got, 0o644))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "reading the golden file (create it with go test ./core/export -update)")
			if !bytes.Equal(got, want) {
				t.Fatalf("%s export differs from %s (%d bytes, want %d); if the change is deliberate, accept it with\n"+
					"  go test ./core/export -update", f.Name, path, len(got), len(want))
			}
		})
	}
}

// TestDeterministic: the same trace exports to the same bytes every time.
func TestDeterministic(t *testing.T) {
	tr := tiny(t)
	for _, f := range export.Formats() {
		require.Equal(t, export1(t, f.Name, tr), export1(t, f.Name, tr), f.Name)
	}
}

func TestFormats(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range export.Formats() {
		require.False(t, seen[f.Name], "format %s listed twice", f.Name)
		seen[f.Name] = true
		require.True(t, strings.HasPrefix(f.Ext, "."), f.Name)
		require.NotEmpty(t, f.MIME, f.Name)
		require.NotEmpty(t, f.Description, f.Name)
	}
	for _, name := range []string{"perfetto", "edn", "shiviz", "porcupine", "timeline", "jsonl", "msgpack"} {
		require.True(t, seen[name], "format %s missing", name)
	}
}

func TestUnknownFormat(t *testing.T) {
	err := export.Write(&bytes.Buffer{}, "svg", tiny(t))
	require.ErrorContains(t, err, `unknown export format "svg"`)
	require.ErrorContains(t, err, "perfetto, edn, shiviz, porcupine, timeline, jsonl, msgpack")
	require.Error(t, export.Write(&bytes.Buffer{}, "edn", nil))
}

// TestPerfettoValid parses the export back and checks the Trace Event
// Format's rules; TestPerfettoValidatorRejects proves the check can fail.
func TestPerfettoValid(t *testing.T) {
	for _, tr := range []*trace.Trace{tiny(t), shipped(t, "leader-crash.scn", 3*1_000_000)} {
		require.NoError(t, validatePerfetto(export1(t, "perfetto", tr)), tr.Header.ScenarioName)
	}
}

func TestEDNValid(t *testing.T) {
	tr := tiny(t)
	out := export1(t, "edn", tr)
	require.NoError(t, validateEDN(out))
	for _, want := range []string{":type :invoke", ":type :ok", ":type :info", ":f :read", ":f :write", ":f :append"} {
		require.Contains(t, string(out), want)
	}
	calls := 0
	for _, e := range tr.Events {
		if e.Kind == trace.ClientCall {
			calls++
		}
	}
	require.Equal(t, 2*calls, bytes.Count(out, []byte("\n")), "an invoke and a completion per operation")
}

func TestShiVizValid(t *testing.T) {
	for _, tr := range []*trace.Trace{tiny(t), shipped(t, "lossy-reordering.scn", 2*1_000_000)} {
		require.NoError(t, validateShiViz(export1(t, "shiviz", tr)), tr.Header.ScenarioName)
	}
}

func TestPorcupineHTML(t *testing.T) {
	tr := tiny(t)
	h, err := export.ReplayHistory(tr)
	require.NoError(t, err)
	out := string(export1(t, "porcupine", tr))
	require.Contains(t, out, "<html")
	// Every operation that may have happened is in the visualization's
	// data, described by the model (a failed one did not happen, and a get
	// without a result says nothing).
	shown := 0
	for _, op := range h.Ops() {
		if op.Outcome == linear.Failed || op.Kind == linear.Get && op.Outcome != linear.OK {
			continue
		}
		shown++
		// An indeterminate one says so after its number.
		require.Regexp(t, fmt.Sprintf(`"Metadata":"client %d, op %d[",]`, op.Client, op.ID), out)
		require.Contains(t, out, fmt.Sprintf(`\"%s\"`, op.Key))
		if op.Value != "" {
			require.Contains(t, out, op.Value)
		}
	}
	require.Positive(t, shown)
	noClients := runTrace(t, "quiet.scn", "servers 3\nduration 300ms\n")
	err = export.Write(&bytes.Buffer{}, "porcupine", noClients)
	require.ErrorContains(t, err, "no client operations")
}

func TestTimelineLines(t *testing.T) {
	tr := tiny(t)
	ticks := 0
	for _, e := range tr.Events {
		if e.Kind == trace.Tick {
			ticks++
		}
	}
	require.Positive(t, ticks)
	out := export1(t, "timeline", tr)
	require.Equal(t, len(tr.Events)-ticks, bytes.Count(out, []byte("\n")))
	require.NotContains(t, string(out), " tick\n")
}

// TestTraceFilesRoundTrip reads the jsonl and msgpack exports back.
func TestTraceFilesRoundTrip(t *testing.T) {
	tr := tiny(t)
	for _, f := range []string{"jsonl", "msgpack"} {
		got, err := tracefile.Read(bytes.NewReader(export1(t, f, tr)))
		require.NoError(t, err, f)
		require.Equal(t, tr.Header.Scenario, got.Header.Scenario, f)
		require.Equal(t, tr.Header.Seed, got.Header.Seed, f)
		require.Equal(t, tr.Events, got.Events, f)
		require.Equal(t, tr.Footer, got.Footer, f)
	}
}

// TestHistoryOfAnotherRun: a trace whose events its inputs do not
// reproduce has no client history to export.
func TestHistoryOfAnotherRun(t *testing.T) {
	tr := tiny(t)
	forged := *tr
	forged.Header.Seed++
	err := export.Write(&bytes.Buffer{}, "edn", &forged)
	require.ErrorContains(t, err, "re-running the trace's inputs gives")
	forged.Header.Scenario = "servers two"
	err = export.Write(&bytes.Buffer{}, "porcupine", &forged)
	require.ErrorContains(t, err, "does not parse")
}

// TestGivenHistory: a caller's history (the browser session's) is used as
// given, with no re-run.
func TestGivenHistory(t *testing.T) {
	tr := tiny(t)
	h, err := export.ReplayHistory(tr)
	require.NoError(t, err)
	forged := *tr
	forged.Header.Seed++ // would not replay
	var buf bytes.Buffer
	require.NoError(t, export.WriteWith(&buf, "edn", &forged, export.Options{History: func() (*linear.History, error) { return h, nil }}))
	require.Equal(t, export1(t, "edn", tr), buf.Bytes())
}

// shipped runs a shipped scenario up to until.
func shipped(t testing.TB, name string, until int64) *trace.Trace {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "scenarios", name))
	require.NoError(t, err)
	sc, err := scenario.Parse(name, src)
	require.NoError(t, err)
	r, err := scenario.Run(sc, scenario.RunOptions{KeepEvents: true, Until: until})
	require.NoError(t, err)
	return &trace.Trace{Header: lab.Header(sc, sc.Seed, 0, nil, until), Events: r.World.Events(), Footer: lab.Footer(r)}
}

// BenchmarkExport measures each exporter on a shipped scenario's whole run.
func BenchmarkExport(b *testing.B) {
	tr := shipped(b, "leader-crash.scn", 0)
	for _, f := range export.Formats() {
		b.Run(f.Name, func(b *testing.B) {
			for b.Loop() {
				var buf bytes.Buffer
				if err := export.Write(&buf, f.Name, tr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestOddTraces: traces no run makes (a hand-edited file) export without
// a panic, and the JSON stays JSON.
func TestOddTraces(t *testing.T) {
	tr := &trace.Trace{Header: trace.NewHeader(), Events: []trace.Event{
		{Seq: 0, Time: -5, Kind: trace.Role, Node: 1, Count: 200, Term: 3},
		{Seq: 1, Time: 7, Kind: trace.Deliver, Node: 2, Peer: 1, ID: 99},
		{Seq: 2, Time: 8, Kind: trace.ClientReturn, Node: 101, ID: 4},
		{Seq: 3, Time: 9, Kind: trace.ClientCall, Node: 101, ID: 5, Msg: 9},
		{Seq: 4, Time: 9, Kind: trace.ClientCall, Node: 101, ID: 5, Msg: 9},
		{Seq: 5, Time: 10, Kind: trace.Crash, Node: 3},
		{Seq: 6, Time: 10, Kind: trace.Term, Node: 3, Term: 4},
		{Seq: 7, Time: 11, Kind: trace.Send, Node: 1, Peer: 2, ID: 1, Text: "a\nb"},
	}, Footer: trace.Footer{Events: 8, EndTime: 20}}
	for _, f := range []string{"perfetto", "shiviz", "timeline"} {
		out := export1(t, f, tr)
		if f == "perfetto" {
			require.NoError(t, validatePerfetto(out))
		}
	}
	var buf bytes.Buffer
	history := func() (*linear.History, error) { return nil, nil }
	require.NoError(t, export.WriteWith(&buf, "edn", tr, export.Options{History: history}))
	require.NoError(t, validateEDN(buf.Bytes()))
	require.ErrorContains(t, export.WriteWith(&buf, "porcupine", tr, export.Options{History: history}), "no client operations")
}
