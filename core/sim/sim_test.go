package sim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/raft"
	"smrlab/core/trace"
)

func world(t *testing.T, cfg Config, actions ...Action) *World {
	t.Helper()
	w, err := New(cfg, actions)
	require.NoError(t, err)
	return w
}

func TestSameSeedSameRunOtherSeedOtherRun(t *testing.T) {
	cfg := DefaultConfig(5)
	cfg.Workload.Clients = 2
	cfg.Seed = 7
	a, b := world(t, cfg), world(t, cfg)
	a.RunUntil(3 * Second)
	b.RunUntil(3 * Second)
	require.Equal(t, a.Recorder().Sum(), b.Recorder().Sum())
	require.Equal(t, a.StateHash(), b.StateHash())
	cfg.Seed = 8
	c := world(t, cfg)
	c.RunUntil(3 * Second)
	require.NotEqual(t, a.Recorder().Sum(), c.Recorder().Sum())
}

// TestLinksAreFIFOUnlessReordered: without a reorder fault, messages on one
// link arrive in the order they were sent, whatever their latencies.
func TestLinksAreFIFOUnlessReordered(t *testing.T) {
	for _, reorder := range []uint32{0, 300_000} {
		cfg := DefaultConfig(3)
		cfg.Net.LatencyMinMicros, cfg.Net.LatencyMaxMicros = 1*Millisecond, 30*Millisecond
		cfg.Net.ReorderPPM = reorder
		cfg.Workload.Clients = 2
		w := world(t, cfg)
		last := map[[2]uint32]uint64{}
		overtaken := 0
		w.Recorder().Sink = func(e *trace.Event) error {
			if e.Kind == trace.Deliver && e.Node <= 3 && e.Peer <= 3 {
				link := [2]uint32{e.Peer, e.Node}
				if e.ID < last[link] {
					overtaken++
				}
				last[link] = max(last[link], e.ID)
			}
			return nil
		}
		w.RunUntil(5 * Second)
		if reorder == 0 {
			require.Zero(t, overtaken)
		} else {
			require.Positive(t, overtaken)
		}
	}
}

func TestCrashLosesWhatIsNotDurable(t *testing.T) {
	cfg := DefaultConfig(3)
	cfg.Disk = DiskParams{LatencyMinMicros: 50 * Millisecond, LatencyMaxMicros: 50 * Millisecond}
	cfg.Workload.Clients = 1
	cfg.Workload.Inflight = 8
	w := world(t, cfg)
	w.RunUntil(2 * Second)
	var lost uint64
	w.Recorder().Sink = func(e *trace.Event) error {
		if e.Kind == trace.Crash {
			lost = e.Count
		}
		return nil
	}
	leader := w.leader()
	require.NotNil(t, leader)
	inMemory := leader.node.LastIndex()
	durable := uint64(leader.disk.log.len())
	require.Less(t, durable, inMemory, "a slow disk lags the log")
	require.NoError(t, w.Schedule(Action{At: w.Now(), Kind: ActCrash, Targets: []Target{{Kind: TargetID, ID: leader.id}}, Text: "crash"}))
	w.RunUntil(w.Now())
	require.Positive(t, lost)
	require.NoError(t, w.Schedule(Action{At: w.Now() + 1, Kind: ActRestart, Targets: []Target{{Kind: TargetID, ID: leader.id}}, Text: "restart"}))
	w.RunUntil(w.Now() + 1)
	require.Equal(t, durable, leader.node.LastIndex(), "a restarted server has exactly what was durable")
	require.Nil(t, w.Violation())
}

func TestPartitionDropsAcrossAndHealRestores(t *testing.T) {
	cfg := DefaultConfig(5)
	ids := func(xs ...raft.ID) []Target {
		var out []Target
		for _, x := range xs {
			out = append(out, Target{Kind: TargetID, ID: x})
		}
		return out
	}
	w := world(t, cfg,
		Action{At: 1 * Second, Kind: ActPartition, Groups: [][]Target{ids(1, 2), ids(3, 4)}, Text: "partition"},
		Action{At: 3 * Second, Kind: ActHeal, Text: "heal"})
	w.RunUntil(2 * Second)
	require.True(t, w.Cut(1, 3))
	require.True(t, w.Cut(4, 2))
	require.False(t, w.Cut(1, 2))
	require.False(t, w.Cut(5, 1), "a server in no group bridges both")
	require.False(t, w.Cut(3, 5))
	w.RunUntil(4 * Second)
	require.False(t, w.Cut(1, 3))
}

func TestActionsRejectUnknownServers(t *testing.T) {
	_, err := New(DefaultConfig(3), []Action{{Kind: ActCrash, Targets: []Target{{Kind: TargetID, ID: 4}}, Text: "crash S4"}})
	require.ErrorIs(t, err, ErrNoSuchServer)
	cfg := DefaultConfig(3)
	cfg.Servers = 12
	_, err = New(cfg, nil)
	require.ErrorContains(t, err, "12 servers")
}

func TestWindowPercentile(t *testing.T) {
	var w Window
	require.Zero(t, w.Percentile(99))
	for i := int64(1); i <= 100; i++ {
		w.Add(i)
	}
	require.Equal(t, int64(50), w.Percentile(50))
	require.Equal(t, int64(99), w.Percentile(99))
	for i := 0; i < 2*WindowSize; i++ {
		w.Add(7)
	}
	require.Len(t, w.Samples, WindowSize)
	require.Equal(t, int64(7), w.Percentile(100))
}
