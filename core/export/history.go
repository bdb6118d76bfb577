package export

import (
	"errors"
	"fmt"
	"io"

	"smrlab/core/lab"
	"smrlab/core/linear"
	"smrlab/core/scenario"
	"smrlab/core/trace"
)

// ReplayHistory re-runs a trace's inputs and returns the run's client
// history (nil when the scenario has no clients). It refuses a trace that
// the re-run does not reproduce: the history would belong to another run.
func ReplayHistory(tr *trace.Trace) (*linear.History, error) {
	in, err := lab.InputsOf(&tr.Header)
	if err != nil {
		return nil, fmt.Errorf("rebuilding the client history: %w", err)
	}
	r, err := scenario.Run(in.Scenario, in.Options)
	if err != nil {
		return nil, fmt.Errorf("rebuilding the client history: %w", err)
	}
	f := lab.Footer(r)
	if f.Events != tr.Footer.Events || f.EventsHash != tr.Footer.EventsHash {
		return nil, fmt.Errorf("rebuilding the client history: re-running the trace's inputs gives %d events "+
			"(hash %016x), the trace holds %d (hash %016x); `smrlab replay` shows where they differ",
			f.Events, f.EventsHash, tr.Footer.Events, tr.Footer.EventsHash)
	}
	return r.World.History(), nil
}

// WritePorcupine writes Porcupine's HTML visualization of a client history.
func WritePorcupine(w io.Writer, h *linear.History) error {
	if h == nil || h.Len() == 0 {
		return errors.New("the run has no client operations, so no client history to show")
	}
	return linear.WriteHTML(w, h.Ops(), linear.Result{})
}
