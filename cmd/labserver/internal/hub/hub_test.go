package hub

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"smrlab/cmd/labserver/internal/store"
)

// testKey is the teacher key of every test hub.
const testKey = "teacher-key-for-the-tests"

// readWait bounds a test's wait for a frame: long enough for a loaded
// machine, it only keeps a broken test from hanging.
const readWait = 20 * time.Second

// testHub is a hub on a real SQLite file, served by httptest.
type testHub struct {
	t   *testing.T
	h   *Hub
	st  *store.Store
	srv *httptest.Server
	log *syncBuffer
}

// newTestHub starts a hub; opts change its config and limits.
func newTestHub(t *testing.T, opts ...func(*Config, *limits)) *testHub {
	t.Helper()
	return newTestHubOn(t, filepath.Join(t.TempDir(), "rooms.db"), opts...)
}

func newTestHubOn(t *testing.T, dsn string, opts ...func(*Config, *limits)) *testHub {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	hash, _, err := TeacherKey(ctx, st, testKey, false)
	if err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	cfg := Config{
		Store: st, Instance: "test", KeyHash: hash,
		RoomSeats: RoomSeatsDefault, ServerSeats: ServerSeatsDefault, Rooms: RoomsDefault, Lease: LeaseDefault,
		Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	lim := defaultLimits()
	lim.joinBurst = 1000 // tests connect many clients from one address
	for _, o := range opts {
		o(&cfg, &lim)
	}
	h, err := newHub(cfg, lim)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(ctx); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	th := &testHub{t: t, h: h, st: st, srv: httptest.NewServer(mux), log: log}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h.Shutdown(sctx)
		th.srv.Close()
		st.Close()
		if t.Failed() {
			t.Logf("hub log:\n%s", log.String())
		}
	})
	return th
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// api calls the hub's HTTP API; key "" sends no Authorization.
func (th *testHub) api(method, path, key string, body any) (int, []byte) {
	return callAPI(th.t, th.srv.URL, method, path, key, body)
}

func callAPI(t *testing.T, base, method, path, key string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// openRoom opens a room through the API.
func (th *testHub) openRoom(req map[string]any) createdRoom {
	return openRoomAt(th.t, th.srv.URL, req)
}

func openRoomAt(t *testing.T, base string, req map[string]any) createdRoom {
	t.Helper()
	if req == nil {
		req = map[string]any{"scenario": "leader-crash.scn", "seed": 7}
	}
	status, body := callAPI(t, base, "POST", "/api/rooms", testKey, req)
	if status != http.StatusCreated {
		t.Fatalf("POST /api/rooms: %d %s", status, body)
	}
	var c createdRoom
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// metric reads one sample of /metrics: name with its labels as written,
// e.g. `smrlab_refused_total{reason="origin"}`; 0 when absent.
func (th *testHub) metric(sample string) float64 {
	return metricAt(th.t, th.srv.URL, sample)
}

func metricAt(t *testing.T, base, sample string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), sample+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", sample, err)
			}
			return f
		}
	}
	return 0
}

