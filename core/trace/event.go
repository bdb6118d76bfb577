// Package trace records what happens in a simulated run: every event with its
// virtual time, a running hash of them, and a hash of the final state. A trace
// is the run's inputs (the header) plus its events plus its outcome (the
// footer); replaying the inputs must give the same events and hashes.
//
// The canonical file is msgpack with a versioned header; JSON Lines is its
// readable twin.
package trace

import (
	"encoding/binary"
	"fmt"
)

// Kind is what an event records.
type Kind uint8

// The kinds of events.
const (
	// Send: server Node sends message ID of type Msg to Peer, with its Term,
	// Index, LogTerm and Commit; Count is its number of entries. For an
	// InstallSnapshot chunk, Count is the chunk's bytes and Commit its offset.
	Send Kind = iota + 1
	// Deliver: message ID from Peer arrives at Node.
	Deliver
	// Drop: message ID from Node to Peer is lost; Text says why.
	Drop
	// Duplicate: the network delivers message ID a second time (as ID2 = Count).
	Duplicate
	// Timeout: Node's election timer fired (it campaigns) or a heartbeat was due.
	Timeout
	// Role: Node took role Count (raft.Role) in Term; Peer is the leader it knows.
	Role
	// Term: Node's term changed to Term.
	Term
	// Write: Node issued a disk write of Count entries ending at Index (durable later).
	Write
	// Persist: Node's disk write made entries up to Index (of LogTerm) and the hard state durable.
	Persist
	// Commit: Node's commit index advanced to Index.
	Commit
	// Apply: Node applied entries up to Index to its state machine.
	Apply
	// Crash: Node stopped; Count writes were not yet durable and are lost.
	Crash
	// Restart: Node started again from its disk (Index entries, Term).
	Restart
	// Fault: a fault was injected or healed; Text describes it.
	Fault
	// Action: a scenario or user action took effect; Text describes it.
	Action
	// ClientCall: client Node invokes operation ID (Text) at server Peer.
	ClientCall
	// ClientReturn: client Node's operation ID returned; Text is the result.
	ClientReturn
	// Violation: a safety invariant failed; Text explains it.
	Violation
	// Liveness: the watchdog saw a connected quorum make no progress.
	Liveness
	// Tick: Node's clock ticked (kept for replay; hidden from timelines).
	Tick
	// Snapshot: Node took a snapshot of its state machine at Index (of
	// LogTerm), Count bytes, and compacted its log up to it.
	Snapshot
	// Install: Node installed the snapshot at Index (of LogTerm) that Peer
	// sent: Count bytes, transferred in Commit microseconds. With Reject,
	// Count snapshot transfers from or to Node failed instead; Text says why.
	Install
	// Config: Node's configuration changed to the one set at Index (its
	// version); Text describes it.
	Config
	// Member: a step of a membership change (requested, proposed, done or
	// refused); Text says which. These are the audit events of changes.
	Member
	// Reject: leader Node refused client Peer's operation ID under admission
	// control; Text gives the reason.
	Reject
	kindEnd
)

var kindNames = [...]string{"", "send", "deliver", "drop", "duplicate", "timeout", "role", "term",
	"write", "persist", "commit", "apply", "crash", "restart", "fault", "action", "call", "return",
	"violation", "liveness", "tick", "snapshot", "install", "config", "member", "reject"}

