package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"smrlab/core/lab"
	"smrlab/core/modelcheck"
	"smrlab/core/raft"
	"smrlab/core/scenario"
	"smrlab/core/sharelink"
)

// A scenario under the manual scheduler waits for the student: the next-step
// panel lists every step that can come next, and clicking them one by one,
// with the forget-vote-on-restart bug on, walks forget-vote-manual.scn's
// path to the violation, a millisecond per step.
func TestBrowserManualSchedulerSteps(t *testing.T) {
	p := newPage(t)
	p.openPaused("?scenario=manual-sandbox.scn&bugs=forget-vote-on-restart")
	p.waitFor("the next-step panel shows the first choices", `(() => {
		const panel = document.querySelector('[data-testid="steps-panel"]');
		return !panel.hidden && !!document.querySelector('[data-testid="step-campaign-S1"]') &&
			smrlabTest.view().manual === true; })()`, 10*time.Second)
	if v := p.view(); v.Now != 0 || len(v.Flights) != 0 {
		t.Fatalf("at the start: now %d, %d messages in flight; want nothing yet", v.Now, len(v.Flights))
	}
	for i, step := range []string{"campaign-S1", "campaign-S2", "deliver-m2", "crash-S3", "restart-S3", "deliver-m4", "deliver-m5", "deliver-m6"} {
		// Click only once the panel shows the steps after the last action:
		// a click on a panel being redrawn could land on another button.
		p.waitFor("step "+step+" is offered", fmt.Sprintf(`document.querySelector('[data-testid="steps"]').dataset.actions === '%d' &&
			!!document.querySelector('[data-testid="step-%s"]')`, i, step), 10*time.Second)
		p.click("step-" + step)
		p.waitFor("step "+step+" is taken", `(() => { const a = smrlabTest.view().actions || [];
			return a.length && a[a.length - 1].text.endsWith(`+"`"+strings.ReplaceAll(step, "-", " ")+"`"+`); })()`, 10*time.Second)
		if step == "crash-S3" {
			p.shot("manual-midway")
		}
	}
	p.waitFor("the violation is shown and the panel says so", `(() => {
		const v = smrlabTest.view();
		return v.violation && v.violation.invariant === 'ElectionSafety' &&
			document.querySelector('[data-testid="steps-note"]').textContent.includes('violation'); })()`, 10*time.Second)
	// One millisecond per step, as in the explorer's counterexamples (the
	// first step acts at once: the page had run ahead while loading, so it
	// forks there).
	v := p.view()
	for i := 2; i < len(v.Actions); i++ {
		if d := v.Actions[i].At - v.Actions[i-1].At; d != 1000 {
			t.Fatalf("steps %d and %d are %d us apart, want 1000: %+v", i, i+1, d, v.Actions)
		}
	}
	if last := v.Actions[len(v.Actions)-1].At; v.Now != last || v.Violation.Time != last {
		t.Fatalf("now %d, violation at %d, last step at %d", v.Now, v.Violation.Time, last)
	}
	p.shot("manual-violation")
	p.noBanner()
}

// A counterexample of `smrlab modelcheck` opens in the lab at its violating
// step, through the link the command prints.
func TestBrowserOpensAModelcheckCounterexample(t *testing.T) {
	bug, err := raft.ParseBug("forget-vote-on-restart")
	if err != nil {
		t.Fatal(err)
	}
	b := modelcheck.BoundsFor(raft.Bugs(0).With(bug))
	b.Depth = 8
	r, err := modelcheck.Explore(b, raft.Bugs(0).With(bug), modelcheck.Options{})
	if err != nil || r.Violation == nil {
		t.Fatalf("the explorer found no counterexample (%v)", err)
	}
	sc, err := scenario.Parse("modelcheck.scn", []byte(r.Scenario))
	if err != nil {
		t.Fatal(err)
	}
	h := lab.Header(sc, sc.Seed, 0, r.Path, r.Until())
	frag, err := sharelink.Encode(&h)
	if err != nil {
		t.Fatal(err)
	}
	p := newPage(t)
	p.open("#" + frag)
	p.waitFor("the lab stands at the violating step", fmt.Sprintf(`(() => { const v = smrlabTest.view();
		return v.now === %d && v.violation && v.violation.invariant === 'ElectionSafety' && v.manual &&
			(v.actions || []).length === %d; })()`, r.Until(), len(r.Path)), 20*time.Second)
	p.waitFor("the status panel shows the violation", `document.querySelector('[data-testid="invariants-light"]').dataset.state === 'violation'`, 10*time.Second)
	p.shot("counterexample")
}
