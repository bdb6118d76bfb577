package room

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	cm "smrlab/core/class"
	"smrlab/core/lab"
	"smrlab/core/lesson"
)

const lessonOne = "01-elections"

// page is a student's browser in a class: its own lesson player, the
// operations it sent so far, and the frames it sends.
type page struct {
	c    *class
	seat SeatID
	p    *lesson.Player
	sent int
}

func openPage(t *testing.T, c *class, seat SeatID, seed uint64) *page {
	t.Helper()
	src, err := os.ReadFile("../../lessons/" + lessonOne + ".lesson")
	require.NoError(t, err)
	l, err := lesson.Parse(lessonOne+".lesson", src, nil)
	require.NoError(t, err)
	p, err := lesson.Open(l, seed, 0)
	require.NoError(t, err)
	return &page{c: c, seat: seat, p: p}
}

// run advances the page's run in frames of 16.7ms of virtual time.
func (pg *page) run(t *testing.T, us int64) {
	for end := pg.p.Now() + us; pg.p.Now() < end; {
		require.NoError(t, pg.p.Advance(min(16_667, end-pg.p.Now())))
	}
}

// progressFrame is the progress frame for the operations not sent yet.
func (pg *page) progressFrame(extra string) string {
	ops := pg.p.Log()[pg.sent:]
	st := pg.p.State()
	return fmt.Sprintf(`{"t":"progress","seq":%%d,"lesson":%q,"from":%d,"ops":%s,"now":%d,"wall":[{"step":%q,"ms":1000}],"step":%q,"hash":"%016x"%s}`,
		lessonOne, pg.sent, lesson.AppendOpsJSON(nil, ops), pg.p.Now(), st.StepID, st.StepID, pg.p.StateHash(), extra)
}

// send sends the pending operations; sent moves on when credited.
func (pg *page) send(t *testing.T) Output {
	n := len(pg.p.Log())
	o := pg.c.frame(pg.seat, pg.progressFrame(""))
	if f := lastFrame(o.Sends, pg.seat, "credited"); f != nil {
		pg.sent = n
	}
	return o
}

// refusedWith checks a frame was refused with reason, audited, and changed
// nothing.
func refusedWith(t *testing.T, c *class, send func() Output, code, reason string) {
	t.Helper()
	n, audits := c.r.n, 0
	for _, rec := range c.records {
		if rec.Kind == RecordAudit {
			audits++
		}
	}
	o := send()
	require.Equal(t, []string{code}, o.Refused, "%v", types(o))
	f := lastFrame(o.Sends, o.Sends[0].To, "refused")
	require.NotNil(t, f)
	require.Contains(t, f["reason"], reason)
	require.Equal(t, n, c.r.n, "a refused frame is no input")
	for _, rec := range o.Records {
		require.Equal(t, RecordAudit, rec.Kind)
		require.Contains(t, rec.Audit.Detail, reason)
	}
	require.Len(t, o.Records, 1)
}

// huntRecording is a recording of manual-sandbox.scn made by a student:
// the first n of the steps that elect two leaders in term 1 when a
// restarted server forgets its vote (the recording claims no bug).
func huntRecording(t *testing.T, n int) string {
	src, err := os.ReadFile("../../scenarios/manual-sandbox.scn")
	require.NoError(t, err)
	s, err := lab.Open("manual-sandbox.scn", src, lab.Options{})
	require.NoError(t, err)
	steps := []string{"campaign S1", "campaign S2", "deliver m2", "crash S3", "restart S3", "deliver m4", "deliver m5", "deliver m6"}
	for i, a := range steps[:n] {
		s.GoTo(int64(i+1) * 1000)
		require.NoError(t, s.Act(a), a)
	}
	h := s.Recording()
	return string(h.AppendJSON(nil))
}

