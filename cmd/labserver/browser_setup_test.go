package main

// The browser tests' fixtures: the app built once per test binary, exactly as
// `make web` builds it, served by the labserver's own handler, and a fresh
// headless Chromium for each test.
//
// The tests drive Chromium with github.com/chromedp/chromedp: DESIGN.md names
// it for the browser layer ("Test layers", 5). It speaks the DevTools protocol
// to a local Chromium over a pipe, needs no driver binary and, from v0.23.0,
// no dependency beyond the standard library and its own protocol types
// (github.com/chromedp/cdproto), so it adds little to go.sum. Only the tests
// import it: the labserver binary does not link it.

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browserTimeout bounds each browser test (and each benchmark iteration), so
// that a page that never answers fails the test instead of hanging it.
const browserTimeout = 90 * time.Second

// TestMain removes the app built for the browser tests once every test ran.
func TestMain(m *testing.M) {
	code := m.Run()
	app.cleanup()
	os.Exit(code)
}

// builtApp is the browser app built into a temporary folder and served.
type builtApp struct {
	once   sync.Once
	dir    string // the built web/static
	root   string // the module root
	srv    *httptest.Server
	took   time.Duration
	err    error
	logBuf syncBuffer // the labserver's log
}

var app builtApp

// syncBuffer is a bytes.Buffer safe for the handler's concurrent logging.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// labURL builds the app once (the WebAssembly build is the slow part) and
// returns the URL of the test server that serves it.
func labServerURL(tb testing.TB) string {
	tb.Helper()
	app.once.Do(func() {
		start := time.Now()
		app.err = app.build()
		app.took = time.Since(start)
		if app.err != nil {
			return
		}
		h, err := newHandler(os.DirFS(app.dir), app.logger())
		if err != nil {
			app.err = err
			return
		}
		app.srv = httptest.NewServer(h)
	})
	if app.err != nil {
		tb.Fatalf("building the browser app: %v", app.err)
	}
	tb.Logf("app built in %v (once per test binary) into %s", app.took.Round(time.Millisecond), app.dir)
	return app.srv.URL + "/"
}

