package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/andybalholm/brotli"
)

// wasmName is the simulator's WebAssembly build that the page cannot start without.
const wasmName = "smrlab.wasm"

// fileBytesMax bounds one served file, as every file is held in memory; the
// wasm is about 8 MB.
const fileBytesMax = 64 << 20

// contentTypes names the type of every kind of file the app ships, so that a
// browser never depends on the host's MIME tables: WebAssembly streaming
// compilation refuses anything but application/wasm.
var contentTypes = map[string]string{
	".wasm": "application/wasm",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".html": "text/html; charset=utf-8",
	".json": "application/json",
	".map":  "application/json",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
	".txt":  "text/plain; charset=utf-8",
	".md":   "text/plain; charset=utf-8",
	".scn":  "text/plain; charset=utf-8",
}

// compressible lists the content types worth gzipping; images like PNG are
// compressed already.
var compressible = map[string]bool{
	"application/wasm":               true,
	"text/javascript; charset=utf-8": true,
	"text/css; charset=utf-8":        true,
	"text/html; charset=utf-8":       true,
	"application/json":               true,
	"image/svg+xml":                  true,
	"text/plain; charset=utf-8":      true,
}

// contentSecurityPolicy allows only the lab's own files. Go's WebAssembly needs
// 'wasm-unsafe-eval' to compile; the simulation's Web Worker may be a file or a
// blob. Inline styles stay allowed because the drawing code sets style
// attributes; inline scripts do not.
const contentSecurityPolicy = "default-src 'self'; " +
	"script-src 'self' 'wasm-unsafe-eval'; " +
	"worker-src 'self' blob:; " +
	"connect-src 'self'; " +
	"img-src 'self' data: blob:; " +
	"style-src 'self' 'unsafe-inline'; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// Cache lifetimes: the page is always revalidated (its ETag makes that a 304),
// so a new build reaches students at the next reload; the files it loads may be
// reused for a minute, short enough that a page and its wasm rarely disagree.
const (
	cacheHTML  = "no-cache"
	cacheOther = "public, max-age=60"
)

// asset is one file ready to serve: its bytes, a gzip encoding of them when
// that is smaller, a Brotli encoding when `make web` wrote one, and their
// ETags.
type asset struct {
	contentType string
	body        []byte
	etag        string
	gz          []byte // nil: not sent gzipped
	gzETag      string
	br          []byte // nil: not sent in Brotli
	brETag      string
}

// staticHandler serves the lab's static files from fsys.
type staticHandler struct {
	assets map[string]*asset // every file, read once; nil when live
	live   fs.FS             // read on every request (development)
	logger *slog.Logger
}

// newHandler reads every file of fsys once, checks or makes its gzip encoding,
// and returns a handler that serves them from memory. It warns when the
// WebAssembly build is missing, since the page cannot start without it.
func newHandler(fsys fs.FS, logger *slog.Logger) (http.Handler, error) {
	h := &staticHandler{assets: map[string]*asset{}, logger: logger}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name != "." && hidden(name) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || isSibling(fsys, name) {
			return nil
		}
		a, err := loadAsset(fsys, name, true, logger)
		if err != nil {
			return err
		}
		h.assets[name] = a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the lab's files: %w", err)
	}
	if h.assets[wasmName] == nil {
		warnNoWasm(logger)
	}
	return h, nil
}

// newLiveHandler serves fsys as it is at each request, for development: an
// edited file shows at the next reload. Nothing is cached by the browser and
// nothing is compressed except by a .gz sibling that matches its file.
func newLiveHandler(fsys fs.FS, logger *slog.Logger) http.Handler {
	if _, err := fs.Stat(fsys, wasmName); err != nil {
		warnNoWasm(logger)
	}
	return &staticHandler{live: fsys, logger: logger}
}

func warnNoWasm(logger *slog.Logger) {
	logger.Warn("smrlab.wasm is missing from the served files, so the lab page cannot start: run `make web` to build it")
}

// hidden reports whether a path has an element that go:embed's directory
// pattern leaves out (a name beginning with "." or "_"), so that -dir serves
// exactly what the embedded build would.
func hidden(name string) bool {
	for _, elem := range strings.Split(name, "/") {
		if strings.HasPrefix(elem, ".") || strings.HasPrefix(elem, "_") {
			return true
		}
	}
	return false
}

// isSibling reports whether name is the precompressed encoding of another
// file (NAME.gz or NAME.br): it is served as that file's encoding, not under
// its own name.
func isSibling(fsys fs.FS, name string) bool {
	orig, ok := strings.CutSuffix(name, ".gz")
	if !ok {
		orig, ok = strings.CutSuffix(name, ".br")
	}
	if !ok {
		return false
	}
	_, err := fs.Stat(fsys, orig)
	return err == nil
}

