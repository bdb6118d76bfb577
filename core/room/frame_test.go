package room

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDecodeFrameStrict: every way a frame can be wrong is refused, with
// the field at fault named.
func TestDecodeFrameStrict(t *testing.T) {
	for _, tc := range []struct {
		name, frame, field, reason string
	}{
		{"not an object", `[1]`, "", "one JSON object"},
		{"not JSON", `{"t":"act",`, "", "not JSON"},
		{"trailing data", `{"t":"close","seq":1} {}`, "", "trailing data"},
		{"trailing garbage", `{"t":"close","seq":1}x`, "", "trailing data"},
		{"no type", `{"seq":1}`, "t", "missing"},
		{"type not a string", `{"t":7}`, "t", "want a string"},
		{"unknown type", `{"t":"shout"}`, "t", "unknown frame type"},
		{"hello later", `{"t":"hello","v":1,"code":"K7QM3P","as":"projector"}`, "t", "hello only opens"},
		{"unknown field", `{"t":"act","seq":1,"text":"crash S1","as":"teacher"}`, "as", "unknown field"},
		{"case-folded field", `{"t":"act","Seq":1,"text":"crash S1"}`, "Seq", "unknown field"},
		{"duplicate field", `{"t":"act","seq":1,"seq":2,"text":"crash S1"}`, "seq", "given twice"},
		{"missing seq", `{"t":"act","text":"crash S1"}`, "seq", "missing"},
		{"missing text", `{"t":"act","seq":1}`, "text", "missing"},
		{"seq a string", `{"t":"act","seq":"1","text":"crash S1"}`, "seq", "whole number"},
		{"seq a fraction", `{"t":"act","seq":1.5,"text":"crash S1"}`, "seq", "whole number"},
		{"seq null", `{"t":"act","seq":null,"text":"crash S1"}`, "seq", "whole number"},
		{"seq zero", `{"t":"act","seq":0,"text":"crash S1"}`, "seq", "want 1 to"},
		{"seq too big", `{"t":"act","seq":9007199254740992,"text":"crash S1"}`, "seq", "want 1 to"},
		{"text a number", `{"t":"act","seq":1,"text":5}`, "text", "want a string"},
		{"text empty", `{"t":"act","seq":1,"text":""}`, "text", "1 to 200 bytes"},
		{"text too long", `{"t":"act","seq":1,"text":"` + strings.Repeat("a", 201) + `"}`, "text", "1 to 200 bytes"},
		{"text two lines", `{"t":"act","seq":1,"text":"crash S1\nheal"}`, "text", "one line"},
		{"clock op unknown", `{"t":"clock","seq":1,"op":"rewind"}`, "op", "unknown clock op"},
		{"speed without speedPpm", `{"t":"clock","seq":1,"op":"speed"}`, "speedPpm", "missing"},
		{"speed too fast", `{"t":"clock","seq":1,"op":"speed","speedPpm":10000001}`, "speedPpm", "want 1000 to"},
		{"goto without at", `{"t":"clock","seq":1,"op":"goto"}`, "at", "missing"},
		{"goto negative", `{"t":"clock","seq":1,"op":"goto","at":-1}`, "at", "0 or more"},
		{"play with at", `{"t":"clock","seq":1,"op":"play","at":5}`, "at", "only op goto"},
		{"role unknown", `{"t":"role","seq":1,"seat":2,"role":"king"}`, "role", "unknown role"},
		{"role server without server", `{"t":"role","seq":1,"seat":2,"role":"server"}`, "server", "missing"},
		{"role nemesis with server", `{"t":"role","seq":1,"seat":2,"role":"nemesis","server":"S1"}`, "server", "only role server"},
		{"role bad server", `{"t":"role","seq":1,"seat":2,"role":"server","server":"S0"}`, "server", "like S3"},
		{"role teacher seat", `{"t":"role","seq":1,"seat":0,"role":"client"}`, "seat", "student's seat"},
		{"hash not hex", `{"t":"hash","at":0,"hash":"XYZ"}`, "hash", "16 hex digits"},
		{"hash with seq", `{"t":"hash","seq":3,"at":0,"hash":"0123456789abcdef"}`, "seq", "unknown field"},
		{"too big", `{"t":"act","seq":1,"text":"` + strings.Repeat(" ", FrameBytesMax) + `"}`, "", "over the limit"},
		{"not UTF-8", "{\"t\":\"act\",\"seq\":1,\"text\":\"\xff\"}", "", "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeFrame([]byte(tc.frame))
			require.Error(t, err)
			var fe *FrameError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, tc.field, fe.Field, "%v", err)
			require.Contains(t, fe.Reason, tc.reason)
		})
	}
}

