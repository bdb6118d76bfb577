// Package minijson writes and reads JSON without reflection, for the
// browser's WebAssembly build: encoding/json and the reflection it pulls in
// cost about 170 KB of the compressed download. Writers append to a byte
// slice exactly what encoding/json's Marshal writes for the same value (the
// tests compare them byte for byte); the Reader reads the few shapes the lab
// exchanges with the page (objects of strings, numbers, booleans and arrays
// of strings), and says where and what is wrong in a malformed input.
package minijson

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

// AppendString appends s as a JSON string, escaped as encoding/json escapes
// it: <, > and & as \u003c..., U+2028 and U+2029, and invalid UTF-8 as
// \ufffd.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendFloat appends f as encoding/json writes a float64 (ES6 number
// formatting). NaN and infinities, which JSON cannot hold, are written as 0.
func AppendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0')
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// AppendBool appends true or false.
func AppendBool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

// AppendStrings appends a string array, or null for a nil slice.
func AppendStrings(b []byte, list []string) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, s)
	}
	return append(b, ']')
}

// AppendUints appends an array of unsigned integers, or null for a nil slice.
func AppendUints[T uint16 | uint32 | uint64](b []byte, list []T) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return append(b, ']')
}

// AppendInts appends an array of signed integers, or null for a nil slice.
func AppendInts[T int8 | int16 | int32 | int64 | int](b []byte, list []T) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(v), 10)
	}
	return append(b, ']')
}

// Reader reads one JSON value from data.
type Reader struct {
	data []byte
	pos  int
}

// NewReader returns a Reader at the start of data.
func NewReader(data []byte) *Reader { return &Reader{data: data} }

// Error is a malformed input: the byte offset where reading stopped, and what
// was wrong there.
type Error struct {
	Offset int
	What   string
}

func (e *Error) Error() string { return fmt.Sprintf("JSON at byte %d: %s", e.Offset, e.What) }

// fail is not inlined: an error path with 19 callers, each of which an
// inlined copy made bigger in the browser's download.
//
//go:noinline
func (r *Reader) fail(format string, args ...any) error {
	return &Error{Offset: r.pos, What: fmt.Sprintf(format, args...)}
}

func (r *Reader) skipSpace() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (r *Reader) peek() byte {
	r.skipSpace()
	if r.pos >= len(r.data) {
		return 0
	}
	return r.data[r.pos]
}

func (r *Reader) literal(word string) bool {
	if r.peek() != word[0] || len(r.data)-r.pos < len(word) || string(r.data[r.pos:r.pos+len(word)]) != word {
		return false
	}
	r.pos += len(word)
	return true
}

// Null consumes a null if one comes next, and reports whether it did.
func (r *Reader) Null() bool { return r.literal("null") }

// End checks that nothing but white space is left.
func (r *Reader) End() error {
	if r.skipSpace(); r.pos < len(r.data) {
		return r.fail("unexpected %q after the value", r.data[r.pos])
	}
	return nil
}

// Object reads an object, calling field for each key; field must read the
// key's value. A null reads as an empty object.
func (r *Reader) Object(field func(key string) error) error {
	if r.Null() {
		return nil
	}
	if r.peek() != '{' {
		return r.fail("want an object")
	}
	r.pos++
	if r.peek() == '}' {
		r.pos++
		return nil
	}
	for {
		if r.peek() != '"' {
			return r.fail("want a quoted key")
		}
		key, err := r.String()
		if err != nil {
			return err
		}
		if r.peek() != ':' {
			return r.fail("want a colon after the key %q", key)
		}
		r.pos++
		if err := field(key); err != nil {
			return err
		}
		switch r.peek() {
		case ',':
			r.pos++
		case '}':
			r.pos++
			return nil
		default:
			return r.fail("want a comma or } after the value of %q", key)
		}
	}
}

// UnknownKey is the error for a key that a reader of an object does not know.
func (r *Reader) UnknownKey(key string) error {
	return r.fail("unknown key %q", key)
}

// String reads a string (null reads as "").
func (r *Reader) String() (string, error) {
	if r.Null() {
		return "", nil
	}
	if r.peek() != '"' {
		return "", r.fail("want a string")
	}
	r.pos++
	var out []byte
	start := r.pos
	for {
		if r.pos >= len(r.data) {
			return "", r.fail("the string never ends")
		}
		c := r.data[r.pos]
		switch {
		case c == '"':
			out = append(out, r.data[start:r.pos]...)
			r.pos++
			return string(out), nil
		case c < 0x20:
			return "", r.fail("a control character in a string")
		case c == '\\':
			out = append(out, r.data[start:r.pos]...)
			var err error
			if out, err = r.escape(out); err != nil {
				return "", err
			}
			start = r.pos
		case c < utf8.RuneSelf:
			r.pos++
		default:
			ru, size := utf8.DecodeRune(r.data[r.pos:])
			if ru == utf8.RuneError && size == 1 {
				out = append(out, r.data[start:r.pos]...)
				out = utf8.AppendRune(out, utf8.RuneError)
				r.pos++
				start = r.pos
				continue
			}
			r.pos += size
		}
	}
}

