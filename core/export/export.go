// Package export writes a run's trace in the formats that other tools read:
// Chrome Trace Event JSON for Perfetto, a Jepsen-style EDN client history,
// a ShiViz log, Porcupine's HTML visualization of the client history, the
// plain text timeline, and the trace files themselves (JSON Lines, msgpack).
//
// Every exporter reads a trace.Trace. Events do not hold what a read
// returned, so the two client-history formats (edn, porcupine) also need the
// run's client history: Options.History supplies it (the browser passes its
// session's), and without it they re-run the trace's inputs to rebuild it.
package export

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"smrlab/core/linear"
	"smrlab/core/trace"
	"smrlab/core/tracefile"
)

// Format describes one export format.
type Format struct {
	// Name is what Write and `smrlab export --format` take.
	Name string
	// Ext is the file name extension, with its dot.
	Ext string
	// MIME is the media type of the file.
	MIME string
	// Description says in one line what the file is for.
	Description string
}

var formats = []Format{
	{"perfetto", ".json", "application/json",
		"Chrome Trace Event JSON: roles, terms and messages per server; open it in ui.perfetto.dev"},
	{"edn", ".edn", "application/edn",
		"Jepsen-style client history, one EDN map per line (:invoke, then :ok, :fail or :info)"},
	{"shiviz", ".log", "text/plain; charset=utf-8",
		"ShiViz log with vector clocks: paste it into ShiViz to see who heard from whom"},
	{"porcupine", ".html", "text/html; charset=utf-8",
		"Porcupine's visualization of the client history and its linearizations"},
	{"timeline", ".txt", "text/plain; charset=utf-8",
		"the plain text timeline of every event but clock ticks"},
	{"jsonl", ".jsonl", "application/x-ndjson",
		"the trace as JSON Lines, the readable twin of the trace file"},
	{"msgpack", ".trace", "application/octet-stream",
		"the canonical msgpack trace file (smrlab replay reads it)"},
}

// Formats lists the export formats.
func Formats() []Format { return append([]Format(nil), formats...) }

// Lookup finds a format by name.
func Lookup(name string) (Format, error) {
	for _, f := range formats {
		if f.Name == name {
			return f, nil
		}
	}
	return Format{}, fmt.Errorf("unknown export format %q: want one of %s", name, Names())
}

// Names lists the format names, comma-separated.
func Names() string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// Options tune an export.
type Options struct {
	// History returns the run's client history, with what each read
	// returned. Nil re-runs the trace's inputs to rebuild it.
	History func() (*linear.History, error)
}

// Write writes tr to w in the named format.
func Write(w io.Writer, format string, tr *trace.Trace) error {
	return WriteWith(w, format, tr, Options{})
}

// WriteWith is Write with options.
func WriteWith(w io.Writer, format string, tr *trace.Trace, opt Options) error {
	if tr == nil {
		return errors.New("export: no trace")
	}
	f, err := Lookup(format)
	if err != nil {
		return err
	}
	switch f.Name {
	case "perfetto":
		err = WritePerfetto(w, tr)
	case "edn":
		err = withHistory(tr, opt, func(h *linear.History) error { return WriteEDN(w, tr, h) })
	case "shiviz":
		err = WriteShiViz(w, tr.Events)
	case "porcupine":
		err = withHistory(tr, opt, func(h *linear.History) error { return WritePorcupine(w, h) })
	case "timeline":
		err = WriteTimeline(w, tr.Events)
	case "jsonl":
		err = writeTraceFile(tracefile.NewJSONLWriter, w, tr)
	case "msgpack":
		err = writeTraceFile(tracefile.NewMsgpackWriter, w, tr)
	}
	if err != nil {
		return fmt.Errorf("export %s: %w", f.Name, err)
	}
	return nil
}

func withHistory(tr *trace.Trace, opt Options, write func(*linear.History) error) error {
	get := opt.History
	if get == nil {
		get = func() (*linear.History, error) { return ReplayHistory(tr) }
	}
	h, err := get()
	if err != nil {
		return err
	}
	return write(h)
}

// writeTraceFile converts tr to a trace file with a tracefile writer, which
// checks every part as a reader would.
func writeTraceFile(newWriter func(io.Writer, trace.Header) (*tracefile.Writer, error), w io.Writer, tr *trace.Trace) error {
	tw, err := newWriter(w, tr.Header)
	if err != nil {
		return err
	}
	for i := range tr.Events {
		if err := tw.WriteEvent(&tr.Events[i]); err != nil {
			return err
		}
	}
	return tw.Close(tr.Footer)
}

// WriteTimeline writes the plain text timeline of every event but clock
// ticks: one line each, as trace.WriteTimeline prints them.
func WriteTimeline(w io.Writer, events []trace.Event) error {
	start := 0
	for i := range events {
		if events[i].Kind != trace.Tick {
			continue
		}
		if err := trace.WriteTimeline(w, events[start:i], trace.DetailAll); err != nil {
			return err
		}
		start = i + 1
	}
	return trace.WriteTimeline(w, events[start:], trace.DetailAll)
}
