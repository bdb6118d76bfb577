package tracefile

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"smrlab/core/trace"
)

// smallTrace has three events; its footer is record 4 (line 5).
func smallTrace() *trace.Trace {
	t := emptyTrace()
	for i := range 3 {
		t.Events = append(t.Events, trace.Event{Seq: uint64(i), Time: int64(i) * 10, Kind: trace.Send, Node: 1})
	}
	t.Footer.Events = 3
	return t
}

// writerPrefix is how a Writer names record n of t in its errors.
func writerPrefix(t *trace.Trace, n int) string {
	switch {
	case n == 0:
		return "header: "
	case n > len(t.Events):
		return ""
	}
	return fmt.Sprintf("event %d: ", n-1)
}

// Each broken trace is refused by both readers, where it breaks, and by both
// writers before they write it.
func TestRefuseBrokenTraces(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*trace.Trace)
		record int
		msg    string
	}{
		{"format", func(t *trace.Trace) { t.Header.Format = "other" }, 0,
			`not a trace: format is "other", want "smrlab-trace"`},
		{"major", func(t *trace.Trace) { t.Header.Major, t.Header.Minor = 2, 3 }, 0,
			"file has trace version 2.3; this build reads version 1.x only"},
		{"major zero", func(t *trace.Trace) { t.Header.Major = 0 }, 0,
			"file has trace version 0.0; this build reads version 1.x only"},
		{"negative minor", func(t *trace.Trace) { t.Header.Minor = -1 }, 0, "minor version -1 is negative"},
		{"negative until", func(t *trace.Trace) { t.Header.Until = -5 }, 0, "until is -5 µs, a negative time"},
		{"kind zero", func(t *trace.Trace) { t.Events[1].Kind = 0 }, 2, "unknown event kind 0"},
		{"kind past end", func(t *trace.Trace) { t.Events[1].Kind = trace.Reject + 1 }, 2, "unknown event kind 26"},
		{"seq from 1", func(t *trace.Trace) {
			for i := range t.Events {
				t.Events[i].Seq++
			}
		}, 1, "seq is 1, want 0 (events are numbered from 0 in order)"},
		{"seq gap", func(t *trace.Trace) { t.Events[2].Seq = 3 }, 3, "seq is 3, want 2 (events are numbered from 0 in order)"},
		{"seq repeat", func(t *trace.Trace) { t.Events[2].Seq = 1 }, 3, "seq is 1, want 2 (events are numbered from 0 in order)"},
		{"footer counts fewer", func(t *trace.Trace) { t.Footer.Events = 2 }, 4,
			"footer counts 2 events, but 3 precede it"},
		{"footer counts more", func(t *trace.Trace) { t.Footer.Events = 4 }, 4,
			"footer counts 4 events, but 3 precede it"},
	}
	for _, f := range formats {
		for _, c := range cases {
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				tr := smallTrace()
				c.mutate(tr)
				_, err := f.read(bytes.NewReader(rawEncode(t, f, tr, true)))
				require.EqualError(t, err, f.where(c.record)+c.msg)
				err = f.write(io.Discard, tr)
				require.EqualError(t, err, writerPrefix(tr, c.record)+c.msg)
			})
		}
	}
}

