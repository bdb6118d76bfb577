package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildLabserver builds cmd/labserver into the test's folder.
func buildLabserver(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the test builds the labserver and needs the go command on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "labserver")
	cmd := exec.Command(goBin, "build", "-o", bin, "smrlab/cmd/labserver")
	cmd.Env = os.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build smrlab/cmd/labserver: %v\n%s", err, out)
	}
	return bin
}

// A short load on a real labserver: every action the teachers send is
// acknowledged and reaches every reading student, the students receive
// bytes, the server's metrics are read, and with a slow student per room
// the second phase is measured beside the first.
func TestLoadOnARealLabserver(t *testing.T) {
	bin := buildLabserver(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var log bytes.Buffer
	srv, err := startServer(ctx, bin, nil, "", &log)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	cfg := Config{URL: srv.url, Key: srv.key, Rooms: 2, Students: 4, Warmup: 500 * time.Millisecond,
		Duration: 2 * time.Second, ActionsPerSec: 3, Slow: 1, SlowMode: "views",
		Acts: []string{"crash S2", "restart S2"}, JoinParallel: 4, Log: &log}
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if len(res.Phases) != 2 {
		t.Fatalf("%d phases, want the baseline and the slow reader's", len(res.Phases))
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
	if !res.Before.ok || !res.With.ok || res.With.Rooms != 2 || res.With.SeatsConnected < 2*5 {
		t.Errorf("server metrics before %+v, with the rooms %+v", res.Before, res.With)
	}
	var table bytes.Buffer
	printTable(&table, cfg, res)
	for _, want := range []string{"all reading", "1 slow reader(s)/room", "p99", "per room"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
	t.Logf("\n%s", table.String())
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
