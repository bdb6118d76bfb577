package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
)

// listed is one scenario in `smrlab list --json`, the browser's catalogue.
type listed struct {
	File        string `json:"file"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Servers     int    `json:"servers"`
	Bugs        string `json:"bugs,omitempty"`
}

func cmdList(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("list", stdout)
	asJSON := fs.Bool("json", false, "print the catalogue as JSON (the browser lab's scenarios/index.json)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		if pos, err = filepath.Glob("scenarios/*.scn"); err != nil {
			return err
		}
	}
	out := []listed{}
	for _, p := range pos {
		sc, err := loadScenario(p)
		if err != nil {
			return err
		}
		l := listed{File: filepath.Base(p), Name: sc.Name, Description: sc.Description, Servers: sc.Config.Servers}
		for _, n := range sc.Config.Nodes {
			if n.Bugs != 0 {
				l.Bugs = n.Bugs.String()
			}
		}
		out = append(out, l)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, l := range out {
		fmt.Fprintf(stdout, "%-32s %s\n", l.File, l.Description)
	}
	return nil
}
