package main

// Benchmarks of the browser lab in headless Chromium: time to the first drawn
// cluster, frame costs of a busy 9-server ring, the compressed bytes a first
// visit downloads, seeking in a 10-minute run, and the simulator's speed as
// WebAssembly against the same run natively. `go test -bench` runs them (the
// tests never do); each reports its numbers with b.ReportMetric, so a plain
// `-benchtime=1x` gives one sample of each.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"smrlab/core/lab"
)

// busyNineServers keeps about 200 messages in flight: nine servers, sixteen
// closed-loop clients with four operations outstanding each, one entry per
// append and up to 22 appends in flight per follower over 20-30 ms links.
const busyNineServers = `name bench-9-servers
description Nine servers under a closed-loop load: a busy ring to draw.
servers 9
duration 60m
options all prevote=on checkquorum=on election=300ms heartbeat=50ms inflight=22 batch=1
network latency=20ms..30ms
disk latency=1ms..2ms
workload clients=16 inflight=4 writes=70% keys=64 timeout=2s
watchdog off
`

// heavyFiveServers is a simulation-bound run: five servers, fast links and
// 64 client operations outstanding at all times.
const heavyFiveServers = `name bench-heavy
description Five servers, fast links, 64 closed-loop operations outstanding.
servers 5
duration 60m
options all prevote=on checkquorum=on election=150ms heartbeat=50ms
network latency=1ms..3ms
disk latency=200us..1ms
workload clients=16 inflight=4 writes=70% keys=64 timeout=1s
watchdog off
`

// benchTimeout bounds a whole benchmark (all its b.Loop iterations).
const benchTimeout = 10 * time.Minute

// stats summarizes samples.
type stats struct{ n, mean, p50, p95, max float64 }

