package lesson

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"smrlab/core/check"
	"smrlab/core/raft"
	"smrlab/core/scenario"
)

// CondKind is what a goal condition asks of the world.
type CondKind uint8

// The closed vocabulary of goal conditions (lessons/README.md lists them).
const (
	CondLeader          CondKind = iota + 1 // leader [S2]
	CondNoLeader                            // no leader
	CondLeaderChanged                       // leader changed (event)
	CondTerm                                // term >= N
	CondCommitted                           // committed N|last on majority|all|S3
	CondSnapshot                            // snapshot [>= N] on S3
	CondVoters                              // voters S1,S2 [learners S4]
	CondJoint                               // joint
	CondViolation                           // violation [NAME] (event)
	CondNoViolation                         // no-violation
	CondLinearizable                        // linearizable
	CondNotLinearizable                     // not linearizable (event)
	CondMetric                              // metric NAME >= X | <= X
	CondCount                               // completed|...|leader-changes >= N, rejected >= N [reason R]
	CondStall                               // stall (event)
	CondNoStall                             // no-stall
	CondDid                                 // did VERB [TARGET] (event)
	CondTime                                // time >= DUR
	CondPredicted                           // predicted (event)
	CondLeaderUnchanged                     // leader unchanged
	CondNot                                 // not CONDITION
)

// Metrics a "metric" condition may name, as the lab's metrics panel names them.
var Metrics = []string{"leader_changes_per_minute", "snapshot_install_failures", "quorum_acks_latency_p99",
	"commit_index_monotonic", "rejected_requests_due_to_admission_control"}

// Cond is one parsed condition.
type Cond struct {
	Kind      CondKind
	Text      string // as written
	Line, Col int
	Server    int    // leader S2, committed N on S3, snapshot on S3 (0: none)
	On        string // committed: majority, all or server
	N         uint64
	Last      bool // committed last
	Relative  bool // term >= +N: N above the highest term at the step's start
	Voters    []raft.ID
	Learners  []raft.ID
	Name      string // invariant, metric, count, did's verb, rejected's reason
	Target    string // did's target: leader, follower, S2 or ""
	AtMost    bool   // metric <= X, COUNT <= N (else >= X)
	Milli     int64  // metric bound in thousandths
	Dur       int64  // time >= DUR
	Within    int64  // the condition must be met within this much of the step (0: no bound)
	Inner     *Cond  // not CONDITION: the condition negated
}

const condHelp = "leader [S2], no leader, leader changed, leader unchanged, term >= N, term >= +N, committed N|last on majority|all|S3, " +
	"snapshot [>= N] on S3, voters S1,S2,S3 [learners S4], joint, violation [NAME], no-violation, " +
	"linearizable, not linearizable, metric NAME >= X, metric NAME <= X, " +
	"completed|indeterminate|rejected|retries|installs|snapshots|install-failures|leader-changes|changes >= N (or <= N), " +
	"stall, no-stall, did VERB [TARGET], time >= DUR, predicted, not CONDITION; any of them followed by within DUR"

// needsLinear reports a condition that reads the linearizability verdict.
func (c *Cond) needsLinear() bool {
	switch {
	case c.Inner != nil:
		return c.Inner.needsLinear()
	case c.Kind == CondLinearizable, c.Kind == CondNotLinearizable,
		c.Kind == CondViolation && c.Name == check.Linearizability:
		return true
	}
	return false
}

// event reports a condition that stays met once met.
func (c *Cond) event() bool {
	switch c.Kind {
	case CondLeaderChanged, CondViolation, CondNotLinearizable, CondStall, CondDid, CondPredicted:
		return true
	}
	return c.Within > 0
}

// parseCond reads a condition from the tokens of a goal or answer line.
func (p *parser) parseCond(toks []token) (Cond, error) {
	c := Cond{Line: p.line, Col: toks[0].col, Text: strings.Join(texts(toks), " ")}
	if n := len(toks); n >= 2 && toks[n-2].text == "within" {
		d, err := scenario.ParseDuration(toks[n-1].text)
		if err != nil || d <= 0 {
			return c, p.errAt(toks[n-1].col, "within: want a positive duration, not %q", toks[n-1].text)
		}
		c.Within = d
		toks = toks[:n-2]
		if len(toks) == 0 {
			return c, p.errAt(c.Col, "within what? write a condition before it, like: leader within 2s")
		}
	}
	if err := p.condBody(&c, toks); err != nil {
		return c, err
	}
	return c, nil
}

