package histfile_test

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"smrlab/core/export"
	"smrlab/core/histfile"
	"smrlab/core/lab"
	"smrlab/core/linear"
	"smrlab/core/scenario"
	"smrlab/core/trace"
)

// TestExportedEDNChecksTheSame runs every shipped scenario, exports its
// client history as Jepsen's EDN, reads it back and checks it: the verdict,
// the operations and keys checked, and a violation's key are those of the
// run's own check of its history.
func TestExportedEDNChecksTheSame(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.scn")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var mu sync.Mutex
	verdicts := map[linear.Verdict]int{}
	t.Run("scenarios", func(t *testing.T) {
		for _, f := range files {
			t.Run(filepath.Base(f), func(t *testing.T) {
				t.Parallel()
				if v, ok := roundTrip(t, f); ok {
					mu.Lock()
					verdicts[v]++
					mu.Unlock()
				}
			})
		}
	})
	t.Logf("verdicts: %v", verdicts)
	require.Positive(t, verdicts[linear.Linearizable])
	require.Positive(t, verdicts[linear.NotLinearizable], "bug scenarios give histories that are not linearizable")
}

// roundTrip runs a scenario and compares the checks of its history and of
// the history's EDN; ok is false when the run has no client history.
func roundTrip(t *testing.T, f string) (v linear.Verdict, ok bool) {
	src, err := os.ReadFile(f)
	require.NoError(t, err)
	sc, err := scenario.Parse(filepath.Base(f), src)
	require.NoError(t, err)
	r, err := scenario.Run(sc, scenario.RunOptions{KeepEvents: true, NoLinearizability: true})
	require.NoError(t, err)
	h := r.World.History()
	if h == nil || h.Len() == 0 {
		return v, false
	}
	want := linear.Check(h.Ops(), time.Minute)
	tr := &trace.Trace{Header: lab.Header(sc, r.Seed, 0, nil, 0), Events: r.World.Events(), Footer: lab.Footer(r)}
	var edn bytes.Buffer
	require.NoError(t, export.WriteEDN(&edn, tr, h))
	read, err := histfile.ReadEDN(edn.Bytes())
	require.NoError(t, err)
	got := linear.Check(read.Ops, time.Minute)
	require.Equal(t, want.Verdict, got.Verdict, "the run's check says %v, its EDN's %v", want, got)
	require.Equal(t, want.Ops, got.Ops)
	require.Equal(t, want.Keys, got.Keys)
	require.Equal(t, want.LeftOut, got.LeftOut)
	require.Equal(t, h.Len(), len(read.Ops))
	if want.Verdict == linear.NotLinearizable {
		require.Equal(t, want.Violation.Key, got.Violation.Key)
	}
	return want.Verdict, true
}
