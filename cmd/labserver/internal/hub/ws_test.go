package hub

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"smrlab/core/room"
	"smrlab/exercises"
	"smrlab/lessons"
)

// A student joins, gets a token and a seat, acts within its role, and a
// reconnect with the token finds the same seat; a replayed seq changes
// nothing.
func TestWSJoinActRejoin(t *testing.T) {
	th := newTestHub(t)
	rm := th.openRoom(nil)
	teach, tsync := th.teacher(rm.Code)
	if tsync.Seat != 0 {
		t.Fatalf("teacher's seat %d, want 0", tsync.Seat)
	}
	ada, sync := th.student(rm.Code, "Ada", "")
	if sync.Seat != 1 || sync.Token == "" {
		t.Fatalf("Ada's sync: seat %d token %q, want seat 1 and a token", sync.Seat, sync.Token)
	}
	teach.send(map[string]any{"t": "role", "seq": 1, "seat": 1, "role": "server", "server": "S1"})
	teach.await("ack")

	ada.send(act(1, "crash S1"))
	ack := ada.await("ack")
	in := ada.await("input")
	tin := teach.await("input")
	if in.N != ack.N || tin.N != in.N || tin.Hash != in.Hash || in.Text != "crash S1" || in.Seat != 1 {
		t.Fatalf("ack %s; Ada's input %s; teacher's input %s", ack.raw, in.raw, tin.raw)
	}

	// Another seat's server: refused with a reason naming the seat's own.
	ada.send(act(2, "crash S2"))
	if f := ada.await("refused"); f.Seq != 2 || !strings.Contains(f.Reason, "S1") {
		t.Fatalf("crash S2 from S1's seat: %s", f.raw)
	}

	// The same seq again: dup, and no input anywhere.
	ada.send(act(1, "restart S1"))
	if f := ada.await("dup"); f.Seq != 1 {
		t.Fatalf("replayed seq 1: %s", f.raw)
	}

	// A reload: the token finds seat 1, with its last seq; no new seat.
	ada.ws.Close(websocket.StatusNormalClosure, "")
	again, sync2 := th.student(rm.Code, "Ada", sync.Token)
	if sync2.Seat != 1 || sync2.Token != "" || sync2.LastSeq != 2 {
		t.Fatalf("rejoin: seat %d token %q lastSeq %d, want seat 1, no token, lastSeq 2", sync2.Seat, sync2.Token, sync2.LastSeq)
	}
	if sync2.Hash != in.Hash {
		t.Fatalf("rejoin's hash %s, want the room's %s", sync2.Hash, in.Hash)
	}
	again.send(act(3, "restart S1"))
	again.await("ack")
	var list []roomInfo
	_, body := th.api("GET", "/api/rooms", testKey, nil)
	if err := json.Unmarshal(body, &list); err != nil || len(list) != 1 || list[0].Seats != 1 {
		t.Fatalf("GET /api/rooms after a rejoin: %s (want one room with one seat)", body)
	}
}

// Bad hellos are refused with a reason naming what is wrong, then closed.
func TestWSBadHello(t *testing.T) {
	th := newTestHub(t)
	rm := th.openRoom(nil)
	for _, tc := range []struct {
		name  string
		hello string
		want  string
	}{
		{"not JSON", `hello`, "bad hello"},
		{"unknown field", `{"t":"hello","v":1,"code":"` + rm.Code + `","as":"student","name":"Ada","token":"","mode":"lockstep","admin":true}`, "admin"},
		{"wrong version", `{"t":"hello","v":2,"code":"` + rm.Code + `","as":"student","name":"Ada","token":""}`, "version"},
		{"no such room", `{"t":"hello","v":1,"code":"AAAAAA","as":"student","name":"Ada","token":""}`, "no room has the code AAAAAA"},
		{"student with a key", `{"t":"hello","v":1,"code":"` + rm.Code + `","as":"student","name":"Ada","key":"x"}`, "key"},
		{"wrong teacher key", `{"t":"hello","v":1,"code":"` + rm.Code + `","as":"teacher","key":"guess"}`, "wrong teacher key"},
		{"trailing data", `{"t":"hello","v":1,"code":"` + rm.Code + `","as":"projector"} {}`, "bad hello"},
		{"not a hello", `{"t":"act","seq":1,"text":"crash S1"}`, "bad hello"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := th.dial()
			c.sendRaw([]byte(tc.hello))
			mustRefuse(t, c, tc.want)
		})
	}
	th.awaitMetric(`smrlab_refused_total{reason="teacher_key"}`, 1)
	th.awaitMetric(`smrlab_refused_total{reason="hello"}`, 5)
}