// Each limit holds at its edge and refuses one past it, in both formats.
// Strings are of "\x01", which JSON spends the most bytes on.
func TestLimitsAtTheirEdge(t *testing.T) {
	cases := []struct {
		name   string
		set    func(t *trace.Trace, n int)
		max    int
		record int
		msg    string
	}{
		{"scenario", func(t *trace.Trace, n int) { t.Header.Scenario = worst(n) },
			ScenarioBytesMax, 0, "scenario: 1048577 bytes, more than the limit of 1048576"},
		{"scenario name", func(t *trace.Trace, n int) { t.Header.ScenarioName = worst(n) },
			ScenarioNameBytesMax, 0, "scenario_name: 257 bytes, more than the limit of 256"},
		{"actions", func(t *trace.Trace, n int) { t.Header.Actions = repeat("at 1s heal", n) },
			ActionsMax, 0, "actions: 10001 items, more than the limit of 10000"},
		{"action", func(t *trace.Trace, n int) { t.Header.Actions = []string{"a", worst(n)} },
			ActionBytesMax, 0, "actions[1]: 1025 bytes, more than the limit of 1024"},
		{"bugs", func(t *trace.Trace, n int) { t.Header.Bugs = repeat("figure8", n) },
			BugsMax, 0, "bugs: 65 items, more than the limit of 64"},
		{"bug name", func(t *trace.Trace, n int) { t.Header.Bugs = []string{worst(n)} },
			BugNameBytesMax, 0, "bugs[0]: 65 bytes, more than the limit of 64"},
		{"event text", func(t *trace.Trace, n int) { t.Events[1].Text = worst(n) },
			EventTextBytesMax, 2, "text: 4097 bytes, more than the limit of 4096"},
		{"violation", func(t *trace.Trace, n int) { t.Footer.Violation = worst(n) },
			ViolationBytesMax, 4, "footer violation: 4097 bytes, more than the limit of 4096"},
	}
	for _, f := range formats {
		for _, c := range cases {
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				tr := smallTrace()
				c.set(tr, c.max)
				requireRoundTrip(t, f, tr)
				c.set(tr, c.max+1)
				_, err := f.read(bytes.NewReader(rawEncode(t, f, tr, true)))
				require.EqualError(t, err, f.where(c.record)+c.msg)
				require.EqualError(t, f.write(io.Discard, tr), writerPrefix(tr, c.record)+c.msg)
			})
		}
	}
}

// Every limit at once, at its worst for size, still fits the record and
// line budgets that the readers enforce.
// It writes a 70 MB line, so it takes a few seconds.
func TestAllLimitsAtOnce(t *testing.T) {
	tr := smallTrace()
	h := &tr.Header
	h.Scenario, h.ScenarioName = worst(ScenarioBytesMax), worst(ScenarioNameBytesMax)
	h.Seed, h.Minor, h.Until = 1<<64-1, trace.VersionMinor, 1<<63-1
	h.Actions, h.Bugs = repeat(worst(ActionBytesMax), ActionsMax), repeat(worst(BugNameBytesMax), BugsMax)
	tr.Events[0] = fullEvent(0, trace.Send)
	tr.Events[0].Text = worst(EventTextBytesMax)
	tr.Footer = trace.Footer{Events: 3, EventsHash: 1<<64 - 1, StateHash: 1<<64 - 1, EndTime: -1 << 63,
		Violation: worst(ViolationBytesMax)}
	for _, f := range formats {
		requireRoundTrip(t, f, tr)
	}
}

func worst(n int) string { return strings.Repeat("\x01", n) }

func repeat(s string, n int) []string {
	list := make([]string, n)
	for i := range list {
		list[i] = s
	}
	return list
}

// The count limit is checked against EventsMax itself; the counters are
// advanced by hand, as writing fifty million events would take too long.
func TestEventsMaxAtItsEdge(t *testing.T) {
	last := trace.Event{Seq: EventsMax - 1, Kind: trace.Tick}
	over := trace.Event{Seq: EventsMax, Kind: trace.Tick}
	for _, f := range formats {
		w, err := newWriter(io.Discard, trace.NewHeader(), f.raw)
		require.NoError(t, err)
		w.events = EventsMax - 1
		require.NoError(t, w.WriteEvent(&last))
		require.EqualError(t, w.WriteEvent(&over), "event 50000000: more than 50000000 events, the limit")

		tr := emptyTrace()
		tr.Events = []trace.Event{last, over}
		r, err := Read2(t, f, rawEncode(t, f, tr, true))
		require.NoError(t, err)
		r.events = EventsMax - 1
		var e trace.Event
		require.NoError(t, r.Next(&e))
		require.EqualError(t, r.Next(&e), f.where(2)+"more than 50000000 events, the limit")
	}
}

// Read2 opens a Reader on data in format f.
func Read2(t *testing.T, f format, data []byte) (*Reader, error) {
	t.Helper()
	if f.name == "msgpack" {
		return NewMsgpackReader(bytes.NewReader(data))
	}
	return NewJSONLReader(bytes.NewReader(data))
}

func TestRefuseTruncatedAndTrailing(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			tr := smallTrace()
			noFooter := rawEncode(t, f, tr, false)
			_, err := f.read(bytes.NewReader(noFooter))
			require.EqualError(t, err, f.where(4)+"truncated: the file ends without a footer")

			_, err = f.read(bytes.NewReader(nil))
			require.EqualError(t, err, f.where(0)+"empty file: not a trace")

			full := encode(t, f, tr)
			_, err = f.read(bytes.NewReader(append(full, full...)))
			require.EqualError(t, err, f.where(5)+"trailing data after the footer")
			_, err = f.read(bytes.NewReader(append(full, '\n')))
			require.EqualError(t, err, f.where(5)+"trailing data after the footer")
		})
	}
}

