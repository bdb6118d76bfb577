package main

import (
	"testing"
	"time"
)

func TestPercentilesAreNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	p := percentilesOf(ds)
	if p.N != 100 || p.P50 != 50*time.Millisecond || p.P95 != 95*time.Millisecond || p.P99 != 99*time.Millisecond || p.Max != 100*time.Millisecond {
		t.Fatalf("percentiles of 1..100 ms = %+v", p)
	}
	if ds[0] != 100*time.Millisecond {
		t.Fatal("percentilesOf sorted its argument")
	}
	p = percentilesOf([]time.Duration{7})
	if p.P50 != 7 || p.P99 != 7 || p.Max != 7 {
		t.Fatalf("percentiles of one = %+v", p)
	}
	if p := percentilesOf(nil); p.N != 0 {
		t.Fatalf("percentiles of none = %+v", p)
	}
}

// An action reaches a room when its input frame reached every student: the
// latency is the last student's, a resync that carried it counts, and a
// student it never reached makes it missed.
func TestFanoutIsTheLastStudent(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	a := &arrivals{inputs: map[uint64]time.Time{5: ms(3)}}
	b := &arrivals{inputs: map[uint64]time.Time{5: ms(9)}}
	resynced := &arrivals{inputs: map[uint64]time.Time{}, syncs: []syncAt{{n: 2, at: ms(-50)}, {n: 4, at: ms(4)}, {n: 7, at: ms(12)}}}
	staleSync := &arrivals{inputs: map[uint64]time.Time{}, syncs: []syncAt{{n: 9, at: ms(-1)}}}
	act := action{n: 5, sent: t0}
	if d, missing := fanout(act, []*arrivals{a, b}); d != 9*time.Millisecond || missing != 0 {
		t.Fatalf("fanout = %v, %d missing", d, missing)
	}
	if d, missing := fanout(act, []*arrivals{a, resynced}); d != 12*time.Millisecond || missing != 0 {
		t.Fatalf("fanout with a resync = %v, %d missing", d, missing)
	}
	if _, missing := fanout(act, []*arrivals{a, b, staleSync}); missing != 1 {
		t.Fatalf("a sync from before the action counted as delivering it (%d missing)", missing)
	}
	if _, missing := fanout(action{n: 6, sent: t0}, []*arrivals{a, b}); missing != 2 {
		t.Fatalf("an input no one got: %d missing", missing)
	}
}