// A frame past room.FrameBytesMax closes the connection (1009), before or
// after the hello; frames after the hello are decoded strictly by the room.
func TestWSOversizedFrameAndUnknownField(t *testing.T) {
	th := newTestHub(t)
	rm := th.openRoom(nil)
	c := th.dial()
	c.sendRaw([]byte(`{"t":"hello","v":1,"code":"` + rm.Code + `","as":"projector","pad":"` + strings.Repeat("x", 5000) + `"}`))
	if status, _ := c.closed(); status != websocket.StatusMessageTooBig {
		t.Fatalf("oversized hello: close status %v, want %v", status, websocket.StatusMessageTooBig)
	}

	ada, _ := th.student(rm.Code, "Ada", "")
	ada.send(map[string]any{"t": "act", "seq": 1, "text": "crash S1", "as": "teacher"})
	if f := ada.await("refused"); !strings.HasPrefix(f.Reason, "as: unknown field") {
		t.Fatalf("unknown field: %s", f.raw)
	}
	// An act over room.FrameBytesMax (but within a progress frame's bound)
	// is the room's to refuse; a frame over readBytesMax closes.
	ada.sendRaw([]byte(`{"t":"act","seq":2,"text":"` + strings.Repeat("x", 4100) + `"}`))
	if f := ada.await("refused"); !strings.Contains(f.Reason, "over the limit") {
		t.Fatalf("an act of 4 KiB: %s", f.raw)
	}
	ada.sendRaw([]byte(`{"t":"progress","seq":3,"pad":"` + strings.Repeat("x", readBytesMax) + `"}`))
	if status, _ := ada.closed(); status != websocket.StatusMessageTooBig {
		t.Fatalf("a frame over %d bytes: close status %v", readBytesMax, status)
	}
	th.awaitMetric(`smrlab_refused_total{reason="frame_size"}`, 2)
}

// A seat's bytes budget refuses large frames past it before the room
// decodes them, and a connection sending at twice the budget is closed by
// its reader: a flood of 64 KiB frames cannot hold a room's goroutine.
func TestWSBytesBudget(t *testing.T) {
	th := newTestHub(t, func(_ *Config, l *limits) { l.byteRate, l.byteBurst = rate.Every(time.Hour), 10000 })
	rm := th.openRoom(nil)
	ada, _ := th.student(rm.Code, "Ada", "")
	big := func(seq int) []byte {
		return []byte(`{"t":"progress","seq":` + strconv.Itoa(seq) + `,"pad":"` + strings.Repeat("x", 6000) + `"}`)
	}
	ada.sendRaw(big(1)) // within the budget: the room decodes (and refuses) it
	if f := ada.await("refused"); strings.Contains(f.Reason, "too many bytes") {
		t.Fatalf("the first 6 KB frame: %s", f.raw)
	}
	for seq := 2; seq <= 3; seq++ {
		ada.sendRaw(big(seq))
		if f := ada.await("refused"); f.Seq != int64(seq) || !strings.Contains(f.Reason, "too many bytes") {
			t.Fatalf("frame %d past the seat's bytes budget: %s", seq, f.raw)
		}
	}
	ada.sendRaw(big(4)) // past twice the budget: closed by the reader
	if status, _ := ada.closed(); status != websocket.StatusPolicyViolation {
		t.Fatalf("a flood of bytes: close status %v, want %v", status, websocket.StatusPolicyViolation)
	}
	th.awaitMetric(`smrlab_refused_total{reason="byte_rate"}`, 2)
	th.awaitMetric(`smrlab_refused_total{reason="flood_bytes"}`, 1)
}

