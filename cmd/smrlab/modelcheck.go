package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"smrlab/core/lab"
	"smrlab/core/modelcheck"
	"smrlab/core/raft"
	"smrlab/core/scenario"
	"smrlab/core/sharelink"
	"smrlab/core/trace"
	"smrlab/core/tracefile"
)

// labURL is where `make run` serves the lab; a counterexample's link opens there.
const labURL = "http://127.0.0.1:8080/"

func cmdModelcheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("modelcheck", stdout)
	var bugNames multiFlag
	fs.Var(&bugNames, "bug", "switch on bug toggle `NAME` on every server (repeatable; see smrlab bugs)")
	var boundsOf multiFlag
	fs.Var(&boundsOf, "bounds-of", "start from the bounds of bug toggle `NAME` without switching it on (the correct core, same bounds)")
	reconf := fs.Bool("reconfiguration", false, "start from the reconfiguration bounds: three servers and a spare, "+
		"two configuration changes (a joint change of voters, C_old,new then C_new), a crash")
	// Bounds given on the command line replace those the bug toggles start
	// from (modelcheck.BoundsFor); the others keep theirs.
	servers := fs.Int("servers", 0, "servers in the cluster (default 3)")
	spares := fs.Int("spares", 0, "spare machines outside the cluster, that a configuration change can add")
	changes := fs.Int("changes", 0, "configuration changes per path (reconfigure: add a voter or learner, promote, remove)")
	single := fs.Bool("single-server", false, "change voters one at a time (membership=single), not through joint configurations")
	term := fs.Uint64("max-term", 0, "a server campaigns only below this term")
	logLen := fs.Uint64("max-log", 0, "a leader takes proposals only while its log is shorter than this")
	inflight := fs.Int("max-inflight", 0, "nothing new is sent while this many messages are on the wire")
	crashes := fs.Int("crashes", 0, "crashes per path")
	timeouts := fs.Int("timeouts", 0, "election and heartbeat timeouts per path")
	drops := fs.Int("drops", 0, "messages lost per path")
	dups := fs.Int("duplicates", 0, "messages duplicated per path")
	depth := fs.Int("depth", 0, "steps per path")
	states := fs.Int("states", 0, "stop after this many distinct states (default 0: no bound)")
	diskSteps := fs.Bool("disk-steps", false, "make disk writes durable only at persist steps (a crash can fall between)")
	out := fs.String("out", ".", "write a counterexample's recording and scenario into `DIR`")
	quiet := fs.Bool("quiet", false, "print no progress, only the result")
	fs.Usage = func() { modelcheckUsage(fs) }
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "modelcheck takes no file (got %q): it builds its own cluster\n", pos[0])
		return exitError{2}
	}
	bugs, err := lab.ParseBugs(bugNames)
	if err != nil {
		fmt.Fprintf(stderr, "--bug: %v\n", err)
		return exitError{2}
	}
	boundsBugs, err := lab.ParseBugs(boundsOf)
	if err != nil {
		fmt.Fprintf(stderr, "--bounds-of: %v\n", err)
		return exitError{2}
	}
	boundsBugs |= bugs
	b := modelcheck.BoundsFor(boundsBugs)
	if *reconf {
		b = modelcheck.ReconfigurationBounds()
	}
	set := func(name string, apply func()) {
		if flagSet(fs, name) {
			apply()
		}
	}
	set("servers", func() { b.Servers = *servers })
	set("spares", func() { b.Spares = *spares })
	set("changes", func() { b.Changes = *changes })
	set("single-server", func() { b.SingleServer = *single })
	set("max-term", func() { b.Term = *term })
	set("max-log", func() { b.Log = *logLen })
	set("max-inflight", func() { b.InFlight = *inflight })
	set("crashes", func() { b.Crashes = *crashes })
	set("timeouts", func() { b.Timeouts = *timeouts })
	set("drops", func() { b.Drops = *drops })
	set("duplicates", func() { b.Duplicates = *dups })
	set("depth", func() { b.Depth = *depth })
	set("states", func() { b.States = *states })
	set("disk-steps", func() { b.DiskSteps = *diskSteps })
	if err := b.Validate(); err != nil {
		fmt.Fprintf(stderr, "modelcheck: %v\n", err)
		return exitError{2}
	}
	spare := ""
	if b.Spares > 0 {
		spare = fmt.Sprintf(" and %d spare machine(s)", b.Spares)
	}
	fmt.Fprintf(stdout, "exploring %d servers%s, bug toggles: %s\nbounds    %s\n", b.Servers, spare, bugs, b)
	start := time.Now()
	opt := modelcheck.Options{Elapsed: func() time.Duration { return time.Since(start) }}
	if !*quiet {
		opt.Progress = func(d int, states, frontier uint64, el time.Duration) {
			fmt.Fprintf(stdout, "  depth %3d  %10d states  %9d to expand  %8.1fs\n", d, states, frontier, el.Seconds())
		}
	}
	r, err := modelcheck.Explore(b, bugs, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "explored  %d states (%d steps taken) to depth %d in %.1fs: %.0f states per second\n",
		r.States, r.Transitions, r.Depth, r.Elapsed.Seconds(), r.StatesPerSecond())
	if r.Violation == nil {
		if r.Complete {
			fmt.Fprintf(stdout, "no violation: every state within the bounds was explored (%d states)\n", r.States)
		} else {
			fmt.Fprintf(stdout, "no violation in the %d states explored; the bounds cut the search at depth %d\n", r.States, r.Depth)
		}
		return nil
	}
	fmt.Fprintf(stdout, "VIOLATION after %d steps (a shortest path within the bounds):\n  %v\n", len(r.Path), r.Violation)
	for i, a := range r.Path {
		fmt.Fprintf(stdout, "  %3d. %s\n", i+1, strings.TrimPrefix(a, "at "))
	}
	if err := writeCounterexample(r, *out, stdout); err != nil {
		return err
	}
	return exitError{1}
}

