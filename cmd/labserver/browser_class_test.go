package main

// A class's browser tests (issue 14). The lesson log: what a student's page
// sends a class's server as progress, and what the teacher's page replays
// to watch a student's run. A student does lesson 1's first steps by the
// page's controls on a given seed; the log their page kept (lessonLog),
// replayed in another browser's lessons build on the same seed
// (lessonApply), reaches the same step, the same goals and the same state
// hash; a log whose operation goes back in time is refused, naming it.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// lessonLog is wasm/lesson.go's lessonLog answer.
type lessonLog struct {
	Len int   `json:"len"`
	Now int64 `json:"now"`
	Ops []struct {
		Op     string `json:"op"`
		At     int64  `json:"at"`
		Text   string `json:"text,omitempty"`
		Choice string `json:"choice,omitempty"`
	} `json:"ops"`
}

func (p *page) lessonLog(from int) (lessonLog, string) {
	p.tb.Helper()
	res := p.call("lessonLog", from)
	var raw string
	if err := json.Unmarshal(res.Value, &raw); err != nil {
		p.fatalf("lessonLog: %v (%s)", err, res.Value)
	}
	var l lessonLog
	if err := json.Unmarshal([]byte(raw), &l); err != nil {
		p.fatalf("lessonLog: %v (%s)", err, raw)
	}
	return l, raw
}

func TestBrowserClassLessonLogReplays(t *testing.T) {
	l := courseLesson(t, 1)
	const seed = "4242"
	p := newPage(t)
	p.open("?lesson=" + l.ID + "&seed=" + seed)
	p.waitFor("the lesson opens on the link's seed", fmt.Sprintf(`(() => { const l = smrlabTest.lesson();
		return l && l.stepId === %q && String(l.seed) === %q; })()`, l.Steps[0].ID, seed), 30*time.Second)
	s := student{p: p}
	s.solveStep(l, 0)
	s.press("lesson-next")
	p.waitFor("step 2 opens", fmt.Sprintf(`smrlabTest.lesson().stepId === %q`, l.Steps[1].ID), 10*time.Second)
	s.answer(l.Steps[1])
	if len(l.Steps[1].Solution) > 0 {
		s.act(l.Steps[1].Solution[0])
	}
	s.runFor(300_000, false)
	p.pause()

	log, raw := p.lessonLog(0)
	if log.Len != len(log.Ops) || log.Len < 3 {
		t.Fatalf("the log of a step solved and a step begun: %s", raw)
	}
	var ops []string
	for _, o := range log.Ops {
		ops = append(ops, o.Op)
	}
	joined := " " + strings.Join(ops, " ") + " "
	if !strings.Contains(joined, " act ") || !strings.Contains(joined, " next ") {
		t.Errorf("the log's operations %v lack the student's actions or Next", ops)
	}
	if l.Steps[1].Predict != nil && !strings.Contains(joined, " answer ") {
		t.Errorf("the log's operations %v lack step 2's answer", ops)
	}
	tail, _ := p.lessonLog(log.Len - 1)
	if tail.Len != log.Len || len(tail.Ops) != 1 || tail.Ops[0] != log.Ops[log.Len-1] {
		t.Errorf("lessonLog(%d) = %+v, want the last operation alone", log.Len-1, tail)
	}
	if res := p.tryCall("lessonLog", log.Len+1); res.OK || !strings.Contains(res.Error, "holds") {
		t.Errorf("lessonLog past the end: %+v, want a refusal", res)
	}
	want, wantState := p.stateHash(), p.lesson()

	// Another browser replays the log on the same seed, as a teacher's
	// page watching the student does.
	q := p.newTab(chromedp.WithNewBrowserContext())
	defer q.close()
	q.open("?lesson=" + l.ID + "&seed=" + seed)
	q.waitFor("the lesson opens", fmt.Sprintf(`(() => { const l = smrlabTest.lesson(); return l && l.stepId === %q; })()`, l.Steps[0].ID), 30*time.Second)
	q.pause()
	opsJSON, _ := json.Marshal(log.Ops)
	res := eval[callResult](q, fmt.Sprintf(`smrlabTest.call('lessonApply', %s, %d).then((r) => ({ok: r.ok, error: r.error || ''}))`, opsJSON, log.Now))
	if !res.OK {
		t.Fatalf("lessonApply of the student's log: %s", res.Error)
	}
	q.idle()
	got, gotState := q.stateHash(), q.lesson()
	if got != want || q.view().Now != log.Now {
		t.Errorf("the replayed log: hash %s at %d µs, the student's %s at %d µs", got, q.view().Now, want, log.Now)
	}
	if gotState.StepID != wantState.StepID || fmt.Sprint(gotState.Goals) != fmt.Sprint(wantState.Goals) || gotState.Locked != wantState.Locked {
		t.Errorf("the replayed lesson: step %s goals %v, the student's step %s goals %v",
			gotState.StepID, gotState.Goals, wantState.StepID, wantState.Goals)
	}
	again, _ := q.lessonLog(0)
	if fmt.Sprint(again.Ops) != fmt.Sprint(log.Ops) {
		t.Errorf("the replay's own log differs from the one it replayed:\n%v\n%v", again.Ops, log.Ops)
	}
	// An operation before the run's time is refused, named.
	res = eval[callResult](q, `smrlabTest.call('lessonApply', [{op: 'act', at: 0, text: 'crash S1'}], 0).then((r) => ({ok: r.ok, error: r.error || ''}))`)
	if res.OK || !strings.Contains(res.Error, fmt.Sprintf("operation %d", log.Len+1)) || !strings.Contains(res.Error, "already") {
		t.Errorf("an operation back in time: %+v, want a refusal naming operation %d", res, log.Len+1)
	}
	p.noBanner()
}
