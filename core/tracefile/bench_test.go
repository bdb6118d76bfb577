package tracefile

import (
	"bufio"
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/trace"
)

// typicalEvent is a Send twelve seconds into a run, as a five-server cluster
// writes them by the hundred thousand.
func typicalEvent() trace.Event {
	return trace.Event{Seq: 123_456, Time: 12_345_678, Kind: trace.Send, Node: 2, Peer: 4, Msg: 3,
		ID: 98_765, Term: 7, Index: 4_321, Count: 3, Commit: 4_318}
}

func BenchmarkWriteMsgpack(b *testing.B) { benchmarkWrite(b, formats[0], NewMsgpackWriter) }
func BenchmarkWriteJSONL(b *testing.B)   { benchmarkWrite(b, formats[1], NewJSONLWriter) }

// benchmarkWrite reports events/s and the encoded bytes of a typical event.
func benchmarkWrite(b *testing.B, f format, open func(io.Writer, trace.Header) (*Writer, error)) {
	e := typicalEvent()
	size := len(eventRecord(b, f, &e))
	b.ReportAllocs()
	var w *Writer
	var n uint64
	for b.Loop() {
		if n%EventsMax == 0 {
			closeAndOpen(b, &w, open)
		}
		e.Seq = n % EventsMax
		if err := w.WriteEvent(&e); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(size), "B/event")
}

// closeAndOpen ends the file in *w (if any) and starts another.
func closeAndOpen(b *testing.B, w **Writer, open func(io.Writer, trace.Header) (*Writer, error)) {
	if *w != nil {
		require.NoError(b, (*w).Close(trace.Footer{Events: EventsMax}))
	}
	var err error
	*w, err = open(io.Discard, trace.NewHeader())
	require.NoError(b, err)
}

// eventRecord returns the bytes that format f writes for e.
func eventRecord(tb testing.TB, f format, e *trace.Event) []byte {
	var out bytes.Buffer
	buf := bufio.NewWriter(&out)
	require.NoError(tb, f.raw(buf).event(e))
	require.NoError(tb, buf.Flush())
	return out.Bytes()
}

// The typical event's size is part of the format's design; a change here is
// a change to every trace file.
func TestTypicalEventSize(t *testing.T) {
	e := typicalEvent()
	msgpack, jsonl := eventRecord(t, formats[0], &e), eventRecord(t, formats[1], &e)
	t.Logf("typical event: %d bytes in msgpack, %d in JSON Lines: %s", len(msgpack), len(jsonl), jsonl)
	require.Len(t, msgpack, 53)
	require.Len(t, jsonl, 135)
}
