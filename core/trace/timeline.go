package trace

import (
	"fmt"
	"io"
	"strings"

	"smrlab/core/raft"
)

// Detail chooses which events a timeline shows.
type Detail uint8

// Timeline detail levels: each shows what the one before shows, and more.
const (
	// DetailProtocol shows roles, terms, timeouts, faults, actions, crashes,
	// restarts, violations and the watchdog.
	DetailProtocol Detail = iota
	// DetailMessages adds every message sent, delivered, dropped or duplicated,
	// disk writes, commits and client operations.
	DetailMessages
	// DetailAll adds ticks and applies.
	DetailAll
)

// Shown reports whether an event of kind k appears at detail d.
func (d Detail) Shown(k Kind) bool {
	switch k {
	case Tick, Apply:
		return d >= DetailAll
	case Send, Deliver, Drop, Duplicate, Write, Persist, Commit, ClientCall, ClientReturn, Config:
		return d >= DetailMessages
	}
	return true
}

// clientIDBase mirrors sim.ClientIDBase (trace cannot import sim).
const clientIDBase = 100

// EndpointName prints a server as S1 and a client as C1.
func EndpointName(id uint32) string {
	if id > clientIDBase {
		return fmt.Sprintf("C%d", id-clientIDBase)
	}
	return raft.ID(id).String()
}

// MsgName names the Msg field of a message event.
func MsgName(m uint8) string {
	switch m {
	case 100:
		return "ClientRequest"
	case 101:
		return "ClientReply"
	}
	return raft.MsgType(m).String()
}

// FormatTime prints virtual microseconds as seconds with six decimals.
func FormatTime(us int64) string {
	return fmt.Sprintf("%d.%06ds", us/1_000_000, us%1_000_000)
}

// Describe renders one event as a line a student can read.
func Describe(e *Event) string {
	n, p := EndpointName(e.Node), EndpointName(e.Peer)
	switch e.Kind {
	case Send:
		return fmt.Sprintf("%s -> %s %s#%d%s", n, p, MsgName(e.Msg), e.ID, msgDetail(e))
	case Deliver:
		return fmt.Sprintf("%s <- %s %s#%d", n, p, MsgName(e.Msg), e.ID)
	case Drop:
		return fmt.Sprintf("%s -> %s %s#%d dropped (%s)", n, p, MsgName(e.Msg), e.ID, e.Text)
	case Duplicate:
		return fmt.Sprintf("%s -> %s %s#%d duplicated", n, p, MsgName(e.Msg), e.ID)
	case Timeout:
		if e.Text != "" {
			return fmt.Sprintf("%s %s (term %d)", n, e.Text, e.Term)
		}
		return fmt.Sprintf("%s election timeout in term %d", n, e.Term)
	case Role:
		return describeRole(e, n, p)
	case Term:
		return fmt.Sprintf("%s term is now %d", n, e.Term)
	case Write:
		if e.Count == 0 {
			return fmt.Sprintf("%s writes its hard state (term %d)", n, e.Term)
		}
		return fmt.Sprintf("%s writes %d entries up to %d (term %d)", n, e.Count, e.Index, e.LogTerm)
	case Persist:
		return fmt.Sprintf("%s disk: durable up to index %d, term %d, vote %s, commit %d", n, e.Index, e.Term, p, e.Commit)
	case Commit:
		return fmt.Sprintf("%s commit index %d", n, e.Index)
	case Apply:
		return fmt.Sprintf("%s applied up to %d%s", n, e.Index, textSuffix(e.Text))
	case Crash:
		return fmt.Sprintf("%s CRASHED (%d writes not yet durable are lost)", n, e.Count)
	case Restart:
		return fmt.Sprintf("%s restarted from disk: term %d, vote %s, %d entries, commit %d", n, e.Term, p, e.Index, e.Commit)
	case Fault:
		return "fault: " + e.Text
	case Action:
		return "action: " + e.Text
	case ClientCall:
		return fmt.Sprintf("%s calls %s op#%d: %s k%d", n, p, e.ID, opName(e.Msg), e.Index)
	case ClientReturn:
		return fmt.Sprintf("%s op#%d returned from %s", n, e.ID, p)
	case Violation:
		return "VIOLATION " + e.Text
	case Liveness:
		return "WATCHDOG " + e.Text
	case Tick:
		return n + " tick"
	case Snapshot:
		return fmt.Sprintf("%s took a snapshot at index %d (term %d, %d bytes) and compacted its log", n, e.Index,
			e.LogTerm, e.Count)
	case Install:
		if e.Reject {
			return fmt.Sprintf("%s: %d snapshot transfer(s) failed: %s", n, e.Count, e.Text)
		}
		return fmt.Sprintf("%s installed the snapshot at index %d (term %d) from %s: %d bytes in %s", n, e.Index,
			e.LogTerm, p, e.Count, FormatTime(int64(e.Commit)))
	case Config:
		return fmt.Sprintf("%s configuration %d: %s", n, e.Index, e.Text)
	case Member:
		return "membership: " + e.Text
	case Reject:
		return fmt.Sprintf("%s refuses %s op#%d: %s", n, p, e.ID, e.Text)
	}
	return e.Kind.String()
}

func textSuffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func opName(op uint8) string {
	switch op {
	case 1:
		return "put"
	case 2:
		return "get"
	case 3:
		return "append"
	}
	return fmt.Sprintf("op%d", op)
}

func describeRole(e *Event, n, lead string) string {
	role := raft.Role(e.Count)
	switch role {
	case raft.Leader:
		return fmt.Sprintf("%s became LEADER of term %d (log ends at %d, term %d)", n, e.Term, e.Index, e.LogTerm)
	case raft.Follower:
		if e.Peer != 0 {
			return fmt.Sprintf("%s follows %s in term %d", n, lead, e.Term)
		}
		return fmt.Sprintf("%s is a follower in term %d", n, e.Term)
	}
	return fmt.Sprintf("%s became %s for term %d", n, role, e.Term)
}

func msgDetail(e *Event) string {
	switch raft.MsgType(e.Msg) {
	case raft.MsgApp:
		return fmt.Sprintf(" t%d prev=%d/t%d entries=%d commit=%d", e.Term, e.Index, e.LogTerm, e.Count, e.Commit)
	case raft.MsgAppResp:
		if e.Reject {
			return fmt.Sprintf(" t%d REJECT at %d", e.Term, e.Index)
		}
		return fmt.Sprintf(" t%d match=%d", e.Term, e.Index)
	case raft.MsgVote, raft.MsgPreVote:
		return fmt.Sprintf(" t%d last=%d/t%d", e.Term, e.Index, e.LogTerm)
	case raft.MsgVoteResp, raft.MsgPreVoteResp:
		if e.Reject {
			return fmt.Sprintf(" t%d rejected", e.Term)
		}
		return fmt.Sprintf(" t%d granted", e.Term)
	case raft.MsgHeartbeat:
		return fmt.Sprintf(" t%d commit=%d", e.Term, e.Commit)
	case raft.MsgHeartbeatResp:
		return fmt.Sprintf(" t%d", e.Term)
	case raft.MsgSnap:
		return fmt.Sprintf(" t%d snapshot=%d/t%d bytes %d+%d", e.Term, e.Index, e.LogTerm, e.Commit, e.Count)
	case raft.MsgSnapResp:
		switch {
		case e.Reject:
			return fmt.Sprintf(" t%d snapshot=%d REJECT, wants offset %d", e.Term, e.Index, e.Count)
		case e.Commit > 0:
			return fmt.Sprintf(" t%d snapshot=%d installed, holds %d", e.Term, e.Index, e.Commit)
		}
		return fmt.Sprintf(" t%d snapshot=%d got %d bytes", e.Term, e.Index, e.Count)
	}
	if e.Msg == 101 && e.Reject {
		return " not-leader"
	}
	return ""
}

// WriteTimeline writes one line per shown event: time, sequence number and
// description.
func WriteTimeline(w io.Writer, events []Event, d Detail) error {
	var b strings.Builder
	for i := range events {
		e := &events[i]
		if !d.Shown(e.Kind) {
			continue
		}
		b.Reset()
		fmt.Fprintf(&b, "%12s #%-7d %s\n", FormatTime(e.Time), e.Seq, Describe(e))
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}
