package raft_test

// FuzzStep drives a three-server cluster with operations decoded from the
// fuzz input: deliver a pending message (in any order, twice, or never),
// duplicate one, tick, crash and restart a server from its disk, propose,
// snapshot, campaign, hand leadership over, and feed a server a mutated copy
// of a real message or a wholly synthetic one.
//
// What is fair to ask of the core (Raft assumes peers that do not lie):
//   - a malformed message (one no correct server sends: an unknown type, the
//     wrong addressee or sender, entries that do not follow prevLogIndex or
//     whose terms go back or pass the message's term, a configuration entry
//     that does not decode, a snapshot of term 0 or past the message's term, a
//     last chunk without a valid configuration) is refused by Step with an
//     error, and changes nothing;
//   - real messages, however late, repeated, reordered or lost, never break
//     Election Safety, Log Matching, Leader Completeness or State Machine
//     Safety (core/check, after every Ready);
//   - a well-formed message that lies (a mutated field, a forged sender) may
//     mislead the cluster, but no server panics, and each keeps its own
//     invariants: commit within its log, applied within commit, a term that
//     never goes back, log terms that never decrease nor pass its term, and a
//     disk it can restart from.

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"

	"smrlab/core/check"
	"smrlab/core/fsm"
	"smrlab/core/raft"
)

const (
	fuzzServers = 3
	fuzzOpsMax  = 3000
	fuzzPoolMax = 512
)

// fuzzInput hands out the fuzz input's bytes, then zeros.
type fuzzInput struct{ b []byte }

func (in *fuzzInput) byte() byte {
	if len(in.b) == 0 {
		return 0
	}
	c := in.b[0]
	in.b = in.b[1:]
	return c
}

func (in *fuzzInput) done() bool { return len(in.b) == 0 }

// server picks S1..S3.
func (in *fuzzInput) server() raft.ID { return raft.ID(in.byte()%fuzzServers + 1) }

// anyID picks any ID a message may carry, in the cluster or not.
func (in *fuzzInput) anyID() raft.ID {
	switch b := in.byte(); {
	case b < 200:
		return raft.ID(b%fuzzServers + 1)
	case b < 250:
		return raft.ID(b % (raft.MaxID + 3))
	default:
		return raft.ID(math.MaxUint32 - uint32(b&1))
	}
}

// num returns a number near orig, small, or at an edge.
func (in *fuzzInput) num(orig uint64) uint64 {
	b := in.byte()
	switch b % 4 {
	case 0:
		return orig + uint64(b>>2)%5
	case 1:
		return orig - uint64(b>>2)%5
	case 2:
		return uint64(b >> 2)
	}
	return []uint64{0, 1, math.MaxUint64, math.MaxUint64 - 1, 1 << 63, 1 << 32}[(b>>2)%6]
}

type fuzzCluster struct {
	t     *testing.T
	cfg   [fuzzServers + 1]raft.Config
	nodes [fuzzServers + 1]*raft.Node // nil while crashed
	disks [fuzzServers + 1]raft.Durable
	kvs   [fuzzServers + 1]*fsm.KV
	pool  []raft.Message
	// checker sees every Ready while every message delivered was a real one.
	checker *check.Checker
	// lied is set once a server accepted a forged or mutated message: from
	// then on only each server's own invariants are promised.
	lied bool
	// lying allows well-formed forged messages (else only malformed ones,
	// which must be refused).
	lying    bool
	maxTerm  [fuzzServers + 1]uint64
	commit   [fuzzServers + 1]uint64
	proposed int
}

func newFuzzCluster(t *testing.T, flags byte) *fuzzCluster {
	c := &fuzzCluster{t: t, checker: check.New(fuzzServers), lying: flags&1 != 0}
	for id := raft.ID(1); id <= fuzzServers; id++ {
		c.cfg[id] = raft.Config{ID: id, Voters: []raft.ID{1, 2, 3}, ElectionTicks: 10, HeartbeatTicks: 1,
			PreVote: flags&2 != 0, CheckQuorum: flags&4 != 0, MaxInflightMsgs: 1 + int(flags>>6),
			MaxEntriesPerMsg: int(flags>>3) & 3, SnapshotChunkBytes: 1 + int(flags>>5)*7, Seed: uint64(flags)}
		c.start(id)
	}
	return c
}

