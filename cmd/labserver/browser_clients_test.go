package main

// Browser tests of what the clients see: the live linearizability light,
// the read mode of the servers, admission control and the nemesis menu.
// Like the other browser tests, each fails on any console error and saves a
// screenshot per step.

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"smrlab/core/lab"
)

// The default cluster's clients are linearizable, and (for the default
// seed) stay so with stale reads through a nemesis that cuts the leader off
// for 3 s: its two clients read from the leader, and the isolated leader
// serves nobody. The nemesis shows as a badge while its fault is in effect
// and leaves its fault and its heal in the event list.
func TestBrowserNemesisWithStaleReads(t *testing.T) {
	p := newPage(t)
	p.openPaused("")
	p.advanceTo(3 * second)
	p.waitFor("the light says linearizable so far", linearOK, 5*time.Second)
	if lin := p.view().Linear; lin.Verdict != "ok" || lin.Ops == 0 {
		t.Fatalf("linear %+v at 3 s, want ok with some operations", lin)
	}
	p.shot("linearizable")

	p.chooseOption("read-mode", "stale")
	if st := p.text("reads-status"); !strings.HasPrefix(st, "✓ options all reads=stale") {
		t.Fatalf("reads-status %q after choosing stale reads", st)
	}
	p.waitFor("every server reads stale", `smrlabTest.view().readModes.every((m) => m === 'stale')`, 5*time.Second)

	// Only rejections and nemesis faults in the event list: the page keeps
	// the latest few hundred events, so the test looks as they come.
	p.chooseOption("events-filter", "clients")
	p.click("nemesis-isolate-leader")
	p.setInput("nemesis-duration", "3")
	p.click("nemesis-start")
	if st := p.text("nemesis-status"); !strings.HasPrefix(st, "✓ nemesis isolate-leader for 3s") {
		t.Fatalf("nemesis-status %q after the start", st)
	}
	end := p.view().Now + 3*second
	p.stepUntil("the nemesis in effect", 20*ms, func(v lab.View) bool { return slices.Contains(v.Nemeses, "isolate-leader") })
	p.waitFor("the nemesis badge and its fault event", `!document.querySelector('[data-testid="nemesis-badges"]').hidden &&
		!!document.querySelector('[data-testid="nemesis-badge-isolate-leader"]') &&
		[...document.querySelectorAll('[data-testid="events"] li.ev-nemesis')].some((li) => li.textContent.includes('nemesis isolate-leader'))`,
		5*time.Second)
	p.shot("nemesis-badge")
	p.stepUntil("the fault healed", 20*ms, func(v lab.View) bool { return len(v.Nemeses) == 0 })
	p.waitFor("the heal in the event list", `[...document.querySelectorAll('[data-testid="events"] li.ev-nemesis')].some((li) => li.textContent.includes('nemesis isolate-leader heals'))`, 5*time.Second)
	p.shot("nemesis-healed")

	v := p.advanceTo(end + second)
	if len(v.Nemeses) != 0 {
		t.Errorf("nemeses %v still in effect after their 3 s", v.Nemeses)
	}
	p.waitFor("no badge after the nemesis", `document.querySelector('[data-testid="nemesis-badges"]').hidden`, 5*time.Second)

	lin := p.view().Linear
	t.Logf("after the nemesis: %+v", lin)
	if lin.Verdict != "ok" {
		t.Fatalf("linear %+v after the nemesis, want ok (deterministic for the default seed)", lin)
	}
	p.waitFor("the light still says linearizable so far", linearOK, 5*time.Second)
	if p.visible("linear-detail") {
		t.Error("the linearizability details show while the history is linearizable")
	}
	p.shot("still-linearizable")
	p.noBanner()
}

// linearOK holds when the linearizability light is green with its counts.
const linearOK = `(() => { const l = document.querySelector('[data-testid="linear-light"]');
	return l.dataset.state === 'ok' && /^Linearizable so far \(\d+ ops?, \d+ keys?\)$/.test(l.querySelector('.light-text').textContent); })()`

