package sim

import (
	"errors"
	"fmt"

	"smrlab/core/raft"
)

// Units: all durations are integer microseconds, all probabilities integer
// parts per million (determinism rule 3: no floats in decisions).
const (
	Millisecond int64 = 1000
	Second      int64 = 1_000_000
	// PPM is one million parts per million: certainty.
	PPM = 1_000_000
)

// Limits on a world's size, checked by Validate.
const (
	ServersMax        = 9
	ClientsMax        = 64
	ClientInflightMax = 1024
	KeysMax           = 1 << 20
	AttemptsMax       = 1 << 16
	ValueBytesMax     = 1 << 16
	LatencyMaxMicros  = 60 * Second
)

// NodeOptions are one server's protocol options.
type NodeOptions struct {
	PreVote          bool
	CheckQuorum      bool
	ElectionTicks    int
	HeartbeatTicks   int
	MaxInflightMsgs  int
	MaxEntriesPerMsg int
	// SnapshotEntries is the snapshot policy: a server takes a snapshot and
	// compacts its log once it has applied this many entries since its last
	// snapshot (0: only when told to).
	SnapshotEntries int
	// SnapshotChunkBytes is the size of one InstallSnapshot chunk.
	SnapshotChunkBytes int
	// SingleServerChanges makes membership changes one voter at a time
	// instead of through a joint configuration (a per-cluster choice: set it
	// on every server).
	SingleServerChanges bool
	// ReadMode is how the server answers reads (thesis §6.4); LeaseDriftPPM
	// the clock-drift bound its lease allows for.
	ReadMode      ReadMode
	LeaseDriftPPM uint32
	// Admission control: as leader, the server refuses new client commands
	// while this many entries (or bytes of entries) are uncommitted, or this
	// many of its proposals wait for their commit. 0 turns a bound off.
	MaxUncommitted      int
	MaxUncommittedBytes int
	MaxPending          int
	Bugs                raft.Bugs
}

// ReadMode is how a server answers a client's read.
type ReadMode uint8

// The read modes.
const (
	// ReadLog puts the read in the log like a write: linearizable, slow.
	ReadLog ReadMode = iota
	// ReadIndex confirms leadership with a heartbeat round (thesis §6.4).
	ReadIndex
	// ReadLease answers at once within the leader's lease (thesis §6.4.1).
	ReadLease
	// ReadStale answers from the local state machine on any server: fast and
	// possibly stale (not linearizable).
	ReadStale
	readModeEnd
)

var readModeNames = [...]string{"log", "index", "lease", "stale"}

func (m ReadMode) String() string {
	if m < readModeEnd {
		return readModeNames[m]
	}
	return fmt.Sprintf("read-mode(%d)", uint8(m))
}

