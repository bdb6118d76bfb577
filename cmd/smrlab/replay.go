package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"smrlab/core/check"
	"smrlab/core/lab"
	"smrlab/core/trace"
	"smrlab/core/tracefile"
)

func cmdReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("replay", stdout)
	want := fs.String("hash", "", "the state hash (16 hex digits) a recording must reach, e.g. the one a classroom room showed")
	file, err := oneFile(fs, args)
	if err != nil {
		return err
	}
	data, err := readLimited(file, recordingBytesMax)
	if err != nil {
		return err
	}
	if isRecording(data) {
		return replayRecording(file, data, *want, stdout)
	}
	tr, err := tracefile.Read(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
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
	if *want != "" && *want != fmt.Sprintf("%016x", rep.Result.StateHash) {
		fmt.Fprintf(stdout, "DIFFERENT state hash %016x, want %s\n", rep.Result.StateHash, *want)
		return exitError{1}
	}
	return nil
}

// isRecording tells a recording (a trace header alone, as JSON: what the
// lab's and a classroom room's "recording" downloads hold) from a trace.
func isRecording(data []byte) bool {
	t := bytes.TrimSpace(data)
	return bytes.HasPrefix(t, []byte("{")) && json.Valid(t) && !bytes.Contains(t, []byte(`"type":"header"`))
}

// replayRecording re-runs a recording to its time and prints the state
// hash there; with want, a different hash fails.
func replayRecording(file string, data []byte, want string, stdout io.Writer) error {
	h, _, err := tracefile.DecodeRecording(data)
	if err == nil {
		err = lab.CheckHeader(&h)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	s, err := lab.OpenRecording(&h)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	got := fmt.Sprintf("%016x", s.StateHash())
	fmt.Fprintf(stdout, "recording %s: scenario %s, seed %d, %d actions, re-ran to %s: state hash %s\n", file,
		h.ScenarioName, h.Seed, len(h.Actions), trace.FormatTime(s.Now()), got)
	if want != "" && want != got {
		fmt.Fprintf(stdout, "DIFFERENT state hash %s, want %s\n", got, want)
		return exitError{1}
	}
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
	data, err := readLimited(path, recordingBytesMax)
	if err != nil {
		return nil, err
	}
	tr, err := tracefile.Read(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return tr, nil
}
