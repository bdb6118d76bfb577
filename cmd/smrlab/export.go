package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"smrlab/core/export"
	"smrlab/core/trace"
)

func cmdExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", stdout)
	format := fs.String("format", "", "the format: "+export.Names()+" (default: from the -o file's extension)")
	out := fs.String("o", "", "write to `FILE` (default: standard output)")
	list := fs.Bool("list", false, "list the formats and exit")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *list {
		for _, f := range export.Formats() {
			fmt.Fprintf(stdout, "%-10s %-7s %s\n", f.Name, f.Ext, f.Description)
		}
		return nil
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitError{2}
	}
	name, err := exportFormat(*format, *out)
	if err != nil {
		fmt.Fprintf(stderr, "smrlab export: %v\n", err)
		return exitError{2}
	}
	tr, err := readTrace(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "smrlab export: %v\n", err)
		return exitError{1}
	}
	start := time.Now()
	if err := writeExport(*out, stdout, name, pos[0], tr); err != nil {
		fmt.Fprintf(stderr, "smrlab export: %v\n", err)
		return exitError{1}
	}
	if *out != "" {
		fmt.Fprintf(stdout, "export    %s of %s (%d events) written to %s in %s\n", name, pos[0], len(tr.Events), *out,
			time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// exportFormat is the format asked for, or the one the output file's
// extension names.
func exportFormat(format, out string) (string, error) {
	if format != "" {
		f, err := export.Lookup(format)
		return f.Name, err
	}
	ext := strings.ToLower(filepath.Ext(out))
	for _, f := range export.Formats() {
		if ext != "" && f.Ext == ext {
			return f.Name, nil
		}
	}
	if out == "" {
		return "", fmt.Errorf("--format is missing: want one of %s", export.Names())
	}
	return "", fmt.Errorf("--format is missing and %s's extension names no format: want one of %s", out, export.Names())
}

// writeExport writes to path, or to stdout without one; a failed export
// leaves no partial file behind.
func writeExport(path string, stdout io.Writer, format, from string, tr *trace.Trace) error {
	write := func(w io.Writer) error {
		err := export.Write(w, format, tr)
		if err != nil {
			return fmt.Errorf("%s: %w", from, err)
		}
		return nil
	}
	if path == "" {
		return write(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return errors.Join(err, os.Remove(path))
	}
	return nil
}
