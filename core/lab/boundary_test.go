//go:build !js

// This file runs natively only: it needs the go command and the source tree,
// and neither exists inside the WebAssembly test binary under Node.js.

package lab

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The first contract of DESIGN.md ("Two boundaries are a contract"): no
// package under core/ imports wasm/, web/, cmd/, syscall/js, net/...,
// os/... or syscall, and none reads wall-clock time or global randomness
// (determinism rule 1 adds: no goroutines, no I/O).

const modulePath = "smrlab"

// forbiddenImport says why a core package may not import path, or "".
func forbiddenImport(path string) string {
	under := func(prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }
	switch {
	case under("syscall"):
		return "system calls are I/O (and syscall/js ties the core to the browser)"
	case under("net"):
		return "the network is simulated; the core does no I/O"
	case under("os"):
		return "the core does no I/O and reads no environment"
	case path == "io/fs":
		return "the core reads no files"
	case path == "crypto/rand":
		return "global randomness: draw from a seeded PCG stream instead"
	case under(modulePath + "/cmd"), under(modulePath + "/wasm"), under(modulePath + "/web"):
		return "the core must not depend on its adapters"
	}
	return ""
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the test's directory")
		dir = parent
	}
}

// TestCoreImportsNoIO checks every core package's direct imports (not its
// tests': .Imports leaves them out), for the native build and for the
// WebAssembly one, since build constraints can give them different files.
func TestCoreImportsNoIO(t *testing.T) {
	root := moduleRoot(t)
	goCmd, err := exec.LookPath("go")
	require.NoError(t, err, "the go command must be on PATH (go test puts it there)")

	for _, platform := range []struct{ goos, goarch string }{{"", ""}, {"js", "wasm"}} {
		cmd := exec.Command(goCmd, "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./core/...")
		cmd.Dir = root
		cmd.Env = os.Environ()
		name := "native"
		if platform.goos != "" {
			cmd.Env = append(cmd.Env, "GOOS="+platform.goos, "GOARCH="+platform.goarch)
			name = platform.goos + "/" + platform.goarch
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "go list ./core/... (%s): %s", name, stderr.String())

		packages, bad := importViolations(string(out))
		require.Greater(t, packages, 3, "go list found too few core packages (%s):\n%s", name, out)
		require.Empty(t, bad, "core packages import what the boundary forbids (%s):\n%s", name, strings.Join(bad, "\n"))
	}
}

// importViolations reads `go list -f '{{.ImportPath}} {{join .Imports " "}}'`
// output and returns how many packages it lists and what each imports that
// the boundary forbids. A package outside core/ is itself a violation.
func importViolations(out string) (packages int, bad []string) {
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		pkg := fields[0]
		packages++
		if pkg != modulePath+"/core" && !strings.HasPrefix(pkg, modulePath+"/core/") {
			bad = append(bad, fmt.Sprintf("go list returned %s, which is not under core/", pkg))
			continue
		}
		for _, imp := range fields[1:] {
			if why := forbiddenImport(imp); why != "" {
				bad = append(bad, fmt.Sprintf("%s imports %s: %s", pkg, imp, why))
			}
		}
	}
	return packages, bad
}

// TestCoreSourceDeterministic scans every non-test Go file under core/ for
// wall-clock reads, the global random source and goroutines.
func TestCoreSourceDeterministic(t *testing.T) {
	core := filepath.Join(moduleRoot(t), "core")
	var bad []string
	files := 0
	err := filepath.WalkDir(core, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			// The go command ignores these directories too.
			if path != core && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(filepath.Dir(core), path)
		problems, err := scanSource(filepath.ToSlash(rel), src)
		if err != nil {
			return err
		}
		files++
		bad = append(bad, problems...)
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, files, 10, "found too few Go files under %s", core)
	require.Empty(t, bad, "non-deterministic code under core/:\n%s", strings.Join(bad, "\n"))
}

