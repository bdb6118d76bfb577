package lab

import (
	"slices"
	"strings"

	"smrlab/core/raft"
	"smrlab/core/trace"
)

// TraceMetrics are the protocol metrics computed from a trace's events
// alone, so that any run, live or exported, can be measured the same way.
type TraceMetrics struct {
	// LeaderChangesPerMinute counts servers taking office in a new term,
	// per minute of virtual time.
	LeaderChanges          uint64
	LeaderChangesPerMinute float64
	// CommitIndexMonotonic is false if any server's commit index ever went
	// back while it ran (a restart starts it again from its disk).
	CommitIndexMonotonic bool
	// SnapshotInstallFailures counts failed snapshot transfers;
	// SnapshotInstalls snapshots installed from a leader.
	SnapshotInstallFailures uint64
	SnapshotInstalls        uint64
	// QuorumAcksLatencyP99 is the 99th percentile, in microseconds, of the
	// time from a leader writing an entry to that leader committing it.
	QuorumAcksLatencyP99 int64
	// RejectedByReason counts admission control's refusals by reason
	// (rejected_requests_due_to_admission_control).
	RejectedByReason map[string]uint64
}

// MetricsOf computes the metrics of a run from its events.
func MetricsOf(events []trace.Event) TraceMetrics {
	m := TraceMetrics{CommitIndexMonotonic: true, RejectedByReason: map[string]uint64{}}
	commit := map[uint32]uint64{}
	type written struct {
		index uint64
		at    int64
	}
	leader := map[uint32]bool{}
	pending := map[uint32][]written{}
	var acks []int64
	end := int64(0)
	for i := range events {
		e := &events[i]
		end = max(end, e.Time)
		switch e.Kind {
		case trace.Role:
			isLeader := raft.Role(e.Count) == raft.Leader
			if isLeader && !leader[e.Node] {
				m.LeaderChanges++
			}
			if !isLeader {
				pending[e.Node] = pending[e.Node][:0]
			}
			leader[e.Node] = isLeader
		case trace.Crash:
			leader[e.Node] = false
			pending[e.Node] = pending[e.Node][:0]
			delete(commit, e.Node)
		case trace.Restart:
			commit[e.Node] = e.Commit
		case trace.Commit:
			if e.Index < commit[e.Node] {
				m.CommitIndexMonotonic = false
			}
			commit[e.Node] = e.Index
			p := pending[e.Node]
			k := 0
			for k < len(p) && p[k].index <= e.Index {
				acks = append(acks, e.Time-p[k].at)
				k++
			}
			pending[e.Node] = p[k:]
		case trace.Write:
			if leader[e.Node] && e.Count > 0 {
				for j := e.Index - e.Count + 1; j <= e.Index; j++ {
					pending[e.Node] = append(pending[e.Node], written{j, e.Time})
				}
			}
		case trace.Install:
			if e.Reject {
				m.SnapshotInstallFailures += e.Count
			} else {
				m.SnapshotInstalls++
			}
		case trace.Reject:
			reason, _, _ := strings.Cut(strings.TrimPrefix(e.Text, "admission control: "), " ")
			m.RejectedByReason[reason]++
		}
	}
	if end > 0 {
		m.LeaderChangesPerMinute = float64(m.LeaderChanges) * 60e6 / float64(end)
	}
	if len(acks) > 0 {
		slices.Sort(acks)
		m.QuorumAcksLatencyP99 = acks[(len(acks)*99+99)/100-1]
	}
	return m
}
