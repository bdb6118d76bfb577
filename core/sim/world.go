// Package sim is the simulated world a Raft cluster lives in: virtual time in
// integer microseconds, an event queue, a network that delays, loses,
// duplicates and reorders messages and can be partitioned in any shape, disks
// that make writes durable after a latency (and lose the rest in a crash),
// clocks that drift, a key-value state machine and clients. One seed fixes
// every event; each purpose draws from its own PCG stream.
package sim

import (
	"errors"
	"fmt"
	"slices"

	"smrlab/core/check"
	"smrlab/core/fsm"
	"smrlab/core/linear"
	"smrlab/core/raft"
	"smrlab/core/trace"
)

// World is one simulated cluster and everything around it.
type World struct {
	cfg     Config
	now     int64
	q       queue
	servers []*server
	clients []*client
	net     network
	rec     trace.Recorder
	actions []Action

	checker   *check.Checker
	watchdog  *check.Watchdog
	violation *check.Violation
	liveness  []*check.Violation

	faultRng    *stream
	workloadRng *stream
	workloadOn  bool
	rate        int64
	nextMsgID   uint64
	stats       Stats
	lastCommit  uint64
	// changes are the membership changes asked for and not yet done, in order.
	changes []*memberChange
	// history records every client operation for the linearizability check.
	history  *linear.History
	zipf     []uint64 // cumulative key weights for Zipf draws
	keyNames []string
	// nemeses are the fault schedules started so far.
	nemeses    []*nemesis
	nemesisSeq uint64
}

// Stats are running counts for summaries and benchmarks.
type Stats struct {
	Sent, Delivered, Dropped, Duplicated uint64
	Elections, LeaderChanges             uint64
	OpsStarted, OpsOK, OpsRetried        uint64
	Proposals                            uint64
	Crashes, Restarts                    uint64
	// Snapshots counts snapshots taken; SnapshotsInstalled those installed
	// from a leader; SnapshotInstallFailures transfers that lost a chunk,
	// restarted or were abandoned (the snapshot_install_failures metric).
	Snapshots, SnapshotsInstalled, SnapshotInstallFailures uint64
	// MembershipChanges counts membership changes completed.
	MembershipChanges uint64
	// OpsFailed and OpsIndeterminate count operations clients gave up on:
	// refused every time, or with an outcome they never learned.
	OpsFailed, OpsIndeterminate uint64
	// Reads answered outside the log: from a server's local state (stale),
	// within a lease at once, and after a confirmation (ReadIndex or a
	// lease read that fell back to it).
	StaleReads, LeaseReads, ReadIndexReads uint64
	// Rejected counts commands admission control refused, by reason
	// (rejected_requests_due_to_admission_control).
	Rejected map[string]uint64
	// OpLatencies holds the durations of the latest operations that returned.
	OpLatencies Window
	// FirstLeaderAt is when the first leader was elected (-1: never).
	FirstLeaderAt int64
	// QuorumAcks holds the latest times from a leader appending an entry to
	// the entry committing (a quorum acknowledged it), in microseconds.
	QuorumAcks Window
}

// Window keeps the latest samples, up to WindowSize of them.
type Window struct {
	Samples []int64
	next    int
}

// WindowSize bounds a Window.
const WindowSize = 4096

// Add records a sample, replacing the oldest once the window is full.
func (r *Window) Add(v int64) {
	if len(r.Samples) < WindowSize {
		r.Samples = append(r.Samples, v)
		return
	}
	r.Samples[r.next] = v
	r.next = (r.next + 1) % WindowSize
}

// Percentile returns the p-th percentile (0 to 100) of the samples, or 0.
func (r *Window) Percentile(p int) int64 { return Percentile(r.Samples, p) }

// Percentile returns the p-th percentile (0 to 100) of xs, or 0 for none.
func Percentile(xs []int64, p int) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := (len(s)*p+99)/100 - 1
	return s[min(max(i, 0), len(s)-1)]
}

