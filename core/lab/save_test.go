package lab

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/scenario"
	"smrlab/core/sim"
	"smrlab/core/trace"
)

// runSaved parses a saved scenario and runs it as `smrlab run` does.
func runSaved(t *testing.T, text string) *scenario.Result {
	t.Helper()
	sc, err := scenario.Parse("saved.scn", []byte(text))
	require.NoError(t, err, text)
	r, err := scenario.Run(sc, scenario.RunOptions{NoLinearizability: true})
	require.NoError(t, err)
	return r
}

// requireSavedReproduces saves the session as a scenario, runs it, and
// checks that the run ends on the session's events and state.
func requireSavedReproduces(t *testing.T, s *Session) string {
	t.Helper()
	h := s.Recording()
	text, err := ScenarioOf(&h)
	require.NoError(t, err)
	r := runSaved(t, text)
	require.Equal(t, s.Now(), r.EndTime, text)
	require.Equal(t, s.EventsHash(), r.EventsHash, "events hash of the saved scenario\n%s", text)
	require.Equal(t, s.StateHash(), r.StateHash, "state hash of the saved scenario\n%s", text)
	_, footer, err := s.Trace(nil)
	require.NoError(t, err)
	require.Equal(t, footer.EventsHash, r.EventsHash, "the session's trace and the saved scenario")
	require.Equal(t, footer.StateHash, r.StateHash)
	return text
}

// step is a user's move in a session: wait, then act (or go back).
type step struct {
	wait int64 // run forward this long first
	back int64 // or go back to this time (when > 0)
	act  string
}

func play(t *testing.T, s *Session, steps []step) {
	t.Helper()
	for _, st := range steps {
		if st.back > 0 {
			s.GoTo(st.back)
		}
		s.Advance(st.wait)
		if st.act != "" {
			require.NoError(t, s.Act(st.act), "at %d: %s", s.Now(), st.act)
		}
	}
}

// TestScenarioOfReproducesTheSession: a session with clicks at odd
// microseconds (and on tick boundaries, where the order within a microsecond
// matters), seeks back and forks, saved as a scenario, runs to the very same
// events and state.
func TestScenarioOfReproducesTheSession(t *testing.T) {
	ms := sim.Millisecond
	cases := []struct {
		file  string
		seed  uint64
		steps []step
	}{
		{"", 7, []step{
			{wait: 1234567, act: "crash leader"},
			{act: "propose S1 x=1"}, // two clicks in one microsecond
			{wait: 300*ms + 1, act: "partition S1 S2 | S3 S4 S5"},
			{wait: 250*ms + 3, act: "net latency=20ms..30ms"},
			{wait: 11, act: "net loss=2%"}, // keeps the latency just set, live, recorded and saved
			{wait: 400 * ms, act: "heal"},
			{wait: 777, act: "restart all"},
			{wait: 500*ms + 5, act: "snapshot all"},
			{wait: 123457, act: "add S6"},
			{wait: 900 * ms, act: "options all reads=lease lease-drift=10% max-pending=3"},
			{wait: 333, act: "clock S3 drift=-50% skew=+1s"},
			{back: 2 * sim.Second, act: "crash S2"}, // forks: the later clicks go
			{wait: 450*ms + 9, act: "transfer S4"},
			{wait: 701*ms + 1, act: "slow-disk S2 10x"},
			{wait: 99},
		}},
		{"../../scenarios/leader-crash.scn", 3, []step{
			{wait: 2 * sim.Second, act: "crash S1"}, // exactly on a tick
			{wait: 1, act: "restart S1"},
			{wait: 987654, act: "cut S2 -> S3"},
			{wait: 600 * ms, act: "workload rate=100/s"},
			{wait: 10 * ms},
		}},
		{"../../scenarios/chaos-membership.scn", 11, []step{
			{wait: 1500 * ms, act: "crash random"}, // draws from the fault stream
			{wait: 700*ms + 13, act: "replace follower with spare"},
			{wait: 1, act: "nemesis kill-leader,bridge until 5s"},
			{back: 1800 * ms},
			{wait: 0, act: "pause leader"},
			{wait: 1200*ms + 17, act: "resume all"},
			{wait: 40 * ms},
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			var s *Session
			if c.file == "" {
				s = openDefault(t, c.seed)
			} else {
				var err error
				s, err = Open(c.file[strings.LastIndexByte(c.file, '/')+1:], mustRead(t, c.file),
					Options{Seed: c.seed, SeedSet: true})
				require.NoError(t, err)
			}
			play(t, s, c.steps)
			require.NotEmpty(t, s.Actions())
			text := requireSavedReproduces(t, s)
			require.Contains(t, text, "recorded at ")
		})
	}
}