// escape reads one backslash escape and appends what it stands for.
func (r *Reader) escape(out []byte) ([]byte, error) {
	if r.pos+1 >= len(r.data) {
		return nil, r.fail("the string never ends")
	}
	c := r.data[r.pos+1]
	r.pos += 2
	switch c {
	case '"', '\\', '/':
		return append(out, c), nil
	case 'b':
		return append(out, '\b'), nil
	case 'f':
		return append(out, '\f'), nil
	case 'n':
		return append(out, '\n'), nil
	case 'r':
		return append(out, '\r'), nil
	case 't':
		return append(out, '\t'), nil
	case 'u':
		ru, ok := r.hex4()
		if !ok {
			return nil, r.fail(`want four hex digits after \u`)
		}
		if utf16.IsSurrogate(ru) {
			// A pair makes one rune; a lone half is U+FFFD, as in encoding/json.
			save := r.pos
			if r.pos+1 < len(r.data) && r.data[r.pos] == '\\' && r.data[r.pos+1] == 'u' {
				r.pos += 2
				if lo, ok := r.hex4(); ok {
					if dec := utf16.DecodeRune(ru, lo); dec != utf8.RuneError {
						return utf8.AppendRune(out, dec), nil
					}
				}
			}
			r.pos = save
			ru = utf8.RuneError
		}
		return utf8.AppendRune(out, ru), nil
	}
	r.pos -= 2
	return nil, r.fail("unknown escape \\%c", c)
}

func (r *Reader) hex4() (rune, bool) {
	if len(r.data)-r.pos < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(r.data[r.pos:r.pos+4]), 16, 16)
	if err != nil {
		return 0, false
	}
	r.pos += 4
	return rune(v), true
}

// number returns the next number's text (null reads as "0").
func (r *Reader) number() (string, error) {
	if r.Null() {
		return "0", nil
	}
	r.skipSpace()
	start := r.pos
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		if (c < '0' || c > '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			break
		}
		r.pos++
	}
	if start == r.pos {
		return "", r.fail("want a number")
	}
	return string(r.data[start:r.pos]), nil
}

var errRange = errors.New("not a whole number in range")

// Int reads a whole number that fits in an int64.
func (r *Reader) Int() (int64, error) {
	start := r.pos
	s, err := r.number()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		r.pos = start
		return 0, r.fail("%s: %v", s, errRange)
	}
	return v, nil
}

// Uint reads a whole number that fits in a uint64.
func (r *Reader) Uint() (uint64, error) {
	start := r.pos
	s, err := r.number()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		r.pos = start
		return 0, r.fail("%s: %v", s, errRange)
	}
	return v, nil
}

// QuotedUint reads a uint64 written as a string, as encoding/json's
// ",string" option writes it (JavaScript numbers lose digits past 2^53).
func (r *Reader) QuotedUint() (uint64, error) {
	start := r.pos
	s, err := r.String()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		r.pos = start
		return 0, r.fail("%q: %v", s, errRange)
	}
	return v, nil
}

// Bool reads true or false (null reads as false).
func (r *Reader) Bool() (bool, error) {
	switch {
	case r.literal("true"):
		return true, nil
	case r.literal("false"), r.Null():
		return false, nil
	}
	return false, r.fail("want true or false")
}

// Strings reads an array of strings (null reads as nil).
func (r *Reader) Strings() ([]string, error) {
	if r.Null() {
		return nil, nil
	}
	if r.peek() != '[' {
		return nil, r.fail("want an array of strings")
	}
	r.pos++
	list := []string{}
	if r.peek() == ']' {
		r.pos++
		return list, nil
	}
	for {
		s, err := r.String()
		if err != nil {
			return nil, err
		}
		list = append(list, s)
		switch r.peek() {
		case ',':
			r.pos++
		case ']':
			r.pos++
			return list, nil
		default:
			return nil, r.fail("want a comma or ] in the array")
		}
	}
}

// Indent appends compact JSON src (as the Append functions write it) laid
// out as json.MarshalIndent(v, "", indent) lays it out: one element per
// line, a space after each colon, empty arrays and objects kept as [] and {}.
func Indent(dst, src []byte, indent string) []byte {
	depth := 0
	inString, escaped := false, false
	newline := func() {
		dst = append(dst, '\n')
		for range depth {
			dst = append(dst, indent...)
		}
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inString {
			dst = append(dst, c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			dst = append(dst, c)
		case '{', '[':
			dst = append(dst, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				dst = append(dst, src[i+1])
				i++
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			newline()
		case ':':
			dst = append(dst, c, ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