func TestDecodeFrameGood(t *testing.T) {
	for _, tc := range []struct {
		frame string
		want  Frame
	}{
		{`{"t":"act","seq":7,"text":"crash S3"}`, Frame{T: "act", Seq: 7, Text: "crash S3"}},
		{` { "text" : "heal", "seq" : 1 , "t" : "act" } `, Frame{T: "act", Seq: 1, Text: "heal"}},
		{`{"t":"clock","seq":8,"op":"speed","speedPpm":50000}`, Frame{T: "clock", Seq: 8, Op: "speed", SpeedPpm: 50000}},
		{`{"t":"clock","seq":8,"op":"goto","at":0}`, Frame{T: "clock", Seq: 8, Op: "goto"}},
		{`{"t":"role","seq":9,"seat":3,"role":"server","server":"S3"}`, Frame{T: "role", Seq: 9, Seat: 3, Role: "server", Server: "S3"}},
		{`{"t":"close","seq":10}`, Frame{T: "close", Seq: 10}},
		{`{"t":"hash","at":3000000,"hash":"0123456789abcdef"}`, Frame{T: "hash", At: 3000000, Hash: "0123456789abcdef"}},
		{`{"t":"resync"}`, Frame{T: "resync"}},
	} {
		f, err := DecodeFrame([]byte(tc.frame))
		require.NoError(t, err, tc.frame)
		require.Equal(t, tc.want, f)
	}
}

func TestDecodeHello(t *testing.T) {
	h, err := DecodeHello([]byte(`{"t":"hello","v":1,"code":"k7qm3p","as":"student","name":"Ada","token":"","mode":"lockstep"}`))
	require.NoError(t, err)
	require.Equal(t, Hello{V: 1, Code: "K7QM3P", As: "student", Name: "Ada", Mode: "lockstep"}, h)
	h, err = DecodeHello([]byte(`{"t":"hello","v":1,"code":"K7QM3P","as":"projector"}`))
	require.NoError(t, err)
	require.Equal(t, "lockstep", h.Mode)
	h, err = DecodeHello([]byte(`{"t":"hello","v":1,"code":"K7QM3P","as":"student","token":"abc"}`))
	require.NoError(t, err, "a returning student may leave the name out")
	require.Equal(t, "abc", h.Token)

	for _, tc := range []struct{ frame, field string }{
		{`{"t":"act","seq":1,"text":"x"}`, "t"},
		{`{"t":"hello","v":2,"code":"K7QM3P","as":"projector"}`, "v"},
		{`{"t":"hello","v":1,"code":"K7QM2P","as":"projector"}`, "code"},
		{`{"t":"hello","v":1,"code":"K7QM3P","as":"admin"}`, "as"},
		{`{"t":"hello","v":1,"code":"K7QM3P","as":"student","name":""}`, "name"},
		{`{"t":"hello","v":1,"code":"K7QM3P","as":"student","name":" Ada"}`, "name"},
		{`{"t":"hello","v":1,"code":"K7QM3P","as":"student","name":"` + strings.Repeat("x", 41) + `"}`, "name"},
		{`{"t":"hello","v":1,"code":"K7QM3P","as":"student","name":"Ada","key":"k"}`, "key"},
		{`{"t":"hello","v":1,"code":"K7QM3P","as":"teacher"}`, "key"},
		{`{"t":"hello","v":1,"code":"K7QM3P","as":"teacher","key":"k","name":"T"}`, "name"},
		{`{"t":"hello","v":1,"code":"K7QM3P","as":"projector","token":"x"}`, "token"},
		{`{"t":"hello","v":1,"code":"K7QM3P","as":"projector","mode":"fast"}`, "mode"},
		{`{"t":"hello","v":1,"as":"projector"}`, "code"},
		{`{"t":"hello","v":1,"code":"K7QM3P","as":"projector","extra":1}`, "extra"},
	} {
		_, err := DecodeHello([]byte(tc.frame))
		var fe *FrameError
		require.ErrorAs(t, err, &fe, tc.frame)
		require.Equal(t, tc.field, fe.Field, "%s: %v", tc.frame, err)
	}
}

