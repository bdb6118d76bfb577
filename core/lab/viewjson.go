package lab

import (
	"slices"
	"strconv"

	"smrlab/core/minijson"
)

// This file writes the view model as JSON by hand, for the browser's build:
// encoding/json would add its reflection-driven encoder to the download.
// TestViewJSONMatchesEncodingJSON checks that the bytes are those of
// json.Marshal, and fails when a field is added to a view type but not here.

// AppendJSON appends the view as json.Marshal writes it.
func (v *View) AppendJSON(b []byte) []byte {
	b = append(b, `{"now":`...)
	b = strconv.AppendInt(b, v.Now, 10)
	b = append(b, `,"end":`...)
	b = strconv.AppendInt(b, v.End, 10)
	b = append(b, `,"reached":`...)
	b = strconv.AppendInt(b, v.Reached, 10)
	b = append(b, `,"seed":`...)
	b = minijson.AppendString(b, v.Seed)
	b = append(b, `,"scenario":`...)
	b = minijson.AppendString(b, v.Scenario)
	b = append(b, `,"bugs":`...)
	b = minijson.AppendString(b, v.Bugs)
	b = append(b, `,"tick":`...)
	b = strconv.AppendInt(b, v.TickMicros, 10)
	b = append(b, `,"servers":`...)
	b = appendList(b, v.Servers, (*ServerView).appendJSON)
	b = append(b, `,"cuts":`...)
	if v.Cuts == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, c := range v.Cuts {
			if i > 0 {
				b = append(b, ',')
			}
			b = minijson.AppendUints(b, c[:])
		}
		b = append(b, ']')
	}
	b = append(b, `,"net":`...)
	b = v.Net.appendJSON(b)
	b = append(b, `,"flights":`...)
	b = appendList(b, v.Flights, (*FlightView).appendJSON)
	b = append(b, `,"events":`...)
	b = appendList(b, v.Events, (*EventView).appendJSON)
	b = append(b, `,"truncated":`...)
	b = minijson.AppendBool(b, v.Truncated)
	b = append(b, `,"reset":`...)
	b = minijson.AppendBool(b, v.Reset)
	b = append(b, `,"metrics":`...)
	b = v.Metrics.appendJSON(b)
	b = append(b, `,"violation":`...)
	b = v.Violation.appendJSON(b)
	b = append(b, `,"branchViolation":`...)
	b = v.BranchViolation.appendJSON(b)
	b = append(b, `,"liveness":`...)
	b = minijson.AppendStrings(b, v.Liveness)
	b = append(b, `,"workload":`...)
	b = v.Workload.appendJSON(b)
	b = append(b, `,"actions":`...)
	b = appendList(b, v.Actions, (*Recorded).appendJSON)
	b = append(b, `,"stopped":`...)
	b = minijson.AppendBool(b, v.Stopped)
	b = append(b, `,"hash":`...)
	b = minijson.AppendString(b, v.Hash)
	b = append(b, `,"config":`...)
	b = v.Config.appendJSON(b)
	b = append(b, `,"changes":`...)
	b = minijson.AppendStrings(b, v.Changes)
	b = append(b, `,"singleServer":`...)
	b = minijson.AppendBool(b, v.SingleServer)
	b = append(b, `,"linear":`...)
	b = v.Linear.appendJSON(b)
	b = append(b, `,"nemeses":`...)
	b = minijson.AppendStrings(b, v.Nemeses)
	b = append(b, `,"readModes":`...)
	b = minijson.AppendStrings(b, v.ReadModes)
	b = append(b, `,"manual":`...)
	b = minijson.AppendBool(b, v.Manual)
	b = append(b, `,"choices":`...)
	b = minijson.AppendStrings(b, v.Choices)
	return append(b, '}')
}

// appendList appends a slice of views, or null for a nil slice.
func appendList[T any](b []byte, list []T, appendOne func(*T, []byte) []byte) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendOne(&list[i], b)
	}
	return append(b, ']')
}

func (l *LinearView) appendJSON(b []byte) []byte {
	b = append(b, `{"verdict":`...)
	b = minijson.AppendString(b, l.Verdict)
	b = append(b, `,"ops":`...)
	b = strconv.AppendInt(b, int64(l.Ops), 10)
	b = append(b, `,"keys":`...)
	b = strconv.AppendInt(b, int64(l.Keys), 10)
	if l.Key != "" {
		b = append(b, `,"key":`...)
		b = minijson.AppendString(b, l.Key)
	}
	if l.Explanation != "" {
		b = append(b, `,"explanation":`...)
		b = minijson.AppendString(b, l.Explanation)
	}
	if l.Time != 0 {
		b = append(b, `,"time":`...)
		b = strconv.AppendInt(b, l.Time, 10)
	}
	if l.Unknown != 0 {
		b = append(b, `,"unknown":`...)
		b = strconv.AppendInt(b, int64(l.Unknown), 10)
	}
	if len(l.UnknownKeys) > 0 {
		b = append(b, `,"unknownKeys":`...)
		b = minijson.AppendStrings(b, l.UnknownKeys)
	}
	if l.Reason != "" {
		b = append(b, `,"reason":`...)
		b = minijson.AppendString(b, l.Reason)
	}
	return append(b, '}')
}

