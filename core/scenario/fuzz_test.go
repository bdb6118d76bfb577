package scenario

import (
	"os"
	"path/filepath"
	"testing"

	"smrlab/core/sim"
)

// FuzzParse: no scenario text makes the parser panic, and whatever parses
// builds a world that runs (a second of it) without panicking.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../../scenarios/*.scn")
	for _, file := range files {
		if src, err := os.ReadFile(file); err == nil {
			f.Add(string(src))
		}
	}
	f.Add("servers 3\nat 1s partition S1 | S2 S3\nexpect leader S2 within 1s after 1s\n")
	f.Add("every 1us crash random\n")
	f.Add("at 0 net S1 <-> S2 latency=0..60s loss=100%\n")
	f.Fuzz(func(t *testing.T, src string) {
		sc, err := Parse("fuzz.scn", []byte(src))
		if err != nil {
			return
		}
		w, err := World(sc, RunOptions{})
		if err != nil {
			return
		}
		for i := 0; i < 20000 && w.Now() <= sim.Second && w.Step(); i++ {
		}
	})
}
