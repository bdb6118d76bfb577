package lab

import (
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/sim"
	"smrlab/core/trace"
)

func openDefault(t *testing.T, seed uint64) *Session {
	t.Helper()
	s, err := OpenDefault(Options{Seed: seed, SeedSet: true})
	require.NoError(t, err)
	return s
}

func leaderOf(v View) uint32 {
	for _, s := range v.Servers {
		if s.Role == "leader" {
			return s.ID
		}
	}
	return 0
}

func TestSessionElectsAndDraws(t *testing.T) {
	s := openDefault(t, 1)
	s.Advance(2 * sim.Second)
	v := s.View()
	require.NotZero(t, leaderOf(v))
	require.Len(t, v.Servers, 7, "five members and two spare machines")
	require.NotEmpty(t, v.Events)
	require.Equal(t, int64(2*sim.Second), v.Now)
	require.Empty(t, s.View().Events, "a view hands over each event once")
	s.Advance(5 * sim.Millisecond)
	require.NotEmpty(t, s.View().Flights, "heartbeats are always in flight")
}

// TestGoBackShowsTheEarlierState: going back in time gives exactly the state
// a run to that time gives.
func TestGoBackShowsTheEarlierState(t *testing.T) {
	s := openDefault(t, 3)
	s.Advance(7*sim.Second + 123)
	late := s.StateHash()
	for _, at := range []int64{0, 1, 1500 * sim.Millisecond, 4 * sim.Second, 6*sim.Second + 999} {
		s.GoTo(7*sim.Second + 123)
		s.View()
		s.GoTo(at)
		fresh := openDefault(t, 3)
		fresh.Advance(at)
		require.Equal(t, fresh.StateHash(), s.StateHash(), "at %d", at)
		require.Equal(t, fresh.EventsHash(), s.EventsHash(), "at %d", at)
		require.True(t, s.View().Reset)
	}
	s.GoTo(7*sim.Second + 123)
	require.Equal(t, late, s.StateHash())
	require.Equal(t, int64(7*sim.Second+123), s.Reached())
}

