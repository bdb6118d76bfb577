package sim

import (
	"fmt"
	"math"
	"slices"

	"smrlab/core/raft"
	"smrlab/core/trace"
)

// Scheduling. Every choice of what happens next passes through this file:
// when a message arrives (and whether the network loses, duplicates or holds
// it back), when a disk write becomes durable, and when a clock ticks.
//
// The seeded scheduler draws those times from the seed's random streams.
// The manual scheduler (Config.Manual, the scenario directive `schedule
// manual`) draws nothing: a message waits on the wire until a deliver, drop
// or duplicate action names it, clocks never tick (campaign and heartbeat
// actions stand for the timers), and with Config.ManualDisk a disk write
// waits for a persist action. Choices lists the actions that can happen
// next. The exhaustive explorer (core/modelcheck) walks every order of them;
// everything else (servers, disks, checks, traces) is the same code.

// waiting is the time of an item that only an action can choose.
const waiting int64 = math.MaxInt64

// arrivalOf schedules message it on its link: lost, duplicated, held back or
// delivered after a latency. It consumes it.
func (w *World) arrivalOf(it *item, l int) {
	if w.cfg.Manual {
		it.at = waiting
		w.q.push(it)
		return
	}
	p := w.net.paramsOf(l)
	r := w.net.rng(l)
	if chance(r, p.LossPPM) {
		w.drop(it, "loss")
		return
	}
	var dup *item
	if chance(r, p.DuplicatePPM) {
		dup = w.q.newItem(0, itemDeliver, it.who)
		*dup = *it
		dup.dup = true
		dup.at = w.now + between(r, p.LatencyMinMicros, p.LatencyMaxMicros)
		w.stats.Duplicated++
		w.record(trace.Event{Kind: trace.Duplicate, Node: w.endpointID(it.from), Peer: w.endpointID(it.who),
			ID: it.msgID, Msg: w.msgCode(it)})
	}
	it.at = w.arrival(l, r, p)
	w.q.push(it)
	if dup != nil {
		w.q.push(dup)
	}
}

// flushTime is when a flush that takes lat becomes durable.
func (w *World) flushTime(lat int64) int64 {
	switch {
	case w.cfg.Manual && w.cfg.ManualDisk:
		return waiting
	case w.cfg.Manual:
		return w.now // a write is durable at once, within the same step
	}
	return w.now + lat
}

// ticks reports whether clocks tick: not under the manual scheduler.
func (w *World) ticks() bool { return !w.cfg.Manual }

// Manual reports whether actions make every scheduling choice.
func (w *World) Manual() bool { return w.cfg.Manual }

// Choices lists, under the manual scheduler, every action that can happen
// next, in scenario syntax without its time: deliver, drop or duplicate
// each message on the wire (by its number, "deliver m7"; dead letters too,
// as a buggy receiver may not ignore them), persist each
// pending disk write (with ManualDisk), campaign on each running voter that
// is not leader, heartbeat and propose on each leader, crash each running
// server and restart each crashed one. The order is fixed, so that an
// explorer that takes them in order is deterministic.
func (w *World) Choices() []string {
	if !w.cfg.Manual {
		return nil
	}
	var out []string
	var msgs []uint64
	for _, it := range w.q.h {
		if it.kind == itemDeliver && it.at == waiting {
			msgs = append(msgs, it.msgID)
		}
	}
	slices.Sort(msgs)
	msgs = slices.Compact(msgs)
	for _, id := range msgs {
		out = append(out, fmt.Sprintf("deliver m%d", id), fmt.Sprintf("drop m%d", id), fmt.Sprintf("duplicate m%d", id))
	}
	for _, s := range w.servers {
		if s.node != nil && w.cfg.ManualDisk && w.waitingItem(itemDiskDone, s.idx, s.gen, 0) >= 0 {
			out = append(out, "persist "+s.id.String())
		}
	}
	for _, s := range w.servers {
		var conf raft.Configuration
		if s.node != nil {
			conf = s.node.Status().Config
		}
		switch {
		case s.node == nil:
			out = append(out, "restart "+s.id.String())
			continue
		case s.node.Role() == raft.Leader:
			out = append(out, "heartbeat "+s.id.String(), "propose "+s.id.String()+" x=1")
		case conf.IsVoter(s.id):
			out = append(out, "campaign "+s.id.String())
		}
		out = append(out, "crash "+s.id.String())
	}
	return out
}