// wallClock are the time functions that read or wait on the wall clock.
var wallClock = []string{"Now", "Since", "Until", "Sleep", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker"}

// seededRand are the math/rand functions that build a seeded generator
// rather than draw from the global one.
var seededRand = []string{"New", "NewPCG", "NewChaCha8", "NewSource", "NewZipf"}

// scanSource reports, as "file:line: problem", every goroutine, wall-clock
// read and call of a package-level math/rand function in one Go file. It
// works on the syntax tree, so comments and strings do not count, and a
// method on a seeded generator (r.IntN, n.rng.IntN) is not mistaken for the
// package function rand.IntN, even when a local variable is called rand.
func scanSource(filename string, src []byte) ([]string, error) {
	fset := token.NewFileSet()
	// The parser's object resolution binds identifiers declared in the file
	// (variables, parameters...) and leaves package names unbound (Obj nil).
	f, err := parser.ParseFile(fset, filename, src, 0)
	if err != nil {
		return nil, err
	}
	// The local names of the imports that matter ("rand", or an alias).
	pkgOf := map[string]string{}
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			return nil, err
		}
		switch path {
		case "time", "math/rand", "math/rand/v2":
		default:
			continue
		}
		local := path[strings.LastIndexByte(path, '/')+1:]
		if path == "math/rand/v2" {
			local = "rand"
		}
		if imp.Name != nil {
			local = imp.Name.Name
		}
		if local != "_" && local != "." {
			pkgOf[local] = path
		}
		if local == "." {
			return nil, errors.New(filename + ": dot import of " + path + " hides what it calls")
		}
	}

	var problems []string
	report := func(pos token.Pos, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s: %s", fset.Position(pos), fmt.Sprintf(format, args...)))
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			report(n.Pos(), "go statement: the core runs no goroutines")
		case *ast.SelectorExpr:
			id, ok := n.X.(*ast.Ident)
			if !ok || id.Obj != nil { // a variable that shadows the package
				return true
			}
			switch path := pkgOf[id.Name]; {
			case path == "time" && slices.Contains(wallClock, n.Sel.Name):
				report(n.Pos(), "time.%s reads the wall clock: use the simulator's virtual time", n.Sel.Name)
			case (path == "math/rand" || path == "math/rand/v2") && isFunc(n.Sel.Name) && !slices.Contains(seededRand, n.Sel.Name):
				report(n.Pos(), "%s.%s draws from the global random source: use a seeded PCG stream", id.Name, n.Sel.Name)
			}
		}
		return true
	})
	return problems, nil
}

// isFunc tells package-level functions from types by their names: math/rand's
// exported types (Rand, Source, PCG, ChaCha8, Zipf) are allowed in
// declarations. Anything else exported is a function or a variable.
func isFunc(name string) bool {
	switch name {
	case "Rand", "Source", "Source64", "PCG", "ChaCha8", "Zipf":
		return false
	}
	return token.IsExported(name)
}

