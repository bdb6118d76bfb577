package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// Config is one load run.
type Config struct {
	URL           string // the labserver, http://host:port
	Key           string // the teacher key
	Rooms         int
	Students      int // per room, besides the teacher
	Warmup        time.Duration
	Duration      time.Duration // of each phase
	ActionsPerSec float64       // per room, sent by the room's teacher
	Slow          int           // students per room who stop reading in the second phase
	SlowEvery     int           // only every SlowEvery-th room has slow students (the others are the same-time control)
	SlowMode      string        // the slow students' hello mode: "views" (heavy) or "lockstep"
	Scenario      string        // POST /api/rooms "scenario"
	Seed          int64
	Exercise      string
	Acts          []string // the actions, in turn
	Actor         string   // who acts: "teacher", or "student" (the first student of each room, made server S2 by the teacher)
	ActorServer   string   // the server the acting student is given
	JoinParallel  int      // joins in flight at once
	Log           io.Writer
}

// slowRcvBuf is the receive buffer of a slow student's socket: small, so
// that the server's send queue, not the kernel's buffers, meets the reader
// that stopped.
const slowRcvBuf = 4096

// readLimitBytes bounds one server frame (a sync carries the whole
// recording, a view model tens of KB).
const readLimitBytes = 16 << 20

// kindCount is the frames of one kind a client read, and their bytes
// (payload, before any websocket framing or compression).
type kindCount struct{ Frames, Bytes int64 }

// slowestKept is how many of a phase's slowest actions the result keeps.
const slowestKept = 10

// slowAction is an action and its fan-out time, for the -worst listing.
type slowAction struct {
	room string
	sent time.Time
	took time.Duration
}

// drainMax bounds the wait after the last action for its answers and
// input frames: an action not delivered by then is counted as missed.
const drainMax = 30 * time.Second

// PhaseResult is one phase's figures.
type PhaseResult struct {
	Name    string
	Start   time.Time
	Slowest []slowAction // the slowest actions, slowest first
	Actions int          // sent in the phase
	Acked   int
	Refused int
	Fanout  percentiles // send → input frame at every reading student
	// With SlowEvery > 1: Fanout of the rooms that have slow students and
	// of those that do not, over the same seconds.
	FanoutSlowRooms, FanoutOtherRooms percentiles
	Missed                            int     // acknowledged actions that did not reach every reading student
	BytesAvg                          float64 // bytes received per reading student per second (wire bytes)
	BytesMax                          float64
	SlowAvg                           float64 // bytes per slow student per second (read until the second phase)
	SelfCPU                           float64 // the load generator's own CPU use, in cores
	Metrics                           metricsDelta
}

type metricsDelta struct {
	ok                                        bool
	SlowConsumers, Refused, Divergences, Rate float64
	CPU                                       float64 // the server's CPU use, in cores
	Applies, StoreMean                        float64 // store.Apply calls and their mean seconds
	ServerFanoutMean                          float64 // the server's own action fan-out time, mean seconds
}

// Result is a run's figures.
type Result struct {
	// Kinds counts the frames one reading student of the first room read
	// from its first sync to the end, by kind ("t"): where the bytes go.
	Kinds        map[string]*kindCount
	Phases       []PhaseResult
	Join         time.Duration // to open the rooms and seat everyone
	Before, With metricsSample // the server's metrics before any room, and at the end of the first phase
	Refusals     []string      // the first few reasons the server gave
}

type client struct {
	room, idx int // idx -1 is the teacher
	seat      int // the room's seat number, from the first sync
	slow      bool
	conn      *websocket.Conn
	bytes     atomic.Int64          // wire bytes read
	maxN      atomic.Uint64         // the highest input number seen (input or sync)
	kinds     map[string]*kindCount // frames read after the first sync, by "t"; the reader's own
	arr       arrivals
	stop      chan struct{} // closed: a slow student stops reading
	done      chan struct{}
	err       error // why reading ended (after done)

	// the teacher's
	mu       sync.Mutex
	seq      int64
	answered int // actions acked or refused
	actions  []action
	refusals []string
}

type loadRoom struct {
	id, code string
	teacher  *client
	actor    *client // who sends the room's actions: the teacher or a student
	students []*client
}