// In stale-follower-reads.scn, S5 is cut off and keeps answering reads from
// its own state: a client reads an old value and the light turns red, with
// the operations named and a jump back to the first one no order explains,
// which stays offered while the recorded future still breaks there.
func TestBrowserStaleReadTurnsTheLightRed(t *testing.T) {
	p := newPage(t)
	p.openPaused("?scenario=stale-follower-reads.scn")
	p.waitFor("every server reads stale", `smrlabTest.view().readModes.every((m) => m === 'stale') &&
		document.querySelector('[data-testid="read-mode"]').value === 'stale'`, 5*time.Second)
	var lin lab.LinearView
	for i := 0; i < 40 && lin.Verdict != "violation"; i++ {
		lin = p.advance(250 * ms).Linear
	}
	t.Logf("at %.3f s: %+v", float64(p.view().Now)/1e6, lin)
	if lin.Verdict != "violation" || lin.Time <= 0 {
		t.Fatalf("linear verdict %q (time %d), want a violation", lin.Verdict, lin.Time)
	}
	p.waitFor("the light says NOT linearizable, with the explanation", `(() => {
		const l = document.querySelector('[data-testid="linear-light"]');
		return l.dataset.state === 'violation' && l.textContent.includes('NOT linearizable') &&
			!document.querySelector('[data-testid="linear-detail"]').hidden &&
			document.querySelector('[data-testid="linear-text"]').textContent.includes('op'); })()`, 5*time.Second)
	p.shot("not-linearizable")

	p.click("jump-linear")
	p.waitFor("the jump to the first unexplained operation", fmt.Sprintf(`smrlabTest.view().now === %d`, lin.Time), 10*time.Second)
	p.waitFor("the jump stays offered on the recorded future", `!document.querySelector('[data-testid="linear-detail"]').hidden &&
		document.querySelector('[data-testid="linear-light"]').textContent.includes('not linearizable later')`, 5*time.Second)
	p.shot("jumped")
	p.noBanner()
}

// The read mode control sets every server's read mode, with its meaning
// beside it; admission control bounds make the leader refuse commands, and
// the page counts and lists the refusals.
func TestBrowserReadModeAndAdmissionControls(t *testing.T) {
	p := newPage(t)
	p.openPaused("")
	p.advanceTo(1500 * ms)
	if modes := p.view().ReadModes; len(modes) == 0 || modes[0] != "log" {
		t.Fatalf("read modes %v at first, want log", modes)
	}
	for _, c := range []struct{ mode, help string }{{"index", "heartbeat round"}, {"lease", "lease"}, {"log", "through the log"}} {
		p.chooseOption("read-mode", c.mode)
		if st := p.text("reads-status"); !strings.HasPrefix(st, "✓ options all reads="+c.mode) {
			t.Fatalf("reads-status %q after choosing %s", st, c.mode)
		}
		p.waitFor("the view and the page show "+c.mode, fmt.Sprintf(`smrlabTest.view().readModes.every((m) => m === %q) &&
			document.querySelector('[data-testid="read-modes"]').dataset.modes.split(',').every((m) => m === %q) &&
			document.querySelector('[data-testid="read-mode-help"]').textContent.includes(%q)`, c.mode, c.mode, c.help), 5*time.Second)
		p.shot("reads-" + c.mode)
	}

	p.setInput("max-pending", "1")
	p.setInput("max-uncommitted", "2")
	p.click("admission-set")
	if st := p.text("reads-status"); !strings.HasPrefix(st, "✓ options all max-uncommitted=2 max-pending=1") {
		t.Fatalf("reads-status %q after setting the bounds", st)
	}
	p.setInput("workload-rate", "400")
	p.click("workload-rate-set")
	v := p.advance(1 * second)
	var rejected uint64
	for _, n := range v.Metrics.Rejected {
		rejected += n
	}
	t.Logf("rejected %v, failed %d, indeterminate %d", v.Metrics.Rejected, v.Metrics.OpsFailed, v.Metrics.OpsIndeterminate)
	if rejected == 0 {
		t.Fatalf("no request rejected at 400 ops/s with max-pending=1: metrics %+v", v.Metrics)
	}
	p.waitFor("the metrics show the rejections by reason", `(() => { const m = document.querySelector('[data-testid="metric-rejected"]');
		return /\w+: [1-9]/.test(m.querySelector('.m-value').textContent) &&
			m.textContent.includes('rejected_requests_due_to_admission_control'); })()`, 5*time.Second)
	for _, name := range []string{"leader_changes_per_minute", "snapshot_install_failures", "quorum_acks_latency_p99"} {
		if !strings.Contains(p.text("metrics-panel"), name) {
			t.Errorf("the metrics panel does not name %s", name)
		}
	}
	p.chooseOption("events-filter", "clients")
	p.waitFor("reject events in the list", `document.querySelectorAll('[data-testid="events"] li.ev-reject').length > 0`, 5*time.Second)
	p.shot("rejected")
	p.noBanner()
}

// chooseOption picks an option of a select as a user does: the value
// changes and the select fires its change event.
func (p *page) chooseOption(id, value string) {
	p.tb.Helper()
	p.setSelect(id, value)
	p.exec(fmt.Sprintf(`document.querySelector('[data-testid=%q]').dispatchEvent(new Event('change', {bubbles: true}))`, id))
	p.idle()
}
