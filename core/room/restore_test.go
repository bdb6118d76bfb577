package room

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/lab"
	"smrlab/core/trace"
)

var randomActs = []string{"crash S1", "restart S1", "crash S2", "restart S2", "crash leader", "restart all",
	"partition S1 | S2 S3", "heal", "isolate S3", "propose S1 x=1", "workload stop", "workload start",
	"slow-disk S2 10x", "transfer S3", "snapshot S1", "pause S2", "resume S2", "explode S1", "crash S9"}

var randomRoles = []string{`"role":"server","server":"S1"`, `"role":"server","server":"S2"`, `"role":"nemesis"`,
	`"role":"operator"`, `"role":"client"`, `"role":"observer"`}

// randomClass plays a random class on a room: joins, names, roles, acts
// from every seat (many refused), clock ops, ticks and hash reports.
func randomClass(t *testing.T, seed uint64, spec Spec) *class {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	c := newClass(t, spec)
	c.take(c.r.Connect(Teacher, "lockstep", "", c.nowMs))
	c.clock("speed", `,"speedPpm":2000000`)
	c.clock("play", "")
	seats := []SeatID{}
	for step := 0; step < 80; step++ {
		switch k := rng.IntN(20); {
		case k < 3 || len(seats) == 0:
			seats = append(seats, c.join(fmt.Sprintf("S%d-%d", seed, len(seats)+1)))
		case k < 4:
			id := seats[rng.IntN(len(seats))]
			o, err := c.r.Rename(id, fmt.Sprintf("R%d", step), c.nowMs)
			require.NoError(t, err)
			c.take(o)
		case k < 6:
			c.frame(Teacher, `{"t":"role","seq":%d,"seat":%d,`+randomRoles[rng.IntN(len(randomRoles))]+`}`,
				seats[rng.IntN(len(seats))])
		case k < 11:
			who := Teacher
			if rng.IntN(3) > 0 {
				who = seats[rng.IntN(len(seats))]
			}
			c.act(who, randomActs[rng.IntN(len(randomActs))])
		case k < 15:
			switch op := rng.IntN(10); op {
			case 0, 1, 8, 9:
				c.clock("play", "")
			case 2:
				c.clock("pause", "")
			case 3:
				c.clock("speed", fmt.Sprintf(`,"speedPpm":%d`, []int64{50_000, 1_000_000, 3_000_000, 5_000_000}[rng.IntN(4)]))
			case 4, 5:
				c.clock("goto", fmt.Sprintf(`,"at":%d`, c.r.Now()-rng.Int64N(max(c.r.Now()/3, 1))))
			case 6:
				c.clock("fork", "")
			case 7:
				if rng.IntN(4) == 0 {
					c.clock("reset", "")
				}
			}
		case k < 16:
			id := seats[rng.IntN(len(seats))]
			c.take(c.r.Frame(id, []byte(fmt.Sprintf(`{"t":"hash","at":%d,"hash":"%016x"}`, c.r.Now(), rng.Uint64())), c.nowMs))
		case k < 17:
			// A duplicate: the seat's last seq again.
			id := seats[rng.IntN(len(seats))]
			c.take(c.r.Frame(id, []byte(fmt.Sprintf(`{"t":"act","seq":%d,"text":"heal"}`, max(c.seq[id], 1))), c.nowMs))
		default:
			c.wait(rng.Int64N(3000))
		}
	}
	return c
}

