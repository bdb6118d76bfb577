package scenario

import (
	"os"
	"testing"
	"smrlab/core/raft"
)

func TestTmp(t *testing.T) {
	src, _ := os.ReadFile("../../scenarios/" + os.Getenv("SCN"))
	sc, err := Parse(os.Getenv("SCN"), src)
	if err != nil {
		t.Fatal(err)
	}
	var bugs raft.Bugs
	if b := os.Getenv("BUG"); b != "" {
		x, err := raft.ParseBug(b)
		if err != nil { t.Fatal(err) }
		bugs = bugs.With(x)
	}
	fails := 0
	for seed := uint64(1); seed <= 500; seed++ {
		r, err := Run(sc, RunOptions{Seed: seed, SeedSet: true, Bugs: bugs})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Passed {
			fails++
			if fails < 8 {
			for _, o := range r.Outcomes {
				if !o.Passed { t.Logf("seed %d: %v", seed, o) }
			}
			}
		}
	}
	t.Logf("fails %d", fails)
}
