package histfile

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ednDepthMax bounds how deeply EDN collections may nest: an operation is a
// map holding a vector holding a vector, and a whole history may be one
// vector of them, so anything deeper is not a history, and the bound keeps a
// hostile file from exhausting the stack.
const ednDepthMax = 32

// opFieldsMax is room for the keys and values of an operation map such as
// Jepsen writes: :type, :f, :value, :process, :time, :index and :error.
const opFieldsMax = 14

// ednKind is the type of an EDN value.
type ednKind uint8

const (
	ednNil ednKind = iota
	ednBool
	ednInt     // an integer that fits in an int64; text holds its digits
	ednNumber  // any other number (big, ratio, float); text holds it as written
	ednString  // text holds the decoded string
	ednKeyword // text holds it without the colon
	ednSymbol
	ednChar
	ednVector
	ednList
	ednMap // items alternate keys and values
	ednSet
)

func (k ednKind) String() string {
	return [...]string{"nil", "a boolean", "an integer", "a number", "a string", "a keyword", "a symbol",
		"a character", "a vector", "a list", "a map", "a set"}[k]
}

// ednValue is one parsed EDN value and where it starts.
type ednValue struct {
	kind      ednKind
	text      string
	num       int64
	items     []ednValue
	line, col int
}

// pos is where the value starts, as file:line:col.
func (v *ednValue) pos() position { return position{line: v.line, col: v.col} }

// ednReader reads EDN (https://github.com/edn-format/edn) from a byte slice,
// keeping the line and column of each value for error messages.
type ednReader struct {
	src       []byte
	i         int
	line, col int // of src[i], from 1
}

func newEDNReader(src []byte) *ednReader { return &ednReader{src: src, line: 1, col: 1} }

// errorf is a syntax error at the reader's position.
func (r *ednReader) errorf(format string, args ...any) error {
	return &Error{Line: r.line, Col: r.col, Msg: fmt.Sprintf(format, args...)}
}

// advance moves past n bytes, counting lines; columns count runes.
func (r *ednReader) advance(n int) {
	for end := r.i + n; r.i < end; {
		c := r.src[r.i]
		if c == '\n' {
			r.line, r.col = r.line+1, 1
			r.i++
			continue
		}
		_, size := utf8.DecodeRune(r.src[r.i:])
		r.i += max(size, 1)
		r.col++
	}
}

// skipSpace skips whitespace, commas and comments; it reports whether a
// value follows.
func (r *ednReader) skipSpace() bool {
	for r.i < len(r.src) {
		switch c := r.src[r.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '\f':
			r.advance(1)
		case c == ';':
			for r.i < len(r.src) && r.src[r.i] != '\n' {
				r.advance(1)
			}
		default:
			return true
		}
	}
	return false
}

// next reads the next top-level value; ok is false at the end of input.
func (r *ednReader) next() (v ednValue, ok bool, err error) {
	for r.skipSpace() {
		if v, err = r.value(0); err != nil || v.line != 0 { // line 0: a discarded #_ value
			return v, err == nil, err
		}
	}
	return ednValue{}, false, nil
}

// value reads one value at the reader's position, which is not space.
func (r *ednReader) value(depth int) (ednValue, error) {
	if depth > ednDepthMax {
		return ednValue{}, r.errorf("collections nested more than %d deep", ednDepthMax)
	}
	v := ednValue{line: r.line, col: r.col}
	c := r.src[r.i]
	switch {
	case c == '"':
		s, err := r.str()
		v.kind, v.text = ednString, s
		return v, err
	case c == '[':
		return r.collection(v, ednVector, ']', depth)
	case c == '(':
		return r.collection(v, ednList, ')', depth)
	case c == '{':
		return r.collection(v, ednMap, '}', depth)
	case c == '#':
		return r.dispatch(v, depth)
	case c == '\\':
		r.advance(1)
		tok := r.token()
		if tok == "" {
			if r.i >= len(r.src) {
				return v, r.errorf("a character literal ends the file")
			}
			tok = string(r.src[r.i])
			r.advance(1)
		}
		v.kind, v.text = ednChar, tok
		return v, nil
	case c == ']' || c == ')' || c == '}':
		return v, r.errorf("unexpected %q: nothing to close", c)
	}
	tok := r.token()
	if tok == "" {
		return v, r.errorf("unexpected character %q", r.rune())
	}
	switch {
	case tok == "nil":
		v.kind = ednNil
	case tok == "true" || tok == "false":
		v.kind, v.text = ednBool, tok
	case tok[0] == ':':
		if len(tok) == 1 {
			return v, &Error{Line: v.line, Col: v.col, Msg: "a keyword with no name"}
		}
		v.kind, v.text = ednKeyword, tok[1:]
	case tok[0] >= '0' && tok[0] <= '9' || len(tok) > 1 && (tok[0] == '-' || tok[0] == '+') && tok[1] >= '0' && tok[1] <= '9':
		v.text = tok
		if n, err := strconv.ParseInt(tok, 10, 64); err == nil {
			v.kind, v.num = ednInt, n
		} else if !validNumber(tok) {
			return v, &Error{Line: v.line, Col: v.col, Msg: fmt.Sprintf("%q is not a number", tok)}
		} else {
			v.kind = ednNumber
		}
	default:
		v.kind, v.text = ednSymbol, tok
	}
	return v, nil
}

