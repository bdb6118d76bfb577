package raft

// Protocol tests for log replication and safety (paper §5.3, §5.4), in the
// manner of etcd-io/raft's raft_paper_test.go.

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// replicatingLeader returns the leader of a cluster of size servers whose
// followers have all acknowledged its no-op entry, so that every follower is
// in the replicate state and the no-op is committed.
func replicatingLeader(t *testing.T, size int, opts ...configOption) *Node {
	t.Helper()
	n := newTestNode(t, testConfig(1, peers(size), opts...), Durable{})
	electLeader(t, n)
	for _, id := range peers(size)[1:] {
		ackAppend(t, n, id, n.LastIndex())
	}
	drain(t, n)
	require.Equal(t, n.LastIndex(), n.Commit())
	return n
}

// TestLeaderStartReplication checks that a leader appends a proposal to its
// log as a new entry and issues AppendEntries, carrying the preceding index
// and term and its commit index, to every other server.
// Reference: section 5.3
func TestLeaderStartReplication(t *testing.T) {
	n := replicatingLeader(t, 3)
	li := n.LastIndex()
	index, term, err := n.Propose([]byte("some data"))
	require.NoError(t, err)
	require.Equal(t, li+1, index)
	require.Equal(t, n.Term(), term)

	rd := takeReady(n)
	want := []Entry{{Term: term, Index: li + 1, Type: EntryNormal, Data: []byte("some data")}}
	require.Equal(t, want, rd.Entries)
	require.Empty(t, rd.MessagesAfterPersist)
	var to []ID
	for _, m := range ofType(rd.Messages, MsgApp) {
		require.Equal(t, Message{Type: MsgApp, From: 1, To: m.To, Term: term, Index: li, LogTerm: term,
			Entries: want, Commit: li}, m)
		to = append(to, m.To)
	}
	require.ElementsMatch(t, []ID{2, 3}, to)
}

// TestLeaderCommitEntry checks that a leader commits an entry once a majority
// stores it, hands it to the state machine, and tells the followers the new
// commit index in its next AppendEntries.
// Reference: section 5.3
func TestLeaderCommitEntry(t *testing.T) {
	n := replicatingLeader(t, 3)
	li := n.LastIndex()
	_, _, err := n.Propose([]byte("some data"))
	require.NoError(t, err)
	drain(t, n)
	ackAppend(t, n, 2, li+1)
	require.Equal(t, li+1, n.Commit())
	rd := takeReady(n)
	require.Equal(t, []Entry{{Term: n.Term(), Index: li + 1, Data: []byte("some data")}}, rd.Committed)
	for _, m := range ofType(rd.Messages, MsgApp) {
		require.Equal(t, li+1, m.Commit)
	}
}

// TestFollowersLearnCommitIndex checks that a leader passes its commit index
// on in its next AppendEntries, so that followers apply a committed entry
// without waiting for a heartbeat.
// Reference: section 5.3
func TestFollowersLearnCommitIndex(t *testing.T) {
	nw := newNetwork(t, 5)
	nw.campaign(1)
	for i := range 3 {
		index := nw.propose(1, fmt.Sprint(i))
		for _, id := range nw.ids {
			require.Equal(t, index, nw.node(id).Commit(), "%v", id)
		}
	}
	require.Len(t, nw.applied, 4)
}

// TestLostAppendsAreResent checks that a leader retries AppendEntries until
// a follower stores every entry, even when appends are lost while the
// inflight window is full: a follower that made no progress for a heartbeat
// interval is probed again.
// Reference: section 5.3 ("the leader retries AppendEntries RPCs indefinitely")
func TestLostAppendsAreResent(t *testing.T) {
	nw := newNetwork(t, 3, withMaxInflightMsgs(1))
	nw.campaign(1)
	nw.drop = func(m Message) bool { return m.Type == MsgApp && m.To == 3 }
	for i := range 4 {
		nw.propose(1, fmt.Sprint(i))
	}
	require.Equal(t, uint64(1), nw.node(3).LastIndex())
	nw.drop = nil
	nw.tick(1, 3)
	nw.requireLogsEqual(1, 2, 3)
	require.Equal(t, nw.node(1).Commit(), nw.node(3).Commit())
}

