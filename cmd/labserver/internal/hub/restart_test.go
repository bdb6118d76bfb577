package hub

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"smrlab/cmd/labserver/internal/pgtest"
	"smrlab/core/lab"
	"smrlab/core/trace"
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// labserverBinary builds the real labserver once per test binary.
func labserverBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "labserver-test-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "labserver")
		out, err := exec.Command("go", "build", "-o", binPath, "smrlab/cmd/labserver").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build smrlab/cmd/labserver: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// proc is a labserver process of a test.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	stdout *syncBuffer
	stderr *syncBuffer
	exited chan struct{}
}

// startLabserver runs the real binary on a free loopback port and waits
// for the URL it prints.
func startLabserver(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(labserverBinary(t), append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			p.stdout.Write([]byte(line + "\n"))
			if u, ok := strings.CutPrefix(line, "smrlab lab: open "); ok {
				urls <- strings.TrimSuffix(u, "/")
			}
		}
		io.Copy(io.Discard, out)
	}()
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("labserver %v stderr:\n%s", args, p.stderr.String())
		}
	})
	select {
	case p.url = <-urls:
	case <-p.exited:
		t.Fatalf("labserver %v exited before serving:\n%s", args, p.stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("labserver %v printed no URL:\n%s", args, p.stderr.String())
	}
	return p
}

// kill sends SIGKILL: no shutdown, no last write.
func (p *proc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// joinAt connects to base and sends hello, returning the client and the
// sync.
func joinAt(t *testing.T, base string, hello map[string]any) (*client, frame) {
	t.Helper()
	c, _, err := dial(t, base, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.send(hello)
	return c, c.await("sync")
}

func projectorHello(code string) map[string]any {
	return map[string]any{"t": "hello", "v": 1, "code": code, "as": "projector", "mode": "lockstep"}
}

// awaitNow reads until a now frame at or past at.
func (c *client) awaitNow(at int64) frame {
	c.t.Helper()
	for {
		f, err := c.read()
		if err != nil {
			c.t.Fatalf("awaiting the room's time %dus: %v", at, err)
		}
		if f.T == "now" && f.At >= at {
			return f
		}
	}
}

// nativeHash is what a browser computes from a sync: the recording
// imported and run to at, natively here.
func nativeHash(t *testing.T, f frame) string {
	t.Helper()
	h, err := trace.ParseHeaderJSON(f.Recording)
	if err != nil {
		t.Fatalf("the sync's recording: %v", err)
	}
	s, err := lab.OpenRecording(&h)
	if err != nil {
		t.Fatalf("opening the sync's recording: %v", err)
	}
	s.GoTo(f.At)
	return fmt.Sprintf("%016x", s.StateHash())
}

// A class in progress survives SIGKILL: started again on the same store,
// the labserver restores every room at the hash the class saw, and each
// student's token finds the same seat.
func TestRestartAfterSIGKILL(t *testing.T) {
	db := filepath.Join(t.TempDir(), "rooms.db")
	flags := []string{"-db", db, "-teacher-key", testKey, "-instance", "one"}
	p1 := startLabserver(t, flags...)

	paused := openRoomAt(t, p1.url, map[string]any{"scenario": "leader-crash.scn", "seed": 5})
	playing := openRoomAt(t, p1.url, map[string]any{"scenario": "leader-crash.scn", "seed": 9})

	teach, _ := joinAt(t, p1.url, teacherHello(paused.Code))
	ada, adaSync := joinAt(t, p1.url, studentHello(paused.Code, "Ada", ""))
	bob, bobSync := joinAt(t, p1.url, studentHello(paused.Code, "Bob", ""))
	teach.send(map[string]any{"t": "role", "seq": 1, "seat": adaSync.Seat, "role": "server", "server": "S1"})
	teach.await("ack")
	teach.send(map[string]any{"t": "role", "seq": 2, "seat": bobSync.Seat, "role": "server", "server": "S2"})
	teach.await("ack")
	ada.send(act(1, "crash S1"))
	ada.await("ack")
	teach.send(map[string]any{"t": "clock", "seq": 3, "op": "play"})
	teach.await("ack")
	teach.awaitNow(1)
	teach.send(map[string]any{"t": "clock", "seq": 4, "op": "pause"})
	teach.await("ack")
	bob.send(act(1, "crash S2"))
	bob.await("ack")
	last := ada.await("input")
	for last.Text != "crash S2" {
		last = ada.await("input")
	}
	status, rec1 := callAPI(t, p1.url, "GET", "/api/rooms/"+paused.ID+"/recording", testKey, nil)
	if status != http.StatusOK {
		t.Fatalf("recording: %d %s", status, rec1)
	}

	teachB, _ := joinAt(t, p1.url, teacherHello(playing.Code))
	teachB.send(map[string]any{"t": "clock", "seq": 1, "op": "speed", "speedPpm": 1_000_000})
	teachB.await("ack")
	teachB.send(map[string]any{"t": "clock", "seq": 2, "op": "play"})
	teachB.await("ack")
	teachB.awaitNow(1_500_000)

	p1.kill()
	p2 := startLabserver(t, flags...)

	status, rec2 := callAPI(t, p2.url, "GET", "/api/rooms/"+paused.ID+"/recording", testKey, nil)
	if status != http.StatusOK || !bytes.Equal(rec1, rec2) {
		t.Fatalf("the paused room's recording after the restart differs:\nbefore %s\nafter  %s", rec1, rec2)
	}
	ada2, s := joinAt(t, p2.url, studentHello(paused.Code, "Ada", adaSync.Token))
	if s.Seat != adaSync.Seat || s.At != last.At || s.Hash != last.Hash || s.LastSeq != 1 {
		t.Fatalf("Ada after the restart: seat %d at %d hash %s lastSeq %d; before: seat %d at %d hash %s lastSeq 1",
			s.Seat, s.At, s.Hash, s.LastSeq, adaSync.Seat, last.At, last.Hash)
	}
	_, s = joinAt(t, p2.url, studentHello(paused.Code, "Bob", bobSync.Token))
	if s.Seat != bobSync.Seat || s.Hash != last.Hash {
		t.Fatalf("Bob after the restart: seat %d hash %s, want seat %d hash %s", s.Seat, s.Hash, bobSync.Seat, last.Hash)
	}
	ada2.send(act(2, "restart S1"))
	if f := ada2.await("ack"); f.N != last.N+1 {
		t.Fatalf("Ada's act after the restart is input %d, want %d", f.N, last.N+1)
	}

	_, sb := joinAt(t, p2.url, projectorHello(playing.Code))
	if got := nativeHash(t, sb); got != sb.Hash {
		t.Fatalf("the playing room after the restart: hash %s at %dus, its recording replays to %s", sb.Hash, sb.At, got)
	}
	if !strings.Contains(p2.stderr.String(), "rooms restored") {
		t.Errorf("the restarted labserver logged no restore:\n%s", p2.stderr.String())
	}
}
