package export

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"

	"smrlab/core/raft"
	"smrlab/core/trace"
)

// The Chrome Trace Event Format (the JSON that Perfetto and chrome://tracing
// open) puts complete slices (ph "X") on tracks (pid, tid) where they must
// nest, instants (ph "i") at a time, async slices (ph "b"/"e", matched by
// id) on tracks of their own, and flow arrows (ph "s" then "f", matched by
// id) from the slice enclosing the start to the one enclosing the finish
// ("bp":"e"). Timestamps are microseconds, fractions allowed.
//
// Here the cluster is process 1; each server is a thread (tid = its ID) with
// two layers of spans, its terms and, inside them, its roles (a role span
// ends when the term does, so the two nest), and a "crashed" span while it
// is down. Each client is a thread (tid 100+c) with its operations as async
// slices, since a client may have several in flight. Events at no host
// (faults, actions, violations) are instants on thread 0, "cluster". A
// message is a 1 ns slice at its sender when sent and at its receiver when
// delivered, joined by a flow: messages sent at the same microsecond by one
// host are laid 1 ns apart, so that they never nest.

// perfettoPid is the cluster's process.
const perfettoPid = 1

// nsTime is a time in nanoseconds, written in microseconds with up to three
// decimals, as the format wants.
type nsTime int64

func (t nsTime) MarshalJSON() ([]byte, error) {
	var b []byte
	if t < 0 { // not from a simulator, but a file may say so
		b, t = append(b, '-'), -t
	}
	b = strconv.AppendInt(b, int64(t)/1000, 10)
	if frac := int64(t) % 1000; frac != 0 {
		b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	}
	return b, nil
}

// tev is one Trace Event Format event.
type tev struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   nsTime         `json:"ts"`
	Dur  *nsTime        `json:"dur,omitempty"`
	Pid  int            `json:"pid"`
	Tid  uint32         `json:"tid"`
	ID   uint64         `json:"id,omitempty"`
	Bp   string         `json:"bp,omitempty"`
	S    string         `json:"s,omitempty"`
	Args map[string]any `json:"args,omitempty"`

	rank int // orders events at one time (see perfettoRank)
}

// Ranks of events at one timestamp: metadata, then the longer spans that
// enclose what starts with them, then a message slice and its flow event,
// then instants.
const (
	rankMeta = iota
	rankTerm
	rankRole
	rankAsync
	rankMsg
	rankFlow
	rankInstant
)

// serverSpans is what a server's open spans are.
type serverSpans struct {
	term, role         string // the open spans' names
	roleName           string // the open role: follower, leader, crashed...
	termFrom, roleFrom int64  // µs; -1: none open
	curTerm            uint64
	roleArgs           map[string]any
}

type perfetto struct {
	out     []tev
	servers map[uint32]*serverSpans
	tids    map[uint32]bool
	// slot is the next free nanosecond for a message slice on a track in the
	// microsecond last used there.
	slot map[uint32][2]int64
	// sent finds a message's send slice for its deliveries.
	sent    map[uint64]*sentMsg
	flowIDs uint64 // above every message ID: flows of duplicate deliveries
	ops     map[opKey]uint64
	opSeq   uint64
}

type sentMsg struct {
	at     nsTime
	tid    uint32
	name   string
	copies int
	flows  int
}

// WritePerfetto writes tr as Chrome Trace Event Format JSON (the object
// form), which Perfetto (ui.perfetto.dev) and chrome://tracing open.
func WritePerfetto(w io.Writer, tr *trace.Trace) error {
	p := &perfetto{servers: map[uint32]*serverSpans{}, tids: map[uint32]bool{0: true}, slot: map[uint32][2]int64{},
		sent: map[uint64]*sentMsg{}, ops: map[opKey]uint64{}}
	for i := range tr.Events {
		p.flowIDs = max(p.flowIDs, tr.Events[i].ID)
	}
	end := tr.Footer.EndTime
	for i := range tr.Events {
		e := &tr.Events[i]
		end = max(end, e.Time)
		p.event(e)
	}
	p.finish(end)
	return p.write(w, tr)
}

