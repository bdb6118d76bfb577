package linear

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ms is virtual milliseconds in microseconds, to keep histories readable.
func ms(n int64) int64 { return n * 1000 }

func put(client uint32, id uint64, key, value string, call, ret int64) Op {
	return Op{Client: client, ID: id, Kind: Put, Key: key, Value: value, Call: ms(call), Return: ms(ret), Outcome: OK}
}

func appendOp(client uint32, id uint64, key, value string, call, ret int64) Op {
	return Op{Client: client, ID: id, Kind: Append, Key: key, Value: value, Call: ms(call), Return: ms(ret),
		Outcome: OK}
}

func get(client uint32, id uint64, key, output string, call, ret int64) Op {
	return Op{Client: client, ID: id, Kind: Get, Key: key, Output: output, Found: true, Call: ms(call),
		Return: ms(ret), Outcome: OK}
}

func getMissing(client uint32, id uint64, key string, call, ret int64) Op {
	return Op{Client: client, ID: id, Kind: Get, Key: key, Call: ms(call), Return: ms(ret), Outcome: OK}
}

func with(op Op, o Outcome) Op {
	op.Outcome = o
	return op
}

// TestLinearizable checks histories that have a linearization: concurrent
// puts and gets that see either side of a race, appends that interleave,
// and keys that are read before anyone writes them.
func TestLinearizable(t *testing.T) {
	tests := []struct {
		name string
		ops  []Op
	}{
		{"empty", nil},
		{"sequential", []Op{
			getMissing(1, 1, "x", 0, 1),
			put(1, 2, "x", "a", 2, 3),
			get(1, 3, "x", "a", 4, 5),
		}},
		{"concurrent puts and gets", []Op{
			put(1, 1, "x", "a", 0, 10),
			put(2, 1, "x", "b", 5, 15),
			get(3, 1, "x", "b", 6, 8), // b took effect before a...
			get(4, 1, "x", "a", 11, 20),
			get(3, 2, "x", "a", 12, 13), // ...and a after it
			getMissing(5, 1, "y", 0, 30),
		}},
		{"a read concurrent with a write sees either value", []Op{
			put(1, 1, "x", "a", 0, 1),
			put(1, 2, "x", "b", 10, 20),
			get(2, 1, "x", "a", 11, 12),
			get(3, 1, "x", "b", 13, 14),
		}},
		{"appends", []Op{
			appendOp(1, 1, "x", "a", 0, 10),
			appendOp(2, 1, "x", "b", 0, 10),
			get(3, 1, "x", "b", 1, 2),
			get(3, 2, "x", "ba", 11, 12),
			put(1, 2, "x", "c", 20, 21),
			appendOp(2, 2, "x", "d", 22, 23),
			get(1, 3, "x", "cd", 24, 25),
		}},
		{"calls and returns at the same instant overlap", []Op{
			put(1, 1, "x", "a", 0, 10),
			get(2, 1, "x", "b", 10, 20),
			put(3, 1, "x", "b", 10, 10),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := Check(tc.ops, time.Second)
			require.Equal(t, Linearizable, res.Verdict, "%v", res)
			require.Nil(t, res.Violation)
			require.Equal(t, len(tc.ops), res.Ops)
		})
	}
}

// TestStaleReadIsNotLinearizable checks that a read returning an overwritten
// value after the overwrite completed is caught, and that the explanation
// names the stale read, the write it contradicts and the state between them.
func TestStaleReadIsNotLinearizable(t *testing.T) {
	ops := []Op{
		put(1, 1, "x", "1", 1000, 1010),
		put(2, 4, "x", "2", 1100, 1250),
		getMissing(3, 1, "other", 0, 1),
		get(3, 9, "x", "1", 1300, 1400), // stale: "2" was written before it began
	}
	res := Check(ops, time.Second)
	require.Equal(t, NotLinearizable, res.Verdict)
	require.Equal(t, 4, res.Ops)
	require.Equal(t, 2, res.Keys)
	v := res.Violation
	require.NotNil(t, v)
	require.Equal(t, "x", v.Key)
	require.Equal(t, []Op{ops[0], ops[1]}, v.Linearized)
	require.Equal(t, []Op{ops[3]}, v.Stuck)
	require.Equal(t, `"2"`, v.State)
	require.Contains(t, v.Explanation, `client 3 op 9 get("x") -> "1" [1.3s, 1.4s]: it returned "1", but "x" holds "2"`)
	require.Contains(t, v.Explanation, `2. client 2 op 4 put("x", "2") [1.1s, 1.25s]`)
	require.Contains(t, res.String(), `not linearizable on key "x"`)
}

