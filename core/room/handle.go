package room

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// The server's frames, each marshalled by encoding/json in field order.

type syncRoom struct {
	ID       string          `json:"id"`
	Code     string          `json:"code"`
	Title    string          `json:"title"`
	Exercise json.RawMessage `json:"exercise"`
	Closed   bool            `json:"closed"`
}

type syncFrame struct {
	T          string          `json:"t"`
	Seat       SeatID          `json:"seat"`
	Token      string          `json:"token,omitempty"`
	Name       string          `json:"name,omitempty"`
	As         string          `json:"as"`
	Role       *Role           `json:"role,omitempty"`
	Room       syncRoom        `json:"room"`
	Recording  json.RawMessage `json:"recording"`
	At         int64           `json:"at"`
	Hash       string          `json:"hash"`
	Clock      Clock           `json:"clock"`
	GridMicros int64           `json:"gridMicros"`
	LeadMicros int64           `json:"leadMicros"`
	LastSeq    int64           `json:"lastSeq"`
	Seats      []seatView      `json:"seats"`
	N          uint64          `json:"n"`
	// Class is the seat's class frame (as sent alone on change), when the
	// room teaches lessons or runs a hunt.
	Class *classView `json:"class,omitempty"`
}

type seatView struct {
	Seat     SeatID `json:"seat"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Server   string `json:"server,omitempty"`
	Online   bool   `json:"online"`
	Diverged bool   `json:"diverged"`
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("room: a frame does not marshal: %v", err)) // plain values: cannot happen
	}
	return b
}

func (r *Room) seatViews() []seatView {
	out := make([]seatView, 0, len(r.seats)-1)
	for _, s := range r.seats[1:] {
		out = append(out, seatView{Seat: s.row.Seat, Name: s.row.Name, Role: s.row.Role.Role, Server: s.row.Role.Server,
			Online: s.conns > 0, Diverged: s.diverged})
	}
	return out
}

// syncFrame is everything a browser needs to join the run: the branch as a
// recording, the time and hash, the clock, the seats. id -1 is a projector.
func (r *Room) syncFrame(id SeatID, token string) []byte {
	f := syncFrame{T: "sync", Seat: id, Token: token, As: "projector",
		Room:      syncRoom{ID: r.id, Code: r.code, Title: r.spec.Title, Exercise: r.exerciseInfo(), Closed: r.Closed()},
		Recording: r.Recording(), At: r.s.Now(), Hash: r.Hash(), Clock: r.clockNow(), GridMicros: GridMicros,
		LeadMicros: LeadMicros, Seats: r.seatViews(), N: r.n}
	if f.Room.Exercise == nil {
		f.Room.Exercise = json.RawMessage("null")
	}
	if id >= 0 {
		f.Class = r.classView(id)
	}
	if s := r.seat(id); s != nil {
		f.Name, f.LastSeq = s.row.Name, s.lastSeq
		f.As = "student"
		if id == Teacher {
			f.As = "teacher"
		} else {
			role := s.row.Role
			f.Role = &role
		}
	}
	return marshal(f)
}

func refusedFrame(seq int64, reason string) []byte {
	return marshal(struct {
		T      string `json:"t"`
		Seq    int64  `json:"seq"`
		Reason string `json:"reason"`
	}{"refused", seq, reason})
}

// refuse answers a frame the room will not take: a refused frame to the
// seat, an audit entry and a reason code for the metrics.
func (r *Room) refuse(o *Output, id SeatID, seq int64, code, reason string, nowMs int64) {
	o.Sends = append(o.Sends, Send{To: id, Frame: refusedFrame(seq, reason)})
	o.Refused = append(o.Refused, code)
	r.audit(o, nowMs, r.actor(id), "refused", code+": "+reason)
}

func ackFrame(seq int64, n uint64) []byte {
	return []byte(`{"t":"ack","seq":` + strconv.FormatInt(seq, 10) + `,"n":` + strconv.FormatUint(n, 10) + `}`)
}

// Frame takes one client frame from a seat, after its hello.
func (r *Room) Frame(id SeatID, data []byte, nowMs int64) Output {
	var o Output
	s := r.seat(id)
	if s == nil {
		o.Sends = append(o.Sends, Send{To: id, Frame: marshal(map[string]string{"t": "error", "reason": "no such seat"})})
		o.Close = append(o.Close, id)
		return o
	}
	f, err := DecodeFrame(data)
	if err != nil {
		r.refuse(&o, id, 0, "decode", err.Error(), nowMs)
		return o
	}
	switch f.T {
	case "hash":
		r.checkHash(&o, id, f.At, f.Hash, nowMs)
		return o
	case "resync":
		if s.diverged {
			s.diverged = false
			r.seatsDirty = true
		}
		o.Sends = append(o.Sends, Send{To: id, Frame: r.syncFrame(id, "")})
		return o
	}
	if f.Seq <= s.lastSeq {
		o.Sends = append(o.Sends, Send{To: id, Frame: []byte(`{"t":"dup","seq":` + strconv.FormatInt(f.Seq, 10) + `}`)})
		o.Refused = append(o.Refused, "seq")
		return o
	}
	s.lastSeq = f.Seq
	if r.Closed() {
		r.refuse(&o, id, f.Seq, "closed", "the room is closed", nowMs)
		return o
	}
	if _, ok := classFrames[f.T]; ok {
		r.classFrame(&o, id, &f, nowMs)
		return o
	}
	if f.T != "act" && id != Teacher {
		r.refuse(&o, id, f.Seq, "role", fmt.Sprintf("only the teacher can %s", map[string]string{
			"clock": "control the room's clock", "role": "assign roles", "close": "close the room"}[f.T]), nowMs)
		return o
	}
	switch f.T {
	case "act":
		r.act(&o, id, &f, nowMs)
	case "clock":
		r.clockOp(&o, &f, nowMs)
	case "role":
		r.setRole(&o, &f, nowMs)
	case "close":
		c := r.Close(nowMs, "teacher")
		o.Records = append(o.Records, c.Records...)
		o.Sends = append(o.Sends, Send{To: id, Frame: ackFrame(f.Seq, r.n)})
		o.Sends = append(o.Sends, c.Sends...)
		o.Close = append(o.Close, c.Close...)
	}
	return o
}

// act takes a seat's action at the room's time now.
func (r *Room) act(o *Output, id SeatID, f *Frame, nowMs int64) {
	s := r.seats[id]
	a, bad := r.parseAction(f.Text)
	if bad != "" {
		r.refuse(o, id, f.Seq, "action", bad, nowMs)
		return
	}
	if why := r.allowed(s.row.Role, f.Text, a); why != "" {
		r.refuse(o, id, f.Seq, "role", why, nowMs)
		return
	}
	r.runClock(nowMs)
	if r.s.World().Violation() != nil {
		r.refuse(o, id, f.Seq, "stopped", "the run stopped at a violation: the teacher can go back in time", nowMs)
		return
	}
	b := inputBody{K: "act", Seat: id, Seq: f.Seq, At: r.s.Now(), Text: f.Text, Ms: nowMs}
	if err := r.commit(o, &b); err != nil {
		r.refuse(o, id, f.Seq, "action", err.Error(), nowMs)
		return
	}
	hash := r.actHash
	o.Sends = append(o.Sends, Send{To: id, Frame: ackFrame(f.Seq, r.n)})
	o.Sends = append(o.Sends, Send{To: Everyone, Frame: marshal(struct {
		T    string `json:"t"`
		N    uint64 `json:"n"`
		Seat SeatID `json:"seat"`
		Name string `json:"name"`
		At   int64  `json:"at"`
		Text string `json:"text"`
		Hash string `json:"hash"`
	}{"input", r.n, id, s.row.Name, b.At, f.Text, hash})})
	if id == Teacher {
		r.audit(o, nowMs, "teacher", "act", fmt.Sprintf("at %dus: %s", b.At, f.Text))
	}
	// At once if a goal changed; the scoreboard alone waits its turn, so
	// that a class acting together does not double every act's fan-out.
	r.maybeExercise(o, nowMs, false)
}

// clockOp takes the teacher's clock frame.
func (r *Room) clockOp(o *Output, f *Frame, nowMs int64) {
	r.runClock(nowMs)
	b := inputBody{K: "clock", Seat: Teacher, Seq: f.Seq, Op: f.Op, At: r.s.Now(), Ms: nowMs}
	switch f.Op {
	case "speed":
		b.SpeedPpm = f.SpeedPpm
	case "goto":
		if reach := max(r.s.Reached(), r.s.Now()); f.At > reach {
			r.refuse(o, Teacher, f.Seq, "action", fmt.Sprintf("the room has run to %s; goto goes back (play runs forward)",
				msText(reach)), nowMs)
			return
		}
		b.At = f.At
	case "reset":
		b.At = 0
	}
	if err := r.commit(o, &b); err != nil {
		r.refuse(o, Teacher, f.Seq, "action", err.Error(), nowMs)
		return
	}
	o.Sends = append(o.Sends, Send{To: Teacher, Frame: ackFrame(f.Seq, r.n)})
	o.Sends = append(o.Sends, Send{To: Everyone, Frame: marshal(struct {
		T        string `json:"t"`
		N        uint64 `json:"n"`
		Op       string `json:"op"`
		Playing  bool   `json:"playing"`
		SpeedPpm int64  `json:"speedPpm"`
		At       int64  `json:"at"`
		Hash     string `json:"hash"`
	}{"clock", r.n, f.Op, r.clock.Playing, r.clock.SpeedPpm, r.s.Now(), r.Hash()})})
	kind, detail := "clock", fmt.Sprintf("%s at %dus", f.Op, r.s.Now())
	switch f.Op {
	case "reset":
		kind = "reset"
	case "speed":
		detail = fmt.Sprintf("speed %d ppm at %dus", f.SpeedPpm, r.s.Now())
	}
	r.audit(o, nowMs, "teacher", kind, detail)
	o.Records = append(o.Records, r.Progress())
	r.maybeExercise(o, nowMs, true)
}

// setRole takes the teacher's role frame.
func (r *Room) setRole(o *Output, f *Frame, nowMs int64) {
	id := SeatID(f.Seat)
	s := r.seat(id)
	if s == nil || id == Teacher {
		r.refuse(o, Teacher, f.Seq, "action", fmt.Sprintf("no student in seat %d", f.Seat), nowMs)
		return
	}
	role := Role{Role: f.Role, Server: f.Server}
	if role.Role == "server" {
		if n, _ := strconv.Atoi(f.Server[1:]); n > r.s.Scenario().Config.Servers {
			r.refuse(o, Teacher, f.Seq, "action", fmt.Sprintf("no server %s in a cluster of %d", f.Server,
				r.s.Scenario().Config.Servers), nowMs)
			return
		}
	}
	if err := r.commit(o, &inputBody{K: "role", Seat: Teacher, Target: id, Seq: f.Seq, Role: &role, At: r.s.Now(), Ms: nowMs}); err != nil {
		r.refuse(o, Teacher, f.Seq, "action", err.Error(), nowMs)
		return
	}
	o.Records = append(o.Records, r.seatRecord(s))
	r.audit(o, nowMs, "teacher", "role", fmt.Sprintf("seat %d (%s) is %s", id, s.row.Name, roleText(role)))
	o.Sends = append(o.Sends, Send{To: Teacher, Frame: ackFrame(f.Seq, r.n)})
	r.seatsDirty = true
	r.flushSeats(o, nowMs, true)
}

// checkHash compares a browser's hash with the room's own at that time.
// A hash the room no longer keeps (or never computed) tells nothing.
func (r *Room) checkHash(o *Output, id SeatID, at int64, hash string, nowMs int64) {
	if s := r.seats[id]; at > r.s.Now() {
		if len(s.ahead) >= AheadMax {
			s.ahead = s.ahead[1:]
		}
		s.ahead = append(s.ahead, hashAt{at, hash})
		return
	}
	want := ""
	for i := len(r.hashes) - 1; i >= 0; i-- {
		h := r.hashes[i]
		if h.at != at {
			continue
		}
		if h.hash == hash {
			return
		}
		want = h.hash
	}
	if want == "" {
		return
	}
	s := r.seats[id]
	o.Divergences++
	o.Sends = append(o.Sends, Send{To: id, Frame: marshal(struct {
		T    string `json:"t"`
		At   int64  `json:"at"`
		Want string `json:"want"`
		Got  string `json:"got"`
	}{"diverged", at, want, hash})})
	r.audit(o, nowMs, r.actor(id), "diverged", fmt.Sprintf("at %dus: want %s, got %s", at, want, hash))
	if !s.diverged {
		s.diverged = true
		r.seatsDirty = true
		r.flushSeats(o, nowMs, true)
	}
}

// checkAhead checks the hash reports that were ahead of the room and that
// it has now reached.
func (r *Room) checkAhead(o *Output, nowMs int64) {
	now := r.s.Now()
	for id, s := range r.seats {
		if len(s.ahead) == 0 || s.ahead[0].at > now {
			continue
		}
		var keep []hashAt
		for _, h := range s.ahead {
			if h.at > now {
				keep = append(keep, h)
				continue
			}
			r.checkHash(o, SeatID(id), h.at, h.hash, nowMs)
		}
		s.ahead = keep
	}
}

// flushSeats sends the seats that changed to everyone, at most once every
// SeatsEveryMs unless now says at once. A change to one seat sends that seat
// alone: in a room of 300, a student who drops out must not make the room
// send 300 whole lists (24 KB each). The whole list goes when most seats
// changed (a class joining at once).
func (r *Room) flushSeats(o *Output, nowMs int64, now bool) {
	if !r.seatsDirty || (!now && nowMs-r.lastSeatsMs < SeatsEveryMs) {
		return
	}
	r.seatsDirty, r.lastSeatsMs = false, nowMs
	views := r.seatViews()
	var changed []seatView
	for i, v := range views {
		if i >= len(r.sentSeats) || r.sentSeats[i] != v {
			changed = append(changed, v)
		}
	}
	r.sentSeats = views
	if len(changed) == 0 {
		return
	}
	if 4*len(changed) > len(views) {
		o.Sends = append(o.Sends, Send{To: Everyone, Frame: marshal(struct {
			T     string     `json:"t"`
			Seats []seatView `json:"seats"`
		}{"seats", views})})
		return
	}
	o.Sends = append(o.Sends, Send{To: Everyone, Frame: marshal(struct {
		T       string     `json:"t"`
		Changed []seatView `json:"changed"`
	}{"seats", changed})})
}

// maybeExercise sends the exercise's status when it changed: at once when
// a goal's state did (or urgent), else at most every ExerciseEveryMs.
func (r *Room) maybeExercise(o *Output, nowMs int64, urgent bool) {
	st := r.ExerciseStatus()
	if st == nil {
		return
	}
	goals := ""
	for _, g := range st.Goals {
		goals += g.State + ","
	}
	changed := goals != r.exGoals
	st.At = 0 // the time alone is no change
	body := marshal(st)
	if string(body) == string(r.exSent) || (!changed && !urgent && nowMs-r.lastExMs < ExerciseEveryMs) {
		return
	}
	r.exSent, r.exGoals, r.lastExMs = body, goals, nowMs
	st.At = r.s.Now()
	o.Sends = append(o.Sends, Send{To: Everyone, Frame: marshal(struct {
		T      string          `json:"t"`
		Status *ExerciseStatus `json:"status"`
	}{"exercise", st})})
}

// runClock runs the native run to the clock's time now.
func (r *Room) runClock(nowMs int64) {
	if r.Closed() || !r.clock.Playing {
		return
	}
	r.advance(r.clockTarget(nowMs))
}

// clockTarget is where the clock says the run should be: the anchor plus
// the wall time since, at the clock's speed, capped by the scenario's end.
func (r *Room) clockTarget(nowMs int64) int64 {
	c := r.clock
	if !c.Playing {
		return c.At
	}
	dt := max(nowMs-c.Ms, 0)
	// dt*speed stays far from overflow: a year of ms times 10x in ppm is
	// about 3e17.
	return min(c.At+dt*c.SpeedPpm/1000, r.s.End())
}

// Tick runs the room's clock: the native run goes to the clock's time,
// and the browsers hear the time and the grid hashes passed (at most
// every NowEveryMs), the viewers get views, everyone the seats list and
// the exercise when they changed.
func (r *Room) Tick(nowMs int64) Output {
	var o Output
	if r.Closed() {
		return o
	}
	r.runClock(nowMs)
	r.checkAhead(&o, nowMs)
	if (r.s.Now() != r.lastNowAt || len(r.grid) > 0) && nowMs-r.lastNowMs >= NowEveryMs {
		r.lastNowMs, r.lastNowAt = nowMs, r.s.Now()
		grid := make([][2]any, len(r.grid))
		for i, g := range r.grid {
			grid[i] = [2]any{g.at, g.hash}
		}
		r.grid = r.grid[:0]
		o.Sends = append(o.Sends, Send{To: Everyone, Frame: marshal(struct {
			T    string   `json:"t"`
			At   int64    `json:"at"`
			Grid [][2]any `json:"grid"`
		}{"now", r.s.Now(), grid})})
		o.Records = append(o.Records, r.Progress())
	}
	changed := r.viewDirty || r.s.Now() != r.viewAt || r.n != r.viewN
	if r.viewers > 0 && changed && nowMs-r.lastViewMs >= ViewEveryMs {
		r.lastViewMs, r.viewDirty, r.viewAt, r.viewN = nowMs, false, r.s.Now(), r.n
		v := r.s.View()
		b := append([]byte(`{"t":"view","view":`), nil...)
		b = v.AppendJSON(b)
		o.Sends = append(o.Sends, Send{To: Viewers, Frame: append(b, '}')})
	}
	r.flushSeats(&o, nowMs, false)
	r.maybeExercise(&o, nowMs, false)
	r.maybeDashboard(&o, nowMs, false)
	return o
}
