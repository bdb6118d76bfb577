package raft

import (
	"fmt"
	"sort"
	"strings"
)

// Bug is a named bug toggle: switched on in a node, it brings back one
// classic, documented Raft bug. Bug toggles are a teaching feature (a student
// watches the bug break the cluster) and the proof that the checks can fail.
type Bug uint32

// Bugs is a set of bug toggles.
type Bugs uint32

// The bug toggles of the election and replication core (see BugInfo).
const (
	BugCommitPreviousTerm Bug = 1 << iota
	BugForgetVoteOnRestart
	BugSkipLogConsistencyCheck
	BugAckBeforeDurable
	BugCountStaleVotes
	BugTruncateWithoutConflict
	BugSingleServerChangeWithoutFix
	BugInstallOlderSnapshot
	BugDropSuffixOnSnapshot
	BugLearnerVotes
	BugLeaderKeepsLeaseAfterRemoval
	BugReadIndexBeforeNoop
	BugLeaderLocalRead
	BugLeaseIgnoresSkew
	BugCommitWithoutMin
	BugMatchFromNextIndex
	BugNoSessionDedup
	BugVoteWithoutLogCheck
	BugLeaseIgnoresDrift
	BugLeaseFromAckArrival
	bugEnd
)

// BugDoc documents one bug toggle.
type BugDoc struct {
	Bug       Bug
	Name      string
	Summary   string
	CaughtBy  string
	Reference string
}

var bugDocs = []BugDoc{
	{BugCommitPreviousTerm, "commit-previous-term",
		"the leader commits an entry of an earlier term by counting replicas",
		"LeaderCompleteness, StateMachineSafety", "Raft paper §5.4.2 and Figure 8; LogCabin issue 44"},
	{BugForgetVoteOnRestart, "forget-vote-on-restart",
		"votedFor is not persisted, so a restarted server can vote twice in one term",
		"ElectionSafety", "Raft paper Figure 2 (persistent state); akka-raft issues 56, 62"},
	{BugSkipLogConsistencyCheck, "skip-log-consistency-check",
		"a follower appends entries without checking prevLogIndex/prevLogTerm",
		"LogMatching", "Raft paper §5.3"},
	{BugAckBeforeDurable, "ack-before-durable",
		"a server acknowledges an append or grants a vote before the write is durable; a crash loses it",
		"StateMachineSafety, LeaderCompleteness", "etcd-io/raft README (persist before send); etcd issue 14370"},
	{BugCountStaleVotes, "count-stale-votes",
		"a candidate counts a vote granted for an earlier term of its own",
		"ElectionSafety", "akka-raft issues 45-47"},
	{BugTruncateWithoutConflict, "truncate-without-conflict",
		"a follower truncates its log after prevLogIndex on every append, even with no conflicting entry",
		"QuorumOfVoters, LeaderCompleteness", "MIT 6.824 students' guide to Raft"},
	{BugSingleServerChangeWithoutFix, "single-server-change-without-fix",
		"a new leader proposes a single-server configuration change before committing an entry of its own term; two overlapping changes can elect two leaders",
		"ElectionSafety, LeaderCompleteness, StateMachineSafety",
		"raft-dev thread \"bug in single-server membership changes\" (2015); Ongaro's thesis errata"},
	{BugInstallOlderSnapshot, "install-older-snapshot",
		"a follower installs a snapshot older than its applied state (a delayed chunk or a retry)",
		"AppliedIndexMonotonic, StateMachineSafety", "redisraft issues 14, 43"},
	{BugDropSuffixOnSnapshot, "drop-suffix-on-snapshot",
		"a follower whose log holds the snapshot's last entry discards the entries after it",
		"StateMachineSafety, LeaderCompleteness", "Raft paper §7 (\"retain the entries following it\")"},
	{BugLearnerVotes, "learner-votes",
		"a non-voting learner counts toward an election or commit quorum",
		"QuorumOfVoters, StateMachineSafety", "etcd-io/raft tracker (learners never count in a quorum)"},
	{BugLeaderKeepsLeaseAfterRemoval, "leader-keeps-lease-after-removal",
		"a leader that handed over (TimeoutNow) or was removed keeps serving lease reads",
		"Linearizability (a stale read)", "etcd issue 12704; etcd-io/raft issue 99; openraft issue 1747"},
	{BugReadIndexBeforeNoop, "read-index-before-noop",
		"a new leader serves ReadIndex reads before an entry of its own term commits",
		"Linearizability (a stale read)", "redisraft issues 18/19, 316/326; etcd-io/raft pending read index"},
	{BugLeaderLocalRead, "leader-local-read",
		"a leader serves reads from its local state with no quorum check",
		"Linearizability (a stale read)", "Jepsen, \"etcd and Consul\" (2014); consul issue 54"},
	{BugLeaseIgnoresSkew, "lease-ignores-skew",
		"the lease is timed from the acknowledgement and ignores the clock-drift bound",
		"Linearizability under clock skew", "Ongaro's thesis §6.4.1; sofa-jraft issue 25"},
	{BugCommitWithoutMin, "commit-from-leader-commit-without-min",
		"a follower sets its commit index from leaderCommit past the last entry the append vouched for",
		"StateMachineSafety", "Raft paper Figure 2 (AppendEntries step 5); atomix/copycat issue 265"},
	{BugMatchFromNextIndex, "match-index-from-next-index",
		"a leader takes matchIndex from nextIndex instead of from the acknowledged request",
		"QuorumOfVoters, StateMachineSafety", "MIT 6.824 students' guide to Raft; etcd Progress.MaybeUpdate"},
	{BugNoSessionDedup, "no-session-dedup",
		"the state machine applies a retried command again instead of answering from the client's session",
		"Linearizability (a duplicated append)", "Ongaro's thesis §6.3"},
	{BugVoteWithoutLogCheck, "vote-without-log-check",
		"a server grants its vote without checking that the candidate's log is at least as up to date as its own",
		"LeaderCompleteness, StateMachineSafety", "Raft paper §5.4.1 (election restriction)"},
	{BugLeaseIgnoresDrift, "lease-ignores-drift",
		"the lease lasts a whole election timeout less a tick, with no allowance for clocks that drift apart",
		"Linearizability under clock drift", "Ongaro's thesis §6.4.1 (the lease bound and clock drift)"},
	{BugLeaseFromAckArrival, "lease-from-ack-arrival",
		"the lease is timed from when a quorum's acknowledgement arrived, not from when the heartbeat was sent",
		"Linearizability with slow acknowledgements", "Ongaro's thesis §6.4.1 (start the lease when the heartbeat is sent)"},
}

