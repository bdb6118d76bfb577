package scenario

import (
	"fmt"
	"slices"
	"strings"

	"smrlab/core/check"
	"smrlab/core/raft"
	"smrlab/core/sim"
)

// ExpectKind is what an expectation asks of a run.
type ExpectKind uint8

// The expectations a scenario can state.
const (
	// ExpectNoViolation: every safety invariant holds.
	ExpectNoViolation ExpectKind = iota + 1
	// ExpectViolation: the named invariant is caught (a bug scenario).
	ExpectViolation
	// ExpectLeaderWithin: a leader serves the cluster within a time after a
	// moment (with Undisrupted: after the last election in that time started
	// by a server that cannot win).
	ExpectLeaderWithin
	// ExpectStall: the liveness watchdog reports a stall.
	ExpectStall
	// ExpectNoStall: it never does.
	ExpectNoStall
	// ExpectCommittedAtLeast: the highest commit index reaches N by the end.
	ExpectCommittedAtLeast
	// ExpectAllOpsComplete: every client operation returned by the end,
	// expected once one leader has served for the client bound
	// (sim.World.ClientBoundMicros) before the end.
	ExpectAllOpsComplete
	// ExpectCommitDuring: the cluster commits something in a window.
	ExpectCommitDuring
	// ExpectNoCommitDuring: the named servers commit nothing in a window.
	ExpectNoCommitDuring
	// ExpectCountAtLeast: a count (Stat) reaches N by the end.
	ExpectCountAtLeast
	// ExpectVoters: at the end, the leader's committed configuration has
	// exactly Servers as voters (and Learners as learners).
	ExpectVoters
	// ExpectRetainedAtMost: every running server's log holds at most N
	// entries past its snapshot at the end.
	ExpectRetainedAtMost
	// ExpectLinearizable: the client history is linearizable (Porcupine).
	ExpectLinearizable
)

// Counts an expectation can name: expect snapshots >= 2.
var counts = map[string]func(*sim.Stats) uint64{
	"snapshots":        func(s *sim.Stats) uint64 { return s.Snapshots },
	"installs":         func(s *sim.Stats) uint64 { return s.SnapshotsInstalled },
	"install-failures": func(s *sim.Stats) uint64 { return s.SnapshotInstallFailures },
	"changes":          func(s *sim.Stats) uint64 { return s.MembershipChanges },
	"leader-changes":   func(s *sim.Stats) uint64 { return s.LeaderChanges },
	"rejected": func(s *sim.Stats) uint64 {
		n := uint64(0)
		for _, v := range s.Rejected {
			n += v
		}
		return n
	},
	"indeterminate": func(s *sim.Stats) uint64 { return s.OpsIndeterminate },
	"completed":     func(s *sim.Stats) uint64 { return s.OpsOK },
	"retries":       func(s *sim.Stats) uint64 { return s.OpsRetried },
}

// Expectation is one "expect" line.
type Expectation struct {
	Kind      ExpectKind
	Line      int
	Text      string
	Invariant string
	Within    int64
	After     int64
	From, To  int64
	N         uint64
	Servers   []raft.ID
	Learners  []raft.ID
	Stat      string
	// Undisrupted (leader within ... undisrupted): the time counts from the
	// last election started by a server whose log is behind a majority's,
	// which cannot win and only pushes the term up (PreVote off). A
	// leader is expected once such elections stop: a run that ends before
	// they stop for Within does not judge the expectation.
	Undisrupted bool
}

var expectHelp = "no-violation, violation NAME, leader [SERVER] within DUR [after TIME] [undisrupted], stall, no-stall, " +
	"committed >= N, all-ops-complete, commit during T1..T2, no-commit SERVERS during T1..T2, " +
	"snapshots|installs|install-failures|changes|leader-changes|rejected|indeterminate|completed|retries >= N, voters SERVERS [learners SERVERS], " +
	"retained <= N, linearizable"

func (p *parser) parseExpect(kw token, args []token) error {
	if len(args) == 0 {
		return p.errAt(kw, "expect what? (%s)", expectHelp)
	}
	e := Expectation{Line: p.line, Text: strings.Join(texts(args), " ")}
	var err error
	switch what := args[0]; what.text {
	case "no-violation", "stall", "no-stall", "all-ops-complete", "linearizable":
		e.Kind = map[string]ExpectKind{"no-violation": ExpectNoViolation, "stall": ExpectStall,
			"no-stall": ExpectNoStall, "all-ops-complete": ExpectAllOpsComplete,
			"linearizable": ExpectLinearizable}[what.text]
		if len(args) > 1 {
			err = p.errAt(args[1], "unexpected %q after %s", args[1].text, what.text)
		}
	case "violation":
		e.Kind = ExpectViolation
		err = p.expectViolation(what, args[1:], &e)
	case "leader":
		e.Kind = ExpectLeaderWithin
		err = p.expectLeader(what, args[1:], &e)
	case "committed":
		e.Kind = ExpectCommittedAtLeast
		err = p.expectCommitted(what, args[1:], &e)
	case "commit":
		e.Kind = ExpectCommitDuring
		err = p.expectWindow(what, args[1:], &e)
	case "no-commit":
		e.Kind = ExpectNoCommitDuring
		err = p.expectNoCommit(what, args[1:], &e)
	case "snapshots", "installs", "install-failures", "changes", "leader-changes", "rejected", "indeterminate",
		"completed", "retries":
		e.Kind, e.Stat = ExpectCountAtLeast, what.text
		err = p.expectCommitted(what, args[1:], &e)
	case "retained":
		e.Kind = ExpectRetainedAtMost
		if len(args) != 3 || args[1].text != "<=" {
			return p.errAt(what, "write: expect retained <= 2000")
		}
		n, perr := parseInt(args[2].text, 0, 1<<40)
		if perr != nil {
			return p.errAt(args[2], "%v", perr)
		}
		e.N = uint64(n)
	case "voters":
		e.Kind = ExpectVoters
		err = p.expectVoters(what, args[1:], &e)
	default:
		err = p.errAt(what, "unknown expectation %q (known: %s)", what.text, expectHelp)
	}
	if err != nil {
		return err
	}
	p.sc.Expect = append(p.sc.Expect, e)
	return nil
}

