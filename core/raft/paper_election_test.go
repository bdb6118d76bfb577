package raft

// Protocol tests for leader election, in the manner of etcd-io/raft's
// raft_paper_test.go: each test names the rule it checks and cites the
// section of the Raft paper (Ongaro and Ousterhout, "In Search of an
// Understandable Consensus Algorithm", 2014) that states it.

import (
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// nodeInRole returns a server of a three-server cluster at term 5 in the given role.
func nodeInRole(t *testing.T, role Role, opts ...configOption) *Node {
	t.Helper()
	if role == PreCandidate {
		opts = append(opts, withPreVote)
	}
	n := newTestNode(t, testConfig(1, peers(3), opts...), Durable{HardState: HardState{Term: 5}})
	switch role {
	case PreCandidate, Candidate:
		n.Campaign()
	case Leader:
		electLeader(t, n)
	}
	drain(t, n)
	require.Equal(t, role, n.Role())
	return n
}

// TestStartAsFollower checks that a server starts as a follower.
// Reference: section 5.2
func TestStartAsFollower(t *testing.T) {
	n := newTestNode(t, testConfig(1, peers(3)), Durable{HardState: HardState{Term: 3, Vote: 2}})
	st := n.Status()
	require.Equal(t, Follower, st.Role)
	require.Equal(t, uint64(3), st.Term)
	require.Equal(t, ID(2), st.Vote)
	require.Equal(t, None, st.Lead)
}

// TestServerSeesHigherTermBecomesFollower checks that a server in any role
// that sees a higher term in a message adopts it and becomes a follower,
// except for the PreVote messages, which never change a term (thesis §9.6).
// Reference: section 5.1
func TestServerSeesHigherTermBecomesFollower(t *testing.T) {
	roles := []Role{Follower, PreCandidate, Candidate, Leader}
	tests := []struct {
		msg        Message
		becomes    bool // adopts the term and becomes a follower
		wantLeader ID
	}{
		{Message{Type: MsgApp}, true, 2},
		{Message{Type: MsgHeartbeat}, true, 2},
		{Message{Type: MsgVote}, true, None},
		{Message{Type: MsgVoteResp, Reject: true}, true, None},
		{Message{Type: MsgAppResp}, true, None},
		{Message{Type: MsgHeartbeatResp}, true, None},
		{Message{Type: MsgPreVoteResp, Reject: true}, true, None},
		{Message{Type: MsgPreVote}, false, None},
	}
	for _, role := range roles {
		for _, tt := range tests {
			t.Run(role.String()+"/"+tt.msg.Type.String(), func(t *testing.T) {
				n := nodeInRole(t, role)
				before := n.Status()
				m := tt.msg
				m.From, m.To, m.Term = 2, 1, before.Term+3
				m.Index, m.LogTerm = before.LastIndex, before.LastTerm
				step(t, n, m)
				if !tt.becomes {
					require.Equal(t, before.Term, n.Term())
					require.Equal(t, before.Role, n.Role())
					return
				}
				require.Equal(t, before.Term+3, n.Term())
				require.Equal(t, Follower, n.Role())
				require.Equal(t, tt.wantLeader, n.Lead())
			})
		}
	}
}

// TestRejectStaleTermMessage checks how a server treats a message of an
// earlier term: requests are answered with the current term (so that the
// stale sender updates itself), responses are dropped, and the server's own
// state does not change.
// Reference: section 5.1
func TestRejectStaleTermMessage(t *testing.T) {
	tests := []struct {
		typ      MsgType
		wantResp MsgType // 0: no answer
	}{
		{MsgApp, MsgAppResp},
		{MsgHeartbeat, MsgAppResp},
		{MsgVote, MsgVoteResp},
		{MsgPreVote, MsgPreVoteResp},
		{MsgAppResp, 0},
		{MsgHeartbeatResp, 0},
		{MsgVoteResp, 0},
		{MsgPreVoteResp, 0},
	}
	for _, role := range []Role{Follower, Candidate, Leader} {
		for _, tt := range tests {
			t.Run(role.String()+"/"+tt.typ.String(), func(t *testing.T) {
				n := nodeInRole(t, role)
				before := n.Status()
				step(t, n, Message{Type: tt.typ, From: 2, To: 1, Term: before.Term - 1, Index: 100, LogTerm: 100, Commit: 100})
				require.Equal(t, before, n.Status())
				msgs := drain(t, n)
				if tt.wantResp == 0 {
					require.Empty(t, msgs)
					return
				}
				require.Len(t, msgs, 1)
				m := msgs[0]
				require.Equal(t, tt.wantResp, m.Type)
				require.Equal(t, ID(2), m.To)
				require.Equal(t, before.Term, m.Term)
				if tt.typ == MsgVote || tt.typ == MsgPreVote {
					require.True(t, m.Reject)
				}
			})
		}
	}
}

// TestLeaderBcastBeat checks that a leader sends heartbeats to every other
// server each heartbeat interval to maintain its authority.
// Reference: section 5.2
func TestLeaderBcastBeat(t *testing.T) {
	const hb = 3
	n := newTestNode(t, testConfig(1, peers(3), func(c *Config) { c.HeartbeatTicks = hb }), Durable{})
	electLeader(t, n)
	for range hb - 1 {
		n.Tick()
	}
	require.Empty(t, ofType(drain(t, n), MsgHeartbeat))
	n.Tick()
	beats := ofType(drain(t, n), MsgHeartbeat)
	var to []ID
	for _, m := range beats {
		require.Equal(t, n.Term(), m.Term)
		to = append(to, m.To)
	}
	require.ElementsMatch(t, []ID{2, 3}, to)
}

// TestStartElection checks that a follower or candidate that hears nothing
// for an election timeout starts an election: it increments its term, votes
// for itself, and sends RequestVote, carrying its last log index and term,
// to every other server.
// Reference: section 5.2
func TestStartElection(t *testing.T) {
	for _, role := range []Role{Follower, Candidate} {
		t.Run(role.String(), func(t *testing.T) {
			n := nodeInRole(t, role)
			term := n.Term()
			for range 2 * testElectionTicks {
				n.Tick()
				if n.Term() != term {
					break
				}
			}
			require.Equal(t, term+1, n.Term())
			require.Equal(t, Candidate, n.Role())
			require.Equal(t, ID(1), n.Status().Vote)
			rd := takeReady(n)
			require.Empty(t, ofType(rd.Messages, MsgVote), "a vote request must wait for the term and vote to be durable")
			var to []ID
			for _, m := range ofType(rd.MessagesAfterPersist, MsgVote) {
				require.Equal(t, term+1, m.Term)
				require.Equal(t, n.LastIndex(), m.Index)
				require.Equal(t, n.Status().LastTerm, m.LogTerm)
				to = append(to, m.To)
			}
			require.ElementsMatch(t, []ID{2, 3}, to)
		})
	}
}

// electionTimeouts returns the first count randomized election timeouts of a
// server: each campaign starts a term and draws a new one.
func electionTimeouts(t *testing.T, id ID, seed uint64, count int) []int {
	n := newTestNode(t, testConfig(id, peers(5), withSeed(seed)), Durable{})
	out := []int{n.Status().ElectionTimeout}
	for len(out) < count {
		n.Campaign()
		out = append(out, n.Status().ElectionTimeout)
	}
	return out
}

// TestElectionTimeoutRandomized checks that each election timeout is drawn
// from [E, 2E), that the timer fires exactly when it runs out, and that the
// draws come from the server's own seeded stream: the same seed and ID give
// the same timeouts, another ID or seed another sequence.
// Reference: section 5.2
func TestElectionTimeoutRandomized(t *testing.T) {
	const draws = 200
	seen := map[int]bool{}
	for _, d := range electionTimeouts(t, 1, 42, draws) {
		require.GreaterOrEqual(t, d, testElectionTicks)
		require.Less(t, d, 2*testElectionTicks)
		seen[d] = true
	}
	require.Len(t, seen, testElectionTicks, "every timeout in [E, 2E) should be drawn over %d terms", draws)

	require.Equal(t, electionTimeouts(t, 1, 42, draws), electionTimeouts(t, 1, 42, draws), "same seed, same ID")
	require.NotEqual(t, electionTimeouts(t, 1, 42, draws), electionTimeouts(t, 2, 42, draws), "same seed, other ID")
	require.NotEqual(t, electionTimeouts(t, 1, 42, draws), electionTimeouts(t, 1, 43, draws), "other seed, same ID")

	// The timer fires after exactly the drawn timeout.
	n := newTestNode(t, testConfig(1, peers(3), withSeed(7)), Durable{})
	timeout := n.Status().ElectionTimeout
	for range timeout - 1 {
		n.Tick()
	}
	require.Equal(t, Follower, n.Role())
	n.Tick()
	require.Equal(t, Candidate, n.Role())
}

// TestLeaderElectionInOneRound checks that a candidate wins an election with
// votes from a majority, returns to follower when a majority rejects it, and
// otherwise stays a candidate.
// Reference: section 5.2
func TestLeaderElectionInOneRound(t *testing.T) {
	tests := []struct {
		size  int
		votes map[ID]bool
		want  Role
	}{
		{1, map[ID]bool{}, Leader},
		{3, map[ID]bool{2: true, 3: true}, Leader},
		{3, map[ID]bool{2: true}, Leader},
		{5, map[ID]bool{2: true, 3: true, 4: true, 5: true}, Leader},
		{5, map[ID]bool{2: true, 3: true, 4: true}, Leader},
		{5, map[ID]bool{2: true, 3: true}, Leader},

		// A majority of rejections sends the candidate back to follower.
		{3, map[ID]bool{2: false, 3: false}, Follower},
		{5, map[ID]bool{2: false, 3: false, 4: false, 5: false}, Follower},
		{5, map[ID]bool{2: true, 3: false, 4: false, 5: false}, Follower},

		// Without a majority either way it stays a candidate.
		{3, map[ID]bool{}, Candidate},
		{3, map[ID]bool{2: false}, Candidate},
		{5, map[ID]bool{2: true}, Candidate},
		{5, map[ID]bool{2: false, 3: false}, Candidate},
		{5, map[ID]bool{2: true, 3: false, 4: false}, Candidate},
		{5, map[ID]bool{}, Candidate},
	}
	for i, tt := range tests {
		n := newTestNode(t, testConfig(1, peers(tt.size)), Durable{})
		n.Campaign()
		for _, id := range slices.Sorted(maps.Keys(tt.votes)) {
			step(t, n, Message{Type: MsgVoteResp, From: id, To: 1, Term: n.Term(), Reject: !tt.votes[id]})
		}
		require.Equal(t, tt.want, n.Role(), "#%d", i)
		require.Equal(t, uint64(1), n.Term(), "#%d", i)
	}
}

// TestFollowerVote checks that a server votes for at most one candidate in a
// term, first come first served: it grants its vote again to the candidate it
// voted for, and rejects any other.
// Reference: section 5.2
func TestFollowerVote(t *testing.T) {
	tests := []struct {
		vote, candidate ID
		reject          bool
	}{
		{None, 2, false},
		{None, 3, false},
		{2, 2, false},
		{3, 3, false},
		{2, 3, true},
		{3, 2, true},
	}
	for i, tt := range tests {
		n := newTestNode(t, testConfig(1, peers(3)), Durable{HardState: HardState{Term: 1, Vote: tt.vote}})
		step(t, n, Message{Type: MsgVote, From: tt.candidate, To: 1, Term: 1})
		msgs := drain(t, n)
		require.Equal(t, []Message{{Type: MsgVoteResp, From: 1, To: tt.candidate, Term: 1, Reject: tt.reject}}, msgs, "#%d", i)
		want := tt.vote
		if want == None {
			want = tt.candidate
		}
		require.Equal(t, want, n.Status().Vote, "#%d", i)
	}
}

// TestOneVotePerTerm checks first-come-first-served voting across two
// candidates of the same term, and that a new term frees the vote.
// Reference: section 5.2
func TestOneVotePerTerm(t *testing.T) {
	n := newTestNode(t, testConfig(1, peers(3)), Durable{HardState: HardState{Term: 1}})
	step(t, n, Message{Type: MsgVote, From: 2, To: 1, Term: 2})
	require.False(t, drain(t, n)[0].Reject)
	step(t, n, Message{Type: MsgVote, From: 3, To: 1, Term: 2})
	require.True(t, drain(t, n)[0].Reject)
	require.Equal(t, ID(2), n.Status().Vote)
	step(t, n, Message{Type: MsgVote, From: 3, To: 1, Term: 3})
	require.False(t, drain(t, n)[0].Reject)
	require.Equal(t, ID(3), n.Status().Vote)
}

// TestVoteIsDurableBeforeItIsSent checks the persistence of votes: the vote
// and the term appear in the Ready's HardState and the answer leaves only in
// MessagesAfterPersist, never in Messages. A candidate's own vote and
// requests obey the same rule.
// Reference: section 5.2 and Figure 2 (persistent state on all servers)
func TestVoteIsDurableBeforeItIsSent(t *testing.T) {
	voter := newTestNode(t, testConfig(1, peers(3)), Durable{HardState: HardState{Term: 1}})
	step(t, voter, Message{Type: MsgVote, From: 2, To: 1, Term: 2})
	rd := takeReady(voter)
	require.True(t, rd.HardStateChanged)
	require.Equal(t, HardState{Term: 2, Vote: 2}, rd.HardState)
	require.Empty(t, rd.Messages)
	require.Equal(t, []Message{{Type: MsgVoteResp, From: 1, To: 2, Term: 2}}, rd.MessagesAfterPersist)

	candidate := newTestNode(t, testConfig(1, peers(3)), Durable{HardState: HardState{Term: 1}})
	candidate.Campaign()
	rd = takeReady(candidate)
	require.True(t, rd.HardStateChanged)
	require.Equal(t, HardState{Term: 2, Vote: 1}, rd.HardState)
	require.Empty(t, rd.Messages)
	require.Len(t, ofType(rd.MessagesAfterPersist, MsgVote), 2)
}

// TestGrantingVoteResetsElectionTimer checks that a follower that grants its
// vote starts its election timeout afresh: it converts to candidate only after
// a whole timeout without hearing from a leader or granting a vote.
// Reference: Figure 2 (rules for followers), section 5.2
func TestGrantingVoteResetsElectionTimer(t *testing.T) {
	n := newTestNode(t, testConfig(1, peers(3)), Durable{HardState: HardState{Term: 1}})
	timeout := n.Status().ElectionTimeout
	for range timeout - 1 {
		n.Tick()
	}
	step(t, n, Message{Type: MsgVote, From: 2, To: 1, Term: 1})
	require.Equal(t, 0, n.Status().ElectionElapsed)
	for range timeout - 1 {
		n.Tick()
	}
	require.Equal(t, Follower, n.Role())
	n.Tick()
	require.Equal(t, Candidate, n.Role())
}

// TestCandidateFallback checks that a candidate that receives AppendEntries
// from a leader whose term is at least its own returns to follower and
// recognizes that leader.
// Reference: section 5.2
func TestCandidateFallback(t *testing.T) {
	for _, delta := range []uint64{0, 1} {
		n := newTestNode(t, testConfig(1, peers(3)), Durable{})
		n.Campaign()
		drain(t, n)
		term := n.Term() + delta
		step(t, n, Message{Type: MsgApp, From: 2, To: 1, Term: term})
		require.Equal(t, Follower, n.Role())
		require.Equal(t, term, n.Term())
		require.Equal(t, ID(2), n.Lead())
	}
}

// TestVoter checks the election restriction: a server grants its vote only
// to a candidate whose log is at least as up-to-date as its own, comparing
// the last entries' terms first and the log lengths second.
// Reference: section 5.4.1
func TestVoter(t *testing.T) {
	tests := []struct {
		log            []Entry
		logTerm, index uint64 // the candidate's last entry
		reject         bool
	}{
		// Same last term: the longer (or equal) log wins.
		{logOfTerms(1), 1, 1, false},
		{logOfTerms(1), 1, 2, false},
		{logOfTerms(1, 1), 1, 1, true},
		// The candidate's last term is later: granted whatever the length.
		{logOfTerms(1), 2, 1, false},
		{logOfTerms(1), 2, 2, false},
		{logOfTerms(1, 1), 2, 1, false},
		// The voter's last term is later: rejected whatever the length.
		{logOfTerms(2), 1, 1, true},
		{logOfTerms(2), 1, 2, true},
		{logOfTerms(2, 2), 1, 3, true},
		{logOfTerms(1, 2), 1, 5, true},
	}
	for i, tt := range tests {
		n := newTestNode(t, testConfig(1, peers(3)), Durable{HardState: HardState{Term: 2}, Entries: tt.log})
		step(t, n, Message{Type: MsgVote, From: 2, To: 1, Term: 3, Index: tt.index, LogTerm: tt.logTerm})
		msgs := drain(t, n)
		require.Len(t, msgs, 1, "#%d", i)
		require.Equal(t, MsgVoteResp, msgs[0].Type, "#%d", i)
		require.Equal(t, tt.reject, msgs[0].Reject, "#%d", i)
	}
}

// TestLeaderElectionOverNetwork checks a whole election through the network:
// one leader per term, every other server a follower that knows it, and a
// new election after the leader is lost.
// Reference: section 5.2
func TestLeaderElectionOverNetwork(t *testing.T) {
	nw := newNetwork(t, 5)
	nw.campaign(1)
	for _, id := range nw.ids {
		require.Equal(t, ID(1), nw.node(id).Lead(), "%v", id)
		require.Equal(t, uint64(1), nw.node(id).Term(), "%v", id)
	}
	nw.crash(1)
	nw.campaign(3)
	require.Equal(t, Leader, nw.node(3).Role())
	require.Equal(t, uint64(2), nw.node(3).Term())
	for term, leaders := range nw.leaders {
		require.Len(t, leaders, 1, "term %d", term)
	}
}