func (c *fuzzCluster) fatalf(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf(format, args...)
}

// start starts server id from its disk; the disk must always allow it.
func (c *fuzzCluster) start(id raft.ID) {
	c.t.Helper()
	d := c.disks[id]
	d.Entries = slices.Clone(d.Entries)
	n, err := raft.NewNode(c.cfg[id], d)
	if err != nil {
		c.fatalf("%v cannot restart from its disk: %v", id, err)
	}
	kv := fsm.NewKV()
	if d.Snapshot.Meta.Index > 0 {
		if kv, err = fsm.Restore(d.Snapshot.Data); err != nil && !c.lied {
			c.fatalf("%v: its snapshot does not decode: %v", id, err)
		} else if err != nil {
			kv = fsm.NewKV()
		}
	}
	c.nodes[id], c.kvs[id] = n, kv
	st := n.Status()
	c.commit[id] = st.Commit
	if !c.lied {
		c.fail(c.checker.Restart(id, st, c.disks[id]))
	}
	c.flush(id)
}

func (c *fuzzCluster) fail(v *check.Violation) {
	c.t.Helper()
	if v != nil && !c.lied {
		c.fatalf("invariant broken with honest messages only: %v", v)
	}
}

// flush carries out every Ready of server id on an instant disk.
func (c *fuzzCluster) flush(id raft.ID) {
	c.t.Helper()
	n := c.nodes[id]
	for n != nil && n.HasReady() {
		rd := n.Ready()
		d := &c.disks[id]
		if rd.Snapshot != nil {
			d.Snapshot = *rd.Snapshot
			d.Entries = compactDurable(d.Entries, d.Snapshot.Meta)
			if rd.Restore {
				kv, err := fsm.Restore(rd.Snapshot.Data)
				if err != nil && !c.lied {
					c.fatalf("%v installed a snapshot that does not decode: %v", id, err)
				} else if err != nil {
					kv = fsm.NewKV()
				}
				c.kvs[id] = kv
			}
		}
		if rd.HardStateChanged {
			d.HardState = rd.HardState
		}
		if k := len(rd.Entries); k > 0 {
			first, base := rd.Entries[0].Index, diskFirst(d)
			if first < base || first > base+uint64(len(d.Entries)) {
				c.fatalf("%v writes entries from %d to a disk holding %d..%d", id, first, base, base+uint64(len(d.Entries)))
			}
			d.Entries = slices.Concat(d.Entries[:first-base], rd.Entries)
		}
		for _, m := range append(slices.Clone(rd.Messages), rd.MessagesAfterPersist...) {
			if len(c.pool) < fuzzPoolMax {
				c.pool = append(c.pool, m)
			}
		}
		for _, e := range rd.Committed {
			_, _ = c.kvs[id].Apply(e.Index, e.Data)
		}
		if !c.lied {
			c.fail(c.checker.Observe(id, n.Status(), &rd))
			if rd.Restore || len(rd.Committed) > 0 {
				c.fail(c.checker.StateHash(id, c.kvs[id].Applied(), c.kvs[id].Hash()))
			}
			if rd.Snapshot != nil {
				c.checker.SnapshotDurable(id, rd.Snapshot.Meta.Index)
			}
		}
		if k := len(rd.Entries); k > 0 {
			n.StorageAppended(rd.Entries[k-1].Index, rd.Entries[k-1].Term)
		}
	}
}

