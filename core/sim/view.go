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
	// Durable is what survives a crash: the hard state, the snapshot and
	// the log up to DurableLast.
	Durable       raft.HardState
	DurableSnap   raft.SnapshotMeta
	DurableLast   uint64
	PendingWrites int
	SlowPercent   int64
	DriftPPM      int64
	SkewMicros    int64
	Keys          int
	// SnapshotEvery is the server's snapshot threshold (0: only when told).
	SnapshotEvery int
	// ReadMode is how the server answers reads now (the "options" action
	// changes it while the world runs).
	ReadMode ReadMode
	// Receiving is the snapshot being received: its index, the bytes so far
	// and its size (zero when none).
	ReceivingIndex, ReceivingBytes, ReceivingSize uint64
}

// Servers returns a view of every server.
func (w *World) Servers() []ServerView {
	return w.AppendServers(make([]ServerView, 0, len(w.servers)))
}

// AppendServers appends a view of every server to dst: Servers without an
// allocation, for a caller that looks every few milliseconds of virtual
// time (a lesson's goals).
func (w *World) AppendServers(dst []ServerView) []ServerView {
	n := len(dst)
	dst = slices.Grow(dst, len(w.servers))[:n+len(w.servers)]
	out := dst[n:]
	for i, s := range w.servers {
		last, _ := s.disk.lastDurable()
		v := ServerView{ID: s.id, Up: s.node != nil, Paused: s.paused, Durable: s.disk.durable.HardState,
			DurableSnap: s.disk.durable.Snapshot.Meta, DurableLast: last, PendingWrites: s.disk.pending(),
			SlowPercent: s.disk.slowPercent, DriftPPM: s.driftPPM, SkewMicros: s.skewMicros, Keys: s.kv.Len(),
			SnapshotEvery: s.opts.SnapshotEntries, ReadMode: s.opts.ReadMode}
		if s.node != nil {
			v.Status = s.node.Status()
			v.ReceivingIndex, v.ReceivingBytes, v.ReceivingSize = s.node.Receiving()
		} else {
			v.Status = raft.Status{ID: s.id, Term: v.Durable.Term, Vote: v.Durable.Vote, Commit: v.Durable.Commit}
		}
		out[i] = v
	}
	return dst
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
	return w.servers[id-1].disk.entries(lo, hi)
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
		h.Uint64(s.disk.durable.Snapshot.Meta.Index)
		h.Bytes(s.disk.durable.Snapshot.Data)
		h.Uint64(uint64(s.disk.log.len()))
		s.disk.log.each(func(e *raft.Entry) { hashEntry(&h, e) })
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
		h.Uint64(st.SnapshotIndex)
		h.Uint64(st.Config.Index)
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
		hashEntry(h, &ents[i])
	}
}

func hashEntry(h *trace.Hasher, e *raft.Entry) {
	h.Uint64(e.Term)
	h.Uint64(uint64(e.Type))
	h.Bytes(e.Data)
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
	// A snapshot chunk: its offset and bytes, the snapshot's index and size.
	Offset, Bytes, Size, SnapIndex uint64
	Done                           bool
	// Held is true for a message waiting at a paused server, or on the
	// wire for an action to deliver it (the manual scheduler).
	Held bool
}

// InFlight lists every message sent and not yet delivered or dropped, in
// the order they will arrive.
func (w *World) InFlight() []Flight {
	var out []Flight
	add := func(it *item, held bool) {
		f := Flight{ID: it.msgID, From: w.endpointID(it.from), To: w.endpointID(it.who), Msg: w.msgCode(it),
			SentAt: it.sentAt, ArriveAt: it.at, Dup: it.dup, Held: held}
		if it.at == waiting {
			f.ArriveAt = w.now
		}
		if it.isRPC {
			m := &it.msg
			f.Term, f.Entries, f.Reject = m.Term, len(m.Entries), m.Reject
			switch m.Type {
			case raft.MsgSnap:
				f.Offset, f.Bytes, f.Size, f.SnapIndex, f.Done = m.Offset, uint64(len(m.Data)), m.Size, m.Index, m.Done
			case raft.MsgSnapResp:
				f.Offset, f.SnapIndex, f.Done = m.Offset, m.Index, m.Done
			}
		} else {
			f.Reject = it.cmsg.notLeader
		}
		out = append(out, f)
	}
	for _, it := range w.q.h {
		if it.kind == itemDeliver {
			// Under the manual scheduler a message waits on the wire until
			// an action delivers it: drawn as held, with no arrival time.
			add(it, it.at == waiting)
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
