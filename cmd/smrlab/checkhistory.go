package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"smrlab/core/histfile"
	"smrlab/core/linear"
)

// historyBytesMax bounds the history file check-history reads.
const historyBytesMax = 1 << 30

// Exit codes of check-history beyond 0 (linearizable) and 2 (bad input).
const (
	exitNotLinearizable = 1
	exitUnknown         = 3
)

func cmdCheckHistory(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check-history", stdout)
	format := fs.String("format", "", "the file's format, edn or jsonl (default: by its extension, .edn or .jsonl, else by its content)")
	html := fs.String("html", "", "write Porcupine's visualization of the history to `FILE`")
	timeout := fs.Duration("timeout", linear.DefaultTimeout, "bound the check to `D` of wall-clock time")
	steps := fs.Uint64("steps", 0, "also bound the check to `N` search steps per key (0: no bound), "+
		"which decides the same on every machine")
	file, err := oneFile(fs, args)
	if err != nil {
		return err
	}
	read := histfile.Read
	switch f := strings.ToLower(*format); {
	case f == "edn" || f == "" && strings.EqualFold(filepath.Ext(file), ".edn"):
		read, *format = histfile.ReadEDN, "edn"
	case f == "jsonl" || f == "" && strings.EqualFold(filepath.Ext(file), ".jsonl"):
		read, *format = histfile.ReadJSONL, "jsonl"
	case f != "":
		return fmt.Errorf("--format %q: want edn or jsonl", *format)
	}
	src, err := readHistoryFile(file)
	if err != nil {
		return err
	}
	h, err := read(src)
	if err != nil {
		return fmt.Errorf("%s:%w", file, err)
	}
	fmt.Fprintf(stdout, "history   %s (%s): %d events, %d operations by %d processes", file, formatName(h.Format),
		h.Events, len(h.Ops), h.Processes)
	if h.Skipped > 0 {
		fmt.Fprintf(stdout, "; %d events of other processes left out", h.Skipped)
	}
	fmt.Fprintln(stdout)
	if len(h.Ops) == 0 {
		fmt.Fprintln(stdout, "verdict   nothing to check: the file holds no client operation")
		return nil
	}
	res := linear.CheckWith(h.Ops, linear.Options{Timeout: *timeout, Steps: *steps, Now: time.Now})
	code := 0
	switch res.Verdict {
	case linear.Linearizable:
		fmt.Fprintf(stdout, "verdict   %v\n", res)
	case linear.NotLinearizable:
		code = exitNotLinearizable
		fmt.Fprintf(stdout, "verdict   NOT %v\n", strings.TrimPrefix(res.String(), "not "))
		printViolation(stdout, h, res.Violation)
	default:
		code = exitUnknown
		fmt.Fprintf(stdout, "verdict   UNKNOWN: %s; a larger --timeout or --steps may decide it\n",
			strings.TrimPrefix(res.String(), "unknown: "))
	}
	if *html != "" {
		if err := writeHTMLFile(*html, h.Ops, res); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "html      Porcupine's visualization written to %s\n", *html)
	} else if code == exitNotLinearizable {
		fmt.Fprintln(stdout, "html      rerun with --html FILE to see the history in Porcupine's visualization")
	}
	if code != 0 {
		return exitError{code}
	}
	return nil
}

func formatName(f string) string {
	if f == "edn" {
		return "Jepsen EDN"
	}
	return "JSON Lines"
}

// printViolation prints the explanation of a violation, and where the file
// holds each operation it names.
func printViolation(w io.Writer, h *histfile.History, v *linear.Violation) {
	if v == nil {
		return
	}
	for _, line := range strings.Split(v.Explanation, "\n") {
		fmt.Fprintf(w, "          %s\n", line)
	}
	named := v.Stuck
	if n := len(v.Linearized); n > 0 {
		named = append(v.Linearized[max(n-explainNamedMax, 0):n:n], v.Stuck...)
	}
	if !h.Timed {
		fmt.Fprintln(w, "times     not every event has a :time, so the times above are the events' positions in the file")
	}
	fmt.Fprintln(w, "where     the operations named above are in the file at")
	for _, op := range named {
		fmt.Fprintf(w, "          client %d op %d: %s\n", op.Client, op.ID, h.Where(op.Client, op.ID))
	}
}

// explainNamedMax is how many of the linearized operations an explanation
// names (the last ones), as core/linear's explanation does.
const explainNamedMax = 8

func readHistoryFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, historyBytesMax+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(src) > historyBytesMax {
		return nil, fmt.Errorf("%s is larger than %d MiB", path, historyBytesMax>>20)
	}
	return src, nil
}

func writeHTMLFile(path string, ops []linear.Op, res linear.Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := linear.WriteHTML(f, ops, res); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
