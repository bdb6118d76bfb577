package room

import (
	"encoding/json"
	"errors"
	"fmt"
	cm "smrlab/core/class"
	"unicode/utf8"

	"smrlab/core/lab"
)

// More limits of a room.
const (
	// SeatsMax bounds a room's student seats (the shell may set a lower cap).
	SeatsMax = 1000
	// SpeedPpmMin and SpeedPpmMax bound the clock's speed: 0.001x to 10x.
	SpeedPpmMin = 1_000
	SpeedPpmMax = 10_000_000
	// DefaultSpeedPpm is the lab's default speed, 0.05x.
	DefaultSpeedPpm = 50_000
	// NowEveryMs spaces the "now" frames (at most 10 a second); ViewEveryMs
	// the view models for viewers (at most 5 a second); SeatsEveryMs the
	// seats lists (at most 1 a second, as a class joins at once);
	// ExerciseEveryMs the exercise frames whose goals did not change.
	NowEveryMs      = 100
	ViewEveryMs     = 200
	SeatsEveryMs    = 1000
	ExerciseEveryMs = 500
	// HashesKept bounds the ring of recent hashes (grid points and acts) a
	// browser's report is compared with.
	HashesKept = 512
	// InputsMax bounds a room's inputs: a class's session, with room to spare.
	InputsMax = 200_000
	// CheckpointsMax bounds the copies of the world a room's run keeps to go
	// back in time: about 10 MB a room, where a single-user session keeps
	// lab.CheckpointsMax.
	CheckpointsMax = 64
)

// seat is a room's seat as the room runs it.
type seat struct {
	row      SeatRow
	lastSeq  int64
	conns    int
	diverged bool
	// ahead holds the seat's hash reports for times the room has not
	// reached yet (a browser runs a little ahead), checked when it does.
	ahead []hashAt
}

// AheadMax bounds the hash reports a seat may have waiting for the room.
const AheadMax = 4

// hashAt is a state hash at a virtual time (a grid point or after an act).
type hashAt struct {
	at   int64
	hash string
}

// roomState is the room beyond its identity and native run.
type roomState struct {
	created, closed int64
	seats           []*seat // index = SeatID; seats[0] is the teacher
	byToken         map[string]SeatID
	n               uint64 // the last input's number
	clock           Clock
	ex              *Exercise
	track           *tracker
	hashes          []hashAt // ring of recent hashes, oldest first
	grid            []hashAt // grid points passed since the last now frame
	lastNowMs       int64
	lastNowAt       int64
	actHash         string // the hash right after the last act
	viewDirty       bool   // a new viewer waits for its first view
	viewAt          int64  // the time and input count of the last view
	viewN           uint64
	lastViewMs      int64
	lastSeatsMs     int64
	lastExMs        int64
	seatsDirty      bool
	sentSeats       []seatView // the seats as the last seats frame left them
	viewers         int
	exSent          []byte
	exGoals         string

	// The class (classframe.go): its model, whom the teacher watches, the
	// dashboard's and board's rhythm.
	cls         *cm.Class
	watching    SeatID
	watchLesson string
	dashDirty   bool
	lastDashMs  int64
	boardDirty  string
}

// hexHash writes a state hash as 16 hex digits, as browsers do.
func hexHash(h uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[h&15]
		h >>= 4
	}
	return string(b[:])
}

