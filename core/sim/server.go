package sim

import (
	"fmt"

	"smrlab/core/check"
	"smrlab/core/fsm"
	"smrlab/core/raft"
	"smrlab/core/trace"
)

// server is one machine: a Raft node, its disk, its state machine and its clock.
type server struct {
	id   raft.ID
	idx  int
	opts NodeOptions
	node *raft.Node // nil while crashed
	disk *disk
	kv   *fsm.KV
	gen  uint32 // incarnation: bumped by every crash

	paused bool
	inbox  []*item // deliveries held while paused

	tickMicros int64
	driftPPM   int64
	skewMicros int64

	// last is the status after the previous input, to record what changed.
	last raft.Status
	// pending maps a log index to the client operation proposed there.
	pending map[uint64]pendingOp
	// appendedAt remembers when this server, as leader, appended each entry
	// not yet committed (for the quorum acknowledgement latency).
	appendedAt []appended
	// snapFailures is the node's count of failed snapshot transfers seen so
	// far; snapStart when the leader sent the first chunk of the snapshot
	// this server is receiving.
	snapFailures uint64
	snapStart    int64
	// reads are the reads this server took on and has not yet answered.
	reads   []*pendingRead
	readCtx uint64
}

type appended struct {
	index uint64
	at    int64
}

type pendingOp struct {
	client int
	op     uint64
	term   uint64
}

// tickInterval is the virtual time between two ticks of this server's
// clock: drift makes it run fast or slow.
func (s *server) tickInterval() int64 {
	t := s.tickMicros * (PPM + s.driftPPM) / PPM
	return max(t, 1)
}

func (w *World) start(s *server) error {
	seed1, _ := streamSeed(w.cfg.Seed, streamTimeouts, uint64(s.id), uint64(s.gen))
	rc := raftConfig(s.id, w.cfg.members(), s.opts, seed1)
	s.disk.recover()
	kv := fsm.NewKV()
	if snap := s.disk.durable.Snapshot; snap.Meta.Index > 0 {
		var err error
		if kv, err = fsm.Restore(snap.Data); err != nil {
			return fmt.Errorf("%v: snapshot at %d: %w", s.id, snap.Meta.Index, err)
		}
	}
	node, err := raft.NewNode(rc, s.disk.state())
	if err != nil {
		return fmt.Errorf("%v: %w", s.id, err)
	}
	s.node = node
	kv.NoDedup = s.opts.Bugs.Has(raft.BugNoSessionDedup)
	s.kv = kv
	s.snapFailures = 0
	s.last = node.Status()
	w.scheduleTick(s)
	return nil
}

func (w *World) scheduleTick(s *server) {
	if !w.ticks() {
		return
	}
	it := w.q.newItem(w.now+s.tickInterval(), itemTick, s.idx)
	it.gen = s.gen
	w.q.push(it)
}

func (w *World) tick(s *server) {
	w.record(trace.Event{Kind: trace.Tick, Node: uint32(s.id)})
	wasLeader := s.node.Role() == raft.Leader
	s.node.Tick()
	if st := s.node.Status(); st.Role != raft.Leader && st.ElectionElapsed == 0 {
		e := trace.Event{Kind: trace.Timeout, Node: uint32(s.id), Term: st.Term}
		if wasLeader {
			e.Text = "CheckQuorum: no quorum heard for an election timeout, stepping down"
		}
		w.record(e)
	}
	w.flush(s)
	w.scheduleTick(s)
	if len(w.changes) > 0 && s.node != nil && s.node.Role() == raft.Leader {
		w.advanceChanges()
	}
}

// flush carries out everything the node asks for, until it asks for nothing.
func (w *World) flush(s *server) {
	for s.node != nil && s.node.HasReady() && w.violation == nil {
		rd := s.node.Ready()
		w.handleReady(s, &rd)
	}
}

