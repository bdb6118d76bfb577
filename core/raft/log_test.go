package raft

import (
	"slices"
	"testing"
)

// flatLog is the reference the chunked log must agree with: one slice, the
// sentinel first.
func flatLog(l *raftLog) []Entry {
	var out []Entry
	l.each(func(e *Entry) { out = append(out, *e) })
	return out
}

func entriesFrom(first, n, term uint64) []Entry {
	ents := make([]Entry, n)
	for i := range ents {
		ents[i] = Entry{Index: first + uint64(i), Term: term, Data: []byte{byte(i)}}
	}
	return ents
}

// TestLogAcrossChunks holds the log's operations at and around the edges of
// its chunks: appends that fill and overflow one, slices that span two,
// truncations inside and at the edge of a chunk (which must leave slices
// handed out earlier untouched), compaction and clones that grow apart.
func TestLogAcrossChunks(t *testing.T) {
	l := newLog(0, 0, nil)
	want := []Entry{{}}
	for _, n := range []uint64{1, chunkEntries - 2, 1, 3, 2 * chunkEntries, 7} {
		ents := entriesFrom(l.lastIndex()+1, n, 1)
		l.append(ents...)
		want = append(want, ents...)
	}
	check := func(what string) {
		t.Helper()
		if got := flatLog(&l); !slices.EqualFunc(got, want, sameEntry) {
			t.Fatalf("%s: log of %d positions, want %d", what, len(got), len(want))
		}
		if l.lastIndex() != want[len(want)-1].Index || l.lastTerm() != want[len(want)-1].Term {
			t.Fatalf("%s: last %d/t%d, want %d/t%d", what, l.lastIndex(), l.lastTerm(), want[len(want)-1].Index,
				want[len(want)-1].Term)
		}
		off := l.offset()
		for _, r := range [][2]uint64{{1, 2}, {chunkEntries - 3, chunkEntries + 5}, {chunkEntries, 2*chunkEntries + 1},
			{1, l.lastIndex() + 1}} {
			lo, hi := max(r[0], off+1), min(r[1], l.lastIndex()+1)
			if lo >= hi {
				continue
			}
			if got := l.slice(lo, hi); !slices.EqualFunc(got, want[lo-off:hi-off], sameEntry) {
				t.Fatalf("%s: slice [%d, %d) differs", what, lo, hi)
			}
		}
	}
	check("appended")

	handed := slices.Clone(l.slice(chunkEntries-10, chunkEntries+10))
	alias := l.slice(chunkEntries-10, chunkEntries)
	aliasCopy := slices.Clone(alias)
	clone := l.clone()
	cloneWant := slices.Clone(want)
	for _, cut := range []uint64{chunkEntries - 5, chunkEntries, chunkEntries + 1, 3} {
		ents := entriesFrom(cut, 8, 2)
		l.truncateAndAppend(ents)
		want = append(want[:cut], ents...)
		check("truncated")
		if !slices.EqualFunc(alias, aliasCopy, sameEntry) {
			t.Fatalf("a truncation at %d changed a slice handed out earlier", cut)
		}
	}
	if got := flatLog(&clone); !slices.EqualFunc(got, cloneWant, sameEntry) || len(handed) != 20 {
		t.Fatal("the clone changed with its original")
	}
	clone.append(entriesFrom(clone.lastIndex()+1, 3, 3)...)
	if got := flatLog(&l); !slices.EqualFunc(got, want, sameEntry) {
		t.Fatal("the original changed with its clone")
	}

	for _, n := range []uint64{2 * chunkEntries, 3 * chunkEntries} {
		l.append(entriesFrom(l.lastIndex()+1, n, 4)...)
	}
	want = flatLog(&l)
	at := uint64(chunkEntries + 17)
	l.compact(at)
	want = append([]Entry{{Index: at, Term: want[at].Term}}, want[at+1:]...)
	check("compacted")
}

func sameEntry(a, b Entry) bool {
	return a.Index == b.Index && a.Term == b.Term && a.Type == b.Type && slices.Equal(a.Data, b.Data)
}
