package sim_test

import (
	"runtime"
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

// BenchmarkClusterCompaction is the same workload with every server
// snapshotting every 10,000 entries. It reports the longest log a server
// retained past its snapshot and the peak heap sampled every 5,000 entries;
// neither may grow with b.N (compare -benchtime 100000x with 1000000x).
func BenchmarkClusterCompaction(b *testing.B) {
	b.ReportAllocs()
	spec := BenchSpec{Nodes: 5, Inflight: 64, SizeBytes: 64, Seed: 1, SnapshotEntries: 10_000, Entries: uint64(b.N)}
	w, err := BenchWorld(spec)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	retained, heap := uint64(0), uint64(0)
	var m runtime.MemStats
	for done := uint64(0); done < spec.Entries; {
		done = min(done+5_000, spec.Entries)
		RunUntilApplied(w, done)
		retained = max(retained, RetainedMax(w))
		runtime.ReadMemStats(&m)
		heap = max(heap, m.HeapAlloc)
	}
	b.StopTimer()
	b.ReportMetric(float64(retained), "retained-max")
	b.ReportMetric(float64(heap)/(1<<20), "heap-peak-MB")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}