// A page of another site cannot open the websocket; -origin allows more.
func TestWSOrigin(t *testing.T) {
	th := newTestHub(t, func(c *Config, _ *limits) { c.OriginPatterns = []string{"lab.example.org"} })
	rm := th.openRoom(nil)
	_, resp, err := dial(t, th.srv.URL, http.Header{"Origin": {"http://evil.example.com"}}, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("another site's origin: err %v, response %v; want 403", err, resp)
	}
	th.awaitMetric(`smrlab_refused_total{reason="origin"}`, 1)
	for _, origin := range []string{"http://lab.example.org", th.srv.URL} {
		c, _, err := dial(t, th.srv.URL, http.Header{"Origin": {origin}}, nil)
		if err != nil {
			t.Fatalf("origin %s: %v", origin, err)
		}
		c.send(studentHello(rm.Code, "Ada", ""))
		c.await("sync")
	}
}

// Only the teacher runs the clock, assigns roles and closes; a student
// cannot claim the teacher's seat without the key.
func TestWSTeacherOnly(t *testing.T) {
	th := newTestHub(t)
	rm := th.openRoom(nil)
	ada, _ := th.student(rm.Code, "Ada", "")
	for i, f := range []map[string]any{
		{"t": "clock", "seq": 1, "op": "play"},
		{"t": "role", "seq": 2, "seat": 1, "role": "nemesis"},
		{"t": "close", "seq": 3},
	} {
		ada.send(f)
		if r := ada.await("refused"); r.Seq != int64(i+1) || !strings.Contains(r.Reason, "only the teacher") {
			t.Fatalf("%v from a student: %s", f["t"], r.raw)
		}
	}
	// An observer acts on nothing.
	ada.send(act(4, "crash S1"))
	if r := ada.await("refused"); r.Seq != 4 {
		t.Fatalf("an observer's crash: %s", r.raw)
	}
	c := th.dial()
	c.send(map[string]any{"t": "hello", "v": 1, "code": rm.Code, "as": "teacher", "key": "not-the-key"})
	mustRefuse(t, c, "wrong teacher key")
	// The teacher's own pause goes through and reaches the student.
	teach, _ := th.teacher(rm.Code)
	teach.send(map[string]any{"t": "clock", "seq": 1, "op": "play"})
	teach.await("ack")
	if f := ada.await("clock"); f.Op != "play" {
		t.Fatalf("the student's clock frame: %s", f.raw)
	}
	th.awaitMetric(`smrlab_refused_total{reason="role"}`, 4)
}

// A seat acting faster than its rate is refused with the reason; the
// address's join rate refuses a burst of connections.
func TestWSRateLimits(t *testing.T) {
	th := newTestHub(t, func(_ *Config, l *limits) {
		l.actionRate, l.actionBurst = rate.Every(time.Hour), 3
		l.joinRate, l.joinBurst = rate.Every(time.Hour), 4
	})
	rm := th.openRoom(nil)
	teach, _ := th.teacher(rm.Code)
	ada, _ := th.student(rm.Code, "Ada", "")
	teach.send(map[string]any{"t": "role", "seq": 1, "seat": 1, "role": "server", "server": "S1"})
	teach.await("ack")
	for seq := int64(1); seq <= 3; seq++ {
		ada.send(act(seq, []string{"crash S1", "restart S1"}[seq%2]))
		ada.await("ack")
	}
	ada.send(act(4, "crash S1"))
	if f := ada.await("refused"); f.Seq != 4 || !strings.Contains(f.Reason, "too many actions") {
		t.Fatalf("the 4th act within the burst of 3: %s", f.raw)
	}
	// Two connections so far; two more fill the burst of four.
	for range 2 {
		p := th.dial()
		p.send(map[string]any{"t": "hello", "v": 1, "code": rm.Code, "as": "projector"})
		p.await("sync")
	}
	c := th.dial()
	mustRefuse(t, c, "too many connections from your address")
	th.awaitMetric(`smrlab_refused_total{reason="action_rate"}`, 1)
	th.awaitMetric(`smrlab_refused_total{reason="join_rate"}`, 1)
}

