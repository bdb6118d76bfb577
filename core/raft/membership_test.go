package raft

// Tests of cluster membership changes (paper §6; thesis chapter 4): joint
// consensus, single-server changes, learners (non-voting members), removing
// the leader, and servers that join a running cluster.

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// confEntry is a configuration entry at index of term.
func confEntry(term, index uint64, c Configuration) Entry {
	return Entry{Term: term, Index: index, Type: EntryConfig, Data: encodeConfig(&c)}
}

// isVote reports whether m asks for a vote or a pre-vote.
func isVote(m Message) bool { return m.Type == MsgVote || m.Type == MsgPreVote }

// TestJointConsensusCommitNeedsBothMajorities checks that a leader asked to
// move from C_old = {S1,S2,S3} to C_new = {S1,S4,S5} appends the joint
// configuration C_old,new, which takes effect at once and commits only on a
// majority of C_old and a majority of C_new; once it commits, the leader
// appends C_new on its own, and C_new commits on a majority of C_new alone.
// Each configuration entry raises the configuration's version (Config.Index).
// Reference: section 6 and Figure 11 (joint consensus); thesis section 4.3
func TestJointConsensusCommitNeedsBothMajorities(t *testing.T) {
	tests := []struct {
		acks   []ID
		commit bool
		why    string
	}{
		{[]ID{2, 3}, false, "all of C_old, but only S1 of C_new"},
		{[]ID{4, 5}, false, "all of C_new, but only S1 of C_old"},
		{[]ID{2, 4}, true, "S1, S2 of C_old and S1, S4 of C_new"},
		{[]ID{3, 5}, true, "S1, S3 of C_old and S1, S5 of C_new"},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			n := replicatingLeader(t, 3)
			require.Equal(t, uint64(0), n.Status().Config.Index)
			index, err := n.ProposeConfig([]ID{1, 4, 5}, nil)
			require.NoError(t, err)
			require.Equal(t, uint64(2), index)
			joint := Configuration{Voters: []ID{1, 4, 5}, OldVoters: peers(3), Index: 2}
			require.Equal(t, joint, n.Status().Config, "C_old,new is in effect as soon as it is in the log")
			require.Equal(t, []ID{1, 2, 3, 4, 5}, n.Members())
			rd := takeReady(n)
			require.Equal(t, []Entry{confEntry(1, 2, Configuration{Voters: []ID{1, 4, 5}, OldVoters: peers(3)})}, rd.Entries)
			var to []ID
			for _, m := range ofType(rd.Messages, MsgApp) {
				to = append(to, m.To)
			}
			require.ElementsMatch(t, []ID{2, 3, 4, 5}, to)
			n.StorageAppended(2, 1)

			for _, id := range tt.acks {
				ackAppend(t, n, id, 2)
			}
			if !tt.commit {
				require.Equal(t, uint64(1), n.Commit(), tt.why)
				require.Equal(t, joint, n.Status().Config)
				require.Equal(t, uint64(2), n.LastIndex(), "no C_new before C_old,new commits")
				return
			}
			require.Equal(t, uint64(2), n.Commit(), tt.why)
			cnew := Configuration{Voters: []ID{1, 4, 5}, Index: 3}
			require.Equal(t, cnew, n.Status().Config, "the leader appended C_new")
			rd = takeReady(n)
			require.Equal(t, []Entry{confEntry(1, 3, Configuration{Voters: []ID{1, 4, 5}})}, rd.Entries)
			for _, m := range ofType(rd.Messages, MsgApp) {
				require.Contains(t, []ID{4, 5}, m.To, "S2 and S3 are no longer sent to")
			}
			require.Nil(t, n.Progress(2))
			require.Nil(t, n.Progress(3))
			n.StorageAppended(3, 1)
			ackAppend(t, n, 2, 3)
			ackAppend(t, n, 3, 3)
			require.Equal(t, uint64(2), n.Commit(), "S2 and S3 are not in C_new")
			ackAppend(t, n, 4, 3)
			require.Equal(t, uint64(3), n.Commit(), "S1 and S4 are a majority of C_new")
			require.Equal(t, Leader, n.Role())
		})
	}
}

