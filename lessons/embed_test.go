package lessons

import "testing"

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
