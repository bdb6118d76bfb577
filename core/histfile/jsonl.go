package histfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ReadJSONL reads a client history in JSON Lines: one operation event per
// line, as a JSON object, in the order they happened; blank lines are
// skipped. The fields are those of Jepsen's EDN with the key apart:
//
//	{"type": "invoke", "f": "write", "process": 0, "key": "x", "value": "1", "time": 1000}
//	{"type": "ok", "f": "write", "process": 0, "key": "x", "value": "1", "time": 2000}
//	{"type": "invoke", "f": "read", "process": 1, "key": "x"}
//	{"type": "ok", "f": "read", "process": 1, "key": "x", "value": "1"}
//	{"type": "invoke", "f": "cas", "process": 2, "key": "x", "from": "1", "value": "2"}
//	{"type": "fail", "f": "cas", "process": 2, "key": "x", "from": "1", "value": "2"}
//
// type is invoke, ok, fail (it did not happen) or info (it may have); f is
// read, write, append, cas or txn; process is an integer (events of other
// processes, such as "nemesis", are left out); key and value are strings or
// integers, and an ok read's value is null when the key does not exist;
// time (nanoseconds) and index are optional. Other fields are ignored. An
// append of a string appends its characters, of an integer one element of
// a list, which reads return as an array. A txn has no key: its value is
// its micro-operations, [["r", "x", null], ["w", "y", 1], ["append", "z", 2]].
func ReadJSONL(src []byte) (*History, error) {
	b := newBuilder("jsonl")
	for n := 1; len(src) > 0; n++ {
		line := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		ev, err := jsonEvent(line, n)
		if err != nil {
			return nil, err
		}
		if err := b.add(ev); err != nil {
			return nil, err
		}
	}
	return b.finish()
}

// jsonEvent reads the fields of one line; the builder judges them.
func jsonEvent(line []byte, n int) (event, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			return event{}, &Error{Line: n, Col: column(line, int(syntax.Offset)-1), Msg: "not JSON: " + syntax.Error()}
		case errors.As(err, &typ):
			return event{}, &Error{Line: n, Col: 1, Msg: "each line must be one JSON object, like " +
				`{"type": "invoke", "f": "read", "process": 0, "key": "x"}`}
		}
		return event{}, &Error{Line: n, Col: 1, Msg: err.Error()}
	}
	ev := event{at: position{line: n, col: 1}, split: true}
	get := func(name string) field {
		raw, ok := m[name]
		if !ok {
			return field{}
		}
		col := 1
		if i := bytes.Index(line, quoted[name]); i >= 0 {
			col = column(line, i)
		}
		return jsonField(raw, position{line: n, col: col})
	}
	ev.typ, ev.f = get("type"), get("f")
	ev.process, ev.time, ev.index = get("process"), get("time"), get("index")
	ev.key, ev.value, ev.from = get("key"), get("value"), get("from")
	ev.valueJSON = m["value"]
	return ev, nil
}

// jsonTxnItems reads the micro-operations of a transaction's "value".
func jsonTxnItems(ev event) ([]txnItem, position, error) {
	want := `a transaction's "value" is its micro-operations, like [["r", 3, null], ["append", 3, 7]]`
	if !ev.value.set {
		return nil, ev.at, errorAt(ev.at, "no value: %s", want)
	}
	var ops []json.RawMessage
	if json.Unmarshal(ev.valueJSON, &ops) != nil {
		return nil, ev.value.at, errorAt(ev.value.at, "%s; found %s", want, ev.value.kind)
	}
	items := make([]txnItem, len(ops))
	for i, op := range ops {
		items[i].at = ev.value.at
		var parts []json.RawMessage
		if json.Unmarshal(op, &parts) != nil {
			return nil, ev.value.at, errorAt(ev.value.at, "micro-operation %d is not an array [f, key, value]", i+1)
		}
		for _, part := range parts {
			items[i].parts = append(items[i].parts, jsonField(part, ev.value.at))
		}
	}
	return items, ev.value.at, nil
}

// quoted are the field names as they appear in a line, to find their
// columns.
var quoted = map[string][]byte{}

func init() {
	for _, name := range []string{"type", "f", "process", "time", "index", "key", "value", "from"} {
		quoted[name] = []byte(strconv.Quote(name))
	}
}

// column is the column of byte offset i of a line, counting runes from 1.
func column(line []byte, i int) int {
	i = min(max(i, 0), len(line))
	return utf8.RuneCount(line[:i]) + 1
}

// jsonField reads one JSON value as a field.
func jsonField(raw json.RawMessage, at position) field {
	f := field{set: true, at: at}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		f.kind = "nothing"
		return f
	}
	switch c := raw[0]; {
	case c == 'n':
		f.kind, f.null = "null", true
	case c == 't' || c == 'f':
		f.kind = "a boolean"
	case c == '"':
		f.kind, f.isString = "a string", true
		if len(raw) >= 2 && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
			f.text, f.scalar = string(raw[1:len(raw)-1]), true // no escapes: as written
		} else if json.Unmarshal(raw, &f.text) == nil {
			f.scalar = true
		}
	case c == '[':
		f.kind = "an array"
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return f
		}
		var b strings.Builder
		for _, item := range items {
			e := jsonField(item, at)
			if !e.scalar {
				return f
			}
			b.WriteString(elementText(e))
		}
		f.text, f.list = b.String(), true
	case c == '{':
		f.kind = "an object"
	default:
		f.kind, f.text, f.scalar = "a number", string(raw), true
		if v, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			f.kind, f.isInt, f.num = "an integer", true, v
		}
	}
	return f
}
