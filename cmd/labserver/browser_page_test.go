package main

// A page of the lab in a headless Chromium, with the helpers the browser
// tests share: typed JavaScript evaluation, clicks by data-testid, waiting for
// a condition, screenshots into the test's artifact folder, and a watch over
// the console that fails the test on any error-level entry.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"smrlab/core/lab"
)

// page is one tab of the lab.
type page struct {
	tb    testing.TB
	ctx   context.Context
	base  string // the lab's URL
	art   string // the artifact folder
	shots int

	close func() // set by newTab

	mu      sync.Mutex
	console []consoleEntry
	allowed []*regexp.Regexp
}

// consoleEntry is one console message, uncaught exception or browser log
// entry of the page.
type consoleEntry struct {
	kind  string // console.TYPE, exception or log.SOURCE
	level string // error, warning, info, ...
	text  string
}

func (e consoleEntry) String() string { return fmt.Sprintf("[%s %s] %s", e.kind, e.level, e.text) }

// newPage starts a browser with a fresh profile and watches its tab's
// console from the first event on; at the end of the test, an error-level
// entry that the test did not allow fails it. It does not navigate.
//
// chromedp v0.23.0 renamed ListenTarget to Listen; WithListener adds the same
// kind of func before the tab's first command, so nothing is missed. Errors
// of the simulator's Web Worker arrive as log entries with source "worker".
func newPage(tb testing.TB) *page {
	tb.Helper()
	base := labServerURL(tb)
	p := &page{tb: tb, base: base, art: tb.ArtifactDir()}
	p.ctx = newBrowser(tb, browserTimeout, chromedp.WithListener(p.onEvent))
	tb.Cleanup(p.checkConsole)
	return p
}

// onEvent runs in the tab's message loop: it only records.
func (p *page) onEvent(ev any) {
	var e consoleEntry
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		parts := make([]string, 0, len(ev.Args))
		for _, a := range ev.Args {
			parts = append(parts, remoteText(a))
		}
		level := "info"
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeAssert:
			level = "error"
		case runtime.ConsoleAPICalledTypeWarning:
			level = "warning"
		}
		e = consoleEntry{kind: "console." + string(ev.Type), level: level, text: strings.Join(parts, " ")}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + remoteText(d.Exception)
		}
		e = consoleEntry{kind: "exception", level: "error", text: fmt.Sprintf("%s (%s:%d)", text, d.URL, d.LineNumber+1)}
	case *log.EventEntryAdded:
		en := ev.Entry
		e = consoleEntry{kind: "log." + string(en.Source), level: string(en.Level), text: en.Text + " " + en.URL}
	default:
		return
	}
	p.mu.Lock()
	p.console = append(p.console, e)
	p.mu.Unlock()
}

func remoteText(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	if len(o.Value) > 0 {
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			return s
		}
		return string(o.Value)
	}
	if o.Description != "" {
		return o.Description
	}
	return string(o.Type)
}

// allow lets error-level console entries that match re pass: a test that
// provokes an error on purpose (a 404) names what it expects.
func (p *page) allow(re string) {
	p.mu.Lock()
	p.allowed = append(p.allowed, regexp.MustCompile(re))
	p.mu.Unlock()
}

// consoleErrors returns the error-level entries no allow pattern matches.
func (p *page) consoleErrors() []consoleEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []consoleEntry
	for _, e := range p.console {
		if e.level != "error" {
			continue
		}
		ok := false
		for _, re := range p.allowed {
			if re.MatchString(e.text) {
				ok = true
				break
			}
		}
		if !ok {
			out = append(out, e)
		}
	}
	return out
}

func (p *page) checkConsole() {
	for _, e := range p.consoleErrors() {
		p.tb.Errorf("console error: %s", e)
	}
	if p.tb.Failed() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, e := range p.console {
			p.tb.Logf("console: %s", e)
		}
	}
}

// ---- Navigation

// open navigates to the lab with query (like "?seed=3" or "#r=...") and
// waits until the first cluster is drawn.
func (p *page) open(query string) {
	p.tb.Helper()
	p.navigate(query)
	p.waitReady()
}

// openPaused opens the lab like open, then pauses it and goes back to time
// 0, so that the test's virtual times do not depend on how long the page
// played by itself while loading.
func (p *page) openPaused(query string) {
	p.tb.Helper()
	p.open(query)
	p.pause()
	p.call("goto", 0)
	if v := p.view(); v.Now != 0 {
		p.fatalf("goto(0) left the session at %d", v.Now)
	}
}

