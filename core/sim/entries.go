package sim

import "smrlab/core/raft"

// entryChunks is a disk's durable log: entries in chunks of
// entryChunkEntries, so that a growing log never copies what it holds (one
// array would be copied again at every doubling). A chunk is never changed
// below its length once a clone may share it: a truncation copies the chunk
// it cuts, and a clone's last chunk is clipped so that its appends copy it.
type entryChunks struct {
	chunks [][]raft.Entry
	n      int
}

const (
	entryChunkShift   = 10
	entryChunkEntries = 1 << entryChunkShift
	entryChunkMask    = entryChunkEntries - 1
)

func (c *entryChunks) len() int { return c.n }

// at returns the i-th entry (0 for the first).
func (c *entryChunks) at(i int) *raft.Entry { return &c.chunks[i>>entryChunkShift][i&entryChunkMask] }

// append adds ents at the end. The first chunk grows by doubling, so that
// small disks (the explorer clones thousands) stay small; the next ones are
// full-sized at once.
func (c *entryChunks) append(ents []raft.Entry) {
	for len(ents) > 0 {
		k := len(c.chunks) - 1
		if k < 0 {
			c.chunks = append(c.chunks, make([]raft.Entry, 0, min(max(len(ents), 16), entryChunkEntries)))
			continue
		}
		if len(c.chunks[k]) == entryChunkEntries {
			// The log is long: the next chunk is full-sized at once.
			c.chunks = append(c.chunks, make([]raft.Entry, 0, entryChunkEntries))
			continue
		}
		last := c.chunks[k]
		m := min(entryChunkEntries-len(last), len(ents))
		if len(last)+m > cap(last) {
			grown := make([]raft.Entry, len(last), min(max(2*cap(last), len(last)+m, 16), entryChunkEntries))
			copy(grown, last)
			last = grown
		}
		c.chunks[k] = append(last, ents[:m]...)
		c.n += m
		ents = ents[m:]
	}
}

// truncate keeps the first n entries.
func (c *entryChunks) truncate(n int) {
	if n >= c.n {
		return
	}
	if n == 0 {
		*c = entryChunks{}
		return
	}
	k := (n - 1) >> entryChunkShift
	kept := c.chunks[k][:(n-1)&entryChunkMask+1]
	clear(c.chunks[k+1:])
	c.chunks = c.chunks[:k+1]
	// A shorter copy, clipped: the next append copies it again rather than
	// write where a clone may still read.
	c.chunks[k] = append([]raft.Entry(nil), kept...)[:len(kept):len(kept)]
	c.n = n
}

// dropFront drops the first k entries; the rest move to fresh chunks so
// that the dropped ones can be freed.
func (c *entryChunks) dropFront(k int) {
	old := *c
	*c = entryChunks{}
	for i := k; i < old.n; {
		ch := old.chunks[i>>entryChunkShift][i&entryChunkMask:]
		c.append(ch)
		i += len(ch)
	}
}

// slice returns entries [lo, hi): shared within one chunk, copied across
// chunks. It must not be changed.
func (c *entryChunks) slice(lo, hi int) []raft.Entry {
	if lo >= hi {
		return nil
	}
	if lo>>entryChunkShift == (hi-1)>>entryChunkShift {
		ch := c.chunks[lo>>entryChunkShift]
		i, j := lo&entryChunkMask, (hi-1)&entryChunkMask+1
		return ch[i:j:j]
	}
	out := make([]raft.Entry, 0, hi-lo)
	for i := lo; i < hi; {
		ch := c.chunks[i>>entryChunkShift]
		a := i & entryChunkMask
		b := min(len(ch), a+(hi-i))
		out = append(out, ch[a:b]...)
		i += b - a
	}
	return out
}

// clone returns a log that shares the entries and grows apart.
func (c *entryChunks) clone() entryChunks {
	out := entryChunks{chunks: make([][]raft.Entry, len(c.chunks)), n: c.n}
	copy(out.chunks, c.chunks)
	if k := len(out.chunks) - 1; k >= 0 {
		out.chunks[k] = out.chunks[k][:len(out.chunks[k]):len(out.chunks[k])]
	}
	return out
}

// each calls f on every entry in order.
func (c *entryChunks) each(f func(*raft.Entry)) {
	for _, ch := range c.chunks {
		for i := range ch {
			f(&ch[i])
		}
	}
}