// compactDurable keeps the durable entries that follow a snapshot: those
// after its last entry if the log holds it, none otherwise (paper §7).
func compactDurable(ents []raft.Entry, snap raft.SnapshotMeta) []raft.Entry {
	if len(ents) == 0 || snap.Index < ents[0].Index {
		return ents
	}
	if k := snap.Index - ents[0].Index; k < uint64(len(ents)) && ents[k].Term == snap.Term {
		return slices.Clone(ents[k+1:])
	}
	return nil
}

func diskFirst(d *raft.Durable) uint64 {
	if len(d.Entries) > 0 {
		return d.Entries[0].Index
	}
	return d.Snapshot.Meta.Index + 1
}

// local checks what each running server must keep true whatever it was told.
func (c *fuzzCluster) local() {
	c.t.Helper()
	for id := raft.ID(1); id <= fuzzServers; id++ {
		n := c.nodes[id]
		if n == nil {
			continue
		}
		st := n.Status()
		switch {
		case st.Commit > st.LastIndex:
			c.fatalf("%v: commit %d past its last index %d", id, st.Commit, st.LastIndex)
		case st.Applied > st.Commit:
			c.fatalf("%v: applied %d past commit %d", id, st.Applied, st.Commit)
		case st.SnapshotIndex > st.Commit:
			c.fatalf("%v: snapshot at %d past commit %d", id, st.SnapshotIndex, st.Commit)
		case st.Term < c.maxTerm[id]:
			c.fatalf("%v: term went back from %d to %d", id, c.maxTerm[id], st.Term)
		case st.Commit < c.commit[id]:
			c.fatalf("%v: commit went back from %d to %d", id, c.commit[id], st.Commit)
		case st.LastTerm > st.Term || st.SnapshotTerm > st.Term:
			c.fatalf("%v: its log holds term %d (snapshot %d), past its term %d", id, st.LastTerm, st.SnapshotTerm, st.Term)
		}
		c.maxTerm[id], c.commit[id] = st.Term, st.Commit
		prev := st.SnapshotTerm
		for i, e := range n.Entries(st.SnapshotIndex+1, st.LastIndex+1) {
			if e.Index != st.SnapshotIndex+1+uint64(i) || e.Term < prev || e.Term == 0 {
				c.fatalf("%v: log entry %d is index %d term %d after term %d", id, st.SnapshotIndex+1+uint64(i),
					e.Index, e.Term, prev)
			}
			prev = e.Term
		}
	}
}

// restartable checks that every server's disk would start a server.
func (c *fuzzCluster) restartable() {
	c.t.Helper()
	for id := raft.ID(1); id <= fuzzServers; id++ {
		d := c.disks[id]
		d.Entries = slices.Clone(d.Entries)
		if _, err := raft.NewNode(c.cfg[id], d); err != nil {
			c.fatalf("%v could not restart from its disk: %v", id, err)
		}
	}
}

// take removes and returns the pending message the input picks.
func (c *fuzzCluster) pick(in *fuzzInput) (int, bool) {
	if len(c.pool) == 0 {
		return 0, false
	}
	i := int(in.byte()) | int(in.byte())<<8
	return i % len(c.pool), true
}

func (c *fuzzCluster) remove(i int) raft.Message {
	m := c.pool[i]
	c.pool = slices.Delete(c.pool, i, i+1)
	return m
}

// deliver hands a real message to its addressee, which must take it.
func (c *fuzzCluster) deliver(m raft.Message) {
	c.t.Helper()
	if m.To == raft.None || m.To > fuzzServers || c.nodes[m.To] == nil {
		// A crashed server, or one a forged sender made up.
		return
	}
	n := c.nodes[m.To]
	if err := n.Step(m); err != nil && !c.lied {
		// (A server misled by a lie may send what a correct one refuses.)
		c.fatalf("%v refused a real message %v: %v", m.To, m, err)
	}
	c.flush(m.To)
}