// New builds a world from a configuration. The actions run at their times.
func New(cfg Config, actions []Action) (*World, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	w := &World{cfg: cfg, rate: cfg.Workload.RatePerSec}
	w.rec.Keep = cfg.KeepEvents
	w.stats.FirstLeaderAt = -1
	w.faultRng = newStream(cfg.Seed, streamFaults, 0, 0)
	if cfg.Workload.Clients > 0 {
		w.history = linear.NewHistory()
	}
	w.workloadRng = newStream(cfg.Seed, streamWorkload, 0, 0)
	if cfg.Check {
		w.checker = check.New(cfg.Servers)
		for _, n := range cfg.Nodes {
			if n.Bugs.Has(raft.BugNoSessionDedup) {
				w.checker.NoSessionDedup()
				break
			}
		}
	}
	if cfg.WatchdogMicros > 0 && !cfg.Manual {
		w.watchdog = check.NewWatchdog(cfg.WatchdogMicros)
	}
	w.net = newNetwork(cfg.Seed, cfg.Servers+cfg.Workload.Clients, cfg.Net)
	for i := 0; i < cfg.Servers; i++ {
		s := &server{id: raft.ID(i + 1), idx: i, opts: cfg.Nodes[i], kv: fsm.NewKV(),
			disk:       newDisk(cfg.Disk, newStream(cfg.Seed, streamDisk, uint64(i+1), 0)),
			tickMicros: cfg.TickMicros, pending: map[uint64]pendingOp{}}
		w.servers = append(w.servers, s)
	}
	for i := 0; i < cfg.Workload.Clients; i++ {
		w.clients = append(w.clients, newClient(w, i))
	}
	for _, s := range w.servers {
		if err := w.start(s); err != nil {
			return nil, err
		}
	}
	for i, a := range actions {
		if err := w.validateAction(a); err != nil {
			return nil, fmt.Errorf("action %q: %w", a.Text, err)
		}
		w.actions = append(w.actions, a)
		it := w.q.newItem(a.At, itemAction, 0)
		it.action, it.late = i, a.User
		w.q.push(it)
	}
	w.workloadOn = cfg.Workload.Clients > 0
	for _, c := range w.clients {
		c.scheduleFirst(cfg.Workload.StartMicros)
	}
	if w.watchdog != nil && !cfg.Manual {
		w.q.push(w.q.newItem(watchdogIntervalMicros, itemWatchdog, 0))
	}
	return w, nil
}

const watchdogIntervalMicros = 100 * Millisecond

// Now is the current virtual time.
func (w *World) Now() int64 { return w.now }

// Config returns the world's configuration.
func (w *World) Config() Config { return w.cfg }

// Violation returns the safety violation that stopped the run, if any.
func (w *World) Violation() *check.Violation { return w.violation }

// Liveness returns the watchdog's reports so far.
func (w *World) Liveness() []*check.Violation { return w.liveness }

// History returns the client history (nil without clients).
func (w *World) History() *linear.History { return w.history }

// Stats returns the running counts.
func (w *World) Stats() *Stats { return &w.stats }

// Events returns the events kept in memory (with Config.KeepEvents).
func (w *World) Events() []trace.Event { return w.rec.Events }

// Recorder gives access to the event recorder (to stream events to a sink).
func (w *World) Recorder() *trace.Recorder { return &w.rec }

// Stopped reports whether the run can go no further: a violation stopped it
// or nothing is left to happen.
func (w *World) Stopped() bool { return w.violation != nil || w.q.len() == 0 }

// Step runs the next event. It returns false when the world is stopped.
func (w *World) Step() bool {
	if w.Stopped() || w.q.peekTime() == waiting {
		// Under the manual scheduler what is left waits for an action.
		return false
	}
	it := w.q.pop()
	w.now = it.at
	w.handle(it)
	w.q.release(it)
	return !w.Stopped()
}

