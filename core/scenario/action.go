package scenario

import (
	"strings"

	"smrlab/core/sim"
)

// ParseAction reads one action line as a user would type it, "at 1.5s crash
// S2", for a cluster of servers servers; net settings start from net. It is
// how interactive sessions turn clicks into replayable inputs.
func ParseAction(line string, servers int, net sim.LinkParams) (sim.Action, error) {
	p := &parser{file: "action", line: 1, servers: servers}
	toks := tokenize(line)
	if len(toks) < 3 || toks[0].text != "at" {
		col := 1
		if len(toks) > 0 {
			col = toks[0].col
		}
		return sim.Action{}, p.errAt(token{col: col}, "an action reads: at TIME ACTION, like: at 2s crash leader")
	}
	at, err := parseDuration(toks[1].text)
	if err != nil {
		return sim.Action{}, p.errAt(toks[1], "%v", err)
	}
	a, err := p.parseAction(at, toks[2:], &net)
	a.User = true
	return a, err
}

var actionHelp = "crash, restart, pause, resume, isolate, partition, cut, heal, net, slow-disk, clock, campaign, " +
	"propose, workload, transfer, snapshot, add, promote, remove, replace, reconfigure, options, nemesis, " +
	"and under the manual scheduler deliver, drop, duplicate, persist, heartbeat"

// parseAction compiles one action; net is the network as the actions before
// it left it, and is updated by a net action.
func (p *parser) parseAction(at int64, toks []token, net *sim.LinkParams) (sim.Action, error) {
	verb, args := toks[0], toks[1:]
	a := sim.Action{At: at, Text: fmtDuration(at) + " " + strings.Join(texts(toks), " "), Rate: -1}
	var err error
	switch verb.text {
	case "crash", "restart", "pause", "resume", "isolate", "campaign":
		a.Kind = map[string]sim.ActionKind{"crash": sim.ActCrash, "restart": sim.ActRestart, "pause": sim.ActPause,
			"resume": sim.ActResume, "isolate": sim.ActIsolate, "campaign": sim.ActCampaign}[verb.text]
		err = p.targetsOnly(verb, args, &a)
	case "partition":
		a.Kind = sim.ActPartition
		err = p.parsePartition(verb, args, &a)
	case "cut":
		a.Kind = sim.ActCut
		err = p.parseLinkArgs(verb, args, &a, true)
	case "heal":
		a.Kind = sim.ActHeal
		if len(args) > 0 {
			err = p.parseLinkArgs(verb, args, &a, true)
		}
	case "net":
		a.Kind = sim.ActNet
		err = p.parseNetAction(verb, args, &a, net)
	case "slow-disk":
		a.Kind = sim.ActDisk
		err = p.parseSlowDisk(verb, args, &a)
	case "clock":
		a.Kind = sim.ActClock
		err = p.parseClock(verb, args, &a)
	case "propose":
		a.Kind = sim.ActPropose
		err = p.parsePropose(verb, args, &a)
	case "workload":
		a.Kind = sim.ActWorkload
		err = p.parseWorkloadAction(verb, args, &a)
	case "transfer":
		a.Kind = sim.ActTransfer
		if len(args) != 1 {
			return a, p.errAt(verb, "transfer names the server to hand leadership to, like: transfer S3")
		}
		err = p.targetsOnly(verb, args, &a)
	case "snapshot":
		err = p.parseSnapshot(verb, args, &a)
	case "add", "promote", "remove", "replace":
		err = p.parseMembership(verb, args, &a)
	case "reconfigure":
		err = p.parseReconfigure(verb, args, &a)
	case "options":
		err = p.parseOptionsAction(verb, args, &a)
	case "nemesis":
		err = p.parseNemesis(verb, args, &a)
	case "deliver", "drop", "duplicate", "persist", "heartbeat":
		err = p.parseManual(verb, args, &a)
	default:
		return a, p.errAt(verb, "unknown action %q (known: %s)", verb.text, actionHelp)
	}
	return a, err
}

// parseSnapshot reads "snapshot S1" (snapshot now) or "snapshot every 500
// [S1 ...]" (set the threshold; every server when none is named).
func (p *parser) parseSnapshot(verb token, args []token, a *sim.Action) error {
	if len(args) > 0 && args[0].text == "every" {
		a.Kind = sim.ActSnapshotEvery
		if len(args) < 2 {
			return p.errAt(verb, "write: snapshot every 500 (entries; 0 turns automatic snapshots off)")
		}
		n, err := parseInt(args[1].text, 0, sim.SnapshotEntriesMax)
		if err != nil {
			return p.errAt(args[1], "snapshot every: %v", err)
		}
		a.Entries = int(n)
		if len(args) == 2 {
			a.Targets = []sim.Target{{Kind: sim.TargetAll}}
			return nil
		}
		ts, err := p.targets(args[2:])
		a.Targets = ts
		return err
	}
	a.Kind = sim.ActSnapshot
	return p.targetsOnly(verb, args, a)
}

