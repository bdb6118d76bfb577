//go:build !js

package tracefile

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"smrlab/core/trace"
)

// The lite codec must write exactly the bytes go-msgpack writes, and read
// every file as go-msgpack reads it, so that the browser build (which uses
// it) and native builds (which use go-msgpack) agree. These tests hold the
// two side by side; they need go-msgpack, so they run natively. Under js the
// package's other tests and core/lab's parity goldens run on the lite codec.

// msgpackCodec is one of the two implementations.
type msgpackCodec struct {
	name   string
	writer func(*bufio.Writer) recordWriter
	dec    func() valueDecoder
}

var msgpackCodecs = []msgpackCodec{
	{"go-msgpack", newCodecWriter, newCodecDecoder},
	{"lite", newLiteWriter, newLiteDecoder},
}

// Unsigned and signed integers at the edges of msgpack's forms.
var (
	uintEdges = []uint64{0, 1, 31, 32, 127, 128, 200, 255, 256, 32767, 32768, 65535, 65536,
		1<<31 - 1, 1 << 31, 1<<32 - 1, 1 << 32, 1 << 40, 1<<63 - 1, 1 << 63, 1<<64 - 2, 1<<64 - 1}
	intEdges = []int64{0, 1, -1, 31, 32, -32, -33, 127, 128, -128, -129, 200, 255, 256, -255, -256,
		32767, 32768, -32768, -32769, 65535, 65536, -65536, 1<<31 - 1, 1 << 31, -1 << 31, -1<<31 - 1,
		1<<32 - 1, 1 << 32, -1 << 32, 1<<63 - 1, -1 << 63, -1<<63 + 1}
	// String lengths at the edges of fixstr, str 8, str 16.
	strLens = []int{0, 1, 31, 32, 255, 256, 65535, 65536}
)

// edgeStrings returns strings of every edge length, of unicode, of bytes
// that are not UTF-8 (a raw writer encodes them too), and of the given
// limit and one past it.
func edgeStrings(limit int) []string {
	list := []string{"", "x", "ünïcødé 中文 🙂", "\x00", "\xff\xfe not UTF-8", "\u2028\t\"\\"}
	for _, n := range append(strLens, limit, limit+1) {
		if n <= 2*limit || n <= 256 {
			list = append(list, strings.Repeat("\x01", n), strings.Repeat("é", n/2))
		}
	}
	return list
}