// TestLeaderAcknowledgeCommit checks that a log entry is committed once the
// leader that created it has replicated it on a majority of the servers
// (itself included, once its own write is durable).
// Reference: section 5.3
func TestLeaderAcknowledgeCommit(t *testing.T) {
	tests := []struct {
		size      int
		acceptors []ID
		commit    bool
	}{
		{1, nil, true},
		{3, nil, false},
		{3, []ID{2}, true},
		{3, []ID{2, 3}, true},
		{5, nil, false},
		{5, []ID{2}, false},
		{5, []ID{2, 3}, true},
		{5, []ID{2, 3, 4}, true},
		{5, []ID{2, 3, 4, 5}, true},
	}
	for i, tt := range tests {
		n := replicatingLeader(t, tt.size)
		li := n.LastIndex()
		_, _, err := n.Propose([]byte("some data"))
		require.NoError(t, err)
		drain(t, n)
		for _, id := range tt.acceptors {
			ackAppend(t, n, id, li+1)
		}
		require.Equal(t, tt.commit, n.Commit() > li, "#%d", i)
	}
}

// TestLeaderCommitPrecedingEntries checks that when a leader commits an entry
// of its term it also commits every preceding entry, including those created
// by earlier leaders.
// Reference: section 5.3
func TestLeaderCommitPrecedingEntries(t *testing.T) {
	tests := [][]Entry{
		{},
		logOfTerms(2),
		logOfTerms(1, 2),
		logOfTerms(1),
	}
	for i, log := range tests {
		n := newTestNode(t, testConfig(1, peers(3)), Durable{HardState: HardState{Term: 2}, Entries: log})
		electLeader(t, n)
		_, _, err := n.Propose([]byte("some data"))
		require.NoError(t, err)
		drain(t, n)
		ackAppend(t, n, 2, n.LastIndex())
		rd := takeReady(n)
		li := uint64(len(log))
		want := append(append([]Entry{}, log...),
			Entry{Term: 3, Index: li + 1, Type: EntryNoop},
			Entry{Term: 3, Index: li + 2, Data: []byte("some data")})
		require.Equal(t, want, rd.Committed, "#%d", i)
	}
}

// TestFollowerCommitEntry checks that a follower learns the commit index from
// AppendEntries and applies the entries up to it, in log order; it never
// commits past the last entry the append proved it shares with the leader
// (Figure 2, AppendEntries step 5: commit = min(leaderCommit, index of last
// new entry)).
// Reference: section 5.3
func TestFollowerCommitEntry(t *testing.T) {
	tests := []struct {
		log        []Entry // the follower's log beforehand
		prev       uint64  // prevLogIndex (its term is 1)
		ents       []Entry
		commit     uint64 // leaderCommit
		wantCommit uint64
	}{
		{nil, 0, []Entry{{Term: 1, Index: 1, Data: []byte("some data")}}, 1, 1},
		{nil, 0, logOfTerms(1, 1), 1, 1},
		{nil, 0, logOfTerms(1, 1), 2, 2},
		{nil, 0, logOfTerms(1, 1), 5, 2},
		// A stale tail past the append is not committed, however high leaderCommit is.
		{logOfTerms(1, 1, 1), 1, nil, 3, 1},
		{logOfTerms(1, 1, 1), 1, logOfTerms(1, 1)[1:], 3, 2},
		{logOfTerms(1, 1, 1), 3, nil, 2, 2},
	}
	for i, tt := range tests {
		n := newTestNode(t, testConfig(1, peers(3)), Durable{HardState: HardState{Term: 1}, Entries: tt.log})
		step(t, n, Message{Type: MsgApp, From: 2, To: 1, Term: 1, Index: tt.prev, LogTerm: min(tt.prev, 1),
			Entries: tt.ents, Commit: tt.commit})
		require.Equal(t, tt.wantCommit, n.Commit(), "#%d", i)
		rd := takeReady(n)
		require.Equal(t, n.Entries(1, tt.wantCommit+1), rd.Committed, "#%d", i)
		require.Equal(t, tt.wantCommit, rd.HardState.Commit, "#%d", i)
	}
}

