package room

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/lab"
	"smrlab/core/trace"
)

// TestClassRunsOneCluster: a teacher opens a room, two students join, the
// clock plays, a student acts; every seat hears the act with the room's
// hash, and a browser that imports the sync's recording reaches that hash.
func TestClassRunsOneCluster(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 3})
	ada := c.join("Ada")
	bob := c.join("Bob")
	require.Equal(t, SeatID(1), ada)
	require.Equal(t, SeatID(2), bob)
	c.take(c.r.Connect(Teacher, "lockstep", "", c.nowMs))
	sync := lastFrame(c.sends, ada, "sync")
	require.NotNil(t, sync)
	require.Equal(t, "token-Ada", sync["token"])
	require.Equal(t, map[string]any{"role": "observer"}, sync["role"])

	// Observers watch: the teacher makes Ada server S2.
	o := c.act(ada, "crash S2")
	require.Equal(t, []string{"role"}, o.Refused)
	o = c.frame(Teacher, `{"t":"role","seq":%d,"seat":1,"role":"server","server":"S2"}`)
	require.Empty(t, o.Refused)

	c.clock("speed", `,"speedPpm":1000000`)
	c.clock("play", "")
	c.wait(2000) // 2 s of virtual time at 1x
	require.Equal(t, int64(2_000_000), c.r.Now())
	now := lastFrame(c.sends, Everyone, "now")
	require.NotNil(t, now)

	o = c.act(ada, "crash S2")
	require.Empty(t, o.Refused, "%v", types(o))
	in := lastFrame(o.Sends, Everyone, "input")
	require.NotNil(t, in)
	require.Equal(t, "crash S2", in["text"])
	require.Equal(t, c.r.Hash(), in["hash"])
	require.Equal(t, float64(2_000_000), in["at"])

	// A late browser: the recording in a fresh sync opens at the room's hash.
	var sf struct {
		Recording json.RawMessage `json:"recording"`
		At        int64           `json:"at"`
		Hash      string          `json:"hash"`
	}
	require.NoError(t, json.Unmarshal(c.r.Sync(bob), &sf))
	h, err := trace.ParseHeaderJSON(sf.Recording)
	require.NoError(t, err)
	s, err := lab.OpenRecording(&h)
	require.NoError(t, err)
	s.GoTo(sf.At)
	require.Equal(t, sf.Hash, hexHash(s.StateHash()))
}

const manualScenario = `name manual-room
servers 3
schedule manual
options all prevote=off checkquorum=off batch=1
duration 60s
`

