package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
)

func TestPrecompress(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "app.js")
	body := []byte(strings.Repeat("export const term = 1;\n", 200))
	if err := os.WriteFile(name, body, 0o644); err != nil {
		t.Fatal(err)
	}
	decoded := func() []byte {
		t.Helper()
		br, err := os.ReadFile(name + ".br")
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(brotli.NewReader(bytes.NewReader(br)))
		if err != nil {
			t.Fatalf("app.js.br does not decode: %v", err)
		}
		return out
	}

	if err := precompress(name, 11); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(decoded(), body) {
		t.Fatal("app.js.br does not decode to app.js")
	}

	// A .br that matches is left as it is.
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(name+".br", old, old); err != nil {
		t.Fatal(err)
	}
	if err := precompress(name, 11); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(name + ".br"); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("an up-to-date app.js.br was written again")
	}

	// A stale one is replaced, and no temporary file is left.
	edited := []byte(strings.Repeat("export const term = 2;\n", 200))
	if err := os.WriteFile(name, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := precompress(name, 5); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(decoded(), edited) {
		t.Error("a stale app.js.br was not replaced")
	}
	if _, err := os.Stat(name + ".br.tmp"); !os.IsNotExist(err) {
		t.Errorf("a temporary file is left: %v", err)
	}

	if err := precompress(filepath.Join(dir, "missing.js"), 11); err == nil || !strings.Contains(err.Error(), "missing.js") {
		t.Errorf("a missing file: error %v, want one naming it", err)
	}
}