func TestRefuseBrokenMsgpack(t *testing.T) {
	full := encode(t, formats[0], smallTrace())
	header := rawEncode(t, formats[0], emptyTrace(), false)
	event := "\x92\xa1e\x84\xa1k\x01\xa1n\x01\xa1q\x00\xa1t\x00"
	cases := []struct {
		name, data, msg string
	}{
		{"cut inside the footer", string(full[:len(full)-3]),
			"record 4: truncated: the file ends inside a record"},
		{"cut inside the header", string(full[:5]), "record 0: truncated: the file ends inside a record"},
		{"header not a map", "\xa5hello", "record 0: cannot decode: msgpack decode error [pos 1]: "},
		{"header field of the wrong type", "\x81\xa4seed\xa1x", "record 0: cannot decode: "},
		{"unknown tag", string(header) + "\x92\xa1x\x80", `record 1: unknown record tag "x" (want "e" for an event or "f" for the footer)`},
		{"not a pair", string(header) + "\x93\xa1e\x80\x80",
			"record 1: want a record [tag, value] (a 2-element array, byte 0x92), found byte 0x93"},
		{"event not a map", string(header) + "\x92\xa1e\xa3abc", "record 1: cannot decode: "},
		{"negative seq", string(header) + "\x92\xa1e\x82\xa1k\x01\xa1q\xff", "record 1: cannot decode: "},
		{"kind overflows", string(header) + "\x92\xa1e\x81\xa1k\xcd\x01\x01", "record 1: cannot decode: "},
		{"text not UTF-8", string(header) + event[:3] + "\x85\xa1s\xa1\xff" + event[4:],
			"record 1: text: not valid UTF-8"},
		{"text claims 4 GiB", string(header) + event[:3] + "\x85\xa1s\xdb\xff\xff\xff\xff" +
			strings.Repeat("x", 20<<10), "record 1: record is longer than 16384 bytes, the limit"},
		{"text claims 4 GiB at the end", string(header) + event[:3] + "\x85\xa1s\xdb\xff\xff\xff\xff",
			"record 1: record is longer than 16384 bytes, the limit"},
		{"text claims 4 KiB at the end", string(header) + event[:3] + "\x85\xa1s\xdb\x00\x00\x10\x00",
			"record 1: truncated: the file ends inside a record"},
		{"actions claim 4G items", "\x81\xa7actions\xdd\xff\xff\xff\xff" + strings.Repeat("\xa1a", 1000),
			"record 0: record is longer than 11438976 bytes, the limit"},
		{"map claims 4G pairs", "\xdf\xff\xff\xff\xff", "record 0: record is longer than 11438976 bytes, the limit"},
		{"unknown time ext claims 4 GiB", "\x81\xa1z\xc9\xff\xff\xff\xf0\xff",
			"record 0: record is longer than 11438976 bytes, the limit"},
		{"unused byte 0xc1", string(header) + event[:3] + "\x85\xa1z\xc1" + event[4:],
			"record 1: byte 0xc1 is not msgpack"},
		{"unknown field too long", string(header) + event[:3] + "\x85\xa1z\xda\x50\x00" +
			strings.Repeat("z", 0x5000) + event[4:], "record 1: record is longer than 16384 bytes, the limit"},
		{"deep nesting", string(header) + event[:3] + "\x85\xa1z" + strings.Repeat("\x91", 100) + "\xc0" + event[4:],
			"record 1: cannot decode: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadMsgpack(strings.NewReader(c.data))
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), c.msg), "got %q, want prefix %q", err, c.msg)
		})
	}
}