// Run opens the rooms, seats the students, runs the phases and returns the
// figures.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Rooms < 1 || cfg.Students < 1 {
		return nil, errors.New("need at least one room and one student")
	}
	if cfg.Slow >= cfg.Students {
		return nil, fmt.Errorf("-slow %d leaves no student reading in a room of %d", cfg.Slow, cfg.Students)
	}
	if cfg.ActionsPerSec <= 0 {
		return nil, errors.New("-actions-per-sec must be positive")
	}
	if cfg.SlowEvery < 1 {
		cfg.SlowEvery = 1
	}
	if cfg.Actor == "" {
		cfg.Actor = "teacher"
	}
	if cfg.Actor == "student" && cfg.ActorServer == "" {
		cfg.ActorServer = "S2"
	}
	if len(cfg.Acts) == 0 {
		return nil, errors.New("no actions to send")
	}
	base, wsURL, err := endpoints(cfg.URL)
	if err != nil {
		return nil, err
	}
	logf := logger(cfg.Log)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res := &Result{}
	res.Before, _ = scrape(ctx, cfg.URL)

	// Open the rooms and seat everyone.
	joinStart := time.Now()
	rooms := make([]*loadRoom, cfg.Rooms)
	for i := range rooms {
		id, code, err := openRoom(ctx, cfg, base, i)
		if err != nil {
			return nil, fmt.Errorf("room %d: %w", i+1, err)
		}
		r := &loadRoom{id: id, code: code}
		r.teacher = &client{room: i, idx: -1}
		if err := r.teacher.join(ctx, wsURL.String(), base, cfg, i, code, false); err != nil {
			return nil, fmt.Errorf("room %d (%s): teacher: %w", i+1, code, err)
		}
		rooms[i] = r
	}
	var allStudents []*client
	for i, r := range rooms {
		for j := range cfg.Students {
			c := &client{room: i, idx: j, slow: i%cfg.SlowEvery == 0 && j >= cfg.Students-cfg.Slow}
			r.students = append(r.students, c)
			allStudents = append(allStudents, c)
		}
	}
	sem := make(chan struct{}, max(1, cfg.JoinParallel))
	var wg sync.WaitGroup
	var joinErr error
	var joinMu sync.Mutex
	for k, c := range allStudents {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := c.join(ctx, wsURL.String(), base, cfg, cfg.Rooms+k, rooms[c.room].code, true); err != nil {
				joinMu.Lock()
				if joinErr == nil {
					joinErr = fmt.Errorf("room %d (%s): student %d: %w", c.room+1, rooms[c.room].code, c.idx+1, err)
					cancel()
				}
				joinMu.Unlock()
			}
		}()
	}
	wg.Wait()
	if joinErr != nil {
		return nil, joinErr
	}
	res.Join = time.Since(joinStart)
	logf("seated %d students in %d rooms in %v", len(allStudents), len(rooms), res.Join.Round(time.Millisecond))

	// Give the acting student its role, play every room's clock, then act.
	for _, r := range rooms {
		r.actor = r.teacher
		if cfg.Actor == "student" {
			r.actor = r.students[0]
			role := map[string]any{"t": "role", "seat": r.actor.seat, "role": "server", "server": cfg.ActorServer}
			if err := r.teacher.request(ctx, role); err != nil {
				return nil, fmt.Errorf("room %s: make seat %d server %s: %w", r.code, r.actor.seat, cfg.ActorServer, err)
			}
		}
		if err := r.teacher.request(ctx, map[string]any{"t": "clock", "op": "play"}); err != nil {
			return nil, fmt.Errorf("room %s: play: %w", r.code, err)
		}
	}
	phases := []string{"all reading"}
	if cfg.Slow > 0 {
		phases = append(phases, fmt.Sprintf("%d slow reader(s)/room", cfg.Slow))
	}
	var phase atomic.Int32 // 0 warm-up, 1.. the phases
	actCtx, stopActs := context.WithCancel(ctx)
	defer stopActs()
	var actWG sync.WaitGroup
	interval := time.Duration(float64(time.Second) / cfg.ActionsPerSec)
	for i, r := range rooms {
		actWG.Add(1)
		go func() {
			defer actWG.Done()
			// Rooms start their actions spread over one interval.
			select {
			case <-time.After(interval * time.Duration(i) / time.Duration(len(rooms))):
			case <-actCtx.Done():
				return
			}
			t := time.NewTicker(interval)
			defer t.Stop()
			for k := 0; ; k++ {
				if err := r.actor.act(actCtx, cfg.Acts[k%len(cfg.Acts)], int(phase.Load())); err != nil {
					if actCtx.Err() == nil {
						logf("room %s: act: %v", r.code, err)
					}
					return
				}
				select {
				case <-t.C:
				case <-actCtx.Done():
					return
				}
			}
		}()
	}

	sleep := func(d time.Duration) error {
		select {
		case <-time.After(d):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := sleep(cfg.Warmup); err != nil {
		return nil, err
	}
	type mark struct {
		at    time.Time
		bytes []int64
		m     metricsSample
		cpu   time.Duration
	}
	sample := func() mark {
		mk := mark{at: time.Now(), bytes: make([]int64, len(allStudents)), cpu: selfCPU()}
		for i, c := range allStudents {
			mk.bytes[i] = c.bytes.Load()
		}
		mk.m, _ = scrape(ctx, cfg.URL)
		return mk
	}
	marks := []mark{sample()}
	for p := range phases {
		phase.Store(int32(p + 1))
		if p == 1 {
			for _, c := range allStudents {
				if c.slow {
					close(c.stop)
				}
			}
		}
		logf("phase %d: %s for %v", p+1, phases[p], cfg.Duration)
		if err := sleep(cfg.Duration); err != nil {
			return nil, err
		}
		marks = append(marks, sample())
		if p == 0 {
			res.With = marks[len(marks)-1].m
		}
	}
	phase.Store(int32(len(phases) + 1)) // actions after the last phase are not counted
	stopActs()
	actWG.Wait()
	drain(ctx, rooms)
	for _, r := range rooms {
		for _, c := range append([]*client{r.teacher}, r.students...) {
			c.conn.Close(websocket.StatusNormalClosure, "load run over")
		}
	}
	cancel()
	for _, r := range rooms {
		for _, c := range append([]*client{r.teacher}, r.students...) {
			<-c.done
		}
	}

	// The figures.
	for _, c := range rooms[0].students {
		if !c.slow {
			res.Kinds = c.kinds
			break
		}
	}
	for p, name := range phases {
		pr := PhaseResult{Name: name}
		var fan, fanSlow, fanOther []time.Duration
		for i, r := range rooms {
			var reading []*arrivals
			for _, c := range r.students {
				if !c.slow {
					reading = append(reading, &c.arr)
				}
			}
			for _, a := range r.actor.actions {
				if a.phase != p+1 {
					continue
				}
				pr.Actions++
				if a.n == 0 {
					continue
				}
				pr.Acked++
				d, missing := fanout(a, reading)
				if missing > 0 {
					pr.Missed++
					continue
				}
				fan = append(fan, d)
				pr.Slowest = append(pr.Slowest, slowAction{room: r.code, sent: a.sent, took: d})
				if cfg.Slow > 0 && i%cfg.SlowEvery == 0 {
					fanSlow = append(fanSlow, d)
				} else {
					fanOther = append(fanOther, d)
				}
			}
		}
		pr.Fanout = percentilesOf(fan)
		pr.Start = marks[p].at
		sort.Slice(pr.Slowest, func(i, j int) bool { return pr.Slowest[i].took > pr.Slowest[j].took })
		pr.Slowest = pr.Slowest[:min(len(pr.Slowest), slowestKept)]
		if cfg.SlowEvery > 1 {
			pr.FanoutSlowRooms, pr.FanoutOtherRooms = percentilesOf(fanSlow), percentilesOf(fanOther)
		}
		from, to := marks[p], marks[p+1]
		secs := to.at.Sub(from.at).Seconds()
		var sum, slowSum float64
		var n, slowN int
		for i, c := range allStudents {
			if c.slow {
				slowSum += float64(to.bytes[i]-from.bytes[i]) / secs
				slowN++
				continue
			}
			bps := float64(to.bytes[i]-from.bytes[i]) / secs
			sum += bps
			n++
			pr.BytesMax = max(pr.BytesMax, bps)
		}
		pr.BytesAvg = sum / float64(n)
		if slowN > 0 {
			pr.SlowAvg = slowSum / float64(slowN)
		}
		pr.Metrics = delta(from.m, to.m, secs)
		pr.SelfCPU = (to.cpu - from.cpu).Seconds() / secs
		res.Phases = append(res.Phases, pr)
	}
	for _, r := range rooms {
		for _, a := range r.actor.actions {
			if a.phase >= 1 && a.phase <= len(phases) && a.n == 0 {
				res.Phases[a.phase-1].Refused++
			}
		}
		if len(res.Refusals) < 5 {
			res.Refusals = append(res.Refusals, r.actor.refusals...)
		}
	}
	if len(res.Refusals) > 5 {
		res.Refusals = res.Refusals[:5]
	}
	return res, nil
}

// openRoom opens a room as the teacher, from loopback address k.
// selfCPU is the CPU time this process used so far (user and system).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func openRoom(ctx context.Context, cfg Config, base *url.URL, k int) (id, code string, err error) {
	body, _ := json.Marshal(map[string]any{"scenario": cfg.Scenario, "seed": cfg.Seed, "bugs": []string{}, "exercise": cfg.Exercise})
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimSuffix(cfg.URL, "/")+"/api/rooms", bytes.NewReader(body))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Authorization", "Bearer "+cfg.Key)
	req.Header.Set("Content-Type", "application/json")
	d := sourceDialer(base, k)
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, DialContext: d.DialContext}}
	resp, err := hc.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("POST /api/rooms: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return "", "", fmt.Errorf("POST /api/rooms: %s: %s", resp.Status, bytes.TrimSpace(data))
	}
	var r struct{ ID, Code string }
	if err := json.Unmarshal(data, &r); err != nil || r.Code == "" {
		return "", "", fmt.Errorf("POST /api/rooms: answer %q: %v", data, err)
	}
	return r.ID, r.Code, nil
}

