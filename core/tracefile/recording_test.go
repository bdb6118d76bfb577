package tracefile

import (
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/trace"
)

// DecodeRecording takes a recording alone (its footer zero) and a whole
// trace in either format (its footer too), and refuses what is neither.
func TestDecodeRecording(t *testing.T) {
	tr := fullTrace()
	rec := append([]byte("  \n"), tr.Header.AppendJSON(nil)...)
	h, f, err := DecodeRecording(rec)
	require.NoError(t, err)
	require.Equal(t, tr.Header, h)
	require.Equal(t, trace.Footer{}, f)
	for _, fm := range formats {
		h, f, err := DecodeRecording(encode(t, fm, tr))
		require.NoError(t, err, fm.name)
		require.Equal(t, tr.Header, h, fm.name)
		require.Equal(t, tr.Footer, f, fm.name)
	}
	for _, bad := range []string{``, `{"format":`, "\x00\x01garbage", `{"seed":"12"} {"seed":"13"}`} {
		_, _, err := DecodeRecording([]byte(bad))
		require.Error(t, err, "%q", bad)
	}
}