// TestJointConsensusInNetwork runs a whole change through the network:
// {S1,S2,S3} becomes {S1,S4,S5}, where S4 and S5 start with no
// configuration. They catch up from the leader's log, C_old,new and C_new
// commit, and the new configuration commits entries without S2 and S3.
// Reference: section 6, Figure 11
func TestJointConsensusInNetwork(t *testing.T) {
	nw := newNetworkWithVoters(t, 5, peers(3))
	require.Empty(t, nw.node(4).Status().Config.Voters, "S4 knows no configuration yet")
	nw.campaign(1)
	require.Equal(t, Leader, nw.node(1).Role())
	nw.propose(1, "a")
	index, err := nw.node(1).ProposeConfig([]ID{1, 4, 5}, nil)
	require.NoError(t, err)
	require.Equal(t, uint64(3), index)
	nw.send(nw.flush(1)...)

	cnew := Configuration{Voters: []ID{1, 4, 5}, Index: 4}
	for _, id := range []ID{1, 4, 5} {
		st := nw.node(id).Status()
		require.Equal(t, cnew, st.Config, "%v", id)
		require.Equal(t, uint64(4), st.LastIndex, "%v", id)
	}
	require.Equal(t, uint64(4), nw.node(1).Commit())
	nw.requireLogsEqual(1, 4, 5)
	require.Equal(t, uint64(3), nw.node(2).Status().Config.Index, "S2 got C_old,new, and nothing after it")

	nw.isolate(2)
	nw.isolate(3)
	index = nw.propose(1, "b")
	require.Equal(t, index, nw.node(1).Commit(), "C_new commits without S2 and S3")
	require.Equal(t, index, nw.node(5).LastIndex())
	require.Empty(t, nw.safety)
}

// TestJointConfigurationWithoutNewMajorityCannotCommit checks that while the
// servers of C_new that would make its majority are unreachable, neither the
// joint configuration nor any later entry commits, however many of C_old
// store them, and no further change is taken; once they are back, the
// change completes.
// Reference: section 6 ("agreement requires separate majorities from both the old and new configurations")
func TestJointConfigurationWithoutNewMajorityCannotCommit(t *testing.T) {
	nw := newNetworkWithVoters(t, 5, peers(3))
	nw.campaign(1)
	nw.isolate(4)
	nw.isolate(5)
	index, err := nw.node(1).ProposeConfig([]ID{1, 4, 5}, nil)
	require.NoError(t, err)
	nw.send(nw.flush(1)...)
	nw.propose(1, "x")
	nw.tick(1, 3)
	require.Equal(t, uint64(1), nw.node(1).Commit())
	require.Equal(t, index+1, nw.node(2).LastIndex(), "S2 and S3 hold everything")
	conf := nw.node(1).Status().Config
	require.True(t, conf.Joint())
	require.Equal(t, index+1, nw.node(1).LastIndex(), "no C_new")
	_, err = nw.node(1).ProposeConfig(peers(3), nil)
	require.ErrorIs(t, err, ErrConfigPending)

	nw.heal()
	nw.tick(1, 3)
	require.Equal(t, Configuration{Voters: []ID{1, 4, 5}, Index: index + 2}, nw.node(1).Status().Config)
	require.Equal(t, index+2, nw.node(1).Commit())
	nw.requireLogsEqual(1, 4, 5)
}

