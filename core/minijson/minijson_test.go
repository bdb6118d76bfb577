package minijson

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

var strs = []string{"", "plain", "<a href=\"x\">&amp;</a>", "tab\tnew\nline\r\b\f\x00\x1f\x7f", "\u2028\u2029",
	"é€😀", "bad \xff\xfe utf-8", "\xed\xa0\x80", `back\slash "quote"`, "/slash"}

// AppendString and Reader.String agree with encoding/json on every string.
func FuzzString(f *testing.F) {
	for _, s := range strs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
		}
		var back string
		if err := json.Unmarshal(want, &back); err != nil {
			t.Fatal(err)
		}
		r := NewReader(want)
		got, err := r.String()
		if err != nil || got != back || r.End() != nil {
			t.Fatalf("String(%s) = %q, %v; want %q", want, got, err, back)
		}
	})
}

// Reader.String reads JSON escapes as encoding/json does, lone surrogates
// included, and refuses what it refuses.
func FuzzReadString(f *testing.F) {
	for _, s := range []string{`"\u00e9\ud83d\ude00"`, `"\ud800"`, `"\ud800\u0041"`, `"\udc00\ud800"`, `"a\/b"`,
		`"\x"`, `"unterminated`, "\"ctl\x01\"", `"\u12"`, `"\uD83D\uDE00"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var want string
		werr := json.Unmarshal([]byte(in), &want)
		r := NewReader([]byte(in))
		got, err := r.String()
		if err == nil {
			err = r.End()
		}
		if strings.TrimSpace(in) == "null" {
			return // encoding/json leaves the string as it was; String reads ""
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("String(%q): error %v, encoding/json's %v", in, err, werr)
		}
		if err == nil && got != want {
			t.Fatalf("String(%q) = %q, want %q", in, got, want)
		}
	})
}

func TestAppendFloat(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 0.1, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789.123, -5e-324, math.MaxFloat64} {
		want, _ := json.Marshal(f)
		if got := AppendFloat(nil, f); !bytes.Equal(got, want) {
			t.Errorf("AppendFloat(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestReaderObject(t *testing.T) {
	type rec struct {
		Name  string   `json:"name"`
		N     int64    `json:"n"`
		U     uint64   `json:"u,string"`
		On    bool     `json:"on"`
		Tags  []string `json:"tags"`
		Count uint64   `json:"count"`
	}
	read := func(in string) (rec, error) {
		var v rec
		r := NewReader([]byte(in))
		err := r.Object(func(key string) error {
			var err error
			switch key {
			case "name":
				v.Name, err = r.String()
			case "n":
				v.N, err = r.Int()
			case "u":
				v.U, err = r.QuotedUint()
			case "on":
				v.On, err = r.Bool()
			case "tags":
				v.Tags, err = r.Strings()
			case "count":
				v.Count, err = r.Uint()
			default:
				err = r.UnknownKey(key)
			}
			return err
		})
		if err == nil {
			err = r.End()
		}
		return v, err
	}
	good := rec{Name: "S1 <x>", N: -9223372036854775808, U: 18446744073709551615, On: true, Tags: []string{"a", ""},
		Count: 7}
	js, _ := json.MarshalIndent(good, " ", "\t")
	if got, err := read(string(js)); err != nil || got.Name != good.Name || got.N != good.N || got.U != good.U ||
		!got.On || len(got.Tags) != 2 || got.Count != 7 {
		t.Fatalf("read(%s) = %+v, %v", js, got, err)
	}
	if got, err := read(`{"tags":null,"name":null,"on":false,"tags":[]}`); err != nil || got.Tags == nil || got.Name != "" {
		t.Fatalf("nulls: %+v, %v", got, err)
	}
	for in, want := range map[string]string{
		``:                           "byte 0: want an object",
		`[]`:                         "byte 0: want an object",
		`{"name":"a"`:                "byte 11: want a comma or }",
		`{"name" "a"}`:               "byte 8: want a colon",
		`{name:1}`:                   "byte 1: want a quoted key",
		`{"x":1}`:                    `byte 5: unknown key "x"`,
		`{"n":1.5}`:                  "byte 5: 1.5: not a whole number",
		`{"n":99999999999999999999}`: "not a whole number",
		`{"count":-1}`:               "-1: not a whole number",
		`{"u":"x"}`:                  `"x": not a whole number`,
		`{"u":1}`:                    "want a string",
		`{"on":"yes"}`:               "want true or false",
		`{"tags":["a" "b"]}`:         "want a comma or ]",
		`{"tags":"a"}`:               "want an array of strings",
		`{"n":}`:                     "want a number",
		`{} {}`:                      "byte 3: unexpected '{' after the value",
	} {
		if _, err := read(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("read(%q): error %v, want one containing %q", in, err, want)
		}
	}
}

// Indent lays out what json.MarshalIndent lays out.
func TestIndent(t *testing.T) {
	for _, v := range []any{
		map[string]any{"a": []string{}, "b": []string{"x,y", `"{[`}, "c": map[string]int{}, "d": nil, "e": 1.5},
		[]any{[]any{}, map[string]any{"k": []any{map[string]any{}}}},
		"s", 3, nil,
	} {
		compact, _ := json.Marshal(v)
		want, _ := json.MarshalIndent(v, "", "  ")
		if got := Indent(nil, compact, "  "); !bytes.Equal(got, want) {
			t.Errorf("Indent(%s) =\n%s\nwant\n%s", compact, got, want)
		}
	}
}
