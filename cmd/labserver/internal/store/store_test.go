package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"smrlab/cmd/labserver/internal/pgtest"
	"smrlab/core/room"
)

// envKilledWriter makes the test binary the writer that TestKilledWriter
// kills: it applies inputs to the store named by the variable and prints the
// number of each input that Apply acknowledged.
const envKilledWriter = "SMRLAB_STORE_KILLED_WRITER"

func TestMain(m *testing.M) {
	if dsn := os.Getenv(envKilledWriter); dsn != "" {
		os.Exit(killedWriter(dsn))
	}
	os.Exit(pgtest.Main(m))
}

// engines runs f once on a fresh SQLite file and once on a fresh PostgreSQL
// database.
func engines(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, filepath.Join(t.TempDir(), "lab.db")) })
	t.Run("postgres", func(t *testing.T) { f(t, pgtest.DSN(t)) })
}

func openT(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func roomRec(id, code string) room.Record {
	return room.Record{Kind: room.RecordRoom, Room: id, Code: code, Created: 1000,
		Spec: room.Spec{File: "leader-crash.scn", Scenario: "servers 3\n", Seed: 7, Bugs: []string{"b"}, Exercise: "be-a-server", Title: "Monday"}}
}

func inputRec(id string, n uint64) room.Record {
	return room.Record{Kind: room.RecordInput, Room: id, Input: room.Input{N: n, Body: []byte(fmt.Sprintf(`{"t":"act","n":%d}`, n))}}
}

func auditRec(id, kind, detail string) room.Record {
	return room.Record{Kind: room.RecordAudit, Room: id, Audit: room.Audit{AtMs: 1001, Actor: "teacher", Kind: kind, Detail: detail}}
}

func seatRec(id string, seat room.SeatID, name string) room.Record {
	return room.Record{Kind: room.RecordSeat, Room: id, Seat: room.SeatRow{Seat: seat, TokenHash: "th" + name, Name: name,
		Role: room.Role{Role: "server", Server: "S1"}, Created: 1002}}
}

func TestRoundTripAndReopen(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openT(t, dsn)
		progress := room.Record{Kind: room.RecordProgress, Room: "r1", At: 3_000_000, Hash: "0123456789abcdef",
			Clock: room.Clock{Playing: true, SpeedPpm: 50_000, At: 2_000_000, Ms: 5000, N: 2}}
		closed := roomRec("r1", "K7QM2P")
		closed.Closed = 9000
		recs := []room.Record{roomRec("r1", "K7QM2P"), auditRec("r1", "open", "leader-crash.scn"),
			seatRec("r1", 1, "Ada"), seatRec("r1", 2, "Grace"), inputRec("r1", 1), inputRec("r1", 2),
			roomRec("r2", "AC3479"), progress}
		if err := s.Apply(ctx, recs); err != nil {
			t.Fatal(err)
		}
		renamed := seatRec("r1", 2, "Grace H")
		renamed.Seat.Role = room.Role{Role: "nemesis"}
		if err := s.Apply(ctx, []room.Record{renamed, inputRec("r1", 3), closed, auditRec("r1", "close", "")}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetMeta(ctx, "teacher_key_sha256", "abc"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetMeta(ctx, "teacher_key_sha256", "def"); err != nil {
			t.Fatal(err)
		}
		check := func(s *Store) {
			t.Helper()
			rooms, err := s.Rooms(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(rooms) != 2 || rooms[0].ID != "r1" || rooms[1].ID != "r2" {
				t.Fatalf("rooms = %+v", rooms)
			}
			r, ok, err := s.RoomByCode(ctx, "K7QM2P")
			if err != nil || !ok {
				t.Fatalf("RoomByCode: %v %v", ok, err)
			}
			if r.ID != "r1" || r.Closed != 9000 || r.Created != 1000 || r.Spec.Seed != 7 || r.Spec.Bugs[0] != "b" ||
				r.Spec.Exercise != "be-a-server" || r.Spec.Scenario != "servers 3\n" {
				t.Fatalf("room r1 = %+v", r)
			}
			if p := r.Progress(); !reflect.DeepEqual(p, progress) {
				t.Fatalf("progress = %+v, want %+v", p, progress)
			}
			if rec := r.Record(); rec.Kind != room.RecordRoom || rec.Code != "K7QM2P" || rec.Closed != 9000 {
				t.Fatalf("record = %+v", rec)
			}
			r2, ok, err := s.RoomByID(ctx, "r2")
			if err != nil || !ok || r2.Code != "AC3479" || !reflect.DeepEqual(r2.Progress(), room.Record{}) {
				t.Fatalf("RoomByID r2 = %+v %v %v", r2, ok, err)
			}
			if _, ok, err := s.RoomByID(ctx, "nope"); ok || err != nil {
				t.Fatalf("RoomByID nope = %v %v", ok, err)
			}
			seats, err := s.Seats(ctx, "r1")
			if err != nil {
				t.Fatal(err)
			}
			if len(seats) != 2 || seats[0].Name != "Ada" || seats[0].TokenHash != "thAda" || seats[0].Role.Server != "S1" ||
				seats[1].Name != "Grace H" || seats[1].Role.Role != "nemesis" || seats[1].Created != 1002 {
				t.Fatalf("seats = %+v", seats)
			}
			ins, err := s.Inputs(ctx, "r1")
			if err != nil {
				t.Fatal(err)
			}
			if len(ins) != 3 || ins[0].N != 1 || ins[2].N != 3 || string(ins[1].Body) != `{"t":"act","n":2}` {
				t.Fatalf("inputs = %+v", ins)
			}
			if v, ok, err := s.Meta(ctx, "teacher_key_sha256"); v != "def" || !ok || err != nil {
				t.Fatalf("meta = %q %v %v", v, ok, err)
			}
			if _, ok, err := s.Meta(ctx, "nothing"); ok || err != nil {
				t.Fatalf("meta nothing = %v %v", ok, err)
			}
			if v, _, _ := s.Meta(ctx, "schema"); v != "1" {
				t.Fatalf("schema = %q", v)
			}
		}
		check(s)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		check(openT(t, dsn))
	})
}

func TestApplyIsAllOrNothing(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openT(t, dsn)
		if err := s.Apply(ctx, []room.Record{roomRec("r1", "K7QM2P"), inputRec("r1", 1)}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			recs []room.Record
			want string
		}{
			{"an input stored before", []room.Record{roomRec("r2", "AC3479"), seatRec("r1", 1, "Ada"), auditRec("r1", "join", "Ada"),
				inputRec("r1", 2), inputRec("r1", 1)}, "record 5 of 5 (input n=1 of room r1)"},
			{"the same input twice", []room.Record{inputRec("r1", 2), auditRec("r1", "x", ""), inputRec("r1", 2)}, "record 3 of 3 (input n=2 of room r1)"},
			{"progress of no room", []room.Record{inputRec("r1", 2), {Kind: room.RecordProgress, Room: "r9", Hash: "ab"}}, "no such room"},
			{"a code another room has", []room.Record{inputRec("r1", 2), roomRec("r3", "K7QM2P")}, "room r3 code K7QM2P"},
			{"an input without a number", []room.Record{inputRec("r1", 0)}, "out of range"},
			{"a record of no kind", []room.Record{inputRec("r1", 2), {Room: "r1"}}, "unknown record kind"},
		}
		for _, c := range cases {
			err := s.Apply(ctx, c.recs)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "nothing stored") {
				t.Errorf("%s: err = %v, want it to say %q", c.name, err, c.want)
			}
		}
		ins, err := s.Inputs(ctx, "r1")
		if err != nil || len(ins) != 1 {
			t.Fatalf("inputs after refused batches = %+v %v", ins, err)
		}
		if seats, err := s.Seats(ctx, "r1"); err != nil || len(seats) != 0 {
			t.Fatalf("seats after refused batches = %+v %v", seats, err)
		}
		if rooms, err := s.Rooms(ctx); err != nil || len(rooms) != 1 {
			t.Fatalf("rooms after refused batches = %+v %v", rooms, err)
		}
		var audit bytes.Buffer
		if err := s.Audit(ctx, "", &audit); err != nil || audit.Len() != 0 {
			t.Fatalf("audit after refused batches = %q %v", audit.String(), err)
		}
		// The store still takes a good batch after the refused ones.
		if err := s.Apply(ctx, []room.Record{inputRec("r1", 2)}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAuditExportsJSONLines(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openT(t, dsn)
		recs := []room.Record{roomRec("r1", "K7QM2P"), roomRec("r2", "AC3479"),
			auditRec("r1", "open", "leader-crash.scn"), auditRec("r2", "open", "<b>&"), auditRec("r1", "refused", `seat 3 (Ada): "crash S2"`)}
		recs[4].Audit.Actor, recs[4].Audit.AtMs = "seat 3 (Ada)", 2000
		if err := s.Apply(ctx, recs); err != nil {
			t.Fatal(err)
		}
		var one, all bytes.Buffer
		if err := s.Audit(ctx, "r1", &one); err != nil {
			t.Fatal(err)
		}
		want := `{"room":"r1","at_ms":1001,"actor":"teacher","kind":"open","detail":"leader-crash.scn"}
{"room":"r1","at_ms":2000,"actor":"seat 3 (Ada)","kind":"refused","detail":"seat 3 (Ada): \"crash S2\""}
`
		if one.String() != want {
			t.Fatalf("audit of r1:\n%s\nwant:\n%s", one.String(), want)
		}
		if err := s.Audit(ctx, "", &all); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(all.String(), "\n"), "\n")
		if len(lines) != 3 || lines[1] != `{"room":"r2","at_ms":1001,"actor":"teacher","kind":"open","detail":"<b>&"}` {
			t.Fatalf("audit of every room:\n%s", all.String())
		}
	})
}