func (c *ConfigView) appendJSON(b []byte) []byte {
	b = append(b, `{"version":`...)
	b = strconv.AppendUint(b, c.Version, 10)
	b = append(b, `,"voters":`...)
	b = minijson.AppendUints(b, c.Voters)
	b = append(b, `,"oldVoters":`...)
	b = minijson.AppendUints(b, c.OldVoters)
	b = append(b, `,"learners":`...)
	b = minijson.AppendUints(b, c.Learners)
	b = append(b, `,"joint":`...)
	b = minijson.AppendBool(b, c.Joint)
	b = append(b, `,"quorum":`...)
	b = strconv.AppendInt(b, int64(c.Quorum), 10)
	b = append(b, `,"oldQuorum":`...)
	b = strconv.AppendInt(b, int64(c.OldQuorum), 10)
	b = append(b, `,"committed":`...)
	b = minijson.AppendBool(b, c.Committed)
	return append(b, '}')
}

func (s *ServerView) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, uint64(s.ID), 10)
	b = append(b, `,"up":`...)
	b = minijson.AppendBool(b, s.Up)
	b = append(b, `,"paused":`...)
	b = minijson.AppendBool(b, s.Paused)
	b = append(b, `,"role":`...)
	b = minijson.AppendString(b, s.Role)
	b = append(b, `,"term":`...)
	b = strconv.AppendUint(b, s.Term, 10)
	b = append(b, `,"vote":`...)
	b = strconv.AppendUint(b, uint64(s.Vote), 10)
	b = append(b, `,"lead":`...)
	b = strconv.AppendUint(b, uint64(s.Lead), 10)
	b = append(b, `,"commit":`...)
	b = strconv.AppendUint(b, s.Commit, 10)
	b = append(b, `,"applied":`...)
	b = strconv.AppendUint(b, s.Applied, 10)
	b = append(b, `,"last":`...)
	b = strconv.AppendUint(b, s.Last, 10)
	b = append(b, `,"durable":`...)
	b = strconv.AppendUint(b, s.Durable, 10)
	b = append(b, `,"durableTerm":`...)
	b = strconv.AppendUint(b, s.DurableTerm, 10)
	b = append(b, `,"durableVote":`...)
	b = strconv.AppendUint(b, uint64(s.DurableVote), 10)
	b = append(b, `,"pendingWrites":`...)
	b = strconv.AppendInt(b, int64(s.Pending), 10)
	b = append(b, `,"timerElapsed":`...)
	b = strconv.AppendInt(b, int64(s.TimerElapsed), 10)
	b = append(b, `,"timerTimeout":`...)
	b = strconv.AppendInt(b, int64(s.TimerTimeout), 10)
	b = append(b, `,"logStart":`...)
	b = strconv.AppendUint(b, s.LogStart, 10)
	b = append(b, `,"logTerms":`...)
	b = minijson.AppendUints(b, s.LogTerms)
	b = append(b, `,"progress":`...)
	b = appendList(b, s.Progress, (*ProgressView).appendJSON)
	b = append(b, `,"slowPercent":`...)
	b = strconv.AppendInt(b, s.Slow, 10)
	b = append(b, `,"driftPPM":`...)
	b = strconv.AppendInt(b, s.DriftPPM, 10)
	b = append(b, `,"skew":`...)
	b = strconv.AppendInt(b, s.Skew, 10)
	b = append(b, `,"keys":`...)
	b = strconv.AppendInt(b, int64(s.Keys), 10)
	b = append(b, `,"logKinds":`...)
	b = minijson.AppendInts(b, s.LogKinds)
	b = append(b, `,"snapIndex":`...)
	b = strconv.AppendUint(b, s.SnapIndex, 10)
	b = append(b, `,"snapTerm":`...)
	b = strconv.AppendUint(b, s.SnapTerm, 10)
	b = append(b, `,"durableSnap":`...)
	b = strconv.AppendUint(b, s.DurableSnap, 10)
	b = append(b, `,"snapshotEvery":`...)
	b = strconv.AppendInt(b, int64(s.SnapshotEvery), 10)
	b = append(b, `,"receiving":`...)
	if s.Receiving == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"index":`...)
		b = strconv.AppendUint(b, s.Receiving.Index, 10)
		b = append(b, `,"got":`...)
		b = strconv.AppendUint(b, s.Receiving.Got, 10)
		b = append(b, `,"size":`...)
		b = strconv.AppendUint(b, s.Receiving.Size, 10)
		b = append(b, '}')
	}
	b = append(b, `,"member":`...)
	b = minijson.AppendString(b, s.Member)
	b = append(b, `,"config":`...)
	b = s.Config.appendJSON(b)
	return append(b, '}')
}

func (p *ProgressView) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, uint64(p.ID), 10)
	b = append(b, `,"match":`...)
	b = strconv.AppendUint(b, p.Match, 10)
	b = append(b, `,"next":`...)
	b = strconv.AppendUint(b, p.Next, 10)
	b = append(b, `,"state":`...)
	b = minijson.AppendString(b, p.State)
	b = append(b, `,"inflight":`...)
	b = strconv.AppendInt(b, int64(p.Inflight), 10)
	b = append(b, `,"active":`...)
	b = minijson.AppendBool(b, p.Active)
	b = appendUintOmitEmpty(b, `,"snapshot":`, p.Snapshot)
	b = appendUintOmitEmpty(b, `,"snapAcked":`, p.SnapAcked)
	b = appendUintOmitEmpty(b, `,"snapSize":`, p.SnapSize)
	return append(b, '}')
}

func appendUintOmitEmpty(b []byte, key string, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = append(b, key...)
	return strconv.AppendUint(b, v, 10)
}

func (n *NetView) appendJSON(b []byte) []byte {
	b = append(b, `{"latencyMin":`...)
	b = strconv.AppendInt(b, n.LatencyMin, 10)
	b = append(b, `,"latencyMax":`...)
	b = strconv.AppendInt(b, n.LatencyMax, 10)
	b = append(b, `,"lossPPM":`...)
	b = strconv.AppendUint(b, uint64(n.Loss), 10)
	b = append(b, `,"duplicatePPM":`...)
	b = strconv.AppendUint(b, uint64(n.Duplicate), 10)
	b = append(b, `,"reorderPPM":`...)
	b = strconv.AppendUint(b, uint64(n.Reorder), 10)
	b = append(b, `,"reorderDelay":`...)
	b = strconv.AppendInt(b, n.ReorderDelay, 10)
	return append(b, '}')
}

func (f *FlightView) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, f.ID, 10)
	b = append(b, `,"from":`...)
	b = strconv.AppendUint(b, uint64(f.From), 10)
	b = append(b, `,"to":`...)
	b = strconv.AppendUint(b, uint64(f.To), 10)
	b = append(b, `,"type":`...)
	b = minijson.AppendString(b, f.Type)
	b = append(b, `,"sent":`...)
	b = strconv.AppendInt(b, f.Sent, 10)
	b = append(b, `,"arrive":`...)
	b = strconv.AppendInt(b, f.Arrive, 10)
	b = append(b, `,"term":`...)
	b = strconv.AppendUint(b, f.Term, 10)
	b = append(b, `,"entries":`...)
	b = strconv.AppendInt(b, int64(f.Entries), 10)
	if f.Reject {
		b = append(b, `,"reject":true`...)
	}
	if f.Dup {
		b = append(b, `,"dup":true`...)
	}
	if f.Held {
		b = append(b, `,"held":true`...)
	}
	b = appendUintOmitEmpty(b, `,"snapshot":`, f.Snapshot)
	b = appendUintOmitEmpty(b, `,"size":`, f.Size)
	b = appendUintOmitEmpty(b, `,"offset":`, f.Offset)
	b = appendUintOmitEmpty(b, `,"bytes":`, f.Bytes)
	if f.Done {
		b = append(b, `,"done":true`...)
	}
	return append(b, '}')
}

func (e *EventView) appendJSON(b []byte) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, e.T, 10)
	b = append(b, `,"kind":`...)
	b = minijson.AppendString(b, e.Kind)
	b = append(b, `,"node":`...)
	b = strconv.AppendUint(b, uint64(e.Node), 10)
	b = append(b, `,"peer":`...)
	b = strconv.AppendUint(b, uint64(e.Peer), 10)
	if e.Msg != "" {
		b = append(b, `,"msg":`...)
		b = minijson.AppendString(b, e.Msg)
	}
	b = appendUintOmitEmpty(b, `,"id":`, e.ID)
	b = appendUintOmitEmpty(b, `,"count":`, e.Count)
	if e.Reject {
		b = append(b, `,"reject":true`...)
	}
	if e.Text != "" {
		b = append(b, `,"text":`...)
		b = minijson.AppendString(b, e.Text)
	}
	return append(b, '}')
}

func (m *MetricsView) appendJSON(b []byte) []byte {
	b = append(b, `{"leaderChanges":`...)
	b = strconv.AppendUint(b, m.LeaderChanges, 10)
	b = append(b, `,"leaderChangesPerMinute":`...)
	b = minijson.AppendFloat(b, m.LeaderChangesPerMin)
	b = append(b, `,"elections":`...)
	b = strconv.AppendUint(b, m.Elections, 10)
	b = append(b, `,"commit":`...)
	b = strconv.AppendUint(b, m.Commit, 10)
	b = append(b, `,"quorumAckP99":`...)
	b = strconv.AppendInt(b, m.QuorumAckP99, 10)
	b = append(b, `,"opsStarted":`...)
	b = strconv.AppendUint(b, m.OpsStarted, 10)
	b = append(b, `,"opsOK":`...)
	b = strconv.AppendUint(b, m.OpsOK, 10)
	b = append(b, `,"opsRetried":`...)
	b = strconv.AppendUint(b, m.OpsRetried, 10)
	b = append(b, `,"sent":`...)
	b = strconv.AppendUint(b, m.Sent, 10)
	b = append(b, `,"dropped":`...)
	b = strconv.AppendUint(b, m.Dropped, 10)
	b = append(b, `,"events":`...)
	b = strconv.AppendUint(b, m.Events, 10)
	b = append(b, `,"rejected":`...)
	if m.Rejected == nil {
		b = append(b, "null"...)
	} else {
		keys := make([]string, 0, len(m.Rejected))
		for k := range m.Rejected {
			keys = append(keys, k)
		}
		slices.Sort(keys) // as encoding/json orders a map's keys
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = minijson.AppendString(b, k)
			b = append(b, ':')
			b = strconv.AppendUint(b, m.Rejected[k], 10)
		}
		b = append(b, '}')
	}
	b = append(b, `,"snapshots":`...)
	b = strconv.AppendUint(b, m.Snapshots, 10)
	b = append(b, `,"snapshotsInstalled":`...)
	b = strconv.AppendUint(b, m.SnapshotsInstalled, 10)
	b = append(b, `,"snapshotInstallFailures":`...)
	b = strconv.AppendUint(b, m.SnapshotInstallFailures, 10)
	b = append(b, `,"membershipChanges":`...)
	b = strconv.AppendUint(b, m.MembershipChanges, 10)
	b = append(b, `,"opsFailed":`...)
	b = strconv.AppendUint(b, m.OpsFailed, 10)
	b = append(b, `,"opsIndeterminate":`...)
	b = strconv.AppendUint(b, m.OpsIndeterminate, 10)
	b = append(b, `,"staleReads":`...)
	b = strconv.AppendUint(b, m.StaleReads, 10)
	b = append(b, `,"leaseReads":`...)
	b = strconv.AppendUint(b, m.LeaseReads, 10)
	b = append(b, `,"readIndexReads":`...)
	b = strconv.AppendUint(b, m.ReadIndexReads, 10)
	return append(b, '}')
}

func (v *ViolationView) appendJSON(b []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"invariant":`...)
	b = minijson.AppendString(b, v.Invariant)
	b = append(b, `,"event":`...)
	b = strconv.AppendUint(b, v.Event, 10)
	b = append(b, `,"time":`...)
	b = strconv.AppendInt(b, v.Time, 10)
	b = append(b, `,"nodes":`...)
	b = minijson.AppendUints(b, v.Nodes)
	b = append(b, `,"explanation":`...)
	b = minijson.AppendString(b, v.Explanation)
	return append(b, '}')
}

func (w *WorkloadView) appendJSON(b []byte) []byte {
	b = append(b, `{"on":`...)
	b = minijson.AppendBool(b, w.On)
	b = append(b, `,"rate":`...)
	b = strconv.AppendInt(b, w.Rate, 10)
	b = append(b, `,"clients":`...)
	b = strconv.AppendInt(b, int64(w.Clients), 10)
	b = append(b, `,"pending":`...)
	b = strconv.AppendInt(b, int64(w.Pending), 10)
	return append(b, '}')
}

func (r *Recorded) appendJSON(b []byte) []byte {
	b = append(b, `{"at":`...)
	b = strconv.AppendInt(b, r.At, 10)
	b = append(b, `,"text":`...)
	b = minijson.AppendString(b, r.Text)
	return append(b, '}')
}
