package lab

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"smrlab/core/trace"
)

// Limits of a shared link.
const (
	// ShareFragmentMax bounds the encoded fragment a link may carry.
	ShareFragmentMax = 64 << 10
	// ShareJSONMax bounds what the fragment inflates to.
	ShareJSONMax = 2 << 20
)

// ShareKey is the URL fragment key of a shared recording: #r=....
const ShareKey = "r="

// EncodeShare turns a recording into a URL fragment (without the #): the
// header as JSON, deflated and base64url-encoded, so that a link carries the
// scenario, the seed, the bug toggles and every action. The JSON is written
// and read without encoding/json, which the browser's build leaves out.
func EncodeShare(h *trace.Header) (string, error) {
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
	frag := ShareKey + base64.RawURLEncoding.EncodeToString(buf.Bytes())
	if len(frag) > ShareFragmentMax {
		return "", fmt.Errorf("the recording is too long to share as a link (%d bytes, limit %d): export it instead",
			len(frag), ShareFragmentMax)
	}
	return frag, nil
}

// DecodeShare reads a URL fragment written by EncodeShare (with or without
// the leading #) and checks that it is a recording this build can run.
func DecodeShare(frag string) (*trace.Header, error) {
	frag = strings.TrimPrefix(frag, "#")
	if len(frag) > ShareFragmentMax {
		return nil, fmt.Errorf("shared link: %d bytes, over the limit of %d", len(frag), ShareFragmentMax)
	}
	data, ok := strings.CutPrefix(frag, ShareKey)
	if !ok {
		return nil, errors.New("shared link: the part after # must start with r=")
	}
	raw, err := base64.RawURLEncoding.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("shared link: not base64url: %w", err)
	}
	js, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), ShareJSONMax+1))
	if err != nil {
		return nil, fmt.Errorf("shared link: damaged (it does not inflate): %w", err)
	}
	if len(js) > ShareJSONMax {
		return nil, fmt.Errorf("shared link: inflates past the limit of %d bytes", ShareJSONMax)
	}
	return ParseShared(js)
}

// ParseShared reads the recording a shared link carries, once inflated, and
// checks that it is one this build can run. The browser's simulator takes
// links this way: the page's worker inflates them with the browser's own
// DecompressionStream (and deflates them with its CompressionStream), so
// that the simulator's build carries no compress/flate.
func ParseShared(js []byte) (*trace.Header, error) {
	h, err := trace.ParseHeaderJSON(js)
	if err != nil {
		return nil, fmt.Errorf("shared link: not a recording: %w", err)
	}
	if err := CheckHeader(&h); err != nil {
		return nil, fmt.Errorf("shared link: %w", err)
	}
	return &h, nil
}

// CheckHeader refuses a recording of another format or major version, or
// one whose inputs do not parse.
func CheckHeader(h *trace.Header) error {
	if h.Format != trace.Format {
		return fmt.Errorf("format %q is not %q", h.Format, trace.Format)
	}
	if h.Major != trace.VersionMajor {
		return fmt.Errorf("recording version %d.%d; this build reads version %d.x only", h.Major, h.Minor,
			trace.VersionMajor)
	}
	if len(h.Actions) > SessionActionsMax {
		return fmt.Errorf("%d actions, over the limit of %d", len(h.Actions), SessionActionsMax)
	}
	if h.Until < 0 {
		return fmt.Errorf("negative stop time %d", h.Until)
	}
	_, err := InputsOf(h)
	return err
}
