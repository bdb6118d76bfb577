package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"smrlab/core/export"
	"smrlab/core/scenario"
	"smrlab/core/tracefile"
)

// ednLine is one line of a Jepsen history as core/export writes it.
var ednLine = regexp.MustCompile(`^\{:type :(invoke|ok|fail|info), :f :[a-z]+, :value \["[^"]*" (nil|"(?:[^"\\]|\\.)*")\], ` +
	`:process \d+, :time \d+, :index \d+(, :error "(?:[^"\\]|\\.)*")?\}$`)

// The Export menu downloads every format, and each is what the command line
// exports from the same trace, byte for byte; the saved scenario runs to
// the page's state.
func TestBrowserExportMenu(t *testing.T) {
	p := newPage(t)
	p.openPaused("?seed=5")
	dl := p.allowDownloads()
	p.advanceTo(1 * second)
	if st := p.typeAct("crash S1"); !strings.HasPrefix(st, "✓") {
		t.Fatalf("act-status %q", st)
	}
	p.advanceTo(2*second + 500*ms)
	want := p.stateHash()

	exportVia := func(id string) (string, []byte) {
		return p.download(dl, func() {
			p.clickCSS("#export-menu > summary")
			p.click(id)
		})
	}
	_, jsonl := exportVia("export-jsonl")
	tr, err := tracefile.Read(bytes.NewReader(jsonl))
	if err != nil {
		t.Fatalf("the .jsonl export does not read back: %v", err)
	}
	for _, f := range export.Formats() {
		if f.Name == "jsonl" || f.Name == "msgpack" {
			continue // TestBrowserExportImportReproduces covers the trace files
		}
		path, got := exportVia("export-" + f.Name)
		if filepath.Ext(path) != f.Ext {
			t.Errorf("%s: downloaded %s, want the extension %s", f.Name, filepath.Base(path), f.Ext)
		}
		var native bytes.Buffer
		if err := export.Write(&native, f.Name, tr); err != nil {
			t.Fatalf("%s: exporting the page's trace natively: %v", f.Name, err)
		}
		if !bytes.Equal(got, native.Bytes()) {
			t.Errorf("%s: the page's export (%d B) differs from the native export of its trace (%d B)", f.Name,
				len(got), native.Len())
		}
		if !strings.Contains(p.text("file-status"), "✓ "+f.Name+" export saved") {
			t.Errorf("%s: file-status %q", f.Name, p.text("file-status"))
		}
		switch f.Name {
		case "perfetto":
			checkPerfettoJSON(t, got)
		case "edn":
			lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
			if len(lines) < 4 {
				t.Errorf("edn: %d lines, want a client history", len(lines))
			}
			for i, l := range lines {
				if !ednLine.MatchString(l) {
					t.Errorf("edn line %d is not a history map: %q", i+1, l)
					break
				}
			}
		}
	}

	path, scn := exportVia("export-scenario")
	if filepath.Ext(path) != ".scn" {
		t.Errorf("the scenario downloaded as %s", filepath.Base(path))
	}
	sc, err := scenario.Parse(filepath.Base(path), scn)
	if err != nil {
		t.Fatalf("the saved scenario does not parse: %v\n%s", err, scn)
	}
	r, err := scenario.Run(sc, scenario.RunOptions{})
	if err != nil {
		t.Fatalf("the saved scenario does not run: %v", err)
	}
	if got := fmt.Sprintf("%016x", r.StateHash); got != want {
		t.Errorf("the saved scenario runs to state %s, the page was at %s", got, want)
	}
	p.noBanner()
}

// checkPerfettoJSON checks the Trace Event Format's outline: events with
// phases, named threads, and flows that start and finish in pairs.
func checkPerfettoJSON(t *testing.T, data []byte) {
	t.Helper()
	var f struct {
		TraceEvents []struct {
			Name string          `json:"name"`
			Ph   string          `json:"ph"`
			Ts   *float64        `json:"ts"`
			Tid  *int            `json:"tid"`
			ID   json.RawMessage `json:"id"`
		} `json:"traceEvents"`
		DisplayTimeUnit string `json:"displayTimeUnit"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("perfetto: not JSON: %v", err)
	}
	count := map[string]int{}
	flows := map[string]int{}
	for _, e := range f.TraceEvents {
		if e.Ph == "" || e.Ts == nil || e.Tid == nil {
			t.Fatalf("perfetto: event %q lacks ph, ts or tid", e.Name)
		}
		count[e.Ph]++
		if e.Name == "thread_name" {
			count["thread_name"]++
		}
		switch e.Ph {
		case "s":
			flows[string(e.ID)]++
		case "f":
			flows[string(e.ID)]--
		}
	}
	if count["X"] == 0 || count["s"] == 0 || count["thread_name"] < 6 || f.DisplayTimeUnit == "" {
		t.Errorf("perfetto: phases %v, displayTimeUnit %q: want spans, flows and a named thread per server and client",
			count, f.DisplayTimeUnit)
	}
	for id, n := range flows {
		if n != 0 {
			t.Errorf("perfetto: flow %s starts and finishes unevenly (%+d)", id, n)
			break
		}
	}
}
