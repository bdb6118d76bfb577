package main

// End-to-end tests of the browser lab (DESIGN.md, "Test layers", 5): the app
// built as `make web` builds it, served by this package's handler, driven in
// a headless Chromium through its data-testid hooks and window.smrlabTest
// (see the comment at the top of web/static/app.js). Each test starts its own
// browser, fails on any console error it did not provoke on purpose, and
// saves a screenshot of every step into its artifact folder (kept with
// `go test -artifacts`).

import (
	"bytes"
	"compress/flate"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"smrlab/core/lab"
	"smrlab/core/sharelink"
)

const (
	ms     = int64(1000)
	second = 1000 * ms
)

// The page loads without console errors and draws the default cluster of
// five servers, with its two spare machines apart from the ring.
func TestBrowserLoadsAndDrawsTheCluster(t *testing.T) {
	p := newPage(t)
	p.open("")
	p.shot("loaded")

	if at := eval[float64](p, `smrlabTest.firstDrawAt`); at <= 0 {
		t.Errorf("smrlabTest.firstDrawAt = %v after ready, want the time of the first draw", at)
	}
	v := p.view()
	if len(v.Servers) != 7 {
		t.Fatalf("the view has %d machines, want the default cluster's 5 servers and 2 spares", len(v.Servers))
	}
	for i, s := range v.Servers {
		want := "voter"
		if i >= 5 {
			want = "spare"
		}
		if s.ID != uint32(i+1) || s.Member != want {
			t.Errorf("machine %d is S%d, a %q; want S%d, a %s", i, s.ID, s.Member, i+1, want)
		}
	}
	p.waitFor("the loading note hides", `document.querySelector('[data-testid="loading"]').hidden`, 5*time.Second)
	p.waitFor("seven server chips, two of them spares", `document.querySelectorAll('[data-testid^="select-S"]').length === 7 &&
		document.querySelectorAll('[data-testid^="select-S"][data-member="spare"]').length === 2`, 5*time.Second)
	p.waitFor("the cluster's label counts five voters and two spares",
		`/^The cluster: 5 voters and 2 spare machines at /.test(document.querySelector('[data-testid="cluster"]').getAttribute('aria-label'))`, 5*time.Second)

	// The ring is really drawn: each server's centre is on the canvas, and
	// the canvas holds many coloured pixels. The spares are off the ring.
	for id := 1; id <= 7; id++ {
		xy := eval[map[string]any](p, fmt.Sprintf(`smrlabTest.serverXY(%d)`, id))
		if r, _ := xy["r"].(float64); r <= 0 || xy["spare"] != (id > 5) {
			t.Errorf("serverXY(%d) = %v, want a drawn circle (spare: %v)", id, xy, id > 5)
		}
	}
	inked := eval[float64](p, `(() => { const c = document.querySelector('[data-testid="cluster"]');
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n / (c.width * c.height); })()`)
	if inked < 0.01 {
		t.Errorf("only %.4f of the cluster canvas is drawn on", inked)
	}

	// The catalogue and the bug toggles load beside the first view.
	p.waitFor("the scenario picker lists figure8-bug.scn",
		`!!document.querySelector('[data-testid="scenario-picker"] option[value="figure8-bug.scn"]')`, 5*time.Second)
	p.waitFor("the bug toggles load", `!!document.querySelector('[data-testid="bug-commit-previous-term"]')`, 5*time.Second)
	p.noBanner()
	p.shot("catalogue-loaded")
}

