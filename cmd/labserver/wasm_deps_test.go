package main

import (
	"strings"
	"testing"
)

// The simulator's build (./wasm, the page's first download) leaves out what
// the page uses rarely or does elsewhere: the trace files and exporters (the
// file tools' build has them), shared links' deflate (the page's worker
// uses the browser's streams), and encoding/json in any smrlab package
// (core/minijson writes and reads its JSON). Each of these put back would
// cost tens of kilobytes of the download without any test noticing.
func TestSimulatorLeavesOutRarelyUsedPackages(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	out, err := output(root, []string{"GOOS=js", "GOARCH=wasm"}, goCommand(), "list", "-deps",
		"-f", `{{.ImportPath}} {{join .Imports " "}}`, "./wasm")
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{"compress/flate": true, "smrlab/core/tracefile": true,
		"smrlab/core/sharelink": true, "smrlab/core/export": true, "smrlab/wasm/files": true}
	packages := 0
	for line := range strings.Lines(out) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		packages++
		if left[fields[0]] {
			t.Errorf("the simulator's build links %s", fields[0])
		}
		if fields[0] == "smrlab" || strings.HasPrefix(fields[0], "smrlab/") {
			for _, imp := range fields[1:] {
				if imp == "encoding/json" {
					t.Errorf("%s imports encoding/json, which the simulator's build leaves out", fields[0])
				}
			}
		}
	}
	if packages < 20 {
		t.Fatalf("go list found %d packages; want the simulator's whole build:\n%s", packages, out)
	}
}
