package hub

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"smrlab/cmd/labserver/internal/pgtest"
	"smrlab/core/lab"
	"smrlab/core/lesson"
	"smrlab/lessons"
	"smrlab/scenarios"
)

// classLesson is the lesson the class tests run.
const classLesson = "01-elections"

// progressEv is one progress frame a student's page sends: the ops since
// the last one and the virtual time reached, built by the native player
// exactly as the page's own player records them.
type progressEv struct {
	ops  []lesson.Op
	now  int64
	step int
	done bool
}

// studentEvents plays the lesson's solution on seed as a student
// following it does, one event per operation or half second of run.
func studentEvents(t *testing.T, seed uint64) []progressEv {
	t.Helper()
	l, err := lessons.Load(classLesson)
	if err != nil {
		t.Fatal(err)
	}
	p, err := lesson.Open(l, seed, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []progressEv
	seen := 0
	emit := func() {
		log := p.Log()
		out = append(out, progressEv{ops: log[seen:], now: p.Now(), step: p.Step(), done: p.Done()})
		seen = len(log)
	}
	for i := range l.Steps {
		st := &l.Steps[i]
		if st.Predict != nil {
			if err := p.Answer(st.Predict.Answer); err != nil {
				t.Fatal(err)
			}
			emit()
		}
		for _, a := range st.Solution {
			if a.Wait > 0 {
				for left := a.Wait; left > 0; left -= 500_000 {
					if err := p.Advance(min(500_000, left)); err != nil {
						t.Fatal(err)
					}
					emit()
				}
				continue
			}
			if err := p.Act(a.Text); err != nil {
				t.Fatal(err)
			}
			emit()
		}
		if !p.Done() {
			t.Fatalf("step %s: the solution does not reach the goals on seed %d", st.ID, seed)
		}
		if i+1 == len(l.Steps) {
			break
		}
		if err := p.Next(); err != nil {
			t.Fatal(err)
		}
		emit()
	}
	return out
}

// opsJSON is ops as the progress frame spells them.
func opsJSON(ops []lesson.Op) []map[string]any {
	out := []map[string]any{}
	for _, op := range ops {
		m := map[string]any{"op": op.Op, "at": op.At}
		if op.Text != "" {
			m["text"] = op.Text
		}
		if op.Choice != "" {
			m["choice"] = op.Choice
		}
		out = append(out, m)
	}
	return out
}

func progressFrame(seq int64, from int, ops []lesson.Op, now int64) map[string]any {
	return map[string]any{"t": "progress", "seq": seq, "lesson": classLesson, "from": from, "ops": opsJSON(ops), "now": now,
		"wall": []map[string]any{}}
}

// firstStep is the events up to the first step's goals met: the ops, and
// the time, of a student who finished step 1.
func firstStep(t *testing.T, seed uint64) ([]lesson.Op, int64) {
	t.Helper()
	var ops []lesson.Op
	for _, ev := range studentEvents(t, seed) {
		ops = append(ops, ev.ops...)
		if ev.done {
			return ops, ev.now
		}
	}
	t.Fatal("the lesson's first step is never done")
	return nil, 0
}

// classFrame is what the tests read of the class frames.
type classFrame struct {
	T        string `json:"t"`
	Seed     uint64 `json:"seed,string"`
	Active   bool   `json:"active"`
	From     int    `json:"from"`
	Step     string `json:"step"`
	Done     []string
	Reason   string `json:"reason"`
	Students []struct {
		Seat      int      `json:"seat"`
		Name      string   `json:"name"`
		Step      string   `json:"step"`
		StepIndex int      `json:"stepIndex"`
		Done      []string `json:"done"`
	} `json:"students"`
}

func decodeClass(t *testing.T, f frame) classFrame {
	t.Helper()
	var cf classFrame
	var aux struct {
		Done []string `json:"done"`
	}
	if err := json.Unmarshal(f.raw, &cf); err != nil {
		t.Fatalf("%s: %v", f.raw, err)
	}
	json.Unmarshal(f.raw, &aux)
	cf.Done = aux.Done
	return cf
}

// awaitClass reads until a frame of kind kind for which ok holds.
func (c *client) awaitClass(kind string, ok func(classFrame) bool) classFrame {
	c.t.Helper()
	for {
		f := c.next()
		if f.T == "error" {
			c.t.Fatalf("awaiting %q, got %s", kind, f.raw)
		}
		if f.T != kind {
			if f.T == "refused" && kind != "refused" {
				c.t.Fatalf("awaiting %q, got %s", kind, f.raw)
			}
			continue
		}
		if cf := decodeClass(c.t, f); ok == nil || ok(cf) {
			return cf
		}
	}
}

// startClass seats the teacher and students, starts the lesson, and
// returns each student's seed from its class frame.
func startClass(t *testing.T, th *testHub, code string, names ...string) (*client, []*client, []frame, []uint64) {
	t.Helper()
	teach, _ := th.teacher(code)
	var studs []*client
	var syncs []frame
	for _, n := range names {
		c, s := th.student(code, n, "")
		studs = append(studs, c)
		syncs = append(syncs, s)
	}
	teach.send(map[string]any{"t": "lesson", "seq": 1, "op": "start", "lessons": []string{classLesson}})
	var seeds []uint64
	for _, c := range studs {
		seeds = append(seeds, c.awaitClass("class", func(f classFrame) bool { return f.Active }).Seed)
	}
	return teach, studs, syncs, seeds
}

var sha256Hex64 = regexp.MustCompile(`[0-9a-f]{64}`)

// Grades: the teacher's key alone gets them; the CSV has a row per
// student with the points the native replay gave, the JSON Lines every
// scored event with its evidence (a SHA-256); on SQLite and PostgreSQL.
func TestClassGradesEndpoints(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			th := newTestHub(t)
			if engine == "postgres" {
				th = newTestHubOn(t, pgtest.DSN(t))
			}
			rm := th.openRoom(nil)
			teach, studs, _, seeds := startClass(t, th, rm.Code, "Ada", "Bob")
			ops, now := firstStep(t, seeds[0])
			studs[0].send(progressFrame(1, 0, ops, now))
			cr := studs[0].awaitClass("credited", nil)
			if len(cr.Done) != 1 {
				t.Fatalf("Ada finished step 1; credited says done %v", cr.Done)
			}
			teach.awaitClass("dashboard", func(d classFrame) bool {
				for _, s := range d.Students {
					if s.Name == "Ada" && len(s.Done) == 1 {
						return true
					}
				}
				return false
			})

			for _, path := range []string{"/grades.csv", "/grades.jsonl"} {
				for key, want := range map[string]int{"": http.StatusUnauthorized, "wrong": http.StatusForbidden} {
					if status, body := th.api("GET", "/api/rooms/"+rm.ID+path, key, nil); status != want {
						t.Errorf("GET %s with key %q: %d %s, want %d", path, key, status, body, want)
					}
				}
				if status, _ := th.api("GET", "/api/rooms/0123456789abcdef"+path, testKey, nil); status != http.StatusNotFound {
					t.Errorf("GET %s of no room: %d, want 404", path, status)
				}
			}
			resp, body := getWithKey(t, th.srv.URL+"/api/rooms/"+rm.ID+"/grades.csv")
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
				resp.Header.Get("Content-Disposition") != `attachment; filename="room-`+rm.Code+`-grades.csv"` {
				t.Fatalf("grades.csv: %d %v\n%s", resp.StatusCode, resp.Header, body)
			}
			// Ada: step 1's 10 points (no hint), her prediction right on
			// its first answer (2); Bob nothing.
			want := "seat,name,01-elections,predictions,hunt,total\n1,Ada,10.00,2.00,0.00,12.00\n2,Bob,0.00,0.00,0.00,0.00"
			if got := strings.TrimSpace(string(body)); got != want {
				t.Fatalf("grades.csv:\n%s\nwant\n%s", got, want)
			}

			resp, body = getWithKey(t, th.srv.URL+"/api/rooms/"+rm.ID+"/grades.jsonl")
			if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "ndjson") ||
				resp.Header.Get("Content-Disposition") != `attachment; filename="room-`+rm.Code+`-grades.jsonl"` {
				t.Fatalf("grades.jsonl: %d %v\n%s", resp.StatusCode, resp.Header, body)
			}
			sc := bufio.NewScanner(bytes.NewReader(body))
			lines, evidence := 0, 0
			for sc.Scan() {
				var m map[string]any
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
					t.Fatalf("grades.jsonl line %d: %v: %s", lines+1, err, sc.Bytes())
				}
				lines++
				if strings.Contains(sc.Text(), "Ada") && sha256Hex64.Match(sc.Bytes()) {
					evidence++
				}
			}
			if lines == 0 || evidence == 0 {
				t.Fatalf("grades.jsonl: %d lines, %d of Ada's with a SHA-256:\n%s", lines, evidence, body)
			}
		})
	}
}

