package main

import (
	"strings"
	"testing"
	"time"
)

// A scenario under the manual scheduler waits for the student: the next-step
// panel lists every step that can come next, and clicking them one by one
// replays figure8-manual.scn's path to the violation it shows.
func TestBrowserManualSchedulerSteps(t *testing.T) {
	p := newPage(t)
	p.openPaused("?scenario=forget-vote-manual.scn")
	p.waitFor("the next-step panel shows the first choices", `(() => {
		const panel = document.querySelector('[data-testid="steps-panel"]');
		return !panel.hidden && !!document.querySelector('[data-testid="step-campaign-S1"]') &&
			smrlabTest.view().manual === true; })()`, 10*time.Second)
	if v := p.view(); v.Now != 0 || len(v.Flights) != 0 {
		t.Fatalf("at the start: now %d, %d messages in flight; want nothing yet", v.Now, len(v.Flights))
	}
	for _, step := range []string{"campaign-S1", "campaign-S2", "deliver-m2", "crash-S3", "restart-S3", "deliver-m4", "deliver-m5", "deliver-m6"} {
		p.waitFor("step "+step+" is offered", `!!document.querySelector('[data-testid="step-`+step+`"]')`, 10*time.Second)
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
	p.shot("manual-violation")
	p.noBanner()
}