// TestFollowerCheckMsgApp checks the AppendEntries consistency check: a
// follower that does not hold an entry at prevLogIndex with prevLogTerm
// refuses the new entries, and says where its log could match.
// Reference: section 5.3
func TestFollowerCheckMsgApp(t *testing.T) {
	log := logOfTerms(1, 2) // committed up to 1
	tests := []struct {
		prevTerm, prev uint64
		want           Message
	}{
		// Below the commit index: everything up to it is settled.
		{0, 0, Message{Type: MsgAppResp, Index: 1}},
		// Matches a committed entry.
		{1, 1, Message{Type: MsgAppResp, Index: 1}},
		// Matches an uncommitted entry.
		{2, 2, Message{Type: MsgAppResp, Index: 2}},
		// The follower holds index 2 with another term: the hint is the
		// last entry with a term at most prevLogTerm.
		{1, 2, Message{Type: MsgAppResp, Index: 2, Reject: true, Hint: 1, LogTerm: 1}},
		// The follower lacks index 3: the hint is its last entry.
		{3, 3, Message{Type: MsgAppResp, Index: 3, Reject: true, Hint: 2, LogTerm: 2}},
	}
	for i, tt := range tests {
		n := newTestNode(t, testConfig(1, peers(3)), Durable{HardState: HardState{Term: 2, Commit: 1}, Entries: log})
		step(t, n, Message{Type: MsgApp, From: 2, To: 1, Term: 2, Index: tt.prev, LogTerm: tt.prevTerm, Commit: 1})
		want := tt.want
		want.From, want.To, want.Term = 1, 2, 2
		require.Equal(t, []Message{want}, drain(t, n), "#%d", i)
		require.Equal(t, []uint64{1, 2}, logTerms(n), "#%d: a rejected append must not change the log", i)
	}
}

// TestFollowerAppendEntries checks that a follower that accepts an append
// deletes an existing entry that conflicts with a new one (same index,
// different term) and everything after it, appends the entries it lacks, and
// keeps entries that match.
// Reference: section 5.3
func TestFollowerAppendEntries(t *testing.T) {
	tests := []struct {
		prev, prevTerm uint64
		ents           []Entry
		wantLog        []Entry
		wantWrite      []Entry // Ready.Entries
	}{
		{2, 2, []Entry{{Term: 3, Index: 3}}, []Entry{{Term: 1, Index: 1}, {Term: 2, Index: 2}, {Term: 3, Index: 3}}, []Entry{{Term: 3, Index: 3}}},
		{1, 1, []Entry{{Term: 3, Index: 2}, {Term: 4, Index: 3}}, []Entry{{Term: 1, Index: 1}, {Term: 3, Index: 2}, {Term: 4, Index: 3}}, []Entry{{Term: 3, Index: 2}, {Term: 4, Index: 3}}},
		{0, 0, []Entry{{Term: 1, Index: 1}}, logOfTerms(1, 2), nil},
		{0, 0, []Entry{{Term: 3, Index: 1}}, []Entry{{Term: 3, Index: 1}}, []Entry{{Term: 3, Index: 1}}},
		{1, 1, []Entry{{Term: 2, Index: 2}}, logOfTerms(1, 2), nil},
		// A matching prefix stays; only the conflict and what follows are written.
		{0, 0, []Entry{{Term: 1, Index: 1}, {Term: 3, Index: 2}}, []Entry{{Term: 1, Index: 1}, {Term: 3, Index: 2}}, []Entry{{Term: 3, Index: 2}}},
	}
	for i, tt := range tests {
		n := newTestNode(t, testConfig(1, peers(3)), Durable{HardState: HardState{Term: 2}, Entries: logOfTerms(1, 2)})
		step(t, n, Message{Type: MsgApp, From: 2, To: 1, Term: 4, Index: tt.prev, LogTerm: tt.prevTerm, Entries: tt.ents})
		require.Equal(t, tt.wantLog, n.Entries(1, n.LastIndex()+1), "#%d", i)
		rd := takeReady(n)
		require.Equal(t, tt.wantWrite, rd.Entries, "#%d", i)
		ack := ofType(rd.MessagesAfterPersist, MsgAppResp)
		require.Len(t, ack, 1, "#%d", i)
		require.Equal(t, tt.prev+uint64(len(tt.ents)), ack[0].Index, "#%d", i)
	}
}