func getWithKey(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp, b.Bytes()
}

// A forged progress frame (a hint the server never granted; a next before
// the goals) changes nothing, is refused with what the replay found, is
// in the audit log and the metrics, and is logged.
func TestClassForgedProgressRefusedAndAudited(t *testing.T) {
	th := newTestHub(t)
	rm := th.openRoom(nil)
	_, studs, _, seeds := startClass(t, th, rm.Code, "Ada")
	ada := studs[0]
	ada.send(progressFrame(1, 0, []lesson.Op{{Op: lesson.OpHint, At: 0}}, 0))
	if f := ada.awaitClass("refused", nil); f.Reason == "" {
		t.Fatal("a hint the server did not grant: refused without a reason")
	}
	ada.send(progressFrame(2, 0, []lesson.Op{{Op: lesson.OpNext, At: 0}}, 0))
	ada.awaitClass("refused", nil)

	// The forged frames changed nothing: the real log starts at 0.
	ops, now := firstStep(t, seeds[0])
	ada.send(progressFrame(3, 0, ops, now))
	if cr := ada.awaitClass("credited", nil); len(cr.Done) != 1 {
		t.Fatalf("the real log after two forged frames: done %v", cr.Done)
	}
	status, audit := th.api("GET", "/api/rooms/"+rm.ID+"/audit.jsonl", testKey, nil)
	if status != 200 || strings.Count(string(audit), "forged") < 2 {
		t.Fatalf("the audit log lacks the two forged progress frames: %d\n%s", status, audit)
	}
	th.awaitMetric(`smrlab_progress_events_total{result="credited"}`, 1)
	if n := th.metric(`smrlab_replay_seconds_count{kind="progress"}`); n < 3 {
		t.Fatalf("smrlab_replay_seconds_count{kind=\"progress\"} = %v, want 3", n)
	}
	if !strings.Contains(th.log.String(), "a progress frame refused") {
		t.Fatalf("the hub logged no forged progress:\n%s", th.log.String())
	}
}

