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
}

// Record numbers e, folds it into the hash and keeps or passes it on.
func (r *Recorder) Record(e *Event) {
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
