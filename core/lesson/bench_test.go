package lesson

import (
	"testing"

	"smrlab/core/lab"
)

const benchWorld = `world
  servers 5
  duration 1m
  options all election=150ms heartbeat=50ms
  network latency=1ms..5ms
  workload clients=4 rate=200/s writes=70% keys=8 timeout=500ms
seed 4`

// BenchmarkGoals measures goal evaluation's cost as a share of the
// simulation's: the same 10s of a busy five-server world run bare
// (without-goals), through the player with a typical checklist (goals), and
// with the linearizability goal too (goals-linearizable), which checks the
// client history every second of virtual time. Compare the ns/op of the
// sub-benchmarks of one run.
func BenchmarkGoals(b *testing.B) {
	const run = 10_000_000
	typical := []string{"leader", "term >= 1", "committed 100 on majority", "committed last on all",
		"completed >= 100000", "did crash leader", "leader changed", "time >= 1m", "metric leader_changes_per_minute <= 10"}
	b.Run("without-goals", func(b *testing.B) {
		l := condLesson(b, benchWorld, "leader")
		for b.Loop() {
			s, err := lab.Open(l.WorldFile, l.WorldSource, lab.Options{Seed: l.Seed, SeedSet: true})
			if err != nil {
				b.Fatal(err)
			}
			s.Advance(run)
		}
	})
	for _, c := range []struct {
		name  string
		conds []string
	}{{"goals", typical}, {"goals-linearizable", append(typical, "linearizable", "no-violation")}} {
		b.Run(c.name, func(b *testing.B) {
			l := condLesson(b, benchWorld, c.conds...)
			for b.Loop() {
				p, err := Open(l, l.Seed, 0)
				if err != nil {
					b.Fatal(err)
				}
				if err := p.Advance(run); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
