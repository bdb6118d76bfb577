package raft

// KeySink takes the words and byte strings of a state key (trace.Hasher,
// in practice).
type KeySink interface {
	Uint64(v uint64)
	Bytes(b []byte)
}

// Renaming maps server IDs to other IDs, so that two states that differ only
// in the names of their servers give the same key (symmetry reduction in an
// exhaustive explorer). Renaming[id] is id's new name; a zero Renaming keeps
// every name.
type Renaming [MaxID + 1]ID

// Of is id's name under r (None stays None).
func (r *Renaming) Of(id ID) ID {
	if id > MaxID || r[id] == None {
		return id
	}
	return r[id]
}

// StateKey feeds sink every part of the server's state that decides what it
// does next when it is driven by messages, Campaign and Heartbeat alone (no
// Tick): the paper's persistent and volatile state, the log, the
// configuration, each follower's Progress, the votes of an election and a
// transfer under way. It leaves out what only clock ticks and reads use (the
// election timer, the lease, heartbeat round numbers, pending reads), so
// that an exhaustive explorer that never ticks the clock merges states that
// differ only there. Servers are named through r.
func (n *Node) StateKey(sink KeySink, r *Renaming) {
	sink.Uint64(n.term)
	sink.Uint64(uint64(r.Of(n.vote)))
	sink.Uint64(uint64(r.Of(n.lead)))
	sink.Uint64(uint64(n.role))
	sink.Uint64(n.commit)
	sink.Uint64(n.applied)
	sink.Uint64(n.stableIndex)
	sink.Uint64(n.log.unstable)
	n.log.key(sink)
	configKey(sink, &n.conf, r)
	sink.Uint64(uint64(len(n.confs)))
	for i := range n.confs {
		configKey(sink, &n.confs[i], r)
	}
	// Per server, in the renamed order: votes, then (on a leader) progress.
	var order [MaxID + 1]ID
	for id := ID(1); id <= MaxID; id++ {
		order[r.Of(id)] = id
	}
	for to := ID(1); to <= MaxID; to++ {
		id := order[to]
		if id == None {
			continue
		}
		sink.Uint64(uint64(int64(n.votes[id])))
		if n.role != Leader {
			continue
		}
		p := &n.prs[id]
		if !p.tracked {
			sink.Uint64(0)
			continue
		}
		sink.Uint64(1 | uint64(p.State)<<1 | b2u(p.ProbeSent)<<4 | b2u(p.RecentActive)<<5)
		sink.Uint64(p.Match)
		sink.Uint64(p.Next)
		sink.Uint64(p.sentCommit)
		sink.Uint64(p.matchAtHeartbeat)
		sink.Uint64(p.SnapAcked)
		sink.Uint64(uint64(p.inflights.count))
		for i := 0; i < p.inflights.count; i++ {
			sink.Uint64(p.inflights.buf[(p.inflights.start+i)%len(p.inflights.buf)])
		}
	}
	sink.Uint64(uint64(r.Of(n.leadTransferee)) | b2u(n.transferCampaign)<<8 | b2u(n.pendingHardStateSync)<<9)
	sink.Uint64(n.prevHS.Term)
	sink.Uint64(uint64(r.Of(n.prevHS.Vote)))
	sink.Uint64(n.prevHS.Commit)
	sink.Uint64(n.snap.Meta.Index)
	sink.Uint64(n.snap.Meta.Term)
	if n.incoming != nil {
		sink.Uint64(n.incoming.meta.Index)
		sink.Uint64(uint64(r.Of(n.incoming.from)))
		sink.Uint64(n.incoming.term)
		sink.Uint64(uint64(len(n.incoming.buf)))
	}
}

// MessageKey feeds sink a message's content, its servers named through r.
// It leaves out Context, the heartbeat round only reads use (see StateKey).
func MessageKey(sink KeySink, m *Message, r *Renaming) {
	sink.Uint64(uint64(m.Type) | uint64(r.Of(m.From))<<8 | uint64(r.Of(m.To))<<16 | b2u(m.Reject)<<24 |
		b2u(m.Transfer)<<25 | b2u(m.Done)<<26)
	sink.Uint64(m.Term)
	sink.Uint64(m.LogTerm)
	sink.Uint64(m.Index)
	sink.Uint64(m.Commit)
	sink.Uint64(m.Hint)
	sink.Uint64(m.Offset)
	sink.Uint64(m.Size)
	EntriesKey(sink, m.Entries)
	sink.Bytes(m.Data)
	if m.Config != nil {
		configKey(sink, m.Config, r)
	}
}

// EntriesKey feeds sink each entry's index, term, type and data.
func EntriesKey(sink KeySink, ents []Entry) {
	sink.Uint64(uint64(len(ents)))
	for i := range ents {
		EntryKey(sink, &ents[i])
	}
}

// EntryKey feeds one entry of a log to sink, as EntriesKey does: a log kept
// in pieces is fed as its length and then EntryKey of each entry.
func EntryKey(sink KeySink, e *Entry) {
	sink.Uint64(e.Index)
	sink.Uint64(e.Term<<8 | uint64(e.Type))
	sink.Bytes(e.Data)
}

// key feeds the log to sink exactly as EntriesKey feeds the same entries
// in one slice.
func (l *raftLog) key(sink KeySink) {
	sink.Uint64(l.length())
	l.each(func(e *Entry) { EntryKey(sink, e) })
}

func configKey(sink KeySink, c *Configuration, r *Renaming) {
	sink.Uint64(c.Index)
	for _, set := range [][]ID{c.Voters, c.OldVoters, c.Learners} {
		var renamed idSet
		for _, id := range set {
			renamed |= 1 << r.Of(id)
		}
		sink.Uint64(uint64(renamed))
	}
}

// Heartbeat makes a leader send its heartbeats now, as its heartbeat timer
// does when it fires, without advancing its clock. Others ignore it. An
// explorer that never ticks the clock uses it as the heartbeat timeout.
func (n *Node) Heartbeat() {
	if n.role != Leader {
		return
	}
	n.bcastHeartbeat()
	n.retrySnapshots()
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
