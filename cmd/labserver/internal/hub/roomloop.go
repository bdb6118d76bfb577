package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"smrlab/core/room"
)

// roomLoop is the one goroutine that owns a room: connections hand it work
// through inbox, and it alone touches the room and its connections' queues.
type roomLoop struct {
	h        *Hub
	r        *room.Room
	id, code string

	inbox chan func()
	done  chan struct{} // closed when the goroutine ends

	conns    map[*conn]struct{}
	actions  map[room.SeatID]*rate.Limiter
	frames   map[room.SeatID]*rate.Limiter
	classes  map[room.SeatID]*rate.Limiter // progress, ask, answer
	submits  map[room.SeatID]*rate.Limiter
	bytes    map[room.SeatID]*rate.Limiter
	events   uint64 // the room's simulation events already counted
	progress room.Record
	stored   time.Time // the progress was last stored
	claimed  time.Time // the lease was last renewed
	ended    bool

	online atomic.Int64 // connections, read by GET /api/rooms without the loop
}

func newRoomLoop(h *Hub, r *room.Room, now int64) *roomLoop {
	t := time.UnixMilli(now)
	return &roomLoop{
		h: h, r: r, id: r.ID(), code: r.Code(),
		inbox:    make(chan func(), 256),
		done:     make(chan struct{}),
		conns:    map[*conn]struct{}{},
		actions:  map[room.SeatID]*rate.Limiter{},
		frames:   map[room.SeatID]*rate.Limiter{},
		classes:  map[room.SeatID]*rate.Limiter{},
		submits:  map[room.SeatID]*rate.Limiter{},
		bytes:    map[room.SeatID]*rate.Limiter{},
		events:   r.Events(),
		progress: r.Progress(),
		stored:   t,
		claimed:  t,
	}
}

// submit hands fn to the room's goroutine; false when the room has stopped.
func (l *roomLoop) submit(ctx context.Context, fn func()) bool {
	select {
	case l.inbox <- fn:
		return true
	case <-l.done:
		return false
	case <-ctx.Done():
		return false
	}
}

// call runs fn in the room's goroutine and waits for it. Once fn is
// handed over, call waits for it to run or for the room to stop, whatever
// ctx says: fn writes the caller's variables, which the caller reads only
// after call returns. The room's goroutine never waits for long.
func (l *roomLoop) call(ctx context.Context, fn func()) error {
	ran := make(chan struct{})
	if !l.submit(ctx, func() { fn(); close(ran) }) {
		return fmt.Errorf("room %s stopped", l.code)
	}
	select {
	case <-ran:
		return nil
	case <-l.done:
		// fn may have been the room's last work (closing it): it ran
		// before the goroutine ended if ran is closed by now.
		select {
		case <-ran:
			return nil
		default:
			return fmt.Errorf("room %s stopped", l.code)
		}
	}
}

func (l *roomLoop) run() {
	defer l.h.wg.Done()
	defer close(l.done)
	t := time.NewTicker(l.h.lim.tickEvery)
	defer t.Stop()
	for !l.ended {
		select {
		case fn := <-l.inbox:
			l.safely(fn)
		case <-t.C:
			l.safely(l.tick)
		case <-l.h.ctx.Done():
			l.safely(func() {
				l.storeProgress(true)
				l.stop(websocket.StatusGoingAway, "the labserver is restarting: reconnect")
			})
		}
	}
}

// safely runs fn; a panic in the room stops this room alone (the other
// classes go on), and the next connection restores it from its stored
// inputs, which hold nothing the panic left half done.
func (l *roomLoop) safely(fn func()) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		l.h.log.Error("a room panicked: it stops here and is restored from the store on the next connection",
			"room", l.id, "code", l.code, "panic", p, "stack", string(debug.Stack()))
		l.h.met.panics.Inc()
		reason := "the labserver hit an internal error in this room: reconnect"
		frame := errorFrame(reason)
		for c := range l.conns {
			select {
			case c.queue <- outFrame{data: frame}:
			default:
			}
			c.gone = true
			c.kill(websocket.StatusInternalError, reason)
		}
		l.ended = true
		l.h.unload(l)
		l.h.met.simEvents.DeleteLabelValues(l.id)
	}()
	fn()
}

