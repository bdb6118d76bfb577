package lab

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"smrlab/core/minijson"
	"smrlab/core/trace"
)

// requireSameJSON fails when AppendJSON's bytes differ from json.Marshal's.
func requireSameJSON(t *testing.T, what string, v *View) {
	t.Helper()
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: json.Marshal: %v", what, err)
	}
	got := v.AppendJSON(nil)
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("%s: AppendJSON differs from json.Marshal at byte %d:\n got: …%s\nwant: …%s", what, i,
			got[max(0, i-80):min(len(got), i+80)], want[max(0, i-80):min(len(want), i+80)])
	}
}

// fill sets every field reachable from v to a value that is not zero (a
// string with characters JSON escapes, a pointer to a filled value, a slice
// and a map of two filled elements), so that a field missing from AppendJSON
// shows as a difference, omitempty or not.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i), n)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fill(v.Index(0), n)
		fill(v.Index(1), n)
	case reflect.Array:
		for i := range v.Len() {
			fill(v.Index(i), n)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for range 2 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, n)
			fill(e, n)
			v.SetMapIndex(k, e)
		}
	case reflect.String:
		v.SetString(string(rune('a'+*n%26)) + "<&>\"\\\n\t\x01\u2028é\xff")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(-int64(*n % 100))
		if v.Int() == 0 {
			v.SetInt(-1)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n%200) + 1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n) / 3)
	default:
		panic("fill: a view field of kind " + v.Kind().String() + ": teach fill and AppendJSON about it")
	}
}

// Every field of the view, filled; and the zero view, whose slices are nil.
func TestViewJSONEveryField(t *testing.T) {
	var v View
	requireSameJSON(t, "the zero view", &v)
	n := 0
	fill(reflect.ValueOf(&v).Elem(), &n)
	requireSameJSON(t, "a view with every field set", &v)
	for _, f := range []float64{0, 1e-7, 1.5e-300, 1e21, 123456789.125, -2.5e22} {
		v.Metrics.LeaderChangesPerMin = f
		requireSameJSON(t, "leaderChangesPerMinute", &v)
	}
	v.Servers[0].Progress = []ProgressView{{}}
	v.Flights, v.Events, v.Cuts = []FlightView{}, []EventView{{}}, [][2]uint32{}
	v.Linear = LinearView{Verdict: "ok"}
	v.Metrics.Rejected = map[string]uint64{}
	requireSameJSON(t, "empty and omitted fields", &v)
}

// The views of real runs: every shipped scenario along its run, with a fork
// and an action, so that violations, snapshots, membership and manual
// choices all show.
func TestViewJSONMatchesEncodingJSON(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.scn")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		s, err := Open(filepath.Base(f), mustRead(t, f), Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		v := s.View()
		requireSameJSON(t, f+" at the start", &v)
		for i := range 6 {
			s.Advance(max(s.End()/6, 1))
			v := s.View()
			requireSameJSON(t, f+" along the run", &v)
			if i == 2 {
				s.GoTo(s.Now() / 2)
				_ = s.Act("crash S1")
				v := s.View()
				requireSameJSON(t, f+" after going back and acting", &v)
			}
		}
		h := s.Recording()
		got := h.AppendJSON(nil)
		want, err := json.Marshal(&h)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: the recording's AppendJSON differs from json.Marshal (%v):\n got %s\nwant %s", f, err, got, want)
		}
		indented, _ := json.MarshalIndent(&h, "", "  ")
		if pretty := minijson.Indent(nil, got, "  "); !bytes.Equal(pretty, indented) {
			t.Fatalf("%s: the recording indented differs from json.MarshalIndent:\n got %s\nwant %s", f, pretty, indented)
		}
		back, err := trace.ParseHeaderJSON(got)
		if err != nil || !reflect.DeepEqual(back, h) {
			t.Fatalf("%s: ParseHeaderJSON(AppendJSON(h)) = %+v, %v; want %+v", f, back, err, h)
		}
	}
}
