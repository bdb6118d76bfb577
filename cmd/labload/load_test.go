package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce   sync.Once
	labserver   string // the built binary
	buildErr    error
	buildFolder string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildFolder != "" {
		os.RemoveAll(buildFolder)
	}
	os.Exit(code)
}

// buildLabserver builds cmd/labserver once for the package's tests.
func buildLabserver(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the test builds the labserver and needs the go command on PATH: %w", err)
			return
		}
		if buildFolder, buildErr = os.MkdirTemp("", "labload-test-"); buildErr != nil {
			return
		}
		labserver = filepath.Join(buildFolder, "labserver")
		if out, err := exec.Command(goBin, "build", "-o", labserver, "smrlab/cmd/labserver").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build smrlab/cmd/labserver: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return labserver
}

// A short load on a real labserver: every action the teachers send is
// acknowledged and reaches every reading student, the students receive
// bytes, the server's metrics are read, and with a slow student per room
// the second phase is measured beside the first.
func TestLoadOnARealLabserver(t *testing.T) {
	ctx, srv, log := startTestServer(t, 3*time.Minute)
	for _, c := range []struct {
		actor string
		slow  int
	}{{"teacher", 1}, {"student", 0}} {
		t.Run(c.actor, func(t *testing.T) {
			cfg := Config{URL: srv.url, Key: srv.key, Rooms: 2, Students: 4, Warmup: 500 * time.Millisecond,
				Duration: 2 * time.Second, ActionsPerSec: 3, Slow: c.slow, SlowEvery: 2, SlowMode: "views",
				Acts: []string{"crash S2", "restart S2"}, Actor: c.actor, JoinParallel: 4, Log: log}
			res, err := Run(ctx, cfg)
			if err != nil {
				t.Fatalf("%v\n%s", err, log.String())
			}
			if len(res.Phases) != 1+c.slow {
				t.Fatalf("%d phases, want %d", len(res.Phases), 1+c.slow)
			}
			for _, p := range res.Phases {
				if p.Actions == 0 || p.Acked != p.Actions || p.Refused != 0 || p.Missed != 0 || p.Fanout.N != p.Acked {
					t.Errorf("phase %q: %d actions, %d acked, %d refused, %d missed, %d measured (refusals %q)",
						p.Name, p.Actions, p.Acked, p.Refused, p.Missed, p.Fanout.N, res.Refusals)
				}
				if p.BytesAvg <= 0 || !p.Metrics.ok {
					t.Errorf("phase %q: %.0f B/s per student, metrics read: %v", p.Name, p.BytesAvg, p.Metrics.ok)
				}
			}
			if !res.With.ok || res.With.SeatsConnected < 2*5 {
				t.Errorf("server metrics with the rooms: %+v", res.With)
			}
			var table bytes.Buffer
			printTable(&table, cfg, res)
			for _, want := range []string{"all reading", "p99", "per room"} {
				if !strings.Contains(table.String(), want) {
					t.Errorf("the table lacks %q:\n%s", want, table.String())
				}
			}
			if c.slow > 0 && (!strings.Contains(table.String(), "1 slow reader(s)/room") || !strings.Contains(table.String(), "rooms without")) {
				t.Errorf("no slow reader phase:\n%s", table.String())
			}
			t.Logf("\n%s", table.String())
		})
	}
}

// A student whose role allows no action: every action is refused with
// the server's reason, and counted as refused, not as delivered.
func TestRefusedActionsAreCounted(t *testing.T) {
	bin := buildLabserver(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv, err := startServer(ctx, bin, nil, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	cfg := Config{URL: srv.url, Key: srv.key, Rooms: 1, Students: 2, Warmup: 200 * time.Millisecond,
		Duration: time.Second, ActionsPerSec: 3, Acts: []string{"crash S3"}, Actor: "student", ActorServer: "S2", JoinParallel: 2}
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := res.Phases[0]
	if p.Actions == 0 || p.Refused != p.Actions || p.Acked != 0 || len(res.Refusals) == 0 || !strings.Contains(res.Refusals[0], "S2") {
		t.Fatalf("%d actions, %d refused, %d acked; refusals %q", p.Actions, p.Refused, p.Acked, res.Refusals)
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-slow", "3", "-students", "3", "-key", "k"}, "leaves no student reading"},
		{[]string{"-url", "ftp://x", "-key", "k"}, "want http://host:port"},
		{[]string{"-key", ""}, "no teacher key"},
		{[]string{"-slow-mode", "fast"}, "want views or lockstep"},
		{[]string{"-actor", "nemesis"}, "want teacher or student"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		var out, errOut bytes.Buffer
		t.Setenv("SMRLAB_TEACHER_KEY", "")
		err := run(c.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("labload %q: %v, want %q", c.args, err, c.want)
		}
	}
}

// startTestServer builds and starts a real labserver for one test, with a
// context that ends after timeout; the server's output is kept in the
// returned buffer. Both end when the test does.
func startTestServer(t *testing.T, timeout time.Duration) (context.Context, *server, *bytes.Buffer) {
	t.Helper()
	bin := buildLabserver(t)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	log := &bytes.Buffer{}
	srv, err := startServer(ctx, bin, nil, "", log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.stop)
	return ctx, srv, log
}