// A room seats -room-seats students, a server holds -server-seats
// connections and -rooms rooms.
func TestWSSeatCaps(t *testing.T) {
	th := newTestHub(t, func(c *Config, _ *limits) { c.RoomSeats, c.ServerSeats, c.Rooms = 2, 4, 1 })
	rm := th.openRoom(nil)
	th.student(rm.Code, "Ada", "")
	_, bob := th.student(rm.Code, "Bob", "")
	c := th.dial()
	c.send(studentHello(rm.Code, "Cy", ""))
	mustRefuse(t, c, "is full")
	// A seated student comes back even when the room is full.
	th.student(rm.Code, "Bob", bob.Token)
	th.teacher(rm.Code)
	// Four connections are open: the fifth is refused before its hello.
	c = th.dial()
	mustRefuse(t, c, "this labserver is full")
	status, body := th.api("POST", "/api/rooms", testKey, map[string]any{"scenario": "leader-crash.scn"})
	if status != http.StatusServiceUnavailable || !strings.Contains(string(body), "-rooms") {
		t.Fatalf("a second room past -rooms 1: %d %s", status, body)
	}
	for _, reason := range []string{"room_seats", "server_seats", "rooms"} {
		th.awaitMetric(`smrlab_refused_total{reason="`+reason+`"}`, 1)
	}
}

// A client that never reads fills its socket and its send queue: the
// room drops its frames for a fresh sync (and closes it after dropsMax
// drops), while every other seat gets every input frame.
func TestWSSlowConsumer(t *testing.T) {
	th := newTestHub(t, func(_ *Config, l *limits) {
		l.sendQueueMax = 32
		l.frameRate, l.frameBurst = rate.Inf, 0
	})
	// Serve through small socket buffers, so that the slow client's
	// kernel buffers hold a few kilobytes, not megabytes.
	th.srv.Close()
	srv := httptest.NewUnstartedServer(th.srv.Config.Handler)
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	th.srv = srv

	rm := th.openRoom(nil)
	teach, _ := th.teacher(rm.Code)
	ada, _ := th.student(rm.Code, "Ada", "")
	slow, _, err := dial(t, srv.URL, nil, &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{
		DialContext: (&net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
		}}).DialContext,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	slow.send(studentHello(rm.Code, "Slow", ""))
	// The slow client now reads nothing until the acts are done.

	const acts = 400
	// Ada reads all along, and the teacher acts again only once Ada has
	// the last input: her queue never holds more than a frame or two,
	// however slowly this machine runs her goroutines. got says what went
	// wrong for her.
	got := make(chan string, 1)
	seen := make(chan struct{}, acts)
	go func() {
		var last uint64
		for n := 0; n < acts; {
			f, err := ada.read()
			switch {
			case err != nil:
				got <- err.Error()
				return
			case f.T == "sync" || f.T == "error":
				got <- "Ada got " + string(f.raw)
				return
			case f.T == "input" && f.N <= last:
				got <- fmt.Sprintf("Ada's input %d after %d", f.N, last)
				return
			case f.T == "input":
				last = f.N
				n++
				seen <- struct{}{}
			}
		}
	}()
	for seq := int64(1); seq <= acts; seq++ {
		teach.send(act(seq, []string{"crash S1", "restart S1"}[seq%2]))
		teach.await("ack")
		select {
		case <-seen:
		case msg := <-got:
			t.Fatalf("the reading student, at act %d: %s", seq, msg)
		}
	}
	th.awaitMetric("smrlab_slow_consumers_total", 1)
	// The slow client got a fresh sync after its first sync, or was
	// closed (its close frame may be stuck behind its full socket).
	syncs, inputs := 0, 0
	for {
		f, err := slow.read()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("slow client: still open after %d syncs, %d inputs", syncs, inputs)
			}
			break
		}
		if f.T == "input" {
			inputs++
		}
		if f.T == "sync" {
			syncs++
		}
		if syncs >= 2 {
			break
		}
	}
	if inputs >= acts {
		t.Fatalf("the slow client got all %d inputs: its queue never overflowed", inputs)
	}
}

