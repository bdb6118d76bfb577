package room

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	cm "smrlab/core/class"
	"smrlab/core/lesson"
)

// Hello is the first frame of a connection: who connects to which room.
type Hello struct {
	V     int    `json:"v"`
	Code  string `json:"code"`
	As    string `json:"as"` // student, teacher, projector
	Name  string `json:"name,omitempty"`
	Token string `json:"token,omitempty"`
	Key   string `json:"key,omitempty"`
	Mode  string `json:"mode,omitempty"` // lockstep (the default), views
}

// ProtocolVersion is the hello's v.
const ProtocolVersion = 1

// seqMax bounds a seat's sequence numbers: integers JavaScript keeps exactly.
const seqMax = 1<<53 - 1

// Frame is one client frame after the hello, decoded strictly. Exactly the
// fields of its type T are set.
type Frame struct {
	T        string `json:"t"`
	Seq      int64  `json:"seq,omitempty"`
	Text     string `json:"text,omitempty"`
	Op       string `json:"op,omitempty"`
	SpeedPpm int64  `json:"speedPpm,omitempty"`
	At       int64  `json:"at,omitempty"`
	Seat     int64  `json:"seat,omitempty"`
	Role     string `json:"role,omitempty"`
	Server   string `json:"server,omitempty"`
	Hash     string `json:"hash,omitempty"`

	// The class frames' fields (class.go).
	Lesson    string          `json:"lesson,omitempty"`
	Lessons   []string        `json:"lessons,omitempty"`
	From      int64           `json:"from,omitempty"`
	Ops       []lesson.Op     `json:"ops,omitempty"`
	Now       int64           `json:"now,omitempty"`
	Wall      []cm.Wall       `json:"wall,omitempty"`
	What      string          `json:"what,omitempty"`
	Step      string          `json:"step,omitempty"`
	Round     int64           `json:"round,omitempty"`
	Choice    string          `json:"choice,omitempty"`
	To        int64           `json:"to,omitempty"`
	Bug       string          `json:"bug,omitempty"`
	Scenario  string          `json:"scenario,omitempty"`
	Recording json.RawMessage `json:"recording,omitempty"` // the recording's JSON text, as sent
	Guess     string          `json:"guess,omitempty"`
}

// FrameError is a frame refused by the decoder; Field names the field at
// fault ("" for the frame as a whole).
type FrameError struct {
	Field  string
	Reason string
}

