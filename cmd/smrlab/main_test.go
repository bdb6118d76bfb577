package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"smrlab/core/room"
)

// smrlab runs the command line in-process and returns its exit code and output.
func smrlab(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

const scenarios = "../../scenarios/"

func TestRunPassesAndPrintsATimeline(t *testing.T) {
	code, out, _ := smrlab(t, "run", scenarios+"leader-crash.scn")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "became LEADER of term")
	require.Contains(t, out, "CRASHED")
	require.Contains(t, out, "ok   expect leader within 1s after 3s")
	require.True(t, strings.HasSuffix(strings.TrimSpace(out), "PASS"))
}

func TestRunFailsOnAFailedExpectation(t *testing.T) {
	// figure8.scn expects no violation; with the bug switched on it gets one.
	code, out, _ := smrlab(t, "run", "--bug", "commit-previous-term", scenarios+"figure8.scn", "--quiet")
	require.Equal(t, 1, code)
	require.Contains(t, out, "VIOLATION LeaderCompleteness")
	require.Contains(t, out, "FAIL expect no-violation")
}

func TestRunExpectedViolationIsAPass(t *testing.T) {
	code, out, _ := smrlab(t, "run", scenarios+"figure8-bug.scn", "--quiet")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "ok   expect violation LeaderCompleteness")
}

func TestTraceReplaysExactly(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"run.trace", "run.jsonl"} {
		path := filepath.Join(dir, name)
		code, out, _ := smrlab(t, "run", scenarios+"leader-crash.scn", "--seed", "7", "--trace", path, "--quiet")
		require.Equal(t, 0, code, out)
		code, out, _ = smrlab(t, "replay", path)
		require.Equal(t, 0, code, out)
		require.Contains(t, out, "replayed  identical")
	}
}

func TestReplayRefusesBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte(`{"type":"header","format":"smrlab-trace","major":9}`+"\n"), 0o600))
	code, _, errs := smrlab(t, "replay", bad)
	require.Equal(t, 2, code)
	require.Contains(t, errs, "bad.jsonl")
	require.Contains(t, errs, "version")
	code, _, errs = smrlab(t, "replay", filepath.Join(dir, "missing.trace"))
	require.Equal(t, 2, code)
	require.Contains(t, errs, "no such file")
}

func TestExploreReportsFailingSeedsThatReproduce(t *testing.T) {
	code, out, _ := smrlab(t, "explore", scenarios+"figure8.scn", "--seeds", "3", "--bug", "commit-previous-term")
	require.Equal(t, 1, code)
	require.Contains(t, out, "seed 2: violation LeaderCompleteness (UNEXPECTED)")
	require.Contains(t, out, "found     3 seeds with a violation")
	// The printed seed reproduces with run --seed.
	code, out, _ = smrlab(t, "run", scenarios+"figure8.scn", "--seed", "2", "--bug", "commit-previous-term", "--quiet")
	require.Equal(t, 1, code)
	require.Contains(t, out, "VIOLATION LeaderCompleteness")

	code, out, _ = smrlab(t, "explore", scenarios+"leader-crash.scn", "--seeds", "8", "--workers", "2")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "found     0 seeds with a violation, 0 seeds printed")
}

// A swarm scenario's failing seed reproduces under run, which prints the
// knobs the seed drew; --no-swarm runs the scenario's own knobs.
func TestSwarmSeedsReproduce(t *testing.T) {
	code, out, _ := smrlab(t, "explore", scenarios+"chaos.scn", "--from", "41", "--seeds", "1", "--bug", "read-index-before-noop")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "seed 41: violation Linearizability")
	code, out, _ = smrlab(t, "run", scenarios+"chaos.scn", "--seed", "41", "--bug", "read-index-before-noop", "--quiet")
	require.Equal(t, 1, code)
	require.Contains(t, out, "VIOLATION Linearizability")
	require.Contains(t, out, "swarm     the knobs seed 41 drew")
	require.Contains(t, out, "# faults: the leader cut off")
	code, out, _ = smrlab(t, "run", scenarios+"chaos.scn", "--seed", "41", "--no-swarm", "--quiet")
	require.Equal(t, 0, code, out)
	require.NotContains(t, out, "swarm ")
}

func TestBadCommandLines(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, "unknown command \"frobnicate\""},
		{[]string{"run"}, 2, "usage: smrlab run"},
		{[]string{"run", scenarios + "nope.scn"}, 2, "no such file"},
		{[]string{"run", scenarios + "leader-crash.scn", "--bug", "nope"}, 2, "unknown bug toggle \"nope\""},
		{[]string{"run", scenarios + "leader-crash.scn", "--detail", "loud"}, 2, "--detail \"loud\""},
		{[]string{"explore", scenarios + "leader-crash.scn", "--seeds", "0"}, 2, "--seeds must be"},
		{[]string{"bench", "--nodes", "12"}, 2, "--nodes 12"},
		{[]string{"bench", "--against", "hashicorp"}, 2, "--against \"hashicorp\""},
		{[]string{"bench", "--against", "etcd", "--rounds", "0"}, 2, "--rounds 0"},
		{[]string{"bench", "--against", "etcd", "--snapshot", "100"}, 2, "neither --trace nor --snapshot"},
		{[]string{"run", "--seed", "x", scenarios + "leader-crash.scn"}, 2, "invalid value \"x\""},
	}
	for _, c := range cases {
		code, out, errs := smrlab(t, c.args...)
		require.Equal(t, c.code, code, "%v: %s%s", c.args, out, errs)
		require.Contains(t, out+errs, c.want, "%v", c.args)
	}
}

