package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// staleRead is a hand-written history that is not linearizable: process 2
// reads "1" after process 1's write of "2" has returned.
const staleRead = `; a stale read
{:type :invoke, :f :write, :value ["x" "1"], :process 0, :time 0, :index 0}
{:type :ok, :f :write, :value ["x" "1"], :process 0, :time 10000, :index 1}
{:type :invoke, :f :write, :value ["x" "2"], :process 1, :time 20000, :index 2}
{:type :ok, :f :write, :value ["x" "2"], :process 1, :time 30000, :index 3}
{:type :info, :f :kill, :value nil, :process :nemesis, :time 35000, :index 4}
{:type :invoke, :f :read, :value ["x" nil], :process 2, :time 40000, :index 5}
{:type :ok, :f :read, :value ["x" "1"], :process 2, :time 50000, :index 6}
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func TestCheckHistoryNamesTheOperations(t *testing.T) {
	path := writeFile(t, "stale.edn", staleRead)
	html := filepath.Join(t.TempDir(), "h.html")
	code, out, _ := smrlab(t, "check-history", path, "--html", html)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "(Jepsen EDN): 7 events, 3 operations by 3 processes; 1 events of other processes left out")
	require.Contains(t, out, `verdict   NOT linearizable on key "x" (3 operations on 1 keys`)
	require.Contains(t, out, `client 2 op 5 get("x") -> "1" [40µs, 50µs]: it returned "1", but "x" holds "2"`)
	require.Contains(t, out, "client 2 op 5: lines 7 and 8")
	require.Contains(t, out, "client 1 op 2: lines 4 and 5")
	b, err := os.ReadFile(html)
	require.NoError(t, err)
	require.Contains(t, string(b), "<html")

	// Without the stale read it is linearizable.
	fixed := strings.Replace(staleRead, `:value ["x" "1"], :process 2`, `:value ["x" "2"], :process 2`, 1)
	code, out, _ = smrlab(t, "check-history", writeFile(t, "h.edn", fixed))
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "verdict   linearizable (3 operations on 1 keys")
}

func TestCheckHistoryJSONLAndUnknown(t *testing.T) {
	var b strings.Builder
	// Eight concurrent appends and a read that no order explains: a search
	// of every order, which a small step budget cannot finish.
	for p := range 8 {
		b.WriteString(`{"type": "invoke", "f": "append", "process": ` + string(rune('0'+p)) + `, "key": "x", "value": "v` + string(rune('0'+p)) + `"}` + "\n")
	}
	for p := range 8 {
		b.WriteString(`{"type": "ok", "f": "append", "process": ` + string(rune('0'+p)) + `, "key": "x", "value": "v` + string(rune('0'+p)) + `"}` + "\n")
	}
	b.WriteString(`{"type": "invoke", "f": "read", "process": 9, "key": "x"}` + "\n")
	b.WriteString(`{"type": "ok", "f": "read", "process": 9, "key": "x", "value": "nobody wrote this"}` + "\n")
	path := writeFile(t, "h.txt", b.String())
	code, out, _ := smrlab(t, "check-history", path, "--steps", "100")
	require.Equal(t, 3, code, out)
	require.Contains(t, out, "(JSON Lines): 18 events, 9 operations by 9 processes")
	require.Contains(t, out, `verdict   UNKNOWN: undecided on 1 of 1 keys ("x"): the search ran out of its budget of 100 steps per key`)

	code, out, _ = smrlab(t, "check-history", path)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, `it returned "nobody wrote this"`)
}

func TestCheckHistoryRefusesAMalformedFile(t *testing.T) {
	path := writeFile(t, "bad.edn", "{:type :invoke, :f :read, :value [\"x\" nil], :process 0}\n{:type :ok, :f :read, :value [\"x\" \"1\" \"2\"], :process 0}\n")
	code, _, errOut := smrlab(t, "check-history", path)
	require.Equal(t, 2, code)
	require.Equal(t, "smrlab check-history: "+path+":2:30: the :value must be [key value], or a value alone for a single register; found a vector of 3\n", errOut)

	code, _, errOut = smrlab(t, "check-history", "--format", "jsonl", path)
	require.Equal(t, 2, code)
	require.Contains(t, errOut, path+":1:2: not JSON: invalid character ':' looking for beginning of object key string")
}
