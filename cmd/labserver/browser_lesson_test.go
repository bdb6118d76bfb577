package main

// The lesson player's browser tests: the course's first lesson done as a
// student does it, by clicks and by the keyboard alone; a step reset;
// progress kept over a reload, exported and imported; links to a step; a
// lesson on the manual scheduler's next-step panel; the run controls
// really locked before a prediction is answered; and the lesson panel
// checked by axe-core. The lessons are read with core/lesson, so the tests
// follow the course as its authors change it: each step's prediction is
// answered with the file's answer and its solution is played by the
// page's own controls.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"smrlab/core/lesson"
)

// lessonState is the part of view.lesson (core/lesson's State) the tests
// read.
type lessonState struct {
	ID         string `json:"lesson"`
	Step       int    `json:"step"`
	Steps      int    `json:"steps"`
	StepID     string `json:"stepId"`
	Locked     bool   `json:"locked"`
	Done       bool   `json:"done"`
	Assisted   bool   `json:"assisted"`
	Last       bool   `json:"last"`
	Attempts   int    `json:"attempts"`
	Elapsed    int64  `json:"elapsed"`
	HintsLeft  int    `json:"hintsLeft"`
	NextHint   string `json:"nextHint"`
	Controls   []string
	Hints      []struct{ Text string } `json:"hints"`
	Goals      []struct{ Label, State, Why string }
	Prediction *struct {
		Answered, Revealed, Right bool
		Chosen, Answer            string
	} `json:"prediction"`
}

func (p *page) lesson() lessonState {
	p.tb.Helper()
	var st lessonState
	raw := eval[json.RawMessage](p, `smrlabTest.lesson()`)
	if string(raw) == "null" {
		p.fatalf("no lesson is open")
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		p.fatalf("view.lesson: %v", err)
	}
	return st
}

// courseLesson parses the course's lesson of a given order (1: the first),
// as the page will play it.
func courseLesson(t *testing.T, order int) *lesson.Lesson {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "lessons", "*.lesson"))
	if err != nil || len(files) < order {
		t.Fatalf("the course has %d lessons (lessons/*.lesson), want at least %d (%v)", len(files), order, err)
	}
	sort.Strings(files)
	return parseLessonFile(t, files[order-1])
}