// A leader appears within a couple of seconds of virtual time, with the
// clock driven by the page's own Play button.
func TestBrowserElectsALeader(t *testing.T) {
	p := newPage(t)
	p.open("")
	p.click("pause")
	if eval[bool](p, `smrlabTest.playing()`) {
		t.Fatal("still playing after a click on pause")
	}
	if got := eval[float64](p, `smrlabTest.setSpeed(5)`); got != 5 {
		t.Fatalf("setSpeed(5) chose %v×", got)
	}
	// The leader's time is read at real time: a frame the loaded machine
	// delays by 0.4 s would jump 2 s of virtual time at 5×, so 1×.
	if got := eval[float64](p, `smrlabTest.setSpeed(1)`); got != 1 {
		t.Fatalf("setSpeed(1) chose %v×", got)
	}
	p.click("play")
	if p.attr("play", "aria-pressed") != "true" || !eval[bool](p, `smrlabTest.playing()`) {
		t.Fatal("a click on play does not play")
	}
	// Read the time of the first view with a leader, from the page itself.
	p.exec(`window.__leaderAt = -1; (function watch() {
		const v = smrlabTest.view();
		if (v && smrlabTest.leader()) { window.__leaderAt = v.now; window.__leaderId = smrlabTest.leader(); return; }
		requestAnimationFrame(watch); })()`)
	p.waitFor("a leader", `window.__leaderAt >= 0`, 20*time.Second)
	at := eval[int64](p, `window.__leaderAt`)
	id := eval[uint32](p, `window.__leaderId`)
	p.shot("leader")
	if at > 2*second {
		t.Errorf("the first leader showed at %.3f s of virtual time, want within 2 s", float64(at)/1e6)
	}
	t.Logf("S%d led at %.3f s of virtual time", id, float64(at)/1e6)
	p.waitFor("the chip and the status name the leader", fmt.Sprintf(
		`document.querySelector('[data-testid="select-S%d"]').dataset.role === 'leader' &&
		 document.querySelector('[data-testid="leader-line"]').textContent.includes('Leader S%d')`, id, id), 5*time.Second)
	// Time keeps running while playing.
	before := p.view().Now
	p.waitFor("time runs on", fmt.Sprintf(`smrlabTest.view().now > %d`, before+100*ms), 10*time.Second)
	p.noBanner()
}

// Crashing the leader from the quick-fault bar elects another leader, and
// the crashed server shows as crashed.
func TestBrowserCrashLeaderElectsAnother(t *testing.T) {
	p := newPage(t)
	p.openPaused("")
	v := p.advanceTo(1 * second)
	old := leaderOf(v)
	if old == 0 {
		t.Fatalf("no leader after %.3f s", float64(v.Now)/1e6)
	}
	p.shot("before-crash")
	p.click("crash-leader")
	if st := p.text("action-status"); !strings.Contains(st, fmt.Sprintf("crash S%d", old)) {
		t.Errorf("action-status %q does not confirm the crash of S%d", st, old)
	}
	v = p.view()
	if s := server(v, old); s.Up || s.Role != "crashed" {
		t.Fatalf("after the crash S%d has up=%v role=%q, want crashed", old, s.Up, s.Role)
	}
	p.waitFor("the crashed server's chip", fmt.Sprintf(`document.querySelector('[data-testid="select-S%d"]').dataset.role === 'crashed'`, old), 5*time.Second)
	p.shot("crashed")

	// Play at 5× until another leader is elected.
	p.exec(`smrlabTest.setSpeed(5); smrlabTest.play()`)
	p.waitFor("a new leader", fmt.Sprintf(`smrlabTest.leader() !== 0 && smrlabTest.leader() !== %d`, old), 20*time.Second)
	p.pause()
	v = p.view()
	nl := leaderOf(v)
	if nl == 0 || nl == old {
		t.Fatalf("leader S%d after the crash of S%d", nl, old)
	}
	if s := server(v, old); s.Up || s.Role != "crashed" {
		t.Errorf("S%d came back by itself: up=%v role=%q", old, s.Up, s.Role)
	}
	if server(v, nl).Term <= server(v, old).Term {
		t.Errorf("the new leader S%d has term %d, not above the old leader's %d", nl, server(v, nl).Term, server(v, old).Term)
	}
	t.Logf("S%d crashed; S%d leads at %.3f s", old, nl, float64(v.Now)/1e6)
	p.shot("new-leader")
	p.noBanner()
}