// Progress over a dropped connection: a resend of a frame the server got
// (the same seq; the same ops under a new seq from an old index) counts
// once, and the page resends from where the server asks.
func TestClassProgressOverReconnectCountsOnce(t *testing.T) {
	th := newTestHub(t)
	rm := th.openRoom(nil)
	teach, studs, syncs, seeds := startClass(t, th, rm.Code, "Ada", "Bob")
	evs := studentEvents(t, seeds[0])
	// Bob finishes step 1 in one frame: the points of a step counted once.
	bobOps, bobNow := firstStep(t, seeds[1])
	studs[1].send(progressFrame(1, 0, bobOps, bobNow))
	studs[1].awaitClass("credited", nil)
	ada := studs[0]
	// The first event sent; the socket drops before the page knows.
	ada.send(progressFrame(1, 0, evs[0].ops, evs[0].now))
	ada.awaitClass("credited", nil)
	ada.ws.CloseNow()

	// Queued while down: the first frame again, then the rest up to step
	// 1 done, from index 0 (the page did not see the credit).
	ada2, s := th.student(rm.Code, "Ada", syncs[0].Token)
	if s.Seat != syncs[0].Seat || s.LastSeq != 1 {
		t.Fatalf("Ada's reconnect: seat %d lastSeq %d", s.Seat, s.LastSeq)
	}
	ada2.send(progressFrame(1, 0, evs[0].ops, evs[0].now))
	if f := ada2.await("dup"); f.Seq != 1 {
		t.Fatalf("the same seq again: %s", f.raw)
	}
	var ops []lesson.Op
	var now int64
	for _, ev := range evs {
		ops, now = append(ops, ev.ops...), ev.now
		if ev.done {
			break
		}
	}
	ada2.send(progressFrame(2, 0, ops, now))
	pf := ada2.awaitClass("progress-from", nil)
	if pf.From != len(evs[0].ops) {
		t.Fatalf("progress-from %d, want %d (the ops the server holds)", pf.From, len(evs[0].ops))
	}
	ada2.send(progressFrame(3, pf.From, ops[pf.From:], now))
	if cr := ada2.awaitClass("credited", nil); len(cr.Done) != 1 {
		t.Fatalf("after the resend: done %v", cr.Done)
	}
	teach.awaitClass("dashboard", func(d classFrame) bool {
		for _, s := range d.Students {
			if s.Name == "Ada" && len(s.Done) == 1 {
				return true
			}
		}
		return false
	})
	_, csv := getWithKey(t, th.srv.URL+"/api/rooms/"+rm.ID+"/grades.csv")
	rows := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(rows) != 3 {
		t.Fatalf("grades.csv:\n%s", csv)
	}
	ada3, bob := strings.Split(rows[1], ","), strings.Split(rows[2], ",")
	if a, b := ada3[len(ada3)-1], bob[len(bob)-1]; a != b || a == "0" {
		t.Fatalf("Ada's step 1 over a reconnect is worth %s, Bob's in one frame %s:\n%s", a, b, csv)
	}
}

