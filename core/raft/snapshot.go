package raft

import (
	"errors"
	"fmt"
)

// CreateSnapshot records that the state machine's state as of applied index
// i is data, and compacts the log: the entries up to i are dropped (paper §7).
// The snapshot comes back in a Ready to be written to the disk; once it is
// durable the disk may drop the entries it covers.
func (n *Node) CreateSnapshot(i uint64, data []byte) error {
	switch {
	case i <= n.log.offset():
		return fmt.Errorf("raft: a snapshot at %d is not newer than the one at %d", i, n.log.offset())
	case i > n.applied:
		return fmt.Errorf("raft: cannot snapshot at %d, past the applied index %d", i, n.applied)
	case i >= n.log.unstable:
		return errors.New("raft: cannot snapshot entries not yet handed to storage")
	}
	term, _ := n.log.term(i)
	n.snap = Snapshot{Meta: SnapshotMeta{Index: i, Term: term, Config: n.configAt(i).Clone()}, Data: data}
	n.log.compact(i)
	n.compactConfigs(i, n.snap.Meta.Config)
	n.readySnap, n.readyRestore = &n.snap, false
	return nil
}

// startSnapshot begins sending the latest snapshot to a follower that needs
// entries the log no longer holds.
func (n *Node) startSnapshot(to ID, p *Progress) {
	snap := n.snap
	p.State, p.snap, p.SnapAcked, p.snapIdle = StateSnapshot, &snap, 0, 0
	p.ProbeSent = false
	p.inflights.reset()
	n.sendSnapshotChunk(to, p)
}

// sendSnapshotChunk sends the chunk after the bytes the follower confirmed.
func (n *Node) sendSnapshotChunk(to ID, p *Progress) {
	s := p.snap
	size := uint64(len(s.Data))
	end := min(p.SnapAcked+uint64(n.cfg.SnapshotChunkBytes), size)
	m := Message{Type: MsgSnap, To: to, Index: s.Meta.Index, LogTerm: s.Meta.Term,
		Offset: p.SnapAcked, Size: size, Data: s.Data[p.SnapAcked:end:end]}
	if end == size {
		m.Done = true
		m.Config = &s.Meta.Config
	}
	n.send(m)
}

// retrySnapshots resends the chunk of every transfer that has gone two
// heartbeats without an answer: the chunk or its answer was lost.
func (n *Node) retrySnapshots() {
	for _, id := range n.members {
		p := &n.prs[id]
		if id == n.id || p.State != StateSnapshot {
			continue
		}
		p.snapIdle++
		if p.snapIdle >= 2 {
			p.snapIdle = 0
			n.snapFailures++
			n.sendSnapshotChunk(id, p)
		}
	}
}

// handleSnapshotResponse moves a transfer on: the next chunk, a resend from
// where the follower says it is, or, once installed, back to appending.
func (n *Node) handleSnapshotResponse(from ID, p *Progress, m Message) {
	if m.Done {
		// The follower holds everything up to m.Commit durably.
		p.maybeUpdate(m.Commit)
		if p.State == StateSnapshot {
			p.becomeProbe()
		}
		if n.maybeCommit() {
			n.bcastAppend(false)
		} else {
			n.maybeSendAppend(from, true)
		}
		return
	}
	if p.State != StateSnapshot || m.Index != p.snap.Meta.Index || m.LogTerm != p.snap.Meta.Term {
		return
	}
	p.snapIdle = 0
	if m.Reject {
		// The follower lost its place (it restarted, or a chunk was lost):
		// go on from where it is.
		n.snapFailures++
		p.SnapAcked = min(m.Offset, uint64(len(p.snap.Data)))
		n.sendSnapshotChunk(from, p)
		return
	}
	if m.Offset <= p.SnapAcked || m.Offset > uint64(len(p.snap.Data)) {
		return // a duplicate answer
	}
	p.SnapAcked = m.Offset
	n.sendSnapshotChunk(from, p)
}

// incomingSnapshot is a snapshot being received, chunk by chunk.
type incomingSnapshot struct {
	meta SnapshotMeta
	from ID
	term uint64
	size uint64
	buf  []byte
}

// handleSnapshotChunk takes one chunk of InstallSnapshot (Figure 13): a
// chunk at offset 0 starts a transfer; the others must follow the bytes
// received; the last one installs the snapshot.
func (n *Node) handleSnapshotChunk(m Message) {
	resp := Message{Type: MsgSnapResp, To: m.From, Index: m.Index, LogTerm: m.LogTerm}
	if m.Index <= n.commit && (!n.cfg.Bugs.Has(BugInstallOlderSnapshot) || m.Index <= n.log.offset()) {
		// A snapshot of entries we already hold committed (a late or repeated
		// one) must never roll the state back: say what we hold. (The
		// install-older-snapshot bug takes only one the log can go back to.)
		resp.Done, resp.Commit = true, n.commit
		n.incoming = nil
		n.sendAfterPersist(resp)
		return
	}
	in := n.incoming
	if m.Offset == 0 {
		in = &incomingSnapshot{meta: SnapshotMeta{Index: m.Index, Term: m.LogTerm}, from: m.From, term: n.term,
			size: m.Size, buf: make([]byte, 0, min(m.Size, 1<<16))}
		n.incoming = in
	} else if in == nil || in.meta.Index != m.Index || in.meta.Term != m.LogTerm || in.from != m.From ||
		in.term != n.term || uint64(len(in.buf)) != m.Offset {
		// Not the next chunk of the transfer under way: ask for the right one.
		resp.Reject = true
		if in != nil && in.meta.Index == m.Index && in.meta.Term == m.LogTerm && in.from == m.From {
			resp.Offset = uint64(len(in.buf))
		}
		n.send(resp)
		return
	}
	if m.Offset+uint64(len(m.Data)) > in.size || (m.Done && m.Offset+uint64(len(m.Data)) != in.size) ||
		(m.Done && m.Config == nil) {
		n.incoming = nil
		resp.Reject = true
		n.send(resp)
		return
	}
	in.buf = append(in.buf, m.Data...)
	if !m.Done {
		resp.Offset = uint64(len(in.buf))
		n.send(resp)
		return
	}
	n.incoming = nil
	if err := m.Config.Validate(); err != nil {
		resp.Reject = true
		n.send(resp)
		return
	}
	in.meta.Config = m.Config.Clone()
	n.installSnapshot(Snapshot{Meta: in.meta, Data: in.buf})
	resp.Done, resp.Commit, resp.Offset = true, n.commit, uint64(len(in.buf))
	// The answer says the snapshot is ours: send it once it is on the disk.
	n.sendAfterPersist(resp)
}

// installSnapshot replaces the state with a snapshot from the leader (§7).
// If the log holds the snapshot's last entry, the entries following it are
// retained; otherwise the whole log is discarded.
func (n *Node) installSnapshot(s Snapshot) {
	i := s.Meta.Index
	if n.log.matchTerm(i, s.Meta.Term) && i > n.log.offset() && !n.cfg.Bugs.Has(BugDropSuffixOnSnapshot) {
		n.log.compact(i)
		n.stableIndex = max(n.stableIndex, i)
	} else {
		n.log.restart(i, s.Meta.Term)
		// The discarded entries are no longer ours, durable or not.
		n.stableIndex = i
	}
	n.snap = s
	n.compactConfigs(i, s.Meta.Config)
	n.commit = max(n.commit, i)
	// The state machine restarts from the snapshot (with the
	// install-older-snapshot bug, even from one older than what it applied).
	n.applied = i
	n.readySnap, n.readyRestore = &n.snap, true
}