func summarize(xs []float64) stats {
	if len(xs) == 0 {
		return stats{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	var sum float64
	for _, x := range s {
		sum += x
	}
	q := func(p float64) float64 { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return stats{n: float64(len(s)), mean: sum / float64(len(s)), p50: q(0.50), p95: q(0.95), max: s[len(s)-1]}
}

// loadNote says how busy the machine was, to read the numbers with.
func loadNote() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "load unknown"
	}
	return "load average " + strings.Join(f[:3], " ")
}

func newBenchPage(b *testing.B) *page {
	b.Helper()
	base := labServerURL(b)
	p := &page{tb: b, base: base, art: b.ArtifactDir()}
	p.ctx = newBrowser(b, benchTimeout, chromedp.WithListener(p.onEvent))
	b.Cleanup(p.checkConsole)
	b.Logf("machine: %s", loadNote())
	return p
}

// (a) From navigation to the first drawn cluster: smrlabTest.firstDrawAt is
// performance.now() at that draw, so milliseconds since the navigation
// started (performance.timeOrigin). A first visit runs in a new browser
// context (empty caches); a reload of the same tab then reuses the HTTP
// cache and the compiled wasm.
func BenchmarkBrowserFirstDraw(b *testing.B) {
	p := newBenchPage(b)
	var first, reload []float64
	for b.Loop() {
		tab := p.newTab(chromedp.WithNewBrowserContext())
		tab.open("")
		first = append(first, eval[float64](tab, `smrlabTest.firstDrawAt`))
		tab.open("")
		reload = append(reload, eval[float64](tab, `smrlabTest.firstDrawAt`))
		tab.closeOnce()
	}
	f, r := summarize(first), summarize(reload)
	b.ReportMetric(f.mean, "first-visit-ms")
	b.ReportMetric(f.max, "first-visit-max-ms")
	b.ReportMetric(r.mean, "reload-ms")
	b.Logf("first draw after navigation: first visit mean %.0f ms (p50 %.0f, max %.0f, n=%.0f); reload mean %.0f ms (max %.0f); %s",
		f.mean, f.p50, f.max, f.n, r.mean, r.max, loadNote())
}

// (b) Frame costs while the page plays a busy ring at real speed: five
// servers, then nine with about 200 messages in flight, the same workload
// and 5 s of real time each, in every iteration, so that the machine's load
// (other work on a shared machine, the worker's own core) weighs on both.
// A frame's cost (smrlabTest.frameTimes) is the page's JavaScript for one
// drawn frame: parsing the view, taking in its events (the history), the
// ring, the logs, the space-time diagram and the panels
// (smrlabTest.frameParts). The worker's answer time (post to answer of each
// frame call, smrlabTest.waits) is not in it: the page never waits for the
// worker, it draws the newest view it has. The animation frames per second
// (requestAnimationFrame callbacks) also count what the browser does after
// the page's JavaScript (canvas rasterization, layout). A Chromium trace of
// each stretch gives the same costs in thread CPU time, which the machine's
// other work does not inflate (browser_trace_test.go).
func BenchmarkBrowserFrameTimes(b *testing.B) {
	p := newBenchPage(b)
	p.openPaused("")
	pages := []*framePage{
		{name: "5 servers", file: "bench-5-servers.scn", servers: 5,
			src: strings.Replace(strings.Replace(busyNineServers, "servers 9", "servers 5", 1), "bench-9-servers", "bench-5-servers", 1)},
		{name: "9 servers", file: "bench-9-servers.scn", servers: 9, src: busyNineServers},
	}
	for b.Loop() {
		for _, fp := range pages {
			fp.play(b, p)
		}
	}
	p.shot("nine-servers")
	for _, fp := range pages {
		fp.report(b)
	}
	b.Logf("%s", loadNote())
}

// framePage is one page of BenchmarkBrowserFrameTimes and what it measured.
type framePage struct {
	name, file, src string
	servers         int
	frames          []float64 // the page's JavaScript per drawn frame
	parts           map[string][]float64
	waits, bytes    []float64 // per frame call: post to answer, and the view's size
	flights, fps    []float64
	virtual, real   float64 // seconds
	cpu             cpuTrace
}

// framePartNames are the parts of smrlabTest.frameParts, in the order a
// frame runs them.
var framePartNames = []string{"parse", "ingest", "ring", "logs", "lamport", "panels"}

func (fp *framePage) play(b *testing.B, p *page) {
	b.Helper()
	p.call("open", fmt.Sprintf(`{"scenario":%s,"file":%q}`, jsString(fp.src), fp.file))
	p.pause()
	v := p.advance(3 * second) // a leader and a full pipeline
	if leaderOf(v) == 0 || len(v.Servers) != fp.servers {
		b.Fatalf("%s, warm-up: %d servers, leader S%d", fp.name, len(v.Servers), leaderOf(v))
	}
	p.waitFor("a frame drawn after the warm-up", `smrlabTest.frameTimes().length > 0`, 5*time.Second)
	start := v.Now
	// Count frames from here: the page keeps the last 600.
	const playFor = 5 * time.Second
	type result struct {
		Frames  []float64            `json:"frames"`
		Parts   []map[string]float64 `json:"parts"`
		Waits   []map[string]float64 `json:"waits"`
		Flights []float64            `json:"flights"`
		FPS     float64              `json:"fps"`
	}
	var res result
	tr := traceCPU(b, p, func() {
		p.exec(`window.__bench = {skip: smrlabTest.frameTimes().length, skipWaits: smrlabTest.waits().length,
				flights: [], raf: 0, t0: performance.now()};
			(function count() { __bench.raf++; if (!__bench.done) requestAnimationFrame(count); })();
			window.__benchTimer = setInterval(() => __bench.flights.push((smrlabTest.view().flights || []).length), 100);
			smrlabTest.setSpeed(1); smrlabTest.play()`)
		time.Sleep(playFor)
		res = eval[result](p, `(() => { smrlabTest.pause(); clearInterval(window.__benchTimer); __bench.done = true;
			const all = smrlabTest.frameTimes(), parts = smrlabTest.frameParts(), waits = smrlabTest.waits();
			return {frames: all.slice(Math.min(__bench.skip, all.length)), parts: parts.slice(Math.min(__bench.skip, parts.length)),
				waits: waits.slice(Math.min(__bench.skipWaits, waits.length)), flights: __bench.flights,
				fps: __bench.raf / ((performance.now() - __bench.t0) / 1000)}; })()`)
	})
	// Most animation frames draw nothing (no new view yet) and cost next to
	// nothing: the drawn ones are the costliest, as many as the page drew.
	tr.frames = costliest(tr.frames, len(res.Frames))
	fp.cpu.add(tr)
	p.idle()
	if len(res.Frames) < 50 {
		b.Logf("%s: only %d frames drawn in %v (a busy machine): the figures below rest on few samples", fp.name, len(res.Frames), playFor)
	}
	fp.frames = append(fp.frames, res.Frames...)
	if fp.parts == nil {
		fp.parts = map[string][]float64{}
	}
	for _, part := range res.Parts {
		for _, k := range framePartNames {
			fp.parts[k] = append(fp.parts[k], part[k])
		}
	}
	for _, w := range res.Waits {
		fp.waits = append(fp.waits, w["ms"])
		fp.bytes = append(fp.bytes, w["bytes"])
	}
	fp.flights = append(fp.flights, res.Flights...)
	fp.fps = append(fp.fps, res.FPS)
	fp.virtual += float64(p.view().Now-start) / 1e6
	fp.real += playFor.Seconds()
}

func (fp *framePage) report(b *testing.B) {
	f, fl, w, by := summarize(fp.frames), summarize(fp.flights), summarize(fp.waits), summarize(fp.bytes)
	unit := strings.ReplaceAll(fp.name, " servers", "srv")
	b.ReportMetric(f.p50, "frame-p50-ms-"+unit)
	b.ReportMetric(f.p95, "frame-p95-ms-"+unit)
	b.ReportMetric(f.max, "frame-max-ms-"+unit)
	var parts []string
	for _, k := range framePartNames {
		// Over the frames that ran the part: the canvases and the panels
		// take turns.
		var ran []float64
		for _, x := range fp.parts[k] {
			if x > 0 {
				ran = append(ran, x)
			}
		}
		s := summarize(ran)
		parts = append(parts, fmt.Sprintf("%s %.2f/%.2f (%.0f)", k, s.p50, s.p95, s.n))
	}
	b.Logf("%s at 1×: %.0f frames, frame cost p50 %.2f ms, p95 %.2f ms, max %.2f ms; %.1f animation frames/s\n"+
		"  parts p50/p95 ms (frames): %s\n"+
		"  worker answer (post to answer) p50 %.0f ms, p95 %.0f ms (%.0f calls); view %.0f KB mean; "+
		"messages in flight mean %.0f (max %.0f); %.2f s of virtual time in %.0f s of real time\n  %s",
		fp.name, f.n, f.p50, f.p95, f.max, summarize(fp.fps).mean, strings.Join(parts, ", "),
		w.p50, w.p95, w.n, by.mean/1024, fl.mean, fl.max, fp.virtual, fp.real, fp.cpu)
}

// (c) The compressed bytes a first visit downloads, as TestBrowserFirstDownload
// measures them (see firstDownload).
func BenchmarkBrowserDownloadSize(b *testing.B) {
	labServerURL(b) // builds the app, with the .gz and .br siblings `make web` writes
	var sent sentBytes
	h, err := newHandler(os.DirFS(app.dir), app.logger())
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sent.wrap(h))
	defer srv.Close()

	p := newBenchPage(b)
	p.base = srv.URL + "/"
	var d download
	for b.Loop() {
		d = firstDownload(b, p, srv.URL, &sent, "br")
	}
	b.ReportMetric(d.total/1024, "KB-encoded")
	b.ReportMetric(d.wasm/1024, "KB-wasm")
	b.ReportMetric(d.served/1024, "KB-bodies-served")
	b.Log(d.String())
}

