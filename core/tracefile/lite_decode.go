package tracefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"smrlab/core/trace"
)

// liteDecoder decodes the values of one framed record as go-msgpack decodes
// them into the trace types with msgpackHandle: what it accepts, the values
// it gives and the errors it reports, "[pos N]" included. go-msgpack is
// lenient in ways a file may rely on, so the lite decoder is too:
//
//   - a struct decodes from a map of its fields (unknown keys are skipped,
//     a repeated key's last value wins, a nil value is the zero value), or
//     from an array of its fields in declaration order; a nil struct is zero;
//   - an unsigned field takes any integer form of a value that fits, a
//     signed field any integer form (uint 64 wraps), a bool also 0 and 1;
//   - a string takes str, bin, or an array of byte values;
//   - a []string takes an array, or a map (its keys and values in turn);
//   - nesting is limited: a struct, a non-empty array or map in a []string
//     or string, and any array or map skipped, each take a level, and the
//     64th level is refused.
//
// It decodes only what the framer has read whole and checked, so a length
// never claims more bytes than the record holds.
type liteDecoder struct {
	b     []byte // the record
	pos   int    // bytes of b read
	depth int    // levels of nesting open
	key   []byte // scratch for field lookups
}

func newLiteDecoder() valueDecoder { return &liteDecoder{} }

func (d *liteDecoder) reset(data []byte) { d.b, d.pos, d.depth = data, 0, 0 }

// maxDepth is msgpackHandle.MaxDepth.
const maxDepth = 64

// errLiteZeroExt reports what the framer refuses first (see framer.long).
var errLiteZeroExt = errors.New("zero-length extension")

func (d *liteDecoder) tag(s *string) error {
	c, err := d.readByte()
	if err != nil {
		return err
	}
	b, err := d.bytes(c) // nil is ""
	*s = string(b)
	return err
}

func (d *liteDecoder) header(h *trace.Header) error {
	return d.top(&headerFields, func(i int, c byte) error { return setHeaderField(d, h, i, c) })
}

func (d *liteDecoder) event(e *trace.Event) error {
	return d.top(&eventFields, func(i int, c byte) error { return setEventField(d, e, i, c) })
}

func (d *liteDecoder) footer(f *trace.Footer) error {
	return d.top(&footerFields, func(i int, c byte) error { return setFooterField(d, f, i, c) })
}

// top decodes a whole record's value into a struct: set is called with
// mpNil for every field when the value is nil.
func (d *liteDecoder) top(s *liteStruct, set func(field int, c byte) error) error {
	c, err := d.readByte()
	if err != nil {
		return err
	}
	if c == mpNil {
		for i := range s.names {
			if err := set(i, mpNil); err != nil {
				return err
			}
		}
		return nil
	}
	return d.decodeStruct(c, s, set)
}

// msgpack's first bytes that the decoder names.
const (
	mpNil   = 0xc0
	mpFalse = 0xc2
	mpTrue  = 0xc3
)

// liteStruct describes how a struct type's fields are found.
type liteStruct struct {
	// names are the fields' codec names, sorted; a field is its index here.
	names []string
	// source lists the fields in declaration order, for a struct encoded as
	// an array.
	source []int
	// index is go-msgpack's lookup table for the names (see lookup).
	index []byte
}

func newLiteStruct(names []string, source ...int) liteStruct {
	s := liteStruct{names: names, source: source}
	for i, name := range names {
		s.index = append(s.index, fieldSep([]byte(name)))
		s.index = append(s.index, name...)
		s.index = append(s.index, 0xff, byte(i>>8), byte(i))
	}
	return s
}

// fieldSep is the byte before a name in the lookup table.
func fieldSep(name []byte) byte { return 0xfe - name[0]&63 - byte(len(name)&63) }

