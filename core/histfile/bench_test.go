package histfile_test

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	"smrlab/core/export"
	"smrlab/core/histfile"
	"smrlab/core/lab"
	"smrlab/core/linear"
	"smrlab/core/scenario"
	"smrlab/core/trace"
)

// bigHistory is a run of about 10,000 client operations on 64 keys, with a
// leader crash, as check-history reads it (Jepsen EDN and JSON Lines) and
// as the run holds it.
const bigHistory = `name big-history
servers 5
duration 12s
options all prevote=on checkquorum=on election=150ms heartbeat=50ms reads=index
network latency=1ms..5ms
workload clients=24 rate=1060/s writes=60% appends=50% keys=64 timeout=300ms stop=11s
at 4s crash leader
at 5s restart all
`

// BenchmarkCheckHistory10000Ops measures check-history's parts on a
// history of about 10,000 operations: reading the EDN, reading JSON
// Lines, and the check; "check-in-memory" is the run's own check of the
// same history, the baseline.
func BenchmarkCheckHistory10000Ops(b *testing.B) {
	edn, jsonl, ops := bigHistoryFiles(b)
	runtime.GC() // the run's trace is garbage now: collect it before measuring
	b.Logf("%d operations, EDN %d bytes, JSON Lines %d bytes", len(ops), edn.Len(), jsonl.Len())
	read, err := histfile.ReadEDN(edn.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("read-edn", func(b *testing.B) {
		for b.Loop() {
			if _, err := histfile.ReadEDN(edn.Bytes()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read-jsonl", func(b *testing.B) {
		for b.Loop() {
			if _, err := histfile.ReadJSONL(jsonl.Bytes()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("check-read", func(b *testing.B) {
		for b.Loop() {
			if res := linear.Check(read.Ops, time.Minute); res.Verdict != linear.Linearizable {
				b.Fatal(res)
			}
		}
	})
	b.Run("check-in-memory", func(b *testing.B) {
		for b.Loop() {
			if res := linear.Check(ops, time.Minute); res.Verdict != linear.Linearizable {
				b.Fatal(res)
			}
		}
	})
}

// bigHistoryFiles runs bigHistory and returns its client history in EDN,
// in JSON Lines, and as the run holds it.
func bigHistoryFiles(b *testing.B) (edn, jsonl *bytes.Buffer, ops []linear.Op) {
	sc, err := scenario.Parse("big.scn", []byte(bigHistory))
	if err != nil {
		b.Fatal(err)
	}
	r, err := scenario.Run(sc, scenario.RunOptions{KeepEvents: true, NoLinearizability: true})
	if err != nil {
		b.Fatal(err)
	}
	h := r.World.History()
	tr := &trace.Trace{Header: lab.Header(sc, r.Seed, 0, nil, 0), Events: r.World.Events(), Footer: lab.Footer(r)}
	edn, jsonl = &bytes.Buffer{}, &bytes.Buffer{}
	if err := export.WriteEDN(edn, tr, h); err != nil {
		b.Fatal(err)
	}
	ops = h.Ops()
	for _, op := range ops {
		writeJSONL(jsonl, op)
	}
	return edn, jsonl, ops
}

// writeJSONL writes an operation as its invocation and completion in JSON
// Lines; the completion follows at once, which only constrains the check
// more, and the history stays linearizable.
func writeJSONL(w *bytes.Buffer, op linear.Op) {
	typ := map[linear.Outcome]string{linear.OK: "ok", linear.Failed: "fail"}[op.Outcome]
	if typ == "" {
		typ = "info"
	}
	f := map[linear.Kind]string{linear.Get: "read", linear.Put: "write", linear.Append: "append"}[op.Kind]
	fmt.Fprintf(w, `{"type": "invoke", "f": %q, "process": %d, "key": %q, "value": %q, "time": %d}`+"\n",
		f, op.ID*100+uint64(op.Client), op.Key, op.Value, op.Call*1000)
	value := fmt.Sprintf("%q", op.Value)
	if op.Kind == linear.Get {
		value = "null"
		if op.Found {
			value = fmt.Sprintf("%q", op.Output)
		}
	}
	fmt.Fprintf(w, `{"type": %q, "f": %q, "process": %d, "key": %q, "value": %s, "time": %d}`+"\n",
		typ, f, op.ID*100+uint64(op.Client), op.Key, value, max(op.Return, op.Call)*1000)
}