func (p *parser) expectViolation(what token, args []token, e *Expectation) error {
	if len(args) != 1 {
		return p.errAt(what, "violation takes an invariant name, like: expect violation ElectionSafety")
	}
	if !check.Known(args[0].text) {
		return p.errAt(args[0], "unknown invariant %q (known: %s)", args[0].text,
			strings.Join(check.Invariants, ", "))
	}
	e.Invariant = args[0].text
	return nil
}

func (p *parser) expectLeader(what token, args []token, e *Expectation) error {
	if len(args) > 0 && looksLikeServer(args[0].text) {
		// expect leader S3 within ...: that server must be the one.
		id, err := p.serverID(args[0].text)
		if err != nil {
			return p.errAt(args[0], "%v", err)
		}
		e.Servers = []raft.ID{id}
		args = args[1:]
	}
	if n := len(args); n > 0 && args[n-1].text == "undisrupted" {
		e.Undisrupted = true
		args = args[:n-1]
	}
	if len(args) != 2 && len(args) != 4 || args[0].text != "within" || (len(args) == 4 && args[2].text != "after") {
		return p.errAt(what, "write: expect leader [S3] within 1s [after 2s] [undisrupted]")
	}
	var err error
	if e.Within, err = parseDuration(args[1].text); err != nil {
		return p.errAt(args[1], "%v", err)
	}
	if len(args) == 4 {
		if e.After, err = parseDuration(args[3].text); err != nil {
			return p.errAt(args[3], "%v", err)
		}
	}
	return nil
}

func (p *parser) expectVoters(what token, args []token, e *Expectation) error {
	dst := &e.Servers
	for _, t := range args {
		if t.text == "learners" && dst == &e.Servers {
			dst = &e.Learners
			continue
		}
		for _, part := range strings.Split(t.text, ",") {
			id, err := p.serverID(part)
			if err != nil {
				return p.errAt(t, "%v", err)
			}
			*dst = append(*dst, id)
		}
	}
	if len(e.Servers) == 0 {
		return p.errAt(what, "write: expect voters S1,S2,S4 [learners S5]")
	}
	slices.Sort(e.Servers)
	slices.Sort(e.Learners)
	return nil
}

func (p *parser) expectCommitted(what token, args []token, e *Expectation) error {
	if len(args) != 2 || args[0].text != ">=" {
		return p.errAt(what, "write: expect %s >= 100", what.text)
	}
	n, err := parseInt(args[1].text, 0, 1<<40)
	if err != nil {
		return p.errAt(args[1], "%v", err)
	}
	e.N = uint64(n)
	return nil
}

// expectWindow reads "during T1..T2".
func (p *parser) expectWindow(what token, args []token, e *Expectation) error {
	if len(args) != 2 || args[0].text != "during" {
		return p.errAt(what, "write: expect %s during 3s..6s", what.text)
	}
	lo, hi, err := parseRange(args[1].text)
	if err != nil || lo == hi {
		return p.errAt(args[1], "want a window like 3s..6s, not %q", args[1].text)
	}
	e.From, e.To = lo, hi
	return nil
}

func (p *parser) expectNoCommit(what token, args []token, e *Expectation) error {
	i := 0
	for i < len(args) && args[i].text != "during" {
		i++
	}
	if i == 0 || i == len(args) {
		return p.errAt(what, "write: expect no-commit S1 S2 during 3s..6s")
	}
	for _, t := range args[:i] {
		for _, part := range strings.Split(t.text, ",") {
			id, err := p.serverID(part)
			if err != nil {
				return p.errAt(t, "%v", err)
			}
			e.Servers = append(e.Servers, id)
		}
	}
	return p.expectWindow(what, args[i:], e)
}

// Outcome is the verdict on one expectation.
type Outcome struct {
	Expectation
	Passed bool
	Detail string
}

func (o Outcome) String() string {
	mark := "ok  "
	if !o.Passed {
		mark = "FAIL"
	}
	line := ""
	if o.Line > 0 {
		line = fmt.Sprintf(" (line %d)", o.Line)
	}
	return fmt.Sprintf("%s expect %s%s: %s", mark, o.Text, line, o.Detail)
}

// looksLikeServer tells "S3" from other words.
func looksLikeServer(s string) bool {
	if len(s) < 2 || (s[0] != 'S' && s[0] != 's') {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