// RunUntil runs every event up to and including time t, and leaves the clock at t.
func (w *World) RunUntil(t int64) {
	for !w.Stopped() && w.q.peekTime() <= t {
		w.Step()
	}
	if w.violation == nil && w.now < t {
		w.now = t
	}
}

// NextEventTime returns the time of the next event, or -1 if none is left.
func (w *World) NextEventTime() int64 {
	if w.q.len() == 0 {
		return -1
	}
	return w.q.peekTime()
}

func (w *World) handle(it *item) {
	switch it.kind {
	case itemDeliver:
		w.deliver(it)
	case itemTick:
		s := w.servers[it.who]
		if s.gen == it.gen && s.node != nil && !s.paused {
			w.tick(s)
		}
	case itemDiskDone:
		s := w.servers[it.who]
		if s.gen == it.gen && s.node != nil {
			w.diskDone(s)
		}
	case itemClientNext:
		w.clients[it.who-len(w.servers)].next()
	case itemClientTimeout:
		w.clients[it.who-len(w.servers)].timeout()
	case itemAction:
		w.runAction(&w.actions[it.action])
	case itemNemesis:
		w.nemesisStep(it.action)
	case itemWatchdog:
		w.watch()
		w.q.push(w.q.newItem(w.now+watchdogIntervalMicros, itemWatchdog, 0))
	}
}

// record stamps an event with the time and feeds the recorder.
func (w *World) record(e trace.Event) {
	e.Time = w.now
	w.rec.Record(e)
}

func (w *World) fail(v *check.Violation) {
	if v == nil || w.violation != nil {
		return
	}
	v.Time = w.now
	v.Event = w.rec.Count()
	w.violation = v
	w.record(trace.Event{Kind: trace.Violation, Node: uint32(firstNode(v.Nodes)), Text: v.Invariant + ": " + v.Explanation})
}

func firstNode(ids []raft.ID) raft.ID {
	if len(ids) == 0 {
		return raft.None
	}
	return ids[0]
}

// ErrNoSuchServer is returned for an action naming a server the world lacks.
var ErrNoSuchServer = errors.New("no such server")

func (w *World) validateAction(a Action) error {
	check := func(t Target) error {
		if t.Kind == TargetID && (t.ID < 1 || int(t.ID) > len(w.servers)) {
			return fmt.Errorf("%w: %v (the cluster has S1..S%d)", ErrNoSuchServer, t.ID, len(w.servers))
		}
		return nil
	}
	for _, t := range a.Targets {
		if err := check(t); err != nil {
			return err
		}
	}
	for _, g := range a.Groups {
		for _, t := range g {
			if err := check(t); err != nil {
				return err
			}
		}
	}
	if a.Kind == ActCut || a.Link {
		if err := check(a.From); err != nil {
			return err
		}
		if err := check(a.To); err != nil {
			return err
		}
	}
	if a.Kind == ActNet {
		return a.Net.Validate()
	}
	if a.Kind.IsManual() && !w.cfg.Manual {
		return errors.New("this action needs the manual scheduler (the scenario directive: schedule manual)")
	}
	if a.Kind == ActPersist && !w.cfg.ManualDisk {
		return errors.New("persist needs manual disk writes (the scenario directive: schedule manual disk=steps)")
	}
	if a.At < 0 {
		return errors.New("negative time")
	}
	return nil
}

// Schedule adds an action to run at its time (not before now).
func (w *World) Schedule(a Action) error {
	if a.At < w.now {
		return fmt.Errorf("action %q at %s is in the past (now %s)", a.Text,
			check.FormatMicros(a.At), check.FormatMicros(w.now))
	}
	if err := w.validateAction(a); err != nil {
		return fmt.Errorf("action %q: %w", a.Text, err)
	}
	w.actions = append(w.actions, a)
	it := w.q.newItem(a.At, itemAction, 0)
	it.action, it.late = len(w.actions)-1, a.User
	w.q.push(it)
	return nil
}