// TestRestoreReachesTheSameRoom: over random classes, a room rebuilt from
// its stored inputs has the same seats, roles, branch, time and hash; a
// progress record stored before later inputs (the shell stores progress
// at most once a second) checks on its own branch.
func TestRestoreReachesTheSameRoom(t *testing.T) {
	rolling, err := os.ReadFile("../../exercises/rolling-restart.exercise")
	require.NoError(t, err)
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			spec := Spec{File: "t.scn", Scenario: testScenario, Seed: seed}
			if seed%2 == 0 {
				spec = Spec{Exercise: "rolling-restart", ExerciseSource: string(rolling)}
			}
			c := randomClass(t, seed, spec)
			want := c.r
			for _, s := range c.sends {
				if s.To == Teacher && len(s.Frame) > 9 && string(s.Frame[:9]) == `{"t":"syn` {
					require.Greater(t, follow(t, c.sends, s.Frame), 10, "a browser checks its hashes")
					break
				}
			}
			room, seats, inputs, _ := c.stored()
			progress := want.Progress()
			got, err := Restore(room, seats, inputs, progress, c.nowMs)
			require.NoError(t, err)
			require.Equal(t, want.Hash(), got.Hash())
			require.Equal(t, want.Now(), got.Now())
			require.Equal(t, want.Seats(), got.Seats())
			require.Equal(t, string(want.Recording()), string(got.Recording()))
			require.Equal(t, want.n, got.n)
			require.Equal(t, want.clock.Playing, got.clock.Playing)
			require.Equal(t, want.clock.SpeedPpm, got.clock.SpeedPpm)
			require.Equal(t, want.ExerciseStatus(), got.ExerciseStatus())
			for id := range want.seats {
				require.Equal(t, want.seats[id].lastSeq >= got.seats[id].lastSeq, true)
			}

			// Any progress record the shell may have stored checks out: a
			// few of them, spread over the class.
			var progresses []Record
			for _, rec := range c.records {
				if rec.Kind == RecordProgress {
					progresses = append(progresses, rec)
				}
			}
			for i := 0; i < len(progresses); i += max(len(progresses)/3, 1) {
				rec := progresses[i]
				_, err := Restore(room, seats, inputs, rec, c.nowMs)
				require.NoError(t, err, "progress at %dus after input %d", rec.At, rec.Clock.N)
			}

			// A forged hash is a divergence.
			progress.Hash = "0000000000000000"
			_, err = Restore(room, seats, inputs, progress, c.nowMs)
			var div *DivergenceError
			require.True(t, errors.As(err, &div), "%v", err)
			require.Equal(t, progress.At, div.At)
		})
	}
}

// follow plays a lockstep browser: it opens the first sync's recording and
// follows every frame sent to everyone, as the page's worker does, and
// checks its hash at every act, clock op and grid point against the room's.
func follow(t *testing.T, sends []Send, first []byte) int {
	var sf struct {
		Recording json.RawMessage `json:"recording"`
		At        int64           `json:"at"`
		Hash      string          `json:"hash"`
	}
	require.NoError(t, json.Unmarshal(first, &sf))
	h, err := trace.ParseHeaderJSON(sf.Recording)
	require.NoError(t, err)
	s, err := lab.OpenRecording(&h)
	require.NoError(t, err)
	s.GoTo(sf.At)
	require.Equal(t, sf.Hash, hexHash(s.StateHash()))
	checked := 0
	for _, send := range sends {
		if send.To != Everyone {
			continue
		}
		var f struct {
			T    string  `json:"t"`
			Op   string  `json:"op"`
			At   int64   `json:"at"`
			Text string  `json:"text"`
			Hash string  `json:"hash"`
			Grid [][]any `json:"grid"`
		}
		require.NoError(t, json.Unmarshal(send.Frame, &f))
		if os.Getenv("FOLLOW_DEBUG") != "" {
			t.Logf("%s now %d", send.Frame, s.Now())
		}
		switch f.T {
		case "input":
			s.GoTo(f.At)
			require.NoError(t, s.Act(f.Text))
		case "clock":
			switch f.Op {
			case "reset":
				s.Rewind(0, 0)
			case "fork":
				s.GoTo(f.At)
				s.Fork()
			default:
				s.GoTo(f.At)
			}
		case "now":
			for _, g := range f.Grid {
				s.GoTo(int64(g[0].(float64)))
				require.Equal(t, g[1], hexHash(s.StateHash()), "grid point %v", g[0])
				checked++
			}
			continue
		default:
			continue
		}
		require.Equal(t, f.Hash, hexHash(s.StateHash()), "%s", send.Frame)
		checked++
	}
	return checked
}

// TestRestoreEarlyProgress: a progress stored before the first input (the
// room at 0, before the teacher's first frame) is checked there, not on
// the branch the inputs made.
func TestRestoreEarlyProgress(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	early := c.r.Progress()
	require.Zero(t, early.Clock.N)
	c.act(Teacher, "crash S1") // at 0us: the state at 0 changes
	room, seats, inputs, _ := c.stored()
	r2, err := Restore(room, seats, inputs, early, c.nowMs)
	require.NoError(t, err)
	require.Equal(t, c.r.Hash(), r2.Hash())
	early.Hash = c.r.Hash() // the hash after the act, stored as if before it
	_, err = Restore(room, seats, inputs, early, c.nowMs)
	require.Error(t, err)
}
