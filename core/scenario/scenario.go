// Package scenario reads scenario files: a cluster, its options and network,
// a workload, a timed list of faults and actions, and what the run must show.
// A scenario compiles into a simulator configuration and actions; Run drives
// the simulator and judges the expectations. The language is documented in
// README.md ("Scenario files"). A "recorded at" line is a click saved from an
// interactive session (recorded.go).
package scenario

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"smrlab/core/raft"
	"smrlab/core/sim"
)

// Limits on scenario files.
const (
	SourceBytesMax  = 1 << 20
	ActionsMax      = 100_000
	DefaultDuration = 10 * sim.Second
)

// Scenario is a parsed scenario file.
type Scenario struct {
	Name        string
	Description string
	File        string
	Source      string
	// Seed is the scenario's default seed; a run may override it.
	Seed     uint64
	Duration int64
	Config   sim.Config
	Actions  []sim.Action
	Expect   []Expectation
	// Swarm, when set, draws the cluster's knobs from each seed (swarm.go).
	Swarm *SwarmSpec
}

// nodeTiming keeps durations until the tick is known.
type nodeTiming struct {
	election, heartbeat int64
	line                int
}

type parser struct {
	sc      *Scenario
	file    string
	line    int
	timing  []nodeTiming
	seenAny bool // a line that depends on the server count was read
	raw     []rawAction
	every   []rawEvery
	servers int
}

// rawAction is an action line before it is put in time order.
type rawAction struct {
	at   int64
	line int
	toks []token
	user bool // a recorded click: runs after the other events of its time
}

// Parse reads a scenario. Errors carry file:line:column.
func Parse(file string, src []byte) (*Scenario, error) {
	if len(src) > SourceBytesMax {
		return nil, &Error{File: file, Line: 1, Msg: fmt.Sprintf("file is %d bytes, over the limit of %d", len(src), SourceBytesMax)}
	}
	p := &parser{file: file, servers: 5}
	p.sc = &Scenario{File: file, Source: string(src), Seed: 1, Duration: DefaultDuration}
	p.sc.Config = sim.DefaultConfig(5)
	p.resetTiming()
	for i, line := range strings.Split(string(src), "\n") {
		p.line = i + 1
		if err := p.parseLine(tokenize(line)); err != nil {
			return nil, err
		}
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.sc, nil
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return &Error{File: p.file, Line: p.line, Col: t.col, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) resetTiming() {
	p.timing = make([]nodeTiming, p.servers)
	for i := range p.timing {
		p.timing[i] = nodeTiming{election: 150 * sim.Millisecond, heartbeat: 50 * sim.Millisecond}
	}
}

func (p *parser) parseLine(toks []token) error {
	if len(toks) == 0 {
		return nil
	}
	kw, args := toks[0], toks[1:]
	switch kw.text {
	case "name":
		return p.parseName(kw, args)
	case "description":
		p.sc.Description = strings.TrimSpace(strings.Join(texts(args), " "))
		return nil
	case "servers":
		return p.parseServers(kw, args)
	case "seed":
		return p.parseSeed(kw, args)
	case "duration":
		return p.oneDuration(kw, args, &p.sc.Duration, sim.Millisecond)
	case "tick":
		return p.oneDuration(kw, args, &p.sc.Config.TickMicros, 100)
	case "watchdog":
		if len(args) == 1 && args[0].text == "off" {
			p.sc.Config.WatchdogMicros = 0
			return nil
		}
		return p.oneDuration(kw, args, &p.sc.Config.WatchdogMicros, sim.Millisecond)
	case "check":
		return p.parseCheck(kw, args)
	case "options":
		return p.parseOptions(kw, args)
	case "bug":
		return p.parseBug(kw, args)
	case "network":
		return p.parseNetwork(kw, args, &p.sc.Config.Net)
	case "disk":
		return p.parseDisk(kw, args)
	case "workload":
		return p.parseWorkload(kw, args)
	case "at":
		return p.parseAt(kw, args)
	case "recorded":
		return p.parseRecorded(kw, args)
	case "every":
		return p.parseEvery(kw, args)
	case "schedule":
		return p.parseSchedule(kw, args)
	case "expect":
		return p.parseExpect(kw, args)
	case "nemesis":
		return p.parseNemesisLine(kw, args)
	case "swarm":
		return p.parseSwarm(kw, args)
	}
	return p.errAt(kw, "unknown directive %q (known: name, description, servers, seed, duration, tick, "+
		"options, bug, network, disk, workload, watchdog, check, schedule, at, recorded, every, nemesis, swarm, expect)", kw.text)
}

func texts(ts []token) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.text
	}
	return out
}

