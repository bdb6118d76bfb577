// Package fsm is the replicated state machine: a key-value store that every
// server applies committed log entries to, in log order. Commands travel in
// log entries in a small binary encoding.
//
// Client sessions (Ongaro's thesis §6.3) make retries safe: each client
// numbers its commands, and the state machine remembers the result of every
// command a client has not yet acknowledged. A command applied a second time
// (a retry whose first copy also committed) returns the remembered result and
// changes nothing. A client acknowledges results with AckBelow: every command
// numbered below it has been answered, so its result may be forgotten.
package fsm

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Op is a client operation.
type Op uint8

// The operations of the key-value store.
const (
	// OpPut sets a key.
	OpPut Op = iota + 1
	// OpGet reads a key through the log, so the read is linearizable.
	OpGet
	// OpAppend appends the value to the key's value (a missing key counts
	// as empty): applied twice, it shows twice.
	OpAppend
	opEnd
)

func (o Op) String() string {
	switch o {
	case OpPut:
		return "put"
	case OpGet:
		return "get"
	case OpAppend:
		return "append"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Limits of a command, checked when decoding.
const (
	KeyBytesMax   = 256
	ValueBytesMax = 1 << 20
)

// Command is one client operation as it travels in a log entry. Client 0
// has no session (a command typed at a server); Seq numbers the client's
// commands from 1, and AckBelow says every command below it was answered.
type Command struct {
	Client   uint32
	Seq      uint64
	AckBelow uint64
	Op       Op
	Key      string
	Value    string
}

func (c Command) String() string {
	if c.Op == OpGet {
		return fmt.Sprintf("get %s", c.Key)
	}
	return fmt.Sprintf("%v %s=%s", c.Op, c.Key, c.Value)
}

// Encode appends the command's encoding to buf.
func (c Command) Encode(buf []byte) []byte {
	if buf == nil {
		buf = make([]byte, 0, 32+len(c.Key)+len(c.Value))
	}
	buf = append(buf, byte(c.Op))
	buf = binary.LittleEndian.AppendUint32(buf, c.Client)
	buf = binary.AppendUvarint(buf, c.Seq)
	buf = binary.AppendUvarint(buf, c.AckBelow)
	buf = binary.AppendUvarint(buf, uint64(len(c.Key)))
	buf = append(buf, c.Key...)
	buf = binary.AppendUvarint(buf, uint64(len(c.Value)))
	return append(buf, c.Value...)
}

var errShort = errors.New("fsm: command is truncated")

// Decode parses a command written by Encode.
func Decode(b []byte) (Command, error) {
	v, err := decodeView(b)
	if err != nil {
		return Command{}, err
	}
	return Command{Client: v.client, Seq: v.seq, AckBelow: v.ack, Op: v.op, Key: string(v.key),
		Value: string(v.value)}, nil
}

// view is a decoded command whose key and value still point into the
// entry, so that applying it allocates nothing.
type view struct {
	op         Op
	client     uint32
	seq, ack   uint64
	key, value []byte
}

func decodeView(b []byte) (view, error) {
	var v view
	if len(b) < 5 {
		return v, errShort
	}
	v.op = Op(b[0])
	if v.op == 0 || v.op >= opEnd {
		return v, fmt.Errorf("fsm: unknown operation %d", b[0])
	}
	v.client = binary.LittleEndian.Uint32(b[1:5])
	b = b[5:]
	var n int
	if v.seq, n = binary.Uvarint(b); n <= 0 {
		return v, errShort
	}
	b = b[n:]
	if v.ack, n = binary.Uvarint(b); n <= 0 {
		return v, errShort
	}
	b = b[n:]
	var err error
	if v.key, b, err = lengthPrefixed(b, KeyBytesMax); err != nil {
		return v, fmt.Errorf("fsm: key: %w", err)
	}
	if v.value, b, err = lengthPrefixed(b, ValueBytesMax); err != nil {
		return v, fmt.Errorf("fsm: value: %w", err)
	}
	if len(b) != 0 {
		return v, fmt.Errorf("fsm: %d bytes after the command", len(b))
	}
	return v, nil
}

func lengthPrefixed(b []byte, limit uint64) ([]byte, []byte, error) {
	l, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, nil, errShort
	}
	b = b[n:]
	if l > limit {
		return nil, nil, fmt.Errorf("length %d over the limit %d", l, limit)
	}
	if l > uint64(len(b)) {
		return nil, nil, errShort
	}
	return b[:l], b[l:], nil
}

// Result is what applying a command returns to its client: the value the
// key held before (after, for an append). Value points into a log entry and
// must not be changed. Duplicate marks a command applied before, whose
// remembered result this is.
type Result struct {
	Value     []byte
	Found     bool
	Duplicate bool
}

// KV is the key-value state machine. Its hash is kept incrementally, so that
// hashing the state after every run costs nothing, and lazily: what changed
// since the last Hash is hashed by the next one, so a key written many times
// in between (or a result remembered and forgotten) is hashed once or never.
// Values point into the log entries that wrote them: entries are never
// changed once made.
type KV struct {
	data     map[string]*cell
	sessions map[uint32]*session
	applied  uint64
	// hash covers every cell but the dirty ones, and each session's first
	// hashed results.
	hash uint64
	// dirty are the cells written since the last Hash; unsettled the
	// sessions with results added since.
	dirty     []*cell
	unsettled []*session
	// NoDedup is the no-session-dedup bug toggle: a retried command is
	// applied again instead of answered from the session.
	NoDedup bool
}

// cell is one key's value and the pair's share of the store's hash, kept
// so that overwriting a value need not hash the old one again. A dirty
// cell's hash is not in the store's yet.
type cell struct {
	key   string
	value []byte
	hash  uint64
	dirty bool
}

// session is what the state machine remembers of one client: the results
// of its commands numbered AckBelow and up, in Seq order. The first hashed
// of them are in the store's hash; the others wait for the next Hash.
type session struct {
	client    uint32
	ackBelow  uint64
	results   []remembered
	hashed    int
	unsettled bool
}

type remembered struct {
	seq uint64
	res Result
	// hash is the result's share of the store's hash (resultHash), once
	// the result is hashed.
	hash uint64
}

// NewKV returns an empty store.
func NewKV() *KV { return &KV{data: map[string]*cell{}, sessions: map[uint32]*session{}} }

// Applied is the index of the last entry applied.
func (kv *KV) Applied() uint64 { return kv.applied }

// Len is the number of keys.
func (kv *KV) Len() int { return len(kv.data) }

// Get reads a key from the local state, with no replication guarantee.
func (kv *KV) Get(key string) (string, bool) {
	c, ok := kv.data[key]
	if !ok {
		return "", false
	}
	return string(c.value), true
}

// Apply applies the entry at index. Entries that carry no command (a leader's
// no-op) or a command that does not decode change nothing but the applied index.
func (kv *KV) Apply(index uint64, data []byte) (Result, error) {
	if index != kv.applied+1 {
		return Result{}, fmt.Errorf("fsm: applying index %d after %d", index, kv.applied)
	}
	kv.applied = index
	if len(data) == 0 {
		return Result{}, nil
	}
	v, err := decodeView(data)
	if err != nil {
		return Result{}, err
	}
	var sess *session
	if v.client != 0 && !kv.NoDedup {
		sess = kv.session(v.client)
		kv.acknowledge(v.client, sess, v.ack)
		if v.seq < sess.ackBelow {
			// Answered already, and the client said so: nothing to do.
			return Result{Duplicate: true}, nil
		}
		if r, ok := sess.lookup(v.seq); ok {
			r.Duplicate = true
			return r, nil
		}
	}
	res := kv.apply(&v)
	if sess != nil {
		kv.remember(sess, remembered{seq: v.seq, res: res})
	}
	return res, nil
}

func (kv *KV) apply(v *view) Result {
	c, found := kv.data[string(v.key)]
	var res Result
	if found {
		res = Result{Value: c.value, Found: true}
	}
	var value []byte
	switch v.op {
	case OpPut:
		value = v.value
	case OpAppend:
		if found {
			value = make([]byte, 0, len(c.value)+len(v.value))
			value = append(append(value, c.value...), v.value...)
		} else {
			value = v.value
		}
		res = Result{Value: value, Found: true}
	default:
		return res
	}
	if !found {
		k := string(v.key)
		c = &cell{key: k}
		kv.data[k] = c
	} else if !c.dirty {
		kv.hash ^= c.hash
	}
	c.value = value
	if !c.dirty {
		c.dirty = true
		kv.dirty = append(kv.dirty, c)
	}
	return res
}

func (kv *KV) session(client uint32) *session {
	s, ok := kv.sessions[client]
	if !ok {
		s = &session{client: client, ackBelow: 1}
		kv.sessions[client] = s
		kv.hash ^= sessionHash(client, s.ackBelow)
	}
	return s
}

// acknowledge forgets the results below ack: the client has them.
func (kv *KV) acknowledge(client uint32, s *session, ack uint64) {
	if ack <= s.ackBelow {
		return
	}
	kv.hash ^= sessionHash(client, s.ackBelow) ^ sessionHash(client, ack)
	s.ackBelow = ack
	k := 0
	for k < len(s.results) && s.results[k].seq < ack {
		if k < s.hashed {
			kv.hash ^= s.results[k].hash
		}
		k++
	}
	if k > 0 {
		// Reslice, never write: a clone may share the array (appends past
		// its end reallocate, since a clone's copy is clipped).
		s.results = s.results[k:]
		s.hashed = max(s.hashed-k, 0)
	}
}

func (s *session) lookup(seq uint64) (Result, bool) {
	if n := len(s.results); n == 0 || s.results[n-1].seq < seq {
		return Result{}, false // a new command: the usual case
	}
	i, ok := slices.BinarySearchFunc(s.results, seq, func(r remembered, seq uint64) int {
		return cmp.Compare(r.seq, seq)
	})
	if !ok {
		return Result{}, false
	}
	return s.results[i].res, true
}

// remember keeps a result, in Seq order. A clone shares the slice clipped
// to its length, so appending in place is safe; an insertion copies.
func (kv *KV) remember(s *session, r remembered) {
	i := len(s.results)
	for i > 0 && s.results[i-1].seq > r.seq {
		i--
	}
	if !s.unsettled {
		s.unsettled = true
		kv.unsettled = append(kv.unsettled, s)
	}
	if i < s.hashed {
		// Among the hashed ones: hash it now, and count it with them.
		r.hash = resultHash(s.client, r.seq, &r.res)
		kv.hash ^= r.hash
		s.hashed++
	}
	if i == len(s.results) {
		if len(s.results) == cap(s.results) {
			// Results are forgotten from the front and added at the end: a
			// roomy copy lasts several times the window of a client.
			grown := make([]remembered, len(s.results), 4*len(s.results)+16)
			copy(grown, s.results)
			s.results = grown
		}
		s.results = append(s.results, r)
		return
	}
	out := make([]remembered, 0, len(s.results)+1)
	out = append(append(append(out, s.results[:i]...), r), s.results[i:]...)
	s.results = out
}

// Sessions is the number of client sessions.
func (kv *KV) Sessions() int { return len(kv.sessions) }

func sessionHash(client uint32, ack uint64) uint64 {
	return mix(uint64(client)<<40 ^ ack ^ 0x5e55_1000_0000_0000)
}

func resultHash(client uint32, seq uint64, r *Result) uint64 {
	h := strHash(uint64(client)*0x9e3779b97f4a7c15^seq, r.Value)
	if r.Found {
		h = ^h
	}
	return mix(h)
}

// Hash is an order-independent hash of the contents and the applied index.
func (kv *KV) Hash() uint64 {
	kv.settle()
	return kv.hash ^ mix(kv.applied)
}

// settle hashes what changed since the last Hash into the store's hash.
func (kv *KV) settle() {
	for i, c := range kv.dirty {
		c.hash = pairHash(c.key, c.value)
		kv.hash ^= c.hash
		c.dirty = false
		kv.dirty[i] = nil
	}
	kv.dirty = kv.dirty[:0]
	for i, s := range kv.unsettled {
		if s.hashed < len(s.results) {
			// A clone shares the array below its own length only, and
			// settles it before it is made: these places are this store's.
			fresh := s.results[s.hashed:]
			for j := range fresh {
				fresh[j].hash = resultHash(s.client, fresh[j].seq, &fresh[j].res)
				kv.hash ^= fresh[j].hash
			}
			s.hashed = len(s.results)
		}
		s.unsettled = false
		kv.unsettled[i] = nil
	}
	kv.unsettled = kv.unsettled[:0]
}

// Keys returns the keys in sorted order.
func (kv *KV) Keys() []string {
	keys := make([]string, 0, len(kv.data))
	for k := range kv.data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func pairHash[K string | []byte](k K, v []byte) uint64 {
	return mix(strHash(strHash(0x9e3779b97f4a7c15, k), v))
}

// strHash folds bytes into h eight at a time.
func strHash[S string | []byte](h uint64, s S) uint64 {
	h = (h ^ uint64(len(s))) * 0x100000001b3
	for len(s) >= 8 {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = (h ^ w) * 0x9e3779b97f4a7c15
		h ^= h >> 29
		s = s[8:]
	}
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 0x100000001b3
	}
	return h
}

// mix is splitmix64's finalizer.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// Clone returns an independent copy of the store.
func (kv *KV) Clone() *KV {
	kv.settle()
	c := &KV{data: make(map[string]*cell, len(kv.data)), sessions: make(map[uint32]*session, len(kv.sessions)),
		applied: kv.applied, hash: kv.hash, NoDedup: kv.NoDedup}
	for k, v := range kv.data {
		c.data[k] = &cell{key: k, value: v.value, hash: v.hash}
	}
	for id, s := range kv.sessions {
		cp := *s
		cp.results = slices.Clip(s.results) // shared: appends past it reallocate
		c.sessions[id] = &cp
	}
	return c
}

// Snapshot encodes the whole state as of the applied index (paper §7): a
// version byte, the applied index, then every key with its value in key
// order, so that equal states give equal bytes.
func (kv *KV) Snapshot() []byte {
	keys := kv.Keys()
	size := 12
	for _, k := range keys {
		size += len(k) + len(kv.data[k].value) + 4
	}
	b := make([]byte, 0, size)
	b = append(b, snapshotVersion)
	b = binary.AppendUvarint(b, kv.applied)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		v := kv.data[k].value
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	// The sessions, by client: each remembered result goes too, so that a
	// retry after a snapshot is still answered once (thesis §6.3).
	clients := make([]uint32, 0, len(kv.sessions))
	for id := range kv.sessions {
		clients = append(clients, id)
	}
	slices.Sort(clients)
	b = binary.AppendUvarint(b, uint64(len(clients)))
	for _, id := range clients {
		s := kv.sessions[id]
		b = binary.AppendUvarint(b, uint64(id))
		b = binary.AppendUvarint(b, s.ackBelow)
		b = binary.AppendUvarint(b, uint64(len(s.results)))
		for _, r := range s.results {
			b = binary.AppendUvarint(b, r.seq)
			flags := byte(0)
			if r.res.Found {
				flags = 1
			}
			b = append(b, flags)
			b = binary.AppendUvarint(b, uint64(len(r.res.Value)))
			b = append(b, r.res.Value...)
		}
	}
	return b
}

const snapshotVersion = 2

// Restore rebuilds a store from a snapshot made by Snapshot. Values point
// into data, which must not change.
func Restore(data []byte) (*KV, error) {
	if len(data) < 1 || data[0] != snapshotVersion {
		return nil, errors.New("fsm: snapshot of unknown version")
	}
	b := data[1:]
	applied, n := binary.Uvarint(b)
	if n <= 0 {
		return nil, errors.New("fsm: snapshot is truncated")
	}
	b = b[n:]
	count, n := binary.Uvarint(b)
	if n <= 0 || count > uint64(len(b)) {
		return nil, errors.New("fsm: snapshot is truncated")
	}
	b = b[n:]
	kv := &KV{data: make(map[string]*cell, count), sessions: map[uint32]*session{}, applied: applied}
	prev := ""
	for i := uint64(0); i < count; i++ {
		k, rest, err := lengthPrefixed(b, KeyBytesMax)
		if err != nil {
			return nil, fmt.Errorf("fsm: snapshot key %d: %w", i, err)
		}
		v, rest, err := lengthPrefixed(rest, ValueBytesMax)
		if err != nil {
			return nil, fmt.Errorf("fsm: snapshot value %d: %w", i, err)
		}
		if i > 0 && string(k) <= prev {
			return nil, fmt.Errorf("fsm: snapshot key %d is out of order", i)
		}
		prev = string(k)
		h := pairHash(k, v)
		kv.data[prev] = &cell{key: prev, value: v, hash: h}
		kv.hash ^= h
		b = rest
	}
	if err := kv.restoreSessions(b); err != nil {
		return nil, err
	}
	return kv, nil
}

func (kv *KV) restoreSessions(b []byte) error {
	uv := func(what string) (uint64, error) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, fmt.Errorf("fsm: snapshot is truncated in the sessions (%s)", what)
		}
		b = b[n:]
		return v, nil
	}
	count, err := uv("count")
	if err != nil {
		return err
	}
	if count > uint64(len(b)) {
		return errors.New("fsm: snapshot is truncated in the sessions")
	}
	prev := uint64(0)
	for i := uint64(0); i < count; i++ {
		id, err := uv("client")
		if err != nil {
			return err
		}
		if id == 0 || id > 1<<32-1 || (i > 0 && id <= prev) {
			return fmt.Errorf("fsm: snapshot session %d has a bad client number", i)
		}
		prev = id
		s := &session{client: uint32(id)}
		if s.ackBelow, err = uv("acknowledged"); err != nil {
			return err
		}
		n, err := uv("results")
		if err != nil {
			return err
		}
		if n > uint64(len(b)) {
			return errors.New("fsm: snapshot is truncated in the sessions")
		}
		kv.sessions[uint32(id)] = s
		kv.hash ^= sessionHash(uint32(id), s.ackBelow)
		for j := uint64(0); j < n; j++ {
			var r remembered
			if r.seq, err = uv("seq"); err != nil {
				return err
			}
			if len(b) < 1 || b[0] > 1 {
				return errors.New("fsm: snapshot session result is damaged")
			}
			r.res.Found = b[0] == 1
			var rest []byte
			if r.res.Value, rest, err = lengthPrefixed(b[1:], ValueBytesMax); err != nil {
				return fmt.Errorf("fsm: snapshot session result: %w", err)
			}
			b = rest
			if len(s.results) > 0 && r.seq <= s.results[len(s.results)-1].seq {
				return errors.New("fsm: snapshot session results are out of order")
			}
			r.hash = resultHash(uint32(id), r.seq, &r.res)
			s.results = append(s.results, r)
			s.hashed++
			kv.hash ^= r.hash
		}
	}
	if len(b) != 0 {
		return fmt.Errorf("fsm: %d bytes after the snapshot", len(b))
	}
	return nil
}

// SnapshotHash is the Hash of the state a snapshot holds.
func SnapshotHash(data []byte) (uint64, error) {
	kv, err := Restore(data)
	if err != nil {
		return 0, err
	}
	return kv.Hash(), nil
}
