package modelcheck

import (
	"smrlab/core/check"
	"smrlab/core/raft"
)

// Reach is a bug toggle the explorer finds within the bounds BoundsFor
// gives it: the length of its shortest counterexample there and the
// invariant that breaks. A test holds each to it.
type Reach struct {
	Bug       raft.Bug
	Steps     int
	Invariant string
	// Default: DefaultBounds find it as well, as short.
	Default bool
	// Long: the search takes minutes (about a million states), too long
	// for a test, which walks a path of Steps within the bounds instead;
	// make explore runs the search.
	Long bool
}

// Reaches lists the bugs of the election, commit and reconfiguration core
// the explorer reaches, in the order of `smrlab modelcheck -h`.
var Reaches = []Reach{
	{raft.BugForgetVoteOnRestart, 8, check.ElectionSafety, true, false},
	{raft.BugVoteWithoutLogCheck, 8, check.LeaderCompleteness, true, false},
	{raft.BugCountStaleVotes, 7, check.ElectionSafety, true, false},
	{raft.BugAckBeforeDurable, 7, check.LeaderCompleteness, false, false},
	{raft.BugMatchFromNextIndex, 8, check.QuorumOfVoters, false, false},
	{raft.BugSkipLogConsistencyCheck, 11, check.LogMatching, false, false},
	{raft.BugTruncateWithoutConflict, 12, check.QuorumOfVoters, false, false},
	{raft.BugCommitPreviousTerm, 14, check.LeaderCompleteness, false, true},
	{raft.BugLearnerVotes, 11, check.QuorumOfVoters, false, false},
}

// OutOfReach names the bugs of the core that no bounds within a minute
// reach, and why: their scenarios catch them.
const OutOfReach = "commit-from-leader-commit-without-min (a follower keeps a stale tail only if the new leader " +
	"was elected without it, by voters that lack it: five servers and over twenty steps) and " +
	"single-server-change-without-fix (two overlapping changes need four voters and 19 steps: " +
	"about 10^9 states); their scenarios commit-without-min.scn and single-server-change-bug.scn catch them"

// BoundsFor are the bounds a search for the given bug toggles starts from,
// each chosen so that the bug's shortest counterexample is within reach of a
// breadth-first search in about a minute at most:
//
//   - commit-previous-term (Figure 8) needs three elections and nothing
//     else: terms below 3, no crash, loss, duplication, heartbeat or client
//     entry (the leaders' no-op entries are enough), 14 steps. Its search
//     is the one that takes minutes: about 980,000 states, three minutes
//     of CPU and 340 MB on a loaded two-core machine.
//   - the bugs of log replication (skip-log-consistency-check,
//     match-index-from-next-index) need client entries and a duplicated
//     (that is, reordered) append, but no crash or loss;
//     truncate-without-conflict needs one leader only, with three entries,
//     two of them pipelined.
//   - ack-before-durable needs a crash between a write and its flush: disk
//     writes are steps of their own.
//   - vote-without-log-check needs two elections and one committed no-op.
//   - learner-votes needs a spare machine that a leader adds as a learner:
//     the reconfiguration bounds, three servers and a spare, two changes
//     (a joint change of voters, C_old,new then C_new, takes one) and a
//     crash.
//   - every other set (forget-vote-on-restart, count-stale-votes, none) gets
//     DefaultBounds.
//
// The correct core is explored with the same bounds to show it passes them.
func BoundsFor(bugs raft.Bugs) Bounds {
	b := DefaultBounds()
	switch {
	case bugs.Has(raft.BugCommitPreviousTerm):
		b.Term, b.Log, b.InFlight, b.Crashes, b.Timeouts, b.Drops, b.Duplicates, b.Depth = 3, 0, 6, 0, 3, 0, 0, 14
	case bugs.Has(raft.BugTruncateWithoutConflict):
		b.Term, b.Log, b.InFlight, b.Crashes, b.Timeouts, b.Drops, b.Duplicates, b.Depth = 2, 3, 6, 0, 1, 0, 1, 12
	case bugs.Has(raft.BugSkipLogConsistencyCheck):
		b.Term, b.Log, b.InFlight, b.Crashes, b.Timeouts, b.Drops, b.Duplicates, b.Depth = 3, 0, 5, 0, 3, 0, 0, 11
	case bugs.Has(raft.BugMatchFromNextIndex):
		b.Term, b.Log, b.InFlight, b.Crashes, b.Timeouts, b.Drops, b.Duplicates, b.Depth = 2, 2, 5, 0, 1, 0, 0, 8
	case bugs.Has(raft.BugAckBeforeDurable):
		b.DiskSteps = true
	case bugs.Has(raft.BugCountStaleVotes):
		b.Term, b.Log, b.InFlight, b.Crashes, b.Timeouts, b.Drops, b.Duplicates, b.Depth = 3, 0, 4, 0, 3, 0, 0, 7
	case bugs.Has(raft.BugVoteWithoutLogCheck):
		b.Term, b.Log, b.InFlight, b.Crashes, b.Timeouts, b.Drops, b.Duplicates, b.Depth = 2, 0, 4, 0, 2, 0, 0, 8
	case bugs.Has(raft.BugLearnerVotes):
		b = Bounds{Servers: 3, Spares: 1, Term: 2, InFlight: 4, Timeouts: 2, Changes: 1, Depth: 11}
	}
	return b
}

// ReconfigurationBounds reach the reconfiguration core: three servers and a
// spare machine, two configuration changes (adding the spare as a voter is
// a joint change: C_old,new, then C_new once it commits), a crash, one term
// of elections after the first.
func ReconfigurationBounds() Bounds {
	return Bounds{Servers: 3, Spares: 1, Term: 2, Log: 0, InFlight: 4, Crashes: 1, Timeouts: 2, Changes: 2, Depth: 10}
}
