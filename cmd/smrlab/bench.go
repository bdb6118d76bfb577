package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"smrlab/cmd/smrlab/etcdbench"
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
	against := fs.String("against", "", "also run `etcd`-io/raft's RawNode on the same workload, alternately with smrlab, "+
		"and print the ratio of committed entries per CPU-second")
	rounds := fs.Int("rounds", 5, "with --against: how many times each side runs (the median counts)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to `OUT`")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fs.Usage()
		return exitError{2}
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	switch {
	case *against == "":
	case *against != "etcd":
		return fmt.Errorf("--against %q: the only other implementation is etcd", *against)
	case *rounds < 1 || *rounds > 100:
		return fmt.Errorf("--rounds %d, want 1 to 100", *rounds)
	case *tracePath != "" || spec.SnapshotEntries != 0:
		return fmt.Errorf("--against etcd runs neither --trace nor --snapshot (the etcd side has no counterpart)")
	default:
		return benchAgainstEtcd(spec, *rounds, stdout)
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

// benchAgainstEtcd runs etcd-io/raft's RawNode and smrlab on the same
// workload, alternately, rounds times each, and prints each side's
// committed entries per CPU-second and the median of the rounds' ratios:
// alternating puts both sides under the same load from the rest of the
// machine.
func benchAgainstEtcd(spec lab.BenchSpec, rounds int, stdout io.Writer) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	es := etcdbench.Spec{Nodes: spec.Nodes, Inflight: spec.Inflight, Entries: spec.Entries,
		SizeBytes: max(spec.SizeBytes, 4), Keys: lab.BenchKeys}
	var etcdRates, smrRates, ratios []float64
	for r := 1; r <= rounds; r++ {
		var res etcdbench.Result
		etcdCPU, err := cpuOf(func() (err error) { res, err = etcdbench.Run(es); return err })
		if err != nil {
			return err
		}
		var w *sim.World
		var events uint64
		smrCPU, err := cpuOf(func() (err error) {
			if w, err = lab.BenchWorld(spec); err != nil {
				return err
			}
			events = lab.RunUntilApplied(w, spec.Entries)
			return nil
		})
		if err != nil {
			return err
		}
		if v := w.Violation(); v != nil {
			return fmt.Errorf("the benchmark cluster broke an invariant: %v", v)
		}
		etcdRate, smrRate := float64(res.Applied)/etcdCPU.Seconds(), float64(spec.Entries)/smrCPU.Seconds()
		etcdRates, smrRates = append(etcdRates, etcdRate), append(smrRates, smrRate)
		ratios = append(ratios, smrRate/etcdRate)
		fmt.Fprintf(stdout, "round=%d etcd_cpu_s=%.3f etcd_committed_per_cpu_s=%.0f etcd_messages=%d "+
			"smrlab_cpu_s=%.3f smrlab_committed_per_cpu_s=%.0f smrlab_events=%d ratio=%.2f\n",
			r, etcdCPU.Seconds(), etcdRate, res.Steps, smrCPU.Seconds(), smrRate, events, smrRate/etcdRate)
	}
	fmt.Fprintf(stdout, "against=etcd nodes=%d inflight=%d entries=%d size=%d check=%v rounds=%d "+
		"etcd_committed_per_cpu_s=%.0f smrlab_committed_per_cpu_s=%.0f ratio=%.2f (medians; ratios %.2f..%.2f)\n",
		spec.Nodes, spec.Inflight, spec.Entries, spec.SizeBytes, spec.Check, rounds, median(etcdRates),
		median(smrRates), median(ratios), slices.Min(ratios), slices.Max(ratios))
	return nil
}

// cpuOf runs f after a collection (so that neither side pays for the
// other's garbage) and returns the process CPU time it took.
func cpuOf(f func() error) (time.Duration, error) {
	runtime.GC()
	cpu0, wall0 := cpuTime(), time.Now()
	err := f()
	cpu := cpuTime() - cpu0
	if cpu <= 0 {
		cpu = time.Since(wall0)
	}
	return cpu, err
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