func (k Kind) String() string {
	if k > 0 && k < kindEnd {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k > 0 && k < kindEnd }

// ParseKind finds a kind by name.
func ParseKind(s string) (Kind, error) {
	for i := 1; i < int(kindEnd); i++ {
		if kindNames[i] == s {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown event kind %q", s)
}

// Event is one thing that happened. Its fields are flat integers so that
// recording and hashing cost no allocation; what each means depends on Kind.
type Event struct {
	Seq     uint64 `codec:"q" json:"seq"`
	Time    int64  `codec:"t" json:"t"`
	Kind    Kind   `codec:"k" json:"kind"`
	Node    uint32 `codec:"n" json:"node"`
	Peer    uint32 `codec:"p,omitempty" json:"peer,omitempty"`
	Msg     uint8  `codec:"m,omitempty" json:"msg,omitempty"`
	Reject  bool   `codec:"r,omitempty" json:"reject,omitempty"`
	ID      uint64 `codec:"i,omitempty" json:"id,omitempty"`
	Term    uint64 `codec:"e,omitempty" json:"term,omitempty"`
	Index   uint64 `codec:"x,omitempty" json:"index,omitempty"`
	LogTerm uint64 `codec:"l,omitempty" json:"log_term,omitempty"`
	Count   uint64 `codec:"c,omitempty" json:"count,omitempty"`
	Commit  uint64 `codec:"o,omitempty" json:"commit,omitempty"`
	Text    string `codec:"s,omitempty" json:"text,omitempty"`
}

// Hasher is a running 64-bit hash over events, fed a word at a time so that
// hashing costs a few multiplications per event. Two runs hash equal exactly
// when their events are equal (up to 64-bit collisions).
type Hasher struct{ h uint64 }

const (
	hashOffset = 14695981039346656037
	hashMul    = 0x9e3779b97f4a7c15
)

// NewHasher returns a hasher at its starting value.
func NewHasher() Hasher { return Hasher{h: hashOffset} }

// Sum returns the hash so far.
func (h *Hasher) Sum() uint64 { return h.h }

// Uint64 feeds one word.
func (h *Hasher) Uint64(v uint64) {
	x := (h.h ^ v) * hashMul
	h.h = x ^ (x >> 29)
}

// String feeds a length-prefixed string.
func (h *Hasher) String(s string) {
	h.Uint64(uint64(len(s)))
	for len(s) >= 8 {
		h.Uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
		s = s[8:]
	}
	var last uint64
	for i := 0; i < len(s); i++ {
		last |= uint64(s[i]) << (8 * i)
	}
	h.Uint64(last)
}

// Bytes feeds a length-prefixed byte slice.
func (h *Hasher) Bytes(b []byte) {
	h.Uint64(uint64(len(b)))
	for len(b) >= 8 {
		h.Uint64(binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	var last uint64
	for i := 0; i < len(b); i++ {
		last |= uint64(b[i]) << (8 * i)
	}
	h.Uint64(last)
}

// Event feeds every field of e.
func (h *Hasher) Event(e *Event) {
	h.Uint64(e.Seq)
	h.Uint64(uint64(e.Time))
	h.Uint64(uint64(e.Kind) | uint64(e.Msg)<<8 | b2u(e.Reject)<<16)
	h.Uint64(uint64(e.Node) | uint64(e.Peer)<<32)
	h.Uint64(e.ID)
	h.Uint64(e.Term)
	h.Uint64(e.Index)
	h.Uint64(e.LogTerm)
	h.Uint64(e.Count)
	h.Uint64(e.Commit)
	if e.Text != "" {
		h.String(e.Text)
	}
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// Format names this file format; a file of another name is refused.
const Format = "smrlab-trace"

// The version of the format this code writes. A reader refuses a file of a
// different major version; a newer minor version may add fields it ignores.
const (
	VersionMajor = 1
	VersionMinor = 0
)

// Header holds a run's inputs: enough to re-run it exactly.
type Header struct {
	Format       string   `codec:"format" json:"format"`
	Major        int      `codec:"major" json:"major"`
	Minor        int      `codec:"minor" json:"minor"`
	ScenarioName string   `codec:"scenario_name" json:"scenario_name"`
	Scenario     string   `codec:"scenario" json:"scenario"`
	Seed         uint64   `codec:"seed" json:"seed,string"`
	Bugs         []string `codec:"bugs" json:"bugs"`
	// Actions are user actions in scenario syntax ("at 1.5s crash S2"), in
	// time order, applied on top of the scenario's own.
	Actions []string `codec:"actions" json:"actions"`
	// Until is the virtual time (µs) at which the run stopped; 0 means the
	// scenario's own end.
	Until int64 `codec:"until" json:"until"`
}

// Footer holds a run's outcome.
type Footer struct {
	Events     uint64 `codec:"events" json:"events"`
	EventsHash uint64 `codec:"events_hash" json:"events_hash,string"`
	StateHash  uint64 `codec:"state_hash" json:"state_hash,string"`
	EndTime    int64  `codec:"end_time" json:"end_time"`
	// Violation is empty when every invariant held.
	Violation string `codec:"violation" json:"violation"`
}

// Trace is a whole run held in memory.
type Trace struct {
	Header Header
	Events []Event
	Footer Footer
}

// NewHeader returns a header of this code's format and version.
func NewHeader() Header {
	return Header{Format: Format, Major: VersionMajor, Minor: VersionMinor}
}