// figure7Leader is the leader's log of the paper's Figure 7 (term 8).
var figure7Leader = logOfTerms(1, 1, 1, 4, 4, 5, 5, 6, 6, 6)

// syncNetwork starts three servers: S1 holds leaderLog, S2 holds followerLog
// and S3 is down. S1 campaigns and wins, with S2's vote or S3's (delivered
// by hand: S2's log may be the more up-to-date), then repairs S2's log.
func syncNetwork(t *testing.T, leaderLog, followerLog []Entry, opts ...configOption) *network {
	t.Helper()
	term := func(log []Entry) uint64 {
		if len(log) == 0 {
			return 0
		}
		return log[len(log)-1].Term
	}
	hs := HardState{Term: max(term(leaderLog), term(followerLog)) + 1}
	nw := newNetworkFrom(t, 3, map[ID]Durable{
		1: {HardState: hs, Entries: leaderLog},
		2: {HardState: hs, Entries: followerLog},
	}, opts...)
	nw.crash(3)
	nw.campaign(1)
	if nw.node(1).Role() != Leader {
		nw.send(Message{Type: MsgVoteResp, From: 3, To: 1, Term: nw.node(1).Term()})
	}
	require.Equal(t, Leader, nw.node(1).Role())
	return nw
}

// rejections counts the appends S2 refused.
func (nw *network) rejections() int {
	return nw.count(func(m Message) bool { return m.Type == MsgAppResp && m.From == 2 && m.Reject })
}

// TestLeaderSyncFollowerLog checks that a leader brings every follower's log
// in line with its own, whatever the follower holds: the follower logs of the
// paper's Figure 7, missing entries (a, b), holding extra uncommitted entries
// (c, d), or both (e, f).
// Reference: section 5.3, Figure 7
func TestLeaderSyncFollowerLog(t *testing.T) {
	tests := map[string][]Entry{
		"a": logOfTerms(1, 1, 1, 4, 4, 5, 5, 6, 6),
		"b": logOfTerms(1, 1, 1, 4),
		"c": logOfTerms(1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6),
		"d": logOfTerms(1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7),
		"e": logOfTerms(1, 1, 1, 4, 4, 4, 4),
		"f": logOfTerms(1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3),
	}
	for name, follower := range tests {
		t.Run(name, func(t *testing.T) {
			nw := syncNetwork(t, figure7Leader, follower)
			nw.requireLogsEqual(1, 2)
			lead := nw.node(1)
			require.Equal(t, lead.LastIndex(), lead.Commit(), "the leader's no-op commits with S2")
			require.Equal(t, EntryNoop, lead.Entries(lead.LastIndex(), lead.LastIndex()+1)[0].Type)
			// Fast back-off: one refusal per conflicting term at most.
			require.LessOrEqual(t, nw.rejections(), 2)
		})
	}
}

// repeatTerm returns count copies of term, for building long logs.
func repeatTerm(term uint64, count int) []uint64 {
	out := make([]uint64, count)
	for i := range out {
		out[i] = term
	}
	return out
}