// differentialTraces returns traces that between them hold every edge
// value of every field, in records that a Writer may refuse (a raw writer
// encodes them all): every event kind, every integer edge in every field,
// nil, empty and long lists, and strings up to the limits.
func differentialTraces() []*trace.Trace {
	traces := []*trace.Trace{fullTrace(), emptyTrace(), smallTrace()}

	// One trace per header variant, each with one event and a footer.
	var headers []trace.Header
	for _, v := range intEdges {
		h := trace.NewHeader()
		h.Major, h.Minor, h.Until = int(v), int(-v), v
		headers = append(headers, h)
	}
	for _, v := range uintEdges {
		h := trace.NewHeader()
		h.Seed = v
		headers = append(headers, h)
	}
	for _, s := range edgeStrings(ScenarioBytesMax) {
		h := trace.NewHeader()
		h.Format, h.ScenarioName, h.Scenario = s, s, s
		headers = append(headers, h)
	}
	for _, n := range []int{0, 1, 15, 16, 17, 255, 65535, 65536, ActionsMax, BugsMax + 1} {
		h := trace.NewHeader()
		h.Bugs, h.Actions = repeat("figure8", n), repeat(strings.Repeat("a", n%300), n)
		headers = append(headers, h)
	}
	nilAndEmpty := trace.NewHeader()
	nilAndEmpty.Bugs, nilAndEmpty.Actions = []string{}, nil
	headers = append(headers, nilAndEmpty)
	full := fullTrace().Header
	full.Actions = []string{"", "ä", strings.Repeat("z", ActionBytesMax)}
	headers = append(headers, full)
	for _, h := range headers {
		traces = append(traces, &trace.Trace{Header: h, Events: []trace.Event{{Kind: trace.Tick}},
			Footer: trace.Footer{Events: 1}})
	}

	// One trace of events: every kind, and every edge in every field alone
	// and all together.
	events := &trace.Trace{Header: trace.NewHeader()}
	add := func(e trace.Event) { events.Events = append(events.Events, e) }
	for k := range 256 {
		add(trace.Event{Kind: trace.Kind(k), Msg: uint8(k), Node: uint32(k)})
	}
	for _, v := range uintEdges {
		add(trace.Event{Seq: v, Kind: trace.Send, Node: uint32(v)})
		add(trace.Event{Kind: trace.Kind(v), Peer: uint32(v), Msg: uint8(v), ID: v})
		add(trace.Event{Term: v, Index: v, LogTerm: v, Count: v, Commit: v})
		add(trace.Event{Seq: v, Kind: trace.Kind(v), Node: uint32(v), Peer: uint32(v), Msg: uint8(v),
			Reject: true, ID: v, Term: v, Index: v, LogTerm: v, Count: v, Commit: v, Text: "t"})
	}
	for _, v := range intEdges {
		add(trace.Event{Time: v, Kind: trace.Tick})
	}
	for _, s := range edgeStrings(EventTextBytesMax) {
		add(trace.Event{Kind: trace.Fault, Text: s})
	}
	for k := trace.Send; k.Valid(); k++ {
		add(fullEvent(uint64(k), k))
	}
	add(trace.Event{Reject: true})
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() uint64 {
		if rng.IntN(3) == 0 {
			return rng.Uint64() >> rng.IntN(64)
		}
		return uintEdges[rng.IntN(len(uintEdges))]
	}
	for range 2000 {
		add(trace.Event{Seq: pick(), Time: int64(pick()), Kind: trace.Kind(pick()), Node: uint32(pick()),
			Peer: uint32(pick() % 3 * pick()), Msg: uint8(pick() % 2 * pick()), Reject: rng.IntN(2) == 0,
			ID: pick() % 2 * pick(), Term: pick() % 2 * pick(), Index: pick() % 2 * pick(),
			LogTerm: pick() % 2 * pick(), Count: pick() % 2 * pick(), Commit: pick() % 2 * pick(),
			Text: strings.Repeat("ß", int(pick()%2*pick()%40))})
	}
	traces = append(traces, events)

	// One trace per footer variant.
	for i, v := range uintEdges {
		e := intEdges[i%len(intEdges)]
		traces = append(traces, &trace.Trace{Header: trace.NewHeader(),
			Footer: trace.Footer{Events: v, EventsHash: v, StateHash: ^v, EndTime: e}})
	}
	for _, s := range edgeStrings(ViolationBytesMax) {
		traces = append(traces, &trace.Trace{Header: trace.NewHeader(), Footer: trace.Footer{Violation: s}})
	}
	return traces
}

// rawDecode reads every record of data with dec, checking nothing but the
// framing: the header, each [tag, event], the footer, and the end.
func rawDecode(data []byte, dec valueDecoder) (*trace.Trace, error) {
	m := &msgpackReader{dec: dec}
	m.in.r = bufio.NewReader(bytes.NewReader(data))
	t := &trace.Trace{}
	if err := m.header(&t.Header); err != nil {
		return nil, fmt.Errorf("%s: %w", m.where(), err)
	}
	for {
		var e trace.Event
		isFooter, err := m.next(&e, &t.Footer)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.where(), err)
		}
		if isFooter {
			return t, m.end()
		}
		t.Events = append(t.Events, e)
	}
}

// Both codecs write every edge value the same, and each reads back what the
// other wrote.
func TestLiteWritesAndReadsLikeCodec(t *testing.T) {
	traces := differentialTraces()
	records := 0
	for i, tr := range traces {
		var encoded [2][]byte
		for c, codec := range msgpackCodecs {
			encoded[c] = rawEncode(t, format{raw: codec.writer}, tr, true)
		}
		require.True(t, bytes.Equal(encoded[0], encoded[1]), "trace %d: the codecs write different bytes", i)
		for _, codec := range msgpackCodecs {
			back, err := rawDecode(encoded[0], codec.dec())
			require.NoError(t, err, "trace %d read by %s", i, codec.name)
			require.Equal(t, tr, back, "trace %d read by %s", i, codec.name)
		}
		records += len(tr.Events) + 2
	}
	t.Logf("%d traces, %d records: the same bytes, read back alike", len(traces), records)

	// And through the public API, on traces that a Writer accepts.
	for _, tr := range []*trace.Trace{fullTrace(), emptyTrace(), smallTrace()} {
		var outs [2]bytes.Buffer
		for c, codec := range msgpackCodecs {
			w, err := newWriter(&outs[c], tr.Header, codec.writer)
			require.NoError(t, err)
			require.NoError(t, writeAll(w, nil, tr))
		}
		require.Equal(t, outs[0].Bytes(), outs[1].Bytes())
		for _, codec := range msgpackCodecs {
			back, err := readAll(newMsgpackReader(bytes.NewReader(outs[0].Bytes()), codec.dec()))
			require.NoError(t, err)
			require.Equal(t, tr, back)
		}
	}
}