// writeCounterexample writes a counterexample as a trace (the recording, its
// events and its outcome), as a scenario file, and prints a link that opens
// it in the lab at the violating step.
func writeCounterexample(r *modelcheck.Result, dir string, stdout io.Writer) error {
	src := r.Scenario + "expect violation " + r.Violation.Invariant + "\n"
	sc, err := scenario.Parse("modelcheck.scn", []byte(src))
	if err != nil {
		return fmt.Errorf("modelcheck: the counterexample's scenario: %w", err)
	}
	name := sc.Name
	h := lab.Header(sc, sc.Seed, 0, r.Path, r.Until())
	h.ScenarioName = name + ".scn"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tracePath := filepath.Join(dir, name+".trace")
	res, err := writeRecordingTrace(&h, tracePath)
	if err != nil {
		return err
	}
	if res.Violation == nil || res.Violation.Invariant != r.Violation.Invariant {
		return errors.New("modelcheck: the recording does not replay to the violation the explorer found")
	}
	text, err := lab.ScenarioOf(&h)
	if err != nil {
		return err
	}
	scnPath := filepath.Join(dir, name+".scn")
	if err := os.WriteFile(scnPath, []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote     %s (import it in the lab: it opens at step %d, the violation)\n", tracePath, len(r.Path))
	fmt.Fprintf(stdout, "wrote     %s (smrlab run %s)\n", scnPath, scnPath)
	if frag, err := sharelink.Encode(&h); err == nil {
		fmt.Fprintf(stdout, "open      %s#%s\n          (after make run)\n", labURL, frag)
	}
	return nil
}

// writeRecordingTrace re-runs a recording to its stop time and writes its
// whole trace (msgpack) to path.
func writeRecordingTrace(h *trace.Header, path string) (*scenario.Result, error) {
	in, err := lab.InputsOf(h)
	if err != nil {
		return nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	tw, err := tracefile.NewMsgpackWriter(f, *h)
	if err != nil {
		f.Close()
		return nil, err
	}
	in.Options.Sink = tw.WriteEvent
	res, err := scenario.Run(in.Scenario, in.Options)
	if err == nil {
		err = tw.Close(lab.Footer(res))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return res, err
}

// modelcheckUsage prints the flags and, for each bug the explorer reaches,
// the bounds that find it and the length of its shortest counterexample.
func modelcheckUsage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, "usage: smrlab modelcheck [--bug NAME]... [--bounds-of NAME | --reconfiguration] [bounds] [--out DIR]\n\n"+
		"Explore every behaviour of a small cluster within bounds, breadth first, every check in every\n"+
		"state; write the shortest counterexample as a trace, a scenario and a link. Bounds given as\n"+
		"flags replace those --bug or --bounds-of start from; the others keep theirs.\n\n")
	fmt.Fprintf(w, "Default bounds: %s\n", modelcheck.DefaultBounds())
	fmt.Fprintf(w, "--reconfiguration: %s\n\n", modelcheck.ReconfigurationBounds())
	fmt.Fprintf(w, "Bounds that find each bug (--bug NAME starts from them, --bounds-of NAME explores the\n"+
		"correct core within them) and the steps of its shortest counterexample there:\n")
	for _, r := range modelcheck.Reaches {
		b := modelcheck.BoundsFor(raft.Bugs(0).With(r.Bug))
		where := b.String()
		steps := fmt.Sprintf("%2d steps", r.Steps)
		switch {
		case r.Default:
			where = "the default bounds find it too; " + where
		case r.Long:
			where += " (about 980,000 states: minutes)"
		}
		fmt.Fprintf(w, "  %-38s %10s  %s\n", r.Bug.Name(), steps, where)
	}
	fmt.Fprintf(w, "  (the correct core passes every one of these bounds; make explore runs them all)\n")
	fmt.Fprintf(w, "Out of reach: %s.\n\nFlags:\n", modelcheck.OutOfReach)
	fs.PrintDefaults()
}