func concatTerms(parts ...[]uint64) []uint64 {
	var out []uint64
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestFastBackoffProbesPerTerm checks the optimization at the end of §5.3:
// a follower that refuses an append reports the term of the conflicting entry
// and where it starts, so that the leader skips a whole term per round trip.
// Repairing a follower with a long divergent tail takes O(terms) probes, not
// O(entries).
// Reference: section 5.3 (closing paragraphs)
func TestFastBackoffProbesPerTerm(t *testing.T) {
	tests := []struct {
		name             string
		leader, follower []uint64
		maxProbes        int
	}{
		{
			// The follower holds 200 entries of a term the leader never saw.
			name:      "one stale term",
			leader:    concatTerms([]uint64{1}, repeatTerm(3, 100)),
			follower:  concatTerms([]uint64{1}, repeatTerm(2, 200)),
			maxProbes: 1,
		},
		{
			// Three stale terms after the common prefix.
			name:      "three stale terms",
			leader:    concatTerms([]uint64{1}, repeatTerm(5, 10)),
			follower:  concatTerms([]uint64{1}, repeatTerm(2, 100), repeatTerm(3, 100), repeatTerm(4, 100)),
			maxProbes: 1,
		},
		{
			// Leader and follower alternate terms: one probe per term boundary.
			name:      "interleaved terms",
			leader:    concatTerms([]uint64{1}, repeatTerm(2, 100), repeatTerm(4, 100), repeatTerm(6, 100)),
			follower:  concatTerms([]uint64{1}, repeatTerm(2, 100), repeatTerm(3, 120), repeatTerm(5, 120)),
			maxProbes: 2,
		},
		{
			// The follower is merely behind by hundreds of entries.
			name:      "behind",
			leader:    concatTerms([]uint64{1}, repeatTerm(2, 300)),
			follower:  []uint64{1, 2},
			maxProbes: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nw := syncNetwork(t, logOfTerms(tt.leader...), logOfTerms(tt.follower...))
			nw.requireLogsEqual(1, 2)
			require.LessOrEqual(t, nw.rejections(), tt.maxProbes)
		})
	}
}

// TestProbeToReplicate checks the leader's flow control of nextIndex: it
// probes a follower whose log it does not know with one append at a time,
// and pipelines appends once the follower has acknowledged one.
// Reference: section 5.3 (nextIndex), etcd-io/raft's Progress states
func TestProbeToReplicate(t *testing.T) {
	n := newTestNode(t, testConfig(1, peers(3)), Durable{})
	electLeader(t, n)
	pr := n.Progress(2)
	require.Equal(t, StateProbe, pr.State)
	require.True(t, pr.ProbeSent)

	// While the probe is unanswered, nothing more is sent to S2.
	_, _, err := n.Propose([]byte("a"))
	require.NoError(t, err)
	for _, m := range ofType(drain(t, n), MsgApp) {
		require.NotEqual(t, ID(2), m.To)
	}

	// The answer moves S2 to replicate and the rest follows at once.
	ackAppend(t, n, 2, 1)
	require.Equal(t, StateReplicate, pr.State)
	require.Equal(t, uint64(1), pr.Match)
	apps := ofType(drain(t, n), MsgApp)
	require.Len(t, apps, 1)
	require.Equal(t, uint64(1), apps[0].Index)

	// In replicate, each proposal goes out without waiting for an answer.
	for _, data := range []string{"b", "c"} {
		_, _, err := n.Propose([]byte(data))
		require.NoError(t, err)
		sent := 0
		for _, m := range ofType(drain(t, n), MsgApp) {
			if m.To == 2 {
				sent++
			}
		}
		require.Equal(t, 1, sent)
	}
	require.Equal(t, n.LastIndex()+1, pr.Next)
	require.Equal(t, 3, pr.Inflight())

	// A refusal sends S2 back to probing from its match index.
	step(t, n, Message{Type: MsgAppResp, From: 2, To: 1, Term: n.Term(), Index: 2, Reject: true, Hint: 1, LogTerm: n.Term()})
	require.Equal(t, StateProbe, pr.State)
	require.Equal(t, uint64(2), pr.Next)
}