// tick runs the room's clock, counts its simulation events, stores its
// progress at most once a progressEvery and renews its lease.
func (l *roomLoop) tick() {
	now := nowMs()
	out := l.r.Tick(now)
	// The room's time moves at every tick; its progress is stored below,
	// once a progressEvery, not with each now frame: a restore replays the
	// inputs and needs the time only to resume where the class was.
	out.Records = slices.DeleteFunc(out.Records, func(r room.Record) bool { return r.Kind == room.RecordProgress })
	if !l.handle(out, nil) {
		return
	}
	if ev := l.r.Events(); ev > l.events {
		l.h.met.simEvents.WithLabelValues(l.id).Add(float64(ev - l.events))
		l.events = ev
	}
	if time.Since(l.stored) >= l.h.lim.progressEvery {
		l.storeProgress(false)
	}
	if time.Since(l.claimed) >= l.h.cfg.Lease/3 && l.h.st.Engine() == "postgres" {
		// Only instances sharing PostgreSQL take rooms from each other;
		// on SQLite the claim made when the room loaded names the owner.
		l.renew(now)
	}
}

// storeProgress stores the room's time, hash and clock when they changed.
func (l *roomLoop) storeProgress(final bool) {
	if l.ended {
		return
	}
	p := l.r.Progress()
	l.stored = time.Now()
	if p.At == l.progress.At && p.Hash == l.progress.Hash && p.Clock == l.progress.Clock {
		return
	}
	ctx := l.h.ctx
	if final {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
	}
	if err := l.h.apply(ctx, []room.Record{p}); err != nil {
		l.h.log.Warn("storing a room's progress", "room", l.id, "err", err)
		return
	}
	l.progress = p
}

// renew extends the lease; a lease another instance took (this one was
// too slow to renew it) stops the room here.
func (l *roomLoop) renew(now int64) {
	ok, err := l.h.claim(l.h.ctx, l.id, now)
	switch {
	case err != nil && now-l.claimed.UnixMilli() >= l.h.cfg.Lease.Milliseconds():
		l.fail(fmt.Sprintf("the labserver lost its store (%v): reconnect", err))
	case err != nil:
		l.h.log.Warn("renewing a room's lease", "room", l.id, "err", err)
	case !ok:
		l.fail("another labserver instance took this room over: reconnect")
	default:
		l.claimed = time.UnixMilli(now)
	}
}

// handle does what an Output says: store its records, and only then queue
// its frames and close the connections it names. Whoever sent the frame
// (origin) alone gets the answers meant for its seat. False when storing
// failed and the room stopped.
func (l *roomLoop) handle(out room.Output, origin *conn) bool {
	if len(out.Records) > 0 {
		if err := l.h.apply(l.h.ctx, out.Records); err != nil {
			l.h.log.Error("storing a room's records failed; the room stops here and is restored from the store on the next connection", "room", l.id, "err", err)
			l.fail("the labserver could not store the room's last step: reconnect")
			return false
		}
	}
	for _, reason := range out.Refused {
		if reason != "from" { // a progress-from answer is a resend, not a refusal
			l.h.met.refused.WithLabelValues(reason).Inc()
		}
	}
	l.h.met.divergences.Add(float64(out.Divergences))
	var resynced map[*conn]bool
	send := func(c *conn, frame []byte) {
		if resynced[c] {
			return // the fresh sync holds this frame already
		}
		if !l.enqueue(c, frame) {
			if resynced == nil {
				resynced = map[*conn]bool{}
			}
			resynced[c] = true
		}
	}
	for _, s := range out.Sends {
		switch {
		case s.To == room.Everyone:
			for c := range l.conns {
				send(c, s.Frame)
			}
		case s.To == room.Viewers:
			for c := range l.conns {
				if c.views {
					send(c, s.Frame)
				}
			}
		case s.To == room.Projectors:
			for c := range l.conns {
				if !c.seated {
					send(c, s.Frame)
				}
			}
		case origin != nil && origin.seated && s.To == origin.seat:
			send(origin, s.Frame)
		default:
			for c := range l.conns {
				if c.seated && c.seat == s.To {
					send(c, s.Frame)
				}
			}
		}
	}
	for _, seat := range out.Close {
		for c := range l.conns {
			if seat == room.Everyone || c.seated && c.seat == seat {
				l.drop(c, websocket.StatusNormalClosure, "")
			}
		}
	}
	if l.r.Closed() {
		l.stop(websocket.StatusNormalClosure, "the teacher closed the room")
	}
	return true
}

