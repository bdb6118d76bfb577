package histfile

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"smrlab/core/linear"
)

// maelstrom is a lin-kv history as Maelstrom writes one: integer keys and
// values, reads of missing keys failing, a cas, a nemesis, and Jepsen's
// record tag on one operation.
const maelstrom = `; a Maelstrom lin-kv history
{:type :invoke, :f :write, :value [0 3], :process 0, :time 1000, :index 0}
{:type :invoke, :f :read, :value [0 nil], :process 1, :time 2000, :index 1}
{:type :info, :f :start-partition, :value nil, :process :nemesis, :time 2500, :index 2}
{:type :ok, :f :write, :value [0 3], :process 0, :time 3000, :index 3}
{:type :ok, :f :read, :value [0 3], :process 1, :time 4000, :index 4}
#jepsen.history.Op{:type :invoke, :f :cas, :value [0 [3 4]], :process 0, :time 5000, :index 5}
{:type :invoke, :f :read, :value [1 nil], :process 1, :time 5500, :index 6}
{:type :fail, :f :read, :value [1 nil], :process 1, :time 5600, :index 7, :error :not-found}
{:type :ok, :f :cas, :value [0 [3 4]], :process 0, :time 6000, :index 8}
{:type :invoke, :f :write, :value [0 5], :process 2, :time 7000, :index 9}
#_{:type :ok, :f :write, :value [0 5], :process 2, :time 7500, :index 10}
{:type :invoke, :f :read, :value [0 nil], :process 1, :time 8000, :index 11}
{:type :ok, :f :read, :value [0 4], :process 1, :time 9000, :index 12}
`

func TestReadMaelstromEDN(t *testing.T) {
	h, err := ReadEDN([]byte(maelstrom))
	require.NoError(t, err)
	require.Equal(t, 12, h.Events)
	require.Equal(t, 1, h.Skipped)
	require.Equal(t, 3, h.Processes)
	require.True(t, h.Timed)
	require.Equal(t, []linear.Op{
		{Client: 0, ID: 0, Kind: linear.Put, Key: "0", Value: "3", Call: 1, Return: 3, Outcome: linear.OK},
		{Client: 1, ID: 1, Kind: linear.Get, Key: "0", Output: "3", Found: true, Call: 2, Return: 4, Outcome: linear.OK},
		{Client: 0, ID: 5, Kind: linear.Cas, Key: "0", Output: "3", Value: "4", Call: 5, Return: 6, Outcome: linear.OK},
		{Client: 1, ID: 6, Kind: linear.Get, Key: "1", Call: 5, Return: 5, Outcome: linear.Failed},
		{Client: 2, ID: 9, Kind: linear.Put, Key: "0", Value: "5", Call: 7, Return: 9, Outcome: linear.Indeterminate},
		{Client: 1, ID: 11, Kind: linear.Get, Key: "0", Output: "4", Found: true, Call: 8, Return: 9, Outcome: linear.OK},
	}, h.Ops)
	require.Equal(t, "lines 2 and 5", h.Where(0, 0))
	require.Equal(t, "line 11", h.Where(2, 9))
	require.Equal(t, linear.Linearizable, linear.Check(h.Ops, time.Minute).Verdict)
}

// TestNonLinearizableEDN is a stale read: process 2 reads "1" after
// process 1's write of "2" returned. The check refuses it and names the
// operations, which the file holds at the lines Where gives.
func TestNonLinearizableEDN(t *testing.T) {
	src := `[{:type :invoke, :f :write, :value ["x" "1"], :process 0, :time 0}
 {:type :ok,     :f :write, :value ["x" "1"], :process 0, :time 10000}
 {:type :invoke, :f :write, :value ["x" "2"], :process 1, :time 20000}
 {:type :ok,     :f :write, :value ["x" "2"], :process 1, :time 30000}
 {:type :invoke, :f :read,  :value ["x" nil], :process 2, :time 40000}
 {:type :ok,     :f :read,  :value ["x" "1"], :process 2, :time 50000}]`
	h, err := Read([]byte(src))
	require.NoError(t, err)
	res := linear.Check(h.Ops, time.Minute)
	require.Equal(t, linear.NotLinearizable, res.Verdict)
	v := res.Violation
	require.Equal(t, "x", v.Key)
	require.Len(t, v.Stuck, 1)
	require.Equal(t, uint32(2), v.Stuck[0].Client)
	require.Contains(t, v.Explanation, `client 2 op 4 get("x") -> "1"`)
	require.Contains(t, v.Explanation, `client 1 op 2 put("x", "2")`)
	require.Equal(t, "lines 5 and 6", h.Where(v.Stuck[0].Client, v.Stuck[0].ID))
}