// TestJointElectionNeedsBothMajorities checks that a candidate whose latest
// configuration is C_old,new asks every voter of both and wins only with a
// majority of each, and loses once either majority is out of reach. A
// leader elected in the joint configuration finishes the change: once its
// no-op commits, it appends C_new.
// Reference: section 6 ("any server from either configuration may serve as leader";
// elections need both majorities); thesis section 4.3
func TestJointElectionNeedsBothMajorities(t *testing.T) {
	joint := Configuration{Voters: []ID{1, 4, 5}, OldVoters: peers(3)}
	d := Durable{HardState: HardState{Term: 1, Commit: 1},
		Entries: []Entry{{Term: 1, Index: 1, Type: EntryNoop}, confEntry(1, 2, joint)}}
	tests := []struct {
		grant, refuse []ID
		role          Role
	}{
		{[]ID{2, 3}, nil, Candidate},
		{[]ID{4, 5}, nil, Candidate},
		{[]ID{2, 4}, nil, Leader},
		{[]ID{3, 5}, nil, Leader},
		{[]ID{2, 3}, []ID{4, 5}, Follower}, // C_new's majority refused
		{nil, []ID{2, 3}, Follower},        // C_old's majority refused
		{[]ID{4}, []ID{2}, Candidate},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			n := newTestNode(t, testConfig(1, peers(3)), d)
			n.Campaign()
			var to []ID
			for _, m := range ofType(drain(t, n), MsgVote) {
				to = append(to, m.To)
			}
			require.ElementsMatch(t, []ID{2, 3, 4, 5}, to)
			for _, id := range tt.grant {
				step(t, n, Message{Type: MsgVoteResp, From: id, To: 1, Term: 2})
			}
			for _, id := range tt.refuse {
				step(t, n, Message{Type: MsgVoteResp, From: id, To: 1, Term: 2, Reject: true})
			}
			require.Equal(t, tt.role, n.Role())
			if tt.role != Leader {
				return
			}
			rd := takeReady(n)
			require.Equal(t, []uint64{3}, indexes(rd.Entries), "the no-op; C_new waits for it")
			n.StorageAppended(3, 2)
			for _, id := range tt.grant {
				ackAppend(t, n, id, 3)
			}
			require.Equal(t, uint64(3), n.Commit())
			require.Equal(t, Configuration{Voters: []ID{1, 4, 5}, Index: 4}, n.Status().Config)
		})
	}
}

// TestSingleServerChanges checks the single-server change mode: the voters
// change by one server in one step (no joint configuration), which takes
// effect at once; a change of more than one voter is refused, as is any
// change before the leader has committed an entry of its own term (the fix
// for the 2015 single-server change bug), unless the
// single-server-change-without-fix toggle is on; and one change at a time.
// Reference: thesis section 4.1 and its errata (raft-dev, "bug in single-server membership changes", 2015)
func TestSingleServerChanges(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			opts := append([]configOption{withSingleServerChanges}, bugOpts(BugSingleServerChangeWithoutFix, bug)...)
			n := newTestNode(t, testConfig(1, peers(3), opts...), Durable{})
			electLeader(t, n)
			require.Equal(t, uint64(0), n.Commit(), "the no-op of term 1 is not committed")
			_, err := n.ProposeConfig(peers(4), nil)
			if bug {
				require.NoError(t, err, "the toggle lets a fresh leader change the configuration")
				require.Equal(t, Configuration{Voters: peers(4), Index: 2}, n.Status().Config)
				return
			}
			require.ErrorIs(t, err, ErrNoCommitInTerm)
			ackAppend(t, n, 2, 1)
			require.Equal(t, uint64(1), n.Commit())

			_, err = n.ProposeConfig(peers(5), nil)
			require.ErrorIs(t, err, ErrOneServerChange, "two voters added")
			_, err = n.ProposeConfig([]ID{1, 2, 4}, nil)
			require.ErrorIs(t, err, ErrOneServerChange, "a swap is two changes")
			_, err = n.ProposeConfig(peers(3), nil)
			require.ErrorContains(t, err, "already")

			index, err := n.ProposeConfig(peers(4), nil)
			require.NoError(t, err)
			require.Equal(t, Configuration{Voters: peers(4), Index: index}, n.Status().Config, "no joint step")
			_, err = n.ProposeConfig(peers(3), nil)
			require.ErrorIs(t, err, ErrConfigPending)
			drain(t, n)
			ackAppend(t, n, 2, index)
			require.Equal(t, uint64(1), n.Commit(), "3 of 4 voters are a majority now")
			ackAppend(t, n, 4, index)
			require.Equal(t, index, n.Commit())

			index, err = n.ProposeConfig([]ID{1, 2, 4}, nil)
			require.NoError(t, err, "removing S3 is the next single change")
			require.Equal(t, Configuration{Voters: []ID{1, 2, 4}, Index: index}, n.Status().Config)
		})
	}
}