// A minority partition that holds the old leader commits nothing while the
// majority goes on; after the heal the minority catches up.
func TestBrowserMinorityPartitionHeals(t *testing.T) {
	p := newPage(t)
	p.openPaused("?seed=3")
	v := p.advanceTo(1500 * ms)
	old := leaderOf(v)
	if old == 0 {
		t.Fatal("no leader")
	}

	// The partition dialog proposes the leader's minority by default.
	p.click("partition")
	p.waitFor("the partition dialog", `document.querySelector('[data-testid="partition-dialog"]').open`, 5*time.Second)
	p.click("preset-leader-minority")
	p.shot("partition-dialog")
	p.click("partition-apply")
	p.waitFor("the dialog closes", `!document.querySelector('[data-testid="partition-dialog"]').open`, 5*time.Second)
	v = p.view()
	if len(v.Cuts) == 0 {
		t.Fatalf("no link is cut after applying the partition")
	}
	cutFrom := map[uint32]bool{} // the servers the old leader no longer reaches
	for _, c := range v.Cuts {
		if c[0] == old {
			cutFrom[c[1]] = true
		}
	}
	// Majorities are of the voters: the spare machines do not count.
	var minority, majority []uint32
	for _, s := range v.Servers {
		if s.Member != "voter" {
			continue
		}
		if cutFrom[s.ID] {
			majority = append(majority, s.ID)
		} else {
			minority = append(minority, s.ID)
		}
	}
	if len(minority) != 2 || len(majority) != 3 || !slices.Contains(minority, old) {
		t.Fatalf("partition %v | %v, want the leader S%d with one other against three", minority, majority, old)
	}
	t.Logf("partition at %.3f s: minority %v (old leader S%d), majority %v", float64(v.Now)/1e6, minority, old, majority)
	p.waitFor("the status names the partition", `document.querySelector('[data-testid="partition-info"]').textContent.startsWith('Partitioned')`, 5*time.Second)

	// Let the messages sent before the cut land, then watch.
	v = p.advance(300 * ms)
	frozen := map[uint32]uint64{}
	for _, id := range minority {
		frozen[id] = server(v, id).Commit
	}
	majorityStart := maxCommit(v, majority)
	for range 8 {
		v = p.advance(500 * ms)
		for _, id := range minority {
			if c := server(v, id).Commit; c != frozen[id] {
				t.Fatalf("at %.3f s the cut-off S%d commits %d (was %d): a minority must not commit", float64(v.Now)/1e6, id, c, frozen[id])
			}
		}
	}
	p.shot("partitioned")
	majorityEnd := maxCommit(v, majority)
	if majorityEnd <= majorityStart {
		t.Fatalf("the majority's commit index stayed at %d for 4 s of partition", majorityStart)
	}
	nl := leaderOf(v)
	if !slices.Contains(majority, nl) {
		t.Errorf("the leader of the highest term is S%d, not on the majority side %v", nl, majority)
	}

	p.click("heal")
	v = p.view()
	if len(v.Cuts) != 0 {
		t.Fatalf("%d links still cut after heal", len(v.Cuts))
	}
	caughtUp := func(v lab.View) bool {
		for _, id := range minority {
			if server(v, id).Commit < majorityEnd {
				return false
			}
		}
		return true
	}
	for i := 0; !caughtUp(v); i++ {
		if i == 12 {
			t.Fatalf("3 s after the heal the minority %v has commits %d, %d; the majority had reached %d",
				minority, server(v, minority[0]).Commit, server(v, minority[1]).Commit, majorityEnd)
		}
		v = p.advance(250 * ms)
	}
	t.Logf("minority caught up to commit %d at %.3f s (majority was at %d when healed)",
		min(server(v, minority[0]).Commit, server(v, minority[1]).Commit), float64(v.Now)/1e6, majorityEnd)
	p.waitFor("the partition note goes", `document.querySelector('[data-testid="partition-info"]').hidden`, 5*time.Second)
	p.shot("healed")
	p.noBanner()
}

