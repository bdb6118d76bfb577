package sim

import (
	"fmt"
	"slices"
	"strings"

	"smrlab/core/check"
	"smrlab/core/trace"
)

// A nemesis is a named fault schedule in the manner of Jepsen: it injects
// its fault, leaves it for a while, heals it, waits, and again, each
// duration drawn from its own seeded stream. Nemeses combine: each named one
// runs its own schedule, so "kill-leader,partition-halves" may crash a leader
// while the network is split. At the end of its window every fault heals.

// Nemeses lists the named nemeses, in the order `smrlab` prints them.
var Nemeses = []NemesisDoc{
	{"partition-halves", "cut the cluster into two random halves"},
	{"partition-ring", "a majority ring: every server reaches a majority, no two the same one"},
	{"bridge", "two halves joined by one server that reaches both"},
	{"isolate-leader", "cut the leader off from everyone"},
	{"kill-random", "crash a random server (writes not yet durable are lost), then restart it"},
	{"kill-leader", "crash the leader, then restart it"},
	{"pause", "pause a random server (a long garbage collection), then resume it"},
	{"clock-skew", "make a random server's clock run 30% slow or fast, then fix it"},
	{"slow-disk", "make a random server's disk 20 times slower, then restore it"},
	{"loss-burst", "lose 25% of messages on every link for a while"},
	{"dup-burst", "duplicate 20% of messages for a while"},
	{"reorder-burst", "hold back 30% of messages up to 40ms for a while"},
}

// NemesisDoc names and describes one nemesis.
type NemesisDoc struct{ Name, Summary string }