// open builds a room with its native run, without any record.
func open(id, code string, spec Spec) (*Room, error) {
	if !ValidCode(code) {
		return nil, fmt.Errorf("join code %q: want %d letters of %s", code, CodeLen, CodeAlphabet)
	}
	if id == "" || len(id) > 64 {
		return nil, fmt.Errorf("room id %q: want 1 to 64 characters", id)
	}
	r := &Room{id: id, code: code}
	if spec.Exercise != "" && spec.ExerciseSource == "" {
		return nil, fmt.Errorf("exercise %q: the room needs the exercise file's text (ExerciseSource)", spec.Exercise)
	}
	if spec.ExerciseSource != "" {
		ex, err := ParseExercise(spec.Exercise+".exercise", []byte(spec.ExerciseSource))
		if err != nil {
			return nil, fmt.Errorf("the room's exercise: %w", err)
		}
		if spec.Exercise != "" && ex.Name != spec.Exercise {
			return nil, fmt.Errorf("the room's exercise is %q but its source names %q", spec.Exercise, ex.Name)
		}
		spec.Exercise = ex.Name
		if err := ex.resolveSpec(&spec); err != nil {
			return nil, err
		}
		r.ex = ex
	}
	if spec.Scenario == "" {
		spec.File, spec.Scenario = "lab.scn", lab.DefaultScenario
	}
	if spec.File == "" {
		spec.File = "room.scn"
	}
	bugs, err := lab.ParseBugs(spec.Bugs)
	if err != nil {
		return nil, fmt.Errorf("the room's bug toggles: %w", err)
	}
	s, err := lab.Open(spec.File, []byte(spec.Scenario), lab.Options{Seed: spec.Seed, SeedSet: true, Bugs: bugs})
	if err != nil {
		return nil, fmt.Errorf("the room's scenario: %w", err)
	}
	if spec.Title == "" {
		spec.Title = s.Scenario().Name
		if r.ex != nil {
			spec.Title = r.ex.Title
		}
	}
	s.SetCheckpointsMax(CheckpointsMax)
	r.spec, r.s = spec, s
	r.seats = []*seat{{row: SeatRow{Seat: Teacher, Name: "teacher", Role: Role{Role: "teacher"}}}}
	r.byToken = map[string]SeatID{}
	r.clock = Clock{SpeedPpm: DefaultSpeedPpm}
	r.cls, r.watching = cm.New(id), -1
	if r.ex != nil {
		if err := r.ex.checkWorld(s); err != nil {
			return nil, err
		}
		r.track = newTracker(r.ex, s)
	}
	r.remember(0, r.Hash())
	return r, nil
}

// New opens a room: it validates the spec (the scenario parses, the bug
// toggles are known, the exercise parses) and opens the native run. The
// Output stores the room and an "open" audit entry.
func New(id, code string, spec Spec, nowMs int64) (*Room, Output, error) {
	r, err := open(id, code, spec)
	if err != nil {
		return nil, Output{}, err
	}
	r.created = nowMs
	r.clock.Ms = nowMs
	var o Output
	o.Records = append(o.Records, r.roomRecord())
	r.audit(&o, nowMs, "teacher", "open", fmt.Sprintf("scenario %s, seed %d, bugs %v, exercise %q",
		r.spec.File, r.spec.Seed, r.spec.Bugs, r.spec.Exercise))
	return r, o, nil
}

// DivergenceError says that a restored room's state differs from the one
// stored with it.
type DivergenceError struct {
	At        int64
	Want, Got string
}

func (e *DivergenceError) Error() string {
	return fmt.Sprintf("the restored room's state at %dus has hash %s, the stored one %s", e.At, e.Got, e.Want)
}

