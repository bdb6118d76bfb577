package check

import (
	"slices"

	"smrlab/core/raft"
)

// nodeLog mirrors one server's in-memory log as chained prefix hashes: two
// logs agree up to index i exactly when their chain values at i agree.
//
// The log starts after offset, the last index its snapshot covers (0: no
// snapshot): chain[0] and terms[0] describe index offset itself, chain[k]
// and terms[k] index offset+k. The chain value at the offset is the global
// committed chain's at that index (a snapshot holds committed entries only),
// so chains stay comparable across servers whatever their offsets.
type nodeLog struct {
	offset uint64
	chain  []uint64
	terms  []uint64
	// anchored is false when chain[0] could not be taken from the committed
	// chain (a snapshot below the trimmed base or past the committed prefix):
	// the mirror's chain values are then compared with nothing.
	anchored bool

	role    raft.Role
	term    uint64
	commit  uint64
	applied uint64
	up      bool
	// config is the configuration the server reported at its last Observe
	// or Restart: the one in effect before its next Ready.
	config raft.Configuration
	// durable is the index of the snapshot on the server's disk (0: none).
	durable uint64
}

func (l *nodeLog) last() uint64 { return l.offset + uint64(len(l.chain)) - 1 }

// has reports whether the mirror describes index i (i == offset included).
func (l *nodeLog) has(i uint64) bool { return i >= l.offset && i <= l.last() }

func (l *nodeLog) chainAt(i uint64) uint64 { return l.chain[i-l.offset] }
func (l *nodeLog) termAt(i uint64) uint64  { return l.terms[i-l.offset] }

// spare reports a server that never held anything: an empty log from index
// 0 and no snapshot on its disk. Spare machines are left out of trimming.
func (l *nodeLog) spare() bool { return l.offset == 0 && len(l.chain) == 1 && l.durable == 0 }

// reset empties the log after a snapshot point (index, term) whose chain
// value is h. The arrays are fresh: a clone may share the old ones.
func (l *nodeLog) reset(index, term, h uint64, anchored bool) {
	l.offset = index
	l.chain = append(make([]uint64, 0, 16), h)
	l.terms = append(make([]uint64, 0, 16), term)
	l.anchored = anchored
}

func (l *nodeLog) appendEntry(e *raft.Entry) {
	h := l.chain[len(l.chain)-1]
	l.chain = append(l.chain, entryHash(h, e))
	l.terms = append(l.terms, e.Term)
}

// truncate keeps the indexes before `from` (from > offset), in fresh arrays:
// a clone of the checker shares the old ones.
func (l *nodeLog) truncate(from uint64) {
	keep := from - l.offset
	l.chain, l.terms = slices.Clone(l.chain[:keep]), slices.Clone(l.terms[:keep])
}

// compact drops the indexes before i (offset < i <= last): i becomes the
// snapshot point. The kept suffix moves to fresh arrays so that the dropped
// prefix can be freed.
func (l *nodeLog) compact(i uint64) {
	k := i - l.offset
	l.chain = append(make([]uint64, 0, len(l.chain)-int(k)+16), l.chain[k:]...)
	l.terms = append(make([]uint64, 0, len(l.terms)-int(k)+16), l.terms[k:]...)
	l.offset = i
}

func entryHash(prev uint64, e *raft.Entry) uint64 {
	x := prev ^ mix(e.Term+1) ^ mix(uint64(e.Type)<<56|e.Index)
	for _, b := range e.Data {
		x = (x ^ uint64(b)) * 1099511628211
	}
	return mix(x)
}

// placeholder stands for a chain value the checker cannot know.
func placeholder(index, term uint64) uint64 {
	return mix(index^0x6a09e667f3bcc909) ^ mix(term^0xbb67ae8584caa73b)
}

func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
