package room

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"smrlab/core/lab"
	"smrlab/core/raft"
	"smrlab/core/scenario"
)

// SampleMicros spaces the exercise's samples of the native run (who leads,
// client operations): every 100 ms of virtual time, whatever the wall clock
// did, so that a restored or re-run room scores the same.
const SampleMicros = 100_000

// Exercise is a classroom exercise as data (exercises/*.exercise): a world,
// how seats get their roles as they join, and goals and a scoreboard judged
// live on the room's native run. exercises/README.md describes the format.
type Exercise struct {
	Name     string   `json:"name"`
	Title    string   `json:"title"`
	Summary  string   `json:"summary"`
	Say      []string `json:"say"`
	Seed     uint64   `json:"seed"`
	SeedSet  bool     `json:"-"`
	Bugs     []string `json:"bugs"` // toggles the teacher may switch on when opening the room
	Scenario string   `json:"scenario,omitempty"`
	World    string   `json:"-"` // the inline world's scenario source
	Assign   []Assign `json:"assign"`
	Goals    []Goal   `json:"goals"`
	Score    []string `json:"score"`
}

// Assign gives the next joining seats a role: Count of them (0: every one
// left); for role server, each server of the cluster in turn, to Count
// seats a server (0: one), a team per server.
type Assign struct {
	Role  string `json:"role"`
	Count int    `json:"count,omitempty"`
}

// Goal is one goal of an exercise: a condition and its label.
type Goal struct {
	Label string `json:"label"`
	Cond  string `json:"cond"`
	kind  string
	n     int64
}

// The goal conditions (exercises/README.md explains each).
var goalKinds = []string{"elected", "committed >=", "no-violation", "violation", "leaderless <", "ops >=",
	"failed-ops <=", "restarted-all", "time >=", "all-up"}

// ScoreNames are the scoreboard's numbers an exercise may show.
var ScoreNames = []string{"ops", "failed-ops", "leaderless-max", "leaderless-total", "availability",
	"leader-changes", "elections", "violations", "commit", "restarts"}

