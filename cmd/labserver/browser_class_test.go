package main

// A class's browser tests (issue 14): a class of a teacher and three
// students (TestBrowserClassRoom, below), and the lesson log: what a student's page
// sends a class's server as progress, and what the teacher's page replays
// to watch a student's run. A student does lesson 1's first steps by the
// page's controls on a given seed; the log their page kept (lessonLog),
// replayed in another browser's lessons build on the same seed
// (lessonApply), reaches the same step, the same goals and the same state
// hash; a log whose operation goes back in time is refused, naming it.

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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

// classAPI calls the labserver's API with the teacher key and a JSON body.
func classAPI(base, method, path, body string) (string, error) {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+roomTeacherKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return string(b), fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, b)
	}
	return string(b), nil
}

// A class of a teacher and three students, each in a browser of their own,
// against a real labserver: the teacher starts lesson 1 from the
// dashboard and holds its first prediction for the class; the students
// answer, the dashboard's histogram counts them, a second round, the
// reveal runs the step on every screen; a student finishes the step and
// the dashboard shows it, the projector without names; the teacher watches
// her run replayed and sends a hint; a student's progress made offline
// survives a reload and counts once; the grades' CSV matches; a bug hunt
// takes a real counterexample and refuses a forged one, and audits it.
func TestBrowserClassRoom(t *testing.T) {
	start := time.Now()
	base := startRoomServer(t)
	l := courseLesson(t, 1)
	const lessonName = "01-elections"
	body, err := classAPI(base, "POST", "api/rooms", `{"scenario":"","seed":1}`)
	if err != nil {
		t.Fatal(err)
	}
	var opened struct{ ID, Code string }
	if err := json.Unmarshal([]byte(body), &opened); err != nil || len(opened.Code) != 6 {
		t.Fatalf("opening a room: %v %s", err, body)
	}
	code := opened.Code

	teacher := newPage(t)
	teacher.base = base
	teacher.navigate("teach")
	teacher.waitFor("the teach page", `!!document.querySelector('[data-testid="key-form"]')`, 10*time.Second)
	teacher.exec(fmt.Sprintf(`localStorage.setItem('smrlab.teacherKey', %q)`, roomTeacherKey))
	teacher.navigate("class.html?room=" + code)
	teacher.waitFor("the dashboard is online", `document.querySelector('[data-testid="dash-conn"]').dataset.state === 'online'`, 15*time.Second)

	projector := roomPage(teacher, base)
	projector.navigate("class.html?room=" + code + "&as=projector")

	names := []string{"Ada", "Barbara", "Edsger"}
	students := make([]*page, len(names))
	for i, name := range names {
		s := roomPage(teacher, base)
		students[i] = s
		s.navigate("?room=" + code + "&name=" + name)
		s.waitSynced()
	}
	t.Logf("a teacher, a projector and %d students in room %s after %v", len(students), code, time.Since(start).Round(time.Millisecond))

	// The teacher starts lesson 1: every student's page opens it on the
	// seed the room gives the seat.
	teacher.waitFor("the course in the picker", `!!document.querySelector('[data-testid="pick-01-elections"]')`, 10*time.Second)
	teacher.press("lesson-start")
	seeds := map[string]bool{}
	for i, s := range students {
		s.waitFor(names[i]+"'s page opens the class's lesson", fmt.Sprintf(`(() => { const c = window.smrlabTest && smrlabTest.cls && smrlabTest.cls();
			const l = smrlabTest.lesson && smrlabTest.lesson();
			return c && c.lesson === %q && l && l.lesson === %q && String(l.seed) === c.seed; })()`, lessonName, l.ID), 60*time.Second)
		seeds[eval[string](s, `smrlabTest.cls().seed`)] = true
	}
	if l.PerStudent && len(seeds) != len(students) {
		t.Errorf("a per-student lesson: the students' seeds %v, want one each", seeds)
	}

	// A class vote on the first step's prediction.
	first := l.Steps[0]
	if first.Predict == nil {
		t.Fatalf("lesson 1's first step asks no prediction: the vote test needs one")
	}
	right := first.Predict.Answer
	wrong := ""
	for _, c := range first.Predict.Choices {
		if c.ID != right {
			wrong = c.ID
			break
		}
	}
	teacher.waitFor("the first step can be held", fmt.Sprintf(`[...document.querySelectorAll('[data-testid="hold-step"] option')].some((o) => o.value === %q)`,
		lessonName+"/"+first.ID), 10*time.Second)
	teacher.exec(fmt.Sprintf(`document.querySelector('[data-testid="hold-step"]').value = %q`, lessonName+"/"+first.ID))
	teacher.press("hold")
	for i, s := range students {
		s.waitFor(names[i]+" sees the held prediction", `document.querySelector('[data-testid="class-hold"]').dataset.state === 'waiting'`, 10*time.Second)
		choice := wrong
		if i == 0 {
			choice = right
		}
		student{p: s}.press("choice-" + choice)
		s.waitFor(names[i]+"'s answer waits for the class", `document.querySelector('[data-testid="class-hold"]').textContent.includes('is in')`, 10*time.Second)
		if s.lesson().Prediction.Answered {
			t.Errorf("%s: the held prediction ran on the student's page before the reveal", names[i])
		}
	}
	hist := func(p *page, round, choice string, n int) {
		p.waitFor(fmt.Sprintf("round %s: %d for %s", round, n, choice), fmt.Sprintf(`(() => { const v = document.querySelector('[data-testid="votes"]');
			const li = v.querySelector('li[data-choice=%q]');
			return v.dataset.round === %q && li && li.dataset.count === '%d'; })()`, choice, round, n), 10*time.Second)
	}
	hist(teacher, "1", right, 1)
	hist(teacher, "1", wrong, 2)
	hist(projector, "1", wrong, 2)
	teacher.press("vote-again")
	for i, s := range students {
		s.waitFor(names[i]+" sees round 2", `document.querySelector('[data-testid="class-hold"]').textContent.includes('round 2')`, 10*time.Second)
		student{p: s}.press("choice-" + right)
	}
	hist(teacher, "2", right, 3)
	teacher.press("vote-reveal")
	for i, s := range students {
		s.waitFor(names[i]+"'s step runs after the reveal", `(() => { const l = smrlabTest.lesson();
			return l.prediction && l.prediction.answered && !l.locked &&
				document.querySelector('[data-testid="class-hold"]').dataset.state === 'revealed'; })()`, 15*time.Second)
	}
	teacher.waitFor("the reveal on the dashboard", fmt.Sprintf(`document.querySelector('[data-testid="reveal"]').textContent.includes('answer is %s')`, right), 10*time.Second)

	// Ada finishes the step: the room replays her log, credits it, and the
	// dashboard shows it; the projector counts it without her name.
	ada := student{p: students[0]}
	ada.solveStep(l, 0)
	students[0].waitFor("the room counts the step", `document.querySelector('[data-testid="class-credit"]').dataset.state === 'credited'`, 20*time.Second)
	teacher.waitFor("the dashboard shows Ada's step done", `(() => { const tr = document.querySelector('#students tr[data-seat="1"]');
		return tr && +tr.dataset.done >= 1; })()`, 20*time.Second)
	projector.waitFor("the board counts a step done", fmt.Sprintf(`(() => { const li = document.querySelector('[data-testid="board"] li[data-step=%q]');
		return li && +li.dataset.done >= 1; })()`, first.ID), 20*time.Second)
	if txt := eval[string](projector, `document.body.textContent`); strings.Contains(txt, "Ada") || strings.Contains(txt, "Barbara") {
		t.Errorf("the projector shows a student's name")
	}
	teacher.shot("dashboard")
	projector.shot("board")
	teacher.press("student-1")
	teacher.waitFor("Ada's checklist", `document.querySelector('[data-testid="checklist"]').textContent.includes('Ada')`, 5*time.Second)

	// Watch Ada's run: the teacher's page replays her log to her state.
	teacher.press("watch-1")
	teacher.waitFor("Ada's run replayed on the dashboard", fmt.Sprintf(`(() => { const w = document.querySelector('[data-testid="watch-panel"]');
		return !w.hidden && +w.dataset.ops > 0 && document.querySelector('[data-testid="watch-step"]').textContent.includes('step'); })()`), 30*time.Second)

	// A hint to Barbara.
	teacher.exec(`document.querySelector('[data-testid="hint-to"]').value = '2'`)
	teacher.setInput("hint-text", "Watch the terms")
	teacher.press("hint-send")
	students[1].waitFor("Barbara gets the teacher's hint", `document.querySelector('[data-testid="class-status"]').textContent.includes('Watch the terms')`, 10*time.Second)

	// Barbara works offline: her progress waits in her browser, survives a
	// reload (her log replays there) and is sent from the room's index when
	// she is back, counted once.
	barbara := students[1]
	barbara.exec(`smrlabTest.clsOffline(true)`)
	barbara.waitFor("Barbara is offline", `document.querySelector('[data-testid="class-conn"]').dataset.state === 'offline'`, 10*time.Second)
	student{p: barbara}.solveStep(l, 0)
	barbara.waitFor("her progress kept in her browser", `(() => { const q = document.querySelector('[data-testid="class-queue"]');
		return q.dataset.pending === 'true' && q.textContent.includes('kept in this browser'); })()`, 10*time.Second)
	barbara.navigate("?class=" + code + "&lesson=" + lessonName)
	barbara.waitFor("after the reload her run is back and counted", fmt.Sprintf(`(() => { const l = smrlabTest.lesson && smrlabTest.lesson();
		const c = smrlabTest.cls && smrlabTest.cls();
		return l && l.stepId === %q && l.done && c && c.credited && (c.credited.done || []).includes(%q); })()`, first.ID, first.ID), 40*time.Second)
	teacher.waitFor("the dashboard shows Barbara's step done", `(() => { const tr = document.querySelector('#students tr[data-seat="2"]');
		return tr && +tr.dataset.done === 1; })()`, 20*time.Second)

	// The grades: Ada's step and the three students' predictions.
	csvText, err := classAPI(base, "GET", "api/rooms/"+opened.ID+"/grades.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
	if err != nil || len(rows) != 1+len(students) {
		t.Fatalf("grades.csv: %v, %d rows, want a header and %d students:\n%s", err, len(rows), len(students), csvText)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"seat", "name", "predictions", "total"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("grades.csv's header %v lacks %q", rows[0], h)
		}
	}
	for i, r := range rows[1:] {
		if r[col["name"]] != names[i] {
			t.Errorf("grades.csv row %d: name %q, want %q", i+1, r[col["name"]], names[i])
		}
		want := 1.0 // right after discussion
		if i == 0 {
			want = 2 // right at once
		}
		var got float64
		if _, err := fmt.Sscan(r[col["predictions"]], &got); err != nil || got != want {
			t.Errorf("grades.csv: %s's predictions %q, want %v", names[i], r[col["predictions"]], want)
		}
	}
	if lc, ok := col[lessonName]; ok && rows[1][lc] != rows[2][lc] {
		t.Errorf("grades.csv: the lesson's points of Ada %s and of Barbara %s, want the same (one step each, counted once)", rows[1][lc], rows[2][lc])
	} else if !ok {
		t.Errorf("grades.csv's header %v has no column for %s", rows[0], lessonName)
	}
	var ta, tb float64
	fmt.Sscan(rows[1][col["total"]], &ta)
	fmt.Sscan(rows[2][col["total"]], &tb)
	if ta <= tb {
		t.Errorf("grades.csv: Ada (a step done, the right first answer) has the total %s of Barbara's %s", rows[1][col["total"]], rows[2][col["total"]])
	}

	// A bug hunt: the lesson stops; the hunt's run opens on the students'
	// pages with the room's bug, which no page names.
	teacher.press("lesson-stop")
	teacher.exec(`document.querySelector('[data-testid="hunt-bug"]').value = 'forget-vote-on-restart'`)
	teacher.press("hunt-start")
	for i, s := range students[:2] {
		s.waitFor(names[i]+"'s page opens the hunt", `!document.querySelector('[data-testid="class-hunt"]').hidden && smrlabTest.view() && smrlabTest.view().manual`, 30*time.Second)
		if eval[bool](s, `(() => { const b = document.getElementById('bugs-picker'); return !!b && getComputedStyle(b).display !== 'none'; })()`) {
			t.Errorf("%s's page shows the bug toggles, which name the room's bug", names[i])
		}
	}
	ed := students[0]
	for _, a := range []string{"campaign S1", "campaign S2", "deliver m2", "crash S3", "restart S3", "deliver m4", "deliver m5", "deliver m6"} {
		if res := ed.tryCall("act", a); !res.OK {
			t.Fatalf("the hunt: %s: %s", a, res.Error)
		}
	}
	ed.waitFor("the violation", `!!smrlabTest.view().violation`, 10*time.Second)
	ed.exec(`document.querySelector('[data-testid="hunt-guess"]').value = 'forget-vote-on-restart'`)
	ed.press("hunt-submit")
	ed.waitFor("the submission accepted", `document.querySelector('[data-testid="hunt-result"]').textContent.includes('Accepted')`, 20*time.Second)
	// Barbara forges one: a recording whose actions break nothing.
	b := students[1]
	b.exec(`smrlabTest.clsForge({recording: {actions: ['at 1ms campaign S1']}})`)
	b.exec(`document.querySelector('[data-testid="hunt-guess"]').value = 'learner-votes'`)
	b.press("hunt-submit")
	b.waitFor("the forged submission refused", `document.querySelector('[data-testid="hunt-result"]').textContent.includes('Refused')`, 20*time.Second)
	teacher.press("hunt-end")
	teacher.waitFor("the ranking and the answer", `(() => { const r = document.querySelectorAll('[data-testid="hunt-ranking"] tr[data-valid="true"]');
		return r.length === 1 && r[0].dataset.seat === '1' && document.querySelector('[data-testid="hunt-answer"]').textContent.includes('forget-vote-on-restart'); })()`, 20*time.Second)
	audit, err := classAPI(base, "GET", "api/rooms/"+opened.ID+"/audit.jsonl", "")
	if err != nil || !strings.Contains(audit, "forged") {
		t.Errorf("the audit log does not record the forged submission (%v)", err)
	}
	t.Logf("the class test took %v", time.Since(start).Round(time.Millisecond))
}
