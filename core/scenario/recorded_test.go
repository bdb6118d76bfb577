package scenario

import (
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/sim"
)

// TestRecordedActions: "recorded at" is an "at" action marked as a click,
// placed after the scenario's own actions of its time, at the exact
// microsecond written.
func TestRecordedActions(t *testing.T) {
	sc, err := Parse("saved.scn", []byte(`servers 3
recorded at 1.234567s crash S2
recorded at 2s net loss=1%
at 2s net latency=20ms..30ms
at 2s crash S1
every 1s until 2s heal
`))
	require.NoError(t, err)
	var got []string
	for _, a := range sc.Actions {
		got = append(got, a.Text)
		require.Equal(t, a.Text == "1234567us crash S2" || a.Text == "2s net loss=1%", a.User, a.Text)
	}
	require.Equal(t, []string{"1s heal", "1234567us crash S2", "2s net latency=20ms..30ms", "2s crash S1",
		"2s heal", "2s net loss=1%"}, got)
	// The click changes the network the scenario's own action left.
	last := sc.Actions[len(sc.Actions)-1].Net
	require.Equal(t, int64(20*sim.Millisecond), last.LatencyMinMicros)
	require.Equal(t, uint32(10_000), last.LossPPM)
}

// TestRecordedNetDoesNotLeakIntoTheScenario: a scenario's own
// "net" action is not changed by a click before it.
func TestRecordedNetDoesNotLeakIntoTheScenario(t *testing.T) {
	sc, err := Parse("saved.scn", []byte("servers 3\nrecorded at 1s net latency=40ms..50ms\nat 2s net loss=1%\n"))
	require.NoError(t, err)
	require.Equal(t, sim.DefaultConfig(3).Net.LatencyMaxMicros, sc.Actions[1].Net.LatencyMaxMicros)
}

func TestRecordedErrors(t *testing.T) {
	for src, want := range map[string]string{
		"recorded crash S1\n":                    "saved.scn:1:1: recorded takes a timed action",
		"recorded at 1s\n":                       "saved.scn:1:1: recorded takes a timed action",
		"recorded at soon crash S1\n":            "saved.scn:1:13: bad duration",
		"recorded at 1s explode S1\n":            "saved.scn:1:16: unknown action",
		"duration 1s\nrecorded at 2s crash S1\n": "saved.scn:2:1: action at 2s is after the end of the run",
	} {
		_, err := Parse("saved.scn", []byte(src))
		require.ErrorContains(t, err, want, src)
	}
}
