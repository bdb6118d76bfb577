package tracefile

import (
	"bytes"
	"encoding/json"

	"smrlab/core/trace"
)

// DecodeRecording reads a run's inputs from a file in either form the lab
// saves: a recording on its own (the trace header as JSON) or a whole trace
// file (msgpack or JSON Lines), whose footer it returns too (zero for a
// recording). The browser's import and `smrlab save-scenario` take both, and
// check the header with lab.CheckHeader before they run it. It lives here,
// not in core/lab, so that the browser's simulator, which imports through
// the file tools, links neither this package nor encoding/json.
func DecodeRecording(data []byte) (trace.Header, trace.Footer, error) {
	var h trace.Header
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("{")) && json.Valid(trimmed) && !bytes.Contains(data, []byte(`"type":"header"`)) {
		err := json.Unmarshal(trimmed, &h)
		return h, trace.Footer{}, err
	}
	tr, err := Read(bytes.NewReader(data))
	if err != nil {
		return h, trace.Footer{}, err
	}
	return tr.Header, tr.Footer, nil
}
