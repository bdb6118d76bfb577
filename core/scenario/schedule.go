package scenario

import (
	"strconv"
	"strings"

	"smrlab/core/sim"
)

// parseSchedule reads "schedule manual [disk=steps|instant]": actions make
// every scheduling choice (core/sim/schedule.go). Messages wait on the wire
// until "deliver m7" (or "drop m7", "duplicate m7") names them, clocks never
// tick ("campaign S1" and "heartbeat S1" stand for the timers), and disk
// writes are durable at once, or with disk=steps when "persist S2" says so.
// "schedule seeded" is the default: the seed draws every choice.
func (p *parser) parseSchedule(kw token, args []token) error {
	const usage = "schedule takes seeded or manual, like: schedule manual, or schedule manual disk=steps"
	if len(args) == 0 || len(args) > 2 {
		return p.errAt(kw, usage)
	}
	switch args[0].text {
	case "seeded":
		if len(args) > 1 {
			return p.errAt(args[1], "schedule seeded takes nothing more")
		}
		p.sc.Config.Manual, p.sc.Config.ManualDisk = false, false
		return nil
	case "manual":
	default:
		return p.errAt(args[0], usage)
	}
	p.sc.Config.Manual, p.sc.Config.ManualDisk = true, false
	if len(args) == 2 {
		switch args[1].text {
		case "disk=steps":
			p.sc.Config.ManualDisk = true
		case "disk=instant":
		default:
			return p.errAt(args[1], "schedule manual: want disk=steps (writes wait for persist) or disk=instant, not %q",
				args[1].text)
		}
	}
	// Clients and the watchdog need clocks; a manual world has none.
	p.sc.Config.Workload.Clients = 0
	p.sc.Config.WatchdogMicros = 0
	return nil
}

// parseManual reads the manual scheduler's actions: deliver, drop or
// duplicate a message by its number ("deliver m7", as traces and the
// browser number messages), persist a server's pending disk writes, or make
// a leader send its heartbeats.
func (p *parser) parseManual(verb token, args []token, a *sim.Action) error {
	switch verb.text {
	case "persist", "heartbeat":
		a.Kind = sim.ActPersist
		if verb.text == "heartbeat" {
			a.Kind = sim.ActHeartbeat
		}
		return p.targetsOnly(verb, args, a)
	}
	a.Kind = map[string]sim.ActionKind{"deliver": sim.ActDeliver, "drop": sim.ActDrop, "duplicate": sim.ActDuplicate}[verb.text]
	if len(args) != 1 {
		return p.errAt(verb, "%s names one message by its number, like: %s m7", verb.text, verb.text)
	}
	num, ok := strings.CutPrefix(args[0].text, "m")
	id, err := strconv.ParseUint(num, 10, 64)
	if !ok || err != nil || id == 0 {
		return p.errAt(args[0], "%s: want a message number like m7, not %q", verb.text, args[0].text)
	}
	a.MsgID = id
	return nil
}