func TestReadJSONL(t *testing.T) {
	src := `{"type": "invoke", "f": "write", "process": 0, "key": "x", "value": "1"}
{"type": "invoke", "f": "read", "process": 1, "key": "x"}

{"type": "ok", "f": "write", "process": 0, "key": "x", "value": "1"}
{"type": "ok", "f": "read", "process": 1, "key": "x", "value": null}
{"type": "invoke", "f": "cas", "process": 0, "key": "x", "from": "1", "value": "2"}
{"type": "info", "f": "start", "process": "nemesis"}
{"type": "fail", "f": "cas", "process": 0, "key": "x", "from": "1", "value": "2", "error": "timeout"}
{"type": "invoke", "f": "append", "process": 3, "key": 7, "value": 8, "index": 40}
`
	h, err := Read([]byte(src))
	require.NoError(t, err)
	require.Equal(t, "jsonl", h.Format)
	require.False(t, h.Timed)
	require.Equal(t, []linear.Op{
		{Client: 0, ID: 0, Kind: linear.Put, Key: "x", Value: "1", Call: 0, Return: 2, Outcome: linear.OK},
		{Client: 1, ID: 1, Kind: linear.Get, Key: "x", Call: 1, Return: 3, Outcome: linear.OK},
		{Client: 0, ID: 4, Kind: linear.Cas, Key: "x", Output: "1", Value: "2", Call: 4, Return: 5, Outcome: linear.Failed},
		{Client: 3, ID: 40, Kind: linear.Append, Key: "7", Value: "8 ", Call: 6, Return: 6, Outcome: linear.Indeterminate},
	}, h.Ops)
	require.Equal(t, "lines 1 and 4", h.Where(0, 0))
	require.Equal(t, 1, h.Skipped)
	require.Equal(t, linear.Linearizable, linear.Check(h.Ops, time.Minute).Verdict, "the read may come first")
}

