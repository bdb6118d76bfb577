package sim

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"smrlab/core/raft"
	"smrlab/core/trace"
)

// A membership change is asked for as a whole ("add S4", "replace S1 with
// S4") and carried out in steps, each one configuration change the leader
// proposes: the way an operator's tool drives a real cluster. A step waits
// while there is no leader, while a change is uncommitted, while the leader
// has not committed in its term (single-server changes) or while a learner
// catches up; each step and each new reason to wait is an audit event.

// changeStep is one configuration change.
type changeStep uint8

const (
	stepAddLearner changeStep = iota + 1
	stepAddVoter
	stepPromote
	stepRemove
	stepSwap // promote id and remove out at once (a joint configuration)
)

// changeTimeout is how long a step may wait before the world gives it up.
const changeTimeout = 60 * Second

type memberChange struct {
	step    changeStep
	id      raft.ID
	out     raft.ID
	request string // the whole change as asked for
	since   int64  // when the step came to the head of the queue (-1: not yet)
	waiting string
	why     string
}

func (c *memberChange) String() string {
	switch c.step {
	case stepAddLearner:
		return fmt.Sprintf("add %v as a learner", c.id)
	case stepAddVoter:
		return fmt.Sprintf("add %v as a voter", c.id)
	case stepPromote:
		return fmt.Sprintf("promote %v to voter", c.id)
	case stepRemove:
		return fmt.Sprintf("remove %v", c.id)
	case stepSwap:
		return fmt.Sprintf("promote %v and remove %v", c.id, c.out)
	}
	return "change"
}

// done reports whether the configuration already has what the step wants.
func (c *memberChange) done(cfg *raft.Configuration) bool {
	switch c.step {
	case stepAddLearner:
		return cfg.IsMember(c.id)
	case stepAddVoter, stepPromote:
		return !cfg.Joint() && slices.Contains(cfg.Voters, c.id)
	case stepRemove:
		return !cfg.Joint() && !cfg.IsMember(c.id)
	case stepSwap:
		return !cfg.Joint() && slices.Contains(cfg.Voters, c.id) && !cfg.IsMember(c.out)
	}
	return true
}

// target is the configuration the step proposes, from cfg.
func (c *memberChange) target(cfg *raft.Configuration) (voters, learners []raft.ID, err error) {
	voters, learners = slices.Clone(cfg.Voters), slices.Clone(cfg.Learners)
	without := func(set []raft.ID, id raft.ID) []raft.ID {
		return slices.DeleteFunc(set, func(x raft.ID) bool { return x == id })
	}
	switch c.step {
	case stepAddLearner:
		learners = append(learners, c.id)
	case stepAddVoter:
		voters, learners = append(voters, c.id), without(learners, c.id)
	case stepPromote:
		if !cfg.IsLearner(c.id) {
			return nil, nil, fmt.Errorf("%v is not a learner", c.id)
		}
		voters, learners = append(voters, c.id), without(learners, c.id)
	case stepRemove:
		voters, learners = without(voters, c.id), without(learners, c.id)
		if len(voters) == 0 {
			return nil, nil, fmt.Errorf("%v is the last voter", c.id)
		}
	case stepSwap:
		voters = append(without(voters, c.out), c.id)
		learners = without(without(learners, c.id), c.out)
	}
	return voters, learners, nil
}

// requestChange queues the steps of a membership action.
func (w *World) requestChange(a *Action) string {
	ss := w.resolve(a.Targets)
	if len(ss) != len(a.Targets) || len(ss) == 0 {
		return "no such server now"
	}
	id := ss[0].id
	single := w.cfg.Nodes[0].SingleServerChanges
	var steps []*memberChange
	add := func(step changeStep, id, out raft.ID) {
		steps = append(steps, &memberChange{step: step, id: id, out: out, request: a.String(), since: -1})
	}
	switch a.Kind {
	case ActAddServer:
		add(stepAddLearner, id, 0)
		add(stepPromote, id, 0)
	case ActAddVoter:
		add(stepAddVoter, id, 0)
	case ActAddLearner:
		add(stepAddLearner, id, 0)
	case ActPromote:
		add(stepPromote, id, 0)
	case ActRemove:
		add(stepRemove, id, 0)
	case ActReplace:
		if len(ss) != 2 || ss[0] == ss[1] {
			return "replace needs two different servers"
		}
		in := ss[1].id
		add(stepAddLearner, in, 0)
		if single {
			add(stepPromote, in, 0)
			add(stepRemove, id, 0)
		} else {
			add(stepSwap, in, id)
		}
	}
	w.changes = append(w.changes, steps...)
	parts := make([]string, len(steps))
	for i, c := range steps {
		parts[i] = c.String()
	}
	return fmt.Sprintf("%d step(s): %s", len(steps), strings.Join(parts, ", then "))
}

