package lesson

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: no lesson file makes the parser panic; a lesson it accepts
// opens (the world builds) at its first step. The seed corpus is the course.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "lessons", "*.lesson"))
	more, _ := filepath.Glob(filepath.Join("testdata", "*.lesson"))
	for _, file := range append(files, more...) {
		if src, err := os.ReadFile(file); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte(goodHeader + goodStep))
	f.Fuzz(func(t *testing.T, src []byte) {
		l, err := Parse("fuzz.lesson", src, nil)
		if err != nil {
			return
		}
		if len(l.Steps) == 0 || l.Scenario == nil {
			t.Fatalf("accepted a lesson without steps or world")
		}
		setup := int64(0)
		for _, a := range l.Steps[0].Setup {
			setup += a.Wait
		}
		if l.Scenario.Duration > 60_000_000 || setup > 2_000_000 || len(l.Steps[0].Setup) > 20 {
			return // keep each input fast
		}
		if _, err := Open(l, l.Seed, 0); err != nil {
			// A setup may fail at run time (an action the world refuses): an error, not a panic.
			return
		}
	})
}