// logger writes the labserver's warnings into the log printed at the end.
func (a *builtApp) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(&a.logBuf, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func (a *builtApp) cleanup() {
	if a.srv != nil {
		a.srv.Close()
		if s := a.logBuf.String(); s != "" {
			fmt.Fprintf(os.Stderr, "labserver log during the browser tests:\n%s", s)
		}
	}
	if a.dir != "" {
		os.RemoveAll(filepath.Dir(a.dir))
	}
}

// build does what `make web` does, into a temporary folder: the static files
// (without the build outputs), the three wasm builds, wasm_exec.js, the
// scenarios and lessons and their indexes, and a gzip -9 sibling of each
// file `make web` compresses.
func (a *builtApp) build() error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	a.root = root
	tmp, err := os.MkdirTemp("", "smrlab-browser-")
	if err != nil {
		return err
	}
	a.dir = filepath.Join(tmp, "static")
	if err := copyStatic(filepath.Join(root, "web", "static"), a.dir); err != nil {
		return err
	}

	// The two wasm builds and the CLI (for the scenario index) build in parallel.
	goBin := goCommand()
	smrlab := filepath.Join(tmp, "smrlab")
	wasmBuild, err := wasmBuildArgs(root)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var wasmErr, filesErr, lessonsErr, cliErr error
	wg.Go(func() {
		wasmErr = runIn(root, []string{"GOOS=js", "GOARCH=wasm"}, goBin,
			slices.Concat(wasmBuild, []string{"-o", filepath.Join(a.dir, "smrlab.wasm"), "./wasm"})...)
	})
	wg.Go(func() {
		filesErr = runIn(root, []string{"GOOS=js", "GOARCH=wasm"}, goBin,
			slices.Concat(wasmBuild, []string{"-o", filepath.Join(a.dir, "smrlab-files.wasm"), "./wasm/files"})...)
	})
	wg.Go(func() {
		lessonsErr = runIn(root, []string{"GOOS=js", "GOARCH=wasm"}, goBin,
			slices.Concat(wasmBuild, []string{"-tags", "lessons", "-o", filepath.Join(a.dir, "smrlab-lessons.wasm"), "./wasm"})...)
	})
	wg.Go(func() {
		cliErr = runIn(root, nil, goBin, "build", "-o", smrlab, "./cmd/smrlab")
	})
	wg.Wait()
	if err := errors.Join(wasmErr, filesErr, lessonsErr); err != nil {
		return err
	}
	if cliErr != nil {
		return cliErr
	}

	goroot, err := output(root, nil, goBin, "env", "GOROOT")
	if err != nil {
		return err
	}
	if err := copyFile(filepath.Join(strings.TrimSpace(goroot), "lib", "wasm", "wasm_exec.js"),
		filepath.Join(a.dir, "wasm_exec.js")); err != nil {
		return err
	}

	scns, err := filepath.Glob(filepath.Join(root, "scenarios", "*.scn"))
	if err != nil || len(scns) == 0 {
		return fmt.Errorf("no scenarios/*.scn under %s (%v)", root, err)
	}
	if err := os.MkdirAll(filepath.Join(a.dir, "scenarios"), 0o755); err != nil {
		return err
	}
	for _, f := range scns {
		if err := copyFile(f, filepath.Join(a.dir, "scenarios", filepath.Base(f))); err != nil {
			return err
		}
	}
	// Relative names, as the Makefile passes them: the index lists files.
	rel := make([]string, len(scns))
	for i, f := range scns {
		rel[i] = filepath.Join("scenarios", filepath.Base(f))
	}
	index, err := output(root, nil, smrlab, append([]string{"list", "--json"}, rel...)...)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(a.dir, "scenarios", "index.json"), []byte(index), 0o644); err != nil {
		return err
	}
	if err := a.buildLessons(smrlab); err != nil {
		return err
	}
	files, err := gzipLikeMakeWeb(a.dir)
	if err != nil {
		return err
	}
	// Brotli as `make web` makes it, for what a visit downloads; the file
	// tools' and the lesson player's builds, fetched only at an export or a
	// lesson, go in gzip here, which saves the tests minutes of Brotli's
	// best quality.
	files = slices.DeleteFunc(files, func(f string) bool {
		return filepath.Base(f) == "smrlab-files.wasm" || filepath.Base(f) == "smrlab-lessons.wasm"
	})
	return runIn(root, nil, goBin, append([]string{"run", "./tools/precompress", "-quality", "11"}, files...)...)
}

// buildLessons does what `make web` does for the course: the lesson files
// and their index in lessons/. The test binary's own lessons
// (testdata/lessons: one on the manual scheduler, for the next-step panel)
// join the course's, after them.
func (a *builtApp) buildLessons(smrlab string) error {
	dir := filepath.Join(a.dir, "lessons")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	course, err := filepath.Glob(filepath.Join(a.root, "lessons", "*.lesson"))
	if err != nil {
		return err
	}
	own, err := filepath.Glob(filepath.Join(a.root, "cmd", "labserver", "testdata", "lessons", "*.lesson"))
	if err != nil || len(own) == 0 {
		return fmt.Errorf("no testdata/lessons/*.lesson (%v)", err)
	}
	for _, f := range append(course, own...) {
		if err := copyFile(f, filepath.Join(dir, filepath.Base(f))); err != nil {
			return err
		}
	}
	index, err := output(a.dir, nil, smrlab, "lesson", "list", "--json", "lessons/")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "index.json"), []byte(index), 0o644)
}

// moduleRoot walks up from the test's folder to the one holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// goCommand is the go command: `go test` puts its own GOROOT/bin first on
// the PATH of the test binary, so this is the Go that runs the tests.
func goCommand() string { return "go" }

