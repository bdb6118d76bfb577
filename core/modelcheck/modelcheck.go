// Package modelcheck explores every behaviour of a small Raft cluster within
// bounds, breadth first: every order of message delivery, loss and
// duplication, every election timeout, heartbeat, proposal, configuration
// change, crash and restart. It drives the same simulator the seeded runs use, under its manual
// scheduler (core/sim/schedule.go), so the explorer and the seeded scheduler
// share every line of protocol, disk, network and checking code; only who
// picks the next event differs.
//
// Each state is checked by every invariant of core/check as it is reached.
// States are merged by a hash of everything that decides the future (the
// servers' protocol states, disks, every message on the wire, what the
// checker remembers and the budgets left), with the servers' names
// factored out, since the servers of a fresh cluster are interchangeable.
// No reduction assumes the behaviour under test, whatever bug toggles are
// on: a dead letter (a response of a term below its receiver's, which a
// correct server ignores) is delivered, duplicated and hashed like any
// message, so a candidate that counts a stale vote is within reach however
// it was written. Only dropping a dead letter is left out, as its state is
// subsumed by the one it comes from (see visited).
// Breadth first, the first violation found is one of the shortest: its
// steps become a recording (a scenario plus timed actions) that opens in the
// browser at the violating step.
package modelcheck

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"smrlab/core/check"
	"smrlab/core/raft"
	"smrlab/core/scenario"
	"smrlab/core/sim"
)

// StepMicros is the virtual time between two steps of a path: step k
// happens at k milliseconds, so a recording's timeline reads as a list.
const StepMicros = sim.Millisecond

// Limits on the bounds, so that no input asks for an endless run.
const (
	ServersMax = 5
	TermMax    = 16
	LogMax     = 16
	InFlightMx = 32
	DepthMax   = 200
)

// Bounds limit the space explored.
type Bounds struct {
	// Servers in the cluster (3 by default), and Spares: machines outside
	// it that a configuration change can add (0 by default).
	Servers, Spares int
	// Term: a server campaigns only while its term is below it.
	Term uint64
	// Log: a leader takes a proposal only while its log is shorter.
	Log uint64
	// InFlight: nothing new is sent (no campaign, heartbeat, proposal or
	// duplicate) while this many messages are on the wire.
	InFlight int
	// Crashes, Timeouts (campaigns and heartbeats), Drops and Duplicates
	// bound how many of each a path may hold.
	Crashes, Timeouts, Drops, Duplicates int
	// Changes bounds the configuration changes a path's leaders propose
	// ("reconfigure S1 voter S4": add a voter, add a learner, promote a
	// learner, remove a server). With joint consensus a change of voters
	// goes through C_old,new, and the leader appends C_new on its own once
	// that commits; SingleServer makes the cluster change one voter at a
	// time instead (the scenario option membership=single).
	Changes      int
	SingleServer bool
	// Depth bounds the steps of a path; States the distinct states kept
	// (0: no bound).
	Depth  int
	States int
	// DiskSteps makes a disk write durable only at a persist step, so that
	// a crash can fall between a write and its flush; without it writes are
	// durable at once.
	DiskSteps bool
}

// DefaultBounds are the bounds `smrlab modelcheck` uses when given none:
// three servers, terms below 3, one client entry per log, one crash, one
// lost and one duplicated message, nine steps. They find
// forget-vote-on-restart, vote-without-log-check and count-stale-votes
// (Reaches). The depth was ten while dead letters were left out; with
// them explored, ten steps cost four times the states of nine, and nine
// cost what ten did before (about 190,000 states).
func DefaultBounds() Bounds {
	return Bounds{Servers: 3, Term: 3, Log: 1, InFlight: 4, Crashes: 1, Timeouts: 3, Drops: 1, Duplicates: 1, Depth: 9}
}

