// Package hub is the labserver's shell around classroom rooms: the HTTP API
// under /api, the websocket at /ws, the limits, the metrics, and one
// goroutine per room that owns its *room.Room. Every decision about a room
// (seats, roles, the clock, the run) is core/room's; the hub stores what a
// room returns before sending a byte of it, and keeps slow or hostile
// connections from stalling anyone else.
package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"smrlab/cmd/labserver/internal/store"
	"smrlab/core/room"
)

// Config is what the labserver's flags decide.
type Config struct {
	Store    *store.Store
	Instance string // this process's name in the rooms' leases
	// KeyHash is the SHA-256 of the teacher key, hex (TeacherKey makes it).
	KeyHash string
	// OriginPatterns are the websocket origins allowed besides the page's
	// own host (path.Match patterns on the origin's host, as coder/websocket
	// takes them).
	OriginPatterns []string
	RoomSeats      int           // students a room seats at most
	ServerSeats    int           // connections this instance holds at most
	Rooms          int           // rooms this instance serves at most
	Lease          time.Duration // how long a claim on a room lasts
	// JoinRate and JoinBurst bound the websocket connections from one
	// address (a classroom behind one NAT, or a load generator, needs more).
	JoinRate  float64 // a second; 0: the default
	JoinBurst int
	Logger    *slog.Logger
}

// Defaults of the limits the flags set.
const (
	RoomSeatsDefault   = 400
	ServerSeatsDefault = 3000
	RoomsDefault       = 200
	LeaseDefault       = 10 * time.Second
	JoinRateDefault    = 1
	JoinBurstDefault   = 10
)

// limits are the hub's timings and bounds; the flags set some of them
// through Config, tests shorten the rest.
type limits struct {
	helloWait     time.Duration // the first frame must come within this
	pingEvery     time.Duration // a ping after this long
	pongWait      time.Duration // close when a ping has no pong within this
	writeWait     time.Duration // one frame's write
	tickEvery     time.Duration // the room's clock
	progressEvery time.Duration // store the room's time and hash at most this often
	scanEvery     time.Duration // look for rooms whose lease ran out
	sendQueueMax  int           // frames queued for one connection
	dropsMax      int           // full queues within dropsWindow that close a connection
	dropsWindow   time.Duration
	actionRate    rate.Limit // a seat's acts, clock, role and close frames
	actionBurst   int
	frameRate     rate.Limit // every frame of a seat
	frameBurst    int
	classRate     rate.Limit // a student's progress, ask and answer frames
	classBurst    int
	submitRate    rate.Limit // a student's bug-hunt submissions (each a native replay)
	submitBurst   int
	byteRate      rate.Limit // the bytes of every frame of a seat
	byteBurst     int
	joinRate      rate.Limit // websocket connections from one address
	joinBurst     int
	keyRate       rate.Limit // wrong teacher keys from one address
	keyBurst      int
	bodyBytesMax  int64 // a POST body
}

func defaultLimits() limits {
	return limits{
		helloWait:     10 * time.Second,
		pingEvery:     15 * time.Second,
		pongWait:      30 * time.Second,
		writeWait:     10 * time.Second,
		tickEvery:     50 * time.Millisecond,
		progressEvery: time.Second,
		scanEvery:     3 * time.Second,
		sendQueueMax:  64,
		dropsMax:      3,
		dropsWindow:   10 * time.Second,
		actionRate:    10,
		actionBurst:   20,
		frameRate:     50,
		frameBurst:    100,
		classRate:     10,
		classBurst:    40,
		submitRate:    0.2,
		submitBurst:   3,
		byteRate:      32 << 10,
		byteBurst:     4 * readBytesMax,
		joinRate:      JoinRateDefault,
		joinBurst:     JoinBurstDefault,
		keyRate:       1,
		keyBurst:      10,
		bodyBytesMax:  1 << 20,
	}
}

