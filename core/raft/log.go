package raft

// raftLog is a server's in-memory copy of its log (paper §5.3). It starts
// with a sentinel entry at index offset, so that index offset's term is known
// (0 for an empty log); the entry at index i sits at position i-offset.
//
// The positions are cut into chunks of chunkEntries entries (the last one
// may be shorter), so that a growing log never copies what it holds: a long
// log in one array would be copied again at every doubling, which cost the
// benchmark a third of its time.
//
// Entries are never changed in place: a truncation copies the chunk it cuts,
// so that slices handed out in messages and Ready values stay valid.
type raftLog struct {
	chunks [][]Entry
	// unstable is the first index not yet handed to storage in a Ready.
	unstable uint64
}

const (
	chunkShift   = 10
	chunkEntries = 1 << chunkShift
	chunkMask    = chunkEntries - 1
)

// newLog starts a log after a snapshot whose last included entry is
// (index, term), (0, 0) for none, holding the durable entries that follow.
func newLog(index, term uint64, durable []Entry) raftLog {
	var l raftLog
	l.restart(index, term)
	l.append(durable...)
	l.unstable = l.lastIndex() + 1
	return l
}

// compact drops the entries up to index i, which a snapshot now covers; entry
// i becomes the sentinel. The kept entries move to fresh chunks so that the
// dropped ones can be freed (slices handed out earlier keep theirs).
func (l *raftLog) compact(i uint64) {
	old, from, last := l.chunks, i-l.offset(), l.lastIndex()-l.offset()
	term := l.at(from).Term
	l.chunks = [][]Entry{make([]Entry, 1, min(max(2*(last-from+1), 16), chunkEntries))}
	l.chunks[0][0] = Entry{Index: i, Term: term}
	for p := from + 1; p <= last; {
		c := old[p>>chunkShift][p&chunkMask:]
		l.append(c...)
		p += uint64(len(c))
	}
	l.unstable = max(l.unstable, i+1)
}

// restart empties the log after a snapshot at (index, term) that it does not
// hold (§7: "discard the entire log").
func (l *raftLog) restart(index, term uint64) {
	l.chunks = [][]Entry{make([]Entry, 1, 16)}
	l.chunks[0][0] = Entry{Index: index, Term: term}
	l.unstable = index + 1
}

// clone returns a log that shares the entries and may grow apart: its
// last chunk is clipped, so that an append to either copies it first.
func (l *raftLog) clone() raftLog {
	c := raftLog{chunks: make([][]Entry, len(l.chunks)), unstable: l.unstable}
	copy(c.chunks, l.chunks)
	n := len(c.chunks) - 1
	c.chunks[n] = c.chunks[n][:len(c.chunks[n]):len(c.chunks[n])]
	return c
}

// length is the number of positions, the sentinel included.
func (l *raftLog) length() uint64 {
	n := len(l.chunks) - 1
	return uint64(n)<<chunkShift + uint64(len(l.chunks[n]))
}

// at returns the entry at position p (index offset+p).
func (l *raftLog) at(p uint64) *Entry { return &l.chunks[p>>chunkShift][p&chunkMask] }

func (l *raftLog) offset() uint64     { return l.chunks[0][0].Index }
func (l *raftLog) offsetTerm() uint64 { return l.chunks[0][0].Term }
func (l *raftLog) lastIndex() uint64  { return l.chunks[0][0].Index + l.length() - 1 }
func (l *raftLog) lastTerm() uint64 {
	c := l.chunks[len(l.chunks)-1]
	return c[len(c)-1].Term
}

// each calls f on every position's entry, the sentinel first.
func (l *raftLog) each(f func(*Entry)) {
	for _, c := range l.chunks {
		for i := range c {
			f(&c[i])
		}
	}
}

// term returns the term of the entry at index i, and false if the log does not hold i.
func (l *raftLog) term(i uint64) (uint64, bool) {
	if i < l.offset() || i > l.lastIndex() {
		return 0, false
	}
	return l.at(i - l.offset()).Term, true
}

// matchTerm reports whether the log holds index i with term t.
func (l *raftLog) matchTerm(i, t uint64) bool {
	lt, ok := l.term(i)
	return ok && lt == t
}

