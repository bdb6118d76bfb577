package lesson

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// condLesson is a one-step lesson over world whose goals are conds, with a
// solution that is only there to make it parse.
func condLesson(t testing.TB, world string, conds ...string) *Lesson {
	t.Helper()
	src := "lesson conds\ntitle C\nsummary S\nminutes 1\nquestion Q?\n" + world + "\nstep s\n  title S\n"
	for _, c := range conds {
		src += "  goal " + c + "\n"
	}
	src += "  solution wait 1ms\n"
	l, err := Parse("conds.lesson", []byte(src), readScenario)
	require.NoError(t, err)
	return l
}

const electionsWorld = `world
  servers 3
  duration 1m
  options all prevote=off checkquorum=on election=150ms heartbeat=50ms
seed 2`

const clientsWorld = `world
  servers 3
  duration 1m
  options all election=150ms heartbeat=50ms
  workload clients=2 rate=50/s writes=50% keys=3 timeout=500ms
seed 2`

// expectGoals checks each goal's state and a word of its explanation.
func expectGoals(t *testing.T, p *Player, want ...string) {
	t.Helper()
	st := p.State()
	require.Len(t, st.Goals, len(want)/2)
	for i, g := range st.Goals {
		require.Equal(t, want[2*i], g.State, "goal %q: %s", g.Label, g.Why)
		require.Contains(t, g.Why, want[2*i+1], "goal %q", g.Label)
	}
}

// TestConditionsOfElections: leader, terms, commits, time, did and within,
// each not yet, met and failed, explained in words.
func TestConditionsOfElections(t *testing.T) {
	strict(t)
	l := condLesson(t, electionsWorld, "leader", "no leader", "\"S1 leads\" leader S1", "term >= 1", "term >= +2",
		"time >= 1s", "committed 1 on majority", "committed 5 on S1", "\"fast\" leader within 100ms",
		"\"crash leader\" did crash leader", "\"crash S1\" did crash S1", "leader changed", "no-violation", "predicted")
	p, err := Open(l, l.Seed, 0)
	require.NoError(t, err)
	expectGoals(t, p, "not-yet", "no server leads", "met", "no server leads", "not-yet", "no server leads",
		"not-yet", "the highest term is 0, needs 1", "not-yet", "needs 2 (2 more", "not-yet", "0s of 1s",
		"not-yet", "0 of 3 voters have commit index 1 or more, needs 2", "not-yet", "S1 has commit index 0, needs 5",
		"not-yet", "no server leads", "not-yet", "not done yet in this step: crash leader", "not-yet", "crash S1",
		"not-yet", "no leader yet", "met", "every invariant held", "not-yet", "answer the prediction")

	require.NoError(t, p.Advance(1_000_000))
	expectGoals(t, p, "met", "S2 leads in term 1", "not-yet", "S2 leads in term 1", "not-yet", "S2 leads, not S1",
		"met", "term 1", "not-yet", "the highest term is 1, needs 2", "met", "1s in this step",
		"met", "3 of 3 voters", "not-yet", "S1 has commit index 1, needs 5",
		"failed", "not within 100ms: no server leads", "not-yet", "crash leader", "not-yet", "crash S1",
		"not-yet", "S2 still leads: another server must take office", "met", "every invariant held", "not-yet", "answer")

	require.NoError(t, p.Act("crash leader"))
	require.NoError(t, p.Advance(1_000_000))
	st := p.State()
	require.Equal(t, "met", st.Goals[9].State, st.Goals[9].Why)
	require.Contains(t, st.Goals[9].Why, "you did crash S2, the leader then")
	require.Equal(t, "not-yet", st.Goals[10].State)
	require.Equal(t, "met", st.Goals[11].State)
	require.Contains(t, st.Goals[11].Why, "took over from S2")
	require.Equal(t, 1, st.Attempts)

	// A step reset forgets what the student did, and counts as an attempt.
	require.NoError(t, p.Reset())
	st = p.State()
	require.Equal(t, "not-yet", st.Goals[9].State)
	require.Equal(t, "not-yet", st.Goals[0].State)
	require.Equal(t, 2, st.Attempts)
	require.Equal(t, int64(0), p.Session().Now())
}

