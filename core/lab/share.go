package lab

import (
	"fmt"

	"smrlab/core/trace"
)

// ParseShared reads the recording a shared link carries, once inflated
// (core/sharelink), and checks that it is one this build can run. The
// browser's simulator takes links this way: the page's worker inflates them
// with the browser's own DecompressionStream (and deflates them with its
// CompressionStream), so that the simulator's build carries neither
// compress/flate nor core/sharelink.
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