// TestMalformed checks that every malformed history is refused with the
// line and column of the trouble and what it is.
func TestMalformed(t *testing.T) {
	inv := `{:type :invoke, :f :write, :value ["x" "1"], :process 0}` + "\n"
	for _, c := range []struct{ src, want string }{
		{`{:type :invoke, :f :write, :value ["x" "1"] :process 0`, `1:1: a map opened here is never closed`},
		{`{:type :invoke, :f :write, :value ["x" "1], :process 0}`, `1:40: a string that never ends`},
		{`{:type :invoke :f}`, `1:1: a map with a key and no value`},
		{"\n  42", `2:3: an operation is a map like {:type :invoke, :f :read, ...}; found an integer`},
		{`[{:type :ok} 3]`, `1:2: no process: each event needs the process that runs its operation`},
		{`{:type :begin, :process 0}`, `1:8: unknown type "begin": want invoke, ok, fail or info`},
		{`{:type "ok", :process 0}`, `1:8: the type is a string: want invoke, ok, fail or info`},
		{`{:process 0}`, `1:1: no type: want invoke, ok, fail or info`},
		{`{:type :invoke, :f :inc, :process 0}`, `1:20: unknown f "inc": want read, write, append, cas or txn`},
		{`{:type :invoke, :f :txn, :process 0}`, `1:1: no :value: want the micro-operations, like [[:r 3 nil] [:append 3 7]]`},
		{`{:type :invoke, :f :txn, :value [[:r 1 nil] [:inc 1 2]], :process 0}`, `1:46: unknown micro-operation "inc": want r, w, append, read or write`},
		{`{:type :invoke, :f :txn, :value [[:r 1]], :process 0}`, `1:34: a micro-operation is [f key value], like [:append 3 7]; found 2 items`},
		{`{:type :invoke, :f :txn, :value [], :process 0}`, `1:33: a transaction with no micro-operations`},
		{`{:type :invoke, :f :txn, :value [[:r 1 nil]], :process 0} {:type :ok, :f :txn, :value [[:r 1 nil] [:r 1 nil]], :process 0}`, `1:59: the transaction invoked on line 1 has 1 micro-operations, its completion 2`},
		{`{:type :invoke, :f :txn, :value [[:r 1 nil]], :process 0} {:type :ok, :f :txn, :value [[:r 1 {}]], :process 0}`, `1:94: r: the value read must be a string, an integer, a list of them or nil; found a map`},
		{`{:type :invoke, :f :write, :value ["x"], :process 0}`, `1:35: the :value must be [key value], or a value alone for a single register; found a vector of 1`},
		{`{:type :invoke, :f :write, :value ["x" nil], :process 0}`, `1:40: write: the value must be a string or an integer; found nil`},
		{`{:type :invoke, :f :cas, :value ["x" "1" "2"], :process 0}`, `1:33: the :value must be [key [old new]], or [old new] for a single register; found a vector of 3`},
		{`{:type :invoke, :f :read, :value [["x"] nil], :process 0}`, `1:35: a key must be a string or an integer; found a vector`},
		{`{:type :invoke, :f :read, :value {:a 1}, :process 0}`, `1:34: the :value must be [key value], or a value alone for a single register; found a map`},
		{`{:type :invoke, :f :read, :value ["x" nil], :process -1}`, `1:54: process -1 is out of range (0 to 4294967295)`},
		{`{:type :invoke, :f :read, :value ["x" nil], :process 0, :time 1.5}`, `1:63: the time must be a whole number of nanoseconds, at least 0; found a number`},
		{inv + inv, `2:1: process 0 invokes an operation while its write of line 1 is still pending (a process runs one operation at a time)`},
		{`{:type :ok, :f :read, :value ["x" nil], :process 0}`, `1:1: a completion (ok) for process 0, which has no operation pending`},
		{inv + `{:type :ok, :f :read, :value ["x" "1"], :process 0}`, `2:16: a completion of read for the write that process 0 invoked on line 1`},
		{`{:type :invoke, :f :read, :value ["x" nil], :process 0} {:type :ok, :f :read, :value ["y" "1"], :process 0}`,
			`1:57: the read of key "x" invoked on line 1 completes with key "y"`},
		{`{:type :invoke, :f :read, :value ["x" nil], :process 0, :time 9000}` + "\n" +
			`{:type :ok, :f :read, :value ["x" nil], :process 0, :time 10}`,
			`2: this completion's time (10 ns) is before its invocation's on line 1 (9000 ns)`},
		{`{:a #{1 2} :b \c :c 1/2 :d 1e3 :e 12N :f true :g sym :h (1) :type :info :process :nemesis} ]`, `1:92: unexpected ']': nothing to close`},
		{`{:type :ok :x 12abc}`, `1:15: "12abc" is not a number`},
		{`{:type :ok :x "\q"}`, `1:16: unknown escape \q in a string`},
		{`{:type :ok :x "\u12"}`, `1:16: \u needs four hexadecimal digits`},
		{`{:type :ok :x #}`, `1:15: # must start a set #{...}, a discard #_ or a tag like #inst`},
		{`{:type :ok :x #_}`, `1:17: unexpected '}': nothing to close`},
		{`{:type : :x 1}`, `1:8: a keyword with no name`},
		{strings.Repeat("[", 40), `1:34: collections nested more than 32 deep`},
	} {
		_, err := ReadEDN([]byte(c.src))
		require.Error(t, err, c.src)
		assert.Equal(t, c.want, err.Error(), c.src)
		var e *Error
		require.ErrorAs(t, err, &e)
	}
	for _, c := range []struct{ src, want string }{
		{`{"type": "invoke", "f": "read", "process": 0, "key": "x"` + "\n", `1:56: not JSON: unexpected end of JSON input`},
		{"\n[1, 2]", `2:1: each line must be one JSON object, like {"type": "invoke", "f": "read", "process": 0, "key": "x"}`},
		{`{"type": "invoke", "f": "read", "process": 0}`, `1:1: no "key"`},
		{`{"type": "invoke", "f": "write", "process": 0, "key": "x"}`, `1:1: write: no value: want a string or an integer`},
		{`{"type": "invoke", "f": "write", "process": 0, "key": "x", "value": [1]}`, `1:60: write: the value must be a string or an integer; found an array`},
		{`{"type": "invoke", "f": "cas", "process": 0, "key": "x", "value": "1"}`, `1:1: cas: no old value ("from"): want a string or an integer`},
		{`{"type": "invoke", "f": "read", "process": 0, "key": {}}`, `1:47: a key must be a string or an integer; found an object`},
		{`{"type": "go", "f": "read", "process": 0, "key": "x"}`, `1:2: unknown type "go": want invoke, ok, fail or info`},
		{`{"type": "ok", "f": "read", "process": 0, "key": "x", "value": "é", "time": 1.5}`, `1:69: the time must be a whole number of nanoseconds, at least 0; found a number`},
	} {
		_, err := ReadJSONL([]byte(c.src))
		require.Error(t, err, c.src)
		assert.Equal(t, c.want, err.Error(), c.src)
	}
}

// TestReadKnowsTheFormat checks that Read tells the formats apart by
// their content.
func TestReadKnowsTheFormat(t *testing.T) {
	for src, want := range map[string]string{
		`{"type": "invoke", "f": "read", "process": 0, "key": "x"}`: "jsonl",
		` {:type :invoke, :f :read, :value ["x" nil], :process 0}`:  "edn",
		"; comment\n[]": "edn",
		"":              "edn",
	} {
		h, err := Read([]byte(src))
		require.NoError(t, err, src)
		require.Equal(t, want, h.Format, src)
	}
}

