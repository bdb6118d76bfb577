package hub

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"smrlab/cmd/labserver/internal/pgtest"
)

// Two labservers share one PostgreSQL. A room lives on A; B refuses its
// students, naming A. A dies (SIGKILL); once A's lease runs out, B takes
// the room over by replaying its inputs, at the hash A's students saw,
// and each token finds its seat.
func TestTakeoverOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	common := []string{"-db", dsn, "-teacher-key", testKey, "-lease", "1s"}
	a := startLabserver(t, append(common, "-instance", "A")...)
	rm := openRoomAt(t, a.url, map[string]any{"scenario": "leader-crash.scn", "seed": 2})
	b := startLabserver(t, append(common, "-instance", "B")...)

	teach, _ := joinAt(t, a.url, teacherHello(rm.Code))
	ada, adaSync := joinAt(t, a.url, studentHello(rm.Code, "Ada", ""))
	teach.send(map[string]any{"t": "role", "seq": 1, "seat": adaSync.Seat, "role": "server", "server": "S3"})
	teach.await("ack")
	ada.send(act(1, "crash S3"))
	ada.await("ack")
	in := ada.await("input")

	// B knows the room but A holds it.
	c, _, err := dial(t, b.url, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.send(studentHello(rm.Code, "Ada", adaSync.Token))
	mustRefuse(t, c, `instance "A"`)
	if status, body := callAPI(t, b.url, "POST", "/api/rooms/"+rm.ID+"/close", testKey, nil); status != http.StatusConflict || !strings.Contains(string(body), `instance \"A\"`) {
		t.Fatalf("closing A's room through B: %d %s, want 409 naming A", status, body)
	}
	if status, body := callAPI(t, b.url, "GET", "/api/rooms/"+rm.ID+"/recording", testKey, nil); status != http.StatusOK || !strings.Contains(string(body), "crash S3") {
		t.Fatalf("A's room's recording from B (replayed from the store): %d %s", status, body)
	}

	a.kill()
	// Reconnect as a browser does, until B has the room (A's lease is 1s).
	deadline := time.Now().Add(readWait)
	var s frame
	for {
		c, _, err := dial(t, b.url, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.send(studentHello(rm.Code, "Ada", adaSync.Token))
		f := c.next()
		if f.T == "sync" {
			s, ada = f, c
			break
		}
		if f.T != "error" || !strings.Contains(f.Reason, `instance "A"`) || time.Now().After(deadline) {
			t.Fatalf("connecting to B after A died: %s", f.raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if s.Seat != adaSync.Seat || s.At != in.At || s.Hash != in.Hash {
		t.Fatalf("on B: seat %d at %d hash %s; on A: seat %d at %d hash %s", s.Seat, s.At, s.Hash, adaSync.Seat, in.At, in.Hash)
	}
	if got := nativeHash(t, s); got != s.Hash {
		t.Fatalf("B's sync: hash %s, its recording replays to %s", s.Hash, got)
	}
	ada.send(act(2, "restart S3"))
	if f := ada.await("ack"); f.N != in.N+1 {
		t.Fatalf("Ada's act on B is input %d, want %d", f.N, in.N+1)
	}
	if !strings.Contains(b.stderr.String(), "room restored") {
		t.Errorf("B logged no restore:\n%s", b.stderr.String())
	}
}
