package export

import (
	"bufio"
	"io"
	"slices"
	"strconv"
	"strings"

	"smrlab/core/trace"
)

// ShiVizRegexp is the log parsing expression that a ShiViz log starts with:
// each event is two lines, the time and description, then the host and its
// vector clock as JSON.
const ShiVizRegexp = `(?<time>\S+) (?<event>.*)\n(?<host>\S+) (?<clock>\{.*\})`

// vclock is a vector clock: a count of events per host, by endpoint ID.
type vclock map[uint32]uint64

func (c vclock) merge(o vclock) {
	for h, n := range o {
		c[h] = max(c[h], n)
	}
}

func (c vclock) clone() vclock {
	o := make(vclock, len(c))
	for h, n := range c {
		o[h] = n
	}
	return o
}

// json writes the clock as a JSON object keyed by host name, in a fixed order.
func (c vclock) json(b *strings.Builder) {
	hosts := make([]uint32, 0, len(c))
	for h := range c {
		hosts = append(hosts, h)
	}
	slices.Sort(hosts)
	b.WriteByte('{')
	for i, h := range hosts {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(trace.EndpointName(h)))
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(c[h], 10))
	}
	b.WriteByte('}')
}

// atHost reports whether an event happens at one server or client, and so
// has a place on a ShiViz host's line. Faults, actions and the checkers'
// findings belong to no host; ticks would drown the rest.
func atHost(k trace.Kind) bool {
	switch k {
	case trace.Tick, trace.Fault, trace.Action, trace.Violation, trace.Liveness, trace.Member:
		return false
	}
	return k.Valid()
}

// WriteShiViz writes a ShiViz log: the parsing expression, an empty line
// (one run, so no delimiter between executions), then two lines per event
// at a server or client, with vector clocks that follow the messages: a
// send carries its sender's clock, and a delivery merges it.
func WriteShiViz(w io.Writer, events []trace.Event) error {
	buf := bufio.NewWriter(w)
	buf.WriteString(ShiVizRegexp + "\n\n")
	clocks := map[uint32]vclock{}
	type inFlight struct {
		clock  vclock
		copies int // deliveries or drops still to come
	}
	sent := map[uint64]*inFlight{}
	var b strings.Builder
	for i := range events {
		e := &events[i]
		if !atHost(e.Kind) {
			continue
		}
		c := clocks[e.Node]
		if c == nil {
			c = vclock{}
			clocks[e.Node] = c
		}
		m := sent[e.ID]
		switch e.Kind {
		case trace.Deliver:
			if m != nil {
				c.merge(m.clock)
			}
		case trace.Duplicate:
			if m != nil {
				m.copies++
			}
		}
		c[e.Node]++
		switch e.Kind {
		case trace.Send:
			sent[e.ID] = &inFlight{clock: c.clone(), copies: 1}
		case trace.Deliver, trace.Drop:
			if m != nil {
				if m.copies--; m.copies <= 0 {
					delete(sent, e.ID)
				}
			}
		}
		b.Reset()
		b.WriteString(trace.FormatTime(e.Time))
		b.WriteByte(' ')
		b.WriteString(oneLine(trace.Describe(e)))
		b.WriteByte('\n')
		b.WriteString(trace.EndpointName(e.Node))
		b.WriteByte(' ')
		c.json(&b)
		b.WriteByte('\n')
		if _, err := buf.WriteString(b.String()); err != nil {
			return err
		}
	}
	return buf.Flush()
}

// oneLine keeps a description on its line of the log.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}