// lookup finds the field named key, or returns -1, as go-msgpack does: it
// looks for fieldSep(key), key, 0xff in the table. So a key can also match a
// run of the table's entries, which the lite decoder must match as well.
func (d *liteDecoder) lookup(s *liteStruct, key []byte) (int, error) {
	if len(key) == 0 { // go-msgpack reads key[0] regardless
		return 0, d.errorf("runtime error: index out of range [0] with length 0")
	}
	d.key = append(append(append(d.key[:0], fieldSep(key)), key...), 0xff)
	at := bytes.Index(s.index, d.key)
	if at < 0 {
		return -1, nil
	}
	at += len(d.key)
	return int(s.index[at])<<8 | int(s.index[at+1]), nil
}

// The trace structs' fields, sorted by codec name, and their declaration
// orders.
var (
	headerFields = newLiteStruct(
		[]string{"actions", "bugs", "format", "major", "minor", "scenario", "scenario_name", "seed", "until"},
		2, 3, 4, 6, 5, 7, 1, 0, 8)
	eventFields = newLiteStruct(
		[]string{"c", "e", "i", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "x"},
		9, 12, 3, 6, 8, 5, 10, 2, 1, 13, 4, 0, 7, 11)
	footerFields = newLiteStruct(
		[]string{"end_time", "events", "events_hash", "state_hash", "violation"},
		1, 2, 3, 0, 4)
)

// setHeaderField decodes the value that starts with c into field i of h.
func setHeaderField(d *liteDecoder, h *trace.Header, i int, c byte) (err error) {
	switch i {
	case 0:
		h.Actions, err = d.strings(c)
	case 1:
		h.Bugs, err = d.strings(c)
	case 2:
		h.Format, err = d.string(c)
	case 3:
		h.Major, err = d.int(c)
	case 4:
		h.Minor, err = d.int(c)
	case 5:
		h.Scenario, err = d.string(c)
	case 6:
		h.ScenarioName, err = d.string(c)
	case 7:
		h.Seed, err = d.uint(c, 64)
	case 8:
		h.Until, err = d.int64(c)
	}
	return err
}

// setEventField decodes the value that starts with c into field i of e.
func setEventField(d *liteDecoder, e *trace.Event, i int, c byte) (err error) {
	var u uint64
	switch i {
	case 0:
		e.Count, err = d.uint(c, 64)
	case 1:
		e.Term, err = d.uint(c, 64)
	case 2:
		e.ID, err = d.uint(c, 64)
	case 3:
		u, err = d.uint(c, 8)
		e.Kind = trace.Kind(u)
	case 4:
		e.LogTerm, err = d.uint(c, 64)
	case 5:
		u, err = d.uint(c, 8)
		e.Msg = uint8(u)
	case 6:
		u, err = d.uint(c, 32)
		e.Node = uint32(u)
	case 7:
		e.Commit, err = d.uint(c, 64)
	case 8:
		u, err = d.uint(c, 32)
		e.Peer = uint32(u)
	case 9:
		e.Seq, err = d.uint(c, 64)
	case 10:
		e.Reject, err = d.bool(c)
	case 11:
		e.Text, err = d.string(c)
	case 12:
		e.Time, err = d.int64(c)
	case 13:
		e.Index, err = d.uint(c, 64)
	}
	return err
}

// setFooterField decodes the value that starts with c into field i of f.
func setFooterField(d *liteDecoder, f *trace.Footer, i int, c byte) (err error) {
	switch i {
	case 0:
		f.EndTime, err = d.int64(c)
	case 1:
		f.Events, err = d.uint(c, 64)
	case 2:
		f.EventsHash, err = d.uint(c, 64)
	case 3:
		f.StateHash, err = d.uint(c, 64)
	case 4:
		f.Violation, err = d.string(c)
	}
	return err
}

// decodeStruct decodes a struct from the value that starts with c, a map or
// an array, calling set for each field the value holds. A nil field value
// is passed on as mpNil, which every field decoder turns into its zero.
func (d *liteDecoder) decodeStruct(c byte, s *liteStruct, set func(field int, c byte) error) error {
	if isMsgpackMap(c) {
		n, err := d.mapLen(c)
		if err != nil || n == 0 {
			return err
		}
		if err := d.enter(); err != nil {
			return err
		}
		for range n {
			if err := d.structEntry(s, set); err != nil {
				return err
			}
		}
		d.depth--
		return nil
	}
	if !isArray(c) {
		return d.errorf("only encoded map or array can be decoded into a struct")
	}
	n, err := d.arrayLen(c)
	if err != nil || n == 0 {
		return err
	}
	if err := d.enter(); err != nil {
		return err
	}
	for j := range n {
		c, err := d.readByte()
		if err == nil {
			if j < uint64(len(s.source)) {
				err = set(s.source[j], c)
			} else {
				err = d.skip(c)
			}
		}
		if err != nil {
			return err
		}
	}
	d.depth--
	return nil
}