// Restore rebuilds a room from what the store kept: its row, its seats
// (for their token hashes) and its inputs in order, then checks the stored
// progress: a different hash there returns the room and a
// *DivergenceError. The clock resumes at the restored time.
func Restore(row Record, seats []SeatRow, inputs []Input, progress Record, nowMs int64) (*Room, error) {
	r, err := open(row.Room, row.Code, row.Spec)
	if err != nil {
		return nil, err
	}
	r.created = row.Created
	tokens := map[SeatID]string{}
	for _, s := range seats {
		tokens[s.Seat] = s.TokenHash
	}
	var div error
	check := func() {
		if progress.Kind != RecordProgress || div != nil {
			return
		}
		r.goTo(progress.At)
		if got := r.Hash(); got != progress.Hash {
			div = &DivergenceError{At: progress.At, Want: progress.Hash, Got: got}
		}
	}
	for i, in := range inputs {
		if in.N != uint64(i)+1 {
			return nil, fmt.Errorf("room %s: input %d is numbered %d", row.Room, i+1, in.N)
		}
		if progress.Clock.N == in.N-1 {
			check() // the progress was stored before this input
		}
		var b inputBody
		if err := json.Unmarshal(in.Body, &b); err != nil {
			return nil, fmt.Errorf("room %s: input %d: %w", row.Room, in.N, err)
		}
		if b.K == "join" {
			b.tokenHash = tokens[b.Seat]
		}
		if err := r.apply(&b); err != nil {
			return nil, fmt.Errorf("room %s: input %d (%s): %w", row.Room, in.N, b.K, err)
		}
		r.n = in.N
	}
	if progress.Clock.N >= r.n {
		check()
	}
	if row.Closed != 0 {
		r.closed = row.Closed
	}
	// Resume where the class was: the stored time if it is on this branch
	// and later than the last input, paused or playing as the clock was.
	at := r.s.Now()
	if progress.Kind == RecordProgress && progress.Clock.N == r.n && progress.At > at {
		at = progress.At
	}
	if len(inputs) > 0 || progress.Kind == RecordProgress {
		r.goTo(at)
	}
	r.clock.At, r.clock.Ms = r.s.Now(), nowMs
	return r, div
}

// ID is the room's id.
func (r *Room) ID() string { return r.id }

// Code is the room's join code.
func (r *Room) Code() string { return r.code }

// Spec is what the room was opened with (the scenario resolved).
func (r *Room) Spec() Spec { return r.spec }

// Closed reports a closed room.
func (r *Room) Closed() bool { return r.closed != 0 }

// Now is the room's virtual time: where its native run is.
func (r *Room) Now() int64 { return r.s.Now() }

// Hash is the native run's state hash now, 16 hex digits.
func (r *Room) Hash() string { return hexHash(r.s.StateHash()) }

// Events counts the simulation events of the native run so far.
func (r *Room) Events() uint64 { return r.s.World().Recorder().Count() }

// Session is the room's native run (read only: drive it through the room).
func (r *Room) Session() *lab.Session { return r.s }

// Exercise is the room's exercise, nil in free play.
func (r *Room) Exercise() *Exercise { return r.ex }

// SeatByToken finds a student's seat by its token's hash.
func (r *Room) SeatByToken(tokenHash string) (SeatID, bool) {
	id, ok := r.byToken[tokenHash]
	return id, ok
}

// Seats lists the students' seats in order.
func (r *Room) Seats() []SeatRow {
	out := make([]SeatRow, 0, len(r.seats)-1)
	for _, s := range r.seats[1:] {
		out = append(out, s.row)
	}
	return out
}

// Recording is the room's branch as trace header JSON: the scenario, seed,
// bugs and every action of the branch, until now. The single-user lab
// imports it.
func (r *Room) Recording() []byte {
	h := r.s.Branch()
	return h.AppendJSON(nil)
}

// Progress is the room's time, hash and clock now, for the store.
func (r *Room) Progress() Record {
	c := r.clockNow()
	c.N = r.n
	return Record{Kind: RecordProgress, Room: r.id, At: r.s.Now(), Hash: r.Hash(), Clock: c}
}

// clockNow is the clock as sent: anchored at the run's time now.
func (r *Room) clockNow() Clock {
	c := r.clock
	c.At = r.s.Now()
	return c
}

// SetViewers tells how many connections want view models. A new viewer
// gets a view at the next tick; then views follow the run, at most every
// ViewEveryMs, and none while nothing changes.
func (r *Room) SetViewers(n int) {
	if n > r.viewers {
		r.viewDirty = true
	}
	r.viewers = max(n, 0)
}

func (r *Room) roomRecord() Record {
	return Record{Kind: RecordRoom, Room: r.id, Code: r.code, Spec: r.spec, Created: r.created, Closed: r.closed}
}