// download is what one first visit fetched.
type download struct {
	total, wasm, served float64 // bytes
	lines               []string
}

func (d download) String() string {
	return fmt.Sprintf("first visit downloads %.1f KB (EncodedDataLength, headers included), of which smrlab.wasm %.1f KB; "+
		"the server sent %.1f KB of bodies; %s\n%s", d.total/1024, d.wasm/1024, d.served/1024, loadNote(), strings.Join(d.lines, "\n"))
}

// firstDownload opens the page in a new browser context (empty caches) and
// sums every request's EncodedDataLength (headers and body as received) from
// the page's Network events and from the simulator's Web Worker, whose
// requests (worker.js, wasm_exec.js, smrlab.wasm) only its own target
// reports. The worker is auto-attached paused (waitForDebuggerOnStart), so
// its Network domain is on before its first fetch. sent, a counting wrapper
// around the handler, gives the body bytes the server sent, as a
// cross-check. The wasm must come in wantEncoding.
func firstDownload(tb testing.TB, p *page, base string, sent *sentBytes, wantEncoding string) download {
	tb.Helper()
	sent.reset()
	tab := p.newTab(chromedp.WithNewBrowserContext())
	net := newNetLog()
	if err := chromedp.Listen(tab.ctx, net.onEvent); err != nil {
		tb.Fatal(err)
	}
	// Take over the auto-attach chromedp set (flat sessions, whose events
	// it drops): nested sessions, paused at start.
	if _, err := chromedp.Call(tab.ctx, target.SetAutoAttach, target.SetAutoAttachParams{
		AutoAttach: true, WaitForDebuggerOnStart: true, Flatten: new(false)}); err != nil {
		tb.Fatal(err)
	}
	go func() {
		for {
			var sid target.SessionID
			select {
			case sid = <-net.workers:
			case <-tab.ctx.Done():
				return
			}
			for _, m := range []string{`{"id":1,"method":"Network.enable","params":{}}`,
				`{"id":2,"method":"Runtime.runIfWaitingForDebugger","params":{}}`} {
				// Target.sendMessageToTarget is gone from cdproto's
				// typed commands; the browser still takes it.
				err := chromedp.FromContext(tab.ctx).Target.Call(tab.ctx, "Target.sendMessageToTarget",
					map[string]any{"sessionId": sid, "message": m}, nil)
				if err != nil && tab.ctx.Err() == nil {
					tb.Errorf("worker session: %v", err)
				}
			}
		}
	}()
	tab.open("")
	tab.idle()
	tab.waitFor("the bug toggles (the last request)", `!!document.querySelector('[data-testid="bug-commit-previous-term"]')`, 10*time.Second)
	time.Sleep(200 * time.Millisecond) // the last loadingFinished events
	reqs := net.finished()
	tab.closeOnce()

	d := download{served: float64(sent.total())}
	for _, r := range reqs {
		d.total += r.encoded
		if strings.HasSuffix(r.url, "/smrlab.wasm") {
			d.wasm = r.encoded
			if r.contentEncoding != wantEncoding {
				tb.Errorf("smrlab.wasm came with Content-Encoding %q, want %s (request Accept-Encoding %q)",
					r.contentEncoding, wantEncoding, r.acceptEncoding)
			}
		}
		d.lines = append(d.lines, fmt.Sprintf("  %-7s %8.1f KB  %-4s %s", r.from, r.encoded/1024, r.contentEncoding,
			strings.TrimPrefix(r.url, base)))
	}
	if d.wasm == 0 {
		tb.Fatalf("no finished request for smrlab.wasm among %d: the worker's requests were not seen", len(reqs))
	}
	return d
}

