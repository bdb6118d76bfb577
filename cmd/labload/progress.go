package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"smrlab/core/lesson"
	"smrlab/lessons"
)

// ProgressConfig is a class run: one room, its students each running a
// lesson's solution as a browser would and sending their lesson log as
// progress frames, while the teacher's connection reads the dashboard.
type ProgressConfig struct {
	URL, Key     string
	Students     int
	Lesson       string        // the shipped lesson's file name, "01-elections"
	Pace         time.Duration // mean wall time between a student's progress frames
	Chunk        int64         // virtual µs a frame of a running (waiting) step covers
	Duration     time.Duration // the run stops after this, finished or not
	JoinParallel int
	Seed         int64 // the jitter of the students' pace
	Log          io.Writer
}

// progressOp is one operation of a lesson log, as the protocol spells it.
type progressOp struct {
	Op     string `json:"op"`
	At     int64  `json:"at"`
	Text   string `json:"text,omitempty"`
	Choice string `json:"choice,omitempty"`
}

// progressEvent is one progress frame a student's page sends: the ops the
// player took since the last one, the virtual time reached, and what the
// native player says the student has then (its step, and whether the
// step's goals are met), which the dashboard must come to show.
type progressEvent struct {
	ops    []progressOp
	now    int64
	step   int
	stepID string
	done   bool
}

// key orders a student's progress as the dashboard shows it.
func progressKey(step int, done bool) int {
	if done {
		return 2*step + 1
	}
	return 2 * step
}

// lessonEvents plays a lesson's solution natively on the student's seed,
// step by step, as a student following it in the browser would: answer the
// prediction, take each action, let the run play (a wait, cut into frames
// of chunk µs), go to the next step. Each event is one progress frame.
func lessonEvents(l *lesson.Lesson, seed uint64, chunk int64) ([]progressEvent, error) {
	p, err := lesson.Open(l, seed, 0)
	if err != nil {
		return nil, err
	}
	var out []progressEvent
	seen := 0
	// Each event carries the ops the player logged since the last one:
	// the real lesson log, as the page's player records it.
	emit := func() {
		log := p.Log()
		var ops []progressOp
		for _, op := range log[seen:] {
			ops = append(ops, progressOp{Op: op.Op, At: op.At, Text: op.Text, Choice: op.Choice})
		}
		seen = len(log)
		st := p.Step()
		out = append(out, progressEvent{ops: ops, now: p.Now(), step: st, stepID: l.Steps[st].ID, done: p.Done()})
	}
	for i := range l.Steps {
		st := &l.Steps[i]
		if st.Predict != nil {
			if err := p.Answer(st.Predict.Answer); err != nil {
				return nil, fmt.Errorf("step %s: answer %s: %w", st.ID, st.Predict.Answer, err)
			}
			emit()
		}
		for _, a := range st.Solution {
			if a.Wait > 0 {
				for left := a.Wait; left > 0; left -= chunk {
					if err := p.Advance(min(chunk, left)); err != nil {
						return nil, fmt.Errorf("step %s: %s: %w", st.ID, a.Text, err)
					}
					emit()
				}
				continue
			}
			if err := p.Act(a.Text); err != nil {
				return nil, fmt.Errorf("step %s: %q: %w", st.ID, a.Text, err)
			}
			emit()
		}
		if !p.Done() {
			return nil, fmt.Errorf("step %s: the solution does not reach the goals on seed %d", st.ID, seed)
		}
		if i+1 == len(l.Steps) {
			break
		}
		if err := p.Next(); err != nil {
			return nil, fmt.Errorf("step %s: next: %w", st.ID, err)
		}
		emit()
	}
	return out, nil
}

