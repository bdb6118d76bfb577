package main

// Thread CPU time from a Chromium trace, for the frame benchmark: on a
// machine shared with other work, a frame's wall time counts the time its
// thread waited for a core; the trace's thread time (tdur) does not, so it
// says what the page itself costs.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// tracePhases name the main thread's work by the trace events that hold it
// (none of them nests in another, so their sums add up).
var tracePhases = []struct{ name, events string }{
	{"frame JS", "FireAnimationFrame"},
	{"views in", "HandlePostMessage"},
	{"style+layout", "UpdateLayoutTree Layout"},
	{"paint+commit", "PrePaint Paint Layerize Commit"},
}

// cpuTrace is what one traced stretch of the page cost, in ms of thread time.
type cpuTrace struct {
	frames  []float64          // each animation frame's JavaScript (FireAnimationFrame)
	phases  map[string]float64 // the main thread's work by phase
	main    float64            // the main thread's tasks, all told
	worker  []float64          // each call the simulator's worker answered
	seconds float64            // the stretch's wall time
}

// traceCPU runs fn with Chromium's tracing on and sums the thread time of
// the page's main thread and of the simulator's worker.
func traceCPU(tb testing.TB, p *page, fn func()) cpuTrace {
	tb.Helper()
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	var mu sync.Mutex
	var raw [][]byte
	done := make(chan struct{})
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *tracing.EventDataCollected:
			mu.Lock()
			for _, v := range ev.Value {
				raw = append(raw, []byte(v))
			}
			mu.Unlock()
		case *tracing.EventTracingComplete:
			close(done)
		}
	}); err != nil {
		tb.Fatal(err)
	}
	if _, err := chromedp.Call(p.ctx, tracing.Start, tracing.StartParams{TraceConfig: &tracing.TraceConfig{
		IncludedCategories: []string{"devtools.timeline", "toplevel"}}}); err != nil {
		tb.Fatalf("tracing: %v", err)
	}
	fn()
	if _, err := chromedp.Call(p.ctx, tracing.End, cdp.Empty{}); err != nil {
		tb.Fatalf("tracing: %v", err)
	}
	select {
	case <-done:
	case <-p.ctx.Done():
		tb.Fatalf("tracing: %v", p.ctx.Err())
	}
	mu.Lock()
	defer mu.Unlock()
	return sumTrace(raw)
}

type traceEvent struct {
	Name string  `json:"name"`
	Ph   string  `json:"ph"`
	Pid  int64   `json:"pid"`
	Tid  int64   `json:"tid"`
	Ts   float64 `json:"ts"`
	Dur  float64 `json:"dur"`
	Tdur float64 `json:"tdur"`
	Args struct {
		Name string `json:"name"`
	} `json:"args"`
}

func sumTrace(raw [][]byte) cpuTrace {
	evs := make([]traceEvent, 0, len(raw))
	threads := map[string]string{}
	key := func(e traceEvent) string { return fmt.Sprint(e.Pid, "/", e.Tid) }
	for _, r := range raw {
		var e traceEvent
		if json.Unmarshal(r, &e) != nil {
			continue
		}
		if e.Ph == "M" && e.Name == "thread_name" {
			threads[key(e)] = e.Args.Name
		}
		evs = append(evs, e)
	}
	phaseOf := map[string]string{}
	for _, ph := range tracePhases {
		for _, n := range strings.Fields(ph.events) {
			phaseOf[n] = ph.name
		}
	}
	t := cpuTrace{phases: map[string]float64{}}
	first, last := 0.0, 0.0
	for _, e := range evs {
		if e.Ph != "X" {
			continue
		}
		if first == 0 || e.Ts < first {
			first = e.Ts
		}
		last = max(last, e.Ts+e.Dur)
		ms := e.Tdur / 1000
		switch threads[key(e)] {
		case "CrRendererMain":
			if e.Name == "ThreadControllerImpl::RunTask" {
				t.main += ms
			}
			if ph, ok := phaseOf[e.Name]; ok {
				t.phases[ph] += ms
			}
			if e.Name == "FireAnimationFrame" {
				t.frames = append(t.frames, ms)
			}
		case "DedicatedWorker thread":
			if e.Name == "HandlePostMessage" {
				t.worker = append(t.worker, ms)
			}
		}
	}
	t.seconds = (last - first) / 1e6
	return t
}

// costliest returns the n largest of xs.
func costliest(xs []float64, n int) []float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[max(0, len(s)-n):]
}

// add merges another stretch into t.
func (t *cpuTrace) add(o cpuTrace) {
	t.frames = append(t.frames, o.frames...)
	t.worker = append(t.worker, o.worker...)
	if t.phases == nil {
		t.phases = map[string]float64{}
	}
	for k, v := range o.phases {
		t.phases[k] += v
	}
	t.main += o.main
	t.seconds += o.seconds
}

// String sums t up: per animation frame, per second of play, per worker call.
func (t cpuTrace) String() string {
	f, w := summarize(t.frames), summarize(t.worker)
	per := func(ms float64) float64 { return ms / max(t.seconds, 1e-9) }
	var phases []string
	for _, ph := range tracePhases {
		phases = append(phases, fmt.Sprintf("%s %.0f", ph.name, per(t.phases[ph.name])))
	}
	return fmt.Sprintf("thread CPU (trace): drawn frame JS p50 %.2f ms, p95 %.2f ms, max %.2f ms (%.0f frames); "+
		"main thread %.0f ms per s (%s); worker %.1f ms per call p50, %.1f p95 (%.0f calls)",
		f.p50, f.p95, f.max, f.n, per(t.main), strings.Join(phases, ", "), w.p50, w.p95, w.n)
}