// TestRolesRefuse: each role may take its own actions and is refused the
// rest, with a reason that says who the student is; every refusal is
// audited and counted.
func TestRolesRefuse(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	seat := map[string]SeatID{}
	for _, r := range []string{`"role":"server","server":"S3"`, `"role":"nemesis"`, `"role":"operator"`,
		`"role":"client"`, `"role":"observer"`} {
		id := c.join("seat" + string(rune('A'+len(seat))))
		o := c.frame(Teacher, `{"t":"role","seq":%d,"seat":%d,`+r+`}`, id)
		require.Empty(t, o.Refused)
		seat[c.r.seats[id].row.Role.Role] = id
	}
	c.clock("speed", `,"speedPpm":1000000`)
	c.clock("play", "")
	c.wait(1000)
	for _, tc := range []struct {
		role, text, reason string // reason "" is allowed
	}{
		{"server", "crash S3", ""},
		{"server", "restart S3", ""},
		{"server", "pause S3", ""},
		{"server", "resume S3", ""},
		{"server", "isolate S3", ""},
		{"server", "crash S1", "you are S3: you can crash only S3"},
		{"server", "crash leader", "you are S3: you can crash only S3"},
		{"server", "crash S1 S3", "you are S3: you can crash only S3"},
		{"server", "heal", "you are S3: a server can crash"},
		{"server", "partition S1 | S2 S3", "partition is for the nemesis"},
		{"server", "transfer S1", "transfer is for the operators"},
		{"server", "add S4", "no server \"S4\" in a cluster of 3"},
		{"nemesis", "partition S1 | S2 S3", ""},
		{"nemesis", "heal", ""},
		{"nemesis", "crash S2", ""},
		{"nemesis", "restart S2", ""},
		{"nemesis", "slow-disk S1 10x", ""},
		{"nemesis", "net loss=5%", ""},
		{"nemesis", "clock S1 drift=+5%", ""},
		{"nemesis", "transfer S2", "you are the nemesis: you break networks, disks, clocks and servers; transfer is for the operators"},
		{"nemesis", "propose S1 x=1", "propose is for the clients"},
		{"operator", "transfer S2", ""},
		{"operator", "snapshot S1", ""},
		{"operator", "crash S1", "you are an operator: you change membership"},
		{"client", "propose S1 x=1", ""},
		{"client", "workload stop", ""},
		{"client", "crash S1", "you are a client: you propose and run the workload; crash is for the nemesis"},
		{"observer", "heal", "you are an observer: observers watch, they do not act"},
		{"observer", "explode S1", "unknown action"},
	} {
		o := c.act(seat[tc.role], tc.text)
		if tc.reason == "" {
			require.Empty(t, o.Refused, "%s: %s: %v", tc.role, tc.text, types(o))
			continue
		}
		require.Len(t, o.Refused, 1, "%s: %s", tc.role, tc.text)
		f := lastFrame(o.Sends, seat[tc.role], "refused")
		require.NotNil(t, f, "%s: %s", tc.role, tc.text)
		require.Contains(t, f["reason"], tc.reason, "%s: %s", tc.role, tc.text)
		require.Equal(t, float64(c.seq[seat[tc.role]]), f["seq"])
		audited := false
		for _, rec := range o.Records {
			audited = audited || (rec.Kind == RecordAudit && rec.Audit.Kind == "refused")
			require.NotEqual(t, RecordInput, rec.Kind, "a refused act is no input")
		}
		require.True(t, audited, "%s: %s is audited", tc.role, tc.text)
	}

	// Only the teacher runs the clock, assigns roles and closes the room.
	for _, frame := range []string{`{"t":"clock","seq":%d,"op":"pause"}`, `{"t":"close","seq":%d}`,
		`{"t":"role","seq":%d,"seat":1,"role":"nemesis"}`} {
		o := c.frame(seat["nemesis"], frame)
		require.Equal(t, []string{"role"}, o.Refused, frame)
		require.Contains(t, lastFrame(o.Sends, seat["nemesis"], "refused")["reason"], "only the teacher")
	}
	require.False(t, c.r.Closed())
}

// TestServerTakesOnlyItsOwnMessages: under the manual scheduler a server
// seat delivers, drops and duplicates only the messages sent to it.
func TestServerTakesOnlyItsOwnMessages(t *testing.T) {
	c := newClass(t, Spec{File: "m.scn", Scenario: manualScenario, Seed: 1})
	s1, s2 := c.join("One"), c.join("Two")
	c.frame(Teacher, `{"t":"role","seq":%d,"seat":%d,"role":"server","server":"S1"}`, s1)
	c.frame(Teacher, `{"t":"role","seq":%d,"seat":%d,"role":"server","server":"S2"}`, s2)
	require.Empty(t, c.act(s1, "campaign S1").Refused)
	// S1's vote requests m1 (to S2) and m2 (to S3) wait on the wire.
	to, ok := c.r.s.Receiver(1)
	require.True(t, ok)
	require.Equal(t, "S2", to.String())
	o := c.act(s1, "deliver m1")
	require.Contains(t, lastFrame(o.Sends, s1, "refused")["reason"], "you are S1: m1 goes to S2; you can deliver only messages to S1")
	o = c.act(s2, "deliver m9")
	require.Contains(t, lastFrame(o.Sends, s2, "refused")["reason"], "no message m9 on the wire")
	o = c.act(s2, "deliver m1")
	require.Empty(t, o.Refused, "%v", types(o))
	require.Empty(t, c.act(s2, "heartbeat S2").Refused, "the manual verbs are the server's own")
	require.NotEmpty(t, c.act(s2, "campaign S1").Refused)
}