// parseMembership reads the membership changes: add S4 (as a learner, then
// promoted), add voter S4, add learner S4, promote S4, remove S2, and
// replace S1 with S4.
func (p *parser) parseMembership(verb token, args []token, a *sim.Action) error {
	one := func(rest []token) error {
		if len(rest) != 1 {
			return p.errAt(verb, "%s names one server, like: %s S4", verb.text, verb.text)
		}
		t, err := p.target(rest[0], rest[0].text)
		if err != nil {
			return err
		}
		if t.Kind == sim.TargetAll || t.Kind == sim.TargetRandom {
			return p.errAt(rest[0], "%s names one server (S4, leader or follower), not %q", verb.text, rest[0].text)
		}
		a.Targets = []sim.Target{t}
		return nil
	}
	switch verb.text {
	case "add":
		a.Kind = sim.ActAddServer
		if len(args) > 0 && (args[0].text == "voter" || args[0].text == "learner") {
			a.Kind = map[string]sim.ActionKind{"voter": sim.ActAddVoter, "learner": sim.ActAddLearner}[args[0].text]
			args = args[1:]
		}
		return one(args)
	case "promote":
		a.Kind = sim.ActPromote
		return one(args)
	case "remove":
		a.Kind = sim.ActRemove
		return one(args)
	}
	a.Kind = sim.ActReplace
	if len(args) != 3 || args[1].text != "with" {
		return p.errAt(verb, "write: replace S1 with S4")
	}
	if err := one(args[:1]); err != nil {
		return err
	}
	old := a.Targets[0]
	if err := one(args[2:]); err != nil {
		return err
	}
	a.Targets = []sim.Target{old, a.Targets[0]}
	return nil
}

// target reads one server name: S1, leader, all, random or follower.
func (p *parser) target(t token, text string) (sim.Target, error) {
	switch text {
	case "leader":
		return sim.Target{Kind: sim.TargetLeader}, nil
	case "all":
		return sim.Target{Kind: sim.TargetAll}, nil
	case "random":
		return sim.Target{Kind: sim.TargetRandom}, nil
	case "follower":
		return sim.Target{Kind: sim.TargetFollower}, nil
	case "spare":
		return sim.Target{Kind: sim.TargetSpare}, nil
	}
	id, err := p.serverID(text)
	if err != nil {
		return sim.Target{}, p.errAt(t, "%v (or leader, follower, spare, random, all)", err)
	}
	return sim.Target{Kind: sim.TargetID, ID: id}, nil
}

// targets reads "S1 S2", "S1,S2" or a role name.
func (p *parser) targets(toks []token) ([]sim.Target, error) {
	var out []sim.Target
	for _, t := range toks {
		for _, part := range strings.Split(t.text, ",") {
			if part == "" {
				continue
			}
			tg, err := p.target(t, part)
			if err != nil {
				return nil, err
			}
			out = append(out, tg)
		}
	}
	return out, nil
}

func (p *parser) targetsOnly(verb token, args []token, a *sim.Action) error {
	if len(args) == 0 {
		return p.errAt(verb, "%s needs a server, like: %s S2 (or leader, follower, random, all)", verb.text, verb.text)
	}
	ts, err := p.targets(args)
	a.Targets = ts
	return err
}

func (p *parser) parsePartition(verb token, args []token, a *sim.Action) error {
	if len(args) == 1 && args[0].text == "halves" {
		a.RandomHalves = true
		return nil
	}
	var groups [][]token
	cur := []token{}
	for _, t := range args {
		parts := strings.Split(t.text, "|")
		for i, part := range parts {
			if i > 0 {
				groups = append(groups, cur)
				cur = []token{}
			}
			if part != "" {
				cur = append(cur, token{text: part, col: t.col})
			}
		}
	}
	groups = append(groups, cur)
	if len(groups) < 2 {
		return p.errAt(verb, "partition needs two or more groups split by |, like: partition S1 S2 | S3 S4 S5 (or: partition halves)")
	}
	seen := map[string]bool{}
	for _, g := range groups {
		if len(g) == 0 {
			return p.errAt(verb, "partition has an empty group")
		}
		ts, err := p.targets(g)
		if err != nil {
			return err
		}
		for i, t := range ts {
			if t.Kind == sim.TargetAll {
				return p.errAt(g[min(i, len(g)-1)], "partition groups name servers, not all")
			}
			if seen[t.String()] {
				return p.errAt(g[min(i, len(g)-1)], "%v is in two groups of the partition", t)
			}
			seen[t.String()] = true
		}
		a.Groups = append(a.Groups, ts)
	}
	return nil
}