func TestOpenRefusesANewerSchema(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openT(t, dsn)
		if err := s.SetMeta(ctx, "schema", "2"); err != nil {
			t.Fatal(err)
		}
		s.Close()
		_, err := Open(ctx, dsn)
		if err == nil || !strings.Contains(err.Error(), "schema version 2") || !strings.Contains(err.Error(), "knows version 1") {
			t.Fatalf("Open of a schema 2 store: %v", err)
		}
	})
}

func TestOpenSaysWhatAndWhere(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "no-such-folder", "lab.db")
	for _, c := range []struct{ dsn, want string }{
		{"", "no database given"},
		{missing, missing},
		{"lab.db?mode=ro", "plain file path"},
		{"postgres://user:secret@127.0.0.1:1/db?connect_timeout=2", "postgres://user:xxxxx@127.0.0.1:1/db"},
	} {
		s, err := Open(ctx, c.dsn)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", c.dsn)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) = %v, want it to say %q (and no password)", c.dsn, err, c.want)
		}
	}
}

func TestClaimTakesRenewsAndExpires(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openT(t, dsn)
		if err := s.Apply(ctx, []room.Record{roomRec("r1", "K7QM2P")}); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			instance string
			nowMs    int64
			want     bool
		}{
			{"a", 1000, true},  // a free room: lease until 1500
			{"b", 1200, false}, // a holds it
			{"a", 1300, true},  // a renews until 1800
			{"b", 1700, false}, // still a's
			{"b", 1800, false}, // lease_ms < now is false at the very end
			{"b", 1801, true},  // a's lease ran out: b takes over until 2301
			{"a", 1900, false}, // a, back, finds b
		}
		for i, st := range steps {
			got, err := s.Claim(ctx, "r1", st.instance, st.nowMs, 500)
			if err != nil || got != st.want {
				t.Fatalf("step %d: Claim(%s, %d) = %v %v, want %v", i, st.instance, st.nowMs, got, err, st.want)
			}
		}
		r, _, _ := s.RoomByID(ctx, "r1")
		if r.Owner != "b" || r.LeaseMs != 2301 {
			t.Fatalf("owner %q lease %d", r.Owner, r.LeaseMs)
		}
		if _, err := s.Claim(ctx, "r9", "a", 1, 1); err == nil || !strings.Contains(err.Error(), "claim room r9 for a: no such room") {
			t.Fatalf("Claim of a missing room: %v", err)
		}
	})
}