// InFlightCount counts the messages waiting on the wire, but for the dead
// letters (see DeadLetters): a bound on messages in flight is a bound on
// the ones that can still matter.
func (w *World) InFlightCount() int {
	n := 0
	for _, it := range w.q.h {
		if it.kind == itemDeliver && it.at == waiting && !(it.isRPC && w.deadLetter(it)) {
			n++
		}
	}
	return n
}

// waitingItem finds the waiting item of a kind: a delivery of message msgID
// (the first sent, if it was duplicated), or server who's flush of
// incarnation gen. It returns its place in the queue, or -1.
func (w *World) waitingItem(kind itemKind, who int, gen uint32, msgID uint64) int {
	best := -1
	for i, it := range w.q.h {
		if it.kind != kind || it.at != waiting {
			continue
		}
		switch kind {
		case itemDeliver:
			if it.msgID != msgID {
				continue
			}
		case itemDiskDone:
			if it.who != who || it.gen != gen {
				continue
			}
		}
		if best < 0 || it.seq < w.q.h[best].seq {
			best = i
		}
	}
	return best
}

// chooseMessage carries out a deliver, drop or duplicate action.
func (w *World) chooseMessage(a *Action) string {
	i := w.waitingItem(itemDeliver, 0, 0, a.MsgID)
	if i < 0 {
		return fmt.Sprintf("no message m%d on the wire", a.MsgID)
	}
	switch a.Kind {
	case ActDuplicate:
		dup := w.q.newItem(waiting, itemDeliver, 0)
		*dup = *w.q.h[i]
		dup.dup = true
		w.stats.Duplicated++
		w.record(trace.Event{Kind: trace.Duplicate, Node: w.endpointID(dup.from), Peer: w.endpointID(dup.who),
			ID: dup.msgID, Msg: w.msgCode(dup)})
		w.q.push(dup)
		return ""
	case ActDrop:
		w.drop(w.q.remove(i), "dropped by an action")
		return ""
	}
	it := w.q.remove(i)
	it.at = w.now
	w.deliver(it)
	w.q.release(it)
	return ""
}

// persist carries out a persist action: server s's pending flush becomes durable.
func (w *World) persist(s *server) string {
	if s.node == nil {
		return s.id.String() + " is down"
	}
	i := w.waitingItem(itemDiskDone, s.idx, s.gen, 0)
	if i < 0 {
		return s.id.String() + " has no write waiting"
	}
	w.q.release(w.q.remove(i))
	w.diskDone(s)
	return ""
}

// ModelKey hashes the state an exhaustive explorer tells apart, apart from
// the messages on the wire (Wire lists those): each server's protocol state
// (raft.Node.StateKey), disk and state machine, the links cut, and what the
// checker remembers. Time is left out: under the manual scheduler it only
// numbers the steps. Servers are named through r, so that an explorer can
// merge states that differ only in the names of servers.
func (w *World) ModelKey(r *raft.Renaming) uint64 {
	n := len(w.servers)
	byName := make([]*server, n)
	for _, s := range w.servers {
		byName[r.Of(s.id)-1] = s
	}
	h := trace.NewHasher()
	for _, s := range byName {
		hs := s.disk.durable.HardState
		h.Uint64(hs.Term)
		h.Uint64(uint64(r.Of(hs.Vote)))
		h.Uint64(hs.Commit)
		h.Uint64(s.disk.durable.Snapshot.Meta.Index)
		h.Uint64(uint64(s.disk.log.len()))
		s.disk.log.each(func(e *raft.Entry) { raft.EntryKey(&h, e) })
		h.Uint64(uint64(s.disk.pending()))
		for _, wr := range append(slices.Clip(s.disk.flushing), s.disk.queued...) {
			h.Uint64(wr.hs.Term)
			h.Uint64(uint64(r.Of(wr.hs.Vote)))
			h.Uint64(wr.hs.Commit)
			raft.EntriesKey(&h, wr.ents)
			h.Uint64(uint64(len(wr.msgs)))
			for i := range wr.msgs {
				raft.MessageKey(&h, &wr.msgs[i], r)
			}
		}
		if s.node == nil {
			h.Uint64(0)
			continue
		}
		h.Uint64(1)
		s.node.StateKey(&h, r)
		h.Uint64(s.kv.Hash())
	}
	for a := range byName {
		for b := range byName {
			h.Uint64(b2u(!w.net.connected(byName[a].idx, byName[b].idx)))
		}
	}
	if w.checker != nil {
		w.checker.StateKey(&h, r)
	}
	return h.Sum()
}

