// Package lessons embeds the shipped course (*.lesson), so that a class
// room starts a lesson named by its file ("01-elections") and the lab
// server replays a student's lesson log natively on the very lesson the
// page runs, without reading the disk or needing `make web` first (the
// room keeps the lesson's text with the input that started it).
package lessons

import (
	"embed"
	"fmt"
	"slices"
	"strings"

	"smrlab/core/lesson"
	"smrlab/scenarios"
)

//go:embed *.lesson
var files embed.FS

// Names lists the shipped lesson files' ids ("01-elections"), sorted: the
// course's order.
func Names() []string {
	entries, _ := files.ReadDir(".") // the embedded root always reads
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".lesson"))
	}
	slices.Sort(out)
	return out
}

// Source returns the text of the lesson file name ("01-elections", with
// or without ".lesson").
func Source(name string) ([]byte, bool) {
	name = strings.TrimSuffix(name, ".lesson")
	if name == "" || strings.ContainsAny(name, "/\\.") {
		return nil, false
	}
	b, err := files.ReadFile(name + ".lesson")
	return b, err == nil
}

// Scenario reads a scenario a lesson names ("leader-crash", without .scn)
// from the shipped scenarios, as the page's lesson player does.
func Scenario(name string) ([]byte, error) {
	src, ok := scenarios.Source(name + ".scn")
	if !ok {
		return nil, fmt.Errorf("no shipped scenario %s.scn", name)
	}
	return src, nil
}

// Load parses the shipped lesson file name ("01-elections").
func Load(name string) (*lesson.Lesson, error) {
	src, ok := Source(name)
	if !ok {
		return nil, fmt.Errorf("no shipped lesson %q (the lessons are %s)", name, strings.Join(Names(), ", "))
	}
	return lesson.Parse(name+".lesson", src, Scenario)
}

// Info describes a lesson for the teacher's list (GET /api/lessons).
type Info struct {
	Name       string `json:"name"` // the file's name without .lesson: what a lesson frame names
	ID         string `json:"id"`   // the lesson line's id
	Title      string `json:"title"`
	Steps      int    `json:"steps"`
	PerStudent bool   `json:"perStudent"`
}

// List parses every shipped lesson and describes it.
func List() ([]Info, error) {
	var out []Info
	for _, name := range Names() {
		l, err := Load(name)
		if err != nil {
			return nil, err
		}
		out = append(out, Info{Name: name, ID: l.ID, Title: l.Title, Steps: len(l.Steps), PerStudent: l.PerStudent})
	}
	return out, nil
}