func (p *parser) parseName(kw token, args []token) error {
	if len(args) != 1 {
		return p.errAt(kw, "name takes one word, like: name leader-crash")
	}
	p.sc.Name = args[0].text
	return nil
}

func (p *parser) parseServers(kw token, args []token) error {
	if len(args) != 1 && (len(args) != 3 || args[1].text != "spare") {
		return p.errAt(kw, "servers takes a count and optional spare machines, like: servers 5 or servers 3 spare 2")
	}
	if p.seenAny {
		return p.errAt(kw, "servers must come before options, bug and actions")
	}
	n, err := parseInt(args[0].text, 1, sim.ServersMax)
	if err != nil {
		return p.errAt(args[0], "servers: %v", err)
	}
	spare := int64(0)
	if len(args) == 3 {
		if spare, err = parseInt(args[2].text, 0, sim.ServersMax-n); err != nil {
			return p.errAt(args[2], "spare: %v (at most %d servers in all)", err, sim.ServersMax)
		}
	}
	p.servers = int(n + spare)
	keep := p.sc.Config
	p.sc.Config = sim.DefaultConfig(p.servers)
	if spare > 0 {
		p.sc.Config.Members = int(n)
	}
	p.sc.Config.Net, p.sc.Config.Disk, p.sc.Config.Workload = keep.Net, keep.Disk, keep.Workload
	p.sc.Config.TickMicros, p.sc.Config.WatchdogMicros, p.sc.Config.Check = keep.TickMicros, keep.WatchdogMicros, keep.Check
	p.sc.Config.Manual, p.sc.Config.ManualDisk = keep.Manual, keep.ManualDisk
	p.resetTiming()
	return nil
}

func (p *parser) parseSeed(kw token, args []token) error {
	if len(args) != 1 {
		return p.errAt(kw, "seed takes a number")
	}
	v, err := parseInt(args[0].text, 0, SeedMax)
	if err != nil {
		return p.errAt(args[0], "seed: %v", err)
	}
	p.sc.Seed = uint64(v)
	return nil
}

func (p *parser) oneDuration(kw token, args []token, dst *int64, min int64) error {
	if len(args) != 1 {
		return p.errAt(kw, "%s takes one duration, like: %s 10s", kw.text, kw.text)
	}
	d, err := parseDuration(args[0].text)
	if err != nil {
		return p.errAt(args[0], "%v", err)
	}
	if d < min {
		return p.errAt(args[0], "%s must be at least %dus", kw.text, min)
	}
	*dst = d
	return nil
}

func (p *parser) parseCheck(kw token, args []token) error {
	if len(args) != 1 {
		return p.errAt(kw, "check takes on or off")
	}
	b, err := parseBool(args[0].text)
	if err != nil {
		return p.errAt(args[0], "check: %v", err)
	}
	p.sc.Config.Check = b
	return nil
}

// keyValue splits "key=value".
func (p *parser) keyValue(t token) (string, string, error) {
	k, v, ok := strings.Cut(t.text, "=")
	if !ok || k == "" || v == "" {
		return "", "", p.errAt(t, "want key=value, not %q", t.text)
	}
	return k, v, nil
}

// servers parses a target list that must name servers at parse time
// (options, bugs): S1, S2,S3 or all.
func (p *parser) fixedServers(t token) ([]int, error) {
	if t.text == "all" {
		out := make([]int, p.servers)
		for i := range out {
			out[i] = i
		}
		return out, nil
	}
	var out []int
	for _, part := range strings.Split(t.text, ",") {
		id, err := p.serverID(part)
		if err != nil {
			return nil, p.errAt(t, "%v", err)
		}
		out = append(out, int(id)-1)
	}
	return out, nil
}