// ProgressResult is a class run's figures.
type ProgressResult struct {
	Students   int
	Join       time.Duration
	Events     int // progress frames a student's log makes (the first student's)
	Sent       int // progress frames sent, all students
	Credited   int // credited frames the students read
	Resends    int // progress-from answers (the page resends from there)
	Refused    int
	Finished   int // students whose last event was sent
	Dashboard  percentiles
	Marks      int // progress frames that change what the dashboard shows
	Missed     int // of those, never shown by a dashboard frame
	Dashboards int // dashboard frames the teacher read
	DashBytes  int64
	Secs       float64 // from the first progress frame to the last answer
	BytesOut   float64 // payload bytes sent per student (progress frames)
	BytesIn    float64 // wire bytes received per student
	Before     metricsSample
	After      metricsSample
	SelfCPU    float64
	Refusals   []string
	// NativeEvent is the mean time labload's own native player took per
	// event to build the students' logs: the same work the server's
	// replay does per progress event, measured in this run as its baseline.
	NativeEvent time.Duration
}

type student struct {
	c       *client
	seed    chan uint64
	from    atomic.Int64 // a progress-from answer's index, -1 when none is pending
	sentOut atomic.Int64
	marks   []mark // the events whose frame the dashboard must come to show
	sent    int
	credit  atomic.Int64
	resends atomic.Int64
	refused atomic.Int64
	reasons chan string
}

type mark struct {
	key  int
	sent time.Time
}

