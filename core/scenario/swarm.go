package scenario

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"smrlab/core/sim"
)

// Swarm testing (as TigerBeetle's simulator and Jepsen do it): a scenario
// with a "swarm" line draws, for every seed, the cluster's knobs as well as
// its faults: batch sizes down to one entry per append, inflight windows,
// election and heartbeat timeouts, PreVote, the read mode and its lease's
// drift allowance, clocks that drift just inside that allowance, slow and
// asymmetric return paths, disk and network latency, client timeouts and
// keys, snapshot thresholds and chunk sizes, leadership transfers and extra
// nemeses. Every range is one where the correct core must stay safe; the
// draws come from the seed's own PCG stream, so a seed that fails under
// `smrlab explore` fails the same way under `smrlab run --seed N`, which
// prints the knobs drawn.

// SwarmSpec is a scenario's "swarm [until T]" line: faults the swarm adds
// (slow links, nemeses, transfers) stop at Until, before the scenario heals.
type SwarmSpec struct {
	Until int64
	Line  int
}

// SwarmSeeds is how many seeds `smrlab explore` runs by default over a swarm
// scenario: enough that every classic bug in scenarios/README.md's swarm
// table is caught, few enough to take seconds.
const SwarmSeeds = 200

func (p *parser) parseSwarm(kw token, args []token) error {
	spec := &SwarmSpec{Line: p.line}
	switch {
	case len(args) == 0:
	case len(args) == 2 && args[0].text == "until":
		d, err := parseDuration(args[1].text)
		if err != nil || d <= 0 {
			return p.errAt(args[1], "swarm until: want a positive duration, not %q", args[1].text)
		}
		spec.Until = d
	default:
		return p.errAt(kw, "swarm takes nothing or an end to the faults it adds, like: swarm until 7.5s")
	}
	p.sc.Swarm = spec
	return nil
}

// swarmStreamKey separates the swarm's stream from the world's own.
const swarmStreamKey = 0x73776172_6d6b6e62 // "swarmknb"

// Swarmed returns the scenario with seed's knobs drawn (the scenario itself
// when it has no swarm line), and the knobs as scenario lines.
func (sc *Scenario) Swarmed(seed uint64) (*Scenario, []string, error) {
	if sc.Swarm == nil {
		return sc, nil, nil
	}
	r := rand.New(rand.NewPCG(seed, swarmStreamKey))
	lines, post := drawKnobs(sc, r)
	src := sc.Source + "\n# the swarm's knobs for seed " + fmt.Sprint(seed) + "\n" + strings.Join(lines, "\n") + "\n"
	out, err := Parse(sc.File, []byte(src))
	if err != nil {
		return nil, nil, fmt.Errorf("swarm knobs of seed %d: %w", seed, err)
	}
	out.Source, out.Swarm, out.Seed = sc.Source, nil, sc.Seed
	post.apply(out)
	return out, append(lines, post.notes...), nil
}

// swarmPost are the changes made to the scenario's own actions.
type swarmPost struct {
	maxDriftPPM int64 // clamp every clock drift to this
	drifts      []int64
	noPause     bool
	omit        map[string]bool // the scenario's faults left out, by actionKey
	notes       []string
}

func (p *swarmPost) apply(sc *Scenario) {
	k := 0
	for _, a := range sc.Actions {
		if (p.noPause && a.Kind == sim.ActPause) || (injects(a) && p.omit[actionKey(a)]) {
			continue
		}
		if a.Kind == sim.ActClock && (a.DriftPPM > p.maxDriftPPM || -a.DriftPPM > p.maxDriftPPM) {
			d := p.drifts[k%len(p.drifts)]
			if a.DriftPPM < 0 {
				d = -d
			}
			a.DriftPPM = d
			a.Text += fmt.Sprintf(" (swarm: drift %+dppm)", d)
		}
		sc.Actions[k] = a
		k++
	}
	sc.Actions = sc.Actions[:k]
}

