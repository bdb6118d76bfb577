package hub

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"smrlab/core/room"
)

// outFrame is an entry of a connection's send queue: a frame, or the
// order to close after the frames before it.
type outFrame struct {
	data   []byte
	close  bool
	code   websocket.StatusCode
	reason string
}

// conn is one websocket. Its queue is filled by the room's goroutine only
// and emptied by the connection's writer; the fields after queue belong to
// the room's goroutine.
type conn struct {
	ws    *websocket.Conn
	addr  string
	queue chan outFrame

	seat   room.SeatID
	seated bool // false: a projector
	mode   string
	views  bool
	gone   bool // closing: send nothing more
	drops  []time.Time

	killOnce sync.Once
}

// kill closes the websocket now (not after the queued frames); the close
// handshake runs on its own goroutine so that the room never waits for it.
func (c *conn) kill(code websocket.StatusCode, reason string) {
	c.killOnce.Do(func() { go c.ws.Close(code, reason) })
}

// serveWS is GET /ws: accept, check the hello, hand the connection to its
// room, then read its frames until it ends.
func (h *Hub) serveWS(w http.ResponseWriter, r *http.Request) {
	// The http.Server's read and write timeouts would stay on the hijacked
	// connection and cut a class off after them; the hub's own limits
	// (hello, pings, writeWait) bound a websocket instead.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Time{})
	rc.SetWriteDeadline(time.Time{})
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: h.cfg.OriginPatterns})
	if err != nil {
		reason := "handshake"
		if strings.Contains(err.Error(), "Origin") {
			reason = "origin"
		}
		h.met.refused.WithLabelValues(reason).Inc()
		h.log.Info("websocket refused", "reason", reason, "addr", r.RemoteAddr, "err", err)
		return
	}
	ws.SetReadLimit(room.FrameBytesMax) // the hello; readBytesMax after it
	c := &conn{ws: ws, addr: remoteHost(r.RemoteAddr), queue: make(chan outFrame, h.lim.sendQueueMax)}
	defer c.kill(websocket.StatusNormalClosure, "")

	if n := h.conns.Add(1); n > int64(h.cfg.ServerSeats) {
		h.conns.Add(-1)
		h.refuseConn(c, refuse("server_seats", "this labserver is full: it holds %d connections (-server-seats); try again later", h.cfg.ServerSeats))
		return
	}
	defer h.conns.Add(-1)
	if !h.joins.allow(c.addr) {
		h.refuseConn(c, refuse("join_rate", "too many connections from your address: wait a few seconds and reconnect"))
		return
	}
	hello, l, err := h.hello(c)
	if err != nil {
		var ref *refusal
		if errors.As(err, &ref) {
			h.refuseConn(c, ref)
		}
		return
	}
	h.met.seats.Inc()
	defer h.met.seats.Dec()

	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	writerDone := make(chan struct{})
	go func() { defer close(writerDone); h.write(ctx, c) }()
	go h.pingLoop(ctx, c)

	var joinErr error
	if err := l.call(ctx, func() { joinErr = l.join(c, hello) }); err != nil {
		joinErr = refuse("stopped", "room %s stopped here: reconnect", l.code)
	}
	if joinErr != nil {
		cancel()
		<-writerDone
		var ref *refusal
		if !errors.As(joinErr, &ref) {
			ref = refuse("join", "%v", joinErr)
		}
		h.refuseConn(c, ref)
		return
	}
	ws.SetReadLimit(readBytesMax)
	h.read(ctx, c, l)
	l.submit(context.Background(), func() { l.leave(c) })
	cancel()
	<-writerDone
}

// hello reads and checks the first frame, and finds its room. A hello
// that does not come within helloWait gets an error frame and the close
// (a Read whose context ends closes the websocket at once, with no frame,
// so the wait is a timer beside the Read).
func (h *Hub) hello(c *conn) (room.Hello, *roomLoop, error) {
	late := time.AfterFunc(h.lim.helloWait, func() {
		h.refuseConn(c, refuse("hello_timeout", "no hello within %v", h.lim.helloWait))
	})
	typ, data, err := c.ws.Read(h.ctx)
	if !late.Stop() {
		return room.Hello{}, nil, errors.New("no hello in time")
	}
	if err != nil {
		if errors.Is(err, websocket.ErrMessageTooBig) {
			h.met.refused.WithLabelValues("frame_size").Inc()
		}
		return room.Hello{}, nil, err
	}
	h.met.in(len(data))
	if typ != websocket.MessageText {
		return room.Hello{}, nil, refuse("hello", "the hello must be a JSON text frame")
	}
	hello, err := room.DecodeHello(data)
	if err != nil {
		return room.Hello{}, nil, refuse("hello", "bad hello: %v", err)
	}
	l, err := h.roomByCode(h.ctx, hello.Code)
	if err != nil {
		var ref *refusal
		if !errors.As(err, &ref) {
			h.log.Error("finding a room", "code", hello.Code, "err", err)
			ref = refuse("store", "the labserver cannot reach its store: try again in a moment")
		}
		return room.Hello{}, nil, ref
	}
	if hello.As == "teacher" && !h.keyMatches(hello.Key) {
		h.auditRefusal(l.id, c.addr, "teacher hello with a wrong key")
		return room.Hello{}, nil, refuse("teacher_key", "wrong teacher key")
	}
	return hello, l, nil
}