func TestHelpOnEverySubcommand(t *testing.T) {
	code, out, _ := smrlab(t, "help")
	require.Equal(t, 0, code)
	for _, c := range commands {
		require.Contains(t, out, c.name)
		if c.run == nil {
			continue
		}
		code, out, _ := smrlab(t, c.name, "-h")
		require.Equal(t, 0, code, c.name)
		require.Contains(t, out, "usage: smrlab "+c.name)
		code, out, _ = smrlab(t, "help", c.name)
		require.Equal(t, 0, code, c.name)
		require.Contains(t, out, "usage: smrlab "+c.name)
	}
}

func TestBenchPrintsFigures(t *testing.T) {
	code, out, _ := smrlab(t, "bench", "--nodes", "3", "--inflight", "8", "--entries", "2000", "--size", "16",
		"--trace", filepath.Join(t.TempDir(), "bench.trace"))
	require.Equal(t, 0, code, out)
	for _, key := range []string{"events_per_s=", "committed_per_cpu_s=", "allocs_per_entry=", "heap_peak_mb="} {
		require.Contains(t, out, key)
	}
}

func TestBenchAgainstEtcdPrintsBothSidesAndTheRatio(t *testing.T) {
	code, out, errs := smrlab(t, "bench", "--against", "etcd", "--rounds", "2", "--nodes", "3", "--inflight", "8",
		"--entries", "2000", "--size", "16")
	require.Equal(t, 0, code, out+errs)
	require.Equal(t, 2, strings.Count(out, "round="), out)
	for _, key := range []string{"etcd_committed_per_cpu_s=", "smrlab_committed_per_cpu_s=", "ratio="} {
		require.Contains(t, out, "against=etcd")
		require.Contains(t, out[strings.Index(out, "against=etcd"):], key)
	}
}

func TestBugsListsEveryToggle(t *testing.T) {
	code, out, _ := smrlab(t, "bugs")
	require.Equal(t, 0, code)
	require.Contains(t, out, "commit-previous-term")
	require.Contains(t, out, "reference: Raft paper §5.4.2")
}

// TestUndecidedLinearizabilityIsNeverSilent checks that a linearizability
// check that runs out of steps says "UNKNOWN" in the summary of run and of
// explore, on a scenario that expects linearizability (a failed
// expectation) and on one that does not (a line of its own).
func TestUndecidedLinearizabilityIsNeverSilent(t *testing.T) {
	code, out, _ := smrlab(t, "run", scenarios+"hot-keys.scn", "--quiet", "--linear-steps", "1")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "history   linearizability UNKNOWN: undecided on ")
	require.Contains(t, out, "FAIL expect linearizable (line 19): not a pass: the check could not decide")

	code, out, _ = smrlab(t, "run", scenarios+"leader-crash.scn", "--quiet", "--linear-steps", "1")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "history   linearizability UNKNOWN: undecided on ")
	require.Contains(t, out, "the search ran out of its budget of 1 step per key")

	code, out, _ = smrlab(t, "explore", scenarios+"leader-crash.scn", "--seeds", "2", "--linear-steps", "1")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "seed 2: linearizability UNKNOWN: undecided on ")
	require.Contains(t, out, "unknown   linearizability undecided on 2 seeds")

	code, out, _ = smrlab(t, "run", scenarios+"leader-crash.scn", "--quiet")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "history   linearizable (")
}

// TestReplayARoomsRecording: a classroom room's recording (what its
// teacher downloads) re-runs natively to the hash the room showed; another
// hash fails.
func TestReplayARoomsRecording(t *testing.T) {
	src, err := os.ReadFile(scenarios + "leader-crash.scn")
	require.NoError(t, err)
	r, _, err := room.New("0123456789abcdef", "K7QM3P", room.Spec{File: "leader-crash.scn", Scenario: string(src), Seed: 3}, 1_000)
	require.NoError(t, err)
	r.Frame(room.Teacher, []byte(`{"t":"clock","seq":1,"op":"speed","speedPpm":1000000}`), 1_000)
	r.Frame(room.Teacher, []byte(`{"t":"clock","seq":2,"op":"play"}`), 1_000)
	for ms := int64(1_050); ms <= 2_500; ms += 50 {
		r.Tick(ms)
	}
	o := r.Frame(room.Teacher, []byte(`{"t":"act","seq":3,"text":"crash S2"}`), 2_500)
	require.Empty(t, o.Refused)
	for ms := int64(2_550); ms <= 3_200; ms += 50 {
		r.Tick(ms)
	}
	r.Frame(room.Teacher, []byte(`{"t":"clock","seq":4,"op":"pause"}`), 3_200)
	path := filepath.Join(t.TempDir(), "room.json")
	require.NoError(t, os.WriteFile(path, r.Recording(), 0o644))

	code, out, errs := smrlab(t, "replay", "--hash", r.Hash(), path)
	require.Equal(t, 0, code, out+errs)
	require.Contains(t, out, "1 actions")
	require.Contains(t, out, "state hash "+r.Hash())
	code, out, _ = smrlab(t, "replay", "--hash", "0123456789abcdef", path)
	require.Equal(t, 1, code)
	require.Contains(t, out, "DIFFERENT state hash "+r.Hash())
}