func TestActRecordsAndReplays(t *testing.T) {
	s := openDefault(t, 5)
	s.Advance(1 * sim.Second)
	require.NoError(t, s.Act("crash leader"))
	s.Advance(1234 * sim.Millisecond)
	require.NoError(t, s.Act("partition S1 S2 | S3 S4 S5"))
	s.Advance(500 * sim.Millisecond)
	require.NoError(t, s.Act("heal"))
	require.NoError(t, s.Act("restart all"))
	s.Advance(2 * sim.Second)
	require.Len(t, s.Actions(), 4)

	// Going back over the actions and forward again replays them.
	end := s.StateHash()
	s.GoTo(500 * sim.Millisecond)
	s.GoTo(s.Reached())
	require.Equal(t, end, s.StateHash())

	// The recording reproduces the state; the trace reproduces the events.
	h := s.Recording()
	require.Len(t, h.Actions, 4)
	again, err := OpenRecording(&h)
	require.NoError(t, err)
	require.Equal(t, s.StateHash(), again.StateHash())
	require.Equal(t, s.EventsHash(), again.EventsHash())
	var n uint64
	hh := trace.NewHasher()
	_, footer, err := s.Trace(func(e *trace.Event) error {
		n++
		hh.Event(e)
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, s.EventsHash(), footer.EventsHash)
	require.Equal(t, s.EventsHash(), hh.Sum())
	require.Equal(t, s.StateHash(), footer.StateHash)
	require.Equal(t, footer.Events, n)
}

// TestForkDiverges: an action in the past discards the old future.
func TestForkDiverges(t *testing.T) {
	s := openDefault(t, 9)
	s.Advance(3 * sim.Second)
	require.NoError(t, s.Act("crash S1"))
	s.Advance(2 * sim.Second)
	original := s.StateHash()
	s.GoTo(2 * sim.Second)
	require.Equal(t, int64(5*sim.Second), s.Reached())
	require.NoError(t, s.Act("isolate S2"))
	require.Equal(t, int64(2*sim.Second), s.Reached(), "the old future is gone")
	require.Len(t, s.Actions(), 1, "the crash at 3s belonged to the old future")
	s.Advance(3 * sim.Second)
	require.NotEqual(t, original, s.StateHash())
	h := s.Recording()
	again, err := OpenRecording(&h)
	require.NoError(t, err)
	require.Equal(t, s.StateHash(), again.StateHash())
}

func TestActAtTimeZeroAndGoBackToIt(t *testing.T) {
	s := openDefault(t, 2)
	require.NoError(t, s.Act("campaign S4"))
	s.Advance(1 * sim.Second)
	h := s.Recording()
	s.GoTo(0)
	s.GoTo(1 * sim.Second)
	again, err := OpenRecording(&h)
	require.NoError(t, err)
	require.Equal(t, again.StateHash(), s.StateHash())
	require.Equal(t, uint32(4), leaderOf(s.View()))
}

func TestStepping(t *testing.T) {
	s := openDefault(t, 4)
	require.True(t, s.StepEvent())
	ev := s.View().Events
	require.NotEmpty(t, ev)
	for i := 0; i < 50; i++ {
		require.True(t, s.StepDelivery())
		ev = s.View().Events
		kinds := map[string]bool{}
		for _, e := range ev {
			kinds[e.Kind] = true
		}
		require.True(t, kinds["deliver"], "%v", ev)
	}
	// Stepping across checkpoint times keeps going back exact.
	for s.Now() < 5*sim.Second {
		require.True(t, s.StepEvent())
	}
	here := s.StateHash()
	at := s.Now()
	s.GoTo(1 * sim.Second)
	s.GoTo(at)
	require.Equal(t, here, s.StateHash())
}

func TestActRefusesBadInput(t *testing.T) {
	s := openDefault(t, 1)
	for text, want := range map[string]string{
		"explode S1":        "unknown action \"explode\"",
		"crash S8":          "action:1:7: no server \"S8\"",
		"partition S1":      "partition needs two or more groups",
		"net loss=200%":     "bad probability",
		"":                  "an action reads",
		"slow-disk S1 fast": "slow-disk: want a factor",
	} {
		err := s.Act(text)
		require.Error(t, err, text)
		require.Contains(t, err.Error(), want, text)
	}
	require.Empty(t, s.Actions())
}

func TestViolationStopsAndBlocksActions(t *testing.T) {
	src := []byte("servers 5\nduration 10s\nbug all commit-previous-term\n")
	s, err := Open("x.scn", src, Options{})
	require.NoError(t, err)
	s.Advance(time(1))
	require.Nil(t, s.View().Violation)

	f8, err := Open("figure8-bug.scn", mustRead(t, "../../scenarios/figure8-bug.scn"), Options{})
	require.NoError(t, err)
	f8.Advance(1 * sim.Second)
	v := f8.View()
	require.NotNil(t, v.Violation)
	require.Equal(t, "LeaderCompleteness", v.Violation.Invariant)
	require.True(t, v.Stopped)
	require.ErrorIs(t, f8.Act("crash S1"), ErrStopped)
	f8.GoTo(v.Violation.Time - 1)
	back := f8.View()
	require.Nil(t, back.Violation)
	require.NotNil(t, back.BranchViolation, "the branch still breaks later: the page can jump there")
	require.Equal(t, v.Violation.Time, back.BranchViolation.Time)
	require.NoError(t, f8.Act("crash S5"), "going back before the violation lets the user act again")
	require.Nil(t, f8.View().BranchViolation, "acting forks: the old future's violation is gone")
}

func time(s int64) int64 { return s * sim.Second }

// TestLongSessionKeepsFewCheckpointsAndGoesBackExactly: twenty minutes of
// virtual time keep at most CheckpointsMax copies of the world, and going
// back anywhere still gives the state a fresh run gives.
func TestLongSessionKeepsFewCheckpointsAndGoesBackExactly(t *testing.T) {
	s := openDefault(t, 21)
	s.Advance(1200 * sim.Second)
	require.LessOrEqual(t, len(s.checkpoints), CheckpointsMax)
	require.Greater(t, len(s.checkpoints), CheckpointsMax/2)
	for _, at := range []int64{17*sim.Second + 3, 299 * sim.Second, 1190 * sim.Second} {
		s.GoTo(at)
		fresh := openDefault(t, 21)
		fresh.Advance(at)
		require.Equal(t, fresh.StateHash(), s.StateHash(), "at %d", at)
	}
}

// TestViewDescribesTheNewestMessages: a view describes every event in words
// but the older sends and deliveries of a busy stretch, past the newest
// MessageTextsMax events; those keep what the space-time diagram draws.
func TestViewDescribesTheNewestMessages(t *testing.T) {
	s := openDefault(t, 5)
	s.Advance(3 * sim.Second)
	v := s.View()
	require.Greater(t, len(v.Events), MessageTextsMax+100, "a busy stretch")
	wordless := 0
	for i, e := range v.Events {
		newest := i >= len(v.Events)-MessageTextsMax
		if newest || (e.Kind != "send" && e.Kind != "deliver") {
			require.NotEmpty(t, e.Text, "event %d of %d (%s)", i, len(v.Events), e.Kind)
			continue
		}
		require.Empty(t, e.Text, "event %d of %d (%s)", i, len(v.Events), e.Kind)
		require.NotEmpty(t, e.Msg, "event %d: a send or delivery names its message", i)
		require.NotZero(t, e.ID, "event %d: a send or delivery names its message", i)
		wordless++
	}
	require.NotZero(t, wordless)

	// A quiet stretch is described in full.
	s.Advance(5 * sim.Millisecond)
	v = s.View()
	require.Less(t, len(v.Events), MessageTextsMax)
	for _, e := range v.Events {
		require.NotEmpty(t, e.Text, "%s at %d", e.Kind, e.T)
	}
}

// TestViewSaysWhyLinearizabilityIsUnknown checks that a live check that runs
// out of steps shows "unknown" on the page's light with the keys and why.
func TestViewSaysWhyLinearizabilityIsUnknown(t *testing.T) {
	s := openDefault(t, 1)
	s.lin.Steps = 1
	s.Advance(3 * sim.Second)
	lin := s.View().Linear
	require.Equal(t, "unknown", lin.Verdict, "%+v", lin)
	require.NotEmpty(t, lin.UnknownKeys)
	require.LessOrEqual(t, len(lin.UnknownKeys), lin.Unknown)
	require.Equal(t, "the search ran out of its budget of 1 step per key", lin.Reason)

	s = openDefault(t, 1)
	s.Advance(3 * sim.Second)
	lin = s.View().Linear
	require.Equal(t, "ok", lin.Verdict, "%+v", lin)
	require.Empty(t, lin.UnknownKeys)
	require.Empty(t, lin.Reason)
}

// TestSetCheckpointsMax: a session told to keep fewer copies of the world
// keeps at most that many, and going back still reaches the same states.
func TestSetCheckpointsMax(t *testing.T) {
	s, err := OpenDefault(Options{Seed: 5, SeedSet: true})
	require.NoError(t, err)
	s.SetCheckpointsMax(1) // raised to the least
	s.Advance(120 * 1_000_000)
	require.LessOrEqual(t, len(s.checkpoints), CheckpointsLeast)
	end := s.StateHash()
	s.GoTo(30 * 1_000_000)
	mid := s.StateHash()
	s.GoTo(120 * 1_000_000)
	require.Equal(t, end, s.StateHash())
	fresh, err := OpenDefault(Options{Seed: 5, SeedSet: true})
	require.NoError(t, err)
	fresh.Advance(30 * 1_000_000)
	require.Equal(t, mid, fresh.StateHash())
}
