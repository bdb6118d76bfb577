package sim

import (
	"smrlab/core/fsm"
	"smrlab/core/raft"
	"smrlab/core/trace"
)

// network connects endpoints: servers first, then clients. Each directed
// link draws from its own random stream and may have its own parameters;
// a cut link drops what crosses it.
type network struct {
	seed      uint64
	n         int
	params    LinkParams
	overrides []*LinkParams // per directed link, nil for the default
	cut       []bool
	rngs      []*stream
	// lastAt keeps each link first-in first-out, as a TCP connection is:
	// only a reorder fault lets a message be overtaken.
	lastAt []int64
}

func newNetwork(seed uint64, endpoints int, p LinkParams) network {
	return network{seed: seed, n: endpoints, params: p, overrides: make([]*LinkParams, endpoints*endpoints),
		cut: make([]bool, endpoints*endpoints), rngs: make([]*stream, endpoints*endpoints),
		lastAt: make([]int64, endpoints*endpoints)}
}

func (nw *network) link(from, to int) int { return from*nw.n + to }

func (nw *network) rng(l int) *stream {
	if nw.rngs[l] == nil {
		nw.rngs[l] = newStream(nw.seed, streamLink, uint64(l/nw.n), uint64(l%nw.n))
	}
	return nw.rngs[l]
}

func (nw *network) paramsOf(l int) *LinkParams {
	if p := nw.overrides[l]; p != nil {
		return p
	}
	return &nw.params
}

// connected reports whether from can reach to.
func (nw *network) connected(from, to int) bool { return !nw.cut[nw.link(from, to)] }

// clientMsg is what clients and servers say to each other.
type clientMsg struct {
	op        uint64
	cmd       fsm.Command
	reply     bool
	ok        bool
	notLeader bool
	hint      raft.ID
	result    fsm.Result
	// overloaded: admission control refused the command (reason says why);
	// it never reached the log.
	overloaded bool
	reason     string
}

// send puts a message on the wire from endpoint from to endpoint to.
func (w *World) send(from, to int, m raft.Message) {
	w.nextMsgID++
	id := w.nextMsgID
	w.stats.Sent++
	count, commit := msgCounts(&m)
	w.record(trace.Event{Kind: trace.Send, Node: uint32(from + 1), Peer: uint32(to + 1), Msg: uint8(m.Type),
		ID: id, Term: m.Term, Index: m.Index, LogTerm: m.LogTerm, Count: count, Commit: commit, Reject: m.Reject})
	if m.Type == raft.MsgSnap && m.Offset == 0 && to < len(w.servers) {
		// A transfer starts (or starts over): the receiver times it from here.
		w.servers[to].snapStart = w.now
	}
	it := w.q.newItem(0, itemDeliver, to)
	it.from, it.msgID, it.msg, it.isRPC, it.sentAt = from, id, m, true, w.now
	w.transmit(it)
}

// transmit decides the fate of a message on its link: lost, delayed,
// duplicated or held back. It consumes it.
func (w *World) transmit(it *item) {
	l := w.net.link(it.from, it.who)
	if !w.net.connected(it.from, it.who) {
		w.drop(it, "partition")
		return
	}
	w.arrivalOf(it, l)
}

// arrival draws when a message on link l arrives: after its latency, and
// not before the message sent ahead of it, unless a reorder fault holds it
// back so that later messages overtake it.
func (w *World) arrival(l int, r *stream, p *LinkParams) int64 {
	at := w.now + between(r, p.LatencyMinMicros, p.LatencyMaxMicros)
	if chance(r, p.ReorderPPM) {
		return at + between(r, 1, p.ReorderDelayMicros)
	}
	at = max(at, w.net.lastAt[l])
	w.net.lastAt[l] = at
	return at
}

func (w *World) drop(it *item, why string) {
	w.stats.Dropped++
	w.record(trace.Event{Kind: trace.Drop, Node: w.endpointID(it.from), Peer: w.endpointID(it.who), ID: it.msgID,
		Msg: w.msgCode(it), Text: why})
	w.q.release(it)
}

// deliver hands a message to its destination, if the link and the
// destination still let it through.
func (w *World) deliver(it *item) {
	if !w.net.connected(it.from, it.who) {
		w.dropAtDelivery(it, "partition")
		return
	}
	if it.who >= len(w.servers) {
		w.clients[it.who-len(w.servers)].receive(it)
		return
	}
	s := w.servers[it.who]
	if s.node == nil {
		w.dropAtDelivery(it, "crashed")
		return
	}
	if s.paused {
		held := w.q.newItem(0, itemDeliver, it.who)
		*held = *it
		s.inbox = append(s.inbox, held)
		return
	}
	w.stats.Delivered++
	if !it.isRPC {
		w.record(trace.Event{Kind: trace.Deliver, Node: uint32(it.who + 1), Peer: w.endpointID(it.from), ID: it.msgID,
			Msg: MsgClientRequest})
		w.serveClient(s, it)
		return
	}
	m := &it.msg
	count, commit := msgCounts(m)
	w.record(trace.Event{Kind: trace.Deliver, Node: uint32(it.who + 1), Peer: uint32(it.from + 1), ID: it.msgID,
		Msg: uint8(m.Type), Term: m.Term, Index: m.Index, LogTerm: m.LogTerm, Count: count, Commit: commit,
		Reject: m.Reject})
	if err := s.node.Step(*m); err != nil {
		// Only the network delivers messages, and only servers send them:
		// an error here is a bug in the simulator.
		panic("sim: " + err.Error())
	}
	w.flush(s)
}

// dropAtDelivery records a message that reached a cut link or a crashed server.
func (w *World) dropAtDelivery(it *item, why string) {
	w.stats.Dropped++
	w.record(trace.Event{Kind: trace.Drop, Node: w.endpointID(it.from), Peer: w.endpointID(it.who), ID: it.msgID,
		Msg: w.msgCode(it), Text: why})
}

// msgCode is the Msg field of trace events about the item's message.
func (w *World) msgCode(it *item) uint8 {
	switch {
	case it.isRPC:
		return uint8(it.msg.Type)
	case it.cmsg.reply:
		return MsgClientReply
	}
	return MsgClientRequest
}

// msgCounts are the Count and Commit fields of a message's trace events:
// entries and commit index, or for a snapshot chunk its bytes and offset.
func msgCounts(m *raft.Message) (count, commit uint64) {
	switch m.Type {
	case raft.MsgSnap:
		return uint64(len(m.Data)), m.Offset
	case raft.MsgSnapResp:
		return m.Offset, m.Commit
	}
	return uint64(len(m.Entries)), m.Commit
}
