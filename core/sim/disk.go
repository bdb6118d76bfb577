package sim

import (
	"smrlab/core/raft"
)

// write is one Ready's worth of stable-storage work, with the messages that
// may leave only once it is durable.
//
// A snapshot is written on its own, as a file would be, and ends a flush; the
// write after it drops the log entries the snapshot covers (compact). A
// crash between the two leaves the snapshot and the whole old log.
type write struct {
	snap    *raft.Snapshot
	compact bool // drop the entries up to the durable snapshot's index first
	hs      raft.HardState
	hsSet   bool
	ents    []raft.Entry
	msgs    []raft.Message
}

// disk is a server's simulated stable storage. It keeps what is durable apart
// from what was written and not yet flushed: a crash loses the latter.
type disk struct {
	params DiskParams
	rng    *stream
	// durable is the hard state and the snapshot on disk; its Entries stay
	// empty: the log after the snapshot is in log (state() puts them
	// together).
	durable raft.Durable
	log     entryChunks
	// flushing is the batch being made durable, due at flushDone; queued
	// waits for the next flush (group commit).
	flushing    []write
	queued      []write
	flushDone   int64
	slowPercent int64
	// msgBufs recycles the message lists of completed writes.
	msgBufs [][]raft.Message
}

// messageBuf returns an empty message list to fill.
func (d *disk) messageBuf() []raft.Message {
	if n := len(d.msgBufs); n > 0 {
		b := d.msgBufs[n-1]
		d.msgBufs = d.msgBufs[:n-1]
		return b
	}
	return nil
}

// recycle takes back a write's message list once its messages are sent.
func (d *disk) recycle(msgs []raft.Message) {
	if cap(msgs) > 0 && len(d.msgBufs) < 64 {
		clear(msgs)
		d.msgBufs = append(d.msgBufs, msgs[:0])
	}
}

func newDisk(p DiskParams, rng *stream) *disk {
	return &disk{params: p, rng: rng, slowPercent: 100}
}

// busy reports whether a write is waiting to become durable.
func (d *disk) busy() bool { return len(d.flushing) > 0 || len(d.queued) > 0 }

// pending counts writes not yet durable.
func (d *disk) pending() int { return len(d.flushing) + len(d.queued) }

// latency draws one flush's duration.
func (d *disk) latency() int64 {
	l := between(d.rng, d.params.LatencyMinMicros, d.params.LatencyMaxMicros)
	return l * d.slowPercent / 100
}

// submit queues a write; it reports whether a flush must be started now.
func (d *disk) submit(w write) bool {
	d.queued = append(d.queued, w)
	return len(d.flushing) == 0
}

// startFlush moves the queued writes into a flush and returns its duration.
// A snapshot write ends a flush.
func (d *disk) startFlush(now int64) int64 {
	n := len(d.queued)
	for i := range d.queued {
		if d.queued[i].snap != nil {
			n = i + 1
			break
		}
	}
	if n == len(d.queued) {
		d.flushing, d.queued = d.queued, d.flushing[:0]
	} else {
		d.flushing = append(d.flushing[:0], d.queued[:n]...)
		rest := copy(d.queued, d.queued[n:])
		clear(d.queued[rest:])
		d.queued = d.queued[:rest]
	}
	lat := d.latency()
	if bw := d.params.BytesPerSec; bw > 0 {
		bytes := int64(0)
		for i := range d.flushing {
			for j := range d.flushing[i].ents {
				bytes += int64(len(d.flushing[i].ents[j].Data)) + 16
			}
			if s := d.flushing[i].snap; s != nil {
				bytes += int64(len(s.Data))
			}
		}
		lat += bytes * Second / bw * d.slowPercent / 100
	}
	d.flushDone = now + lat
	return lat
}

// completeFlush makes the flushing batch durable and returns it; the caller
// sends its messages and must be done with the slice before the next
// startFlush, which reuses it.
func (d *disk) completeFlush() []write {
	done := d.flushing
	for i := range done {
		w := &done[i]
		if w.snap != nil {
			d.durable.Snapshot = *w.snap
		}
		if w.compact {
			d.compact()
		}
		if w.hsSet {
			d.durable.HardState = w.hs
		}
		if len(w.ents) > 0 {
			d.appendEntries(w.ents)
		}
	}
	d.flushing = done[:0]
	return done
}

// firstIndex is the index the durable log starts at.
func (d *disk) firstIndex() uint64 {
	if d.log.len() > 0 {
		return d.log.at(0).Index
	}
	return d.durable.Snapshot.Meta.Index + 1
}

// state is everything on the disk, the log in one fresh slice (for a
// restart and its checks).
func (d *disk) state() raft.Durable {
	st := d.durable
	if n := d.log.len(); n > 0 {
		st.Entries = make([]raft.Entry, 0, n)
		d.log.each(func(e *raft.Entry) { st.Entries = append(st.Entries, *e) })
	}
	return st
}

// entries returns the durable entries [lo, hi) within the log. The slice
// must not be changed.
func (d *disk) entries(lo, hi uint64) []raft.Entry {
	base := d.firstIndex()
	lo, hi = max(lo, base), min(hi, base+uint64(d.log.len()))
	if lo >= hi {
		return nil
	}
	return d.log.slice(int(lo-base), int(hi-base))
}

func (d *disk) appendEntries(ents []raft.Entry) {
	first, base := ents[0].Index, d.firstIndex()
	last := base + uint64(d.log.len()) - 1
	switch {
	case first > last+1:
		panic("sim: a disk write would leave a gap in the durable log")
	case first < base:
		panic("sim: a disk write reaches before the durable log")
	case first <= last:
		d.log.truncate(int(first - base))
	}
	d.log.append(ents)
}

// compact drops the durable entries the durable snapshot covers: all of
// them if the log does not hold the snapshot's last entry (paper §7). The
// kept ones move to a fresh array, so the dropped ones can be freed.
func (d *disk) compact() {
	snap := d.durable.Snapshot.Meta
	n := d.log.len()
	if n == 0 || snap.Index == 0 {
		return
	}
	first, last := d.log.at(0).Index, d.log.at(n-1).Index
	switch {
	case snap.Index < first:
		return
	case snap.Index <= last && d.log.at(int(snap.Index-first)).Term == snap.Term:
		d.log.dropFront(int(snap.Index + 1 - first))
	default:
		d.log = entryChunks{}
	}
}

// recover finishes, at start-up, a compaction a crash interrupted.
func (d *disk) recover() {
	if d.durable.Snapshot.Meta.Index > 0 {
		d.compact()
	}
}

// crash drops every write that is not durable and reports how many were lost.
func (d *disk) crash() int {
	lost := d.pending()
	d.flushing, d.queued = nil, nil
	return lost
}

func (d *disk) lastDurable() (uint64, uint64) {
	n := d.log.len()
	if n == 0 {
		return d.durable.Snapshot.Meta.Index, d.durable.Snapshot.Meta.Term
	}
	e := d.log.at(n - 1)
	return e.Index, e.Term
}