func (p *page) navigate(query string) {
	p.tb.Helper()
	p.navigateURL(p.base + query)
}

func (p *page) navigateURL(url string) {
	p.tb.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Navigate(url)); err != nil {
		p.fatalf("navigating to %s: %v", url, err)
	}
}

// waitReady waits for smrlabTest.ready: the first drawn cluster.
func (p *page) waitReady() {
	p.tb.Helper()
	p.waitFor("window.smrlabTest exists", `!!window.smrlabTest`, 20*time.Second)
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`smrlabTest.ready.then(() => true)`,
		chromedp.EvalAwaitPromise)); err != nil {
		p.fatalf("the first cluster was never drawn (smrlabTest.ready): %v", err)
	}
}

// ---- Evaluation

// eval evaluates a JavaScript expression in the page and decodes its value;
// a promise is awaited.
func eval[T any](p *page, expr string) T {
	p.tb.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.fatalf("evaluating %s: %v", short(expr), err)
	}
	return v
}

func (p *page) exec(expr string) {
	p.tb.Helper()
	eval[chromedp.Void](p, expr)
}

// callResult is what the worker answers a call: {ok, value, error, panic}.
type callResult struct {
	OK    bool            `json:"ok"`
	Value json.RawMessage `json:"value"`
	Error string          `json:"error"`
	Panic bool            `json:"panic"`
}

// call makes a raw worker call through smrlabTest.call and fails the test
// unless it succeeded. The JavaScript arguments are written as JSON.
func (p *page) call(fn string, args ...any) callResult {
	p.tb.Helper()
	res := p.tryCall(fn, args...)
	if !res.OK {
		p.fatalf("call %s%v: %s", fn, args, res.Error)
	}
	return res
}

func (p *page) tryCall(fn string, args ...any) callResult {
	p.tb.Helper()
	js := []string{jsString(fn)}
	for _, a := range args {
		b, err := json.Marshal(a)
		if err != nil {
			p.fatalf("call %s: %v", fn, err)
		}
		js = append(js, string(b))
	}
	// A view is not returned (the page drew it already), nor are bytes
	// (callBytes returns them).
	return eval[callResult](p, `smrlabTest.call(`+strings.Join(js, ",")+`).then((r) => {
		const views = ['open', 'frame', 'view', 'step', 'act', 'goto', 'fork'];
		let v = views.includes(`+js[0]+`) || r.value instanceof Uint8Array ? null : r.value;
		if (v && typeof v === 'object' && 'view' in v) v = {...v, view: null};
		return {ok: r.ok, error: r.error || '', panic: !!r.panic, value: v ?? null};
	})`)
}

// callBytes makes a call that answers bytes (a Uint8Array) or a string, and
// returns them.
func (p *page) callBytes(fn string, args ...string) []byte {
	p.tb.Helper()
	js := []string{jsString(fn)}
	for _, a := range args {
		js = append(js, jsString(a))
	}
	b64 := eval[string](p, `smrlabTest.call(`+strings.Join(js, ",")+`).then((r) => {
		if (!r.ok) throw new Error(r.error);
		let v = r.value;
		if (typeof v === 'string') v = new TextEncoder().encode(v);
		let s = '';
		for (let i = 0; i < v.length; i += 0x8000) s += String.fromCharCode(...v.subarray(i, i + 0x8000));
		return btoa(s);
	})`)
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		p.fatalf("call %s: %v", fn, err)
	}
	return b
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// view returns the latest view model the page drew.
func (p *page) view() lab.View {
	p.tb.Helper()
	return eval[lab.View](p, `smrlabTest.view()`)
}

func (p *page) stateHash() string {
	p.tb.Helper()
	return eval[string](p, `smrlabTest.stateHash()`)
}

// idle waits until no worker call is in flight.
func (p *page) idle() {
	p.tb.Helper()
	p.exec(`smrlabTest.idle()`)
}

// pause stops the page's clock and waits for the frame in flight.
func (p *page) pause() {
	p.tb.Helper()
	p.exec(`smrlabTest.pause()`)
	p.idle()
}

