package main

// Browser tests of snapshots and membership changes: a lagging follower
// receives the leader's snapshot in chunks (paper §7), a spare machine joins
// through a learner and a joint configuration (§6), and servers are removed
// and replaced through the page's own controls. Like the other browser
// tests, each fails on any console error and saves a screenshot per step.

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"smrlab/core/lab"
)

// A follower that was down while the leader compacted its log cannot get
// the entries it misses: the leader sends its snapshot instead, in 64-byte
// chunks. The page draws the chunks in flight, the transfer's progress at
// both ends, the "install" event, and the snapshot block that now starts the
// follower's log.
func TestBrowserLaggingFollowerGetsASnapshot(t *testing.T) {
	p := newPage(t)
	p.openPaused("?seed=7")
	v := p.advanceTo(1500 * ms)
	lead := leaderOf(v)
	if lead == 0 {
		t.Fatal("no leader at 1.5 s")
	}
	follower := votersBut(v, lead)[0]

	// A low snapshot threshold, set in the configuration panel.
	p.setInput("snapshot-every", "10")
	p.click("snapshot-every-set")
	if st := p.text("config-status"); !strings.HasPrefix(st, "✓ snapshot every 10 all") {
		t.Fatalf("config-status %q after setting the threshold", st)
	}
	p.waitFor("the logs panel shows the threshold", `smrlabTest.view().servers.every((s) => s.snapshotEvery === 10)`, 5*time.Second)
	// One large value makes the snapshot span several chunks; more writes
	// then fill the log faster.
	p.setInput("write-value", strings.Repeat("v", 300))
	p.click("write")
	if st := p.text("client-status"); !strings.HasPrefix(st, "✓ propose") {
		t.Fatalf("client-status %q after the write", st)
	}
	p.setInput("workload-rate", "40")
	p.click("workload-rate-set")

	p.clickServer(follower)
	p.click("menu-crash")
	v = p.advance(1 * second)
	snap := server(v, lead).SnapIndex
	if f := server(v, follower); snap <= f.Last {
		t.Fatalf("after 1 s the leader S%d's snapshot ends at %d, not past the crashed S%d's log (last %d)", lead, snap, follower, f.Last)
	}
	t.Logf("S%d compacted its log up to %d; S%d's log ends at %d", lead, snap, follower, server(v, follower).Last)
	p.shot("compacted")

	p.clickServer(follower)
	p.click("menu-restart")
	v = p.stepUntil("the snapshot half sent", 10*ms, func(v lab.View) bool {
		rc := server(v, follower).Receiving
		return rc != nil && rc.Got > 0 && rc.Got < rc.Size
	})
	rc := server(v, follower).Receiving
	t.Logf("S%d has %d of %d bytes of the snapshot at %d", follower, rc.Got, rc.Size, rc.Index)
	// The selected follower's panel shows its progress, the leader's table
	// the same transfer from the other end.
	p.waitFor("the receiver's progress bar", `!!document.querySelector('[data-testid="server-receiving"] .bar')`, 5*time.Second)
	p.shot("receiving")
	p.click(fmt.Sprintf("select-S%d", lead))
	p.waitFor("the leader's progress of the transfer",
		fmt.Sprintf(`!!document.querySelector('[data-testid="progress-snap-S%d"] .bar')`, follower), 5*time.Second)
	p.shot("sending")

	v = p.stepUntil("the snapshot installed", 10*ms, func(v lab.View) bool { return server(v, follower).SnapIndex > 0 })
	installed := server(v, follower).SnapIndex
	chunks := eval[[]string](p, `smrlabTest.drawnChunks()`)
	chunkRE := regexp.MustCompile(`^chunk (\d+)–(\d+) of (\d+) B`)
	middle := slices.ContainsFunc(chunks, func(c string) bool {
		m := chunkRE.FindStringSubmatch(c)
		return m != nil && m[1] != "0"
	})
	if !middle {
		t.Errorf("the ring drew InstallSnapshot messages %q, want chunks past the first (\"chunk 64–128 of N B\")", chunks)
	}
	p.waitFor("the install event in the event list", fmt.Sprintf(`[...document.querySelectorAll('[data-testid="events"] li.ev-install')]
		.some((li) => li.textContent.includes('S%d installed the snapshot at index %d'))`, follower, installed), 5*time.Second)
	p.waitFor("the follower's log row starts with the snapshot block", fmt.Sprintf(
		`smrlabTest.logRows().some((r) => r.id === %d && r.snapshot.startsWith('snapshot ≤ %d,'))`, follower, installed), 5*time.Second)
	p.waitFor("the metrics count the install", `+document.getElementById('m-installs').textContent >= 1`, 5*time.Second)
	p.shot("installed")
	p.noBanner()
}

