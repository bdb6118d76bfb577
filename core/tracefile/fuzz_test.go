package tracefile

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/trace"
)

func FuzzReadMsgpack(f *testing.F) {
	addSeeds(f, formats[0])
	f.Fuzz(func(t *testing.T, data []byte) {
		if tr, err := ReadMsgpack(bytes.NewReader(data)); err == nil {
			requireStable(t, tr)
		}
	})
}

func FuzzReadJSONL(f *testing.F) {
	addSeeds(f, formats[1])
	f.Fuzz(func(t *testing.T, data []byte) {
		if tr, err := ReadJSONL(bytes.NewReader(data)); err == nil {
			requireStable(t, tr)
		}
	})
}

// addSeeds adds valid files in format fm and corrupted copies of them.
func addSeeds(f *testing.F, fm format) {
	for _, tr := range []*trace.Trace{fullTrace(), emptyTrace(), smallTrace()} {
		data := encode(f, fm, tr)
		f.Add(data)
		f.Add(data[:len(data)/2])
		f.Add(append(bytes.Clone(data), data...))
		flipped := bytes.Clone(data)
		flipped[len(flipped)*2/3] ^= 0x41
		f.Add(flipped)
	}
	broken := smallTrace()
	broken.Events[1].Seq = 7
	f.Add(rawEncode(f, fm, broken, true))
}

// requireStable checks that a trace a reader accepted is written again by
// both writers, reads back the same, and re-encodes to the same bytes.
func requireStable(t *testing.T, tr *trace.Trace) {
	if tr.Header.Minor > trace.VersionMinor {
		require.Error(t, WriteMsgpack(io.Discard, tr), "a newer minor version is not written back")
		tr.Header.Minor = trace.VersionMinor
	}
	for _, f := range formats {
		requireRoundTrip(t, f, tr)
	}
}
