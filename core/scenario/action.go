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

var actionHelp = "crash, restart, pause, resume, isolate, partition, cut, heal, net, slow-disk, clock, campaign, propose, workload, transfer"

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
	default:
		return a, p.errAt(verb, "unknown action %q (known: %s)", verb.text, actionHelp)
	}
	return a, err
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
	}
	id, err := p.serverID(text)
	if err != nil {
		return sim.Target{}, p.errAt(t, "%v (or leader, follower, random, all)", err)
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
