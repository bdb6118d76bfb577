package room

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/raft"
)

func exerciseSource(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../exercises/" + name + ".exercise")
	require.NoError(t, err)
	return string(b)
}

func exerciseClass(t testing.TB, name string, bugs ...string) *class {
	t.Helper()
	c := newClass(t, Spec{Exercise: name, ExerciseSource: exerciseSource(t, name), Bugs: bugs})
	c.take(c.r.Connect(Teacher, "lockstep", "", c.nowMs))
	return c
}

// goals is the exercise's goal states now, by condition.
func goals(r *Room) map[string]string {
	out := map[string]string{}
	for _, g := range r.ExerciseStatus().Goals {
		out[g.Cond] = g.State
	}
	return out
}

func score(r *Room, name string) int64 {
	for _, s := range r.ExerciseStatus().Score {
		if s.Name == name {
			return s.Value
		}
	}
	panic("no score " + name)
}

func TestParseExerciseErrors(t *testing.T) {
	head := "exercise x\ntitle X\n"
	world := "world\n  servers 3\n  duration 10s\nend\n"
	for _, tc := range []struct{ src, want string }{
		{"exercise Bad_Name\n", "x.exercise:1:10: an exercise's name is lowercase"},
		{head + world + "teleport now\n", "x.exercise:7:1: unknown line \"teleport\""},
		{head + "world\n  servers 3\n", "x.exercise:3:1: the world has no line \"end\""},
		{head + "world\n  servers 30\nend\n", "x.exercise:3: the world: x.scn:1:9"},
		{head + world + "goal elected\n", "x.exercise:7:6: write: goal CONDITION | label"},
		{head + world + "goal leader soon | A leader\n", "x.exercise:7:6: unknown goal \"leader soon\""},
		{head + world + "goal leaderless < forever | Short\n", "x.exercise:7:6: leaderless <: want a duration"},
		{head + world + "score happiness\n", "x.exercise:7:7: unknown score \"happiness\""},
		{head + world + "assign server 0\n", "x.exercise:7:8: assign server: want a count from 1"},
		{head + world + "assign king\n", "x.exercise:7:8: write: assign ROLE"},
		{head + world + "bugs no-such-bug\n", "x.exercise:7:6:"},
		{head + world + "scenario other.scn\n", "x.exercise:7:1: an exercise has one world"},
		{"exercise x\n" + world, "x.exercise:1:1: exercise x has no title"},
		{"exercise y\ntitle Y\n" + world, "x.exercise:1:1: the file x.exercise names exercise \"y\""},
		{head, "x.exercise:1:1: exercise x has no world"},
	} {
		_, err := ParseExercise("x.exercise", []byte(tc.src))
		require.Error(t, err, tc.src)
		require.Contains(t, err.Error(), tc.want, tc.src)
	}
	// A goal on clients needs a world with clients.
	_, _, err := New("r", "K7QM3P", Spec{ExerciseSource: head + world + "goal ops >= 5 | Writes\n"}, 0)
	require.ErrorContains(t, err, "needs clients")
}

// TestExercisesParse: every shipped exercise parses and opens a room.
func TestExercisesParse(t *testing.T) {
	for _, name := range []string{"be-a-server", "red-team-blue-team", "rolling-restart"} {
		ex, err := ParseExercise(name+".exercise", []byte(exerciseSource(t, name)))
		require.NoError(t, err, name)
		require.Equal(t, name, ex.Name)
		require.NotEmpty(t, ex.Goals)
		c := exerciseClass(t, name)
		require.Equal(t, ex.Title, c.r.Spec().Title)
		st := c.r.ExerciseStatus()
		require.False(t, st.Done)
	}
}

// deliverAll has each server seat take the messages on the wire to its
// server, round after round, as a class playing "be a server" does.
func deliverAll(c *class, servers map[string]SeatID) {
	for round := 0; round < 20; round++ {
		flights := c.r.Session().World().InFlight()
		if len(flights) == 0 {
			return
		}
		for _, f := range flights {
			if o := c.act(servers[raft.ID(f.To).String()], fmt.Sprintf("deliver m%d", f.ID)); len(o.Refused) > 0 {
				c.t.Fatalf("deliver m%d refused: %v", f.ID, types(o))
			}
		}
	}
}