// ParseExercise reads an exercise file. Errors name file:line:column.
func ParseExercise(file string, src []byte) (*Exercise, error) {
	ex := &Exercise{}
	errAt := func(line, col int, format string, a ...any) error {
		return &scenario.Error{File: file, Line: line, Col: col, Msg: fmt.Sprintf(format, a...)}
	}
	lines := strings.Split(string(src), "\n")
	var world []string
	inWorld, worldLine := false, 0
	for i, raw := range lines {
		ln := i + 1
		line := strings.TrimRight(raw, " \t\r")
		if inWorld {
			if strings.TrimSpace(line) == "end" {
				inWorld = false
				continue
			}
			world = append(world, strings.TrimPrefix(strings.TrimPrefix(line, "  "), "\t"))
			continue
		}
		trimmed := strings.TrimLeft(line, " \t")
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		col := len(line) - len(trimmed) + 1
		kw, rest, _ := strings.Cut(trimmed, " ")
		rest = strings.TrimSpace(rest)
		restCol := col + len(kw) + 1
		switch kw {
		case "exercise":
			if !validExerciseName(rest) {
				return nil, errAt(ln, restCol, "an exercise's name is lowercase letters, digits and dashes, like be-a-server, not %q", rest)
			}
			ex.Name = rest
		case "title", "summary":
			if rest == "" {
				return nil, errAt(ln, col, "%s needs text", kw)
			}
			if kw == "title" {
				ex.Title = rest
			} else {
				ex.Summary = rest
			}
		case "say":
			ex.Say = append(ex.Say, rest)
		case "seed":
			n, err := strconv.ParseUint(rest, 10, 64)
			if err != nil || n > scenario.SeedMax {
				return nil, errAt(ln, restCol, "seed: want a whole number up to %d, not %q", uint64(scenario.SeedMax), rest)
			}
			ex.Seed, ex.SeedSet = n, true
		case "bugs":
			for _, b := range strings.Fields(rest) {
				if _, err := raft.ParseBug(b); err != nil {
					return nil, errAt(ln, restCol, "%v", err)
				}
				ex.Bugs = append(ex.Bugs, b)
			}
		case "world":
			if rest != "" {
				return nil, errAt(ln, restCol, "world takes nothing on its line: the scenario follows, up to a line \"end\"")
			}
			if ex.World != "" || ex.Scenario != "" {
				return nil, errAt(ln, col, "an exercise has one world")
			}
			inWorld, worldLine = true, ln
		case "scenario":
			if ex.World != "" || ex.Scenario != "" || len(world) > 0 {
				return nil, errAt(ln, col, "an exercise has one world")
			}
			if !strings.HasSuffix(rest, ".scn") || strings.ContainsAny(rest, "/\\ ") {
				return nil, errAt(ln, restCol, "scenario names a shipped scenario file, like leader-crash.scn, not %q", rest)
			}
			ex.Scenario = rest
		case "assign":
			a, err := parseAssign(rest)
			if err != nil {
				return nil, errAt(ln, restCol, "%v", err)
			}
			ex.Assign = append(ex.Assign, a)
		case "goal":
			g, err := parseGoal(rest)
			if err != nil {
				return nil, errAt(ln, restCol, "%v", err)
			}
			ex.Goals = append(ex.Goals, g)
		case "score":
			for _, name := range strings.Fields(rest) {
				if !slices.Contains(ScoreNames, name) {
					return nil, errAt(ln, restCol, "unknown score %q (known: %s)", name, strings.Join(ScoreNames, ", "))
				}
				ex.Score = append(ex.Score, name)
			}
		default:
			return nil, errAt(ln, col, "unknown line %q (known: exercise, title, summary, say, seed, bugs, world, scenario, assign, goal, score)", kw)
		}
		if !inWorld && len(world) > 0 && ex.World == "" {
			ex.World = strings.Join(world, "\n") + "\n"
		}
	}
	if inWorld {
		return nil, errAt(worldLine, 1, "the world has no line \"end\"")
	}
	if len(world) > 0 {
		ex.World = strings.Join(world, "\n") + "\n"
	}
	switch {
	case ex.Name == "":
		return nil, errAt(1, 1, "an exercise starts with its name: exercise NAME")
	case ex.Title == "":
		return nil, errAt(1, 1, "exercise %s has no title", ex.Name)
	case ex.World == "" && ex.Scenario == "":
		return nil, errAt(1, 1, "exercise %s has no world: write world ... end, or scenario NAME.scn", ex.Name)
	}
	base := file[strings.LastIndexAny(file, "/\\")+1:]
	if name := strings.TrimSuffix(base, ".exercise"); name != "" && name != base && name != ex.Name {
		return nil, errAt(1, 1, "the file %s names exercise %q", base, ex.Name)
	}
	if ex.World != "" {
		if _, err := scenario.Parse(ex.Name+".scn", []byte(ex.World)); err != nil {
			return nil, fmt.Errorf("%s:%d: the world: %w", file, worldLine, err)
		}
	}
	return ex, nil
}

