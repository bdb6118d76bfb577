package tracefile

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"smrlab/core/trace"
)

// readBufferBytes is the size of a Reader's buffer.
const readBufferBytes = 64 << 10

// recordReader decodes the parts of a trace in one file format.
type recordReader interface {
	header(h *trace.Header) error
	// next decodes the next record into e or f and reports which.
	next(e *trace.Event, f *trace.Footer) (isFooter bool, err error)
	// end refuses anything after the footer.
	end() error
	// where names the record last read: "record 3", "line 4".
	where() string
}

// Reader streams a trace from a file: the header when it is made, then each
// event from Next, then the footer once Next reports io.EOF. It checks each
// part as it goes; its first error sticks and says where the file is wrong.
type Reader struct {
	dec    recordReader
	header trace.Header
	footer trace.Footer
	events uint64
	done   bool
	err    error
}

// newReader reads and checks the header.
func newReader(dec recordReader) (*Reader, error) {
	r := &Reader{dec: dec}
	if err := dec.header(&r.header); err != nil {
		return nil, r.fail(err)
	}
	if err := checkHeader(&r.header); err != nil {
		return nil, r.fail(err)
	}
	return r, nil
}

// NewReader reads the header of a trace in either format: JSON Lines when
// the file starts with '{', msgpack when it starts with a map.
func NewReader(r io.Reader) (*Reader, error) {
	in := bufio.NewReaderSize(r, readBufferBytes)
	first, err := in.Peek(1)
	switch {
	case errors.Is(err, io.EOF):
		return nil, errors.New("empty file: not a trace")
	case err != nil:
		return nil, err
	case first[0] == '{':
		return NewJSONLReader(in)
	case isMsgpackMap(first[0]):
		return NewMsgpackReader(in)
	}
	return nil, fmt.Errorf("not a trace: the first byte 0x%02x starts neither JSON Lines ('{') nor a msgpack map", first[0])
}

// Header returns the trace's header.
func (r *Reader) Header() trace.Header { return r.header }

// Footer returns the trace's footer, once Next has returned io.EOF.
func (r *Reader) Footer() trace.Footer { return r.footer }

// Next decodes the next event into e. After the last event it checks the
// footer and that nothing follows it, and returns io.EOF.
func (r *Reader) Next(e *trace.Event) error {
	if r.err != nil {
		return r.err
	}
	if r.done {
		return io.EOF
	}
	isFooter, err := r.dec.next(e, &r.footer)
	if err != nil {
		return r.fail(err)
	}
	if isFooter {
		return r.finish()
	}
	if err := checkEvent(e, r.events); err != nil {
		return r.fail(err)
	}
	r.events++
	return nil
}

// finish checks the footer and the end of the file.
func (r *Reader) finish() error {
	if err := checkFooter(&r.footer, r.events); err != nil {
		return r.fail(err)
	}
	if err := r.dec.end(); err != nil {
		return r.fail(err)
	}
	r.done = true
	return io.EOF
}

func (r *Reader) fail(err error) error {
	r.err = fmt.Errorf("%s: %w", r.dec.where(), err)
	return r.err
}

// Read reads a whole trace in either format (see NewReader).
func Read(r io.Reader) (*trace.Trace, error) {
	return readAll(NewReader(r))
}

// readAll reads the rest of a trace from a new Reader.
func readAll(r *Reader, err error) (*trace.Trace, error) {
	if err != nil {
		return nil, err
	}
	t := &trace.Trace{Header: r.Header()}
	for {
		var e trace.Event
		err := r.Next(&e)
		if err == io.EOF {
			t.Footer = r.Footer()
			return t, nil
		}
		if err != nil {
			return nil, err
		}
		t.Events = append(t.Events, e)
	}
}