func (e *FrameError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

func frameErr(field, format string, a ...any) error {
	return &FrameError{Field: field, Reason: fmt.Sprintf(format, a...)}
}

// frameFields lists each frame type's fields in order: their kind (s a
// string, i a whole number), and whether they are required ('!') or
// optional ('?'). A field required only with some values of another is
// checked after decoding (checkFrame).
var frameFields = map[string][]string{
	"hello":  {"!i v", "!s code", "!s as", "?s name", "?s token", "?s key", "?s mode"},
	"act":    {"!i seq", "!s text"},
	"clock":  {"!i seq", "!s op", "?i speedPpm", "?i at"},
	"role":   {"!i seq", "!i seat", "!s role", "?s server"},
	"close":  {"!i seq"},
	"hash":   {"!i at", "!s hash"},
	"resync": {},
	// The class (class.go): a kind 'a' is an array, 'o' an object.
	"lesson":   {"!i seq", "!s op", "?a lessons"},
	"progress": {"!i seq", "!s lesson", "!i from", "!a ops", "!i now", "?a wall", "?s step", "?s hash"},
	"ask":      {"!i seq", "!s lesson", "!s what"},
	"hold":     {"!i seq", "!s lesson", "!s step"},
	"answer":   {"!i seq", "!s lesson", "!s step", "!i round", "!s choice"},
	"vote":     {"!i seq", "!s op"},
	"hint":     {"!i seq", "!i to", "!s text"},
	"watch":    {"!i seq", "!i seat"},
	"hunt":     {"!i seq", "!s op", "?s bug", "?s scenario"},
	"submit":   {"!i seq", "!o recording", "?s guess"},
}

// bigFrames are the frame types that may be up to ProgressBytesMax bytes;
// every other stays within FrameBytesMax.
func bigFrame(t string) bool { return t == "progress" || t == "submit" }

// fieldSpec finds a field of a frame type: its kind, or "".
func fieldSpec(spec []string, key string) string {
	for _, f := range spec {
		if f[3:] == key {
			return f[:2]
		}
	}
	return ""
}

// decodeFields checks a frame's fields against its type's list and decodes
// them into f (or h, for a hello). It returns the set of fields present.
func decodeFields(fields []rawField, f *Frame, h *Hello) (map[string]bool, error) {
	var t *rawField
	for i := range fields {
		if fields[i].key == "t" {
			t = &fields[i]
		}
	}
	if t == nil {
		return nil, frameErr("t", "missing: a frame says its type in t")
	}
	if t.kind != 's' {
		return nil, frameErr("t", "want a string")
	}
	f.T = t.str
	spec, ok := frameFields[f.T]
	if !ok {
		return nil, frameErr("t", "unknown frame type %q (known: act, clock, role, close, hash, resync, lesson, progress, ask, "+
			"hold, answer, vote, hint, watch, hunt, submit)", f.T)
	}
	if (h != nil) != (f.T == "hello") {
		if h != nil {
			return nil, frameErr("t", "the first frame is a hello, not %q", f.T)
		}
		return nil, frameErr("t", "hello only opens a connection")
	}
	present := map[string]bool{}
	for _, fd := range fields {
		key := fd.key
		if key == "t" {
			continue
		}
		kind := fieldSpec(spec, key)
		switch {
		case kind == "":
			return nil, frameErr(key, "unknown field of a %s frame", f.T)
		case kind[1] == 's' && fd.kind != 's':
			return nil, frameErr(key, "want a string")
		case kind[1] == 's':
			setString(f, h, key, fd.str)
		case kind[1] == 'a' && fd.kind != 'a':
			return nil, frameErr(key, "want an array")
		case kind[1] == 'o' && fd.kind != 'o':
			return nil, frameErr(key, "want an object")
		case kind[1] == 'a' || kind[1] == 'o':
			if err := setRaw(f, key, fd.raw); err != nil {
				return nil, err
			}
		case fd.kind != 'i':
			return nil, frameErr(key, "want a whole number")
		default:
			setInt(f, h, key, fd.num)
		}
		present[key] = true
	}
	for _, fs := range spec {
		if key := fs[3:]; fs[0] == '!' && !present[key] {
			return nil, frameErr(key, "missing: a %s frame needs it", f.T)
		}
	}
	return present, nil
}

func setString(f *Frame, h *Hello, key, s string) {
	if h != nil {
		switch key {
		case "code":
			h.Code = s
		case "as":
			h.As = s
		case "name":
			h.Name = s
		case "token":
			h.Token = s
		case "key":
			h.Key = s
		case "mode":
			h.Mode = s
		}
		return
	}
	switch key {
	case "text":
		f.Text = s
	case "op":
		f.Op = s
	case "role":
		f.Role = s
	case "server":
		f.Server = s
	case "hash":
		f.Hash = s
	case "lesson":
		f.Lesson = s
	case "what":
		f.What = s
	case "step":
		f.Step = s
	case "choice":
		f.Choice = s
	case "bug":
		f.Bug = s
	case "scenario":
		f.Scenario = s
	case "guess":
		f.Guess = s
	}
}

func setInt(f *Frame, h *Hello, key string, n int64) {
	switch key {
	case "v":
		h.V = int(max(min(n, 1<<30), -1<<30))
	case "seq":
		f.Seq = n
	case "speedPpm":
		f.SpeedPpm = n
	case "at":
		f.At = n
	case "seat":
		f.Seat = n
	case "from":
		f.From = n
	case "now":
		f.Now = n
	case "round":
		f.Round = n
	case "to":
		f.To = n
	}
}

// DecodeFrame reads a client frame other than the hello, strictly: at most
// FrameBytesMax bytes, one JSON object, every key once and known to its
// type, each of its type, the required ones present, and values in range.
func DecodeFrame(data []byte) (Frame, error) {
	var f Frame
	fields, err := scanFrame(data)
	if err != nil {
		return f, err
	}
	if len(data) > FrameBytesMax {
		// Only progress and submit frames may be larger.
		big := false
		for _, fd := range fields {
			big = big || (fd.key == "t" && fd.kind == 's' && bigFrame(fd.str))
		}
		if !big {
			return f, frameErr("", "a frame of %d bytes, over the limit of %d", len(data), FrameBytesMax)
		}
	}
	present, err := decodeFields(fields, &f, nil)
	if err != nil {
		return Frame{}, err
	}
	if err := checkFrame(&f, present); err != nil {
		return Frame{}, err
	}
	return f, nil
}

// checkFrame checks the values of a decoded frame and the fields that
// depend on each other.
func checkFrame(f *Frame, present map[string]bool) error {
	if present["seq"] && (f.Seq < 1 || f.Seq > seqMax) {
		return frameErr("seq", "want 1 to %d, not %d", int64(seqMax), f.Seq)
	}
	switch f.T {
	case "act":
		if f.Text == "" || len(f.Text) > ActionBytesMax {
			return frameErr("text", "an action is 1 to %d bytes, not %d", ActionBytesMax, len(f.Text))
		}
		if strings.ContainsAny(f.Text, "\n\r") || strings.ContainsFunc(f.Text, unicode.IsControl) {
			return frameErr("text", "an action is one line of printable text")
		}
	case "clock":
		switch f.Op {
		case "play", "pause", "fork", "reset":
			if present["speedPpm"] || present["at"] {
				return frameErr(map[bool]string{true: "speedPpm", false: "at"}[present["speedPpm"]],
					"only op speed takes speedPpm, only op goto takes at")
			}
		case "speed":
			if !present["speedPpm"] {
				return frameErr("speedPpm", "missing: op speed needs it")
			}
			if present["at"] {
				return frameErr("at", "only op goto takes at")
			}
			if f.SpeedPpm < SpeedPpmMin || f.SpeedPpm > SpeedPpmMax {
				return frameErr("speedPpm", "want %d to %d (parts per million of real time), not %d",
					SpeedPpmMin, SpeedPpmMax, f.SpeedPpm)
			}
		case "goto":
			if !present["at"] {
				return frameErr("at", "missing: op goto needs it")
			}
			if present["speedPpm"] {
				return frameErr("speedPpm", "only op speed takes speedPpm")
			}
			if f.At < 0 {
				return frameErr("at", "want a time of 0 or more µs, not %d", f.At)
			}
		default:
			return frameErr("op", "unknown clock op %q (known: play, pause, speed, goto, fork, reset)", f.Op)
		}
	case "role":
		if f.Seat < 1 || f.Seat > SeatsMax {
			return frameErr("seat", "want a student's seat, 1 to %d, not %d", SeatsMax, f.Seat)
		}
		if !validRole(f.Role) {
			return frameErr("role", "unknown role %q (known: server, nemesis, operator, client, observer)", f.Role)
		}
		if (f.Role == "server") != present["server"] {
			if f.Role == "server" {
				return frameErr("server", "missing: role server names its server, like S3")
			}
			return frameErr("server", "only role server names a server")
		}
		if f.Role == "server" && !validServerName(f.Server) {
			return frameErr("server", "want a server like S3, not %q", f.Server)
		}
	case "hash":
		if f.At < 0 {
			return frameErr("at", "want a time of 0 or more µs, not %d", f.At)
		}
		if !validHash(f.Hash) {
			return frameErr("hash", "want 16 hex digits, not %q", f.Hash)
		}
	default:
		return checkClassFrame(f, present)
	}
	return nil
}

// DecodeHello reads a connection's first frame strictly, as DecodeFrame
// does. The join code is read in capitals.
func DecodeHello(data []byte) (Hello, error) {
	var h Hello
	var f Frame
	if len(data) > FrameBytesMax {
		return h, frameErr("", "a frame of %d bytes, over the limit of %d", len(data), FrameBytesMax)
	}
	fields, err := scanFrame(data)
	if err != nil {
		return h, err
	}
	present, err := decodeFields(fields, &f, &h)
	if err != nil {
		return Hello{}, err
	}
	if err := checkHello(&h, present); err != nil {
		return Hello{}, err
	}
	return h, nil
}

func checkHello(h *Hello, present map[string]bool) error {
	if h.V != ProtocolVersion {
		return frameErr("v", "this server speaks version %d, not %d: reload the page", ProtocolVersion, h.V)
	}
	h.Code = strings.ToUpper(h.Code)
	if !ValidCode(h.Code) {
		return frameErr("code", "a join code is %d letters of %s, not %q", CodeLen, CodeAlphabet, h.Code)
	}
	if h.Mode == "" {
		h.Mode = "lockstep"
	}
	if h.Mode != "lockstep" && h.Mode != "views" {
		return frameErr("mode", "want lockstep or views, not %q", h.Mode)
	}
	switch h.As {
	case "student":
		if present["key"] {
			return frameErr("key", "only a teacher's hello carries a key")
		}
		if len(h.Token) > tokenBytesMax {
			return frameErr("token", "a token is at most %d bytes", tokenBytesMax)
		}
		if h.Token == "" || present["name"] {
			if err := CheckName(h.Name); err != nil {
				return frameErr("name", "%v", err)
			}
		}
	case "teacher":
		if h.Key == "" || len(h.Key) > tokenBytesMax {
			return frameErr("key", "a teacher's hello carries the teacher key (1 to %d bytes)", tokenBytesMax)
		}
		if present["name"] || present["token"] {
			return frameErr(map[bool]string{true: "name", false: "token"}[present["name"]], "a teacher's hello carries only the key")
		}
	case "projector":
		for _, k := range []string{"name", "token", "key"} {
			if present[k] {
				return frameErr(k, "a projector's hello carries no %s", k)
			}
		}
	default:
		return frameErr("as", "want student, teacher or projector, not %q", h.As)
	}
	return nil
}

// tokenBytesMax bounds a token or a key in a hello.
const tokenBytesMax = 128

// ValidCode reports a join code of the room's alphabet and length.
func ValidCode(code string) bool {
	if len(code) != CodeLen {
		return false
	}
	for i := 0; i < len(code); i++ {
		if strings.IndexByte(CodeAlphabet, code[i]) < 0 {
			return false
		}
	}
	return true
}

// CheckName refuses a display name that is empty, too long or not printable.
func CheckName(name string) error {
	n := utf8.RuneCountInString(name)
	switch {
	case name == "":
		return errors.New("a name is 1 to 40 characters, not empty")
	case n > NameBytesMax || len(name) > 4*NameBytesMax:
		return fmt.Errorf("a name is 1 to %d characters, not %d", NameBytesMax, n)
	case strings.TrimSpace(name) != name:
		return errors.New("a name does not start or end with a space")
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("a name is printable text, not %q", r)
		}
	}
	return nil
}