// "Add server" takes the lowest spare machine: it joins as a learner, is
// promoted through a joint configuration that needs both majorities, and
// ends a voter of the new configuration.
func TestBrowserServerJoinsThroughALearner(t *testing.T) {
	p := newPage(t)
	p.openPaused("?seed=7")
	p.advanceTo(1500 * ms)
	p.waitFor("add-server offers S6", `(() => { const b = document.querySelector('[data-testid="add-server"]');
		return !b.disabled && b.textContent.includes('S6'); })()`, 5*time.Second)
	if p.text("config-quorum") != "A leader needs 3 of {S1,S2,S3,S4,S5} to win an election or commit an entry." {
		t.Errorf("config-quorum %q before the change", p.text("config-quorum"))
	}
	p.shot("before")
	p.click("add-server")
	if st := p.text("config-status"); !strings.HasPrefix(st, "✓ add S6") ||
		!strings.Contains(st, "add S6 as a learner, then promote S6 to voter") {
		t.Fatalf("config-status %q, want the two steps of the change", st)
	}

	p.stepUntil("S6 a learner", 2*ms, func(v lab.View) bool { return server(v, 6).Member == "learner" })
	p.waitFor("S6 shows as a learner", `document.querySelector('[data-testid="select-S6"]').dataset.member === 'learner' &&
		document.querySelector('[data-testid="config-learners"]').textContent.includes('S6') &&
		!smrlabTest.serverXY(6).spare`, 5*time.Second)
	p.shot("learner")

	v := p.stepUntil("the joint configuration", 2*ms, func(v lab.View) bool { return v.Config.Joint })
	if !slices.Equal(v.Config.OldVoters, []uint32{1, 2, 3, 4, 5}) || !slices.Equal(v.Config.Voters, []uint32{1, 2, 3, 4, 5, 6}) {
		t.Errorf("joint configuration C_old %v, C_new %v", v.Config.OldVoters, v.Config.Voters)
	}
	p.waitFor("the panel shows both majorities", `document.querySelector('[data-testid="config-quorum"]').textContent
		.includes('3 of {S1,S2,S3,S4,S5} AND 4 of {S1,S2,S3,S4,S5,S6}') &&
		document.querySelector('[data-testid="config-old"]').textContent.includes('S5') &&
		document.querySelector('[data-testid="config-new"]').textContent.includes('S6')`, 5*time.Second)
	p.shot("joint")

	v = p.stepUntil("S6 a voter of a committed configuration", 2*ms, func(v lab.View) bool {
		return server(v, 6).Member == "voter" && !v.Config.Joint && v.Config.Committed && len(v.Changes) == 0
	})
	p.waitFor("the panel shows the new voter set", `document.querySelector('[data-testid="config-voters"]').textContent.includes('S6') &&
		document.querySelector('[data-testid="config-quorum"]').textContent.includes('4 of {S1,S2,S3,S4,S5,S6}') &&
		document.querySelector('[data-testid="select-S6"]').dataset.member === 'voter' &&
		document.querySelector('[data-testid="config-version"]').dataset.committed === 'true'`, 5*time.Second)
	p.waitFor("the metrics count the changes", fmt.Sprintf(`document.getElementById('m-membership').textContent.startsWith('%d')`,
		v.Metrics.MembershipChanges), 5*time.Second)
	if v.Metrics.MembershipChanges == 0 {
		t.Error("no membership change counted")
	}
	p.waitFor("add-server moves on to S7", `document.querySelector('[data-testid="add-server"]').textContent.includes('S7')`, 5*time.Second)
	p.shot("voter")
	p.noBanner()
}

