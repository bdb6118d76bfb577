package class

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"smrlab/core/lab"
	"smrlab/core/modelcheck"
	"smrlab/core/raft"
	"smrlab/core/trace"
)

// RecordingBytesMax bounds a submitted recording.
const RecordingBytesMax = 60 << 10

// Hunt is a bug hunt: the room's scenario with a bug toggle the students
// are not told; they submit recordings that break an invariant.
type Hunt struct {
	Bug      string
	Scenario string // the scenario's file name
	Source   string // its text
	StartMs  int64
	EndMs    int64 // 0 while running
	Par      int   // the model checker's shortest counterexample (0: none known)
	// Recording is where the students start: the scenario with the bug
	// switched on, no action (trace header JSON). The page imports it and
	// never shows the bug, but the bytes of its worker's session carry it.
	Recording []byte
	Subs      []*Submission
}

// Running reports a hunt not ended.
func (h *Hunt) Running() bool { return h.EndMs == 0 }

// Submission is a valid find: a recording that breaks an invariant when the
// server replays it with the room's bug.
type Submission struct {
	Seat      int
	Ms        int64 // from the hunt's start to the submission
	Length    int   // the recording's actions (manual steps)
	Guess     string
	Invariant string
	SHA256    string // of the recording as submitted
	StateHash string // the replay's, at the violation
}

// ParFor is the model checker's shortest counterexample for a bug toggle
// (modelcheck.Reaches), or 0 when it does not reach it.
func ParFor(bug string) int {
	b, err := raft.ParseBug(bug)
	if err != nil {
		return 0
	}
	for _, r := range modelcheck.Reaches {
		if r.Bug == b {
			return r.Steps
		}
	}
	return 0
}

// Hunt is the hunt running or last ended, or nil.
func (c *Class) Hunt() *Hunt { return c.hunt }

// StartHunt starts a bug hunt on a scenario with bug switched on.
func (c *Class) StartHunt(bug, scenario, source string, nowMs int64) error {
	if c.hunt != nil && c.hunt.Running() {
		return refusal("state", "a hunt is running: end it first")
	}
	if _, err := raft.ParseBug(bug); err != nil {
		return refusal("state", "%v", err)
	}
	bugs, err := lab.ParseBugs([]string{bug})
	if err != nil {
		return refusal("state", "%v", err)
	}
	s, err := lab.Open(scenario, []byte(source), lab.Options{Bugs: bugs})
	if err != nil {
		return refusal("state", "the hunt's scenario: %v", err)
	}
	h := s.Recording()
	c.hunt = &Hunt{Bug: bug, Scenario: scenario, Source: source, StartMs: nowMs, Par: ParFor(bug),
		Recording: h.AppendJSON(nil)}
	c.hunts = append(c.hunts, c.hunt)
	return nil
}

// EndHunt ends the running hunt: its bug and par are revealed.
func (c *Class) EndHunt(nowMs int64) error {
	if c.hunt == nil || !c.hunt.Running() {
		return refusal("state", "no hunt is running")
	}
	c.hunt.EndMs = max(nowMs, c.hunt.StartMs+1)
	return nil
}

// Judge replays a recording with the hunt's bug on its scenario: the
// submission if an invariant breaks, else a refusal with what the replay
// found. It changes nothing (Submit keeps it).
func (h *Hunt) Judge(seat int, recording []byte, guess string, nowMs int64) (*Submission, error) {
	if len(recording) > RecordingBytesMax {
		return nil, refusal("limit", "a recording of %d bytes, over the limit of %d", len(recording), RecordingBytesMax)
	}
	hd, err := trace.ParseHeaderJSON(recording)
	if err != nil {
		return nil, refusal("forged", "forged submission: not a recording: %v", err)
	}
	if err := lab.CheckHeader(&hd); err != nil {
		return nil, refusal("forged", "forged submission: %v", err)
	}
	if hd.Scenario != h.Source {
		return nil, refusal("forged", "forged submission: the recording runs scenario %q, not the hunt's %s", hd.ScenarioName, h.Scenario)
	}
	hd.ScenarioName = h.Scenario
	hd.Bugs = []string{h.Bug} // whatever the recording claims: the room's bug
	s, err := lab.OpenRecording(&hd)
	if err != nil {
		return nil, refusal("forged", "forged submission: the recording does not replay: %v", err)
	}
	v := s.World().Violation()
	if v == nil {
		return nil, refusal("forged", "forged submission: the replay with the room's bug breaks no invariant (at %dus, %d actions)",
			s.Now(), len(hd.Actions))
	}
	sum := sha256.Sum256(recording)
	return &Submission{Seat: seat, Ms: max(nowMs-h.StartMs, 0), Length: len(hd.Actions), Guess: guess,
		Invariant: v.Invariant, SHA256: hex.EncodeToString(sum[:]), StateHash: fmt.Sprintf("%016x", s.StateHash())}, nil
}

// Submit judges a submission to the running hunt and keeps it if valid.
func (c *Class) Submit(seat int, recording []byte, guess string, nowMs int64) (*Submission, error) {
	h := c.hunt
	if h == nil || !h.Running() {
		return nil, refusal("state", "no hunt is running")
	}
	if guess != "" {
		if _, err := raft.ParseBug(guess); err != nil {
			return nil, refusal("state", "guess: %v", err)
		}
	}
	sub, err := h.Judge(seat, recording, guess, nowMs)
	if err != nil {
		return nil, err
	}
	h.Subs = append(h.Subs, sub)
	return sub, nil
}

// Entry is one seat's place in a hunt's ranking: its first valid find's
// time, its shortest valid counterexample, its last guess.
type Entry struct {
	Seat   int
	Ms     int64
	Length int
	Guess  string
	Sub    *Submission // the shortest
}

// Ranking ranks the seats with a valid find: by time to the first, then by
// the shortest counterexample's length, then by seat.
func (h *Hunt) Ranking() []Entry {
	by := map[int]*Entry{}
	var seats []int
	for _, s := range h.Subs {
		e := by[s.Seat]
		if e == nil {
			e = &Entry{Seat: s.Seat, Ms: s.Ms, Length: s.Length, Sub: s}
			by[s.Seat] = e
			seats = append(seats, s.Seat)
		}
		if s.Length < e.Length {
			e.Length, e.Sub = s.Length, s
		}
		e.Guess = s.Guess
	}
	out := make([]Entry, 0, len(seats))
	for _, s := range seats {
		out = append(out, *by[s])
	}
	slices.SortStableFunc(out, func(a, b Entry) int {
		switch {
		case a.Ms != b.Ms:
			return cmpInt(a.Ms, b.Ms)
		case a.Length != b.Length:
			return cmpInt(int64(a.Length), int64(b.Length))
		}
		return a.Seat - b.Seat
	})
	return out
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// HuntScore is a seat's grade in a hunt.
type HuntScore struct {
	Bug    string
	Entry  Entry
	Right  bool
	Points Points
}

// huntScores grades seat in every hunt it found the bug in. The guess is
// scored once the hunt ended.
func (c *Class) huntScores(seat int) []HuntScore {
	var out []HuntScore
	for _, h := range c.hunts {
		for _, e := range h.Ranking() {
			if e.Seat != seat {
				continue
			}
			right := !h.Running() && e.Guess == h.Bug
			out = append(out, HuntScore{Bug: h.Bug, Entry: e, Right: right, Points: HuntPoints(true, right, e.Length, h.Par)})
		}
	}
	return out
}
