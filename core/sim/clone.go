package sim

import (
	"maps"
	"slices"
)

// Clone returns an independent copy of the world that goes on exactly as the
// original would: same queue, same random streams, same servers, disks and
// clients. Checkpoints of clones let a session seek backwards in time.
// Immutable data (log entries, kept events, actions) is shared, not copied.
// The clone has no event sink.
func (w *World) Clone() *World {
	c := *w
	c.q = w.q.clone()
	c.rec = *w.rec.Clone()
	c.actions = slices.Clip(w.actions)
	if w.checker != nil {
		c.checker = w.checker.Clone()
	}
	if w.watchdog != nil {
		wd := *w.watchdog
		c.watchdog = &wd
	}
	c.liveness = slices.Clip(w.liveness)
	c.keyNames = slices.Clip(w.keyNames)
	c.nemeses = make([]*nemesis, len(w.nemeses))
	for i, n := range w.nemeses {
		cp := *n
		cp.rng = n.rng.clone()
		cp.cut = slices.Clone(n.cut)
		c.nemeses[i] = &cp
	}
	c.changes = make([]*memberChange, len(w.changes))
	for i, ch := range w.changes {
		cp := *ch
		c.changes[i] = &cp
	}
	c.faultRng = w.faultRng.clone()
	c.workloadRng = w.workloadRng.clone()
	c.stats.OpLatencies.Samples = slices.Clone(w.stats.OpLatencies.Samples)
	c.stats.QuorumAcks.Samples = slices.Clone(w.stats.QuorumAcks.Samples)
	c.stats.Rejected = maps.Clone(w.stats.Rejected)
	if w.history != nil {
		c.history = w.history.Clone()
	}
	c.net = w.net.clone()
	c.servers = make([]*server, len(w.servers))
	for i, s := range w.servers {
		c.servers[i] = s.clone()
	}
	c.clients = make([]*client, len(w.clients))
	for i, cl := range w.clients {
		c.clients[i] = cl.clone(&c)
	}
	return &c
}

func (q *queue) clone() queue {
	c := queue{h: make([]*item, len(q.h)), keys: slices.Clone(q.keys), seq: q.seq}
	for i, it := range q.h {
		cp := *it
		c.h[i] = &cp
	}
	return c
}

func (nw *network) clone() network {
	c := *nw
	c.overrides = slices.Clone(nw.overrides)
	for i, p := range c.overrides {
		if p != nil {
			cp := *p
			c.overrides[i] = &cp
		}
	}
	c.cut = slices.Clone(nw.cut)
	c.lastAt = slices.Clone(nw.lastAt)
	c.rngs = make([]*stream, len(nw.rngs))
	for i, r := range nw.rngs {
		c.rngs[i] = r.clone()
	}
	return c
}

func (s *server) clone() *server {
	c := *s
	if s.node != nil {
		c.node = s.node.Clone()
	}
	c.disk = s.disk.clone()
	c.kv = s.kv.Clone()
	c.inbox = make([]*item, len(s.inbox))
	for i, it := range s.inbox {
		cp := *it
		c.inbox[i] = &cp
	}
	c.pending = maps.Clone(s.pending)
	c.reads = make([]*pendingRead, len(s.reads))
	for i, r := range s.reads {
		cp := *r
		c.reads[i] = &cp
	}
	c.appendedAt = slices.Clone(s.appendedAt)
	return &c
}

func (d *disk) clone() *disk {
	c := *d
	c.rng = d.rng.clone()
	c.log = d.log.clone()
	c.flushing = cloneWrites(d.flushing)
	c.queued = cloneWrites(d.queued)
	c.msgBufs = nil
	return &c
}

func cloneWrites(ws []write) []write {
	out := make([]write, len(ws))
	for i, w := range ws {
		w.msgs = slices.Clone(w.msgs)
		out[i] = w
	}
	return out
}

func (cl *client) clone(w *World) *client {
	c := *cl
	c.w = w
	c.rng = cl.rng.clone()
	c.ops = make([]*clientOp, len(cl.ops))
	for i, op := range cl.ops {
		cp := *op
		c.ops[i] = &cp
	}
	return &c
}
