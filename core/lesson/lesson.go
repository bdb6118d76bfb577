// Package lesson reads guided lessons (lessons/*.lesson), evaluates their
// goal conditions against a running world, and plays them: the Player drives
// one lab.Session through a lesson's steps (predictions that lock the run,
// goals as a live checklist, hints, "show me", reset, next). Check proves a
// lesson can be done: every step's solution reaches its goals, every
// declared wrong path does not, and every prediction's answer is what the
// run shows. The format is documented in lessons/README.md.
//
// The package is pure (no I/O, no clock): the browser, the lab server and
// `smrlab lesson check` reach the same verdict on the same inputs.
package lesson

import (
	"fmt"

	"smrlab/core/scenario"
)

// Limits on lesson files.
const (
	SourceBytesMax = 1 << 20
	StepsMax       = 100
	// ActionsPerListMax bounds a step's setup, solution and each wrong path.
	ActionsPerListMax = 1000
	// WaitMax bounds one "wait" action: an hour of virtual time.
	WaitMax = 3600 * 1_000_000
)

// Lesson is a parsed lesson file.
type Lesson struct {
	ID, Title, Summary, Question, Reference string
	// File is the lesson file's name as given to Parse.
	File    string
	Minutes int
	Assumes []string
	// WorldFile and WorldSource are the world's scenario: a shipped
	// scenario's file, or for an inline world the lesson file itself with
	// every line that is not the world's commented out (so that the
	// scenario's errors carry the lesson's line numbers).
	WorldFile   string
	WorldSource []byte
	// WorldName is the shipped scenario's name ("" for an inline world).
	WorldName string
	Scenario  *scenario.Scenario
	// Seed is the world's seed (the scenario's unless the lesson names one);
	// PerStudent derives it per student instead (StudentSeed).
	Seed       uint64
	PerStudent bool
	// StartFromSolutions ("steps start from solutions"): each step starts
	// from the world the solutions of the steps before it reach (as opening
	// the lesson at that step does), not from where the student left it.
	StartFromSolutions bool
	// HideBugs ("hide bugs"): the page shows nothing that names the
	// world's bug toggles while the lesson runs (State.HideBugs).
	HideBugs bool
	Steps    []Step
}

// Step is one step of a lesson.
type Step struct {
	ID, Title string
	Line      int
	// World, when not nil, is a fresh world the step starts in (at time 0,
	// then its setup) instead of the world the previous step left.
	World *World
	// Say is the narration's source (Markdown subset), one entry per say
	// line; Narration renders it.
	Say        []string
	Controls   []string
	Highlights []Highlight
	Setup      []Action
	Predict    *Prediction
	Goals      []Goal
	Hints      []Hint
	Solution   []Action
	Wrong      []WrongPath
}

// Narration is the step's narration as safe HTML.
func (s *Step) Narration() string { return RenderMarkdown(s.Say) }

// World is a step's fresh world: "world scenario NAME" or an inline
// "world" block as the step's first lines, with an optional seed.
type World struct {
	Line int
	// Name is the shipped scenario's name ("" for an inline world); File
	// and Source its scenario, as Lesson.WorldFile and WorldSource.
	Name     string
	File     string
	Source   []byte
	Scenario *scenario.Scenario
	// Seed is the world's seed (the scenario's unless a seed line names
	// one); PerStudent derives it from the student's seed instead.
	Seed       uint64
	PerStudent bool
	seedSet    bool
}

// Highlight is something on screen a step points at.
type Highlight struct {
	// Kind is leader, server, log or panel.
	Kind   string
	Server int    // server (1-based) for server and log
	Index  uint64 // log index for log (0: the whole log)
	Panel  string // panel name for panel
}

// Action is one line of a setup, solution or wrong path: a scenario action
// without its time, "wait DUR", or "step event|delivery".
type Action struct {
	Text string
	Line int
	Col  int
	// Wait is the duration of a wait action (0 for others).
	Wait int64
}

// WrongPath is a declared wrong path: actions that must not reach the goal.
type WrongPath struct {
	Line    int
	Actions []Action
}

// Prediction is a question asked before the student may run the step.
type Prediction struct {
	Question string
	Line     int
	Choices  []Choice
	Answer   string
	// When is the condition the run must then show, AnswerLine its line.
	When       Cond
	AnswerLine int
	Explain    string
}

// Choice is one answer a student may pick.
type Choice struct{ ID, Text string }

// Goal is one named item of a step's checklist.
type Goal struct {
	Label string
	Cond  Cond
	Line  int
	// Hidden ("goal hidden ..."): a check scored like the others but shown
	// to the student only once revealed (a class's room closed), and not
	// needed to move on to the next step.
	Hidden bool
}

// Hint unlocks after attempts, or after virtual time in the step.
type Hint struct {
	Text     string
	Attempts int
	After    int64
	Line     int
}

// Unlock says what unlocks the hint, as a student reads it.
func (h Hint) Unlock() string {
	switch {
	case h.Attempts > 0:
		return fmt.Sprintf("after %d attempt%s", h.Attempts, plural(h.Attempts))
	case h.After > 0:
		return "after " + fmtDuration(h.After)
	}
	return "now"
}

// Error is a problem in a lesson file, with its place.
type Error = scenario.Error

// Controls is the closed list of controls a step may offer.
var Controls = []string{"play", "pause", "step", "speed", "scrub", "crash", "restart", "partition", "heal",
	"network", "clients", "write", "reads", "admission", "membership", "snapshot", "transfer", "clock",
	"slow-disk", "nemesis", "next-step", "command", "bugs", "scenario", "all"}

// Panels is the closed list of panels "highlight panel NAME" may name.
var Panels = []string{"cluster", "logs", "lamport", "status", "config", "server", "network", "clients",
	"metrics", "steps", "command", "events"}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func fmtDuration(us int64) string {
	switch {
	case us%1_000_000 == 0:
		return fmt.Sprintf("%ds", us/1_000_000)
	case us%1000 == 0:
		return fmt.Sprintf("%dms", us/1000)
	}
	return fmt.Sprintf("%dus", us)
}