// structEntry decodes one key and value of a struct's map.
func (d *liteDecoder) structEntry(s *liteStruct, set func(field int, c byte) error) error {
	c, err := d.readByte()
	if err != nil {
		return err
	}
	key, err := d.bytes(c)
	if err != nil {
		return err
	}
	field, err := d.lookup(s, key)
	if err != nil {
		return err
	}
	if c, err = d.readByte(); err != nil {
		return err
	}
	if field < 0 {
		return d.skip(c)
	}
	return set(field, c)
}

// enter opens a level of nesting.
func (d *liteDecoder) enter() error {
	d.depth++
	if d.depth >= maxDepth {
		return d.errorf("maximum decoding depth exceeded")
	}
	return nil
}

// string decodes a string field (see bytes).
func (d *liteDecoder) string(c byte) (string, error) {
	b, err := d.bytes(c)
	return string(b), err
}

// bytes decodes the value that starts with c as bytes: nil is none, str and
// bin are their bytes, and an array holds byte values. A string field or a
// map key decodes so.
func (d *liteDecoder) bytes(c byte) ([]byte, error) {
	switch {
	case c == mpNil:
		return nil, nil
	case isStr(c), c >= 0xc4 && c <= 0xc6: // str, bin
		n, err := d.payloadLen(c)
		if err != nil {
			return nil, err
		}
		return d.read(n)
	case isArray(c):
		return d.byteArray(c)
	}
	return nil, d.errorf("invalid byte descriptor for decoding bytes, got: 0x%x", c)
}

// byteArray decodes an array of byte values; nil is a zero byte.
func (d *liteDecoder) byteArray(c byte) ([]byte, error) {
	n, err := d.arrayLen(c)
	if err != nil || n == 0 {
		return []byte{}, err
	}
	if n > uint64(len(d.b)-d.pos) { // each takes a byte: the framer checked
		return nil, io.EOF
	}
	if err := d.enter(); err != nil {
		return nil, err
	}
	b := make([]byte, n)
	for i := range b {
		c, err := d.readByte()
		if err != nil {
			return nil, err
		}
		if c != mpNil {
			v, err := d.uint(c, 8)
			if err != nil {
				return nil, err
			}
			b[i] = byte(v)
		}
	}
	d.depth--
	return b, nil
}

// strings decodes a []string: nil, an array of strings, or a map whose keys
// and values are taken in turn. A nil string is "".
func (d *liteDecoder) strings(c byte) ([]string, error) {
	var n uint64
	var err error
	switch {
	case c == mpNil:
		return nil, nil
	case isStr(c), c >= 0xc4 && c <= 0xc6:
		return nil, d.errorf("bytes/string in stream must decode into slice/array of bytes, not []string")
	case isArray(c):
		n, err = d.arrayLen(c)
	case isMsgpackMap(c):
		n, err = d.mapLen(c)
		n *= 2
	default:
		return nil, d.errorf("only encoded map or array can be decoded into a slice (0)")
	}
	if err != nil {
		return nil, err
	}
	list := make([]string, 0, min(n, 1024))
	if n == 0 {
		return list, nil
	}
	if err := d.enter(); err != nil {
		return nil, err
	}
	for range n {
		c, err := d.readByte()
		if err != nil {
			return nil, err
		}
		s, err := d.string(c)
		if err != nil {
			return nil, err
		}
		list = append(list, s)
	}
	d.depth--
	return list, nil
}

