package lab

import (
	"fmt"

	"smrlab/core/raft"
	"smrlab/core/sim"
)

// BenchSpec is the throughput workload shared by `smrlab bench` and the Go
// benchmarks: a fault-free cluster with Inflight client proposals of
// SizeBytes outstanding at all times, run until the leader has applied
// Entries entries.
type BenchSpec struct {
	Nodes     int
	Inflight  int
	Entries   uint64
	SizeBytes int
	// Check runs every safety invariant after every event.
	Check bool
	Seed  uint64
	// SnapshotEntries is every server's snapshot threshold (0: never).
	SnapshotEntries int
}

// Validate reports a setting out of range.
func (b BenchSpec) Validate() error {
	switch {
	case b.Nodes < 1 || b.Nodes > sim.ServersMax:
		return fmt.Errorf("--nodes %d, want 1 to %d", b.Nodes, sim.ServersMax)
	case b.Inflight < 1 || b.Inflight > sim.ClientsMax*sim.ClientInflightMax:
		return fmt.Errorf("--inflight %d, want 1 to %d", b.Inflight, sim.ClientsMax*sim.ClientInflightMax)
	case b.Entries < 1 || b.Entries > 1<<34:
		return fmt.Errorf("--entries %d, want 1 to %d", b.Entries, uint64(1)<<34)
	case b.SizeBytes < 1 || b.SizeBytes > sim.ValueBytesMax:
		return fmt.Errorf("--size %d, want 1 to %d", b.SizeBytes, sim.ValueBytesMax)
	case b.SnapshotEntries < 0 || b.SnapshotEntries > sim.SnapshotEntriesMax:
		return fmt.Errorf("--snapshot %d, want 0 to %d", b.SnapshotEntries, sim.SnapshotEntriesMax)
	}
	return nil
}

// BenchKeys is how many keys the benchmark's writes spread over.
const BenchKeys = 1024

// BenchWorld builds the benchmark's world: one closed-loop client keeps
// Inflight writes outstanding (more clients past the per-client limit).
func BenchWorld(b BenchSpec) (*sim.World, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	cfg := sim.DefaultConfig(b.Nodes)
	cfg.Seed = b.Seed
	cfg.Check = b.Check
	cfg.KeepEvents = false
	cfg.WatchdogMicros = 0
	for i := range cfg.Nodes {
		cfg.Nodes[i].SnapshotEntries = b.SnapshotEntries
	}
	clients := (b.Inflight + sim.ClientInflightMax - 1) / sim.ClientInflightMax
	cfg.Workload = sim.Workload{Clients: clients, Inflight: b.Inflight / clients, WritePPM: sim.PPM, Keys: BenchKeys,
		ValueBytes: b.SizeBytes, TimeoutMicros: 10 * sim.Second}
	return sim.New(cfg, nil)
}

// RunUntilApplied runs w until some leader has applied n entries, and
// returns the number of events it took. It stops early if the world stops.
func RunUntilApplied(w *sim.World, n uint64) uint64 {
	for {
		for i := 0; i < 4096; i++ {
			if !w.Step() {
				return w.Recorder().Count()
			}
		}
		if leaderApplied(w) >= n {
			return w.Recorder().Count()
		}
	}
}

// RetainedMax is the longest log any running server holds past its
// snapshot now.
func RetainedMax(w *sim.World) uint64 {
	most := uint64(0)
	for _, v := range w.Servers() {
		if v.Up {
			most = max(most, v.Status.LastIndex-v.Status.SnapshotIndex)
		}
	}
	return most
}

func leaderApplied(w *sim.World) uint64 {
	best := uint64(0)
	for i := 1; i <= w.Config().Servers; i++ {
		if node := w.Node(raft.ID(i)); node != nil && node.Role() == raft.Leader {
			best = max(best, node.Status().Applied)
		}
	}
	return best
}