// FuzzFrame: the decoder never panics, and a frame it accepts re-encodes
// to bytes that decode to the same frame and encode the same again.
func FuzzFrame(f *testing.F) {
	for _, s := range []string{`{"t":"act","seq":7,"text":"crash S3"}`, `{"t":"clock","seq":8,"op":"goto","at":5}`,
		`{"t":"clock","seq":8,"op":"speed","speedPpm":50000}`, `{"t":"role","seq":9,"seat":3,"role":"server","server":"S3"}`,
		`{"t":"close","seq":10}`, `{"t":"hash","at":3000000,"hash":"0123456789abcdef"}`, `{"t":"resync"}`,
		`{"t":"act","seq":1,"seq":1}`, `{"t":"act","seq":1e3,"text":"\u00e9"}`} {
		f.Add([]byte(s))
	}
	for _, s := range classFrameCorpus {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeFrame(data)
		if err != nil {
			return
		}
		enc := fr.AppendJSON(nil)
		again, err := DecodeFrame(enc)
		if err != nil {
			t.Fatalf("%q decoded, but its encoding %q does not: %v", data, enc, err)
		}
		if !reflect.DeepEqual(again, fr) {
			t.Fatalf("%q: %+v re-decodes as %+v", data, fr, again)
		}
		if enc2 := again.AppendJSON(nil); !bytes.Equal(enc, enc2) {
			t.Fatalf("%q encodes as %q, then %q", data, enc, enc2)
		}
	})
}

