// Package histfile reads client histories that other tools wrote, so that
// core/linear can check them: Jepsen's EDN (as Jepsen, Maelstrom and
// `smrlab export --format edn` write key-value histories) and a simple JSON
// Lines format (see ReadJSONL). Students can check the histories of their
// own Raft implementations with the lab's checker.
//
// A transaction (Jepsen's :txn, as Elle's workloads write them) becomes one
// operation per micro-operation, each on its key between the transaction's
// call and return: key by key, that is what a strictly serializable store
// shows, so a violation found is real, but checking keys apart cannot see
// a transaction that is not atomic across keys (Elle can).
//
// Like the rest of core/ it is pure: it reads bytes it is given, so it could
// run in the browser too. A malformed file is refused with an *Error naming
// its line, column and what is wrong; no input makes it panic.
package histfile

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"smrlab/core/linear"
)

// EventsMax bounds the events of one history: a check of more would not
// finish anyway.
const EventsMax = 10_000_000

// History is a client history read from a file.
type History struct {
	// Format is "edn" or "jsonl".
	Format string
	// Ops are the operations in invocation order, ready for linear.Check.
	// Client is the process, ID the invocation's :index (or its position
	// among the file's events, from 0), and Call and Return are :time in
	// microseconds when every event has one, and otherwise the positions
	// of the events in the file. Operations never completed are
	// indeterminate.
	Ops []linear.Op
	// Lines are, for each operation, the lines of its invocation and of its
	// completion (0 when it never completed).
	Lines [][2]int
	// Events counts the operation events read, and Skipped those of other
	// processes (a nemesis's), which were left out.
	Events, Skipped int
	// Processes counts the client processes.
	Processes int
	// Timed says whether Call and Return are :time; otherwise they are the
	// positions of the events in the file.
	Timed bool
}

// Where says where the file holds the operation of a client with an ID:
// "line 12" or "lines 12 and 15"; "" when there is none.
func (h *History) Where(client uint32, id uint64) string {
	for i, op := range h.Ops {
		if op.Client != client || op.ID != id {
			continue
		}
		if l := h.Lines[i]; l[1] != 0 && l[1] != l[0] {
			return fmt.Sprintf("lines %d and %d", l[0], l[1])
		}
		return fmt.Sprintf("line %d", h.Lines[i][0])
	}
	return ""
}

// Error is a malformed history: where and what is wrong.
type Error struct {
	Line, Col int // from 1; Col is 0 when unknown
	Msg       string
}

func (e *Error) Error() string {
	if e.Col > 0 {
		return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%d: %s", e.Line, e.Msg)
}

type position struct{ line, col int }

func errorAt(p position, format string, args ...any) error {
	return &Error{Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)}
}

// Read reads a history in either format: JSON Lines when its first value
// is a JSON object ({ then "), EDN otherwise.
func Read(src []byte) (*History, error) {
	if looksLikeJSON(src) {
		return ReadJSONL(src)
	}
	return ReadEDN(src)
}

func looksLikeJSON(src []byte) bool {
	for len(src) > 0 {
		src = bytes.TrimLeft(src, " \t\r\n")
		if len(src) > 0 && src[0] == ';' { // an EDN comment
			return false
		}
		if len(src) == 0 || src[0] != '{' {
			return false
		}
		rest := bytes.TrimLeft(src[1:], " \t\r\n")
		return len(rest) > 0 && rest[0] == '"' || len(rest) > 0 && rest[0] == '}'
	}
	return false
}

// field is one field of an operation event as read, before it is judged.
type field struct {
	set    bool
	at     position
	kind   string // what it is, for messages: "a string", "nil", ...
	null   bool
	scalar bool // a string, integer, keyword or other number: text holds it
	// list is a list of scalars, which text holds as the model does (see
	// elementText).
	list     bool
	isString bool
	isInt    bool
	num      int64
	text     string
}

// event is one operation event as read from either format.
type event struct {
	at                   position
	typ, f               field
	process, time, index field
	// value is the :value; in EDN it holds the key too (valueEDN), in
	// JSON Lines key and from are fields of their own (split).
	value     field
	valueEDN  *ednValue
	valueJSON []byte
	key, from field
	split     bool
}

// txnItem is one micro-operation of a transaction as read: its parts.
type txnItem struct {
	at    position
	parts []field
}

// txnItems reads a transaction's micro-operations in either format.
func (ev event) txnItems() ([]txnItem, position, error) {
	if ev.split {
		return jsonTxnItems(ev)
	}
	return ednTxnItems(ev)
}

// builder pairs invocations with their completions, process by process.
type builder struct {
	h       History
	pending map[int64]pending // by process
	times   []int64           // per event: :time, or -1
	// calls and rets are the event numbers of each operation's invocation
	// and completion (-1: none), to place them in time at the end.
	calls, rets []int
	allTimed    bool
	events      int
	procs       map[int64]bool
}