// TestClassOfThree: a teacher and three students through the room's
// frames: a lesson, verified progress on the dashboard, forgeries refused,
// a held prediction in two rounds, a bug hunt, grades, and a restore.
func TestClassOfThree(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	ada, bob, cy := c.join("Ada"), c.join("Bob"), c.join("Cy")
	o := c.frame(Teacher, `{"t":"lesson","seq":%d,"op":"start","lessons":["`+lessonOne+`"]}`)
	require.Empty(t, o.Refused)
	cf := lastFrame(o.Sends, ada, "class")
	require.NotNil(t, cf, "%v", types(o))
	seed := c.r.Class().Seed(c.r.Class().Lessons()[0].Lesson, int(ada))
	require.Equal(t, fmt.Sprint(seed), cf["seed"])

	// Ada answers, runs until a leader is elected, and is credited.
	pa := openPage(t, c, ada, seed)
	require.NoError(t, pa.p.Answer("b"))
	pa.run(t, 1_200_000)
	require.True(t, pa.p.Done())
	o = pa.send(t)
	cr := lastFrame(o.Sends, ada, "credited")
	require.NotNil(t, cr, "%v", types(o))
	require.Equal(t, []string{"1:ack", "1:credited"}, types(o)[:2])
	require.Equal(t, "first-leader", cr["step"])
	require.Equal(t, []any{"first-leader"}, cr["done"])
	o = c.frame(Teacher, `{"t":"watch","seq":%d,"seat":1}`)
	w := lastFrame(o.Sends, Teacher, "watching")
	require.Equal(t, 0.0, w["from"])
	require.Equal(t, []any{map[string]any{"op": "answer", "at": 0.0, "choice": "b"}}, w["ops"])
	require.NoError(t, pa.p.Next())
	o = pa.send(t)
	require.Equal(t, "crash-leader", lastFrame(o.Sends, ada, "credited")["step"])
	w = lastFrame(o.Sends, Teacher, "watching")
	require.Equal(t, 1.0, w["from"], "then the operations as they come")
	require.Equal(t, []any{map[string]any{"op": "next", "at": 1_200_000.0}}, w["ops"])
	c.frame(Teacher, `{"t":"watch","seq":%d,"seat":-1}`)
	c.wait(300)
	dash := lastFrame(c.sends, Teacher, "dashboard")
	require.NotNil(t, dash)
	row := dash["students"].([]any)[0].(map[string]any)
	require.Equal(t, "Ada", row["name"])
	require.Equal(t, "crash-leader", row["step"])
	require.Equal(t, []any{"first-leader"}, row["done"])
	require.Equal(t, "12.00", row["score"]) // the step, and its prediction right at once
	board := lastFrame(c.sends, Projectors, "board")
	require.Equal(t, float64(1), board["steps"].([]any)[0].(map[string]any)["done"])

	// Forgeries: each refused, audited, and changes nothing.
	pb := openPage(t, c, bob, seed)
	refusedWith(t, c, func() Output {
		return c.frame(bob, `{"t":"progress","seq":%d,"lesson":"`+lessonOne+`","from":0,"ops":[{"op":"answer","at":0,"choice":"b"},{"op":"next","at":5000}],"now":5000}`)
	}, "forged", "forged progress: operation 2 (next at 5000us) does not replay: the goals of step first-leader are not met yet")
	require.NoError(t, pb.p.Answer("b"))
	pb.run(t, 600_000)
	refusedWith(t, c, func() Output {
		return c.frame(bob, strings.Replace(pb.progressFrame(""), `"step":"first-leader","hash"`, `"step":"crash-leader","hash"`, 1))
	}, "forged", "claims step crash-leader; the replay is at first-leader")
	refusedWith(t, c, func() Output { return c.frame(bob, `{"t":"ask","seq":%d,"lesson":"`+lessonOne+`","what":"hint"}`) },
		"state", "the next hint unlocks in 2s of virtual time")
	require.Nil(t, c.r.Class().Run(int(bob), lessonOne))
	pb.run(t, 2_000_000) // the first hint unlocks after 2s
	pb.send(t)
	require.Equal(t, 1, pb.sent)
	o = c.frame(bob, `{"t":"ask","seq":%d,"lesson":"`+lessonOne+`","what":"hint"}`)
	require.NotNil(t, lastFrame(o.Sends, bob, "granted"), "%v", types(o))
	pb.run(t, 100_000)
	refusedWith(t, c, func() Output { return c.frame(bob, pb.progressFrame("")) },
		"forged", "forged progress: the log lacks the hint the server granted (ask 1)")
	require.NoError(t, pb.p.Hint())
	pb.send(t)
	require.Equal(t, 2, pb.sent)
	pc := openPage(t, c, cy, seed+1) // another seed than the server's
	require.NoError(t, pc.p.Answer("b"))
	pc.run(t, 1_000_000)
	refusedWith(t, c, func() Output { return c.frame(cy, pc.progressFrame("")) }, "forged", "another seed or another run")
	refusedWith(t, c, func() Output {
		return c.frame(cy, `{"t":"progress","seq":%d,"lesson":"`+lessonOne+`","from":0,"ops":[{"op":"act","at":"soon"}],"now":1}`)
	}, "decode", "ops[0].at: want a whole number")
	require.Nil(t, c.r.Class().Run(int(cy), lessonOne))
	// A resend from the wrong place is told where to resume.
	o = c.frame(ada, `{"t":"progress","seq":%d,"lesson":"`+lessonOne+`","from":7,"ops":[],"now":1300000}`)
	require.Equal(t, float64(2), lastFrame(o.Sends, ada, "progress-from")["from"])

	// A held prediction: two rounds, then the reveal.
	c.frame(Teacher, `{"t":"hold","seq":%d,"lesson":"`+lessonOne+`","step":"crash-leader"}`)
	for _, v := range []struct {
		seat   SeatID
		choice string
	}{{ada, "a"}, {bob, "b"}, {cy, "c"}} {
		o = c.frame(v.seat, `{"t":"answer","seq":%d,"lesson":"`+lessonOne+`","step":"crash-leader","round":1,"choice":"`+v.choice+`"}`)
		require.Empty(t, o.Refused)
	}
	votes := lastFrame(o.Sends, Teacher, "votes")
	require.Equal(t, map[string]any{"a": 1.0, "b": 1.0, "c": 1.0}, votes["histogram"])
	require.Equal(t, 3.0, votes["answered"])
	require.NotNil(t, lastFrame(o.Sends, Projectors, "votes"))
	o = c.frame(Teacher, `{"t":"vote","seq":%d,"op":"again"}`)
	require.Equal(t, 2.0, lastFrame(o.Sends, ada, "class")["hold"].(map[string]any)["round"])
	c.frame(ada, `{"t":"answer","seq":%d,"lesson":"`+lessonOne+`","step":"crash-leader","round":2,"choice":"b"}`)
	o = c.frame(cy, `{"t":"answer","seq":%d,"lesson":"`+lessonOne+`","step":"crash-leader","round":2,"choice":"b"}`)
	require.Equal(t, map[string]any{"a": 0.0, "b": 2.0, "c": 0.0}, lastFrame(o.Sends, Teacher, "votes")["histogram"])
	o = c.frame(Teacher, `{"t":"vote","seq":%d,"op":"reveal"}`)
	rv := lastFrame(o.Sends, Everyone, "reveal")
	require.Equal(t, "b", rv["answer"])
	require.Len(t, rv["rounds"], 2)

	// A bug hunt: one valid find, one forged submission.
	o = c.frame(Teacher, `{"t":"hunt","seq":%d,"op":"start","bug":"forget-vote-on-restart"}`)
	require.Empty(t, o.Refused)
	// The students' class frame carries the hunt's start as a recording
	// (the page imports it): the bug is in its bytes, never on screen.
	hv := lastFrame(o.Sends, ada, "class")["hunt"].(map[string]any)
	require.Equal(t, "running", hv["state"])
	require.Equal(t, []any{"forget-vote-on-restart"}, hv["recording"].(map[string]any)["bugs"])
	c.nowMs += 60_000
	o = c.frame(cy, `{"t":"submit","seq":%d,"recording":`+huntRecording(t, 8)+`,"guess":"forget-vote-on-restart"}`)
	require.Equal(t, []string{"valid"}, o.Submissions, "%v", types(o))
	refusedWith(t, c, func() Output {
		return c.frame(bob, `{"t":"submit","seq":%d,"recording":`+huntRecording(t, 5)+`,"guess":"count-stale-votes"}`)
	}, "forged-submission", "forged submission: the replay with the room's bug breaks no invariant")
	o = c.frame(Teacher, `{"t":"hunt","seq":%d,"op":"end"}`)
	hunt := lastFrame(o.Sends, Everyone, "hunt")
	require.Equal(t, "ended", hunt["state"])
	require.Equal(t, "forget-vote-on-restart", hunt["bug"])
	require.Equal(t, 8.0, hunt["par"])
	rank := hunt["ranking"].([]any)
	require.Len(t, rank, 1)
	require.Equal(t, map[string]any{"seat": 3.0, "name": "Cy", "ms": 60_000.0, "length": 8.0, "valid": true,
		"guess": "forget-vote-on-restart"}, rank[0])

	// Grades: Ada 10 (step 1) + 2 (its prediction, right at once) + 1
	// (the held one, right in round 2); Bob 9 (step 1 after a hint) + 2 + 2
	// (right at once); Cy nothing believed of its run, 1 (round 2) + 18 (a
	// valid find, the right bug, at par).
	csv := string(c.r.GradesCSV())
	require.Equal(t, "seat,name,01-elections,predictions,hunt,total\n"+
		"1,Ada,10.00,3.00,0.00,13.00\n2,Bob,9.00,4.00,0.00,13.00\n3,Cy,0.00,1.00,18.00,19.00\n", csv)
	jl := string(c.r.GradesJSONL())
	require.Contains(t, jl, `"kind":"hunt"`)
	require.Contains(t, jl, `"recording_sha256":"`)
	require.Contains(t, jl, `"log_sha256":"`+c.r.Class().Run(int(ada), lessonOne).LogHash()+`"`)

	// Restore mid-class: the same dashboard and grades.
	room, seats, inputs, _ := c.stored()
	got, err := Restore(room, seats, inputs, c.r.Progress(), c.nowMs)
	require.NoError(t, err)
	require.Equal(t, string(c.r.DashboardFrame(c.nowMs)), string(got.DashboardFrame(c.nowMs)))
	require.Equal(t, csv, string(got.GradesCSV()))
	require.Equal(t, jl, string(got.GradesJSONL()))
	require.Contains(t, jl, `"wall_ms":1000`)

	// The projector's frames, and the results each student gets at close.
	require.Contains(t, string(c.r.ProjectorFrames()[0]), `"t":"board"`)
	o = c.frame(Teacher, `{"t":"close","seq":%d}`)
	res := lastFrame(o.Sends, ada, "results")
	require.NotNil(t, res, "%v", types(o))
	require.Equal(t, "13.00", res["total"])
}