// ParseNemeses reads a comma-separated list of nemesis names ("all": every one).
func ParseNemeses(s string) ([]string, error) {
	if s == "all" {
		out := make([]string, len(Nemeses))
		for i, n := range Nemeses {
			out[i] = n.Name
		}
		return out, nil
	}
	var out []string
	for _, name := range strings.Split(s, ",") {
		if !slices.ContainsFunc(Nemeses, func(d NemesisDoc) bool { return d.Name == name }) {
			known := make([]string, len(Nemeses))
			for i, n := range Nemeses {
				known[i] = n.Name
			}
			return nil, fmt.Errorf("unknown nemesis %q (known: %s, or all)", name, strings.Join(known, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// nemesis is one running schedule. What its fault changed is kept as plain
// data (no closures), so that a cloned world heals its own copy.
type nemesis struct {
	name     string
	until    int64
	min, max int64 // each fault lasts, and each pause between faults lasts, in [min, max]
	active   bool
	rng      *stream
	// What to undo: links cut, the server acted on, its clock and disk as
	// they were, the network's defaults as they were.
	cut               []int
	server            int
	drift, skew, slow int64
	net               LinkParams
}

// startNemeses begins the schedules an ActNemesis names, from now until
// a.Until, and returns a note on them.
func (w *World) startNemeses(a *Action) string {
	for _, name := range a.Nemeses {
		w.nemesisSeq++
		n := &nemesis{name: name, until: a.Until, min: a.MinMicros, max: a.MaxMicros,
			rng: newStream(w.cfg.Seed, streamNemesis, w.nemesisSeq, 0)}
		w.nemeses = append(w.nemeses, n)
		it := w.q.newItem(w.now+between(n.rng, 0, n.min), itemNemesis, 0)
		it.action = len(w.nemeses) - 1
		w.q.push(it)
	}
	return fmt.Sprintf("%s until %s", strings.Join(a.Nemeses, ", "), check.FormatMicros(a.Until))
}

// nemesisStep injects or heals one nemesis's fault and schedules its next step.
func (w *World) nemesisStep(i int) {
	n := w.nemeses[i]
	if n.active {
		w.recordNemesis(n, "heals: "+w.healNemesis(n))
		n.active = false
	} else if w.now < n.until {
		note, done := w.injectNemesis(n)
		n.active = done
		w.recordNemesis(n, note)
	}
	if !n.active && w.now >= n.until {
		return
	}
	next := w.now + between(n.rng, n.min, n.max)
	if n.active {
		next = min(next, max(n.until, w.now+1))
	}
	it := w.q.newItem(next, itemNemesis, 0)
	it.action = i
	w.q.push(it)
}

func (w *World) recordNemesis(n *nemesis, text string) {
	w.record(trace.Event{Kind: trace.Fault, Text: "nemesis " + n.name + " " + text})
	for _, s := range w.servers {
		w.flush(s)
	}
}

// cutLinks cuts both directions between the pairs and remembers what it cut.
func (w *World) cutLinks(n *nemesis, pairs [][2]int) {
	n.cut = n.cut[:0]
	for _, c := range pairs {
		for _, l := range []int{w.net.link(c[0], c[1]), w.net.link(c[1], c[0])} {
			if !w.net.cut[l] {
				w.net.cut[l] = true
				n.cut = append(n.cut, l)
			}
		}
	}
}

// injectNemesis applies n's fault now and reports whether it did anything.
func (w *World) injectNemesis(n *nemesis) (string, bool) {
	r := n.rng
	running := func(s *server) bool { return s.node != nil }
	switch n.name {
	case "partition-halves", "bridge", "partition-ring":
		members := w.nemesisServers()
		if len(members) < 3 {
			return "skips: fewer than three servers", false
		}
		perm := slices.Clone(members)
		r.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
		var pairs [][2]int
		var note string
		half := len(perm) / 2
		switch n.name {
		case "partition-halves":
			for _, a := range perm[:half] {
				for _, b := range perm[half:] {
					pairs = append(pairs, [2]int{a.idx, b.idx})
				}
			}
			note = fmt.Sprintf("splits %s | %s", names(perm[:half]), names(perm[half:]))
		case "bridge":
			for _, a := range perm[:half] {
				for _, b := range perm[half+1:] {
					pairs = append(pairs, [2]int{a.idx, b.idx})
				}
			}
			note = fmt.Sprintf("splits %s | %s with %v bridging", names(perm[:half]), names(perm[half+1:]),
				perm[half].id)
		default:
			// Servers on a ring, each linked to its nearest neighbours only:
			// as many as it takes to see a majority.
			k := (len(perm)/2 + 1) / 2
			for i := range perm {
				for j := i + 1; j < len(perm); j++ {
					if min(j-i, len(perm)-(j-i)) > k {
						pairs = append(pairs, [2]int{perm[i].idx, perm[j].idx})
					}
				}
			}
			note = "makes a majority ring " + names(perm)
		}
		w.cutLinks(n, pairs)
		return note, true
	case "isolate-leader":
		lead := w.leader()
		if lead == nil {
			return "skips: no leader", false
		}
		var pairs [][2]int
		for o := range w.servers {
			if o != lead.idx {
				pairs = append(pairs, [2]int{lead.idx, o})
			}
		}
		w.cutLinks(n, pairs)
		return "isolates " + lead.id.String(), true
	case "kill-random", "kill-leader":
		s := w.leader()
		if n.name == "kill-random" {
			s = pickFrom(r, w.servers, running)
		}
		if s == nil {
			return "skips: nobody to crash", false
		}
		n.server = s.idx
		w.crash(s)
		return "crashes " + s.id.String(), true
	case "pause":
		s := pickFrom(r, w.servers, func(s *server) bool { return running(s) && !s.paused })
		if s == nil {
			return "skips: nobody to pause", false
		}
		n.server = s.idx
		s.paused = true
		return "pauses " + s.id.String(), true
	case "clock-skew":
		s := pickFrom(r, w.servers, running)
		if s == nil {
			return "skips: nobody running", false
		}
		n.server, n.drift, n.skew = s.idx, s.driftPPM, s.skewMicros
		s.driftPPM = 300_000
		if r.IntN(2) == 0 {
			s.driftPPM = -300_000
		}
		return fmt.Sprintf("makes %v's clock run %+d%%", s.id, s.driftPPM/10_000), true
	case "slow-disk":
		s := pickFrom(r, w.servers, running)
		if s == nil {
			return "skips: nobody running", false
		}
		n.server, n.slow = s.idx, s.disk.slowPercent
		s.disk.slowPercent = 2000
		return "slows " + s.id.String() + "'s disk 20x", true
	case "loss-burst", "dup-burst", "reorder-burst":
		n.net = w.net.params
		p := w.net.params
		switch n.name {
		case "loss-burst":
			p.LossPPM = max(p.LossPPM, 250_000)
		case "dup-burst":
			p.DuplicatePPM = max(p.DuplicatePPM, 200_000)
		default:
			p.ReorderPPM, p.ReorderDelayMicros = max(p.ReorderPPM, 300_000), max(p.ReorderDelayMicros, 40*Millisecond)
		}
		w.net.params = p
		return "starts", true
	}
	return "does nothing", false
}

// healNemesis undoes the fault n injected.
func (w *World) healNemesis(n *nemesis) string {
	switch n.name {
	case "partition-halves", "bridge", "partition-ring", "isolate-leader":
		for _, l := range n.cut {
			w.net.cut[l] = false
		}
		n.cut = nil
		return "the links it cut"
	case "kill-random", "kill-leader":
		s := w.servers[n.server]
		w.restart(s)
		return "restarts " + s.id.String()
	case "pause":
		s := w.servers[n.server]
		w.resume(s)
		return "resumes " + s.id.String()
	case "clock-skew":
		s := w.servers[n.server]
		s.driftPPM, s.skewMicros = n.drift, n.skew
		return s.id.String() + "'s clock"
	case "slow-disk":
		s := w.servers[n.server]
		s.disk.slowPercent = n.slow
		return s.id.String() + "'s disk"
	}
	// Restore only the setting this burst raised: another burst may be on.
	p := &w.net.params
	switch n.name {
	case "loss-burst":
		p.LossPPM = n.net.LossPPM
	case "dup-burst":
		p.DuplicatePPM = n.net.DuplicatePPM
	default:
		p.ReorderPPM, p.ReorderDelayMicros = n.net.ReorderPPM, n.net.ReorderDelayMicros
	}
	return "the network's defaults"
}

// nemesisServers are the running members of the cluster.
func (w *World) nemesisServers() []*server {
	cfg := w.latestConfig()
	var out []*server
	for _, s := range w.servers {
		if len(cfg.Voters) == 0 || cfg.IsMember(s.id) {
			out = append(out, s)
		}
	}
	return out
}

func pickFrom(r *stream, ss []*server, ok func(*server) bool) *server {
	var cands []*server
	for _, s := range ss {
		if ok(s) {
			cands = append(cands, s)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	return cands[r.IntN(len(cands))]
}

// ActiveNemeses names the nemeses whose fault is in effect now.
func (w *World) ActiveNemeses() []string {
	var out []string
	for _, n := range w.nemeses {
		if n.active && !slices.Contains(out, n.name) {
			out = append(out, n.name)
		}
	}
	return out
}
