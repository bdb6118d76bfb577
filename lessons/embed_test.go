package lessons

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmbedsTheCourse: every lesson file is embedded, by name.
func TestEmbedsTheCourse(t *testing.T) {
	files, _ := filepath.Glob("*.lesson")
	names := Names()
	if len(files) == 0 || len(names) != len(files) {
		t.Fatalf("embedded %v, files %v", names, files)
	}
	for i, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(f, ".lesson")
		if names[i] != name {
			t.Fatalf("lesson %d is %q, want %q", i, names[i], name)
		}
		got, ok := Source(name)
		if !ok || string(got) != string(want) {
			t.Fatalf("Source(%q) differs from the file", name)
		}
	}
	for _, bad := range []string{"", "../go.mod", "01-elections/x", "README.md"} {
		if _, ok := Source(bad); ok {
			t.Fatalf("Source(%q) found something", bad)
		}
	}
}
