// Package linear records the client history of a simulated run and checks it
// for linearizability against a key-value store model, with
// github.com/anishathalye/porcupine.
//
// The recorder, History, runs inside the simulator and follows the
// determinism rules of DESIGN.md: no maps iterated where the order escapes,
// no goroutines, no clock but the virtual microseconds it is given.
//
// The checker (Check, Checker, WriteHTML) is a verdict on a history, not a
// step of the simulation, and it is the one part of core/ that does not
// follow those rules: porcupine checks the keys in parallel goroutines and
// stops at a wall-clock timeout, so whether a hard history is decided or
// times out (Unknown) can differ between runs and machines, unless a step
// budget (Options.Steps) bounds the search instead. The verdict of a
// check that finishes, and its explanation, are the same everywhere. Nothing
// a check returns may go into a trace. This package's own code still starts
// no goroutine and reads no clock: the timeout is porcupine's, and
// Result.Elapsed is measured only with a clock the caller passes
// (Options.Now), since core/ may not call time.Now.
package linear

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

// Kind is what an operation does to its key.
type Kind uint8

// The operations of the key-value store.
const (
	// Get reads a key: its value, and whether it exists.
	Get Kind = iota + 1
	// Put sets a key.
	Put
	// Append appends to a key's value; a missing key counts as "".
	Append
	// Cas (compare-and-set, as in Maelstrom's lin-kv) sets a key to Value
	// if it holds Output, and else does nothing and fails. The simulator's
	// clients never send one; histories read from files may hold them.
	Cas
)