// slice returns entries [lo, hi). Callers keep lo > offset and hi <= lastIndex+1.
// Within one chunk it shares the log's array (clipped, so that no append
// reaches it); across chunks it copies.
func (l *raftLog) slice(lo, hi uint64) []Entry {
	off := l.offset()
	a, b := lo-off, hi-off
	if a >= b {
		return nil
	}
	if a>>chunkShift == (b-1)>>chunkShift {
		c := l.chunks[a>>chunkShift]
		i, j := a&chunkMask, (b-1)&chunkMask+1
		return c[i:j:j]
	}
	out := make([]Entry, 0, b-a)
	for p := a; p < b; {
		c := l.chunks[p>>chunkShift]
		i := p & chunkMask
		j := min(uint64(len(c)), i+(b-p))
		out = append(out, c[i:j]...)
		p += j - i
	}
	return out
}

// isUpToDate is the election restriction of §5.4.1: a candidate's log is at
// least as up-to-date as ours if its last term is later, or equal with an index
// at least as long.
func (l *raftLog) isUpToDate(lastIndex, lastTerm uint64) bool {
	return lastTerm > l.lastTerm() || (lastTerm == l.lastTerm() && lastIndex >= l.lastIndex())
}

// append adds entries that follow the last index. It fills the last chunk
// (the first one grows by doubling up to a chunk's size: a short log stays
// small) and starts new chunks as needed.
func (l *raftLog) append(ents ...Entry) {
	for len(ents) > 0 {
		n := len(l.chunks) - 1
		last := l.chunks[n]
		if len(last) == chunkEntries {
			// The log is long: the next chunk is full-sized at once.
			l.chunks = append(l.chunks, make([]Entry, 0, chunkEntries))
			continue
		}
		k := min(chunkEntries-len(last), len(ents))
		if len(last)+k > cap(last) {
			grown := make([]Entry, len(last), min(max(2*cap(last), len(last)+k, 16), chunkEntries))
			copy(grown, last)
			last = grown
		}
		l.chunks[n] = append(last, ents[:k]...)
		ents = ents[k:]
	}
}

// AppendEntries appends src to dst, doubling the capacity when it runs out.
// The built-in append grows large slices by a quarter, which copies a long
// log about four times per entry; doubling copies it about once.
func AppendEntries(dst, src []Entry) []Entry {
	if n := len(dst) + len(src); n > cap(dst) {
		grown := make([]Entry, len(dst), max(2*cap(dst), n, 16))
		copy(grown, dst)
		dst = grown
	}
	return append(dst, src...)
}

// truncateAndAppend keeps [.., ents[0].Index) and appends ents, copying the
// chunk it cuts so that no slice handed out earlier sees the change.
func (l *raftLog) truncateAndAppend(ents []Entry) {
	first := ents[0].Index
	keep := first - l.offset()
	if first <= l.lastIndex() {
		n := (keep - 1) >> chunkShift // the chunk of the last kept position
		cut := l.chunks[n][:(keep-1)&chunkMask+1]
		fresh := make([]Entry, len(cut), min(max(2*len(cut), len(cut)+len(ents), 16), chunkEntries))
		copy(fresh, cut)
		clear(l.chunks[n+1:])
		l.chunks = l.chunks[:n+1]
		l.chunks[n] = fresh
	}
	l.append(ents...)
	if first < l.unstable {
		l.unstable = first
	}
}

// findConflict returns the index of the first entry of ents that the log
// does not hold with the same term, or 0 if it holds them all.
func (l *raftLog) findConflict(ents []Entry) uint64 {
	for _, e := range ents {
		if !l.matchTerm(e.Index, e.Term) {
			return e.Index
		}
	}
	return 0
}

// findConflictByTerm returns the largest index <= i whose term is <= t, with
// that term: the fast back-off of the paper's §5.3 closing note.
func (l *raftLog) findConflictByTerm(i, t uint64) (uint64, uint64) {
	if i > l.lastIndex() {
		i = l.lastIndex()
	}
	for ; i > l.offset(); i-- {
		if lt, _ := l.term(i); lt <= t {
			return i, lt
		}
	}
	lt, _ := l.term(i)
	return i, lt
}

// unstableEntries returns entries not yet handed to storage and marks them handed.
func (l *raftLog) unstableEntries() []Entry {
	if l.unstable > l.lastIndex() {
		return nil
	}
	ents := l.slice(l.unstable, l.lastIndex()+1)
	l.unstable = l.lastIndex() + 1
	return ents
}