// enqueue queues a frame for c without ever waiting. A full queue is a slow
// consumer: its frames are dropped and replaced by a fresh sync, and the
// dropsMax-th drop within dropsWindow closes the connection. False when the
// frame did not go in as such.
func (l *roomLoop) enqueue(c *conn, frame []byte) bool {
	if c.gone {
		return false
	}
	select {
	case c.queue <- outFrame{data: frame}:
		return true
	default:
	}
	l.h.met.slow.Inc()
	for len(c.queue) > 0 {
		select {
		case <-c.queue:
		default:
		}
	}
	now := time.Now()
	kept := c.drops[:0]
	for _, t := range c.drops {
		if now.Sub(t) < l.h.lim.dropsWindow {
			kept = append(kept, t)
		}
	}
	c.drops = append(kept, now)
	if len(c.drops) >= l.h.lim.dropsMax {
		l.h.log.Info("slow connection closed", "room", l.id, "seat", c.seat, "addr", c.addr)
		c.gone = true
		c.kill(websocket.StatusPolicyViolation, "connection too slow to keep up with the room")
		return false
	}
	l.h.log.Info("slow connection resynced", "room", l.id, "seat", c.seat, "addr", c.addr)
	c.queue <- outFrame{data: l.syncFor(c)}
	return false
}

// syncFor is a fresh sync for a connection: its seat's, or a projector's.
func (l *roomLoop) syncFor(c *conn) []byte {
	if c.seated {
		return l.r.Sync(c.seat)
	}
	return l.r.Watch(c.mode)
}

// drop closes c after the frames already queued, and stops sending to it.
func (l *roomLoop) drop(c *conn, code websocket.StatusCode, reason string) {
	if c.gone {
		return
	}
	c.gone = true
	select {
	case c.queue <- outFrame{close: true, code: code, reason: reason}:
	default:
		c.kill(code, reason)
	}
}

// fail stops the room after an error frame to everyone: the next
// connection restores it from the store, here or on another instance.
func (l *roomLoop) fail(reason string) {
	frame := errorFrame(reason)
	for c := range l.conns {
		l.enqueue(c, frame)
	}
	l.stop(websocket.StatusTryAgainLater, reason)
}

// stop ends the room's goroutine after closing every connection.
func (l *roomLoop) stop(code websocket.StatusCode, reason string) {
	if l.ended {
		return
	}
	for c := range l.conns {
		l.drop(c, code, reason)
	}
	l.ended = true
	l.h.unload(l)
	l.h.met.simEvents.DeleteLabelValues(l.id)
	l.h.log.Info("room stopped here", "room", l.id, "code", l.code, "closed", l.r.Closed(), "reason", reason)
}

