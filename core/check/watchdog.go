package check

import "fmt"

// LivenessName is the name the watchdog's reports carry.
const LivenessName = "Liveness"

// Watchdog notices a cluster that could make progress and does not: a quorum
// of running servers that can all reach each other, yet no leader serves it,
// or work waits and nothing commits, for longer than a window. Raft promises
// no liveness in general; the watchdog shows where a configuration (PreVote
// without CheckQuorum, for one) loses it in practice.
type Watchdog struct {
	WindowMicros int64
	stallSince   int64
	stalled      bool
	reported     bool
}

// NewWatchdog returns a watchdog that reports a stall longer than window.
func NewWatchdog(windowMicros int64) *Watchdog { return &Watchdog{WindowMicros: windowMicros} }

// Observe records the cluster's health at time now: connected tells whether a
// connected quorum exists, live whether it has a leader making progress. It
// returns a report the first time a stall outlasts the window.
func (w *Watchdog) Observe(now int64, connected, live bool, why string) *Violation {
	if !connected || live {
		w.stalled, w.reported = false, false
		return nil
	}
	if !w.stalled {
		w.stalled, w.stallSince = true, now
	}
	if w.reported || now-w.stallSince < w.WindowMicros {
		return nil
	}
	w.reported = true
	return &Violation{Invariant: LivenessName, Time: now, Explanation: fmt.Sprintf(
		"a connected quorum made no progress for %s (since t=%s): %s",
		FormatMicros(now-w.stallSince), FormatMicros(w.stallSince), why)}
}

// Stalled reports whether a stall is going on now.
func (w *Watchdog) Stalled() bool { return w.stalled }
