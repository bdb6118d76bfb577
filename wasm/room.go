//go:build js && wasm

// The classroom room's calls (web/static/room.js): a browser in lockstep
// runs the room's recording in its own session and compares state hashes
// with the room's native run (core/room) at every grid point of virtual
// time and after every action. Each call does what one frame of the room
// needs in one round trip to the worker, and returns the view with the
// hashes: roomSync opens the room's recording at the room's time,
// roomFrame runs forward stopping exactly on each grid point, roomAct goes
// to an input's time and takes it, roomGoto follows the teacher's clock.

package main

import (
	"fmt"
	"syscall/js"

	"smrlab/core/lab"
	"smrlab/core/trace"
)

func init() {
	roomFuncs = map[string]func([]js.Value) (any, error){
		"roomSync":  roomSync,
		"roomFrame": roomFrame,
		"roomAct":   roomAct,
		"roomGoto":  roomGoto,
	}
}

// hashHex is a state hash as the room writes it: 16 hex digits.
func hashHex(h uint64) string { return fmt.Sprintf("%016x", h) }

// roomResult is a view and the state hash now.
func roomResult() (any, error) {
	view, err := viewJSON()
	if err != nil {
		return nil, err
	}
	return map[string]any{"view": view, "now": session.Now(), "hash": hashHex(session.StateHash())}, nil
}

// micros reads a virtual time the page hands over: a whole number of
// microseconds from 0 to 2^53.
func micros(v js.Value, what string) (int64, error) {
	if v.Type() != js.TypeNumber {
		return 0, fmt.Errorf("%s: want a number of microseconds", what)
	}
	f := v.Float()
	if f != f || f < 0 || f > 1<<53 || f != float64(int64(f)) {
		return 0, fmt.Errorf("%s: %v is not a whole number of microseconds from 0 to 2^53", what, f)
	}
	return int64(f), nil
}

// roomSync(recordingJSON, at) opens the room's recording (every action of
// its branch, also those after at) and goes to the room's time at.
func roomSync(args []js.Value) (any, error) {
	if err := need(args, 2, "roomSync(recordingJSON, at)"); err != nil {
		return nil, err
	}
	raw := args[0].String()
	if len(raw) > recordingBytesMax {
		return nil, fmt.Errorf("room: a recording of %d bytes, over the limit of %d", len(raw), recordingBytesMax)
	}
	at, err := micros(args[1], "roomSync: at")
	if err != nil {
		return nil, err
	}
	h, err := trace.ParseHeaderJSON([]byte(raw))
	if err == nil {
		err = lab.CheckHeader(&h)
	}
	if err != nil {
		return nil, fmt.Errorf("room: the recording: %w", err)
	}
	// Until 0 means the whole run to OpenRecording: a room at time 0
	// opens at 1 µs and goes back, which rebuilds time 0 from its first
	// checkpoint.
	h.Until = max(at, 1)
	s, err := lab.OpenRecording(&h)
	if err != nil {
		return nil, fmt.Errorf("room: the recording: %w", err)
	}
	session, player = s, nil
	if s.Now() != at {
		s.GoTo(at)
	}
	return roomResult()
}

// roomFrame(target, grid) runs forward to the virtual time target, stopping
// exactly on every multiple of grid it passes to take the state hash there.
// It returns {view, now, hash, grid: [[at, hash], ...]}.
func roomFrame(args []js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	if err := need(args, 2, "roomFrame(target, grid)"); err != nil {
		return nil, err
	}
	target, err := micros(args[0], "roomFrame: target")
	if err != nil {
		return nil, err
	}
	grid, err := micros(args[1], "roomFrame: grid")
	if err != nil {
		return nil, err
	}
	if grid < 1000 {
		return nil, fmt.Errorf("roomFrame: a grid of %d µs, under the least of 1000", grid)
	}
	target = min(target, session.End())
	if target-session.Now() > advanceMicrosMax {
		return nil, fmt.Errorf("roomFrame: %d µs ahead, over the limit of %d", target-session.Now(), advanceMicrosMax)
	}
	var points []any
	for session.Now() < target && !session.World().Stopped() {
		from := session.Now()
		next := min((from/grid+1)*grid, target)
		session.Advance(next - from)
		if session.Now() == from {
			break
		}
		if session.Now()%grid == 0 {
			points = append(points, []any{session.Now(), hashHex(session.StateHash())})
		}
	}
	res, err := roomResult()
	if err != nil {
		return nil, err
	}
	res.(map[string]any)["grid"] = points
	return res, nil
}

// roomAct(at, text) goes to the input's time (back, when this browser ran
// past it) and takes the action there, as the room did.
func roomAct(args []js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	if err := need(args, 2, "roomAct(at, text)"); err != nil {
		return nil, err
	}
	at, err := micros(args[0], "roomAct: at")
	if err != nil {
		return nil, err
	}
	text := args[1].String()
	if len(text) > 1024 {
		return nil, fmt.Errorf("roomAct: %d characters, over the limit of 1024", len(text))
	}
	if session.Now() != at {
		session.GoTo(at)
	}
	if err := session.Act(text); err != nil {
		return nil, err
	}
	return roomResult()
}

// roomGoto(at, op) follows the teacher's clock as the room does: "goto"
// goes to at on the current branch, "fork" goes there and discards the
// branch's future, "reset" rewinds to time 0 with no actions.
func roomGoto(args []js.Value) (any, error) {
	if session == nil {
		return nil, errNoSession
	}
	if err := need(args, 2, "roomGoto(at, op)"); err != nil {
		return nil, err
	}
	at, err := micros(args[0], "roomGoto: at")
	if err != nil {
		return nil, err
	}
	switch op := args[1].String(); op {
	case "reset":
		session.Rewind(0, 0)
	case "goto", "fork", "pause":
		if session.Now() != at {
			session.GoTo(at)
		}
		if op == "fork" {
			session.Fork()
		}
	default:
		return nil, fmt.Errorf("roomGoto: %q is not goto, fork, reset or pause", op)
	}
	return roomResult()
}