// wasmBuildArgs are the arguments of `go` that `make web` builds the two
// wasm files with: the flags, and no inlining in the packages that
// wasm/noinline-packages lists.
func wasmBuildArgs(root string) ([]string, error) {
	list, err := os.ReadFile(filepath.Join(root, "wasm", "noinline-packages"))
	if err != nil {
		return nil, err
	}
	args := []string{"build", "-trimpath", "-ldflags=-s -w"}
	for line := range strings.Lines(string(list)) {
		if pkg := strings.TrimSpace(line); pkg != "" && !strings.HasPrefix(pkg, "#") {
			args = append(args, "-gcflags="+pkg+"=-l")
		}
	}
	return args, nil
}

// skipInCopy reports the build outputs of `make web` that the copy leaves out
// (this build makes them afresh): compressed siblings, the wasm, wasm_exec.js
// and the scenario and lesson catalogues.
func skipInCopy(rel string, d fs.DirEntry) bool {
	if d.IsDir() {
		return rel == "scenarios" || rel == "lessons"
	}
	return strings.HasSuffix(rel, ".gz") || strings.HasSuffix(rel, ".br") || strings.HasSuffix(rel, ".br.tmp") ||
		rel == "smrlab.wasm" || rel == "smrlab-files.wasm" || rel == "smrlab-lessons.wasm" || rel == "wasm_exec.js"
}

func copyStatic(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel != "." && skipInCopy(filepath.ToSlash(rel), d) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(p, filepath.Join(dst, rel))
	})
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// gzipLikeMakeWeb writes NAME.gz (level 9, no name or time: gzip -9 -n) for
// the wasm, wasm_exec.js and every .html, .js, .mjs and .css file outside
// hidden folders, as the Makefile's WEB_GZ list does, and returns those
// files, which `make web` also gives tools/precompress for their .br.
func gzipLikeMakeWeb(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != dir && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		switch filepath.Ext(name) {
		case ".html", ".js", ".mjs", ".css", ".wasm":
		default:
			return nil
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return err
		}
		zw.Write(body)
		if err := zw.Close(); err != nil {
			return err
		}
		files = append(files, p)
		return os.WriteFile(p+".gz", buf.Bytes(), 0o644)
	})
	return files, err
}

func runIn(dir string, env []string, name string, args ...string) error {
	_, err := output(dir, env, name, args...)
	return err
}

func output(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %v\n%s", strings.Join(env, " "), strings.Join(append([]string{name}, args...), " "),
			err, stderr.String())
	}
	return stdout.String(), nil
}

// chromiumPath finds Chromium, or fails the test: browser tests are never
// skipped (the project forbids skipped tests), so a machine without it must
// install it.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	tb.Fatalf("Chromium is missing, and the browser tests need it: run .ci/deps " +
		"(it installs chromium with apt-get on Debian), or install Chromium so that `chromium` is on PATH")
	return ""
}

// newBrowser starts a headless Chromium with its own profile and returns a
// context for its first tab, which ends with the test or after timeout.
func newBrowser(tb testing.TB, timeout time.Duration, opts ...chromedp.ContextOption) context.Context {
	tb.Helper()
	exe := chromiumPath(tb)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	tb.Cleanup(cancel)
	var chromeOut syncBuffer
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exe),
		// Exactly these flags (chromedp.Headless and chromedp.DisableGPU
		// would add hide-scrollbars, mute-audio and enable-unsafe-swiftshader).
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(1400, 900),
		chromedp.CombinedOutput(&chromeOut),
	)
	tb.Cleanup(cancelAlloc)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, append(opts,
		chromedp.WithErrorf(func(format string, args ...any) { tb.Logf("chromedp: "+format, args...) }))...)
	tb.Cleanup(func() {
		cancelTab()
		if tb.Failed() {
			if s := strings.TrimSpace(lastLines(chromeOut.String(), 40)); s != "" {
				tb.Logf("Chromium's output:\n%s", s)
			}
		}
	})
	// The first Do starts the browser and attaches the tab.
	if err := chromedp.Do(tabCtx); err != nil {
		tb.Fatalf("starting Chromium (%s): %v", exe, err)
	}
	return tabCtx
}

// lastLines returns the last n lines of s, without Chromium's complaints
// about the D-Bus that a container lacks.
func lastLines(s string, n int) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, "dbus") && !strings.Contains(l, "unexpected operator") {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var _ io.Writer = (*syncBuffer)(nil)
