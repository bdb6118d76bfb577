package trace

// Recorder numbers events, keeps their running hash and, as asked, keeps
// them in memory or hands each to a sink (a file writer, a view model).
type Recorder struct {
	hash  Hasher
	count uint64
	init  bool
	// Keep keeps every event in Events.
	Keep   bool
	Events []Event
	// Sink, when set, sees every event as it is recorded. An error stops
	// nothing; it is kept in SinkErr for the caller.
	Sink    func(*Event) error
	SinkErr error
	// cur holds the event being recorded, so that handing its address to
	// the sink does not move every event to the heap.
	cur Event
}

// Record numbers e, folds it into the hash and keeps or passes it on. The
// sink must not keep the pointer it is given.
func (r *Recorder) Record(ev Event) {
	r.cur = ev
	e := &r.cur
	if !r.init {
		r.hash, r.init = NewHasher(), true
	}
	e.Seq = r.count
	r.count++
	r.hash.Event(e)
	if r.Keep {
		r.Events = append(r.Events, *e)
	}
	if r.Sink != nil && r.SinkErr == nil {
		r.SinkErr = r.Sink(e)
	}
}

// Count is the number of events recorded.
func (r *Recorder) Count() uint64 { return r.count }

// Sum is the running hash of every event recorded.
func (r *Recorder) Sum() uint64 {
	if !r.init {
		h := NewHasher()
		return h.Sum()
	}
	return r.hash.Sum()
}

// Clone returns a recorder that goes on from the same count and hash, with
// its own copy of the kept events and no sink.
func (r *Recorder) Clone() *Recorder {
	c := *r
	c.Events = r.Events[:len(r.Events):len(r.Events)]
	c.Sink, c.SinkErr = nil, nil
	return &c
}