// The lite writer does not allocate for an event, as go-msgpack does not.
func TestLiteWriterAllocations(t *testing.T) {
	w, err := newWriter(bytes.NewBuffer(nil), trace.NewHeader(), newLiteWriter)
	require.NoError(t, err)
	e := typicalEvent()
	e.Text = "some text"
	var seq uint64
	allocs := testing.AllocsPerRun(1000, func() {
		e.Seq = seq
		seq++
		require.NoError(t, w.WriteEvent(&e))
	})
	assert.Zero(t, allocs)
}

// go-msgpack is lenient in ways that a hand-edited or foreign file may rely
// on; the lite decoder follows it in each. Each value here is decoded as a
// header, an event, a footer and a tag by both decoders, which must agree;
// want states what they agree on, as the part named.
var liteDecodeCases = []struct {
	name, data string
	as         string // "header", "event", "footer" or "tag"
	want       any    // the value, or an error's text
}{
	{"event as a map", "\x84\xa1k\x01\xa1n\x02\xa1q\x03\xa1t\x04", "event",
		trace.Event{Kind: 1, Node: 2, Seq: 3, Time: 4}},
	{"event as an array in declaration order", "\x9e\x03\x04\x01\x02\x05\x06\xc3\x07\x08\x09\x0a\x0b\x0c\xa1s",
		"event", trace.Event{Seq: 3, Time: 4, Kind: 1, Node: 2, Peer: 5, Msg: 6, Reject: true, ID: 7, Term: 8,
			Index: 9, LogTerm: 10, Count: 11, Commit: 12, Text: "s"}},
	{"short array", "\x92\x03\x04", "event", trace.Event{Seq: 3, Time: 4}},
	{"long array", "\x9f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc0\x93\x01\x02\x03", "event",
		trace.Event{}},
	{"header as an array", "\x99\xacsmrlab-trace\x01\x02\xa1n\xa1s\x03\x91\xa1b\x91\xa1a\x04", "header",
		trace.Header{Format: "smrlab-trace", Major: 1, Minor: 2, ScenarioName: "n", Scenario: "s", Seed: 3,
			Bugs: []string{"b"}, Actions: []string{"a"}, Until: 4}},
	{"footer as an array", "\x95\x01\x02\x03\x04\xa1v", "footer",
		trace.Footer{Events: 1, EventsHash: 2, StateHash: 3, EndTime: 4, Violation: "v"}},
	{"nil", "\xc0", "footer", trace.Footer{}},
	{"nil fields", "\x83\xa1k\xc0\xa1s\xc0\xa1r\xc0", "event", trace.Event{}},
	{"empty map", "\x80", "header", trace.Header{}},
	{"string from bin", "\x81\xa1s\xc4\x02hi", "event", trace.Event{Text: "hi"}},
	{"string from byte values", "\x81\xa1s\x93\x68\xc0\xcc\x69", "event", trace.Event{Text: "h\x00i"}},
	{"key from byte values", "\x81\x91\x6b\x05", "event", trace.Event{Kind: 5}},
	{"tag from byte values", "\x91\x65", "tag", "e"},
	{"tag nil", "\xc0", "tag", ""},
	{"list from a map", "\x81\xa4bugs\x82\xa1a\xa1b\xa1c\xc0", "header",
		trace.Header{Bugs: []string{"a", "b", "c", ""}}},
	{"empty list", "\x82\xa4bugs\x90\xa7actions\x80", "header",
		trace.Header{Bugs: []string{}, Actions: []string{}}},
	{"repeated key", "\x83\xa4bugs\x92\xa1a\xa1b\xa4bugs\x91\xa1c\xa1q\x07", "header",
		trace.Header{Bugs: []string{"c"}}},
	{"integer forms", "\x85\xa1q\xd3\x00\x00\x00\x00\x00\x00\x00\x07\xa1t\xcf\xff\xff\xff\xff\xff\xff\xff\xff" +
		"\xa1k\xd0\x05\xa1n\xcd\x01\x00\xa1r\x01", "event",
		trace.Event{Seq: 7, Time: -1, Kind: 5, Node: 256, Reject: true}},
	{"unknown keys skipped", "\x84\xa1z\x81\x01\x92\xa1a\xc7\x01\x05x\xa1k\x02\xa2zz\xd6\xff\x00\x00\x00\x01" +
		"\xa3zzz\xd8\x05" + strings.Repeat("\x00", 16), "event", trace.Event{Kind: 2}},
	{"keys spanning go-msgpack's name table", "\x81\xd9\x46format\xff\x00\x02\xccmajor\xff\x00\x03\xccminor" +
		"\xff\x00\x04\xc3scenario\xff\x00\x05\xbescenario_name\xff\x00\x06\xc7seed\xff\x00\x07\xc4until\x05",
		"header", trace.Header{Until: 5}},
	{"deep enough", "\x81\xa1z" + deepArray(62), "event", trace.Event{}},
	{"too deep", "\x81\xa1z" + deepArray(63), "event", "msgpack decode error [pos 66]: maximum decoding depth exceeded"},
	{"empty key", "\x81\xa0\x01", "event",
		"msgpack decode error [pos 2]: runtime error: index out of range [0] with length 0"},
	{"not a struct", "\xa5hello", "header",
		"msgpack decode error [pos 1]: only encoded map or array can be decoded into a struct"},
	{"kind overflows", "\x81\xa1k\xcd\x01\x01", "event", "msgpack decode error [pos 6]: uint64 overflow: 257"},
	{"node overflows", "\x81\xa1n\xcf\x00\x00\x00\x01\x00\x00\x00\x00", "event",
		"msgpack decode error [pos 12]: uint64 overflow: 4294967296"},
	{"peer overflows", "\x81\xa1p\xd3\x00\x00\x00\x01\x00\x00\x00\x00", "event",
		"msgpack decode error [pos 12]: uint64 overflow: 4294967296"},
	{"msg overflows", "\x81\xa1m\xd1\x01\x00", "event", "msgpack decode error [pos 6]: uint64 overflow: 256"},
	{"negative seq", "\x81\xa1q\xff", "event",
		"msgpack decode error [pos 4]: assigning negative signed value: 255, to unsigned type"},
	{"negative int 8 seq", "\x81\xa1q\xd0\xfe", "event",
		"msgpack decode error [pos 5]: assigning negative signed value: -2, to unsigned type"},
	{"float time", "\x81\xa1t\xca\x00\x00\x00\x00", "event",
		"msgpack decode error [pos 4]: cannot decode signed integer: unrecognized descriptor byte: ca/float"},
	{"string reject", "\x81\xa1r\xa1y", "event",
		"msgpack decode error [pos 4]: cannot decode bool: unrecognized descriptor byte: a1/string|bytes"},
	{"int text", "\x81\xa1s\x05", "event",
		"msgpack decode error [pos 4]: invalid byte descriptor for decoding bytes, got: 0x5"},
	{"string bugs", "\x81\xa4bugs\xa1x", "header",
		"msgpack decode error [pos 7]: bytes/string in stream must decode into slice/array of bytes, not []string"},
	{"int bugs", "\x81\xa4bugs\x07", "header",
		"msgpack decode error [pos 7]: only encoded map or array can be decoded into a slice (0)"},
	{"byte value overflows", "\x81\xa1s\x91\xcd\x01\x00", "event",
		"msgpack decode error [pos 7]: uint64 overflow: 256"},
	{"bad time", "\x81\xa1z\xd5\xff\x00\x00", "event",
		"msgpack decode error [pos 7]: invalid bytes for decoding time - expecting string or 4, 8, or 12 bytes, got 2"},
	{"int key", "\x81\x01\x01", "event",
		"msgpack decode error [pos 2]: invalid byte descriptor for decoding bytes, got: 0x1"},
}