func lastFrameRaw(sends []Send, to SeatID, t string) []byte {
	for i := len(sends) - 1; i >= 0; i-- {
		var m map[string]any
		if sends[i].To == to && json.Unmarshal(sends[i].Frame, &m) == nil && m["t"] == t {
			return sends[i].Frame
		}
	}
	return nil
}

func mustOpen(t testing.TB, l *lesson.Lesson) *lesson.Player {
	p, err := lesson.Open(l, l.Seed, 0)
	require.NoError(t, err)
	return p
}

// newClassModel is a fresh class model with the room's lessons started
// (benchmarks).
func newClassModel(r *Room) *cm.Class {
	c := cm.New(r.id)
	_ = c.Start(r.Class().Lessons())
	return c
}

// TestClassSeeds: a per-student lesson's seed is the server's, from the
// room and the seat; the class frame tells each seat its own.
func TestClassSeeds(t *testing.T) {
	c := newClass(t, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	ada, bob := c.join("Ada"), c.join("Bob")
	o := c.frame(Teacher, `{"t":"lesson","seq":%d,"op":"start","lessons":["01-elections","02-replication"]}`)
	l2 := c.r.Class().Lessons()[1].Lesson
	require.True(t, l2.PerStudent)
	seedOf := func(id SeatID) any {
		return lastFrame(o.Sends, id, "class")["lessons"].([]any)[1].(map[string]any)["seed"]
	}
	require.Equal(t, fmt.Sprint(l2.SeedFor(c.r.ID()+"/1")), seedOf(ada))
	require.Equal(t, fmt.Sprint(l2.SeedFor(c.r.ID()+"/2")), seedOf(bob))
	require.NotEqual(t, seedOf(ada), seedOf(bob))
	// Unknown lessons and students' lesson frames are refused.
	o = c.frame(Teacher, `{"t":"lesson","seq":%d,"op":"start","lessons":["99-nothing"]}`)
	require.Equal(t, []string{"action"}, o.Refused)
	o = c.frame(ada, `{"t":"lesson","seq":%d,"op":"stop"}`)
	require.Equal(t, []string{"role"}, o.Refused)
	// A frame over 4 KiB is refused unless it is a progress or submit frame.
	o = c.frame(Teacher, `{"t":"hint","seq":%d,"to":0,"text":"`+strings.Repeat("x", FrameBytesMax)+`"}`)
	require.Equal(t, []string{"decode"}, o.Refused)
	ops := `{"op":"answer","at":0,"choice":"b"}`
	for i := range 150 {
		ops += fmt.Sprintf(`,{"op":"act","at":%d,"text":"wait 1ms"}`, i*1000)
	}
	big := `{"t":"progress","seq":%d,"lesson":"01-elections","from":0,"ops":[` + ops + `],"now":150000}`
	require.Greater(t, len(big), FrameBytesMax)
	o = c.frame(ada, big)
	require.Empty(t, o.Refused, "%v", types(o))
	require.NotNil(t, lastFrame(o.Sends, ada, "credited"))
}