// TestDuplicateSeq: a frame whose seq is not above the seat's last is a
// duplicate: answered dup, nothing changes.
func TestDuplicateSeq(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	c.take(c.r.Connect(Teacher, "lockstep", "", c.nowMs))
	o := c.take(c.r.Frame(Teacher, []byte(`{"t":"act","seq":5,"text":"crash S1"}`), c.nowMs))
	require.Empty(t, o.Refused)
	n, hash := c.r.n, c.r.Hash()
	for _, seq := range []int{5, 4, 1} {
		o = c.take(c.r.Frame(Teacher, []byte(fmt.Sprintf(`{"t":"act","seq":%d,"text":"restart S1"}`, seq)), c.nowMs))
		require.Equal(t, []string{"seq"}, o.Refused)
		require.Equal(t, []string{"0:dup"}, types(o))
		require.Empty(t, o.Records)
		require.Equal(t, n, c.r.n)
		require.Equal(t, hash, c.r.Hash())
	}
	o = c.take(c.r.Frame(Teacher, []byte(`{"t":"act","seq":6,"text":"restart S1"}`), c.nowMs))
	require.Empty(t, o.Refused)
	require.Equal(t, n+1, c.r.n)
	// The seq survives a restore: a replayed frame is still a duplicate.
	room, seats, inputs, progress := c.stored()
	r2, err := Restore(room, seats, inputs, progress, c.nowMs)
	require.NoError(t, err)
	o = r2.Frame(Teacher, []byte(`{"t":"act","seq":6,"text":"restart S1"}`), c.nowMs)
	require.Equal(t, []string{"seq"}, o.Refused)
	require.Contains(t, string(r2.Sync(Teacher)), `"lastSeq":6`)
}

// TestClockMath: the room's time is at + (nowMs-ms)*speedPpm/1000 µs,
// capped at the scenario's end; pause holds it.
func TestClockMath(t *testing.T) {
	for _, tc := range []struct {
		speedPpm, wallMs, want int64
	}{
		{50_000, 20_000, 1_000_000},      // 0.05x: 20 s of wall time, 1 s of virtual time
		{1_000_000, 1_500, 1_500_000},    // 1x
		{3_000, 1_000, 3_000},            // 0.003x: 3 ms
		{10_000_000, 1_000, 10_000_000},  // 10x
		{10_000_000, 10_000, 60_000_000}, // capped at the end (60 s)
		{33_333, 3_000, 99_999},          // integer ppm, rounded down
	} {
		c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
		c.take(c.r.Connect(Teacher, "lockstep", "", c.nowMs))
		c.clock("speed", fmt.Sprintf(`,"speedPpm":%d`, tc.speedPpm))
		c.clock("play", "")
		c.wait(tc.wallMs)
		require.Equal(t, tc.want, c.r.Now(), "%d ppm for %d ms", tc.speedPpm, tc.wallMs)
		c.clock("pause", "")
		c.wait(5_000)
		require.Equal(t, tc.want, c.r.Now(), "paused")
	}
}

// TestNowFrames: while playing, "now" frames come at most every 100 ms of
// wall time and carry every grid point passed with its hash.
func TestNowFrames(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	c.clock("speed", `,"speedPpm":5000000`)
	c.clock("play", "")
	c.sends = nil
	c.wait(1_050) // 5.25 s of virtual time in 21 ticks
	var frames int
	var grid []float64
	for _, s := range c.sends {
		var f struct {
			T    string  `json:"t"`
			Grid [][]any `json:"grid"`
		}
		require.NoError(t, json.Unmarshal(s.Frame, &f))
		if f.T == "now" {
			frames++
			for _, g := range f.Grid {
				grid = append(grid, g[0].(float64))
			}
		}
	}
	require.Equal(t, 11, frames)
	require.Equal(t, []float64{1e6, 2e6, 3e6, 4e6, 5e6}, grid)
}

