package main

import (
	"fmt"
	"io"

	"smrlab/core/raft"
	"smrlab/core/sim"
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

func cmdNemeses(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("nemeses", stdout)
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	for _, n := range sim.Nemeses {
		fmt.Fprintf(stdout, "%-16s %s\n", n.Name, n.Summary)
	}
	return nil
}
