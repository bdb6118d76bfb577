package lab

import (
	"testing"

	"smrlab/core/sim"
)

// FuzzAct: whatever a user types in the action box, the session answers
// with an error or takes the action, never panics, and runs on.
func FuzzAct(f *testing.F) {
	for _, s := range []string{"crash S1", "partition S1 S2 | S3 S4 S5", "cut S1 -> S2", "net loss=5% latency=1ms..2ms",
		"slow-disk S2 10x", "clock S3 drift=-50% skew=+1s", "transfer S2", "workload rate=100/s", "propose S1 a=b",
		"heal S1 <-> S2", "pause leader", "resume all", "restart random", "snapshot all", "snapshot every 5 S2",
		"add S6", "add learner spare", "add voter S7", "promote S6", "remove leader", "replace S1 with S6",
		"reconfigure leader remove S2", "options all reads=lease lease-drift=10% max-pending=3",
		"options S2 reads=stale", "nemesis all every 1ms..2ms for 300ms", "nemesis kill-leader,bridge until 1s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := OpenDefault(Options{Seed: 1, SeedSet: true})
		if err != nil {
			t.Fatal(err)
		}
		s.Advance(300 * sim.Millisecond)
		_ = s.Act(text)
		s.Advance(200 * sim.Millisecond)
		s.GoTo(100 * sim.Millisecond)
		_ = s.View()
	})
}