// TestGotoForkReset: the teacher goes back (same branch: the future's
// actions stay), forks (they go), resets (everything goes).
func TestGotoForkReset(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	c.clock("speed", `,"speedPpm":1000000`)
	c.clock("play", "")
	c.wait(2_000)
	c.act(Teacher, "crash S1")
	hashAfter := c.r.Hash()
	c.wait(2_000)
	hash4s := c.r.Hash()
	require.Equal(t, int64(4_000_000), c.r.Now())

	o := c.clock("goto", `,"at":1000000`)
	require.Empty(t, o.Refused)
	require.Equal(t, int64(1_000_000), c.r.Now())
	require.Len(t, c.r.s.Actions(), 1, "goto keeps the branch")
	require.True(t, c.r.clock.Playing, "goto keeps playing")
	c.clock("pause", "")
	c.clock("goto", `,"at":4000000`)
	require.Equal(t, hash4s, c.r.Hash(), "forward again on the same branch")
	o = c.clock("goto", `,"at":9000000`)
	require.Contains(t, lastFrame(o.Sends, Teacher, "refused")["reason"], "goto goes back")

	c.clock("goto", `,"at":2000000`)
	require.Equal(t, hashAfter, c.r.Hash())
	c.clock("goto", `,"at":1500000`)
	c.clock("fork", "")
	require.Empty(t, c.r.s.Actions(), "fork drops the future's actions")
	require.False(t, c.r.clock.Playing)
	c.clock("goto", `,"at":1500000`)
	c.clock("play", "")
	c.wait(2_500)
	require.NotEqual(t, hash4s, c.r.Hash(), "without the crash, the run differs")

	c.act(Teacher, "crash S2")
	o = c.clock("reset", "")
	require.Equal(t, int64(0), c.r.Now())
	require.Empty(t, c.r.s.Actions())
	cl := lastFrame(o.Sends, Everyone, "clock")
	require.Equal(t, "reset", cl["op"])
	require.Equal(t, false, cl["playing"])
	var audited bool
	for _, rec := range o.Records {
		audited = audited || (rec.Kind == RecordAudit && rec.Audit.Kind == "reset")
	}
	require.True(t, audited)
}

// TestClosedRoom: a closed room says so to everyone, closes their
// connections, refuses frames and joins, and keeps its recording.
func TestClosedRoom(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	ada := c.join("Ada")
	c.act(Teacher, "crash S1")
	o := c.frame(Teacher, `{"t":"close","seq":%d}`)
	require.True(t, c.r.Closed())
	require.Contains(t, types(o), "-1:closed")
	require.Equal(t, []SeatID{Everyone}, o.Close)
	o = c.act(ada, "heal")
	require.Equal(t, []string{"closed"}, o.Refused)
	_, _, err := c.r.Join("hash-late", "Late", c.nowMs)
	require.ErrorIs(t, err, ErrClosed)
	require.Contains(t, string(c.r.Recording()), "crash S1")
	require.Empty(t, c.r.Tick(c.nowMs+10_000).Sends)
	room, seats, inputs, progress := c.stored()
	require.NotZero(t, room.Closed)
	r2, err := Restore(room, seats, inputs, progress, c.nowMs)
	require.NoError(t, err)
	require.True(t, r2.Closed())
}

// TestSeats: a token finds its seat again; names are checked; the room
// holds at most SeatsMax students.
func TestSeats(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	ada := c.join("Ada")
	id, ok := c.r.SeatByToken("hash-Ada")
	require.True(t, ok)
	require.Equal(t, ada, id)
	_, _, err := c.r.Join("hash-Ada", "Ada again", c.nowMs)
	require.ErrorContains(t, err, "has seat 1")
	for _, bad := range []string{"", " Ada", "a\x00b", strings.Repeat("é", 41)} {
		_, _, err := c.r.Join("hash-x", bad, c.nowMs)
		require.Error(t, err, "%q", bad)
	}
	for i := len(c.r.seats) - 1; i < SeatsMax; i++ {
		_, _, err := c.r.Join(fmt.Sprint("hash-", i), fmt.Sprint("Student ", i), c.nowMs)
		require.NoError(t, err)
	}
	_, _, err = c.r.Join("hash-one-more", "One more", c.nowMs)
	require.ErrorContains(t, err, "full")
	require.Len(t, c.r.Seats(), SeatsMax)
}

