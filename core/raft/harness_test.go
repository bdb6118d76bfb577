package raft

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The timeouts of every test node, in ticks.
const (
	testElectionTicks  = 10
	testHeartbeatTicks = 1
)

// peers returns the IDs S1..Sn.
func peers(n int) []ID {
	ids := make([]ID, n)
	for i := range ids {
		ids[i] = ID(i + 1)
	}
	return ids
}

type configOption func(*Config)

func withPreVote(c *Config)     { c.PreVote = true }
func withCheckQuorum(c *Config) { c.CheckQuorum = true }

func withBugs(bugs ...Bug) configOption {
	return func(c *Config) {
		for _, b := range bugs {
			c.Bugs = c.Bugs.With(b)
		}
	}
}

func withMaxEntriesPerMsg(k int) configOption { return func(c *Config) { c.MaxEntriesPerMsg = k } }
func withMaxInflightMsgs(k int) configOption  { return func(c *Config) { c.MaxInflightMsgs = k } }
func withSeed(seed uint64) configOption       { return func(c *Config) { c.Seed = seed } }
func withSnapshotChunkBytes(k int) configOption {
	return func(c *Config) { c.SnapshotChunkBytes = k }
}
func withSingleServerChanges(c *Config) { c.SingleServerChanges = true }

func testConfig(id ID, voters []ID, opts ...configOption) Config {
	c := Config{
		ID: id, Voters: voters,
		ElectionTicks: testElectionTicks, HeartbeatTicks: testHeartbeatTicks,
		MaxInflightMsgs: 256, Seed: 1,
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

func newTestNode(t testing.TB, cfg Config, d Durable) *Node {
	t.Helper()
	n, err := NewNode(cfg, d)
	require.NoError(t, err)
	return n
}

// logOfTerms builds a log whose entry i+1 has terms[i].
func logOfTerms(terms ...uint64) []Entry {
	ents := make([]Entry, len(terms))
	for i, term := range terms {
		ents[i] = Entry{Term: term, Index: uint64(i + 1)}
	}
	return ents
}

// logTerms lists the terms of a node's whole log, the way the paper's figures draw it.
func logTerms(n *Node) []uint64 {
	var terms []uint64
	for _, e := range n.Entries(1, n.LastIndex()+1) {
		terms = append(terms, e.Term)
	}
	return terms
}

// takeReady returns the node's Ready with its slices copied, since the node
// reuses them on its next call.
func takeReady(n *Node) Ready {
	rd := n.Ready()
	rd.Entries = slices.Clone(rd.Entries)
	rd.Messages = slices.Clone(rd.Messages)
	rd.MessagesAfterPersist = slices.Clone(rd.MessagesAfterPersist)
	rd.Committed = slices.Clone(rd.Committed)
	return rd
}

// drain takes every Ready of n as an instantly durable disk would: it reports
// each Ready's entries durable with StorageAppended before it releases the
// messages that wait for persistence. It returns the messages in send order.
func drain(t testing.TB, n *Node) []Message {
	t.Helper()
	var out []Message
	for n.HasReady() {
		rd := takeReady(n)
		if k := len(rd.Entries); k > 0 {
			n.StorageAppended(rd.Entries[k-1].Index, rd.Entries[k-1].Term)
		}
		out = append(out, rd.Messages...)
		out = append(out, rd.MessagesAfterPersist...)
	}
	return out
}

// ofType keeps the messages of type typ.
func ofType(msgs []Message, typ MsgType) []Message {
	var out []Message
	for _, m := range msgs {
		if m.Type == typ {
			out = append(out, m)
		}
	}
	return out
}

// step feeds n one message and requires that Step accepts it.
func step(t testing.TB, n *Node, m Message) {
	t.Helper()
	require.NoError(t, n.Step(m))
}

// electLeader makes n the leader: it campaigns and every other voter grants
// its (pre-)votes. The leader's first appends are drained and dropped.
func electLeader(t testing.TB, n *Node) {
	t.Helper()
	n.Campaign()
	for range 2 {
		for _, m := range drain(t, n) {
			switch m.Type {
			case MsgPreVote:
				step(t, n, Message{Type: MsgPreVoteResp, From: m.To, To: n.ID(), Term: m.Term})
			case MsgVote:
				step(t, n, Message{Type: MsgVoteResp, From: m.To, To: n.ID(), Term: m.Term})
			}
		}
	}
	require.Equal(t, Leader, n.Role(), "electLeader: %v did not win", n.ID())
	drain(t, n)
}

// ackAppend answers for follower from that it holds the leader's log up to index.
func ackAppend(t testing.TB, leader *Node, from ID, index uint64) {
	t.Helper()
	step(t, leader, Message{Type: MsgAppResp, From: from, To: leader.ID(), Term: leader.Term(), Index: index})
}

// network connects test nodes and delivers every message at once, in FIFO
// order. Each node's disk is instantly durable, and the network honours the
// persistence contract: a Ready's MessagesAfterPersist leave only after its
// HardState and Entries are on the disk and StorageAppended has been called.
// It also checks the contract: a vote or an append acknowledgement released
// after persistence must be backed by what the disk holds.
type network struct {
	t     testing.TB
	ids   []ID
	cfgs  map[ID]Config
	nodes map[ID]*Node // nil while crashed
	disks map[ID]*Durable
	cut   map[[2]ID]bool
	// drop, when set, drops every message for which it returns true.
	drop func(Message) bool
	// delivered records every message handed to a node, in order.
	delivered []Message
	// applied is the first entry any node applied at each index.
	applied map[uint64]Entry
	// safety lists State Machine Safety violations: two different entries
	// applied at one index.
	safety []string
	// leaders records every server that was leader, per term.
	leaders map[uint64][]ID
	// observe, when set, sees every Ready a node hands out, before the
	// network carries it out (its slices are valid only during the call).
	observe func(id ID, rd Ready)
}

func newNetwork(t testing.TB, size int, opts ...configOption) *network {
	return newNetworkFrom(t, size, nil, opts...)
}

// newNetworkFrom starts each server from its Durable in durables (empty if absent).
func newNetworkFrom(t testing.TB, size int, durables map[ID]Durable, opts ...configOption) *network {
	t.Helper()
	return newNetworkOf(t, size, peers(size), durables, opts...)
}

// newNetworkWithVoters connects S1..S<size>: the servers in voters start
// with that configuration, the others with none, as servers that are yet to
// join the cluster (they learn their configuration from the leader).
func newNetworkWithVoters(t testing.TB, size int, voters []ID, opts ...configOption) *network {
	t.Helper()
	return newNetworkOf(t, size, voters, nil, opts...)
}

func newNetworkOf(t testing.TB, size int, voters []ID, durables map[ID]Durable, opts ...configOption) *network {
	t.Helper()
	nw := &network{
		t: t, ids: peers(size),
		cfgs: map[ID]Config{}, nodes: map[ID]*Node{}, disks: map[ID]*Durable{},
		cut: map[[2]ID]bool{}, applied: map[uint64]Entry{}, leaders: map[uint64][]ID{},
	}
	for _, id := range nw.ids {
		if slices.Contains(voters, id) {
			nw.cfgs[id] = testConfig(id, voters, opts...)
		} else {
			nw.cfgs[id] = testConfig(id, nil, opts...)
		}
		d := durables[id]
		d.Entries = slices.Clone(d.Entries)
		nw.disks[id] = &d
		nw.nodes[id] = newTestNode(t, nw.cfgs[id], d)
	}
	return nw
}

func (nw *network) node(id ID) *Node { return nw.nodes[id] }

func (nw *network) tick(id ID, ticks int) {
	for range ticks {
		nw.nodes[id].Tick()
		nw.send(nw.flush(id)...)
	}
}

func (nw *network) campaign(id ID) {
	nw.nodes[id].Campaign()
	nw.send(nw.flush(id)...)
}

func (nw *network) propose(id ID, data string) uint64 {
	nw.t.Helper()
	index, _, err := nw.nodes[id].Propose([]byte(data))
	require.NoError(nw.t, err)
	nw.send(nw.flush(id)...)
	return index
}

// isolate cuts every link to and from id.
func (nw *network) isolate(id ID) {
	for _, other := range nw.ids {
		if other != id {
			nw.cut[[2]ID{id, other}] = true
			nw.cut[[2]ID{other, id}] = true
		}
	}
}

// heal restores every link and removes the drop filter.
func (nw *network) heal() {
	clear(nw.cut)
	nw.drop = nil
}

// crash stops id; its disk keeps what was durable (everything, here).
func (nw *network) crash(id ID) { nw.nodes[id] = nil }

// restart starts id again from its disk.
func (nw *network) restart(id ID) {
	d := *nw.disks[id]
	d.Entries = slices.Clone(d.Entries)
	nw.nodes[id] = newTestNode(nw.t, nw.cfgs[id], d)
	nw.send(nw.flush(id)...)
}

// send delivers msgs, and everything they cause, until the network is quiet.
func (nw *network) send(msgs ...Message) {
	nw.t.Helper()
	queue := slices.Clone(msgs)
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		if nw.nodes[m.To] == nil || nw.cut[[2]ID{m.From, m.To}] || (nw.drop != nil && nw.drop(m)) {
			continue
		}
		nw.delivered = append(nw.delivered, m)
		require.NoError(nw.t, nw.nodes[m.To].Step(m))
		queue = append(queue, nw.flush(m.To)...)
	}
}

// flush carries out every Ready of id and returns the messages to send.
func (nw *network) flush(id ID) []Message {
	nw.t.Helper()
	n := nw.nodes[id]
	var out []Message
	for n.HasReady() {
		rd := n.Ready()
		if nw.observe != nil {
			nw.observe(id, rd)
		}
		// Copy the messages now: the node reuses these slices.
		out = append(out, rd.Messages...)
		after := slices.Clone(rd.MessagesAfterPersist)
		nw.persist(id, rd)
		if k := len(rd.Entries); k > 0 {
			n.StorageAppended(rd.Entries[k-1].Index, rd.Entries[k-1].Term)
		}
		nw.checkDurable(id, after)
		out = append(out, after...)
		nw.apply(id, rd.Committed)
		if n.Role() == Leader && !slices.Contains(nw.leaders[n.Term()], id) {
			nw.leaders[n.Term()] = append(nw.leaders[n.Term()], id)
		}
	}
	return out
}

// persist writes a Ready to id's disk: the snapshot first, then the log
// entries it covers are dropped (all of them if the log does not hold its
// last entry, paper §7), then the hard state and the new entries.
func (nw *network) persist(id ID, rd Ready) {
	d := nw.disks[id]
	if rd.Snapshot != nil {
		d.Snapshot = *rd.Snapshot
		d.Entries = compactDurable(d.Entries, d.Snapshot.Meta)
	}
	if rd.HardStateChanged {
		d.HardState = rd.HardState
	}
	if len(rd.Entries) > 0 {
		first, base := rd.Entries[0].Index, diskFirst(d)
		require.LessOrEqual(nw.t, first, base+uint64(len(d.Entries)), "%v: a write would leave a gap on disk", id)
		require.GreaterOrEqual(nw.t, first, base, "%v: a write reaches before the durable log", id)
		d.Entries = slices.Concat(d.Entries[:first-base], rd.Entries)
	}
}

// compactDurable returns the durable entries that follow a snapshot: those
// after its last entry if the log holds that entry, none otherwise.
func compactDurable(ents []Entry, snap SnapshotMeta) []Entry {
	if len(ents) == 0 || snap.Index < ents[0].Index {
		return ents
	}
	first := ents[0].Index
	if k := snap.Index - first; k < uint64(len(ents)) && ents[k].Term == snap.Term {
		return slices.Clone(ents[k+1:])
	}
	return nil
}

// diskFirst is the index the durable log starts at.
func diskFirst(d *Durable) uint64 {
	if len(d.Entries) > 0 {
		return d.Entries[0].Index
	}
	return d.Snapshot.Meta.Index + 1
}

// diskLast is the index of the last durable entry, or of the snapshot.
func diskLast(d *Durable) uint64 { return diskFirst(d) + uint64(len(d.Entries)) - 1 }

// checkDurable checks that what a message released after persistence rests
// on is on the disk.
func (nw *network) checkDurable(id ID, msgs []Message) {
	d := nw.disks[id]
	forgetsVote := nw.cfgs[id].Bugs.Has(BugForgetVoteOnRestart)
	for _, m := range msgs {
		switch {
		case m.Type == MsgVote:
			require.Equal(nw.t, m.Term, d.HardState.Term, "%v sent %v before its term was durable", id, m)
			if !forgetsVote {
				require.Equal(nw.t, id, d.HardState.Vote, "%v sent %v before its own vote was durable", id, m)
			}
		case m.Type == MsgVoteResp && !m.Reject:
			require.Equal(nw.t, m.Term, d.HardState.Term, "%v sent %v before its term was durable", id, m)
			if !forgetsVote {
				require.Equal(nw.t, m.To, d.HardState.Vote, "%v sent %v before its vote was durable", id, m)
			}
		case m.Type == MsgAppResp && !m.Reject && m.Index > d.Snapshot.Meta.Index:
			require.GreaterOrEqual(nw.t, diskLast(d), m.Index, "%v acknowledged %v before it was durable", id, m)
			term, _ := nw.nodes[id].log.term(m.Index)
			require.Equal(nw.t, term, d.Entries[m.Index-diskFirst(d)].Term, "%v acknowledged %v, disk differs", id, m)
		case m.Type == MsgSnapResp && m.Done:
			require.GreaterOrEqual(nw.t, diskLast(d), m.Commit, "%v answered %v before it was durable", id, m)
		}
	}
}

// apply records the entries id applies and notes any index at which two
// servers applied different entries (State Machine Safety, paper §5.4.3).
func (nw *network) apply(id ID, ents []Entry) {
	for _, e := range ents {
		prev, ok := nw.applied[e.Index]
		if !ok {
			nw.applied[e.Index] = e
			continue
		}
		if prev.Term != e.Term || prev.Type != e.Type || string(prev.Data) != string(e.Data) {
			nw.safety = append(nw.safety, fmt.Sprintf("%v applied index %d term %d, another server applied term %d",
				id, e.Index, e.Term, prev.Term))
		}
	}
}

// count returns how many delivered messages satisfy match.
func (nw *network) count(match func(Message) bool) int {
	k := 0
	for _, m := range nw.delivered {
		if match(m) {
			k++
		}
	}
	return k
}

// requireLogsEqual checks that every running server holds the same log.
func (nw *network) requireLogsEqual(ids ...ID) {
	nw.t.Helper()
	want := nw.nodes[ids[0]]
	for _, id := range ids[1:] {
		n := nw.nodes[id]
		require.Equal(nw.t, want.Entries(1, want.LastIndex()+1), n.Entries(1, n.LastIndex()+1),
			"logs of %v and %v differ", ids[0], id)
	}
}