// TestDuplicatedAppendIsNotLinearizable checks the classic session bug: one
// append applied twice (a retry without deduplication), which a later get
// shows.
func TestDuplicatedAppendIsNotLinearizable(t *testing.T) {
	ops := []Op{
		appendOp(1, 1, "log", "a", 0, 10),
		appendOp(2, 1, "log", "b", 20, 30),
		get(3, 1, "log", "aba", 40, 50), // the append of "a" happened twice
	}
	res := Check(ops, time.Second)
	require.Equal(t, NotLinearizable, res.Verdict)
	require.Equal(t, "log", res.Violation.Key)
	require.Equal(t, []Op{ops[2]}, res.Violation.Stuck)
	require.Contains(t, res.Violation.Explanation, `client 3 op 1 get("log") -> "aba" [40ms, 50ms]: it returned "aba", but "log" holds "ab"`)
}

// TestReadBeforeAnyWrite checks the explanation when no operation can come
// first: a read that sees a value nobody wrote.
func TestReadBeforeAnyWrite(t *testing.T) {
	res := Check([]Op{get(1, 1, "x", "ghost", 0, 1), put(2, 1, "x", "a", 5, 6)}, time.Second)
	require.Equal(t, NotLinearizable, res.Verdict)
	require.Empty(t, res.Violation.Linearized)
	require.Equal(t, "missing", res.Violation.State)
	require.Contains(t, res.Violation.Explanation, `No operation can come first, while "x" does not exist:`)
	require.Contains(t, res.Violation.Explanation, `it returned "ghost", but "x" does not exist`)
}

// TestIndeterminateWrites checks that a write whose client gave up may have
// taken effect at any time after its call, or never: reads that saw it and
// reads that did not both pass, but no read may see it before its call.
func TestIndeterminateWrites(t *testing.T) {
	lost := with(put(1, 1, "x", "a", 10, 20), Indeterminate)
	late := with(appendOp(1, 1, "x", "a", 10, 20), Pending) // a run that ended first
	tests := []struct {
		name string
		ops  []Op
		want Verdict
	}{
		{"took effect, seen long after the client gave up", []Op{lost, get(2, 1, "x", "a", 500, 510)}, Linearizable},
		{"did not take effect", []Op{lost, getMissing(2, 1, "x", 500, 510)}, Linearizable},
		{"took effect between two reads", []Op{lost, getMissing(2, 1, "x", 30, 40), get(2, 2, "x", "a", 50, 60)},
			Linearizable},
		{"pending at the end of the run", []Op{late, get(2, 1, "x", "a", 500, 510)}, Linearizable},
		{"cannot take effect before its call", []Op{lost, get(2, 1, "x", "a", 0, 5)}, NotLinearizable},
		{"cannot be undone", []Op{lost, get(2, 1, "x", "a", 30, 40), getMissing(2, 2, "x", 50, 60)}, NotLinearizable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Check(tc.ops, time.Second).Verdict)
		})
	}
}

// TestFailedOperationsAreLeftOut checks that failed operations did not
// happen (a write nobody saw passes, a write someone saw fails the check),
// and that reads without a result constrain nothing.
func TestFailedOperationsAreLeftOut(t *testing.T) {
	refused := with(put(1, 1, "x", "refused", 0, 1), Failed)
	badRead := with(get(2, 1, "x", "nonsense", 0, 100), Failed)
	gaveUp := with(get(2, 2, "x", "nonsense", 0, 100), Indeterminate)
	ops := []Op{refused, badRead, gaveUp, put(3, 1, "x", "a", 5, 6), get(3, 2, "x", "a", 7, 8)}

	res := Check(ops, time.Second)
	require.Equal(t, Linearizable, res.Verdict)
	require.Equal(t, 2, res.Ops)
	require.Equal(t, 3, res.LeftOut)

	res = Check(append(ops, get(4, 1, "x", "refused", 10, 11)), time.Second)
	require.Equal(t, NotLinearizable, res.Verdict, "a failed write must not be seen")
}