func (r *Room) seatRecord(s *seat) Record {
	return Record{Kind: RecordSeat, Room: r.id, Seat: s.row}
}

func (r *Room) audit(o *Output, nowMs int64, actor, kind, detail string) {
	if len(detail) > auditDetailMax {
		cut := auditDetailMax
		for cut > 0 && !utf8.RuneStart(detail[cut]) {
			cut--
		}
		detail = detail[:cut] + "…"
	}
	o.Records = append(o.Records, Record{Kind: RecordAudit, Room: r.id,
		Audit: Audit{AtMs: nowMs, Actor: actor, Kind: kind, Detail: detail}})
}

// actor names a seat in the audit log.
func (r *Room) actor(id SeatID) string {
	if id == Teacher {
		return "teacher"
	}
	if s := r.seat(id); s != nil {
		return fmt.Sprintf("seat %d (%s)", id, s.row.Name)
	}
	return fmt.Sprintf("seat %d", id)
}

func (r *Room) seat(id SeatID) *seat {
	if id < 0 || int(id) >= len(r.seats) {
		return nil
	}
	return r.seats[id]
}

// auditDetailMax bounds an audit entry's detail (a refusal may quote a
// hostile frame).
const auditDetailMax = 300

// ErrClosed is returned for a join to a closed room.
var ErrClosed = errors.New("the room is closed")

// Join gives a new student a seat: the exercise may assign its role. It
// refuses a closed room, a bad name, a token that has a seat, and a full
// room.
func (r *Room) Join(tokenHash, name string, nowMs int64) (SeatID, Output, error) {
	switch {
	case r.Closed():
		return 0, Output{}, ErrClosed
	case tokenHash == "":
		return 0, Output{}, errors.New("a seat needs a token")
	case len(r.seats)-1 >= SeatsMax:
		return 0, Output{}, fmt.Errorf("the room is full: %d seats", SeatsMax)
	case r.n >= InputsMax:
		return 0, Output{}, fmt.Errorf("the room has %d inputs, the most it keeps", InputsMax)
	}
	if err := CheckName(name); err != nil {
		return 0, Output{}, err
	}
	if id, ok := r.byToken[tokenHash]; ok {
		return 0, Output{}, fmt.Errorf("this token has seat %d already", id)
	}
	b := inputBody{K: "join", Seat: SeatID(len(r.seats)), Name: name, Ms: nowMs, tokenHash: tokenHash}
	var o Output
	if err := r.commit(&o, &b); err != nil {
		return 0, Output{}, err
	}
	s := r.seats[b.Seat]
	o.Records = append(o.Records, r.seatRecord(s))
	r.audit(&o, nowMs, r.actor(b.Seat), "join", "role "+roleText(s.row.Role))
	r.seatsDirty = true
	return b.Seat, o, nil
}

// Rename changes a student's display name (a rejoin under another name).
func (r *Room) Rename(id SeatID, name string, nowMs int64) (Output, error) {
	s := r.seat(id)
	switch {
	case s == nil || id == Teacher:
		return Output{}, fmt.Errorf("no student seat %d", id)
	case r.Closed():
		return Output{}, ErrClosed
	}
	if err := CheckName(name); err != nil {
		return Output{}, err
	}
	if s.row.Name == name {
		return Output{}, nil
	}
	var o Output
	if err := r.commit(&o, &inputBody{K: "name", Seat: id, Name: name, Ms: nowMs}); err != nil {
		return Output{}, err
	}
	o.Records = append(o.Records, r.seatRecord(s))
	r.seatsDirty = true
	return o, nil
}

