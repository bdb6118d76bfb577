// Package lab is the one API that the browser, the lab server and the
// command line drive: it opens scenarios, runs them, builds their traces and
// replays traces to prove they reproduce.
package lab

import (
	"fmt"
	"slices"
	"strings"

	"smrlab/core/raft"
	"smrlab/core/scenario"
	"smrlab/core/trace"
)

// Header describes a run's inputs in a trace header.
func Header(sc *scenario.Scenario, seed uint64, bugs raft.Bugs, actions []string, until int64) trace.Header {
	h := trace.NewHeader()
	h.ScenarioName = sc.File[strings.LastIndexByte(sc.File, '/')+1:]
	h.Scenario = sc.Source
	h.Seed = seed
	h.Bugs = bugs.Names()
	h.Actions = actions
	h.Until = until
	return h
}

// Footer describes a run's outcome in a trace footer.
func Footer(r *scenario.Result) trace.Footer {
	f := trace.Footer{Events: r.Events, EventsHash: r.EventsHash, StateHash: r.StateHash, EndTime: r.EndTime}
	if r.Violation != nil {
		f.Violation = r.Violation.Error()
	}
	return f
}

// ParseBugs turns toggle names into a set.
func ParseBugs(names []string) (raft.Bugs, error) {
	var bugs raft.Bugs
	for _, n := range names {
		b, err := raft.ParseBug(n)
		if err != nil {
			return 0, err
		}
		bugs = bugs.With(b)
	}
	return bugs, nil
}

// Inputs are a run's inputs as read back from a trace header.
type Inputs struct {
	Scenario *scenario.Scenario
	Options  scenario.RunOptions
}

// InputsOf rebuilds the inputs a trace header records.
func InputsOf(h *trace.Header) (*Inputs, error) {
	sc, err := scenario.Parse(h.ScenarioName, []byte(h.Scenario))
	if err != nil {
		return nil, fmt.Errorf("the trace's scenario does not parse: %w", err)
	}
	bugs, err := ParseBugs(h.Bugs)
	if err != nil {
		return nil, fmt.Errorf("the trace's header: %w", err)
	}
	opt := scenario.RunOptions{Seed: h.Seed, SeedSet: true, Bugs: bugs, Until: h.Until}
	for i, text := range h.Actions {
		a, err := parseUserAction(sc, opt.Actions, text)
		if err != nil {
			return nil, fmt.Errorf("the trace's action %d: %w", i+1, err)
		}
		opt.Actions = append(opt.Actions, a)
	}
	return &Inputs{Scenario: sc, Options: opt}, nil
}

// ReplayReport says whether a re-run reproduced a trace.
type ReplayReport struct {
	Result *scenario.Result
	// Same is true when every event, the event hash and the state hash match.
	Same bool
	// Divergence explains the first difference, if any.
	Divergence string
}

// Replay re-runs a trace's inputs and compares the events and hashes.
func Replay(tr *trace.Trace) (*ReplayReport, error) {
	in, err := InputsOf(&tr.Header)
	if err != nil {
		return nil, err
	}
	in.Options.KeepEvents = true
	r, err := scenario.Run(in.Scenario, in.Options)
	if err != nil {
		return nil, err
	}
	rep := &ReplayReport{Result: r}
	rep.Divergence = divergence(tr, r)
	rep.Same = rep.Divergence == ""
	return rep, nil
}

func divergence(tr *trace.Trace, r *scenario.Result) string {
	got := r.World.Events()
	for i := range min(len(got), len(tr.Events)) {
		if got[i] != tr.Events[i] {
			return fmt.Sprintf("event %d differs:\n  trace:  %s %s\n  replay: %s %s", i,
				trace.FormatTime(tr.Events[i].Time), trace.Describe(&tr.Events[i]),
				trace.FormatTime(got[i].Time), trace.Describe(&got[i]))
		}
	}
	var diffs []string
	if len(got) != len(tr.Events) {
		diffs = append(diffs, fmt.Sprintf("the trace has %d events, the replay %d", len(tr.Events), len(got)))
	}
	f := Footer(r)
	if f.EventsHash != tr.Footer.EventsHash {
		diffs = append(diffs, fmt.Sprintf("events hash %016x, replay %016x", tr.Footer.EventsHash, f.EventsHash))
	}
	if f.StateHash != tr.Footer.StateHash {
		diffs = append(diffs, fmt.Sprintf("state hash %016x, replay %016x", tr.Footer.StateHash, f.StateHash))
	}
	if f.Violation != tr.Footer.Violation {
		diffs = append(diffs, fmt.Sprintf("violation %q, replay %q", tr.Footer.Violation, f.Violation))
	}
	slices.Sort(diffs)
	return strings.Join(diffs, "; ")
}