// forge hands a forged message to server to. A malformed one must be
// refused and change nothing; a well-formed one is delivered only when the
// input allows lying, and then the cluster may be misled.
func (c *fuzzCluster) forge(to raft.ID, m raft.Message) {
	c.t.Helper()
	if to == raft.None || to > fuzzServers || c.nodes[to] == nil {
		return
	}
	n := c.nodes[to]
	why := malformed(to, m)
	if why == "" && !c.lying {
		return
	}
	before := n.Status()
	err := n.Step(m)
	if why != "" {
		if err == nil {
			c.fatalf("%v took a malformed message (%s): %v %+v", to, why, m, m)
		}
		if after := n.Status(); !statusEqual(before, after) || n.HasReady() {
			c.fatalf("%v refused a malformed message (%s) but changed:\n%+v\n%+v", to, why, before, after)
		}
		return
	}
	if err == nil {
		c.lied = true
	}
	c.flush(to)
}

func statusEqual(a, b raft.Status) bool { return reflect.DeepEqual(a, b) }

// malformed says why no correct server could send m to server to, or "".
func malformed(to raft.ID, m raft.Message) string {
	switch {
	case !m.Type.Valid():
		return "unknown type"
	case m.To != to:
		return "addressed to another"
	case m.From == raft.None || m.From > raft.MaxID || m.From == to:
		return "sender not a peer"
	case m.Term == 0 && m.Type != raft.MsgPreVoteResp:
		return "term 0"
	case max(m.Term, m.LogTerm, m.Index, m.Commit, m.Hint) > raft.NumberMax:
		return "a number past NumberMax"
	}
	switch m.Type {
	case raft.MsgApp:
		if m.Index+uint64(len(m.Entries)) > raft.NumberMax {
			return "entries past NumberMax"
		}
		prev := m.LogTerm
		for i, e := range m.Entries {
			switch {
			case e.Index != m.Index+1+uint64(i):
				return "entries out of place"
			case e.Term == 0 || e.Term > m.Term || e.Term < prev:
				return "entry terms out of order"
			case e.Type > raft.EntryConfig:
				return "entry of unknown type"
			}
			if e.Type == raft.EntryConfig {
				if _, err := raft.DecodeConfig(e.Data); err != nil {
					return "configuration entry does not decode"
				}
			}
			prev = e.Term
		}
	case raft.MsgSnap:
		switch {
		case m.Index == 0 || m.LogTerm == 0 || m.LogTerm > m.Term:
			return "snapshot index or term out of range"
		case m.Offset+uint64(len(m.Data)) < m.Offset:
			return "chunk past the end"
		case m.Done && m.Config == nil:
			return "last chunk without a configuration"
		case m.Done && m.Config.Validate() != nil:
			return "last chunk with an invalid configuration"
		}
	}
	return ""
}

// mutate returns a copy of m with one field changed as the input says.
func mutate(in *fuzzInput, m raft.Message) raft.Message {
	m.Entries = slices.Clone(m.Entries)
	m.Data = slices.Clone(m.Data)
	if m.Config != nil {
		cfg := m.Config.Clone()
		m.Config = &cfg
	}
	entry := func() *raft.Entry {
		if len(m.Entries) == 0 {
			return nil
		}
		return &m.Entries[int(in.byte())%len(m.Entries)]
	}
	switch in.byte() % 18 {
	case 0:
		m.Term = in.num(m.Term)
	case 1:
		m.Index = in.num(m.Index)
	case 2:
		m.LogTerm = in.num(m.LogTerm)
	case 3:
		m.Commit = in.num(m.Commit)
	case 4:
		m.Reject = !m.Reject
	case 5:
		m.From = in.anyID()
	case 6:
		m.To = in.anyID()
	case 7:
		m.Type = raft.MsgType(in.byte() % 14)
	case 8:
		if e := entry(); e != nil {
			e.Term = in.num(e.Term)
		}
	case 9:
		if e := entry(); e != nil {
			e.Index = in.num(e.Index)
		}
	case 10:
		m.Entries = append(m.Entries, synthEntry(in))
	case 11:
		if len(m.Entries) > 0 {
			m.Entries = m.Entries[:int(in.byte())%len(m.Entries)]
		}
	case 12:
		m.Offset = in.num(m.Offset)
	case 13:
		m.Data = append(m.Data[:int(in.byte())%(len(m.Data)+1)], bytes.Repeat([]byte{in.byte()}, int(in.byte()%8))...)
	case 14:
		m.Done = !m.Done
	case 15:
		m.Config = synthConfig(in)
	case 16:
		m.Size, m.Hint = in.num(m.Size), in.num(m.Hint)
	case 17:
		if e := entry(); e != nil {
			e.Type, e.Data = raft.EntryType(in.byte()%4), synthData(in)
		}
	}
	return m
}