// Connect counts a connection of a seat and sends it a sync (with its
// token, which only this first sync carries, when token is not empty).
func (r *Room) Connect(id SeatID, mode, token string, nowMs int64) Output {
	var o Output
	s := r.seat(id)
	if s == nil {
		return o
	}
	s.conns++
	o.Sends = append(o.Sends, Send{To: id, Frame: r.syncFrame(id, token)})
	r.sendClass(&o, id)
	if id == Teacher && (len(r.cls.Lessons()) > 0 || r.cls.Hunt() != nil) {
		o.Sends = append(o.Sends, Send{To: Teacher, Frame: r.DashboardFrame(nowMs)})
		if r.cls.Hunt() != nil {
			o.Sends = append(o.Sends, Send{To: Teacher, Frame: r.huntFrame(true)})
		}
	}
	r.seatsDirty = true
	r.flushSeats(&o, nowMs, false)
	return o
}

// Watch is the sync frame for a projector: the room with no seat.
func (r *Room) Watch(mode string) []byte { return r.syncFrame(-1, "") }

// Sync is a fresh sync for a seat's connection (after a resync or a send
// queue that overflowed).
func (r *Room) Sync(id SeatID) []byte { return r.syncFrame(id, "") }

// Disconnect counts a seat's connection gone.
func (r *Room) Disconnect(id SeatID, nowMs int64) Output {
	var o Output
	if s := r.seat(id); s != nil && s.conns > 0 {
		s.conns--
		r.seatsDirty = true
		r.flushSeats(&o, nowMs, false)
	}
	return o
}

// Close closes the room: it keeps its recording, refuses frames and joins,
// and every connection is closed after the "closed" frame.
func (r *Room) Close(nowMs int64, actor string) Output {
	var o Output
	if r.Closed() {
		return o
	}
	// A close input cannot fail: commit lets it past the input cap, and
	// applying it only marks the room.
	_ = r.commit(&o, &inputBody{K: "close", Ms: nowMs})
	o.Records = append(o.Records, r.roomRecord(), r.Progress())
	r.audit(&o, nowMs, actor, "close", fmt.Sprintf("at %dus, hash %s, %d inputs", r.s.Now(), r.Hash(), r.n))
	if len(r.cls.LessonNames()) > 0 || r.cls.Hunt() != nil {
		// Each student's results, hidden checks shown now, before the
		// connections close.
		for _, st := range r.seats[1:] {
			o.Sends = append(o.Sends, Send{To: st.row.Seat, Frame: r.resultsFrame(st.row.Seat)})
		}
	}
	o.Sends = append(o.Sends, Send{To: Everyone, Frame: []byte(`{"t":"closed"}`)})
	o.Close = append(o.Close, Everyone)
	return o
}

// commit applies an input and appends its record to o.
func (r *Room) commit(o *Output, b *inputBody) error {
	if r.n >= InputsMax && b.K != "close" {
		return fmt.Errorf("the room has %d inputs, the most it keeps", InputsMax)
	}
	if err := r.apply(b); err != nil {
		return err
	}
	r.n++
	body, _ := json.Marshal(b) // cannot fail: strings and integers
	o.Records = append(o.Records, Record{Kind: RecordInput, Room: r.id, Input: Input{N: r.n, Body: body}})
	return nil
}

// remember keeps a hash the browsers may report.
func (r *Room) remember(at int64, hash string) {
	if len(r.hashes) >= HashesKept {
		copy(r.hashes, r.hashes[len(r.hashes)-HashesKept+1:])
		r.hashes = r.hashes[:HashesKept-1]
	}
	r.hashes = append(r.hashes, hashAt{at, hash})
}

// forgetAfter drops the hashes of times after t: the branch changed there.
func (r *Room) forgetAfter(t int64) {
	k := 0
	for _, h := range r.hashes {
		if h.at <= t {
			r.hashes[k] = h
			k++
		}
	}
	r.hashes = r.hashes[:k]
	k = 0
	for _, g := range r.grid {
		if g.at <= t {
			r.grid[k] = g
			k++
		}
	}
	r.grid = r.grid[:k]
	for _, st := range r.seats {
		k := 0
		for _, h := range st.ahead {
			if h.at <= t {
				st.ahead[k] = h
				k++
			}
		}
		st.ahead = st.ahead[:k]
	}
}
