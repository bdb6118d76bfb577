// Command labload puts a classroom's load on a labserver: it opens rooms as
// the teacher (POST /api/rooms), seats students in each over real
// websockets (the protocol of the room, as a lockstep browser speaks it),
// plays each room's clock and has its teacher act ("crash S2", "restart S2",
// ...) at a steady rate while everyone reads. It measures, per action, the
// time from sending it to its input frame reaching every student of the
// room, and the bytes each student receives per second. With -slow N, a
// second phase of the same length has N students per room stop reading, to
// show whether a slow reader raises anyone else's latency (the first phase
// is its baseline, measured in the same run).
//
// Against a running labserver:
//
//	labload -url http://127.0.0.1:8080 -key KEY -rooms 30 -students 30
//
// or starting one of its own (on a free loopback port, a fresh store in a
// temporary folder and a teacher key it makes up), as `make bench` does:
//
//	labload -serve bin/labserver -rooms 1 -students 300
//
// With -progress LESSON it runs a class instead: one room, -students each
// playing the shipped lesson's solution natively on their own seed (the
// real ops, built with core/lesson's player) and sending their lesson logs
// as progress frames at a browser's pace (-pace), while the teacher's
// connection reads the dashboard; it reports the dashboard's latency, the
// server's replay cost per progress event, bytes per student, and the
// server's CPU and memory:
//
//	labload -serve bin/labserver -progress 01-elections -students 300
//
// Every client is on loopback; the run stops by itself after -warmup plus
// each phase's -duration (with -progress: when every student has sent its
// log, or after -duration).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "labload:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("labload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "the labserver")
	fs.StringVar(&cfg.Key, "key", os.Getenv("SMRLAB_TEACHER_KEY"), "the teacher key (default $SMRLAB_TEACHER_KEY)")
	fs.IntVar(&cfg.Rooms, "rooms", 1, "rooms to open")
	fs.IntVar(&cfg.Students, "students", 30, "students per room")
	fs.DurationVar(&cfg.Duration, "duration", 20*time.Second, "length of each phase")
	fs.DurationVar(&cfg.Warmup, "warmup", 3*time.Second, "time after everyone is seated before measuring")
	fs.Float64Var(&cfg.ActionsPerSec, "actions-per-sec", 1, "actions per second per room (sent by its teacher)")
	fs.IntVar(&cfg.Slow, "slow", 0, "students per room who stop reading in a second phase (0: no second phase)")
	fs.IntVar(&cfg.SlowEvery, "slow-every", 1, "only every Nth room has slow students; the rest, at the same time, are the control (shown in rows of their own)")
	fs.StringVar(&cfg.SlowMode, "slow-mode", "views", "the slow students' mode: views (view models, heavy) or lockstep")
	fs.StringVar(&cfg.Scenario, "scenario", "", "the rooms' scenario (a file name the server knows; empty: its default)")
	fs.Int64Var(&cfg.Seed, "seed", 1, "the rooms' seed")
	fs.StringVar(&cfg.Exercise, "exercise", "", "the rooms' exercise (empty: free play)")
	acts := fs.String("acts", "crash S2,restart S2", "the actions, comma-separated, sent in turn")
	fs.StringVar(&cfg.Actor, "actor", "teacher", "who acts in each room: teacher, or student (the room's first student, made server -actor-server by the teacher)")
	fs.StringVar(&cfg.ActorServer, "actor-server", "S2", "the server an acting student is given")
	fs.IntVar(&cfg.JoinParallel, "join-parallel", 16, "students joining at once")
	serve := fs.String("serve", "", "start this labserver binary on a free loopback port for the run (and stop it after)")
	serveArgs := fs.String("serve-args", "", "more flags for the -serve labserver, space-separated")
	progress := fs.String("progress", "", "a class run instead: the students each run this shipped lesson's solution (\"01-elections\") in one room and send their lesson logs as progress frames while the teacher reads the dashboard")
	pace := fs.Duration("pace", 2*time.Second, "with -progress: mean wall time between a student's progress frames")
	chunk := fs.Duration("chunk", 500*time.Millisecond, "with -progress: virtual time one progress frame of a running step covers")
	quiet := fs.Bool("q", false, "print only the table")
	worst := fs.Int("worst", 0, "also list each phase's N slowest actions (at most 10), with when they were sent")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg.Acts = strings.Split(*acts, ",")
	if !*quiet {
		cfg.Log = stderr
	}
	if cfg.Actor != "teacher" && cfg.Actor != "student" {
		return fmt.Errorf("-actor %q: want teacher or student", cfg.Actor)
	}
	if cfg.SlowMode != "views" && cfg.SlowMode != "lockstep" {
		return fmt.Errorf("-slow-mode %q: want views or lockstep", cfg.SlowMode)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *serve != "" {
		srv, err := startServer(ctx, *serve, strings.Fields(*serveArgs), cfg.Key, cfg.Log)
		if err != nil {
			return err
		}
		defer srv.stop()
		cfg.URL, cfg.Key = srv.url, srv.key
	}
	if cfg.Key == "" {
		return errors.New("no teacher key: give -key (or SMRLAB_TEACHER_KEY), or -serve a labserver")
	}
	if *progress != "" {
		pcfg := ProgressConfig{URL: cfg.URL, Key: cfg.Key, Students: cfg.Students, Lesson: *progress, Pace: *pace,
			Chunk: chunk.Microseconds(), Duration: cfg.Duration, JoinParallel: cfg.JoinParallel, Seed: cfg.Seed, Log: cfg.Log}
		res, err := RunProgress(ctx, pcfg)
		if err != nil {
			return err
		}
		printProgress(stdout, pcfg, res)
		return nil
	}
	res, err := Run(ctx, cfg)
	if err != nil {
		return err
	}
	printTable(stdout, cfg, res)
	for _, p := range res.Phases {
		for i, a := range p.Slowest[:min(*worst, len(p.Slowest))] {
			fmt.Fprintf(stdout, "slowest in %q #%d: room %s, sent %.1f s into the phase, %.1f ms\n",
				p.Name, i+1, a.room, a.sent.Sub(p.Start).Seconds(), float64(a.took)/float64(time.Millisecond))
		}
	}
	return nil
}