func maxCommit(v lab.View, ids []uint32) uint64 {
	var c uint64
	for _, id := range ids {
		c = max(c, server(v, id).Commit)
	}
	return c
}

// Dragging the timeline back shows the earlier state exactly; acting there
// forks a new future that differs from the recorded one.
func TestBrowserScrubBackAndFork(t *testing.T) {
	p := newPage(t)
	p.openPaused("?seed=5")
	const t1, t2 = 2500 * ms, 5 * second
	p.advanceTo(t1)
	h1 := p.stateHash()
	p.shot("t1")
	v := p.advanceTo(t2)
	h2 := p.stateHash()
	if h1 == h2 {
		t.Fatalf("the same state hash %s at %v and %v", h1, t1, t2)
	}
	p.shot("t2")

	p.scrubTo(t1)
	v = p.view()
	if v.Now != t1 || v.Reached != t2 {
		t.Fatalf("after scrubbing to %d: now %d, reached %d (want the recorded future kept up to %d)", t1, v.Now, v.Reached, t2)
	}
	if h := p.stateHash(); h != h1 {
		t.Fatalf("back at %.3f s the state hash is %s, it was %s", float64(t1)/1e6, h, h1)
	}
	p.waitFor("the clock shows 2.500 s", `document.querySelector('[data-testid="time"]').dataset.t === '2.500000'`, 5*time.Second)
	p.waitFor("fork is offered", `!document.querySelector('[data-testid="fork"]').disabled`, 5*time.Second)
	p.shot("scrubbed-back")

	// Forward again on the same branch: the same future.
	p.scrubTo(t2)
	if h := p.stateHash(); h != h2 {
		t.Fatalf("scrubbed forward to %.3f s: state hash %s, it was %s", float64(t2)/1e6, h, h2)
	}
	p.scrubTo(t1)

	// Act at t1: crash a follower. That forks.
	v = p.view()
	var follower uint32
	for _, s := range v.Servers {
		if s.Up && s.Role == "follower" {
			follower = s.ID
			break
		}
	}
	if follower == 0 {
		t.Fatal("no follower to crash")
	}
	st := p.typeAct(fmt.Sprintf("crash S%d", follower))
	if !strings.HasPrefix(st, "✓") || !strings.Contains(st, "forked") {
		t.Errorf("act-status %q, want a success that says the run forked", st)
	}
	v = p.view()
	if v.Now != t1 || v.Reached != t1 {
		t.Errorf("after acting at %d: now %d, reached %d (the old future must be gone)", t1, v.Now, v.Reached)
	}
	if n := len(v.Actions); n == 0 || !strings.HasSuffix(v.Actions[n-1].Text, fmt.Sprintf("crash S%d", follower)) || v.Actions[n-1].At != t1 {
		t.Errorf("the recorded actions %v do not end with the crash at %d", v.Actions, t1)
	}
	p.shot("forked")
	v = p.advanceTo(t2)
	if s := server(v, follower); s.Up {
		t.Errorf("S%d is up at %.3f s on the forked branch", follower, float64(v.Now)/1e6)
	}
	if h := p.stateHash(); h == h2 {
		t.Fatalf("the forked branch ends in the same state %s as the original at %.3f s", h, float64(t2)/1e6)
	}
	p.shot("forked-t2")
	p.noBanner()
}