// A client that answers no ping is closed after pongWait.
func TestWSPingTimeout(t *testing.T) {
	th := newTestHub(t, func(_ *Config, l *limits) { l.pingEvery, l.pongWait = 50*time.Millisecond, 2*time.Second })
	rm := th.openRoom(nil)
	// Bob reads all along, so his pongs go back: he stays through the
	// dozens of pings that pass while Ada is found dead.
	bob, _ := th.student(rm.Code, "Bob", "")
	frames := make(chan frame, 100)
	go func() {
		for {
			f, err := bob.read()
			if err != nil {
				close(frames)
				return
			}
			if f.T == "refused" {
				frames <- f
			}
		}
	}()
	c := th.dial()
	c.send(studentHello(rm.Code, "Ada", ""))
	// Reading nothing, this client answers no ping (coder/websocket
	// answers pings inside Read).
	th.awaitMetric(`smrlab_refused_total{reason="ping_timeout"}`, 1)
	if status, _ := c.closed(); status != websocket.StatusPolicyViolation {
		t.Fatalf("close status %v, want %v", status, websocket.StatusPolicyViolation)
	}
	bob.send(act(1, "crash S1"))
	for f := range frames {
		if f.T == "refused" && f.Seq == 1 {
			return // an observer's act, answered: Bob is still connected
		}
	}
	t.Fatal("Bob, who answered every ping, was disconnected")
}

// No hello within helloWait: an error frame, then the close.
func TestWSHelloTimeout(t *testing.T) {
	th := newTestHub(t, func(_ *Config, l *limits) { l.helloWait = 100 * time.Millisecond })
	c := th.dial()
	mustRefuse(t, c, "no hello within")
}