// Two instances (two Stores, each with its own connections) claim the same
// free rooms at the same moment: for each room exactly one wins.
func TestConcurrentClaimHasOneWinner(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		a, b := openT(t, dsn), openT(t, dsn)
		const rooms = 40
		var recs []room.Record
		for i := range rooms {
			recs = append(recs, roomRec(fmt.Sprintf("r%02d", i), fmt.Sprintf("C%05d", i)))
		}
		if err := a.Apply(ctx, recs); err != nil {
			t.Fatal(err)
		}
		for i := range rooms {
			id := fmt.Sprintf("r%02d", i)
			var wg sync.WaitGroup
			var won [2]bool
			var errs [2]error
			start := make(chan struct{})
			for j, s := range []*Store{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					won[j], errs[j] = s.Claim(ctx, id, fmt.Sprintf("instance-%d", j), 10_000, 30_000)
				}()
			}
			close(start)
			wg.Wait()
			if errs[0] != nil || errs[1] != nil {
				t.Fatalf("room %s: %v %v", id, errs[0], errs[1])
			}
			if won[0] == won[1] {
				t.Fatalf("room %s: instance-0 won %v, instance-1 won %v: want exactly one", id, won[0], won[1])
			}
			r, _, err := b.RoomByID(ctx, id)
			winner := "instance-0"
			if won[1] {
				winner = "instance-1"
			}
			if err != nil || r.Owner != winner {
				t.Fatalf("room %s: owner %q, the winner was %s (%v)", id, r.Owner, winner, err)
			}
		}
	})
}