// WithoutSwarm returns the scenario with its swarm line switched off (in
// its source too, so that a trace's header replays the same run).
func (sc *Scenario) WithoutSwarm() *Scenario {
	if sc.Swarm == nil {
		return sc
	}
	out := *sc
	lines := strings.Split(sc.Source, "\n")
	if i := sc.Swarm.Line - 1; i >= 0 && i < len(lines) {
		lines[i] = "# (swarm switched off) " + lines[i]
	}
	out.Source, out.Swarm = strings.Join(lines, "\n"), nil
	return &out
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func between(r *rand.Rand, lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + r.Int64N(hi-lo+1)
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// drawKnobs draws one seed's knobs as scenario lines, appended to the
// scenario's own, and the changes to its own actions. As in swarm testing
// proper, a seed keeps only one to three kinds of fault, drawn from the
// scenario's own and the swarm's: a run with fewer kinds of fault goes
// deeper into the ones it has (a lease needs a leader that lasts; a stale
// vote needs an election that is not cut short).
func drawKnobs(sc *Scenario, r *rand.Rand) ([]string, *swarmPost) {
	cfg := &sc.Config
	tick := cfg.TickMicros
	n := cfg.Servers
	until := sc.Swarm.Until
	if until == 0 {
		until = sc.Duration * 7 / 10
	}
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	coin := func() bool { return r.IntN(2) == 0 }

	// Protocol options, the same on every server.
	election := between(r, 10, 25)
	heartbeat := between(r, 1, max(1, election/4))
	reads := pick(r, "log", "index", "index", "lease", "lease")
	leaseDrift := pick(r, int64(100_000), 200_000, 350_000, 500_000)
	prevote := coin()
	checkQuorum := reads == "lease" || r.IntN(5) > 0
	batch := pick(r, 1, 1, 2, 4, 16, 256)
	inflight := pick(r, 1, 2, 4, 8, 64)
	snapshot := pick(r, 0, 0, 25, 100, 500)
	chunk := pick(r, 48, 512, 4096, 65536)
	add("options all election=%s heartbeat=%s prevote=%s checkquorum=%s batch=%d inflight=%d "+
		"reads=%s lease-drift=%dppm snapshot=%d chunk=%d",
		fmtDuration(election*tick), fmtDuration(heartbeat*tick), onOff(prevote), onOff(checkQuorum),
		batch, inflight, reads, leaseDrift, snapshot, chunk)

	// The network's usual latency and the disk's.
	lat := pick(r, [2]int64{200, 2000}, [2]int64{500, 3000}, [2]int64{1000, 8000})
	add("network latency=%s..%s", fmtDuration(lat[0]), fmtDuration(lat[1]))
	disk := pick(r, [2]int64{200, 2000}, [2]int64{1000, 5000}, [2]int64{3000, 15000})
	add("disk latency=%s..%s", fmtDuration(disk[0]), fmtDuration(disk[1]))

	// Clients: how many, how fast, how long they wait for an answer, and
	// how many keys they share.
	if cfg.Workload.Clients > 0 {
		clients, rate := pick(r, 4, 8), pick(r, 200, 400, 800)
		timeout := pick(r, int64(30_000), 60_000, 150_000)
		if batch*inflight <= 2 {
			// One or two entries per round trip and disk write commit
			// about 40 a second: fewer clients that wait longer, or their
			// retries append faster than the log commits and the backlog
			// outlasts the run.
			clients, timeout = 4, 150_000
		}
		add("workload clients=%d rate=%d/s timeout=%s keys=%d reads-from=%s", clients, rate,
			fmtDuration(timeout), pick(r, 2, 3, 6), pick(r, "leader", "any"))
	}

	post := &swarmPost{maxDriftPPM: 300_000, omit: map[string]bool{}}
	// The faults on offer: each kind of the scenario's own, and the
	// swarm's (clock drift, slow return paths, nemeses, the leader cut off,
	// leadership transfers). A seed keeps one to three of them.
	type feature struct {
		name  string
		lines []string
	}
	var features []feature
	for _, a := range sc.Actions {
		if a.At >= until || !injects(a) {
			continue
		}
		key := actionKey(a)
		if _, seen := post.omit[key]; !seen {
			post.omit[key] = true
			features = append(features, feature{name: key})
		}
	}
	var fl []string
	addf := func(format string, args ...any) { fl = append(fl, fmt.Sprintf(format, args...)) }
	offer := func(name string) {
		if len(fl) > 0 {
			features = append(features, feature{name: name, lines: fl})
		}
		fl = nil
	}

	// Clocks drift apart by at most what the lease allows for: with every
	// rate within ±d, a leader's lease of (1-a) election timeouts on the
	// slowest clock ends before a follower's timeout on the fastest, when
	// (1-a)(1+d) <= 1-d, that is d <= a/(2-a).
	if reads == "lease" {
		post.maxDriftPPM = leaseDrift * sim.PPM / (2*sim.PPM - leaseDrift)
		post.noPause = true
		post.notes = append(post.notes, "# lease reads: the scenario's pauses are left out "+
			"(a paused leader's clock stops, so its lease would outlast it)")
	}
	// Each clock runs fast or slow by nearly the whole allowance: a leader
	// on a slow clock and a follower on a fast one are the pair that tests
	// the lease.
	drift := func() int64 {
		d := between(r, post.maxDriftPPM*9/10, post.maxDriftPPM)
		if coin() {
			d = -d
		}
		return d
	}
	for range 4 {
		post.drifts = append(post.drifts, abs(drift()))
	}
	post.notes = append(post.notes, fmt.Sprintf("# clock drifts of the scenario's own clock actions: at most %dppm",
		post.maxDriftPPM))
	if coin() {
		for i := 1; i <= n; i++ {
			addf("at 0 clock S%d drift=%+dppm", i, drift())
		}
		offer("clocks drift")
	} else {
		// Fast clocks win elections, so a leader tends to have one. Every
		// clock runs fast; from time to time the leader's turns slow and,
		// a moment later, the leader is cut off; then all heals.
		d := abs(drift())
		addf("at 0 clock all drift=%+dppm", -d)
		period := between(r, 600, 1500) * sim.Millisecond
		from := between(r, 200, 800) * sim.Millisecond
		lag := between(r, 20, 200) * sim.Millisecond
		addf("every %s from %s until %s clock leader drift=%+dppm", fmtDuration(period), fmtDuration(from),
			fmtDuration(until), d)
		addf("every %s from %s until %s isolate leader", fmtDuration(period), fmtDuration(from+lag), fmtDuration(until))
		addf("every %s from %s until %s heal", fmtDuration(period), fmtDuration(from+period/2), fmtDuration(until))
		addf("every %s from %s until %s clock all drift=%+dppm", fmtDuration(period), fmtDuration(from+period/2),
			fmtDuration(until), -d)
		offer("a slow leader cut off")
	}

	// Slow return paths: the links into some servers (the acknowledgements
	// each waits for as a leader, the votes as a candidate), or a few random
	// directed links, slower than the way out: up to one and a half
	// election timeouts, so that an answer can arrive after its sender's
	// next timeout.
	slow := func() (int64, int64) {
		hi := between(r, 5_000, max(5_000, election*tick*3/2))
		return hi / 2, hi
	}
	if coin() {
		perm := r.Perm(n)
		for _, to := range perm[:1+r.IntN(max(1, n/2))] {
			lo, hi := slow()
			for from := range n {
				if from != to {
					addf("at 0 net S%d -> S%d latency=%s..%s", from+1, to+1, fmtDuration(lo), fmtDuration(hi))
				}
			}
		}
	} else {
		for range 1 + r.IntN(3) {
			from, to := 1+r.IntN(n), 1+r.IntN(n-1)
			if to >= from {
				to++
			}
			lo, hi := slow()
			addf("at 0 net S%d -> S%d latency=%s..%s", from, to, fmtDuration(lo), fmtDuration(hi))
		}
	}
	offer("slow return paths")

	// Nemeses (the drift above is the clock fault; see the pauses above).
	var names []string
	for _, d := range sim.Nemeses {
		if d.Name == "clock-skew" || (d.Name == "pause" && post.noPause) {
			continue
		}
		names = append(names, d.Name)
	}
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	chosen := slices.Clone(names[:1+r.IntN(2)])
	slices.Sort(chosen)
	lo := between(r, 100_000, 500_000)
	addf("nemesis %s every %s..%s from 300ms until %s", strings.Join(chosen, ","), fmtDuration(lo),
		fmtDuration(lo*3), fmtDuration(until))
	offer("nemeses")

	// The leader cut off, both ways or only its way out (answers already on
	// their way back still arrive: a lease renewed by them must not outlast
	// the heartbeats that stopped), and healed half a period later.
	period := between(r, 400, 1500) * sim.Millisecond
	from := between(r, 200, 800) * sim.Millisecond
	addf("every %s from %s until %s %s", fmtDuration(period), fmtDuration(from), fmtDuration(until),
		pick(r, "isolate leader", "cut leader -> all"))
	addf("every %s from %s until %s heal", fmtDuration(period), fmtDuration(from+period/2), fmtDuration(until))
	offer("the leader cut off")

	addf("every %s from %s until %s transfer follower", fmtDuration(between(r, 300, 1500)*sim.Millisecond),
		fmtDuration(between(r, 200, 800)*sim.Millisecond), fmtDuration(until))
	offer("leadership transfers")

	r.Shuffle(len(features), func(i, j int) { features[i], features[j] = features[j], features[i] })
	keep := min(len(features), 1+r.IntN(3))
	for i, f := range features {
		if i >= keep {
			continue
		}
		if f.lines == nil {
			post.omit[f.name] = false
		}
		lines = append(lines, f.lines...)
	}
	for _, f := range features[:keep] {
		post.notes = append(post.notes, "# faults: "+f.name)
	}
	return lines, post
}

// injects reports whether a is a fault the swarm may leave out (not one
// that heals).
func injects(a sim.Action) bool {
	switch a.Kind {
	case sim.ActPartition, sim.ActIsolate, sim.ActCut, sim.ActCrash, sim.ActPause, sim.ActClock, sim.ActNemesis:
		return true
	case sim.ActDisk:
		return a.SlowPercent > 100
	case sim.ActNet:
		return !a.Link && (a.Net.LossPPM > 0 || a.Net.DuplicatePPM > 0 || a.Net.ReorderPPM > 0)
	}
	return false
}

// actionKey names an action's kind as its line does, without its time.
func actionKey(a sim.Action) string {
	_, rest, _ := strings.Cut(a.Text, " ")
	return rest
}