// join seats a connection after its hello: the teacher, a projector, a
// returning student (by token) or a new one (a new seat and token).
func (l *roomLoop) join(c *conn, hello room.Hello) error {
	if l.r.Closed() {
		return refuse("closed", "room %s is closed", l.code)
	}
	now := nowMs()
	var out room.Output
	switch hello.As {
	case "projector":
		c.mode, c.views = hello.Mode, hello.Mode == "views"
		l.add(c)
		l.enqueue(c, l.r.Watch(hello.Mode))
		return nil
	case "teacher":
		c.seat, c.seated = room.Teacher, true
		out = l.r.Connect(room.Teacher, hello.Mode, "", now)
	default:
		tokenHash := ""
		if hello.Token != "" {
			tokenHash = sha256Hex(hello.Token)
		}
		seat, ok := room.SeatID(0), false
		if tokenHash != "" {
			seat, ok = l.r.SeatByToken(tokenHash)
		}
		if ok && seat != room.Teacher {
			c.seat, c.seated = seat, true
			if hello.Name != "" && hello.Name != l.seatName(seat) {
				renamed, err := l.r.Rename(seat, hello.Name, now)
				if err != nil {
					return refuse("join", "%v", err)
				}
				out = renamed
			}
			connected := l.r.Connect(seat, hello.Mode, "", now)
			out = merge(out, connected)
			break
		}
		if n := l.students(); n >= l.h.cfg.RoomSeats {
			l.h.auditRefusal(l.id, c.addr, fmt.Sprintf("room_seats: %q found the room full (%d students)", hello.Name, n))
			return refuse("room_seats", "room %s is full: it seats %d students (-room-seats)", l.code, n)
		}
		token := newToken()
		seat, joined, err := l.r.Join(sha256Hex(token), hello.Name, now)
		if err != nil {
			return refuse("join", "%v", err)
		}
		c.seat, c.seated = seat, true
		out = merge(joined, l.r.Connect(seat, hello.Mode, token, now))
	}
	c.mode, c.views = hello.Mode, hello.Mode == "views"
	l.add(c)
	l.handle(out, c)
	return nil
}

// merge is a then b as one Output: stored in one transaction.
func merge(a, b room.Output) room.Output {
	a.Records = append(a.Records, b.Records...)
	a.Sends = append(a.Sends, b.Sends...)
	a.Close = append(a.Close, b.Close...)
	a.Refused = append(a.Refused, b.Refused...)
	a.Divergences += b.Divergences
	return a
}

func (l *roomLoop) seatName(id room.SeatID) string {
	for _, s := range l.r.Seats() {
		if s.Seat == id {
			return s.Name
		}
	}
	return ""
}

// students counts the room's student seats.
func (l *roomLoop) students() int {
	n := 0
	for _, s := range l.r.Seats() {
		if s.Seat != room.Teacher {
			n++
		}
	}
	return n
}

func (l *roomLoop) add(c *conn) {
	l.conns[c] = struct{}{}
	l.online.Add(1)
	l.setViewers()
}

func (l *roomLoop) setViewers() {
	n := 0
	for c := range l.conns {
		if c.views {
			n++
		}
	}
	l.r.SetViewers(n)
}

// leave forgets a connection that ended.
func (l *roomLoop) leave(c *conn) {
	if _, ok := l.conns[c]; !ok {
		return
	}
	delete(l.conns, c)
	c.gone = true
	l.online.Add(-1)
	l.setViewers()
	if c.seated {
		l.handle(l.r.Disconnect(c.seat, nowMs()), nil)
	}
}

// peek is what the hub reads of a frame before the room does: its kind
// and seq, for the rate limits.
type peek struct {
	T   string `json:"t"`
	Seq int64  `json:"seq"`
}

// frame hands a seat's frame to the room once the seat's rate allows it.
func (l *roomLoop) frame(c *conn, data []byte, pk peek, read time.Time) {
	if c.gone || l.ended {
		return
	}
	if !c.seated {
		if pk.T == "resync" {
			l.enqueue(c, l.r.Watch(c.mode))
			return
		}
		l.h.met.refused.WithLabelValues("projector").Inc()
		l.enqueue(c, refusedFrame(pk.Seq, "a projector only watches: it cannot act"))
		return
	}
	if !limiter(l.frames, c.seat, l.h.lim.frameRate, l.h.lim.frameBurst).Allow() {
		l.h.met.refused.WithLabelValues("frame_rate").Inc()
		l.enqueue(c, refusedFrame(pk.Seq, fmt.Sprintf("too many frames: at most %g a second", float64(l.h.lim.frameRate))))
		return
	}
	if !limiter(l.bytes, c.seat, l.h.lim.byteRate, l.h.lim.byteBurst).AllowN(read, len(data)) {
		l.h.met.refused.WithLabelValues("byte_rate").Inc()
		l.enqueue(c, refusedFrame(pk.Seq, fmt.Sprintf("too many bytes: at most %d KiB a second, wait a moment", int(l.h.lim.byteRate)>>10)))
		return
	}
	if c.seat != room.Teacher {
		if reason, msg := l.seatRate(c.seat, pk.T); reason != "" {
			l.h.met.refused.WithLabelValues(reason).Inc()
			l.enqueue(c, refusedFrame(pk.Seq, msg))
			return
		}
	}
	t0 := time.Now()
	out := l.r.Frame(c.seat, data, nowMs())
	took := time.Since(t0)
	l.count(pk.T, c.seat, out, took)
	if l.handle(out, c) && pk.T == "act" {
		l.h.met.fanout.Observe(time.Since(read).Seconds())
	}
}

