package lesson

import (
	"smrlab/core/check"
	"smrlab/core/linear"
	"smrlab/core/raft"
	"smrlab/core/scenario"
)

// status is eval's verdict without its explanation: what the player
// computes every 10ms of virtual time, so it builds no string. eval says
// the same in words when the page or check asks (a test holds the two to
// the same verdict).
func (c *Cond) status(e *env) Status {
	switch c.Kind {
	case CondLeader:
		return metIf(e.lead != raft.None && (c.Server == 0 || raft.ID(c.Server) == e.lead))
	case CondNoLeader:
		return metIf(e.lead == raft.None)
	case CondLeaderChanged:
		return metIf(e.changed)
	case CondTerm:
		need := c.N
		if c.Relative {
			need += e.term0
		}
		return metIf(e.term >= need)
	case CondCommitted:
		return metIf(committedCount(c, e))
	case CondSnapshot:
		si := e.views[c.Server-1].Status.SnapshotIndex
		return metIf(si > 0 && si >= c.N)
	case CondViolation:
		v := e.w.Violation()
		linBroken := e.lin != nil && e.lin.Verdict == linear.NotLinearizable
		switch {
		case c.Name == check.Linearizability && linBroken:
			return Met
		case c.Name == check.Linearizability && v != nil:
			return Failed
		case v == nil:
			return metIf(c.Name == "" && linBroken)
		case v == e.violation0, c.Name == "", v.Invariant == c.Name:
			return Met
		}
		return Failed
	case CondNoViolation:
		if e.w.Violation() != nil || (e.lin != nil && e.lin.Verdict == linear.NotLinearizable) {
			return Failed
		}
		return Met
	case CondLinearizable, CondNotLinearizable:
		switch {
		case e.lin == nil || e.lin.Verdict == linear.Unknown:
			return NotYet
		case e.lin.Verdict == linear.NotLinearizable && c.Kind == CondLinearizable:
			return Failed
		}
		return metIf((e.lin.Verdict == linear.NotLinearizable) == (c.Kind == CondNotLinearizable))
	case CondMetric:
		v := metricValue(c.Name, e)
		if c.AtMost {
			return metIf(v <= c.Milli)
		}
		return metIf(v >= c.Milli)
	case CondCount:
		n := countInStep(c, e)
		if c.AtMost {
			return failedIf(n > c.N)
		}
		return metIf(n >= c.N)
	case CondLeaderUnchanged:
		return failedIf(tookOffice(e) > 0)
	case CondNot:
		return not(c.Inner, c.Inner.status(e))
	case CondStall:
		return metIf(len(e.w.Liveness()) > e.liveness0)
	case CondNoStall:
		if len(e.w.Liveness()) > e.liveness0 {
			return Failed
		}
		return Met
	case CondDid:
		return metIf(didIt(c, e))
	case CondTime:
		return metIf(e.now-e.start >= c.Dur)
	case CondPredicted:
		return metIf(e.predicted)
	}
	st, _ := c.eval(e) // voters and joint: rare, and cheap enough
	return st
}

// failedIf is Failed (for good) when bad, else Met: an upper bound on
// something that only grows in a step.
func failedIf(bad bool) Status {
	if bad {
		return Failed
	}
	return Met
}

// not maps the status of inner to that of "not inner": not met yet is met
// (so far); met is failed for good if inner is an event (it stays met),
// else not yet (inner may stop holding); failed for good is met (inner can
// no longer be met in this step).
func not(inner *Cond, st Status) Status {
	switch st {
	case NotYet, Failed:
		return Met
	}
	if inner.event() {
		return Failed
	}
	return NotYet
}

// tookOffice counts the servers that took office (a leader in a new term)
// since the step's start.
func tookOffice(e *env) uint64 {
	return e.w.Stats().LeaderChanges - e.counts0["leader-changes"]
}

// committedCount reports whether enough servers have the index committed.
func committedCount(c *Cond, e *env) bool {
	n := c.N
	if c.Last {
		n = e.last
	}
	if c.On == "server" {
		return e.views[c.Server-1].Status.Commit >= n
	}
	have, voters := 0, 0
	for _, id := range e.voters() {
		if int(id) > len(e.views) {
			continue
		}
		voters++
		if e.views[id-1].Status.Commit >= n {
			have++
		}
	}
	if c.On == "all" {
		return have == voters
	}
	return have >= voters/2+1
}

// metricValue is a metric in thousandths of its unit.
func metricValue(name string, e *env) int64 {
	st := e.w.Stats()
	switch name {
	case "leader_changes_per_minute":
		if e.now <= 0 {
			return 0
		}
		return int64(st.LeaderChanges) * 60_000_000_000 / e.now
	case "snapshot_install_failures":
		return int64(st.SnapshotInstallFailures) * 1000
	case "quorum_acks_latency_p99":
		return st.QuorumAcks.Percentile(99) * 1000
	case "commit_index_monotonic":
		if v := e.w.Violation(); v != nil && v.Invariant == check.CommitMonotonic {
			return 0
		}
		return 1000
	}
	n := uint64(0)
	for _, v := range st.Rejected {
		n += v
	}
	return int64(n) * 1000
}

// countInStep is a counter's growth since the step's start.
func countInStep(c *Cond, e *env) uint64 {
	if c.Name == "rejected" && c.Target != "" {
		return e.w.Stats().Rejected[c.Target] - e.rejected0[c.Target]
	}
	now, _ := scenario.Count(c.Name, e.w.Stats())
	return now - e.counts0[c.Name]
}

// didIt reports whether the student did what c names.
func didIt(c *Cond, e *env) bool {
	_, ok := findDid(c, e)
	return ok
}
