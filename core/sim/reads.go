package sim

import (
	"fmt"

	"smrlab/core/fsm"
	"smrlab/core/raft"
	"smrlab/core/trace"
)

// A read a server has taken on and not yet answered: ReadIndex and lease
// reads wait for the leader's confirmation (a ReadState) and then for the
// state machine to apply up to its index.
type pendingRead struct {
	ctx    uint64
	client int
	op     uint64
	key    string
	index  uint64 // the ReadState's index, once confirmed
	ready  bool
}

// serveRead answers a client's get without the log, as the server's read
// mode says (thesis §6.4).
func (w *World) serveRead(s *server, it *item) {
	m := &it.cmsg
	mode := s.opts.ReadMode
	if mode == ReadStale {
		// Any server answers from what it has applied: fast, possibly stale.
		w.stats.StaleReads++
		w.answerRead(s, it.from, m.op, m.cmd.Key)
		return
	}
	if s.node.Role() != raft.Leader {
		w.sendClient(s.idx, it.from, clientMsg{op: m.op, reply: true, notLeader: true, hint: s.node.Lead()})
		return
	}
	s.readCtx++
	r := &pendingRead{ctx: s.readCtx, client: it.from, op: m.op, key: m.cmd.Key}
	s.reads = append(s.reads, r)
	var err error
	if mode == ReadLease {
		var leased bool
		if leased, err = s.node.LeaseRead(r.ctx); leased {
			w.stats.LeaseReads++
		}
	} else {
		err = s.node.ReadIndex(r.ctx)
	}
	if err != nil {
		w.dropRead(s, r.ctx)
		w.sendClient(s.idx, it.from, clientMsg{op: m.op, reply: true, notLeader: true, hint: s.node.Lead()})
		return
	}
	w.flush(s)
}

// answerRead replies to a read from the server's state machine now.
func (w *World) answerRead(s *server, client int, op uint64, key string) {
	v, found := s.kv.Get(key)
	w.sendClient(s.idx, client, clientMsg{op: op, reply: true, ok: true,
		result: fsm.Result{Value: []byte(v), Found: found}})
}

// readStates takes the leader's confirmations and answers every read whose
// index the state machine has reached; it answers reads the server can no
// longer serve (it stopped leading) with "not the leader".
func (w *World) readStates(s *server, rd *raft.Ready) {
	for _, rs := range rd.ReadStates {
		for _, r := range s.reads {
			if r.ctx == rs.Ctx {
				r.index, r.ready = rs.Index, true
			}
		}
	}
	for _, ctx := range s.node.DroppedReads() {
		for _, r := range s.reads {
			if r.ctx == ctx {
				w.sendClient(s.idx, r.client, clientMsg{op: r.op, reply: true, notLeader: true, hint: s.node.Lead()})
			}
		}
		w.dropRead(s, ctx)
	}
	if len(s.reads) == 0 {
		return
	}
	k := 0
	for _, r := range s.reads {
		if r.ready && s.kv.Applied() >= r.index {
			w.stats.ReadIndexReads++
			w.answerRead(s, r.client, r.op, r.key)
			continue
		}
		s.reads[k] = r
		k++
	}
	clear(s.reads[k:])
	s.reads = s.reads[:k]
}

func (w *World) dropRead(s *server, ctx uint64) {
	for i, r := range s.reads {
		if r.ctx == ctx {
			s.reads = append(s.reads[:i], s.reads[i+1:]...)
			return
		}
	}
}

// admit is admission control at a leader: the reason to refuse a new
// command now, or "" to take it. Bounds on uncommitted entries and bytes
// keep a slow quorum from growing the log without end; a bound on pending
// proposals caps the work a leader owes its clients.
func (w *World) admit(s *server) string {
	o := &s.opts
	st := s.node.Status()
	uncommitted := st.LastIndex - st.Commit
	switch {
	case o.MaxUncommitted > 0 && uncommitted >= uint64(o.MaxUncommitted):
		return "uncommitted_entries"
	case o.MaxPending > 0 && len(s.pending) >= o.MaxPending:
		return "pending_proposals"
	case o.MaxUncommittedBytes > 0:
		bytes := 0
		for _, e := range s.node.Entries(st.Commit+1, st.LastIndex+1) {
			bytes += len(e.Data)
		}
		if bytes >= o.MaxUncommittedBytes {
			return "uncommitted_bytes"
		}
	}
	return ""
}

// reject refuses a command under admission control: the client backs off.
func (w *World) reject(s *server, it *item, reason string) {
	if w.stats.Rejected == nil {
		w.stats.Rejected = map[string]uint64{}
	}
	w.stats.Rejected[reason]++
	w.record(trace.Event{Kind: trace.Reject, Node: uint32(s.id), Peer: w.endpointID(it.from), ID: it.cmsg.op,
		Text: fmt.Sprintf("admission control: %s over its bound", reason)})
	w.sendClient(s.idx, it.from, clientMsg{op: it.cmsg.op, reply: true, overloaded: true, reason: reason})
}