// sourceIP spreads the clients over loopback addresses (127.0.x.y), so
// that the server's limits per address (joins, rooms opened) meet at most
// one client each: teachers are 0..rooms-1, students after them.
func sourceIP(k int) net.IP {
	return net.IPv4(127, 0, byte(1+k/250), byte(2+k%250))
}

// countingConn counts the bytes read from the socket: the wire bytes of
// websocket frames, whatever their compression.
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// sourceDialer dials from loopback address k when the server is on IPv4
// loopback.
func sourceDialer(base *url.URL, k int) *net.Dialer {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if ip := net.ParseIP(base.Hostname()); base.Hostname() == "localhost" || (ip != nil && ip.IsLoopback() && ip.To4() != nil) {
		d.LocalAddr = &net.TCPAddr{IP: sourceIP(k)}
	}
	return d
}

func (c *client) dial(ctx context.Context, wsURL string, base *url.URL, k int) error {
	d := sourceDialer(base, k)
	if c.slow {
		d.Control = func(network, address string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, slowRcvBuf)
			})
			return errors.Join(err, serr)
		}
	}
	tr := &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return countingConn{Conn: conn, n: &c.bytes}, nil
		},
	}
	conn, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: tr},
		HTTPHeader: http.Header{"Origin": {base.Scheme + "://" + base.Host}},
	})
	if err != nil {
		return err
	}
	conn.SetReadLimit(readLimitBytes)
	c.conn = conn
	return nil
}