// TestOneConfigurationChangeAtATime checks that with joint consensus a leader
// refuses a new change while C_old,new or C_new is uncommitted, and takes it
// once C_new has committed. A change of learners alone needs no joint step.
// Reference: section 6; thesis section 4.1 ("a leader ... wait[s] for the previous change to commit")
func TestOneConfigurationChangeAtATime(t *testing.T) {
	n := replicatingLeader(t, 3)
	index, err := n.ProposeConfig(peers(4), nil)
	require.NoError(t, err)
	_, err = n.ProposeConfig(peers(5), nil)
	require.ErrorIs(t, err, ErrConfigPending, "C_old,new is not committed")
	drain(t, n)
	for _, id := range []ID{2, 3, 4} {
		ackAppend(t, n, id, index)
	}
	require.Equal(t, index, n.Commit())
	require.Equal(t, index+1, n.Status().Config.Index, "C_new appended")
	_, err = n.ProposeConfig(peers(5), nil)
	require.ErrorIs(t, err, ErrConfigPending, "C_new is not committed")
	drain(t, n)
	for _, id := range []ID{2, 3} {
		ackAppend(t, n, id, index+1)
	}
	require.Equal(t, index+1, n.Commit())

	index, err = n.ProposeConfig(peers(4), []ID{5})
	require.NoError(t, err)
	require.Equal(t, Configuration{Voters: peers(4), Learners: []ID{5}, Index: index}, n.Status().Config,
		"learners change without a joint step")
	_, err = n.ProposeConfig(peers(4), nil)
	require.ErrorIs(t, err, ErrConfigPending)
}

// TestJointChangeCannotDemoteVoterToLearner checks that a joint change that
// would make a voter of C_old a learner of C_new is refused with an error
// (a server cannot be a voter and a learner in one configuration), and that
// the same demotion works as a single-server change.
// Reference: section 6; thesis section 4.2.1 (non-voting members)
func TestJointChangeCannotDemoteVoterToLearner(t *testing.T) {
	n := replicatingLeader(t, 3)
	_, err := n.ProposeConfig([]ID{1, 2}, []ID{3})
	require.ErrorContains(t, err, "both a voter and a learner")
	require.Equal(t, uint64(1), n.LastIndex(), "nothing appended")

	n = replicatingLeader(t, 3, withSingleServerChanges)
	index, err := n.ProposeConfig([]ID{1, 2}, []ID{3})
	require.NoError(t, err)
	require.Equal(t, Configuration{Voters: []ID{1, 2}, Learners: []ID{3}, Index: index}, n.Status().Config)
}

