// Package lessons embeds the course's lesson files, so that a class room
// starts a lesson named by its file ("01-elections") without reading the
// disk: the room keeps the lesson's text with the input that started it.
package lessons

import (
	"embed"
	"slices"
	"strings"
)

//go:embed *.lesson
var files embed.FS

// Source returns the text of the lesson file name ("01-elections", with or
// without ".lesson").
func Source(name string) ([]byte, bool) {
	name = strings.TrimSuffix(name, ".lesson")
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return nil, false
	}
	b, err := files.ReadFile(name + ".lesson")
	return b, err == nil
}

// Names lists the course's lessons by file name without ".lesson", in
// course order.
func Names() []string {
	entries, _ := files.ReadDir(".") // the embedded root always reads
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".lesson"))
	}
	slices.Sort(out)
	return out
}