func validExerciseName(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func parseAssign(rest string) (Assign, error) {
	f := strings.Fields(rest)
	if len(f) == 0 || len(f) > 2 || !validRole(f[0]) {
		return Assign{}, fmt.Errorf("write: assign ROLE [COUNT], ROLE one of server, nemesis, operator, client, observer")
	}
	a := Assign{Role: f[0]}
	if len(f) == 2 {
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 1 || n > SeatsMax {
			return a, fmt.Errorf("assign %s: want a count from 1 to %d, not %q", f[0], SeatsMax, f[1])
		}
		a.Count = n
	}
	return a, nil
}

// parseGoal reads "CONDITION | label".
func parseGoal(rest string) (Goal, error) {
	cond, label, ok := strings.Cut(rest, "|")
	cond, label = strings.Join(strings.Fields(cond), " "), strings.TrimSpace(label)
	if !ok || label == "" {
		return Goal{}, fmt.Errorf("write: goal CONDITION | label, like: goal elected | A leader is elected")
	}
	g := Goal{Label: label, Cond: cond}
	for _, k := range goalKinds {
		arg, ok := strings.CutPrefix(cond, k)
		if !ok || (arg != "" && arg[0] != ' ') {
			continue
		}
		arg = strings.TrimSpace(arg)
		g.kind = k
		needs := strings.HasSuffix(k, "=") || strings.HasSuffix(k, "<")
		switch {
		case !needs && arg != "":
			return g, fmt.Errorf("%s takes nothing more, not %q", k, arg)
		case !needs:
		case k == "leaderless <" || k == "time >=":
			d, err := scenario.ParseDuration(arg)
			if err != nil || d <= 0 {
				return g, fmt.Errorf("%s: want a duration like 2s, not %q", k, arg)
			}
			g.n = d
		default:
			n, err := strconv.ParseInt(arg, 10, 64)
			if err != nil || n < 0 || n > 1<<40 {
				return g, fmt.Errorf("%s: want a whole number, not %q", k, arg)
			}
			g.n = n
		}
		return g, nil
	}
	return g, fmt.Errorf("unknown goal %q (known: elected, committed >= N, no-violation, violation, leaderless < DUR, "+
		"ops >= N, failed-ops <= N, restarted-all, time >= DUR, all-up)", cond)
}

// resolveSpec fills the room's spec from the exercise: its world, its seed
// when the teacher gave none, and checks a named scenario.
func (ex *Exercise) resolveSpec(spec *Spec) error {
	switch {
	case ex.World != "" && spec.Scenario == "":
		spec.File, spec.Scenario = ex.Name+".scn", ex.World
	case ex.World != "" && spec.Scenario != ex.World:
		return fmt.Errorf("exercise %s brings its own world: open the room with no scenario", ex.Name)
	case ex.Scenario != "" && spec.Scenario == "":
		return fmt.Errorf("exercise %s runs on %s: give its source with the room", ex.Name, ex.Scenario)
	case ex.Scenario != "" && spec.File[strings.LastIndexAny(spec.File, "/\\")+1:] != ex.Scenario:
		return fmt.Errorf("exercise %s runs on %s, not %s", ex.Name, ex.Scenario, spec.File)
	}
	if spec.Seed == 0 && ex.SeedSet {
		spec.Seed = ex.Seed
	}
	return nil
}

// checkWorld refuses goals the world cannot judge.
func (ex *Exercise) checkWorld(s *lab.Session) error {
	for _, g := range ex.Goals {
		if (g.kind == "ops >=" || g.kind == "failed-ops <=") && s.Scenario().Config.Workload.Clients == 0 {
			return fmt.Errorf("exercise %s: goal %q needs clients, and its world has none", ex.Name, g.Cond)
		}
	}
	return nil
}

// assign is the role the exercise gives seat id as it joins (observer in
// free play or once every rule is used up).
func (r *Room) assign(id SeatID) Role {
	if r.ex == nil {
		return Role{Role: "observer"}
	}
	servers := r.s.Scenario().Config.Servers
	if m := r.s.Scenario().Config.Members; m > 0 {
		servers = m
	}
	taken := map[string]int{}
	taken["server"] = 0
	for _, s := range r.seats[1:] {
		taken[s.row.Role.Role]++
	}
	for _, a := range r.ex.Assign {
		switch {
		case a.Role == "server":
			// The server with the fewest seats, the first of them: S1, S2,
			// ..., then S1 again for a team of two, up to Count a server.
			per := map[string]int{}
			for _, s := range r.seats[1:] {
				per[s.row.Role.Server]++
			}
			best, least := "", max(a.Count, 1)
			for i := 1; i <= servers; i++ {
				if name := "S" + strconv.Itoa(i); per[name] < least {
					best, least = name, per[name]
				}
			}
			if best != "" {
				return Role{Role: "server", Server: best}
			}
		case a.Count == 0 || taken[a.Role] < a.Count:
			return Role{Role: a.Role}
		}
	}
	return Role{Role: "observer"}
}

// trackState is what the exercise remembers of the run up to a time.
type trackState struct {
	at              int64
	elected         bool
	leaderlessSince int64 // -1 while a leader serves, and before the first election
	leaderlessMax   int64
	leaderlessTotal int64
	samples, served int64
}

// tracker follows the native run for the exercise, sample by sample. Marks
// keep its state at every grid point, so that going back in time restores
// it from the mark before and samples again from there.
type tracker struct {
	cur   trackState
	marks []trackState // marks[k]: the state at k grid points
}

func newTracker(ex *Exercise, s *lab.Session) *tracker {
	t := &tracker{cur: trackState{leaderlessSince: -1}}
	t.sample(s)
	t.marks = []trackState{t.cur}
	return t
}

func (t *tracker) sample(s *lab.Session) {
	c := &t.cur
	if c.at == s.Now() && c.samples > 0 {
		return
	}
	c.at = s.Now()
	c.samples++
	if s.World().Leader() != raft.None {
		c.served++
		c.elected = true
		c.leaderlessSince = -1
		return
	}
	if !c.elected {
		return
	}
	if c.leaderlessSince < 0 {
		c.leaderlessSince = c.at
	}
	c.leaderlessTotal += SampleMicros
	c.leaderlessMax = max(c.leaderlessMax, c.at-c.leaderlessSince+SampleMicros)
}

func (t *tracker) mark(at int64) {
	k := int(at / GridMicros)
	switch {
	case k < len(t.marks):
		t.marks[k] = t.cur
	case k == len(t.marks):
		t.marks = append(t.marks, t.cur)
	}
}

// restore goes back to the last mark at or before at and returns its time.
func (t *tracker) restore(at int64) int64 {
	k := min(int(at/GridMicros), len(t.marks)-1)
	t.cur = t.marks[k]
	return t.cur.at
}

// truncate forgets the marks after at: the branch changed there.
func (t *tracker) truncate(at int64) {
	k := len(t.marks)
	for k > 1 && t.marks[k-1].at > at {
		k--
	}
	t.marks = t.marks[:k]
}

func (t *tracker) reset(s *lab.Session) {
	t.marks = t.marks[:1]
	t.cur = t.marks[0]
}

// GoalStatus is one goal's state now: not-yet, met or failed, and why.
type GoalStatus struct {
	Label string `json:"label"`
	Cond  string `json:"cond"`
	State string `json:"state"`
	Why   string `json:"why"`
}

// ScoreStatus is one number of the scoreboard.
type ScoreStatus struct {
	Name  string `json:"name"`
	Value int64  `json:"value"`
	Unit  string `json:"unit"`
}

// ExerciseStatus is what the exercise frame shows.
type ExerciseStatus struct {
	Name  string        `json:"name"`
	At    int64         `json:"at"`
	Goals []GoalStatus  `json:"goals"`
	Score []ScoreStatus `json:"score"`
	Done  bool          `json:"done"`
}

// ExerciseStatus judges the exercise's goals and scoreboard now (nil in
// free play).
func (r *Room) ExerciseStatus() *ExerciseStatus {
	if r.ex == nil {
		return nil
	}
	st := &ExerciseStatus{Name: r.ex.Name, At: r.s.Now(), Done: len(r.ex.Goals) > 0}
	for _, g := range r.ex.Goals {
		state, why := r.judge(&g)
		st.Goals = append(st.Goals, GoalStatus{Label: g.Label, Cond: g.Cond, State: state, Why: why})
		st.Done = st.Done && state == "met"
	}
	for _, name := range r.ex.Score {
		v, unit := r.score(name)
		st.Score = append(st.Score, ScoreStatus{Name: name, Value: v, Unit: unit})
	}
	return st
}

func msText(us int64) string {
	return strconv.FormatInt(us/1000, 10) + " ms"
}

// judge says where a goal stands now.
func (r *Room) judge(g *Goal) (string, string) {
	w := r.s.World()
	st := w.Stats()
	c := &r.track.cur
	switch g.kind {
	case "elected":
		if c.elected || w.Leader() != raft.None {
			return "met", "a leader was elected"
		}
		return "not-yet", "no leader yet"
	case "committed >=":
		var best uint64
		for _, sv := range w.Servers() {
			best = max(best, sv.Status.Commit)
		}
		if int64(best) >= g.n {
			return "met", fmt.Sprintf("commit index %d", best)
		}
		return "not-yet", fmt.Sprintf("commit index %d of %d", best, g.n)
	case "no-violation", "violation":
		v := w.Violation()
		if (v == nil) == (g.kind == "no-violation") {
			if v == nil {
				return "met", "every invariant held so far"
			}
			return "met", v.Error()
		}
		if v == nil {
			return "not-yet", "every invariant holds so far"
		}
		return "failed", v.Error()
	case "leaderless <":
		if c.leaderlessMax >= g.n {
			return "failed", fmt.Sprintf("the cluster was without a leader for %s in a row", msText(c.leaderlessMax))
		}
		return "met", fmt.Sprintf("longest time without a leader so far: %s", msText(c.leaderlessMax))
	case "ops >=":
		if int64(st.OpsOK) >= g.n {
			return "met", fmt.Sprintf("%d client operations completed", st.OpsOK)
		}
		return "not-yet", fmt.Sprintf("%d of %d client operations completed", st.OpsOK, g.n)
	case "failed-ops <=":
		n := int64(st.OpsFailed + st.OpsIndeterminate)
		if n > g.n {
			return "failed", fmt.Sprintf("%d client operations failed or timed out for good", n)
		}
		return "met", fmt.Sprintf("%d client operations failed so far", n)
	case "restarted-all":
		left := r.notRestarted()
		if len(left) == 0 {
			return "met", "every server was crashed and restarted"
		}
		return "not-yet", "still to restart: " + strings.Join(left, ", ")
	case "time >=":
		if r.s.Now() >= g.n {
			return "met", "time " + msText(r.s.Now())
		}
		return "not-yet", fmt.Sprintf("time %s of %s", msText(r.s.Now()), msText(g.n))
	case "all-up":
		var down []string
		for _, sv := range w.Servers() {
			if !sv.Up {
				down = append(down, sv.ID.String())
			}
		}
		if len(down) == 0 {
			return "met", "every server runs"
		}
		return "not-yet", "down: " + strings.Join(down, ", ")
	}
	return "not-yet", ""
}

// notRestarted lists the cluster's servers that the branch has not yet
// crashed and then restarted, by name ("crash S2" or "crash S1,S2" or
// "crash all", then "restart S2" or "restart all"); "crash leader" names
// no server, as the exercise asks each one's seat to restart its own.
func (r *Room) notRestarted() []string {
	cfg := r.s.Scenario().Config
	n := cfg.Servers
	if cfg.Members > 0 {
		n = cfg.Members
	}
	crashed := make([]bool, n+1)
	done := make([]bool, n+1)
	now := r.s.Now()
	for _, a := range r.s.Actions() {
		if a.At > now {
			break
		}
		f := strings.Fields(a.Text)
		if len(f) < 4 {
			continue
		}
		if f[2] != "crash" && f[2] != "restart" {
			continue
		}
		for _, name := range strings.Split(strings.Join(f[3:], ","), ",") {
			ids := []int{}
			if name == "all" {
				for id := 1; id <= n; id++ {
					ids = append(ids, id)
				}
			} else if id, err := strconv.Atoi(strings.TrimPrefix(name, "S")); err == nil && strings.HasPrefix(name, "S") &&
				id >= 1 && id <= n {
				ids = append(ids, id)
			}
			for _, id := range ids {
				if f[2] == "crash" {
					crashed[id] = true
				} else {
					done[id] = done[id] || crashed[id]
				}
			}
		}
	}
	var left []string
	for id := 1; id <= n; id++ {
		if !done[id] {
			left = append(left, "S"+strconv.Itoa(id))
		}
	}
	return left
}

// score computes one number of the scoreboard.
func (r *Room) score(name string) (int64, string) {
	w := r.s.World()
	st := w.Stats()
	c := &r.track.cur
	switch name {
	case "ops":
		return int64(st.OpsOK), "operations"
	case "failed-ops":
		return int64(st.OpsFailed + st.OpsIndeterminate), "operations"
	case "leaderless-max":
		return c.leaderlessMax / 1000, "ms"
	case "leaderless-total":
		return c.leaderlessTotal / 1000, "ms"
	case "availability":
		if c.samples == 0 {
			return 0, "‰"
		}
		return c.served * 1000 / c.samples, "‰"
	case "leader-changes":
		return int64(st.LeaderChanges), "changes"
	case "elections":
		return int64(st.Elections), "elections"
	case "violations":
		if w.Violation() != nil {
			return 1, "violations"
		}
		return 0, "violations"
	case "commit":
		var best uint64
		for _, sv := range w.Servers() {
			best = max(best, sv.Status.Commit)
		}
		return int64(best), "index"
	case "restarts":
		return int64(st.Restarts), "restarts"
	}
	return 0, ""
}

// exerciseInfo is the exercise as the sync frame describes it.
func (r *Room) exerciseInfo() json.RawMessage {
	if r.ex == nil {
		return nil
	}
	info := struct {
		*Exercise
		Status *ExerciseStatus `json:"status"`
	}{r.ex, r.ExerciseStatus()}
	b, _ := json.Marshal(info) // cannot fail: plain values
	return b
}
