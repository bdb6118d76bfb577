package lesson

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"smrlab/core/lab"
	"smrlab/core/raft"
	"smrlab/core/scenario"
	"smrlab/core/trace"
)

// Skeleton turns a recording (a session's inputs, as the page exports them)
// into a lesson skeleton with the given id: the recording's scenario as the
// world, its seed and bug toggles, and one step whose solution is the
// recorded actions (with waits for the gaps) and whose goals are suggested
// by the state the recording ends in (leader, term, commit index, voters,
// violation). `smrlab lesson check` passes on it as written; the author then
// writes the narration and splits it into steps.
func Skeleton(h *trace.Header, id string) (string, error) {
	if !isID(id) {
		return "", fmt.Errorf("a lesson id is lowercase letters, digits and dashes, not %q", id)
	}
	if h.Seed > scenario.SeedMax {
		return "", fmt.Errorf("seed %d is over %d, the largest a lesson can name", h.Seed, uint64(scenario.SeedMax))
	}
	s, err := lab.OpenRecording(h)
	if err != nil {
		return "", err
	}
	sc := s.Scenario()
	name := sc.Name
	if name == "" {
		name = h.ScenarioName
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# A lesson skeleton made by `smrlab lesson new` from a recording of %q\n", name)
	fmt.Fprintf(&b, "# (seed %d, %d action(s), stopped at %s). Write the narration, split the\n", h.Seed, len(h.Actions), fmtDuration(s.Now()))
	b.WriteString("# solution into steps, add a prediction and hints (see lessons/README.md), then\n" +
		"# prove it with: smrlab lesson check FILE\n")
	fmt.Fprintf(&b, "lesson %s\n", id)
	fmt.Fprintf(&b, "title What happens in %s\n", name)
	fmt.Fprintf(&b, "summary Replay a recorded session of %s, step by step.\n", name)
	b.WriteString("minutes 5\n")
	fmt.Fprintf(&b, "question What does this session of %s show?\n\n", name)
	b.WriteString("world\n")
	for _, line := range strings.Split(strings.TrimRight(sc.Source, "\n"), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == "expect" {
			line = "# (goals replace expectations) " + line
		}
		if strings.TrimSpace(line) == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString("  " + line + "\n")
	}
	if len(h.Bugs) > 0 {
		fmt.Fprintf(&b, "  bug all %s\n", strings.Join(h.Bugs, " "))
	}
	fmt.Fprintf(&b, "seed %d\n\n", h.Seed)
	b.WriteString("step recorded\n  title The recorded session\n")
	b.WriteString("  say Replay the session: the actions below are the ones recorded.\n")
	b.WriteString("  controls all\n")
	for _, g := range suggestGoals(s) {
		b.WriteString("  " + g + "\n")
	}
	at := int64(0)
	for i, text := range h.Actions {
		f := strings.Fields(text)
		if len(f) < 3 || f[0] != "at" {
			return "", fmt.Errorf("the recording's action %d (%q) does not read: at TIME ACTION", i+1, text)
		}
		t, err := scenario.ParseDuration(f[1])
		if err != nil {
			return "", fmt.Errorf("the recording's action %d: %w", i+1, err)
		}
		if t > at {
			fmt.Fprintf(&b, "  solution wait %s\n", exactDuration(t-at))
			at = t
		}
		fmt.Fprintf(&b, "  solution %s\n", strings.Join(f[2:], " "))
	}
	if end := s.Now(); end > at {
		fmt.Fprintf(&b, "  solution wait %s\n", exactDuration(end-at))
	} else if len(h.Actions) == 0 {
		b.WriteString("  solution wait 1ms\n")
	}
	return b.String(), nil
}

// suggestGoals writes goal lines that the recording's final state meets.
func suggestGoals(s *lab.Session) []string {
	w := s.World()
	if v := w.Violation(); v != nil {
		return []string{fmt.Sprintf("goal \"%s breaks\" violation %s", v.Invariant, v.Invariant)}
	}
	views := w.Servers()
	var out []string
	lead, _ := scenario.Serving(views)
	if lead != raft.None {
		out = append(out, fmt.Sprintf("goal \"%v leads\" leader %v", lead, lead))
	}
	if t := highestTerm(views); t > 0 {
		out = append(out, fmt.Sprintf("goal \"Term %d or later\" term >= %d", t, t))
	}
	var commits []uint64
	for _, id := range w.LatestConfig().Voters {
		if int(id) <= len(views) {
			commits = append(commits, views[id-1].Status.Commit)
		}
	}
	if len(commits) > 0 {
		slices.Sort(commits)
		slices.Reverse(commits)
		if c := commits[len(commits)/2]; c > 0 {
			out = append(out, fmt.Sprintf("goal \"Index %d committed on a majority\" committed %d on majority", c, c))
		}
	}
	if lead != raft.None {
		if st := views[lead-1].Status; !st.Config.Joint() && st.Config.Index <= st.Commit && len(st.Config.Voters) > 0 {
			g := "goal \"The configuration\" voters " + idList(st.Config.Voters)
			if len(st.Config.Learners) > 0 {
				g += " learners " + idList(st.Config.Learners)
			}
			out = append(out, g)
		}
	}
	out = append(out, "goal \"Every invariant holds\" no-violation")
	return out
}

func idList(ids []raft.ID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id.String()
	}
	return strings.Join(parts, ",")
}

// exactDuration writes a duration the scenario language reads back exactly.
func exactDuration(us int64) string {
	switch {
	case us%1_000_000 == 0:
		return strconv.FormatInt(us/1_000_000, 10) + "s"
	case us%1000 == 0:
		return strconv.FormatInt(us/1000, 10) + "ms"
	}
	return strconv.FormatInt(us, 10) + "us"
}
