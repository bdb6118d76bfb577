package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

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

// A short class on a real labserver: every student's log is credited by
// the server's native replay, the dashboard shows every student's every
// step, and the server's replay histogram counted each progress frame.
func TestProgressOnARealLabserver(t *testing.T) {
	ctx, srv, log := startTestServer(t, 2*time.Minute)
	cfg := ProgressConfig{URL: srv.url, Key: srv.key, Students: 4, Lesson: "01-elections", Pace: 40 * time.Millisecond,
		Duration: time.Minute, JoinParallel: 4, Seed: 1, Log: log}
	res, err := RunProgress(ctx, cfg)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if res.Events == 0 || res.Sent != 4*res.Events || res.Credited != res.Sent || res.Refused != 0 || res.Finished != 4 {
		t.Fatalf("%d events a student, %d sent, %d credited, %d refused (%v), %d finished\n%s",
			res.Events, res.Sent, res.Credited, res.Refused, res.Refusals, res.Finished, log.String())
	}
	if res.Marks == 0 || res.Missed != 0 || res.Dashboard.N != res.Marks {
		t.Fatalf("dashboard: %d changes, %d never shown, %d measured", res.Marks, res.Missed, res.Dashboard.N)
	}
	n := res.After.Series[`smrlab_replay_seconds_count{kind="progress"}`] - res.Before.Series[`smrlab_replay_seconds_count{kind="progress"}`]
	if int(n) != res.Sent {
		t.Fatalf("the server's replay histogram counted %v progress frames, labload sent %d", n, res.Sent)
	}
	var out bytes.Buffer
	printProgress(&out, cfg, res)
	if !strings.Contains(out.String(), "server replay per progress event") || !strings.Contains(out.String(), "dashboard latency") {
		t.Fatalf("the report:\n%s", out.String())
	}
}