func TestRefuseBrokenJSONL(t *testing.T) {
	full := string(encode(t, formats[1], smallTrace()))
	lines := strings.SplitAfter(full, "\n")
	header := lines[0]
	cases := []struct {
		name, data, msg string
	}{
		{"cut inside the footer", full[:len(full)-5], "line 5: unexpected end of JSON input"},
		{"not JSON", "{nope}\n", "line 1: invalid character 'n' looking for beginning of object key string"},
		{"first line not a header", `{"type":"event","seq":0}` + "\n", `line 1: type is "event", want "header" on the first line`},
		{"version before fields", `{"type":"header","format":"smrlab-trace","major":2,"seed":"x"}`,
			"line 1: file has trace version 2.0; this build reads version 1.x only"},
		{"header field of the wrong type", `{"type":"header","format":"smrlab-trace","major":1,"seed":"x"}`,
			"line 1: json: invalid use of ,string struct tag, trying to unmarshal \"x\" into uint64"},
		{"header number where a string belongs", `{"type":"header","format":"smrlab-trace","major":1,"until":"x"}`,
			"line 1: json: cannot unmarshal string into Go struct field jsonHeader.Header.until of type int64"},
		{"unknown type", header + `{"type":"evnt","seq":0}`, `line 2: unknown record type "evnt" (want "event" or "footer")`},
		{"no type", header + `{"seq":0}`, `line 2: unknown record type "" (want "event" or "footer")`},
		{"empty line", header + "\n", "line 2: unexpected end of JSON input"},
		{"negative seq", header + `{"type":"event","seq":-1,"kind":1}`, "line 2: json: cannot unmarshal number -1"},
		{"fractional time", header + `{"type":"event","t":1.5,"kind":1}`, "line 2: json: cannot unmarshal number 1.5"},
		{"kind overflows", header + `{"type":"event","kind":257}`, "line 2: json: cannot unmarshal number 257"},
		{"text not UTF-8", header + "{\"type\":\"event\",\"kind\":1,\"text\":\"\xff\"}", "line 2: not valid UTF-8"},
		{"two values on a line", header + `{"type":"event","kind":1} {}`, "line 2: invalid character '{' after top-level value"},
		{"line too long", header + `{"type":"event","kind":1,"text":"` + strings.Repeat("x", lineBytesMax) + `"}`,
			"line 2: line is longer than 98304 bytes, the limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadJSONL(strings.NewReader(c.data))
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), c.msg), "got %q, want prefix %q", err, c.msg)
		})
	}
}

func TestReadSniffs(t *testing.T) {
	_, err := Read(strings.NewReader(""))
	require.EqualError(t, err, "empty file: not a trace")
	_, err = Read(strings.NewReader("\x93\x01\x02\x03"))
	require.EqualError(t, err, "not a trace: the first byte 0x93 starts neither JSON Lines ('{') nor a msgpack map")
	_, err = Read(strings.NewReader(`{"type":"header","format":"nope"}`))
	require.EqualError(t, err, `line 1: not a trace: format is "nope", want "smrlab-trace"`)
	for _, first := range []byte{0x80, 0x8f, 0xde, 0xdf} {
		_, err = Read(bytes.NewReader([]byte{first}))
		require.ErrorContains(t, err, "record 0: ", "0x%02x starts a msgpack map", first)
	}
}

// A Writer's first error sticks, and nothing is flushed after it.
func TestWriterErrorSticks(t *testing.T) {
	for _, f := range formats {
		var buf bytes.Buffer
		w, err := newWriter(&buf, trace.NewHeader(), f.raw)
		require.NoError(t, err)
		bad := trace.Event{Seq: 0}
		require.EqualError(t, w.WriteEvent(&bad), "event 0: unknown event kind 0")
		good := trace.Event{Seq: 0, Kind: trace.Tick}
		require.EqualError(t, w.WriteEvent(&good), "event 0: unknown event kind 0")
		require.EqualError(t, w.Close(trace.Footer{}), "event 0: unknown event kind 0")
		assert.Zero(t, buf.Len(), "nothing reaches a file that would be refused")
	}
}

// An I/O error reaches the caller of Close.
func TestWriterReportsIOErrors(t *testing.T) {
	for _, f := range formats {
		w, err := newWriter(failingWriter{}, trace.NewHeader(), f.raw)
		require.NoError(t, err)
		require.EqualError(t, w.Close(trace.Footer{}), "disk full")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

// An I/O error while reading is reported where it happened.
func TestReaderReportsIOErrors(t *testing.T) {
	for _, f := range formats {
		data := encode(t, f, smallTrace())
		r := io.MultiReader(bytes.NewReader(data[:len(data)-3]), failingReader{})
		_, err := f.read(r)
		require.ErrorContains(t, err, f.where(4))
		require.ErrorContains(t, err, "disk on fire")
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, fmt.Errorf("disk on fire") }
