package scenario

import (
	"slices"

	"smrlab/core/raft"
	"smrlab/core/sim"
)

// The helpers below let other judges of a run (the lessons' goal conditions,
// core/lesson) use the expectations' own counters and rulings: one
// vocabulary, not two.

// CountNames lists the counts an expectation can name ("expect retries >= 3"),
// in order.
var CountNames = func() []string {
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}()

// Count reads the named count from a world's statistics; false if no count
// has that name.
func Count(name string, st *sim.Stats) (uint64, bool) {
	f, ok := counts[name]
	if !ok {
		return 0, false
	}
	return f(st), true
}

// Serving is the running server that leads in the highest term any running
// server knows, and that term (raft.None if none does): the leader a
// "leader" expectation looks for.
func Serving(views []sim.ServerView) (raft.ID, uint64) { return serving(views) }

// JudgeVoters compares the configuration the leader has committed with the
// voters and learners wanted (both sorted), and says what it found.
func JudgeVoters(w *sim.World, voters, learners []raft.ID) (bool, string) {
	return judgeVoters(w, Expectation{Servers: voters, Learners: learners})
}