// TestDivergence: a browser's hash that differs from the room's at a grid
// point or after an act is reported to that seat, marked in the seats
// list, audited and counted; a matching or unknown one is not.
func TestDivergence(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	ada := c.join("Ada")
	c.clock("speed", `,"speedPpm":1000000`)
	c.clock("play", "")
	c.wait(2_500)
	grid := c.r.hashes[len(c.r.hashes)-1]
	require.Equal(t, int64(2_000_000), grid.at)
	report := func(at int64, hash string) Output {
		return c.take(c.r.Frame(ada, []byte(fmt.Sprintf(`{"t":"hash","at":%d,"hash":%q}`, at, hash)), c.nowMs))
	}
	require.Zero(t, report(grid.at, grid.hash).Divergences, "the same hash")
	require.Zero(t, report(7_000_000, "0123456789abcdef").Divergences, "a time the room has no hash for")
	o := report(grid.at, "0123456789abcdef")
	require.Equal(t, 1, o.Divergences)
	d := lastFrame(o.Sends, ada, "diverged")
	require.Equal(t, grid.hash, d["want"])
	require.Equal(t, "0123456789abcdef", d["got"])
	seats := lastFrame(o.Sends, Everyone, "seats")
	require.Equal(t, true, seats["seats"].([]any)[0].(map[string]any)["diverged"])

	c.act(Teacher, "crash S2")
	o = report(c.r.Now(), "fedcba9876543210")
	require.Equal(t, 1, o.Divergences, "after an act")
	require.Equal(t, c.r.Hash(), lastFrame(o.Sends, ada, "diverged")["want"])

	// A resync clears the mark and sends a fresh sync.
	o = c.take(c.r.Frame(ada, []byte(`{"t":"resync"}`), c.nowMs))
	require.NotNil(t, lastFrame(o.Sends, ada, "sync"))
	c.wait(1_000)
	require.Equal(t, false, lastFrame(c.sends, Everyone, "seats")["seats"].([]any)[0].(map[string]any)["diverged"])
}

// TestViews: view models go to viewers at most every 200 ms, and only when
// some connection wants them.
func TestViews(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	c.clock("play", "")
	c.sends = nil
	c.wait(1_000)
	require.Nil(t, lastFrame(c.sends, Viewers, "view"))
	c.r.SetViewers(1)
	c.wait(1_000)
	n := 0
	for _, s := range c.sends {
		if s.To == Viewers {
			n++
			var f struct {
				View lab.View `json:"view"`
			}
			require.NoError(t, json.Unmarshal(s.Frame, &f))
			require.Len(t, f.View.Servers, 3)
		}
	}
	require.Equal(t, 5, n)

	// Paused, nothing changes: no views, but a new viewer gets one.
	c.clock("pause", "")
	c.wait(200)
	c.sends = nil
	c.wait(1_000)
	require.Nil(t, lastFrame(c.sends, Viewers, "view"))
	c.r.SetViewers(2)
	c.wait(50)
	require.NotNil(t, lastFrame(c.sends, Viewers, "view"))
}

// TestActAtTimeZero: an act before the clock ever played is in the state
// at 0, for the room going back there and for a browser that joins later.
func TestActAtTimeZero(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	c.act(Teacher, "crash S3")
	want := c.r.Hash()
	var sf struct {
		Recording json.RawMessage `json:"recording"`
		At        int64           `json:"at"`
		Hash      string          `json:"hash"`
	}
	require.NoError(t, json.Unmarshal(c.r.Sync(Teacher), &sf))
	require.Equal(t, want, sf.Hash)
	h, err := trace.ParseHeaderJSON(sf.Recording)
	require.NoError(t, err)
	s, err := lab.OpenRecording(&h)
	require.NoError(t, err)
	s.GoTo(sf.At)
	require.Equal(t, want, hexHash(s.StateHash()))
	c.clock("speed", `,"speedPpm":1000000`)
	c.clock("play", "")
	c.wait(500)
	c.clock("goto", `,"at":0`)
	require.Equal(t, want, c.r.Hash())
}

