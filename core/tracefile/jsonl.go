package tracefile

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"smrlab/core/trace"
)

// The "type" of each JSON Lines record.
const (
	typeHeader = "header"
	typeEvent  = "event"
	typeFooter = "footer"
)

// The JSON Lines records: a part's own fields after a "type" key.
type (
	jsonHeader struct {
		Type string `json:"type"`
		*trace.Header
	}
	jsonEvent struct {
		Type string `json:"type"`
		*trace.Event
	}
	jsonFooter struct {
		Type string `json:"type"`
		*trace.Footer
	}
)

// NewJSONLWriter writes the header of a JSON Lines trace to w and returns the
// Writer for its events and footer.
func NewJSONLWriter(w io.Writer, h trace.Header) (*Writer, error) {
	return newWriter(w, h, newJSONLWriter)
}

// WriteJSONL writes a whole trace as JSON Lines.
func WriteJSONL(w io.Writer, t *trace.Trace) error {
	jw, err := NewJSONLWriter(w, t.Header)
	return writeAll(jw, err, t)
}

// jsonlWriter encodes records as JSON Lines; Encode ends each with '\n'.
// It reuses one event record so that writing an event does not allocate.
type jsonlWriter struct {
	enc    *json.Encoder
	record jsonEvent
}

func newJSONLWriter(buf *bufio.Writer) recordWriter {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false) // scenario text stays readable: "<", ">" and "&" as themselves
	return &jsonlWriter{enc: enc}
}

func (j *jsonlWriter) header(h *trace.Header) error { return j.enc.Encode(jsonHeader{typeHeader, h}) }
func (j *jsonlWriter) footer(f *trace.Footer) error { return j.enc.Encode(jsonFooter{typeFooter, f}) }

func (j *jsonlWriter) event(e *trace.Event) error {
	j.record = jsonEvent{typeEvent, e}
	return j.enc.Encode(&j.record)
}

// NewJSONLReader reads the header of a JSON Lines trace from r and returns
// the Reader for its events and footer.
func NewJSONLReader(r io.Reader) (*Reader, error) {
	return newReader(&jsonlReader{in: bufio.NewReaderSize(r, readBufferBytes)})
}

// ReadJSONL reads a whole JSON Lines trace.
func ReadJSONL(r io.Reader) (*trace.Trace, error) {
	return readAll(NewJSONLReader(r))
}

// jsonlReader decodes records from JSON Lines.
type jsonlReader struct {
	in   *bufio.Reader
	line int
	buf  []byte
}

func (j *jsonlReader) where() string { return fmt.Sprintf("line %d", j.line) }

func (j *jsonlReader) header(h *trace.Header) error {
	line, err := j.readLine(headerLineBytesMax)
	if errors.Is(err, io.EOF) {
		return errors.New("empty file: not a trace")
	}
	if err != nil {
		return err
	}
	if err := checkHeaderLine(line); err != nil {
		return err
	}
	return json.Unmarshal(line, &jsonHeader{Header: h})
}

// checkHeaderLine checks the type and version of the first line before its
// other fields: another major version may have changed them.
func checkHeaderLine(line []byte) error {
	var probe struct {
		Type   string `json:"type"`
		Format string `json:"format"`
		Major  int    `json:"major"`
		Minor  int    `json:"minor"`
	}
	if err := json.Unmarshal(line, &probe); err != nil {
		return err
	}
	if probe.Type != typeHeader {
		return fmt.Errorf("type is %q, want %q on the first line", probe.Type, typeHeader)
	}
	return checkVersion(probe.Format, probe.Major, probe.Minor)
}

func (j *jsonlReader) next(e *trace.Event, f *trace.Footer) (bool, error) {
	line, err := j.readLine(lineBytesMax)
	if errors.Is(err, io.EOF) {
		return false, errNoFooter
	}
	if err != nil {
		return false, err
	}
	var probe struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(line, &probe); err != nil {
		return false, err
	}
	switch probe.Type {
	case typeEvent:
		*e = trace.Event{}
		return false, json.Unmarshal(line, &jsonEvent{Event: e})
	case typeFooter:
		*f = trace.Footer{}
		return true, json.Unmarshal(line, &jsonFooter{Footer: f})
	}
	return false, fmt.Errorf("unknown record type %q (want %q or %q)", probe.Type, typeEvent, typeFooter)
}

func (j *jsonlReader) end() error {
	j.line++
	_, err := j.in.Peek(1)
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return err
	}
	return errors.New("trailing data after the footer")
}

// readLine reads the next line without its '\n' (the last line may lack
// one). It returns io.EOF at the end of the file, and refuses a line longer
// than bytesMax or one that is not UTF-8.
func (j *jsonlReader) readLine(bytesMax int) ([]byte, error) {
	j.line++
	j.buf = j.buf[:0]
	for {
		chunk, err := j.in.ReadSlice('\n')
		j.buf = append(j.buf, chunk...)
		line := j.buf
		if err == nil {
			line = line[:len(line)-1]
		}
		if len(line) > bytesMax {
			return nil, fmt.Errorf("line is longer than %d bytes, the limit", bytesMax)
		}
		switch {
		case err == nil, errors.Is(err, io.EOF) && len(line) > 0:
			return checkLine(line)
		case !errors.Is(err, bufio.ErrBufferFull):
			return nil, err
		}
	}
}

// checkLine refuses a line that is not UTF-8: encoding/json would quietly
// replace its bad bytes.
func checkLine(line []byte) ([]byte, error) {
	if !utf8.Valid(line) {
		return nil, errors.New("not valid UTF-8")
	}
	return line, nil
}