// netLog collects finished requests from the page's Network events and from
// the worker sessions' messages (Target.receivedMessageFromTarget).
type netLog struct {
	mu      sync.Mutex
	reqs    map[string]*netReq
	order   []string
	workers chan target.SessionID
}

type netReq struct {
	from, url, acceptEncoding, contentEncoding string
	encoded                                    float64
	done                                       bool
}

func newNetLog() *netLog {
	return &netLog{reqs: map[string]*netReq{}, workers: make(chan target.SessionID, 8)}
}

func (n *netLog) req(from, id string) *netReq {
	key := from + "/" + id
	r := n.reqs[key]
	if r == nil {
		r = &netReq{from: from}
		n.reqs[key] = r
		n.order = append(n.order, key)
	}
	return r
}

func header(h map[string]any, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}

// onEvent runs in the tab's message loop: it records and hands the worker
// sessions to a goroutine, and runs no command.
func (n *netLog) onEvent(ev any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		r := n.req("page", string(ev.RequestID))
		r.url, r.acceptEncoding = ev.Request.URL, header(ev.Request.Headers, "Accept-Encoding")
	case *network.EventResponseReceived:
		r := n.req("page", string(ev.RequestID))
		r.url, r.contentEncoding = ev.Response.URL, header(ev.Response.Headers, "Content-Encoding")
	case *network.EventLoadingFinished:
		r := n.req("page", string(ev.RequestID))
		r.encoded, r.done = ev.EncodedDataLength, true
	case *target.EventAttachedToTarget:
		if ev.TargetInfo.Type == "worker" {
			select {
			case n.workers <- ev.SessionID:
			default: // more workers than the page starts: not ours to wait for
			}
		}
	case *target.EventReceivedMessageFromTarget:
		var m struct {
			Method string `json:"method"`
			Params struct {
				RequestID         string `json:"requestId"`
				EncodedDataLength float64
				Request           struct {
					URL     string         `json:"url"`
					Headers map[string]any `json:"headers"`
				} `json:"request"`
				Response struct {
					URL     string         `json:"url"`
					Headers map[string]any `json:"headers"`
				} `json:"response"`
			} `json:"params"`
		}
		if json.Unmarshal([]byte(ev.Message), &m) != nil || !strings.HasPrefix(m.Method, "Network.") {
			return
		}
		r := n.req("worker", m.Params.RequestID)
		switch m.Method {
		case "Network.requestWillBeSent":
			r.url, r.acceptEncoding = m.Params.Request.URL, header(m.Params.Request.Headers, "Accept-Encoding")
		case "Network.responseReceived":
			r.url, r.contentEncoding = m.Params.Response.URL, header(m.Params.Response.Headers, "Content-Encoding")
		case "Network.loadingFinished":
			r.encoded, r.done = m.Params.EncodedDataLength, true
		}
	}
}