// parseLinkArgs reads "A -> B" (one way) or "A <-> B" (both ways).
func (p *parser) parseLinkArgs(verb token, args []token, a *sim.Action, need bool) error {
	if len(args) < 3 || (args[1].text != "->" && args[1].text != "<->") {
		if !need && len(args) == 0 {
			return nil
		}
		return p.errAt(verb, "%s needs a link, like: %s S1 -> S2 (one way) or %s S1 <-> S2 (both ways)",
			verb.text, verb.text, verb.text)
	}
	from, err := p.target(args[0], args[0].text)
	if err != nil {
		return err
	}
	to, err := p.target(args[2], args[2].text)
	if err != nil {
		return err
	}
	a.From, a.To, a.Both, a.Link = from, to, args[1].text == "<->", true
	if len(args) > 3 && verb.text != "net" {
		return p.errAt(args[3], "unexpected %q after the link", args[3].text)
	}
	return nil
}

func (p *parser) parseNetAction(verb token, args []token, a *sim.Action, net *sim.LinkParams) error {
	settings := args
	if len(args) >= 3 && (args[1].text == "->" || args[1].text == "<->") {
		if err := p.parseLinkArgs(verb, args, a, true); err != nil {
			return err
		}
		settings = args[3:]
	}
	lp := *net
	if err := p.parseNetwork(verb, settings, &lp); err != nil {
		return err
	}
	a.Net = lp
	if !a.Link {
		*net = lp
	}
	return nil
}

func (p *parser) parseSlowDisk(verb token, args []token, a *sim.Action) error {
	if len(args) < 2 {
		return p.errAt(verb, "slow-disk needs servers and a factor, like: slow-disk S2 10x (or off)")
	}
	last := args[len(args)-1]
	ts, err := p.targets(args[:len(args)-1])
	if err != nil {
		return err
	}
	a.Targets = ts
	if last.text == "off" {
		a.SlowPercent = 100
		return nil
	}
	f, err := parseDecimal(strings.TrimSuffix(last.text, "x"), 100)
	if err != nil || !strings.HasSuffix(last.text, "x") || f < 1 || f > 1_000_000 {
		return p.errAt(last, "slow-disk: want a factor like 10x or 0.5x (0.01x to 10000x), not %q", last.text)
	}
	a.SlowPercent = f
	return nil
}

func (p *parser) parseClock(verb token, args []token, a *sim.Action) error {
	var who []token
	set := false
	for _, t := range args {
		k, v, ok := strings.Cut(t.text, "=")
		if !ok {
			who = append(who, t)
			continue
		}
		set = true
		var err error
		switch k {
		case "drift":
			a.DriftPPM, err = parseSignedPPM(v)
		case "skew":
			a.SkewMicros, err = parseSignedDuration(v)
		default:
			return p.errAt(t, "unknown clock setting %q (known: drift, skew)", k)
		}
		if err != nil {
			return p.errAt(t, "%s: %v", k, err)
		}
	}
	if len(who) == 0 || !set {
		return p.errAt(verb, "clock needs servers and settings, like: clock S2 drift=+5%% skew=100ms")
	}
	ts, err := p.targets(who)
	a.Targets = ts
	return err
}

func (p *parser) parsePropose(verb token, args []token, a *sim.Action) error {
	if len(args) != 2 {
		return p.errAt(verb, "propose needs a server and key=value, like: propose S1 x=1")
	}
	ts, err := p.targets(args[:1])
	if err != nil {
		return err
	}
	k, v, err := p.keyValue(args[1])
	if err != nil {
		return err
	}
	a.Targets, a.Key, a.Value = ts, k, v
	return nil
}

