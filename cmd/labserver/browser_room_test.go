package main

// The classroom room in real browsers: a real labserver (its run, with its
// embedded SQLite store in a temporary folder) and one Chromium with a
// browser context per person, so that each has its own localStorage: a
// teacher who opens the room on /teach and drives its clock, and three
// students who join on /join. Every page runs the room in lockstep in its
// own WebAssembly simulator and must show the same run: a crash one student
// makes shows on every screen at the same virtual time, a student cannot
// crash another's server, a reload takes the same seat, a pause stops every
// screen at the same time, and a run that differs from the room's shows a
// banner and resyncs.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const roomTeacherKey = "browser-room-test-teacher-key-0123456789"

// startRoomServer starts the labserver as its main does (run, in this
// process) on a free loopback port, serving the app built for the browser
// tests, with a fresh SQLite store and a known teacher key; it returns the
// server's base URL ("http://127.0.0.1:N/").
func startRoomServer(tb testing.TB) string {
	tb.Helper()
	labServerURL(tb) // builds the app into app.dir
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := tb.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-addr", addr, "-dir", app.dir, "-db", filepath.Join(dir, "rooms.db"),
			"-teacher-key", roomTeacherKey, "-instance", "browser-test"}, &out, &out)
	}()
	tb.Cleanup(func() {
		cancel()
		<-done
		if tb.Failed() {
			tb.Logf("the labserver's output:\n%s", lastLines(out.String(), 60))
		}
	})
	base := "http://" + addr + "/"
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		select {
		case code := <-done:
			tb.Fatalf("the labserver stopped (exit code %d):\n%s", code, out.String())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the labserver did not answer /healthz within 20 s (%v):\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// press clicks a control of a page without the lab (/teach, /join).
func (p *page) press(id string) {
	p.tb.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(testID(id))); err != nil {
		p.fatalf("clicking %s: %v", id, err)
	}
}

// roomState is what smrlabTest.room() returns (room.js's state).
type roomState struct {
	Code      string `json:"code"`
	As        string `json:"as"`
	Mode      string `json:"mode"`
	Seat      *int   `json:"seat"`
	Name      string `json:"name"`
	Connected bool   `json:"connected"`
	Synced    bool   `json:"synced"`
	Closed    bool   `json:"closed"`
	Fatal     string `json:"fatal"`
	LocalNow  int64  `json:"localNow"`
	LastNow   int64  `json:"lastNow"`
	AppliedN  uint64 `json:"appliedN"`
	Clock     struct {
		Playing  bool  `json:"playing"`
		SpeedPpm int64 `json:"speedPpm"`
		At       int64 `json:"at"`
	} `json:"clock"`
	Role *struct {
		Role   string `json:"role"`
		Server string `json:"server"`
	} `json:"role"`
	Seats []struct {
		Seat     int    `json:"seat"`
		Name     string `json:"name"`
		Online   bool   `json:"online"`
		Diverged bool   `json:"diverged"`
	} `json:"seats"`
	Divergences int `json:"divergences"`
	Diverged    *struct {
		At  int64  `json:"at"`
		Why string `json:"why"`
	} `json:"diverged"`
}

func (p *page) room() roomState {
	p.tb.Helper()
	return eval[roomState](p, `smrlabTest.room()`)
}

// roomPage opens a tab in a browser context of its own (its own
// localStorage: another person's browser).
func roomPage(p *page, base string) *page {
	q := p.newTab(chromedp.WithNewBrowserContext())
	q.base = base
	return q
}

// waitSynced waits until the page has joined the room and runs its run.
func (p *page) waitSynced() roomState {
	p.tb.Helper()
	p.waitFor("the room's first sync", `window.smrlabTest && smrlabTest.room() && smrlabTest.room().synced &&
		smrlabTest.room().connected && !!smrlabTest.view()`, 30*time.Second)
	return p.room()
}

// serverUp reads whether server id is up in the page's latest view.
func serverUp(p *page, id uint32) bool {
	p.tb.Helper()
	for _, s := range p.view().Servers {
		if s.ID == id {
			return s.Up
		}
	}
	p.fatalf("no S%d in the view", id)
	return false
}

// actionAt returns the virtual time of the page's recorded action whose text
// ends with text (-1 when none).
func actionAt(p *page, text string) int64 {
	p.tb.Helper()
	for _, a := range p.view().Actions {
		if strings.HasSuffix(a.Text, " "+text) {
			return a.At
		}
	}
	return -1
}

