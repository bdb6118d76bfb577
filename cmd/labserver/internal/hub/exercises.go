package hub

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"smrlab/core/room"
)

// exerciseList reads every shipped exercise, sorted by file name.
func exerciseList(fsys fs.FS) ([]exerciseInfo, error) {
	list := []exerciseInfo{}
	if fsys == nil {
		return list, nil
	}
	names, err := fs.Glob(fsys, "*.exercise")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading the exercise %s: %w", name, err)
		}
		ex, err := room.ParseExercise(name, src)
		if err != nil {
			return nil, err
		}
		list = append(list, exerciseInfo{
			Name: strings.TrimSuffix(name, ".exercise"), Title: ex.Title, Summary: ex.Summary,
			Scenario: ex.Scenario, Roles: roleNames(ex),
		})
	}
	return list, nil
}

// roleNames lists the roles an exercise hands out, each once, in order.
func roleNames(ex *room.Exercise) []string {
	roles := []string{}
	for _, a := range ex.Assign {
		if !slices.Contains(roles, a.Role) {
			roles = append(roles, a.Role)
		}
	}
	return roles
}