// loadAsset reads name and its encodings. A NAME.gz or NAME.br sibling is
// used when it decompresses to exactly the file (a stale one, left by an
// earlier `make web`, is ignored with a warning); otherwise, when compress is
// set, the file is gzipped here. Brotli comes only from a sibling: its best
// quality takes a minute on the wasm, too long for a server's startup.
func loadAsset(fsys fs.FS, name string, compress bool, logger *slog.Logger) (*asset, error) {
	if fi, err := fs.Stat(fsys, name); err != nil {
		return nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a file: %w", name, fs.ErrNotExist)
	} else if fi.Size() > fileBytesMax {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a served file may have", name, fi.Size(), fileBytesMax)
	}
	body, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	a := &asset{contentType: contentType(name), body: body, etag: etagOf(body, "")}
	if gz, err := fs.ReadFile(fsys, name+".gz"); err == nil {
		if gunzipEquals(gz, body) {
			a.gz = gz
		} else {
			logger.Warn("ignoring a precompressed file that does not match its original; run `make web` to refresh it", "file", name+".gz")
		}
	}
	if br, err := fs.ReadFile(fsys, name+".br"); err == nil {
		if !brotliEquals(br, body) {
			logger.Warn("ignoring a precompressed file that does not match its original; run `make web` to refresh it", "file", name+".br")
		} else if len(br) < len(body) {
			a.br, a.brETag = br, etagOf(body, "-br")
		}
	}
	if a.gz == nil && compress && compressible[a.contentType] {
		a.gz = gzipBytes(body)
		if len(a.gz) >= len(body)*9/10 {
			a.gz = nil // not worth a second representation
		}
	}
	if a.gz != nil {
		a.gzETag = etagOf(body, "-gzip")
	}
	return a, nil
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// etagOf is a strong validator of the content; each encoding gets its own,
// as a strong ETag names exact bytes.
func etagOf(body []byte, encoding string) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + encoding + `"`
}

// gzipBytes compresses at the default level: `make web` writes siblings at
// level 9, and this fallback keeps startup quick (an 8 MB wasm: 0.3 s, not
// 0.8 s, for 1.5% more bytes).
func gzipBytes(body []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(body) // a bytes.Buffer does not fail
	zw.Close()
	return buf.Bytes()
}

func gunzipEquals(gz, want []byte) bool {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return false
	}
	got, err := io.ReadAll(io.LimitReader(zr, int64(len(want))+1))
	return err == nil && bytes.Equal(got, want)
}

func brotliEquals(br, want []byte) bool {
	got, err := io.ReadAll(io.LimitReader(brotli.NewReader(bytes.NewReader(br)), int64(len(want))+1))
	return err == nil && bytes.Equal(got, want)
}

func (h *staticHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Security-Policy", contentSecurityPolicy)
	hdr.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed: the lab's files are read with GET or HEAD", http.StatusMethodNotAllowed)
		return
	}
	name := fileName(r.URL.Path)
	a, err := h.lookup(name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			h.logger.Error("reading a file", "file", name, "err", err)
		}
		http.Error(w, "404 not found: the lab has no file at "+r.URL.Path, http.StatusNotFound)
		return
	}
	h.serveAsset(w, r, a, name)
}

// fileName maps a URL path to a name in the file system: "/" and every
// "dir/" to its index.html. path.Clean removes every ".." at the root, and
// fs.FS names never begin with "/", so no request can leave the folder.
func fileName(urlPath string) string {
	name := strings.TrimPrefix(path.Clean("/"+urlPath), "/")
	if name == "" {
		return "index.html"
	}
	if strings.HasSuffix(urlPath, "/") {
		return name + "/index.html"
	}
	return name
}

func (h *staticHandler) lookup(name string) (*asset, error) {
	if !fs.ValidPath(name) || hidden(name) {
		return nil, fs.ErrNotExist
	}
	if h.live == nil {
		if a := h.assets[name]; a != nil {
			return a, nil
		}
		return nil, fs.ErrNotExist
	}
	if isSibling(h.live, name) {
		return nil, fs.ErrNotExist
	}
	return loadAsset(h.live, name, false, h.logger)
}

func (h *staticHandler) serveAsset(w http.ResponseWriter, r *http.Request, a *asset, name string) {
	hdr := w.Header()
	body, etag := a.body, a.etag
	if a.gz != nil || a.br != nil {
		hdr.Set("Vary", "Accept-Encoding")
		switch chooseEncoding(r.Header.Values("Accept-Encoding"), a.br != nil, a.gz != nil) {
		case "br":
			body, etag = a.br, a.brETag
			hdr.Set("Content-Encoding", "br")
		case "gzip":
			body, etag = a.gz, a.gzETag
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	switch {
	case h.live != nil:
		hdr.Set("Cache-Control", "no-cache")
	case path.Ext(name) == ".html":
		hdr.Set("Cache-Control", cacheHTML)
	default:
		hdr.Set("Cache-Control", cacheOther)
	}
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		hdr.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body) // a client that went away is no error of ours
	}
}

// chooseEncoding picks the encoding to send (RFC 9110 §12.5.3): of those
// the file has and Accept-Encoding allows (named with a q-value above 0, or
// covered by "*" when not named), the one with the highest q-value; Brotli,
// the smaller, on a tie; "" (the file as is) when neither is allowed.
func chooseEncoding(values []string, haveBr, haveGzip bool) string {
	qBr, qGzip := acceptQ(values, "br"), acceptQ(values, "gzip")
	switch {
	case haveBr && qBr > 0 && (!haveGzip || qBr >= qGzip):
		return "br"
	case haveGzip && qGzip > 0:
		return "gzip"
	}
	return ""
}

// acceptQ is the q-value Accept-Encoding gives coding: its own, else that of
// "*", else 0 (not acceptable). "x-gzip" counts as "gzip".
func acceptQ(values []string, coding string) float64 {
	star := 0.0
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(item, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "x-gzip" {
				name = "gzip"
			}
			switch name {
			case coding:
				return qValue(params)
			case "*":
				star = qValue(params)
			}
		}
	}
	return star
}

// qValue reads the q parameter (1 when absent, 0 when malformed).
func qValue(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || q < 0 || q > 1 {
				return 0
			}
			return q
		}
	}
	return 1
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110 §13.1.2).
func etagMatches(ifNoneMatch, etag string) bool {
	for _, tag := range strings.Split(ifNoneMatch, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}
