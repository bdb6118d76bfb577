package lesson

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const goodHeader = `lesson demo
title Demo
summary A demo.
minutes 3
question What is a demo?
world
  servers 3
  duration 1m
seed 2
`

const goodStep = `
step one
  title One
  say Hello.
  goal "A leader" leader
  solution wait 1s
`

// TestParseGood reads the header, the world, a step and its parts.
func TestParseGood(t *testing.T) {
	src := goodHeader + `
step two # a comment
  title Two
  say See [the paper](https://raft.github.io/raft.pdf#page=5) # and a comment
  controls play crash
  highlight leader
  highlight log S2 7
  highlight panel metrics
  setup wait 100ms
  predict Who wins?
    choice a: S1.
    choice b: "Someone" else.
    answer b when leader within 1s
    explain Timers are random.
  goal "Crashed the leader" did crash leader
  goal term >= +1
  hint after 2 attempts: Click the crown.
  hint after 5s: Use Crash.
  hint: Think.
  solution crash leader; wait 1s
  wrong wait 1s
`
	l, err := Parse("demo.lesson", []byte(src), nil)
	require.NoError(t, err)
	require.Equal(t, "demo", l.ID)
	require.Equal(t, uint64(2), l.Seed)
	require.Equal(t, 3, l.Scenario.Config.Servers)
	s := l.Steps[0]
	require.Equal(t, []string{"See [the paper](https://raft.github.io/raft.pdf#page=5)"}, s.Say)
	require.Equal(t, []string{"play", "crash"}, s.Controls)
	require.Equal(t, []Highlight{{Kind: "leader"}, {Kind: "log", Server: 2, Index: 7}, {Kind: "panel", Panel: "metrics"}}, s.Highlights)
	require.Equal(t, `"Someone" else.`, s.Predict.Choices[1].Text)
	require.Equal(t, "b", s.Predict.Answer)
	require.Equal(t, int64(1_000_000), s.Predict.When.Within)
	require.Equal(t, "term >= +1", s.Goals[1].Label)
	require.True(t, s.Goals[1].Cond.Relative)
	require.Equal(t, []Hint{{Text: "Click the crown.", Attempts: 2, Line: 26}, {Text: "Use Crash.", After: 5_000_000, Line: 27},
		{Text: "Think.", Line: 28}}, s.Hints)
	require.Len(t, s.Solution, 2)
	require.Equal(t, Action{Text: "wait 1s", Line: 29, Col: 26, Wait: 1_000_000}, s.Solution[1])
	// The world's source keeps the lesson's line numbers for the scenario's errors.
	require.Equal(t, "  servers 3", strings.Split(string(l.WorldSource), "\n")[6])
}

