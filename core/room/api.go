// Package room is a classroom room as a pure state machine: seats, roles,
// the room's clock, its exercise and its ordered inputs, over one native run
// of the lab (core/lab). It takes inputs (a frame from a seat, the wall time
// as a plain number, a tick) and returns what the shell must do: records to
// store, then frames to send. It does no I/O, reads no clock and starts no
// goroutine, so it is tested, replayed after a crash and explored like the
// rest of core/.
package room

import "smrlab/core/lab"

// Limits of a room.
const (
	// FrameBytesMax bounds one frame from a browser, but for progress and
	// submit frames, which ProgressBytesMax bounds.
	FrameBytesMax = 4096
	// ProgressBytesMax bounds a progress frame (a lesson log's new
	// operations) or a submit frame (a bug hunt's recording): the
	// websocket's read limit.
	ProgressBytesMax = 64 << 10
	// ActionBytesMax bounds an action's text.
	ActionBytesMax = 200
	// NameBytesMax bounds a display name.
	NameBytesMax = 40
	// GridMicros is the spacing of the virtual times at which the room and
	// every browser compare state hashes.
	GridMicros = 1_000_000
	// LeadMicros is how far a browser may run past the room's last known time.
	LeadMicros = 2 * GridMicros
	// CodeAlphabet is the join code's letters: none that reads as another.
	CodeAlphabet = "ACDEFGHJKMNPQRTUVWXY3479"
	// CodeLen is the join code's length.
	CodeLen = 6
)

// SeatID numbers a room's seats: 0 is the teacher, students from 1.
type SeatID int

// Teacher is the teacher's seat.
const Teacher SeatID = 0

// Everyone and Viewers address a send to a group of seats.
const (
	Everyone SeatID = -1 // every connected seat
	Viewers  SeatID = -2 // the seats that asked for view models
	// Projectors are the projectors' connections, which have no seat: the
	// class's board and votes go to them.
	Projectors SeatID = -3
)

// Role is what a seat may do in the room.
type Role struct {
	Role   string `json:"role"`             // server, nemesis, operator, client, observer
	Server string `json:"server,omitempty"` // for role server: the server's name, "S3"
}

// Spec is what the teacher chose when opening the room.
type Spec struct {
	File     string   `json:"file"`     // the scenario's file name, shown to users
	Scenario string   `json:"scenario"` // the scenario's source
	Seed     uint64   `json:"seed"`
	Bugs     []string `json:"bugs,omitempty"`
	Exercise string   `json:"exercise,omitempty"` // the exercise's name; "" is free play
	// ExerciseSource is the exercise file's text, kept with the room so that
	// it replays the same even if the shipped file changes.
	ExerciseSource string `json:"exerciseSource,omitempty"`
	Title          string `json:"title,omitempty"`
}

// RecordKind says which table a record goes to.
type RecordKind uint8

// The kinds of records.
const (
	RecordRoom     RecordKind = iota + 1 // the room's row: spec, created, closed
	RecordSeat                           // a seat's row: token hash, name, role
	RecordInput                          // one of the room's ordered inputs
	RecordAudit                          // a privileged action or a refusal
	RecordProgress                       // the room's time, hash and clock now
)

// Record is something the shell must store before it sends the frames of the
// same Output. Exactly the fields of its kind are set.
type Record struct {
	Kind    RecordKind
	Room    string
	Code    string // RecordRoom
	Spec    Spec   // RecordRoom
	Created int64  // RecordRoom: wall ms
	Closed  int64  // RecordRoom: wall ms, 0 while open
	Seat    SeatRow
	Input   Input
	Audit   Audit
	At      int64  // RecordProgress: virtual µs
	Hash    string // RecordProgress: state hash at At, 16 hex digits
	Clock   Clock  // RecordProgress
}

// SeatRow is a seat as the store keeps it.
type SeatRow struct {
	Seat      SeatID `json:"seat"`
	TokenHash string `json:"-"` // SHA-256 of the seat's token, hex
	Name      string `json:"name"`
	Role      Role   `json:"role"`
	Created   int64  `json:"created"` // wall ms
}

// Input is one of the room's ordered inputs, as stored and replayed.
type Input struct {
	N    uint64 `json:"n"`
	Body []byte `json:"body"` // the input as JSON (the room's own encoding)
}

// Audit is one entry of the audit log.
type Audit struct {
	AtMs   int64  `json:"at_ms"`
	Actor  string `json:"actor"` // "teacher", "seat 3 (Ada)", "server"
	Kind   string `json:"kind"`  // open, close, role, clock, reset, refused, join, rejoin, diverged...
	Detail string `json:"detail"`
}

// Clock is the room's clock.
type Clock struct {
	Playing  bool  `json:"playing"`
	SpeedPpm int64 `json:"speedPpm"`
	At       int64 `json:"at"` // virtual µs at the anchor
	Ms       int64 `json:"-"`  // wall ms at the anchor
	// N is the number of inputs the room had applied when a progress record
	// was taken: Restore compares the stored hash on the branch it was
	// taken on (after input N), not on a later one.
	N uint64 `json:"n,omitempty"`
}

// Send is a frame for a seat or a group of seats.
type Send struct {
	To    SeatID
	Frame []byte
}

// Output is what one input makes the shell do: store Records, then send.
// Close names seats whose connection must be closed after the sends (a seat
// that said goodbye, a closed room).
type Output struct {
	Records []Record
	Sends   []Send
	Close   []SeatID
	// Refused holds a short reason code per refused frame (role, seq,
	// decode, closed, stopped, action), for the shell's metrics.
	Refused []string
	// Progress holds "accepted" per progress frame accepted (refused ones
	// are in Refused: forged, from, state, limit...), Submissions "valid"
	// per bug hunt submission accepted (refused: forged-submission), for
	// the shell's metrics.
	Progress    []string
	Submissions []string
	// Divergences counts the browsers' hash reports that differed from the
	// room's own hashes (each also sent a "diverged" frame to its seat).
	Divergences int
}

// Room is one classroom room. It is not safe for concurrent use.
type Room struct {
	id, code string
	spec     Spec
	s        *lab.Session
	roomState
}