// firstMessage finds the message on the wire from one server to another.
func firstMessage(c *class, from, to int) uint64 {
	for _, f := range c.r.Session().World().InFlight() {
		if int(f.From) == from && int(f.To) == to {
			return f.ID
		}
	}
	c.t.Fatalf("no message from S%d to S%d on the wire", from, to)
	return 0
}

// TestBeAServer: five students are the five servers; S1 campaigns, each
// delivers its messages, S1 leads and commits a command: every goal met.
func TestBeAServer(t *testing.T) {
	c := exerciseClass(t, "be-a-server")
	servers := map[string]SeatID{}
	for i := 1; i <= 31; i++ {
		id := c.join(fmt.Sprint("Student ", i))
		role := c.r.seats[id].row.Role
		if i == 31 {
			require.Equal(t, Role{Role: "observer"}, role, "five teams of six, then observers")
			continue
		}
		require.Equal(t, Role{Role: "server", Server: fmt.Sprint("S", (i-1)%5+1)}, role)
		if i <= 5 {
			servers[role.Server] = id
		}
	}
	require.Equal(t, "not-yet", goals(c.r)["elected"])
	require.Empty(t, c.act(servers["S1"], "campaign S1").Refused)
	require.NotEmpty(t, c.act(servers["S2"], "campaign S1").Refused, "S2 cannot fire S1's timer")
	deliverAll(c, servers)
	require.Equal(t, "S1", c.r.Session().World().Leader().String())
	require.Equal(t, "met", goals(c.r)["elected"])
	require.Empty(t, c.act(servers["S1"], "propose S1 x=1").Refused)
	deliverAll(c, servers)
	require.Empty(t, c.act(servers["S1"], "heartbeat S1").Refused)
	deliverAll(c, servers)
	g := goals(c.r)
	require.Equal(t, map[string]string{"elected": "met", "committed >= 2": "met", "no-violation": "met"}, g)
	require.True(t, c.r.ExerciseStatus().Done)
	// The class heard it.
	ex := lastFrame(c.sends, Everyone, "exercise")
	require.NotNil(t, ex)
	require.Equal(t, true, ex["status"].(map[string]any)["done"])
}

// TestBeAServerCaughtBreakingRaft: with forget-vote-on-restart switched on,
// S2 votes for S1, restarts and votes for S3 in the same term: two leaders
// in term 1, and the checks catch it.
func TestBeAServerCaughtBreakingRaft(t *testing.T) {
	c := exerciseClass(t, "be-a-server", "forget-vote-on-restart")
	servers := map[string]SeatID{}
	for i := 1; i <= 5; i++ {
		servers[fmt.Sprint("S", i)] = c.join(fmt.Sprint("Student ", i))
	}
	do := func(server, text string) {
		t.Helper()
		o := c.act(servers[server], text)
		require.Empty(t, o.Refused, "%s: %s: %v", server, text, types(o))
	}
	do("S1", "campaign S1")
	do("S3", "campaign S3")
	do("S2", fmt.Sprintf("deliver m%d", firstMessage(c, 1, 2)))
	do("S4", fmt.Sprintf("deliver m%d", firstMessage(c, 1, 4)))
	do("S1", fmt.Sprintf("deliver m%d", firstMessage(c, 2, 1)))
	do("S1", fmt.Sprintf("deliver m%d", firstMessage(c, 4, 1)))
	require.Equal(t, "S1", c.r.Session().World().Leader().String())
	do("S2", "crash S2")
	do("S2", "restart S2")
	do("S2", fmt.Sprintf("deliver m%d", firstMessage(c, 3, 2)))
	do("S5", fmt.Sprintf("deliver m%d", firstMessage(c, 3, 5)))
	do("S3", fmt.Sprintf("deliver m%d", firstMessage(c, 2, 3)))
	do("S3", fmt.Sprintf("deliver m%d", firstMessage(c, 5, 3)))
	g := goals(c.r)
	require.Equal(t, "failed", g["no-violation"])
	require.Contains(t, c.r.ExerciseStatus().Goals[2].Why, "ElectionSafety")
	require.Equal(t, int64(1), score(c.r, "violations"))
	o := c.act(servers["S4"], "campaign S4")
	require.Equal(t, []string{"stopped"}, o.Refused, "the run stopped at the violation")
	at, events := c.r.Now(), c.r.Events()
	c.clock("play", "")
	c.wait(2_000)
	require.Equal(t, at, c.r.Now(), "the clock plays, the run stays stopped")
	require.Equal(t, events, c.r.Events())
}