// pending is a process's operation in flight: a transaction is several
// operations, one per micro-operation, from h.Ops[first] on.
type pending struct {
	first, n int
	f        string
}

func newBuilder(format string) *builder {
	return &builder{h: History{Format: format}, pending: map[int64]pending{}, allTimed: true, procs: map[int64]bool{}}
}

// The operation event types and functions.
var (
	types = map[string]bool{"invoke": true, "ok": true, "fail": true, "info": true}
	funcs = map[string]linear.Kind{"read": linear.Get, "write": linear.Put, "append": linear.Append, "cas": linear.Cas,
		"txn": 0}
	// microFuncs are the functions of a transaction's micro-operations, as
	// Jepsen's (Elle's) workloads and Knossos's multi-register write them.
	microFuncs = map[string]linear.Kind{"r": linear.Get, "w": linear.Put, "append": linear.Append,
		"read": linear.Get, "write": linear.Put}
)

func (b *builder) add(ev event) error {
	if b.events >= EventsMax {
		return errorAt(ev.at, "more than %d events", EventsMax)
	}
	if !ev.typ.set || !types[ev.typ.text] {
		return b.missing(ev, ev.typ, "type", "invoke, ok, fail or info")
	}
	if !ev.process.set {
		return errorAt(ev.at, "no process: each event needs the process that runs its operation")
	}
	if !ev.process.isInt {
		b.h.Skipped++ // a nemesis, or another process that is not a client
		b.events++
		return nil
	}
	if ev.process.num < 0 || ev.process.num > math.MaxUint32 {
		return errorAt(ev.process.at, "process %d is out of range (0 to %d)", ev.process.num, uint32(math.MaxUint32))
	}
	kind, ok := funcs[ev.f.text]
	if !ev.f.set || !ok {
		return b.missing(ev, ev.f, "f", "read, write, append, cas or txn")
	}
	t := int64(-1)
	if ev.time.set {
		if !ev.time.isInt || ev.time.num < 0 {
			return errorAt(ev.time.at, "the time must be a whole number of nanoseconds, at least 0; found %s", ev.time.kind)
		}
		t = ev.time.num
	} else {
		b.allTimed = false
	}
	if ev.index.set && !ev.index.isInt {
		return errorAt(ev.index.at, "the index must be an integer; found %s", ev.index.kind)
	}
	n := len(b.times) // this event's number among the clients' events
	b.times = append(b.times, t)
	b.events++
	proc := ev.process.num
	if ev.typ.text == "invoke" {
		return b.invoke(ev, kind, proc, n, b.events-1)
	}
	return b.complete(ev, proc, n)
}

// missing explains a missing or unknown :type or :f.
func (b *builder) missing(ev event, f field, name, want string) error {
	if !f.set {
		return errorAt(ev.at, "no %s: want %s", name, want)
	}
	if f.text == "" {
		return errorAt(f.at, "the %s is %s: want %s", name, f.kind, want)
	}
	return errorAt(f.at, "unknown %s %q: want %s", name, f.text, want)
}

// invoke starts an operation at client event n, the file's event pos.
func (b *builder) invoke(ev event, kind linear.Kind, proc int64, n, pos int) error {
	if p, busy := b.pending[proc]; busy {
		return errorAt(ev.at, "process %d invokes an operation while its %s of line %d is still pending "+
			"(a process runs one operation at a time)", proc, p.f, b.h.Lines[p.first][0])
	}
	id := uint64(pos)
	if ev.index.set {
		id = uint64(ev.index.num)
	}
	var ops []linear.Op
	if ev.f.text == "txn" {
		micro, err := microOps(ev)
		if err != nil {
			return err
		}
		for _, m := range micro {
			op := linear.Op{Kind: microFuncs[m.f.text], Key: m.key.text}
			if op.Kind != linear.Get {
				if !m.value.scalar {
					return errorAt(m.value.at, "%s: the value must be a string or an integer; found %s", m.f.text, m.value.kind)
				}
				op.Value = written(op.Kind, m.value)
			}
			ops = append(ops, op)
		}
	} else {
		key, value, from, err := b.arguments(ev, kind, true)
		if err != nil {
			return err
		}
		op := linear.Op{Kind: kind, Key: key}
		switch kind {
		case linear.Put, linear.Append:
			op.Value = written(kind, value)
		case linear.Cas:
			op.Value, op.Output = value.text, from.text
		}
		ops = append(ops, op)
	}
	b.pending[proc] = pending{first: len(b.h.Ops), n: len(ops), f: ev.f.text}
	b.procs[proc] = true
	for _, op := range ops {
		op.Client, op.ID, op.Outcome = uint32(proc), id, linear.Indeterminate
		b.h.Ops = append(b.h.Ops, op)
		b.h.Lines = append(b.h.Lines, [2]int{ev.at.line, 0})
		b.calls, b.rets = append(b.calls, n), append(b.rets, -1)
	}
	return nil
}