func parseLessonFile(t *testing.T, path string) *lesson.Lesson {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lesson.Parse(filepath.Base(path), src, func(name string) ([]byte, error) {
		return os.ReadFile(filepath.Join(root, "scenarios", name+".scn"))
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// testLesson parses one of this package's testdata lessons.
func testLesson(t *testing.T, file string) *lesson.Lesson {
	t.Helper()
	return parseLessonFile(t, filepath.Join("testdata", "lessons", file))
}

// student is how a test drives a lesson: by the mouse, or by the keyboard
// alone.
type student struct {
	p        *page
	keyboard bool
}

// press activates a control by its data-testid: a click, or Tab until it
// has the focus and then Enter.
func (s student) press(id string) {
	s.p.tb.Helper()
	if !s.keyboard {
		s.p.click(id)
		return
	}
	s.p.tabTo(id)
	s.p.key("\r")
	s.p.idle()
}

// tabTo presses Tab (as a keyboard user does) until the element of a
// data-testid has the focus; the page's focus order must reach it. When
// the element comes before the focus, it presses Shift+Tab, as a user
// going back would.
func (p *page) tabTo(id string) {
	p.tb.Helper()
	// 0: it has the focus; 1: it comes after the focus; -1: before it.
	where := fmt.Sprintf(`(() => { const a = document.activeElement, t = document.querySelector('[data-testid=%q]');
		if (a && a === t) return 0;
		if (!t || !a || a === document.body) return 1;
		return a.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_PRECEDING ? -1 : 1; })()`, id)
	back := eval[int](p, where) < 0
	for i := 0; i < 300; i++ {
		if eval[int](p, where) == 0 {
			return
		}
		var opts []chromedp.KeyOption
		if back {
			opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
		}
		if err := chromedp.Do(p.ctx, chromedp.KeyEvent("\t", opts...)); err != nil {
			p.fatalf("pressing Tab: %v", err)
		}
	}
	p.fatalf("300 presses of Tab never reached %s (the focus is on %s)", id,
		eval[string](p, `(document.activeElement && (document.activeElement.dataset.testid || document.activeElement.id || document.activeElement.tagName)) || 'nothing'`))
}

// key sends one key press to the page.
func (p *page) key(k string) {
	p.tb.Helper()
	if err := chromedp.Do(p.ctx, chromedp.KeyEvent(k)); err != nil {
		p.fatalf("pressing %q: %v", k, err)
	}
}

// clickXY clicks the page at a point with the mouse.
func (p *page) clickXY(x, y float64) {
	p.tb.Helper()
	if err := chromedp.Do(p.ctx, chromedp.MouseClickXY(x, y)); err != nil {
		p.fatalf("clicking at %.0f,%.0f: %v", x, y, err)
	}
	p.idle()
}

var serverRE = regexp.MustCompile(`^S(\d)$`)

// serverOf names the server an action's target means now: SN, leader or
// follower (a live one that is not the leader).
func (s student) serverOf(target string) int {
	s.p.tb.Helper()
	v := s.p.view()
	if m := serverRE.FindStringSubmatch(target); m != nil {
		return int(m[1][0] - '0')
	}
	switch target {
	case "leader":
		if id := leaderOf(v); id != 0 {
			return int(id)
		}
		s.p.fatalf("the action names the leader, and there is none at %d", v.Now)
	case "follower":
		for _, sv := range v.Servers {
			if sv.Up && sv.Member == "voter" && sv.Role == "follower" {
				return int(sv.ID)
			}
		}
		s.p.fatalf("the action names a follower, and there is none up at %d", v.Now)
	}
	s.p.fatalf("the test cannot pick the server %q", target)
	return 0
}

// act takes one of a lesson's actions with the page's controls, as a
// student who read the hints would. It covers the actions the course's
// first lessons and the testdata lessons use; another fails the test, which
// then needs a line here.
func (s student) act(a lesson.Action) {
	p := s.p
	p.tb.Helper()
	words := strings.Fields(a.Text)
	if a.Wait > 0 {
		s.runFor(a.Wait, true)
		return
	}
	switch verb := words[0]; {
	case a.Text == "crash leader" && !s.keyboard:
		p.click("crash-leader")
	case verb == "restart" && (len(words) == 1 || words[1] == "all"):
		s.press("restart-crashed")
	case (verb == "crash" || verb == "restart" || verb == "isolate" || verb == "campaign" || verb == "transfer") && len(words) == 2 &&
		!eval[bool](p, `smrlabTest.view().manual === true`):
		id := s.serverOf(words[1])
		if s.keyboard {
			// Select the server by its number, then the verb's key (or the
			// server panel's button).
			p.exec(`document.activeElement && document.activeElement.blur && document.activeElement.blur()`)
			p.key(fmt.Sprint(id))
			switch verb {
			case "crash":
				p.key("c")
			case "restart":
				p.key("r")
			default:
				s.press("server-" + verb)
			}
			p.idle()
			return
		}
		xy := eval[map[string]any](p, fmt.Sprintf(`smrlabTest.serverXY(%d)`, id))
		p.clickXY(xy["x"].(float64), xy["y"].(float64))
		p.click("menu-" + verb)
	case a.Text == "heal":
		s.press("heal")
	case verb == "propose" && len(words) == 3:
		kv := strings.SplitN(words[2], "=", 2)
		p.exec(fmt.Sprintf(`document.querySelector('[data-testid="write-key"]').value = %q;
			document.querySelector('[data-testid="write-value"]').value = %q`, kv[0], kv[1]))
		s.press("write")
	case verb == "deliver" || verb == "drop" || verb == "duplicate" || verb == "campaign" || verb == "heartbeat":
		// A step of the manual scheduler, from the next-step panel.
		id := "step-" + strings.NewReplacer(" ", "-", "=", "-").Replace(a.Text)
		n := len(p.view().Actions)
		p.waitFor(id+" is offered", fmt.Sprintf(`document.querySelector('[data-testid="steps"]').dataset.actions === '%d' &&
			!!document.querySelector('[data-testid=%q]')`, n, id), 10*time.Second)
		s.press(id)
		p.waitFor(a.Text+" is taken", fmt.Sprintf(`(smrlabTest.view().actions || []).length === %d`, n+1), 10*time.Second)
	default:
		p.fatalf("the test cannot take the lesson's action %q (%s:%d) by the page's controls: teach student.act", a.Text, "lesson", a.Line)
	}
	p.idle()
}

// goalsMet is true in the page when every goal of the step is met now.
const goalsMet = `(() => { const l = smrlabTest.lesson(); return !!l && l.goals.every((g) => g.state === 'met'); })()`

// runFor lets dt of virtual time pass, as a student who presses Play and
// watches: the clock runs fast (the test's patience is shorter), and the
// test waits until the time passed or, when untilGoals, every goal is met.
func (s student) runFor(dt int64, untilGoals bool) {
	p := s.p
	p.tb.Helper()
	if untilGoals && eval[bool](p, goalsMet) {
		return
	}
	from := p.view().Now
	p.exec(`smrlabTest.setSpeed(5)`)
	if p.visible("play") && !eval[bool](p, `smrlabTest.playing()`) {
		s.press("play")
	}
	p.waitFor(fmt.Sprintf("%d µs of virtual time, or the goals met", dt), fmt.Sprintf(`(() => {
		const v = smrlabTest.view();
		return v.now >= %d || (%v && %s) || v.stopped; })()`, from+dt, untilGoals, goalsMet), 60*time.Second)
}

// solveStep does what a student does in the lesson's step i: answer the
// prediction (with the file's answer), take the solution's actions by the
// controls, and watch every goal of the checklist turn green.
func (s student) solveStep(l *lesson.Lesson, i int) {
	p := s.p
	p.tb.Helper()
	step := l.Steps[i]
	p.waitFor("step "+step.ID+" is open", fmt.Sprintf(`(() => { const l = smrlabTest.lesson();
		return l && l.stepId === %q && document.querySelector('[data-testid="lesson-step-title"]').textContent !== ''; })()`, step.ID), 10*time.Second)
	s.answer(step)
	for _, a := range step.Solution {
		if eval[bool](p, goalsMet) {
			break
		}
		s.act(a)
	}
	s.runFor(10*second, true)
	p.waitFor("every goal of "+step.ID+" is met and green", `(() => {
		const l = smrlabTest.lesson(); if (!l || !l.done) return false;
		const items = document.querySelectorAll('[data-testid="lesson-goals"] li');
		return items.length === l.goals.length && [...items].every((li) => li.dataset.state === 'met'); })()`, 20*time.Second)
	p.waitFor("Next is offered", `!document.querySelector('[data-testid="lesson-next"]').disabled`, 5*time.Second)
	if step.Predict != nil {
		p.waitFor("the prediction's answer is revealed", `document.querySelector('[data-testid="lesson-predict-note"]').textContent.includes('Right')`, 5*time.Second)
	}
	p.pause()
}

// answer answers the step's prediction, if it asks one not answered yet,
// with the file's answer; the controls were locked until then.
func (s student) answer(step lesson.Step) {
	p := s.p
	p.tb.Helper()
	st := p.lesson()
	if step.Predict == nil || st.Prediction == nil || st.Prediction.Answered {
		return
	}
	if !st.Locked {
		p.fatalf("step %s asks a prediction, and its controls are not locked", step.ID)
	}
	s.press("choice-" + step.Predict.Answer)
	p.waitFor("the controls unlock", `!smrlabTest.lesson().locked`, 5*time.Second)
}

// unlockHint works at the step (resets count as attempts; the clock counts
// the time stuck) until its first hint unlocks, then reveals it and checks
// its text.
func (s student) unlockHint(l *lesson.Lesson, i int) {
	p := s.p
	p.tb.Helper()
	h := l.Steps[i].Hints[0]
	s.answer(l.Steps[i])
	for n := 0; p.lesson().NextHint != "now"; n++ {
		if n == 20 {
			p.fatalf("the first hint of step %s is still locked: %q", l.Steps[i].ID, p.lesson().NextHint)
		}
		if h.After > 0 {
			s.runFor(h.After, false)
			p.pause()
		}
		s.press("lesson-reset")
	}
	p.waitFor("the hint button unlocks", `!document.querySelector('[data-testid="lesson-hint"]').disabled`, 10*time.Second)
	s.press("lesson-hint")
	p.waitFor("the first hint shows", fmt.Sprintf(`(document.querySelector('[data-testid="hint-1"]') || {}).textContent === %q`, h.Text), 5*time.Second)
}

// finishLesson solves every step from the open one and presses Next and
// then Finish.
func (s student) finishLesson(l *lesson.Lesson, from int) {
	p := s.p
	p.tb.Helper()
	for i := from; i < len(l.Steps); i++ {
		s.solveStep(l, i)
		if i == from {
			p.shot("step-" + l.Steps[i].ID + "-done")
		}
		s.press("lesson-next")
	}
	p.waitFor("the lesson's end", `!document.querySelector('[data-testid="lesson-done"]').hidden`, 5*time.Second)
}

// The course's first lesson, done by clicks as a new student does it: the
// welcome card starts it, each prediction is answered before the run, the
// checklist turns green, a hint unlocks after attempts, Next moves on.
func TestBrowserLessonOneByClicks(t *testing.T) {
	l := courseLesson(t, 1)
	p := newPage(t)
	p.open("")
	p.waitFor("the welcome card offers lesson 1", `(() => { const w = document.querySelector('[data-testid="welcome"]');
		return !w.hidden && document.querySelector('[data-testid="start-course"]').textContent.includes('lesson 1'); })()`, 10*time.Second)
	p.shot("welcome")
	s := student{p: p}
	s.press("start-course")
	p.waitFor("lesson 1 opens", fmt.Sprintf(`(() => { const l = smrlabTest.lesson(); return l && l.lesson === %q && l.step === 0 &&
		!document.querySelector('[data-testid="lesson-panel"]').hidden; })()`, l.ID), 20*time.Second)
	if got := eval[string](p, `location.search`); got != "?lesson="+l.ID+"&step=1" {
		t.Errorf("the address says %q, want ?lesson=%s&step=1", got, l.ID)
	}
	p.shot("lesson-open")
	checkOnlyOfferedControls(p, l.Steps[0].Controls)

	// The first step with hints: unlock one before solving it.
	hinted := -1
	for i, st := range l.Steps {
		if len(st.Hints) > 0 {
			hinted = i
			break
		}
	}
	for i := range l.Steps {
		if i == hinted {
			s.unlockHint(l, i)
			p.shot("hint")
		}
		s.solveStep(l, i)
		p.shot("done-" + l.Steps[i].ID)
		st := p.lesson()
		if st.Assisted {
			t.Errorf("step %s is marked assisted though the student solved it", l.Steps[i].ID)
		}
		s.press("lesson-next")
	}
	p.waitFor("the lesson's end", `!document.querySelector('[data-testid="lesson-done"]').hidden`, 5*time.Second)
	p.shot("lesson-complete")
	prog := eval[map[string]any](p, `smrlabTest.progress()`)
	lp, _ := prog["lessons"].(map[string]any)[l.ID].(map[string]any)
	if lp == nil || lp["finished"] != true {
		t.Fatalf("the progress does not record lesson %s finished: %v", l.ID, prog)
	}
	steps, _ := lp["steps"].(map[string]any)
	for i, st := range l.Steps {
		sp, _ := steps[st.ID].(map[string]any)
		if sp == nil || sp["done"] != true || sp["assisted"] == true {
			t.Errorf("progress of step %s: %v, want done and not assisted", st.ID, sp)
			continue
		}
		if st.Predict != nil && (sp["answer"] != st.Predict.Answer || sp["right"] != true) {
			t.Errorf("progress of step %s: answer %v right %v, want %s and right", st.ID, sp["answer"], sp["right"], st.Predict.Answer)
		}
		if i == hinted && sp["hints"].(float64) < 1 {
			t.Errorf("progress of step %s counts %v hints, want the one unlocked", st.ID, sp["hints"])
		}
		if sp["virtualUs"].(float64) <= 0 || sp["wallMs"].(float64) < 0 {
			t.Errorf("progress of step %s: virtual %v µs, wall %v ms", st.ID, sp["virtualUs"], sp["wallMs"])
		}
	}
	p.noBanner()
}

// checkOnlyOfferedControls checks that the page shows the run controls a
// step offers and hides the others.
func checkOnlyOfferedControls(p *page, controls []string) {
	p.tb.Helper()
	offered := map[string]bool{}
	for _, c := range controls {
		offered[c] = true
	}
	if len(controls) == 0 || offered["all"] {
		return
	}
	for ctl, id := range map[string]string{"crash": "crash-leader", "restart": "restart-crashed", "partition": "partition",
		"heal": "heal", "step": "step-event", "scenario": "open", "nemesis": "nemesis-panel", "command": "command-panel"} {
		if vis := p.visible(id); vis != offered[ctl] {
			p.tb.Errorf("control %s (%s): shown %v, offered %v (the step offers %v)", ctl, id, vis, offered[ctl], controls)
		}
	}
	if vis := p.visible("play"); vis != (offered["play"] || offered["pause"]) {
		p.tb.Errorf("play shown %v, the step offers %v", vis, controls)
	}
}

// The same lesson with the keyboard alone: Tab to a control, Enter to use
// it, the number keys and the lab's shortcuts for the servers.
func TestBrowserLessonOneByKeyboard(t *testing.T) {
	l := courseLesson(t, 1)
	p := newPage(t)
	p.open("")
	p.waitFor("the welcome card", `!document.querySelector('[data-testid="welcome"]').hidden`, 10*time.Second)
	s := student{p: p, keyboard: true}
	s.press("start-course")
	p.waitFor("lesson 1 opens", fmt.Sprintf(`(() => { const l = smrlabTest.lesson(); return l && l.lesson === %q; })()`, l.ID), 20*time.Second)
	p.waitFor("the step's title has the focus", `document.activeElement === document.querySelector('[data-testid="lesson-step-title"]')`, 5*time.Second)
	s.finishLesson(l, 0)
	p.shot("keyboard-complete")
	if eval[bool](p, `smrlabTest.progress().then((p) => !p.lessons[`+jsString(l.ID)+`].finished)`) {
		t.Errorf("lesson %s done by the keyboard is not recorded finished", l.ID)
	}
	p.noBanner()
}

// Reset step puts the world back at the step's start exactly (its time
// and state hash), counts an attempt, and keeps the prediction answered;
// progress survives a reload, and the catalogue continues where the
// student left; a link opens a lesson at a step, and a bad link says what
// is wrong and loses nothing; progress exports and imports as a file, and
// a bad file is refused with where and what.
func TestBrowserLessonResetProgressAndLinks(t *testing.T) {
	l := courseLesson(t, 1)
	p := newPage(t)
	dl := p.allowDownloads()
	p.open("?lesson=" + l.ID + "&step=1")
	p.waitFor("the lesson opens at step 1", `(() => { const l = smrlabTest.lesson(); return l && l.step === 0; })()`, 20*time.Second)
	p.pause()
	s := student{p: p}
	if l.Steps[0].Predict != nil {
		s.press("choice-" + l.Steps[0].Predict.Answer)
	}
	start, startHash := p.view().Now, p.stateHash()
	before := p.lesson()

	// Act: the first solution action, and some time.
	s.act(l.Steps[0].Solution[0])
	p.advance(300 * ms)
	if p.stateHash() == startHash {
		t.Fatal("the state did not change after acting")
	}
	s.press("lesson-reset")
	p.waitFor("the status says the step starts again", `document.querySelector('[data-testid="lesson-status"]').textContent.includes('starts again')`, 5*time.Second)
	v, st := p.view(), p.lesson()
	if v.Now != start || p.stateHash() != startHash {
		t.Errorf("after Reset step: time %d, hash %s; the step started at %d with %s", v.Now, p.stateHash(), start, startHash)
	}
	if st.Attempts <= before.Attempts || st.StepID != l.Steps[0].ID {
		t.Errorf("after Reset step: %+v (before: %d attempts)", st, before.Attempts)
	}
	if l.Steps[0].Predict != nil && (st.Locked || st.Prediction == nil || !st.Prediction.Answered) {
		t.Errorf("after Reset step the prediction is unanswered again: %+v", st.Prediction)
	}
	p.shot("reset")

	// Show me plays the solution from the step's start and marks the step.
	s.press("lesson-showme")
	p.waitFor("Show me reaches every goal", goalsMet, 20*time.Second)
	if st := p.lesson(); !st.Assisted || !st.Done {
		t.Errorf("after Show me the step is %+v, want done and assisted", st)
	}
	p.waitFor("the progress marks the step shown", fmt.Sprintf(`smrlabTest.progress().then((p) => p.lessons[%q].steps[%q].assisted)`,
		l.ID, l.Steps[0].ID), 5*time.Second)
	p.shot("shown")

	// Go on to step 2, and reload.
	s.solveStep(l, 0)
	s.press("lesson-next")
	p.waitFor("step 2", `smrlabTest.lesson().step === 1`, 10*time.Second)
	if got := eval[string](p, `location.search`); got != "?lesson="+l.ID+"&step=2" {
		t.Errorf("on step 2 the address says %q", got)
	}
	p.exec(`dispatchEvent(new Event('pagehide'))`)
	p.navigate("")
	p.waitReady()
	prog := eval[map[string]any](p, `smrlabTest.progress()`)
	lp, _ := prog["lessons"].(map[string]any)[l.ID].(map[string]any)
	if lp == nil || lp["current"] != float64(1) {
		t.Fatalf("after a reload the progress is %v, want lesson %s at step 2", prog, l.ID)
	}
	if sp, _ := lp["steps"].(map[string]any)[l.Steps[0].ID].(map[string]any); sp == nil || sp["done"] != true || sp["assisted"] != true ||
		sp["attempts"].(float64) < 1 {
		t.Errorf("after a reload step %s's progress is %v", l.Steps[0].ID, sp)
	}
	p.click("lessons")
	p.waitFor("the catalogue opens", `!!document.querySelector('[data-testid="lesson-dialog"]')?.open`, 10*time.Second)
	p.waitFor("the catalogue shows the progress", fmt.Sprintf(`(document.querySelector('[data-testid="lesson-progress-%s"]') || {}).textContent === '1 of %d steps done'`,
		l.ID, len(l.Steps)), 10*time.Second)
	p.shot("catalogue-progress")
	p.click("lesson-start-" + l.ID)
	p.waitFor("Continue opens step 2", `(() => { const l = smrlabTest.lesson(); return l && l.step === 1; })()`, 20*time.Second)

	// Export the progress, break it, import it back.
	p.click("lesson-catalogue")
	path, data := p.download(dl, func() { p.click("progress-export") })
	var exported map[string]any
	if err := json.Unmarshal(data, &exported); err != nil || exported["format"] != "smrlab-progress" {
		t.Fatalf("the exported progress %s is %.100q (%v)", filepath.Base(path), data, err)
	}
	dir := t.TempDir()
	for _, bad := range []struct{ name, body, want string }{
		{"broken.json", "{\n  \"format\": \"smrlab-progress\",\n  \"version\": 1,,\n}", "line 3, column"},
		{"other.json", `{"format": "something-else", "version": 1}`, `format: want "smrlab-progress"`},
		{"hints.json", `{"format": "smrlab-progress", "version": 1, "student": "s1", "lessons": {"` + l.ID + `": {"steps": {"a": {"hints": "two"}}}}}`,
			`lessons["` + l.ID + `"].steps["a"].hints: want a whole number`},
	} {
		f := filepath.Join(dir, bad.name)
		if err := os.WriteFile(f, []byte(bad.body), 0o644); err != nil {
			t.Fatal(err)
		}
		p.importProgress(f)
		if st := p.text("progress-status"); !strings.HasPrefix(st, "✖ "+bad.name) || !strings.Contains(st, bad.want) || !strings.Contains(st, "Nothing was changed") {
			t.Errorf("importing %s: %q, want an error naming %q", bad.name, st, bad.want)
		}
	}
	p.shot("import-error")
	if again := p.progressNoWall(); again != normProgress(t, data) {
		t.Errorf("a refused import changed the progress: %s, was %s", again, data)
	}
	// A fresh browser profile takes the exported file.
	q := newPage(t)
	q.open("")
	q.click("lessons")
	q.waitFor("the catalogue opens", `!!document.querySelector('[data-testid="lesson-dialog"]')?.open`, 10*time.Second)
	q.importProgress(path)
	if st := q.text("progress-status"); !strings.HasPrefix(st, "✓") {
		t.Fatalf("importing the exported progress: %q", st)
	}
	if got, want := eval[string](q, `smrlabTest.student()`), exported["student"]; got != want {
		t.Errorf("after the import the student is %q, the file's is %v", got, want)
	}
	q.waitFor("the catalogue shows the imported progress", fmt.Sprintf(`(document.querySelector('[data-testid="lesson-progress-%s"]') || {}).textContent === '1 of %d steps done'`,
		l.ID, len(l.Steps)), 5*time.Second)

	// Bad links: a clear error, the lab runs, the progress is kept.
	kept := p.progressNoWall()
	for _, bad := range []struct{ query, want string }{
		{"?lesson=no-such-lesson", `no lesson "no-such-lesson"`},
		{"?lesson=" + l.ID + "&step=99", fmt.Sprintf("has %d steps", len(l.Steps))},
		{"?lesson=" + l.ID + "&step=0", "steps count from 1"},
		{"?lesson=" + l.ID + "&step=nope", `no step "nope"`},
	} {
		p.open(bad.query)
		p.waitFor("the banner for "+bad.query, `!document.querySelector('[data-testid="error-banner"]').hidden`, 10*time.Second)
		if text := p.text("error-banner"); !strings.Contains(text, "lesson link could not be opened") || !strings.Contains(text, bad.want) {
			t.Errorf("%s: the banner says %q, want it to say %q", bad.query, strings.TrimSpace(text), bad.want)
		}
		if v := p.view(); v.Scenario != "lab" || len(v.Servers) == 0 {
			t.Errorf("%s: the lab runs %q instead of the default cluster", bad.query, v.Scenario)
		}
		if got := p.progressNoWall(); got != kept {
			t.Errorf("%s changed the progress", bad.query)
		}
	}
	p.shot("bad-link")
	p.click("banner-close")
}

// progressNoWall is the page's progress as JSON, without the wall time
// (which grows while a step is open), in the order normProgress writes.
func (p *page) progressNoWall() string {
	p.tb.Helper()
	return normProgress(p.tb, []byte(eval[string](p, `smrlabTest.progress().then((p) => JSON.stringify(p))`)))
}

// normProgress rewrites a progress file's JSON without its wall times, keys
// sorted.
func normProgress(tb testing.TB, data []byte) string {
	tb.Helper()
	var p map[string]any
	if err := json.Unmarshal(data, &p); err != nil {
		tb.Fatal(err)
	}
	lessons, _ := p["lessons"].(map[string]any)
	for _, l := range lessons {
		steps, _ := l.(map[string]any)["steps"].(map[string]any)
		for _, s := range steps {
			delete(s.(map[string]any), "wallMs")
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// importProgress hands a file to the catalogue's progress import.
func (p *page) importProgress(path string) {
	p.tb.Helper()
	p.exec(`document.querySelector('[data-testid="progress-status"]').textContent = ''`)
	if err := chromedp.Do(p.ctx, chromedp.SetUploadFiles(testID("progress-import"), []string{path})); err != nil {
		p.fatalf("choosing %s: %v", path, err)
	}
	p.waitFor("progress-status reports on "+filepath.Base(path), fmt.Sprintf(`document.querySelector('[data-testid="progress-status"]').textContent.includes(%s)`,
		jsString(filepath.Base(path))), 10*time.Second)
}

// A lesson on the manual scheduler: its steps are taken in the next-step
// panel, the only control it offers, and its prediction locks the panel.
func TestBrowserLessonNextStepPanel(t *testing.T) {
	l := testLesson(t, "90-next-step-walk.lesson")
	p := newPage(t)
	p.open("?lesson=" + l.ID)
	p.waitFor("the lesson opens", fmt.Sprintf(`(() => { const l = smrlabTest.lesson(); return l && l.lesson === %q; })()`, l.ID), 20*time.Second)
	p.waitFor("the next-step panel shows, highlighted", `(() => { const e = document.querySelector('[data-testid="steps-panel"]');
		return !e.hidden && e.classList.contains('lesson-highlight'); })()`, 10*time.Second)
	checkOnlyOfferedControls(p, l.Steps[0].Controls)
	p.shot("next-step-lesson")
	s := student{p: p}
	s.finishLesson(l, 0)
	p.shot("next-step-done")
	p.noBanner()

	// An internal error in a lesson shows as in the lab: the banner with
	// the world's seed and its trace to download.
	dl := p.allowDownloads()
	p.exec(`smrlabTest.simulatePanic()`)
	p.waitFor("the panic banner", `!document.querySelector('[data-testid="error-banner"]').hidden`, 5*time.Second)
	if text := p.text("error-banner"); !strings.Contains(text, fmt.Sprintf("seed %d", l.Seed)) {
		t.Errorf("the banner says %q, want the lesson world's seed %d", strings.TrimSpace(text), l.Seed)
	}
	_, rec := p.download(dl, func() { p.click("banner-download") })
	if !json.Valid(rec) || !strings.Contains(string(rec), fmt.Sprintf(`"seed": "%d"`, l.Seed)) || !strings.Contains(string(rec), "deliver m") {
		t.Errorf("the trace offered is not the lesson's run: %.120q", rec)
	}
	p.click("banner-close")
}

// Before the prediction is answered the run controls are disabled on the
// page, clicks and keys change nothing (neither the time nor the state
// hash), and the simulator itself refuses to run or act.
func TestBrowserLessonLockedUntilPredicted(t *testing.T) {
	l := testLesson(t, "90-next-step-walk.lesson")
	p := newPage(t)
	p.open("?lesson=" + l.ID + "&step=votes")
	p.waitFor("the prediction locks the step", `(() => { const l = smrlabTest.lesson(); return l && l.stepId === 'votes' && l.locked; })()`, 20*time.Second)
	p.waitFor("the next-step panel's buttons are drawn", `document.querySelectorAll('[data-testid="steps"] button').length > 0`, 10*time.Second)
	p.idle()
	now, hash := p.view().Now, p.stateHash()
	p.shot("locked")

	disabled := eval[[]string](p, `[...document.querySelectorAll('[data-testid="steps"] button, [data-testid="play"], [data-testid="crash-leader"]')]
		.filter((b) => !b.disabled).map((b) => b.dataset.testid)`)
	if len(disabled) != 0 {
		t.Errorf("controls enabled while the prediction waits: %v", disabled)
	}
	// Clicks (the mouse on a disabled button, and a scripted click), keys.
	// (chromedp's click on a disabled button lands and does nothing.)
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	chromedp.Run(ctx, chromedp.Click(`[data-testid="steps"] button`, chromedp.NodeVisible))
	cancel()
	p.exec(`for (const b of document.querySelectorAll('[data-testid="steps"] button, [data-testid="play"], [data-testid="step-event"]')) b.click()`)
	p.exec(`document.activeElement && document.activeElement.blur && document.activeElement.blur()`)
	for _, k := range []string{" ", "1", "c", "h", "ArrowRight"} {
		p.key(k)
	}
	p.idle()
	time.Sleep(300 * time.Millisecond) // a few frames, had anything started playing
	p.idle()
	if v := p.view(); v.Now != now || p.stateHash() != hash || len(v.Actions) != 0 && v.Actions[len(v.Actions)-1].At > now {
		t.Errorf("locked, the run moved: time %d → %d, hash %s → %s", now, v.Now, hash, p.stateHash())
	}
	// The simulator refuses too.
	for _, c := range []struct {
		fn   string
		args []any
	}{{"frame", []any{100_000}}, {"act", []any{"campaign S2"}}, {"step", []any{"event"}}} {
		res := p.tryCall(c.fn, c.args...)
		if res.OK || !strings.Contains(res.Error, "answer the prediction first") {
			t.Errorf("%s while locked: %+v, want a refusal saying to answer the prediction first", c.fn, res)
		}
	}
	if v := p.view(); v.Now != now || p.stateHash() != hash {
		t.Errorf("the refused calls moved the run: time %d → %d", now, v.Now)
	}
	s := student{p: p}
	s.press("choice-b")
	p.waitFor("answering unlocks the panel", `!smrlabTest.lesson().locked &&
		[...document.querySelectorAll('[data-testid="steps"] button')].every((b) => !b.disabled)`, 5*time.Second)
	p.shot("unlocked")
	s.solveStepActions(l, 1)
	p.waitFor("the wrong answer is marked once the run shows the right one", `(() => {
		const n = document.querySelector('[data-testid="lesson-predict-note"]').textContent;
		return smrlabTest.lesson().done && n.includes('Not quite') && n.includes('answer is a'); })()`, 10*time.Second)
	p.shot("revealed-wrong")
	p.noBanner()
}

// solveStepActions takes a step's solution by the controls, nothing more.
func (s student) solveStepActions(l *lesson.Lesson, i int) {
	for _, a := range l.Steps[i].Solution {
		s.act(a)
	}
}

// The lesson panel, its prediction card and the catalogue have no serious
// or critical accessibility finding by axe-core (vendored in testdata/axe).
func TestBrowserLessonAccessibility(t *testing.T) {
	l := testLesson(t, "90-next-step-walk.lesson")
	axe := readAxe(t)
	p := newPage(t)
	p.open("?lesson=" + l.ID + "&step=votes")
	p.waitFor("the prediction card", `(() => { const l = smrlabTest.lesson(); return l && l.locked; })()`, 20*time.Second)
	p.exec(axe)
	check := func(what, selector string) {
		t.Helper()
		p.idle()
		out := eval[string](p, `axe.run(`+jsString(selector)+`, {resultTypes: ['violations']}).then((r) => JSON.stringify(r.violations
			.filter((v) => v.impact === 'serious' || v.impact === 'critical')
			.map((v) => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ') + ': ' + n.failureSummary)}))))`)
		var found []struct {
			ID, Impact, Help string
			Nodes            []string
		}
		if err := json.Unmarshal([]byte(out), &found); err != nil {
			t.Fatalf("%s: axe's answer %q: %v", what, out, err)
		}
		for _, f := range found {
			t.Errorf("%s: axe %s (%s): %s\n  %s", what, f.ID, f.Impact, f.Help, strings.Join(f.Nodes, "\n  "))
		}
		t.Logf("%s: %d serious or critical findings", what, len(found))
	}
	check("the lesson panel, locked by a prediction", "#lesson-panel")
	p.click("choice-a")
	student{p: p}.solveStepActions(l, 1)
	p.waitFor("the step is done", `smrlabTest.lesson().done`, 10*time.Second)
	check("the lesson panel, done and revealed", "#lesson-panel")
	p.click("lesson-catalogue")
	p.waitFor("the catalogue", `document.querySelector('[data-testid="lesson-dialog"]').open`, 5*time.Second)
	check("the course's catalogue", "#lesson-dialog")
	p.click("lesson-dialog-close")
	p.click("lesson-exit")
	p.waitFor("the welcome-free lab", `document.querySelector('[data-testid="lesson-panel"]').hidden`, 5*time.Second)
	p.noBanner()
}

func readAxe(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "axe", "axe.min.js.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := io.Copy(&b, zr); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// A step that starts a fresh world: the page starts afresh with it (five
// servers from time 0, after three), and a lesson that hides its bug toggle
// shows it nowhere, not even in a step that offers every control: no bug
// name, no bugs picker, no scenario bar, no share link or export.
func TestBrowserLessonFreshWorldHidesBugs(t *testing.T) {
	l := testLesson(t, "91-fresh-world-walk.lesson")
	p := newPage(t)
	p.open("?lesson=" + l.ID)
	p.waitFor("the lesson opens", fmt.Sprintf(`(() => { const l = smrlabTest.lesson(); return l && l.lesson === %q; })()`, l.ID), 20*time.Second)
	s := student{p: p}
	s.solveStep(l, 0)
	s.press("lesson-next")
	p.waitFor("the fresh world of step 2", `(() => { const v = smrlabTest.view(), l = smrlabTest.lesson();
		return l.step === 1 && v.servers.length === 5 && v.now < 500000 &&
			document.querySelectorAll('[data-testid^="select-S"]').length === 5; })()`, 10*time.Second)
	v := p.view()
	if !strings.Contains(v.Bugs, "learner-votes") {
		t.Fatalf("the step's world runs bugs %q, want learner-votes (the test's premise)", v.Bugs)
	}
	for _, id := range []string{"bugs-picker", "share", "open", "scenario-picker", "import-file"} {
		if p.visible(id) {
			t.Errorf("%s shows in a lesson that hides its bugs", id)
		}
	}
	if eval[bool](p, `document.body.innerText.includes('learner-votes')`) {
		t.Errorf("the page shows the hidden bug's name: %q", p.text("scenario-info"))
	}
	if !p.visible("crash-leader") || !p.visible("play") {
		t.Error("a step that offers every control hides the run controls")
	}
	p.shot("fresh-world")
	s.solveStep(l, 1)
	p.noBanner()
}

// The lessons need no labserver: served by a plain static file server (as
// `make site` is meant to be), a lesson's link opens and runs.
func TestBrowserLessonOnAStaticHost(t *testing.T) {
	labServerURL(t) // builds the app
	srv := httptest.NewServer(http.FileServer(http.Dir(app.dir)))
	defer srv.Close()
	l := testLesson(t, "90-next-step-walk.lesson")
	p := newPage(t)
	p.base = srv.URL + "/"
	p.open("?lesson=" + l.ID)
	p.waitFor("the lesson opens from static files", fmt.Sprintf(`(() => { const l = smrlabTest.lesson();
		return l && l.lesson === %q && !document.querySelector('[data-testid="lesson-panel"]').hidden; })()`, l.ID), 20*time.Second)
	student{p: p}.solveStep(l, 0)
	p.noBanner()
}
