package sim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/raft"
)

func manualConfig() Config {
	cfg := DefaultConfig(3)
	cfg.Manual = true
	cfg.WatchdogMicros = 0
	for i := range cfg.Nodes {
		cfg.Nodes[i].PreVote, cfg.Nodes[i].CheckQuorum = false, false
	}
	return cfg
}

func act(t *testing.T, w *World, a Action) {
	t.Helper()
	a.At, a.User = w.Now()+Millisecond, true
	if a.Text == "" {
		a.Text = "test action"
	}
	require.NoError(t, w.Schedule(a))
	w.RunUntil(a.At)
}

func onServer(id raft.ID) []Target { return []Target{{Kind: TargetID, ID: id}} }

// TestManualSchedulerWaitsForActions: under the manual scheduler nothing
// happens by itself; messages wait on the wire until an action picks them.
func TestManualSchedulerWaitsForActions(t *testing.T) {
	w := world(t, manualConfig())
	w.RunUntil(10 * Second)
	require.Zero(t, w.Recorder().Count(), "no tick, no timeout, no event")
	require.Equal(t, []string{"campaign S1", "crash S1", "campaign S2", "crash S2", "campaign S3", "crash S3"}, w.Choices())

	act(t, w, Action{Kind: ActCampaign, Targets: onServer(1)})
	require.Equal(t, 2, w.InFlightCount(), "two vote requests wait on the wire")
	require.Contains(t, w.Choices(), "deliver m1")
	require.Contains(t, w.Choices(), "duplicate m2")
	w.RunUntil(w.Now() + 10*Second)
	require.Equal(t, 2, w.InFlightCount(), "and they wait for ever")
	now := w.Now()
	require.False(t, w.Step(), "a step takes nothing that waits for an action")
	require.Equal(t, now, w.Now())
	require.Equal(t, 2, w.InFlightCount())

	act(t, w, Action{Kind: ActDuplicate, MsgID: 1})
	require.Equal(t, 3, w.InFlightCount())
	act(t, w, Action{Kind: ActDeliver, MsgID: 1})
	act(t, w, Action{Kind: ActDeliver, MsgID: 1}) // the copy
	act(t, w, Action{Kind: ActDrop, MsgID: 2})
	require.Equal(t, raft.Candidate, w.Node(1).Role())
	// S2 answered twice: deliver both answers, and S1 leads.
	for _, c := range w.Choices() {
		if c == "deliver m3" {
			act(t, w, Action{Kind: ActDeliver, MsgID: 3})
		}
	}
	require.Equal(t, raft.Leader, w.Node(1).Role())
	require.Contains(t, w.Choices(), "heartbeat S1")
	require.Contains(t, w.Choices(), "propose S1 x=1")
	require.NotContains(t, w.Choices(), "campaign S1", "a leader does not campaign")
	act(t, w, Action{Kind: ActDeliver, MsgID: 999})
	require.Nil(t, w.Violation())
}

// TestManualActionsNeedTheManualScheduler: a seeded world refuses them.
func TestManualActionsNeedTheManualScheduler(t *testing.T) {
	w := world(t, DefaultConfig(3))
	for _, k := range []ActionKind{ActDeliver, ActDrop, ActDuplicate, ActPersist, ActHeartbeat} {
		err := w.Schedule(Action{At: Millisecond, Kind: k, MsgID: 1, Targets: onServer(1), Text: "x"})
		require.ErrorContains(t, err, "manual scheduler")
	}
	m := world(t, manualConfig())
	require.ErrorContains(t, m.Schedule(Action{At: Millisecond, Kind: ActPersist, Targets: onServer(1), Text: "x"}),
		"disk=steps")
	cfg := manualConfig()
	cfg.Workload.Clients = 1
	_, err := New(cfg, nil)
	require.ErrorContains(t, err, "no clients")
}

// TestManualDiskWaitsForPersist: with ManualDisk a vote is not durable, and
// the vote request not answered, until a persist step.
func TestManualDiskWaitsForPersist(t *testing.T) {
	cfg := manualConfig()
	cfg.ManualDisk = true
	w := world(t, cfg)
	act(t, w, Action{Kind: ActCampaign, Targets: onServer(1)})
	require.Zero(t, w.InFlightCount(), "the requests wait for the candidate's vote to be durable")
	require.Contains(t, w.Choices(), "persist S1")
	act(t, w, Action{Kind: ActPersist, Targets: onServer(1)})
	require.Equal(t, 2, w.InFlightCount())
	require.NotContains(t, w.Choices(), "persist S1")
}

// TestModelKeyIgnoresNamesAndNumbers: the same state reached by servers of
// other names, or with other message numbers, has the same key under the
// renaming that swaps them.
func TestModelKeyIgnoresNamesAndNumbers(t *testing.T) {
	a, b := world(t, manualConfig()), world(t, manualConfig())
	act(t, a, Action{Kind: ActCampaign, Targets: onServer(1)})
	act(t, b, Action{Kind: ActCrash, Targets: onServer(3)})
	act(t, b, Action{Kind: ActRestart, Targets: onServer(3)})
	act(t, b, Action{Kind: ActCampaign, Targets: onServer(2)})
	var id, swap raft.Renaming
	swap[1], swap[2] = 2, 1
	require.NotEqual(t, a.ModelKey(&id), b.ModelKey(&id))
	require.Equal(t, a.ModelKey(&swap), b.ModelKey(&id), "S1 in a is S2 in b")
	require.Equal(t, a.Wire(nil, &swap), b.Wire(nil, &id))
	act(t, a, Action{Kind: ActDeliver, MsgID: 1})
	require.NotEqual(t, a.ModelKey(&swap), b.ModelKey(&id))
}

// TestDeadLettersAreChoicesToo: a vote response of an older term is a dead
// letter to a correct candidate, but it stays a choice and part of the
// state, whatever bug toggles are on: a candidate that counts it
// (count-stale-votes) is then within reach.
func TestDeadLettersAreChoicesToo(t *testing.T) {
	for _, bugs := range []raft.Bugs{0, raft.Bugs(0).With(raft.BugCountStaleVotes)} {
		cfg := manualConfig()
		for i := range cfg.Nodes {
			cfg.Nodes[i].Bugs = bugs
		}
		w := world(t, cfg)
		act(t, w, Action{Kind: ActCampaign, Targets: onServer(1)}) // m1, m2: term 1
		act(t, w, Action{Kind: ActDeliver, MsgID: 1})              // m3: S2 grants, term 1
		var id raft.Renaming                                       // the identity
		before := w.Wire(nil, &id)
		require.Empty(t, w.DeadLetters(nil))
		act(t, w, Action{Kind: ActCampaign, Targets: onServer(1)}) // S1 moves to term 2
		require.Equal(t, []uint64{3}, w.DeadLetters(nil), "%v: the term-1 vote is a dead letter", bugs)
		require.Contains(t, w.Choices(), "deliver m3", "%v", bugs)
		require.Equal(t, 3, w.InFlightCount(), "%v: m2 and the two term-2 requests; not the dead letter", bugs)
		require.Len(t, w.Wire(nil, &id), len(before)+2, "%v: the dead letter stays part of the state", bugs)
		act(t, w, Action{Kind: ActDeliver, MsgID: 3})
		require.Empty(t, w.DeadLetters(nil))
		require.Nil(t, w.Violation())
	}
}