func (w *World) handleReady(s *server, rd *raft.Ready) {
	if rd.Snapshot != nil && rd.Restore {
		w.restore(s, rd.Snapshot)
	}
	if rd.HardStateChanged || len(rd.Entries) > 0 || len(rd.MessagesAfterPersist) > 0 || rd.Snapshot != nil {
		w.submitWrite(s, rd)
	}
	for i := range rd.Messages {
		w.send(s.idx, int(rd.Messages[i].To)-1, rd.Messages[i])
	}
	if len(rd.Committed) > 0 {
		w.apply(s, rd.Committed)
	}
	if len(rd.ReadStates) > 0 || len(s.reads) > 0 {
		w.readStates(s, rd)
	}
	w.observe(s, rd)
	if n := s.opts.SnapshotEntries; n > 0 && len(rd.Committed) > 0 && s.node != nil {
		if st := s.node.Status(); st.Applied-st.SnapshotIndex >= uint64(n) {
			w.takeSnapshot(s)
		}
	}
}

// takeSnapshot snapshots the state machine at its applied index and lets
// the node compact its log (paper §7).
func (w *World) takeSnapshot(s *server) string {
	st := s.node.Status()
	if st.Applied <= st.SnapshotIndex {
		return fmt.Sprintf("%v: nothing applied since the snapshot at %d", s.id, st.SnapshotIndex)
	}
	data := s.kv.Snapshot()
	if err := s.node.CreateSnapshot(s.kv.Applied(), data); err != nil {
		return fmt.Sprintf("%v: %v", s.id, err)
	}
	snap := s.node.Snapshot()
	w.stats.Snapshots++
	w.record(trace.Event{Kind: trace.Snapshot, Node: uint32(s.id), Index: snap.Meta.Index, LogTerm: snap.Meta.Term,
		Count: uint64(len(data))})
	return fmt.Sprintf("%v at %d", s.id, snap.Meta.Index)
}

// restore replaces the state machine with a snapshot the leader sent.
func (w *World) restore(s *server, snap *raft.Snapshot) {
	kv, err := fsm.Restore(snap.Data)
	if err != nil {
		w.fail(&check.Violation{Invariant: check.SnapshotConsistency, Nodes: []raft.ID{s.id},
			Explanation: fmt.Sprintf("%v received a snapshot at %d that does not decode: %v", s.id, snap.Meta.Index, err)})
		return
	}
	kv.NoDedup = s.kv.NoDedup
	s.kv = kv
	// Operations proposed here at or before the snapshot are settled.
	for i := range s.pending {
		if i <= snap.Meta.Index {
			delete(s.pending, i)
		}
	}
	w.stats.SnapshotsInstalled++
	took := w.now - s.snapStart
	w.record(trace.Event{Kind: trace.Install, Node: uint32(s.id), Peer: uint32(s.node.Lead()),
		Index: snap.Meta.Index, LogTerm: snap.Meta.Term, Count: uint64(len(snap.Data)), Commit: uint64(max(took, 0))})
}

func (w *World) submitWrite(s *server, rd *raft.Ready) {
	wr := write{hs: rd.HardState, hsSet: rd.HardStateChanged, ents: rd.Entries}
	if rd.Snapshot != nil {
		w.record(trace.Event{Kind: trace.Write, Node: uint32(s.id), Index: rd.Snapshot.Meta.Index,
			LogTerm: rd.Snapshot.Meta.Term, Text: "snapshot"})
		// rd.Snapshot is the node's own snapshot, which the next one
		// replaces: the queued write keeps a copy of it, or a later
		// snapshot would become durable in its place, before the entries
		// written between the two.
		snap := *rd.Snapshot
		if s.disk.submit(write{snap: &snap}) {
			w.startFlush(s)
		}
		wr.compact = true
	}
	if len(rd.MessagesAfterPersist) > 0 {
		wr.msgs = append(s.disk.messageBuf(), rd.MessagesAfterPersist...)
	}
	if !wr.hsSet && len(wr.ents) == 0 && !wr.compact && !s.disk.busy() {
		// Nothing to write and nothing pending: what these messages rest
		// on is already durable.
		for i := range wr.msgs {
			w.send(s.idx, int(wr.msgs[i].To)-1, wr.msgs[i])
		}
		s.disk.recycle(wr.msgs)
		return
	}
	if wr.hsSet || len(wr.ents) > 0 {
		e := trace.Event{Kind: trace.Write, Node: uint32(s.id), Count: uint64(len(wr.ents)), Term: wr.hs.Term}
		if n := len(wr.ents); n > 0 {
			e.Index, e.LogTerm = wr.ents[n-1].Index, wr.ents[n-1].Term
		}
		w.record(e)
	}
	if s.disk.submit(wr) {
		w.startFlush(s)
	}
}