// advance pauses the page and runs the session dt microseconds forward, in
// frames of at most two seconds, through the page's own call path (so every
// view is drawn).
func (p *page) advance(dt int64) lab.View {
	p.tb.Helper()
	p.pause()
	for dt > 0 {
		step := min(dt, 2_000_000)
		p.call("frame", step)
		dt -= step
	}
	return p.view()
}

// advanceTo runs the session to virtual time t (it must be ahead).
func (p *page) advanceTo(t int64) lab.View {
	p.tb.Helper()
	now := p.view().Now
	if t < now {
		p.fatalf("advanceTo(%d): the session is at %d already", t, now)
	}
	return p.advance(t - now)
}

// ---- DOM

// testID is the selector of a data-testid.
func testID(id string) chromedp.CSS { return chromedp.CSS(fmt.Sprintf(`[data-testid=%q]`, id)) }

// click clicks the element of a data-testid with the mouse (it must be
// visible), then waits for the worker calls it started.
func (p *page) click(id string) {
	p.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(testID(id))); err != nil {
		p.fatalf("clicking %s: %v", id, err)
	}
	p.idle()
}

// clickCSS clicks the first element a CSS selector matches (for the few
// controls without a data-testid, like the Export menu's summary).
func (p *page) clickCSS(sel string) {
	p.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		p.fatalf("clicking %s: %v", sel, err)
	}
	p.idle()
}

// text returns the textContent of a data-testid ("" when absent).
func (p *page) text(id string) string {
	p.tb.Helper()
	return eval[string](p, fmt.Sprintf(`(document.querySelector('[data-testid=%q]') || {}).textContent || ''`, id))
}

// attr returns an attribute of a data-testid's element.
func (p *page) attr(id, name string) string {
	p.tb.Helper()
	return eval[string](p, fmt.Sprintf(`(document.querySelector('[data-testid=%q]') || {getAttribute: () => ''}).getAttribute(%q) || ''`, id, name))
}

// visible reports whether a data-testid's element is shown.
func (p *page) visible(id string) bool {
	p.tb.Helper()
	return eval[bool](p, fmt.Sprintf(`(() => { const e = document.querySelector('[data-testid=%q]');
		return !!e && !e.hidden && !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length); })()`, id))
}

// typeAct types an action into the act box and submits it with Enter, as a
// user does, and returns the act-status text.
func (p *page) typeAct(text string) string {
	p.tb.Helper()
	p.exec(`(() => { const d = document.getElementById('command-panel'); if (d) d.open = true;
		const i = document.querySelector('[data-testid="act-input"]'); i.value = ''; i.focus(); })()`)
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.SendKeys(testID("act-input"), text+"\n")); err != nil {
		p.fatalf("typing %q into act-input: %v", text, err)
	}
	p.idle()
	p.waitFor("act-status shows the result of "+text, `document.querySelector('[data-testid="act-status"]').textContent !== ''`, 5*time.Second)
	return p.text("act-status")
}

// waitFor polls a JavaScript expression until it is truthy, and fails the
// test (with a screenshot) when it is not within timeout.
func (p *page) waitFor(what, expr string, timeout time.Duration) {
	p.tb.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`(async () => !!(`+expr+`))()`, chromedp.EvalAwaitPromise))
		cancel()
		if err == nil && string(v) == "true" {
			return
		}
		last = string(v)
		if err != nil {
			last = err.Error()
		}
		if time.Now().After(deadline) || p.ctx.Err() != nil {
			p.shot("timeout")
			p.fatalf("waited %v for %s (%s): last %s", timeout, what, short(expr), last)
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// shot saves a PNG of the viewport into the test's artifact folder.
func (p *page) shot(name string) {
	p.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.tb.Errorf("screenshot %s: %v", name, err)
		return
	}
	p.shots++
	path := filepath.Join(p.art, fmt.Sprintf("%02d-%s.png", p.shots, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.tb.Errorf("screenshot %s: %v", name, err)
		return
	}
	p.tb.Logf("screenshot: %s", path)
}

// fatalf saves a screenshot of the failure and stops the test.
func (p *page) fatalf(format string, args ...any) {
	p.tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if p.ctx.Err() == nil && !strings.Contains(msg, "screenshot") {
		ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
		if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
			path := filepath.Join(p.art, "failure.png")
			if os.WriteFile(path, png, 0o644) == nil {
				p.tb.Logf("screenshot of the failure: %s", path)
			}
		}
		cancel()
	}
	if errors.Is(p.ctx.Err(), context.DeadlineExceeded) {
		msg += fmt.Sprintf(" (the test's browser timeout of %v ran out)", browserTimeout)
	}
	p.tb.Fatal(msg)
}