func (n *netLog) finished() []netReq {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []netReq
	for _, k := range n.order {
		if r := n.reqs[k]; r.done && r.url != "" && !strings.HasPrefix(r.url, "data:") {
			out = append(out, *r)
		}
	}
	return out
}

// sentBytes counts the response body bytes a handler writes.
type sentBytes struct {
	mu sync.Mutex
	n  int64
}

func (s *sentBytes) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&countingWriter{ResponseWriter: w, s: s}, r)
	})
}

func (s *sentBytes) reset() { s.mu.Lock(); s.n = 0; s.mu.Unlock() }

func (s *sentBytes) total() int64 { s.mu.Lock(); defer s.mu.Unlock(); return s.n }

type countingWriter struct {
	http.ResponseWriter
	s *sentBytes
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.s.mu.Lock()
	c.s.n += int64(n)
	c.s.mu.Unlock()
	return n, err
}

// (d) Seeking anywhere in a 10-minute run: the default cluster is run to
// 600 s of virtual time, then smrlabTest.call('goto', t) is timed (in the
// page, so the view's transfer and drawing count) for 20 random times.
func BenchmarkBrowserSeek10Minutes(b *testing.B) {
	p := newBenchPage(b)
	p.openPaused("")
	// One frame of 600 s, the longest the bridge takes (see the report on
	// the space-time diagram: many long frames in a row slow the page).
	runStart := time.Now()
	p.call("frame", 600*second)
	runTook := time.Since(runStart)
	if v := p.view(); v.Now != 600*second || v.Reached != 600*second {
		b.Fatalf("the run reached %d, want 600 s", v.Reached)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var seeks []float64
	for b.Loop() {
		for range 20 {
			t := rng.Int64N(600*second + 1)
			took := eval[float64](p, fmt.Sprintf(`(async () => { const t0 = performance.now();
				const r = await smrlabTest.call('goto', %d); if (!r.ok) throw new Error(r.error);
				return performance.now() - t0; })()`, t))
			if v := p.view(); v.Now != t {
				b.Fatalf("goto(%d) landed at %d", t, v.Now)
			}
			seeks = append(seeks, took)
		}
	}
	s := summarize(seeks)
	b.ReportMetric(s.p50, "seek-p50-ms")
	b.ReportMetric(s.p95, "seek-p95-ms")
	b.ReportMetric(s.max, "seek-max-ms")
	b.Logf("seeking in a 600 s run (computed in %.1f s): %0.f seeks, p50 %.1f ms, p95 %.1f ms, max %.1f ms; %s\n  each (ms, in order): %.0f",
		runTook.Seconds(), s.n, s.p50, s.p95, s.max, loadNote(), seeks)
}

// (e) The simulator's speed as WebAssembly in the page's worker: frames of
// 2 s over a heavy scenario, in simulated events (view.metrics.events) per
// second of real time; then the same session natively in this process, so
// the two compare one to one (`smrlab bench` measures a different workload).
func BenchmarkBrowserWasmEventsPerSecond(b *testing.B) {
	p := newBenchPage(b)
	p.openPaused("")
	const virtual = 20 * second
	var wasmRates, nativeRates []float64
	var events uint64
	for b.Loop() {
		p.call("open", fmt.Sprintf(`{"scenario":%s,"file":"bench-heavy.scn"}`, jsString(heavyFiveServers)))
		p.pause()
		res := eval[struct {
			Ms     float64 `json:"ms"`
			Events float64 `json:"events"`
		}](p, fmt.Sprintf(`(async () => {
			const t0 = performance.now();
			for (let t = 0; t < %d; t += 2000000) {
				const r = await smrlabTest.call('frame', 2000000); if (!r.ok) throw new Error(r.error);
			}
			return {ms: performance.now() - t0, events: smrlabTest.view().metrics.events}; })()`, virtual))
		wasmRates = append(wasmRates, res.Events/(res.Ms/1000))
		events = uint64(res.Events)

		s, err := lab.Open("bench-heavy.scn", []byte(heavyFiveServers), lab.Options{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for t := int64(0); t < virtual; t += 2 * second {
			s.Advance(2 * second)
			if _, err := json.Marshal(s.View()); err != nil { // as the bridge does per call
				b.Fatal(err)
			}
		}
		took := time.Since(start)
		if n := s.World().Recorder().Count(); n != events {
			b.Errorf("the native run has %d events, the wasm run %d: not the same run", n, events)
		}
		nativeRates = append(nativeRates, float64(s.World().Recorder().Count())/took.Seconds())
	}
	w, n := summarize(wasmRates), summarize(nativeRates)
	b.ReportMetric(w.mean, "wasm-events/s")
	b.ReportMetric(n.mean, "native-events/s")
	b.ReportMetric(w.mean/n.mean, "wasm/native")
	b.Logf("%d events in %d s of virtual time: WebAssembly in the worker %.0f events/s, native %.0f events/s (%.0f%%); %s",
		events, virtual/second, w.mean, n.mean, 100*w.mean/n.mean, loadNote())
}