// appsTo counts the appends with entries to id.
func appsTo(msgs []Message, id ID) []Message {
	var out []Message
	for _, m := range ofType(msgs, MsgApp) {
		if m.To == id && len(m.Entries) > 0 {
			out = append(out, m)
		}
	}
	return out
}

// TestMaxInflightMsgs checks that a leader never has more than
// MaxInflightMsgs appends unacknowledged to one follower in the replicate
// state, and sends more as acknowledgements free the window.
// Reference: etcd-io/raft Config.MaxInflightMsgs (flow control of §5.3)
func TestMaxInflightMsgs(t *testing.T) {
	const window = 3
	n := replicatingLeader(t, 3, withMaxInflightMsgs(window))
	first := n.LastIndex() + 1
	var sent []Message
	for i := range 10 {
		_, _, err := n.Propose(fmt.Appendf(nil, "%d", i))
		require.NoError(t, err)
		sent = append(sent, appsTo(drain(t, n), 2)...)
		require.LessOrEqual(t, n.Progress(2).Inflight(), window)
	}
	require.Len(t, sent, window)
	require.True(t, n.Progress(2).paused())

	// One acknowledgement frees one slot; the next append carries the rest.
	ackAppend(t, n, 2, first)
	more := appsTo(drain(t, n), 2)
	require.Len(t, more, 1)
	require.Equal(t, first+window-1, more[0].Index)
	require.Equal(t, n.LastIndex(), more[0].Entries[len(more[0].Entries)-1].Index)
	require.Equal(t, window, n.Progress(2).Inflight())

	ackAppend(t, n, 2, n.LastIndex())
	require.Equal(t, 0, n.Progress(2).Inflight())
}

// TestMaxEntriesPerMsg checks that no AppendEntries carries more than
// MaxEntriesPerMsg entries, even while a far-behind follower catches up.
// Reference: etcd-io/raft Config.MaxSizePerMsg (flow control of §5.3)
func TestMaxEntriesPerMsg(t *testing.T) {
	const perMsg = 2
	nw := newNetwork(t, 3, withMaxEntriesPerMsg(perMsg))
	nw.campaign(1)
	nw.isolate(3)
	for i := range 9 {
		nw.propose(1, fmt.Sprint(i))
	}
	nw.heal()
	for range 5 {
		nw.tick(1, 1)
	}
	nw.requireLogsEqual(1, 2, 3)
	apps := 0
	for _, m := range nw.delivered {
		if m.Type == MsgApp {
			require.LessOrEqual(t, len(m.Entries), perMsg, "%v", m)
			if m.To == 3 && len(m.Entries) > 0 {
				apps++
			}
		}
	}
	require.GreaterOrEqual(t, apps, 5, "ten entries in appends of at most two")
}

// TestHeartbeatCommitIsMinOfMatchAndCommit checks that a heartbeat tells a
// follower to commit no further than the leader knows it matches: a follower
// with a stale tail must not commit entries it does not share.
// Reference: section 5.3 (and etcd-io/raft's heartbeat commit)
func TestHeartbeatCommitIsMinOfMatchAndCommit(t *testing.T) {
	n := replicatingLeader(t, 3)
	for _, data := range []string{"a", "b"} {
		_, _, err := n.Propose([]byte(data))
		require.NoError(t, err)
	}
	drain(t, n)
	ackAppend(t, n, 2, n.LastIndex())
	require.Equal(t, uint64(3), n.Commit())
	n.Tick()
	beats := ofType(drain(t, n), MsgHeartbeat)
	require.Len(t, beats, 2)
	for _, m := range beats {
		want := map[ID]uint64{2: 3, 3: 1}[m.To]
		require.Equal(t, want, m.Commit, "heartbeat to %v", m.To)
	}

	// A follower with a divergent tail commits only what the heartbeat says.
	f := newTestNode(t, testConfig(3, peers(3)), Durable{HardState: HardState{Term: 1}, Entries: logOfTerms(1, 1, 1)})
	step(t, f, Message{Type: MsgHeartbeat, From: 1, To: 3, Term: 1, Commit: 1})
	require.Equal(t, uint64(1), f.Commit())

	// Nor past its own last entry, whatever a heartbeat says.
	short := newTestNode(t, testConfig(3, peers(3)), Durable{HardState: HardState{Term: 1}, Entries: logOfTerms(1)})
	step(t, short, Message{Type: MsgHeartbeat, From: 1, To: 3, Term: 1, Commit: 5})
	require.Equal(t, uint64(1), short.Commit())
}