// FuzzHello: the hello decoder never panics, and what it accepts is a
// valid hello.
func FuzzHello(f *testing.F) {
	for _, s := range []string{`{"t":"hello","v":1,"code":"K7QM3P","as":"student","name":"Ada","token":"","mode":"lockstep"}`,
		`{"t":"hello","v":1,"code":"K7QM3P","as":"teacher","key":"abc"}`, `{"t":"hello","v":1,"code":"k7qm3p","as":"projector","mode":"views"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := DecodeHello(data)
		if err != nil {
			return
		}
		if !ValidCode(h.Code) || (h.Mode != "lockstep" && h.Mode != "views") || h.V != ProtocolVersion {
			t.Fatalf("%q accepted as %+v", data, h)
		}
		switch h.As {
		case "student":
			if h.Token == "" && CheckName(h.Name) != nil {
				t.Fatalf("%q: a new student without a valid name: %+v", data, h)
			}
		case "teacher":
			if h.Key == "" {
				t.Fatalf("%q: a teacher without a key", data)
			}
		case "projector":
		default:
			t.Fatalf("%q: as %q", data, h.As)
		}
	})
}

// FuzzRoomFrame: whatever a seat sends, the room answers without a panic,
// and a frame it refuses changes neither its inputs nor its state.
func FuzzRoomFrame(f *testing.F) {
	for _, s := range []string{`{"t":"act","seq":7,"text":"crash S3"}`, `{"t":"act","seq":8,"text":"   "}`,
		`{"t":"act","seq":9,"text":"deliver m1"}`, `{"t":"clock","seq":8,"op":"goto","at":5}`,
		`{"t":"role","seq":9,"seat":1,"role":"server","server":"S9"}`, `{"t":"hash","at":0,"hash":"0123456789abcdef"}`} {
		f.Add(uint8(1), []byte(s))
		f.Add(uint8(0), []byte(s))
	}
	for _, s := range classFrameCorpus {
		f.Add(uint8(1), []byte(s))
		f.Add(uint8(0), []byte(s))
	}
	c := newClass(f, Spec{File: "t.scn", Scenario: testScenario, Seed: 1})
	c.join("Ada")
	c.frame(Teacher, `{"t":"lesson","seq":%d,"op":"start","lessons":["01-elections"]}`)
	c.frame(Teacher, `{"t":"role","seq":%d,"seat":1,"role":"server","server":"S2"}`)
	f.Fuzz(func(t *testing.T, seat uint8, data []byte) {
		n, hash := c.r.n, c.r.Hash()
		o := c.r.Frame(SeatID(seat%3), data, c.nowMs)
		if len(o.Refused) > 0 && (c.r.n != n || c.r.Hash() != hash) {
			t.Fatalf("refused %q (%v) but the room changed", data, o.Refused)
		}
	})
}

// FuzzFrameMatchesJSON checks the hand-written scanner against
// encoding/json: a frame it accepts is valid JSON that json.Unmarshal reads
// to the same frame, and valid JSON of a flat object is never refused as
// "not JSON".
func FuzzFrameMatchesJSON(f *testing.F) {
	for _, s := range []string{`{"t":"act","seq":7,"text":"crash S3"}`, `{"t":"act","seq":7,"text":"\u00e9\n\ud800"}`,
		`{"t":"hash","at":-0,"hash":"0123456789abcdef"}`, `{"t":"clock","seq":1e2,"op":"goto","at":5}`,
		` {"t" : "resync"} `, `{"t":"act","seq":01}`, `{"a":[1,{"b":null}],"t":true}`, `{"t":"close","seq":9223372036854775808}`} {
		f.Add([]byte(s))
	}
	for _, s := range classFrameCorpus {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeFrame(data)
		if err == nil {
			if !json.Valid(data) {
				t.Fatalf("%q accepted, but it is not JSON", data)
			}
			var g Frame
			if err := json.Unmarshal(data, &g); err != nil || !reflect.DeepEqual(g, fr) {
				t.Fatalf("%q: decoded %+v, json.Unmarshal %+v (%v)", data, fr, g, err)
			}
			return
		}
		var m map[string]any
		if len(data) > FrameBytesMax || json.Unmarshal(data, &m) != nil || m == nil {
			return
		}
		for _, v := range m {
			switch v.(type) {
			case string, float64, bool, nil:
			default:
				return // nested values: refused unless a class frame's field
			}
		}
		if strings.Contains(err.Error(), "not JSON") {
			t.Fatalf("%q is JSON, but refused: %v", data, err)
		}
	})
}

// classFrameCorpus seeds the fuzz targets with the class's frames.
var classFrameCorpus = []string{
	`{"t":"lesson","seq":3,"op":"start","lessons":["01-elections","02-replication"]}`,
	`{"t":"lesson","seq":4,"op":"stop"}`,
	`{"t":"progress","seq":5,"lesson":"01-elections","from":0,"ops":[{"op":"answer","at":0,"choice":"b"},{"op":"act","at":5000,"text":"crash leader"}],"now":9000,"wall":[{"step":"first-leader","ms":1200}]}`,
	`{"t":"progress","seq":6,"lesson":"01-elections","from":0,"ops":[{"op":"answer","at":0,"choice":"b"}],"now":1200000,"step":"first-leader","hash":"0123456789abcdef"}`,
	`{"t":"progress","seq":7,"lesson":"01-elections","from":0,"ops":[{"op":"next","at":0}],"now":0}`,
	`{"t":"progress","seq":8,"lesson":"01-elections","from":0,"ops":[{"op":"hint","at":1,"text":"x"}],"now":1}`,
	`{"t":"progress","seq":9,"lesson":"01-elections","from":0,"ops":[[]],"now":1}`,
	`{"t":"ask","seq":10,"lesson":"01-elections","what":"hint"}`,
	`{"t":"hold","seq":11,"lesson":"01-elections","step":"crash-leader"}`,
	`{"t":"answer","seq":12,"lesson":"01-elections","step":"crash-leader","round":1,"choice":"b"}`,
	`{"t":"vote","seq":13,"op":"again"}`, `{"t":"vote","seq":14,"op":"reveal"}`,
	`{"t":"hint","seq":15,"to":0,"text":"Look at the terms."}`, `{"t":"watch","seq":16,"seat":1}`, `{"t":"watch","seq":17,"seat":-1}`,
	`{"t":"hunt","seq":18,"op":"start","bug":"forget-vote-on-restart","scenario":"manual-sandbox.scn"}`,
	`{"t":"hunt","seq":19,"op":"end"}`,
	`{"t":"submit","seq":20,"recording":{"format":"smrlab-trace","major":1,"actions":[]},"guess":"forget-vote-on-restart"}`,
}
