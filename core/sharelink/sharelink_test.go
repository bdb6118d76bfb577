package sharelink

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/lab"
	"smrlab/core/sim"
)

func deflated(t testing.TB, s string) string {
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestCompression)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return Key + base64.RawURLEncoding.EncodeToString(buf.Bytes())
}

// truncated cuts the deflated bytes of a fragment short, as a link pasted
// incompletely would be.
func truncated(t *testing.T, frag string) string {
	raw, err := base64.RawURLEncoding.DecodeString(frag[len(Key):])
	require.NoError(t, err)
	return Key + base64.RawURLEncoding.EncodeToString(raw[:len(raw)/2])
}

func TestShareRoundTripReproducesTheRun(t *testing.T) {
	s := openDefault(t, 11)
	s.Advance(1 * sim.Second)
	require.NoError(t, s.Act("crash leader"))
	s.Advance(1 * sim.Second)
	h := s.Recording()
	frag, err := Encode(&h)
	require.NoError(t, err)
	require.Less(t, len(frag), 2000, "a default-cluster link stays short")
	got, err := Decode("#" + frag)
	require.NoError(t, err)
	require.Equal(t, h, *got)
	again, err := lab.OpenRecording(got)
	require.NoError(t, err)
	require.Equal(t, s.StateHash(), again.StateHash())
}

func TestDecodeRefuses(t *testing.T) {
	good := func() string {
		s := openDefault(t, 1)
		h := s.Recording()
		f, err := Encode(&h)
		require.NoError(t, err)
		return f
	}()
	cases := map[string]string{
		"x=abc":  "must start with r=",
		"r=***":  "not base64url",
		"r=AAAA": "damaged",
		deflated(t, `{"format":"smrlab-trace","major":1,"surprise":1}`):     "byte 46: unknown key \"surprise\"",
		deflated(t, `{"format":"smrlab-trace","seed":12}`):                  "byte 32: want a string",
		deflated(t, `{"format":"smrlab-trace","seed":"-1"}`):                "not a whole number",
		deflated(t, `{"format":"smrlab-trace","major":1.5}`):                "1.5: not a whole number",
		deflated(t, `{"format":"smrlab-trace","bugs":["a",]}`):              "want a string",
		deflated(t, `{"format":"smrlab-trace"} x`):                          "after the value",
		deflated(t, `{"format":"smrlab-trace"`):                             "want a comma or }",
		deflated(t, `{"format":"other","major":1}`):                         "format \"other\"",
		deflated(t, `{"format":"smrlab-trace","major":2}`):                  "version 2.0",
		deflated(t, `{"format":"smrlab-trace","major":1,"scenario":"zap"}`): "unknown directive \"zap\"",
		deflated(t, `{"format":"smrlab-trace","major":1,"until":-5}`):       "negative stop time",
		deflated(t, `[1,2]`): "not a recording",
		deflated(t, `{"format":"smrlab-trace","major":1,"actions":["at 1s crash S9"]}`): "no server \"S9\"",
		"r=" + strings.Repeat("A", FragmentMax):                                         "over the limit",
		deflated(t, strings.Repeat(" ", JSONMax+10)):                                    "inflates past the limit",
		truncated(t, good): "damaged",
	}
	for frag, want := range cases {
		_, err := Decode(frag)
		require.Error(t, err, frag)
		require.Contains(t, err.Error(), want, frag[:min(len(frag), 60)])
		require.True(t, strings.HasPrefix(err.Error(), "shared link: "), err.Error())
	}
}

func FuzzDecode(f *testing.F) {
	s, err := lab.OpenDefault(lab.Options{Seed: 1, SeedSet: true})
	require.NoError(f, err)
	require.NoError(f, s.Act("crash S1"))
	h := s.Recording()
	good, err := Encode(&h)
	require.NoError(f, err)
	f.Add(good)
	f.Add("r=")
	f.Add("#r=AAAA")
	f.Add(deflated(f, `{"format":"smrlab-trace","major":1,"scenario":"servers 3\nat 1s crash S2\n","until":5}`))
	f.Fuzz(func(t *testing.T, frag string) {
		h, err := Decode(frag)
		if err != nil {
			return
		}
		// Whatever decodes must open, run and encode again.
		if h.Until == 0 || h.Until > 2*sim.Second {
			h.Until = 2 * sim.Second
		}
		if _, err := lab.OpenRecording(h); err != nil {
			t.Fatalf("decoded but does not open: %v", err)
		}
		if _, err := Encode(h); err != nil && !strings.Contains(err.Error(), "too long") {
			t.Fatal(err)
		}
	})
}

func openDefault(t *testing.T, seed uint64) *lab.Session {
	t.Helper()
	s, err := lab.OpenDefault(lab.Options{Seed: seed, SeedSet: true})
	require.NoError(t, err)
	return s
}