// The teacher closes the room: everyone gets "closed" and is disconnected,
// nobody joins it again, and its recording and audit log stay.
func TestRoomCloseKeepsRecordingAndAudit(t *testing.T) {
	th := newTestHub(t)
	rm := th.openRoom(nil)
	teach, _ := th.teacher(rm.Code)
	ada, _ := th.student(rm.Code, "Ada", "")
	teach.send(map[string]any{"t": "role", "seq": 1, "seat": 1, "role": "server", "server": "S2"})
	teach.await("ack")
	ada.send(act(1, "crash S2"))
	in := ada.await("input")
	ada.send(act(2, "crash S3"))
	ada.await("refused")

	status, body := th.api("POST", "/api/rooms/"+rm.ID+"/close", testKey, nil)
	if status != http.StatusOK {
		t.Fatalf("close: %d %s", status, body)
	}
	for _, c := range []*client{teach, ada} {
		_, frames := c.closed()
		if k := kinds(frames); len(k) == 0 || !strings.Contains(strings.Join(k, " "), "closed") {
			t.Fatalf("frames before the close: %v, want a closed frame", k)
		}
	}
	c := th.dial()
	c.send(studentHello(rm.Code, "Bob", ""))
	mustRefuse(t, c, "closed")

	status, rec := th.api("GET", "/api/rooms/"+rm.ID+"/recording", testKey, nil)
	if status != http.StatusOK || !bytes.Contains(rec, []byte("crash S2")) {
		t.Fatalf("recording of the closed room: %d %s", status, rec)
	}
	var list []roomInfo
	_, body = th.api("GET", "/api/rooms", testKey, nil)
	if err := json.Unmarshal(body, &list); err != nil || len(list) != 1 || list[0].Closed == 0 {
		t.Fatalf("GET /api/rooms: %s", body)
	}

	status, audit := th.api("GET", "/api/rooms/"+rm.ID+"/audit.jsonl", testKey, nil)
	if status != http.StatusOK {
		t.Fatalf("audit: %d %s", status, audit)
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(audit))
	for sc.Scan() {
		var e struct {
			Room  string `json:"room"`
			Actor string `json:"actor"`
			Kind  string `json:"kind"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %s: %v", sc.Bytes(), err)
		}
		seen[e.Kind] = true
	}
	for _, k := range []string{"open", "role", "refused", "close"} {
		if !seen[k] {
			t.Errorf("the audit log lacks %q entries:\n%s", k, audit)
		}
	}
	if _, all := th.api("GET", "/api/audit.jsonl", testKey, nil); !bytes.Equal(all, audit) {
		t.Errorf("the whole audit log differs from the only room's:\n%s\n%s", all, audit)
	}
	_ = in
}

// The API wants the teacher key for everything but the exercise list,
// and says what was wrong.
func TestRoomAPI(t *testing.T) {
	th := newTestHub(t)
	for _, tc := range []struct {
		method, path, key string
		body              any
		status            int
		want              string
	}{
		{"GET", "/api/rooms", "", nil, 401, "teacher key"},
		{"GET", "/api/rooms", "wrong-key", nil, 403, "wrong teacher key"},
		{"POST", "/api/rooms", testKey, map[string]any{"scenario": "nope.scn"}, 400, "nope.scn"},
		{"POST", "/api/rooms", testKey, map[string]any{"scenario": "../go.mod"}, 400, "plain name"},
		{"POST", "/api/rooms", testKey, map[string]any{"source": "servers 3\nfrobnicate\n"}, 400, "room.scn:"},
		{"POST", "/api/rooms", testKey, map[string]any{"scenario": "leader-crash.scn", "color": "red"}, 400, "color"},
		{"POST", "/api/rooms", testKey, map[string]any{"exercise": "nope"}, 400, "nope"},
		{"POST", "/api/rooms/0123456789abcdef/close", testKey, nil, 404, "no room"},
		{"GET", "/api/rooms/0123456789abcdef/recording", testKey, nil, 404, "no room"},
		{"GET", "/api/nothing", "", nil, 404, "no API"},
	} {
		status, body := th.api(tc.method, tc.path, tc.key, tc.body)
		if status != tc.status || !strings.Contains(string(body), tc.want) {
			t.Errorf("%s %s: %d %s, want %d with %q", tc.method, tc.path, status, body, tc.status, tc.want)
		}
	}
	status, body := th.api("GET", "/api/exercises", "", nil)
	var list []exercises.Info
	if err := json.Unmarshal(body, &list); status != 200 || err != nil || len(list) < 3 {
		t.Fatalf("GET /api/exercises: %d %s", status, body)
	}
	for _, ex := range list {
		rm := th.openRoom(map[string]any{"exercise": ex.Name, "seed": 3})
		if rm.Code == "" || !strings.HasPrefix(rm.Join, "/join?code=") {
			t.Errorf("room for exercise %s: %+v", ex.Name, rm)
		}
	}
	status, body = th.api("GET", "/api/lessons", "", nil)
	var course []lessons.Info
	if err := json.Unmarshal(body, &course); status != 200 || err != nil || len(course) < 9 || course[0].Name != "01-elections" || course[0].Steps == 0 {
		t.Fatalf("GET /api/lessons: %d %.300s", status, body)
	}
	status, body = th.api("GET", "/healthz", "", nil)
	if status != 200 || !strings.Contains(string(body), `"ok":true`) {
		t.Errorf("healthz: %d %s", status, body)
	}
	ctx := context.Background()
	if _, made, err := TeacherKey(ctx, th.st, "", false); err != nil || made != "" {
		t.Errorf("a stored key is kept: made %q, %v", made, err)
	}
}

// A projector in views mode gets view models while the room plays, and
// cannot act; a browser whose hash differs is told and counted.
func TestWSProjectorViewsAndDivergence(t *testing.T) {
	th := newTestHub(t)
	rm := th.openRoom(nil)
	teach, _ := th.teacher(rm.Code)
	proj := th.dial()
	proj.send(map[string]any{"t": "hello", "v": 1, "code": rm.Code, "as": "projector", "mode": "views"})
	if f := proj.await("sync"); f.Seat != -1 {
		t.Fatalf("projector's sync: seat %d, want -1", f.Seat)
	}
	proj.send(act(1, "crash S1"))
	if f := proj.await("refused"); !strings.Contains(f.Reason, "projector") {
		t.Fatalf("a projector's act: %s", f.raw)
	}
	teach.send(map[string]any{"t": "clock", "seq": 1, "op": "play"})
	teach.await("ack")
	for {
		f, err := proj.read()
		if err != nil {
			t.Fatalf("awaiting a view: %v", err)
		}
		if f.T == "view" {
			break
		}
	}

	ada, _ := th.student(rm.Code, "Ada", "")
	ada.send(map[string]any{"t": "hash", "at": 0, "hash": "0123456789abcdef"})
	if f := ada.await("diverged"); f.At != 0 {
		t.Fatalf("a wrong hash at 0: %s", f.raw)
	}
	th.awaitMetric("smrlab_divergences_total", 1)
	th.awaitMetric(`smrlab_refused_total{reason="projector"}`, 1)
	th.awaitMetric(`smrlab_sim_events_total{room="`+rm.ID+`"}`, 1)
	resp, err := http.Get(th.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	for _, name := range []string{"smrlab_rooms 1", "smrlab_seats_connected 3", `smrlab_frames_total{dir="in"}`,
		`smrlab_bytes_total{dir="out"}`, "smrlab_store_seconds_count",
		"smrlab_action_fanout_seconds_count", "smrlab_slow_consumers_total 0", "go_memstats_heap_inuse_bytes"} {
		if !strings.Contains(body.String(), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// A client sending frames far past a seat's frame rate is closed before
// its flood reaches the room.
func TestWSFlood(t *testing.T) {
	th := newTestHub(t, func(_ *Config, l *limits) { l.frameRate, l.frameBurst = rate.Every(time.Hour), 5 })
	rm := th.openRoom(nil)
	ada, _ := th.student(rm.Code, "Ada", "")
	go func() {
		for i := 0; i < 50; i++ {
			if ada.ws.Write(context.Background(), websocket.MessageText, []byte(`{"t":"resync"}`)) != nil {
				return
			}
		}
	}()
	// The close frame may be lost to the writes racing it: the server
	// ending the connection, and saying why in its metrics, is the test.
	if status, _ := ada.closed(); status != websocket.StatusPolicyViolation && status != -1 {
		t.Fatalf("a flood: close status %v, want %v", status, websocket.StatusPolicyViolation)
	}
	th.awaitMetric(`smrlab_refused_total{reason="flood"}`, 1)
	th.awaitMetric(`smrlab_refused_total{reason="frame_rate"}`, 1)
}

// A hub started on a store restores its open rooms; one whose replay
// differs from its stored hash is still served, and the difference is
// logged and counted.
func TestRestartRestoresAndCountsDivergence(t *testing.T) {
	db := filepath.Join(t.TempDir(), "rooms.db")
	th := newTestHubOn(t, db)
	rm := th.openRoom(nil)
	teach, _ := th.teacher(rm.Code)
	teach.send(act(1, "crash S2"))
	in := teach.await("input")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	th.h.Shutdown(sctx)
	row, ok, err := th.st.RoomByID(sctx, rm.ID)
	if err != nil || !ok || row.Hash != in.Hash {
		t.Fatalf("the stored room after a shutdown: %+v %v %v (want its hash %s stored)", row, ok, err, in.Hash)
	}
	bad := row.Progress()
	bad.Hash = "0123456789abcdef"
	if err := th.st.Apply(sctx, []room.Record{bad}); err != nil {
		t.Fatal(err)
	}

	th2 := newTestHubOn(t, db)
	th2.awaitMetric("smrlab_divergences_total", 1)
	th2.awaitMetric("smrlab_rooms", 1)
	if !strings.Contains(th2.log.String(), "restored room differs from its stored hash") {
		t.Errorf("no divergence logged:\n%s", th2.log.String())
	}
	_, s := th2.student(rm.Code, "Ada", "")
	if s.Hash != in.Hash {
		t.Fatalf("the restored room's hash %s, want %s (its inputs are its truth)", s.Hash, in.Hash)
	}
}

// Wrong teacher keys spend the address's budget: past it, the API answers
// 429 without comparing keys.
func TestRoomAPIKeyRate(t *testing.T) {
	th := newTestHub(t, func(_ *Config, l *limits) { l.keyRate, l.keyBurst = rate.Every(time.Hour), 3 })
	for i := range 3 {
		if status, _ := th.api("GET", "/api/rooms", "guess-"+strconv.Itoa(i), nil); status != http.StatusForbidden {
			t.Fatalf("wrong key %d: %d, want 403", i, status)
		}
	}
	if status, body := th.api("GET", "/api/rooms", "guess-again", nil); status != http.StatusTooManyRequests {
		t.Fatalf("a wrong key past the budget: %d %s, want 429", status, body)
	}
	th.awaitMetric(`smrlab_refused_total{reason="key_rate"}`, 1)
}
