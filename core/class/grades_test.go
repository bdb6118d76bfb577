package class

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStepPoints: 10 points a step, shared by its conditions; 10% off a
// hint, at most 30%; half with show me.
func TestStepPoints(t *testing.T) {
	for _, c := range []struct {
		name   string
		met    []bool
		hints  int
		showMe bool
		want   string
	}{
		{"every condition met", []bool{true, true}, 0, false, "10.00"},
		{"one of two", []bool{true, false}, 0, false, "5.00"},
		{"one of three", []bool{false, true, false}, 0, false, "3.33"},
		{"none", []bool{false, false}, 0, false, "0.00"},
		{"no conditions", nil, 0, false, "0.00"},
		{"one hint", []bool{true, true}, 1, false, "9.00"},
		{"two hints", []bool{true, true}, 2, false, "8.00"},
		{"three hints", []bool{true, true}, 3, false, "7.00"},
		{"five hints: at most 30% off", []bool{true, true}, 5, false, "7.00"},
		{"partial after a hint", []bool{true, false}, 1, false, "4.50"},
		{"show me", []bool{true, true}, 0, true, "5.00"},
		{"show me after hints: half, not less", []bool{true, true}, 3, true, "5.00"},
	} {
		require.Equal(t, c.want, StepPoints(c.met, c.hints, c.showMe).String(), c.name)
	}
}

// TestPredictionPoints: 2 for a correct first answer, 1 for a correct
// answer after discussion, 0 otherwise.
func TestPredictionPoints(t *testing.T) {
	for _, c := range []struct {
		rounds []string
		want   Points
	}{
		{[]string{"b"}, 200},
		{[]string{"b", "b"}, 200},
		{[]string{"a", "b"}, 100},
		{[]string{"", "a", "b"}, 100},
		{[]string{"", "b"}, 100},
		{[]string{"a", "c"}, 0},
		{[]string{"a"}, 0},
		{nil, 0},
	} {
		require.Equal(t, c.want, PredictionPoints(c.rounds, "b"), "%v", c.rounds)
	}
}

// TestHuntPoints: 10 a valid find, +5 the right guess, +3 within par.
func TestHuntPoints(t *testing.T) {
	require.Equal(t, Points(0), HuntPoints(false, true, 3, 8))
	require.Equal(t, Points(1000), HuntPoints(true, false, 9, 8))
	require.Equal(t, Points(1500), HuntPoints(true, true, 9, 8))
	require.Equal(t, Points(1300), HuntPoints(true, false, 8, 8))
	require.Equal(t, Points(1800), HuntPoints(true, true, 7, 8))
	require.Equal(t, Points(1500), HuntPoints(true, true, 2, 0), "no par known: no par bonus")
	require.Equal(t, 8, ParFor("forget-vote-on-restart"))
	require.Equal(t, 14, ParFor("commit-previous-term"))
	require.Equal(t, 0, ParFor("no-such-bug"))
}

func TestPointsString(t *testing.T) {
	require.Equal(t, "0.05", Points(5).String())
	require.Equal(t, "-1.50", Points(-150).String())
	require.Equal(t, "123.40", Points(12340).String())
}

// TestRanking: valid finds by time, then by length, then by seat; a seat's
// first find's time, its shortest length, its last guess.
func TestRanking(t *testing.T) {
	h := &Hunt{Subs: []*Submission{
		{Seat: 2, Ms: 500, Length: 12, Guess: "a"},
		{Seat: 1, Ms: 700, Length: 8, Guess: "x"},
		{Seat: 3, Ms: 700, Length: 7, Guess: "y"},
		{Seat: 2, Ms: 900, Length: 9, Guess: "b"},
	}}
	r := h.Ranking()
	require.Len(t, r, 3)
	require.Equal(t, []int{2, 3, 1}, []int{r[0].Seat, r[1].Seat, r[2].Seat})
	require.Equal(t, Entry{Seat: 2, Ms: 500, Length: 9, Guess: "b", Sub: h.Subs[3]}, r[0])
}