// Hub serves the rooms of one labserver instance.
type Hub struct {
	cfg Config
	lim limits
	st  *store.Store
	log *slog.Logger
	met *metrics

	ctx    context.Context // the hub's life: cancelled by Shutdown
	cancel context.CancelFunc

	mu      sync.Mutex
	byID    map[string]*roomLoop
	byCode  map[string]*roomLoop
	loading map[string]*loadCall // by room id

	joins    *addrLimiter // websocket connections per address
	keyFails *addrLimiter // wrong teacher keys per address
	conns    atomic.Int64 // websocket connections open
	wg       sync.WaitGroup
}

// loadCall is one restore of a room in progress; others asking for the same
// room wait for it instead of restoring it twice.
type loadCall struct {
	done chan struct{}
	loop *roomLoop
	err  error
}

// New checks the configuration and returns a hub that serves nothing yet:
// Start restores the rooms, Register adds the routes.
func New(cfg Config) (*Hub, error) { return newHub(cfg, defaultLimits()) }

func newHub(cfg Config, lim limits) (*Hub, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("hub: no store")
	case cfg.Instance == "":
		return nil, errors.New("hub: the instance has no name")
	case cfg.KeyHash == "":
		return nil, errors.New("hub: no teacher key")
	case cfg.RoomSeats < 1 || cfg.ServerSeats < 1 || cfg.Rooms < 1:
		return nil, fmt.Errorf("hub: the caps must be at least 1 (room seats %d, server seats %d, rooms %d)", cfg.RoomSeats, cfg.ServerSeats, cfg.Rooms)
	case cfg.Lease < 100*time.Millisecond:
		return nil, fmt.Errorf("hub: a lease of %v is too short (at least 100ms)", cfg.Lease)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.JoinRate > 0 {
		lim.joinRate = rate.Limit(cfg.JoinRate)
	}
	if cfg.JoinBurst > 0 {
		lim.joinBurst = cfg.JoinBurst
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{
		cfg: cfg, lim: lim, st: cfg.Store, log: cfg.Logger, met: newMetrics(),
		ctx: ctx, cancel: cancel,
		byID: map[string]*roomLoop{}, byCode: map[string]*roomLoop{}, loading: map[string]*loadCall{},
		joins:    newAddrLimiter(lim.joinRate, lim.joinBurst),
		keyFails: newAddrLimiter(lim.keyRate, lim.keyBurst),
	}, nil
}

// Start restores every open room whose lease is free or this instance's,
// and starts looking every few seconds for rooms whose instance died.
func (h *Hub) Start(ctx context.Context) error {
	rows, err := h.st.Rooms(ctx)
	if err != nil {
		return fmt.Errorf("listing the rooms to restore: %w", err)
	}
	restored := 0
	for _, row := range rows {
		if row.Closed != 0 || !h.mayTake(row, nowMs()) {
			continue
		}
		if _, err := h.loadRoom(ctx, row.ID); err != nil {
			h.log.Warn("room not restored", "room", row.ID, "code", row.Code, "err", err)
			continue
		}
		restored++
	}
	if restored > 0 {
		h.log.Info("rooms restored", "rooms", restored)
	}
	if h.st.Engine() == "postgres" {
		// Only instances sharing PostgreSQL can die under each other's
		// rooms; one on SQLite restored its rooms above.
		h.wg.Add(1)
		go h.scan()
	}
	return nil
}

// Instance is this hub's name in the leases.
func (h *Hub) Instance() string { return h.cfg.Instance }

// mayTake says whether this instance may claim the room now: it holds the
// lease, or nobody does.
func (h *Hub) mayTake(row store.RoomRow, now int64) bool {
	return row.Owner == "" || row.Owner == h.cfg.Instance || row.LeaseMs < now
}

// scan takes over the open rooms whose instance stopped renewing its lease,
// so that a class on a dead instance finds its room on the next reconnect.
func (h *Hub) scan() {
	defer h.wg.Done()
	t := time.NewTicker(h.lim.scanEvery)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		}
		rows, err := h.st.Rooms(h.ctx)
		if err != nil {
			if h.ctx.Err() == nil {
				h.log.Warn("looking for rooms to take over", "err", err)
			}
			continue
		}
		now := nowMs()
		for _, row := range rows {
			if row.Closed != 0 || row.Owner == h.cfg.Instance || !h.mayTake(row, now) || h.loaded(row.ID) {
				continue
			}
			if _, err := h.loadRoom(h.ctx, row.ID); err != nil {
				h.log.Debug("room not taken over", "room", row.ID, "err", err)
				continue
			}
			h.log.Info("room taken over", "room", row.ID, "code", row.Code, "from", row.Owner)
		}
	}
}

