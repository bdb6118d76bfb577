// Command labserver serves the browser lab: the static app and the
// simulator's WebAssembly build, embedded in the binary (package web) or read
// from a folder with -dir. It holds no protocol or simulation logic; the
// simulation runs in each student's browser.
//
//	labserver [-addr 127.0.0.1:8080] [-dir web/static] [-open]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"smrlab/web"
)

// Server limits: a slow or idle client cannot hold a connection forever, and
// a classroom on slow Wi-Fi still has time to fetch the wasm.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 2 * time.Minute
	idleTimeout       = 2 * time.Minute
	headerBytesMax    = 64 << 10
	shutdownTimeout   = 10 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run serves until ctx is done, then shuts down, and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("labserver", flag.ContinueOnError)
	fl.SetOutput(stderr)
	addr := fl.String("addr", "127.0.0.1:8080", "listen on `host:port` (0.0.0.0:8080 lets other machines connect)")
	dir := fl.String("dir", "", "serve the `folder` from disk instead of the embedded files, read afresh at every request (development)")
	open := fl.Bool("open", false, "open the lab in the default browser")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: labserver [-addr host:port] [-dir folder] [-open]")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "labserver: unexpected argument %q\n", fl.Arg(0))
		fl.Usage()
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	handler, closeFiles, err := staticFiles(*dir, logger)
	if err != nil {
		logger.Error("cannot serve the lab", "err", err)
		return 1
	}
	defer closeFiles()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		logger.Error("cannot listen", "addr", *addr, "err", err)
		return 1
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    headerBytesMax,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	url := labURL(ln.Addr())
	fmt.Fprintf(stdout, "smrlab lab: open %s\n", url)
	if *open {
		openBrowser(url, logger)
	}

	select {
	case err := <-served:
		logger.Error("serving stopped", "err", err)
		return 1
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Error("shutdown", "err", err)
		return 1
	}
	return 0
}

// staticFiles returns the handler for the embedded files, or for dir when it
// is set. os.Root keeps every read inside dir, symbolic links included.
func staticFiles(dir string, logger *slog.Logger) (http.Handler, func(), error) {
	if dir == "" {
		h, err := newHandler(web.Static(), logger)
		return h, func() {}, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, err
	}
	logger.Info("serving files from disk", "dir", dir)
	return newLiveHandler(root.FS(), logger), func() { root.Close() }, nil
}

// labURL is the address to type into a browser; a server listening on every
// interface is reachable on this machine as localhost.
func labURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// openBrowser asks the desktop to open url; failing is not fatal, as the URL
// is printed anyway.
func openBrowser(url string, logger *slog.Logger) {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	if err := cmd.Start(); err != nil {
		logger.Warn("cannot open a browser; open the URL by hand", "err", err)
		return
	}
	go cmd.Wait() // reap it; its exit status says nothing useful
}
