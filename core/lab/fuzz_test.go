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
		"options S2 reads=stale", "nemesis all every 1ms..2ms for 300ms", "nemesis kill-leader,bridge until 1s",
		"deliver m1", "drop m3", "duplicate m0", "persist S1", "heartbeat leader"} {
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

// manualScenario is a cluster under the manual scheduler with the correct
// core: every step a test picks from the choices must keep every check.
const manualScenario = "servers 3\nschedule manual\noptions all prevote=off checkquorum=off batch=1\nduration 1s\n"

// FuzzManualSteps walks a session under the manual scheduler along the
// choices the fuzzer picks (each byte picks one of the steps offered, the
// way the explorer and the next-step panel take them), then acts on
// arbitrary text and goes back. No panic, and with the correct core no
// invariant ever breaks: any path found here is one the explorer's bounds
// did not reach.
func FuzzManualSteps(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0}, "deliver m1")
	f.Add([]byte{5, 1, 9, 2, 7, 3, 3, 0, 4, 1, 8, 2}, "persist S1")
	f.Add([]byte{2, 2, 2, 2, 200, 17, 31, 4, 4, 4, 4, 4, 4, 4}, "heartbeat leader")
	f.Add([]byte{1, 0, 3, 0, 6, 0, 0, 11, 0, 0, 0, 0, 13, 0, 0}, "duplicate m99999999999999999999")
	f.Fuzz(func(t *testing.T, picks []byte, text string) {
		s, err := Open("manual.scn", []byte(manualScenario), Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i, b := range picks {
			if i >= 80 {
				break
			}
			choices := s.World().Choices()
			if len(choices) == 0 {
				break
			}
			if err := s.Act(choices[int(b)%len(choices)]); err != nil {
				t.Fatalf("step %d, %q offered and refused: %v", i, choices[int(b)%len(choices)], err)
			}
			if v := s.World().Violation(); v != nil {
				t.Fatalf("the correct core broke after %v: %v", s.Actions(), v)
			}
			s.Advance(sim.Millisecond)
		}
		_ = s.Act(text)
		s.GoTo(0)
		_ = s.View()
	})
}