func (h *Hub) loaded(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.byID[id] != nil
}

// Shutdown closes every connection (StatusGoingAway, so browsers reconnect
// to the next instance), stores each room's progress and stops its
// goroutine. The leases run out by themselves.
func (h *Hub) Shutdown(ctx context.Context) {
	h.cancel()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		h.log.Warn("rooms still stopping at the end of the shutdown", "err", ctx.Err())
	}
}

// Register adds the hub's routes to mux.
func (h *Hub) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/rooms", h.teacher(h.createRoom))
	mux.HandleFunc("GET /api/rooms", h.teacher(h.listRooms))
	mux.HandleFunc("POST /api/rooms/{id}/close", h.teacher(h.closeRoom))
	mux.HandleFunc("GET /api/rooms/{id}/recording", h.teacher(h.recording))
	mux.HandleFunc("GET /api/rooms/{id}/audit.jsonl", h.teacher(h.audit))
	mux.HandleFunc("GET /api/rooms/{id}/grades.csv", h.teacher(h.grades("csv")))
	mux.HandleFunc("GET /api/rooms/{id}/grades.jsonl", h.teacher(h.grades("jsonl")))
	mux.HandleFunc("GET /api/audit.jsonl", h.teacher(h.audit))
	mux.HandleFunc("GET /api/exercises", h.exercises)
	mux.HandleFunc("GET /api/lessons", h.lessons)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no API at "+r.Method+" "+r.URL.Path)
	})
	mux.HandleFunc("GET /ws", h.serveWS)
	mux.Handle("GET /metrics", h.met.handler())
	mux.HandleFunc("GET /healthz", h.healthz)
}

// refusal is a request the hub turns down: reason is the metric's label,
// msg what the user reads.
type refusal struct {
	reason string
	msg    string
}

func (e *refusal) Error() string { return e.msg }

func refuse(reason, format string, args ...any) *refusal {
	return &refusal{reason: reason, msg: fmt.Sprintf(format, args...)}
}

// roomByCode returns the room's goroutine, restoring the room here when it
// is not loaded and no other live instance holds it.
func (h *Hub) roomByCode(ctx context.Context, code string) (*roomLoop, error) {
	h.mu.Lock()
	l := h.byCode[code]
	h.mu.Unlock()
	if l != nil {
		return l, nil
	}
	row, ok, err := h.st.RoomByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, refuse("no_room", "no room has the code %s: check the code", code)
	}
	return h.loadRoom(ctx, row.ID)
}