// TestLeaderOnlyCommitsLogFromCurrentTerm checks that a leader commits by
// counting replicas only entries of its own term; earlier entries commit
// with them. With the commit-previous-term bug toggle it commits an earlier
// term's entry by counting, as the paper's Figure 8 warns.
// Reference: section 5.4.2
func TestLeaderOnlyCommitsLogFromCurrentTerm(t *testing.T) {
	tests := []struct {
		index               uint64 // S2's acknowledged index
		wantCommit, withBug uint64
	}{
		{1, 0, 1}, // an entry of term 1: not committed by counting
		{2, 0, 2}, // an entry of term 2: not committed by counting
		{3, 3, 3}, // the term-3 no-op commits, and everything before it
	}
	for i, tt := range tests {
		for _, bug := range []bool{false, true} {
			var opts []configOption
			want := tt.wantCommit
			if bug {
				opts = append(opts, withBugs(BugCommitPreviousTerm))
				want = tt.withBug
			}
			n := newTestNode(t, testConfig(1, peers(3), opts...), Durable{HardState: HardState{Term: 2}, Entries: logOfTerms(1, 2)})
			electLeader(t, n) // term 3, no-op at index 3
			_, _, err := n.Propose([]byte("x"))
			require.NoError(t, err)
			drain(t, n)
			ackAppend(t, n, 2, tt.index)
			require.Equal(t, want, n.Commit(), "#%d bug=%v", i, bug)
		}
	}
}

// TestLeaderAppendsNoopAtTermStart checks that each new leader appends an
// empty no-op entry of its term as soon as it takes office, writes it and
// sends it, so that it can commit (and so learn) everything before it.
// Reference: section 5.4.2 and section 8
func TestLeaderAppendsNoopAtTermStart(t *testing.T) {
	nw := newNetwork(t, 3)
	for term, id := range []ID{1, 2, 3, 1} {
		nw.campaign(id)
		lead := nw.node(id)
		require.Equal(t, Leader, lead.Role())
		require.Equal(t, uint64(term+1), lead.Term())
		li := lead.LastIndex()
		require.Equal(t, uint64(term+1), li, "one no-op per term")
		last := lead.Entries(li, li+1)[0]
		require.Equal(t, Entry{Term: lead.Term(), Index: li, Type: EntryNoop}, last)
		require.Equal(t, li, lead.Commit())
		nw.requireLogsEqual(1, 2, 3)
	}

	// In the Ready right after the election: written and sent at once.
	n := newTestNode(t, testConfig(1, peers(3)), Durable{HardState: HardState{Term: 4}, Entries: logOfTerms(1, 4)})
	n.Campaign()
	drain(t, n)
	step(t, n, Message{Type: MsgVoteResp, From: 2, To: 1, Term: 5})
	rd := takeReady(n)
	noop := Entry{Term: 5, Index: 3, Type: EntryNoop}
	require.Equal(t, []Entry{noop}, rd.Entries)
	for _, m := range ofType(rd.Messages, MsgApp) {
		require.Equal(t, []Entry{noop}, m.Entries)
	}
}

