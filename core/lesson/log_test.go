package lesson

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// script drives lesson 1's first two steps as a student might, advancing
// time in chunks that chunk draws (as page frames would).
func script(t *testing.T, p *Player, chunk func() int64) {
	t.Helper()
	run := func(total int64) {
		for end := p.Now() + total; p.Now() < end; {
			require.NoError(t, p.Advance(min(chunk(), end-p.Now())))
		}
	}
	require.NoError(t, p.Answer("b"))
	run(1_234_567)
	require.True(t, p.Done())
	require.NoError(t, p.Next())
	require.NoError(t, p.Answer("a"))
	run(333_333)
	require.NoError(t, p.Act("crash leader"))
	run(100_001)
	require.NoError(t, p.Reset())
	run(2_500_000) // a hint unlocks after virtual time in the step
	require.NoError(t, p.Hint())
	require.NoError(t, p.Act("crash leader"))
	run(1_750_003)
}

type verdict struct {
	step    int
	results []StepResult
	state   string
	hash    uint64
	now     int64
}

func verdictOf(p *Player) verdict {
	st := p.State()
	return verdict{p.Step(), p.Results(), string(st.AppendJSON(nil)), p.StateHash(), p.Now()}
}

// TestLogChunkings: the same lesson run driven with different chunkings of
// time between its operations, and its log replayed natively in one go,
// reach the same step, goal states, results and state hash.
func TestLogChunkings(t *testing.T) {
	l := loadFile(t, "../../lessons/01-elections.lesson")
	var logs [][]Op
	var verdicts []verdict
	for i, chunk := range []func() int64{
		func() int64 { return 16_667 },    // a 60 Hz page at 1x
		func() int64 { return 833 },       // at 0.05x
		func() int64 { return 1_000_000 }, // in big strides
		func() func() int64 {
			r := rand.New(rand.NewPCG(7, uint64(1)))
			return func() int64 { return 1 + r.Int64N(40_000) }
		}(),
	} {
		p, err := Open(l, l.Seed, 0)
		require.NoError(t, err)
		script(t, p, chunk)
		logs = append(logs, p.Log())
		verdicts = append(verdicts, verdictOf(p))
		if i > 0 {
			require.Equal(t, logs[0], logs[i], "chunking %d", i)
			require.Equal(t, verdicts[0], verdicts[i], "chunking %d", i)
		}
	}
	require.Equal(t, 1, verdicts[0].step)
	require.True(t, verdicts[0].results[0].Done)
	require.Equal(t, 1, verdicts[0].results[1].Hints)
	p, err := Replay(l, l.Seed, Log{Ops: logs[0], Now: verdicts[0].now})
	require.NoError(t, err)
	require.Equal(t, verdicts[0], verdictOf(p))
	require.Equal(t, logs[0], p.Log())

	// Applied a few operations at a time, as progress frames bring them.
	q, err := Open(l, l.Seed, 0)
	require.NoError(t, err)
	for _, op := range logs[0] {
		require.NoError(t, q.Apply(op))
	}
	require.NoError(t, q.AdvanceTo(verdicts[0].now))
	require.Equal(t, verdicts[0], verdictOf(q))

	// The JSON the page sends.
	require.Equal(t, `[{"op":"answer","at":0,"choice":"b"},{"op":"next","at":1234567}]`,
		string(AppendOpsJSON(nil, logs[0][:2])))
}

// TestReplayRefuses: a log that this lesson cannot have made on this seed
// is refused at the operation that does not replay.
func TestReplayRefuses(t *testing.T) {
	l := loadFile(t, "../../lessons/01-elections.lesson")
	for _, c := range []struct {
		ops  []Op
		want string
	}{
		{[]Op{{Op: OpNext, At: 0}}, "operation 1 (next at 0.000s): the goals of step first-leader are not met yet"},
		{[]Op{{Op: OpAct, At: 5, Text: "crash S1"}}, "answer the prediction first"},
		{[]Op{{Op: OpAnswer, At: 0, Choice: "b"}, {Op: OpAnswer, At: 0, Choice: "b"}}, "answered already"},
		{[]Op{{Op: OpAnswer, At: 0, Choice: "b"}, {Op: OpAct, At: 9000, Text: "crash S1"}, {Op: OpAct, At: 5, Text: "crash S2"}},
			"operation 3 (act at 0.000s): at 0.000s, but the run is at 0.009s already"},
		{[]Op{{Op: OpHint, At: 0}}, "the next hint unlocks"},
		{[]Op{{Op: "jump", At: 0}}, "unknown operation"},
	} {
		_, err := Replay(l, l.Seed, Log{Ops: c.ops})
		require.ErrorContains(t, err, c.want)
	}
}

// TestHiddenGoal: a hidden goal is scored (Results) but absent from the
// student's state until revealed, and does not hold the step back.
func TestHiddenGoal(t *testing.T) {
	src := goodHeader + `
step s1
  title One
  goal "A leader" leader
  goal hidden "Term 50" term >= 50
  solution wait 1s
`
	l, err := Parse("hidden.lesson", []byte(src), nil)
	require.NoError(t, err)
	require.True(t, l.Steps[0].Goals[1].Hidden)
	require.Equal(t, "Term 50", l.Steps[0].Goals[1].Label)
	p, err := Open(l, l.Seed, 0)
	require.NoError(t, err)
	require.NoError(t, p.Advance(1_000_000))
	require.True(t, p.Done(), "a hidden goal does not hold the step back")
	st := p.State()
	require.Len(t, st.Goals, 1)
	require.NotContains(t, string(st.AppendJSON(nil)), "Term 50")
	p.Reveal(true)
	st = p.State()
	require.Len(t, st.Goals, 2)
	require.Contains(t, string(st.AppendJSON(nil)), `"label":"Term 50","state":"not-yet"`)
	require.Equal(t, []bool{true, false}, p.Results()[0].Met)
	// lesson check proves hidden goals too: this solution does not reach it.
	probs := Check(l, []uint64{l.Seed})
	require.Len(t, probs, 1)
	require.Contains(t, probs[0].Msg, `"Term 50" is not-yet`)
	_, err = Parse("hidden.lesson", []byte(goodHeader+"\nstep s1\n  title One\n  goal hidden\n  solution wait 1s\n"), nil)
	require.ErrorContains(t, err, "goal hidden")
}

// TestHiddenLessonChecks: the corpus's hidden-check lesson is proved.
func TestHiddenLessonChecks(t *testing.T) {
	l := loadFile(t, "testdata/hidden.lesson")
	require.True(t, l.Steps[0].Goals[1].Hidden)
	require.Empty(t, Check(l, []uint64{l.Seed}))
}
