package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// run prints the URL, serves it, and returns 0 once its context ends (as on
// SIGINT or SIGTERM).
func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	out, outW := io.Pipe()
	var stderr bytes.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "labserver.db")}, outW, &stderr)
		outW.Close()
	}()

	rd := bufio.NewReader(out)
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the URL line: %v (stderr: %s)", err, stderr.String())
	}
	rest := make(chan string, 1)
	go func() { b, _ := io.ReadAll(rd); rest <- string(b) }()
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "smrlab lab: open ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/") {
		t.Fatalf("first line %q, want smrlab lab: open http://127.0.0.1:PORT/", line)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("GET %s: status %d, Content-Type %q", url, resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	for path, want := range map[string]int{"/healthz": 200, "/teach": 404, "/join?code=ACDEFG": 404, "/api/rooms": 401, "/api/exercises": 200} {
		resp, err := http.Get(strings.TrimSuffix(url, "/") + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if _, err := os.Stat(filepath.Join("..", "..", "web", "static", strings.TrimPrefix(strings.Split(path, "?")[0], "/")+".html")); err == nil && want == 404 {
			want = 200 // the page exists in this tree
		}
		if resp.StatusCode != want {
			t.Errorf("GET %s: status %d, want %d", path, resp.StatusCode, want)
		}
	}

	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit code %d after shutdown; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatal("run did not return after its context ended")
	}
	if _, err := http.Get(url); err == nil {
		t.Errorf("still serving after shutdown")
	}
	if out := <-rest; !strings.Contains(out, "teacher key: ") || !strings.Contains(out, "shown once") {
		t.Errorf("a first start prints a new teacher key once; stdout after the URL:\n%s", out)
	}

	// The second start on the same store keeps the key and says how to renew it.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	out2, outW2 := io.Pipe()
	go func() {
		exit <- run(ctx2, []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "labserver.db")}, outW2, &stderr)
		outW2.Close()
	}()
	var stdout strings.Builder
	sc := bufio.NewScanner(out2)
	for sc.Scan() {
		stdout.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "teacher key: ") {
			cancel2()
		}
	}
	if code := <-exit; code != 0 {
		t.Fatalf("second start: exit %d; stderr:\n%s", code, stderr.String())
	}
	if out := stdout.String(); strings.Contains(out, "shown once") || !strings.Contains(out, "-new-teacher-key") {
		t.Errorf("a second start must not print a key, and must say how to make a new one:\n%s", out)
	}
}

func TestRunFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, 0, "-addr"},
		{[]string{"-nope"}, 2, "flag provided but not defined"},
		{[]string{"extra"}, 2, `unexpected argument "extra"`},
		{[]string{"-dir", "/no/such/folder", "-addr", "127.0.0.1:0"}, 1, "cannot serve the lab"},
		{[]string{"-dir", t.TempDir(), "-addr", "256.0.0.1:1"}, 1, "cannot listen"},
		{[]string{"-tls-cert", "cert.pem", "-addr", "127.0.0.1:0"}, 2, "-tls-cert and -tls-key go together"},
		{[]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")}, 1, "cannot open the rooms' store"},
		{[]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(t.TempDir(), "x.db"), "-teacher-key", "short"}, 1, "at least 12"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), tc.args, &stdout, &stderr); code != tc.code {
			t.Errorf("run %q: exit %d, want %d", tc.args, code, tc.code)
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("run %q: stderr %q lacks %q", tc.args, stderr.String(), tc.want)
		}
	}
}

func TestLabURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080/",
		"0.0.0.0:8080":   "http://localhost:8080/",
		"[::]:8080":      "http://localhost:8080/",
		"[::1]:9000":     "http://[::1]:9000/",
	} {
		tcp, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := labURL(tcp); got != want {
			t.Errorf("labURL(%s) = %s, want %s", addr, got, want)
		}
	}
}

// With -tls-cert and -tls-key the labserver serves HTTPS (and so wss).
func TestRunTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, outW := io.Pipe()
	var stderr bytes.Buffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "rooms.db"),
			"-tls-cert", certFile, "-tls-key", keyFile}, outW, &stderr)
		outW.Close()
	}()
	rd := bufio.NewReader(out)
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the URL line: %v (stderr: %s)", err, stderr.String())
	}
	go io.Copy(io.Discard, rd)
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "smrlab lab: open ")
	if !ok || !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("first line %q, want smrlab lab: open https://127.0.0.1:PORT/", line)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(url + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Errorf("GET %shealthz: status %d, TLS %v", url, resp.StatusCode, resp.TLS != nil)
	}
	cancel()
	if code := <-exit; code != 0 {
		t.Errorf("exit %d; stderr:\n%s", code, stderr.String())
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "labserver test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
