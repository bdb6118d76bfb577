package sim

import (
	"strconv"

	"smrlab/core/fsm"
	"smrlab/core/raft"
	"smrlab/core/trace"
)

// ClientIDBase numbers clients in traces: client c (from 1) is ClientIDBase+c,
// apart from the servers S1..S9.
const ClientIDBase = 100

// Message codes of client traffic in trace events (server messages use raft.MsgType).
const (
	MsgClientRequest = 100
	MsgClientReply   = 101
)

// notLeaderBackoffMicros is how long a client waits before trying another
// server when one answered "not the leader" without a hint.
const notLeaderBackoffMicros = 20 * Millisecond

// client proposes operations to the cluster: it looks for the leader,
// follows hints, and retries an operation at another server when it times out.
type client struct {
	w         *World
	idx       int // endpoint index
	num       int // from 1
	rng       *stream
	leader    raft.ID
	nextOp    uint64
	ops       []*clientOp
	scheduled int // itemClientNext events pending
	// timerAt is when the earliest pending timeout item fires (-1: none).
	// One timer per client, re-armed for the earliest deadline, keeps the
	// event queue small however many operations time out far ahead.
	timerAt int64
}

type clientOp struct {
	id       uint64
	cmd      fsm.Command
	start    int64
	attempt  uint32
	server   raft.ID
	deadline int64 // when to try another server
}

func newClient(w *World, i int) *client {
	c := &client{w: w, idx: len(w.servers) + i, num: i + 1,
		rng: newStream(w.cfg.Seed, streamClient, uint64(i+1), 0), timerAt: -1}
	c.leader = raft.ID(1 + c.rng.IntN(w.cfg.members()))
	return c
}

// endpointID is the number an endpoint carries in traces.
func (w *World) endpointID(e int) uint32 {
	if e < len(w.servers) {
		return uint32(e + 1)
	}
	return uint32(ClientIDBase + e - len(w.servers) + 1)
}

func (c *client) closedLoop() bool { return c.w.rate == 0 }

func (c *client) scheduleFirst(at int64) {
	if c.closedLoop() {
		c.fill(at)
		return
	}
	c.schedule(at + c.interval())
}

// fill keeps a closed-loop client's operations outstanding.
func (c *client) fill(at int64) {
	for len(c.ops)+c.scheduled < c.w.cfg.Workload.Inflight {
		c.schedule(at)
	}
}

func (c *client) schedule(at int64) {
	c.scheduled++
	c.w.q.push(c.w.q.newItem(at, itemClientNext, c.idx))
}

// interval draws the gap before an open-loop client's next operation.
func (c *client) interval() int64 {
	mean := int64(len(c.w.clients)) * Second / max(c.w.rate, 1)
	return between(c.rng, mean/2, mean+mean/2)
}

func (c *client) accepting() bool {
	wl := &c.w.cfg.Workload
	return c.w.workloadOn && (wl.StopMicros == 0 || c.w.now < wl.StopMicros)
}

func (c *client) next() {
	c.scheduled--
	if !c.accepting() {
		return
	}
	if !c.closedLoop() {
		c.schedule(c.w.now + c.interval())
	}
	if len(c.ops) < c.w.cfg.Workload.Inflight {
		c.startOp()
	}
}

func (c *client) startOp() {
	wl := &c.w.cfg.Workload
	c.nextOp++
	op := &clientOp{id: c.nextOp, start: c.w.now, server: c.leader}
	key := c.rng.IntN(wl.Keys)
	op.cmd = fsm.Command{Client: uint32(c.num), Seq: op.id, Op: fsm.OpGet, Key: "k" + strconv.Itoa(key)}
	if chance(c.rng, wl.WritePPM) {
		op.cmd.Op = fsm.OpPut
		op.cmd.Value = c.value(op.id, wl.ValueBytes)
	}
	c.ops = append(c.ops, op)
	c.w.stats.OpsStarted++
	c.w.record(trace.Event{Kind: trace.ClientCall, Node: c.w.endpointID(c.idx), Peer: uint32(op.server),
		ID: op.id, Msg: uint8(op.cmd.Op), Index: uint64(key), Count: uint64(len(op.cmd.Value))})
	c.sendOp(op)
}

// value makes a unique value of the requested size, so that a history shows
// which write a read saw.
func (c *client) value(op uint64, size int) string {
	b := make([]byte, 0, max(size, 24))
	b = append(b, 'c')
	b = strconv.AppendInt(b, int64(c.num), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, op, 10)
	for len(b) < size {
		b = append(b, '.')
	}
	return string(b)
}

func (c *client) sendOp(op *clientOp) {
	to := int(op.server) - 1
	c.w.sendClient(c.idx, to, clientMsg{op: op.id, cmd: op.cmd})
	c.wait(op, c.w.cfg.Workload.TimeoutMicros)
}