// uint decodes an unsigned integer of the given bits from any integer form;
// nil is 0.
func (d *liteDecoder) uint(c byte, bits int) (uint64, error) {
	var v uint64
	switch {
	case c == mpNil:
		return 0, nil
	case c <= 0x7f:
		v = uint64(c)
	case c >= 0xcc && c <= 0xcf:
		b, err := d.read(1 << (c - 0xcc))
		if err != nil {
			return 0, err
		}
		v = big(b)
	case c >= 0xd0 && c <= 0xd3:
		i, err := d.signed(c)
		if err != nil {
			return 0, err
		}
		if i < 0 {
			return 0, d.errorf("assigning negative signed value: %v, to unsigned type", i)
		}
		v = uint64(i)
	case c >= 0xe0:
		return 0, d.errorf("assigning negative signed value: %v, to unsigned type", int(c))
	default:
		return 0, d.errorf("cannot decode unsigned integer: %s: %x/%s", msgBadDesc, c, mpDesc(c))
	}
	if bits < 64 && v>>bits != 0 {
		return 0, d.errorf("uint64 overflow: %v", v)
	}
	return v, nil
}

// int64 decodes a signed integer from any integer form; a uint 64 above the
// largest int64 wraps, and nil is 0.
func (d *liteDecoder) int64(c byte) (int64, error) {
	switch {
	case c == mpNil:
		return 0, nil
	case c <= 0x7f || c >= 0xe0:
		return int64(int8(c)), nil
	case c >= 0xcc && c <= 0xcf:
		b, err := d.read(1 << (c - 0xcc))
		return int64(big(b)), err
	case c >= 0xd0 && c <= 0xd3:
		return d.signed(c)
	}
	return 0, d.errorf("cannot decode signed integer: %s: %x/%s", msgBadDesc, c, mpDesc(c))
}

// int decodes an int, which is 64 bits on every target smrlab builds for
// (wasm included), as int64 does.
func (d *liteDecoder) int(c byte) (int, error) {
	v, err := d.int64(c)
	return int(v), err
}

// signed reads the payload of an int 8..64 (c is 0xd0..0xd3).
func (d *liteDecoder) signed(c byte) (int64, error) {
	size := 1 << (c - 0xd0)
	b, err := d.read(uint64(size))
	if err != nil {
		return 0, err
	}
	shift := 64 - 8*size
	return int64(big(b)<<shift) >> shift, nil
}

// bool decodes a bool: false, true, 0 or 1; nil is false.
func (d *liteDecoder) bool(c byte) (bool, error) {
	switch c {
	case mpNil, mpFalse, 0:
		return false, nil
	case mpTrue, 1:
		return true, nil
	}
	return false, d.errorf("cannot decode bool: %s: %x/%s", msgBadDesc, c, mpDesc(c))
}

// skip reads past the value that starts with c, for a key no field has.
func (d *liteDecoder) skip(c byte) error {
	var n uint64
	var err error
	switch {
	case c == mpNil:
		return nil
	case isMsgpackMap(c):
		n, err = d.mapLen(c)
		n *= 2
	case isArray(c):
		n, err = d.arrayLen(c)
	default:
		return d.skipScalar(c)
	}
	if err != nil {
		return err
	}
	if err := d.enter(); err != nil {
		return err
	}
	for range n {
		c, err := d.readByte()
		if err == nil {
			err = d.skip(c)
		}
		if err != nil {
			return err
		}
	}
	d.depth--
	return nil
}

// skipScalar reads past a value that is not a container.
func (d *liteDecoder) skipScalar(c byte) error {
	var n uint64
	var err error
	switch {
	case c <= 0x7f || c >= 0xe0 || c == mpFalse || c == mpTrue:
		return nil
	case isStr(c), c >= 0xc4 && c <= 0xc6:
		n, err = d.payloadLen(c)
	case c >= 0xca && c <= 0xd3:
		n = [...]uint64{4, 8, 1, 2, 4, 8, 1, 2, 4, 8}[c-0xca]
	case c >= 0xd4 && c <= 0xd8, c >= 0xc7 && c <= 0xc9:
		return d.skipExt(c)
	default:
		return d.errorf("cannot infer value: %s: Ox%x/%d/%s", msgBadDesc, c, c, mpDesc(c))
	}
	if err == nil {
		_, err = d.read(n)
	}
	return err
}

