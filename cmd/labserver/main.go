// Command labserver serves the browser lab: the static app and the
// simulator's WebAssembly build, embedded in the binary (package web) or read
// from a folder with -dir, and hosts classroom rooms (package hub: the API
// under /api, the websocket at /ws, /metrics, /healthz) over a store in
// SQLite or PostgreSQL. It holds no protocol or simulation logic: a room is
// core/room's state machine, and each student's browser runs the same
// simulation.
//
//	labserver [-addr 127.0.0.1:8080] [-dir web/static] [-open] [-db labserver.db|postgres://...]
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
	neturl "net/url"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"smrlab/cmd/labserver/internal/hub"
	"smrlab/cmd/labserver/internal/store"
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
	db := fl.String("db", "labserver.db", "the rooms' store: a SQLite `file` (made if missing), or postgres://user:pass@host/db")
	key := fl.String("teacher-key", "", "the teacher `key` (default $SMRLAB_TEACHER_KEY; else the stored one, or a new one printed once)")
	newKey := fl.Bool("new-teacher-key", false, "make a new teacher key, print it once and forget the old one")
	instance := fl.String("instance", defaultInstance(), "this labserver's `name` in the rooms' leases: give each instance sharing one PostgreSQL its own")
	var origins listFlag
	fl.Var(&origins, "origin", "also accept websockets from pages at these `hosts` (comma-separated path.Match patterns, e.g. lab.example.org,*.school.edu)")
	tlsCert := fl.String("tls-cert", "", "serve HTTPS with this certificate `file` (PEM; with -tls-key)")
	tlsKey := fl.String("tls-key", "", "the TLS certificate's private key `file` (PEM; with -tls-cert)")
	roomSeats := fl.Int("room-seats", hub.RoomSeatsDefault, "students one room seats at most")
	serverSeats := fl.Int("server-seats", hub.ServerSeatsDefault, "websocket connections this labserver holds at most")
	rooms := fl.Int("rooms", hub.RoomsDefault, "open rooms this labserver serves at most")
	joinRate := fl.Float64("join-rate", hub.JoinRateDefault, "websocket connections a second from one address (a class behind one NAT may need more)")
	joinBurst := fl.Int("join-burst", hub.JoinBurstDefault, "websocket connections from one address at once, before -join-rate applies")
	lease := fl.Duration("lease", hub.LeaseDefault, "how long a claim on a room lasts: another instance takes a room over this long after its instance dies")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: labserver [-addr host:port] [-dir folder] [-open] [-db file|postgres://...] [flags]")
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
	if (*tlsCert == "") != (*tlsKey == "") {
		fmt.Fprintln(stderr, "labserver: -tls-cert and -tls-key go together: give both or neither")
		return 2
	}
	if *key == "" {
		*key = os.Getenv("SMRLAB_TEACHER_KEY")
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	static, closeFiles, err := staticFiles(*dir, logger)
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
	defer ln.Close()

	st, err := store.Open(ctx, *db)
	if err != nil {
		logger.Error("cannot open the rooms' store", "db", redactDSN(*db), "err", err)
		return 1
	}
	defer st.Close()
	keyHash, madeKey, err := hub.TeacherKey(ctx, st, *key, *newKey)
	if err != nil {
		logger.Error("teacher key", "err", err)
		return 1
	}
	h, err := hub.New(hub.Config{
		Store: st, Instance: *instance, KeyHash: keyHash, OriginPatterns: origins,
		RoomSeats: *roomSeats, ServerSeats: *serverSeats, Rooms: *rooms, Lease: *lease,
		JoinRate: *joinRate, JoinBurst: *joinBurst,
		Logger: logger,
	})
	if err != nil {
		logger.Error("cannot host rooms", "err", err)
		return 2
	}
	if err := h.Start(ctx); err != nil {
		logger.Error("cannot restore the rooms", "err", err)
		return 1
	}
	mux := http.NewServeMux()
	h.Register(mux)
	mux.Handle("GET /teach", servePage(static, "/teach.html"))
	mux.Handle("GET /join", servePage(static, "/join.html"))
	mux.Handle("/", static)

	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    headerBytesMax,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() {
		if *tlsCert != "" {
			served <- srv.ServeTLS(ln, *tlsCert, *tlsKey)
			return
		}
		served <- srv.Serve(ln)
	}()

	url := labURL(ln.Addr())
	if *tlsCert != "" {
		url = "https" + strings.TrimPrefix(url, "http")
	}
	fmt.Fprintf(stdout, "smrlab lab: open %s\n", url)
	fmt.Fprintf(stdout, "classroom: teacher %steach, students %sjoin (store: %s %s, instance %q)\n",
		url, url, st.Engine(), redactDSN(*db), *instance)
	switch {
	case madeKey != "":
		fmt.Fprintf(stdout, "teacher key: %s\n(shown once: only its hash is stored; -new-teacher-key makes another)\n", madeKey)
	case *key != "":
		fmt.Fprintln(stdout, "teacher key: the one given (-teacher-key or SMRLAB_TEACHER_KEY)")
	default:
		fmt.Fprintln(stdout, "teacher key: set (stored as a hash); start with -new-teacher-key to make a new one")
	}
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
	code := 0
	if err := srv.Shutdown(sctx); err != nil {
		logger.Error("shutdown", "err", err)
		code = 1
	}
	h.Shutdown(sctx)
	return code
}

// defaultInstance names this labserver after its host: a restarted
// labserver takes its own rooms back at once instead of waiting for its
// old leases to run out.
func defaultInstance() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "labserver"
	}
	return host
}

// listFlag collects a flag given several times or with commas.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// redactDSN hides a PostgreSQL password in logs.
func redactDSN(dsn string) string {
	if !store.IsPostgres(dsn) {
		return dsn
	}
	if u, err := neturl.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return "postgres://..."
}

// servePage serves one static file at another path (/teach is teach.html).
func servePage(static http.Handler, file string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = file, ""
		static.ServeHTTP(w, r2)
	})
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
