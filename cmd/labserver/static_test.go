package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"smrlab/web"
)

// Bodies long and repetitive enough that gzip pays.
var (
	appJS    = []byte(strings.Repeat("export function draw(server) { return server.term; }\n", 100))
	wasmBody = append([]byte("\x00asm\x01\x00\x00\x00"), bytes.Repeat([]byte("simulator "), 500)...)
	staleJS  = []byte(strings.Repeat("console.log('new');\n", 100))
)

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gzip body: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gzip body: %v", err)
	}
	return out
}

// labFS is a lab's static folder: one file of each kind, a precompressed
// wasm, a stale precompressed file and files that must never be served.
func labFS(t testing.TB) fstest.MapFS {
	return fstest.MapFS{
		"index.html":       {Data: []byte("<!doctype html><html><title>smrlab</title></html>\n")},
		"app.js":           {Data: appJS},
		"module.mjs":       {Data: []byte("export const x = 1;\n")},
		"style.css":        {Data: []byte("body { margin: 0; }\n")},
		"smrlab.wasm":      {Data: wasmBody},
		"smrlab.wasm.gz":   {Data: gz(t, wasmBody)},
		"stale.js":         {Data: staleJS},
		"stale.js.gz":      {Data: gz(t, []byte("console.log('old');\n"))},
		"lessons.json":     {Data: []byte(`{"lessons":[]}`)},
		"ring.svg":         {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		"logo.png":         {Data: []byte("\x89PNG\r\n\x1a\n")},
		"notes.txt":        {Data: []byte("notes\n")},
		"blob.bin":         {Data: []byte{1, 2, 3}},
		"sub/index.html":   {Data: []byte("<html>sub</html>")},
		".hidden":          {Data: []byte("dot file")},
		"_draft.js":        {Data: []byte("draft")},
		"lonely.txt.gz":    {Data: gz(t, []byte("no original"))},
		".git/config":      {Data: []byte("[core]")},
		"sub/_old/old.css": {Data: []byte("old")},
	}
}

func newTestHandler(t testing.TB, fsys fstest.MapFS) (http.Handler, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	h, err := newHandler(fsys, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("newHandler: %v", err)
	}
	return h, &logs
}

// do sends one request straight to the handler; header is "Name: value" pairs.
func do(h http.Handler, method, target string, header ...string) *http.Response {
	req := httptest.NewRequest(method, target, nil)
	for _, kv := range header {
		k, v, _ := strings.Cut(kv, ": ")
		req.Header.Add(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestContentTypes(t *testing.T) {
	h, _ := newTestHandler(t, labFS(t))
	for _, tc := range []struct{ path, want string }{
		{"/smrlab.wasm", "application/wasm"},
		{"/app.js", "text/javascript; charset=utf-8"},
		{"/module.mjs", "text/javascript; charset=utf-8"},
		{"/style.css", "text/css; charset=utf-8"},
		{"/index.html", "text/html; charset=utf-8"},
		{"/lessons.json", "application/json"},
		{"/ring.svg", "image/svg+xml"},
		{"/logo.png", "image/png"},
		{"/notes.txt", "text/plain; charset=utf-8"},
		{"/blob.bin", "application/octet-stream"},
	} {
		for _, ae := range []string{"", "gzip"} {
			resp := do(h, "GET", tc.path, "Accept-Encoding: "+ae)
			if resp.StatusCode != 200 {
				t.Errorf("GET %s: status %d", tc.path, resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != tc.want {
				t.Errorf("GET %s (Accept-Encoding %q): Content-Type %q, want %q", tc.path, ae, got, tc.want)
			}
		}
	}
}

func TestGzipNegotiation(t *testing.T) {
	fsys := labFS(t)
	h, _ := newTestHandler(t, fsys)
	for _, tc := range []struct {
		path, accept string
		gzip         bool
		vary         bool
	}{
		// A precompressed sibling.
		{"/smrlab.wasm", "", false, true},
		{"/smrlab.wasm", "gzip", true, true},
		{"/smrlab.wasm", "deflate, gzip;q=0.5, br", true, true},
		{"/smrlab.wasm", "GZIP", true, true},
		{"/smrlab.wasm", "gzip;q=0", false, true},
		{"/smrlab.wasm", "br, *", true, true},
		{"/smrlab.wasm", "*, gzip;q=0", false, true},
		{"/smrlab.wasm", "identity", false, true},
		// Compressed once at startup.
		{"/app.js", "", false, true},
		{"/app.js", "gzip, deflate, br", true, true},
		// A stale sibling is ignored and the file compressed at startup.
		{"/stale.js", "gzip", true, true},
		// Too small to gain from gzip, or compressed already.
		{"/notes.txt", "gzip", false, false},
		{"/logo.png", "gzip", false, false},
	} {
		name := fmt.Sprintf("GET %s Accept-Encoding %q", tc.path, tc.accept)
		resp := do(h, "GET", tc.path, "Accept-Encoding: "+tc.accept)
		got := body(t, resp)
		if enc := resp.Header.Get("Content-Encoding"); (enc == "gzip") != tc.gzip {
			t.Errorf("%s: Content-Encoding %q, want gzip=%v", name, enc, tc.gzip)
		}
		if vary := resp.Header.Get("Vary"); (vary == "Accept-Encoding") != tc.vary {
			t.Errorf("%s: Vary %q, want Accept-Encoding=%v", name, vary, tc.vary)
		}
		if cl := resp.Header.Get("Content-Length"); cl != fmt.Sprint(len(got)) {
			t.Errorf("%s: Content-Length %s for a body of %d bytes", name, cl, len(got))
		}
		if tc.gzip {
			got = gunzip(t, got)
		}
		if orig := fsys[strings.TrimPrefix(tc.path, "/")].Data; !bytes.Equal(got, orig) {
			t.Errorf("%s: body differs from the file (%d bytes, want %d)", name, len(got), len(orig))
		}
	}
}

// The sibling is sent byte for byte, not compressed again.
func TestPrecompressedSiblingSentAsIs(t *testing.T) {
	fsys := labFS(t)
	h, _ := newTestHandler(t, fsys)
	got := body(t, do(h, "GET", "/smrlab.wasm", "Accept-Encoding: gzip"))
	if !bytes.Equal(got, fsys["smrlab.wasm.gz"].Data) {
		t.Errorf("GET /smrlab.wasm with gzip did not send smrlab.wasm.gz")
	}
}

func TestStaleSiblingWarns(t *testing.T) {
	_, logs := newTestHandler(t, labFS(t))
	if !strings.Contains(logs.String(), "stale.js.gz") || !strings.Contains(logs.String(), "make web") {
		t.Errorf("no warning about stale.js.gz; logs:\n%s", logs)
	}
}

func TestETag(t *testing.T) {
	h, _ := newTestHandler(t, labFS(t))
	plain := do(h, "GET", "/app.js").Header.Get("ETag")
	zipped := do(h, "GET", "/app.js", "Accept-Encoding: gzip").Header.Get("ETag")
	if plain == "" || zipped == "" || plain == zipped {
		t.Fatalf("ETags: identity %q, gzip %q; want two different ones", plain, zipped)
	}
	if other := do(h, "GET", "/style.css").Header.Get("ETag"); other == plain {
		t.Errorf("two files share the ETag %s", plain)
	}
	for _, tc := range []struct {
		accept, ifNoneMatch string
		want                int
	}{
		{"", plain, 304},
		{"gzip", zipped, 304},
		{"", "W/" + plain, 304},
		{"", `"nope", ` + plain, 304},
		{"", "*", 304},
		{"gzip", plain, 200}, // the client holds the other encoding
		{"", `"nope"`, 200},
		{"", "", 200},
	} {
		resp := do(h, "GET", "/app.js", "Accept-Encoding: "+tc.accept, "If-None-Match: "+tc.ifNoneMatch)
		b := body(t, resp)
		if resp.StatusCode != tc.want {
			t.Errorf("If-None-Match %s, Accept-Encoding %q: status %d, want %d", tc.ifNoneMatch, tc.accept, resp.StatusCode, tc.want)
		}
		if tc.want == 304 {
			if len(b) != 0 || resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("ETag") == "" {
				t.Errorf("304: body %d bytes, Content-Encoding %q, ETag %q", len(b), resp.Header.Get("Content-Encoding"), resp.Header.Get("ETag"))
			}
		}
	}
}

func TestCacheControl(t *testing.T) {
	h, _ := newTestHandler(t, labFS(t))
	for path, want := range map[string]string{
		"/":            cacheHTML,
		"/index.html":  cacheHTML,
		"/sub/":        cacheHTML,
		"/app.js":      cacheOther,
		"/smrlab.wasm": cacheOther,
	} {
		if got := do(h, "GET", path).Header.Get("Cache-Control"); got != want {
			t.Errorf("GET %s: Cache-Control %q, want %q", path, got, want)
		}
	}
}

func TestHead(t *testing.T) {
	h, _ := newTestHandler(t, labFS(t))
	for _, ae := range []string{"", "gzip"} {
		get := do(h, "GET", "/smrlab.wasm", "Accept-Encoding: "+ae)
		head := do(h, "HEAD", "/smrlab.wasm", "Accept-Encoding: "+ae)
		if head.StatusCode != 200 {
			t.Errorf("HEAD: status %d", head.StatusCode)
		}
		if b := body(t, head); len(b) != 0 {
			t.Errorf("HEAD: %d bytes of body", len(b))
		}
		for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding", "ETag", "Vary", "Cache-Control"} {
			if head.Header.Get(k) != get.Header.Get(k) {
				t.Errorf("Accept-Encoding %q: HEAD %s %q, GET has %q", ae, k, head.Header.Get(k), get.Header.Get(k))
			}
		}
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	h, _ := newTestHandler(t, labFS(t))
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS"} {
		resp := do(h, m, "/index.html")
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s: status %d, want 405", m, resp.StatusCode)
		}
		if allow := resp.Header.Get("Allow"); allow != "GET, HEAD" {
			t.Errorf("%s: Allow %q", m, allow)
		}
	}
}

func TestNotFound(t *testing.T) {
	h, _ := newTestHandler(t, labFS(t))
	for _, path := range []string{
		"/missing.js", "/sub", "/app.js/", "/nowhere/",
		"/.hidden", "/_draft.js", "/.git/config", "/sub/_old/old.css", // what go:embed leaves out
		"/smrlab.wasm.gz", // an encoding, not a file of its own
	} {
		resp := do(h, "GET", path)
		b := string(body(t, resp))
		if resp.StatusCode != 404 {
			t.Errorf("GET %s: status %d, want 404", path, resp.StatusCode)
			continue
		}
		if !strings.HasPrefix(b, "404 not found") || !strings.Contains(b, path) {
			t.Errorf("GET %s: body %q does not say what is missing", path, b)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("GET %s: 404 Content-Type %q", path, ct)
		}
	}
	// A .gz file with no original is just a file.
	if resp := do(h, "GET", "/lonely.txt.gz"); resp.StatusCode != 200 {
		t.Errorf("GET /lonely.txt.gz: status %d", resp.StatusCode)
	}
}

func TestIndex(t *testing.T) {
	fsys := labFS(t)
	h, _ := newTestHandler(t, fsys)
	for path, file := range map[string]string{"/": "index.html", "": "index.html", "/sub/": "sub/index.html"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = path
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), fsys[file].Data) {
			t.Errorf("GET %q: status %d, body %q; want %s", path, rec.Code, rec.Body, file)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %q: Content-Type %q", path, ct)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	h, _ := newTestHandler(t, labFS(t))
	for _, tc := range []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/worker.js"}, {"GET", "/smrlab.wasm"}, {"HEAD", "/app.js"}, {"POST", "/"},
	} {
		resp := do(h, tc.method, tc.path)
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s: X-Content-Type-Options %q", tc.method, tc.path, got)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{
			"default-src 'self'",
			"script-src 'self' 'wasm-unsafe-eval'",
			"worker-src 'self' blob:",
			"frame-ancestors 'none'",
		} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s %s: Content-Security-Policy %q lacks %q", tc.method, tc.path, csp, want)
			}
		}
		if strings.Contains(csp, "'unsafe-eval'") {
			t.Errorf("%s %s: Content-Security-Policy allows 'unsafe-eval'", tc.method, tc.path)
		}
	}
}