func (w *World) startFlush(s *server) {
	lat := s.disk.startFlush(w.now)
	it := w.q.newItem(w.flushTime(lat), itemDiskDone, s.idx)
	it.gen = s.gen
	w.q.push(it)
}

func (w *World) diskDone(s *server) {
	snapBefore := s.disk.durable.Snapshot.Meta.Index
	done := s.disk.completeFlush()
	if snap := s.disk.durable.Snapshot.Meta.Index; snap != snapBefore && w.checker != nil {
		w.checker.SnapshotDurable(s.id, snap)
	}
	idx, term := s.disk.lastDurable()
	hs := s.disk.durable.HardState
	w.record(trace.Event{Kind: trace.Persist, Node: uint32(s.id), Index: idx, LogTerm: term, Term: hs.Term,
		Peer: uint32(hs.Vote), Commit: hs.Commit, Count: uint64(len(done))})
	for i := range done {
		for j := range done[i].msgs {
			m := done[i].msgs[j]
			w.send(s.idx, int(m.To)-1, m)
		}
		s.disk.recycle(done[i].msgs)
		done[i] = write{}
	}
	if len(s.disk.queued) > 0 {
		w.startFlush(s)
	}
	s.node.StorageAppended(idx, term)
	w.flush(s)
}

// apply hands committed entries to the state machine and answers the
// clients whose operations this server proposed.
func (w *World) apply(s *server, ents []raft.Entry) {
	for i := range ents {
		e := &ents[i]
		res, err := s.kv.Apply(e.Index, e.Data)
		if err != nil && e.Type == raft.EntryNormal {
			w.record(trace.Event{Kind: trace.Apply, Node: uint32(s.id), Index: e.Index, Text: err.Error()})
		}
		p, ok := s.pending[e.Index]
		if !ok {
			continue
		}
		delete(s.pending, e.Index)
		if p.term == e.Term && err == nil {
			w.reply(s, p, clientMsg{reply: true, ok: true, result: res})
		}
	}
	last := ents[len(ents)-1]
	w.record(trace.Event{Kind: trace.Apply, Node: uint32(s.id), Index: last.Index, Term: last.Term,
		Count: uint64(len(ents))})
}

