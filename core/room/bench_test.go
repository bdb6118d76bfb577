package room

import (
	"encoding/json"
	"fmt"
	"testing"

	"smrlab/core/lab"
)

// BenchmarkRoomAct measures one student's act through the room (decode,
// role check, the act on the native run, the input and its frames), with
// 300 seats; BenchmarkSessionAct the bare lab.Session.Act it wraps, as the
// baseline of the same run.
func BenchmarkRoomAct(b *testing.B) {
	c := newClass(b, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	var seats []SeatID
	for i := 0; i < 300; i++ {
		seats = append(seats, c.join(fmt.Sprint("Student ", i)))
	}
	for _, id := range seats {
		c.r.seats[id].row.Role = Role{Role: "client"}
	}
	c.records, c.sends = nil, nil
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := seats[i%len(seats)]
		c.seq[id]++
		o := c.r.Frame(id, []byte(fmt.Sprintf(`{"t":"act","seq":%d,"text":"propose S1 x=%d"}`, c.seq[id], i)), c.nowMs)
		if len(o.Refused) > 0 {
			b.Fatal(types(o))
		}
		if i%50 == 49 {
			c.r.s.Advance(1000) // as the clock would between acts
		}
		if i%5000 == 4999 { // a session keeps lab.SessionActionsMax actions
			b.StopTimer()
			c.clock("reset", "")
			b.StartTimer()
		}
	}
}

func BenchmarkSessionAct(b *testing.B) {
	s, err := lab.Open("t.scn", []byte(testScenario), lab.Options{Seed: 1, SeedSet: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Act(fmt.Sprintf("propose S1 x=%d", i)); err != nil {
			b.Fatal(err)
		}
		if i%50 == 49 {
			s.Advance(1000)
		}
		if i%5000 == 4999 {
			b.StopTimer()
			s.Rewind(0, 0)
			b.StartTimer()
		}
	}
}

// BenchmarkRoomTick measures a second of wall time of a playing room at
// 1x (20 ticks: the native run, now frames, the exercise).
func BenchmarkRoomTick(b *testing.B) {
	c := newClass(b, Spec{Exercise: "red-team-blue-team", ExerciseSource: exerciseSource(b, "red-team-blue-team")})
	c.clock("speed", `,"speedPpm":1000000`)
	c.clock("play", "")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.wait(1000)
		c.records, c.sends = c.records[:0], c.sends[:0]
	}
}

// BenchmarkDecodeFrame measures the strict decoder on a hash report, the
// most frequent frame; BenchmarkUnmarshalFrame plain json.Unmarshal of the
// same bytes, the baseline.
func BenchmarkDecodeFrame(b *testing.B) {
	data := []byte(`{"t":"hash","at":3000000,"hash":"0123456789abcdef"}`)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := DecodeFrame(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalFrame(b *testing.B) {
	data := []byte(`{"t":"hash","at":3000000,"hash":"0123456789abcdef"}`)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var f Frame
		if err := json.Unmarshal(data, &f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoomProgress measures a progress event through the room, as the
// shell hands it over: the frame decoded, the seat's new operations
// replayed on its native player, the input and the credited frame, in a
// room of 300 students. Each event is a page's frame every 100ms of
// virtual time (lesson 1, steps 1 and 2). BenchmarkLessonOpenBaseline,
// opening the lesson's player, is the same run's baseline.
func BenchmarkRoomProgress(b *testing.B) {
	const students = 300
	c := newClass(b, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	var seats []SeatID
	for i := 0; i < students; i++ {
		seats = append(seats, c.join(fmt.Sprint("Student ", i)))
	}
	c.frame(Teacher, `{"t":"lesson","seq":%d,"op":"start","lessons":["01-elections"]}`)
	l := c.r.Class().Lessons()[0].Lesson
	// The same run for every seat (lesson 1 has one seed for all).
	pg := &page{c: c, p: mustOpen(b, l)}
	var frames []string
	flush := func() {
		frames = append(frames, pg.progressFrame(""))
		pg.sent = len(pg.p.Log())
	}
	run := func(us int64) {
		for end := pg.p.Now() + us; pg.p.Now() < end; {
			if err := pg.p.Advance(min(16_667, end-pg.p.Now())); err != nil {
				b.Fatal(err)
			}
			if pg.p.Now()%100_000 < 16_667 {
				flush()
			}
		}
	}
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(pg.p.Answer("b"))
	run(1_200_000)
	must(pg.p.Next())
	must(pg.p.Answer("b"))
	run(200_000)
	must(pg.p.Act("crash leader"))
	run(2_000_000)
	flush()
	c.records, c.sends = nil, nil
	b.ReportAllocs()
	b.ResetTimer()
	events := 0
	for i := 0; i < b.N; i++ {
		id := seats[(i/len(frames))%len(seats)]
		if (i/len(frames))%len(seats) == 0 && i%len(frames) == 0 && i > 0 {
			b.StopTimer() // every seat ran the lesson: a fresh class
			c.r.cls = newClassModel(c.r)
			b.StartTimer()
		}
		c.seq[id]++
		o := c.r.Frame(id, []byte(fmt.Sprintf(frames[i%len(frames)], c.seq[id])), c.nowMs)
		if len(o.Refused) > 0 {
			b.Fatalf("refused: %v %s", o.Refused, o.Sends[0].Frame)
		}
		events++
	}
	b.ReportMetric(float64(len(frames)), "events/lesson-run")
}

func BenchmarkLessonOpenBaseline(b *testing.B) {
	c := newClass(b, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	c.frame(Teacher, `{"t":"lesson","seq":%d,"op":"start","lessons":["01-elections"]}`)
	l := c.r.Class().Lessons()[0].Lesson
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mustOpen(b, l)
	}
}

// BenchmarkDashboard300 measures building the teacher's dashboard frame for
// 300 students who each reached step 2 of lesson 1 (what the room sends at
// most 4 times a second); BenchmarkLessonOpenBaseline is the baseline.
func BenchmarkDashboard300(b *testing.B) {
	c := newClass(b, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	c.frame(Teacher, `{"t":"lesson","seq":%d,"op":"start","lessons":["01-elections"]}`)
	l := c.r.Class().Lessons()[0].Lesson
	pg := &page{c: c, p: mustOpen(b, l)}
	if err := pg.p.Answer("b"); err != nil {
		b.Fatal(err)
	}
	if err := pg.p.AdvanceTo(1_200_000); err != nil {
		b.Fatal(err)
	}
	if err := pg.p.Next(); err != nil {
		b.Fatal(err)
	}
	frame := pg.progressFrame("")
	for i := 0; i < 300; i++ {
		id := c.join(fmt.Sprint("Student ", i))
		c.seq[id]++
		if o := c.r.Frame(id, []byte(fmt.Sprintf(frame, c.seq[id])), c.nowMs); len(o.Refused) > 0 {
			b.Fatal(o.Refused)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	size := 0
	for i := 0; i < b.N; i++ {
		size = len(c.r.DashboardFrame(c.nowMs))
	}
	b.ReportMetric(float64(size), "bytes")
}
