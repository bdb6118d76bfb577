package histfile

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"smrlab/core/linear"
)

const jsonlSeed = `{"type": "invoke", "f": "write", "process": 0, "key": "x", "value": "1", "time": 1000}
{"type": "invoke", "f": "read", "process": 1, "key": "x", "time": 1500}
{"type": "ok", "f": "write", "process": 0, "key": "x", "value": "1", "time": 2000}
{"type": "ok", "f": "read", "process": 1, "key": "x", "value": "2", "time": 2500}
{"type": "invoke", "f": "cas", "process": 0, "key": 3, "from": "1", "value": 2}
{"type": "info", "f": "cas", "process": 0, "key": 3, "from": "1", "value": 2}
{"type": "info", "f": "kill", "process": "nemesis"}
{"type": "invoke", "f": "txn", "process": 4, "value": [["append", "k", 1], ["r", "k", null]]}
{"type": "ok", "f": "txn", "process": 4, "value": [["append", "k", 1], ["r", "k", [1]]]}
`

// FuzzEDN checks that no input makes the EDN reader, or the check of what
// it read, panic, and that what it reads is a history the checker takes.
func FuzzEDN(f *testing.F) {
	for _, s := range []string{maelstrom, elle, `[{:type :invoke, :f :read, :value ["x" nil], :process 0}]`,
		`#{1 #_2 #tag (3 \a "\u00e9")} {:x 1/2 :y -1.5e3M :z 12N}`, ""} {
		f.Add([]byte(s))
		f.Add([]byte(s[:len(s)/2]))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadEDN(data)
		checkRead(t, h, err)
	})
}

// FuzzJSONL is FuzzEDN for JSON Lines.
func FuzzJSONL(f *testing.F) {
	f.Add([]byte(jsonlSeed))
	f.Add([]byte(jsonlSeed[:len(jsonlSeed)/2]))
	f.Add(bytes.ReplaceAll([]byte(jsonlSeed), []byte(`"`), []byte(`'`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadJSONL(data)
		checkRead(t, h, err)
	})
}

func checkRead(t *testing.T, h *History, err error) {
	if err != nil {
		var e *Error
		require.ErrorAs(t, err, &e)
		require.Positive(t, e.Line, "an error names its line: %v", err)
		return
	}
	require.Len(t, h.Lines, len(h.Ops))
	for i, op := range h.Ops {
		require.LessOrEqual(t, op.Call, op.Return)
		require.Positive(t, h.Lines[i][0])
		require.NotEmpty(t, h.Where(op.Client, op.ID))
	}
	res := linear.CheckWith(h.Ops, linear.Options{Timeout: time.Second, Steps: 1000})
	require.Equal(t, len(h.Ops), res.Ops+res.LeftOut)
}
