package lesson

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// readScenario reads a shipped scenario for "world scenario NAME".
func readScenario(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("..", "..", "scenarios", name+".scn"))
}

// loadCourse parses every lesson of the course (lessons/*.lesson).
func loadCourse(t testing.TB) []*Lesson {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "lessons", "*.lesson"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no lessons found: %v", err)
	}
	var out []*Lesson
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		l, err := Parse(f, src, readScenario)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// TestCourse proves every lesson of the course, as `smrlab lesson check
// lessons/` does: so `make test` fails on a lesson that cannot be done.
// courseSeeds is how many students' seeds TestCourse proves each
// per-student lesson on: all of lesson check's default natively, four under
// WebAssembly, whose run proves the same code gives the same verdicts there
// (the native run explores the seeds; make explore runs 200).
func courseSeeds() int {
	if runtime.GOOS == "js" {
		return 4
	}
	return CheckSeedsDefault
}

func TestCourse(t *testing.T) {
	strict(t)
	for _, l := range loadCourse(t) {
		t.Run(l.ID, func(t *testing.T) {
			t.Parallel()
			r := CheckReport(l, Seeds(l, courseSeeds()))
			for _, p := range r.Problems {
				t.Error(p)
			}
			// Steps and actions, not virtual time: a manual-scheduler
			// lesson's solutions may take none.
			if len(r.Seeds) == 0 || r.Checked < r.Steps*len(r.Seeds) || r.Actions < r.Checked {
				t.Errorf("not every step was checked: %d seeds, %d of %d steps, %d actions", len(r.Seeds),
					r.Checked, r.Steps*len(r.Seeds), r.Actions)
			}
		})
	}
}
