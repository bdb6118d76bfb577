package linear

import (
	"slices"
	"time"
)

// Defaults of a Checker, sized for the browser, which calls Update every few
// virtual seconds between simulation slices.
const (
	DefaultCheckerTimeout   = 100 * time.Millisecond
	DefaultKeysPerUpdateMax = 16
)

// Checker checks a growing History a few keys at a time. Each Update
// re-checks only keys with operations that completed (or writes that failed)
// since the last one, at most KeysPerUpdateMax of them, those changed longest
// ago first, within Timeout: the cost of a call is bounded whatever the length of the
// session. A key is re-checked from its first operation, so its cost grows
// with the key's share of the history, which the History's limits bound.
//
// Linearizability is monotonic here: operations that complete later only
// add constraints. So a Checker that finds a violation reports it once,
// remembers it, and checks nothing more. A key whose check timed out stays
// Unknown until it changes again.
//
// A Checker follows one History. Given another one, or a restored clone, it
// starts over.
type Checker struct {
	// Timeout bounds the search of each Update; DefaultCheckerTimeout if
	// zero.
	Timeout time.Duration
	// KeysPerUpdateMax bounds the keys each Update checks;
	// DefaultKeysPerUpdateMax if zero.
	KeysPerUpdateMax int
	// Steps, when not zero, bounds each key's search in steps too (see
	// Options.Steps).
	Steps uint64
	// StepsOnly, with Steps, bounds each key's search by Steps alone, with
	// no timeout natively either (see Options.StepsOnly): the same history
	// gets the same verdict on every machine.
	StepsOnly bool
	// Now, when set, measures Result.Elapsed (see Options.Now).
	Now func() time.Time

	hist    *History
	histID  *uint8
	indexed int // operations of hist seen so far
	keys    map[string]*keyState
	queue   []*keyState // keys to check, in the order their changes were seen
	waiting []int32     // operations that were pending when last seen

	violation *Result
	ops       int // operations in the last check of each key, summed
	checked   int // keys checked at least once
	unknown   int // keys whose last check timed out
	reason    string
	elapsed   time.Duration
}

type keyState struct {
	key     string
	ops     []int32 // indices in the history
	queued  bool
	checked bool
	verdict Verdict // of the last check
	counted int     // operations in the last check
}

// Update checks the keys of h that changed since the last call, within the
// budget, and returns the violation the first time one is found; nil
// otherwise, and on every call after.
func (c *Checker) Update(h *History) *Result {
	c.follow(h)
	if c.violation != nil {
		return nil
	}
	c.index(h)
	batch := c.next()
	if len(batch) == 0 {
		return nil
	}
	var ops []Op
	counted := make([]int, len(batch))
	for i, k := range batch {
		for _, j := range k.ops {
			op := *h.op(int(j))
			if op.Outcome == Pending {
				op.Outcome = Indeterminate
			}
			if constrains(&op) {
				counted[i]++
			}
			ops = append(ops, op)
		}
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultCheckerTimeout
	}
	res := CheckWith(ops, Options{Timeout: timeout, Steps: c.Steps, StepsOnly: c.StepsOnly, Now: c.Now})
	res.vis = nil // it covers only the batch: WriteHTML checks the whole history again
	c.elapsed += res.Elapsed
	if res.Verdict == NotLinearizable {
		c.violation = &res
		found := res
		return &found
	}
	if res.Verdict == Unknown {
		c.reason = res.Reason
	}
	for i, k := range batch {
		verdict := Linearizable
		if slices.Contains(res.UnknownKeys, k.key) {
			verdict = Unknown
		}
		c.record(k, verdict, counted[i])
	}
	return nil
}

// Result is the verdict so far: the violation once one is found; otherwise
// Unknown while some key's last check timed out, and Linearizable if none
// did. Ops and Keys count what the last check of each key covered.
func (c *Checker) Result() Result {
	if c.violation != nil {
		return *c.violation
	}
	r := Result{Verdict: Linearizable, Ops: c.ops, Keys: c.checked, Elapsed: c.elapsed}
	if c.unknown > 0 {
		r.Verdict, r.Reason = Unknown, c.reason
		for _, k := range c.keys {
			if k.checked && k.verdict == Unknown {
				r.UnknownKeys = append(r.UnknownKeys, k.key)
			}
		}
		slices.Sort(r.UnknownKeys)
	}
	return r
}

// follow starts over when h is not the history followed so far.
func (c *Checker) follow(h *History) {
	if c.hist == h && c.histID == h.id {
		return
	}
	*c = Checker{Timeout: c.Timeout, KeysPerUpdateMax: c.KeysPerUpdateMax, Steps: c.Steps, StepsOnly: c.StepsOnly, Now: c.Now,
		hist: h, histID: h.id, keys: map[string]*keyState{}}
}

// index takes in the operations invoked and settled since the last call.
func (c *Checker) index(h *History) {
	kept := c.waiting[:0]
	for _, i := range c.waiting {
		op := h.op(int(i))
		if op.Outcome == Pending {
			kept = append(kept, i)
		} else if changes(op) {
			c.enqueue(c.keys[op.Key])
		}
	}
	c.waiting = kept
	for ; c.indexed < h.Len(); c.indexed++ {
		op := h.op(c.indexed)
		k := c.keys[op.Key]
		if k == nil {
			k = &keyState{key: op.Key}
			c.keys[op.Key] = k
		}
		k.ops = append(k.ops, int32(c.indexed))
		if op.Outcome == Pending {
			c.waiting = append(c.waiting, int32(c.indexed))
		} else if changes(op) {
			c.enqueue(k)
		}
	}
}

// changes says whether a settled operation can change its key's verdict. A
// pending write may take effect at any time or never, like an indeterminate
// one, and reads without a result constrain nothing; so only a result, or a
// write that turns out to have failed, can.
func changes(op *Op) bool {
	return op.Outcome == OK || op.Outcome == Failed && op.Kind != Get
}

func (c *Checker) enqueue(k *keyState) {
	if !k.queued {
		k.queued = true
		c.queue = append(c.queue, k)
	}
}

// next takes the keys to check now off the queue.
func (c *Checker) next() []*keyState {
	n := c.KeysPerUpdateMax
	if n <= 0 {
		n = DefaultKeysPerUpdateMax
	}
	n = min(n, len(c.queue))
	batch := slices.Clone(c.queue[:n])
	c.queue = slices.Delete(c.queue, 0, n)
	for _, k := range batch {
		k.queued = false
	}
	return batch
}

func (c *Checker) record(k *keyState, verdict Verdict, counted int) {
	if !k.checked {
		k.checked = true
		c.checked++
	} else if k.verdict == Unknown {
		c.unknown--
	}
	if verdict == Unknown {
		c.unknown++
	}
	c.ops += counted - k.counted
	k.verdict, k.counted = verdict, counted
}
