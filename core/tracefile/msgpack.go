package tracefile

import (
	"bufio"
	"errors"
	"fmt"
	"io"

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

// NewMsgpackReader reads the header of a msgpack trace from r and returns the
// Reader for its events and footer.
func NewMsgpackReader(r io.Reader) (*Reader, error) {
	return newMsgpackReader(r, newValueDecoder())
}

// newMsgpackReader reads a msgpack trace with the given value decoder.
func newMsgpackReader(r io.Reader, dec valueDecoder) (*Reader, error) {
	m := &msgpackReader{dec: dec}
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
	dec    valueDecoder
	record int
}

// valueDecoder decodes the values of one framed record in turn: the header,
// or a record's tag and then its event or footer. Two implement it, alike
// byte for byte: go-msgpack (msgpack_codec.go, the native build) and the
// lite codec (lite_decode.go, the js build, which must not link go-msgpack).
type valueDecoder interface {
	// reset starts decoding a record's bytes.
	reset(data []byte)
	tag(s *string) error
	header(h *trace.Header) error
	event(e *trace.Event) error
	footer(f *trace.Footer) error
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
	m.dec.reset(data)
	return decoded(m.dec.header(h))
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
		return false, decoded(m.dec.event(e))
	case tagFooter:
		*f = trace.Footer{}
		return true, decoded(m.dec.footer(f))
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
	m.dec.reset(data[1:])
	var tag string
	err = decoded(m.dec.tag(&tag))
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

// decoded says that a value did not decode, if err says so.
func decoded(err error) error {
	if err != nil {
		return fmt.Errorf("cannot decode: %w", err)
	}
	return nil
}