// pathological is a history whose check takes factorial time: n concurrent
// appends of distinct values and then a read that no order explains, so
// that the search must try every order of the appends.
func pathological(n int) []Op {
	var ops []Op
	for i := range n {
		ops = append(ops, appendOp(uint32(i), 1, "x", fmt.Sprintf("<%d>", i), 0, 100))
	}
	return append(ops, get(uint32(n), 1, "x", "impossible", 200, 300))
}

// TestTimeoutGivesUnknown checks that a search that cannot finish stops at
// the timeout with an Unknown verdict naming the key, natively and under
// WebAssembly, where it takes the model's yields for the timer to fire.
func TestTimeoutGivesUnknown(t *testing.T) {
	ops := append(pathological(16), put(99, 1, "easy", "a", 0, 1))
	res := CheckWith(ops, Options{Timeout: 20 * time.Millisecond, Now: time.Now})
	require.Equal(t, Unknown, res.Verdict)
	require.Equal(t, []string{"x"}, res.UnknownKeys, "the easy key was decided")
	require.Nil(t, res.Violation)
	require.Contains(t, res.String(), `undecided on 1 of 2 keys ("x")`)
	require.Contains(t, res.Reason, "the search")
	t.Logf("%v", res) // Elapsed is logged, never asserted: no timed tests
}

// TestStepBudgetGivesUnknown checks that a small step budget leaves a hard
// key undecided, the same way on every machine, and says so: which key, and
// that the budget ran out. A key checked to the end is still decided.
func TestStepBudgetGivesUnknown(t *testing.T) {
	ops := append(pathological(8), put(99, 1, "easy", "a", 0, 1))
	for range 3 {
		res := CheckWith(ops, Options{Timeout: time.Minute, Steps: 1000})
		require.Equal(t, Unknown, res.Verdict)
		require.Equal(t, []string{"x"}, res.UnknownKeys)
		require.Equal(t, "the search ran out of its budget of 1000 steps per key", res.Reason)
		require.Equal(t, `unknown: undecided on 1 of 2 keys ("x"): the search ran out of its budget of 1000 steps per key `+
			`(10 operations on 2 keys)`, res.String())
	}
	// The same budget is enough for a violation on an easy key.
	bad := append(ops, put(98, 1, "stale", "1", 0, 1), put(98, 2, "stale", "2", 2, 3), get(97, 1, "stale", "1", 4, 5))
	res := CheckWith(bad, Options{Timeout: time.Minute, Steps: 1000})
	require.Equal(t, NotLinearizable, res.Verdict)
	require.Equal(t, "stale", res.Violation.Key)
	// And a budget large enough decides the hard key too.
	require.Equal(t, NotLinearizable, CheckWith(ops, Options{Timeout: time.Minute, Steps: 1 << 30}).Verdict)
}

// TestStepsOnlyIgnoresTheTimeout checks that with StepsOnly a check is
// bounded by its step budget alone, natively too: a timeout far too short
// to decide anything changes nothing, so the verdict is the machine's load's
// no more (what a lesson's goals need to be the same in `lesson check` and
// in the browser).
func TestStepsOnlyIgnoresTheTimeout(t *testing.T) {
	ops := append(pathological(8), put(99, 1, "easy", "a", 0, 1))
	for range 3 {
		res := CheckWith(ops, Options{Timeout: time.Nanosecond, Steps: 1000, StepsOnly: true})
		require.Equal(t, Unknown, res.Verdict)
		require.Equal(t, "the search ran out of its budget of 1000 steps per key", res.Reason)
		require.Equal(t, []string{"x"}, res.UnknownKeys)
	}
	res := CheckWith(ops, Options{Timeout: time.Nanosecond, Steps: 1 << 30, StepsOnly: true})
	require.Equal(t, NotLinearizable, res.Verdict, "%v", res)
	require.Equal(t, "x", res.Violation.Key)

	h := NewHistory()
	record(t, h, ops...)
	c := &Checker{Timeout: time.Nanosecond, Steps: 1 << 30, StepsOnly: true}
	require.NotNil(t, c.Update(h))
	require.Equal(t, NotLinearizable, c.Result().Verdict)
}

