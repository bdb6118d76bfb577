package raft

import "fmt"

// ID names a server. Servers are numbered from 1; None (0) means "no server".
type ID uint32

// None is the ID of no server: no vote cast, no leader known.
const None ID = 0

// String prints a server as the paper's figures do: S1, S2, ... It is not
// inlined: it only makes texts, and its 23 inlined copies were 2 KB of the
// browser's compressed download.
//
//go:noinline
func (id ID) String() string {
	if id == None {
		return "none"
	}
	return fmt.Sprintf("S%d", uint32(id))
}

// Role is a server's role in its current term (paper §5.1), plus the
// pre-candidate role of the PreVote extension (thesis §9.6).
type Role uint8

// The roles a server can take.
const (
	Follower Role = iota
	PreCandidate
	Candidate
	Leader
)

var roleNames = [...]string{"follower", "pre-candidate", "candidate", "leader"}

func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// EntryType tells what a log entry carries.
type EntryType uint8

// The kinds of log entries.
const (
	// EntryNormal carries a command for the replicated state machine.
	EntryNormal EntryType = iota
	// EntryNoop is the empty entry a leader appends when it takes office
	// (paper §5.4.2, §8): committing it commits everything before it.
	EntryNoop
	// EntryConfig carries a configuration (paper §6): C_old,new or C_new.
	// A server uses the latest configuration in its log, committed or not.
	EntryConfig
)

func (t EntryType) String() string {
	switch t {
	case EntryNormal:
		return "normal"
	case EntryNoop:
		return "noop"
	case EntryConfig:
		return "config"
	}
	return fmt.Sprintf("entry(%d)", uint8(t))
}

// Entry is one slot of the replicated log.
type Entry struct {
	Term  uint64
	Index uint64
	Type  EntryType
	Data  []byte
}

// MsgType is the kind of a message between servers.
type MsgType uint8

// The messages of the protocol. Each request has its response right after it.
const (
	MsgPreVote MsgType = iota + 1
	MsgPreVoteResp
	MsgVote
	MsgVoteResp
	MsgApp
	MsgAppResp
	MsgHeartbeat
	MsgHeartbeatResp
	// MsgTimeoutNow tells a caught-up follower to start an election at
	// once: the last step of a leadership transfer (thesis §3.10).
	MsgTimeoutNow
	// MsgSnap is one chunk of InstallSnapshot (paper §7, Figure 13).
	MsgSnap
	MsgSnapResp
	msgTypeEnd
)

var msgNames = [...]string{"", "PreVote", "PreVoteResp", "RequestVote", "RequestVoteResp",
	"AppendEntries", "AppendEntriesResp", "Heartbeat", "HeartbeatResp", "TimeoutNow",
	"InstallSnapshot", "InstallSnapshotResp"}

func (t MsgType) String() string {
	if t > 0 && t < msgTypeEnd {
		return msgNames[t]
	}
	return fmt.Sprintf("msg(%d)", uint8(t))
}

// Valid reports whether t is a message type this core knows.
func (t MsgType) Valid() bool { return t > 0 && t < msgTypeEnd }

// IsResponse reports whether t answers a request.
func (t MsgType) IsResponse() bool {
	return t == MsgPreVoteResp || t == MsgVoteResp || t == MsgAppResp || t == MsgHeartbeatResp ||
		t == MsgSnapResp
}

// Message is what servers send each other. Fields are shared between types
// the way the paper's RPC arguments line up:
//
//	RequestVote / PreVote: Index, LogTerm = candidate's last log index and term.
//	AppendEntries:         Index, LogTerm = prevLogIndex, prevLogTerm; Entries; Commit = leaderCommit.
//	AppendEntriesResp:     Index = match index on success; on Reject, Index = the rejected
//	                       prevLogIndex, Hint/LogTerm = the follower's hint for fast back-off.
//	Heartbeat:             Commit = min(leader commit, follower match).
//	InstallSnapshot:       Index, LogTerm = the snapshot's last included index and term;
//	                       Offset, Data = this chunk; Size = the whole snapshot's size;
//	                       Done and Config on the last chunk.
//	InstallSnapshotResp:   Index, LogTerm = the snapshot; Offset = the bytes received so far
//	                       (on Reject, the offset the follower expects); Done once installed,
//	                       and then Commit = the index the follower now holds.
type Message struct {
	Type    MsgType
	From    ID
	To      ID
	Term    uint64
	LogTerm uint64
	Index   uint64
	Entries []Entry
	Commit  uint64
	Reject  bool
	Hint    uint64
	// Transfer marks a RequestVote sent because the leader handed over: a
	// voter grants it even while it hears from that leader (thesis §3.10).
	Transfer bool

	// Context numbers a heartbeat round; the answer echoes it (reads).
	Context uint64

	Offset uint64
	Size   uint64
	Data   []byte
	Done   bool
	Config *Configuration
}

func (m Message) String() string {
	s := fmt.Sprintf("%v %v->%v t%d", m.Type, m.From, m.To, m.Term)
	switch m.Type {
	case MsgApp:
		s += fmt.Sprintf(" prev=%d/t%d n=%d commit=%d", m.Index, m.LogTerm, len(m.Entries), m.Commit)
	case MsgAppResp:
		if m.Reject {
			s += fmt.Sprintf(" reject idx=%d hint=%d/t%d", m.Index, m.Hint, m.LogTerm)
		} else {
			s += fmt.Sprintf(" match=%d", m.Index)
		}
	case MsgVote, MsgPreVote:
		s += fmt.Sprintf(" last=%d/t%d", m.Index, m.LogTerm)
	case MsgVoteResp, MsgPreVoteResp:
		if m.Reject {
			s += " rejected"
		} else {
			s += " granted"
		}
	case MsgHeartbeat:
		s += fmt.Sprintf(" commit=%d", m.Commit)
	case MsgSnap:
		s += fmt.Sprintf(" snap=%d/t%d bytes %d-%d of %d", m.Index, m.LogTerm, m.Offset, m.Offset+uint64(len(m.Data)), m.Size)
		if m.Done {
			s += " done"
		}
	case MsgSnapResp:
		switch {
		case m.Reject:
			s += fmt.Sprintf(" snap=%d reject want=%d", m.Index, m.Offset)
		case m.Done:
			s += fmt.Sprintf(" snap=%d installed", m.Index)
		default:
			s += fmt.Sprintf(" snap=%d got=%d", m.Index, m.Offset)
		}
	}
	return s
}

// HardState is the state a server must keep on stable storage before it
// answers anyone (paper Figure 2, "Persistent state on all servers"). Commit is
// persisted too, as etcd does, so a restarted server need not re-learn it.
type HardState struct {
	Term   uint64
	Vote   ID
	Commit uint64
}

// Durable is what a server finds on its disk when it starts: the hard state,
// the latest snapshot (Index 0: none) and the log. The log may still hold
// entries the snapshot covers (a crash came between writing the snapshot and
// truncating the log); the server drops them as it starts.
type Durable struct {
	HardState HardState
	Snapshot  Snapshot
	Entries   []Entry
}

// SnapshotMeta says what a snapshot covers (paper §7): the last included index
// and term, and the configuration as of that index.
type SnapshotMeta struct {
	Index  uint64
	Term   uint64
	Config Configuration
}

// Snapshot is a state machine's state as of Meta.Index. Data is never
// changed once made.
type Snapshot struct {
	Meta SnapshotMeta
	Data []byte
}
