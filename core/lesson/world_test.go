package lesson

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStepWorlds: a step may start a fresh world (inline or shipped, with
// its seed and bug toggles); the steps after it continue from it; opening
// at a step replays only from the latest world switch; the state counts
// worlds so the page knows the session changed.
func TestStepWorlds(t *testing.T) {
	strict(t)
	l := loadFile(t, "testdata/fresh-world.lesson")
	require.Nil(t, l.Steps[0].World)
	w := l.Steps[1].World
	require.NotNil(t, w)
	require.True(t, w.PerStudent)
	require.Equal(t, 5, w.Scenario.Config.Servers)
	require.Contains(t, string(w.Source), "\n    bug all learner-votes\n")
	require.NotContains(t, string(w.Source), "\n  servers 3\n", "the lesson's world is not the step's")
	require.True(t, strings.HasSuffix(string(w.Source), "\n    bug all learner-votes\n"), "seed per-student is no scenario line")
	require.Nil(t, l.Steps[2].World)
	require.Equal(t, "leader-crash", l.Steps[3].World.Name)
	require.Equal(t, uint64(7), l.Steps[3].World.Seed)

	seed := l.SeedFor("ada")
	p, err := Open(l, seed, 0)
	require.NoError(t, err)
	first := p.Session()
	require.Equal(t, 1, p.State().World)
	require.Equal(t, 3, len(first.World().Servers()))
	require.NoError(t, p.Advance(1_000_000))
	require.True(t, p.Done())
	require.NoError(t, p.Next())

	// Step 2: a new session of five servers at time 0 plus its setup, bug on.
	second := p.Session()
	require.NotSame(t, first, second)
	require.Equal(t, 2, p.State().World)
	require.Equal(t, 2, p.Worlds())
	require.Equal(t, int64(100_000), second.Now())
	require.Equal(t, int64(100_000), p.StepStart())
	require.Equal(t, 5, len(second.World().Servers()))
	require.Equal(t, "learner-votes", second.View().Bugs)
	require.Equal(t, StudentSeed("fresh/again", strconv.FormatUint(seed, 10)), second.Seed())
	other, err := Open(l, l.SeedFor("bob"), 1)
	require.NoError(t, err)
	require.NotEqual(t, second.Seed(), other.Session().Seed(), "per-student: another student, another seed")

	// Opening at step 2 or 3 replays from the fresh world only.
	at1, err := Open(l, seed, 1)
	require.NoError(t, err)
	require.Equal(t, 1, at1.State().World)
	require.Equal(t, second.StateHash(), at1.Session().StateHash())

	require.NoError(t, p.Advance(1_000_000))
	require.NoError(t, p.Next())
	require.Same(t, second, p.Session(), "step 3 continues in step 2's world")
	require.Equal(t, 2, p.State().World)
	at2, err := Open(l, seed, 2)
	require.NoError(t, err)
	require.Equal(t, p.Session().StateHash(), at2.Session().StateHash())

	// Reset stays in the step's world.
	require.NoError(t, p.Act("crash leader"))
	require.NoError(t, p.Reset())
	require.Same(t, second, p.Session())
	require.Equal(t, at2.Session().StateHash(), p.Session().StateHash())
	require.NoError(t, p.ShowMe())
	require.True(t, p.Done())
	require.NoError(t, p.Next())
	require.Equal(t, 3, p.State().World)
	require.Equal(t, "leader-crash", p.Session().Scenario().Name)
	require.Equal(t, uint64(7), p.Session().Seed())
	require.Equal(t, int64(0), p.Session().Now())
	b := p.State()
	require.Contains(t, string(b.AppendJSON(nil)), `,"world":3,"hideBugs":false}`)

	r := CheckReport(l, Seeds(l, 3))
	require.Empty(t, r.Problems)
	require.Equal(t, 4*3, r.Checked)
}

// TestStepWorldErrors: where a step's world may be written, and its seed.
func TestStepWorldErrors(t *testing.T) {
	head := "lesson x\ntitle T\nsummary S\nminutes 1\nquestion Q?\nworld\n  servers 3\n  duration 1m\n"
	step := func(id, body string) string {
		return "step " + id + "\n" + body + "  title T\n  goal leader\n  solution wait 1s\n"
	}
	cases := []struct{ name, src, want string }{
		{"world in the first step", head + step("a", "  world scenario leader-crash\n"),
			"x.lesson:10:3: the first step starts in the lesson's world"},
		{"world not first", head + step("a", "") + "step b\n  title T\n  world scenario leader-crash\n  goal leader\n  solution wait 1s\n",
			"x.lesson:15:3: a step's world comes first in the step"},
		{"seed without a world", head + step("a", "") + step("b", "  seed 3\n"),
			"x.lesson:14:3: a seed line in a step belongs to its world"},
		{"per-student step, fixed lesson", head + step("a", "") + step("b", "  world\n    servers 5\n  seed per-student\n"),
			"x.lesson:14: step b's world has seed per-student, but the lesson does not"},
		{"expect in a step's world", head + step("a", "") + step("b", "  world\n    servers 5\n    expect no-stall\n"),
			"x.lesson:16:5: a lesson's world takes no expect lines"},
		{"scenario error at the lesson's line", head + step("a", "") + step("b", "  world\n    servers five\n"),
			"x.lesson:15:13: servers: want a whole number"},
		{"action checked against the step's world", head + step("a", "") +
			"step b\n  world\n    servers 5\n  title T\n  goal leader\n  solution crash S5\nstep c\n  title T\n  goal leader\n  solution crash S6\n",
			"x.lesson:22:18: no server \"S6\" in a cluster of 5"},
		{"unknown shipped world", head + step("a", "") + step("b", "  world scenario nope\n"),
			"x.lesson:14: scenario nope:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("x.lesson", []byte(c.src), readScenario)
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

// TestHideBugs: "hide bugs" hides the world's bug toggles in every step
// (State.HideBugs), even one that offers all controls, and refuses a step
// that offers the bugs or scenario control; without it, a step hides them
// unless it offers bugs, scenario or all.
func TestHideBugs(t *testing.T) {
	strict(t)
	src := "lesson hb\ntitle T\nsummary S\nminutes 1\nquestion Q?\nhide bugs\nworld\n  servers 3\n  duration 1m\n  bug all learner-votes\n" +
		"step a\n  title A\n  controls play crash\n  goal leader\n  solution wait 1s\n" +
		"step b\n  title B\n  goal leader changed\n  solution crash leader; wait 2s\n"
	l, err := Parse("x.lesson", []byte(src), readScenario)
	require.NoError(t, err)
	require.True(t, l.HideBugs)
	p, err := Open(l, l.Seed, 0)
	require.NoError(t, err)
	st := p.State()
	require.True(t, st.HideBugs)
	require.Contains(t, string(st.AppendJSON(nil)), `,"hideBugs":true}`)
	require.NoError(t, p.Advance(1_000_000))
	require.NoError(t, p.Next())
	require.Equal(t, []string{"all"}, p.State().Controls)
	require.True(t, p.State().HideBugs, "hide bugs wins over all")

	open := strings.Replace(src, "hide bugs\n", "", 1)
	l, err = Parse("x.lesson", []byte(open), readScenario)
	require.NoError(t, err)
	p, err = Open(l, l.Seed, 0)
	require.NoError(t, err)
	require.True(t, p.State().HideBugs, "the step offers no bugs, scenario or all control")
	require.NoError(t, p.Advance(1_000_000))
	require.NoError(t, p.Next())
	st = p.State()
	require.False(t, st.HideBugs)
	require.Contains(t, string(st.AppendJSON(nil)), `,"hideBugs":false}`)

	_, err = Parse("x.lesson", []byte(strings.Replace(src, "controls play crash", "controls play bugs", 1)), readScenario)
	require.ErrorContains(t, err, "x.lesson:13:17: the lesson hides its bugs (hide bugs, line 6): a step cannot offer the bugs control")
	_, err = Parse("x.lesson", []byte(strings.Replace(src, "hide bugs", "hide all", 1)), readScenario)
	require.ErrorContains(t, err, "x.lesson:6:1: write: hide bugs")
}