func synthEntry(in *fuzzInput) raft.Entry {
	return raft.Entry{Term: in.num(1), Index: in.num(1), Type: raft.EntryType(in.byte() % 4), Data: synthData(in)}
}

// synthData is a command, a configuration, or bytes.
func synthData(in *fuzzInput) []byte {
	switch b := in.byte(); b % 3 {
	case 0:
		return fsm.Command{Op: fsm.OpPut, Key: "k", Value: string(rune('a' + b%26))}.Encode(nil)
	case 1:
		cfg := synthConfig(in)
		if cfg == nil {
			return nil
		}
		return raft.EncodeConfig(cfg)
	default:
		return bytes.Repeat([]byte{b}, int(in.byte()%6))
	}
}

func synthConfig(in *fuzzInput) *raft.Configuration {
	switch b := in.byte(); b % 4 {
	case 0:
		return nil
	case 1:
		return &raft.Configuration{Voters: []raft.ID{1, 2, 3}}
	case 2:
		return &raft.Configuration{Voters: []raft.ID{raft.ID(b>>2) % 12}, Learners: []raft.ID{1}}
	default:
		return &raft.Configuration{Voters: []raft.ID{3, 1}}
	}
}

// synthetic builds a whole message from the input.
func synthetic(in *fuzzInput, to raft.ID) raft.Message {
	m := raft.Message{Type: raft.MsgType(in.byte() % 14), From: in.anyID(), To: to, Term: in.num(1),
		Index: in.num(1), LogTerm: in.num(1), Commit: in.num(0), Reject: in.byte()&1 == 1, Hint: in.num(0),
		Context: in.num(0), Offset: in.num(0), Size: in.num(4)}
	if in.byte()&3 == 0 {
		m.To = in.anyID()
	}
	for range in.byte() % 4 {
		m.Entries = append(m.Entries, synthEntry(in))
	}
	m.Data = synthData(in)
	m.Done = in.byte()&1 == 1
	m.Config = synthConfig(in)
	return m
}

func (c *fuzzCluster) leader() *raft.Node {
	var lead *raft.Node
	for _, n := range c.nodes {
		if n != nil && n.Role() == raft.Leader && (lead == nil || n.Term() > lead.Term()) {
			lead = n
		}
	}
	return lead
}