// Each export (a recording, a msgpack trace, a JSON Lines trace), imported
// again, reproduces the exported state.
func TestBrowserExportImportReproduces(t *testing.T) {
	p := newPage(t)
	p.openPaused("?seed=11")
	dl := p.allowDownloads()
	p.advanceTo(1 * second)
	if st := p.typeAct("crash S2"); !strings.HasPrefix(st, "✓") {
		t.Fatalf("act-status %q", st)
	}
	p.advanceTo(2 * second)
	if st := p.typeAct("restart S2"); !strings.HasPrefix(st, "✓") {
		t.Fatalf("act-status %q", st)
	}
	v := p.advanceTo(3*second + 123*ms)
	want := p.stateHash()
	p.shot("exported-state")

	exportVia := func(id string) (string, []byte) {
		return p.download(dl, func() {
			p.clickCSS("#export-menu > summary")
			p.click(id)
		})
	}
	recPath, rec := exportVia("export-recording")
	tracePath, trace := exportVia("export-trace")
	jsonlPath, jsonl := exportVia("export-jsonl")
	t.Logf("downloaded %s (%d B), %s (%d B), %s (%d B)", filepath.Base(recPath), len(rec),
		filepath.Base(tracePath), len(trace), filepath.Base(jsonlPath), len(jsonl))
	if !strings.HasSuffix(recPath, ".json") || !strings.HasSuffix(tracePath, ".trace") || !strings.HasSuffix(jsonlPath, ".jsonl") {
		t.Errorf("download names %s, %s, %s", recPath, tracePath, jsonlPath)
	}
	var hdr struct {
		Seed    uint64   `json:"seed,string"`
		Actions []string `json:"actions"`
		Until   int64    `json:"until"`
	}
	if err := json.Unmarshal(rec, &hdr); err != nil {
		t.Fatalf("the recording is not JSON: %v", err)
	}
	if hdr.Seed != 11 || len(hdr.Actions) != 2 || hdr.Until != v.Now {
		t.Errorf("the recording has seed %d, actions %q, until %d; want 11, two actions, %d", hdr.Seed, hdr.Actions, hdr.Until, v.Now)
	}
	if !strings.HasPrefix(string(jsonl), `{"type":"header"`) {
		t.Errorf("the .jsonl starts %.40q", jsonl)
	}

	for _, f := range []struct {
		path string
		same bool // the file holds a final state hash to compare
	}{{tracePath, true}, {jsonlPath, true}, {recPath, false}} {
		name := filepath.Base(f.path)
		// Move elsewhere first so that the page starts from another state.
		p.open("?seed=99")
		p.pause()
		p.importFile(f.path)
		st := p.text("file-status")
		if f.same {
			if !strings.Contains(st, "reproduced: same state hash "+want) {
				t.Errorf("importing %s: file-status %q, want \"reproduced: same state hash %s\"", name, st, want)
			}
		} else if !strings.Contains(st, "recording opened") || !strings.Contains(st, want) {
			t.Errorf("importing %s: file-status %q, want the recording opened with state hash %s", name, st, want)
		}
		if h := p.stateHash(); h != want {
			t.Errorf("importing %s: state hash %s, exported %s", name, h, want)
		}
		got := p.view()
		if got.Now != v.Now || got.Seed != "11" {
			t.Errorf("importing %s: at %d with seed %s, want %d and 11", name, got.Now, got.Seed, v.Now)
		}
		p.noBanner()
		p.shot("imported-" + strings.TrimPrefix(filepath.Ext(name), "."))
	}

	// The session rebuilt from the file exports the very same trace.
	if again := p.callBytes("exportTrace", "msgpack"); string(again) != string(trace) {
		t.Errorf("the imported run exports a different .trace (%d B, the original %d B)", len(again), len(trace))
	}
}

