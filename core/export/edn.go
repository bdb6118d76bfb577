package export

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"smrlab/core/linear"
	"smrlab/core/trace"
)

// clientIDBase mirrors sim.ClientIDBase: client c is endpoint 100+c in
// events (export may not depend on the simulator's internals).
const clientIDBase = 100

// Operation codes of ClientCall and ClientReturn events (fsm.Op).
const (
	opPut    = 1
	opGet    = 2
	opAppend = 3
)

type opKey struct {
	client uint32
	id     uint64
}

// ednOp is an operation that a client invoked and that has not completed.
type ednOp struct {
	thread int
	value  string // the EDN of the invoke's :value
	f      string
}

// WriteEDN writes the client history as Jepsen writes one: an EDN map per
// line, {:type :invoke, :f :write, :value ["k1" "v"], :process 0, :time
// ns, :index 0}, then :ok, :fail (it did not take effect) or :info (it may
// have) for the same process. Reads are :read, puts :write, appends
// :append; an ok read's value is what it returned (nil: no such key).
//
// A Jepsen process runs one operation at a time, and a client here may have
// several in flight, so each client gets as many processes as it ever had
// operations in flight; after an :info a process is retired and its thread
// goes on as process + concurrency, as in Jepsen. Operations still pending
// when the trace ends complete as :info at its end. h gives the values
// (events do not hold them); without it writes and reads show nil.
func WriteEDN(w io.Writer, tr *trace.Trace, h *linear.History) error {
	ops := map[opKey]*linear.Op{}
	if h != nil {
		all := h.Ops()
		for i := range all {
			ops[opKey{all[i].Client, all[i].ID}] = &all[i]
		}
	}
	threads, concurrency := ednThreads(tr.Events)
	e := &ednWriter{buf: bufio.NewWriter(w), ops: ops, threads: threads, concurrency: concurrency,
		process: make([]int, concurrency), busy: make([]bool, concurrency), pending: map[opKey]*ednOp{}}
	for i := range e.process {
		e.process[i] = i
	}
	var order []opKey // pending operations in invocation order, for the end
	for i := range tr.Events {
		ev := &tr.Events[i]
		if ev.Node <= clientIDBase || (ev.Kind != trace.ClientCall && ev.Kind != trace.ClientReturn) {
			continue
		}
		k := opKey{ev.Node - clientIDBase, ev.ID}
		if ev.Kind == trace.ClientCall {
			if e.invoke(k, ev) {
				order = append(order, k)
			}
			continue
		}
		e.complete(k, ev.Time, outcomeOf(ev, ops[k]), ev.Text)
	}
	for _, k := range order {
		if _, ok := e.pending[k]; ok {
			e.complete(k, tr.Footer.EndTime, linear.Indeterminate, "pending when the trace ended")
		}
	}
	return e.buf.Flush()
}

// ednThreads counts, per client, the most operations it had in flight at
// once, and numbers those threads from 0 across clients.
func ednThreads(events []trace.Event) (first map[uint32]int, total int) {
	inflight, most := map[uint32]int{}, map[uint32]int{}
	pending := map[opKey]bool{}
	var clients []uint32
	for i := range events {
		ev := &events[i]
		if ev.Node <= clientIDBase {
			continue
		}
		c, k := ev.Node-clientIDBase, opKey{ev.Node - clientIDBase, ev.ID}
		switch {
		case ev.Kind == trace.ClientCall && !pending[k]:
			if _, seen := most[c]; !seen {
				clients = append(clients, c)
			}
			pending[k] = true
			inflight[c]++
			most[c] = max(most[c], inflight[c])
		case ev.Kind == trace.ClientReturn && pending[k]:
			delete(pending, k)
			inflight[c]--
		}
	}
	slices.Sort(clients)
	first = map[uint32]int{}
	for _, c := range clients {
		first[c] = total
		total += most[c]
	}
	return first, total
}