// seatRate takes a token from the student's bucket for a frame of type t;
// a refusal's metric reason and message when the bucket is empty.
func (l *roomLoop) seatRate(seat room.SeatID, t string) (string, string) {
	lim := l.h.lim
	switch t {
	case "act", "clock", "role", "close":
		if !limiter(l.actions, seat, lim.actionRate, lim.actionBurst).Allow() {
			return "action_rate", fmt.Sprintf("too many actions: at most %g a second, wait a moment", float64(lim.actionRate))
		}
	case "progress", "ask", "answer":
		if !limiter(l.classes, seat, lim.classRate, lim.classBurst).Allow() {
			return "progress_rate", fmt.Sprintf("too many lesson frames: at most %g a second, wait a moment", float64(lim.classRate))
		}
	case "submit":
		if !limiter(l.submits, seat, lim.submitRate, lim.submitBurst).Allow() {
			return "submit_rate", fmt.Sprintf("too many submissions: at most one every %g seconds, wait a moment", 1/float64(lim.submitRate))
		}
	}
	return "", ""
}

// count feeds the class metrics from a progress or submit frame's Output,
// and logs the refusals that the room audited (forged progress, a forged
// submission): an operator sees them without reading the audit log.
func (l *roomLoop) count(t string, seat room.SeatID, out room.Output, took time.Duration) {
	if t != "progress" && t != "submit" {
		return
	}
	l.h.met.replay.WithLabelValues(t).Observe(took.Seconds())
	// A frame's result: accepted (Output.Progress, Output.Submissions), a
	// progress-from answer (the "from" code), or the refusal's code.
	result := ""
	switch {
	case t == "progress" && len(out.Progress) > 0:
		result = "credited"
	case t == "submit" && len(out.Submissions) > 0:
		result = out.Submissions[0]
	case len(out.Refused) > 0 && out.Refused[0] == "from":
		result = "resend"
	case len(out.Refused) > 0:
		result = out.Refused[0]
		for _, rec := range out.Records {
			if rec.Kind == room.RecordAudit {
				l.h.log.Warn("a "+t+" frame refused", "room", l.id, "code", l.code, "seat", int(seat),
					"reason", result, "detail", rec.Audit.Detail)
			}
		}
	default:
		return // a duplicate seq, answered with dup
	}
	if t == "progress" {
		l.h.met.progress.WithLabelValues(result).Inc()
	} else {
		l.h.met.submissions.WithLabelValues(result).Inc()
	}
}

func limiter(m map[room.SeatID]*rate.Limiter, seat room.SeatID, r rate.Limit, burst int) *rate.Limiter {
	lim := m[seat]
	if lim == nil {
		lim = rate.NewLimiter(r, burst)
		m[seat] = lim
	}
	return lim
}

func refusedFrame(seq int64, reason string) []byte {
	b, _ := json.Marshal(struct {
		T      string `json:"t"`
		Seq    int64  `json:"seq"`
		Reason string `json:"reason"`
	}{"refused", seq, reason})
	return b
}

func errorFrame(reason string) []byte {
	b, _ := json.Marshal(struct {
		T      string `json:"t"`
		Reason string `json:"reason"`
	}{"error", reason})
	return b
}
