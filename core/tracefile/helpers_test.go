package tracefile

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/trace"
)

// format bundles one file format's functions for table-driven tests.
type format struct {
	name  string
	write func(io.Writer, *trace.Trace) error
	read  func(io.Reader) (*trace.Trace, error)
	raw   func(*bufio.Writer) recordWriter
	// where names record n (the header is record 0) as its errors do.
	where func(n int) string
}

var formats = []format{
	{"msgpack", WriteMsgpack, ReadMsgpack, newMsgpackWriter,
		func(n int) string { return fmt.Sprintf("record %d: ", n) }},
	{"jsonl", WriteJSONL, ReadJSONL, newJSONLWriter,
		func(n int) string { return fmt.Sprintf("line %d: ", n+1) }},
}

// fullTrace returns a trace with one event of every kind, every field set,
// and text in several scripts.
func fullTrace() *trace.Trace {
	h := trace.NewHeader()
	h.ScenarioName = "figure-8 ✓"
	h.Scenario = "servers 5\nat 1.5s crash S2 # λ → 日本語 \"quoted\" <tag> & \\ \t\x01"
	h.Seed = 1<<64 - 1
	h.Bugs = []string{"figure8_commit", "unpersisted_vote"}
	h.Actions = []string{"at 1.5s crash S2", "at 2s heal", "at 3s partition {S1 S2} {S3 S4 S5} 🙂"}
	h.Until = 10_000_000
	t := &trace.Trace{Header: h}
	for k := trace.Send; k.Valid(); k++ {
		t.Events = append(t.Events, fullEvent(uint64(len(t.Events)), k))
	}
	t.Footer = trace.Footer{Events: uint64(len(t.Events)), EventsHash: 0xdeadbeefcafef00d,
		StateHash: 1<<63 + 5, EndTime: 9_999_999, Violation: "Election Safety: two leaders in term 7 (S1, S3) — ¡mal!"}
	return t
}

// fullEvent returns an event with every field set.
func fullEvent(seq uint64, k trace.Kind) trace.Event {
	return trace.Event{Seq: seq, Time: int64(seq)*1000 - 5, Kind: k, Node: 1<<32 - 1, Peer: 3,
		Msg: 255, Reject: true, ID: 1<<64 - 1, Term: 7, Index: 1 << 40, LogTerm: 6, Count: 2,
		Commit: 1 << 20, Text: fmt.Sprintf("%v: ünïcødé 中文 \u2028 %d", k, seq)}
}

// emptyTrace returns a trace with the smallest header and no events.
func emptyTrace() *trace.Trace {
	return &trace.Trace{Header: trace.NewHeader()}
}

// encode writes t in format f.
func encode(tb testing.TB, f format, t *trace.Trace) []byte {
	tb.Helper()
	var buf bytes.Buffer
	require.NoError(tb, f.write(&buf, t))
	return buf.Bytes()
}

// rawEncode writes t in format f without any checks, as a broken or hostile
// writer would; withFooter false leaves the footer out.
func rawEncode(tb testing.TB, f format, t *trace.Trace, withFooter bool) []byte {
	tb.Helper()
	var out bytes.Buffer
	buf := bufio.NewWriter(&out)
	enc := f.raw(buf)
	require.NoError(tb, enc.header(&t.Header))
	for i := range t.Events {
		require.NoError(tb, enc.event(&t.Events[i]))
	}
	if withFooter {
		require.NoError(tb, enc.footer(&t.Footer))
	}
	require.NoError(tb, buf.Flush())
	return out.Bytes()
}

// requireRoundTrip checks that t survives format f, and that encoding what
// was read gives the same bytes again.
func requireRoundTrip(tb testing.TB, f format, t *trace.Trace) {
	tb.Helper()
	first := encode(tb, f, t)
	back, err := f.read(bytes.NewReader(first))
	require.NoError(tb, err)
	require.Equal(tb, t, back)
	sniffed, err := Read(bytes.NewReader(first))
	require.NoError(tb, err)
	require.Equal(tb, t, sniffed)
	require.Equal(tb, first, encode(tb, f, back), "re-encoding must give the same bytes")
}