func (p *parser) condBody(c *Cond, toks []token) error {
	w := toks[0]
	args := toks[1:]
	words := strings.Join(texts(toks), " ")
	bad := func(format string, a ...any) error { return p.errAt(w.col, format, a...) }
	none := func(k CondKind) error {
		c.Kind = k
		if len(args) > 0 {
			return p.errAt(args[0].col, "unexpected %q after %s", args[0].text, w.text)
		}
		return nil
	}
	switch w.text {
	case "leader":
		if len(args) == 1 && args[0].text == "changed" {
			c.Kind = CondLeaderChanged
			return nil
		}
		if len(args) == 1 && args[0].text == "unchanged" {
			c.Kind = CondLeaderUnchanged
			return nil
		}
		c.Kind = CondLeader
		if len(args) == 1 {
			n, ok := serverNumber(args[0].text)
			if !ok {
				return p.errAt(args[0].col, "want a server like S2 or changed after leader, not %q", args[0].text)
			}
			c.Server = n
			return nil
		}
		return none(CondLeader)
	case "no":
		if words != "no leader" {
			return bad("write: no leader")
		}
		c.Kind = CondNoLeader
	case "term":
		c.Kind = CondTerm
		if len(args) == 2 && strings.HasPrefix(args[1].text, "+") {
			c.Relative = true
			args = []token{args[0], {text: args[1].text[1:], col: args[1].col + 1}}
		}
		return p.atLeast(c, w, args)
	case "committed":
		return p.parseCommitted(c, w, args)
	case "snapshot":
		return p.parseSnapshotCond(c, w, args)
	case "voters":
		return p.parseVoters(c, w, args)
	case "joint":
		return none(CondJoint)
	case "violation":
		c.Kind = CondViolation
		if len(args) == 1 {
			if !check.Known(args[0].text) {
				return p.errAt(args[0].col, "unknown invariant %q (known: %s, Linearizability)", args[0].text, strings.Join(check.Invariants, ", "))
			}
			c.Name = args[0].text
			return nil
		}
		return none(CondViolation)
	case "no-violation":
		return none(CondNoViolation)
	case "linearizable":
		return none(CondLinearizable)
	case "not":
		switch {
		case words == "not linearizable":
			c.Kind = CondNotLinearizable // the checker found a violation: not the negation of linearizable
			return nil
		case len(args) == 0:
			return bad("not what? write: not CONDITION, like: not committed 3 on majority")
		case args[0].text == "not":
			return p.errAt(args[0].col, "not not: write the condition itself")
		}
		inner := Cond{Line: c.Line, Col: args[0].col, Text: strings.Join(texts(args), " ")}
		if err := p.condBody(&inner, args); err != nil {
			return err
		}
		c.Kind, c.Inner = CondNot, &inner
	case "metric":
		return p.parseMetric(c, w, args)
	case "stall":
		return none(CondStall)
	case "no-stall":
		return none(CondNoStall)
	case "did":
		return p.parseDid(c, w, args)
	case "time":
		c.Kind = CondTime
		if len(args) != 2 || args[0].text != ">=" {
			return bad("write: time >= 2s")
		}
		d, err := scenario.ParseDuration(args[1].text)
		if err != nil {
			return p.errAt(args[1].col, "%v", err)
		}
		c.Dur = d
	case "predicted":
		return none(CondPredicted)
	default:
		if slices.Contains(scenario.CountNames, w.text) {
			return p.parseCount(c, w, args)
		}
		return bad("unknown condition %q (known: %s)", w.text, condHelp)
	}
	return nil
}

// atLeast reads ">= N" (or "<= N" where c may be an upper bound).
func (p *parser) atLeast(c *Cond, w token, args []token) error {
	upper := c.Kind == CondCount && len(args) == 2 && args[0].text == "<="
	if len(args) != 2 || (args[0].text != ">=" && !upper) {
		if c.Kind == CondCount {
			return p.errAt(w.col, "write: %s >= 3, or %s <= 3", w.text, w.text)
		}
		return p.errAt(w.col, "write: %s >= 3", w.text)
	}
	c.AtMost = upper
	n, err := strconv.ParseUint(args[1].text, 10, 64)
	if err != nil || n > 1<<40 {
		return p.errAt(args[1].col, "want a whole number, not %q", args[1].text)
	}
	c.N = n
	return nil
}

func (p *parser) parseCount(c *Cond, w token, args []token) error {
	c.Kind, c.Name = CondCount, w.text
	if w.text == "rejected" && len(args) == 4 && args[2].text == "reason" {
		c.Target = args[3].text
		args = args[:2]
	}
	return p.atLeast(c, w, args)
}

func (p *parser) parseCommitted(c *Cond, w token, args []token) error {
	c.Kind = CondCommitted
	if len(args) != 3 || args[1].text != "on" {
		return p.errAt(w.col, "write: committed 7 on majority, committed last on all, or committed 7 on S3")
	}
	if args[0].text == "last" {
		c.Last = true
	} else {
		n, err := strconv.ParseUint(args[0].text, 10, 64)
		if err != nil || n == 0 || n > 1<<40 {
			return p.errAt(args[0].col, "want a log index (1 or more) or last, not %q", args[0].text)
		}
		c.N = n
	}
	switch on := args[2].text; on {
	case "majority", "all":
		c.On = on
	default:
		n, ok := serverNumber(on)
		if !ok {
			return p.errAt(args[2].col, "want majority, all or a server like S3, not %q", on)
		}
		c.On, c.Server = "server", n
	}
	return nil
}

