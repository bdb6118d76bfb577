package linear

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// DefaultTimeout bounds a check whose caller gives no timeout: without one,
// porcupine searches a pathological history for ever.
const DefaultTimeout = 10 * time.Second

// Verdict is what a check concluded.
type Verdict uint8

const (
	// Unknown: the check ran out of time or steps before it could decide.
	Unknown Verdict = iota
	// Linearizable: some order of the operations, each placed between its
	// call and its return, agrees with the key-value store.
	Linearizable
	// NotLinearizable: no such order exists.
	NotLinearizable
)

func (v Verdict) String() string {
	switch v {
	case Unknown:
		return "unknown"
	case Linearizable:
		return "linearizable"
	case NotLinearizable:
		return "not linearizable"
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// Result is the verdict on a history and what it is based on.
type Result struct {
	Verdict Verdict
	// Ops is the number of operations checked and Keys the number of keys
	// they touch. LeftOut counts the operations that constrain nothing and
	// were left out: failed ones, which did not happen, and reads without
	// a result.
	Ops, Keys, LeftOut int
	// UnknownKeys are the keys whose check did not finish, in order, when
	// the verdict is Unknown, and Reason says why: the search's time or step
	// budget ran out.
	UnknownKeys []string
	Reason      string
	// Elapsed is the wall-clock time the check took, when Options.Now was
	// given; zero otherwise.
	Elapsed time.Duration
	// Violation explains a NotLinearizable verdict.
	Violation *Violation

	vis *visual
}

func (r Result) String() string {
	var b strings.Builder
	b.WriteString(r.Verdict.String())
	switch {
	case r.Verdict == NotLinearizable && r.Violation != nil:
		fmt.Fprintf(&b, " on key %s", quote(r.Violation.Key))
	case r.Verdict == Unknown && len(r.UnknownKeys) > 0:
		fmt.Fprintf(&b, ": undecided on %d of %d keys (%s): %s", len(r.UnknownKeys), r.Keys,
			keyList(r.UnknownKeys), r.Reason)
	}
	fmt.Fprintf(&b, " (%d operations on %d keys", r.Ops, r.Keys)
	if r.LeftOut > 0 {
		fmt.Fprintf(&b, ", %d left out", r.LeftOut)
	}
	if r.Elapsed > 0 {
		fmt.Fprintf(&b, ", checked in %v", r.Elapsed.Round(time.Microsecond))
	}
	b.WriteString(")")
	return b.String()
}

// Violation says why one key's operations are not linearizable, from the
// longest partial linearization that porcupine found.
type Violation struct {
	Key string
	// Linearized is the longest order found in which the key's operations
	// agree with the store, in that order.
	Linearized []Op
	// Stuck are the operations that could come next after Linearized (each
	// was invoked before every other remaining one returned). None fits.
	Stuck []Op
	// State is the key's value after Linearized: a quoted string, or
	// "missing".
	State string
	// Explanation says all this in sentences, naming every operation with
	// its client, ID, arguments, result, call and return times.
	Explanation string
}

// Options tune a check.
type Options struct {
	// Timeout bounds porcupine's search; DefaultTimeout if zero. When the
	// search finds a violation but another key times out, pinning the
	// violation to its key takes at most one more Timeout.
	Timeout time.Duration
	// Steps, when not zero, also bounds the search of each key to that many
	// steps of the model: unlike a timeout, the same history then gets the
	// same verdict on every machine. Under WebAssembly a check always has a
	// step budget, stepsPerMillisecond times the timeout when Steps is zero.
	Steps uint64
	// StepsOnly, with Steps, drops the timeout natively too: the step
	// budget alone bounds the search, so the verdict depends on the history
	// only, whatever the machine's load (as under WebAssembly).
	StepsOnly bool
	// Now, when set, reads the wall clock to fill Result.Elapsed. Pass
	// time.Now from outside core/, which may not read the clock itself.
	Now func() time.Time
}

// Check checks a history, such as History.Ops returns, for linearizability
// within a timeout (DefaultTimeout if zero). Failed operations and reads
// without a result are left out; an indeterminate write may take effect at
// any time after its call, or never.
func Check(ops []Op, timeout time.Duration) Result {
	return CheckWith(ops, Options{Timeout: timeout})
}

// CheckWith is Check with options.
func CheckWith(ops []Op, opt Options) Result {
	var start time.Time
	if opt.Now != nil {
		start = opt.Now()
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	res := check(ops, opt)
	if opt.Now != nil {
		res.Elapsed = opt.Now().Sub(start)
	}
	return res
}

func check(ops []Op, opt Options) Result {
	timeout := opt.Timeout
	p := prepare(ops)
	res := Result{Ops: p.ops, Keys: len(p.parts), LeftOut: p.leftOut}
	p.stepsOnly = opt.StepsOnly && opt.Steps > 0
	verdict, info := porcupine.CheckOperationsVerbose(kvModel, p.operations(), p.bound(timeout, opt.Steps))
	res.vis = &visual{info: info}
	undecided := p.undecided(info.PartialLinearizations())
	if aborted := p.aborted(); len(aborted) > 0 && verdict != porcupine.Ok {
		// The step budget ran out on some keys (WebAssembly): a violation
		// counts only if a key checked to the end shows it.
		var v *Violation
		if verdict == porcupine.Illegal {
			v = p.blame(undecided, info.PartialLinearizations(), timeout, opt.Steps)
		}
		if v != nil && !slices.Contains(aborted, v.Key) {
			res.Verdict, res.Violation = NotLinearizable, v
			return res
		}
		res.Verdict, res.UnknownKeys = Unknown, aborted
		res.Reason = fmt.Sprintf("the search ran out of its budget of %s per key", plural(p.budget(timeout, opt.Steps), "step"))
		if verdict == porcupine.Unknown && stepsPerMillisecond == 0 && !p.stepsOnly { // some keys timed out too
			res.UnknownKeys = nil
			for _, i := range undecided {
				res.UnknownKeys = append(res.UnknownKeys, p.parts[i].key)
			}
			res.Reason += fmt.Sprintf(", or timed out after %v", timeout)
		}
		return res
	}
	switch verdict {
	case porcupine.Ok:
		res.Verdict = Linearizable
	case porcupine.Unknown:
		res.Verdict = Unknown
		for _, i := range undecided {
			res.UnknownKeys = append(res.UnknownKeys, p.parts[i].key)
		}
		res.Reason = fmt.Sprintf("the search timed out after %v", timeout)
	case porcupine.Illegal:
		res.Verdict = NotLinearizable
		res.Violation = p.blame(undecided, info.PartialLinearizations(), timeout, opt.Steps)
	}
	return res
}

func plural(n uint64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// keyListMax bounds the keys a summary names.
const keyListMax = 5

// keyList names keys for a summary: the first few, quoted.
func keyList(keys []string) string {
	var b strings.Builder
	for i, k := range keys[:min(len(keys), keyListMax)] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(k))
	}
	if len(keys) > keyListMax {
		fmt.Fprintf(&b, " and %d more", len(keys)-keyListMax)
	}
	return b.String()
}

// partition is one key's operations.
type partition struct {
	key string
	ops []*Op
	// steps counts the model's steps on this key, to yield now and then.
	// Only the goroutine that checks the key touches it. budget, when not
	// zero, is how many steps it may take before it gives up (stopped).
	steps   uint64
	budget  uint64
	stopped bool
}

// bound prepares the search's limits and returns porcupine's timeout:
// natively the timeout, and the step budget per key if one is given; under
// WebAssembly, or with StepsOnly, only a step budget (see budget_js.go).
func (p *prepared) bound(timeout time.Duration, steps uint64) time.Duration {
	budget := p.budget(timeout, steps)
	for _, part := range p.parts {
		part.budget, part.steps, part.stopped = budget, 0, false
	}
	if stepsPerMillisecond == 0 && !p.stepsOnly {
		return timeout
	}
	return 0
}

// budget is the step budget of each key: steps if given, else under
// WebAssembly one derived from the timeout, else none (zero).
func (p *prepared) budget(timeout time.Duration, steps uint64) uint64 {
	if steps > 0 || stepsPerMillisecond == 0 {
		return steps
	}
	return uint64(max(timeout.Milliseconds(), 1)) * stepsPerMillisecond
}

// aborted lists the keys whose step budget ran out, in order.
func (p *prepared) aborted() []string {
	var out []string
	for _, part := range p.parts {
		if part.stopped {
			out = append(out, part.key)
		}
	}
	return out
}

// call is the porcupine input of an operation.
type call struct {
	op   *Op
	part *partition
}

// prepared is a history ready for porcupine.
type prepared struct {
	parts        []*partition // in key order
	ops, leftOut int
	// never is later than every call and return: an indeterminate write
	// "returns" then, which lets it take effect at any time after its call,
	// or never, since nothing that follows it could see it.
	never int64
	// clients are the clients in order; porcupine wants zero-based IDs.
	clients []uint32
	// stepsOnly: the step budget alone bounds the search (Options.StepsOnly).
	stepsOnly bool
}

func prepare(ops []Op) *prepared {
	p := &prepared{}
	byKey := map[string]*partition{}
	for i := range ops {
		op := &ops[i]
		if !constrains(op) {
			p.leftOut++
			continue
		}
		part := byKey[op.Key]
		if part == nil {
			part = &partition{key: op.Key}
			byKey[op.Key] = part
			p.parts = append(p.parts, part)
		}
		part.ops = append(part.ops, op)
		p.ops++
		p.never = max(p.never, op.Call+1, op.Return+1)
		p.clients = append(p.clients, op.Client)
	}
	slices.SortFunc(p.parts, func(a, b *partition) int { return strings.Compare(a.key, b.key) })
	slices.Sort(p.clients)
	p.clients = slices.Compact(p.clients)
	return p
}

// constrains says whether an operation is checked: a failed one did not
// happen, and a read without a result constrains nothing.
func constrains(op *Op) bool {
	switch op.Kind {
	case Get:
		return op.Outcome == OK
	case Put, Append, Cas:
		return op.Outcome != Failed
	}
	return false
}

// ret is when porcupine takes an operation to return.
func (p *prepared) ret(op *Op) int64 {
	if op.Outcome != OK {
		return p.never
	}
	return max(op.Return, op.Call)
}

func (p *prepared) operations() []porcupine.Operation {
	hist := make([]porcupine.Operation, 0, p.ops)
	for _, part := range p.parts {
		for _, op := range part.ops {
			client, _ := slices.BinarySearch(p.clients, op.Client)
			hist = append(hist, porcupine.Operation{ClientId: client, Input: &call{op: op, part: part},
				Call: op.Call, Return: p.ret(op), Metadata: op})
		}
	}
	return hist
}

// undecided returns the indices of the partitions that porcupine did not
// linearize completely: each is either not linearizable or timed out.
func (p *prepared) undecided(partials [][][]int) []int {
	var out []int
	for i, part := range p.parts {
		complete := false
		if i < len(partials) {
			for _, l := range partials[i] {
				complete = complete || len(l) == len(part.ops)
			}
		}
		if !complete {
			out = append(out, i)
		}
	}
	return out
}

// blame finds the key that is not linearizable among the undecided ones and
// explains why. With one, it is that one. With several, some may only have
// timed out, which porcupine does not tell apart, so each is checked again
// alone with a share of the timeout, in key order, until one is confirmed.
func (p *prepared) blame(undecided []int, partials [][][]int, timeout time.Duration, steps uint64) *Violation {
	switch len(undecided) {
	case 0: // porcupine linearized every key yet said Illegal: never seen
		return &Violation{Explanation: "Porcupine reported a violation but linearized every key."}
	case 1:
		i := undecided[0]
		return p.explain(p.parts[i], partials[i])
	}
	share := max(timeout/time.Duration(len(undecided)), time.Millisecond)
	var keys []string
	for _, i := range undecided {
		part := p.parts[i]
		alone := &prepared{parts: []*partition{part}, ops: len(part.ops), never: p.never, clients: p.clients,
			stepsOnly: p.stepsOnly}
		verdict, info := porcupine.CheckOperationsVerbose(kvModel, alone.operations(), alone.bound(share, steps))
		if len(alone.aborted()) > 0 {
			continue
		}
		if verdict == porcupine.Illegal {
			return p.explain(part, info.PartialLinearizations()[0])
		}
		keys = append(keys, quote(part.key))
	}
	return &Violation{Key: p.parts[undecided[0]].key, Explanation: fmt.Sprintf(
		"One of the keys %s is not linearizable, but checking each of them alone again timed out.",
		strings.Join(keys, ", "))}
}

// explainLinearizedMax is how many operations of the longest partial
// linearization an explanation lists: the last ones, next to the trouble.
const explainLinearizedMax = 8

// explain builds the violation on one key from its partial linearizations.
// Porcupine's partial linearizations come out of a map, so the longest one
// is chosen with ties broken by operation order, to explain the same
// history the same way every time.
func (p *prepared) explain(part *partition, partials [][]int) *Violation {
	var best []int
	for _, l := range partials {
		if len(l) > len(best) || len(l) == len(best) && slices.Compare(l, best) < 0 {
			best = l
		}
	}
	v := &Violation{Key: part.key}
	state := kvState{}
	placed := make([]bool, len(part.ops))
	for _, id := range best {
		op := part.ops[id]
		placed[id] = true
		v.Linearized = append(v.Linearized, *op)
		_, state = apply(state, op)
	}
	// What could come next: everything invoked before the first remaining
	// return. Porcupine tried each of them after the longest prefix.
	firstReturn := int64(math.MaxInt64)
	for id, op := range part.ops {
		if !placed[id] {
			firstReturn = min(firstReturn, p.ret(op))
		}
	}
	for id, op := range part.ops {
		if !placed[id] && op.Call <= firstReturn {
			v.Stuck = append(v.Stuck, *op)
		}
	}
	v.State = describeState(state)
	v.Explanation = p.explanation(part, v, state)
	return v
}

func (p *prepared) explanation(part *partition, v *Violation, state kvState) string {
	var b strings.Builder
	key := quote(part.key)
	fmt.Fprintf(&b, "Key %s is not linearizable: no order of its %d operations, each placed between its call "+
		"and its return, agrees with the results the clients saw.\n", key, len(part.ops))
	holds := key + " does not exist"
	if state.exists {
		holds = key + " holds " + quote(state.value)
	}
	if len(v.Linearized) == 0 {
		fmt.Fprintf(&b, "No operation can come first, while %s:\n", holds)
	} else {
		fmt.Fprintf(&b, "The longest order that does agree has %d of them:\n", len(v.Linearized))
		skip := max(len(v.Linearized)-explainLinearizedMax, 0)
		if skip > 0 {
			fmt.Fprintf(&b, "  ... %d earlier operations\n", skip)
		}
		for i := skip; i < len(v.Linearized); i++ {
			fmt.Fprintf(&b, "  %d. %v\n", i+1, v.Linearized[i])
		}
		fmt.Fprintf(&b, "After them %s, and none of the operations that could come next fits:\n", holds)
	}
	for _, op := range v.Stuck {
		fmt.Fprintf(&b, "  %v: %s\n", op, why(op, state, holds))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// why says how op contradicts the state, which holds describes.
func why(op Op, state kvState, holds string) string {
	switch {
	case op.Kind == Cas && op.Outcome == OK && (!state.exists || state.value != op.Output):
		return "it found " + quote(op.Output) + ", but " + holds
	case op.Kind != Get:
		return "every order that places it next fails later"
	case !op.Found:
		return "it found no value, but " + holds
	}
	return "it returned " + quote(op.Output) + ", but " + holds
}

// kvState is one key's value in the model.
type kvState struct {
	value  string
	exists bool
}

// apply is the sequential specification of the store for one key: whether
// op can happen in state s with the result it recorded, and the state after.
func apply(s kvState, op *Op) (bool, kvState) {
	switch op.Kind {
	case Put:
		return true, kvState{value: op.Value, exists: true}
	case Append:
		return true, kvState{value: s.value + op.Value, exists: true}
	case Cas:
		if s.exists && s.value == op.Output {
			return true, kvState{value: op.Value, exists: true}
		}
		// A cas that did not return may have happened and failed, which
		// changes nothing; one that returned ok must have found its value.
		return op.Outcome != OK, s
	}
	return op.Found == s.exists && (!s.exists || op.Output == s.value), s
}

// stepsPerYield is how often the model yields to the Go scheduler. Under
// WebAssembly there is one thread and no preemption, so without it a search
// never lets porcupine's timeout fire: a pathological history would hang the
// page. Natively it costs nothing measurable.
const stepsPerYield = 1 << 10

// kvModel is the store for porcupine, partitioned by key: the checker only
// ever sees one key's state.
var kvModel = porcupine.Model{
	Partition: partitionByKey,
	Init:      func() any { return kvState{} },
	Step: func(state, input, _ any) (bool, any) {
		c := input.(*call)
		if c.part.steps++; c.part.steps%stepsPerYield == 0 {
			runtime.Gosched()
		}
		if c.part.budget > 0 && c.part.steps > c.part.budget {
			// Out of budget: refuse every step, so the search backs out at
			// once; the caller reports the key as unknown.
			c.part.stopped = true
			return false, state
		}
		ok, next := apply(state.(kvState), c.op)
		if c.op.Kind == Get {
			return ok, state // the same state, without boxing it again
		}
		return ok, next
	},
	Equal: func(a, b any) bool { return a.(kvState) == b.(kvState) },
	Hash:  hashState,
	DescribeOperation: func(input, _ any) string {
		op := input.(*call).op
		if op.Outcome != OK {
			return op.describe() + "?"
		}
		return op.describe()
	},
	DescribeState: func(state any) string { return describeState(state.(kvState)) },
	DescribeOperationMetadata: func(m any) string {
		op, ok := m.(*Op)
		if !ok {
			return ""
		}
		s := fmt.Sprintf("client %d, op %d", op.Client, op.ID)
		if op.Outcome != OK {
			s += ", " + op.Outcome.String() + ": it may or may not have taken effect"
		}
		return s
	},
}

func describeState(s kvState) string {
	if !s.exists {
		return "missing"
	}
	return quote(s.value)
}

// partitionByKey splits a history built by prepared.operations, where each
// key's operations are together, into its keys.
func partitionByKey(history []porcupine.Operation) [][]porcupine.Operation {
	var parts [][]porcupine.Operation
	start := 0
	for i := 1; i <= len(history); i++ {
		if i == len(history) || history[i].Input.(*call).part != history[start].Input.(*call).part {
			parts = append(parts, history[start:i])
			start = i
		}
	}
	return parts
}

// hashState hashes a state's whole value, eight bytes at a time. Hashing
// only its ends is cheaper but lets states collide whenever indeterminate
// appends could land in different orders (same length, same ends), and
// porcupine then compares every state in the bucket in full at each step.
func hashState(state any) uint64 {
	const prime = 1099511628211 // FNV-1a's
	s := state.(kvState)
	h := uint64(14695981039346656037) ^ uint64(len(s.value))
	if s.exists {
		h ^= 1 << 63
	}
	v := s.value
	for ; len(v) >= 8; v = v[8:] {
		w := uint64(v[0]) | uint64(v[1])<<8 | uint64(v[2])<<16 | uint64(v[3])<<24 |
			uint64(v[4])<<32 | uint64(v[5])<<40 | uint64(v[6])<<48 | uint64(v[7])<<56
		h = (h ^ w) * prime
		h ^= h >> 29
	}
	for i := 0; i < len(v); i++ {
		h = (h ^ uint64(v[i])) * prime
	}
	return h
}

// visual is what Visualize needs of a check. Visualize sorts the partial
// linearizations in place, hence the lock.
type visual struct {
	mu   sync.Mutex
	info porcupine.LinearizationInfo
}