// TestLearnerReceivesEntriesButNeverCampaigns checks that a learner
// replicates the log and learns the commit index like any follower, yet
// never starts an election however long it goes without hearing from a
// leader, is never asked for its vote, and ignores a TimeoutNow.
// Reference: thesis section 4.2.1 (non-voting members); etcd-io/raft learners
func TestLearnerReceivesEntriesButNeverCampaigns(t *testing.T) {
	nw := newNetworkWithVoters(t, 4, peers(3), withPreVote)
	nw.campaign(1)
	index, err := nw.node(1).ProposeConfig(peers(3), []ID{4})
	require.NoError(t, err)
	nw.send(nw.flush(1)...)
	index = nw.propose(1, "a")
	nw.requireLogsEqual(1, 2, 4)
	require.Equal(t, index, nw.node(4).Commit())
	conf := nw.node(4).Status().Config
	require.True(t, conf.IsLearner(4))

	nw.isolate(1)
	term := nw.node(4).Term()
	nw.tick(4, 20*testElectionTicks)
	require.Equal(t, Follower, nw.node(4).Role())
	require.Equal(t, term, nw.node(4).Term())
	require.Zero(t, nw.count(func(m Message) bool { return isVote(m) && m.From == 4 }))
	nw.campaign(4)
	require.Equal(t, Follower, nw.node(4).Role(), "Campaign does nothing on a learner")
	step(t, nw.node(4), Message{Type: MsgTimeoutNow, From: 1, To: 4, Term: term})
	require.Equal(t, Follower, nw.node(4).Role(), "nor does TimeoutNow")
	require.False(t, nw.node(4).HasReady())

	nw.campaign(2)
	require.Equal(t, Leader, nw.node(2).Role())
	require.Zero(t, nw.count(func(m Message) bool { return isVote(m) && m.To == 4 }), "a learner is not asked to vote")
	index = nw.propose(2, "b")
	require.Equal(t, index, nw.node(4).Commit())
}

// TestLearnerDoesNotCountInQuorums checks that a learner's acknowledgements
// do not count toward commitment and its vote does not count toward an
// election. With the learner-votes toggle they count like a voter's: two
// learners and the leader commit an entry no other voter holds, and a
// candidate wins with a learner's vote.
// Reference: thesis section 4.2.1; etcd-io/raft tracker (learners never count in a quorum)
func TestLearnerDoesNotCountInQuorums(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			opts := bugOpts(BugLearnerVotes, bug)
			n := replicatingLeader(t, 3, opts...)
			index, err := n.ProposeConfig(peers(3), []ID{4, 5})
			require.NoError(t, err)
			drain(t, n)
			ackAppend(t, n, 2, index)
			require.Equal(t, index, n.Commit())
			index, _, err = n.Propose([]byte("x"))
			require.NoError(t, err)
			drain(t, n)
			ackAppend(t, n, 4, index)
			ackAppend(t, n, 5, index)
			if bug {
				require.Equal(t, index, n.Commit(), "the toggle counts the learners")
			} else {
				require.Equal(t, index-1, n.Commit(), "S1 alone of the voters holds it")
				ackAppend(t, n, 3, index)
				require.Equal(t, index, n.Commit())
			}

			// An election in the same configuration.
			conf := Configuration{Voters: peers(3), Learners: []ID{4, 5}}
			c := newTestNode(t, testConfig(1, peers(3), opts...), Durable{HardState: HardState{Term: 1},
				Entries: []Entry{{Term: 1, Index: 1, Type: EntryNoop}, confEntry(1, 2, conf)}})
			c.Campaign()
			var to []ID
			for _, m := range ofType(drain(t, c), MsgVote) {
				to = append(to, m.To)
			}
			step(t, c, Message{Type: MsgVoteResp, From: 4, To: 1, Term: 2})
			if bug {
				require.ElementsMatch(t, []ID{2, 3, 4, 5}, to)
				require.Equal(t, Leader, c.Role(), "the learner's vote made a majority")
			} else {
				require.ElementsMatch(t, []ID{2, 3}, to)
				require.Equal(t, Candidate, c.Role())
			}
		})
	}
}