// Validate reports a bound out of range.
func (b *Bounds) Validate() error {
	switch {
	case b.Servers < 1 || b.Servers > ServersMax:
		return fmt.Errorf("servers %d: want 1 to %d", b.Servers, ServersMax)
	case b.Spares < 0 || b.Servers+b.Spares > ServersMax:
		return fmt.Errorf("spare machines %d: want 0 to %d (at most %d machines in all)", b.Spares,
			ServersMax-b.Servers, ServersMax)
	case b.Term < 1 || b.Term > TermMax:
		return fmt.Errorf("max term %d: want 1 to %d", b.Term, TermMax)
	case b.Log > LogMax:
		return fmt.Errorf("max log %d: want 0 to %d", b.Log, LogMax)
	case b.InFlight < 1 || b.InFlight > InFlightMx:
		return fmt.Errorf("max messages in flight %d: want 1 to %d", b.InFlight, InFlightMx)
	case b.Crashes < 0 || b.Timeouts < 0 || b.Drops < 0 || b.Duplicates < 0 || b.Changes < 0 || b.States < 0:
		return errors.New("a bound is negative")
	case b.Crashes > budgetMax || b.Timeouts > budgetMax || b.Drops > budgetMax || b.Duplicates > budgetMax ||
		b.Changes > budgetMax:
		return fmt.Errorf("crashes, timeouts, drops, duplicates and changes: want at most %d each", budgetMax)
	case b.Depth < 1 || b.Depth > DepthMax:
		return fmt.Errorf("depth %d: want 1 to %d", b.Depth, DepthMax)
	}
	return nil
}

// Scenario is the scenario an exploration starts from: the cluster under
// the manual scheduler, PreVote and CheckQuorum off (their timers are
// outside the model), one entry per AppendEntries (so that a leader can
// replicate an old entry without its own no-op, as in Figure 8), and the bug
// toggles on every server.
func Scenario(b Bounds, bugs raft.Bugs) string {
	var sb strings.Builder
	name := "modelcheck"
	if bugs != 0 {
		name += "-" + strings.Join(bugs.Names(), "-")
	}
	fmt.Fprintf(&sb, "# Written by smrlab modelcheck: %d servers under the manual scheduler.\n", b.Servers)
	sb.WriteString("# The explorer chose every step below (recorded actions, one per millisecond).\n")
	fmt.Fprintf(&sb, "name %s\n", name)
	fmt.Fprintf(&sb, "description An exhaustive exploration's shortest path to a violation (bounds: %s).\n", b)
	if b.Spares > 0 {
		fmt.Fprintf(&sb, "servers %d spare %d\n", b.Servers, b.Spares)
	} else {
		fmt.Fprintf(&sb, "servers %d\n", b.Servers)
	}
	disk := ""
	if b.DiskSteps {
		disk = " disk=steps"
	}
	fmt.Fprintf(&sb, "schedule manual%s\n", disk)
	membership := ""
	if b.SingleServer {
		membership = " membership=single"
	}
	fmt.Fprintf(&sb, "options all prevote=off checkquorum=off batch=1%s\n", membership)
	fmt.Fprintf(&sb, "duration %dms\n", b.Depth+1)
	for _, n := range bugs.Names() {
		fmt.Fprintf(&sb, "bug all %s\n", n)
	}
	return sb.String()
}

func (b Bounds) String() string {
	s := fmt.Sprintf("term<=%d log<=%d inflight<=%d crashes<=%d timeouts<=%d drops<=%d duplicates<=%d depth<=%d",
		b.Term, b.Log, b.InFlight, b.Crashes, b.Timeouts, b.Drops, b.Duplicates, b.Depth)
	if b.Spares > 0 || b.Changes > 0 {
		s += fmt.Sprintf(" spares=%d changes<=%d", b.Spares, b.Changes)
	}
	if b.SingleServer {
		s += " membership=single"
	}
	if b.DiskSteps {
		s += " disk=steps"
	}
	return s
}