// skipExt reads past an extension value. Type -1 is a timestamp, which must
// hold 4, 8 or 12 bytes.
func (d *liteDecoder) skipExt(c byte) error {
	var n uint64
	var err error
	if c >= 0xd4 {
		n = 1 << (c - 0xd4) // fixext 1..16
	} else {
		n, err = d.length(1 << (c - 0xc7)) // ext 8..32
	}
	if err != nil {
		return err
	}
	typ, err := d.readByte()
	if err != nil {
		return err
	}
	if _, err := d.read(n); err != nil {
		return err
	}
	switch {
	case typ == 0xff && n != 4 && n != 8 && n != 12:
		return d.errorf("invalid bytes for decoding time - expecting string or 4, 8, or 12 bytes, got %d", n)
	case typ != 0xff && n == 0:
		// go-msgpack would decode the next value as part of this one.
		return errLiteZeroExt
	}
	return nil
}

// isStr reports whether c starts a str (fixstr, str 8..32).
func isStr(c byte) bool { return c&0xe0 == 0xa0 || c >= 0xd9 && c <= 0xdb }

// isArray reports whether c starts an array (fixarray, array 16, array 32).
func isArray(c byte) bool { return c&0xf0 == 0x90 || c == 0xdc || c == 0xdd }

// mapLen reads the count of the map that c starts.
func (d *liteDecoder) mapLen(c byte) (uint64, error) {
	switch c {
	case 0xde:
		return d.length(2)
	case 0xdf:
		return d.length(4)
	}
	return uint64(c & 0x0f), nil
}

// arrayLen reads the count of the array that c starts.
func (d *liteDecoder) arrayLen(c byte) (uint64, error) {
	switch c {
	case 0xdc:
		return d.length(2)
	case 0xdd:
		return d.length(4)
	}
	return uint64(c & 0x0f), nil
}

// payloadLen reads the byte count of the str or bin that c starts.
func (d *liteDecoder) payloadLen(c byte) (uint64, error) {
	switch c {
	case 0xd9, 0xc4:
		return d.length(1)
	case 0xda, 0xc5:
		return d.length(2)
	case 0xdb, 0xc6:
		return d.length(4)
	}
	return uint64(c & 0x1f), nil
}

// length reads a big-endian length of size bytes.
func (d *liteDecoder) length(size uint64) (uint64, error) {
	b, err := d.read(size)
	return big(b), err
}

func big(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func (d *liteDecoder) readByte() (byte, error) {
	if d.pos >= len(d.b) {
		return 0, io.EOF
	}
	d.pos++
	return d.b[d.pos-1], nil
}

// read returns the next n bytes of the record, or io.EOF (as go-msgpack)
// if it holds fewer; the framer has made sure it never does.
func (d *liteDecoder) read(n uint64) ([]byte, error) {
	if n > uint64(len(d.b)-d.pos) {
		d.pos = len(d.b)
		return nil, io.EOF
	}
	d.pos += int(n)
	return d.b[d.pos-int(n) : d.pos], nil
}

// errorf reports an error as go-msgpack words it: where the decoder stands,
// and why.
func (d *liteDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("msgpack decode error [pos %d]: %s", d.pos, fmt.Sprintf(format, args...))
}

const msgBadDesc = "unrecognized descriptor byte"

// mpDesc names the kind of value that c starts, for errors.
func mpDesc(c byte) string {
	switch {
	case c == mpNil:
		return "nil"
	case c == mpFalse:
		return "false"
	case c == mpTrue:
		return "true"
	case c == 0xca, c == 0xcb:
		return "float"
	case c >= 0xcc && c <= 0xcf:
		return "uint"
	case c >= 0xd0 && c <= 0xd3, c <= 0x7f, c >= 0xe0:
		return "int"
	case isStr(c):
		return "string|bytes"
	case c >= 0xc4 && c <= 0xc6:
		return "bytes"
	case isArray(c):
		return "array"
	case isMsgpackMap(c):
		return "map"
	case c >= 0xd4 && c <= 0xd8, c >= 0xc7 && c <= 0xc9:
		return "ext"
	}
	return "unknown"
}