// noBanner fails the test if the error banner shows.
func (p *page) noBanner() {
	p.tb.Helper()
	if p.visible("error-banner") {
		p.tb.Errorf("the error banner shows: %q", strings.TrimSpace(p.text("error-banner")))
	}
}

// server returns a server of a view by id.
func server(v lab.View, id uint32) lab.ServerView {
	for _, s := range v.Servers {
		if s.ID == id {
			return s
		}
	}
	return lab.ServerView{}
}

// leaderOf returns the live leader of the highest term in a view, or 0.
func leaderOf(v lab.View) uint32 {
	var best lab.ServerView
	for _, s := range v.Servers {
		if s.Up && s.Role == "leader" && (best.ID == 0 || s.Term > best.Term) {
			best = s
		}
	}
	return best.ID
}

// newTab opens another tab in the same browser, with its own console watch.
func (p *page) newTab(opts ...chromedp.ContextOption) *page {
	p.tb.Helper()
	q := &page{tb: p.tb, base: p.base, art: p.art, shots: 50}
	ctx, cancel := chromedp.NewContext(p.ctx, append(opts, chromedp.WithListener(q.onEvent))...)
	q.ctx = ctx
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		p.fatalf("opening a tab: %v", err)
	}
	q.close = func() {
		cancel()
		q.checkConsole()
	}
	p.tb.Cleanup(q.closeOnce)
	return q
}

// closeOnce closes a tab that newTab opened (and checks its console) once.
func (p *page) closeOnce() {
	if p.close != nil {
		p.close()
		p.close = nil
	}
}

// ---- Files

// allowDownloads saves the browser's downloads into a folder of the test,
// under the names the page gives them, and returns the folder.
func (p *page) allowDownloads() string {
	p.tb.Helper()
	dir := p.tb.TempDir()
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		p.fatalf("allowing downloads: %v", err)
	}
	return dir
}

// download runs click (which makes the page download a file) and returns
// the path and the bytes of the one new file in dir.
func (p *page) download(dir string, click func()) (string, []byte) {
	p.tb.Helper()
	before := map[string]bool{}
	if ents, err := os.ReadDir(dir); err == nil {
		for _, e := range ents {
			before[e.Name()] = true
		}
	}
	click()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ents, _ := os.ReadDir(dir)
		var fresh []string
		partial := false
		for _, e := range ents {
			if before[e.Name()] {
				continue
			}
			if strings.HasSuffix(e.Name(), ".crdownload") {
				partial = true
				continue
			}
			fresh = append(fresh, e.Name())
		}
		if len(fresh) == 1 && !partial {
			path := filepath.Join(dir, fresh[0])
			b, err := os.ReadFile(path)
			if err == nil && len(b) > 0 {
				return path, b
			}
		}
		if len(fresh) > 1 {
			p.fatalf("one click downloaded %d files: %v", len(fresh), fresh)
		}
		if time.Now().After(deadline) {
			p.fatalf("no download finished in %s within 15s", dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// importFile hands a file to the page's import box, as a user choosing it.
func (p *page) importFile(path string) {
	p.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(testID("import-file"), []string{path})); err != nil {
		p.fatalf("choosing %s in import-file: %v", path, err)
	}
	name := filepath.Base(path)
	p.waitFor("file-status reports on "+name, fmt.Sprintf(`(() => { const t = document.querySelector('[data-testid="file-status"]').textContent;
		return t.includes(%s) && !t.startsWith('Reading'); })()`, jsString(name)), 20*time.Second)
	p.idle()
}

// scrubTo drags the timeline to virtual time t as the page sees it: a
// pointer down, input events, a change and a pointer up on the range input.
func (p *page) scrubTo(t int64) {
	p.tb.Helper()
	p.exec(fmt.Sprintf(`(() => { const s = document.querySelector('[data-testid="scrubber"]');
		s.dispatchEvent(new PointerEvent('pointerdown', {bubbles: true}));
		s.value = String(%d);
		s.dispatchEvent(new Event('input', {bubbles: true}));
		s.dispatchEvent(new Event('change', {bubbles: true}));
		s.dispatchEvent(new PointerEvent('pointerup', {bubbles: true}));
		return s.value; })()`, t))
	p.idle()
}
