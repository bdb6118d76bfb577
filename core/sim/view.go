package sim

import (
	"cmp"
	"slices"

	"smrlab/core/raft"
	"smrlab/core/trace"
)

// ServerView is what can be seen of one server from outside: its protocol
// status, what its disk holds durably, and its faults.
type ServerView struct {
	ID     raft.ID
	Up     bool
	Paused bool
	Status raft.Status
	// Durable is what survives a crash.
	Durable       raft.HardState
	DurableLast   uint64
	PendingWrites int
	SlowPercent   int64
	DriftPPM      int64
	SkewMicros    int64
	Keys          int
}

// Servers returns a view of every server.
func (w *World) Servers() []ServerView {
	out := make([]ServerView, len(w.servers))
	for i, s := range w.servers {
		v := ServerView{ID: s.id, Up: s.node != nil, Paused: s.paused, Durable: s.disk.durable.HardState,
			DurableLast: uint64(len(s.disk.durable.Entries)), PendingWrites: s.disk.pending(),
			SlowPercent: s.disk.slowPercent, DriftPPM: s.driftPPM, SkewMicros: s.skewMicros, Keys: s.kv.Len()}
		if s.node != nil {
			v.Status = s.node.Status()
		} else {
			v.Status = raft.Status{ID: s.id, Term: v.Durable.Term, Vote: v.Durable.Vote, Commit: v.Durable.Commit}
		}
		out[i] = v
	}
	return out
}

// Node returns server id's protocol state machine, or nil while it is down.
func (w *World) Node(id raft.ID) *raft.Node {
	if id < 1 || int(id) > len(w.servers) {
		return nil
	}
	return w.servers[id-1].node
}

// DurableEntries returns the entries [lo, hi) on server id's disk: what
// survives a crash. The slice must not be changed.
func (w *World) DurableEntries(id raft.ID, lo, hi uint64) []raft.Entry {
	if id < 1 || int(id) > len(w.servers) {
		return nil
	}
	d := w.servers[id-1].disk.durable.Entries
	lo, hi = max(lo, 1), min(hi, uint64(len(d))+1)
	if lo >= hi {
		return nil
	}
	return d[lo-1 : hi-1 : hi-1]
}

// StateHash hashes the whole world's state: every server's protocol state,
// log, durable state and state machine, and every client's progress. Two
// runs of the same inputs end with the same hash.
func (w *World) StateHash() uint64 {
	h := trace.NewHasher()
	h.Uint64(uint64(w.now))
	for _, s := range w.servers {
		h.Uint64(uint64(s.id))
		hs := s.disk.durable.HardState
		h.Uint64(hs.Term)
		h.Uint64(uint64(hs.Vote))
		h.Uint64(hs.Commit)
		hashEntries(&h, s.disk.durable.Entries)
		if s.node == nil {
			h.Uint64(0)
			continue
		}
		st := s.node.Status()
		h.Uint64(1 + uint64(st.Role))
		h.Uint64(st.Term)
		h.Uint64(uint64(st.Vote))
		h.Uint64(uint64(st.Lead))
		h.Uint64(st.Commit)
		h.Uint64(st.Applied)
		hashEntries(&h, s.node.Entries(1, st.LastIndex+1))
		h.Uint64(s.kv.Hash())
	}
	for _, c := range w.clients {
		h.Uint64(c.nextOp)
		h.Uint64(uint64(len(c.ops)))
	}
	return h.Sum()
}

func hashEntries(h *trace.Hasher, ents []raft.Entry) {
	h.Uint64(uint64(len(ents)))
	for i := range ents {
		h.Uint64(ents[i].Term)
		h.Uint64(uint64(ents[i].Type))
		h.Bytes(ents[i].Data)
	}
}

// Flight is a message on the wire, for drawing it between its endpoints.
type Flight struct {
	ID       uint64
	From, To uint32 // endpoint numbers as in traces (servers 1..9, clients 101..)
	Msg      uint8  // raft.MsgType, or MsgClientRequest / MsgClientReply
	SentAt   int64
	ArriveAt int64
	Term     uint64
	Entries  int
	Reject   bool
	Dup      bool
	// Held is true for a message waiting at a paused server.
	Held bool
}

// InFlight lists every message sent and not yet delivered or dropped, in
// the order they will arrive.
func (w *World) InFlight() []Flight {
	var out []Flight
	add := func(it *item, held bool) {
		f := Flight{ID: it.msgID, From: w.endpointID(it.from), To: w.endpointID(it.who), Msg: w.msgCode(it),
			SentAt: it.sentAt, ArriveAt: it.at, Dup: it.dup, Held: held}
		if it.isRPC {
			f.Term, f.Entries, f.Reject = it.msg.Term, len(it.msg.Entries), it.msg.Reject
		} else {
			f.Reject = it.cmsg.notLeader
		}
		out = append(out, f)
	}
	for _, it := range w.q.h {
		if it.kind == itemDeliver {
			add(it, false)
		}
	}
	for _, s := range w.servers {
		for _, it := range s.inbox {
			add(it, true)
		}
	}
	slices.SortFunc(out, func(a, b Flight) int {
		if a.ArriveAt != b.ArriveAt {
			return cmp.Compare(a.ArriveAt, b.ArriveAt)
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// Cut reports whether the link from server a to server b is cut.
func (w *World) Cut(a, b raft.ID) bool { return !w.net.connected(int(a)-1, int(b)-1) }

// Network returns the network's default link parameters now.
func (w *World) Network() LinkParams { return w.net.params }

// Workload reports whether clients start new operations, at what total rate
// (0: closed loop), and how many clients there are.
func (w *World) Workload() (on bool, rate int64, clients int) {
	return w.workloadOn, w.rate, len(w.clients)
}

// OpsOutstanding counts client operations started and not yet returned.
func (w *World) OpsOutstanding() int { return w.opsOutstanding() }