// TestViolationNextToATimeout checks that a violation found while another
// key times out is pinned to the right key, though porcupine does not say
// which key is which.
func TestViolationNextToATimeout(t *testing.T) {
	ops := append(pathological(16),
		put(20, 1, "stale", "1", 0, 1), put(20, 2, "stale", "2", 2, 3), get(21, 1, "stale", "1", 4, 5))
	res := Check(ops, 20*time.Millisecond)
	require.Equal(t, NotLinearizable, res.Verdict)
	require.Equal(t, "stale", res.Violation.Key)
	require.Contains(t, res.Violation.Explanation, `client 21 op 1 get("stale") -> "1"`)
}

// randomHistory is a linearizable history like the simulator's: clients
// in a closed loop over keys, each operation taking effect at a random
// instant between its call and its return, a few of them failed or
// indeterminate. writePPM is the share of writes, in parts per million.
func randomHistory(seed uint64, clients, keys, n int, writePPM int) []Op {
	r := rand.New(rand.NewPCG(seed, 1))
	type timed struct {
		op      Op
		applied bool
		at      int64 // when it took effect
	}
	var all []timed
	now := make([]int64, clients)
	for i := range n {
		c := i % clients
		call := now[c] + r.Int64N(1000)
		ret := call + 100 + r.Int64N(5000)
		now[c] = ret
		op := Op{Client: uint32(c + 1), ID: uint64(i/clients + 1), Key: fmt.Sprintf("k%02d", r.IntN(keys)),
			Call: call, Return: ret, Outcome: OK}
		switch x := r.IntN(1_000_000); {
		case x >= writePPM:
			op.Kind = Get
		case x < writePPM*4/7:
			op.Kind, op.Value = Put, fmt.Sprintf("%d.%d", c+1, op.ID)
		default:
			op.Kind, op.Value = Append, fmt.Sprintf("%d.%d;", c+1, op.ID)
		}
		applied := true
		switch x := r.IntN(100); {
		case x < 1:
			op.Outcome, applied = Failed, false
		case x < 3:
			op.Outcome, applied = Indeterminate, r.IntN(2) == 0
		}
		// Distinct instants: time*n+i orders them without ties.
		at := (call+r.Int64N(ret-call+1))*int64(n) + int64(i)
		all = append(all, timed{op, applied, at})
	}
	order := make([]int, len(all))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(all[a].at, all[b].at) })
	state := map[string]string{}
	for _, i := range order {
		t := &all[i]
		if !t.applied {
			continue
		}
		switch t.op.Kind {
		case Put:
			state[t.op.Key] = t.op.Value
		case Append:
			state[t.op.Key] += t.op.Value
		case Get:
			t.op.Output, t.op.Found = state[t.op.Key]
		}
	}
	ops := make([]Op, len(all))
	for i, t := range all {
		ops[i] = t.op
	}
	return ops
}

// TestCheck10000Ops checks the verdict on the benchmark's history: 10,000
// operations of 8 clients on 64 keys, 70% writes, with overlapping calls.
func TestCheck10000Ops(t *testing.T) {
	ops := randomHistory(1, 8, 64, 10_000, 700_000)
	res := CheckWith(ops, Options{Timeout: time.Minute, Now: time.Now})
	require.Equal(t, Linearizable, res.Verdict, "%v", res)
	require.Equal(t, 64, res.Keys)
	require.Equal(t, 10_000, res.Ops+res.LeftOut)
	t.Logf("%v", res)
}

// TestRandomHistoriesWithABugInjected checks that generated linearizable
// histories pass, and that making the last read that found a value return
// one that nobody wrote is caught and blamed on that read's key.
func TestRandomHistoriesWithABugInjected(t *testing.T) {
	caught := 0
	for seed := range uint64(20) {
		ops := randomHistory(seed, 4, 4, 300, 600_000)
		require.Equal(t, Linearizable, Check(ops, time.Minute).Verdict, "seed %d", seed)
		for i := len(ops) - 1; i >= 0; i-- {
			if ops[i].Kind == Get && ops[i].Outcome == OK && ops[i].Found {
				ops[i].Output += "!"
				res := Check(ops, time.Minute)
				require.Equal(t, NotLinearizable, res.Verdict, "seed %d: a value nobody wrote", seed)
				require.Equal(t, ops[i].Key, res.Violation.Key)
				caught++
				break
			}
		}
	}
	require.Positive(t, caught)
}

