package tracefile

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/go-msgpack/v2/codec"

	"smrlab/core/trace"
)

// Record tags: each record after the header is the pair [tag, value].
const (
	tagEvent  = "e"
	tagFooter = "f"
	// fixarray2 is msgpack's first byte of a 2-element array.
	fixarray2 = 0x92
)

// The first bytes of an event and of the footer record: a 2-element array
// and a 1-byte str tag (fixstr 0xa1).
var (
	eventPrefix  = []byte{fixarray2, 0xa1, tagEvent[0]}
	footerPrefix = []byte{fixarray2, 0xa1, tagFooter[0]}
)

// msgpackHandle configures go-msgpack once, the same way for every file.
var msgpackHandle = newMsgpackHandle()

func newMsgpackHandle() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.WriteExt = true    // strings as str (str8 included), not legacy raw
	h.RawToString = true // str values decode as Go strings
	h.Canonical = true   // sorted map keys; struct fields are sorted anyway
	// A length in the stream is a claim, not a promise: allocate at most
	// this many elements up front and grow as data really arrives.
	h.MaxInitLen = 64 << 10
	h.MaxDepth = 64
	return h
}

// isMsgpackMap reports whether b starts a msgpack map (fixmap, map16, map32).
func isMsgpackMap(b byte) bool {
	return b&0xf0 == 0x80 || b == 0xde || b == 0xdf
}

// NewMsgpackWriter writes the header of a msgpack trace to w and returns the
// Writer for its events and footer.
func NewMsgpackWriter(w io.Writer, h trace.Header) (*Writer, error) {
	return newWriter(w, h, newMsgpackWriter)
}

// WriteMsgpack writes a whole trace as msgpack.
func WriteMsgpack(w io.Writer, t *trace.Trace) error {
	mw, err := NewMsgpackWriter(w, t.Header)
	return writeAll(mw, err, t)
}

// msgpackWriter encodes records as msgpack.
type msgpackWriter struct {
	buf *bufio.Writer
	enc *codec.Encoder
}

func newMsgpackWriter(buf *bufio.Writer) recordWriter {
	return &msgpackWriter{buf: buf, enc: codec.NewEncoder(buf, msgpackHandle)}
}

func (m *msgpackWriter) header(h *trace.Header) error { return m.enc.Encode(h) }
func (m *msgpackWriter) event(e *trace.Event) error   { return m.record(eventPrefix, e) }
func (m *msgpackWriter) footer(f *trace.Footer) error { return m.record(footerPrefix, f) }

// record writes the pair [tag, v]; prefix holds the array's start and the tag.
func (m *msgpackWriter) record(prefix []byte, v any) error {
	if _, err := m.buf.Write(prefix); err != nil {
		return err
	}
	return m.enc.Encode(v)
}

// NewMsgpackReader reads the header of a msgpack trace from r and returns the
// Reader for its events and footer.
func NewMsgpackReader(r io.Reader) (*Reader, error) {
	m := &msgpackReader{dec: codec.NewDecoderBytes(nil, msgpackHandle)}
	m.in.r = bufio.NewReaderSize(r, readBufferBytes)
	return newReader(m)
}

// ReadMsgpack reads a whole msgpack trace.
func ReadMsgpack(r io.Reader) (*trace.Trace, error) {
	return readAll(NewMsgpackReader(r))
}

// msgpackReader decodes records from msgpack. A framer first reads each
// record whole, so that the codec only ever decodes bytes that are there:
// no length claimed in a corrupt file can make it allocate or read more.
type msgpackReader struct {
	in     framer
	dec    *codec.Decoder
	record int
}

func (m *msgpackReader) where() string { return fmt.Sprintf("record %d", m.record) }

func (m *msgpackReader) header(h *trace.Header) error {
	data, err := m.in.next(headerRecordBytesMax)
	if errors.Is(err, io.EOF) {
		return errors.New("empty file: not a trace")
	}
	if err != nil {
		return err
	}
	m.dec.ResetBytes(data)
	return m.decode(h)
}

func (m *msgpackReader) next(e *trace.Event, f *trace.Footer) (bool, error) {
	m.record++
	tag, err := m.readTag()
	if err != nil {
		return false, err
	}
	switch tag {
	case tagEvent:
		*e = trace.Event{}
		return false, m.decode(e)
	case tagFooter:
		*f = trace.Footer{}
		return true, m.decode(f)
	}
	return false, fmt.Errorf("unknown record tag %q (want %q for an event or %q for the footer)",
		tag, tagEvent, tagFooter)
}

// readTag reads the next record, a 2-element array, and decodes its tag.
func (m *msgpackReader) readTag() (string, error) {
	data, err := m.in.next(recordBytesMax)
	if errors.Is(err, io.EOF) {
		return "", errNoFooter
	}
	if err != nil {
		return "", err
	}
	if data[0] != fixarray2 {
		return "", fmt.Errorf("want a record [tag, value] (a 2-element array, byte 0x%02x), found byte 0x%02x",
			fixarray2, data[0])
	}
	m.dec.ResetBytes(data[1:])
	var tag string
	err = m.decode(&tag)
	return tag, err
}

func (m *msgpackReader) end() error {
	m.record++
	_, err := m.in.r.Peek(1)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	return errors.New("trailing data after the footer")
}

// decode decodes the next value of the record into v.
func (m *msgpackReader) decode(v any) error {
	if err := m.dec.Decode(v); err != nil {
		return fmt.Errorf("cannot decode: %w", err)
	}
	return nil
}