// advanceChanges moves the membership changes on as far as they can go now.
func (w *World) advanceChanges() {
	for len(w.changes) > 0 && w.violation == nil {
		c := w.changes[0]
		if c.since < 0 {
			c.since = w.now
		}
		lead := w.leader()
		if lead == nil || lead.paused {
			w.waitChange(c, "no leader", "waiting for a leader")
			return
		}
		cfg := lead.node.Config()
		settled := !cfg.Joint() && cfg.Index <= lead.node.Commit()
		if c.done(&cfg) {
			if !settled {
				w.waitChange(c, "commit", fmt.Sprintf("waiting for configuration %d to commit", cfg.Index))
				return
			}
			w.stats.MembershipChanges++
			w.memberEvent(fmt.Sprintf("done: %v (%s); configuration %d is %v", c, c.request, cfg.Index, cfg))
			w.changes = w.changes[1:]
			continue
		}
		if w.now-c.since > changeTimeout {
			w.memberEvent(fmt.Sprintf("gave up: %v (%s) after %ds: %s", c, c.request, changeTimeout/Second, c.why))
			w.changes = w.changes[1:]
			continue
		}
		if !settled {
			w.waitChange(c, "pending", fmt.Sprintf("waiting: configuration %d is not yet committed", cfg.Index))
			return
		}
		voters, learners, err := c.target(&cfg)
		if err != nil {
			w.memberEvent(fmt.Sprintf("refused: %v (%s): %v", c, c.request, err))
			w.changes = w.changes[1:]
			continue
		}
		index, err := lead.node.ProposeConfig(voters, learners)
		switch {
		case errors.Is(err, raft.ErrLearnerBehind):
			w.waitChange(c, "behind", fmt.Sprintf("waiting for %v to catch up: %v", c.id, err))
			return
		case errors.Is(err, raft.ErrNoCommitInTerm), errors.Is(err, raft.ErrConfigPending),
			errors.Is(err, raft.ErrTransferring):
			w.waitChange(c, err.Error(), "waiting: "+err.Error())
			return
		case err != nil:
			w.memberEvent(fmt.Sprintf("refused: %v (%s): %v", c, c.request, err))
			w.changes = w.changes[1:]
			continue
		}
		c.waiting = ""
		w.memberEvent(fmt.Sprintf("proposed: %v; %v appends configuration %d: %v", c, lead.id, index,
			lead.node.Config()))
		w.flush(lead)
		return
	}
}

// waitChange records why a step waits, once per reason.
func (w *World) waitChange(c *memberChange, key, why string) {
	if c.waiting == key {
		return
	}
	c.waiting, c.why = key, why
	w.memberEvent(fmt.Sprintf("%v: %s", c, why))
}

func (w *World) memberEvent(text string) {
	w.record(trace.Event{Kind: trace.Member, Text: text})
}

// Changes lists the membership steps asked for and not yet done.
func (w *World) Changes() []string {
	out := make([]string, len(w.changes))
	for i, c := range w.changes {
		out[i] = c.String()
	}
	return out
}

// ReconfigureSteps are the changes ActReconfigure knows.
var ReconfigureSteps = map[string]changeStep{"voter": stepAddVoter, "learner": stepAddLearner,
	"promote": stepPromote, "remove": stepRemove}

// reconfigure has one server propose one change now, whatever comes of it.
func (w *World) reconfigure(a *Action) string {
	ss := w.resolve(a.Targets[:1])
	subj := w.resolve(a.Targets[1:])
	if len(ss) != 1 || len(subj) != 1 {
		return "no such server now"
	}
	s := ss[0]
	if s.node == nil || s.paused {
		return fmt.Sprintf("%v is down", s.id)
	}
	c := &memberChange{step: ReconfigureSteps[a.Step], id: subj[0].id}
	cfg := s.node.Config()
	voters, learners, err := c.target(&cfg)
	if err == nil {
		var index uint64
		if index, err = s.node.ProposeConfig(voters, learners); err == nil {
			w.flush(s)
			return fmt.Sprintf("%v appends configuration %d: %v", s.id, index, s.node.Config())
		}
	}
	return fmt.Sprintf("%v refuses: %v", s.id, err)
}