// A class survives SIGKILL: started again on the same store, the labserver
// has every student's progress (the grades are the same, a student's
// queued resend is answered with the length the server holds and counts
// once), the held prediction's votes (the reveal after the restart shows
// them) and the bug hunt's submissions (its ranking at the end).
func TestClassRestartAfterSIGKILLKeepsProgress(t *testing.T) {
	db := t.TempDir() + "/rooms.db"
	flags := []string{"-db", db, "-teacher-key", testKey, "-instance", "one"}
	p1 := startLabserver(t, flags...)
	rm := openRoomAt(t, p1.url, nil)
	teach, _ := joinAt(t, p1.url, teacherHello(rm.Code))
	ada, adaSync := joinAt(t, p1.url, studentHello(rm.Code, "Ada", ""))
	bob, bobSync := joinAt(t, p1.url, studentHello(rm.Code, "Bob", ""))
	teach.send(map[string]any{"t": "lesson", "seq": 1, "op": "start", "lessons": []string{classLesson}})
	adaSeed := ada.awaitClass("class", func(f classFrame) bool { return f.Active }).Seed
	bob.awaitClass("class", func(f classFrame) bool { return f.Active })

	ops, now := firstStep(t, adaSeed)
	ada.send(progressFrame(1, 0, ops, now))
	ada.awaitClass("credited", nil)
	l, _ := lessons.Load(classLesson)
	held := l.Steps[1]
	teach.send(map[string]any{"t": "hold", "seq": 2, "lesson": classLesson, "step": held.ID})
	teach.awaitAck(2)
	bob.send(map[string]any{"t": "answer", "seq": 1, "lesson": classLesson, "step": held.ID, "round": 1, "choice": held.Predict.Answer})
	bob.await("ack")
	for v := teach.await("votes"); !strings.Contains(string(v.raw), `"answered":1`); v = teach.await("votes") {
	}
	// A bug hunt: Ada's valid find; Bob's forged submission refused.
	teach.send(map[string]any{"t": "hunt", "seq": 3, "op": "start", "bug": "forget-vote-on-restart", "scenario": "manual-sandbox.scn"})
	teach.awaitAck(3)
	ada.sendRaw([]byte(`{"t":"submit","seq":2,"recording":` + huntRecording(t, 8) + `,"guess":"forget-vote-on-restart"}`))
	ada.await("ack")
	bob.sendRaw([]byte(`{"t":"submit","seq":2,"recording":` + huntRecording(t, 5) + `,"guess":"count-stale-votes"}`))
	if f := bob.await("refused"); !strings.Contains(f.Reason, "forged submission") {
		t.Fatalf("Bob's submission that breaks nothing: %s", f.raw)
	}
	if n := metricAt(t, p1.url, `smrlab_submissions_total{result="valid"}`); n != 1 {
		t.Fatalf("smrlab_submissions_total{result=\"valid\"} = %v, want 1", n)
	}
	_, csv1 := getWithKeyAt(t, p1.url, rm.ID, "grades.csv")

	p1.kill()
	p2 := startLabserver(t, flags...)
	if _, csv2 := getWithKeyAt(t, p2.url, rm.ID, "grades.csv"); !bytes.Equal(csv1, csv2) {
		t.Fatalf("the grades after the restart differ:\nbefore %s\nafter  %s", csv1, csv2)
	}
	ada2, s := joinAt(t, p2.url, studentHello(rm.Code, "Ada", adaSync.Token))
	if s.Seat != adaSync.Seat {
		t.Fatalf("Ada's seat after the restart: %d, want %d", s.Seat, adaSync.Seat)
	}
	// Ada's page queued its frame again (it never saw the credit).
	ada2.send(progressFrame(3, 0, ops, now))
	if pf := ada2.awaitClass("progress-from", nil); pf.From != len(ops) {
		t.Fatalf("after the restart the server holds %d of Ada's ops, want %d", pf.From, len(ops))
	}
	if _, csv3 := getWithKeyAt(t, p2.url, rm.ID, "grades.csv"); !bytes.Equal(csv1, csv3) {
		t.Fatalf("Ada's resend changed the grades:\nbefore %s\nafter  %s", csv1, csv3)
	}
	bob2, _ := joinAt(t, p2.url, studentHello(rm.Code, "Bob", bobSync.Token))
	teach2, _ := joinAt(t, p2.url, teacherHello(rm.Code))
	teach2.send(map[string]any{"t": "hunt", "seq": 4, "op": "end"})
	hunt := bob2.await("hunt")
	for hunt.T == "hunt" && !strings.Contains(string(hunt.raw), `"state":"ended"`) {
		hunt = bob2.await("hunt")
	}
	if !strings.Contains(string(hunt.raw), `"name":"Ada"`) || strings.Contains(string(hunt.raw), `"name":"Bob"`) {
		t.Fatalf("the hunt's ranking after the restart: %s (want Ada's find, not Bob's forgery)", hunt.raw)
	}
	if _, audit := getWithKeyAt(t, p2.url, rm.ID, "audit.jsonl"); !strings.Contains(string(audit), "forged submission") {
		t.Fatalf("the audit log lacks Bob's forged submission:\n%s", audit)
	}
	teach2.send(map[string]any{"t": "vote", "seq": 5, "op": "reveal"})
	f := bob2.await("reveal")
	if !strings.Contains(string(f.raw), `"`+held.Predict.Answer+`":1`) {
		t.Fatalf("the reveal after the restart lost Bob's vote: %s", f.raw)
	}
}

// huntRecording is a recording of manual-sandbox.scn a student makes: the
// first n of the steps that elect two leaders in term 1 when a restarted
// server forgets its vote (all 8 break an invariant with that bug; 5 break
// nothing). The recording claims no bug.
func huntRecording(t *testing.T, n int) string {
	t.Helper()
	src, _ := scenarios.Source("manual-sandbox.scn")
	s, err := lab.Open("manual-sandbox.scn", src, lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	steps := []string{"campaign S1", "campaign S2", "deliver m2", "crash S3", "restart S3", "deliver m4", "deliver m5", "deliver m6"}
	for i, a := range steps[:n] {
		s.GoTo(int64(i+1) * 1000)
		if err := s.Act(a); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	h := s.Recording()
	return string(h.AppendJSON(nil))
}

// awaitAck reads until the ack of seq.
func (c *client) awaitAck(seq int64) {
	c.t.Helper()
	for f := c.await("ack"); f.Seq != seq; f = c.await("ack") {
	}
}

func getWithKeyAt(t *testing.T, base, id, file string) (*http.Response, []byte) {
	t.Helper()
	resp, body := getWithKey(t, base+"/api/rooms/"+id+"/"+file)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", file, resp.StatusCode, body)
	}
	return resp, body
}