type ednWriter struct {
	buf         *bufio.Writer
	ops         map[opKey]*linear.Op
	threads     map[uint32]int
	concurrency int
	process     []int  // by thread
	busy        []bool // by thread
	pending     map[opKey]*ednOp
	index       int
}

// invoke writes an :invoke and reports whether it started an operation (a
// repeated call of a pending operation is the same operation).
func (e *ednWriter) invoke(k opKey, ev *trace.Event) bool {
	if _, ok := e.pending[k]; ok {
		return false
	}
	thread := e.threads[k.client]
	for thread < len(e.busy) && e.busy[thread] {
		thread++
	}
	if thread == len(e.busy) { // cannot happen: ednThreads counted them
		e.busy = append(e.busy, false)
		e.process = append(e.process, thread)
	}
	e.busy[thread] = true
	f, value := ednCall(ev, e.ops[k])
	e.pending[k] = &ednOp{thread: thread, value: value, f: f}
	e.line(":invoke", f, value, e.process[thread], ev.Time, "")
	return true
}

func (e *ednWriter) complete(k opKey, at int64, outcome linear.Outcome, why string) {
	p, ok := e.pending[k]
	if !ok {
		return
	}
	delete(e.pending, k)
	e.busy[p.thread] = false
	value, typ := p.value, ":info"
	switch outcome {
	case linear.OK:
		typ, why = ":ok", ""
		if op := e.ops[k]; op != nil && op.Kind == linear.Get {
			value = ednPair(op.Key, op.Output, op.Found)
		}
	case linear.Failed:
		typ = ":fail"
	}
	e.line(typ, p.f, value, e.process[p.thread], at, why)
	if typ == ":info" {
		e.process[p.thread] += e.concurrency
	}
}

func (e *ednWriter) line(typ, f, value string, process int, us int64, why string) {
	b := e.buf
	b.WriteString("{:type ")
	b.WriteString(typ)
	b.WriteString(", :f ")
	b.WriteString(f)
	b.WriteString(", :value ")
	b.WriteString(value)
	fmt.Fprintf(b, ", :process %d, :time %d, :index %d", process, us*1000, e.index)
	if why != "" {
		b.WriteString(", :error ")
		b.WriteString(ednString(why))
	}
	b.WriteString("}\n")
	e.index++
}

// ednCall is an invoke's :f and :value, from the history when it holds the
// operation and from the event otherwise.
func ednCall(ev *trace.Event, op *linear.Op) (f, value string) {
	key := "k" + strconv.FormatUint(ev.Index, 10)
	if op != nil {
		key = op.Key
	}
	switch ev.Msg {
	case opPut:
		f = ":write"
	case opAppend:
		f = ":append"
	case opGet:
		return ":read", ednPair(key, "", false)
	default:
		f = ":op" + strconv.Itoa(int(ev.Msg))
	}
	if op == nil {
		return f, ednPair(key, "", false)
	}
	return f, ednPair(key, op.Value, true)
}

// outcomeOf is how an operation ended: the history's word when it has one,
// else the event's (a give-up says whether it may have taken effect).
func outcomeOf(ev *trace.Event, op *linear.Op) linear.Outcome {
	if op != nil && op.Outcome != linear.Pending && op.Return == ev.Time {
		return op.Outcome
	}
	switch {
	case !ev.Reject:
		return linear.OK
	case strings.Contains(ev.Text, "indeterminate"):
		return linear.Indeterminate
	}
	return linear.Failed
}

// ednPair is the vector [key value]; value is nil unless present.
func ednPair(key, value string, present bool) string {
	v := "nil"
	if present {
		v = ednString(value)
	}
	return "[" + ednString(key) + " " + v + "]"
}

// ednString quotes s as an EDN string: the escapes EDN defines, \uXXXX for
// other control characters, and U+FFFD for bytes that are not UTF-8.
func ednString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r) // utf8.RuneError for a bad byte
		}
	}
	b.WriteByte('"')
	return b.String()
}
