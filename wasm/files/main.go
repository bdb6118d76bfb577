//go:build js && wasm

// Command files is the browser's second WebAssembly build: the trace files
// and exports of core/export, the import of trace files and the scenario a
// session saves as, which the page
// uses rarely and so loads on first use (web/static/worker.js) instead of
// making every visit download them with the simulator (wasm/). It is
// stateless: it works from the recording that the simulator hands over, and
// re-runs it as `smrlab export` does, so the bytes are the command line's.
//
// It registers one global object, smrlabFiles, whose functions return
// {ok, value, error, panic} as the simulator's do.
package main

import (
	"bytes"
	"fmt"
	"syscall/js"

	"smrlab/core/export"
	"smrlab/core/lab"
	"smrlab/core/linear"
	"smrlab/core/minijson"
	"smrlab/core/trace"
	"smrlab/core/tracefile"
	"smrlab/wasm/bridge"
)

// Limits on what the page hands over.
const (
	recordingBytesMax = 64 << 20
	traceBytesMax     = 256 << 20
)

func main() {
	bridge.Register("smrlabFiles", map[string]bridge.Func{
		"exportTrace":   exportTrace,
		"exportFormats": exportFormats,
		"readTrace":     readTrace,
		"saveScenario":  saveScenario,
	}, nil)
	select {}
}

// openRecording opens a session from the simulator's recording (JSON).
func openRecording(arg js.Value) (*lab.Session, error) {
	raw := arg.String()
	if len(raw) > recordingBytesMax {
		return nil, fmt.Errorf("a recording of %d bytes, over the limit of %d", len(raw), recordingBytesMax)
	}
	h, err := trace.ParseHeaderJSON([]byte(raw))
	if err != nil {
		return nil, err
	}
	return lab.OpenRecording(&h)
}

// exportTrace re-runs a recording and returns its whole trace as bytes, in
// one of core/export's formats (default msgpack). The trace files stream;
// the other formats hold the events in memory, and the history formats take
// the session's own client history rather than re-running a second time.
func exportTrace(args []js.Value) (any, error) {
	if err := bridge.Need(args, 1, "exportTrace(recordingJSON, format)"); err != nil {
		return nil, err
	}
	format := "msgpack"
	if len(args) > 1 && args[1].Type() == js.TypeString {
		format = args[1].String()
	}
	if _, err := export.Lookup(format); err != nil {
		return nil, err
	}
	session, err := openRecording(args[0])
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	var buf bytes.Buffer
	switch format {
	case "msgpack", "jsonl":
		err = streamTrace(&buf, session, format)
	default:
		var events []trace.Event
		tr := &trace.Trace{}
		tr.Header, tr.Footer, err = session.Trace(func(e *trace.Event) error {
			events = append(events, *e)
			return nil
		})
		if err != nil {
			return nil, err
		}
		tr.Events = events
		history := func() (*linear.History, error) { return session.World().History(), nil }
		err = export.WriteWith(&buf, format, tr, export.Options{History: history})
	}
	if err != nil {
		return nil, err
	}
	return bridge.Uint8Array(buf.Bytes()), nil
}

// streamTrace writes the session's trace file without holding its events.
func streamTrace(buf *bytes.Buffer, session *lab.Session, format string) error {
	newWriter := tracefile.NewMsgpackWriter
	if format == "jsonl" {
		newWriter = tracefile.NewJSONLWriter
	}
	tw, err := newWriter(buf, session.Recording())
	if err != nil {
		return err
	}
	_, footer, err := session.Trace(tw.WriteEvent)
	if err != nil {
		return err
	}
	return tw.Close(footer)
}

// saveScenario returns a recording as scenario text that `smrlab run` runs
// to the same state.
func saveScenario(args []js.Value) (any, error) {
	if err := bridge.Need(args, 1, "saveScenario(recordingJSON)"); err != nil {
		return nil, err
	}
	raw := args[0].String()
	if len(raw) > recordingBytesMax {
		return nil, fmt.Errorf("a recording of %d bytes, over the limit of %d", len(raw), recordingBytesMax)
	}
	h, err := trace.ParseHeaderJSON([]byte(raw))
	if err != nil {
		return nil, err
	}
	return lab.ScenarioOf(&h)
}

// exportFormats lists the export formats as JSON: name, ext, mime and a
// one-line description each.
func exportFormats([]js.Value) (any, error) {
	b := []byte{'['}
	for i, f := range export.Formats() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = minijson.AppendString(b, f.Name)
		b = append(b, `,"ext":`...)
		b = minijson.AppendString(b, f.Ext)
		b = append(b, `,"mime":`...)
		b = minijson.AppendString(b, f.MIME)
		b = append(b, `,"description":`...)
		b = minijson.AppendString(b, f.Description)
		b = append(b, '}')
	}
	return string(append(b, ']')), nil
}

// readTrace reads an imported file (a recording, or a trace file in
// msgpack or JSON Lines) and returns {recording, traceStateHash}: the
// recording as JSON for the simulator to open, and the final state's hash
// the file claims (hex; "" for a recording alone).
func readTrace(args []js.Value) (any, error) {
	if err := bridge.Need(args, 1, "readTrace(bytes)"); err != nil {
		return nil, err
	}
	data, err := bridge.Bytes(args[0], traceBytesMax, "import")
	if err != nil {
		return nil, err
	}
	h, footer, err := tracefile.DecodeRecording(data)
	if err == nil {
		err = lab.CheckHeader(&h)
	}
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	res := map[string]any{"recording": string(h.AppendJSON(nil)), "traceStateHash": ""}
	if footer.StateHash != 0 {
		res["traceStateHash"] = fmt.Sprintf("%016x", footer.StateHash)
	}
	return res, nil
}