func (p *perfetto) event(e *trace.Event) {
	if !e.Kind.Valid() {
		return
	}
	if e.Node != 0 && e.Node <= clientIDBase && p.servers[e.Node] == nil {
		// A server starts as a follower in term 0, and says so in no event.
		p.tids[e.Node] = true
		p.term(e.Node, e.Time, 0)
		p.openRole(e.Node, e.Time, raft.Follower.String())
	}
	if e.Kind == trace.Tick {
		return
	}
	switch e.Kind {
	case trace.Fault, trace.Action, trace.Member, trace.Violation, trace.Liveness:
		p.instant(e, 0, "cluster")
		return
	}
	p.tids[e.Node] = true
	switch e.Kind {
	case trace.Send:
		p.send(e)
	case trace.Deliver:
		p.deliver(e)
	case trace.Duplicate:
		if m := p.sent[e.ID]; m != nil {
			m.copies++
		}
		p.instant(e, e.Node, "network")
	case trace.Drop:
		p.consume(e.ID)
		p.instant(e, e.Node, "network")
	case trace.Role:
		p.role(e)
	case trace.Term:
		p.term(e.Node, e.Time, e.Term)
	case trace.Crash:
		p.crash(e)
	case trace.Restart:
		p.restart(e)
	case trace.ClientCall:
		p.call(e)
	case trace.ClientReturn:
		p.ret(e)
	case trace.Write, trace.Persist:
		p.instant(e, e.Node, "disk")
	case trace.Apply, trace.Commit:
		p.instant(e, e.Node, "log")
	case trace.Snapshot, trace.Install, trace.Config:
		p.instant(e, e.Node, "snapshot")
	default: // timeouts, refusals
		p.instant(e, e.Node, "protocol")
	}
}

func us(t int64) nsTime { return nsTime(t * 1000) }

func (p *perfetto) instant(e *trace.Event, tid uint32, cat string) {
	p.out = append(p.out, tev{Name: e.Kind.String(), Cat: cat, Ph: "i", S: "t", Ts: us(e.Time), Pid: perfettoPid,
		Tid: tid, Args: eventArgs(e), rank: rankInstant})
}

// eventArgs are an event's fields that mean something for its kind, and
// its description.
func eventArgs(e *trace.Event) map[string]any {
	a := map[string]any{"describe": trace.Describe(e), "seq": e.Seq}
	if e.Peer != 0 {
		a["peer"] = trace.EndpointName(e.Peer)
	}
	for _, f := range []struct {
		name string
		v    uint64
	}{{"id", e.ID}, {"term", e.Term}, {"index", e.Index}, {"log_term", e.LogTerm}, {"count", e.Count},
		{"commit", e.Commit}} {
		if f.v != 0 {
			a[f.name] = f.v
		}
	}
	if e.Reject {
		a["reject"] = true
	}
	if e.Text != "" {
		a["text"] = e.Text
	}
	return a
}

// msgSlice adds a message slice on tid at time t (µs) and returns its start:
// the first free nanosecond of that microsecond on that track.
func (p *perfetto) msgSlice(tid uint32, name string, e *trace.Event) nsTime {
	s := p.slot[tid]
	if s[0] != e.Time {
		s = [2]int64{e.Time, 0}
	}
	at := us(e.Time) + nsTime(min(s[1], 999))
	s[1]++
	p.slot[tid] = s
	dur := nsTime(1)
	p.out = append(p.out, tev{Name: name, Cat: "message", Ph: "X", Ts: at, Dur: &dur, Pid: perfettoPid, Tid: tid,
		Args: eventArgs(e), rank: rankMsg})
	return at
}

func (p *perfetto) send(e *trace.Event) {
	name := trace.MsgName(e.Msg)
	at := p.msgSlice(e.Node, "send "+name+" → "+trace.EndpointName(e.Peer), e)
	p.sent[e.ID] = &sentMsg{at: at, tid: e.Node, name: name, copies: 1}
}

func (p *perfetto) deliver(e *trace.Event) {
	name := trace.MsgName(e.Msg)
	at := p.msgSlice(e.Node, "deliver "+name+" ← "+trace.EndpointName(e.Peer), e)
	m := p.sent[e.ID]
	if m == nil {
		return
	}
	id := e.ID
	if m.flows++; m.flows > 1 { // a duplicate: a flow of its own
		p.flowIDs++
		id = p.flowIDs
	}
	p.out = append(p.out,
		tev{Name: m.name, Cat: "message", Ph: "s", Ts: m.at, Pid: perfettoPid, Tid: m.tid, ID: id, rank: rankFlow},
		tev{Name: m.name, Cat: "message", Ph: "f", Bp: "e", Ts: at, Pid: perfettoPid, Tid: e.Node, ID: id, rank: rankFlow})
	p.consume(e.ID)
}

