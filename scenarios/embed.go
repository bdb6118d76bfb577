// Package scenarios embeds the shipped scenario files, so that the lab
// server opens a room on a scenario named by its file ("leader-crash.scn")
// without reading the disk or needing `make web` first.
package scenarios

import (
	"embed"
	"slices"
	"strings"
)

//go:embed *.scn
var files embed.FS

// Source returns the text of the shipped scenario file name ("leader-crash.scn").
func Source(name string) ([]byte, bool) {
	if !strings.HasSuffix(name, ".scn") || strings.ContainsAny(name, "/\\") {
		return nil, false
	}
	b, err := files.ReadFile(name)
	return b, err == nil
}

// Names lists the shipped scenario files, sorted.
func Names() []string {
	entries, _ := files.ReadDir(".") // the embedded root always reads
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}