func TestBrowserRoom(t *testing.T) {
	start := time.Now()
	base := startRoomServer(t)
	teacher := newPage(t)
	teacher.base = base

	// The single-user lab is the same page, and stays itself without ?room=.
	teacher.open("")
	teacher.advance(500_000)
	if teacher.visible("room-panel") || eval[bool](teacher, `smrlabTest.room() !== null`) {
		t.Errorf("the lab without ?room= shows a room")
	}

	// /teach: the key, then a room on the default cluster, seed 3.
	teacher.navigate("teach")
	teacher.waitFor("the teach page", `!!document.querySelector('[data-testid="open-form"]')`, 10*time.Second)
	teacher.setInput("teacher-key", "not the key")
	teacher.press("key-save")
	teacher.waitFor("a wrong key refused", `document.querySelector('[data-testid="rooms-msg"]').textContent.includes('wrong')`, 10*time.Second)
	teacher.allow(`status of 40[13] .*api/rooms`)
	teacher.setInput("teacher-key", roomTeacherKey)
	teacher.press("key-save")
	teacher.waitFor("the key accepted", `document.querySelector('[data-testid="key-msg"]').textContent.includes('accepted')`, 10*time.Second)
	teacher.waitFor("the exercises in the form", `document.querySelectorAll('[data-testid="open-exercise"] option').length >= 4`, 10*time.Second)
	teacher.setInput("open-seed", "3")
	teacher.press("open-submit")
	teacher.waitFor("the room opened", `!document.querySelector('[data-testid="opened"]').hidden`, 15*time.Second)
	code := strings.TrimSpace(teacher.text("opened-code"))
	if len(code) != 6 {
		t.Fatalf("the opened room's code is %q, want 6 characters", code)
	}
	if join := teacher.text("opened-join"); !strings.Contains(join, "join?code="+code) {
		t.Errorf("the join link is %q, want one with join?code=%s", join, code)
	}
	teacher.waitFor("the room in the rooms list", fmt.Sprintf(`!!document.querySelector('[data-testid="rooms"] tr[data-code=%q]')`, code), 10*time.Second)

	// The teacher's view of the room.
	teacher.navigate("?room=" + code + "&as=teacher")
	tr := teacher.waitSynced()
	if tr.As != "teacher" || tr.Mode != "lockstep" {
		t.Fatalf("the teacher's page: as %q, mode %q; want teacher in lockstep", tr.As, tr.Mode)
	}

	// /join: a wrong code is refused on the page; then three students.
	names := []string{"Ada", "Barbara", "Edsger"}
	students := make([]*page, len(names))
	for i, name := range names {
		s := roomPage(teacher, base)
		students[i] = s
		if i == 0 {
			// A code no room has: the page says so, and offers the join page.
			s.navigate("?room=AAAAAA&name=" + name)
			s.waitFor("the refusal of an unknown code", `!document.querySelector('[data-testid="error-banner"]').hidden &&
				document.querySelector('[data-testid="error-banner"]').textContent.includes('AAAAAA')`, 15*time.Second)
			if st := s.room(); st.Fatal == "" || st.Connected {
				t.Errorf("an unknown code: the page's room state %+v, want it refused", st)
			}
		}
		s.navigate("join?code=" + code)
		s.waitFor("the join page", `!!document.querySelector('[data-testid="join-form"]')`, 10*time.Second)
		if i == 0 {
			s.setInput("join-code", "OOPS1")
			s.setInput("join-name", name)
			s.press("join-submit")
			if msg := s.text("join-msg"); !strings.Contains(msg, "not a room code") {
				t.Errorf("a wrong code: join-msg %q, want it to say it is not a room code", msg)
			}
			s.setInput("join-code", code)
		}
		s.setInput("join-name", name)
		s.press("join-submit")
		st := s.waitSynced()
		if st.Seat == nil || *st.Seat != i+1 || st.Name != name {
			t.Fatalf("student %s: seat %v name %q, want seat %d", name, st.Seat, st.Name, i+1)
		}
	}
	t.Logf("teacher and %d students in room %s after %v", len(students), code, time.Since(start).Round(time.Millisecond))
	everyone := append([]*page{teacher}, students...)

	// The teacher makes each student a server: S1, S2, S3.
	teacher.waitFor("three students in the teacher's seats list", `document.querySelectorAll('[data-testid="room-seats"] li.seat').length === 3`, 10*time.Second)
	for i := range students {
		sel := fmt.Sprintf("seat-role-%d", i+1)
		teacher.exec(fmt.Sprintf(`(() => { const s = document.querySelector('[data-testid=%q]'); s.value = 'server:S%d';
			s.dispatchEvent(new Event('change', {bubbles: true})); })()`, sel, i+1))
		students[i].waitFor(fmt.Sprintf("student %d is S%d", i+1, i+1),
			fmt.Sprintf(`document.querySelector('[data-testid="room-you"]').textContent.includes('You are S%d')`, i+1), 10*time.Second)
	}
	if k := students[0].text("room-knows"); !strings.Contains(k, "What S1 knows") || !strings.Contains(k, "current term") {
		t.Errorf("student 1's panel of what S1 knows: %q", k)
	}
	if !students[0].visible("room-clock-note") || eval[bool](students[0], `!document.querySelector('[data-testid="play"]').disabled`) {
		t.Errorf("a student's clock controls are not disabled with the teacher's note")
	}

	// The teacher plays the room at 1x.
	teacher.exec(`document.querySelector('[data-testid="speed"]').value = '9';
		document.querySelector('[data-testid="speed"]').dispatchEvent(new Event('input', {bubbles: true}))`)
	teacher.click("play")
	for _, p := range everyone {
		p.waitFor("the room playing at 1x", `smrlabTest.room().clock.playing && smrlabTest.room().clock.speedPpm === 1000000`, 10*time.Second)
	}
	for _, p := range everyone {
		p.waitFor("the run past 1 s", `smrlabTest.view().now > 1000000`, 20*time.Second)
	}

	// A student crashes their own server (S1) from the ring's menu: every
	// screen shows S1 down, from the same virtual time.
	ada := students[0]
	ada.clickServer(1)
	ada.click("menu-crash")
	ada.waitFor("the crash's status line", `document.querySelector('[data-testid="action-status"]').textContent !== ''`, 15*time.Second)
	if st := ada.text("action-status"); !strings.Contains(st, "crash S1") || strings.Contains(st, "✖") {
		t.Errorf("after Ada's crash, the action status says %q", st)
	}
	var crashAt int64 = -1
	for _, p := range everyone {
		p.waitFor("S1 down", `smrlabTest.view().servers.find((s) => s.id === 1).up === false`, 15*time.Second)
		at := actionAt(p, "crash S1")
		if at < 0 {
			p.fatalf("S1 is down and the page's actions hold no crash S1: %+v", p.view().Actions)
		}
		if crashAt < 0 {
			crashAt = at
		} else if at != crashAt {
			t.Errorf("the crash of S1 is at %d on one screen and %d on another", crashAt, at)
		}
	}
	t.Logf("S1 crashed at %d µs on every screen", crashAt)
	ada.shot("student-S1-crashed")
	teacher.shot("teacher")

	// The projector shows the room's own views: S1 down, read-only.
	projector := roomPage(teacher, base)
	projector.navigate("?room=" + code + "&as=projector")
	projector.waitFor("the projector's first view with S1 down", `window.smrlabTest && smrlabTest.room() &&
		smrlabTest.room().mode === 'views' && !!smrlabTest.view() &&
		smrlabTest.view().servers.find((s) => s.id === 1).up === false`, 20*time.Second)
	projector.shot("projector")
	if projector.visible("play") || projector.visible("crash-leader") {
		t.Errorf("the projector shows controls")
	}
	projector.closeOnce()

	// A student cannot crash another's server: the reason shows, nothing
	// changes.
	barbara := students[1]
	applied := barbara.room().AppliedN
	barbara.clickServer(3)
	barbara.click("menu-crash")
	barbara.waitFor("the refusal's reason", `document.querySelector('[data-testid="room-status"]').textContent.includes('Refused')`, 10*time.Second)
	if msg := barbara.text("room-status"); !strings.Contains(msg, "S2") {
		t.Errorf("the refusal says %q: it should name the student's own server, S2", msg)
	}
	if !serverUp(barbara, 3) || !serverUp(students[2], 3) || actionAt(teacher, "crash S3") >= 0 {
		t.Errorf("a refused crash of S3 changed the run")
	}
	if got := barbara.room().AppliedN; got != applied {
		t.Errorf("a refused action reached the room's inputs: %d inputs applied, then %d", applied, got)
	}

	// A run that differs from the room's is shown, and resynced: this
	// screen restarts S1 behind the room's back.
	edsger := students[2]
	if !eval[bool](edsger, `smrlabTest.roomForgeSession('restart S1')`) {
		t.Fatal("the forged action did not run")
	}
	edsger.waitFor("the divergence banner", `!document.querySelector('[data-testid="room-diverged"]').hidden &&
		smrlabTest.room().divergences > 0`, 15*time.Second)
	if txt := edsger.text("room-diverged"); !strings.Contains(txt, "differs from the room") && !strings.Contains(txt, "Resynced") {
		t.Errorf("the divergence banner says %q", txt)
	}
	edsger.waitFor("the resync", `document.querySelector('[data-testid="room-diverged"]').dataset.state === 'resynced' &&
		smrlabTest.view().servers.find((s) => s.id === 1).up === false`, 20*time.Second)

	// A reload takes the same seat, with no duplicate in the seats list.
	edsger.navigate("?room=" + code)
	st := edsger.waitSynced()
	if st.Seat == nil || *st.Seat != 3 || st.Name != "Edsger" {
		t.Errorf("after a reload: seat %v name %q, want seat 3, Edsger", st.Seat, st.Name)
	}
	teacher.waitFor("seat 3 online again", `smrlabTest.room().seats.filter((s) => s.seat === 3 && s.online).length === 1`, 10*time.Second)
	if n := len(teacher.room().Seats); n > 4 {
		t.Errorf("after a reload the seats list holds %d seats (teacher and three students at most)", n)
	}

	// A dropped connection reconnects to the same seat.
	barbara.exec(`smrlabTest.roomDropSocket()`)
	barbara.waitFor("the reconnection", `smrlabTest.room().connected && smrlabTest.room().seat === 2 &&
		document.querySelector('[data-testid="room-conn"]').dataset.state === 'online'`, 15*time.Second)

	// The teacher pauses: every screen stops at the same virtual time.
	teacher.click("pause")
	var pausedAt int64 = -1
	for _, p := range everyone {
		p.waitFor("the room paused, this screen at its time", `!smrlabTest.room().clock.playing &&
			smrlabTest.view().now === smrlabTest.room().clock.at && !smrlabTest.room().due`, 15*time.Second)
		now := p.view().Now
		if pausedAt < 0 {
			pausedAt = now
		} else if now != pausedAt {
			t.Errorf("after the pause, one screen is at %d and another at %d", pausedAt, now)
		}
	}
	hash := teacher.stateHash()
	for _, p := range students {
		if h := p.stateHash(); h != hash {
			t.Errorf("paused at %d, a student's state hash is %s, the teacher's %s", pausedAt, h, hash)
		}
	}
	t.Logf("paused at %d µs on every screen, state hash %s; %v in all", pausedAt, hash, time.Since(start).Round(time.Millisecond))

	// The teacher goes back to 2 s on the time bar: every screen follows,
	// to the same state.
	if res := teacher.tryCall("goto", 2_000_000); !res.OK {
		t.Fatalf("the teacher's goto: %s", res.Error)
	}
	for _, p := range everyone {
		p.waitFor("every screen back at 2 s", `smrlabTest.room().clock.at === 2000000 && smrlabTest.view().now === 2000000 &&
			!smrlabTest.room().due`, 15*time.Second)
	}
	hash = teacher.stateHash()
	for _, p := range students {
		if h := p.stateHash(); h != hash {
			t.Errorf("back at 2 s, a student's state hash is %s, the teacher's %s", h, hash)
		}
	}
	// The panel shows the state the screen and the room agree on: what a
	// teacher checks an exported recording against.
	for _, p := range everyone {
		p.waitFor("the agreed state hash shown", fmt.Sprintf(`document.querySelector('[data-testid="room-agreed"]').textContent.includes(%s)`,
			jsString("state hash "+hash)), 10*time.Second)
	}

	// A screen whose simulator keeps giving another state than the room's
	// (here: each of its next syncs followed by an action of its own) stops
	// running the room and shows the server's views instead.
	barbara.exec(`smrlabTest.roomForgeSyncs(3, 'crash S2'); smrlabTest.roomResync()`)
	barbara.waitFor("the views of the room after three bad syncs", `smrlabTest.room().mode === 'views' &&
		smrlabTest.room().connected && smrlabTest.view().now === 2000000 &&
		smrlabTest.view().servers.find((s) => s.id === 2).up`, 20*time.Second)
	if st := barbara.text("room-status"); !strings.Contains(st, "own run") {
		t.Errorf("after the switch to views, the status says %q", st)
	}

	// The teacher closes the room: every student sees it closed.
	teacher.exec(`window.confirm = () => true`)
	teacher.click("room-close")
	for _, p := range students {
		p.waitFor("the room closed", `smrlabTest.room().closed &&
			document.querySelector('[data-testid="room-conn"]').dataset.state === 'closed'`, 10*time.Second)
	}
	act := ada.tryCall("act", "restart S1")
	if act.OK || !strings.Contains(act.Error, "closed") {
		t.Errorf("an action in a closed room: %+v, want it refused as closed", act)
	}
	barbara.navigate("?room=" + code)
	barbara.waitFor("a closed room's message", `!document.querySelector('[data-testid="error-banner"]').hidden &&
		document.querySelector('[data-testid="error-banner"]').textContent.includes('closed')`, 15*time.Second)

	// The teacher's recording download holds the crash.
	id := eval[string](teacher, `smrlabTest.room().room.id`)
	resp, err := roomAPI(base, "GET", "api/rooms/"+id+"/recording")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp, "crash S1") {
		t.Errorf("the room's recording lacks the crash of S1: %.300s", resp)
	}
	// The same recording, imported into the single-user lab, reaches the
	// state the room showed when it closed (paused back at 2 s).
	recPath := filepath.Join(t.TempDir(), "room-recording.json")
	if err := os.WriteFile(recPath, []byte(resp), 0o644); err != nil {
		t.Fatal(err)
	}
	barbara.navigate("")
	barbara.waitReady()
	barbara.importFile(recPath)
	if h := barbara.stateHash(); h != hash {
		t.Errorf("the room's recording imported into the lab gives state hash %s, the room showed %s", h, hash)
	}
	if v := barbara.view(); v.Now != 2_000_000 {
		t.Errorf("the room's recording imported into the lab opens at %d µs, the room closed at 2 s", v.Now)
	}

	// An exercise: "be a server" under the manual scheduler. The room deals
	// the servers; the steps panel offers the next steps, and a student
	// takes only their own server's.
	teacher.navigate("teach")
	teacher.waitFor("the exercises in the form", `document.querySelectorAll('[data-testid="open-exercise"] option[value="be-a-server"]').length === 1`, 10*time.Second)
	teacher.exec(`(() => { const s = document.querySelector('[data-testid="open-exercise"]'); s.value = 'be-a-server';
		s.dispatchEvent(new Event('change', {bubbles: true})); })()`)
	teacher.press("open-submit")
	teacher.waitFor("the second room opened", fmt.Sprintf(`!document.querySelector('[data-testid="opened"]').hidden &&
		document.querySelector('[data-testid="opened-code"]').textContent !== %q`, code), 15*time.Second)
	code2 := strings.TrimSpace(teacher.text("opened-code"))
	teacher.navigate("?room=" + code2 + "&as=teacher")
	teacher.waitSynced()
	ada.navigate("join?code=" + code2)
	ada.waitFor("the join page", `!!document.querySelector('[data-testid="join-form"]')`, 10*time.Second)
	ada.press("join-submit") // the name is remembered
	st = ada.waitSynced()
	if st.Role == nil || st.Role.Role != "server" || st.Role.Server != "S1" || st.Name != "Ada" {
		t.Fatalf("the exercise's first seat: %+v %+v, want Ada as server S1", st.Role, st.Name)
	}
	ada.waitFor("the exercise's goals", `document.querySelectorAll('[data-testid="room-exercise"] li.goal').length === 3 &&
		document.querySelector('[data-testid="room-exercise"]').textContent.includes('Be a server')`, 10*time.Second)
	ada.waitFor("the next steps", `!document.querySelector('[data-testid="steps-panel"]').hidden &&
		!!document.querySelector('[data-testid="step-campaign-S2"]') && !!document.querySelector('[data-testid="step-campaign-S1"]')`, 10*time.Second)
	ada.click("step-campaign-S2")
	ada.waitFor("the refusal of another server's step", `document.querySelector('[data-testid="room-status"]').textContent.includes('Refused')`, 10*time.Second)
	ada.click("step-campaign-S1")
	teacher.waitFor("S1's campaign on the teacher's screen", `smrlabTest.view().servers.find((s) => s.id === 1).role === 'candidate'`, 15*time.Second)
	if actionAt(teacher, "campaign S2") >= 0 {
		t.Errorf("the refused campaign of S2 reached the room")
	}
}

// roomAPI calls the labserver's API with the teacher key.
func roomAPI(base, method, path string) (string, error) {
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+roomTeacherKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, b)
	}
	return string(b), nil
}
