// History keeps what the page remembers across views: each view hands over
// only the events since the previous one. From them it builds the recent
// messages (for the space-time diagram), role changes, drop flashes, the
// event log and metric samples. A view with reset=true (after a jump back)
// starts it afresh.

const EVENTS_MAX = 400;
const SAMPLES_MAX = 240;
const SAMPLE_GAP_US = 20_000;
// KEEP_US is how much virtual time of messages and roles is remembered.
const KEEP_US = 6_000_000;
const FLASH_MS = 1400;

export class History {
  constructor() {
    this.clear();
  }

  clear() {
    // id -> {from, to, type, entries, sent, del, drop, dup}, and the colour and
    // line the space-time diagram works out once
    this.msgs = new Map();
    this.open = new Set(); // the ids of messages sent and not yet delivered or dropped
    this.roles = new Map(); // server -> [{t, role}]
    this.marks = []; // {t, node, kind}
    this.events = []; // oldest first
    this.eventsVersion = 0;
    this.flashes = []; // {from, to, p, born, type}
    this.samples = [];
    this.flights = new Map(); // id -> flight, from the previous view
    this.lastRealNow = 0;
  }

  // ingest takes one parsed view, in the order the worker answered.
  ingest(v, realNow) {
    if (v.reset) this.clear();
    this.lastRealNow = realNow;
    const evs = v.events || [];
    if (evs.length) this.eventsVersion++;
    // A view after a jump replays the events since the last checkpoint: they
    // fill the diagrams but do not flash.
    this.quiet = !!v.reset;
    if (v.truncated) this.events.push({t: v.now, kind: 'truncated', text: '… more events than one view carries: some are not shown'});
    for (const e of evs) this.event(e, realNow);
    if (this.events.length > EVENTS_MAX * 1.5) this.events.splice(0, this.events.length - EVENTS_MAX);
    // Roles the events missed (truncated runs, the start): take them from the view.
    for (const s of v.servers || []) {
      const r = s.up ? s.role : 'crashed';
      const arr = this.roleList(s.id);
      if (!arr.length || arr[arr.length - 1].role !== r) arr.push({t: arr.length ? v.now : -1, role: r});
    }
    const fl = new Map();
    for (const f of v.flights || []) fl.set(f.id, f);
    this.flights = fl;
    this.sample(v);
    this.prune(v.now);
  }

  roleList(id) {
    let arr = this.roles.get(id);
    if (!arr) this.roles.set(id, (arr = []));
    return arr;
  }

  event(e, realNow) {
    // The log keeps the events described in words: a view leaves out the
    // words of its older sends and deliveries, which only the diagram uses.
    if (e.text != null) this.events.push(e);
    switch (e.kind) {
      case 'send': {
        const entries = e.msg === 'AppendEntries' ? e.count || 0 : 0;
        this.msgs.set(e.id, {from: e.node, to: e.peer, type: e.msg, entries, at: e.t, sent: e.t, del: null, drop: null,
          dup: false, reject: !!e.reject, color: null, line: null});
        this.open.add(e.id);
        break;
      }
      case 'deliver': {
        const m = this.msgs.get(e.id);
        if (m) {
          if (m.del == null) m.del = e.t;
          else m.del2 = e.t;
          this.open.delete(e.id);
        } else {
          this.msgs.set(e.id, {from: e.peer, to: e.node, type: e.msg, entries: 0, at: e.t, sent: null, del: e.t, drop: null,
            color: null, line: null});
        }
        break;
      }
      case 'drop': {
        let m = this.msgs.get(e.id);
        if (!m) {
          m = {from: e.node, to: e.peer, type: e.msg, entries: 0, at: e.t, sent: null, del: null, drop: null, color: null,
            line: null};
          this.msgs.set(e.id, m);
        }
        m.drop = e.t;
        this.open.delete(e.id);
        // Where was it lost? A message seen in flight is lost where it was;
        // one lost as it was sent never left its sender.
        const f = this.flights.get(e.id);
        let p = 0.12;
        if (f && f.arrive > f.sent) p = Math.min(0.94, Math.max(0.06, (e.t - f.sent) / (f.arrive - f.sent)));
        else if (m.sent != null && e.t > m.sent) p = 0.92;
        if (!this.quiet) this.flashes.push({from: e.node, to: e.peer, p, born: realNow, type: e.msg,
          why: (/\((\w+)\)\s*$/.exec(e.text) || [])[1] || 'lost'});
        if (this.flashes.length > 300) this.flashes.splice(0, this.flashes.length - 300);
        break;
      }
      case 'duplicate': {
        const m = this.msgs.get(e.id);
        if (m) m.dup = true;
        break;
      }
      case 'role': {
        const r = /became LEADER/.test(e.text) ? 'leader' : /became pre-candidate/.test(e.text) ? 'pre-candidate'
          : /became candidate/.test(e.text) ? 'candidate' : 'follower';
        this.pushRole(e.node, e.t, r);
        break;
      }
      case 'crash':
        this.pushRole(e.node, e.t, 'crashed');
        this.marks.push({t: e.t, node: e.node, kind: 'crash'});
        break;
      case 'restart':
        this.pushRole(e.node, e.t, 'follower');
        this.marks.push({t: e.t, node: e.node, kind: 'restart'});
        break;
      case 'timeout':
        this.marks.push({t: e.t, node: e.node, kind: 'timeout'});
        break;
      case 'violation':
        this.marks.push({t: e.t, node: e.node, kind: 'violation'});
        break;
    }
  }