func (p *parser) parseWorkloadAction(verb token, args []token, a *sim.Action) error {
	if len(args) != 1 {
		return p.errAt(verb, "workload takes start, stop or rate=N/s")
	}
	switch t := args[0]; {
	case t.text == "start":
		a.On = true
	case t.text == "stop":
		a.On = false
	case strings.HasPrefix(t.text, "rate="):
		n, err := parseInt(strings.TrimSuffix(strings.TrimPrefix(t.text, "rate="), "/s"), 0, 10_000_000)
		if err != nil {
			return p.errAt(t, "rate: %v", err)
		}
		a.On, a.Rate = true, n
	default:
		return p.errAt(t, "workload takes start, stop or rate=N/s, not %q", t.text)
	}
	return nil
}

// parseReconfigure reads "reconfigure S2 remove S1": S2 proposes that one
// change at once (voter, learner, promote or remove), with no retry.
func (p *parser) parseReconfigure(verb token, args []token, a *sim.Action) error {
	a.Kind = sim.ActReconfigure
	if len(args) != 3 {
		return p.errAt(verb, "write: reconfigure S2 remove S1 (or voter, learner, promote)")
	}
	if _, ok := sim.ReconfigureSteps[args[1].text]; !ok {
		return p.errAt(args[1], "reconfigure: want voter, learner, promote or remove, not %q", args[1].text)
	}
	a.Step = args[1].text
	for _, t := range []token{args[0], args[2]} {
		tg, err := p.target(t, t.text)
		if err != nil {
			return err
		}
		if tg.Kind == sim.TargetAll || tg.Kind == sim.TargetRandom {
			return p.errAt(t, "reconfigure names one server, not %q", t.text)
		}
		a.Targets = append(a.Targets, tg)
	}
	return nil
}

// parseOptionsAction reads "options all reads=lease max-pending=100": the
// options that may change while the world runs.
func (p *parser) parseOptionsAction(verb token, args []token, a *sim.Action) error {
	a.Kind = sim.ActOptions
	if len(args) < 2 {
		return p.errAt(verb, "write: options all reads=lease (also lease-drift, max-uncommitted, "+
			"max-uncommitted-bytes, max-pending)")
	}
	ts, err := p.targets(args[:1])
	if err != nil {
		return err
	}
	a.Targets = ts
	for _, t := range args[1:] {
		k, v, err := p.keyValue(t)
		if err != nil {
			return err
		}
		switch k {
		case "reads", "lease-drift", "max-uncommitted", "max-uncommitted-bytes", "max-pending":
		default:
			return p.errAt(t, "option %q cannot change while the cluster runs (these can: reads, lease-drift, "+
				"max-uncommitted, max-uncommitted-bytes, max-pending)", k)
		}
		if err := p.runtimeOption(t, k, v, func(f func(*sim.NodeOptions)) { a.SetOptions = append(a.SetOptions, f) }); err != nil {
			return err
		}
	}
	return nil
}

// parseNemesis reads "nemesis kill-leader,partition-halves [every
// 500ms..2s] [for 10s | until 30s]": the named fault schedules run from the
// action's time, each fault and each quiet spell lasting a time drawn from
// the range, until the end (all healed then).
func (p *parser) parseNemesis(verb token, args []token, a *sim.Action) error {
	a.Kind = sim.ActNemesis
	if len(args) == 0 {
		return p.errAt(verb, "nemesis names fault schedules, like: nemesis kill-leader,partition-halves for 10s")
	}
	names, err := sim.ParseNemeses(args[0].text)
	if err != nil {
		return p.errAt(args[0], "%v", err)
	}
	a.Nemeses = names
	a.MinMicros, a.MaxMicros = 500*sim.Millisecond, 2*sim.Second
	a.Until = a.At + 10*sim.Second
	rest := args[1:]
	for len(rest) > 0 {
		if len(rest) < 2 {
			return p.errAt(rest[0], "%q needs a value: every 500ms..2s, for 10s or until 30s", rest[0].text)
		}
		switch rest[0].text {
		case "every":
			lo, hi, err := parseRange(rest[1].text)
			if err != nil || lo <= 0 {
				return p.errAt(rest[1], "every: want a positive range like 500ms..2s, not %q", rest[1].text)
			}
			a.MinMicros, a.MaxMicros = lo, hi
		case "for", "until":
			d, err := parseDuration(rest[1].text)
			if err != nil {
				return p.errAt(rest[1], "%v", err)
			}
			a.Until = d
			if rest[0].text == "for" {
				a.Until = a.At + d
			}
			if a.Until <= a.At {
				return p.errAt(rest[1], "the nemesis must end after it starts")
			}
		default:
			return p.errAt(rest[0], "unknown nemesis setting %q (known: every, for, until)", rest[0].text)
		}
		rest = rest[2:]
	}
	return nil
}