// observe records what changed in the node and runs the checks.
func (w *World) observe(s *server, rd *raft.Ready) {
	st := s.node.Status()
	prev := s.last
	s.last = st
	if st.Term != prev.Term {
		w.record(trace.Event{Kind: trace.Term, Node: uint32(s.id), Term: st.Term})
	}
	if st.Role != prev.Role || st.Term != prev.Term || st.Lead != prev.Lead {
		w.record(trace.Event{Kind: trace.Role, Node: uint32(s.id), Term: st.Term, Count: uint64(st.Role),
			Peer: uint32(st.Lead), Index: st.LastIndex, LogTerm: st.LastTerm})
		if st.Role == raft.Candidate && (prev.Role != raft.Candidate || prev.Term != st.Term) {
			w.stats.Elections++
		}
		if st.Role == raft.Leader && (prev.Role != raft.Leader || prev.Term != st.Term) {
			w.stats.LeaderChanges++
			if w.stats.FirstLeaderAt < 0 {
				w.stats.FirstLeaderAt = w.now
			}
		}
	}
	w.measureQuorumAcks(s, st, rd)
	if st.Commit != prev.Commit {
		w.record(trace.Event{Kind: trace.Commit, Node: uint32(s.id), Index: st.Commit, Term: st.Term})
	}
	if st.Config.Index != prev.Config.Index || !st.Config.Equal(&prev.Config) {
		w.record(trace.Event{Kind: trace.Config, Node: uint32(s.id), Index: st.Config.Index, Term: st.Term,
			Text: st.Config.String()})
	}
	if f := s.node.SnapshotFailures(); f != s.snapFailures {
		w.snapshotFailed(s, f-s.snapFailures, "a chunk went unanswered, or the transfer started over")
		s.snapFailures = f
	}
	if w.checker != nil {
		w.fail(w.checker.Observe(s.id, st, rd))
		if rd.Restore || len(rd.Committed) > 0 {
			w.fail(w.checker.StateHash(s.id, s.kv.Applied(), s.kv.Hash()))
		}
	}
}

// snapshotFailed counts failed snapshot transfers (snapshot_install_failures)
// and records them: an install event marked as a rejection.
func (w *World) snapshotFailed(s *server, n uint64, why string) {
	w.stats.SnapshotInstallFailures += n
	w.record(trace.Event{Kind: trace.Install, Node: uint32(s.id), Reject: true, Count: n, Text: why})
}

func (w *World) crash(s *server) {
	if s.node == nil {
		return
	}
	lost := s.disk.crash()
	if s.node.Role() == raft.Leader {
		// Snapshot transfers under way die with their sender.
		for _, id := range s.node.Members() {
			if p := s.node.Progress(id); p != nil && p.State == raft.StateSnapshot {
				w.snapshotFailed(s, 1, fmt.Sprintf("the transfer to %v dies with its sender", id))
			}
		}
	}
	s.node = nil
	s.gen++
	s.paused = false
	s.inbox = nil
	s.reads = nil
	clear(s.pending)
	s.appendedAt = s.appendedAt[:0]
	w.stats.Crashes++
	w.record(trace.Event{Kind: trace.Crash, Node: uint32(s.id), Count: uint64(lost)})
	if w.checker != nil {
		w.checker.Crash(s.id)
	}
}

func (w *World) restart(s *server) {
	if s.node != nil {
		return
	}
	if err := w.start(s); err != nil {
		// The disk holds only what the node wrote: a node that cannot start
		// from it shows a bug in the core (a bug toggle's, or a real one).
		w.fail(&check.Violation{Invariant: check.StateMachineSafety, Nodes: []raft.ID{s.id},
			Explanation: fmt.Sprintf("%v cannot restart from its disk: %v", s.id, err)})
		return
	}
	w.stats.Restarts++
	st := s.node.Status()
	w.record(trace.Event{Kind: trace.Restart, Node: uint32(s.id), Term: st.Term, Index: st.LastIndex,
		Commit: st.Commit, Peer: uint32(st.Vote)})
	if w.checker != nil {
		w.fail(w.checker.Restart(s.id, st, s.disk.state()))
	}
	w.flush(s)
}

// measureQuorumAcks times each entry a leader appends until it commits.
func (w *World) measureQuorumAcks(s *server, st raft.Status, rd *raft.Ready) {
	if st.Role != raft.Leader {
		s.appendedAt = s.appendedAt[:0]
		return
	}
	for i := range rd.Entries {
		s.appendedAt = append(s.appendedAt, appended{index: rd.Entries[i].Index, at: w.now})
	}
	n := 0
	for n < len(s.appendedAt) && s.appendedAt[n].index <= st.Commit {
		w.stats.QuorumAcks.Add(w.now - s.appendedAt[n].at)
		n++
	}
	if n > 0 {
		s.appendedAt = append(s.appendedAt[:0], s.appendedAt[n:]...)
	}
}