// TestRedTeamBlueTeam: the seats get nemesis, nemesis, operator, operator,
// client, observer; a round where the nemesis crashes the leader and the
// operators hand leadership over keeps every goal, and a round where the
// nemesis splits the cluster three ways fails availability.
func TestRedTeamBlueTeam(t *testing.T) {
	c := exerciseClass(t, "red-team-blue-team")
	var roles []string
	var seats []SeatID
	for i := 1; i <= 6; i++ {
		id := c.join(fmt.Sprint("Student ", i))
		seats = append(seats, id)
		roles = append(roles, c.r.seats[id].row.Role.Role)
	}
	require.Equal(t, []string{"nemesis", "nemesis", "operator", "operator", "client", "observer"}, roles)
	red, blue := seats[0], seats[2]
	c.clock("speed", `,"speedPpm":10000000`)
	c.clock("play", "")
	c.wait(3_000) // 30 s
	require.Empty(t, c.act(red, "crash leader").Refused)
	c.wait(500)
	require.Empty(t, c.act(red, "restart all").Refused)
	c.wait(1_000)
	require.Empty(t, c.act(blue, "transfer S4").Refused)
	require.NotEmpty(t, c.act(blue, "partition S1 | S2 S3").Refused, "operators do not break the network")
	c.wait(1_000)
	require.Empty(t, c.act(seats[3], "snapshot S2").Refused)
	c.wait(25_000) // to 5 minutes
	require.GreaterOrEqual(t, c.r.Now(), int64(300_000_000))
	require.Equal(t, map[string]string{"time >= 5m": "met", "no-violation": "met", "leaderless < 5s": "met",
		"failed-ops <= 20": "met"}, goals(c.r))
	require.Greater(t, score(c.r, "availability"), int64(990))
	require.Greater(t, score(c.r, "ops"), int64(2000))
	require.True(t, c.r.ExerciseStatus().Done)

	// The red team's round: the teacher goes back to 30 s and forks; the
	// nemesis splits the cluster so that no side has a majority.
	c.clock("goto", `,"at":30000000`)
	c.clock("fork", "")
	require.Equal(t, "not-yet", goals(c.r)["time >= 5m"])
	c.clock("play", "")
	require.Empty(t, c.act(red, "partition S1 S2 | S3 S4 | S5").Refused)
	c.wait(1_000) // 10 s
	require.Empty(t, c.act(seats[1], "heal").Refused)
	c.wait(1_000)
	g := goals(c.r)
	require.Equal(t, "failed", g["leaderless < 5s"])
	require.Equal(t, "met", g["no-violation"])
	require.GreaterOrEqual(t, score(c.r, "leaderless-max"), int64(5_000))
	require.Less(t, score(c.r, "availability"), int64(900))
	require.False(t, c.r.ExerciseStatus().Done)
}