// op runs one operation decoded from the input.
func (c *fuzzCluster) op(in *fuzzInput) {
	c.t.Helper()
	switch in.byte() % 20 {
	case 0, 1, 2, 3:
		if i, ok := c.pick(in); ok {
			c.deliver(c.remove(i))
		}
	case 4:
		if len(c.pool) > 0 {
			c.deliver(c.remove(0))
		}
	case 5:
		// Deliver and keep it: it will come again later.
		if i, ok := c.pick(in); ok {
			c.deliver(c.pool[i])
		}
	case 6:
		if i, ok := c.pick(in); ok && len(c.pool) < fuzzPoolMax {
			c.pool = append(c.pool, c.pool[i])
		}
	case 7:
		if i, ok := c.pick(in); ok {
			c.remove(i)
		}
	case 8, 9:
		id := in.server()
		for range in.byte()%12 + 1 {
			if n := c.nodes[id]; n != nil {
				n.Tick()
				c.flush(id)
			}
		}
	case 10:
		n := c.leader()
		if b := in.byte(); b&1 == 1 {
			n = c.nodes[raft.ID(b>>1)%fuzzServers+1]
		}
		if n != nil {
			c.proposed++
			data := fsm.Command{Op: fsm.OpPut, Key: fmt.Sprint("k", c.proposed%3), Value: fmt.Sprint(c.proposed)}.Encode(nil)
			_, _, _ = n.Propose(data)
			c.flush(n.ID())
		}
	case 11:
		id := in.server()
		if c.nodes[id] != nil {
			c.nodes[id] = nil
			if !c.lied {
				c.checker.Crash(id)
			}
		}
	case 12:
		if id := in.server(); c.nodes[id] == nil {
			c.start(id)
		}
	case 13:
		id := in.server()
		if n := c.nodes[id]; n != nil {
			if st := n.Status(); st.Applied > st.SnapshotIndex {
				if err := n.CreateSnapshot(c.kvs[id].Applied(), c.kvs[id].Snapshot()); err != nil {
					c.fatalf("%v: snapshot at its applied index %d: %v", id, st.Applied, err)
				}
				c.flush(id)
			}
		}
	case 14:
		if n := c.nodes[in.server()]; n != nil {
			n.Campaign()
			c.flush(n.ID())
		}
	case 15:
		if n := c.leader(); n != nil {
			_ = n.TransferLeadership(in.server())
			c.flush(n.ID())
		}
	case 16, 17:
		if i, ok := c.pick(in); ok {
			m := c.pool[i]
			c.forge(m.To, mutate(in, m))
		}
	case 18:
		to := in.server()
		c.forge(to, synthetic(in, to))
	case 19:
		// Reorder: the oldest pending message goes last.
		if len(c.pool) > 1 {
			c.pool = append(c.pool[1:], c.pool[0])
		}
	}
	c.local()
}

// honestRun is an input of honest operations: elections, proposals,
// deliveries in order, a crash, a restart and snapshots.
func honestRun() []byte {
	in := []byte{6}
	round := func(propose bool) {
		in = append(in, 8, 0, 0, 8, 1, 0, 8, 2, 0) // a tick on each server
		for range 12 {
			in = append(in, 4) // deliver the oldest message
		}
		if propose {
			in = append(in, 10, 0)
		}
	}
	for i := range 40 {
		round(i > 25)
	}
	in = append(in, 11, 1) // crash S2
	for range 5 {
		round(true)
	}
	in = append(in, 12, 1, 13, 0, 13, 2) // restart S2; S1 and S3 snapshot
	for range 10 {
		round(true)
	}
	return in
}

// TestFuzzStepHarness: the honest seed elects a leader and commits what it
// proposes, so the fuzz target starts from a working cluster.
func TestFuzzStepHarness(t *testing.T) {
	in := &fuzzInput{b: honestRun()}
	c := newFuzzCluster(t, in.byte())
	for !in.done() {
		c.op(in)
	}
	if c.leader() == nil || c.leader().Commit() < 10 || c.lied {
		t.Fatalf("the honest run ends without a leader that committed its proposals (lied %v)", c.lied)
	}
}

func FuzzStep(f *testing.F) {
	honest := honestRun()
	f.Add(honest)
	lying := slices.Clone(honest)
	lying[0] = 7
	for i := range 40 {
		lying = append(lying, 16, byte(i), 0, byte(i*7), byte(i*13), 18, byte(i), byte(i*3), byte(i*5), 4, 4)
	}
	f.Add(lying)
	f.Add([]byte{0, 14, 0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 16, 0, 0, 10, 3, 2, 4, 4, 18, 1, 5, 3, 9, 9, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := &fuzzInput{b: data}
		c := newFuzzCluster(t, in.byte())
		for i := 0; i < fuzzOpsMax && !in.done(); i++ {
			c.op(in)
		}
		c.restartable()
	})
}