// RunProgress seats the students, starts the lesson, plays every student's
// log and measures.
func RunProgress(ctx context.Context, cfg ProgressConfig) (*ProgressResult, error) {
	if cfg.Students < 1 {
		return nil, errors.New("need at least one student")
	}
	if cfg.Pace <= 0 {
		cfg.Pace = 2 * time.Second
	}
	if cfg.Chunk <= 0 {
		cfg.Chunk = 500_000
	}
	l, err := lessons.Load(cfg.Lesson)
	if err != nil {
		return nil, err
	}
	base, wsURL, err := endpoints(cfg.URL)
	if err != nil {
		return nil, err
	}
	logf := logger(cfg.Log)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	res := &ProgressResult{Students: cfg.Students}
	res.Before, _ = scrape(ctx, cfg.URL)

	t0 := time.Now()
	_, code, err := openRoom(ctx, Config{URL: cfg.URL, Key: cfg.Key, Seed: 1}, base, 0)
	if err != nil {
		return nil, err
	}
	teacher := &client{idx: -1}
	if err := dialHello(ctx, teacher, wsURL.String(), base, 0, map[string]any{"t": "hello", "v": 1, "code": code, "as": "teacher", "key": cfg.Key, "mode": "lockstep"}); err != nil {
		return nil, fmt.Errorf("teacher: %w", err)
	}
	students := make([]*student, cfg.Students)
	sem := make(chan struct{}, max(1, cfg.JoinParallel))
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var firstErr error
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
		errMu.Unlock()
	}
	for j := range students {
		s := &student{c: &client{idx: j}, seed: make(chan uint64, 1), reasons: make(chan string, 4)}
		s.from.Store(-1)
		students[j] = s
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			hello := map[string]any{"t": "hello", "v": 1, "code": code, "as": "student", "name": fmt.Sprintf("load %d", j+1), "token": "", "mode": "lockstep"}
			if err := dialHello(ctx, s.c, wsURL.String(), base, 1+j, hello); err != nil {
				fail(fmt.Errorf("student %d: %w", j+1, err))
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	res.Join = time.Since(t0)
	logf("seated %d students in room %s in %v", cfg.Students, code, res.Join.Round(time.Millisecond))

	// The teacher reads dashboards: for each seat, when it first showed
	// each progress key.
	var dashMu sync.Mutex
	shown := map[int][]time.Time{} // seat → key → first shown
	var dashboards atomic.Int64
	var dashBytes atomic.Int64
	teacherDone := make(chan struct{})
	go func() {
		defer close(teacherDone)
		for {
			_, data, err := teacher.conn.Read(ctx)
			if err != nil {
				return
			}
			now := time.Now()
			var f struct {
				T        string `json:"t"`
				Students []struct {
					Seat      int      `json:"seat"`
					StepIndex int      `json:"stepIndex"`
					Step      string   `json:"step"`
					Done      []string `json:"done"`
				} `json:"students"`
			}
			if !strings.HasPrefix(string(data[:min(len(data), 20)]), `{"t":"dashboard"`) || json.Unmarshal(data, &f) != nil {
				continue
			}
			dashboards.Add(1)
			dashBytes.Add(int64(len(data)))
			dashMu.Lock()
			for _, st := range f.Students {
				k := progressKey(st.StepIndex, contains(st.Done, st.Step))
				for len(shown[st.Seat]) <= k {
					shown[st.Seat] = append(shown[st.Seat], now)
				}
			}
			dashMu.Unlock()
		}
	}()
	for _, s := range students {
		go s.read(ctx)
	}
	start := map[string]any{"t": "lesson", "seq": 1, "op": "start", "lessons": []string{cfg.Lesson}}
	if err := teacher.send(ctx, start); err != nil {
		return nil, fmt.Errorf("teacher: start the lesson: %w", err)
	}

	// Every student: its seed from the class frame, its log built
	// natively, then one frame per event at the pace, answering
	// progress-from by resending from there.
	cpu0 := selfCPU()
	first := time.Now()
	runCtx, stopRun := context.WithTimeout(ctx, cfg.Duration)
	defer stopRun()
	var eventsOfFirst atomic.Int64
	var nativeNs, nativeEvents atomic.Int64
	var nativeMu sync.Mutex // one log built at a time: its time is not another's
	for j, s := range students {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var seed uint64
			select {
			case seed = <-s.seed:
			case <-runCtx.Done():
				fail(fmt.Errorf("student %d: no class frame with its seed", j+1))
				return
			}
			nativeMu.Lock()
			t0 := time.Now()
			evs, err := lessonEvents(l, seed, cfg.Chunk)
			nativeNs.Add(int64(time.Since(t0)))
			nativeMu.Unlock()
			nativeEvents.Add(int64(len(evs)))
			if err != nil {
				fail(fmt.Errorf("student %d (seed %d): %w", j+1, seed, err))
				return
			}
			if j == 0 {
				eventsOfFirst.Store(int64(len(evs)))
			}
			s.play(runCtx, cfg, evs, rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(j))))
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	// Let the last answers and dashboards come.
	time.Sleep(min(2*time.Second, cfg.Pace))
	res.SelfCPU = (selfCPU() - cpu0).Seconds()
	res.Secs = time.Since(first).Seconds()
	res.After, _ = scrape(context.Background(), cfg.URL)
	for _, s := range students {
		s.c.conn.Close(websocket.StatusNormalClosure, "load run over")
	}
	teacher.conn.Close(websocket.StatusNormalClosure, "load run over")
	<-teacherDone
	cancel()

	res.Events = int(eventsOfFirst.Load())
	if n := nativeEvents.Load(); n > 0 {
		res.NativeEvent = time.Duration(nativeNs.Load() / n)
	}
	res.Dashboards = int(dashboards.Load())
	res.DashBytes = dashBytes.Load()
	var lat []time.Duration
	var bytesIn, bytesOut int64
	dashMu.Lock()
	defer dashMu.Unlock()
	for _, s := range students {
		res.Sent += s.sent
		res.Credited += int(s.credit.Load())
		res.Resends += int(s.resends.Load())
		res.Refused += int(s.refused.Load())
		bytesIn += s.c.bytes.Load()
		bytesOut += s.sentOut.Load()
		if s.sent == res.Events && s.sent > 0 {
			res.Finished++
		}
		got := shown[s.c.seat]
		for _, m := range s.marks {
			res.Marks++
			if m.key >= len(got) {
				res.Missed++
				continue
			}
			lat = append(lat, max(got[m.key].Sub(m.sent), 0))
		}
	drain:
		for len(res.Refusals) < 5 {
			select {
			case r := <-s.reasons:
				res.Refusals = append(res.Refusals, r)
			default:
				break drain
			}
		}
	}
	res.Dashboard = percentilesOf(lat)
	res.BytesIn = float64(bytesIn) / float64(cfg.Students)
	res.BytesOut = float64(bytesOut) / float64(cfg.Students)
	return res, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// dialHello connects c from loopback address k, says hello and waits for
// its sync.
func dialHello(ctx context.Context, c *client, wsURL string, base *url.URL, k int, hello map[string]any) error {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.dial(dctx, wsURL, base, k); err != nil {
		return err
	}
	if err := c.send(dctx, hello); err != nil {
		return err
	}
	for {
		_, data, err := c.conn.Read(dctx)
		if err != nil {
			return fmt.Errorf("waiting for sync: %w", err)
		}
		f, err := parseFrame(data)
		if err != nil {
			return err
		}
		switch f.T {
		case "error":
			return fmt.Errorf("refused: %s", f.Reason)
		case "sync":
			c.seat = f.Seat
			return nil
		}
	}
}

// read is a student's reader: its seed, its credits, progress-from.
func (s *student) read(ctx context.Context) {
	for {
		_, data, err := s.c.conn.Read(ctx)
		if err != nil {
			return
		}
		var f struct {
			T      string `json:"t"`
			Seed   string `json:"seed"`
			Active bool   `json:"active"`
			From   int64  `json:"from"`
			Reason string `json:"reason"`
		}
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		switch f.T {
		case "class":
			if seed, err := strconv.ParseUint(f.Seed, 10, 64); err == nil && f.Active {
				select {
				case s.seed <- seed:
				default:
				}
			}
		case "credited":
			s.credit.Add(1)
		case "progress-from":
			s.resends.Add(1)
			s.from.Store(f.From)
		case "refused":
			s.refused.Add(1)
			select {
			case s.reasons <- f.Reason:
			default:
			}
		}
	}
}

// play sends a student's events at its pace (uniform in 0.5..1.5 of
// cfg.Pace), each as one progress frame with the ops since the server's
// length, as the page does.
func (s *student) play(ctx context.Context, cfg ProgressConfig, evs []progressEvent, rnd *rand.Rand) {
	var log []progressOp
	var ends []int // log length after each event
	for _, ev := range evs {
		log = append(log, ev.ops...)
		ends = append(ends, len(log))
	}
	from := 0
	key := progressKey(0, false)
	stepStart := time.Now()
	seq := int64(0)
	for k, ev := range evs {
		wait := time.Duration(float64(cfg.Pace) * (0.5 + rnd.Float64()))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
		if m := s.from.Swap(-1); m >= 0 && int(m) <= len(log) {
			from = int(m)
		}
		if k > 0 && ev.step != evs[k-1].step {
			stepStart = time.Now()
		}
		seq++
		frame := map[string]any{"t": "progress", "seq": seq, "lesson": cfg.Lesson, "from": from,
			"ops": nonNil(log[from:ends[k]]), "now": ev.now,
			"wall": []map[string]any{{"step": ev.stepID, "ms": time.Since(stepStart).Milliseconds()}}}
		data, _ := json.Marshal(frame)
		sent := time.Now()
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := s.c.conn.Write(wctx, websocket.MessageText, data)
		cancel()
		if err != nil {
			return
		}
		s.sent++
		s.sentOut.Add(int64(len(data)))
		from = ends[k]
		if nk := progressKey(ev.step, ev.done); nk > key {
			for kk := key + 1; kk <= nk; kk++ {
				s.marks = append(s.marks, mark{key: kk, sent: sent})
			}
			key = nk
		}
	}
}

func nonNil(ops []progressOp) []progressOp {
	if ops == nil {
		return []progressOp{}
	}
	return ops
}

// replayQuantile reads a quantile of the progress replays between two
// scrapes from smrlab_replay_seconds' buckets (the bucket's upper bound).
func replayQuantile(a, b metricsSample, q float64) (float64, bool) {
	type bucket struct{ le, n float64 }
	var bs []bucket
	const prefix = `smrlab_replay_seconds_bucket{kind="progress",le="`
	for name, v := range b.Series {
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		le, err := strconv.ParseFloat(strings.TrimSuffix(rest, `"}`), 64)
		if err != nil {
			continue
		}
		bs = append(bs, bucket{le, v - a.Series[name]})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].le < bs[j].le })
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return 0, false
	}
	total := bs[len(bs)-1].n
	for _, x := range bs {
		if x.n >= q*total {
			return x.le, !math.IsInf(x.le, 1)
		}
	}
	return 0, false
}

