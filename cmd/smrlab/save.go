package main

import (
	"fmt"
	"io"
	"os"

	"smrlab/core/lab"
	"smrlab/core/trace"
	"smrlab/core/tracefile"
)

// recordingBytesMax bounds a recording or trace file save-scenario reads.
const recordingBytesMax = 256 << 20

func cmdSaveScenario(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("save-scenario", stdout)
	out := fs.String("o", "", "write the scenario to this file (default: standard output)")
	file, err := oneFile(fs, args)
	if err != nil {
		return err
	}
	h, err := readRecording(file)
	if err != nil {
		return err
	}
	text, err := lab.ScenarioOf(h)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if *out == "" {
		_, err = io.WriteString(stdout, text)
		return err
	}
	if err := os.WriteFile(*out, []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s: %d recorded actions; run it with: smrlab run %s\n", *out, len(h.Actions), *out)
	return nil
}

// readRecording reads a session's inputs from a recording as the browser
// saves it (the trace header as JSON) or from a trace file (msgpack or JSON
// Lines), as the browser's import does.
func readRecording(path string) (*trace.Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, recordingBytesMax+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > recordingBytesMax {
		return nil, fmt.Errorf("%s: over the limit of %d bytes", path, recordingBytesMax)
	}
	h, _, err := tracefile.DecodeRecording(data)
	if err == nil {
		err = lab.CheckHeader(&h)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &h, nil
}
