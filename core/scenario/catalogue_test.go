package scenario

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// catalogueRow is one row of the table in scenarios/README.md.
type catalogueRow struct {
	line   int
	file   string
	expect string // the expectations column
}

// catalogue reads the scenario table of scenarios/README.md: rows whose
// first cell names a .scn file.
func catalogue(t *testing.T) []catalogueRow {
	t.Helper()
	src, err := os.ReadFile("../../scenarios/README.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []catalogueRow
	for i, line := range strings.Split(string(src), "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		// Split on the cells' bars, not on the escaped ones (\|) inside them.
		cells := strings.Split(strings.ReplaceAll(line, `\|`, "\x00"), "|")
		if len(cells) != 6 {
			t.Errorf("scenarios/README.md:%d: want 4 cells (file, what it teaches, failure mode, expectations), got %d",
				i+1, len(cells)-2)
			continue
		}
		file := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if !strings.HasSuffix(file, ".scn") {
			t.Errorf("scenarios/README.md:%d: the first cell %q is not a scenario file", i+1, cells[1])
			continue
		}
		rows = append(rows, catalogueRow{line: i + 1, file: file, expect: strings.TrimSpace(cells[4])})
	}
	return rows
}

// TestCatalogueListsEveryScenario: scenarios/README.md lists every shipped
// scenario exactly once, and lists no file that is not there.
func TestCatalogueListsEveryScenario(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.scn")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	listed := map[string]int{}
	for _, r := range catalogue(t) {
		if prev, ok := listed[r.file]; ok {
			t.Errorf("scenarios/README.md:%d: %s is listed again (first at line %d)", r.line, r.file, prev)
		}
		listed[r.file] = r.line
		if _, err := os.Stat(filepath.Join("../../scenarios", r.file)); err != nil {
			t.Errorf("scenarios/README.md:%d: %s is listed but there is no such file", r.line, r.file)
		}
	}
	for _, f := range files {
		if _, ok := listed[filepath.Base(f)]; !ok {
			t.Errorf("scenarios/%s is not in the table of scenarios/README.md", filepath.Base(f))
		}
	}
}

// violationWord finds "violation NAME" (not "no-violation") in a cell.
var violationWord = regexp.MustCompile(`(?:^|[^-\w])violation (\w+)`)

// defaultSeed finds "default seed N" in a cell.
var defaultSeed = regexp.MustCompile(`default seed (\d+)`)

// catalogueWord is how the expectations column names a kind of expect line.
type catalogueWord struct {
	kind ExpectKind
	stat string // for ExpectCountAtLeast
	word string
	re   *regexp.Regexp
}

var catalogueWords = func() []catalogueWord {
	var out []catalogueWord
	add := func(kind ExpectKind, stat, word string) {
		re := regexp.MustCompile(`(?:^|[^-\w])` + regexp.QuoteMeta(word) + `(?:[^-\w]|$)`)
		out = append(out, catalogueWord{kind, stat, word, re})
	}
	add(ExpectNoViolation, "", "no-violation")
	add(ExpectLinearizable, "", "linearizable")
	add(ExpectAllOpsComplete, "", "all-ops-complete")
	add(ExpectStall, "", "stall")
	add(ExpectNoStall, "", "no-stall")
	add(ExpectLeaderWithin, "", "leader")
	add(ExpectCommitDuring, "", "commit during")
	add(ExpectNoCommitDuring, "", "no-commit")
	add(ExpectCommittedAtLeast, "", "committed")
	add(ExpectRetainedAtMost, "", "retained")
	add(ExpectVoters, "", "voters")
	for stat := range counts {
		add(ExpectCountAtLeast, stat, stat)
	}
	return out
}()

// TestCatalogueExpectations: the expectations column agrees with each
// file's expect lines: the same expected violations (a bug scenario's
// promise), a word for every other kind of expectation the file states
// (no-violation, leader, stall, linearizable, installs, ...), and none for a
// kind it does not state.
func TestCatalogueExpectations(t *testing.T) {
	scs := shipped(t)
	for _, r := range catalogue(t) {
		sc, ok := scs[r.file]
		if !ok {
			continue // TestCatalogueListsEveryScenario reports it
		}
		var want, got []string
		for _, e := range sc.Expect {
			if e.Kind == ExpectViolation {
				want = append(want, e.Invariant)
			}
		}
		for _, m := range violationWord.FindAllStringSubmatch(r.expect, -1) {
			got = append(got, m[1])
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Errorf("scenarios/README.md:%d: %s expects violations %v, the table says %v", r.line, r.file, want, got)
		}
		if m := defaultSeed.FindStringSubmatch(r.expect); m != nil && m[1] != strconv.FormatUint(sc.Seed, 10) {
			t.Errorf("scenarios/README.md:%d: %s: the table says default seed %s, the file has seed %d", r.line, r.file,
				m[1], sc.Seed)
		}
		for _, w := range catalogueWords {
			inFile := slices.ContainsFunc(sc.Expect, func(e Expectation) bool {
				return e.Line > 0 && e.Kind == w.kind && (w.stat == "" || e.Stat == w.stat)
			})
			if inTable := w.re.MatchString(r.expect); inFile != inTable {
				t.Errorf("scenarios/README.md:%d: %s: expects %q in the file: %v, in the table: %v", r.line, r.file,
					w.word, inFile, inTable)
			}
		}
	}
}