func deepArray(n int) string { return strings.Repeat("\x91", n) + "\xc0" }

func TestLiteDecodesLikeCodec(t *testing.T) {
	for _, c := range liteDecodeCases {
		t.Run(c.name, func(t *testing.T) {
			var got [2]any
			for i, codec := range msgpackCodecs {
				v, err := decodeAs(codec.dec(), []byte(c.data), c.as)
				got[i] = v
				if err != nil {
					got[i] = err.Error()
				}
			}
			require.Equal(t, got[0], got[1], "go-msgpack and lite disagree")
			require.Equal(t, c.want, got[0])
			requireDecodersAgree(t, []byte(c.data))
		})
	}
}

// decodeAs decodes data, one value, with dec as a header, an event, a
// footer or a tag; or, after a record's tag, as an event or a footer.
func decodeAs(dec valueDecoder, data []byte, as string) (any, error) {
	dec.reset(data)
	var tag string
	if rest, ok := strings.CutPrefix(as, "tag+"); ok {
		if err := dec.tag(&tag); err != nil {
			return nil, err
		}
		as = rest
	}
	var v any
	var err error
	switch as {
	case "header":
		var h trace.Header
		err = dec.header(&h)
		v = h
	case "event":
		var e trace.Event
		err = dec.event(&e)
		v = e
	case "footer":
		var f trace.Footer
		err = dec.footer(&f)
		v = f
	case "tag":
		err = dec.tag(&tag)
		return tag, err
	}
	if err != nil {
		return nil, err
	}
	if tag != "" {
		return []any{tag, v}, nil
	}
	return v, nil
}