// written is what a write or an append writes: an append of a string
// appends its characters, an append of anything else one element of a list
// (see listText).
func written(kind linear.Kind, v field) string {
	if kind == linear.Append && !v.isString {
		return elementText(v)
	}
	return v.text
}

// elementText is an element of a list as the model holds it: its EDN or
// JSON text and a space, so that the list [1 2] is "1 2 ", what appending 1
// then 2 gives.
func elementText(v field) string {
	if v.isString {
		return strconv.Quote(v.text) + " "
	}
	return v.text + " "
}

// read sets what a read returned: nil (or an empty list) is a key that
// does not exist.
func read(op *linear.Op, v field) {
	op.Found, op.Output = !v.null && !(v.list && v.text == ""), v.text
}

func (b *builder) complete(ev event, proc int64, n int) error {
	p, busy := b.pending[proc]
	if !busy {
		return errorAt(ev.at, "a completion (%s) for process %d, which has no operation pending", ev.typ.text, proc)
	}
	if ev.f.text != p.f {
		return errorAt(ev.f.at, "a completion of %s for the %s that process %d invoked on line %d",
			ev.f.text, p.f, proc, b.h.Lines[p.first][0])
	}
	delete(b.pending, proc)
	ops := b.h.Ops[p.first : p.first+p.n]
	for i := range ops {
		b.h.Lines[p.first+i][1] = ev.at.line
		b.rets[p.first+i] = n
		switch ev.typ.text {
		case "fail":
			ops[i].Outcome = linear.Failed
		case "info":
			ops[i].Outcome = linear.Indeterminate
		case "ok":
			ops[i].Outcome = linear.OK
		}
	}
	if ev.typ.text != "ok" {
		return nil
	}
	switch p.f {
	case "read":
		key, value, _, err := b.arguments(ev, linear.Get, false)
		if err != nil {
			return err
		}
		if key != ops[0].Key {
			return errorAt(ev.at, "the read of key %q invoked on line %d completes with key %q", ops[0].Key, b.h.Lines[p.first][0], key)
		}
		read(&ops[0], value)
	case "txn":
		micro, err := microOps(ev)
		if err != nil {
			return err
		}
		if len(micro) != len(ops) {
			return errorAt(ev.at, "the transaction invoked on line %d has %d micro-operations, its completion %d",
				b.h.Lines[p.first][0], len(ops), len(micro))
		}
		for i, m := range micro {
			if microFuncs[m.f.text] != ops[i].Kind || m.key.text != ops[i].Key {
				return errorAt(m.f.at, "micro-operation %d is not the one invoked on line %d", i+1, b.h.Lines[p.first][0])
			}
			if ops[i].Kind != linear.Get {
				continue
			}
			if !m.value.null && !m.value.scalar && !m.value.list {
				return errorAt(m.value.at, "r: the value read must be a string, an integer, a list of them or nil; found %s", m.value.kind)
			}
			read(&ops[i], m.value)
		}
	}
	return nil
}

// micro is a micro-operation of a transaction: [f key value].
type micro struct{ f, key, value field }