func (p *parser) serverID(s string) (raft.ID, error) {
	if len(s) < 2 || (s[0] != 'S' && s[0] != 's') {
		return 0, fmt.Errorf("want a server like S1, not %q", s)
	}
	n, err := parseInt(s[1:], 1, int64(p.servers))
	if err != nil {
		return 0, fmt.Errorf("no server %q in a cluster of %d (S1..S%d)", s, p.servers, p.servers)
	}
	return raft.ID(n), nil
}

func (p *parser) parseOptions(kw token, args []token) error {
	if len(args) < 2 {
		return p.errAt(kw, "options takes servers and key=value pairs, like: options all prevote=on")
	}
	p.seenAny = true
	targets, err := p.fixedServers(args[0])
	if err != nil {
		return err
	}
	for _, t := range args[1:] {
		if err := p.parseOption(t, targets); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) parseOption(t token, targets []int) error {
	k, v, err := p.keyValue(t)
	if err != nil {
		return err
	}
	nodes := p.sc.Config.Nodes
	switch k {
	case "prevote", "checkquorum":
		b, err := parseBool(v)
		if err != nil {
			return p.errAt(t, "%s: %v", k, err)
		}
		for _, i := range targets {
			if k == "prevote" {
				nodes[i].PreVote = b
			} else {
				nodes[i].CheckQuorum = b
			}
		}
	case "election", "heartbeat":
		d, err := parseDuration(v)
		if err != nil || d <= 0 {
			return p.errAt(t, "%s: want a positive duration, not %q", k, v)
		}
		for _, i := range targets {
			if k == "election" {
				p.timing[i].election = d
			} else {
				p.timing[i].heartbeat = d
			}
			p.timing[i].line = p.line
		}
	case "snapshot", "chunk":
		limit := int64(sim.SnapshotEntriesMax)
		if k == "chunk" {
			limit = 1 << 20
		}
		n, err := parseInt(v, 0, limit)
		if err != nil || (k == "chunk" && n == 0) {
			return p.errAt(t, "%s: want a whole number up to %d, not %q", k, limit, v)
		}
		for _, i := range targets {
			if k == "snapshot" {
				nodes[i].SnapshotEntries = int(n)
			} else {
				nodes[i].SnapshotChunkBytes = int(n)
			}
		}
	case "reads", "lease-drift", "max-uncommitted", "max-uncommitted-bytes", "max-pending":
		return p.runtimeOption(t, k, v, func(f func(*sim.NodeOptions)) {
			for _, i := range targets {
				f(&nodes[i])
			}
		})
	case "membership":
		if v != "joint" && v != "single" {
			return p.errAt(t, "membership: want joint or single, not %q", v)
		}
		for _, i := range targets {
			nodes[i].SingleServerChanges = v == "single"
		}
	case "inflight", "batch":
		n, err := parseInt(v, 0, 4096)
		if err != nil || (k == "inflight" && n == 0) {
			return p.errAt(t, "%s: want a whole number from %d to 4096", k, map[bool]int{true: 1, false: 0}[k == "inflight"])
		}
		for _, i := range targets {
			if k == "inflight" {
				nodes[i].MaxInflightMsgs = int(n)
			} else {
				nodes[i].MaxEntriesPerMsg = int(n)
			}
		}
	default:
		return p.errAt(t, "unknown option %q (known: prevote, checkquorum, election, heartbeat, inflight, batch, "+
			"snapshot, chunk, membership, reads, lease-drift, max-uncommitted, max-uncommitted-bytes, max-pending)", k)
	}
	return nil
}

// runtimeOption reads an option that may also change while the world runs
// (the "options" action): read mode, lease drift bound, admission bounds.
// It hands apply a function that sets it on one server's options.
func (p *parser) runtimeOption(t token, k, v string, apply func(func(*sim.NodeOptions))) error {
	switch k {
	case "reads":
		m, err := sim.ParseReadMode(v)
		if err != nil {
			return p.errAt(t, "%v", err)
		}
		apply(func(o *sim.NodeOptions) { o.ReadMode = m })
	case "lease-drift":
		ppm, err := parsePPM(v)
		if err != nil {
			return p.errAt(t, "lease-drift: %v", err)
		}
		apply(func(o *sim.NodeOptions) { o.LeaseDriftPPM = ppm })
	default:
		n, err := parseInt(v, 0, 1<<30)
		if err != nil {
			return p.errAt(t, "%s: %v (0 turns the bound off)", k, err)
		}
		apply(func(o *sim.NodeOptions) {
			switch k {
			case "max-uncommitted":
				o.MaxUncommitted = int(n)
			case "max-uncommitted-bytes":
				o.MaxUncommittedBytes = int(n)
			default:
				o.MaxPending = int(n)
			}
		})
	}
	return nil
}

func (p *parser) parseBug(kw token, args []token) error {
	if len(args) < 2 {
		return p.errAt(kw, "bug takes servers and toggle names, like: bug all commit-previous-term")
	}
	p.seenAny = true
	targets, err := p.fixedServers(args[0])
	if err != nil {
		return err
	}
	for _, t := range args[1:] {
		b, err := raft.ParseBug(t.text)
		if err != nil {
			return p.errAt(t, "%v", err)
		}
		for _, i := range targets {
			p.sc.Config.Nodes[i].Bugs = p.sc.Config.Nodes[i].Bugs.With(b)
		}
	}
	return nil
}

func (p *parser) parseNetwork(kw token, args []token, lp *sim.LinkParams) error {
	if len(args) == 0 {
		return p.errAt(kw, "%s takes key=value pairs, like: latency=1ms..5ms loss=1%%", kw.text)
	}
	for _, t := range args {
		if err := p.parseLinkParam(t, lp); err != nil {
			return err
		}
	}
	if err := lp.Validate(); err != nil {
		return p.errAt(kw, "%v", err)
	}
	return nil
}

func (p *parser) parseLinkParam(t token, lp *sim.LinkParams) error {
	k, v, err := p.keyValue(t)
	if err != nil {
		return err
	}
	switch k {
	case "latency":
		lo, hi, err := parseRange(v)
		if err != nil {
			return p.errAt(t, "latency: %v", err)
		}
		lp.LatencyMinMicros, lp.LatencyMaxMicros = lo, hi
	case "loss", "duplicate", "reorder":
		ppm, err := parsePPM(v)
		if err != nil {
			return p.errAt(t, "%s: %v", k, err)
		}
		switch k {
		case "loss":
			lp.LossPPM = ppm
		case "duplicate":
			lp.DuplicatePPM = ppm
		default:
			lp.ReorderPPM = ppm
		}
	case "reorder-delay":
		d, err := parseDuration(v)
		if err != nil {
			return p.errAt(t, "reorder-delay: %v", err)
		}
		lp.ReorderDelayMicros = d
	default:
		return p.errAt(t, "unknown network setting %q (known: latency, loss, duplicate, reorder, reorder-delay)", k)
	}
	return nil
}

func (p *parser) parseDisk(kw token, args []token) error {
	if len(args) == 0 {
		return p.errAt(kw, "disk takes latency=RANGE [bandwidth=RATE], like: disk latency=200us..1ms bandwidth=2MB/s")
	}
	d := p.sc.Config.Disk
	for _, t := range args {
		k, v, err := p.keyValue(t)
		if err != nil {
			return err
		}
		switch k {
		case "latency":
			lo, hi, err := parseRange(v)
			if err != nil {
				return p.errAt(t, "%v", err)
			}
			d.LatencyMinMicros, d.LatencyMaxMicros = lo, hi
		case "bandwidth":
			n, err := parseRate(v)
			if err != nil {
				return p.errAt(t, "bandwidth: %v", err)
			}
			d.BytesPerSec = n
		default:
			return p.errAt(t, "unknown disk setting %q (known: latency, bandwidth)", k)
		}
	}
	p.sc.Config.Disk = d
	return nil
}

// parseRate reads a byte rate: 500KB/s, 2MB/s, 1000B/s, or 0 for unlimited.
func parseRate(s string) (int64, error) {
	if s == "0" || s == "unlimited" {
		return 0, nil
	}
	for _, u := range []struct {
		suffix string
		mul    int64
	}{{"MB/s", 1 << 20}, {"KB/s", 1 << 10}, {"B/s", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			n, err := parseInt(strings.TrimSuffix(s, u.suffix), 1, 1<<40/u.mul)
			if err != nil {
				return 0, err
			}
			return n * u.mul, nil
		}
	}
	return 0, fmt.Errorf("want a rate like 2MB/s, 500KB/s or 0 (unlimited), not %q", s)
}

func (p *parser) parseWorkload(kw token, args []token) error {
	wl := &p.sc.Config.Workload
	for _, t := range args {
		k, v, err := p.keyValue(t)
		if err != nil {
			return err
		}
		if err := p.workloadSetting(t, wl, k, v); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) workloadSetting(t token, wl *sim.Workload, k, v string) error {
	var err error
	var n int64
	switch k {
	case "clients":
		n, err = parseInt(v, 0, sim.ClientsMax)
		wl.Clients = int(n)
	case "inflight":
		n, err = parseInt(v, 1, sim.ClientInflightMax)
		wl.Inflight = int(n)
	case "rate":
		n, err = parseInt(strings.TrimSuffix(v, "/s"), 0, 10_000_000)
		wl.RatePerSec = n
	case "writes":
		var ppm uint32
		ppm, err = parsePPM(v)
		wl.WritePPM = ppm
	case "keys":
		n, err = parseInt(v, 1, sim.KeysMax)
		wl.Keys = int(n)
	case "value":
		n, err = parseInt(strings.TrimSuffix(v, "B"), 0, sim.ValueBytesMax)
		wl.ValueBytes = int(n)
	case "appends":
		var ppm uint32
		ppm, err = parsePPM(v)
		wl.AppendPPM = ppm
	case "keys-dist":
		if v != "uniform" && v != "zipf" {
			return p.errAt(t, "keys-dist: want uniform or zipf, not %q", v)
		}
		wl.Zipf = v == "zipf"
	case "reads-from":
		if v != "leader" && v != "any" {
			return p.errAt(t, "reads-from: want leader or any, not %q", v)
		}
		wl.ReadAnywhere = v == "any"
	case "attempts":
		n, err = parseInt(v, 0, sim.AttemptsMax)
		wl.MaxAttempts = int(n)
	case "backoff-max":
		n, err = parseDuration(v)
		wl.BackoffMaxMicros = n
	case "timeout", "start", "stop":
		n, err = parseDuration(v)
		switch k {
		case "timeout":
			wl.TimeoutMicros = n
		case "start":
			wl.StartMicros = n
		default:
			wl.StopMicros = n
		}
	default:
		return p.errAt(t, "unknown workload setting %q (known: clients, inflight, rate, writes, appends, keys, "+
			"keys-dist, value, reads-from, attempts, backoff-max, timeout, start, stop)", k)
	}
	if err != nil {
		return p.errAt(t, "%s: %v", k, err)
	}
	return nil
}

func (p *parser) parseAt(kw token, args []token) error {
	if len(args) < 2 {
		return p.errAt(kw, "at takes a time and an action, like: at 2s crash leader")
	}
	p.seenAny = true
	at, err := parseDuration(args[0].text)
	if err != nil {
		return p.errAt(args[0], "%v", err)
	}
	if len(p.raw) >= ActionsMax {
		return p.errAt(kw, "more than %d actions", ActionsMax)
	}
	p.raw = append(p.raw, rawAction{at: at, line: p.line, toks: args[1:]})
	return nil
}

// parseNemesisLine reads "nemesis NAMES [every A..B] [from T] [until T]":
// the action "at T nemesis NAMES ..." (from 0 by default).
func (p *parser) parseNemesisLine(kw token, args []token) error {
	p.seenAny = true
	at := int64(0)
	var rest []token
	for i := 0; i < len(args); i++ {
		if args[i].text == "from" && i+1 < len(args) {
			d, err := parseDuration(args[i+1].text)
			if err != nil {
				return p.errAt(args[i+1], "%v", err)
			}
			at = d
			i++
			continue
		}
		rest = append(rest, args[i])
	}
	if len(p.raw) >= ActionsMax {
		return p.errAt(kw, "more than %d actions", ActionsMax)
	}
	p.raw = append(p.raw, rawAction{at: at, line: p.line, toks: append([]token{kw}, rest...)})
	return nil
}

// parseEvery expands "every 1s [from 2s] [until 8s] ACTION" into actions.
func (p *parser) parseEvery(kw token, args []token) error {
	if len(args) < 2 {
		return p.errAt(kw, "every takes a period and an action, like: every 1s from 2s until 8s crash random")
	}
	p.seenAny = true
	period, err := parseDuration(args[0].text)
	if err != nil || period <= 0 {
		return p.errAt(args[0], "every: want a positive period, not %q", args[0].text)
	}
	from, until := period, int64(-1)
	rest := args[1:]
	for len(rest) >= 2 && (rest[0].text == "from" || rest[0].text == "until") {
		d, err := parseDuration(rest[1].text)
		if err != nil {
			return p.errAt(rest[1], "%v", err)
		}
		if rest[0].text == "from" {
			from = d
		} else {
			until = d
		}
		rest = rest[2:]
	}
	if len(rest) == 0 {
		return p.errAt(kw, "every needs an action after its times")
	}
	p.every = append(p.every, rawEvery{period: period, from: from, until: until, line: p.line, toks: rest})
	return nil
}

// rawEvery is an "every" line, expanded once the run's duration is known.
type rawEvery struct {
	period, from, until int64
	line                int
	toks                []token
}

func (p *parser) expandEvery() error {
	for _, e := range p.every {
		until := e.until
		if until < 0 || until > p.sc.Duration {
			until = p.sc.Duration
		}
		for t := e.from; t <= until; t += e.period {
			if len(p.raw) >= ActionsMax {
				return &Error{File: p.file, Line: e.line, Msg: fmt.Sprintf("every expands to more than %d actions", ActionsMax)}
			}
			p.raw = append(p.raw, rawAction{at: t, line: e.line, toks: e.toks})
		}
	}
	return nil
}

func (p *parser) finish() error {
	sc := p.sc
	tick := sc.Config.TickMicros
	for i, t := range p.timing {
		n := &sc.Config.Nodes[i]
		n.ElectionTicks = int(max(t.election/tick, 1))
		n.HeartbeatTicks = int(max(t.heartbeat/tick, 1))
		if n.ElectionTicks <= n.HeartbeatTicks {
			return &Error{File: p.file, Line: max(t.line, 1), Msg: fmt.Sprintf(
				"S%d: election timeout (%d ticks of %s) must be longer than the heartbeat (%d ticks)",
				i+1, n.ElectionTicks, fmtDuration(tick), n.HeartbeatTicks)}
		}
	}
	sc.Config.Seed = sc.Seed
	if err := sc.Config.Validate(); err != nil {
		return &Error{File: p.file, Line: 1, Msg: err.Error()}
	}
	if err := p.expandEvery(); err != nil {
		return err
	}
	// Recorded clicks come after the scenario's own actions of their time,
	// as they run after them (and see the network those leave).
	slices.SortStableFunc(p.raw, func(a, b rawAction) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(boolInt(a.user), boolInt(b.user)))
	})
	// A recorded click changes the network as the world had it (userNet);
	// the scenario's own actions never see a click's change.
	net := sc.Config.Net
	userNet := net
	for _, r := range p.raw {
		if r.at > sc.Duration {
			p.line = r.line
			return p.errAt(token{col: 1}, "action at %s is after the end of the run (duration %s)",
				fmtDuration(r.at), fmtDuration(sc.Duration))
		}
		p.line = r.line
		lp := &net
		if r.user {
			lp = &userNet
		}
		a, err := p.parseAction(r.at, r.toks, lp)
		if err != nil {
			return err
		}
		a.User = r.user
		if a.Kind == sim.ActNet && !a.Link {
			userNet = a.Net
		}
		sc.Actions = append(sc.Actions, a)
	}
	if len(sc.Expect) == 0 {
		sc.Expect = []Expectation{{Kind: ExpectNoViolation, Line: 0, Text: "no-violation (default)"}}
	}
	return nil
}

func fmtDuration(us int64) string {
	switch {
	case us%sim.Second == 0:
		return fmt.Sprintf("%ds", us/sim.Second)
	case us%sim.Millisecond == 0:
		return fmt.Sprintf("%dms", us/sim.Millisecond)
	}
	return fmt.Sprintf("%dus", us)
}
