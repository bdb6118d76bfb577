package lesson

import (
	"slices"
	"testing"
	"time"

	"smrlab/core/lab"
)

const benchWorld = `world
  servers 5
  duration 1m
  options all election=150ms heartbeat=50ms
  network latency=1ms..5ms
  workload clients=4 rate=200/s writes=70% keys=8 timeout=500ms
seed 4`

// benchRun is 10s of virtual time of a busy five-server world.
const benchRun = 10_000_000

// typicalGoals is a step's checklist as the course writes them.
var typicalGoals = []string{"leader", "term >= 1", "committed 100 on majority", "committed last on all",
	"completed >= 100000", "did crash leader", "leader changed", "time >= 1m", "metric leader_changes_per_minute <= 10"}

func runBare(b *testing.B, l *Lesson) {
	s, err := lab.Open(l.WorldFile, l.WorldSource, lab.Options{Seed: l.Seed, SeedSet: true})
	if err != nil {
		b.Fatal(err)
	}
	s.Advance(benchRun)
}

func runPlayer(b *testing.B, l *Lesson) {
	p, err := Open(l, l.Seed, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Advance(benchRun); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkGoals measures goal evaluation's cost as a share of the
// simulation's. Each iteration runs the same 10s of a busy five-server world
// three ways back to back: bare (a lab.Session), through the player with a
// typical checklist (goals), and with the linearizability goal too (which
// checks the client history every second of virtual time). On a machine
// shared with other work, neighbouring runs are slowed alike: the benchmark
// reports the median, over iterations, of each run's extra time over the
// bare run of its iteration, in percent (the order of the runs alternates).
func BenchmarkGoals(b *testing.B) {
	bare := condLesson(b, benchWorld, "leader")
	goals := condLesson(b, benchWorld, typicalGoals...)
	lin := condLesson(b, benchWorld, append(append([]string{}, typicalGoals...), "linearizable")...)
	runs := []func(){func() { runBare(b, bare) }, func() { runPlayer(b, goals) }, func() { runPlayer(b, lin) }}
	var extraGoals, extraLin []float64
	var bareTotal time.Duration
	for i := 0; b.Loop(); i++ {
		var took [3]time.Duration
		for k := range runs {
			j := k
			if i%2 == 1 {
				j = len(runs) - 1 - k
			}
			start := time.Now()
			runs[j]()
			took[j] = time.Since(start)
		}
		bareTotal += took[0]
		extraGoals = append(extraGoals, 100*float64(took[1]-took[0])/float64(took[0]))
		extraLin = append(extraLin, 100*float64(took[2]-took[0])/float64(took[0]))
	}
	b.ReportMetric(float64(bareTotal.Microseconds())/1000/float64(len(extraGoals)), "bare-ms")
	b.ReportMetric(median(extraGoals), "goals-extra-%")
	b.ReportMetric(median(extraLin), "linearizable-extra-%")
}

func median(v []float64) float64 {
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}
