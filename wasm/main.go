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
//
// This is the page's first download, so it leaves out what is used rarely:
// the trace files and exports, which the file tools (wasm/files, a second
// build loaded on first use) write and read from the recording;
// encoding/json, whose reflection costs about 170 KB compressed: the JSON
// here is written and read by core/minijson and the view's AppendJSON (only
// Porcupine's import of it still runs its package initialisation, about
// 2 KB); and compress/flate, about 53 KB: the worker deflates and inflates
// shared links with the browser's own streams and hands over the recording
// (shareRecording, and open's "shared"). The Makefile compiles the packages
// in wasm/noinline-packages without inlining, about 34 KB less. On
// 7 December 2026 this build was 4,708,929 bytes, 1,274,587 in gzip -9 and
// 949,940 in Brotli (1,384,020 and 1,023,467 in the morning); keep it under
// 1,363,148 in gzip.
//
// A lesson (core/lesson) drives the same session through its Player: while
// one is open, frame, act and step go through the player, which refuses
// them while the step's prediction waits for an answer, and every view
// carries the lesson's state as its "lesson" field. The lesson player is
// its own build (-tags lessons, wasm/lesson.go, smrlab-lessons.wasm), a
// superset of this one that the worker loads when a lesson opens: it costs
// over 100 KB compressed, which a visit to the lab alone does not pay.
package main

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall/js"

	"smrlab/core/lab"
	"smrlab/core/minijson"
	"smrlab/core/raft"
	"smrlab/core/sim"
	"smrlab/core/trace"
	"smrlab/wasm/bridge"
)

// Limits on what the page hands over.
const (
	scenarioBytesMax = 1 << 20
	// recordingBytesMax bounds a recording handed back by the file tools.
	recordingBytesMax = 64 << 20
	// advanceMicrosMax bounds one frame's run: 10 minutes of virtual time.
	advanceMicrosMax = 600 * sim.Second
)

var session *lab.Session

// player drives session while a lesson is open (nil otherwise); only the
// lessons build opens one.
var player lessonPlayer

// lessonPlayer is what the bridge asks of an open lesson (core/lesson's
// Player, in the lessons build).
type lessonPlayer interface {
	// Session is the session it drives now (a step may start a new world).
	Session() *lab.Session
	Advance(dt int64) error
	Act(text string) error
	// Observe judges the goals after the session was driven directly.
	Observe()
	// Refuse says why the run may not move now (nil: it may).
	Refuse() error
	// AppendState appends the lesson's state as JSON.
	AppendState(b []byte) []byte
}

// lessonFuncs are the lessons build's functions (wasm/lesson.go), nil in
// this one.
var lessonFuncs map[string]bridge.Func

// roomFuncs are the classroom room's calls (wasm/room.go).
var roomFuncs map[string]func([]js.Value) (any, error)

func main() {
	// WebAssembly has no background GC thread, so every collection stops
	// the simulation: collect less often, for a bigger heap. (Measured in
	// Chromium: 400 beats the default and beats a memory limit with no
	// percentage, whose growing heap costs more than the collections.)
	debug.SetGCPercent(400)
	fns := map[string]bridge.Func{
		"open":            open,
		"frame":           frame,
		"view":            func([]js.Value) (any, error) { return viewJSON() },
		"step":            step,
		"act":             act,
		"goto":            goTo,
		"fork":            fork,
		"recording":       recording,
		"shareRecording":  shareRecording,
		"importRecording": importRecording,
		"stateHash":       stateHash,
		"bugs":            bugs,
	}
	for name, fn := range lessonFuncs {
		fns[name] = fn
	}
	for name, fn := range roomFuncs {
		fns[name] = fn
	}
	bridge.Register("smrlab", fns, func(res map[string]any) {
		if session != nil {
			res["seed"] = fmt.Sprint(session.Seed())
			if h, err := recordingJSON(); err == nil {
				res["recording"] = h
			}
		}
	})
	select {}
}

var errNoSession = errors.New("no session is open")

var need = bridge.Need

// openOptions is what the page sends to open a session, as a JSON object
// with these fields' names in lower case.
type openOptions struct {
	// Scenario is a scenario's source and File its name; empty opens the
	// default cluster.
	Scenario string
	File     string
	Seed     string
	Bugs     []string
	// Servers sizes the default cluster (0: five).
	Servers int
	// Shared is the recording a shared link carries, as the worker
	// inflates it from the link (web/static/worker.js); it replaces
	// everything else.
	Shared string
}

// parseOpenOptions reads the page's options; a key it does not know is an
// error, so that a typo in the page shows.
func parseOpenOptions(raw string) (openOptions, error) {
	var o openOptions
	r := minijson.NewReader([]byte(raw))
	err := r.Object(func(key string) error {
		var err error
		switch key {
		case "scenario":
			o.Scenario, err = r.String()
		case "file":
			o.File, err = r.String()
		case "seed":
			o.Seed, err = r.String()
		case "bugs":
			o.Bugs, err = r.Strings()
		case "servers":
			o.Servers, err = countField(r, "servers")
		case "shared":
			o.Shared, err = r.String()
		default:
			err = r.UnknownKey(key)
		}
		return err
	})
	if err == nil {
		err = r.End()
	}
	return o, err
}

