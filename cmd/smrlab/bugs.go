package main

import (
	"fmt"
	"io"

	"smrlab/core/raft"
)

func cmdBugs(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bugs", stdout)
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	for _, d := range raft.BugDocs() {
		fmt.Fprintf(stdout, "%s\n    %s\n    caught by: %s\n    reference: %s\n", d.Name, d.Summary, d.CaughtBy, d.Reference)
	}
	return nil
}