// join connects, says hello, waits for the sync and starts reading.
func (c *client) join(ctx context.Context, wsURL string, base *url.URL, cfg Config, k int, code string, student bool) error {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.dial(dctx, wsURL, base, k); err != nil {
		return err
	}
	hello := map[string]any{"t": "hello", "v": 1, "code": code, "as": "teacher", "key": cfg.Key, "mode": "lockstep"}
	if student {
		mode := "lockstep"
		if c.slow {
			mode = cfg.SlowMode
		}
		hello = map[string]any{"t": "hello", "v": 1, "code": code, "as": "student", "name": fmt.Sprintf("load %d.%d", c.room+1, c.idx+1), "token": "", "mode": mode}
	}
	if err := c.send(dctx, hello); err != nil {
		return err
	}
	c.arr.inputs = map[uint64]time.Time{}
	for {
		_, data, err := c.conn.Read(dctx)
		if err != nil {
			return fmt.Errorf("waiting for sync: %w", err)
		}
		f, err := parseFrame(data)
		if err != nil {
			return err
		}
		if f.T == "error" {
			return fmt.Errorf("refused: %s", f.Reason)
		}
		if f.T == "sync" {
			c.seat = f.Seat
			c.arr.syncs = append(c.arr.syncs, syncAt{n: f.N, at: time.Now()})
			break
		}
	}
	c.stop = make(chan struct{})
	c.done = make(chan struct{})
	c.kinds = map[string]*kindCount{}
	go c.read(ctx)
	return nil
}

