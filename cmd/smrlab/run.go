package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"smrlab/core/check"
	"smrlab/core/lab"
	"smrlab/core/linear"
	"smrlab/core/raft"
	"smrlab/core/scenario"
	"smrlab/core/sim"
	"smrlab/core/trace"
	"smrlab/core/tracefile"
)

// loadScenario reads and parses a scenario file.
func loadScenario(path string) (*scenario.Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, scenario.SourceBytesMax+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return scenario.Parse(path, src)
}

// runFlags are the flags run and explore share.
type runFlags struct {
	bugs          multiFlag
	nemesis       string
	linearTimeout time.Duration
	linearSteps   uint64
	noSwarm       bool
}

func (rf *runFlags) register(fs *flag.FlagSet) {
	fs.Var(&rf.bugs, "bug", "switch a bug toggle on in every server (repeatable; 'smrlab bugs' lists them)")
	fs.StringVar(&rf.nemesis, "nemesis", "", "run these nemeses (comma-separated, or all; 'smrlab nemeses' lists them) "+
		"from 1s to 70% of the scenario's duration")
	fs.DurationVar(&rf.linearTimeout, "linear-timeout", linear.DefaultTimeout,
		"bound the linearizability check of the client history to `D` of wall-clock time")
	fs.Uint64Var(&rf.linearSteps, "linear-steps", 0,
		"also bound the linearizability check to `N` search steps per key (0: no bound), which decides the same on every machine")
	fs.BoolVar(&rf.noSwarm, "no-swarm", false, "run a swarm scenario with its own knobs instead of drawing them from each seed")
}

// linearOptions sets the linearizability check's bounds from the flags.
func (rf *runFlags) linearOptions(opt *scenario.RunOptions) {
	opt.LinearTimeout, opt.LinearSteps = rf.linearTimeout, rf.linearSteps
}

// scenario applies the flags that change the scenario itself.
func (rf *runFlags) scenario(sc *scenario.Scenario) *scenario.Scenario {
	if rf.noSwarm {
		return sc.WithoutSwarm()
	}
	return sc
}

func (rf *runFlags) parsedBugs() (raft.Bugs, error) { return lab.ParseBugs(rf.bugs) }

// actions are the extra actions the flags ask for, with their text for a
// trace's header.
func (rf *runFlags) actions(sc *scenario.Scenario) ([]sim.Action, []string, error) {
	if rf.nemesis == "" {
		return nil, nil, nil
	}
	until := max(sc.Duration*7/10, 2*sim.Second)
	text := fmt.Sprintf("at 1s nemesis %s every 300ms..1500ms until %s", rf.nemesis, check.FormatMicros(until))
	a, err := scenario.ParseAction(text, sc.Config.Servers, sc.Config.Net)
	if err != nil {
		return nil, nil, fmt.Errorf("--nemesis: %w", err)
	}
	return []sim.Action{a}, []string{text}, nil
}

// writeHistoryHTML writes Porcupine's visualization of a run's client
// history to path.
func writeHistoryHTML(path string, r *scenario.Result) error {
	h := r.World.History()
	if h == nil {
		return fmt.Errorf("--html: %s has no clients, so no client history", r.Scenario.File)
	}
	ops := h.Ops()
	res := linear.Check(ops, 0)
	if r.Linear != nil {
		res = *r.Linear
	}
	return writeHTMLFile(path, ops, res)
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func parseDetail(s string) (trace.Detail, error) {
	switch s {
	case "protocol":
		return trace.DetailProtocol, nil
	case "messages":
		return trace.DetailMessages, nil
	case "all":
		return trace.DetailAll, nil
	}
	return 0, fmt.Errorf("--detail %q: want protocol, messages or all", s)
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stdout)
	var rf runFlags
	rf.register(fs)
	seed := fs.Uint64("seed", 0, "the seed (default: the scenario's own)")
	tracePath := fs.String("trace", "", "write the trace to `OUT` (JSON Lines if it ends in .jsonl, else msgpack)")
	detail := fs.String("detail", "protocol", "timeline detail: protocol, messages or all")
	quiet := fs.Bool("quiet", false, "print the summary only, not the timeline")
	html := fs.String("html", "", "write Porcupine's visualization of the client history to `FILE`")
	file, err := oneFile(fs, args)
	if err != nil {
		return err
	}
	d, err := parseDetail(*detail)
	if err != nil {
		return err
	}
	sc, err := loadScenario(file)
	if err != nil {
		return err
	}
	sc = rf.scenario(sc)
	bugs, err := rf.parsedBugs()
	if err != nil {
		return err
	}
	extra, texts, err := rf.actions(sc)
	if err != nil {
		return err
	}
	opt := scenario.RunOptions{Seed: *seed, SeedSet: flagSet(fs, "seed"), Bugs: bugs, KeepEvents: !*quiet,
		Actions: extra}
	rf.linearOptions(&opt)
	start := time.Now()
	r, err := runWithTrace(sc, opt, *tracePath, texts)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	if !*quiet {
		if err := trace.WriteTimeline(stdout, r.World.Events(), d); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
	}
	printSummary(stdout, r, elapsed)
	if *tracePath != "" {
		fmt.Fprintf(stdout, "trace     written to %s\n", *tracePath)
	}
	if *html != "" {
		if err := writeHistoryHTML(*html, r); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "history   Porcupine's visualization written to %s\n", *html)
	} else if r.Violation != nil && r.Violation.Invariant == check.Linearizability {
		fmt.Fprintln(stdout, "history   rerun with --html FILE to see the history in Porcupine's visualization")
	}
	if !r.Passed {
		return exitError{1}
	}
	return nil
}

