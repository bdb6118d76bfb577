package scenario

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/raft"
	"smrlab/core/sim"
)

func TestParseErrorsSayWhereAndWhat(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"unknown directive", "servers 3\nfrobnicate 1\n", "t.scn:2:1: unknown directive \"frobnicate\""},
		{"unknown action", "at 1s partiton S1 | S2\n", "t.scn:1:7: unknown action \"partiton\""},
		{"bad duration", "duration 10parsecs\n", "t.scn:1:10: bad duration \"10parsecs\""},
		{"no such server", "servers 3\nat 1s crash S4\n", "t.scn:2:13: no server \"S4\" in a cluster of 3"},
		{"bad probability", "network loss=150%\n", "t.scn:1:9: loss: bad probability \"150%\""},
		{"unknown invariant", "expect violation ElectionSafty\n", "t.scn:1:18: unknown invariant \"ElectionSafty\""},
		{"unknown bug", "bug all commit-previus-term\n", "t.scn:1:9: unknown bug toggle \"commit-previus-term\""},
		{"servers late", "options all prevote=on\nservers 3\n", "t.scn:2:1: servers must come before"},
		{"action after end", "duration 2s\nat 3s crash S1\n", "t.scn:2:1: action at 3s is after the end of the run"},
		{"election vs heartbeat", "options all election=50ms heartbeat=50ms\n", "t.scn:1: S1: election timeout"},
		{"bad option", "options all prevote=maybe\n", "t.scn:1:13: prevote: want on or off"},
		{"unknown option", "options S1 speed=11\n", "t.scn:1:12: unknown option \"speed\""},
		{"partition one group", "at 1s partition S1 S2\n", "t.scn:1:7: partition needs two or more groups"},
		{"cut without arrow", "at 1s cut S1 S2\n", "t.scn:1:7: cut needs a link"},
		{"slow-disk factor", "at 1s slow-disk S1 fast\n", "t.scn:1:20: slow-disk: want a factor"},
		{"leader syntax", "expect leader soon\n", "t.scn:1:8: write: expect leader [S3] within 1s"},
		{"leader undisrupted alone", "expect leader undisrupted\n", "t.scn:1:8: write: expect leader [S3] within 1s [after 2s] [undisrupted]"},
		{"leader who", "servers 3\nexpect leader S4 within 1s\n", "t.scn:2:15: no server \"S4\""},
		{"transfer to nobody", "at 1s transfer\n", "t.scn:1:7: transfer names the server"},
		{"key value", "workload clients\n", "t.scn:1:10: want key=value"},
		{"range backwards", "network latency=5ms..1ms\n", "t.scn:1:9: latency: range \"5ms..1ms\" runs backwards"},
		{"tick too small", "tick 10us\n", "t.scn:1:6: tick must be at least 100us"},
		{"servers count", "servers 12\n", "t.scn:1:9: servers: want a whole number from 1 to 9"},
		{"every without action", "every 1s from 1s\n", "t.scn:1:1: every needs an action"},
		{"server in two groups", "at 1s partition S1 S2 | S2 S3\n", "t.scn:1:25: S2 is in two groups of the partition"},
		{"partition all", "at 1s partition all | S1\n", "t.scn:1:17: partition groups name servers, not all"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.scn", []byte(c.src))
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	_, err := Parse("big.scn", []byte(strings.Repeat("#", SourceBytesMax+1)))
	require.ErrorContains(t, err, "big.scn:1: file is")
}

func TestParseEveryExpandsToTheEnd(t *testing.T) {
	sc, err := Parse("t.scn", []byte("duration 5s\nevery 1s from 1s crash random\nevery 2s until 3s restart all\n"))
	require.NoError(t, err)
	var crashes, restarts []int64
	for _, a := range sc.Actions {
		switch a.Kind {
		case sim.ActCrash:
			crashes = append(crashes, a.At/sim.Second)
		case sim.ActRestart:
			restarts = append(restarts, a.At/sim.Second)
		}
	}
	require.Equal(t, []int64{1, 2, 3, 4, 5}, crashes)
	require.Equal(t, []int64{2}, restarts)
}

func TestParseOptionsAndBugs(t *testing.T) {
	src := `servers 3
tick 5ms
options all prevote=off checkquorum=on election=100ms heartbeat=20ms inflight=4 batch=16
options S2 prevote=on
bug S3 commit-previous-term ack-before-durable
`
	sc, err := Parse("t.scn", []byte(src))
	require.NoError(t, err)
	n := sc.Config.Nodes
	require.Len(t, n, 3)
	require.False(t, n[0].PreVote)
	require.True(t, n[1].PreVote)
	require.Equal(t, 20, n[0].ElectionTicks)
	require.Equal(t, 4, n[0].HeartbeatTicks)
	require.Equal(t, 4, n[2].MaxInflightMsgs)
	require.Equal(t, 16, n[2].MaxEntriesPerMsg)
	require.True(t, n[2].Bugs.Has(raft.BugCommitPreviousTerm))
	require.True(t, n[2].Bugs.Has(raft.BugAckBeforeDurable))
	require.Zero(t, n[0].Bugs)
}

func TestParseActionsInTimeOrder(t *testing.T) {
	src := "at 2s heal\nat 1s partition S1 S2 | S3 S4 S5\nat 1s net loss=5% latency=2ms..4ms\nat 1.5s net S1 <-> S2 loss=50%\n"
	sc, err := Parse("t.scn", []byte(src))
	require.NoError(t, err)
	require.Len(t, sc.Actions, 4)
	require.Equal(t, sim.ActPartition, sc.Actions[0].Kind)
	require.Len(t, sc.Actions[0].Groups, 2)
	net := sc.Actions[1]
	require.Equal(t, uint32(50_000), net.Net.LossPPM)
	require.Equal(t, int64(2000), net.Net.LatencyMinMicros)
	link := sc.Actions[2]
	require.True(t, link.Link && link.Both)
	require.Equal(t, uint32(500_000), link.Net.LossPPM)
	require.Equal(t, int64(2000), link.Net.LatencyMinMicros, "a link starts from the network as it is then")
	require.Equal(t, sim.ActHeal, sc.Actions[3].Kind)
}

func TestParseAction(t *testing.T) {
	a, err := ParseAction("at 1.25s clock S2 drift=-5% skew=+30ms", 5, sim.DefaultLinkParams())
	require.NoError(t, err)
	require.Equal(t, int64(1_250_000), a.At)
	require.Equal(t, int64(-50_000), a.DriftPPM)
	require.Equal(t, int64(30_000), a.SkewMicros)
	_, err = ParseAction("crash S1", 5, sim.DefaultLinkParams())
	require.ErrorContains(t, err, "action:1:1: an action reads: at TIME ACTION")
	_, err = ParseAction("at 1s crash S6", 5, sim.DefaultLinkParams())
	require.ErrorContains(t, err, "action:1:13: no server \"S6\"")
}

func TestParseDurationsAndProbabilities(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1us": 1, "1.5ms": 1500, "2s": 2_000_000, "0.000001s": 1, "2m": 120_000_000} {
		got, err := parseDuration(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "s", "1", "-1s", "1.2.3s", "1e3ms", "99999999999999s"} {
		_, err := parseDuration(bad)
		require.Error(t, err, bad)
	}
	for in, want := range map[string]uint32{"0": 0, "1%": 10_000, "0.5%": 5000, "100%": 1_000_000, "250ppm": 250} {
		got, err := parsePPM(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
}
