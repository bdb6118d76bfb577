//go:build !js

package tracefile

import (
	"bufio"

	"github.com/hashicorp/go-msgpack/v2/codec"

	"smrlab/core/trace"
)

// Native builds encode and decode with go-msgpack. The browser build does
// not link it (msgpack_js.go): it would pull in net/rpc and net/http and
// double the download. The lite codec (lite.go, lite_decode.go) writes the
// same bytes and reads the same files, which lite_test.go proves.

func newMsgpackWriter(buf *bufio.Writer) recordWriter { return newCodecWriter(buf) }
func newValueDecoder() valueDecoder                   { return newCodecDecoder() }

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

// codecWriter encodes records with go-msgpack.
type codecWriter struct {
	buf *bufio.Writer
	enc *codec.Encoder
}

func newCodecWriter(buf *bufio.Writer) recordWriter {
	return &codecWriter{buf: buf, enc: codec.NewEncoder(buf, msgpackHandle)}
}

func (m *codecWriter) header(h *trace.Header) error { return m.enc.Encode(h) }
func (m *codecWriter) event(e *trace.Event) error   { return m.record(eventPrefix, e) }
func (m *codecWriter) footer(f *trace.Footer) error { return m.record(footerPrefix, f) }

// record writes the pair [tag, v]; prefix holds the array's start and the tag.
func (m *codecWriter) record(prefix []byte, v any) error {
	if _, err := m.buf.Write(prefix); err != nil {
		return err
	}
	return m.enc.Encode(v)
}

// codecDecoder decodes records with go-msgpack.
type codecDecoder struct{ dec *codec.Decoder }

func newCodecDecoder() valueDecoder {
	return codecDecoder{codec.NewDecoderBytes(nil, msgpackHandle)}
}

func (c codecDecoder) reset(data []byte)            { c.dec.ResetBytes(data) }
func (c codecDecoder) tag(s *string) error          { return c.dec.Decode(s) }
func (c codecDecoder) header(h *trace.Header) error { return c.dec.Decode(h) }
func (c codecDecoder) event(e *trace.Event) error   { return c.dec.Decode(e) }
func (c codecDecoder) footer(f *trace.Footer) error { return c.dec.Decode(f) }