// Two instances that both believe they own a room write its next input at
// the same moment: for each n exactly one Apply succeeds, and the loser's
// whole batch (its audit entry too) is gone.
func TestDuplicateInputFencesTwoInstances(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		a, b := openT(t, dsn), openT(t, dsn)
		if err := a.Apply(ctx, []room.Record{roomRec("r1", "K7QM2P")}); err != nil {
			t.Fatal(err)
		}
		const inputs = 30
		for n := uint64(1); n <= inputs; n++ {
			var wg sync.WaitGroup
			var errs [2]error
			start := make(chan struct{})
			for j, s := range []*Store{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					errs[j] = s.Apply(ctx, []room.Record{auditRec("r1", "act", fmt.Sprintf("instance %d", j)), inputRec("r1", n)})
				}()
			}
			close(start)
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("input %d: instance 0: %v; instance 1: %v: want exactly one to fail", n, errs[0], errs[1])
			}
			for _, err := range errs {
				if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("input n=%d of room r1", n)) {
					t.Fatalf("input %d: the error does not name the input: %v", n, err)
				}
			}
		}
		var audit bytes.Buffer
		if err := a.Audit(ctx, "r1", &audit); err != nil {
			t.Fatal(err)
		}
		if lines := strings.Count(audit.String(), "\n"); lines != inputs {
			t.Fatalf("%d audit entries for %d inputs: a failed batch left its audit entry", lines, inputs)
		}
	})
}

