package sim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/raft"
	"smrlab/core/trace"
)

// TestClientsCompleteWithinTheBoundAfterAHeal: after an outage long enough
// for clients to fail many attempts in a row (a crashed majority, or a
// leader cut off), every operation completes within the bound of client.go
// once a leader serves again on a healthy network. A redirect or a "not the
// leader" answer does not escalate the backoff, so the length of the outage
// does not show in the wait.
func TestClientsCompleteWithinTheBoundAfterAHeal(t *testing.T) {
	ids := func(xs ...raft.ID) []Target {
		var out []Target
		for _, x := range xs {
			out = append(out, Target{Kind: TargetID, ID: x})
		}
		return out
	}
	outages := map[string][]Action{
		"a crashed majority": {{At: 1 * Second, Kind: ActCrash, Targets: ids(1, 2, 3), Text: "crash"},
			{At: 7 * Second, Kind: ActRestart, Targets: []Target{{Kind: TargetAll}}, Text: "restart"}},
		"a partition with no majority": {
			{At: 1 * Second, Kind: ActPartition, Groups: [][]Target{ids(1, 2), ids(3, 4), ids(5)}, Text: "partition"},
			{At: 7 * Second, Kind: ActHeal, Text: "heal"}},
	}
	for name, actions := range outages {
		for seed := uint64(1); seed <= 20; seed++ {
			cfg := DefaultConfig(5)
			cfg.Seed = seed
			cfg.Workload.Clients, cfg.Workload.Inflight, cfg.Workload.RatePerSec = 4, 2, 100
			cfg.Workload.TimeoutMicros = 300 * Millisecond
			cfg.Workload.StopMicros = 9 * Second
			w := world(t, cfg, actions...)
			started := map[[2]uint64]int64{}
			latest := int64(0) // the latest return past the bound's start
			var heal int64 = -1
			w.Recorder().Sink = func(e *trace.Event) error {
				op := [2]uint64{uint64(e.Node), e.ID}
				switch e.Kind {
				case trace.ClientCall:
					started[op] = e.Time
				case trace.ClientReturn:
					if heal >= 0 {
						latest = max(latest, e.Time-max(started[op], heal))
					}
					delete(started, op)
				}
				return nil
			}
			w.RunUntil(7 * Second)
			for w.Leader() == raft.None {
				w.RunUntil(w.Now() + 10*Millisecond)
			}
			heal = w.Now()
			lead := w.Leader()
			w.RunUntil(12 * Second)
			require.Equal(t, lead, w.Leader(), "%s, seed %d: the leader stays", name, seed)
			require.Empty(t, started, "%s, seed %d: every operation returned", name, seed)
			require.LessOrEqual(t, latest, w.ClientBoundMicros(), "%s, seed %d", name, seed)
			require.Nil(t, w.Violation())
		}
	}
}