// Result is what an exploration found.
type Result struct {
	Bounds Bounds
	Bugs   raft.Bugs
	// States counts the distinct states reached (the initial one included);
	// Transitions the steps taken from them; Depth the longest path walked.
	States, Transitions uint64
	Depth               int
	// Complete is true when every state within the bounds was explored:
	// no state bound cut it short and no violation stopped it.
	Complete bool
	Elapsed  time.Duration
	// Violation is the first violation found (nil: none), reached by Path:
	// the recorded actions ("at 3000us deliver m2"), the last of which broke
	// the invariant.
	Violation *check.Violation
	Path      []string
	// Scenario is the scenario text the path runs on.
	Scenario string
}

// StatesPerSecond is the exploration's speed.
func (r *Result) StatesPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.States) / r.Elapsed.Seconds()
}

// Until is the virtual time of the path's last step.
func (r *Result) Until() int64 { return int64(len(r.Path)) * StepMicros }

// budget is what a path has used of the bounds.
type budget struct {
	crashes, timeouts, drops, dups, changes uint8
}

// budgetMax bounds each budget of a path (it is counted in a byte).
const budgetMax = 100

// node is a state of the search: the way to it, not its world. A world
// (about 25 KB) is made only when the node is expanded, by replaying the
// path's actions from the nearest ancestor whose world is at hand (see
// rebuilder), and let go once the node's children are made. So memory per
// state is the node and its visited entry, whatever the depth.
type node struct {
	parent *node
	// choice is the step from the parent ("deliver m3"); it runs at
	// depth milliseconds.
	choice string
	used   budget
	depth  uint8
}

// line is n's step as a recorded action: "at 3000us deliver m3".
func (n *node) line() string { return stepPrefix(int(n.depth)) + n.choice }

func stepPrefix(depth int) string {
	return "at " + strconv.FormatInt(int64(depth)*StepMicros, 10) + "us "
}

// list is the path to n, one recorded action per step.
func (n *node) list() []string {
	out := make([]string, n.depth)
	for ; n.parent != nil; n = n.parent {
		out[n.depth-1] = n.line()
	}
	return out
}

// rebuilder makes the worlds of the nodes of a level, in the order of the
// frontier. Breadth first, a level lists the children of each node of the
// level before in that node's order, so the frontier is in the order of its
// paths and neighbours share long prefixes: the rebuilder keeps the world of
// the latest node made at each depth, and a node's world is its nearest
// kept ancestor's, cloned, with the rest of the path replayed. Each ancestor
// is made about once per level (at three children a node, a node costs one
// and a half replayed steps), and the worlds held are one per depth.
type rebuilder struct {
	b     *Bounds
	kept  []*node
	world []*sim.World
	chain []*node
}

func newRebuilder(b *Bounds, root *node, w *sim.World) *rebuilder {
	r := &rebuilder{b: b, kept: make([]*node, b.Depth+1), world: make([]*sim.World, b.Depth+1)}
	r.kept[0], r.world[0] = root, w
	return r
}

// make returns n's world, a world of its own. The worlds kept are never
// changed: expanding a node clones its world for each child.
func (r *rebuilder) make(n *node) (*sim.World, error) {
	if n.parent == nil {
		return r.world[0], nil
	}
	chain := r.chain[:0]
	a := n
	for ; r.kept[a.depth] != a; a = a.parent {
		chain = append(chain, a)
	}
	w := r.world[a.depth]
	for i := len(chain) - 1; i >= 0; i-- {
		c := chain[i]
		act, err := scenario.ParseAction(c.line(), r.b.Servers+r.b.Spares, sim.LinkParams{})
		if err != nil {
			return nil, fmt.Errorf("modelcheck: replaying %q: %w", c.line(), err)
		}
		w = w.Clone()
		// The action was scheduled and run once already, from a world
		// made by the same steps: it cannot fail now.
		_ = w.Schedule(act)
		w.RunUntil(act.At)
		if i > 0 {
			r.kept[c.depth], r.world[c.depth] = c, w
		}
	}
	r.chain = chain[:0]
	return w, nil
}