// A shared link reproduces the run in another tab.
func TestBrowserShareLinkReproduces(t *testing.T) {
	p := newPage(t)
	p.openPaused("?seed=21")
	p.advanceTo(1200 * ms)
	if st := p.typeAct("isolate S3"); !strings.HasPrefix(st, "✓") {
		t.Fatalf("act-status %q", st)
	}
	v := p.advanceTo(2*second + 500*ms)
	want := p.stateHash()
	p.click("share")
	p.waitFor("the share confirmation", `document.querySelector('[data-testid="file-status"]').textContent.startsWith('✓')`, 5*time.Second)
	url := eval[string](p, `location.href`)
	if !strings.Contains(url, "#r=") {
		t.Fatalf("after share the address is %s, want a #r= link", url)
	}
	p.shot("shared")
	t.Logf("link of %d characters", len(url))
	// The worker deflates links with the browser's CompressionStream; the
	// command line (lab.DecodeShare, compress/flate) reads them too.
	h, err := sharelink.Decode(url[strings.Index(url, "#"):])
	if err != nil {
		t.Fatalf("lab.DecodeShare of the page's link: %v", err)
	}
	if h.Seed != 21 || len(h.Actions) != 1 || !strings.HasSuffix(h.Actions[0], "isolate S3") {
		t.Errorf("the page's link decodes to seed %d, actions %q", h.Seed, h.Actions)
	}

	q := p.newTab()
	q.navigateURL(url)
	q.waitReady()
	q.waitFor("the shared run opens", fmt.Sprintf(`smrlabTest.view().now === %d`, v.Now), 10*time.Second)
	q.idle()
	if h := q.stateHash(); h != want {
		t.Fatalf("the shared link opens in state %s, the run was in %s", h, want)
	}
	w := q.view()
	if eval[bool](q, `smrlabTest.playing()`) {
		t.Error("a shared run opens playing, want paused at the shared moment")
	}
	if len(w.Actions) != 1 || !strings.HasSuffix(w.Actions[0].Text, "isolate S3") {
		t.Errorf("the shared run's actions are %v", w.Actions)
	}
	q.shot("opened-link")
	q.noBanner()
}