func printTable(w io.Writer, cfg Config, res *Result) {
	fmt.Fprintf(w, "labload: %d room(s) x %d students (+ teacher), %.3g actions/s per room, %v per phase, seated in %v\n",
		cfg.Rooms, cfg.Students, cfg.ActionsPerSec, cfg.Duration, res.Join.Round(time.Millisecond))
	fmt.Fprintf(w, "%-22s %7s %6s %8s %8s %8s %8s %7s %14s %13s %6s\n",
		"phase", "actions", "acked", "p50", "p95", "p99", "max", "missed", "B/s/student", "B/s max", "slow")
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
	for _, p := range res.Phases {
		slow := "-"
		if p.Metrics.ok {
			slow = fmt.Sprintf("%.0f", p.Metrics.SlowConsumers)
		}
		fmt.Fprintf(w, "%-22s %7d %6d %8s %8s %8s %8s %7d %14.0f %13.0f %6s\n",
			p.Name, p.Actions, p.Acked, ms(p.Fanout.P50), ms(p.Fanout.P95), ms(p.Fanout.P99), ms(p.Fanout.Max),
			p.Missed, p.BytesAvg, p.BytesMax, slow)
		if cfg.SlowEvery > 1 && cfg.Slow > 0 {
			for _, row := range []struct {
				name string
				f    percentiles
			}{{"  rooms with slow", p.FanoutSlowRooms}, {"  rooms without", p.FanoutOtherRooms}} {
				fmt.Fprintf(w, "%-22s %7s %6d %8s %8s %8s %8s\n", row.name, "", row.f.N, ms(row.f.P50), ms(row.f.P95), ms(row.f.P99), ms(row.f.Max))
			}
		}
	}
	fmt.Fprintln(w, "latency: an action sent by the teacher until its input frame reached EVERY reading student of the room;")
	fmt.Fprintln(w, "missed: acknowledged actions some reading student never got; B/s: wire bytes received per reading student;")
	fmt.Fprintln(w, "slow: slow consumers the server dropped (its smrlab_slow_consumers_total)")
	if cfg.Slow > 0 {
		for _, p := range res.Phases {
			fmt.Fprintf(w, "slow students (%s mode) in %q: %.0f B/s each\n", cfg.SlowMode, p.Name, p.SlowAvg)
		}
	}
	if res.Before.ok && res.With.ok {
		mb := func(b float64) string { return fmt.Sprintf("%.1f MB", b/1e6) }
		fmt.Fprintf(w, "server: heap in use %s before the rooms, %s with them (%s per room); RSS %s -> %s (%s per room)\n",
			mb(res.Before.HeapInuse), mb(res.With.HeapInuse), mb((res.With.HeapInuse-res.Before.HeapInuse)/float64(cfg.Rooms)),
			mb(res.Before.RSS), mb(res.With.RSS), mb((res.With.RSS-res.Before.RSS)/float64(cfg.Rooms)))
		for _, p := range res.Phases {
			fmt.Fprintf(w, "server in %q: %.0f%% of a core (labload %.0f%%), %.0f slow consumers dropped, %.0f frames refused, %.0f divergences, %.0f simulation events/s\n",
				p.Name, 100*p.Metrics.CPU, 100*p.SelfCPU, p.Metrics.SlowConsumers, p.Metrics.Refused, p.Metrics.Divergences, p.Metrics.Rate)
			fmt.Fprintf(w, "  store: %.0f applies, %.2f ms each on average; the server's own fan-out of an action: %.2f ms on average\n",
				p.Metrics.Applies, 1000*p.Metrics.StoreMean, 1000*p.Metrics.ServerFanoutMean)
		}
	} else {
		fmt.Fprintln(w, "server: /metrics not readable, no memory figures")
	}
	if len(res.Kinds) > 0 {
		var kinds []string
		for k := range res.Kinds {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		fmt.Fprint(w, "one student's frames over the run (count, payload bytes):")
		for _, k := range kinds {
			fmt.Fprintf(w, " %s %d %d B;", k, res.Kinds[k].Frames, res.Kinds[k].Bytes)
		}
		fmt.Fprintln(w)
	}
	for _, r := range res.Refusals {
		fmt.Fprintln(w, "refused:", r)
	}
}

type server struct {
	url, key string
	cmd      *exec.Cmd
	dir      string
	exited   chan struct{}
}

// startServer runs the labserver binary on a free loopback port with a
// fresh SQLite store in a temporary folder, and waits for /healthz.
func startServer(ctx context.Context, bin string, extra []string, key string, log io.Writer) (*server, error) {
	if key == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		key = hex.EncodeToString(b)
	}
	dir, err := os.MkdirTemp("", "labload-")
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	args := append([]string{"-addr", addr, "-db", filepath.Join(dir, "lab.db"), "-teacher-key", key}, extra...)
	logFile, err := os.Create(filepath.Join(dir, "labserver.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("-serve %s: %w", bin, err)
	}
	s := &server{url: "http://" + addr, key: key, cmd: cmd, dir: dir, exited: make(chan struct{})}
	go func() { cmd.Wait(); logFile.Close(); close(s.exited) }()
	if log != nil {
		fmt.Fprintf(log, "labserver %s on %s (log %s)\n", bin, s.url, logFile.Name())
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.exited:
			out, _ := os.ReadFile(logFile.Name())
			os.RemoveAll(dir)
			return nil, fmt.Errorf("-serve %s exited: %s\n%s", bin, cmd.ProcessState, out)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("-serve %s: /healthz not answering on %s after 60 s", bin, s.url)
		}
	}
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	os.RemoveAll(s.dir)
}
