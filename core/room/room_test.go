package room

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/lab"
	"smrlab/core/trace"
)

// TestClassRunsOneCluster: a teacher opens a room, two students join, the
// clock plays, a student acts; every seat hears the act with the room's
// hash, and a browser that imports the sync's recording reaches that hash.
func TestClassRunsOneCluster(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 3})
	ada := c.join("Ada")
	bob := c.join("Bob")
	require.Equal(t, SeatID(1), ada)
	require.Equal(t, SeatID(2), bob)
	c.take(c.r.Connect(Teacher, "lockstep", "", c.nowMs))
	sync := lastFrame(c.sends, ada, "sync")
	require.NotNil(t, sync)
	require.Equal(t, "token-Ada", sync["token"])
	require.Equal(t, map[string]any{"role": "observer"}, sync["role"])

	// Observers watch: the teacher makes Ada server S2.
	o := c.act(ada, "crash S2")
	require.Equal(t, []string{"role"}, o.Refused)
	o = c.frame(Teacher, `{"t":"role","seq":%d,"seat":1,"role":"server","server":"S2"}`)
	require.Empty(t, o.Refused)

	c.clock("speed", `,"speedPpm":1000000`)
	c.clock("play", "")
	c.wait(2000) // 2 s of virtual time at 1x
	require.Equal(t, int64(2_000_000), c.r.Now())
	now := lastFrame(c.sends, Everyone, "now")
	require.NotNil(t, now)

	o = c.act(ada, "crash S2")
	require.Empty(t, o.Refused, "%v", types(o))
	in := lastFrame(o.Sends, Everyone, "input")
	require.NotNil(t, in)
	require.Equal(t, "crash S2", in["text"])
	require.Equal(t, c.r.Hash(), in["hash"])
	require.Equal(t, float64(2_000_000), in["at"])

	// A late browser: the recording in a fresh sync opens at the room's hash.
	var sf struct {
		Recording json.RawMessage `json:"recording"`
		At        int64           `json:"at"`
		Hash      string          `json:"hash"`
	}
	require.NoError(t, json.Unmarshal(c.r.Sync(bob), &sf))
	h, err := trace.ParseHeaderJSON(sf.Recording)
	require.NoError(t, err)
	s, err := lab.OpenRecording(&h)
	require.NoError(t, err)
	s.GoTo(sf.At)
	require.Equal(t, sf.Hash, hexHash(s.StateHash()))
}