// TestConditionsOfClients: counters from the step's start, linearizability
// and metrics.
func TestConditionsOfClients(t *testing.T) {
	strict(t)
	l := condLesson(t, clientsWorld, "completed >= 20", "retries >= 1000", "linearizable", "not linearizable",
		"metric leader_changes_per_minute <= 10", "metric leader_changes_per_minute >= 100",
		"metric quorum_acks_latency_p99 <= 1s", "metric commit_index_monotonic >= 1",
		"metric rejected_requests_due_to_admission_control >= 1", "rejected >= 1 reason max-pending", "no-stall")
	p, err := Open(l, l.Seed, 0)
	require.NoError(t, err)
	expectGoals(t, p, "not-yet", "completed: 0 in this step, needs 20", "not-yet", "retries: 0", "not-yet",
		"no client operation has completed", "not-yet", "no client operation", "met", "leader_changes_per_minute is 0",
		"not-yet", "needs >= 100", "met", "quorum_acks_latency_p99 is", "met", "commit_index_monotonic is 1",
		"not-yet", "is 0, needs >= 1", "not-yet", "rejected (max-pending): 0 in this step, needs 1", "met", "no stall")
	require.NoError(t, p.Advance(3_000_000))
	st := p.State()
	require.Equal(t, "met", st.Goals[0].State, st.Goals[0].Why)
	require.Equal(t, "met", st.Goals[2].State, st.Goals[2].Why)
	require.Contains(t, st.Goals[2].Why, "are linearizable")
	require.Equal(t, "not-yet", st.Goals[3].State)
	require.Contains(t, st.Goals[3].Why, "linearizable so far")
	// The verdict is bounded by steps alone (no wall-clock timeout), so
	// `lesson check` and the page reach the same one on any machine.
	require.True(t, p.lin.StepsOnly)
	require.Equal(t, uint64(LinearStepsPerKey), p.lin.Steps)
	require.NoError(t, p.Reset())
	require.True(t, p.lin.StepsOnly)
}

// TestConditionsOfAViolation: a bug scenario breaks an invariant: violation
// goals are met, no-violation fails for good, and what was not yet met
// fails as the run stopped.
func TestConditionsOfAViolation(t *testing.T) {
	strict(t)
	world := "world scenario figure8-bug"
	l := condLesson(t, world, "violation LeaderCompleteness", "violation", "violation ElectionSafety", "no-violation", "term >= 1000")
	p, err := Open(l, l.Seed, 0)
	require.NoError(t, err)
	expectGoals(t, p, "not-yet", "LeaderCompleteness holds so far", "not-yet", "every invariant holds so far",
		"not-yet", "ElectionSafety holds so far", "met", "every invariant held", "not-yet", "needs 1000")
	require.NoError(t, p.Advance(1_000_000))
	expectGoals(t, p, "met", "LeaderCompleteness", "met", "LeaderCompleteness", "failed", "another invariant broke first",
		"failed", "LeaderCompleteness", "failed", "the run stopped at a violation (LeaderCompleteness)")
}

// TestConditionsOfAStall: the liveness watchdog fires under a partition
// that PreVote alone does not survive.
func TestConditionsOfAStall(t *testing.T) {
	strict(t)
	l := condLesson(t, "world scenario asymmetric-no-checkquorum", "stall", "no-stall")
	p, err := Open(l, l.Seed, 0)
	require.NoError(t, err)
	expectGoals(t, p, "not-yet", "has not fired", "met", "no stall so far")
	require.NoError(t, p.Advance(l.Scenario.Duration-1))
	st := p.State()
	require.Equal(t, "met", st.Goals[0].State, st.Goals[0].Why)
	require.Equal(t, "failed", st.Goals[1].State)
	require.True(t, strings.Contains(st.Goals[1].Why, "stall") || strings.Contains(st.Goals[1].Why, "progress"), st.Goals[1].Why)
}

// TestConditionsNegative: upper bounds on counters, leader unchanged, and
// not CONDITION in each of its states.
func TestConditionsNegative(t *testing.T) {
	strict(t)
	l := condLesson(t, electionsWorld, "leader unchanged", "leader-changes <= 1", "not leader", "not leader changed",
		"not did crash", "not committed 1 on majority", "\"nothing for 1s\" not leader within 1s")
	p, err := Open(l, l.Seed, 0)
	require.NoError(t, err)
	expectGoals(t, p, "met", "no server took office in this step (no server leads now)",
		"met", "leader-changes: 0 in this step, at most 1", "met", "no server leads",
		"met", "no leader yet", "met", "not done yet in this step: crash", "met", "0 of 3 voters",
		"met", "no server leads")

	require.NoError(t, p.Advance(1_000_000))
	expectGoals(t, p, "failed", "1 election won in this step (S2 leads in term 1)",
		"met", "leader-changes: 1 in this step, at most 1", "not-yet", "it holds now: S2 leads in term 1",
		"met", "S2 still leads", "met", "crash", "not-yet", "it holds now: 3 of 3 voters",
		"met", "no server leads")

	require.NoError(t, p.Act("crash leader"))
	require.NoError(t, p.Advance(1_000_000))
	expectGoals(t, p, "failed", "1 election won", "failed", "leader-changes: 2 in this step, more than 1",
		"not-yet", "it holds now", "failed", "it happened: S", "failed", "it happened: you did crash",
		"not-yet", "it holds now", "met", "no server leads")

	// A reset judges them again from the step's start.
	require.NoError(t, p.Reset())
	require.Equal(t, "met", p.State().Goals[0].State)
	require.Equal(t, "met", p.State().Goals[4].State)
}