func TestScanSource(t *testing.T) {
	tests := []struct {
		name string
		src  string
		// want are substrings of the problems expected, in order; none: clean.
		want []string
	}{
		{"clean", `package p

import "math/rand/v2"

type node struct{ rng *rand.Rand }

func newNode(seed uint64) *node { return &node{rng: rand.New(rand.NewPCG(seed, 1))} }

// Comments may mention time.Now() and go func() freely.
func (n *node) timeout() int { return 150 + n.rng.IntN(150) }
`, nil},
		{"seeded generator method", `package p

import "math/rand/v2"

func pick(r *rand.Rand) int { return r.IntN(3) + int(r.Uint64()%2) }
`, nil},
		{"local variable called rand", `package p

import "math/rand/v2"

func pick(seed uint64) int {
	rand := rand.New(rand.NewPCG(seed, 2))
	return rand.IntN(3)
}
`, nil},
		{"rand shadowed in another function only", `package p

import "math/rand/v2"

func seeded(seed uint64) int {
	rand := rand.New(rand.NewPCG(seed, 2))
	return rand.IntN(3)
}

func global() int { return rand.IntN(3) }
`, []string{"p.go:10:", "rand.IntN draws from the global random source"}},
		{"string mentions", `package p

const help = "never call time.Now() or rand.Intn() or go f() here"
`, nil},
		{"time.Now", `package p

import "time"

func stamp() int64 { return time.Now().UnixNano() }
`, []string{"p.go:5:", "time.Now reads the wall clock"}},
		{"time.Since", `package p

import "time"

var start time.Time

func elapsed() time.Duration { return time.Since(start) }
`, []string{"p.go:7:", "time.Since reads the wall clock"}},
		{"goroutine", `package p

func run(f func()) {
	go f()
}
`, []string{"p.go:4:", "go statement"}},
		{"goroutine literal", `package p

func run(ch chan int) {
	go func() { ch <- 1 }()
}
`, []string{"p.go:4:", "go statement"}},
		{"global math/rand", `package p

import "math/rand"

func pick() int { return rand.Intn(3) }
`, []string{"p.go:5:", "rand.Intn draws from the global random source"}},
		{"global math/rand/v2", `package p

import "math/rand/v2"

func pick(xs []int) { rand.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] }) }
`, []string{"p.go:5:", "rand.Shuffle draws from the global random source"}},
		{"aliased import", `package p

import mrand "math/rand/v2"

func pick() uint64 { return mrand.Uint64() }
`, []string{"mrand.Uint64 draws from the global random source"}},
		{"generic rand.N", `package p

import "math/rand/v2"

func pick() int64 { return rand.N[int64](10) }
`, []string{"rand.N draws from the global random source"}},
		{"several", `package p

import (
	"math/rand/v2"
	"time"
)

func bad() {
	go time.Sleep(time.Duration(rand.IntN(10)))
}
`, []string{"go statement", "time.Sleep", "rand.IntN"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problems, err := scanSource("p.go", []byte(tc.src))
			require.NoError(t, err)
			all := strings.Join(problems, "\n")
			if len(tc.want) == 0 {
				require.Empty(t, problems)
				return
			}
			require.NotEmpty(t, problems)
			for _, w := range tc.want {
				require.Contains(t, all, w)
			}
		})
	}
}

func TestImportViolations(t *testing.T) {
	out := `smrlab/core/raft fmt math/rand/v2 slices
smrlab/core/sim fmt os smrlab/core/raft
smrlab/core/tracefile bufio io net/http smrlab/wasm
smrlab/core/trace
`
	packages, bad := importViolations(out)
	require.Equal(t, 4, packages)
	require.Len(t, bad, 3)
	require.Contains(t, bad[0], "smrlab/core/sim imports os")
	require.Contains(t, bad[1], "smrlab/core/tracefile imports net/http")
	require.Contains(t, bad[2], "smrlab/core/tracefile imports smrlab/wasm")

	packages, bad = importViolations("smrlab/core/raft fmt\nsmrlab/core/lab fmt smrlab/core/sim\n")
	require.Equal(t, 2, packages)
	require.Empty(t, bad)
}

func TestForbiddenImport(t *testing.T) {
	for _, path := range []string{"syscall/js", "syscall", "net", "net/http", "os", "os/exec", "io/fs",
		"crypto/rand", "smrlab/cmd/smrlab", "smrlab/wasm", "smrlab/web/static"} {
		require.NotEmpty(t, forbiddenImport(path), path)
	}
	for _, path := range []string{"io", "bufio", "fmt", "math/rand/v2", "network", "oslo", "smrlab/core/sim",
		"smrlab/webhooks", "github.com/hashicorp/go-msgpack/v2/codec", "crypto/sha256"} {
		require.Empty(t, forbiddenImport(path), path)
	}
}
