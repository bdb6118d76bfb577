// Package histfile reads client histories that other tools wrote, so that
// core/linear can check them: Jepsen's EDN (as Jepsen, Maelstrom and
// `smrlab export --format edn` write key-value histories) and a simple JSON
// Lines format (see ReadJSONL). Students can check the histories of their
// own Raft implementations with the lab's checker.
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
	isInt  bool
	num    int64
	text   string
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
	key, from field
	split     bool
}

// builder pairs invocations with their completions, process by process.
type builder struct {
	h       History
	pending map[int64]int // process -> index in h.Ops
	times   []int64       // per event: :time, or -1
	// calls and rets are the event numbers of each operation's invocation
	// and completion (-1: none), to place them in time at the end.
	calls, rets []int
	allTimed    bool
	events      int
	procs       map[int64]bool
}

func newBuilder(format string) *builder {
	return &builder{h: History{Format: format}, pending: map[int64]int{}, allTimed: true, procs: map[int64]bool{}}
}

// The operation event types and functions.
var (
	types = map[string]bool{"invoke": true, "ok": true, "fail": true, "info": true}
	funcs = map[string]linear.Kind{"read": linear.Get, "write": linear.Put, "append": linear.Append, "cas": linear.Cas}
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
		return b.missing(ev, ev.f, "f", "read, write, append or cas")
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
	return b.complete(ev, kind, proc, n)
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
	if i, busy := b.pending[proc]; busy {
		return errorAt(ev.at, "process %d invokes an operation while its %s of line %d is still pending "+
			"(a process runs one operation at a time)", proc, b.h.Ops[i].Kind, b.h.Lines[i][0])
	}
	key, value, from, err := b.arguments(ev, kind, true)
	if err != nil {
		return err
	}
	id := uint64(pos)
	if ev.index.set {
		id = uint64(ev.index.num)
	}
	op := linear.Op{Client: uint32(proc), ID: id, Kind: kind, Key: key, Outcome: linear.Indeterminate}
	switch kind {
	case linear.Put, linear.Append:
		op.Value = value.text
	case linear.Cas:
		op.Value, op.Output = value.text, from.text
	}
	b.pending[proc] = len(b.h.Ops)
	b.procs[proc] = true
	b.h.Ops = append(b.h.Ops, op)
	b.h.Lines = append(b.h.Lines, [2]int{ev.at.line, 0})
	b.calls, b.rets = append(b.calls, n), append(b.rets, -1)
	return nil
}

func (b *builder) complete(ev event, kind linear.Kind, proc int64, n int) error {
	i, busy := b.pending[proc]
	if !busy {
		return errorAt(ev.at, "a completion (%s) for process %d, which has no operation pending", ev.typ.text, proc)
	}
	op := &b.h.Ops[i]
	if op.Kind != kind {
		return errorAt(ev.f.at, "a completion of %s for the %s that process %d invoked on line %d",
			ev.f.text, op.Kind, proc, b.h.Lines[i][0])
	}
	delete(b.pending, proc)
	b.h.Lines[i][1] = ev.at.line
	b.rets[i] = n
	switch ev.typ.text {
	case "fail":
		op.Outcome = linear.Failed
	case "info":
		op.Outcome = linear.Indeterminate
	case "ok":
		op.Outcome = linear.OK
		if kind == linear.Get {
			key, value, _, err := b.arguments(ev, kind, false)
			if err != nil {
				return err
			}
			if key != op.Key {
				return errorAt(ev.at, "the read of key %q invoked on line %d completes with key %q", op.Key, b.h.Lines[i][0], key)
			}
			op.Found, op.Output = !value.null, value.text
		}
	}
	return nil
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

// ednArguments splits an EDN :value: [key value], or [key [old new]] for a
// cas. A read's invocation may give the key alone in the vector.
func ednArguments(ev event, kind linear.Kind) (key, value, from field, err error) {
	v := ev.valueEDN
	want := "[key value]"
	if kind == linear.Cas {
		want = "[key [old new]]"
	}
	if v == nil {
		return key, value, from, errorAt(ev.at, "no :value: want %s", want)
	}
	if v.kind != ednVector && v.kind != ednList || len(v.items) != 2 && !(kind == linear.Get && len(v.items) == 1) {
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
	if val.kind != ednVector && val.kind != ednList || len(val.items) != 2 {
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
	h.Events, h.Processes = b.events, len(b.procs)
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
