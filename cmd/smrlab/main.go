// Command smrlab runs, explores, replays and measures Raft scenarios in the
// deterministic simulator.
//
//	smrlab run FILE [--seed N] [--bug NAME] [--nemesis NAMES] [--trace OUT] [--html OUT] [--detail LEVEL]
//	smrlab explore FILE --seeds N [--bug NAME] [--nemesis NAMES] [--workers K] [--html DIR]
//	smrlab replay TRACE
//	smrlab modelcheck [--bug NAME] [bounds] [--out DIR]
//	smrlab bench --nodes N --inflight K --entries E --size B [--snapshot N] [--against etcd [--rounds R]]
//	smrlab bugs
//	smrlab nemeses
//	smrlab metrics TRACE
//	smrlab export TRACE --format perfetto|edn|shiviz|porcupine|timeline|jsonl|msgpack [-o FILE]
//	smrlab check-history FILE [--format edn|jsonl] [--html OUT] [--timeout D] [--steps N]
//	smrlab save-scenario RECORDING [-o FILE]
//	smrlab lesson check|list|new ...
//	smrlab help [COMMAND]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// exitError carries an exit code out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

type command struct {
	name    string
	usage   string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"run", "run FILE [--seed N] [--bug NAME]... [--trace OUT] [--detail protocol|messages|all] [--quiet]",
			"run a scenario, print its timeline and summary; exit 1 if an expectation fails", cmdRun},
		{"explore", "explore FILE --seeds N [--from S] [--bug NAME]... [--workers K]",
			"run a scenario over many seeds on all cores; print every failing seed", cmdExplore},
		{"replay", "replay [--hash HEX] TRACE|RECORDING", "re-run a trace and confirm the same events and hashes; or re-run a recording " +
			"(a classroom room's, the lab's) to its time and print its state hash, checked against --hash when given", cmdReplay},
		{"modelcheck", "modelcheck [--bug NAME]... [--bounds-of NAME] [--servers N] [--max-term T] [--max-log L] [--max-inflight M] " +
			"[--crashes C] [--timeouts K] [--drops D] [--duplicates U] [--depth S] [--disk-steps] [--out DIR]",
			"explore every behaviour of a small cluster within bounds; write the shortest counterexample", cmdModelcheck},
		{"bench", "bench --nodes N --inflight K --entries E --size B [--check] [--trace OUT] [--against etcd [--rounds R]] [--cpuprofile OUT]",
			"measure throughput of a fault-free cluster, alone or against etcd-io/raft's RawNode on the same workload", cmdBench},
		{"bugs", "bugs", "list the bug toggles, what they break and what catches them", cmdBugs},
		{"nemeses", "nemeses", "list the named fault schedules (--nemesis NAMES, or all)", cmdNemeses},
		{"save-scenario", "save-scenario RECORDING [-o FILE]",
			"turn a session's recording (or a trace file) into a scenario file that runs to the same state", cmdSaveScenario},
		{"metrics", "metrics TRACE", "compute the protocol metrics of a trace from its events", cmdMetrics},
		{"export", "export TRACE --format F [-o FILE]",
			"write a trace for other tools: Perfetto, Jepsen EDN, ShiViz, Porcupine, timeline, jsonl, msgpack", cmdExport},
		{"check-history", "check-history FILE [--format edn|jsonl] [--html OUT] [--timeout D] [--steps N]",
			"check a client history (Jepsen EDN or JSON Lines) for linearizability; exit 1 if it is not, 3 if undecided\n\n" +
				"Reads a history as Jepsen, Maelstrom (lin-kv) and `smrlab export --format edn` write it, or as JSON Lines, " +
				"and checks each key with the lab's checker (Porcupine).\n" +
				"EDN: one map per event, {:type :invoke|:ok|:fail|:info, :f :read|:write|:append|:cas|:txn, " +
				":value [key value] ([key [old new]] for :cas, [[:r k v] [:append k v]] for :txn), :process P, :time NS, :index I}.\n" +
				"JSON Lines: one object per line, {\"type\": \"invoke\", \"f\": \"write\", \"process\": 0, " +
				"\"key\": \"x\", \"value\": \"1\", \"time\": 1000} (a cas adds \"from\"; an ok read's value is null " +
				"when the key does not exist; a txn's value is [[\"r\", \"x\", null], [\"append\", \"x\", 3]]).\n" +
				"Appending a string appends its characters; appending an integer adds an element to a list, read as a vector.\n" +
				":fail operations did not happen and are left out; :info and unfinished ones may have happened; " +
				"events of other processes (:nemesis) are left out. Every key starts missing; a value alone " +
				"(Knossos's single register) is key \"register\"", cmdCheckHistory},
		{"lesson", lessonUsage, "check, list or start guided lessons (lessons/*.lesson; see lessons/README.md)\n\n" +
			"check: prove every step of every lesson: its solution reaches its goals, its wrong paths do not, its " +
			"predictions' answers are what the run shows (per-student lessons on --seeds seeds); exit 1 on a problem.\n" +
			"list: the lesson catalogue (--json: the page's lessons/index.json).\n" +
			"new: a lesson skeleton from a session's recording: its actions become a step's solution, its final state suggests the goals.",
			cmdLesson},
		{"list", "list [--json] [FILE]...", "list scenarios (default: scenarios/*.scn) with their descriptions", cmdList},
		{"help", "help [COMMAND]", "show help", nil},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		topic := ""
		if len(args) > 1 {
			topic = args[1]
		}
		return help(topic, stdout, stderr)
	}
	for _, c := range commands {
		if c.name == args[0] && c.run != nil {
			err := c.run(args[1:], stdout, stderr)
			var ex exitError
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.As(err, &ex):
				return ex.code
			}
			fmt.Fprintf(stderr, "smrlab %s: %v\n", c.name, err)
			return 2
		}
	}
	fmt.Fprintf(stderr, "smrlab: unknown command %q\n\n", args[0])
	help("", stderr, stderr)
	return 2
}

