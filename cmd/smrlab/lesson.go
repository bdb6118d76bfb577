package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"smrlab/core/lesson"
	"smrlab/core/scenario"
	"smrlab/core/sim"
)

const lessonUsage = "lesson check [--seeds N] [--scenarios DIR] DIR|FILE...\n" +
	"       smrlab lesson list [--json] [--scenarios DIR] [DIR|FILE...]\n" +
	"       smrlab lesson new --from RECORDING [--id ID] [-o FILE]"

func cmdLesson(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("which? lesson check, lesson list or lesson new (see smrlab help lesson)")
	}
	switch args[0] {
	case "check":
		return cmdLessonCheck(args[1:], stdout, stderr)
	case "list":
		return cmdLessonList(args[1:], stdout, stderr)
	case "new":
		return cmdLessonNew(args[1:], stdout, stderr)
	case "-h", "--help", "-help", "help":
		fmt.Fprintf(stdout, "usage: smrlab %s\n", lessonUsage)
		return nil
	}
	return fmt.Errorf("unknown lesson command %q (known: check, list, new)", args[0])
}

// loadedLesson is a lesson file read and parsed.
type loadedLesson struct {
	path   string
	order  int
	lesson *lesson.Lesson
}

// lessonFiles expands directories into their *.lesson files, in order.
func lessonFiles(pos []string) ([]string, error) {
	if len(pos) == 0 {
		pos = []string{"lessons"}
	}
	var out []string
	for _, p := range pos {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		files, err := filepath.Glob(filepath.Join(p, "*.lesson"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("%s: no .lesson files", p)
		}
		slices.Sort(files)
		out = append(out, files...)
	}
	return out, nil
}

// scenarioReader finds a shipped scenario by name: in dir when given, else
// in the scenarios folder beside the lesson's folder, else in ./scenarios.
func scenarioReader(dir, lessonPath string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		dirs := []string{dir}
		if dir == "" {
			dirs = []string{filepath.Join(filepath.Dir(lessonPath), "..", "scenarios"), "scenarios"}
		}
		var firstErr error
		for _, d := range dirs {
			src, err := readLimited(filepath.Join(d, name+".scn"), scenario.SourceBytesMax)
			if err == nil {
				return src, nil
			}
			if firstErr == nil {
				firstErr = err
			}
		}
		return nil, firstErr
	}
}

func readLimited(path string, limit int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%s: over the limit of %d bytes", path, limit)
	}
	return data, nil
}

// loadLessons parses lesson files and checks the course: unique ids, file
// names NN-ID.lesson, and assumes naming earlier lessons.
func loadLessons(pos []string, scenarios string) ([]loadedLesson, []string, error) {
	files, err := lessonFiles(pos)
	if err != nil {
		return nil, nil, err
	}
	var out []loadedLesson
	var problems []string
	seen := map[string]string{}
	for i, f := range files {
		src, err := readLimited(f, lesson.SourceBytesMax)
		if err != nil {
			return nil, nil, err
		}
		l, err := lesson.Parse(f, src, scenarioReader(scenarios, f))
		if err != nil {
			return nil, nil, err
		}
		ll := loadedLesson{path: f, order: i + 1, lesson: l}
		base := strings.TrimSuffix(filepath.Base(f), ".lesson")
		if nn, id, ok := strings.Cut(base, "-"); ok && len(nn) == 2 {
			if n, err := strconv.Atoi(nn); err == nil {
				ll.order = n
			}
			if id != l.ID {
				problems = append(problems, fmt.Sprintf("%s:1: the file is named for %q but the lesson line says %q (name it NN-%s.lesson)", f, id, l.ID, l.ID))
			}
		}
		if prev, ok := seen[l.ID]; ok {
			problems = append(problems, fmt.Sprintf("%s:1: lesson %s is also %s", f, l.ID, prev))
		}
		earlier, err := earlierLessons(f)
		if err != nil {
			return nil, nil, err
		}
		for _, a := range l.Assumes {
			if _, ok := seen[a]; !ok && !slices.Contains(earlier, a) {
				problems = append(problems, fmt.Sprintf("%s:1: assumes %s, which is not an earlier lesson of the course", f, a))
			}
		}
		seen[l.ID] = f
		out = append(out, ll)
	}
	return out, problems, nil
}

// earlierLessons are the ids of the lessons before file in its folder, by
// their file names (NN-ID.lesson), so that a lesson checked alone may
// assume the ones before it.
func earlierLessons(file string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(filepath.Dir(file), "*.lesson"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".lesson")
		if base >= strings.TrimSuffix(filepath.Base(file), ".lesson") {
			continue
		}
		if nn, id, ok := strings.Cut(base, "-"); ok && len(nn) == 2 {
			out = append(out, id)
		}
	}
	return out, nil
}