func printProgress(w io.Writer, cfg ProgressConfig, r *ProgressResult) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	d := func(name string) float64 { return r.After.Series[name] - r.Before.Series[name] }
	fmt.Fprintf(w, "labload -progress %s: 1 room, %d students (+ teacher) each sending its lesson log (%d progress frames) every %v on average; seated in %v\n",
		cfg.Lesson, r.Students, r.Events, cfg.Pace, r.Join.Round(time.Millisecond))
	fmt.Fprintf(w, "progress frames: %d sent over %.1f s (%.0f/s), %d credited, %d progress-from, %d refused; %d of %d students finished the lesson\n",
		r.Sent, r.Secs, float64(r.Sent)/r.Secs, r.Credited, r.Resends, r.Refused, r.Finished, r.Students)
	fmt.Fprintf(w, "dashboard latency (a progress frame sent until the teacher's dashboard shows its step or goals): p50 %s, p95 %s, p99 %s, max %s over %d changes (%d never shown); %d dashboard frames, %.0f B each\n",
		ms(r.Dashboard.P50), ms(r.Dashboard.P95), ms(r.Dashboard.P99), ms(r.Dashboard.Max), r.Marks, r.Missed,
		r.Dashboards, float64(r.DashBytes)/math.Max(1, float64(r.Dashboards)))
	if r.Before.ok && r.After.ok {
		sum, n := d(`smrlab_replay_seconds_sum{kind="progress"}`), d(`smrlab_replay_seconds_count{kind="progress"}`)
		p50, ok50 := replayQuantile(r.Before, r.After, 0.5)
		p99, ok99 := replayQuantile(r.Before, r.After, 0.99)
		q := func(v float64, ok bool) string {
			if !ok {
				return "-"
			}
			return fmt.Sprintf("≤%.3g ms", 1000*v)
		}
		fmt.Fprintf(w, "server replay per progress event (smrlab_replay_seconds): mean %.3f ms over %.0f events, p50 %s, p99 %s; baseline in this run: labload's own native player, %.3f ms an event building the same logs (ratio %.2f)\n",
			1000*ratio(sum, n), n, q(p50, ok50), q(p99, ok99), r.NativeEvent.Seconds()*1000, ratio(ratio(sum, n), r.NativeEvent.Seconds()))
		fmt.Fprintf(w, "server: %.0f%% of a core over the run (labload %.0f%%); heap in use %.1f MB -> %.1f MB, RSS %.1f MB -> %.1f MB\n",
			100*(r.After.CPUSeconds-r.Before.CPUSeconds)/r.Secs, 100*r.SelfCPU/r.Secs,
			r.Before.HeapInuse/1e6, r.After.HeapInuse/1e6, r.Before.RSS/1e6, r.After.RSS/1e6)
	}
	fmt.Fprintf(w, "bytes per student: %.0f B sent (progress payloads), %.0f B received (wire)\n", r.BytesOut, r.BytesIn)
	for _, s := range r.Refusals {
		fmt.Fprintln(w, "refused:", s)
	}
}