func TestMissingWasmWarns(t *testing.T) {
	with := labFS(t)
	if _, logs := newTestHandler(t, with); strings.Contains(logs.String(), "smrlab.wasm is missing") {
		t.Errorf("warned although smrlab.wasm is there:\n%s", logs)
	}
	without := labFS(t)
	delete(without, "smrlab.wasm")
	delete(without, "smrlab.wasm.gz")
	_, logs := newTestHandler(t, without)
	if !strings.Contains(logs.String(), "smrlab.wasm is missing") || !strings.Contains(logs.String(), "make web") {
		t.Errorf("no warning that says to run make web:\n%s", logs)
	}
}

// traversalTargets try to climb out of the served folder, written as raw
// request targets so that no client cleans them first.
var traversalTargets = []string{
	"/../go.mod",
	"/../secret.txt",
	"/%2e%2e/",
	"/%2e%2e/secret.txt",
	"/%2e%2e%2fsecret.txt",
	"/..%2fsecret.txt",
	"/static/../..",
	"/static/../../secret.txt",
	"/./../secret.txt",
	"//../secret.txt",
	"/sub/../../secret.txt",
	"/..\\secret.txt",
	"/escape",      // a symbolic link to ../secret.txt
	"/escape-dir/", // a symbolic link to ..
	"/escape-dir/secret.txt",
}