// countField reads a count the page hands over: an integer from 0 to 2^20.
func countField(r *minijson.Reader, name string) (int, error) {
	n, err := r.Int()
	if err == nil && (n < 0 || n > 1<<20) {
		err = fmt.Errorf("%s: %d out of range", name, n)
	}
	return int(n), err
}

func open(args []js.Value) (any, error) {
	if err := need(args, 1, "open(optionsJSON)"); err != nil {
		return nil, err
	}
	raw := args[0].String()
	if len(raw) > scenarioBytesMax+64<<10 {
		return nil, fmt.Errorf("open: options of %d bytes, over the limit", len(raw))
	}
	o, err := parseOpenOptions(raw)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	s, err := openSession(o)
	if err != nil {
		return nil, err
	}
	session, player = s, nil
	return viewJSON()
}

func openSession(o openOptions) (*lab.Session, error) {
	if o.Shared != "" {
		h, err := lab.ParseShared([]byte(o.Shared))
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

// viewBuf is reused from frame to frame: a view is tens of kilobytes.
var viewBuf []byte

func viewJSON() (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	if player != nil {
		session = player.Session()
	}
	v := session.View()
	viewBuf = v.AppendJSON(viewBuf[:0])
	if player != nil {
		// The view's object, with the lesson's state as one more field.
		viewBuf = append(viewBuf[:len(viewBuf)-1], `,"lesson":`...)
		viewBuf = append(player.AppendState(viewBuf), '}')
	}
	return string(viewBuf), nil
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
	if player != nil {
		if err := player.Advance(dt); err != nil {
			return nil, err
		}
		return viewJSON()
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
	k := args[0].String()
	if player != nil && (k == "event" || k == "delivery") {
		if err := player.Act("step " + k); err != nil {
			return nil, err
		}
		return viewJSON()
	}
	switch k {
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
	if player != nil {
		if err := player.Act(text); err != nil {
			return nil, err
		}
		return viewJSON()
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
	if err := lessonRefuses(); err != nil {
		return nil, err
	}
	session.GoTo(int64(min(t, float64(session.End()))))
	if player != nil {
		player.Observe()
	}
	return viewJSON()
}

func fork([]js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	if err := lessonRefuses(); err != nil {
		return nil, err
	}
	session.Fork()
	if player != nil {
		player.Observe()
	}
	return viewJSON()
}

// recordingJSON is the recording as the page saves it: the trace header as
// indented JSON, as json.MarshalIndent writes it, which `smrlab` and the
// page's import read back.
func recordingJSON() (string, error) {
	h := session.Recording()
	return string(minijson.Indent(nil, h.AppendJSON(nil), "  ")), nil
}

func recording([]js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	return recordingJSON()
}

// shareRecording returns the recording as compact JSON, which the worker
// deflates into a shared link as sharelink.Encode does.
func shareRecording([]js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	h := session.Recording()
	return string(h.AppendJSON(nil)), nil
}

// importRecording opens a session from a recording that the file tools read
// out of an imported file, and reports whether re-running its inputs
// reproduces the file's final state (traceStateHash, hex, "" when the file
// was a recording alone).
func importRecording(args []js.Value) (any, error) {
	if err := need(args, 1, "importRecording(recordingJSON, traceStateHash)"); err != nil {
		return nil, err
	}
	raw := args[0].String()
	if len(raw) > recordingBytesMax {
		return nil, fmt.Errorf("import: a recording of %d bytes, over the limit of %d", len(raw), recordingBytesMax)
	}
	h, err := trace.ParseHeaderJSON([]byte(raw))
	if err == nil {
		err = lab.CheckHeader(&h)
	}
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	s, err := lab.OpenRecording(&h)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	session, player = s, nil
	view, err := viewJSON()
	if err != nil {
		return nil, err
	}
	hash := fmt.Sprintf("%016x", s.StateHash())
	res := map[string]any{"view": view, "stateHash": hash}
	if len(args) > 1 && args[1].Type() == js.TypeString && args[1].String() != "" {
		res["traceStateHash"] = args[1].String()
		res["same"] = args[1].String() == hash
	}
	return res, nil
}

func stateHash([]js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	return fmt.Sprintf("%016x", session.StateHash()), nil
}

// bugs lists the bug toggles as JSON: Name, Summary, CaughtBy and Reference
// each.
func bugs([]js.Value) (any, error) {
	b := []byte{'['}
	for i, d := range raft.BugDocs() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Name":`...)
		b = minijson.AppendString(b, d.Name)
		b = append(b, `,"Summary":`...)
		b = minijson.AppendString(b, d.Summary)
		b = append(b, `,"CaughtBy":`...)
		b = minijson.AppendString(b, d.CaughtBy)
		b = append(b, `,"Reference":`...)
		b = minijson.AppendString(b, d.Reference)
		b = append(b, '}')
	}
	return string(append(b, ']')), nil
}

// lessonRefuses refuses to move through time while a lesson's prediction
// waits for an answer.
func lessonRefuses() error {
	if player != nil {
		return player.Refuse()
	}
	return nil
}