// TestLearnerPromotion checks that a learner becomes a voter only once it
// has caught up: promoting a learner whose log is behind the leader's commit
// index is refused with ErrLearnerBehind; once it holds the log the
// promotion goes through, and the new voter can then lead.
// Reference: thesis section 4.2.1 ("catching up new servers")
func TestLearnerPromotion(t *testing.T) {
	nw := newNetworkWithVoters(t, 4, peers(3))
	nw.campaign(1)
	_, err := nw.node(1).ProposeConfig(peers(3), []ID{4})
	require.NoError(t, err)
	nw.send(nw.flush(1)...)
	nw.isolate(4)
	nw.propose(1, "a")
	nw.propose(1, "b")
	_, err = nw.node(1).ProposeConfig(peers(4), nil)
	require.ErrorIs(t, err, ErrLearnerBehind)
	require.Equal(t, uint64(2), nw.node(1).Status().Config.Index, "nothing proposed")

	nw.heal()
	nw.tick(1, 2)
	require.Equal(t, nw.node(1).Commit(), nw.node(1).Progress(4).Match)
	_, err = nw.node(1).ProposeConfig(peers(4), nil)
	require.NoError(t, err)
	nw.send(nw.flush(1)...)
	want := Configuration{Voters: peers(4), Index: nw.node(1).LastIndex()}
	require.Equal(t, want, nw.node(1).Status().Config)
	require.Equal(t, want.Index, nw.node(1).Commit())
	require.Equal(t, want, nw.node(4).Status().Config)

	nw.isolate(1)
	nw.campaign(4)
	require.Equal(t, Leader, nw.node(4).Role(), "the promoted server is a voter")
}

// TestRemovedLeaderStepsDown checks the removal of the leader itself: it
// goes on leading (and taking proposals) while the change is under way,
// does not count itself in C_new, where it is no member, steps down once
// C_new commits, and never campaigns again. The remaining servers then
// elect a leader among themselves and go on.
// Reference: section 6 ("the leader ... steps down once C_new is committed"); thesis section 4.2.2
func TestRemovedLeaderStepsDown(t *testing.T) {
	n := replicatingLeader(t, 3)
	index, err := n.ProposeConfig([]ID{2, 3}, nil)
	require.NoError(t, err)
	drain(t, n)
	ackAppend(t, n, 2, index)
	require.Equal(t, index-1, n.Commit(), "S1 and S2 are a majority of C_old; S2 alone is none of C_new")
	ackAppend(t, n, 3, index)
	require.Equal(t, index, n.Commit())
	require.Equal(t, Configuration{Voters: []ID{2, 3}, Index: index + 1}, n.Status().Config)
	require.Equal(t, Leader, n.Role(), "S1 leads until C_new commits")
	require.Nil(t, n.Progress(1), "nor counts itself")
	x, _, err := n.Propose([]byte("x"))
	require.NoError(t, err)
	drain(t, n)
	ackAppend(t, n, 2, x)
	require.Equal(t, Leader, n.Role())
	require.Equal(t, index, n.Commit())
	ackAppend(t, n, 3, x)
	require.Equal(t, x, n.Commit())
	require.Equal(t, Follower, n.Role(), "C_new committed: S1 steps down")
	require.Equal(t, None, n.Lead())
	drain(t, n)
	for range 20 * testElectionTicks {
		n.Tick()
	}
	n.Campaign()
	for _, m := range drain(t, n) {
		require.False(t, isVote(m), "the removed server campaigned: %v", m)
	}
	require.Equal(t, Follower, n.Role())

	// Through the network, the two remaining servers go on.
	nw := newNetwork(t, 3)
	nw.campaign(1)
	_, err = nw.node(1).ProposeConfig([]ID{2, 3}, nil)
	require.NoError(t, err)
	nw.send(nw.flush(1)...)
	require.Equal(t, Follower, nw.node(1).Role())
	before := len(nw.delivered)
	nw.tick(1, 20*testElectionTicks)
	nw.tick(2, 2*testElectionTicks)
	require.Equal(t, Leader, nw.node(2).Role())
	for _, m := range nw.delivered[before:] {
		require.False(t, isVote(m) && (m.From == 1 || m.To == 1), "S1 took part in an election: %v", m)
	}
	index = nw.propose(2, "y")
	require.Equal(t, index, nw.node(3).Commit())
	require.Less(t, nw.node(1).LastIndex(), index, "S1 is no longer sent to")
}