// consume forgets a message once each of its copies arrived or was lost.
func (p *perfetto) consume(id uint64) {
	if m := p.sent[id]; m != nil {
		if m.copies--; m.copies <= 0 {
			delete(p.sent, id)
		}
	}
}

func (p *perfetto) server(id uint32) *serverSpans {
	s := p.servers[id]
	if s == nil {
		s = &serverSpans{termFrom: -1, roleFrom: -1}
		p.servers[id] = s
	}
	return s
}

// span adds a complete slice from..to (µs); an empty one shows nothing.
func (p *perfetto) span(tid uint32, name, cat string, from, to int64, rank int, args map[string]any) {
	if from < 0 || to <= from {
		return
	}
	dur := us(to - from)
	p.out = append(p.out, tev{Name: name, Cat: cat, Ph: "X", Ts: us(from), Dur: &dur, Pid: perfettoPid, Tid: tid,
		Args: args, rank: rank})
}

func (p *perfetto) closeRole(id uint32, at int64) {
	s := p.server(id)
	p.span(id, s.role, "role", s.roleFrom, at, rankRole, s.roleArgs)
	s.roleFrom = -1
}

// term starts a server's term span; the role span ends with the old term
// and goes on, named for the new one.
func (p *perfetto) term(id uint32, at int64, term uint64) {
	s := p.server(id)
	if s.termFrom >= 0 && term == s.curTerm {
		return
	}
	if s.roleName == "crashed" && s.roleFrom >= 0 {
		return // a crashed server has no term
	}
	p.span(id, s.term, "term", s.termFrom, at, rankTerm, nil)
	s.curTerm, s.term, s.termFrom = term, "term "+strconv.FormatUint(term, 10), at
	if s.roleFrom >= 0 {
		p.closeRole(id, at)
		p.openRole(id, at, s.roleName)
	}
}

func (p *perfetto) openRole(id uint32, at int64, role string) {
	s := p.server(id)
	s.roleName, s.role = role, role+" t"+strconv.FormatUint(s.curTerm, 10)
	s.roleFrom = at
	s.roleArgs = map[string]any{"role": role, "term": s.curTerm}
}

func (p *perfetto) role(e *trace.Event) {
	p.term(e.Node, e.Time, e.Term)
	role, s := raft.Role(e.Count).String(), p.server(e.Node)
	if s.roleFrom < 0 || s.roleName != role {
		p.closeRole(e.Node, e.Time)
		p.openRole(e.Node, e.Time, role)
	}
	if e.Peer != 0 {
		s.roleArgs["leader"] = trace.EndpointName(e.Peer)
	}
}

func (p *perfetto) crash(e *trace.Event) {
	s := p.server(e.Node)
	p.closeRole(e.Node, e.Time)
	p.span(e.Node, s.term, "term", s.termFrom, e.Time, rankTerm, nil)
	s.termFrom = -1
	s.roleName, s.role, s.roleFrom, s.roleArgs = "crashed", "crashed", e.Time, map[string]any{"role": "crashed"}
	p.instant(e, e.Node, "fault")
}

func (p *perfetto) restart(e *trace.Event) {
	p.closeRole(e.Node, e.Time)
	p.term(e.Node, e.Time, e.Term)
	p.openRole(e.Node, e.Time, raft.Follower.String())
	p.instant(e, e.Node, "fault")
}

func opLabel(e *trace.Event) string {
	key := " k" + strconv.FormatUint(e.Index, 10)
	switch e.Msg {
	case opPut:
		return "put" + key
	case opGet:
		return "get" + key
	case opAppend:
		return "append" + key
	}
	return "op" + strconv.Itoa(int(e.Msg)) + key
}

