package lab

import (
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/scenario"
)

// TestMetricsFromTheTraceMatchTheRun computes the protocol metrics from a
// run's events alone and checks them against the simulator's own counts.
func TestMetricsFromTheTraceMatchTheRun(t *testing.T) {
	for _, name := range []string{"snapshot-lost-chunks.scn", "overload-admission.scn", "chaos-membership.scn"} {
		sc := loadScenario(t, name)
		r, err := scenario.Run(sc, scenario.RunOptions{KeepEvents: true})
		require.NoError(t, err)
		st := r.World.Stats()
		m := MetricsOf(r.World.Events())
		require.Equal(t, st.LeaderChanges, m.LeaderChanges, name)
		require.Equal(t, st.SnapshotInstallFailures, m.SnapshotInstallFailures, name)
		require.Equal(t, st.SnapshotsInstalled, m.SnapshotInstalls, name)
		rejected := uint64(0)
		for _, n := range m.RejectedByReason {
			rejected += n
		}
		want := uint64(0)
		for _, n := range st.Rejected {
			want += n
		}
		require.Equal(t, want, rejected, name)
		require.True(t, m.CommitIndexMonotonic, name)
		require.Positive(t, m.QuorumAcksLatencyP99, name)
	}
}