// Wire appends to dst a hash of each message waiting on the wire, servers
// named through r, sorted: the wire as a multiset. Dead letters are hashed
// like any message: whether a receiver ignores them is the behaviour under
// test, so states that differ in them are not merged.
func (w *World) Wire(dst []uint64, r *raft.Renaming) []uint64 {
	start := len(dst)
	for _, it := range w.q.h {
		if it.kind != itemDeliver || !it.isRPC {
			continue
		}
		mh := trace.NewHasher()
		mh.Uint64(uint64(r.Of(raft.ID(it.from+1)))<<8 | uint64(r.Of(raft.ID(it.who+1))))
		raft.MessageKey(&mh, &it.msg, r)
		dst = append(dst, mh.Sum())
	}
	slices.Sort(dst[start:])
	return dst
}

// DeadLetters appends to dst the numbers of the messages waiting on the
// wire that a correct receiver ignores, sorted, each once: a response of
// a term below its receiver's, or a request of a term below its
// receiver's whose sender is already at the receiver's term or past it
// (the answer, "my term is higher", is no news to it; should the
// receiver's term rise further before the request comes, the answer would
// be news again). The bug toggles play no part: a dead letter is delivered,
// duplicated and part of the state like any other message; it only does
// not count toward InFlightCount.
func (w *World) DeadLetters(dst []uint64) []uint64 {
	start := len(dst)
	for _, it := range w.q.h {
		if it.kind == itemDeliver && it.at == waiting && it.isRPC && w.deadLetter(it) {
			dst = append(dst, it.msgID)
		}
	}
	slices.Sort(dst[start:])
	return append(dst[:start], slices.Compact(dst[start:])...)
}

// deadLetter reports a message a correct receiver ignores (see DeadLetters).
func (w *World) deadLetter(it *item) bool {
	s := w.servers[it.who]
	term := termOf(s)
	if it.msg.Term >= term {
		return false
	}
	switch it.msg.Type {
	case raft.MsgVoteResp, raft.MsgAppResp, raft.MsgHeartbeatResp, raft.MsgSnapResp:
		return true
	case raft.MsgVote, raft.MsgApp, raft.MsgHeartbeat, raft.MsgSnap:
		return it.from < len(w.servers) && termOf(w.servers[it.from]) >= term
	}
	return false
}

// termOf is a server's current term, running or not.
func termOf(s *server) uint64 {
	if s.node != nil {
		return max(s.node.Term(), s.disk.durable.HardState.Term)
	}
	return s.disk.durable.HardState.Term
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// Signature hashes what can be told of server id without naming any server:
// whether it runs, its term, role, commit index and log terms, its disk,
// and whether it voted for itself. Servers of different signatures are told
// apart under every renaming, so an explorer need only try the renamings
// that list servers in the order of their signatures.
func (w *World) Signature(id raft.ID) uint64 {
	s := w.servers[id-1]
	h := trace.NewHasher()
	hs := s.disk.durable.HardState
	h.Uint64(hs.Term)
	h.Uint64(b2u(hs.Vote == s.id))
	h.Uint64(uint64(s.disk.log.len()))
	s.disk.log.each(func(e *raft.Entry) { h.Uint64(e.Term) })
	h.Uint64(uint64(s.disk.pending()))
	if s.node == nil {
		return h.Sum()
	}
	st := s.node.Status()
	h.Uint64(1 + uint64(st.Role))
	h.Uint64(st.Term)
	h.Uint64(b2u(st.Vote == s.id))
	h.Uint64(st.Commit)
	h.Uint64(st.LastIndex)
	h.Uint64(st.LastTerm)
	return h.Sum()
}