// requireDecodersAgree decodes data with go-msgpack and with the lite
// decoder, and requires the same values and the same errors: as a whole
// file, and its first value (if the framer takes it) as each part.
func requireDecodersAgree(t *testing.T, data []byte) {
	t.Helper()
	var trs [2]*trace.Trace
	var errs [2]string
	for i, codec := range msgpackCodecs {
		tr, err := readAll(newMsgpackReader(bytes.NewReader(data), codec.dec()))
		trs[i] = tr
		if err != nil {
			errs[i] = err.Error()
		}
	}
	require.Equal(t, errs[0], errs[1], "the readers disagree")
	require.Equal(t, trs[0], trs[1], "the readers disagree")
	if trs[0] != nil {
		// What both read, both write alike.
		require.Equal(t, rawEncode(t, format{raw: newCodecWriter}, trs[0], true),
			rawEncode(t, format{raw: newLiteWriter}, trs[0], true))
	}

	f := framer{r: bufio.NewReader(bytes.NewReader(data))}
	value, err := f.next(headerRecordBytesMax)
	if err != nil {
		return
	}
	kinds := []string{"header", "event", "footer", "tag"}
	if value[0] == fixarray2 {
		value = value[1:]
		kinds = []string{"tag+event", "tag+footer"}
	}
	for _, as := range kinds {
		var got [2]any
		for i, codec := range msgpackCodecs {
			v, err := decodeAs(codec.dec(), value, as)
			got[i] = v
			if err != nil {
				got[i] = err.Error()
			}
		}
		require.Equal(t, got[0], got[1], "the decoders disagree on a value as %s", as)
	}
}

// FuzzLiteMatchesCodec decodes arbitrary bytes with go-msgpack and with the
// lite decoder, which must accept and refuse alike, with the same values
// and the same errors, and write what they accept alike. Its corpus starts
// from FuzzReadMsgpack's.
func FuzzLiteMatchesCodec(f *testing.F) {
	addSeeds(f, formats[0])
	for _, tr := range differentialTraces()[:8] {
		f.Add(rawEncode(f, format{raw: newLiteWriter}, tr, true))
	}
	for _, c := range liteDecodeCases {
		f.Add([]byte(c.data))
		if c.as != "header" { // as the only event of a file
			f.Add([]byte("\x80\x92\xa1" + c.as[:1] + c.data + "\x92\xa1f\x81\xa6events\x01"))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		requireDecodersAgree(t, data)
	})
}

// The framer's limit on one value also bounds the decoders: neither sees an
// empty extension, which go-msgpack would chain without limit.
func TestEmptyExtensionChainIsRefused(t *testing.T) {
	n := 1000
	data := []byte("\x81\xa1z\xdd")
	data = append(data, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	data = append(data, bytes.Repeat([]byte("\xc7\x00\x01"), n-1)...)
	data = append(data, 0xc0)
	requireDecodersAgree(t, data)
	_, err := ReadMsgpack(bytes.NewReader(data))
	require.EqualError(t, err, "record 0: byte 0xc7 starts an empty extension, which no trace holds")
}