// wait gives op until d from now before it goes to another server.
func (c *client) wait(op *clientOp, d int64) {
	op.deadline = c.w.now + d
	if c.timerAt >= 0 && c.timerAt <= op.deadline {
		return
	}
	c.timerAt = op.deadline
	c.w.q.push(c.w.q.newItem(op.deadline, itemClientTimeout, c.idx))
}

func (c *client) find(id uint64) int {
	for i, op := range c.ops {
		if op.id == id {
			return i
		}
	}
	return -1
}

// retry sends op again, to server to.
func (c *client) retry(op *clientOp, to raft.ID) {
	op.attempt++
	op.server = to
	c.w.stats.OpsRetried++
	c.sendOp(op)
}

func (c *client) nextServer(after raft.ID) raft.ID {
	return raft.ID(int(after)%len(c.w.servers) + 1)
}

// timeout sends every operation past its deadline to the next server, and
// re-arms the timer for the earliest deadline left.
func (c *client) timeout() {
	now := c.w.now
	if c.timerAt <= now {
		c.timerAt = -1
	}
	for _, op := range c.ops {
		if op.deadline <= now {
			c.leader = c.nextServer(op.server)
			c.retry(op, c.leader)
		}
	}
	next := int64(-1)
	for _, op := range c.ops {
		if next < 0 || op.deadline < next {
			next = op.deadline
		}
	}
	if next >= 0 && (c.timerAt < 0 || next < c.timerAt) {
		c.timerAt = next
		c.w.q.push(c.w.q.newItem(next, itemClientTimeout, c.idx))
	}
}

func (c *client) receive(it *item) {
	c.w.stats.Delivered++
	m := &it.cmsg
	c.w.record(trace.Event{Kind: trace.Deliver, Node: c.w.endpointID(c.idx), Peer: c.w.endpointID(it.from),
		ID: it.msgID, Msg: MsgClientReply})
	i := c.find(m.op)
	if i < 0 {
		return
	}
	op := c.ops[i]
	from := raft.ID(it.from + 1)
	if m.notLeader {
		if from != op.server {
			return // an answer to an earlier attempt
		}
		if m.hint != raft.None && m.hint != from {
			c.leader = m.hint
			c.retry(op, m.hint)
			return
		}
		// No hint: wait a little, then time out early to the next server.
		c.wait(op, notLeaderBackoffMicros)
		return
	}
	c.ops = append(c.ops[:i], c.ops[i+1:]...)
	c.leader = from
	c.w.stats.OpsOK++
	c.w.stats.OpLatencies.Add(c.w.now - op.start)
	found := uint64(0)
	if m.result.Found {
		found = 1
	}
	c.w.record(trace.Event{Kind: trace.ClientReturn, Node: c.w.endpointID(c.idx), Peer: uint32(from), ID: op.id,
		Msg: uint8(op.cmd.Op), Count: found, Index: uint64(len(m.result.Value))})
	if c.closedLoop() {
		c.fill(c.w.now)
	}
}

// sendClient puts client traffic (a request or a reply) on the wire.
func (w *World) sendClient(from, to int, m clientMsg) {
	w.nextMsgID++
	w.stats.Sent++
	code := uint8(MsgClientRequest)
	if m.reply {
		code = MsgClientReply
	}
	w.record(trace.Event{Kind: trace.Send, Node: w.endpointID(from), Peer: w.endpointID(to), Msg: code,
		ID: w.nextMsgID, Reject: m.notLeader})
	it := w.q.newItem(0, itemDeliver, to)
	it.from, it.msgID, it.cmsg, it.sentAt = from, w.nextMsgID, m, w.now
	w.transmit(it)
}

// serveClient handles a client's request at a server: the leader proposes
// it; anyone else points at the leader it knows.
func (w *World) serveClient(s *server, it *item) {
	m := &it.cmsg
	if s.node.Role() != raft.Leader {
		w.sendClient(s.idx, it.from, clientMsg{op: m.op, reply: true, notLeader: true, hint: s.node.Lead()})
		return
	}
	idx, term, err := s.node.Propose(m.cmd.Encode(nil))
	if err != nil {
		// Handing over: point at the server that is about to lead.
		w.sendClient(s.idx, it.from, clientMsg{op: m.op, reply: true, notLeader: true, hint: s.node.LeadTransferee()})
		return
	}
	w.stats.Proposals++
	s.pending[idx] = pendingOp{client: it.from, op: m.op, term: term}
	w.flush(s)
}

func (w *World) reply(s *server, p pendingOp, m clientMsg) {
	m.op = p.op
	w.sendClient(s.idx, p.client, m)
}