func (p *parser) parseSnapshotCond(c *Cond, w token, args []token) error {
	c.Kind = CondSnapshot
	if len(args) == 4 && args[0].text == ">=" {
		n, err := strconv.ParseUint(args[1].text, 10, 64)
		if err != nil || n > 1<<40 {
			return p.errAt(args[1].col, "want a log index, not %q", args[1].text)
		}
		c.N = n
		args = args[2:]
	}
	if len(args) != 2 || args[0].text != "on" {
		return p.errAt(w.col, "write: snapshot on S3, or snapshot >= 40 on S3")
	}
	n, ok := serverNumber(args[1].text)
	if !ok {
		return p.errAt(args[1].col, "want a server like S3, not %q", args[1].text)
	}
	c.Server = n
	return nil
}

func (p *parser) parseVoters(c *Cond, w token, args []token) error {
	c.Kind = CondVoters
	dst := &c.Voters
	for _, t := range args {
		if t.text == "learners" && dst == &c.Voters {
			dst = &c.Learners
			continue
		}
		for _, part := range strings.Split(t.text, ",") {
			n, ok := serverNumber(part)
			if !ok {
				return p.errAt(t.col, "want servers like S1,S2,S3, not %q", t.text)
			}
			*dst = append(*dst, raft.ID(n))
		}
	}
	if len(c.Voters) == 0 {
		return p.errAt(w.col, "write: voters S1,S2,S3 [learners S4]")
	}
	slices.Sort(c.Voters)
	slices.Sort(c.Learners)
	return nil
}

func (p *parser) parseMetric(c *Cond, w token, args []token) error {
	c.Kind = CondMetric
	if len(args) != 3 || (args[1].text != ">=" && args[1].text != "<=") {
		return p.errAt(w.col, "write: metric leader_changes_per_minute <= 2 (or >=)")
	}
	if !slices.Contains(Metrics, args[0].text) {
		return p.errAt(args[0].col, "unknown metric %q (known: %s)", args[0].text, strings.Join(Metrics, ", "))
	}
	c.Name, c.AtMost = args[0].text, args[1].text == "<="
	v, err := metricBound(c.Name, args[2].text)
	if err != nil {
		return p.errAt(args[2].col, "%s: %v", c.Name, err)
	}
	c.Milli = v
	return nil
}

// metricBound reads a metric's bound in thousandths of its unit: a decimal
// number, or for quorum_acks_latency_p99 a duration (its unit is µs).
func metricBound(name, s string) (int64, error) {
	if name == "quorum_acks_latency_p99" {
		if d, err := scenario.ParseDuration(s); err == nil {
			return d * 1000, nil
		}
	}
	whole, frac, _ := strings.Cut(s, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 1<<40 || len(frac) > 3 {
		return 0, fmt.Errorf("want a number like 2 or 0.5 (at most 3 decimals), not %q", s)
	}
	v := w * 1000
	for i, mul := 0, int64(100); i < len(frac); i, mul = i+1, mul/10 {
		if frac[i] < '0' || frac[i] > '9' {
			return 0, fmt.Errorf("want a number like 2 or 0.5, not %q", s)
		}
		v += int64(frac[i]-'0') * mul
	}
	return v, nil
}

// didVerbs are the verbs "did" may name: the first words of the scenario
// actions, and step (the page's step buttons).
var didVerbs = []string{"crash", "restart", "pause", "resume", "isolate", "partition", "cut", "heal", "net",
	"slow-disk", "clock", "campaign", "propose", "workload", "transfer", "snapshot", "add", "promote", "remove",
	"replace", "reconfigure", "options", "nemesis", "deliver", "drop", "duplicate", "persist", "heartbeat", "step"}

func (p *parser) parseDid(c *Cond, w token, args []token) error {
	c.Kind = CondDid
	if len(args) == 0 || len(args) > 2 {
		return p.errAt(w.col, "write: did crash leader, did crash S2, did partition, ...")
	}
	if !slices.Contains(didVerbs, args[0].text) {
		return p.errAt(args[0].col, "unknown action %q (known: %s)", args[0].text, strings.Join(didVerbs, ", "))
	}
	c.Name = args[0].text
	if len(args) == 2 {
		t := args[1].text
		if _, ok := serverNumber(t); !ok && t != "leader" && t != "follower" {
			return p.errAt(args[1].col, "did's target is leader, follower or a server like S2, not %q", t)
		}
		c.Target = strings.ToUpper(t[:1]) + t[1:]
		if t == "leader" || t == "follower" {
			c.Target = t
		}
	}
	return nil
}

// checkServers refuses a server outside a cluster of n.
func (c *Cond) checkServers(n int) error {
	if c.Inner != nil {
		return c.Inner.checkServers(n)
	}
	ids := append(append([]raft.ID{}, c.Voters...), c.Learners...)
	if c.Server > 0 {
		ids = append(ids, raft.ID(c.Server))
	}
	if s, ok := serverNumber(c.Target); ok {
		ids = append(ids, raft.ID(s))
	}
	for _, id := range ids {
		if int(id) > n {
			return fmt.Errorf("no server S%d in a cluster of %d (S1..S%d)", id, n, n)
		}
	}
	return nil
}
