package sim_test

import (
	"testing"

	. "smrlab/core/lab"
)

func benchCluster(b *testing.B, spec BenchSpec) {
	b.ReportAllocs()
	spec.Entries = uint64(b.N)
	w, err := BenchWorld(spec)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	events := RunUntilApplied(w, spec.Entries)
	b.StopTimer()
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkCluster5Inflight64Size64 is the workload of `smrlab bench --nodes 5
// --inflight 64 --size 64`; ns/op is the cost of one committed entry.
func BenchmarkCluster5Inflight64Size64(b *testing.B) {
	benchCluster(b, BenchSpec{Nodes: 5, Inflight: 64, SizeBytes: 64, Seed: 1})
}
