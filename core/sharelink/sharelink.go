// Package sharelink writes and reads shared links: a run's recording (the
// trace header as JSON: scenario, seed, bug toggles and every action) in a
// URL fragment, #r=..., deflated and base64url-encoded. The command line
// makes links with it; the browser's page does the same with the browser's
// own CompressionStream (web/static/worker.js) and hands the simulator the
// inflated recording (lab.ParseShared), so that its download carries no
// compressor.
package sharelink

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"smrlab/core/lab"
	"smrlab/core/trace"
)

// Limits of a shared link.
const (
	// FragmentMax bounds the encoded fragment a link may carry.
	FragmentMax = 64 << 10
	// JSONMax bounds what the fragment inflates to.
	JSONMax = 2 << 20
)

// Key is the URL fragment key of a shared recording: #r=....
const Key = "r="

// Encode turns a recording into a URL fragment (without the #): the header
// as JSON, deflated and base64url-encoded, so that a link carries the
// scenario, the seed, the bug toggles and every action.
func Encode(h *trace.Header) (string, error) {
	js := h.AppendJSON(nil)
	var buf bytes.Buffer
	zw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return "", err
	}
	if _, err := zw.Write(js); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	frag := Key + base64.RawURLEncoding.EncodeToString(buf.Bytes())
	if len(frag) > FragmentMax {
		return "", fmt.Errorf("the recording is too long to share as a link (%d bytes, limit %d): export it instead",
			len(frag), FragmentMax)
	}
	return frag, nil
}

// Decode reads a URL fragment written by Encode (with or without the
// leading #) and checks that it is a recording this build can run.
func Decode(frag string) (*trace.Header, error) {
	frag = strings.TrimPrefix(frag, "#")
	if len(frag) > FragmentMax {
		return nil, fmt.Errorf("shared link: %d bytes, over the limit of %d", len(frag), FragmentMax)
	}
	data, ok := strings.CutPrefix(frag, Key)
	if !ok {
		return nil, errors.New("shared link: the part after # must start with r=")
	}
	raw, err := base64.RawURLEncoding.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("shared link: not base64url: %w", err)
	}
	js, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), JSONMax+1))
	if err != nil {
		return nil, fmt.Errorf("shared link: damaged (it does not inflate): %w", err)
	}
	if len(js) > JSONMax {
		return nil, fmt.Errorf("shared link: inflates past the limit of %d bytes", JSONMax)
	}
	return lab.ParseShared(js)
}
