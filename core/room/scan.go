package room

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// A frame is one flat JSON object whose values are strings and whole
// numbers. scanFrame reads exactly that, by hand: encoding/json's Decoder,
// which a strict reading needs for duplicate keys and exact case, took four
// times as long as a plain Unmarshal (a hash report every grid second from
// every browser of a 300-seat room adds up). FuzzFrameMatchesJSON checks it
// against encoding/json.

// rawField is one field of a frame: a string, a whole number, an array or
// an object (kept as its JSON text, for the class frames that carry them),
// or a value of another kind (a fraction, true, null...) that no frame
// field takes.
type rawField struct {
	key  string
	kind byte // 's' string, 'i' whole number, 'a' array, 'o' object, 'x' anything else
	str  string
	num  int64
	raw  []byte // 'a', 'o': the value's JSON text
}

// nestMax bounds how deep arrays and objects nest in a frame.
const nestMax = 16

// scanFrame reads one JSON object strictly: every key once, exact case,
// values strings or numbers (an object or an array refused), nothing
// after it.
func scanFrame(data []byte) ([]rawField, error) {
	if len(data) > ProgressBytesMax {
		return nil, frameErr("", "a frame of %d bytes, over the limit of %d", len(data), ProgressBytesMax)
	}
	if !utf8.Valid(data) {
		return nil, frameErr("", "a frame must be UTF-8 text")
	}
	sc := scanner{b: data}
	sc.space()
	fields, err := sc.object(0)
	if err != nil {
		return nil, err
	}
	sc.space()
	if sc.i != len(sc.b) {
		return nil, frameErr("", "trailing data after the frame's object")
	}
	return fields, nil
}

// object reads one JSON object strictly (every key once, exact case) at
// nesting depth.
func (sc *scanner) object(depth int) ([]rawField, error) {
	if !sc.eat('{') {
		return nil, frameErr("", "a frame is one JSON object")
	}
	var fields []rawField
	sc.space()
	if !sc.eat('}') {
		for {
			sc.space()
			key, ok := sc.str()
			if !ok {
				return nil, frameErr("", "not JSON: a key is a string in double quotes")
			}
			sc.space()
			if !sc.eat(':') {
				return nil, frameErr(key, "not JSON: a colon after the key")
			}
			sc.space()
			f, err := sc.value(key, depth)
			if err != nil {
				return nil, err
			}
			for i := range fields {
				if fields[i].key == key {
					return nil, frameErr(key, "given twice")
				}
			}
			fields = append(fields, f)
			sc.space()
			if sc.eat(',') {
				continue
			}
			if sc.eat('}') {
				break
			}
			return nil, frameErr("", "not JSON: a comma or a closing brace after the value of %q", key)
		}
	}
	return fields, nil
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a JSON string; escapes are decoded as encoding/json does.
func (s *scanner) str() (string, bool) {
	if !s.eat('"') {
		return "", false
	}
	start, escaped := s.i, false
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw := s.b[start-1 : s.i+1]
			s.i++
			if !escaped {
				return string(raw[1 : len(raw)-1]), true
			}
			var out string
			if json.Unmarshal(raw, &out) != nil {
				return "", false
			}
			return out, true
		case c < 0x20:
			return "", false
		case c == '\\':
			escaped = true
			if s.i+1 >= len(s.b) {
				return "", false
			}
			switch e := s.b[s.i+1]; e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) {
					return "", false
				}
				for _, h := range s.b[s.i+2 : s.i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return "", false
					}
				}
				s.i += 6
			default:
				return "", false
			}
		default:
			s.i++
		}
	}
	return "", false
}

// value reads the value of field key.
func (s *scanner) value(key string, depth int) (rawField, error) {
	f := rawField{key: key, kind: 'x'}
	if s.i >= len(s.b) {
		return f, frameErr(key, "not JSON: a value is missing")
	}
	switch c := s.b[s.i]; {
	case c == '"':
		str, ok := s.str()
		if !ok {
			return f, frameErr(key, "not JSON: a bad string")
		}
		f.kind, f.str = 's', str
	case c == '-' || c >= '0' && c <= '9':
		start := s.i
		ok, whole := s.number()
		if !ok {
			return f, frameErr(key, "not JSON: a bad number")
		}
		if whole {
			if n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64); err == nil {
				f.kind, f.num = 'i', n
			}
		}
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
				s.i += len(lit)
				return f, nil
			}
		}
		return f, frameErr(key, "not JSON: a bad value")
	case c == '[' || c == '{':
		if depth >= nestMax {
			return f, frameErr(key, "nested more than %d deep", nestMax)
		}
		start := s.i
		if c == '{' {
			if _, err := s.object(depth + 1); err != nil {
				return f, frameErr(key, "%v", err)
			}
			f.kind = 'o'
		} else {
			if err := s.array(key, depth+1, nil); err != nil {
				return f, err
			}
			f.kind = 'a'
		}
		f.raw = s.b[start:s.i]
	default:
		return f, frameErr(key, "a frame's values are strings, numbers, arrays and objects")
	}
	return f, nil
}

// array reads a JSON array, handing each element to each (when not nil).
func (s *scanner) array(key string, depth int, each func(i int, f rawField) error) error {
	if !s.eat('[') {
		return frameErr(key, "want an array")
	}
	s.space()
	if s.eat(']') {
		return nil
	}
	for i := 0; ; i++ {
		s.space()
		f, err := s.value(key, depth)
		if err != nil {
			return err
		}
		if each != nil {
			if err := each(i, f); err != nil {
				return err
			}
		}
		s.space()
		if s.eat(',') {
			continue
		}
		if s.eat(']') {
			return nil
		}
		return frameErr(key, "not JSON: a comma or a closing bracket in the array")
	}
}

// number reads a JSON number: whether it is one, and whether it is written
// as a whole number (no fraction, no exponent).
func (s *scanner) number() (ok, whole bool) {
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	s.eat('-')
	if s.eat('0') {
		if s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			return false, false // a leading zero
		}
	} else if digits() == 0 {
		return false, false
	}
	whole = true
	if s.eat('.') {
		whole = false
		if digits() == 0 {
			return false, false
		}
	}
	if s.eat('e') || s.eat('E') {
		whole = false
		if !s.eat('+') {
			s.eat('-')
		}
		if digits() == 0 {
			return false, false
		}
	}
	return true, whole
}