// Bad input shows a clear error and leaves the page working.
func TestBrowserBadInputKeepsThePageAlive(t *testing.T) {
	p := newPage(t)
	dl := p.allowDownloads()

	stillRuns := func(step string) {
		t.Helper()
		p.pause()
		before := p.view().Now
		v := p.advance(1 * second)
		if v.Now < before+second {
			t.Fatalf("%s: the session does not advance (%d → %d)", step, before, v.Now)
		}
		if leaderOf(v) == 0 && len(v.Servers) == 7 {
			v = p.advance(1 * second)
		}
		if leaderOf(v) == 0 {
			t.Errorf("%s: no leader after running on", step)
		}
	}
	bannerSays := func(step string, words ...string) {
		t.Helper()
		p.waitFor(step+": the error banner", `!document.querySelector('[data-testid="error-banner"]').hidden`, 10*time.Second)
		text := p.text("error-banner")
		for _, w := range words {
			if !strings.Contains(text, w) {
				t.Errorf("%s: the banner says %q, want it to mention %q", step, strings.TrimSpace(text), w)
			}
		}
		p.shot(step)
		p.click("banner-close")
		if p.visible("error-banner") {
			t.Errorf("%s: the banner stays after Dismiss", step)
		}
	}

	// A damaged shared link: the default cluster opens instead.
	p.open("#r=not-a-recording!")
	bannerSays("garbage-link", "shared link could not be opened", "base64")
	stillRuns("garbage-link")
	// A link that inflates past sharelink.JSONMax is refused while inflating.
	p.open("?link=bomb#" + deflatedFragment(t, strings.Repeat(" ", sharelink.JSONMax+1)))
	bannerSays("bomb-link", "shared link could not be opened", "inflates past the limit")
	stillRuns("bomb-link")

	// A garbage file and a JSON file that is no recording.
	garbage := filepath.Join(t.TempDir(), "garbage.trace")
	noise := make([]byte, 4096)
	rand.Read(noise)
	if err := os.WriteFile(garbage, noise, 0o644); err != nil {
		t.Fatal(err)
	}
	hash := p.stateHash()
	p.importFile(garbage)
	if st := p.text("file-status"); !strings.HasPrefix(st, "✖ garbage.trace") {
		t.Errorf("file-status %q after a garbage import", st)
	}
	bannerSays("garbage-file", "Could not import garbage.trace")
	if h := p.stateHash(); h != hash {
		t.Errorf("a refused import changed the session: %s → %s", hash, h)
	}
	stillRuns("garbage-file")
	notRec := filepath.Join(t.TempDir(), "other.json")
	if err := os.WriteFile(notRec, []byte(`{"format":"something-else","major":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	p.importFile(notRec)
	if st := p.text("file-status"); !strings.HasPrefix(st, "✖ other.json") || !strings.Contains(st, "something-else") {
		t.Errorf("file-status %q after importing a JSON file that is no recording", st)
	}
	bannerSays("not-a-recording", "Could not import other.json")
	stillRuns("not-a-recording")

	// Invalid actions, then a valid one.
	for _, bad := range []string{"explode S1", "crash S9", "partition S1 S2", "net loss=200%"} {
		st := p.typeAct(bad)
		if !strings.HasPrefix(st, "✖") {
			t.Errorf("act %q: act-status %q, want an error", bad, st)
		}
		if strings.Contains(st, "action:1:") {
			t.Errorf("act %q: the error %q points into the page's own text", bad, st)
		}
	}
	p.shot("invalid-act")
	if st := p.typeAct("crash S1"); !strings.HasPrefix(st, "✓") {
		t.Errorf("a valid act after invalid ones: %q", st)
	}
	stillRuns("invalid-act")

	// A scenario that does not exist: the server answers 404.
	p.allow(`status of 404 .*scenarios/nope\.scn`)
	p.open("?scenario=nope.scn")
	bannerSays("missing-scenario", "could not be loaded", "nope.scn", "404")
	if s := p.view().Scenario; s != "lab" {
		t.Errorf("after a missing scenario the page runs %q, want the default cluster", s)
	}
	stillRuns("missing-scenario")

	// A seed that is not a number.
	p.open("?seed=abc")
	bannerSays("bad-seed", "could not be opened", `"abc"`)
	stillRuns("bad-seed")

	// A panic: the banner names the seed and offers the recording.
	p.open("?seed=42")
	p.advance(500 * ms)
	p.exec(`smrlabTest.simulatePanic()`)
	p.waitFor("the panic banner", `!document.querySelector('[data-testid="error-banner"]').hidden`, 5*time.Second)
	if text := p.text("error-banner"); !strings.Contains(text, "seed 42") || !strings.Contains(text, "internal error") {
		t.Errorf("the panic banner says %q, want the internal error and seed 42", strings.TrimSpace(text))
	}
	if !p.visible("banner-download") {
		t.Fatal("the panic banner offers no download")
	}
	p.shot("panic")
	path, rec := p.download(dl, func() { p.click("banner-download") })
	if !strings.HasSuffix(path, "-crash.json") || !json.Valid(rec) || !strings.Contains(string(rec), `"seed": "42"`) {
		t.Errorf("the panic download %s is not the run's recording: %.80q", filepath.Base(path), rec)
	}
	p.click("banner-close")
	p.importFile(path)
	if st := p.text("file-status"); !strings.Contains(st, "recording opened") {
		t.Errorf("the panic's recording does not import: %q", st)
	}
	stillRuns("after-panic")
	p.noBanner()
}

// The Figure 8 bug scenario breaks Leader Completeness; the page shows the
// violation and jumps to it.
func TestBrowserViolationAndJump(t *testing.T) {
	p := newPage(t)
	p.open("")
	p.waitFor("the catalogue", `!!document.querySelector('[data-testid="scenario-picker"] option[value="figure8-bug.scn"]')`, 10*time.Second)
	p.exec(`(() => { const s = document.querySelector('[data-testid="scenario-picker"]');
		s.value = 'figure8-bug.scn'; s.dispatchEvent(new Event('change', {bubbles: true})); })()`)
	p.waitFor("figure8-bug opens", `smrlabTest.view().scenario === 'figure8-bug'`, 10*time.Second)
	if u := eval[string](p, `location.search`); u != "?scenario=figure8-bug.scn" {
		t.Errorf("the address says %q, want ?scenario=figure8-bug.scn", u)
	}
	p.shot("opened")
	p.exec(`smrlabTest.setSpeed(1); smrlabTest.play()`)
	p.waitFor("the red light", `document.querySelector('[data-testid="invariants-light"]').dataset.state === 'violation'`, 30*time.Second)
	p.idle()
	v := p.view()
	if v.Violation == nil || v.Violation.Invariant != "LeaderCompleteness" {
		t.Fatalf("violation %+v, want LeaderCompleteness", v.Violation)
	}
	if text := p.text("invariants-light"); !strings.Contains(text, "LeaderCompleteness") {
		t.Errorf("the light says %q", text)
	}
	if eval[bool](p, `smrlabTest.playing()`) {
		t.Error("still playing after the violation stopped the run")
	}
	vt := v.Violation.Time
	t.Logf("stopped at now=%d reached=%d stopped=%v", v.Now, v.Reached, v.Stopped)
	t.Logf("LeaderCompleteness broken at %.6f s (event %d, servers %v)", float64(vt)/1e6, v.Violation.Event, v.Violation.Nodes)
	p.shot("violation")

	// At the violation, the jump lands on it (and selects a server involved).
	p.click("jump-violation")
	checkJumped := func(step string) {
		t.Helper()
		v := p.view()
		if v.Now != vt {
			t.Fatalf("%s: after jump-violation the time is %d, the violation's %d", step, v.Now, vt)
		}
		wantT := fmt.Sprintf("%.6f", float64(vt)/1e6)
		p.waitFor(step+": the clock shows the violation's time", fmt.Sprintf(`document.querySelector('[data-testid="time"]').dataset.t === %q`, wantT), 5*time.Second)
		p.waitFor(step+": the red light", `document.querySelector('[data-testid="invariants-light"]').dataset.state === 'violation'`, 5*time.Second)
		if len(v.Violation.Nodes) > 0 {
			p.waitFor(step+": the first server involved is selected", fmt.Sprintf(
				`document.querySelector('[data-testid="select-S%d"]').getAttribute('aria-pressed') === 'true'`, v.Violation.Nodes[0]), 5*time.Second)
		}
		p.shot(step)
	}
	checkJumped("jumped-at-violation")

	// Back before the violation, as the page suggests ("drag the timeline
	// back to replay it"): the jump must still be offered, and land there.
	p.scrubTo(200 * ms)
	if v := p.view(); v.Now != 200*ms || v.Violation != nil {
		t.Fatalf("scrubbed to 0.2 s: now %d, violation %+v", v.Now, v.Violation)
	}
	p.waitFor("the light turns back", `document.querySelector('[data-testid="invariants-light"]').dataset.state === 'ok'`, 5*time.Second)
	p.shot("before-violation")
	if !p.visible("jump-violation") {
		t.Fatalf("APP BUG: scrubbed back to 0.2 s, the page no longer offers jump-violation (nor marks the violation "+
			"on the timeline), though this branch breaks LeaderCompleteness at %.6f s: panels.js renderStatus hides "+
			"#violation and app.js's jump handler reads app.view.violation, both of the current moment only", float64(vt)/1e6)
	}
	p.click("jump-violation")
	checkJumped("jumped-from-before")
	p.noBanner()
}

// deflatedFragment is a shared link's fragment (without the #) that carries
// text, deflated as sharelink.Encode deflates a recording.
func deflatedFragment(t *testing.T, text string) string {
	t.Helper()
	var buf bytes.Buffer
	zw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err == nil {
		_, err = zw.Write([]byte(text))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return sharelink.Key + base64.RawURLEncoding.EncodeToString(buf.Bytes())
}