// rawGet sends target over a real connection, byte for byte.
func rawGet(t *testing.T, addr, target string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n", target)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	return resp.StatusCode, string(body(t, resp))
}

// A folder with a secret next to it: no request may read the secret, through
// the embedded-style handler or the live one over os.Root.
func TestPathTraversal(t *testing.T) {
	top := t.TempDir()
	const secret = "module smrlab // TOP SECRET"
	static := filepath.Join(top, "static")
	for name, data := range map[string]string{
		"go.mod":            secret,
		"secret.txt":        secret,
		"static/index.html": "<html>lab</html>",
		"static/sub/a.txt":  "a",
	} {
		p := filepath.Join(top, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	symlinks := true
	if err := os.Symlink("../secret.txt", filepath.Join(static, "escape")); err != nil {
		symlinks = false // some systems cannot; the other targets still count
	}
	os.Symlink("..", filepath.Join(static, "escape-dir"))

	root, err := os.OpenRoot(static)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	snapshot, err := newHandler(root.FS(), logger)
	if err != nil {
		t.Fatal(err)
	}
	embedded, err := newHandler(web.Static(), logger)
	if err != nil {
		t.Fatal(err)
	}
	embeddedIndex, err := fs.ReadFile(web.Static(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		h     http.Handler
		index string
	}{
		"snapshot": {snapshot, "<html>lab</html>"},
		"live":     {newLiveHandler(root.FS(), logger), "<html>lab</html>"},
		"embedded": {embedded, string(embeddedIndex)},
	} {
		srv := httptest.NewServer(tc.h)
		for _, target := range traversalTargets {
			status, b := rawGet(t, srv.Listener.Addr().String(), target)
			if strings.Contains(b, "TOP SECRET") || strings.Contains(b, "module smrlab") {
				t.Errorf("%s: GET %s escaped the folder: %q", name, target, b)
			}
			if status != 200 && status != 400 && status != 404 {
				t.Errorf("%s: GET %s: status %d", name, target, status)
			}
			if status == 200 && b != tc.index {
				t.Errorf("%s: GET %s: 200 with %q, want the index or a 404", name, target, b)
			}
		}
		srv.Close()
	}
	if !symlinks {
		t.Log("symbolic links are not available here; the link targets were not tried")
	}
}

// -dir serves edits at the next request, and a .gz sibling only while it
// matches its file.
func TestLiveHandler(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("index.html", []byte("<html>one</html>"))
	write("app.js", appJS)
	write("app.js.gz", gz(t, appJS))
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var logs bytes.Buffer
	h := newLiveHandler(root.FS(), slog.New(slog.NewTextHandler(&logs, nil)))
	if !strings.Contains(logs.String(), "make web") {
		t.Errorf("no warning about the missing wasm:\n%s", logs.String())
	}

	resp := do(h, "GET", "/app.js", "Accept-Encoding: gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(gunzip(t, body(t, resp)), appJS) {
		t.Errorf("a matching app.js.gz was not served")
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache", cc)
	}
	etag := resp.Header.Get("ETag")
	if resp := do(h, "GET", "/app.js", "Accept-Encoding: gzip", "If-None-Match: "+etag); resp.StatusCode != 304 {
		t.Errorf("If-None-Match: status %d, want 304", resp.StatusCode)
	}

	edited := []byte("export const edited = true;\n")
	write("app.js", edited)
	resp = do(h, "GET", "/app.js", "Accept-Encoding: gzip", "If-None-Match: "+etag)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body(t, resp), edited) {
		t.Errorf("after an edit: status %d, Content-Encoding %q; want the edited file as is",
			resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}

	write("index.html", []byte("<html>two</html>"))
	if b := body(t, do(h, "GET", "/")); string(b) != "<html>two</html>" {
		t.Errorf("GET / after an edit: %q", b)
	}
	if resp := do(h, "GET", "/app.js.gz"); resp.StatusCode != 404 {
		t.Errorf("GET /app.js.gz: status %d, want 404", resp.StatusCode)
	}
}

// Every file is held in memory, so each has a size limit; a folder with a
// larger file is refused at startup, naming it.
func TestFileBytesMax(t *testing.T) {
	big := make([]byte, fileBytesMax+1)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := newHandler(fstest.MapFS{"index.html": {}, "at-limit.png": {Data: big[:fileBytesMax]}}, logger); err != nil {
		t.Errorf("a file of exactly fileBytesMax: %v", err)
	}
	_, err := newHandler(fstest.MapFS{"index.html": {}, "over.png": {Data: big}}, logger)
	if err == nil || !strings.Contains(err.Error(), "over.png") {
		t.Errorf("a file of fileBytesMax+1: error %v, want one naming over.png", err)
	}
}

func TestChooseEncoding(t *testing.T) {
	for _, tc := range []struct {
		values         []string
		haveBr, haveGz bool
		want           string
	}{
		{nil, true, true, ""},
		{[]string{""}, true, true, ""},
		{[]string{"gzip"}, true, true, "gzip"},
		{[]string{"x-gzip"}, true, true, "gzip"},
		{[]string{"br", "gzip"}, true, true, "br"},
		{[]string{"gzip, deflate, br, zstd"}, true, true, "br"},
		{[]string{"gzip, deflate, br"}, false, true, "gzip"},
		{[]string{"br"}, false, true, ""},
		{[]string{"BR"}, true, false, "br"},
		{[]string{"gzip;q=1, br;q=0.5"}, true, true, "gzip"},
		{[]string{"gzip;q=0.5, br;q=0.5"}, true, true, "br"},
		{[]string{"br;q=0, gzip"}, true, true, "gzip"},
		{[]string{" gzip ; q=0.001"}, true, true, "gzip"},
		{[]string{"gzip;q=0"}, true, true, ""},
		{[]string{"gzip;q=0.000"}, false, true, ""},
		{[]string{"gzip;q=bad"}, false, true, ""},
		{[]string{"br;q=2"}, true, true, ""},
		{[]string{"*"}, true, true, "br"},
		{[]string{"*"}, false, true, "gzip"},
		{[]string{"*;q=0"}, true, true, ""},
		{[]string{"gzip;q=0, *"}, false, true, ""},
		{[]string{"br;q=0, *"}, true, true, "gzip"},
		{[]string{"identity"}, true, true, ""},
		{[]string{"gzipped, brotli"}, true, true, ""},
	} {
		if got := chooseEncoding(tc.values, tc.haveBr, tc.haveGz); got != tc.want {
			t.Errorf("chooseEncoding(%q, br %v, gzip %v) = %q, want %q", tc.values, tc.haveBr, tc.haveGz, got, tc.want)
		}
	}
}

// The real embedded files serve a page at "/".
func TestEmbeddedIndex(t *testing.T) {
	h, err := newHandler(web.Static(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	resp := do(h, "GET", "/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("GET /: status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
