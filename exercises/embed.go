// Package exercises holds the classroom exercises as data (*.exercise, see
// README.md) and hands them to the lab server, which keeps an exercise's
// text with each room it opens.
package exercises

import (
	"embed"
	"slices"
	"strings"

	"smrlab/core/room"
)

//go:embed *.exercise
var files embed.FS

// Source returns the text of the exercise called name.
func Source(name string) ([]byte, bool) {
	if strings.ContainsAny(name, "/\\.") || name == "" {
		return nil, false
	}
	b, err := files.ReadFile(name + ".exercise")
	return b, err == nil
}

// Names lists the shipped exercises, sorted.
func Names() []string {
	entries, _ := files.ReadDir(".") // the embedded root always reads
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".exercise"))
	}
	slices.Sort(out)
	return out
}

// Info describes an exercise for the teacher's list (GET /api/exercises).
type Info struct {
	Name     string   `json:"name"`
	Title    string   `json:"title"`
	Summary  string   `json:"summary"`
	Scenario string   `json:"scenario"`
	Roles    []string `json:"roles"`
}

// List parses every shipped exercise and describes it.
func List() ([]Info, error) {
	var out []Info
	for _, name := range Names() {
		src, _ := Source(name)
		ex, err := room.ParseExercise(name+".exercise", src)
		if err != nil {
			return nil, err
		}
		info := Info{Name: ex.Name, Title: ex.Title, Summary: ex.Summary, Scenario: ex.Scenario}
		if info.Scenario == "" {
			info.Scenario = ex.Name + ".scn"
		}
		for _, a := range ex.Assign {
			if !slices.Contains(info.Roles, a.Role) {
				info.Roles = append(info.Roles, a.Role)
			}
		}
		out = append(out, info)
	}
	return out, nil
}