// ParseReadMode reads a read mode's name.
func ParseReadMode(s string) (ReadMode, error) {
	for i, n := range readModeNames {
		if n == s {
			return ReadMode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown read mode %q (known: log, index, lease, stale)", s)
}

// DefaultNodeOptions are the options of a fresh cluster: RaftScope's timing
// (heartbeat 50ms, election timeout 150-300ms with a 10ms tick).
func DefaultNodeOptions() NodeOptions {
	return NodeOptions{PreVote: true, CheckQuorum: true, ElectionTicks: 15, HeartbeatTicks: 5,
		MaxInflightMsgs: 8, MaxEntriesPerMsg: 256, SnapshotChunkBytes: raft.DefaultSnapshotChunkBytes}
}

// SnapshotEntriesMax bounds the snapshot threshold.
const SnapshotEntriesMax = 1 << 24

// LinkParams describe how a network link treats each message.
type LinkParams struct {
	LatencyMinMicros int64
	LatencyMaxMicros int64
	LossPPM          uint32
	DuplicatePPM     uint32
	// ReorderPPM is the chance that a message is held back by up to
	// ReorderDelayMicros more, so that later messages overtake it.
	ReorderPPM         uint32
	ReorderDelayMicros int64
}

// DefaultLinkParams is a quiet local network.
func DefaultLinkParams() LinkParams {
	return LinkParams{LatencyMinMicros: 1 * Millisecond, LatencyMaxMicros: 5 * Millisecond,
		ReorderDelayMicros: 20 * Millisecond}
}

// Validate reports a parameter out of range.
func (p LinkParams) Validate() error {
	switch {
	case p.LatencyMinMicros < 0 || p.LatencyMaxMicros < p.LatencyMinMicros || p.LatencyMaxMicros > LatencyMaxMicros:
		return fmt.Errorf("latency %d..%dus out of range (0 <= min <= max <= %ds)",
			p.LatencyMinMicros, p.LatencyMaxMicros, LatencyMaxMicros/Second)
	case p.LossPPM > PPM || p.DuplicatePPM > PPM || p.ReorderPPM > PPM:
		return errors.New("a probability is over 100%")
	case p.ReorderDelayMicros < 0 || p.ReorderDelayMicros > LatencyMaxMicros:
		return errors.New("reorder delay out of range")
	}
	return nil
}

// DiskParams describe a server's disk: a flush makes every write issued
// before it durable after a latency drawn from the range; writes issued
// during a flush wait for the next one (group commit).
type DiskParams struct {
	LatencyMinMicros int64
	LatencyMaxMicros int64
	// BytesPerSec is the disk's bandwidth: a flush takes longer by the bytes
	// of entries it writes over it (0: unlimited).
	BytesPerSec int64
}

// DefaultDiskParams is a fast local SSD.
func DefaultDiskParams() DiskParams {
	return DiskParams{LatencyMinMicros: 200, LatencyMaxMicros: 1 * Millisecond}
}

// Workload describes the clients.
type Workload struct {
	Clients int
	// Inflight is the number of operations each client keeps outstanding.
	Inflight int
	// RatePerSec is the total rate of new operations; 0 runs closed-loop,
	// each client starting a new operation as soon as one returns.
	RatePerSec int64
	// WritePPM is the share of writes; the rest are reads through the log.
	WritePPM   uint32
	Keys       int
	ValueBytes int
	// StartMicros and StopMicros bound when clients start new operations
	// (StopMicros 0: until the end). Operations already started still finish.
	StartMicros   int64
	StopMicros    int64
	TimeoutMicros int64
	// AppendPPM is the share of writes that append to a key instead of
	// overwriting it (an append applied twice shows twice).
	AppendPPM uint32
	// Zipf draws keys with Zipf's law (key k with weight 1/k: hot keys)
	// instead of uniformly.
	Zipf bool
	// ReadAnywhere sends reads to any server, not only the leader (for
	// follower reads).
	ReadAnywhere bool
	// MaxAttempts is how many times a client sends one operation before it
	// gives up and records it as indeterminate (0: never gives up).
	MaxAttempts int
	// BackoffMaxMicros caps the exponential backoff between attempts
	// (0: twice the timeout; client.go gives the bound this keeps on how
	// long an operation waits after a heal).
	BackoffMaxMicros int64
}

// Config is everything a world is made of. Together with the actions it
// fixes every event of a run.
type Config struct {
	Seed uint64
	// Servers is the number of machines, S1..Sn. The first Members of them
	// form the cluster at the start (0: all); the others are spare machines
	// that run but belong to no configuration until a membership change
	// adds them.
	Servers int
	Members int
	// Nodes holds each server's options; S1's at index 0.
	Nodes      []NodeOptions
	TickMicros int64
	Net        LinkParams
	Disk       DiskParams
	Workload   Workload
	// Check runs the safety invariants after every event.
	Check bool
	// WatchdogMicros is how long a connected quorum may stall before the
	// liveness watchdog reports it; 0 turns the watchdog off.
	WatchdogMicros int64
	// KeepEvents keeps every event in memory (for timelines and traces).
	KeepEvents bool
	// Manual hands every scheduling choice to actions (schedule.go):
	// messages wait on the wire for deliver, drop or duplicate actions,
	// clocks never tick, and disk writes are durable at once or, with
	// ManualDisk, when a persist action says so.
	Manual     bool
	ManualDisk bool
}

// DefaultConfig returns a five-server cluster on a quiet network.
func DefaultConfig(servers int) Config {
	c := Config{Servers: servers, TickMicros: 10 * Millisecond, Net: DefaultLinkParams(),
		Disk: DefaultDiskParams(), Check: true, WatchdogMicros: 5 * Second, KeepEvents: true}
	c.Workload = Workload{Inflight: 1, WritePPM: 700_000, Keys: 8, ValueBytes: 8, TimeoutMicros: 1 * Second}
	for i := 0; i < servers; i++ {
		c.Nodes = append(c.Nodes, DefaultNodeOptions())
	}
	return c
}

// Validate reports the first setting out of range.
func (c *Config) Validate() error {
	switch {
	case c.Servers < 1 || c.Servers > ServersMax:
		return fmt.Errorf("%d servers, want 1 to %d", c.Servers, ServersMax)
	case len(c.Nodes) != c.Servers:
		return fmt.Errorf("options for %d servers, want %d", len(c.Nodes), c.Servers)
	case c.Members < 0 || c.Members > c.Servers:
		return fmt.Errorf("%d members of %d servers", c.Members, c.Servers)
	case c.TickMicros < 100 || c.TickMicros > 10*Second:
		return fmt.Errorf("tick %dus out of range (100us to 10s)", c.TickMicros)
	case c.Disk.LatencyMinMicros < 0 || c.Disk.LatencyMaxMicros < c.Disk.LatencyMinMicros ||
		c.Disk.LatencyMaxMicros > LatencyMaxMicros:
		return fmt.Errorf("disk latency %d..%dus out of range", c.Disk.LatencyMinMicros, c.Disk.LatencyMaxMicros)
	case c.Disk.BytesPerSec < 0:
		return errors.New("disk bandwidth must not be negative")
	case c.WatchdogMicros < 0:
		return errors.New("watchdog window must not be negative")
	case c.ManualDisk && !c.Manual:
		return errors.New("manual disk writes need the manual scheduler")
	case c.Manual && c.Workload.Clients > 0:
		return errors.New("the manual scheduler runs no clients (their timers never fire): propose with actions instead")
	}
	if err := c.Net.Validate(); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	for i, n := range c.Nodes {
		rc := raftConfig(raft.ID(i+1), c.members(), n, 0)
		if err := rc.Validate(); err != nil {
			return fmt.Errorf("S%d: %w", i+1, err)
		}
		if n.SnapshotEntries < 0 || n.SnapshotEntries > SnapshotEntriesMax {
			return fmt.Errorf("S%d: snapshot every %d entries, want 0 to %d", i+1, n.SnapshotEntries, SnapshotEntriesMax)
		}
		if n.ReadMode >= readModeEnd || n.LeaseDriftPPM > PPM || n.MaxUncommitted < 0 || n.MaxUncommittedBytes < 0 ||
			n.MaxPending < 0 {
			return fmt.Errorf("S%d: a read or admission setting is out of range", i+1)
		}
		if n.SnapshotChunkBytes < 0 {
			return fmt.Errorf("S%d: snapshot chunk of %d bytes, want a positive size", i+1, n.SnapshotChunkBytes)
		}
	}
	return c.Workload.validate()
}

func (w *Workload) validate() error {
	switch {
	case w.Clients < 0 || w.Clients > ClientsMax:
		return fmt.Errorf("workload: %d clients, want 0 to %d", w.Clients, ClientsMax)
	case w.Clients == 0:
		return nil
	case w.Inflight < 1 || w.Inflight > ClientInflightMax:
		return fmt.Errorf("workload: inflight %d, want 1 to %d", w.Inflight, ClientInflightMax)
	case w.RatePerSec < 0 || w.RatePerSec > 10_000_000:
		return fmt.Errorf("workload: rate %d/s out of range", w.RatePerSec)
	case w.WritePPM > PPM:
		return errors.New("workload: write share over 100%")
	case w.Keys < 1 || w.Keys > KeysMax:
		return fmt.Errorf("workload: %d keys, want 1 to %d", w.Keys, KeysMax)
	case w.ValueBytes < 0 || w.ValueBytes > ValueBytesMax:
		return fmt.Errorf("workload: value size %d, want 0 to %d", w.ValueBytes, ValueBytesMax)
	case w.TimeoutMicros < Millisecond:
		return errors.New("workload: client timeout under 1ms")
	case w.AppendPPM > PPM:
		return errors.New("workload: append share over 100%")
	case w.MaxAttempts < 0 || w.MaxAttempts > AttemptsMax:
		return fmt.Errorf("workload: %d attempts, want 0 to %d", w.MaxAttempts, AttemptsMax)
	case w.BackoffMaxMicros < 0 || w.BackoffMaxMicros > LatencyMaxMicros:
		return errors.New("workload: backoff out of range")
	}
	return nil
}

// members is the number of servers in the starting configuration.
func (c *Config) members() int {
	if c.Members == 0 {
		return c.Servers
	}
	return c.Members
}

// raftConfig is server id's protocol configuration. A member starts with
// the cluster's first configuration; a spare machine starts with none.
func raftConfig(id raft.ID, members int, n NodeOptions, seed uint64) raft.Config {
	var voters []raft.ID
	if int(id) <= members {
		voters = make([]raft.ID, members)
		for i := range voters {
			voters[i] = raft.ID(i + 1)
		}
	}
	return raft.Config{ID: id, Voters: voters, ElectionTicks: n.ElectionTicks, HeartbeatTicks: n.HeartbeatTicks,
		PreVote: n.PreVote, CheckQuorum: n.CheckQuorum, MaxInflightMsgs: n.MaxInflightMsgs,
		MaxEntriesPerMsg: n.MaxEntriesPerMsg, SingleServerChanges: n.SingleServerChanges,
		SnapshotChunkBytes: n.SnapshotChunkBytes, LeaseDriftPPM: n.LeaseDriftPPM, Seed: seed, Bugs: n.Bugs}
}
