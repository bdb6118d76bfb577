//go:build js && wasm

// Command wasm is the browser's bridge to core/lab: it registers one global
// object, smrlab, whose functions drive a lab.Session and return the view
// model as one JSON string per call. It holds no protocol or simulation
// logic. It runs inside a Web Worker (web/static/worker.js), so a busy
// simulation never freezes the page.
//
// Every function returns an object {ok, value, error, panic, seed, recording}.
// A panic inside Go is caught and returned with the seed and the recording,
// so the page can show it and offer the trace for download.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall/js"

	"smrlab/core/export"
	"smrlab/core/lab"
	"smrlab/core/linear"
	"smrlab/core/raft"
	"smrlab/core/sim"
	"smrlab/core/trace"
	"smrlab/core/tracefile"
)

// Limits on what the page hands over.
const (
	scenarioBytesMax = 1 << 20
	traceBytesMax    = 256 << 20
	// advanceMicrosMax bounds one frame's run: 10 minutes of virtual time.
	advanceMicrosMax = 600 * sim.Second
)

var session *lab.Session

func main() {
	// WebAssembly has no background GC thread, so every collection stops
	// the simulation: collect less often, for a bigger heap. (Measured in
	// Chromium: 400 beats the default and beats a memory limit with no
	// percentage, whose growing heap costs more than the collections.)
	debug.SetGCPercent(400)
	api := js.Global().Get("Object").New()
	for name, fn := range map[string]func([]js.Value) (any, error){
		"open":          open,
		"frame":         frame,
		"view":          func([]js.Value) (any, error) { return viewJSON() },
		"step":          step,
		"act":           act,
		"goto":          goTo,
		"fork":          fork,
		"recording":     recording,
		"share":         share,
		"exportTrace":   exportTrace,
		"exportFormats": exportFormats,
		"saveScenario":  saveScenario,
		"importTrace":   importTrace,
		"stateHash":     stateHash,
		"bugs":          bugs,
	} {
		api.Set(name, js.FuncOf(wrap(name, fn)))
	}
	js.Global().Set("smrlab", api)
	select {}
}

// wrap turns a Go function into a JavaScript one that never throws: errors
// and panics come back as values.
func wrap(name string, fn func([]js.Value) (any, error)) func(js.Value, []js.Value) any {
	return func(_ js.Value, args []js.Value) (out any) {
		defer func() {
			if p := recover(); p != nil {
				res := result(nil, fmt.Errorf("internal error in %s: %v\n%s", name, p, debug.Stack()))
				res["panic"] = true
				if session != nil {
					res["seed"] = fmt.Sprint(session.Seed())
					if h, err := recordingJSON(); err == nil {
						res["recording"] = h
					}
				}
				out = res
			}
		}()
		v, err := fn(args)
		return result(v, err)
	}
}

func result(v any, err error) map[string]any {
	if err != nil {
		return map[string]any{"ok": false, "error": err.Error()}
	}
	return map[string]any{"ok": true, "value": v}
}

var errNoSession = errors.New("no session is open")

func need(args []js.Value, n int, usage string) error {
	if len(args) < n {
		return fmt.Errorf("usage: %s", usage)
	}
	return nil
}

// openOptions is what the page sends to open a session.
type openOptions struct {
	// Scenario is a scenario's source and File its name; empty opens the
	// default cluster.
	Scenario string   `json:"scenario"`
	File     string   `json:"file"`
	Seed     string   `json:"seed"`
	Bugs     []string `json:"bugs"`
	// Servers sizes the default cluster (0: five).
	Servers int `json:"servers"`
	// Share is a shared link's fragment; it replaces everything else.
	Share string `json:"share"`
}

func open(args []js.Value) (any, error) {
	if err := need(args, 1, "open(optionsJSON)"); err != nil {
		return nil, err
	}
	raw := args[0].String()
	if len(raw) > scenarioBytesMax+64<<10 {
		return nil, fmt.Errorf("open: options of %d bytes, over the limit", len(raw))
	}
	var o openOptions
	if err := json.Unmarshal([]byte(raw), &o); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	s, err := openSession(o)
	if err != nil {
		return nil, err
	}
	session = s
	return viewJSON()
}

func openSession(o openOptions) (*lab.Session, error) {
	if o.Share != "" {
		h, err := lab.DecodeShare(o.Share)
		if err != nil {
			return nil, err
		}
		return lab.OpenRecording(h)
	}
	var opt lab.Options
	if o.Seed != "" {
		seed, err := strconv.ParseUint(strings.TrimSpace(o.Seed), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("seed %q: want a whole number from 0 to %d", o.Seed, uint64(1<<64-1))
		}
		opt.Seed, opt.SeedSet = seed, true
	}
	b, err := lab.ParseBugs(o.Bugs)
	if err != nil {
		return nil, err
	}
	opt.Bugs = b
	if o.Scenario == "" && o.Servers != 0 {
		src, err := lab.DefaultScenarioFor(o.Servers)
		if err != nil {
			return nil, err
		}
		return lab.Open("lab.scn", []byte(src), opt)
	}
	if o.Scenario == "" {
		return lab.OpenDefault(opt)
	}
	file := o.File
	if file == "" {
		file = "scenario.scn"
	}
	return lab.Open(file, []byte(o.Scenario), opt)
}

