package sim

import (
	"fmt"

	"smrlab/core/raft"
)

// ActionKind is what an action does to the world.
type ActionKind uint8

// The actions a scenario, a user or a nemesis can take.
const (
	ActCrash ActionKind = iota + 1
	ActRestart
	ActPause
	ActResume
	ActIsolate
	ActPartition
	ActCut
	ActHeal
	ActNet
	ActDisk
	ActClock
	ActCampaign
	ActPropose
	ActWorkload
	// ActTransfer asks the leader to hand leadership to the target.
	ActTransfer
	// ActSnapshot makes the targets snapshot their state machine now.
	ActSnapshot
	// ActSnapshotEvery sets the targets' snapshot threshold to Entries.
	ActSnapshotEvery
	// The membership changes: add a server (as a learner, promoted once it
	// has caught up), add a voter directly, add a learner, promote a
	// learner, remove a server, replace Targets[0] with Targets[1].
	ActAddServer
	ActAddVoter
	ActAddLearner
	ActPromote
	ActRemove
	ActReplace
	// ActReconfigure asks server Targets[0] to propose one configuration
	// change about Targets[1] (Step) at once, as it stands: no queue, no
	// waiting, no retry. Scripted scenarios use it to show a bug.
	ActReconfigure
	// ActOptions changes the targets' run-time options (SetOptions): read
	// mode, lease drift bound, admission control.
	ActOptions
	// ActNemesis starts the named nemeses (Nemeses) until Until, each fault
	// and each quiet spell lasting MinMicros to MaxMicros.
	ActNemesis
	// Under the manual scheduler (schedule.go): deliver, drop or duplicate
	// message MsgID now; make the targets' pending disk writes durable;
	// make the targets (leaders) send their heartbeats.
	ActDeliver
	ActDrop
	ActDuplicate
	ActPersist
	ActHeartbeat
)

// IsManual reports whether k is an action only the manual scheduler takes.
func (k ActionKind) IsManual() bool { return k >= ActDeliver && k <= ActHeartbeat }

// IsMembership reports whether k is a membership change.
func (k ActionKind) IsMembership() bool { return k >= ActAddServer && k <= ActReplace }

// TargetKind says how a target picks a server when the action runs.
type TargetKind uint8

// Ways to name a server in an action.
const (
	// TargetID is one server by ID.
	TargetID TargetKind = iota
	// TargetLeader is the leader of the highest term among running servers.
	TargetLeader
	// TargetAll is every server.
	TargetAll
	// TargetRandom is one running server drawn from the fault stream.
	TargetRandom
	// TargetFollower is one running non-leader member of the cluster drawn
	// from the fault stream.
	TargetFollower
	// TargetSpare is one running server outside the configuration (a spare
	// machine, or one removed) drawn from the fault stream.
	TargetSpare
)

// Target names a server, directly or by its role at the time the action runs.
type Target struct {
	Kind TargetKind
	ID   raft.ID
}

func (t Target) String() string {
	switch t.Kind {
	case TargetLeader:
		return "leader"
	case TargetAll:
		return "all"
	case TargetRandom:
		return "random"
	case TargetFollower:
		return "follower"
	case TargetSpare:
		return "spare"
	}
	return t.ID.String()
}

// Action is one timed change to the world. Which fields matter depends on Kind.
type Action struct {
	At   int64
	Kind ActionKind
	// Targets are the servers acted on (crash, restart, pause, resume,
	// isolate, disk, clock, campaign, propose).
	Targets []Target
	// Groups are the sides of a partition; a server in no group keeps every link.
	Groups [][]Target
	// RandomHalves splits the servers into two random halves instead.
	RandomHalves bool
	// From and To name a link (cut, heal, net); Both covers both directions.
	From, To Target
	Both     bool
	// Link says that a net or heal action applies to the From/To link only.
	Link bool
	Net  LinkParams
	// SlowPercent multiplies disk latency (100 is normal).
	SlowPercent int64
	// DriftPPM changes a server's clock rate; SkewMicros sets its offset.
	DriftPPM   int64
	SkewMicros int64
	// Entries is a snapshot threshold (0: only when told).
	Entries int
	// Step is ActReconfigure's change: "add", "voter", "learner",
	// "promote" or "remove".
	Step string
	// SetOptions change a server's options (ActOptions).
	SetOptions []func(*NodeOptions)
	// Nemeses, Until, MinMicros, MaxMicros: an ActNemesis schedule.
	Nemeses              []string
	Until                int64
	MinMicros, MaxMicros int64
	// MsgID names the message a deliver, drop or duplicate action chooses.
	MsgID uint64
	// Key and Value are a proposal's command.
	Key, Value string
	// Workload: On starts or stops new operations; Rate, when not negative,
	// sets the total rate (0 closed loop).
	On   bool
	Rate int64
	// Text is the action as written, for the trace and the timeline.
	Text string
	// User marks an action a person took while the world ran: it runs after
	// every other event of its time, so a recording replays exactly.
	User bool
}

// String is the action's text. It is not inlined: it only makes texts, and
// its inlined copies were 1 KB of the browser's compressed download.
//
//go:noinline
func (a Action) String() string {
	if a.Text != "" {
		return a.Text
	}
	return fmt.Sprintf("action(%d)", a.Kind)
}
