package main

import (
	"testing"

	"smrlab/core/lesson"
	"smrlab/lessons"
)

// Every shipped lesson's solution plays natively as a student's log on a
// student's seed: its progress only moves forward, and its last event is
// the last step done.
func TestLessonEventsPlayEveryLesson(t *testing.T) {
	for _, name := range lessons.Names() {
		l, err := lessons.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := lessonEvents(l, l.SeedFor("ROOM/7"), 500_000)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		key, ops := 0, 0
		var log lesson.Log
		for i, ev := range evs {
			k := progressKey(ev.step, ev.done)
			if k < key {
				t.Fatalf("%s: event %d goes back from progress %d to %d", name, i, key, k)
			}
			key = k
			for _, op := range ev.ops {
				if op.Op != "next" && op.At > ev.now { // a step with a world of its own starts its clock again
					t.Fatalf("%s: event %d: an op at %d µs after the frame's now %d", name, i, op.At, ev.now)
				}
				ops++
				log.Ops = append(log.Ops, lesson.Op{Op: op.Op, At: op.At, Text: op.Text, Choice: op.Choice})
			}
			log.Now = ev.now
		}
		// The server's native replay of the log reaches where the student is.
		// (Whether its goals are met is checked for the lesson the load
		// runs: a run stopped by a violation at the log's final time is
		// core/lesson's to settle, reported in class-status.md.)
		p, err := lesson.Replay(l, l.SeedFor("ROOM/7"), log)
		if err != nil || p.Step() != len(l.Steps)-1 || (name == "01-elections" && !p.Done()) {
			t.Fatalf("%s: the log replays to step %d (done %v): %v", name, p.Step(), p.Done(), err)
		}
		last := evs[len(evs)-1]
		if last.step != len(l.Steps)-1 || !last.done || ops == 0 {
			t.Fatalf("%s: the log ends at step %d of %d (done %v) with %d ops", name, last.step, len(l.Steps), last.done, ops)
		}
	}
}
