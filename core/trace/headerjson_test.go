package trace

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// AppendJSON writes what json.Marshal writes, and ParseHeaderJSON reads it
// back, as it reads json.MarshalIndent's layout.
func TestHeaderJSON(t *testing.T) {
	for _, h := range []Header{
		NewHeader(),
		{Format: Format, Major: VersionMajor, Minor: 3, ScenarioName: "a <b> & \"c\".scn",
			Scenario: "servers 3\n\tat 1s crash S1 # \u2028 é \x01\n", Seed: 1<<64 - 1,
			Bugs: []string{"commit-previous-term"}, Actions: []string{}, Until: -5},
		{Bugs: []string{}, Actions: []string{"at 1.5s crash S2", "at 2s restart S2"}, Until: 1 << 62},
	} {
		want, err := json.Marshal(&h)
		if err != nil {
			t.Fatal(err)
		}
		got := h.AppendJSON(nil)
		if !bytes.Equal(got, want) {
			t.Errorf("AppendJSON:\n got %s\nwant %s", got, want)
		}
		indented, _ := json.MarshalIndent(&h, "", "  ")
		for _, in := range [][]byte{got, indented} {
			back, err := ParseHeaderJSON(in)
			if err != nil || !reflect.DeepEqual(back, h) {
				t.Errorf("ParseHeaderJSON(%s) = %+v, %v; want %+v", in, back, err, h)
			}
		}
	}
	if _, err := ParseHeaderJSON([]byte(`{"format":"smrlab-trace","Seed":"1"}`)); err == nil ||
		!strings.Contains(err.Error(), `unknown key "Seed"`) {
		t.Errorf("a key in another case: error %v, want unknown key", err)
	}
}
