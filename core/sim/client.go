package sim

import (
	"slices"
	"strconv"
	"strings"

	"smrlab/core/fsm"
	"smrlab/core/linear"
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
// server when one answered "not the leader" without a hint, or when it has
// followed as many hints in a row as there are members (hints that point
// around in a circle): a fixed pause, since such an answer says only that
// an election is under way, not that the cluster is overloaded or cut off.
const notLeaderBackoffMicros = 20 * Millisecond

// The retry policy, and the bound it gives. A client sends an operation to
// the server it believes leads. A redirect (a "not the leader" answer with a
// hint) is followed at once; one without a hint waits
// notLeaderBackoffMicros and tries the next server. Neither counts as a
// failure: only an attempt that timed out, or that admission control
// refused, escalates the backoff (the timeout/4, doubled per failure,
// capped at BackoffMaxMicros, by default twice the timeout, with jitter of
// ±50%), and only those count toward MaxAttempts.
//
// The bound: from a moment H when a leader serves, every server runs and
// no message is lost, an operation that has not given up completes by
//
//	H + timeout + 3 × backoff cap + servers × (round trip + notLeaderBackoff) + commit latency
//
// (by default 7 timeouts and a few round trips; World.ClientBoundMicros
// computes it, taking two election timeouts for the commit, which on a
// healthy cluster takes a few round trips and disk writes): an attempt sent
// before H times out at most one timeout later, the backoff after it lasts
// at most 1.5 times the cap, and the send after that reaches the leader
// within one round trip per member, each follower answering with the
// leader's name or, before it has heard from it, a short fixed pause.
// Scenarios must leave that long after their last heal for
// all-ops-complete to hold on every seed.

// ClientBoundMicros is the bound above: how long after a leader serves on a
// healthy network every client operation still pending has completed.
func (w *World) ClientBoundMicros() int64 {
	wl := &w.cfg.Workload
	limit := wl.BackoffMaxMicros
	if limit == 0 {
		limit = 2 * wl.TimeoutMicros
	}
	election := int64(0)
	for _, n := range w.cfg.Nodes {
		election = max(election, 2*int64(n.ElectionTicks)*w.cfg.TickMicros)
	}
	hop := 2*w.cfg.Net.LatencyMaxMicros + notLeaderBackoffMicros
	return wl.TimeoutMicros + 3*limit + int64(w.cfg.Servers)*hop + 2*election
}

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
	id    uint64
	cmd   fsm.Command
	start int64
	// attempt counts the sends; failures counts the attempts that timed
	// out or were refused (they escalate the backoff); hops counts the
	// redirects followed in a row without a pause.
	attempt  uint32
	failures uint32
	hops     uint32
	server   raft.ID
	deadline int64 // when the timer acts on the operation
	// backingOff: the deadline is when to send again; otherwise it is when
	// the current attempt times out.
	backingOff bool
	// maybe: some attempt may have reached the log (it timed out, rather
	// than being refused outright).
	maybe bool
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

// ackBelow is the lowest operation still waiting for its answer: the
// session may forget every result below it.
func (c *client) ackBelow() uint64 {
	low := c.nextOp + 1
	for _, op := range c.ops {
		low = min(low, op.id)
	}
	return low
}

func (c *client) startOp() {
	wl := &c.w.cfg.Workload
	c.nextOp++
	op := &clientOp{id: c.nextOp, start: c.w.now, server: c.leader}
	key := c.w.drawKey(c.rng)
	op.cmd = fsm.Command{Client: uint32(c.num), Seq: op.id, Op: fsm.OpGet, Key: c.w.keyName(key)}
	if chance(c.rng, wl.WritePPM) {
		op.cmd.Op = fsm.OpPut
		if chance(c.rng, wl.AppendPPM) {
			op.cmd.Op = fsm.OpAppend
		}
		op.cmd.Value = c.value(op.id, wl.ValueBytes)
	} else if wl.ReadAnywhere {
		op.server = raft.ID(1 + c.rng.IntN(c.w.cfg.members()))
	}
	c.ops = append(c.ops, op)
	op.cmd.AckBelow = c.ackBelow()
	c.w.stats.OpsStarted++
	c.w.record(trace.Event{Kind: trace.ClientCall, Node: c.w.endpointID(c.idx), Peer: uint32(op.server),
		ID: op.id, Msg: uint8(op.cmd.Op), Index: uint64(key), Count: uint64(len(op.cmd.Value))})
	if h := c.w.history; h != nil {
		h.Invoke(uint32(c.num), op.id, historyKind(op.cmd.Op), op.cmd.Key, op.cmd.Value, c.w.now)
	}
	c.sendOp(op)
}

// value makes a unique value of the requested size, so that a history shows
// which write a read saw.
func (c *client) value(op uint64, size int) string {
	var b strings.Builder // one allocation: String does not copy
	b.Grow(max(size, 24))
	var num [40]byte
	b.WriteByte('c')
	b.Write(strconv.AppendInt(num[:0], int64(c.num), 10))
	b.WriteByte('.')
	b.Write(strconv.AppendUint(num[:0], op, 10))
	b.WriteByte(';')
	for b.Len() < size {
		b.WriteByte('.')
	}
	return b.String()
}

func (c *client) sendOp(op *clientOp) {
	op.attempt++
	op.hops++
	op.backingOff = false
	to := int(op.server) - 1
	c.w.sendClient(c.idx, to, clientMsg{op: op.id, cmd: op.cmd})
	c.arm(op, c.w.now+c.w.cfg.Workload.TimeoutMicros)
}

// arm sets op's deadline and makes sure the timer fires by then.
func (c *client) arm(op *clientOp, at int64) {
	op.deadline = at
	if c.timerAt >= 0 && c.timerAt <= at {
		return
	}
	c.timerAt = at
	c.w.q.push(c.w.q.newItem(at, itemClientTimeout, c.idx))
}

// backoff records a failed attempt (a timeout or a refusal) and waits
// before the next: the timeout/4, doubled per failure, capped, with jitter
// of ±50% from the client's own stream. Redirects do not come here.
func (c *client) backoff(op *clientOp, to raft.ID) {
	wl := &c.w.cfg.Workload
	op.failures++
	if wl.MaxAttempts > 0 && int(op.failures) >= wl.MaxAttempts {
		c.giveUp(op)
		return
	}
	d := wl.TimeoutMicros / 4
	limit := c.backoffMax()
	for i := uint32(1); i < op.failures && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	d = between(c.rng, d/2, d+d/2)
	c.pause(op, to, max(d, 1))
}

// backoffMax is the cap on the backoff: BackoffMaxMicros, by default twice
// the timeout, which keeps the bound after a heal (see above) a small
// multiple of the timeout however long the outage was.
func (c *client) backoffMax() int64 {
	if wl := &c.w.cfg.Workload; wl.BackoffMaxMicros > 0 {
		return wl.BackoffMaxMicros
	}
	return 2 * c.w.cfg.Workload.TimeoutMicros
}

// pause waits d, then sends op to server to.
func (c *client) pause(op *clientOp, to raft.ID, d int64) {
	op.server = to
	op.backingOff = true
	op.hops = 0
	c.arm(op, c.w.now+d)
}

// giveUp stops retrying op: it is indeterminate if an attempt may have
// reached the log, and failed if every attempt was refused.
func (c *client) giveUp(op *clientOp) {
	c.remove(op.id)
	if op.maybe {
		c.w.stats.OpsIndeterminate++
		if h := c.w.history; h != nil {
			h.Indeterminate(uint32(c.num), op.id, c.w.now)
		}
	} else {
		c.w.stats.OpsFailed++
		if h := c.w.history; h != nil {
			h.Fail(uint32(c.num), op.id, c.w.now)
		}
	}
	c.w.record(trace.Event{Kind: trace.ClientReturn, Node: c.w.endpointID(c.idx), ID: op.id, Msg: uint8(op.cmd.Op),
		Reject: true, Text: giveUpText(op)})
	if c.closedLoop() {
		c.fill(c.w.now)
	}
}

func giveUpText(op *clientOp) string {
	what := "failed: every attempt was refused"
	if op.maybe {
		what = "indeterminate: it may or may not have taken effect"
	}
	return "gave up after " + strconv.Itoa(int(op.failures)) + " failed attempts (" +
		strconv.Itoa(int(op.attempt)) + " sends), " + what
}

func (c *client) find(id uint64) int {
	for i, op := range c.ops {
		if op.id == id {
			return i
		}
	}
	return -1
}

func (c *client) remove(id uint64) {
	if i := c.find(id); i >= 0 {
		c.ops = append(c.ops[:i], c.ops[i+1:]...)
	}
}

// retry sends op again, at once, to server to.
func (c *client) retry(op *clientOp, to raft.ID) {
	op.server = to
	c.w.stats.OpsRetried++
	op.cmd.AckBelow = c.ackBelow()
	c.sendOp(op)
}

func (c *client) nextServer(after raft.ID) raft.ID {
	return raft.ID(int(after)%c.w.cfg.members() + 1)
}

// timeout acts on every operation past its deadline: an attempt that timed
// out backs off (and will try the next server); a backoff that ended sends
// again. It re-arms the timer for the earliest deadline left.
func (c *client) timeout() {
	now := c.w.now
	if c.timerAt <= now {
		c.timerAt = -1
	}
	for _, op := range append([]*clientOp(nil), c.ops...) {
		if op.deadline > now {
			continue
		}
		if op.backingOff {
			c.retry(op, op.server)
			continue
		}
		op.maybe = true
		c.leader = c.nextServer(op.server)
		c.backoff(op, c.leader)
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
	if !m.ok {
		if from != op.server || op.backingOff {
			return // an answer to an earlier attempt
		}
		switch {
		case m.overloaded:
			// Refused before it reached the log: back off, then the same server.
			c.backoff(op, from)
		case m.hint != raft.None && m.hint != from && int(op.hops) < c.w.cfg.members():
			// A redirect: follow it at once; it is no failure.
			c.leader = m.hint
			c.retry(op, m.hint)
		case m.hint != raft.None && m.hint != from:
			// Hints going round in a circle: pause, then follow.
			c.leader = m.hint
			c.pause(op, m.hint, notLeaderBackoffMicros)
		default:
			// No hint (an election is under way): pause, then the next server.
			c.leader = c.nextServer(from)
			c.pause(op, c.leader, notLeaderBackoffMicros)
		}
		return
	}
	c.ops = append(c.ops[:i], c.ops[i+1:]...)
	if op.cmd.Op != fsm.OpGet || !c.w.cfg.Workload.ReadAnywhere {
		c.leader = from
	}
	c.w.stats.OpsOK++
	c.w.stats.OpLatencies.Add(c.w.now - op.start)
	found := uint64(0)
	if m.result.Found {
		found = 1
	}
	if h := c.w.history; h != nil {
		output := ""
		if op.cmd.Op == fsm.OpGet {
			output = string(m.result.Value) // a write's output tells the check nothing
		}
		h.Complete(uint32(c.num), op.id, output, m.result.Found, c.w.now)
	}
	c.w.record(trace.Event{Kind: trace.ClientReturn, Node: c.w.endpointID(c.idx), Peer: uint32(from), ID: op.id,
		Msg: uint8(op.cmd.Op), Count: found, Index: uint64(len(m.result.Value))})
	if c.closedLoop() {
		c.fill(c.w.now)
	}
}

// drawKey picks a key: uniformly, or by Zipf's law (key k has weight 1/k),
// with integer weights so that every platform draws the same.
func (w *World) drawKey(r *stream) int {
	wl := &w.cfg.Workload
	if !wl.Zipf || wl.Keys == 1 {
		return r.IntN(wl.Keys)
	}
	if w.zipf == nil {
		w.zipf = make([]uint64, wl.Keys)
		total := uint64(0)
		for k := range w.zipf {
			total += zipfScale / uint64(k+1)
			w.zipf[k] = total
		}
	}
	x := r.Uint64N(w.zipf[len(w.zipf)-1])
	k, _ := slices.BinarySearch(w.zipf, x+1)
	return k
}

// keyName is key k's name, "k" and its number, made once.
func (w *World) keyName(k int) string {
	if k >= len(w.keyNames) {
		w.keyNames = slices.Grow(w.keyNames, k+1-len(w.keyNames))
		for i := len(w.keyNames); i <= k; i++ {
			w.keyNames = append(w.keyNames, "k"+strconv.Itoa(i))
		}
	}
	return w.keyNames[k]
}

// zipfScale is the weight of the hottest key.
const zipfScale = 1 << 40

func historyKind(op fsm.Op) linear.Kind {
	switch op {
	case fsm.OpPut:
		return linear.Put
	case fsm.OpAppend:
		return linear.Append
	}
	return linear.Get
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
// a command (or answers a read as its read mode says), unless admission
// control refuses it; a follower answers a stale read itself and points
// anything else at the leader it knows.
func (w *World) serveClient(s *server, it *item) {
	m := &it.cmsg
	if m.cmd.Op == fsm.OpGet && s.opts.ReadMode != ReadLog {
		w.serveRead(s, it)
		return
	}
	if s.node.Role() != raft.Leader {
		w.sendClient(s.idx, it.from, clientMsg{op: m.op, reply: true, notLeader: true, hint: s.node.Lead()})
		return
	}
	if reason := w.admit(s); reason != "" {
		w.reject(s, it, reason)
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