// TestStepRefusesMalformedEntries: an AppendEntries whose entries do not
// follow prevLogIndex, whose terms go back or pass the message's term, or
// whose configuration entry does not decode, is refused and changes nothing.
func TestStepRefusesMalformedEntries(t *testing.T) {
	cfg := raft.Config{ID: 1, Voters: []raft.ID{1, 2, 3}, ElectionTicks: 10, HeartbeatTicks: 1, MaxInflightMsgs: 8}
	app := func(index, logTerm uint64, ents ...raft.Entry) raft.Message {
		return raft.Message{Type: raft.MsgApp, From: 2, To: 1, Term: 3, Index: index, LogTerm: logTerm, Entries: ents, Commit: 1}
	}
	tests := map[string]raft.Message{
		"gap":                   app(1, 1, raft.Entry{Index: 3, Term: 3}),
		"repeated index":        app(1, 1, raft.Entry{Index: 2, Term: 2}, raft.Entry{Index: 2, Term: 2}),
		"terms go back":         app(1, 1, raft.Entry{Index: 2, Term: 3}, raft.Entry{Index: 3, Term: 2}),
		"term past the message": app(1, 1, raft.Entry{Index: 2, Term: 4}),
		"term zero":             app(1, 1, raft.Entry{Index: 2, Term: 0}),
		"before prevLogTerm":    app(2, 2, raft.Entry{Index: 3, Term: 1}),
		"index wraps":           app(math.MaxUint64, 1, raft.Entry{Index: 0, Term: 1}),
		"index past the bound":  app(raft.NumberMax, 1, raft.Entry{Index: raft.NumberMax + 1, Term: 1}),
		"term past the bound":   {Type: raft.MsgVote, From: 2, To: 1, Term: raft.NumberMax + 1},
		"commit past the bound": {Type: raft.MsgHeartbeat, From: 2, To: 1, Term: 3, Commit: math.MaxUint64},
		"unknown entry type":    app(1, 1, raft.Entry{Index: 2, Term: 3, Type: 7}),
		"bad configuration":     app(1, 1, raft.Entry{Index: 2, Term: 3, Type: raft.EntryConfig, Data: []byte{1, 5}}),
		"term zero message":     {Type: raft.MsgHeartbeat, From: 2, To: 1},
		"snapshot of term 0":    {Type: raft.MsgSnap, From: 2, To: 1, Term: 3, Index: 5, Size: 1, Data: []byte{1}},
		"snapshot past term":    {Type: raft.MsgSnap, From: 2, To: 1, Term: 3, Index: 5, LogTerm: 4},
		"snapshot without config": {Type: raft.MsgSnap, From: 2, To: 1, Term: 3, Index: 5, LogTerm: 2, Size: 1,
			Data: []byte{1}, Done: true},
		"snapshot, bad config": {Type: raft.MsgSnap, From: 2, To: 1, Term: 3, Index: 5, LogTerm: 2, Size: 1,
			Data: []byte{1}, Done: true, Config: &raft.Configuration{Voters: []raft.ID{2, 1}}},
		"chunk wraps": {Type: raft.MsgSnap, From: 2, To: 1, Term: 3, Index: 5, LogTerm: 2, Offset: math.MaxUint64,
			Data: []byte{1, 2}},
	}
	for name, m := range tests {
		t.Run(name, func(t *testing.T) {
			require := func(ok bool, format string, args ...any) {
				t.Helper()
				if !ok {
					t.Fatalf(format, args...)
				}
			}
			n, err := raft.NewNode(cfg, raft.Durable{HardState: raft.HardState{Term: 2, Commit: 1},
				Entries: []raft.Entry{{Index: 1, Term: 1}, {Index: 2, Term: 2}}})
			require(err == nil, "%v", err)
			n.Ready()
			before := n.Status()
			require(malformed(1, m) != "", "the fuzz target's rule calls %v well-formed", m)
			require(n.Step(m) != nil, "Step took %+v", m)
			require(statusEqual(before, n.Status()) && !n.HasReady(), "Step refused %v but changed the server", m)
		})
	}
}
