package tracefile

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"smrlab/core/trace"
)

// writeBufferBytes is the size of a Writer's buffer.
const writeBufferBytes = 64 << 10

// errClosed reports a Writer used after Close.
var errClosed = errors.New("trace writer is closed")

// recordWriter encodes the parts of a trace in one file format.
type recordWriter interface {
	header(h *trace.Header) error
	event(e *trace.Event) error
	footer(f *trace.Footer) error
}

// Writer streams a trace to a file: the header when it is made, then each
// event, then the footer on Close. It checks each part as a reader would,
// so that it never writes a file that a reader refuses. Its first error
// sticks: every later call returns it.
type Writer struct {
	buf    *bufio.Writer
	enc    recordWriter
	events uint64
	err    error
}

// newWriter checks h and writes it with the encoder that enc makes.
func newWriter(w io.Writer, h trace.Header, enc func(*bufio.Writer) recordWriter) (*Writer, error) {
	if err := checkWritable(&h); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	buf := bufio.NewWriterSize(w, writeBufferBytes)
	wr := &Writer{buf: buf, enc: enc(buf)}
	if err := wr.enc.header(&h); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	return wr, nil
}

// checkWritable checks a header and refuses a newer minor version than this
// build writes: the fields it added would be lost.
func checkWritable(h *trace.Header) error {
	if err := checkHeader(h); err != nil {
		return err
	}
	if h.Minor > trace.VersionMinor {
		return fmt.Errorf("version %d.%d is newer than this build writes (%d.%d): its new fields would be lost",
			h.Major, h.Minor, trace.VersionMajor, trace.VersionMinor)
	}
	return nil
}

// WriteEvent writes the next event. Its Seq must equal the number of events
// written before it.
func (w *Writer) WriteEvent(e *trace.Event) error {
	if w.err != nil {
		return w.err
	}
	if err := checkEvent(e, w.events); err != nil {
		return w.fail(fmt.Errorf("event %d: %w", w.events, err))
	}
	if err := w.enc.event(e); err != nil {
		return w.fail(fmt.Errorf("event %d: %w", w.events, err))
	}
	w.events++
	return nil
}

// Close writes the footer, whose Events must count the events written, and
// flushes the buffer. It does not close the underlying writer.
func (w *Writer) Close(f trace.Footer) error {
	if w.err != nil {
		return w.err
	}
	if err := checkFooter(&f, w.events); err != nil {
		return w.fail(err) // its message names the footer
	}
	if err := w.enc.footer(&f); err != nil {
		return w.fail(fmt.Errorf("footer: %w", err))
	}
	if err := w.buf.Flush(); err != nil {
		return w.fail(err)
	}
	w.err = errClosed
	return nil
}

func (w *Writer) fail(err error) error {
	w.err = err
	return err
}

// writeAll writes a whole trace with a new Writer.
func writeAll(w *Writer, err error, t *trace.Trace) error {
	if err != nil {
		return err
	}
	for i := range t.Events {
		if err := w.WriteEvent(&t.Events[i]); err != nil {
			return err
		}
	}
	return w.Close(t.Footer)
}
