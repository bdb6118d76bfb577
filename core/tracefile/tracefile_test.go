package tracefile

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"smrlab/core/trace"
)

func TestRoundTrip(t *testing.T) {
	empty := emptyTrace()
	emptyLists := emptyTrace()
	emptyLists.Header.Bugs, emptyLists.Header.Actions = []string{}, []string{}
	minimal := emptyTrace()
	minimal.Events = []trace.Event{{Kind: trace.Tick}}
	minimal.Footer.Events = 1
	traces := map[string]*trace.Trace{
		"full": fullTrace(), "empty": empty, "empty lists": emptyLists, "minimal event": minimal,
	}
	for _, f := range formats {
		for name, tr := range traces {
			t.Run(f.name+"/"+name, func(t *testing.T) { requireRoundTrip(t, f, tr) })
		}
	}
}

func TestEveryKindIsCovered(t *testing.T) {
	var kinds []trace.Kind
	for _, e := range fullTrace().Events {
		kinds = append(kinds, e.Kind)
	}
	assert.Len(t, kinds, int(trace.Reject))
	assert.False(t, (trace.Reject + 1).Valid(), "a new kind needs a place in fullTrace")
}

func TestCrossFormat(t *testing.T) {
	want := fullTrace()
	for _, from := range formats {
		back, err := from.read(bytes.NewReader(encode(t, from, want)))
		require.NoError(t, err)
		for _, to := range formats {
			again, err := to.read(bytes.NewReader(encode(t, to, back)))
			require.NoError(t, err)
			assert.Equal(t, want, again, "%s to %s", from.name, to.name)
		}
	}
}

func TestStreaming(t *testing.T) {
	want := fullTrace()
	var buf bytes.Buffer
	w, err := NewMsgpackWriter(&buf, want.Header)
	require.NoError(t, err)
	for i := range want.Events {
		require.NoError(t, w.WriteEvent(&want.Events[i]))
	}
	require.NoError(t, w.Close(want.Footer))
	require.ErrorContains(t, w.WriteEvent(&want.Events[0]), "closed")

	r, err := NewReader(&buf)
	require.NoError(t, err)
	assert.Equal(t, want.Header, r.Header())
	for i := range want.Events {
		var e trace.Event
		require.NoError(t, r.Next(&e))
		assert.Equal(t, want.Events[i], e)
	}
	var e trace.Event
	require.Equal(t, io.EOF, r.Next(&e))
	require.Equal(t, io.EOF, r.Next(&e), "io.EOF again after the end")
	assert.Equal(t, want.Footer, r.Footer())
}

// A reused event must not keep fields from the one before.
func TestNextClearsTheEvent(t *testing.T) {
	tr := emptyTrace()
	tr.Events = []trace.Event{fullEvent(0, trace.Send), {Seq: 1, Kind: trace.Tick}}
	tr.Footer.Events = 2
	for _, f := range formats {
		r, err := NewReader(bytes.NewReader(encode(t, f, tr)))
		require.NoError(t, err)
		var e trace.Event
		require.NoError(t, r.Next(&e))
		require.NoError(t, r.Next(&e))
		assert.Equal(t, tr.Events[1], e, f.name)
	}
}

func TestMsgpackLayout(t *testing.T) {
	tr := emptyTrace()
	tr.Header.Scenario = strings.Repeat("s", 40) // str8 (0xd9), which legacy raw lacks
	tr.Events = []trace.Event{{Kind: trace.Send, Node: 1, Text: "hi"}}
	tr.Footer.Events = 1
	data := encode(t, formats[0], tr)
	assert.True(t, isMsgpackMap(data[0]), "the header is a map")
	assert.Contains(t, string(data), "\xa8scenario\xd9\x28"+tr.Header.Scenario)
	assert.Contains(t, string(data), "\x92\xa1e\x85\xa1k\x01\xa1n\x01\xa1q\x00\xa1s\xa2hi\xa1t\x00",
		"an event is [\"e\", map] with sorted keys and no empty optional fields")
	assert.Contains(t, string(data), "\x92\xa1f\x85\xa8end_time")

	// Decoded without a schema, strings are strings, not bytes. (The js
	// build has no msgpackHandle: it writes with the lite codec.)
	var generic []any
	h := &codec.MsgpackHandle{}
	h.RawToString = true
	dec := codec.NewDecoderBytes(data, h)
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
		generic = append(generic, v)
	}
	require.Len(t, generic, 3)
	assert.Equal(t, "smrlab-trace", generic[0].(map[any]any)["format"])
	assert.Equal(t, []any{"e", map[any]any{"k": int64(1), "n": int64(1), "q": int64(0),
		"s": "hi", "t": int64(0)}}, generic[1])
}

func TestJSONLLayout(t *testing.T) {
	tr := emptyTrace()
	tr.Header.Actions = []string{"at 1s crash S2 <now> & later"}
	tr.Events = []trace.Event{{Kind: trace.Send, Node: 1, Peer: 2, Msg: 3, ID: 4, Term: 5}}
	tr.Footer = trace.Footer{Events: 1, EventsHash: 1<<64 - 1}
	want := `{"type":"header","format":"smrlab-trace","major":1,"minor":0,"scenario_name":"","scenario":"","seed":"0","bugs":null,"actions":["at 1s crash S2 <now> & later"],"until":0}
{"type":"event","seq":0,"t":0,"kind":1,"node":1,"peer":2,"msg":3,"id":4,"term":5}
{"type":"footer","events":1,"events_hash":"18446744073709551615","state_hash":"0","end_time":0,"violation":""}
`
	assert.Equal(t, want, string(encode(t, formats[1], tr)))
}

// A hand-edited file may reorder keys, add spaces, end in CRLF or drop the
// last newline; it still reads.
func TestJSONLLeniency(t *testing.T) {
	file := " {\"major\":1,\"format\":\"smrlab-trace\",\"type\":\"header\"}\r\n" +
		"{\"kind\":20, \"type\":\"event\", \"seq\":0, \"future_field\":[1,2]}\r\n" +
		"{\"type\":\"footer\",\"events\":1}"
	tr, err := ReadJSONL(strings.NewReader(file))
	require.NoError(t, err)
	assert.Equal(t, trace.Event{Kind: trace.Tick}, tr.Events[0])
}

// A newer minor version reads (its new fields ignored) but is not written
// back as if nothing were lost.
func TestNewerMinorVersion(t *testing.T) {
	for _, f := range formats {
		tr := emptyTrace()
		tr.Header.Minor = trace.VersionMinor + 1
		back, err := f.read(bytes.NewReader(rawEncode(t, f, tr, true)))
		require.NoError(t, err, f.name)
		assert.Equal(t, tr, back)
		require.ErrorContains(t, f.write(io.Discard, back),
			"header: version 1.1 is newer than this build writes (1.0): its new fields would be lost")
	}
}

// Rooms of the lab server read and write traces at once; the shared codec
// configuration must allow it (run with -race).
func TestConcurrentUse(t *testing.T) {
	want := fullTrace()
	done := make(chan error)
	for range 8 {
		go func() {
			for _, f := range formats {
				var buf bytes.Buffer
				if err := f.write(&buf, want); err != nil {
					done <- err
					return
				}
				if _, err := f.read(&buf); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		require.NoError(t, <-done)
	}
}
