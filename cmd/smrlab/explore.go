package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"smrlab/core/check"
	"smrlab/core/raft"
	"smrlab/core/scenario"
)

// seedsMax bounds one exploration.
const seedsMax = 10_000_000

// exploreResult is what one seed showed.
type exploreResult struct {
	seed     uint64
	report   []string
	caught   bool // the expected violation was seen
	events   uint64
	err      error
	violated bool
}

func cmdExplore(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("explore", stdout)
	var rf runFlags
	rf.register(fs)
	seeds := fs.Uint64("seeds", 100, "how many seeds to run")
	from := fs.Uint64("from", 1, "the first seed")
	workers := fs.Int("workers", runtime.NumCPU(), "how many seeds to run at once")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitError{2}
	}
	if *seeds < 1 || *seeds > seedsMax || *workers < 1 || *workers > 1024 {
		return fmt.Errorf("--seeds must be 1 to %d and --workers 1 to 1024", seedsMax)
	}
	sc, err := loadScenario(pos[0])
	if err != nil {
		return err
	}
	bugs, err := rf.parsedBugs()
	if err != nil {
		return err
	}
	start := time.Now()
	results := exploreSeeds(sc, bugs, *from, *seeds, *workers)
	printed, caught, violations, events := 0, 0, 0, uint64(0)
	for r := range results {
		if r.err != nil {
			return fmt.Errorf("seed %d: %w", r.seed, r.err)
		}
		events += r.events
		if r.caught {
			caught++
		}
		if r.violated {
			violations++
		}
		for _, line := range r.report {
			fmt.Fprintln(stdout, line)
		}
		if len(r.report) > 0 {
			printed++
		}
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stdout, "explored  %d seeds (%d..%d) of %s in %.1fs on %d workers: %.0f seeds/s, %.2fM events/s\n",
		*seeds, *from, *from+*seeds-1, sc.File, secs, *workers, float64(*seeds)/secs, float64(events)/secs/1e6)
	if inv := expectedViolation(sc); inv != "" {
		fmt.Fprintf(stdout, "expected  violation %s caught on %d of %d seeds\n", inv, caught, *seeds)
	}
	fmt.Fprintf(stdout, "found     %d seeds with a violation, %d seeds printed\n", violations, printed)
	if printed > 0 {
		return exitError{1}
	}
	return nil
}

func expectedViolation(sc *scenario.Scenario) string {
	for _, e := range sc.Expect {
		if e.Kind == scenario.ExpectViolation {
			return e.Invariant
		}
	}
	return ""
}

// exploreSeeds runs the seeds on workers and yields the results in seed order.
func exploreSeeds(sc *scenario.Scenario, bugs raft.Bugs, from, n uint64, workers int) <-chan exploreResult {
	jobs := make(chan uint64)
	done := make(chan exploreResult, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range jobs {
				done <- exploreOne(sc, bugs, seed)
			}
		}()
	}
	go func() {
		for s := from; s < from+n; s++ {
			jobs <- s
		}
		close(jobs)
		wg.Wait()
		close(done)
	}()
	ordered := make(chan exploreResult)
	go func() {
		pending := map[uint64]exploreResult{}
		next := from
		for r := range done {
			pending[r.seed] = r
			for {
				x, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				ordered <- x
				next++
			}
		}
		close(ordered)
	}()
	return ordered
}

func exploreOne(sc *scenario.Scenario, bugs raft.Bugs, seed uint64) exploreResult {
	opt := scenario.RunOptions{Seed: seed, SeedSet: true, Bugs: bugs}
	r, err := scenario.Run(sc, opt)
	if err != nil {
		return exploreResult{seed: seed, err: err}
	}
	res := exploreResult{seed: seed, events: r.Events}
	inv := expectedViolation(sc)
	if v := r.Violation; v != nil {
		res.violated = true
		tag := "UNEXPECTED"
		if v.Invariant == inv {
			tag, res.caught = "expected", true
		}
		res.report = append(res.report, fmt.Sprintf("seed %d: violation %s (%s) at event %d, t=%s, on %s: %s",
			seed, v.Invariant, tag, v.Event, check.FormatMicros(v.Time), nodeList(v), v.Explanation))
	}
	for _, o := range r.Outcomes {
		if o.Passed || o.Kind == scenario.ExpectViolation || o.Kind == scenario.ExpectNoViolation {
			continue
		}
		if r.Violation != nil && strings.HasPrefix(o.Detail, "not reached") {
			continue
		}
		res.report = append(res.report, fmt.Sprintf("seed %d: expectation failed: %s", seed, strings.TrimSpace(o.String()[4:])))
	}
	return res
}

func nodeList(v *check.Violation) string {
	parts := make([]string, len(v.Nodes))
	for i, id := range v.Nodes {
		parts[i] = id.String()
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}