func validRole(r string) bool {
	switch r {
	case "server", "nemesis", "operator", "client", "observer":
		return true
	}
	return false
}

// validServerName accepts S1 to S99 (the cluster's size is checked later).
func validServerName(s string) bool {
	if len(s) < 2 || len(s) > 3 || s[0] != 'S' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func validHash(s string) bool {
	if len(s) != 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// AppendJSON writes the frame as the browser sends it, with exactly the
// fields of its type (the fuzz tests check that decoding this gives the
// frame back).
func (f *Frame) AppendJSON(b []byte) []byte {
	b = append(b, `{"t":`...)
	b = appendString(b, f.T)
	if f.T != "hash" && f.T != "resync" {
		b = appendInt(b, "seq", f.Seq)
	}
	switch f.T {
	case "act":
		b = appendStr(b, "text", f.Text)
	case "clock":
		b = appendStr(b, "op", f.Op)
		switch f.Op {
		case "speed":
			b = appendInt(b, "speedPpm", f.SpeedPpm)
		case "goto":
			b = appendInt(b, "at", f.At)
		}
	case "role":
		b = appendInt(b, "seat", f.Seat)
		b = appendStr(b, "role", f.Role)
		if f.Role == "server" {
			b = appendStr(b, "server", f.Server)
		}
	case "hash":
		b = appendInt(b, "at", f.At)
		b = appendStr(b, "hash", f.Hash)
	default:
		b = f.appendClassJSON(b)
	}
	return append(b, '}')
}

func appendString(b []byte, s string) []byte {
	js, _ := json.Marshal(s) // cannot fail on a string
	return append(b, js...)
}

func appendStr(b []byte, key, s string) []byte {
	b = append(append(append(b, ',', '"'), key...), '"', ':')
	return appendString(b, s)
}

func appendInt(b []byte, key string, n int64) []byte {
	b = append(append(append(b, ',', '"'), key...), '"', ':')
	return strconv.AppendInt(b, n, 10)
}