// A server is removed from its menu and another replaced with a spare from
// the configuration panel; controls that make no sense are off.
func TestBrowserRemoveAndReplaceThroughTheControls(t *testing.T) {
	p := newPage(t)
	p.openPaused("?seed=7")
	v := p.advanceTo(1500 * ms)
	lead := leaderOf(v)
	if lead == 0 {
		t.Fatal("no leader at 1.5 s")
	}
	fs := votersBut(v, lead)
	out, old := fs[0], fs[1]

	// A voter's menu offers removal, not promotion nor adding.
	p.clickServer(out)
	for id, off := range map[string]bool{"menu-remove": false, "menu-promote": true, "menu-add": true, "menu-snapshot": false} {
		if got := eval[bool](p, fmt.Sprintf(`document.querySelector('[data-testid=%q]').disabled`, id)); got != off {
			t.Errorf("%s disabled = %v on the voter S%d, want %v", id, got, out, off)
		}
	}
	p.shot("menu")
	p.click("menu-remove")
	if st := p.text("action-status"); !strings.HasPrefix(st, fmt.Sprintf("✓ remove S%d", out)) {
		t.Fatalf("action-status %q after remove", st)
	}
	p.stepUntil(fmt.Sprintf("S%d removed", out), 5*ms, func(v lab.View) bool {
		return server(v, out).Member == "spare" && !v.Config.Joint && v.Config.Committed && len(v.Changes) == 0
	})
	p.waitFor("the removed server shows as a spare", fmt.Sprintf(`document.querySelector('[data-testid="select-S%d"]').dataset.member === 'spare' &&
		document.querySelector('[data-testid="config-spares"]').textContent.includes('S%d') &&
		!document.querySelector('[data-testid="config-voters"]').textContent.includes('S%d') && smrlabTest.serverXY(%d).spare`,
		out, out, out, out), 5*time.Second)
	p.shot("removed")

	p.setSelect("replace-old", fmt.Sprint(old))
	p.setSelect("replace-new", "6")
	p.click("replace")
	if st := p.text("config-status"); !strings.HasPrefix(st, fmt.Sprintf("✓ replace S%d with S6", old)) {
		t.Fatalf("config-status %q after replace", st)
	}
	v = p.stepUntil(fmt.Sprintf("S6 in place of S%d", old), 5*ms, func(v lab.View) bool {
		return server(v, old).Member == "spare" && server(v, 6).Member == "voter" && !v.Config.Joint && v.Config.Committed &&
			len(v.Changes) == 0
	})
	if len(v.Config.Voters) != 4 {
		t.Errorf("voters %v after a removal and a replacement, want four", v.Config.Voters)
	}
	p.waitFor("the panel shows the new voter set", fmt.Sprintf(`(() => { const t = document.querySelector('[data-testid="config-voters"]').textContent;
		return t.includes('S6') && !t.includes('S%d') && document.querySelector('[data-testid="config-quorum"]').textContent.includes('3 of {'); })()`,
		old), 5*time.Second)
	p.shot("replaced")

	// With every spare machine down, there is nothing to add.
	if st := p.typeAct(fmt.Sprintf("crash S%d,S%d,S7", out, old)); !strings.HasPrefix(st, "✓") {
		t.Fatalf("act-status %q", st)
	}
	p.waitFor("add-server and replace are off", `document.querySelector('[data-testid="add-server"]').disabled &&
		document.querySelector('[data-testid="replace"]').disabled`, 5*time.Second)
	p.shot("no-spare")
	p.noBanner()
}

// votersBut returns the running voters other than id, lowest first.
func votersBut(v lab.View, id uint32) []uint32 {
	var out []uint32
	for _, s := range v.Servers {
		if s.ID != id && s.Up && s.Member == "voter" {
			out = append(out, s.ID)
		}
	}
	return out
}

// clickServer clicks a server where the ring draws it, which selects it and
// opens its menu.
func (p *page) clickServer(id uint32) {
	p.tb.Helper()
	// Where the next drawn frame puts it: a membership change moves servers.
	xy := eval[map[string]any](p, fmt.Sprintf(`new Promise((r) => requestAnimationFrame(() =>
		requestAnimationFrame(() => r(smrlabTest.serverXY(%d)))))`, id))
	x, _ := xy["x"].(float64)
	y, _ := xy["y"].(float64)
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(x, y)); err != nil {
		p.fatalf("clicking S%d at (%.0f, %.0f): %v", id, x, y, err)
	}
	p.waitFor(fmt.Sprintf("the menu of S%d", id), fmt.Sprintf(`!document.querySelector('[data-testid="server-menu"]').hidden &&
		document.querySelector('[data-testid="server-menu"] .menu-title').textContent.startsWith('S%d')`, id), 5*time.Second)
}

// setInput fills an input of a data-testid with text, as pasting it would
// (typing a long value key by key takes seconds).
func (p *page) setInput(id, text string) {
	p.tb.Helper()
	p.exec(fmt.Sprintf(`(() => { const i = document.querySelector('[data-testid=%q]'); i.focus(); i.value = %s;
		i.dispatchEvent(new Event('input', {bubbles: true})); })()`, id, jsString(text)))
}

// setSelect chooses an option of a select by its value.
func (p *page) setSelect(id, value string) {
	p.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.SetValue(testID(id), value)); err != nil {
		p.fatalf("choosing %s in %s: %v", value, id, err)
	}
	if got := eval[string](p, fmt.Sprintf(`document.querySelector('[data-testid=%q]').value`, id)); got != value {
		p.fatalf("%s holds %q, want %q (not one of its options?)", id, got, value)
	}
}

// stepUntil advances the session dt at a time, letting the page draw each
// view (the ring records the snapshot chunks it draws), until ok holds
// (within two seconds of virtual time).
func (p *page) stepUntil(what string, dt int64, ok func(lab.View) bool) lab.View {
	p.tb.Helper()
	for t := int64(0); t <= 2*second; t += dt {
		v := p.advance(dt)
		p.exec(`new Promise((r) => requestAnimationFrame(r))`)
		if ok(v) {
			return v
		}
	}
	p.fatalf("%s: not within 2 s of virtual time", what)
	return lab.View{}
}