// Options tune an exploration beyond its bounds.
type Options struct {
	// Elapsed, when set, reads the wall-clock time since the exploration
	// began (the core reads no clock itself), for Result.Elapsed and
	// Progress.
	Elapsed func() time.Duration
	// Progress, when set, hears after each level of the search.
	Progress func(depth int, states, frontier uint64, elapsed time.Duration)
}

// Explore searches every behaviour within the bounds, breadth first, and
// stops at the first violation.
func Explore(b Bounds, bugs raft.Bugs, o Options) (*Result, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	src := Scenario(b, bugs)
	sc, err := scenario.Parse("modelcheck.scn", []byte(src))
	if err != nil {
		return nil, fmt.Errorf("modelcheck: the exploration's scenario: %w", err)
	}
	sc.Config.KeepEvents = false
	w, err := scenario.World(sc, scenario.RunOptions{})
	if err != nil {
		return nil, err
	}
	elapsed := o.Elapsed
	if elapsed == nil {
		elapsed = func() time.Duration { return 0 }
	}
	res := &Result{Bounds: b, Bugs: bugs, Scenario: src}
	seen := newVisited(b)
	root := &node{}
	frontier := []*node{root}
	seen.add(w, root.used)
	worlds := newRebuilder(&b, root, w)
	res.States = 1
	cut := false
	var dead []uint64
	for depth := 0; depth < b.Depth && len(frontier) > 0; depth++ {
		var next []*node
		before := res.States
		at := int64(depth+1) * StepMicros
		prefix := stepPrefix(depth + 1)
		for i, n := range frontier {
			frontier[i] = nil
			w, err := worlds.make(n)
			if err != nil {
				return nil, err
			}
			full := w.InFlightCount() >= b.InFlight
			dead = w.DeadLetters(dead[:0])
			for _, choice := range ChoicesOf(w, &b) {
				used, ok := allowed(w, n.used, full, choice, &b)
				if !ok || droppingDead(choice, dead) {
					continue
				}
				line := prefix + choice
				a, err := scenario.ParseAction(line, b.Servers+b.Spares, sim.LinkParams{})
				if err != nil {
					return nil, fmt.Errorf("modelcheck: the simulator offered %q: %w", choice, err)
				}
				c := w.Clone()
				if err := c.Schedule(a); err != nil {
					return nil, fmt.Errorf("modelcheck: %q: %w", line, err)
				}
				c.RunUntil(at)
				res.Transitions++
				child := &node{parent: n, choice: choice, used: used, depth: uint8(depth + 1)}
				if v := c.Violation(); v != nil {
					res.Violation, res.Path, res.Depth = v, child.list(), depth+1
					res.Elapsed = elapsed()
					return res, nil
				}
				if !seen.add(c, used) {
					continue
				}
				// Keep the way to the state, not the state: it is made
				// again when its turn comes (rebuilder).
				res.States++
				if depth+1 < b.Depth {
					next = append(next, child)
				}
				if b.States > 0 && res.States >= uint64(b.States) {
					res.Depth = depth + 1
					res.Elapsed = elapsed()
					return res, nil
				}
			}
		}
		res.Depth = depth + 1
		cut = depth+1 == b.Depth && res.States > before
		frontier = next
		if o.Progress != nil {
			o.Progress(depth+1, res.States, uint64(len(frontier)), elapsed())
		}
	}
	// Complete: every state was expanded. The states of the last level
	// allowed are counted and checked but not expanded: when there are
	// some, the bound on depth cut the search.
	res.Complete = len(frontier) == 0 && !cut
	res.Elapsed = elapsed()
	return res, nil
}