// elle is a list-append history as Jepsen's Elle workloads write one:
// transactions of reads and appends of integers, reads returning lists.
const elle = `{:type :invoke, :f :txn, :value [[:append 1 1] [:r 2 nil]], :process 0, :time 1000, :index 0}
{:type :invoke, :f :txn, :value [[:r 1 nil] [:append 2 5]], :process 1, :time 2000, :index 1}
{:type :ok, :f :txn, :value [[:append 1 1] [:r 2 nil]], :process 0, :time 3000, :index 2}
{:type :ok, :f :txn, :value [[:r 1 [1]] [:append 2 5]], :process 1, :time 4000, :index 3}
{:type :invoke, :f :txn, :value [[:append 1 2] [:r 1 nil]], :process 0, :time 5000, :index 4}
{:type :ok, :f :txn, :value [[:append 1 2] [:r 1 [1 2]]], :process 0, :time 6000, :index 5}
{:type :invoke, :f :txn, :value [[:r 2 nil] [:w 3 "a"]], :process 1, :time 7000, :index 6}
{:type :ok, :f :txn, :value [[:r 2 [5]] [:w 3 "a"]], :process 1, :time 8000, :index 7}
`

// TestReadTransactions checks Jepsen's transactions: each micro-operation
// is an operation on its key between the transaction's call and return,
// and lists are what appends of their elements give.
func TestReadTransactions(t *testing.T) {
	h, err := ReadEDN([]byte(elle))
	require.NoError(t, err)
	require.Len(t, h.Ops, 8)
	require.Equal(t, linear.Op{Client: 0, ID: 4, Kind: linear.Get, Key: "1", Found: true, Output: "1 2 ", Call: 5, Return: 6,
		Outcome: linear.OK}, h.Ops[5])
	require.Equal(t, linear.Op{Client: 1, ID: 0x1, Kind: linear.Append, Key: "2", Value: "5 ", Call: 2, Return: 4,
		Outcome: linear.OK}, h.Ops[3])
	require.False(t, h.Ops[1].Found, "nil: no such key")
	require.Equal(t, "lines 5 and 6", h.Where(0, 4))
	require.Equal(t, linear.Linearizable, linear.Check(h.Ops, time.Minute).Verdict)

	// Process 1 reads key 2 without the 5 it appended itself.
	bad := strings.Replace(elle, "[[:r 2 [5]] [:w 3", "[[:r 2 []] [:w 3", 1)
	h, err = ReadEDN([]byte(bad))
	require.NoError(t, err)
	res := linear.Check(h.Ops, time.Minute)
	require.Equal(t, linear.NotLinearizable, res.Verdict)
	require.Equal(t, "2", res.Violation.Key)
	require.Contains(t, res.Violation.Explanation, `client 1 op 6 get("2") -> missing`)

	jsonl := `{"type": "invoke", "f": "txn", "process": 0, "value": [["append", "k", 1], ["r", "k", null]]}
{"type": "ok", "f": "txn", "process": 0, "value": [["append", "k", 1], ["r", "k", [1]]]}
{"type": "invoke", "f": "read", "process": 1, "key": "k"}
{"type": "ok", "f": "read", "process": 1, "key": "k", "value": [1]}
`
	h, err = ReadJSONL([]byte(jsonl))
	require.NoError(t, err)
	require.Len(t, h.Ops, 3)
	require.Equal(t, "1 ", h.Ops[2].Output)
	require.Equal(t, linear.Linearizable, linear.Check(h.Ops, time.Minute).Verdict)
}

// TestReadRegister checks a single register's history, as Knossos's
// cas-register histories are: the value alone, [old new] for a cas. Here
// a read returns 3 while the register can hold only 0 or 4.
func TestReadRegister(t *testing.T) {
	src := `({:type :invoke, :f :write, :value 0, :process 0}
 {:type :ok, :f :write, :value 0, :process 0}
 {:type :invoke, :f :cas, :value [0 4], :process 2}
 {:type :invoke, :f :read, :value nil, :process 1}
 {:type :ok, :f :read, :value 3, :process 1}
 {:type :ok, :f :cas, :value [0 4], :process 2})`
	h, err := ReadEDN([]byte(src))
	require.NoError(t, err)
	require.Equal(t, linear.Op{Client: 2, ID: 2, Kind: linear.Cas, Key: RegisterKey, Output: "0", Value: "4", Call: 2, Return: 5,
		Outcome: linear.OK}, h.Ops[1])
	res := linear.Check(h.Ops, time.Minute)
	require.Equal(t, linear.NotLinearizable, res.Verdict)
	require.Contains(t, res.Violation.Explanation, `client 1 op 3 get("register") -> "3"`)
	require.Equal(t, linear.Linearizable, linear.Check(h.Ops[:2], time.Minute).Verdict)
}
