package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"smrlab/core/check"
	"smrlab/core/linear"
	"smrlab/core/raft"
	"smrlab/core/scenario"
	"smrlab/core/sim"
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
	// unknown is the linearizability check's summary when it could not
	// decide.
	unknown string
	// run is kept for a seed whose history is not linearizable, to write
	// Porcupine's visualization of it.
	run *scenario.Result
}

// htmlMax bounds how many visualizations one exploration writes.
const htmlMax = 5

func cmdExplore(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("explore", stdout)
	var rf runFlags
	rf.register(fs)
	seeds := fs.Uint64("seeds", 100, fmt.Sprintf("how many seeds to run (%d for a scenario with a swarm line)", scenario.SwarmSeeds))
	from := fs.Uint64("from", 1, "the first seed")
	workers := fs.Int("workers", runtime.NumCPU(), "how many seeds to run at once")
	htmlDir := fs.String("html", ".", "write Porcupine's visualization of each non-linearizable history "+
		"(the first five) into `DIR`")
	file, err := oneFile(fs, args)
	if err != nil {
		return err
	}
	if *seeds < 1 || *seeds > seedsMax || *workers < 1 || *workers > 1024 {
		return fmt.Errorf("--seeds must be 1 to %d and --workers 1 to 1024", seedsMax)
	}
	sc, err := loadScenario(file)
	if err != nil {
		return err
	}
	sc = rf.scenario(sc)
	if sc.Swarm != nil && !flagSet(fs, "seeds") {
		*seeds = scenario.SwarmSeeds
	}
	bugs, err := rf.parsedBugs()
	if err != nil {
		return err
	}
	extra, _, err := rf.actions(sc)
	if err != nil {
		return err
	}
	start := time.Now()
	var lin scenario.RunOptions
	rf.linearOptions(&lin)
	results := exploreSeeds(sc, bugs, extra, lin, *from, *seeds, *workers)
	printed, caught, violations, events, written, unknown := 0, 0, 0, uint64(0), 0, 0
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
		if r.unknown != "" {
			unknown++
			if !expectsLinearizable(sc) { // else its failed expectation says so
				fmt.Fprintf(stdout, "seed %d: %s\n", r.seed, r.unknown)
			}
		}
		for _, line := range r.report {
			fmt.Fprintln(stdout, line)
		}
		if r.run != nil && written < htmlMax {
			name := strings.TrimSuffix(filepath.Base(sc.File), ".scn")
			path := filepath.Join(*htmlDir, fmt.Sprintf("%s-seed%d-history.html", name, r.seed))
			if err := os.MkdirAll(*htmlDir, 0o755); err != nil {
				return err
			}
			if err := writeHistoryHTML(path, r.run); err != nil {
				return err
			}
			written++
			fmt.Fprintf(stdout, "seed %d: Porcupine's visualization of the history written to %s\n", r.seed, path)
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
	if unknown > 0 {
		fmt.Fprintf(stdout, "unknown   linearizability undecided on %d seeds: their check ran out of time or steps\n", unknown)
	}
	if printed > 0 {
		return exitError{1}
	}
	return nil
}

func expectsLinearizable(sc *scenario.Scenario) bool {
	return slices.ContainsFunc(sc.Expect, func(e scenario.Expectation) bool { return e.Kind == scenario.ExpectLinearizable })
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
func exploreSeeds(sc *scenario.Scenario, bugs raft.Bugs, extra []sim.Action, lin scenario.RunOptions, from, n uint64,
	workers int) <-chan exploreResult {
	jobs := make(chan uint64)
	done := make(chan exploreResult, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range jobs {
				done <- exploreOne(sc, bugs, extra, lin, seed)
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

func exploreOne(sc *scenario.Scenario, bugs raft.Bugs, extra []sim.Action, lin scenario.RunOptions, seed uint64) exploreResult {
	opt := scenario.RunOptions{Seed: seed, SeedSet: true, Bugs: bugs, Actions: extra,
		LinearTimeout: lin.LinearTimeout, LinearSteps: lin.LinearSteps}
	r, err := scenario.Run(sc, opt)
	if err != nil {
		return exploreResult{seed: seed, err: err}
	}
	res := exploreResult{seed: seed, events: r.Events}
	if r.Linear != nil && r.Linear.Verdict == linear.Unknown {
		res.unknown = linearSummary(*r.Linear)
	}
	inv := expectedViolation(sc)
	if v := r.Violation; v != nil {
		res.violated = true
		tag := "UNEXPECTED"
		if v.Invariant == inv {
			tag, res.caught = "expected", true
		}
		res.report = append(res.report, fmt.Sprintf("seed %d: violation %s (%s) at event %d, t=%s%s: %s",
			seed, v.Invariant, tag, v.Event, check.FormatMicros(v.Time), nodeList(v), v.Explanation))
		if v.Invariant == check.Linearizability {
			res.run = r
		}
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
	if len(v.Nodes) == 0 {
		return ""
	}
	parts := make([]string, len(v.Nodes))
	for i, id := range v.Nodes {
		parts[i] = id.String()
	}
	return ", on " + strings.Join(parts, ",")
}