func (k Kind) String() string {
	switch k {
	case Get:
		return "get"
	case Put:
		return "put"
	case Append:
		return "append"
	case Cas:
		return "cas"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Outcome is how an operation ended, as far as its client knows.
type Outcome uint8

const (
	// Pending: the client is still waiting.
	Pending Outcome = iota
	// OK: the operation took effect, with the recorded result.
	OK
	// Failed: the cluster said the operation did not happen (refused by
	// admission control, say, before it was proposed).
	Failed
	// Indeterminate: the client gave up without learning the outcome; the
	// operation may or may not have taken effect.
	Indeterminate
)

func (o Outcome) String() string {
	switch o {
	case Pending:
		return "pending"
	case OK:
		return "ok"
	case Failed:
		return "failed"
	case Indeterminate:
		return "indeterminate"
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Op is one client operation: what the client asked, when, and what it
// learned. Times are virtual microseconds.
type Op struct {
	Client  uint32
	Kind    Kind
	Outcome Outcome
	// Found says whether a get found its key (OK gets only).
	Found bool
	// ID is the client's operation number.
	ID uint64
	// Call is when the client invoked the operation; Return is when it
	// learned the outcome or gave up (zero while pending).
	Call, Return int64
	Key          string
	// Value is the argument of a put or an append, and the new value of a
	// cas.
	Value string
	// Output is the value an OK get returned, and the value a cas compares
	// with.
	Output string
}

func (o Op) String() string {
	ret := "?"
	if o.Outcome != Pending {
		ret = micros(o.Return)
	}
	s := fmt.Sprintf("client %d op %d %s [%s, %s]", o.Client, o.ID, o.describe(), micros(o.Call), ret)
	if o.Outcome != OK {
		s += " " + o.Outcome.String()
	}
	return s
}

// describe is the operation and its result, like get("x") -> "ab".
func (o Op) describe() string {
	switch o.Kind {
	case Get:
		switch {
		case o.Outcome != OK:
			return fmt.Sprintf("get(%s)", quote(o.Key))
		case !o.Found:
			return fmt.Sprintf("get(%s) -> missing", quote(o.Key))
		}
		return fmt.Sprintf("get(%s) -> %s", quote(o.Key), quote(o.Output))
	case Put, Append:
		return fmt.Sprintf("%v(%s, %s)", o.Kind, quote(o.Key), quote(o.Value))
	case Cas:
		return fmt.Sprintf("cas(%s, %s, %s)", quote(o.Key), quote(o.Output), quote(o.Value))
	}
	return o.Kind.String()
}

// quoteBytesMax keeps explanations readable when values are long.
const quoteBytesMax = 48

func quote(s string) string {
	if len(s) <= quoteBytesMax {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:quoteBytesMax/2]) + "…" + strconv.Quote(s[len(s)-quoteBytesMax/2:]) +
		fmt.Sprintf(" (%d bytes)", len(s))
}

// micros formats virtual microseconds like a duration: "1.25s", "350ms".
func micros(us int64) string {
	if us > math.MaxInt64/int64(time.Microsecond) || us < math.MinInt64/int64(time.Microsecond) {
		return strconv.FormatInt(us, 10) + "µs"
	}
	return (time.Duration(us) * time.Microsecond).String()
}

// Limits bound what a History keeps, so that a long browser session cannot
// grow it without end.
type Limits struct {
	// OpsMax is how many operations are recorded; later ones are dropped.
	OpsMax int
	// BytesMax bounds the keys, values and get outputs kept, in bytes.
	BytesMax int
}

// The default limits: at 80 bytes of Op each, 100,000 operations and 8 MiB
// of strings keep a history at about 16 MiB, and a Checker's index adds 4
// bytes an operation. A workload of 100 operations per virtual second fills
// it in about 17 virtual minutes.
const (
	DefaultOpsMax   = 100_000
	DefaultBytesMax = 8 << 20
)

// chunkOps is how many operations share one block of storage. Clones share
// blocks and copy one only when they write to it, so a clone costs a pointer
// per block and a first write after it one block (about 10 KiB).
const chunkOps = 128

// chunk is a block of operations. One History owns it and writes it in
// place until a Clone freezes it; from then on it is shared and immutable,
// and a History that writes to it copies it first. Freezing is the only
// write that Clone makes, and it is atomic, so that one History can be
// cloned from several goroutines at once, as a checkpoint may be.
type chunk struct {
	frozen atomic.Bool
	ops    [chunkOps]Op
}

type opKey struct {
	client uint32
	id     uint64
}

// History records client operations in invocation order. It keeps every
// operation (the Op, its key, value and output) until Limits says it is
// full; after that it records no new operation, and it records a get that
// was pending when it filled up as indeterminate, since the get may have
// seen a write it did not record. A check of a full history is a check of
// the operations invoked before it filled up, and it stays sound.
//
// The zero History is empty, with the default limits.
type History struct {
	limits  Limits
	id      *uint8 // names this history for a Checker; a clone gets its own
	chunks  []*chunk
	n       int
	bytes   int
	dropped int
	full    bool
	// pending finds a pending operation by its client and ID.
	pending map[opKey]int32
}

// NewHistory returns an empty history with the default limits.
func NewHistory() *History { return NewHistoryLimits(Limits{}) }

// NewHistoryLimits returns an empty history with the given limits; a zero
// field takes its default.
func NewHistoryLimits(l Limits) *History {
	if l.OpsMax <= 0 || l.OpsMax > math.MaxInt32 {
		l.OpsMax = DefaultOpsMax
	}
	if l.BytesMax <= 0 {
		l.BytesMax = DefaultBytesMax
	}
	return &History{limits: l, id: new(uint8)}
}

// Len is the number of operations recorded.
func (h *History) Len() int { return h.n }

// Dropped is the number of operations invoked after the history was full.
func (h *History) Dropped() int { return h.dropped }

// Full says whether the history has stopped recording new operations.
func (h *History) Full() bool { return h.full }

// Invoke records that a client invoked an operation at virtual time at; a
// get's value is ignored; a cas is not recorded. It returns false, recording nothing, when the
// history is full, the kind is unknown, or the same operation is already
// pending (a client retrying an operation under the same ID is still one
// operation).
func (h *History) Invoke(client uint32, id uint64, kind Kind, key, value string, at int64) bool {
	if kind < Get || kind > Append {
		return false
	}
	if _, ok := h.pending[opKey{client, id}]; ok {
		return false
	}
	if kind == Get {
		value = ""
	}
	h.init()
	size := len(key) + len(value)
	if h.full || h.n >= h.limits.OpsMax || h.bytes+size > h.limits.BytesMax {
		h.full = true
		h.dropped++
		return false
	}
	if h.n%chunkOps == 0 {
		h.chunks = append(h.chunks, &chunk{})
	}
	*h.writable(h.n) = Op{Client: client, ID: id, Kind: kind, Key: key, Value: value, Call: at}
	h.pending[opKey{client, id}] = int32(h.n)
	h.n++
	h.bytes += size
	return true
}

// Complete records that a pending operation took effect and what it
// returned. Output and found matter for gets only. It returns false when no
// such operation is pending or at is before its call.
func (h *History) Complete(client uint32, id uint64, output string, found bool, at int64) bool {
	op := h.settle(client, id, at)
	if op == nil {
		return false
	}
	op.Outcome = OK
	if op.Kind != Get {
		return true
	}
	if h.full || h.bytes+len(output) > h.limits.BytesMax {
		// The get may have seen a write invoked after the history filled up.
		h.full = true
		op.Outcome = Indeterminate
		return true
	}
	op.Output, op.Found = output, found
	h.bytes += len(output)
	return true
}

// Fail records that a pending operation definitely did not take effect. It
// returns false when no such operation is pending or at is before its call.
func (h *History) Fail(client uint32, id uint64, at int64) bool {
	op := h.settle(client, id, at)
	if op == nil {
		return false
	}
	op.Outcome = Failed
	return true
}

// Indeterminate records that a client gave up on a pending operation without
// learning whether it took effect. It returns false when no such operation
// is pending or at is before its call.
func (h *History) Indeterminate(client uint32, id uint64, at int64) bool {
	op := h.settle(client, id, at)
	if op == nil {
		return false
	}
	op.Outcome = Indeterminate
	return true
}

// settle ends a pending operation at time at and returns it for writing, or
// nil.
func (h *History) settle(client uint32, id uint64, at int64) *Op {
	i, ok := h.pending[opKey{client, id}]
	if !ok || at < h.op(int(i)).Call {
		return nil
	}
	delete(h.pending, opKey{client, id})
	op := h.writable(int(i))
	op.Return = at
	return op
}

// Ops returns a copy of the operations in invocation order. Pending ones are
// reported as indeterminate, which is what they are if the run ends now.
func (h *History) Ops() []Op {
	ops := make([]Op, 0, h.n)
	for _, c := range h.chunks {
		ops = append(ops, c.ops[:min(chunkOps, h.n-len(ops))]...)
	}
	for i := range ops {
		if ops[i].Outcome == Pending {
			ops[i].Outcome = Indeterminate
		}
	}
	return ops
}

// Clone returns an independent copy. The two share the recorded operations
// until either writes to them: a clone costs one pointer per 128 operations
// and a copy of the pending set, which is small. Several goroutines may
// clone one History at once, provided none of them changes it.
func (h *History) Clone() *History {
	for _, ch := range h.chunks {
		ch.frozen.Store(true)
	}
	c := *h
	c.chunks = slices.Clone(h.chunks)
	c.pending = maps.Clone(h.pending)
	c.id = new(uint8)
	return &c
}

func (h *History) init() {
	if h.limits.OpsMax == 0 {
		h.limits = NewHistoryLimits(h.limits).limits
	}
	if h.id == nil {
		h.id = new(uint8)
	}
	if h.pending == nil {
		h.pending = map[opKey]int32{}
	}
}

// op reads operation i.
func (h *History) op(i int) *Op { return &h.chunks[i/chunkOps].ops[i%chunkOps] }

// writable returns operation i for writing, first copying its chunk if
// another history shares it.
func (h *History) writable(i int) *Op {
	c := h.chunks[i/chunkOps]
	if c.frozen.Load() {
		c = &chunk{ops: c.ops}
		h.chunks[i/chunkOps] = c
	}
	return &c.ops[i%chunkOps]
}
