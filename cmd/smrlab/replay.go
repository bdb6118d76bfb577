package main

import (
	"fmt"
	"io"
	"os"

	"smrlab/core/lab"
	"smrlab/core/trace"
	"smrlab/core/tracefile"
)

func cmdReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("replay", stdout)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitError{2}
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	tr, err := tracefile.Read(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	rep, err := lab.Replay(tr)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	fmt.Fprintf(stdout, "trace     %s: scenario %s, seed %d, %d events to %s\n", pos[0], tr.Header.ScenarioName,
		tr.Header.Seed, len(tr.Events), trace.FormatTime(tr.Footer.EndTime))
	if !rep.Same {
		fmt.Fprintf(stdout, "DIVERGED  %s\n", rep.Divergence)
		return exitError{1}
	}
	fmt.Fprintf(stdout, "replayed  identical: %d events, events hash %016x, state hash %016x\n",
		rep.Result.Events, rep.Result.EventsHash, rep.Result.StateHash)
	return nil
}