// killedWriter is the child of TestKilledWriter: it opens the store, and
// applies inputs 1, 2, ... with an audit entry each, printing every n whose
// Apply returned nil, until it is killed (or after a bound, to stop by
// itself).
func killedWriter(dsn string) int {
	ctx := context.Background()
	s, err := Open(ctx, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for n := uint64(1); n <= 100_000; n++ {
		if err := s.Apply(ctx, []room.Record{inputRec("r1", n), auditRec("r1", "act", strconv.FormatUint(n, 10))}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Printf("%d\n", n)
	}
	return 0
}

// A writer killed with SIGKILL loses nothing that Apply acknowledged, and
// no batch is stored in part.
func TestKilledWriter(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openT(t, dsn)
		if err := s.Apply(ctx, []room.Record{roomRec("r1", "K7QM2P")}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envKilledWriter+"="+dsn)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		var acked uint64
		for sc.Scan() {
			n, err := strconv.ParseUint(sc.Text(), 10, 64)
			if err != nil {
				t.Fatalf("child printed %q", sc.Text())
			}
			acked = n
			if n == 300 {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			}
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("the writer was not killed: %v\n%s", err, stderr.String())
		}
		if acked < 300 {
			t.Fatalf("the writer acknowledged only %d inputs before dying:\n%s", acked, stderr.String())
		}
		s = openT(t, dsn)
		ins, err := s.Inputs(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		if uint64(len(ins)) < acked {
			t.Fatalf("the writer acknowledged %d inputs, the store has %d", acked, len(ins))
		}
		for i, in := range ins {
			if in.N != uint64(i+1) {
				t.Fatalf("input %d has n=%d", i, in.N)
			}
		}
		var audit bytes.Buffer
		if err := s.Audit(ctx, "r1", &audit); err != nil {
			t.Fatal(err)
		}
		if lines := strings.Count(audit.String(), "\n"); lines != len(ins) {
			t.Fatalf("%d inputs but %d audit entries: a batch was stored in part", len(ins), lines)
		}
		t.Logf("%s: acknowledged %d, found %d after SIGKILL", s.Engine(), acked, len(ins))
	})
}

// BenchmarkApply stores one room's input and audit entry per operation, from
// 4 goroutines per core at once, each its own room (a server's room
// goroutines).
func BenchmarkApply(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			dsn := filepath.Join(b.TempDir(), "lab.db")
			if engine == "postgres" {
				dsn = pgtest.DSN(b)
			}
			ctx := context.Background()
			s, err := Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var next sync.Mutex
			var lat []time.Duration
			k := 0
			b.SetParallelism(4) // 4 per core
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				next.Lock()
				id := fmt.Sprintf("r%d", k)
				k++
				next.Unlock()
				if err := s.Apply(ctx, []room.Record{roomRec(id, id)}); err != nil {
					b.Error(err)
					return
				}
				n := uint64(0)
				var mine []time.Duration
				for pb.Next() {
					n++
					t0 := time.Now()
					if err := s.Apply(ctx, []room.Record{inputRec(id, n), auditRec(id, "act", "x")}); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(t0))
				}
				next.Lock()
				lat = append(lat, mine...)
				next.Unlock()
			})
			b.StopTimer()
			// The tail matters: a room's frames wait for its Apply.
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
				b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
			}
		})
	}
}

// A class's inputs are room inputs: a progress input carrying a 64 KiB
// frame's ops (any text a student typed, escaped as JSON) and the audit
// entry of a forged one come back byte for byte, on both engines.
func TestClassInputsRoundTrip(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openT(t, dsn)
		var ops []string
		for i := 0; len(strings.Join(ops, ",")) < 64<<10; i++ {
			ops = append(ops, fmt.Sprintf(`{"op":"act","at":%d,"text":"propose x=\u00e9\u4e2d\"\\ %d"}`, i*1000, i))
		}
		body := []byte(`{"k":"progress","seat":3,"seq":9,"lesson":"01-elections","from":0,"ops":[` + strings.Join(ops, ",") + `],"now":123456789}`)
		forged := auditRec("r1", "forged", "seat 3 (Ada): forged progress: claims step s3 done; the replay is at s2, goal 'leader elected' not met")
		if err := s.Apply(ctx, []room.Record{roomRec("r1", "K7QM2P"), seatRec("r1", 3, "Ada"),
			{Kind: room.RecordInput, Room: "r1", Input: room.Input{N: 1, Body: body}}, forged}); err != nil {
			t.Fatal(err)
		}
		ins, err := s.Inputs(ctx, "r1")
		if err != nil || len(ins) != 1 || !bytes.Equal(ins[0].Body, body) {
			t.Fatalf("the progress input (%d bytes) did not come back: %d inputs, %v", len(body), len(ins), err)
		}
		var out bytes.Buffer
		if err := s.Audit(ctx, "r1", &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), `forged progress: claims step s3 done`) {
			t.Fatalf("the audit export lacks the forged progress:\n%s", out.String())
		}
	})
}