func help(topic string, stdout, stderr io.Writer) int {
	if topic == "" {
		fmt.Fprintln(stdout, "smrlab: a teaching lab for state machine replication (Raft in a deterministic simulator)")
		fmt.Fprintln(stdout, "\nUsage:")
		width := 0
		for _, c := range commands {
			width = max(width, len(c.name))
		}
		for _, c := range commands {
			first, _, _ := strings.Cut(c.summary, "\n") // the rest is for 'smrlab help COMMAND'
			fmt.Fprintf(stdout, "  smrlab %-*s  %s\n", width, c.name, first)
		}
		fmt.Fprintln(stdout, "\nRun 'smrlab help COMMAND' or 'smrlab COMMAND -h' for a command's flags.")
		return 0
	}
	for _, c := range commands {
		if c.name == topic {
			if c.run == nil {
				fmt.Fprintf(stdout, "usage: smrlab %s\n\n%s\n", c.usage, c.summary)
				return 0
			}
			return run([]string{topic, "-h"}, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "smrlab help: unknown command %q\n", topic)
	return 2
}

// newFlags makes a flag set whose -h prints the command's usage.
func newFlags(name string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	for _, c := range commands {
		if c.name == name {
			usage, summary := c.usage, c.summary
			fs.Usage = func() {
				fmt.Fprintf(fs.Output(), "usage: smrlab %s\n\n%s\n\nFlags:\n", usage, summary)
				fs.PrintDefaults()
			}
		}
	}
	return fs
}

// oneFile parses a command line of flags around exactly one file, and
// prints the usage (exit status 2) for anything else.
func oneFile(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		fs.Usage()
		return "", exitError{2}
	}
	return pos[0], nil
}

// parseInterleaved parses flags that may come before or after positional
// arguments (smrlab run FILE --seed 3 and smrlab run --seed 3 FILE alike).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}