func cmdLessonCheck(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("lesson", stdout)
	seeds := fs.Int("seeds", lesson.CheckSeedsDefault, "seeds to prove a per-student lesson on")
	scenarios := fs.String("scenarios", "", "folder of the shipped scenarios (default: ../scenarios beside the lessons, or ./scenarios)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *seeds < 1 {
		return fmt.Errorf("--seeds must be at least 1")
	}
	lessons, problems, err := loadLessons(pos, *scenarios)
	if err != nil {
		return err
	}
	// Lessons are independent: check them on every core, print in order.
	reports := make([]lesson.Report, len(lessons))
	took := make([]time.Duration, len(lessons))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), len(lessons)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				start := time.Now()
				reports[i] = lesson.CheckReport(lessons[i].lesson, lesson.Seeds(lessons[i].lesson, *seeds))
				took[i] = time.Since(start)
			}
		}()
	}
	for i := range lessons {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, ll := range lessons {
		r := reports[i]
		mark := "ok  "
		if len(r.Problems) > 0 {
			mark = "FAIL"
		}
		fmt.Fprintf(stdout, "%s %-28s %d steps, %d predictions, %d seed%s, %s virtual, %.2fs\n", mark,
			filepath.Base(ll.path), r.Steps, r.Predictions, len(r.Seeds), plural(len(r.Seeds)),
			fmtVirtual(r.Virtual), took[i].Seconds())
		for _, p := range r.Problems {
			problems = append(problems, p.String())
		}
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	if len(problems) > 0 {
		return exitError{1}
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func fmtVirtual(us int64) string {
	if us < sim.Second {
		return strconv.FormatFloat(float64(us)/float64(sim.Millisecond), 'f', 1, 64) + "ms"
	}
	return strconv.FormatFloat(float64(us)/float64(sim.Second), 'f', 1, 64) + "s"
}

// listedLesson is one lesson in `smrlab lesson list --json`, the page's
// lesson catalogue (web/static/lessons/index.json).
type listedLesson struct {
	ID         string   `json:"id"`
	File       string   `json:"file"`
	Order      int      `json:"order"`
	Title      string   `json:"title"`
	Summary    string   `json:"summary"`
	Minutes    int      `json:"minutes"`
	Question   string   `json:"question"`
	Reference  string   `json:"reference,omitempty"`
	Assumes    []string `json:"assumes"`
	Steps      int      `json:"steps"`
	StepIDs    []string `json:"stepIds"`
	PerStudent bool     `json:"perStudent"`
	Seed       string   `json:"seed"`
}

func cmdLessonList(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("lesson", stdout)
	asJSON := fs.Bool("json", false, "print the catalogue as JSON (the page's lessons/index.json)")
	scenarios := fs.String("scenarios", "", "folder of the shipped scenarios")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	lessons, _, err := loadLessons(pos, *scenarios)
	if err != nil {
		return err
	}
	out := []listedLesson{}
	for _, ll := range lessons {
		l := ll.lesson
		e := listedLesson{ID: l.ID, File: filepath.Base(ll.path), Order: ll.order, Title: l.Title, Summary: l.Summary,
			Minutes: l.Minutes, Question: l.Question, Reference: l.Reference, Assumes: l.Assumes,
			Steps: len(l.Steps), PerStudent: l.PerStudent, Seed: strconv.FormatUint(l.Seed, 10)}
		if e.Assumes == nil {
			e.Assumes = []string{}
		}
		for _, s := range l.Steps {
			e.StepIDs = append(e.StepIDs, s.ID)
		}
		out = append(out, e)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, e := range out {
		fmt.Fprintf(stdout, "%02d %-20s %2d min  %s\n", e.Order, e.ID, e.Minutes, e.Title)
	}
	return nil
}

func cmdLessonNew(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("lesson", stdout)
	from := fs.String("from", "", "the recording (or trace file) to make the lesson from")
	id := fs.String("id", "", "the lesson's id (default: from -o's file name, else recorded)")
	out := fs.String("o", "", "write the lesson to this file (default: standard output)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if *from == "" || len(pos) > 0 {
		return fmt.Errorf("write: smrlab lesson new --from RECORDING [--id ID] [-o FILE]")
	}
	if *id == "" {
		*id = "recorded"
		if base := strings.TrimSuffix(filepath.Base(*out), ".lesson"); *out != "" {
			if _, rest, ok := strings.Cut(base, "-"); ok && len(base) > 3 && base[2] == '-' {
				base = rest
			}
			*id = base
		}
	}
	h, err := readRecording(*from)
	if err != nil {
		return err
	}
	text, err := lesson.Skeleton(h, *id)
	if err != nil {
		return fmt.Errorf("%s: %w", *from, err)
	}
	if *out == "" {
		_, err = io.WriteString(stdout, text)
		return err
	}
	if err := os.WriteFile(*out, []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s: lesson %s with %d recorded actions; prove it with: smrlab lesson check %s\n",
		*out, *id, len(h.Actions), *out)
	return nil
}
