package room

import (
	"fmt"
	"strconv"
	"strings"

	"smrlab/core/raft"
	"smrlab/core/scenario"
	"smrlab/core/sim"
)

// Which verbs each role may use. The teacher may use every one.
var (
	// A server acts on its own server only, and under the manual scheduler
	// takes its own timers, disk and incoming messages.
	serverVerbs = map[sim.ActionKind]bool{sim.ActCrash: true, sim.ActRestart: true, sim.ActPause: true,
		sim.ActResume: true, sim.ActIsolate: true, sim.ActCampaign: true, sim.ActHeartbeat: true,
		sim.ActPersist: true, sim.ActPropose: true, sim.ActDeliver: true, sim.ActDrop: true, sim.ActDuplicate: true}
	// The nemesis breaks the network, disks, clocks and servers.
	nemesisVerbs = map[sim.ActionKind]bool{sim.ActPartition: true, sim.ActCut: true, sim.ActHeal: true,
		sim.ActNet: true, sim.ActDisk: true, sim.ActClock: true, sim.ActIsolate: true, sim.ActCrash: true,
		sim.ActRestart: true, sim.ActPause: true, sim.ActResume: true, sim.ActNemesis: true, sim.ActDrop: true,
		sim.ActDuplicate: true}
	// The operator changes membership, snapshots, leadership and options.
	operatorVerbs = map[sim.ActionKind]bool{sim.ActAddServer: true, sim.ActAddVoter: true, sim.ActAddLearner: true,
		sim.ActPromote: true, sim.ActRemove: true, sim.ActReplace: true, sim.ActReconfigure: true,
		sim.ActTransfer: true, sim.ActSnapshot: true, sim.ActSnapshotEvery: true, sim.ActOptions: true}
	// Clients propose and start, stop or pace the workload.
	clientVerbs = map[sim.ActionKind]bool{sim.ActPropose: true, sim.ActWorkload: true}
)

// roleText writes a role for people: "server S3", "nemesis".
func roleText(r Role) string {
	if r.Role == "server" {
		return "server " + r.Server
	}
	return r.Role
}

// whoYouAre starts a refusal: "you are S3", "you are the nemesis".
func whoYouAre(r Role) string {
	switch r.Role {
	case "server":
		return "you are " + r.Server
	case "nemesis":
		return "you are the nemesis"
	case "observer":
		return "you are an observer"
	case "operator":
		return "you are an operator"
	}
	return "you are a " + r.Role
}

// parseAction reads an action for the room's cluster; a refusal's reason
// when it does not parse.
func (r *Room) parseAction(text string) (sim.Action, string) {
	sc := r.s.Scenario()
	a, err := scenario.ParseAction("at 0us "+text, sc.Config.Servers, sc.Config.Net)
	if err != nil {
		if se, ok := err.(*scenario.Error); ok {
			return a, se.Msg
		}
		return a, err.Error()
	}
	return a, ""
}

// allowed checks a parsed action against a role. It returns "" when the
// role may take it, else the reason the student reads.
func (r *Room) allowed(role Role, text string, a sim.Action) string {
	if role.Role == "teacher" {
		return ""
	}
	verb := text
	if f := strings.Fields(text); len(f) > 0 {
		verb = f[0]
	}
	switch role.Role {
	case "observer":
		return "you are an observer: observers watch, they do not act"
	case "server":
		if !serverVerbs[a.Kind] {
			return fmt.Sprintf("%s: a server can crash, restart, pause, resume or isolate itself, and under the "+
				"manual scheduler campaign, heartbeat, persist and take its own messages; %s is for %s",
				whoYouAre(role), verb, ownerOf(a.Kind))
		}
		return r.allowedServer(role, verb, &a)
	case "nemesis":
		if !nemesisVerbs[a.Kind] {
			return fmt.Sprintf("%s: you break networks, disks, clocks and servers; %s is for %s",
				whoYouAre(role), verb, ownerOf(a.Kind))
		}
	case "operator":
		if !operatorVerbs[a.Kind] {
			return fmt.Sprintf("%s: you change membership, take snapshots and hand leadership over; %s is for %s",
				whoYouAre(role), verb, ownerOf(a.Kind))
		}
	case "client":
		if !clientVerbs[a.Kind] {
			return fmt.Sprintf("%s: you propose and run the workload; %s is for %s", whoYouAre(role), verb, ownerOf(a.Kind))
		}
	default:
		return "your seat has no role: ask the teacher for one"
	}
	return ""
}

// allowedServer checks that a server's action is about its own server.
func (r *Room) allowedServer(role Role, verb string, a *sim.Action) string {
	own, _ := strconv.Atoi(strings.TrimPrefix(role.Server, "S"))
	switch a.Kind {
	case sim.ActDeliver, sim.ActDrop, sim.ActDuplicate:
		to, ok := r.s.Receiver(a.MsgID)
		switch {
		case !ok:
			return fmt.Sprintf("no message m%d on the wire", a.MsgID)
		case to != raft.ID(own):
			return fmt.Sprintf("%s: m%d goes to %v; you can %s only messages to %s", whoYouAre(role), a.MsgID, to,
				verb, role.Server)
		}
		return ""
	}
	for _, t := range a.Targets {
		if t.Kind != sim.TargetID || t.ID != raft.ID(own) {
			return fmt.Sprintf("%s: you can %s only %s", whoYouAre(role), verb, role.Server)
		}
	}
	if len(a.Targets) == 0 {
		return fmt.Sprintf("%s: name your server, like: %s %s", whoYouAre(role), verb, role.Server)
	}
	return ""
}

// ownerOf names the role an action belongs to, for refusals.
func ownerOf(k sim.ActionKind) string {
	switch {
	case operatorVerbs[k]:
		return "the operators"
	case clientVerbs[k]:
		return "the clients"
	case k == sim.ActCampaign || k == sim.ActHeartbeat || k == sim.ActPersist || k == sim.ActDeliver:
		return "the servers"
	case nemesisVerbs[k]:
		return "the nemesis"
	}
	return "the teacher"
}
