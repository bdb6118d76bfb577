package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"
)

func brotliBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	bw := brotli.NewWriterLevel(&buf, brotli.BestCompression)
	if _, err := bw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func unbrotli(t testing.TB, b []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(brotli.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatalf("brotli body: %v", err)
	}
	return out
}

// brotliFS is a lab folder as `make web` leaves it: the wasm with both
// siblings, a script with a stale .br, and one with a .br only.
func brotliFS(t testing.TB) fstest.MapFS {
	return fstest.MapFS{
		"index.html":     {Data: []byte("<!doctype html><html><title>smrlab</title></html>\n")},
		"smrlab.wasm":    {Data: wasmBody},
		"smrlab.wasm.gz": {Data: gz(t, wasmBody)},
		"smrlab.wasm.br": {Data: brotliBytes(t, wasmBody)},
		"stale.js":       {Data: staleJS},
		"stale.js.br":    {Data: brotliBytes(t, []byte("console.log('old');\n"))},
		"app.js":         {Data: appJS},
		"app.js.br":      {Data: brotliBytes(t, appJS)},
	}
}

// Real HTTP requests over a socket, with the client's own decompression off
// so that the test sees the bytes on the wire: Brotli when the browser
// accepts br, gzip otherwise, the file as is last.
func TestBrotliNegotiation(t *testing.T) {
	fsys := brotliFS(t)
	var logs bytes.Buffer
	h, err := newHandler(fsys, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "stale.js.br") || !strings.Contains(logs.String(), "make web") {
		t.Errorf("no warning about stale.js.br; logs:\n%s", logs.String())
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for _, tc := range []struct {
		path, accept, want string
	}{
		{"/smrlab.wasm", "gzip, deflate, br, zstd", "br"}, // Chromium
		{"/smrlab.wasm", "gzip, deflate", "gzip"},         // a browser on plain HTTP
		{"/smrlab.wasm", "br;q=0.5, gzip", "gzip"},
		{"/smrlab.wasm", "br", "br"},
		{"/smrlab.wasm", "", ""},
		{"/smrlab.wasm", "identity", ""},
		{"/app.js", "br", "br"},
		{"/app.js", "gzip", "gzip"}, // gzipped at startup
		{"/stale.js", "br", ""},     // the stale .br is not sent, and there is no gzip one
		{"/stale.js", "br, gzip", "gzip"},
	} {
		name := fmt.Sprintf("GET %s Accept-Encoding %q", tc.path, tc.accept)
		req, err := http.NewRequest("GET", srv.URL+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.accept != "" {
			req.Header.Set("Accept-Encoding", tc.accept)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := body(t, resp)
		resp.Body.Close()
		if enc := resp.Header.Get("Content-Encoding"); enc != tc.want {
			t.Errorf("%s: Content-Encoding %q, want %q", name, enc, tc.want)
		}
		if resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s: Vary %q", name, resp.Header.Get("Vary"))
		}
		if cl := resp.Header.Get("Content-Length"); cl != fmt.Sprint(len(got)) {
			t.Errorf("%s: Content-Length %s for a body of %d bytes", name, cl, len(got))
		}
		switch tc.want {
		case "br":
			if tc.path == "/smrlab.wasm" && !bytes.Equal(got, fsys["smrlab.wasm.br"].Data) {
				t.Errorf("%s: did not send smrlab.wasm.br as is", name)
			}
			got = unbrotli(t, got)
		case "gzip":
			got = gunzip(t, got)
		}
		if orig := fsys[strings.TrimPrefix(tc.path, "/")].Data; !bytes.Equal(got, orig) {
			t.Errorf("%s: body differs from the file (%d bytes, want %d)", name, len(got), len(orig))
		}
		// Each encoding has its own ETag, and revalidates to a 304.
		etag := resp.Header.Get("ETag")
		req.Header.Set("If-None-Match", etag)
		resp, err = client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotModified {
			t.Errorf("%s: If-None-Match %s: status %d, want 304", name, etag, resp.StatusCode)
		}
	}
	resp, err := client.Get(srv.URL + "/smrlab.wasm.br")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET /smrlab.wasm.br: status %d, want 404 (an encoding, not a file of its own)", resp.StatusCode)
	}
}

// The development server (-dir) sends a matching .br sibling too.
func TestLiveHandlerBrotli(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{"index.html": []byte("<html></html>"), "app.js": appJS,
		"app.js.br": brotliBytes(t, appJS)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	h := newLiveHandler(root.FS(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	resp := do(h, "GET", "/app.js", "Accept-Encoding: gzip, br")
	if resp.Header.Get("Content-Encoding") != "br" || !bytes.Equal(unbrotli(t, body(t, resp)), appJS) {
		t.Errorf("a matching app.js.br was not served: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	if resp := do(h, "GET", "/app.js.br"); resp.StatusCode != 404 {
		t.Errorf("GET /app.js.br: status %d, want 404", resp.StatusCode)
	}
}