// call starts a client operation's async slice; its return ends it.
func (p *perfetto) call(e *trace.Event) {
	k := opKey{e.Node, e.ID}
	if _, ok := p.ops[k]; ok {
		return
	}
	p.opSeq++
	p.ops[k] = p.opSeq
	p.out = append(p.out, tev{Name: opLabel(e), Cat: "client", Ph: "b", Ts: us(e.Time), Pid: perfettoPid, Tid: e.Node,
		ID: p.opSeq, Args: eventArgs(e), rank: rankAsync})
}

func (p *perfetto) ret(e *trace.Event) {
	k := opKey{e.Node, e.ID}
	id, ok := p.ops[k]
	if !ok {
		return
	}
	delete(p.ops, k)
	result := "ok"
	if e.Reject {
		result = e.Text
	}
	p.out = append(p.out, tev{Name: opLabel(e), Cat: "client", Ph: "e", Ts: us(e.Time), Pid: perfettoPid, Tid: e.Node,
		ID: id, Args: map[string]any{"result": result, "seq": e.Seq}, rank: rankAsync})
}

// finish closes every span still open at the end of the run.
func (p *perfetto) finish(end int64) {
	ids := make([]uint32, 0, len(p.servers))
	for id := range p.servers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s := p.servers[id]
		p.closeRole(id, end)
		p.span(id, s.term, "term", s.termFrom, end, rankTerm, nil)
	}
	pending := make([]opKey, 0, len(p.ops))
	for k := range p.ops {
		pending = append(pending, k)
	}
	slices.SortFunc(pending, func(a, b opKey) int { return int(p.ops[a]) - int(p.ops[b]) })
	for _, k := range pending {
		p.out = append(p.out, tev{Name: "pending", Cat: "client", Ph: "e", Ts: us(end), Pid: perfettoPid, Tid: k.client,
			ID: p.ops[k], Args: map[string]any{"result": "pending when the trace ended"}, rank: rankAsync})
	}
}

func (p *perfetto) write(w io.Writer, tr *trace.Trace) error {
	// Stable: events of one rank at one time keep the order they happened in.
	slices.SortStableFunc(p.out, func(a, b tev) int {
		switch {
		case a.Ts != b.Ts:
			return cmpInt(int64(a.Ts), int64(b.Ts))
		case a.rank != b.rank:
			return a.rank - b.rank
		case a.Dur != nil && b.Dur != nil:
			return cmpInt(int64(*b.Dur), int64(*a.Dur)) // the longer encloses the shorter
		}
		return 0
	})
	name := tr.Header.ScenarioName
	if name == "" {
		name = "scenario"
	}
	meta := []tev{{Name: "process_name", Ph: "M", Pid: perfettoPid, Args: map[string]any{"name": "cluster " + name}}}
	tids := make([]uint32, 0, len(p.tids))
	for t := range p.tids {
		tids = append(tids, t)
	}
	slices.Sort(tids)
	for _, t := range tids {
		n := "cluster"
		if t != 0 {
			n = trace.EndpointName(t)
		}
		meta = append(meta,
			tev{Name: "thread_name", Ph: "M", Pid: perfettoPid, Tid: t, Args: map[string]any{"name": n}},
			tev{Name: "thread_sort_index", Ph: "M", Pid: perfettoPid, Tid: t, Args: map[string]any{"sort_index": t}})
	}
	buf := bufio.NewWriter(w)
	buf.WriteString(`{"traceEvents":[`)
	for i, list := 0, [][]tev{meta, p.out}; i < len(list); i++ {
		for j := range list[i] {
			b, err := json.Marshal(&list[i][j])
			if err != nil {
				return err
			}
			if i > 0 || j > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString("\n")
			buf.Write(b)
		}
	}
	f := &tr.Footer
	metadata, err := json.Marshal(map[string]any{
		"scenario": name, "seed": strconv.FormatUint(tr.Header.Seed, 10), "bugs": tr.Header.Bugs,
		"actions": tr.Header.Actions, "events": f.Events, "events_hash": fmt.Sprintf("%016x", f.EventsHash),
		"state_hash": fmt.Sprintf("%016x", f.StateHash), "end_time_us": f.EndTime, "violation": f.Violation,
		"source": "smrlab (virtual time: 1 us of the run is 1 us here)",
	})
	if err != nil {
		return err
	}
	buf.WriteString("\n],\n\"displayTimeUnit\":\"ms\",\n\"metadata\":")
	buf.Write(metadata)
	buf.WriteString("}\n")
	return buf.Flush()
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