// TestTruncatedConfigurationEntryIsForgotten checks that a server uses the
// latest configuration in its log, committed or not, so that a follower
// whose uncommitted configuration entry a new leader overwrites falls back
// to the configuration before it: an earlier entry's, the snapshot's, or
// the one the cluster started with.
// Reference: section 6 ("a server always uses the latest configuration in its log"); thesis section 4.1
func TestTruncatedConfigurationEntryIsForgotten(t *testing.T) {
	base := Configuration{Voters: peers(3)}
	learner := Configuration{Voters: peers(3), Learners: []ID{4}}
	joint := Configuration{Voters: []ID{1, 2, 4}, OldVoters: peers(3)}
	tests := []struct {
		name  string
		d     Durable
		ents  []Entry // from the old leader, after index 1
		trunc uint64  // the index the new leader overwrites
		want  Configuration
	}{
		{"single", Durable{}, []Entry{confEntry(1, 2, Configuration{Voters: peers(4)})}, 2, base},
		{"joint", Durable{}, []Entry{confEntry(1, 2, joint)}, 2, base},
		{"the later of two", Durable{}, []Entry{confEntry(1, 2, learner), confEntry(1, 3, Configuration{Voters: peers(4)})}, 3,
			Configuration{Voters: peers(3), Learners: []ID{4}, Index: 2}},
		{"back to the snapshot's",
			Durable{HardState: HardState{Term: 1, Commit: 1}, Snapshot: Snapshot{Meta: SnapshotMeta{Index: 1, Term: 1,
				Config: Configuration{Voters: peers(3), Learners: []ID{5}, Index: 1}}}},
			[]Entry{confEntry(1, 2, Configuration{Voters: peers(3)})}, 2,
			Configuration{Voters: peers(3), Learners: []ID{5}, Index: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newTestNode(t, testConfig(2, peers(3)), tt.d)
			ents := tt.ents
			if tt.d.Snapshot.Meta.Index == 0 {
				ents = append([]Entry{{Term: 1, Index: 1, Type: EntryNoop}}, ents...)
			}
			prev := ents[0].Index - 1
			prevTerm := min(prev, 1)
			step(t, n, Message{Type: MsgApp, From: 1, To: 2, Term: 1, Index: prev, LogTerm: prevTerm, Entries: ents, Commit: 1})
			last := ents[len(ents)-1]
			require.Equal(t, last.Index, n.Status().Config.Index, "the newest entry's configuration is in effect")
			drain(t, n)
			step(t, n, Message{Type: MsgApp, From: 3, To: 2, Term: 2, Index: tt.trunc - 1, LogTerm: 1,
				Entries: []Entry{{Term: 2, Index: tt.trunc, Data: []byte("y")}}, Commit: 1})
			require.Equal(t, tt.trunc, n.LastIndex())
			require.Equal(t, tt.want, n.Status().Config)
		})
	}
}

