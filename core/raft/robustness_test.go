package raft

// Robustness: inputs from outside the protocol (bad messages, bad options,
// a bad disk) are refused with an error and change nothing.

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStepRejectsInvalidMessages checks that Step refuses a message of an
// unknown type, one addressed to another server, and one from a server that
// is not a peer, with an error and without changing the server.
func TestStepRejectsInvalidMessages(t *testing.T) {
	tests := map[string]Message{
		"type zero":        {Type: 0, From: 2, To: 1},
		"type past end":    {Type: msgTypeEnd, From: 2, To: 1},
		"type 255":         {Type: 255, From: 2, To: 1},
		"to another":       {Type: MsgApp, From: 2, To: 3},
		"to none":          {Type: MsgApp, From: 2, To: None},
		"from unknown":     {Type: MsgAppResp, From: MaxID + 1, To: 1},
		"from none":        {Type: MsgVote, From: None, To: 1},
		"from itself":      {Type: MsgVoteResp, From: 1, To: 1},
		"unknown, to none": {Type: 99, From: 7, To: None},
	}
	for _, role := range []Role{Follower, Candidate, Leader} {
		for name, m := range tests {
			t.Run(role.String()+"/"+name, func(t *testing.T) {
				n := nodeInRole(t, role)
				before := n.Status()
				var prs []Progress
				if role == Leader {
					prs = append(prs, *n.Progress(2), *n.Progress(3))
				}
				for _, term := range []uint64{before.Term - 1, before.Term, before.Term + 1} {
					m.Term = term
					m.Index, m.LogTerm, m.Commit = 100, 100, 100
					require.Error(t, n.Step(m))
				}
				require.Equal(t, before, n.Status())
				require.False(t, n.HasReady())
				if role == Leader {
					require.Equal(t, prs, []Progress{*n.Progress(2), *n.Progress(3)})
				}
			})
		}
	}
}

// TestProposeOnFollower checks that only a leader takes proposals.
func TestProposeOnFollower(t *testing.T) {
	for _, role := range []Role{Follower, PreCandidate, Candidate} {
		n := nodeInRole(t, role)
		before := n.Status()
		_, _, err := n.Propose([]byte("x"))
		require.ErrorIs(t, err, ErrNotLeader)
		require.Equal(t, before, n.Status())
		require.False(t, n.HasReady())
	}
}

// TestConfigValidate checks that Validate refuses each bad option.
func TestConfigValidate(t *testing.T) {
	good := testConfig(1, peers(3))
	require.NoError(t, good.Validate())
	tests := map[string]func(*Config){
		"zero ID":              func(c *Config) { c.ID = None },
		"too many voters":      func(c *Config) { c.Voters = peers(MaxID + 1) },
		"not a voter":          func(c *Config) { c.ID = 4 },
		"zero voter":           func(c *Config) { c.Voters = []ID{1, 0, 2} },
		"repeated voter":       func(c *Config) { c.Voters = []ID{1, 2, 2} },
		"zero heartbeat":       func(c *Config) { c.HeartbeatTicks = 0 },
		"negative heartbeat":   func(c *Config) { c.HeartbeatTicks = -1 },
		"election = heartbeat": func(c *Config) { c.ElectionTicks = c.HeartbeatTicks },
		"election < heartbeat": func(c *Config) { c.HeartbeatTicks, c.ElectionTicks = 5, 3 },
		"election too long":    func(c *Config) { c.ElectionTicks = maxElectionTicks + 1 },
		"zero inflight":        func(c *Config) { c.MaxInflightMsgs = 0 },
		"too many inflight":    func(c *Config) { c.MaxInflightMsgs = maxInflightMsgsMax + 1 },
		"negative entries":     func(c *Config) { c.MaxEntriesPerMsg = -1 },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			c := testConfig(1, peers(3))
			mutate(&c)
			require.Error(t, c.Validate())
			_, err := NewNode(c, Durable{})
			require.Error(t, err)
		})
	}
	// The edges that are allowed.
	edge := testConfig(1, peers(MaxID), func(c *Config) {
		c.ElectionTicks, c.MaxInflightMsgs, c.MaxEntriesPerMsg = maxElectionTicks, maxInflightMsgsMax, 0
	})
	require.NoError(t, edge.Validate())
	one := testConfig(1, peers(1), withMaxInflightMsgs(1))
	require.NoError(t, one.Validate())
}

// TestNewNodeRejectsBadDurable checks that a server refuses to start from a
// disk whose log has gaps or misnumbered entries, terms out of order or past
// the current term, or a commit index past the last entry.
func TestNewNodeRejectsBadDurable(t *testing.T) {
	tests := map[string]Durable{
		"gap":                {HardState: HardState{Term: 2}, Entries: []Entry{{Term: 1, Index: 1}, {Term: 2, Index: 3}}},
		"starts at 2":        {HardState: HardState{Term: 2}, Entries: []Entry{{Term: 1, Index: 2}}},
		"repeated index":     {HardState: HardState{Term: 2}, Entries: []Entry{{Term: 1, Index: 1}, {Term: 1, Index: 1}}},
		"terms decrease":     {HardState: HardState{Term: 3}, Entries: logOfTerms(1, 3, 2)},
		"term past current":  {HardState: HardState{Term: 1}, Entries: logOfTerms(1, 2)},
		"commit past end":    {HardState: HardState{Term: 2, Commit: 3}, Entries: logOfTerms(1, 2)},
		"commit, empty log":  {HardState: HardState{Term: 2, Commit: 1}},
		"index zero entries": {HardState: HardState{Term: 1}, Entries: []Entry{{Term: 1, Index: 0}}},
	}
	for name, d := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := NewNode(testConfig(1, peers(3)), d)
			require.Error(t, err)
		})
	}
	_, err := NewNode(testConfig(1, peers(3)), Durable{HardState: HardState{Term: 2, Commit: 2}, Entries: logOfTerms(1, 2)})
	require.NoError(t, err)
}
