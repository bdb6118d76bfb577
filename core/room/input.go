package room

import (
	"fmt"
)

// inputBody is one of the room's inputs as it stores them (Input.Body, JSON).
// K says which: join, name, role, act, clock or close. Each carries the
// virtual time it took effect at, so that a replay needs no wall clock.
type inputBody struct {
	K        string `json:"k"`
	Seat     SeatID `json:"seat"` // the seat that sent it (join, name: the seat itself)
	Seq      int64  `json:"seq,omitempty"`
	Target   SeatID `json:"target,omitempty"` // role: the seat given the role
	Name     string `json:"name,omitempty"`
	Role     *Role  `json:"role,omitempty"`
	At       int64  `json:"at"`
	Text     string `json:"text,omitempty"`
	Op       string `json:"op,omitempty"`
	SpeedPpm int64  `json:"speedPpm,omitempty"`
	Ms       int64  `json:"ms"` // wall ms, for the clock's anchor and the log
	// The class inputs' fields (lesson, progress, ask, hold, answer, vote,
	// hint, hunt, submit: classframe.go).
	classBody

	tokenHash string // join: from the seats table, never in the body
}

// apply carries out an input. Live inputs and a restore go through it, so
// that a restored room is the room.
func (r *Room) apply(b *inputBody) error {
	if b.Seq > 0 {
		if s := r.seat(b.Seat); s != nil {
			s.lastSeq = max(s.lastSeq, b.Seq)
		}
	}
	switch b.K {
	case "join":
		if int(b.Seat) != len(r.seats) {
			return fmt.Errorf("join of seat %d, the next seat is %d", b.Seat, len(r.seats))
		}
		s := &seat{row: SeatRow{Seat: b.Seat, TokenHash: b.tokenHash, Name: b.Name, Role: r.assign(b.Seat), Created: b.Ms}}
		r.seats = append(r.seats, s)
		if b.tokenHash != "" {
			r.byToken[b.tokenHash] = b.Seat
		}
	case "name":
		s := r.seat(b.Seat)
		if s == nil || b.Seat == Teacher {
			return fmt.Errorf("no student seat %d", b.Seat)
		}
		s.row.Name = b.Name
	case "role":
		s := r.seat(b.Target)
		if s == nil || b.Target == Teacher || b.Role == nil {
			return fmt.Errorf("no student seat %d", b.Target)
		}
		s.row.Role = *b.Role
	case "act":
		r.goTo(b.At)
		if r.s.Now() != b.At {
			return fmt.Errorf("act at %dus: the run reaches only %dus", b.At, r.s.Now())
		}
		if err := r.s.Act(b.Text); err != nil {
			return err
		}
		r.branchChanged(b.At)
		h := r.Hash()
		r.actHash = h
		r.remember(b.At, h)
		// A grid point's hash is the state there with every act of that
		// microsecond done, as a browser that goes to it computes it.
		for i := range r.grid {
			if r.grid[i].at == b.At {
				r.grid[i].hash = h
			}
		}
	case "clock":
		return r.applyClock(b)
	case "close":
		r.closed = max(b.Ms, 1)
		r.cls.SetClosed()
	case "lesson", "progress", "ask", "hold", "answer", "vote", "hint", "hunt", "submit":
		return r.applyClass(b)
	default:
		return fmt.Errorf("unknown input %q", b.K)
	}
	return nil
}

// applyClock carries out a clock input at its virtual time.
func (r *Room) applyClock(b *inputBody) error {
	switch b.Op {
	case "play", "pause", "speed":
		r.goTo(b.At)
		r.clock.Playing = b.Op == "play" || (b.Op == "speed" && r.clock.Playing)
		if b.Op == "speed" {
			r.clock.SpeedPpm = b.SpeedPpm
		}
	case "goto":
		r.goTo(b.At)
	case "fork":
		r.goTo(b.At)
		r.s.Fork()
		r.branchChanged(b.At)
		r.clock.Playing = false
	case "reset":
		r.s.Rewind(0, 0)
		r.branchChanged(0)
		r.hashes = r.hashes[:0]
		r.remember(0, r.Hash())
		r.clock.Playing = false
		if r.track != nil {
			r.track.reset(r.s)
		}
	default:
		return fmt.Errorf("unknown clock op %q", b.Op)
	}
	r.clock.At, r.clock.Ms = r.s.Now(), b.Ms
	return nil
}

// advance runs the native run forward to t (never back), stopping on every
// grid point to keep its hash, and on every exercise sample.
func (r *Room) advance(t int64) {
	t = min(t, r.s.End())
	for r.s.Now() < t {
		if r.s.World().Stopped() {
			// A violation stopped the run, or nothing is left to happen:
			// going on would only re-run the last stretch (lab.GoTo goes
			// back to a checkpoint when the world has stopped).
			return
		}
		now := r.s.Now()
		next := (now/GridMicros + 1) * GridMicros
		if r.track != nil {
			next = min(next, (now/SampleMicros+1)*SampleMicros)
		}
		stop := min(next, t)
		r.s.GoTo(stop)
		if r.s.Now() != stop {
			return // a violation stopped the run, or nothing is left to happen
		}
		if r.track != nil && stop%SampleMicros == 0 {
			r.track.sample(r.s)
		}
		if stop%GridMicros == 0 {
			h := r.Hash()
			r.remember(stop, h)
			r.grid = append(r.grid, hashAt{stop, h})
			if len(r.grid) > HashesKept {
				r.grid = r.grid[len(r.grid)-HashesKept:]
			}
			if r.track != nil {
				r.track.mark(stop)
			}
		}
	}
}

// goTo moves the native run to t on its branch: back from a checkpoint, or
// forward as advance does.
func (r *Room) goTo(t int64) {
	t = min(max(t, 0), r.s.End())
	if t >= r.s.Now() {
		r.advance(t)
		return
	}
	r.s.GoTo(t)
	r.grid = r.grid[:0]
	r.trackTo(t)
}

// trackTo brings the exercise's tracker to the run's time after a jump
// back: from the last mark at or before t, sampled forward again.
func (r *Room) trackTo(t int64) {
	if r.track == nil || r.track.cur.at == t {
		return
	}
	from := r.track.restore(t)
	if from == t {
		return
	}
	r.s.GoTo(from)
	for p := (from/SampleMicros + 1) * SampleMicros; p <= t && !r.s.World().Stopped(); p += SampleMicros {
		r.s.GoTo(p)
		if r.s.Now() != p {
			break
		}
		r.track.sample(r.s)
		if p%GridMicros == 0 {
			r.track.mark(p)
		}
	}
	r.s.GoTo(t)
}

// branchChanged forgets what was computed after t on the old branch.
func (r *Room) branchChanged(t int64) {
	r.forgetAfter(t)
	if r.track != nil {
		r.track.truncate(t)
	}
}