// TestJoiningServerLearnsConfiguration checks that a server started with no
// configuration (one joining a running cluster) does not campaign, and
// learns its configuration from the leader: from the configuration entry
// in the log that adds it, or from the configuration a snapshot carries when
// the leader has compacted that entry away.
// Reference: section 6; section 7 (the snapshot holds "the latest configuration as of the last included index")
func TestJoiningServerLearnsConfiguration(t *testing.T) {
	for _, viaSnapshot := range []bool{false, true} {
		t.Run(fmt.Sprintf("snapshot=%v", viaSnapshot), func(t *testing.T) {
			nw := newNetworkWithVoters(t, 4, peers(3), withSnapshotChunkBytes(4))
			nw.campaign(4)
			nw.tick(4, 3*testElectionTicks)
			require.Equal(t, Follower, nw.node(4).Role())
			require.Zero(t, nw.node(4).Term(), "a server outside the configuration never campaigns")

			nw.campaign(1)
			if viaSnapshot {
				nw.isolate(4)
			}
			index, err := nw.node(1).ProposeConfig(peers(3), []ID{4})
			require.NoError(t, err)
			nw.send(nw.flush(1)...)
			nw.propose(1, "a")
			want := Configuration{Voters: peers(3), Learners: []ID{4}, Index: index}
			if viaSnapshot {
				require.Empty(t, nw.node(4).Status().Config.Voters)
				require.NoError(t, nw.node(1).CreateSnapshot(nw.node(1).Status().Applied, []byte("kv state")))
				nw.send(nw.flush(1)...)
				require.Equal(t, want, nw.node(1).Snapshot().Meta.Config)
				nw.heal()
				nw.tick(1, 2)
				require.Positive(t, nw.count(func(m Message) bool { return m.Type == MsgSnap && m.To == 4 }))
				require.Equal(t, uint64(3), nw.node(4).Status().SnapshotIndex)
			}
			require.Equal(t, want, nw.node(4).Status().Config)
			require.Equal(t, nw.node(1).Commit(), nw.node(4).Commit())
			// And so across a restart, from its disk.
			nw.crash(4)
			nw.restart(4)
			require.Equal(t, want, nw.node(4).Status().Config)
		})
	}
}

// TestTransferLeadershipToLearnerIsRefused checks that leadership can only
// be handed to a voter: a learner cannot be elected.
// Reference: thesis section 3.10 and section 4.2.1
func TestTransferLeadershipToLearnerIsRefused(t *testing.T) {
	nw := newNetworkWithVoters(t, 4, peers(3))
	nw.campaign(1)
	_, err := nw.node(1).ProposeConfig(peers(3), []ID{4})
	require.NoError(t, err)
	nw.send(nw.flush(1)...)
	require.ErrorContains(t, nw.node(1).TransferLeadership(4), "not a voter")
	require.Equal(t, None, nw.node(1).LeadTransferee())
	nw.propose(1, "a")
	require.Zero(t, nw.count(func(m Message) bool { return m.Type == MsgTimeoutNow }))
}

// TestSnapshotCarriesConfigurationAtItsIndex checks that a snapshot records
// the configuration in effect at its last included index, not a later one
// the log holds after it; the later one stays in effect.
// Reference: section 7 and Figure 12 ("latest configuration as of last included index")
func TestSnapshotCarriesConfigurationAtItsIndex(t *testing.T) {
	n := replicatingLeader(t, 3)
	first, err := n.ProposeConfig(peers(3), []ID{4})
	require.NoError(t, err)
	drain(t, n)
	ackAppend(t, n, 2, first)
	second, err := n.ProposeConfig(peers(3), []ID{4, 5})
	require.NoError(t, err)
	drain(t, n)
	ackAppend(t, n, 2, second)
	drain(t, n)
	require.Equal(t, second, n.Status().Applied)

	require.NoError(t, n.CreateSnapshot(first-1, nil))
	require.Equal(t, Configuration{Voters: peers(3)}, n.Snapshot().Meta.Config)
	require.NoError(t, n.CreateSnapshot(first, nil))
	require.Equal(t, Configuration{Voters: peers(3), Learners: []ID{4}, Index: first}, n.Snapshot().Meta.Config)
	want := Configuration{Voters: peers(3), Learners: []ID{4, 5}, Index: second}
	require.Equal(t, want, n.Status().Config)
	require.NoError(t, n.CreateSnapshot(second, nil))
	require.Equal(t, want, n.Snapshot().Meta.Config)
	require.Equal(t, want, n.Status().Config)
}