  pushRole(id, t, role) {
    const arr = this.roleList(id);
    if (arr.length && arr[arr.length - 1].role === role) return;
    arr.push({t, role});
  }

  sample(v) {
    const m = v.metrics || {};
    const last = this.samples[this.samples.length - 1];
    if (last && v.now - last.t < SAMPLE_GAP_US && !v.reset) return;
    if (last && v.now <= last.t) return;
    this.samples.push({t: v.now, commit: m.commit || 0, opsOK: m.opsOK || 0, opsStarted: m.opsStarted || 0,
      leaderChanges: m.leaderChanges || 0, flights: (v.flights || []).length, p99: m.quorumAckP99 || 0,
      dropped: m.dropped || 0, retried: m.opsRetried || 0, snapshots: m.snapshots || 0, installs: m.snapshotsInstalled || 0});
    if (this.samples.length > SAMPLES_MAX) this.samples.splice(0, this.samples.length - SAMPLES_MAX);
  }

  prune(now) {
    const horizon = now - KEEP_US;
    for (const id of this.open) {
      // A message that is no longer in flight but whose delivery or drop
      // this page never saw (a view carries at most so many events): forget
      // it rather than draw it in flight for ever.
      if (this.flights.has(id)) continue;
      this.open.delete(id);
      this.msgs.delete(id);
    }
    if (this.msgs.size > 200) {
      // The map is in the order the page heard of each message (m.at), and
      // a message ends after that: past the first one heard of after the
      // horizon, none ended before it.
      for (const [id, m] of this.msgs) {
        if (m.at >= horizon) break;
        const end = m.del2 ?? m.del ?? m.drop;
        if (end != null && end < horizon) this.msgs.delete(id);
      }
      if (this.msgs.size > 20000) {
        // A flood: keep the newest half.
        let n = this.msgs.size / 2;
        for (const id of this.msgs.keys()) {
          if (n-- <= 0) break;
          this.msgs.delete(id);
          this.open.delete(id);
        }
      }
    }
    for (const arr of this.roles.values()) {
      let i = 0;
      while (i + 1 < arr.length && arr[i + 1].t < horizon) i++;
      if (i > 0) arr.splice(0, i);
    }
    if (this.marks.length > 500 || (this.marks.length && this.marks[0].t < horizon)) {
      this.marks = this.marks.filter((m) => m.t >= horizon).slice(-400);
    }
  }

  // liveFlashes returns the drop flashes still visible and forgets the rest.
  liveFlashes(realNow) {
    if (this.flashes.length && realNow - this.flashes[0].born > FLASH_MS) {
      this.flashes = this.flashes.filter((f) => realNow - f.born <= FLASH_MS);
    }
    return this.flashes;
  }
}

export const FLASH_DURATION_MS = FLASH_MS;
