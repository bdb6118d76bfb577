package class

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/lesson"
)

func loadLesson(t testing.TB, name string) Lesson {
	src, err := os.ReadFile("../../lessons/" + name + ".lesson")
	require.NoError(t, err)
	l, err := lesson.Parse(name+".lesson", src, nil)
	require.NoError(t, err)
	return Lesson{Name: name, Lesson: l}
}

// studentProgress is a student's run of lesson 1's first two steps as the
// progress frames a page sends: one every 100ms of virtual time, with the
// operations taken since.
func studentProgress(t testing.TB, l Lesson, seed uint64) []Progress {
	p, err := lesson.Open(l.Lesson, seed, 0)
	require.NoError(t, err)
	var out []Progress
	sent := 0
	flush := func() {
		log := p.Log()
		out = append(out, Progress{Lesson: l.Name, From: sent, Ops: log[sent:], Now: p.Now()})
		sent = len(log)
	}
	run := func(us int64) {
		for end := p.Now() + us; p.Now() < end; {
			require.NoError(t, p.Advance(min(16_667, end-p.Now())))
			if p.Now()%100_000 < 16_667 {
				flush()
			}
		}
	}
	require.NoError(t, p.Answer("b"))
	run(1_200_000)
	require.NoError(t, p.Next())
	require.NoError(t, p.Answer("b"))
	run(200_000)
	require.NoError(t, p.Act("crash leader"))
	run(2_000_000)
	flush()
	return out
}

// TestProgressReplay: a student's progress frames are all believed, and
// the server's replay ends where the page did.
func TestProgressReplay(t *testing.T) {
	l := loadLesson(t, "01-elections")
	c := New("room")
	require.NoError(t, c.Start([]Lesson{l}))
	events := studentProgress(t, l, c.Seed(l.Lesson, 1))
	for i := range events {
		require.NoError(t, c.Progress(1, &events[i], int64(i)*100))
	}
	r := c.Run(1, l.Name)
	require.Equal(t, 1, r.Player().Step())
	cr := c.Credit(1, l.Name, false)
	require.Equal(t, []string{"first-leader", "crash-leader"}, cr.Done)
	require.Equal(t, "crash-leader", cr.Step)
	// A resend of the last frame is told where to resume, and counts once.
	last := events[0] // the answer
	require.Len(t, last.Ops, 1)
	var fe *FromError
	require.ErrorAs(t, c.Progress(1, &last, 0), &fe)
	require.Equal(t, len(r.Ops()), fe.From)
}

// BenchmarkProgressEvent is the server's cost of one progress event (a
// page's frame every 100ms of virtual time): the new operations replayed
// on the seat's native player. BenchmarkLessonOpen, the cost of opening
// the lesson's player alone, is its baseline in the same run.
func BenchmarkProgressEvent(b *testing.B) {
	l := loadLesson(b, "01-elections")
	events := studentProgress(b, l, l.Lesson.Seed)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		c := New("room")
		_ = c.Start([]Lesson{l})
		for i := range events {
			if err := c.Progress(1, &events[i], int64(i)); err != nil {
				b.Fatal(err)
			}
		}
		n += len(events)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
	b.ReportMetric(float64(len(events)), "events/run")
}

func BenchmarkLessonOpen(b *testing.B) {
	l := loadLesson(b, "01-elections")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := lesson.Open(l.Lesson, l.Lesson.Seed, 0); err != nil {
			b.Fatal(err)
		}
	}
}
