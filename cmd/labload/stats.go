package main

import (
	"sort"
	"time"
)

// arrivals is what one student's connection saw: when each input frame
// arrived, and the syncs it was sent instead (a slow consumer is resynced:
// a sync carrying n delivers every input up to n).
type arrivals struct {
	inputs map[uint64]time.Time
	syncs  []syncAt // in arrival order
}

type syncAt struct {
	n  uint64
	at time.Time
}

// deliveredAt says when input n reached this student after it was sent at
// sent, and whether it did.
func (a *arrivals) deliveredAt(n uint64, sent time.Time) (time.Time, bool) {
	if t, ok := a.inputs[n]; ok {
		return t, true
	}
	for _, s := range a.syncs {
		if s.n >= n && !s.at.Before(sent) {
			return s.at, true
		}
	}
	return time.Time{}, false
}

// action is one act the teacher sent, and the input number the server gave
// it (its ack).
type action struct {
	seq     int64
	sent    time.Time
	n       uint64 // 0 until acknowledged
	refused string // the server's reason, if it refused
	phase   int    // 0: warm-up (or not an action), 1...: the measured phases
}

// fanout is the time from sending an action until its input frame reached
// every one of the students, or ok=false with how many it never reached.
func fanout(act action, students []*arrivals) (d time.Duration, missing int) {
	var last time.Time
	for _, s := range students {
		t, ok := s.deliveredAt(act.n, act.sent)
		if !ok {
			missing++
			continue
		}
		if t.After(last) {
			last = t
		}
	}
	if missing > 0 || len(students) == 0 {
		return 0, missing
	}
	return last.Sub(act.sent), 0
}

// percentiles of durations: nearest rank, on a sorted copy.
type percentiles struct {
	N                  int
	P50, P95, P99, Max time.Duration
}

func percentilesOf(ds []time.Duration) percentiles {
	if len(ds) == 0 {
		return percentiles{}
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := func(p int) time.Duration {
		// nearest rank: the smallest value with at least p% at or below it
		i := (p*len(s) + 99) / 100
		if i < 1 {
			i = 1
		}
		return s[i-1]
	}
	return percentiles{N: len(s), P50: rank(50), P95: rank(95), P99: rank(99), Max: s[len(s)-1]}
}
