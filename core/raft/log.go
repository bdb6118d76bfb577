package raft

// raftLog is a server's in-memory copy of its log (paper §5.3). It starts
// with a sentinel entry at index offset, so that index offset's term is known
// (0 for an empty log); entries[i-offset] holds index i.
//
// Entries are never changed in place: a truncation copies, so that slices
// handed out in messages and Ready values stay valid.
type raftLog struct {
	entries []Entry
	// unstable is the first index not yet handed to storage in a Ready.
	unstable uint64
}

// newLog starts a log after a snapshot whose last included entry is
// (index, term), (0, 0) for none, holding the durable entries that follow.
func newLog(index, term uint64, durable []Entry) raftLog {
	l := raftLog{entries: make([]Entry, 1, len(durable)+1)}
	l.entries[0] = Entry{Index: index, Term: term}
	l.entries = append(l.entries, durable...)
	l.unstable = l.lastIndex() + 1
	return l
}

// compact drops the entries up to index i, which a snapshot now covers; entry
// i becomes the sentinel. The kept entries move to a fresh array so that the
// dropped ones can be freed (slices handed out earlier keep theirs).
func (l *raftLog) compact(i uint64) {
	keep := l.entries[i-l.offset():]
	fresh := make([]Entry, len(keep), max(2*len(keep), 16))
	copy(fresh, keep)
	fresh[0] = Entry{Index: i, Term: keep[0].Term}
	l.entries = fresh
	l.unstable = max(l.unstable, i+1)
}

// restart empties the log after a snapshot at (index, term) that it does not
// hold (§7: "discard the entire log").
func (l *raftLog) restart(index, term uint64) {
	l.entries = make([]Entry, 1, 16)
	l.entries[0] = Entry{Index: index, Term: term}
	l.unstable = index + 1
}

func (l *raftLog) offset() uint64    { return l.entries[0].Index }
func (l *raftLog) lastIndex() uint64 { return l.entries[0].Index + uint64(len(l.entries)) - 1 }
func (l *raftLog) lastTerm() uint64  { return l.entries[len(l.entries)-1].Term }

// term returns the term of the entry at index i, and false if the log does not hold i.
func (l *raftLog) term(i uint64) (uint64, bool) {
	if i < l.offset() || i > l.lastIndex() {
		return 0, false
	}
	return l.entries[i-l.offset()].Term, true
}

// matchTerm reports whether the log holds index i with term t.
func (l *raftLog) matchTerm(i, t uint64) bool {
	lt, ok := l.term(i)
	return ok && lt == t
}

// slice returns entries [lo, hi). Callers keep lo > offset and hi <= lastIndex+1.
func (l *raftLog) slice(lo, hi uint64) []Entry {
	off := l.offset()
	return l.entries[lo-off : hi-off : hi-off]
}

// isUpToDate is the election restriction of §5.4.1: a candidate's log is at
// least as up-to-date as ours if its last term is later, or equal with an index
// at least as long.
func (l *raftLog) isUpToDate(lastIndex, lastTerm uint64) bool {
	return lastTerm > l.lastTerm() || (lastTerm == l.lastTerm() && lastIndex >= l.lastIndex())
}

// append adds entries that follow the last index.
func (l *raftLog) append(ents ...Entry) {
	l.entries = AppendEntries(l.entries, ents)
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

// truncateAndAppend keeps [.., ents[0].Index) and appends ents, copying so
// that no slice handed out earlier sees the change.
func (l *raftLog) truncateAndAppend(ents []Entry) {
	first := ents[0].Index
	keep := first - l.offset()
	if first <= l.lastIndex() {
		fresh := make([]Entry, keep, int(keep)+len(ents))
		copy(fresh, l.entries[:keep])
		l.entries = append(fresh, ents...)
	} else {
		l.entries = AppendEntries(l.entries, ents)
	}
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