type frame struct {
	T      string `json:"t"`
	N      uint64 `json:"n"`
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
	Seat   int    `json:"seat"`
}

var viewPrefix = []byte(`{"t":"view"`)

func parseFrame(data []byte) (frame, error) {
	var f frame
	if bytes.HasPrefix(data, viewPrefix) {
		return frame{T: "view"}, nil
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return f, fmt.Errorf("server frame %.80q: %w", data, err)
	}
	return f, nil
}

func (c *client) read(ctx context.Context) {
	defer close(c.done)
	for {
		if c.slow {
			select {
			case <-c.stop:
				<-ctx.Done()
				c.err = errors.New("stopped reading")
				return
			default:
			}
		}
		_, data, err := c.conn.Read(ctx)
		now := time.Now()
		if err != nil {
			c.err = err
			return
		}
		f, err := parseFrame(data)
		if err != nil {
			c.err = err
			return
		}
		k := c.kinds[f.T]
		if k == nil {
			k = &kindCount{}
			c.kinds[f.T] = k
		}
		k.Frames++
		k.Bytes += int64(len(data))
		switch f.T {
		case "input":
			c.arr.inputs[f.N] = now
			c.sawN(f.N)
		case "sync":
			c.arr.syncs = append(c.arr.syncs, syncAt{n: f.N, at: now})
			c.sawN(f.N)
		case "ack":
			c.acked(f.Seq, f.N)
		case "refused":
			c.refused(f.Seq, f.Reason)
		}
	}
}

func (c *client) send(ctx context.Context, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return c.conn.Write(wctx, websocket.MessageText, data)
}

// nextSeq is the seat's next sequence number.
func (c *client) nextSeq() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	return c.seq
}

func (c *client) act(ctx context.Context, text string, phase int) error {
	seq := c.nextSeq()
	c.mu.Lock()
	c.actions = append(c.actions, action{seq: seq, sent: time.Now(), phase: phase})
	c.mu.Unlock()
	return c.send(ctx, map[string]any{"t": "act", "seq": seq, "text": text})
}

func (c *client) sawN(n uint64) {
	if n > c.maxN.Load() {
		c.maxN.Store(n) // only this client's reader writes it
	}
}