// TestFigure8 replays the paper's Figure 8 through the network. S1 (term 2)
// writes index 2 to S1 and S2; S5 (term 3) writes another index 2 on itself;
// S1 (term 4) copies its index 2 to S3, a majority, and then crashes; S5
// wins term 5 with the votes of S3 and S4 and overwrites index 2. A correct
// leader never counted its term-2 entry as committed, so nothing applied is
// lost; with the commit-previous-term toggle S1 applies index 2, and S5
// later applies a different entry at the same index.
// Reference: section 5.4.2, Figure 8
func TestFigure8(t *testing.T) {
	for _, bug := range []bool{false, true} {
		t.Run(fmt.Sprintf("bug=%v", bug), func(t *testing.T) {
			opts := []configOption{withMaxEntriesPerMsg(1)}
			if bug {
				opts = append(opts, withBugs(BugCommitPreviousTerm))
			}
			start := Durable{HardState: HardState{Term: 1, Commit: 1}, Entries: logOfTerms(1)}
			nw := newNetworkFrom(t, 5, map[ID]Durable{1: start, 2: start, 3: start, 4: start, 5: start}, opts...)

			// (a) S1 leads term 2; its no-op (index 2) reaches S2 only.
			nw.drop = func(m Message) bool { return m.From == 1 && m.Type == MsgApp && m.To != 2 }
			nw.campaign(1)
			require.Equal(t, []uint64{1, 2}, logTerms(nw.node(2)))
			nw.crash(1)

			// (b) S5 leads term 3 with votes from S3 and S4; its index 2 stays on S5.
			nw.drop = func(m Message) bool { return m.From == 5 && m.Type == MsgApp }
			nw.campaign(5)
			require.Equal(t, Leader, nw.node(5).Role())
			require.Equal(t, []uint64{1, 3}, logTerms(nw.node(5)))
			nw.crash(5)

			// (c) S1 restarts and leads term 4. It copies index 2 to S3 (S1, S2
			// and S3 are a majority) but its own index 3 only to S2, and it
			// crashes right after it counts index 2 committed, if it does.
			nw.drop = func(m Message) bool {
				if m.From != 1 || (m.Type != MsgApp && m.Type != MsgHeartbeat) {
					return false
				}
				// Once S3 holds index 2, index 3 is lost on the way.
				toS3Late := m.To == 3 && nw.node(3).LastIndex() >= 2 && len(m.Entries) > 0 &&
					m.Entries[len(m.Entries)-1].Index >= 3
				return m.To == 4 || toS3Late || m.Commit >= 2
			}
			nw.restart(1)
			nw.campaign(1) // term 3: S3 and S4 already voted for S5
			nw.campaign(1) // term 4
			s1 := nw.node(1)
			require.Equal(t, Leader, s1.Role())
			require.Equal(t, uint64(4), s1.Term())
			require.Equal(t, []uint64{1, 2}, logTerms(nw.node(3)))
			if bug {
				require.Equal(t, uint64(2), s1.Commit(), "the bug counts the term-2 entry committed")
				require.Equal(t, uint64(2), nw.applied[2].Term)
			} else {
				require.Equal(t, uint64(1), s1.Commit(), "a term-2 entry is not committed by counting in term 4")
			}
			nw.crash(1)

			// (d) S5 restarts and wins term 5 with S3 and S4; it overwrites index 2.
			nw.heal()
			nw.restart(5)
			nw.campaign(5) // term 4: everyone voted for S1
			nw.campaign(5) // term 5
			require.Equal(t, Leader, nw.node(5).Role())
			nw.requireLogsEqual(2, 3, 4, 5)
			require.Equal(t, []uint64{1, 3, 5}, logTerms(nw.node(3)))
			require.Equal(t, uint64(3), nw.node(5).Commit())

			if bug {
				require.NotEmpty(t, nw.safety, "S1 and S5 applied different entries at index 2")
			} else {
				require.Empty(t, nw.safety)
			}
		})
	}
}