// allowed checks a choice against the bounds and returns the budget used
// after it; full tells that the wire holds as many messages as allowed.
func allowed(w *sim.World, used budget, full bool, choice string, b *Bounds) (budget, bool) {
	verb, arg, _ := strings.Cut(choice, " ")
	switch verb {
	case "campaign":
		id := serverID(arg)
		nd := w.Node(id)
		if full || nd == nil || nd.Term() >= b.Term || int(used.timeouts) >= b.Timeouts {
			return used, false
		}
		used.timeouts++
	case "heartbeat":
		if full || int(used.timeouts) >= b.Timeouts {
			return used, false
		}
		used.timeouts++
	case "propose":
		id := serverID(strings.Fields(arg)[0])
		nd := w.Node(id)
		if full || nd == nil || nd.LastIndex() >= b.Log {
			return used, false
		}
	case "crash":
		if int(used.crashes) >= b.Crashes {
			return used, false
		}
		used.crashes++
	case "drop":
		if int(used.drops) >= b.Drops {
			return used, false
		}
		used.drops++
	case "duplicate":
		if full || int(used.dups) >= b.Duplicates {
			return used, false
		}
		used.dups++
	case "reconfigure":
		if full || int(used.changes) >= b.Changes {
			return used, false
		}
		used.changes++
	}
	return used, true
}

// ChoicesOf lists the steps the explorer may take from w: the manual
// scheduler's choices (sim.World.Choices) and, within b, configuration
// changes. Each is then checked against the budgets of its path.
func ChoicesOf(w *sim.World, b *Bounds) []string {
	return append(w.Choices(), changeChoices(w, b)...)
}

// changeChoices lists the configuration changes each running leader may
// propose, within the bounds: add each other machine as a voter or a
// learner, promote each learner, remove each member (itself included).
// Whether the leader accepts one (one change at a time; a learner promoted
// only once it has caught up) is the core's to decide: a change it refuses
// changes nothing.
func changeChoices(w *sim.World, b *Bounds) []string {
	if b.Changes == 0 {
		return nil
	}
	var out []string
	n := raft.ID(b.Servers + b.Spares)
	for l := raft.ID(1); l <= n; l++ {
		nd := w.Node(l)
		if nd == nil || nd.Role() != raft.Leader {
			continue
		}
		conf := nd.Config()
		for x := raft.ID(1); x <= n; x++ {
			verbs := []string{"remove"}
			switch {
			case conf.IsLearner(x):
				verbs = []string{"promote", "remove"}
			case !conf.IsMember(x):
				verbs = []string{"voter", "learner"}
			}
			for _, v := range verbs {
				out = append(out, fmt.Sprintf("reconfigure %v %s %v", l, v, x))
			}
		}
	}
	return out
}

// droppingDead reports a choice that drops a dead letter. Its state is the
// parent's but for that message, which does not count toward the bound on
// messages in flight: the parent, already explored, subsumes it (see
// visited). Delivering a dead letter, or duplicating it, is explored like
// any other step: whether the receiver ignores it is the behaviour under
// test.
func droppingDead(choice string, dead []uint64) bool {
	arg, ok := strings.CutPrefix(choice, "drop m")
	if !ok || len(dead) == 0 {
		return false
	}
	id, err := strconv.ParseUint(arg, 10, 64)
	return err == nil && slices.Contains(dead, id)
}

func serverID(s string) raft.ID {
	n, err := strconv.Atoi(strings.TrimPrefix(s, "S"))
	if err != nil || n < 1 || n > raft.MaxID {
		return raft.None
	}
	return raft.ID(n)
}

// permutations lists every renaming of servers S1..Sn.
func permutations(n int) []raft.Renaming {
	ids := make([]raft.ID, n)
	for i := range ids {
		ids[i] = raft.ID(i + 1)
	}
	var out []raft.Renaming
	var walk func(k int)
	walk = func(k int) {
		if k == n {
			var r raft.Renaming
			for i, id := range ids {
				r[i+1] = id
			}
			out = append(out, r)
			return
		}
		for i := k; i < n; i++ {
			ids[k], ids[i] = ids[i], ids[k]
			walk(k + 1)
			ids[k], ids[i] = ids[i], ids[k]
		}
	}
	walk(0)
	return out
}