// drain waits until every action was answered and every reading student
// saw each room's last acknowledged input, or drainMax.
func drain(ctx context.Context, rooms []*loadRoom) {
	deadline := time.Now().Add(drainMax)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if drained(rooms) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func drained(rooms []*loadRoom) bool {
	for _, r := range rooms {
		t := r.actor
		t.mu.Lock()
		pending := t.answered < len(t.actions)
		var last uint64
		for _, a := range t.actions {
			last = max(last, a.n)
		}
		t.mu.Unlock()
		if pending {
			return false
		}
		for _, c := range r.students {
			if !c.slow && c.maxN.Load() < last {
				return false
			}
		}
	}
	return true
}

// request sends a frame with the seat's next seq (not an action of the
// phases) and waits for the server's answer.
func (c *client) request(ctx context.Context, f map[string]any) error {
	seq := c.nextSeq()
	f["seq"] = seq
	c.mu.Lock()
	c.actions = append(c.actions, action{seq: seq, sent: time.Now()})
	c.mu.Unlock()
	if err := c.send(ctx, f); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		c.mu.Lock()
		a := *c.action(seq)
		c.mu.Unlock()
		if a.n != 0 {
			return nil
		}
		if a.refused != "" {
			return fmt.Errorf("refused: %s", a.refused)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("no answer to %v", f)
}

func (c *client) acked(seq int64, n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.action(seq); a != nil {
		a.n = n
		c.answered++
	}
}

func (c *client) refused(seq int64, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.action(seq); a != nil {
		a.refused = reason
		c.answered++
	}
	if len(c.refusals) < 5 {
		c.refusals = append(c.refusals, fmt.Sprintf("seq %d: %s", seq, reason))
	}
}

// action finds the action sent with seq (the clock frames are not actions).
func (c *client) action(seq int64) *action {
	for i := len(c.actions) - 1; i >= 0; i-- {
		if c.actions[i].seq == seq {
			return &c.actions[i]
		}
	}
	return nil
}

// metricsSample is what the run reads from the server's /metrics.
type metricsSample struct {
	ok                     bool
	HeapInuse, RSS         float64
	SlowConsumers, Refused float64
	Divergences, SimEvents float64
	Rooms, SeatsConnected  float64
	CPUSeconds             float64
	StoreSum, StoreCount   float64 // smrlab_store_seconds
	FanoutSum, FanoutCount float64 // smrlab_action_fanout_seconds
	// Series holds every smrlab_ series by its full name with labels
	// (`smrlab_replay_seconds_bucket{kind="progress",le="0.001"}`).
	Series map[string]float64
}

func scrape(ctx context.Context, base string) (metricsSample, error) {
	var m metricsSample
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(base, "/")+"/metrics", nil)
	if err != nil {
		return m, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return m, fmt.Errorf("/metrics: %s", resp.Status)
	}
	sums := map[string]float64{}
	series := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		name := line[:sp]
		full := name
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		sums[name] += v
		if strings.HasPrefix(full, "smrlab_") {
			series[full] = v
		}
	}
	m = metricsSample{ok: true, Series: series,
		HeapInuse: sums["go_memstats_heap_inuse_bytes"], RSS: sums["process_resident_memory_bytes"],
		SlowConsumers: sums["smrlab_slow_consumers_total"], Refused: sums["smrlab_refused_total"],
		Divergences: sums["smrlab_divergences_total"], SimEvents: sums["smrlab_sim_events_total"],
		Rooms: sums["smrlab_rooms"], SeatsConnected: sums["smrlab_seats_connected"],
		CPUSeconds: sums["process_cpu_seconds_total"],
		StoreSum:   sums["smrlab_store_seconds_sum"], StoreCount: sums["smrlab_store_seconds_count"],
		FanoutSum: sums["smrlab_action_fanout_seconds_sum"], FanoutCount: sums["smrlab_action_fanout_seconds_count"]}
	return m, sc.Err()
}

func delta(a, b metricsSample, secs float64) metricsDelta {
	if !a.ok || !b.ok {
		return metricsDelta{}
	}
	return metricsDelta{ok: true, SlowConsumers: b.SlowConsumers - a.SlowConsumers, Refused: b.Refused - a.Refused,
		Divergences: b.Divergences - a.Divergences, Rate: (b.SimEvents - a.SimEvents) / secs,
		CPU: (b.CPUSeconds - a.CPUSeconds) / secs, Applies: b.StoreCount - a.StoreCount,
		StoreMean:        ratio(b.StoreSum-a.StoreSum, b.StoreCount-a.StoreCount),
		ServerFanoutMean: ratio(b.FanoutSum-a.FanoutSum, b.FanoutCount-a.FanoutCount)}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// endpoints checks the server address given with -url and returns it with
// the address of the server's WebSocket endpoint (/ws on the same host).
func endpoints(raw string) (base *url.URL, wsURL url.URL, err error) {
	base, err = url.Parse(raw)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, url.URL{}, fmt.Errorf("-url %q: want http://host:port", raw)
	}
	wsURL = *base
	wsURL.Scheme = map[string]string{"http": "ws", "https": "wss"}[base.Scheme]
	wsURL.Path = "/ws"
	return base, wsURL, nil
}

// logger returns a printf-style function writing one line to w, or doing
// nothing when w is nil.
func logger(w io.Writer) func(format string, args ...any) {
	return func(format string, args ...any) {
		if w != nil {
			fmt.Fprintf(w, format+"\n", args...)
		}
	}
}