// awaitMetric waits until a sample reaches want: the hub may count a
// refusal just after the client saw its effect.
func (th *testHub) awaitMetric(sample string, want float64) {
	th.t.Helper()
	deadline := time.Now().Add(readWait)
	for {
		got := th.metric(sample)
		if got >= want {
			return
		}
		if time.Now().After(deadline) {
			th.t.Fatalf("%s = %v, want %v", sample, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// frame is what the tests read of a server frame.
type frame struct {
	T         string          `json:"t"`
	Seat      int             `json:"seat"`
	Token     string          `json:"token"`
	Name      string          `json:"name"`
	Seq       int64           `json:"seq"`
	N         uint64          `json:"n"`
	Reason    string          `json:"reason"`
	At        int64           `json:"at"`
	Hash      string          `json:"hash"`
	Text      string          `json:"text"`
	Op        string          `json:"op"`
	LastSeq   int64           `json:"lastSeq"`
	Recording json.RawMessage `json:"recording"`
	raw       []byte
}

// client is a real websocket client of a test.
type client struct {
	t  *testing.T
	ws *websocket.Conn
}

// dial connects to base's /ws with the given header (nil: none).
func dial(t *testing.T, base string, header http.Header, opts *websocket.DialOptions) (*client, *http.Response, error) {
	t.Helper()
	if opts == nil {
		opts = &websocket.DialOptions{}
	}
	opts.HTTPHeader = header
	ctx, cancel := context.WithTimeout(context.Background(), readWait)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", opts)
	if err != nil {
		return nil, resp, err
	}
	ws.SetReadLimit(16 << 20)
	c := &client{t: t, ws: ws}
	t.Cleanup(func() { ws.CloseNow() })
	return c, resp, nil
}

func (th *testHub) dial() *client {
	th.t.Helper()
	c, _, err := dial(th.t, th.srv.URL, nil, nil)
	if err != nil {
		th.t.Fatal(err)
	}
	return c
}

// send writes v as a JSON text frame.
func (c *client) send(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(b)
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), readWait)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("writing %s: %v", b, err)
	}
}

// read returns the next frame, or the error that ended the connection.
func (c *client) read() (frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), readWait)
	defer cancel()
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		return frame{}, err
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		c.t.Fatalf("server frame %s: %v", b, err)
	}
	f.raw = b
	return f, nil
}

// next returns the next frame that is none of the periodic ones (now,
// seats, exercise, view).
func (c *client) next() frame {
	c.t.Helper()
	for {
		f, err := c.read()
		if err != nil {
			c.t.Fatalf("reading a frame: %v", err)
		}
		switch f.T {
		case "now", "seats", "exercise", "view":
			continue
		}
		return f
	}
}

// await reads until a frame of kind t, failing on an error or refusal.
func (c *client) await(t string) frame {
	c.t.Helper()
	for {
		f := c.next()
		if f.T == t {
			return f
		}
		if f.T == "error" || (f.T == "refused" && t != "refused") {
			c.t.Fatalf("awaiting %q, got %s", t, f.raw)
		}
	}
}

// closed reads until the connection ends and returns its close status
// (-1 when it ended without a close frame) and the frames before it.
func (c *client) closed() (websocket.StatusCode, []frame) {
	c.t.Helper()
	var frames []frame
	for {
		f, err := c.read()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				c.t.Fatalf("the connection stayed open; frames: %v", kinds(frames))
			}
			return websocket.CloseStatus(err), frames
		}
		frames = append(frames, f)
	}
}

func kinds(fs []frame) []string {
	var k []string
	for _, f := range fs {
		k = append(k, f.T)
	}
	return k
}

// hello messages.
func teacherHello(code string) map[string]any {
	return map[string]any{"t": "hello", "v": 1, "code": code, "as": "teacher", "key": testKey, "mode": "lockstep"}
}

func studentHello(code, name, token string) map[string]any {
	return map[string]any{"t": "hello", "v": 1, "code": code, "as": "student", "name": name, "token": token, "mode": "lockstep"}
}

// teacher connects the teacher to a room and reads its sync.
func (th *testHub) teacher(code string) (*client, frame) {
	th.t.Helper()
	c := th.dial()
	c.send(teacherHello(code))
	return c, c.await("sync")
}

// student joins a room and reads its sync.
func (th *testHub) student(code, name, token string) (*client, frame) {
	th.t.Helper()
	c := th.dial()
	c.send(studentHello(code, name, token))
	return c, c.await("sync")
}

// mustRefuse expects an error frame whose reason holds want, then a close.
func mustRefuse(t *testing.T, c *client, want string) {
	t.Helper()
	f, err := c.read()
	if err != nil {
		t.Fatalf("want an error frame with %q, the connection ended: %v", want, err)
	}
	if f.T != "error" || !strings.Contains(f.Reason, want) {
		t.Fatalf("want an error frame with %q, got %s", want, f.raw)
	}
	if status, frames := c.closed(); status == -1 || len(frames) > 0 {
		t.Fatalf("after the error: close status %v, frames %v", status, kinds(frames))
	}
}

func act(seq int64, text string) map[string]any {
	return map[string]any{"t": "act", "seq": seq, "text": text}
}

// smallBuffers makes a listener whose connections have small socket
// buffers, so that a client that stops reading fills them after a few
// kilobytes instead of megabytes.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}
