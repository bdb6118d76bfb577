package web

import (
	"io/fs"
	"strings"
	"testing"
)

// The labserver serves "/" as index.html; a checkout without it would serve
// a 404 to every student.
func TestStaticHasIndex(t *testing.T) {
	b, err := fs.ReadFile(Static(), "index.html")
	if err != nil {
		t.Fatalf("embedded web/static: %v", err)
	}
	if page := strings.ToLower(string(b)); !strings.Contains(page, "<!doctype html") && !strings.Contains(page, "<html") {
		t.Errorf("index.html does not look like HTML: %.80q", b)
	}
}
