package histfile_test

import (
	"bytes"
	"os"
	"path/filepath"
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
	verdicts := map[linear.Verdict]int{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		sc, err := scenario.Parse(filepath.Base(f), src)
		require.NoError(t, err)
		r, err := scenario.Run(sc, scenario.RunOptions{KeepEvents: true, NoLinearizability: true})
		require.NoError(t, err)
		h := r.World.History()
		if h == nil || h.Len() == 0 {
			continue
		}
		want := linear.Check(h.Ops(), time.Minute)
		tr := &trace.Trace{Header: lab.Header(sc, r.Seed, 0, nil, 0), Events: r.World.Events(), Footer: lab.Footer(r)}
		var edn bytes.Buffer
		require.NoError(t, export.WriteEDN(&edn, tr, h))
		read, err := histfile.ReadEDN(edn.Bytes())
		require.NoError(t, err, f)
		got := linear.Check(read.Ops, time.Minute)
		require.Equal(t, want.Verdict, got.Verdict, "%s: the run's check says %v, its EDN's %v", f, want, got)
		require.Equal(t, want.Ops, got.Ops, f)
		require.Equal(t, want.Keys, got.Keys, f)
		require.Equal(t, want.LeftOut, got.LeftOut, f)
		require.Equal(t, h.Len(), len(read.Ops), f)
		if want.Verdict == linear.NotLinearizable {
			require.Equal(t, want.Violation.Key, got.Violation.Key, f)
		}
		verdicts[want.Verdict]++
	}
	t.Logf("verdicts: %v", verdicts)
	require.Positive(t, verdicts[linear.Linearizable])
}