// microOps reads a transaction's micro-operations, [[:r k nil] [:append k
// 3] ...], each of which the checker takes as an operation on its key
// between the transaction's call and return.
func microOps(ev event) ([]micro, error) {
	items, at, err := ev.txnItems()
	if err != nil {
		return nil, err
	}
	out := make([]micro, 0, len(items))
	for _, it := range items {
		if len(it.parts) != 3 {
			return nil, errorAt(it.at, "a micro-operation is [f key value], like [:append 3 7]; found %d items", len(it.parts))
		}
		m := micro{f: it.parts[0], key: it.parts[1], value: it.parts[2]}
		if _, ok := microFuncs[m.f.text]; !ok {
			return nil, errorAt(m.f.at, "unknown micro-operation %q: want r, w, append, read or write", m.f.text)
		}
		if !m.key.scalar {
			return nil, errorAt(m.key.at, "a key must be a string or an integer; found %s", m.key.kind)
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, errorAt(at, "a transaction with no micro-operations")
	}
	return out, nil
}

// arguments reads an event's key and value (and a cas's old value), as
// its kind needs them: an invocation's writes need a value, and an ok
// read's value is what it read (nil: the key does not exist).
func (b *builder) arguments(ev event, kind linear.Kind, invoke bool) (key string, value, from field, err error) {
	var k field
	if ev.split {
		k, value, from = ev.key, ev.value, ev.from
		if !k.set {
			return "", value, from, errorAt(ev.at, `no "key"`)
		}
	} else {
		k, value, from, err = ednArguments(ev, kind)
		if err != nil {
			return "", value, from, err
		}
	}
	if !k.scalar {
		return "", value, from, errorAt(k.at, "a key must be a string or an integer; found %s", k.kind)
	}
	needValue := invoke && kind != linear.Get || !invoke && kind == linear.Get
	if !invoke && kind == linear.Get && value.list {
		return k.text, value, from, nil // a list read
	}
	if needValue && !value.set {
		return "", value, from, errorAt(ev.at, "%s: no value: want a string or an integer%s", kindWord(kind), orNil(kind))
	}
	if invoke && kind == linear.Cas && !from.set {
		return "", value, from, errorAt(ev.at, `cas: no old value ("from"): want a string or an integer`)
	}
	if needValue && !value.scalar && !(kind == linear.Get && value.null) {
		return "", value, from, errorAt(value.at, "%s: the value must be a string or an integer%s; found %s",
			kindWord(kind), orNil(kind), value.kind)
	}
	if invoke && kind == linear.Cas && !from.scalar {
		return "", value, from, errorAt(from.at, "cas: the old value must be a string or an integer; found %s", from.kind)
	}
	return k.text, value, from, nil
}

func kindWord(k linear.Kind) string {
	return map[linear.Kind]string{linear.Get: "read", linear.Put: "write", linear.Append: "append", linear.Cas: "cas"}[k]
}

func orNil(k linear.Kind) string {
	if k == linear.Get {
		return " (or nil: no such key)"
	}
	return ""
}

// RegisterKey is the key of a single register's history, as Knossos's
// cas-register histories are, whose :value is the value alone.
const RegisterKey = "register"

// ednArguments splits an EDN :value: [key value], or [key [old new]] for a
// cas. A read's invocation may give the key alone in the vector. A value
// alone (or [old new] for a cas) is an operation on a single register,
// RegisterKey.
func ednArguments(ev event, kind linear.Kind) (key, value, from field, err error) {
	v := ev.valueEDN
	want := "[key value], or a value alone for a single register"
	if kind == linear.Cas {
		want = "[key [old new]], or [old new] for a single register"
	}
	if v == nil {
		return key, value, from, errorAt(ev.at, "no :value: want %s", want)
	}
	isSeq := func(x *ednValue) bool { return x.kind == ednVector || x.kind == ednList }
	register := field{set: true, at: v.pos(), kind: "a string", scalar: true, isString: true, text: RegisterKey}
	switch {
	case !isSeq(v) && kind != linear.Cas:
		if value = ednField(v); !value.scalar && !value.null {
			return key, value, from, errorAt(v.pos(), "the :value must be %s; found %s", want, describeEDN(v))
		}
		return register, value, from, nil
	case kind == linear.Cas && isSeq(v) && len(v.items) == 2 && !isSeq(&v.items[1]):
		return register, ednField(&v.items[1]), ednField(&v.items[0]), nil
	}
	if !isSeq(v) || len(v.items) != 2 && !(kind == linear.Get && len(v.items) == 1) {
		return key, value, from, errorAt(v.pos(), "the :value must be %s; found %s", want, describeEDN(v))
	}
	key = ednField(&v.items[0])
	if len(v.items) == 1 {
		return key, field{set: true, at: v.pos(), kind: "nil", null: true}, from, nil
	}
	val := &v.items[1]
	if kind != linear.Cas {
		return key, ednField(val), from, nil
	}
	if len(val.items) != 2 {
		return key, value, from, errorAt(val.pos(), "a cas's :value must be %s; found %s", want, describeEDN(v))
	}
	return key, ednField(&val.items[1]), ednField(&val.items[0]), nil
}

func describeEDN(v *ednValue) string {
	switch v.kind {
	case ednVector, ednList:
		return fmt.Sprintf("%s of %d", v.kind, len(v.items))
	}
	return v.kind.String()
}

// finish places the operations in time and ends those still pending.
func (b *builder) finish() (*History, error) {
	h := &b.h
	h.Events, h.Processes, h.Timed = b.events, len(b.procs), b.allTimed && len(b.times) > 0
	at := func(ev int) int64 {
		if b.allTimed {
			return b.times[ev] / 1000
		}
		return int64(ev) // the events' order is their order in time
	}
	for i := range h.Ops {
		op := &h.Ops[i]
		op.Call = at(b.calls[i])
		if b.rets[i] < 0 {
			op.Return = at(len(b.times) - 1)
			continue
		}
		op.Return = at(b.rets[i])
		if op.Return < op.Call {
			return nil, &Error{Line: h.Lines[i][1], Msg: fmt.Sprintf("this completion's time (%s ns) is before its invocation's "+
				"on line %d (%s ns)", strconv.FormatInt(b.times[b.rets[i]], 10), h.Lines[i][0], strconv.FormatInt(b.times[b.calls[i]], 10))}
		}
	}
	return h, nil
}