// TestDivergenceAhead: a browser a little ahead of the room reports a hash
// for a grid point the room has not reached: it is checked when the room
// gets there, and dropped if the branch changes before.
func TestDivergenceAhead(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	ada := c.join("Ada")
	report := func(at int64, hash string) {
		c.take(c.r.Frame(ada, []byte(fmt.Sprintf(`{"t":"hash","at":%d,"hash":%q}`, at, hash)), c.nowMs))
	}
	c.clock("speed", `,"speedPpm":1000000`)
	c.clock("play", "")
	report(1_000_000, "0123456789abcdef")
	report(2_000_000, "0123456789abcdef")
	c.wait(1_500)
	d := lastFrame(c.sends, ada, "diverged")
	require.NotNil(t, d, "checked when the room reached 1 s")
	require.Equal(t, float64(1_000_000), d["at"])
	c.act(Teacher, "crash S1") // at 1.5 s: the report for 2 s was of another branch
	c.sends = nil
	c.wait(1_000)
	require.Nil(t, lastFrame(c.sends, ada, "diverged"))
}

// TestWatchRenameOnline: a projector's sync has no seat; a rename is an
// input; a seat is online while it has a connection (two tabs count twice).
func TestWatchRenameOnline(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	ada := c.join("Ada")
	var w struct {
		Seat    SeatID `json:"seat"`
		As      string `json:"as"`
		Token   string `json:"token"`
		LastSeq int64  `json:"lastSeq"`
	}
	require.NoError(t, json.Unmarshal(c.r.Watch("views"), &w))
	require.Equal(t, SeatID(-1), w.Seat)
	require.Equal(t, "projector", w.As)
	require.Empty(t, w.Token)

	o, err := c.r.Rename(ada, "Ada L.", c.nowMs)
	require.NoError(t, err)
	c.take(o)
	require.Equal(t, "Ada L.", c.r.Seats()[0].Name)
	_, err = c.r.Rename(ada, "", c.nowMs)
	require.Error(t, err)

	online := func() bool {
		c.wait(1_000)
		return lastFrame(c.sends, Everyone, "seats")["seats"].([]any)[0].(map[string]any)["online"].(bool)
	}
	require.True(t, online())
	c.take(c.r.Connect(ada, "lockstep", "", c.nowMs)) // a second tab
	require.Nil(t, lastFrame(c.sends, ada, "sync")["token"], "the token only in the first sync")
	c.take(c.r.Disconnect(ada, c.nowMs))
	require.True(t, online(), "one tab left")
	c.take(c.r.Disconnect(ada, c.nowMs))
	require.False(t, online())
}

// TestSeatsFrameSendsWhatChanged: once a class has joined, a student who
// drops out changes one seat, and the seats frame carries that seat alone
// (a room of 300 must not send 300 whole lists); a class joining at once
// gets the whole list.
func TestSeatsFrameSendsWhatChanged(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	ids := make([]SeatID, 0, 12)
	for i := range 12 {
		ids = append(ids, c.join(fmt.Sprint("Student ", i)))
	}
	c.wait(2_000)
	type seatsFrame struct {
		T       string     `json:"t"`
		Seats   []seatView `json:"seats"`
		Changed []seatView `json:"changed"`
	}
	last := func() seatsFrame {
		t.Helper()
		for i := len(c.sends) - 1; i >= 0; i-- {
			var f seatsFrame
			if json.Unmarshal(c.sends[i].Frame, &f) == nil && f.T == "seats" {
				require.Equal(t, Everyone, c.sends[i].To)
				return f
			}
		}
		t.Fatal("no seats frame")
		return seatsFrame{}
	}
	whole := last()
	require.Len(t, whole.Seats, 12, "a class that joined at once gets the whole list")
	require.Empty(t, whole.Changed)

	c.take(c.r.Disconnect(ids[4], c.nowMs))
	c.wait(2_000)
	f := last()
	require.Empty(t, f.Seats)
	require.Equal(t, []seatView{{Seat: ids[4], Name: "Student 4", Role: "observer", Online: false}}, f.Changed)

	n := len(c.sends)
	c.wait(3_000)
	for _, s := range c.sends[n:] {
		require.NotContains(t, string(s.Frame), `"t":"seats"`, "nothing changed: no seats frame")
	}
}