// TestParseErrors: a bad lesson is refused with file:line:column and what
// is wrong.
func TestParseErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unknown header", "lessen demo\n", "x.lesson:1:1: unknown directive \"lessen\""},
		{"bad id", "lesson Demo\n", "x.lesson:1:1: lesson takes one id"},
		{"bad minutes", "lesson demo\nminutes many\n", "x.lesson:2:9: minutes: want a whole number"},
		{"no steps", goodHeader, "x.lesson:1: the lesson has no step"},
		{"scenario error keeps the lesson's line", strings.Replace(goodHeader, "servers 3", "servers 3x", 1) + goodStep,
			"x.lesson:7:11: servers: want a whole number"},
		{"expect in the world", strings.Replace(goodHeader, "servers 3", "servers 3\n  expect no-stall", 1) + goodStep,
			"x.lesson:8:3: a lesson's world takes no expect lines"},
		{"unknown step directive", goodHeader + goodStep + "  goals \"x\" leader\n", "x.lesson:16:3: unknown directive \"goals\" in step one"},
		{"unknown condition", goodHeader + strings.Replace(goodStep, `"A leader" leader`, `"A leader" leaders`, 1),
			"x.lesson:14:19: unknown condition \"leaders\""},
		{"bad within", goodHeader + strings.Replace(goodStep, `"A leader" leader`, `"A leader" leader within soon`, 1),
			"x.lesson:14:33: within: want a positive duration"},
		{"not not", goodHeader + strings.Replace(goodStep, `"A leader" leader`, `"A leader" not not leader`, 1),
			"x.lesson:14:23: not not: write the condition itself"},
		{"not alone", goodHeader + strings.Replace(goodStep, `"A leader" leader`, `"A leader" not`, 1),
			"x.lesson:14:19: not what?"},
		{"not of a bad condition", goodHeader + strings.Replace(goodStep, `"A leader" leader`, `"A leader" not leader S9`, 1),
			"x.lesson:14:19: no server S9 in a cluster of 3"},
		{"term has no upper bound", goodHeader + strings.Replace(goodStep, `"A leader" leader`, `"A leader" term <= 3`, 1),
			"x.lesson:14:19: write: term >= 3"},
		{"count bound", goodHeader + strings.Replace(goodStep, `"A leader" leader`, `"A leader" retries < 3`, 1),
			"x.lesson:14:19: write: retries >= 3, or retries <= 3"},
		{"server outside the cluster", goodHeader + strings.Replace(goodStep, `"A leader" leader`, `"A leader" leader S4`, 1),
			"x.lesson:14:19: no server S4 in a cluster of 3"},
		{"unknown control", goodHeader + strings.Replace(goodStep, "say Hello.", "say Hello.\n  controls play crsh", 1),
			"x.lesson:14:17: unknown control \"crsh\""},
		{"unknown panel", goodHeader + strings.Replace(goodStep, "say Hello.", "say Hello.\n  highlight panel nope", 1),
			"x.lesson:14:19: unknown panel \"nope\""},
		{"bad action", goodHeader + strings.Replace(goodStep, "solution wait 1s", "solution wait 1s; crash S9", 1),
			"x.lesson:15:27: no server"},
		{"unknown action", goodHeader + strings.Replace(goodStep, "solution wait 1s", "solution crsh leader", 1),
			"x.lesson:15:12: unknown action \"crsh\""},
		{"timed action", goodHeader + strings.Replace(goodStep, "solution wait 1s", "solution at 2s crash leader", 1),
			"x.lesson:15:12: write the action without a time"},
		{"no goal", goodHeader + strings.Replace(goodStep, "  goal \"A leader\" leader\n", "", 1), "x.lesson:11: step one has no goal"},
		{"no solution", goodHeader + strings.Replace(goodStep, "  solution wait 1s\n", "", 1), "x.lesson:11: step one has no solution"},
		{"answer not a choice", goodHeader + strings.Replace(goodStep, "say Hello.",
			"say Hello.\n  predict Who?\n  choice a: x\n  choice b: y\n  answer c when leader", 1), "x.lesson:17:10: the answer \"c\" is none of the choices"},
		{"choice outside a prediction", goodHeader + strings.Replace(goodStep, "say Hello.", "say Hello.\n  choice a: x", 1),
			"x.lesson:14:3: choice belongs to a prediction"},
		{"prediction without explain", goodHeader + strings.Replace(goodStep, "say Hello.",
			"say Hello.\n  predict Who?\n  choice a: x\n  choice b: y\n  answer a when leader", 1), "x.lesson:14: the prediction of step one needs an explain line"},
		{"unclosed quote", goodHeader + strings.Replace(goodStep, `"A leader" leader`, `"A leader leader`, 1),
			"x.lesson:14:8: a quoted string is not closed"},
		{"bad hint", goodHeader + strings.Replace(goodStep, "say Hello.", "say Hello.\n  hint after many attempts: x", 1),
			"x.lesson:14:3: hint: want a number of attempts"},
		{"second step id", goodHeader + goodStep + strings.Replace(goodStep, "title One", "title Again", 1),
			"x.lesson:17:6: a second step one (the first is on line 11)"},
		{"shipped world without a reader", "lesson demo\ntitle D\nsummary S\nminutes 1\nquestion Q?\nworld scenario leader-crash\n" + goodStep,
			"x.lesson:6: this reader has no shipped scenarios"},
		{"metric unknown", goodHeader + strings.Replace(goodStep, `"A leader" leader`, `"A" metric speed >= 2`, 1),
			"x.lesson:14:19: unknown metric \"speed\""},
		{"did unknown verb", goodHeader + strings.Replace(goodStep, `"A leader" leader`, `"A" did smash leader`, 1),
			"x.lesson:14:16: unknown action \"smash\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("x.lesson", []byte(c.src), nil)
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
}

// TestParseShippedWorld reads a world by a shipped scenario's name.
func TestParseShippedWorld(t *testing.T) {
	src := "lesson demo\ntitle D\nsummary S\nminutes 1\nquestion Q?\nworld scenario leader-crash\nseed 7\n" + goodStep
	l, err := Parse("x.lesson", []byte(src), readScenario)
	require.NoError(t, err)
	require.Equal(t, "leader-crash", l.Scenario.Name)
	require.Equal(t, uint64(7), l.Seed)
	_, err = Parse("x.lesson", []byte(strings.Replace(src, "leader-crash", "no-such", 1)), readScenario)
	require.ErrorContains(t, err, "x.lesson:6: scenario no-such:")
}