// runWithTrace runs a scenario, streaming its trace to path if one is given.
func runWithTrace(sc *scenario.Scenario, opt scenario.RunOptions, path string, actions []string) (*scenario.Result, error) {
	if path == "" {
		return scenario.Run(sc, opt)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	seed := sc.Seed
	if opt.SeedSet {
		seed = opt.Seed
	}
	h := lab.Header(sc, seed, opt.Bugs, actions, 0)
	newWriter := tracefile.NewMsgpackWriter
	if strings.EqualFold(filepath.Ext(path), ".jsonl") {
		newWriter = tracefile.NewJSONLWriter
	}
	tw, err := newWriter(f, h)
	if err != nil {
		f.Close()
		return nil, err
	}
	opt.Sink = tw.WriteEvent
	r, err := scenario.Run(sc, opt)
	if err == nil {
		err = tw.Close(lab.Footer(r))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", path, err)
	}
	return r, nil
}

func printSummary(w io.Writer, r *scenario.Result, elapsed time.Duration) {
	sc, st := r.Scenario, r.World.Stats()
	name := sc.Name
	if name == "" {
		name = filepath.Base(sc.File)
	}
	fmt.Fprintf(w, "scenario  %s (%s), seed %d, bug toggles: %s\n", name, sc.File, r.Seed, bugList(r))
	if sc.Description != "" {
		fmt.Fprintf(w, "          %s\n", sc.Description)
	}
	if len(r.Knobs) > 0 {
		fmt.Fprintf(w, "swarm     the knobs seed %d drew (smrlab run %s --seed %d draws them again):\n", r.Seed, sc.File, r.Seed)
		for _, k := range r.Knobs {
			fmt.Fprintf(w, "            %s\n", k)
		}
	}
	fmt.Fprintf(w, "ran       %s of virtual time, %d events, in %s\n", trace.FormatTime(r.EndTime), r.Events,
		elapsed.Round(time.Microsecond))
	fmt.Fprintf(w, "hashes    events %016x, state %016x\n", r.EventsHash, r.StateHash)
	first := "never"
	if st.FirstLeaderAt >= 0 {
		first = check.FormatMicros(st.FirstLeaderAt)
	}
	fmt.Fprintf(w, "elections %d elections, %d leaders elected, first leader at %s\n", st.Elections, st.LeaderChanges, first)
	fmt.Fprintf(w, "faults    %d crashes, %d restarts\n", st.Crashes, st.Restarts)
	if st.Snapshots+st.SnapshotsInstalled+st.MembershipChanges > 0 {
		fmt.Fprintf(w, "snapshots %d taken, %d installed from a leader, %d failed transfers (snapshot_install_failures)\n",
			st.Snapshots, st.SnapshotsInstalled, st.SnapshotInstallFailures)
		fmt.Fprintf(w, "members   %d membership changes done; configuration now %v\n", st.MembershipChanges,
			r.World.LatestConfig())
	}
	fmt.Fprintf(w, "network   %d sent, %d delivered, %d dropped, %d duplicated\n", st.Sent, st.Delivered, st.Dropped, st.Duplicated)
	if st.OpsStarted > 0 {
		fmt.Fprintf(w, "clients   %d operations, %d returned, %d retries, %d proposals; latency p50 %s, p99 %s, max %s\n",
			st.OpsStarted, st.OpsOK, st.OpsRetried, st.Proposals, pct(st.OpLatencies.Samples, 50), pct(st.OpLatencies.Samples, 99), pct(st.OpLatencies.Samples, 100))
	}
	if q := &st.QuorumAcks; len(q.Samples) > 0 {
		fmt.Fprintf(w, "commits   quorum acknowledgement latency p50 %s, p99 %s (latest %d entries)\n",
			check.FormatMicros(q.Percentile(50)), check.FormatMicros(q.Percentile(99)), len(q.Samples))
	}
	for _, l := range r.Liveness {
		fmt.Fprintf(w, "watchdog  %s\n", l.Explanation)
	}
	if r.Linear != nil {
		fmt.Fprintf(w, "history   %s\n", linearSummary(*r.Linear))
	}
	if r.Violation != nil {
		fmt.Fprintf(w, "VIOLATION %s\n", r.Violation.Error())
	}
	fmt.Fprintln(w, "servers")
	for _, v := range r.World.Servers() {
		s := v.Status
		state := s.Role.String()
		switch {
		case !v.Up:
			state = "CRASHED"
		case v.Paused:
			state += " (paused)"
		}
		fmt.Fprintf(w, "  %-3v %-22s term %-3d vote %-4v commit %-6d applied %-6d log %-6d durable %d\n",
			v.ID, state, s.Term, s.Vote, s.Commit, s.Applied, s.LastIndex, v.DurableLast)
	}
	fmt.Fprintln(w, "expectations")
	for _, o := range r.Outcomes {
		fmt.Fprintf(w, "  %s\n", o)
	}
	if r.Passed {
		fmt.Fprintln(w, "PASS")
	} else {
		fmt.Fprintln(w, "FAIL")
	}
}

func bugList(r *scenario.Result) string {
	var all raft.Bugs
	for _, n := range r.World.Config().Nodes {
		all |= n.Bugs
	}
	return all.String()
}

// pct returns the p-th percentile of durations in microseconds.
func pct(xs []int64, p int) string {
	if len(xs) == 0 {
		return "-"
	}
	return check.FormatMicros(sim.Percentile(xs, p))
}

// linearSummary is a linearizability verdict for a summary line: an
// undecided check says so in capitals, with its keys and why, whether or not
// the scenario expects linearizability.
func linearSummary(res linear.Result) string {
	if res.Verdict == linear.Unknown {
		return "linearizability UNKNOWN: " + strings.TrimPrefix(res.String(), "unknown: ") +
			"; a larger --linear-timeout or --linear-steps may decide it"
	}
	return res.String()
}