func viewJSON() (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	b, err := json.Marshal(session.View())
	return string(b), err
}

// frame advances the session by dt virtual microseconds and returns the view.
func frame(args []js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	if err := need(args, 1, "frame(microseconds)"); err != nil {
		return nil, err
	}
	dt := int64(args[0].Float())
	if dt < 0 || dt > advanceMicrosMax {
		return nil, fmt.Errorf("frame: %d microseconds out of range (0 to %d)", dt, advanceMicrosMax)
	}
	session.Advance(dt)
	return viewJSON()
}

func step(args []js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	if err := need(args, 1, `step("event" or "delivery")`); err != nil {
		return nil, err
	}
	switch k := args[0].String(); k {
	case "event":
		session.StepEvent()
	case "delivery":
		session.StepDelivery()
	default:
		return nil, fmt.Errorf("step: %q is neither event nor delivery", k)
	}
	return viewJSON()
}

func act(args []js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	if err := need(args, 1, "act(text)"); err != nil {
		return nil, err
	}
	text := args[0].String()
	if len(text) > 1024 {
		return nil, fmt.Errorf("act: %d characters, over the limit of 1024", len(text))
	}
	if err := session.Act(text); err != nil {
		return nil, err
	}
	return viewJSON()
}

func goTo(args []js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	if err := need(args, 1, "goto(microseconds)"); err != nil {
		return nil, err
	}
	t := args[0].Float()
	if t != t || t < 0 {
		return nil, fmt.Errorf("goto: time %v out of range", t)
	}
	session.GoTo(int64(min(t, float64(session.End()))))
	return viewJSON()
}

func fork([]js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	session.Fork()
	return viewJSON()
}

func recordingJSON() (string, error) {
	h := session.Recording()
	b, err := json.MarshalIndent(&h, "", "  ")
	return string(b), err
}

func recording([]js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	return recordingJSON()
}

func share([]js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	h := session.Recording()
	return lab.EncodeShare(&h)
}

// exportTrace re-runs the session and returns its whole trace as bytes, in
// one of core/export's formats (default msgpack). The trace files stream;
// the other formats hold the events in memory, and the history formats take
// the session's own client history rather than re-running a second time.
func exportTrace(args []js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	format := "msgpack"
	if len(args) > 0 {
		format = args[0].String()
	}
	if _, err := export.Lookup(format); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	var err error
	switch format {
	case "msgpack", "jsonl":
		err = streamTrace(&buf, format)
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
	out := js.Global().Get("Uint8Array").New(buf.Len())
	js.CopyBytesToJS(out, buf.Bytes())
	return out, nil
}

// streamTrace writes the session's trace file without holding its events.
func streamTrace(buf *bytes.Buffer, format string) error {
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

// exportFormats lists the export formats as JSON: name, ext, mime and a
// one-line description each.
func exportFormats([]js.Value) (any, error) {
	type format struct {
		Name        string `json:"name"`
		Ext         string `json:"ext"`
		MIME        string `json:"mime"`
		Description string `json:"description"`
	}
	var out []format
	for _, f := range export.Formats() {
		out = append(out, format{f.Name, f.Ext, f.MIME, f.Description})
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// saveScenario returns the session as scenario text that `smrlab run` runs
// to the same state.
func saveScenario([]js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	h := session.Recording()
	return lab.ScenarioOf(&h)
}

// importTrace opens a session from a trace file's bytes and reports whether
// re-running its inputs reproduces its final state.
func importTrace(args []js.Value) (any, error) {
	if err := need(args, 1, "importTrace(bytes)"); err != nil {
		return nil, err
	}
	n := args[0].Get("length").Int()
	if n > traceBytesMax {
		return nil, fmt.Errorf("import: the file is %d bytes, over the limit of %d", n, traceBytesMax)
	}
	data := make([]byte, n)
	js.CopyBytesToGo(data, args[0])
	h, footer, err := lab.DecodeRecording(data)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	s, err := lab.OpenRecording(&h)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	session = s
	view, err := viewJSON()
	if err != nil {
		return nil, err
	}
	hash := s.StateHash()
	res := map[string]any{"view": view, "stateHash": fmt.Sprintf("%016x", hash)}
	if footer.StateHash != 0 {
		res["traceStateHash"] = fmt.Sprintf("%016x", footer.StateHash)
		res["same"] = footer.StateHash == hash
	}
	return res, nil
}

func stateHash([]js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	return fmt.Sprintf("%016x", session.StateHash()), nil
}

func bugs([]js.Value) (any, error) {
	type doc struct {
		Name, Summary, CaughtBy, Reference string
	}
	var out []doc
	for _, d := range raft.BugDocs() {
		out = append(out, doc{d.Name, d.Summary, d.CaughtBy, d.Reference})
	}
	b, err := json.Marshal(out)
	return string(b), err
}
