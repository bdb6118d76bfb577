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