// loadRoom claims the room for this instance and restores it from its
// stored inputs, once however many ask at the same time.
func (h *Hub) loadRoom(ctx context.Context, id string) (*roomLoop, error) {
	h.mu.Lock()
	if l := h.byID[id]; l != nil {
		h.mu.Unlock()
		return l, nil
	}
	if c := h.loading[id]; c != nil {
		h.mu.Unlock()
		select {
		case <-c.done:
			return c.loop, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if n := len(h.byID) + len(h.loading); n >= h.cfg.Rooms {
		h.mu.Unlock()
		return nil, refuse("rooms", "this labserver serves %d rooms, its limit (-rooms): ask the teacher to close one", n)
	}
	c := &loadCall{done: make(chan struct{})}
	h.loading[id] = c
	h.mu.Unlock()

	c.loop, c.err = h.restore(ctx, id)
	h.mu.Lock()
	delete(h.loading, id)
	if c.err == nil {
		h.byID[id] = c.loop
		h.byCode[c.loop.code] = c.loop
		h.met.rooms.Inc()
		h.wg.Add(1)
		go c.loop.run()
	}
	h.mu.Unlock()
	close(c.done)
	return c.loop, c.err
}

// restore claims the room and replays its inputs.
func (h *Hub) restore(ctx context.Context, id string) (*roomLoop, error) {
	row, ok, err := h.st.RoomByID(ctx, id)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, refuse("no_room", "no room has the id %s", id)
	case row.Closed != 0:
		return nil, refuse("closed", "room %s is closed; the teacher can still download its recording", row.Code)
	}
	now := nowMs()
	if !h.mayTake(row, now) {
		return nil, ownerRefusal(row)
	}
	if ok, err := h.claim(ctx, id, now); err != nil {
		return nil, err
	} else if !ok {
		row, _, _ = h.st.RoomByID(ctx, id)
		return nil, ownerRefusal(row)
	}
	r, err := h.replay(ctx, row, now)
	if err != nil {
		return nil, err
	}
	return newRoomLoop(h, r, now), nil
}

func ownerRefusal(row store.RoomRow) *refusal {
	return refuse("owner", "room %s is served by labserver instance %q: connect through that instance", row.Code, row.Owner)
}

func (h *Hub) claim(ctx context.Context, id string, now int64) (bool, error) {
	return h.st.Claim(ctx, id, h.cfg.Instance, now, h.cfg.Lease.Milliseconds())
}

// replay rebuilds a room from the store; a room whose replay ends at another
// hash than the one stored is kept (its inputs are its truth), logged and
// counted as a divergence.
func (h *Hub) replay(ctx context.Context, row store.RoomRow, now int64) (*room.Room, error) {
	seats, err := h.st.Seats(ctx, row.ID)
	if err != nil {
		return nil, err
	}
	inputs, err := h.st.Inputs(ctx, row.ID)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	r, err := restoreSafely(row, seats, inputs, now)
	var div *room.DivergenceError
	switch {
	case errors.As(err, &div) && r != nil:
		h.met.divergences.Inc()
		h.log.Error("restored room differs from its stored hash", "room", row.ID, "code", row.Code, "err", err)
	case err != nil:
		return nil, fmt.Errorf("restoring room %s from %d inputs: %w", row.Code, len(inputs), err)
	}
	h.log.Info("room restored", "room", row.ID, "code", row.Code, "inputs", len(inputs), "seats", len(seats),
		"at", r.Now(), "hash", r.Hash(), "took", time.Since(t0))
	return r, nil
}

// restoreSafely is room.Restore, with a panic turned into an error: a
// room that cannot be replayed must not take the other classes down.
func restoreSafely(row store.RoomRow, seats []room.SeatRow, inputs []room.Input, now int64) (r *room.Room, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("replaying room %s panicked: %v", row.Code, p)
		}
	}()
	return room.Restore(row.Record(), seats, inputs, row.Progress(), now)
}

// unload forgets a room whose goroutine ended.
func (h *Hub) unload(l *roomLoop) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.byID[l.id] == l {
		delete(h.byID, l.id)
		delete(h.byCode, l.code)
		h.met.rooms.Dec()
	}
}

// apply stores records, timing it.
func (h *Hub) apply(ctx context.Context, recs []room.Record) error {
	t0 := time.Now()
	err := h.st.Apply(ctx, recs)
	h.met.storeSeconds.Observe(time.Since(t0).Seconds())
	return err
}

func nowMs() int64 { return time.Now().UnixMilli() }