// TestRollingRestart: five server seats restart their servers one at a
// time and meet every goal; crashing three at once loses the majority for
// more than two seconds.
func TestRollingRestart(t *testing.T) {
	c := exerciseClass(t, "rolling-restart")
	var seats []SeatID
	for i := 1; i <= 5; i++ {
		seats = append(seats, c.join(fmt.Sprint("Student ", i)))
	}
	c.clock("speed", `,"speedPpm":1000000`)
	c.clock("play", "")
	c.wait(3_000)
	start := c.r.Now()
	for i, id := range seats {
		server := fmt.Sprint("S", i+1)
		require.NotEmpty(t, c.act(id, "restart S"+fmt.Sprint((i+1)%5+1)).Refused, "only one's own server")
		require.Empty(t, c.act(id, "crash "+server).Refused)
		require.Equal(t, "not-yet", goals(c.r)["all-up"])
		c.wait(1_000)
		require.Empty(t, c.act(id, "restart "+server).Refused)
		c.wait(3_000)
	}
	g := goals(c.r)
	require.Equal(t, map[string]string{"restarted-all": "met", "all-up": "met", "leaderless < 2s": "met",
		"failed-ops <= 0": "met", "no-violation": "met"}, g, "%+v", c.r.ExerciseStatus())
	require.Equal(t, int64(5), score(c.r, "restarts"))
	require.Less(t, score(c.r, "leaderless-max"), int64(2_000))

	// All at once: back to the start of the restarts, and three crash together.
	c.clock("goto", fmt.Sprintf(`,"at":%d`, start))
	require.Equal(t, "not-yet", goals(c.r)["restarted-all"], "back in time, the restarts are ahead")
	c.clock("play", "")
	for i := 0; i < 3; i++ {
		require.Empty(t, c.act(seats[i], fmt.Sprint("crash S", i+1)).Refused)
	}
	c.wait(3_000)
	g = goals(c.r)
	require.Equal(t, "failed", g["leaderless < 2s"])
	require.Equal(t, "not-yet", g["restarted-all"])
	st := c.r.ExerciseStatus()
	require.False(t, st.Done)
	require.True(t, strings.HasPrefix(st.Goals[2].Why, "the cluster was without a leader for"), st.Goals[2].Why)
}

// TestRedTeamUnsafe: with forget-vote-on-restart switched on, a nemesis
// that crashes and restarts servers every few tens of milliseconds makes
// two leaders in one term on some seeds, and the blue team's safety goal
// fails.
func TestRedTeamUnsafe(t *testing.T) {
	caught := 0
	for seed := uint64(1); seed <= 6; seed++ {
		c := newClass(t, Spec{Exercise: "red-team-blue-team", ExerciseSource: exerciseSource(t, "red-team-blue-team"),
			Bugs: []string{"forget-vote-on-restart"}, Seed: seed})
		red := c.join("Red")
		c.clock("speed", `,"speedPpm":10000000`)
		c.clock("play", "")
		c.wait(500)
		for _, text := range []string{"net latency=1ms..40ms", "slow-disk all 20x",
			"nemesis kill-random,kill-leader every 20ms..80ms for 60s"} {
			require.Empty(t, c.act(red, text).Refused, text)
		}
		for i := 0; i < 7 && c.r.Session().World().Violation() == nil; i++ {
			c.wait(1_000)
		}
		if c.r.Session().World().Violation() != nil {
			caught++
			require.Equal(t, "failed", goals(c.r)["no-violation"])
			require.Equal(t, int64(1), score(c.r, "violations"))
			require.Contains(t, c.r.ExerciseStatus().Goals[1].Why, "ElectionSafety")
		}
	}
	require.Positive(t, caught, "no seed of six gave two leaders in one term")
}

// TestRestartedAll: the restarts are read from the branch's actions:
// servers named one by one, in lists, or all.
func TestRestartedAll(t *testing.T) {
	c := exerciseClass(t, "rolling-restart")
	c.clock("speed", `,"speedPpm":1000000`)
	c.clock("play", "")
	for _, step := range []struct{ text, left string }{
		{"restart S1", "S1, S2, S3, S4, S5"}, // not crashed: no restart
		{"crash S1,S2", "S1, S2, S3, S4, S5"},
		{"restart S2", "S1, S3, S4, S5"},
		{"crash all", "S1, S3, S4, S5"},
		{"restart all", ""},
	} {
		c.wait(100)
		require.Empty(t, c.act(Teacher, step.text).Refused)
		require.Equal(t, step.left, strings.Join(c.r.notRestarted(), ", "), step.text)
	}
	require.Equal(t, "met", goals(c.r)["restarted-all"])
}
