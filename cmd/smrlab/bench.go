package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"smrlab/core/lab"
	"smrlab/core/sim"
	"smrlab/core/trace"
	"smrlab/core/tracefile"
)

func cmdBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stdout)
	spec := lab.BenchSpec{Seed: 1}
	fs.IntVar(&spec.Nodes, "nodes", 5, "servers in the cluster")
	fs.IntVar(&spec.Inflight, "inflight", 64, "client proposals outstanding at all times")
	fs.Uint64Var(&spec.Entries, "entries", 200_000, "run until the leader has applied this many entries")
	fs.IntVar(&spec.SizeBytes, "size", 64, "bytes per proposed value")
	fs.BoolVar(&spec.Check, "check", false, "run every safety invariant after every event")
	fs.IntVar(&spec.SnapshotEntries, "snapshot", 0, "every server snapshots and compacts its log every `N` applied entries (0: never)")
	fs.Uint64Var(&spec.Seed, "seed", 1, "the seed")
	tracePath := fs.String("trace", "", "stream every event to a msgpack trace at `OUT`")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fs.Usage()
		return exitError{2}
	}
	w, err := lab.BenchWorld(spec)
	if err != nil {
		return err
	}
	var tw *tracefile.Writer
	if *tracePath != "" {
		f, err := os.Create(*tracePath)
		if err != nil {
			return err
		}
		defer f.Close()
		h := trace.NewHeader()
		h.ScenarioName = "bench"
		h.Seed = spec.Seed
		if tw, err = tracefile.NewMsgpackWriter(f, h); err != nil {
			return err
		}
		w.Recorder().Sink = tw.WriteEvent
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	peak := &heapPeak{w: w}
	cpu0, wall0 := cpuTime(), time.Now()
	events := runSampled(w, spec.Entries, peak)
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if tw != nil {
		if err := tw.Close(trace.Footer{Events: events, EventsHash: w.Recorder().Sum(), StateHash: w.StateHash(),
			EndTime: w.Now()}); err != nil {
			return err
		}
	}
	if cpu <= 0 {
		cpu = wall
	}
	entries := float64(spec.Entries)
	fmt.Fprintf(stdout, "nodes=%d inflight=%d entries=%d size=%d check=%v events=%d sim_time_s=%.3f wall_s=%.3f cpu_s=%.3f "+
		"events_per_s=%.0f committed_per_cpu_s=%.0f allocs_per_entry=%.1f bytes_per_entry=%.0f heap_peak_mb=%.1f "+
		"snapshot=%d snapshots=%d retained_max=%d events_hash=%016x\n",
		spec.Nodes, spec.Inflight, spec.Entries, spec.SizeBytes, spec.Check, events, float64(w.Now())/1e6,
		wall.Seconds(), cpu.Seconds(), float64(events)/cpu.Seconds(), entries/cpu.Seconds(),
		float64(after.Mallocs-before.Mallocs)/entries, float64(after.TotalAlloc-before.TotalAlloc)/entries,
		float64(peak.max)/(1<<20), spec.SnapshotEntries, w.Stats().Snapshots, peak.retained, w.Recorder().Sum())
	if v := w.Violation(); v != nil {
		return fmt.Errorf("the benchmark cluster broke an invariant: %v", v)
	}
	return nil
}

// heapPeak samples the live heap, and the longest log a server retains past
// its snapshot, now and then during a run.
type heapPeak struct {
	w        *sim.World
	max      uint64
	retained uint64
}

func (h *heapPeak) sample() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	h.max = max(h.max, m.HeapAlloc)
	h.retained = max(h.retained, lab.RetainedMax(h.w))
}

// runSampled is lab.RunUntilApplied with a heap sample at every sixteenth
// of the way.
func runSampled(w *sim.World, entries uint64, peak *heapPeak) uint64 {
	step := max(entries/16, 1)
	for next := step; ; next += step {
		ev := lab.RunUntilApplied(w, min(next, entries))
		peak.sample()
		if next >= entries || w.Stopped() {
			return ev
		}
	}
}
