package sim

import (
	"math/rand/v2"

	"smrlab/core/raft"
)

type itemKind uint8

const (
	itemDeliver itemKind = iota + 1
	itemTick
	itemDiskDone
	itemClientNext
	itemClientTimeout
	itemAction
	itemWatchdog
	itemNemesis
)

// item is a pending event in the world's queue. Items are ordered by time and
// then by the order they were scheduled, so ties break deterministically.
type item struct {
	at   int64
	seq  uint64
	kind itemKind
	// who is the endpoint the item happens at: a server index (0 for S1) or
	// len(servers)+client index.
	who int
	// gen is the server's incarnation when scheduled; a crash makes the
	// items of the old incarnation stale.
	gen uint32
	// late items (user actions) run after every other item of their time,
	// as a click does after the events of the moment it lands on.
	late bool
	// deliveries
	from  int
	msgID uint64
	dup   bool
	msg   raft.Message
	cmsg  clientMsg
	isRPC bool // msg is set (a server message); else cmsg
	// sentAt is when the message left its sender (for drawing it in flight).
	sentAt int64
	action int
}

// queue is a 4-ary min-heap of items (half the levels of a binary heap, and
// a place's children side by side), with a free list so that the steady
// state allocates nothing. keys[i] is h[i]'s place in the order, kept
// beside the heap so that comparing two places reads no item. Items are in
// a total order (seq is unique), so the shape of the heap never shows.
type queue struct {
	h    []*item
	keys []queueKey
	free []*item
	seq  uint64
}

// queueKey orders items: by time, then late ones last, then by seq (late
// is the top bit of then, seq the rest).
type queueKey struct {
	at   int64
	then uint64
}

const lateBit = 1 << 63

func keyOf(it *item) queueKey {
	k := queueKey{at: it.at, then: it.seq}
	if it.late {
		k.then |= lateBit
	}
	return k
}

func (q *queue) less(i, j int) bool {
	a, b := &q.keys[i], &q.keys[j]
	return a.at < b.at || a.at == b.at && a.then < b.then
}

func (q *queue) swap(i, j int) {
	q.h[i], q.h[j] = q.h[j], q.h[i]
	q.keys[i], q.keys[j] = q.keys[j], q.keys[i]
}

func (q *queue) newItem(at int64, kind itemKind, who int) *item {
	var it *item
	if n := len(q.free); n > 0 {
		it = q.free[n-1]
		q.free = q.free[:n-1]
		*it = item{}
	} else {
		it = &item{}
	}
	it.at, it.kind, it.who = at, kind, who
	return it
}

func (q *queue) push(it *item) {
	it.seq = q.seq
	q.seq++
	q.h = append(q.h, it)
	q.keys = append(q.keys, keyOf(it))
	q.fix(len(q.h) - 1)
}

func (q *queue) pop() *item { return q.remove(0) }

// remove takes item i out of the queue.
func (q *queue) remove(i int) *item {
	it := q.h[i]
	n := len(q.h) - 1
	q.h[i], q.keys[i] = q.h[n], q.keys[n]
	q.h[n] = nil
	q.h, q.keys = q.h[:n], q.keys[:n]
	if i < n {
		q.fix(i)
	}
	return it
}

// fix restores the heap order around place i after its item changed.
func (q *queue) fix(i int) {
	for i > 0 {
		p := (i - 1) / 4
		if !q.less(i, p) {
			break
		}
		q.swap(i, p)
		i = p
	}
	n := len(q.h)
	for {
		l := 4*i + 1
		if l >= n {
			return
		}
		m := l
		for c := l + 1; c < min(l+4, n); c++ {
			if q.less(c, m) {
				m = c
			}
		}
		if !q.less(m, i) {
			return
		}
		q.swap(i, m)
		i = m
	}
}

func (q *queue) release(it *item) {
	it.msg.Entries = nil
	q.free = append(q.free, it)
}

func (q *queue) len() int { return len(q.h) }

func (q *queue) peekTime() int64 { return q.keys[0].at }

// Randomness: one PCG stream per purpose, each seeded from the world's seed,
// the purpose and its subject, so that changing one knob does not reshuffle
// the draws of every other.
const (
	streamTimeouts uint64 = iota + 1
	streamLink
	streamWorkload
	streamFaults
	streamDisk
	streamClient
	streamNemesis
)

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func streamSeed(seed, purpose, a, b uint64) (uint64, uint64) {
	s1 := splitmix(seed ^ splitmix(purpose))
	s2 := splitmix(s1 ^ splitmix(a<<32|b) ^ purpose)
	return s1, s2
}

// stream is one seeded PCG random stream. It keeps the generator's state
// reachable so that a cloned world draws the same numbers as the original.
type stream struct {
	pcg *rand.PCG
	*rand.Rand
}

func newStream(seed, purpose, a, b uint64) *stream {
	s1, s2 := streamSeed(seed, purpose, a, b)
	pcg := rand.NewPCG(s1, s2)
	return &stream{pcg: pcg, Rand: rand.New(pcg)}
}

func (s *stream) clone() *stream {
	if s == nil {
		return nil
	}
	pcg := *s.pcg
	return &stream{pcg: &pcg, Rand: rand.New(&pcg)}
}

// between draws uniformly from [lo, hi].
func between(r *stream, lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + r.Int64N(hi-lo+1)
}

// chance draws true with probability ppm parts per million.
func chance(r *stream, ppm uint32) bool {
	return ppm > 0 && (ppm >= PPM || r.Uint32N(PPM) < ppm)
}
