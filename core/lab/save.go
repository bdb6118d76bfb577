package lab

import (
	"fmt"
	"strconv"
	"strings"

	"smrlab/core/scenario"
	"smrlab/core/sim"
	"smrlab/core/trace"
)

// ScenarioOf turns a recording (a session's inputs, Session.Recording) into
// scenario text that `smrlab run` runs to the same events and the same state:
// the scenario as the session opened it, then the session's seed, bug
// toggles, stop time and every user action at its exact microsecond.
func ScenarioOf(h *trace.Header) (string, error) {
	in, err := InputsOf(h)
	if err != nil {
		return "", err
	}
	if h.Seed > scenario.SeedMax {
		return "", fmt.Errorf("seed %d is over %d, the largest a scenario file can name", h.Seed, scenario.SeedMax)
	}
	if h.Until < 0 {
		return "", fmt.Errorf("negative stop time %d", h.Until)
	}
	end := in.Scenario.Duration
	if h.Until > 0 {
		end = min(h.Until, end)
	}
	var b strings.Builder
	name := in.Scenario.Name
	if name == "" {
		name = h.ScenarioName
	}
	fmt.Fprintf(&b, "# Saved from an interactive session of %q, seed %d, stopped at %s\n", name, h.Seed,
		trace.FormatTime(end))
	fmt.Fprintf(&b, "# with %d user action(s). Below: the scenario as the session opened it, then\n", len(h.Actions))
	b.WriteString("# the session's seed, bug toggles and stop time (which override the scenario's),\n" +
		"# and the actions. \"recorded at\" marks a click: it runs after everything else\n" +
		"# that happens in its microsecond, as the click did, so that `smrlab run` on this\n" +
		"# file reproduces the session exactly. The scenario's expectations are kept: a\n" +
		"# session stopped early, or changed by the clicks, may not meet them.\n\n")
	src := in.Scenario.Source
	b.WriteString(stopSource(src, end, in.Scenario.Duration))
	if src != "" && !strings.HasSuffix(src, "\n") {
		b.WriteByte('\n')
	}
	b.WriteString("\n# The session.\n")
	fmt.Fprintf(&b, "seed %d\n", h.Seed)
	if len(h.Bugs) > 0 {
		fmt.Fprintf(&b, "bug all %s\n", strings.Join(h.Bugs, " "))
	}
	if end != in.Scenario.Duration {
		if end < sim.Millisecond {
			// A scenario runs at least a millisecond: a session saved at
			// its very start runs that little more.
			end = sim.Millisecond
		}
		fmt.Fprintf(&b, "duration %s\n", exactDuration(end))
	}
	for i, text := range h.Actions {
		line, err := recordedLine(text, in.Options.Actions[i].At)
		if err != nil {
			return "", fmt.Errorf("the recording's action %d: %w", i+1, err)
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// recordedLine rewrites a recorded action ("at 1234567us crash S2") as a
// scenario line with its time written exactly and readably.
func recordedLine(text string, at int64) (string, error) {
	if strings.ContainsAny(text, "\n\r") {
		return "", fmt.Errorf("%q spans lines", text)
	}
	rest := strings.TrimLeft(text, " \t")
	rest, ok := strings.CutPrefix(rest, "at")
	if !ok {
		return "", fmt.Errorf("%q does not start with at", text)
	}
	rest = strings.TrimLeft(rest, " \t")
	i := strings.IndexAny(rest, " \t")
	if i < 0 {
		return "", fmt.Errorf("%q has no action after its time", text)
	}
	return "recorded at " + exactDuration(at) + " " + strings.TrimLeft(rest[i:], " \t"), nil
}

// exactDuration writes a time in seconds with as many decimals as it needs
// (down to the microsecond), which the scenario language reads back exactly.
func exactDuration(us int64) string {
	switch {
	case us%sim.Second == 0:
		return strconv.FormatInt(us/sim.Second, 10) + "s"
	case us < sim.Second && us%sim.Millisecond == 0:
		return strconv.FormatInt(us/sim.Millisecond, 10) + "ms"
	}
	frac := strings.TrimRight(fmt.Sprintf("%06d", us%sim.Second), "0")
	return strconv.FormatInt(us/sim.Second, 10) + "." + frac + "s"
}

// stopSource comments out the lines of a scenario that act after the
// session stopped (at end): the scenario language refuses an action after
// the end of the run.
func stopSource(src string, end, duration int64) string {
	if end >= duration {
		return src
	}
	lines := strings.Split(src, "\n")
	for i, line := range lines {
		if t, ok := actionTime(line); ok && t > end {
			lines[i] = "# not reached by the session: " + line
		}
	}
	return strings.Join(lines, "\n")
}

// actionTime returns the time of a line that schedules an action: "at T
// ...", "recorded at T ..." or "nemesis ... from T".
func actionTime(line string) (int64, bool) {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	f := strings.Fields(line)
	if len(f) > 0 && f[0] == "recorded" {
		f = f[1:]
	}
	word := ""
	switch {
	case len(f) >= 2 && f[0] == "at":
		word = f[1]
	case len(f) > 0 && f[0] == "nemesis":
		for j := 1; j+1 < len(f); j++ {
			if f[j] == "from" {
				word = f[j+1]
			}
		}
	}
	t, err := scenario.ParseDuration(word)
	return t, err == nil && word != ""
}

// parseUserAction reads a user action ("at 1234567us net loss=5%") for a
// session on sc after the user actions prior. A "net" action changes the
// network from the one the scenario's own actions and the earlier user
// actions left at its time (netAt): the session, its recording and a
// scenario saved from it all read it so, and agree.
func parseUserAction(sc *scenario.Scenario, prior []sim.Action, line string) (sim.Action, error) {
	a, err := scenario.ParseAction(line, sc.Config.Servers, sc.Config.Net)
	if err != nil || a.Kind != sim.ActNet {
		return a, err
	}
	return scenario.ParseAction(line, sc.Config.Servers, netAt(sc, prior, a.At))
}

// netAt is the network as the scenario's own actions and the user actions
// prior left it at time at (the scenario's first at the same time, as they
// run first). A nemesis's passing changes are not in it.
func netAt(sc *scenario.Scenario, prior []sim.Action, at int64) sim.LinkParams {
	net := sc.Config.Net
	own := sc.Actions
	for {
		var a *sim.Action
		switch {
		case len(own) > 0 && own[0].At <= at && (len(prior) == 0 || own[0].At <= prior[0].At):
			a, own = &own[0], own[1:]
		case len(prior) > 0 && prior[0].At <= at:
			a, prior = &prior[0], prior[1:]
		default:
			return net
		}
		if a.Kind == sim.ActNet && !a.Link {
			net = a.Net
		}
	}
}
