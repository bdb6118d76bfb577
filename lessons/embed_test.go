package lessons

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every shipped lesson parses from the embedded files with the shipped
// scenarios, as the lab server loads them to replay students' logs.
func TestEveryLessonLoads(t *testing.T) {
	infos, err := List()
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != len(Names()) || len(infos) < 9 {
		t.Fatalf("List gave %d lessons of %d files; the course ships at least 9", len(infos), len(Names()))
	}
	for _, in := range infos {
		if in.Steps == 0 || in.Title == "" {
			t.Errorf("%s: %d steps, title %q", in.Name, in.Steps, in.Title)
		}
	}
	if _, err := Load("../go"); err == nil {
		t.Error("Load accepted a path outside the lessons")
	}
	if _, err := Load("no-such-lesson"); err == nil {
		t.Error("Load accepted an unknown lesson")
	}
}

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