// TestScenarioOfNeedsTheRecordedMarking: a click on a tick boundary written
// as a plain "at" action runs before that tick instead of after it, and the
// run reaches another state. This is what "recorded at" is for.
func TestScenarioOfNeedsTheRecordedMarking(t *testing.T) {
	s := openDefault(t, 5)
	s.Advance(2 * sim.Second)
	require.NoError(t, s.Act("crash leader"))
	s.Advance(500 * sim.Millisecond)
	text := requireSavedReproduces(t, s)
	plain := strings.ReplaceAll(text, "\nrecorded at ", "\nat ")
	require.NotEqual(t, text, plain)
	r := runSaved(t, plain)
	require.NotEqual(t, s.EventsHash(), r.EventsHash, "without the marking the click runs before the tick")
}

// TestScenarioOfSessionSettings: the seed, bug toggles and stop time of the
// session override the scenario's; actions of the scenario after the stop
// are left out (a scenario refuses actions after its end).
func TestScenarioOfSessionSettings(t *testing.T) {
	bugs, err := ParseBugs([]string{"commit-previous-term", "forget-vote-on-restart"})
	require.NoError(t, err)
	s, err := Open("leader-crash.scn", mustRead(t, "../../scenarios/leader-crash.scn"),
		Options{Seed: 99, SeedSet: true, Bugs: bugs})
	require.NoError(t, err)
	s.Advance(4*sim.Second + 250*sim.Millisecond + 7)
	require.NoError(t, s.Act("restart all"))
	text := requireSavedReproduces(t, s)
	for _, want := range []string{
		"# Saved from an interactive session of \"leader-crash\", seed 99, stopped at 4.250007s",
		"\nseed 99\n", "\nbug all commit-previous-term forget-vote-on-restart\n", "\nduration 4.250007s\n",
		"\nat 3s crash leader\n", "\n# not reached by the session: at 6s restart all\n",
		"\nrecorded at 4.250007s restart all\n",
	} {
		require.Contains(t, text, want)
	}
	sc, err := scenario.Parse("saved.scn", []byte(text))
	require.NoError(t, err)
	require.Equal(t, uint64(99), sc.Seed)
	require.Equal(t, 4*sim.Second+250*sim.Millisecond+7, sc.Duration)
	require.True(t, sc.Actions[len(sc.Actions)-1].User)
	require.False(t, sc.Actions[0].User)

	// A saved scenario opened again, acted on and saved again still
	// reproduces (its recorded lines are part of the scenario now).
	again, err := Open("saved.scn", []byte(text), Options{})
	require.NoError(t, err)
	again.Advance(again.End())
	require.NoError(t, again.Act("crash S2"))
	requireSavedReproduces(t, again)
}

// TestScenarioOfAtTheStart: a session saved before it ran runs a
// millisecond (the shortest scenario), and a session run to the scenario's
// end keeps the scenario's duration.
func TestScenarioOfAtTheStart(t *testing.T) {
	s := openDefault(t, 2)
	h := s.Recording()
	text, err := ScenarioOf(&h)
	require.NoError(t, err)
	require.Contains(t, text, "\nduration 1ms\n")
	runSaved(t, text)

	s, err = Open("leader-crash.scn", mustRead(t, "../../scenarios/leader-crash.scn"), Options{})
	require.NoError(t, err)
	s.Advance(s.End())
	text = requireSavedReproduces(t, s)
	require.NotContains(t, text, "\nduration 10s\n# ") // no override needed
	require.NotContains(t, text, "not reached")
}

func TestScenarioOfRefusesBadRecordings(t *testing.T) {
	s := openDefault(t, 1)
	s.Advance(sim.Second)
	require.NoError(t, s.Act("crash S1"))
	for name, spoil := range map[string]func(h *trace.Header){
		"bad action":   func(h *trace.Header) { h.Actions[0] = "at 1s explode S1" },
		"bad bug":      func(h *trace.Header) { h.Bugs = []string{"no-such-bug"} },
		"huge seed":    func(h *trace.Header) { h.Seed = 1 << 63 },
		"bad scenario": func(h *trace.Header) { h.Scenario = "servers 99\n" },
		"negative end": func(h *trace.Header) { h.Until = -1 },
	} {
		h := s.Recording()
		spoil(&h)
		_, err := ScenarioOf(&h)
		require.Error(t, err, name)
	}
}

func TestExactDuration(t *testing.T) {
	for _, us := range []int64{0, 1, 999, 1000, 1234567, 2 * sim.Second, 60*sim.Second + 10, 3600*sim.Second + 999_999} {
		got, err := scenario.ParseDuration(exactDuration(us))
		require.NoError(t, err, exactDuration(us))
		require.Equal(t, us, got, exactDuration(us))
	}
	require.Equal(t, "1.5s", exactDuration(1500*sim.Millisecond))
	require.Equal(t, "0.000001s", exactDuration(1))
}