// keyMatches compares a teacher key with the stored hash in constant time.
func (h *Hub) keyMatches(key string) bool {
	return key != "" && subtle.ConstantTimeCompare([]byte(sha256Hex(key)), []byte(h.cfg.KeyHash)) == 1
}

// auditRefusal records a refusal that happens before the room sees the
// connection.
func (h *Hub) auditRefusal(roomID, addr, detail string) {
	rec := room.Record{Kind: room.RecordAudit, Room: roomID,
		Audit: room.Audit{AtMs: nowMs(), Actor: "address " + addr, Kind: "refused", Detail: detail}}
	if err := h.apply(h.ctx, []room.Record{rec}); err != nil {
		h.log.Warn("storing an audit entry", "room", roomID, "err", err)
	}
}

// refuseConn sends the reason as an error frame, then closes.
func (h *Hub) refuseConn(c *conn, ref *refusal) {
	h.met.refused.WithLabelValues(ref.reason).Inc()
	h.log.Info("websocket refused", "reason", ref.reason, "addr", c.addr, "msg", ref.msg)
	ctx, cancel := context.WithTimeout(h.ctx, h.lim.writeWait)
	defer cancel()
	frame := errorFrame(ref.msg)
	if c.ws.Write(ctx, websocket.MessageText, frame) == nil {
		h.met.out(len(frame))
	}
	code := websocket.StatusPolicyViolation
	switch ref.reason {
	case "server_seats", "rooms", "join_rate", "store", "stopped":
		code = websocket.StatusTryAgainLater
	}
	c.kill(code, truncate(ref.msg, 120))
}

// read hands each frame to the room until the connection ends. A
// connection sending frames at twice a seat's frame rate, or bytes at twice
// its bytes budget, is closed here, before its flood reaches the room's
// goroutine.
func (h *Hub) read(ctx context.Context, c *conn, l *roomLoop) {
	flood := rate.NewLimiter(rate.Inf, 0)
	if h.lim.frameRate != rate.Inf {
		flood = rate.NewLimiter(2*h.lim.frameRate, 2*h.lim.frameBurst)
	}
	floodBytes := rate.NewLimiter(rate.Inf, 0)
	if h.lim.byteRate != rate.Inf {
		floodBytes = rate.NewLimiter(2*h.lim.byteRate, 2*h.lim.byteBurst)
	}
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			if errors.Is(err, websocket.ErrMessageTooBig) {
				h.met.refused.WithLabelValues("frame_size").Inc()
			}
			return
		}
		read := time.Now()
		h.met.in(len(data))
		if typ != websocket.MessageText {
			h.met.refused.WithLabelValues("binary").Inc()
			c.kill(websocket.StatusUnsupportedData, "frames are JSON text")
			return
		}
		if !flood.Allow() {
			h.met.refused.WithLabelValues("flood").Inc()
			h.log.Info("connection closed: a flood of frames", "addr", c.addr)
			c.kill(websocket.StatusPolicyViolation, "too many frames")
			return
		}
		if !floodBytes.AllowN(read, len(data)) {
			h.met.refused.WithLabelValues("flood_bytes").Inc()
			h.log.Info("connection closed: a flood of bytes", "addr", c.addr, "bytes", len(data))
			c.kill(websocket.StatusPolicyViolation, "too many bytes")
			return
		}
		var pk peek
		json.Unmarshal(data, &pk) // a frame that does not parse is the room's to refuse
		if !l.submit(ctx, func() { l.frame(c, data, pk, read) }) {
			return
		}
	}
}

// write sends the queued frames, each within writeWait; a write that
// cannot finish closes the connection.
func (h *Hub) write(ctx context.Context, c *conn) {
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-c.queue:
			if f.close {
				c.kill(f.code, f.reason)
				return
			}
			wctx, cancel := context.WithTimeout(ctx, h.lim.writeWait)
			err := c.ws.Write(wctx, websocket.MessageText, f.data)
			cancel()
			if err != nil {
				c.kill(websocket.StatusPolicyViolation, "write timed out")
				return
			}
			h.met.out(len(f.data))
		}
	}
}

// pingLoop pings every pingEvery and closes a connection whose pong does
// not come within pongWait: a dead peer is found even when it sends nothing.
func (h *Hub) pingLoop(ctx context.Context, c *conn) {
	t := time.NewTicker(h.lim.pingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, h.lim.pongWait)
		err := c.ws.Ping(pctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				h.met.refused.WithLabelValues("ping_timeout").Inc()
				h.log.Info("connection closed: no pong", "addr", c.addr, "wait", h.lim.pongWait)
				c.kill(websocket.StatusPolicyViolation, "no pong")
			}
			return
		}
	}
}

func remoteHost(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
