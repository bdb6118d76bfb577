// Package pgtest gives tests a fresh PostgreSQL database each: on the server
// named by SMRLAB_PG_DSN when it is set, or else on a private server that the
// test binary starts on first use from Debian's postgresql package (initdb in
// a temporary folder, a free loopback port, the socket in that folder) and
// stops when its tests end. Nothing here depends on a cluster the machine may
// already run.
//
// Use it from a test package as
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// and call DSN(t) in each test that needs a database.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// EnvDSN names the environment variable of an existing server to use
// instead of a private one: a postgres:// URL of a user that may create
// databases.
const EnvDSN = "SMRLAB_PG_DSN"

// startTimeout bounds initdb plus the server's start on a loaded machine.
const startTimeout = 2 * time.Minute

const installHint = "install PostgreSQL (on Debian: apt-get install postgresql; .ci/deps does it) or set " + EnvDSN + " to a postgres:// URL"

var (
	once    sync.Once
	srv     *server
	srvErr  error
	adminMu sync.Mutex
)

// server is the private PostgreSQL of this test binary, or the one of
// SMRLAB_PG_DSN (then cmd is nil).
type server struct {
	admin  string // DSN of the maintenance database
	dir    string // the temporary folder, removed on stop
	cmd    *exec.Cmd
	exited chan error // receives the server's exit
	log    string     // the server's log file
}

// Main runs the tests and then stops the private server if one was started.
func Main(m *testing.M) int {
	code := m.Run()
	if err := Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Stop stops the private server, if one was started, and removes its files.
func Stop() error {
	if srv == nil || srv.cmd == nil {
		return nil
	}
	s := srv
	srv = nil
	// SIGINT is PostgreSQL's fast shutdown: sessions are ended, no wait.
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	return os.RemoveAll(s.dir)
}

// DSN creates a fresh database for the test and returns its postgres:// URL.
// The database is dropped when the test ends. Without a server to use it
// fails the test, saying how to install one.
func DSN(t testing.TB) string {
	t.Helper()
	once.Do(func() { srv, srvErr = start() })
	if srvErr != nil {
		t.Fatalf("pgtest: no PostgreSQL for the tests: %v\n%s", srvErr, installHint)
	}
	name := "t_" + randomHex(8)
	if err := srv.exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if srv == nil {
			return
		}
		if err := srv.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return withDatabase(srv.admin, name)
}

func (s *server) exec(stmt string) error {
	adminMu.Lock()
	defer adminMu.Unlock()
	db, err := sql.Open("pgx", s.admin)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = db.ExecContext(ctx, stmt)
	return err
}

func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func start() (*server, error) {
	if dsn := os.Getenv(EnvDSN); dsn != "" {
		s := &server{admin: dsn}
		if err := ping(dsn, 10*time.Second); err != nil {
			return nil, fmt.Errorf("%s=%s: %w", EnvDSN, redact(dsn), err)
		}
		return s, nil
	}
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	dir, err := os.MkdirTemp("", "smrlab-pgtest-")
	if err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: run it as the postgres user
		// that Debian's package creates, in a folder that user owns.
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, and no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	s := &server{dir: dir, log: filepath.Join(dir, "server.log")}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb %s: %v\n%s", data, err, out)
	}
	var lastErr error
	for try := 0; try < 3; try++ {
		port, err := freePort()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		if err := s.run(bin, data, port, cred); err != nil {
			lastErr = err
			continue
		}
		return s, nil
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

// run starts the postmaster itself rather than through pg_ctl so that it is
// this process's child: Pdeathsig kills it if the test binary dies (a test
// timeout, a panic) instead of leaving a server behind.
func (s *server) run(bin, data string, port int, cred *syscall.Credential) error {
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	if cred != nil {
		_ = os.Chown(s.log, int(cred.Uid), int(cred.Gid))
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+s.dir,
		// A throwaway server: no fsync (the store's durability is tested on
		// SQLite's file and on the commit protocol, not on this disk).
		"-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=200")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s.admin = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(s.log)
			return fmt.Errorf("postgres on port %d exited: %v\n%s", port, err, log)
		default:
		}
		if ping(s.admin, 2*time.Second) == nil {
			s.cmd, s.exited = cmd, exited
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	<-exited
	log, _ := os.ReadFile(s.log)
	return fmt.Errorf("postgres on port %d did not accept connections within %v\n%s", port, startTimeout, log)
}

func ping(dsn string, timeout time.Duration) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return db.PingContext(ctx)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// binDir finds Debian's PostgreSQL programs, the newest version first, or
// initdb on PATH.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no initdb under /usr/lib/postgresql/*/bin nor on PATH")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return strings.SplitN(dsn, "@", 2)[0] + "@..."
}