// TestWriteHTML checks that the visualization is written for a linearizable
// and a violating history, reusing the check or running it again.
func TestWriteHTML(t *testing.T) {
	ops := []Op{
		put(1, 1, "x", "1", 0, 10),
		with(put(2, 4, "x", "2", 20, 30), Indeterminate),
		get(3, 9, "x", "1", 40, 50),
		with(get(3, 10, "x", "", 60, 70), Failed),
	}
	for _, res := range []Result{Check(ops, time.Second), {}} {
		var b bytes.Buffer
		require.NoError(t, WriteHTML(&b, ops, res))
		html := b.String()
		require.Contains(t, html, "<html")
		require.Contains(t, html, `get(\"x\") -\u003e \"1\"`)
		require.Contains(t, html, "client 2, op 4, indeterminate")
	}
	ops[2].Output = "nobody wrote this"
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, ops, Check(ops, time.Second)))
	require.Contains(t, b.String(), "nobody wrote this")
}

// BenchmarkCheck10000Ops checks a realistic linearizable history of 10,000
// operations: 8 clients, 64 keys, 70% writes, overlapping calls.
func BenchmarkCheck10000Ops(b *testing.B) {
	ops := randomHistory(1, 8, 64, 10_000, 700_000)
	b.ReportAllocs()
	for b.Loop() {
		if res := Check(ops, time.Minute); res.Verdict != Linearizable {
			b.Fatal(res)
		}
	}
}

func cas(client uint32, id uint64, key, from, to string, call, ret int64) Op {
	return Op{Client: client, ID: id, Kind: Cas, Key: key, Output: from, Value: to, Call: call, Return: ret, Outcome: OK}
}

// TestCas checks compare-and-set as Maelstrom's lin-kv has it: an ok cas
// found its value, a failed one is left out, and one that did not return
// may have happened, failed, or not happened at all.
func TestCas(t *testing.T) {
	ok := []Op{put(1, 1, "x", "1", 0, 10), cas(2, 1, "x", "1", "2", 20, 30), get(3, 1, "x", "2", 40, 50)}
	require.Equal(t, Linearizable, Check(ok, time.Second).Verdict)

	bad := []Op{put(1, 1, "x", "1", 0, 10), cas(2, 1, "x", "3", "2", 20, 30)}
	res := Check(bad, time.Second)
	require.Equal(t, NotLinearizable, res.Verdict)
	require.Contains(t, res.Violation.Explanation, `client 2 op 1 cas("x", "3", "2") [20µs, 30µs]: it found "3", but "x" holds "1"`)

	require.Equal(t, Linearizable, Check([]Op{put(1, 1, "x", "1", 0, 10), with(cas(2, 1, "x", "3", "2", 20, 30), Failed),
		get(3, 1, "x", "1", 40, 50)}, time.Second).Verdict, "a failed cas is left out")
	for _, read := range []string{"1", "2"} {
		require.Equal(t, Linearizable, Check([]Op{put(1, 1, "x", "1", 0, 10), with(cas(2, 1, "x", "1", "2", 20, 30), Indeterminate),
			get(3, 1, "x", read, 40, 50)}, time.Second).Verdict, "an indeterminate cas may or may not have happened")
	}
	require.Equal(t, Linearizable, Check([]Op{put(1, 1, "x", "1", 0, 10), with(cas(2, 1, "x", "9", "2", 20, 30), Indeterminate),
		get(3, 1, "x", "1", 40, 50)}, time.Second).Verdict, "an indeterminate cas that cannot succeed changes nothing")
	require.Equal(t, NotLinearizable, Check([]Op{put(1, 1, "x", "1", 0, 10), with(cas(2, 1, "x", "9", "2", 20, 30), Indeterminate),
		get(3, 1, "x", "2", 40, 50)}, time.Second).Verdict, "nor can it set its value")
}
