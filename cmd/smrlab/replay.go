package main

import (
	"fmt"
	"io"
	"os"
	"slices"

	"smrlab/core/check"
	"smrlab/core/lab"
	"smrlab/core/trace"
	"smrlab/core/tracefile"
)

func cmdReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("replay", stdout)
	file, err := oneFile(fs, args)
	if err != nil {
		return err
	}
	tr, err := readTrace(file)
	if err != nil {
		return err
	}
	rep, err := lab.Replay(tr)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	fmt.Fprintf(stdout, "trace     %s: scenario %s, seed %d, %d events to %s\n", file, tr.Header.ScenarioName,
		tr.Header.Seed, len(tr.Events), trace.FormatTime(tr.Footer.EndTime))
	if !rep.Same {
		fmt.Fprintf(stdout, "DIVERGED  %s\n", rep.Divergence)
		return exitError{1}
	}
	fmt.Fprintf(stdout, "replayed  identical: %d events, events hash %016x, state hash %016x\n",
		rep.Result.Events, rep.Result.EventsHash, rep.Result.StateHash)
	return nil
}

func cmdMetrics(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("metrics", stdout)
	file, err := oneFile(fs, args)
	if err != nil {
		return err
	}
	tr, err := readTrace(file)
	if err != nil {
		return err
	}
	m := lab.MetricsOf(tr.Events)
	fmt.Fprintf(stdout, "leader_changes_per_minute  %.2f (%d leaders took office)\n", m.LeaderChangesPerMinute, m.LeaderChanges)
	fmt.Fprintf(stdout, "commit_index_monotonic     %v\n", m.CommitIndexMonotonic)
	fmt.Fprintf(stdout, "snapshot_install_failures  %d (%d snapshots installed)\n", m.SnapshotInstallFailures, m.SnapshotInstalls)
	fmt.Fprintf(stdout, "quorum_acks_latency_p99    %s\n", check.FormatMicros(m.QuorumAcksLatencyP99))
	reasons := make([]string, 0, len(m.RejectedByReason))
	for r := range m.RejectedByReason {
		reasons = append(reasons, r)
	}
	slices.Sort(reasons)
	total := uint64(0)
	for _, r := range reasons {
		total += m.RejectedByReason[r]
	}
	fmt.Fprintf(stdout, "rejected_requests_due_to_admission_control  %d\n", total)
	for _, r := range reasons {
		fmt.Fprintf(stdout, "    %-24s %d\n", r, m.RejectedByReason[r])
	}
	return nil
}

// readTrace reads a trace file, msgpack or JSON Lines.
func readTrace(path string) (*trace.Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr, err := tracefile.Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tr, nil
}
