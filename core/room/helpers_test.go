package room

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A small world that runs fast: three servers, clients writing.
const testScenario = `name room-test
servers 3
duration 60s
options all prevote=on checkquorum=on election=150ms heartbeat=50ms
network latency=1ms..5ms
workload clients=2 rate=20/s writes=70% keys=4 timeout=500ms
`

// class drives a room as the shell would, keeping every record it was
// told to store (the store's view of the room).
type class struct {
	t       testing.TB
	r       *Room
	records []Record
	sends   []Send
	seq     map[SeatID]int64
	nowMs   int64
}

func newClass(t testing.TB, spec Spec) *class {
	t.Helper()
	r, o, err := New("0123456789abcdef", "K7QM3P", spec, 1_000)
	require.NoError(t, err)
	c := &class{t: t, r: r, seq: map[SeatID]int64{}, nowMs: 1_000}
	c.take(o)
	return c
}

func (c *class) take(o Output) Output {
	c.records = append(c.records, o.Records...)
	c.sends = append(c.sends, o.Sends...)
	return o
}

func (c *class) join(name string) SeatID {
	c.t.Helper()
	id, o, err := c.r.Join("hash-"+name, name, c.nowMs)
	require.NoError(c.t, err)
	c.take(o)
	c.take(c.r.Connect(id, "lockstep", "token-"+name, c.nowMs))
	return id
}

// frame sends a frame with the seat's next seq (a "%d" in it takes the seq).
func (c *class) frame(id SeatID, format string, a ...any) Output {
	c.seq[id]++
	js := format
	if strings.Contains(format, "%") {
		js = fmt.Sprintf(format, append([]any{c.seq[id]}, a...)...)
	}
	return c.take(c.r.Frame(id, []byte(js), c.nowMs))
}

func (c *class) act(id SeatID, text string) Output {
	return c.frame(id, `{"t":"act","seq":%d,"text":%q}`, text)
}

func (c *class) clock(op string, extra string) Output {
	return c.frame(Teacher, `{"t":"clock","seq":%d,"op":"`+op+`"`+extra+`}`)
}

// wait passes wall time in ticks of 50 ms, as the shell does.
func (c *class) wait(ms int64) {
	for end := c.nowMs + ms; c.nowMs < end; {
		c.nowMs = min(c.nowMs+50, end)
		c.take(c.r.Tick(c.nowMs))
	}
}

// inputs are the room's stored inputs, and its seats and progress.
func (c *class) stored() (Record, []SeatRow, []Input, Record) {
	var room, progress Record
	seats := map[SeatID]SeatRow{}
	var inputs []Input
	for _, rec := range c.records {
		switch rec.Kind {
		case RecordRoom:
			room = rec
		case RecordSeat:
			seats[rec.Seat.Seat] = rec.Seat
		case RecordInput:
			inputs = append(inputs, rec.Input)
		case RecordProgress:
			progress = rec
		}
	}
	var rows []SeatRow
	for i := 1; i <= len(seats); i++ {
		rows = append(rows, seats[SeatID(i)])
	}
	return room, rows, inputs, progress
}

// lastFrame finds the last frame of type t sent to seat to.
func lastFrame(sends []Send, to SeatID, t string) map[string]any {
	for i := len(sends) - 1; i >= 0; i-- {
		var m map[string]any
		if sends[i].To == to && json.Unmarshal(sends[i].Frame, &m) == nil && m["t"] == t {
			return m
		}
	}
	return nil
}

func types(o Output) []string {
	var out []string
	for _, s := range o.Sends {
		var m map[string]any
		_ = json.Unmarshal(s.Frame, &m)
		out = append(out, fmt.Sprintf("%d:%v", s.To, m["t"]))
	}
	return out
}
