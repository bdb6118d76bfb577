package tracefile

import (
	"bufio"

	"smrlab/core/trace"
)

// The lite codec: a msgpack encoder and decoder (lite_decode.go) for exactly
// the trace schema, which write the bytes that go-msgpack writes with
// msgpackHandle and read what it reads. The browser build uses it instead
// of go-msgpack (msgpack_js.go); lite_test.go checks the two against each
// other.
//
// What go-msgpack writes for a struct: a map of the fields by their codec
// names, sorted, without the omitempty fields that are zero. Unsigned
// integers take their smallest unsigned form (positive fixint, uint 8..64);
// signed ones their smallest signed form (fixint, int 8..64), so 200 is an
// int 16. Strings are str (fixstr, str 8..32), a nil []string is nil and an
// empty one an empty array.

// liteWriter encodes records with the lite codec.
type liteWriter struct {
	buf *bufio.Writer
	b   []byte // the record being encoded
}

func newLiteWriter(buf *bufio.Writer) recordWriter { return &liteWriter{buf: buf} }

func (w *liteWriter) header(h *trace.Header) error {
	err := w.write(appendHeader(w.b[:0], h))
	w.b = nil // do not keep a scenario's worth of buffer for the events
	return err
}

func (w *liteWriter) event(e *trace.Event) error {
	return w.write(appendEvent(append(w.b[:0], eventPrefix...), e))
}

func (w *liteWriter) footer(f *trace.Footer) error {
	return w.write(appendFooter(append(w.b[:0], footerPrefix...), f))
}

func (w *liteWriter) write(b []byte) error {
	w.b = b
	_, err := w.buf.Write(b)
	return err
}

// appendHeader appends h as go-msgpack encodes it.
func appendHeader(b []byte, h *trace.Header) []byte {
	b = append(b, 0x80|9)
	b = appendStrings(append(b, "\xa7actions"...), h.Actions)
	b = appendStrings(append(b, "\xa4bugs"...), h.Bugs)
	b = appendStr(append(b, "\xa6format"...), h.Format)
	b = appendInt(append(b, "\xa5major"...), int64(h.Major))
	b = appendInt(append(b, "\xa5minor"...), int64(h.Minor))
	b = appendStr(append(b, "\xa8scenario"...), h.Scenario)
	b = appendStr(append(b, "\xadscenario_name"...), h.ScenarioName)
	b = appendUint(append(b, "\xa4seed"...), h.Seed)
	return appendInt(append(b, "\xa5until"...), h.Until)
}

// appendEvent appends e as go-msgpack encodes it: q, t, k and n always, the
// other fields only when they are not zero.
func appendEvent(b []byte, e *trace.Event) []byte {
	fields := 4
	for _, set := range [...]bool{e.Count != 0, e.Term != 0, e.ID != 0, e.LogTerm != 0, e.Msg != 0,
		e.Commit != 0, e.Peer != 0, e.Reject, e.Text != "", e.Index != 0} {
		if set {
			fields++
		}
	}
	b = append(b, 0x80|byte(fields)) // at most 14 fields: a fixmap
	b = appendOmitUint(b, "\xa1c", e.Count)
	b = appendOmitUint(b, "\xa1e", e.Term)
	b = appendOmitUint(b, "\xa1i", e.ID)
	b = appendUint(append(b, "\xa1k"...), uint64(e.Kind))
	b = appendOmitUint(b, "\xa1l", e.LogTerm)
	b = appendOmitUint(b, "\xa1m", uint64(e.Msg))
	b = appendUint(append(b, "\xa1n"...), uint64(e.Node))
	b = appendOmitUint(b, "\xa1o", e.Commit)
	b = appendOmitUint(b, "\xa1p", uint64(e.Peer))
	b = appendUint(append(b, "\xa1q"...), e.Seq)
	if e.Reject {
		b = append(b, "\xa1r\xc3"...)
	}
	if e.Text != "" {
		b = appendStr(append(b, "\xa1s"...), e.Text)
	}
	b = appendInt(append(b, "\xa1t"...), e.Time)
	return appendOmitUint(b, "\xa1x", e.Index)
}

// appendFooter appends f as go-msgpack encodes it.
func appendFooter(b []byte, f *trace.Footer) []byte {
	b = append(b, 0x80|5)
	b = appendInt(append(b, "\xa8end_time"...), f.EndTime)
	b = appendUint(append(b, "\xa6events"...), f.Events)
	b = appendUint(append(b, "\xabevents_hash"...), f.EventsHash)
	b = appendUint(append(b, "\xaastate_hash"...), f.StateHash)
	return appendStr(append(b, "\xa9violation"...), f.Violation)
}

// appendOmitUint appends the key and v, unless v is zero (omitempty).
func appendOmitUint(b []byte, key string, v uint64) []byte {
	if v == 0 {
		return b
	}
	return appendUint(append(b, key...), v)
}

// appendUint appends v in its smallest unsigned form.
func appendUint(b []byte, v uint64) []byte {
	switch {
	case v <= 0x7f:
		return append(b, byte(v))
	case v <= 0xff:
		return append(b, 0xcc, byte(v))
	case v <= 0xffff:
		return appendBig(append(b, 0xcd), v, 2)
	case v <= 0xffff_ffff:
		return appendBig(append(b, 0xce), v, 4)
	}
	return appendBig(append(b, 0xcf), v, 8)
}

// appendInt appends v in its smallest signed form.
func appendInt(b []byte, v int64) []byte {
	switch {
	case v >= -32 && v <= 0x7f:
		return append(b, byte(v))
	case v >= -1<<7 && v < 1<<7:
		return append(b, 0xd0, byte(v))
	case v >= -1<<15 && v < 1<<15:
		return appendBig(append(b, 0xd1), uint64(v), 2)
	case v >= -1<<31 && v < 1<<31:
		return appendBig(append(b, 0xd2), uint64(v), 4)
	}
	return appendBig(append(b, 0xd3), uint64(v), 8)
}

// appendBig appends the low size bytes of v, big-endian.
func appendBig(b []byte, v uint64, size int) []byte {
	for shift := 8 * (size - 1); shift >= 0; shift -= 8 {
		b = append(b, byte(v>>shift))
	}
	return b
}

// appendStr appends s as a msgpack str.
func appendStr(b []byte, s string) []byte {
	n := uint64(len(s))
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= 0xff:
		b = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		b = appendBig(append(b, 0xda), n, 2)
	default:
		b = appendBig(append(b, 0xdb), n, 4)
	}
	return append(b, s...)
}

// appendStrings appends list as an array of str, or nil if it is nil.
func appendStrings(b []byte, list []string) []byte {
	n := uint64(len(list))
	switch {
	case list == nil:
		return append(b, 0xc0)
	case n < 16:
		b = append(b, 0x90|byte(n))
	case n <= 0xffff:
		b = appendBig(append(b, 0xdc), n, 2)
	default:
		b = appendBig(append(b, 0xdd), n, 4)
	}
	for _, s := range list {
		b = appendStr(b, s)
	}
	return b
}