// validNumber accepts EDN's other numbers: big integers (N), floats
// (possibly M), ratios.
func validNumber(tok string) bool {
	t := strings.TrimSuffix(strings.TrimSuffix(tok, "N"), "M")
	if _, err := strconv.ParseFloat(t, 64); err == nil {
		return true
	}
	if a, b, ok := strings.Cut(t, "/"); ok {
		_, e1 := strconv.ParseInt(a, 10, 64)
		_, e2 := strconv.ParseUint(b, 10, 64)
		return e1 == nil && e2 == nil
	}
	return strings.Trim(t, "+-0123456789") == "" && len(strings.Trim(t, "+-")) > 0
}

func (r *ednReader) rune() rune {
	c, _ := utf8.DecodeRune(r.src[r.i:])
	return c
}

// token reads a symbol, keyword, number or literal: the bytes up to the
// next delimiter.
func (r *ednReader) token() string {
	start := r.i
	for r.i < len(r.src) {
		c := r.src[r.i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '\f' || c == ';' ||
			c == '"' || c == '[' || c == ']' || c == '(' || c == ')' || c == '{' || c == '}' || c == '\\' ||
			c == '#' && r.i == start {
			break
		}
		if c < 0x20 || c == 0x7f {
			break
		}
		r.advance(1)
	}
	return string(r.src[start:r.i])
}

// collection reads the items of a vector, list, map or set up to close.
func (r *ednReader) collection(v ednValue, kind ednKind, close byte, depth int) (ednValue, error) {
	v.kind = kind
	if kind == ednMap {
		v.items = make([]ednValue, 0, opFieldsMax) // an operation's fields, in one allocation
	}
	r.advance(1)
	for {
		if !r.skipSpace() {
			return v, &Error{Line: v.line, Col: v.col, Msg: fmt.Sprintf("%s opened here is never closed", kind)}
		}
		if r.src[r.i] == close {
			r.advance(1)
			break
		}
		item, err := r.value(depth + 1)
		if err != nil {
			return v, err
		}
		if item.kind == ednNil && item.line == 0 { // a discarded #_ value
			continue
		}
		v.items = append(v.items, item)
	}
	if kind == ednMap && len(v.items)%2 != 0 {
		return v, &Error{Line: v.line, Col: v.col, Msg: "a map with a key and no value"}
	}
	return v, nil
}

// dispatch reads what follows a #: a set, a discarded value, or a tagged
// value, whose tag (such as #jepsen.history.Op) is dropped.
func (r *ednReader) dispatch(v ednValue, depth int) (ednValue, error) {
	r.advance(1)
	if r.i >= len(r.src) {
		return v, r.errorf("a # ends the file")
	}
	switch r.src[r.i] {
	case '{':
		return r.collection(v, ednSet, '}', depth)
	case '_':
		r.advance(1)
		if !r.skipSpace() {
			return v, r.errorf("#_ discards nothing: the file ends")
		}
		if _, err := r.value(depth + 1); err != nil {
			return v, err
		}
		return ednValue{}, nil // line 0 marks it discarded
	}
	tag := r.token()
	if tag == "" || !(tag[0] >= 'a' && tag[0] <= 'z' || tag[0] >= 'A' && tag[0] <= 'Z') {
		return v, &Error{Line: v.line, Col: v.col, Msg: "# must start a set #{...}, a discard #_ or a tag like #inst"}
	}
	if !r.skipSpace() {
		return v, r.errorf("the tag #%s has no value: the file ends", tag)
	}
	inner, err := r.value(depth + 1)
	if err != nil {
		return v, err
	}
	if inner.line == 0 {
		return v, &Error{Line: v.line, Col: v.col, Msg: fmt.Sprintf("the tag #%s tags a discarded value", tag)}
	}
	return inner, nil
}

// str reads a string literal.
func (r *ednReader) str() (string, error) {
	line, col := r.line, r.col
	r.advance(1)
	var b strings.Builder
	for {
		if r.i >= len(r.src) {
			return "", &Error{Line: line, Col: col, Msg: "a string that never ends"}
		}
		c := r.src[r.i]
		switch c {
		case '"':
			r.advance(1)
			return b.String(), nil
		case '\\':
			if r.i+1 >= len(r.src) {
				return "", &Error{Line: line, Col: col, Msg: "a string that never ends"}
			}
			e := r.src[r.i+1]
			if e == 'u' {
				if r.i+6 > len(r.src) {
					return "", r.errorf(`\u needs four hexadecimal digits`)
				}
				n, err := strconv.ParseUint(string(r.src[r.i+2:r.i+6]), 16, 16)
				if err != nil {
					return "", r.errorf(`\u needs four hexadecimal digits`)
				}
				b.WriteRune(rune(n))
				r.advance(6)
				continue
			}
			s, ok := map[byte]string{'"': `"`, '\\': `\`, 'n': "\n", 't': "\t", 'r': "\r", 'b': "\b", 'f': "\f"}[e]
			if !ok {
				return "", r.errorf("unknown escape \\%c in a string", e)
			}
			b.WriteString(s)
			r.advance(2)
		default:
			_, size := utf8.DecodeRune(r.src[r.i:])
			b.Write(r.src[r.i : r.i+max(size, 1)])
			r.advance(max(size, 1))
		}
	}
}

// ReadEDN reads a client history in Jepsen's EDN: a sequence of operation
// maps, one per line as Jepsen's history.edn and `smrlab export --format
// edn` write them, or one vector of them as Knossos's test histories are.
// Each map has :type (:invoke, :ok, :fail or :info), :f (:read, :write,
// :append, :cas or :txn), :value ([key value], [key [old new]] for :cas,
// micro-operations [[:r k v] [:w k v] [:append k v]] for :txn), :process,
// and optionally :time (nanoseconds) and :index. Maps of other processes
// (:nemesis) are left out. An append of a string appends its characters; of
// anything else, one element of a list, which reads return as a vector.
func ReadEDN(src []byte) (*History, error) {
	r := newEDNReader(src)
	b := newBuilder("edn")
	for {
		v, ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		switch v.kind {
		case ednMap:
			if err := b.add(ednEvent(&v)); err != nil {
				return nil, err
			}
		case ednVector, ednList:
			for i := range v.items {
				item := &v.items[i]
				if item.kind != ednMap {
					return nil, errorAt(item.pos(), "an operation is a map like {:type :invoke, :f :read, ...}; found %s", item.kind)
				}
				if err := b.add(ednEvent(item)); err != nil {
					return nil, err
				}
			}
		default:
			return nil, errorAt(v.pos(), "an operation is a map like {:type :invoke, :f :read, ...}; found %s", v.kind)
		}
	}
	return b.finish()
}

// ednEvent reads the fields of an operation map; the builder judges them.
func ednEvent(m *ednValue) event {
	ev := event{at: m.pos()}
	for i := 0; i+1 < len(m.items); i += 2 {
		k, v := &m.items[i], &m.items[i+1]
		if k.kind != ednKeyword {
			continue
		}
		switch k.text {
		case "type":
			ev.typ = field{set: true, at: v.pos(), kind: v.kind.String(), text: ednWord(v)}
		case "f":
			ev.f = field{set: true, at: v.pos(), kind: v.kind.String(), text: ednWord(v)}
		case "process":
			ev.process = ednField(v)
		case "time":
			ev.time = ednField(v)
		case "index":
			ev.index = ednField(v)
		case "value":
			ev.value = ednField(v)
			ev.valueEDN = v
		}
	}
	return ev
}

// ednWord is a keyword's name, or "" for anything else.
func ednWord(v *ednValue) string {
	if v.kind == ednKeyword {
		return v.text
	}
	return ""
}

func ednField(v *ednValue) field {
	f := field{set: true, at: v.pos(), kind: v.kind.String(), null: v.kind == ednNil}
	switch v.kind {
	case ednInt:
		f.isInt, f.num, f.text, f.scalar = true, v.num, v.text, true
	case ednString:
		f.text, f.scalar, f.isString = v.text, true, true
	case ednKeyword:
		f.text, f.scalar = ":"+v.text, true
	case ednNumber:
		f.text, f.scalar = v.text, true
	case ednVector, ednList:
		var b strings.Builder
		for i := range v.items {
			e := ednField(&v.items[i])
			if !e.scalar {
				return f
			}
			b.WriteString(elementText(e))
		}
		f.text, f.list = b.String(), true
	}
	return f
}

// ednTxnItems reads the micro-operations of a transaction's :value.
func ednTxnItems(ev event) ([]txnItem, position, error) {
	v := ev.valueEDN
	if v == nil {
		return nil, ev.at, errorAt(ev.at, "no :value: want the micro-operations, like [[:r 3 nil] [:append 3 7]]")
	}
	if v.kind != ednVector && v.kind != ednList {
		return nil, v.pos(), errorAt(v.pos(), "a transaction's :value is its micro-operations, like [[:r 3 nil] [:append 3 7]]; found %s", v.kind)
	}
	items := make([]txnItem, len(v.items))
	for i := range v.items {
		m := &v.items[i]
		items[i].at = m.pos()
		if m.kind != ednVector && m.kind != ednList {
			return nil, v.pos(), errorAt(m.pos(), "a micro-operation is [f key value], like [:append 3 7]; found %s", m.kind)
		}
		for j := range m.items {
			p := ednField(&m.items[j])
			if j == 0 {
				p.text = ednWord(&m.items[j])
			}
			items[i].parts = append(items[i].parts, p)
		}
	}
	return items, v.pos(), nil
}