// BugDocs lists every bug toggle, in a fixed order.
func BugDocs() []BugDoc { return append([]BugDoc(nil), bugDocs...) }

// Name is the toggle's name as written in scenarios and on the command line.
func (b Bug) Name() string {
	for _, d := range bugDocs {
		if d.Bug == b {
			return d.Name
		}
	}
	return fmt.Sprintf("bug(%#x)", uint32(b))
}

// ParseBug finds a bug toggle by name.
func ParseBug(name string) (Bug, error) {
	for _, d := range bugDocs {
		if d.Name == name {
			return d.Bug, nil
		}
	}
	names := make([]string, len(bugDocs))
	for i, d := range bugDocs {
		names[i] = d.Name
	}
	sort.Strings(names)
	return 0, fmt.Errorf("unknown bug toggle %q (known: %s)", name, strings.Join(names, ", "))
}

// Has reports whether the toggle is on.
func (s Bugs) Has(b Bug) bool { return uint32(s)&uint32(b) != 0 }

// With returns the set with b switched on.
func (s Bugs) With(b Bug) Bugs { return Bugs(uint32(s) | uint32(b)) }

// Names lists the toggles that are on, in documentation order.
func (s Bugs) Names() []string {
	var out []string
	for _, d := range bugDocs {
		if s.Has(d.Bug) {
			out = append(out, d.Name)
		}
	}
	return out
}

func (s Bugs) String() string {
	if s == 0 {
		return "none"
	}
	return strings.Join(s.Names(), ",")
}
