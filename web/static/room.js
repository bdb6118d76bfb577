// A classroom room (index.html?room=CODE[&as=teacher|projector]): the lab
// page joined to a room of the labserver over its websocket (/ws), as the
// room's contract says (issue 13).
//
// createRoom returns a lab with createLab's interface (call, busy, busyFor)
// so that the page draws the room's run through the same calls as its own:
//   lockstep  this browser runs the room's inputs in its own simulator
//             (the worker's roomSync, roomFrame, roomAct, roomGoto), follows
//             the room's clock but never runs more than LEAD_MICROS past the
//             room's last known time, and compares its state hash with the
//             room's at every grid point and after every action: a
//             difference shows a banner, is reported, and resyncs.
//   views     the server sends view models (a projector, or a browser
//             without WebAssembly); frame calls hand over the newest.
// A user's action becomes an "act" frame; the run changes only when the
// room's "input" frame comes back. A refusal's reason shows to the user.

export const GRID_MICROS = 1_000_000;
export const LEAD_MICROS = 2 * GRID_MICROS;
// Reconnecting after a dropped socket: the waits grow to at most this.
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
const GRID_KEEP = 120; // grid hashes kept for comparison, per side
// Syncs in a row whose state hash differs from the room's before the page
// stops running the room itself and shows the server's views.
const BAD_SYNCS_MAX = 3;
const RESYNC_GAP_MS = 1500; // resyncs of one page are at least this far apart

const CODE_RE = /^[ACDEFGHJKMNPQRTUVWXY3479]{6}$/;

// roomParams reads the room mode from the page's address: null for the
// single-user lab.
export function roomParams(search = location.search) {
  const q = new URLSearchParams(search);
  if (!q.has('room')) return null;
  const code = (q.get('room') || '').trim().toUpperCase();
  const as = q.get('as') || 'student';
  return {code, as, mode: q.get('mode') || '', name: q.get('name') || ''};
}

export function validCode(code) {
  return CODE_RE.test(code);
}

// Where the browser keeps a seat: its token and its sequence counter.
export const seatKey = (code) => `smrlab.seat.${code}`;
export const teacherSeqKey = (code) => `smrlab.teacher.${code}`;
export const TEACHER_KEY = 'smrlab.teacherKey';
export const NAME_KEY = 'smrlab.name';

function load(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || 'null');
  } catch (e) {
    return null;
  }
}

function save(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch (e) {
    // A browser without storage: the seat lasts as long as the page.
  }
}

export function storedTeacherKey() {
  try {
    return localStorage.getItem(TEACHER_KEY) || '';
  } catch (e) {
    return '';
  }
}

// createRoom: inner is the worker's lab (createLab), or null in a browser
// that cannot run the simulator; hooks are the page's:
//   onView(json, fresh)  a view model to draw
//   onChange()           the room's state changed (seats, clock, role...)
//   onStatus(text, kind) a line for the user (refusals, connection)
//   onDiverged(info)     a divergence was seen (info.at, info.why) or cured (null)
//   onFatal(title, msg)  the room cannot go on (a bad code, a closed room)
//   onPanic(res)         the simulator hit an internal error
// roomSocketURL is the room server's websocket on this page's host.
export function roomSocketURL() {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

// helloFrame is the first frame of a connection: a student's seat token
// and name (name, else the seat's, else the one last typed), or the
// teacher's key, from this browser's storage.
export function helloFrame(code, as, mode, name = '') {
  const hello = {t: 'hello', v: 1, code, as, mode};
  if (as === 'student') {
    const seat = load(seatKey(code)) || {};
    let typed = '';
    try {
      typed = localStorage.getItem(NAME_KEY) || '';
    } catch (e) {
      // no storage
    }
    hello.name = name || seat.name || typed;
    hello.token = seat.token || '';
  } else if (as === 'teacher') {
    hello.key = storedTeacherKey();
  }
  return hello;
}

// readFrame parses one frame from the room and hands it to receive; a frame
// the page cannot read or handle becomes a status line, never a dead page.
export function readFrame(data, receive, onStatus) {
  let f;
  try {
    f = JSON.parse(data);
  } catch (e) {
    onStatus(`The room sent a frame the page cannot read: ${e.message}`, 'error');
    return;
  }
  try {
    receive(f);
  } catch (e) {
    onStatus(`The page could not handle the room's ${f && f.t} frame: ${e.message}`, 'error');
  }
}

export function createRoom(params, inner, hooks) {
  let lockstep = params.mode === 'views' ? false : params.mode === 'lockstep' ? !!inner
    : params.as === 'projector' ? false : !!inner && typeof WebAssembly === 'object';
  const st = {
    code: params.code,
    as: params.as,
    mode: lockstep ? 'lockstep' : 'views',
    seat: null,
    name: '',
    role: null,
    room: null,
    clock: {playing: false, speedPpm: 50000, at: 0},
    clockRecv: performance.now(),
    seats: [],
    exercise: null, // the exercise's goals and scoreboard now
    exerciseInfo: null, // the exercise: title, summary, what to say
    closed: false,
    connected: false,
    synced: false,
    lastNow: 0, // the room's latest known time
    localNow: 0, // this browser's session time
    end: Infinity,
    appliedN: 0,
    divergences: 0,
    badSyncs: 0,
    note: '', // what stays on the status line (a switch to views)
    resyncs: 0,
    diverged: null,
    agreed: null, // {at, hash}: the latest state this screen and the room agree on
    inputs: [], // the latest inputs, for the room's log
    frames: {in: 0, out: 0},
    recent: [], // the types of the latest frames from the room (for tests and bug reports)
    fatal: '',
  };
  const queue = []; // frames to apply in order (lockstep)
  const myGrid = new Map(); // at -> this browser's hash
  const unreported = new Set(); // grid points of myGrid not yet reported
  const srvGrid = new Map(); // at -> the room's hash
  const pending = new Map(); // seq -> resolve, for act/clock/role/close
  const waitN = []; // {n, res, resolve}: acks waiting for their input to run here
  let ws = null;
  let attempt = 0;
  let retryTimer = 0;
  let working = false; // a frame call is running
  let newView = null; // views mode: the newest view not yet handed over
  let stuckAt = -1; // the time this browser's run could not pass
  let switching = false; // reconnecting in views mode
  let resyncTimer = 0, lastResync = -Infinity;
  let forgeSyncs = 0, forgeText = ''; // test hook: perturb the next syncs

  const seatStore = params.as === 'teacher' ? teacherSeqKey(params.code) : seatKey(params.code);

  function nextSeq() {
    const s = load(seatStore) || {};
    s.seq = (s.seq || 0) + 1;
    save(seatStore, s);
    return s.seq;
  }

  function send(obj) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(obj));
    st.frames.out++;
    return true;
  }

  // request sends a frame with a seq and resolves with the answer:
  // {ok: true} on ack or dup, {ok: false, error} on refused or a drop.
  function request(obj) {
    if (st.closed) return Promise.resolve({ok: false, error: 'the teacher closed this room'});
    if (!st.connected) return Promise.resolve({ok: false, error: 'not connected to the room; reconnecting…'});
    const seq = nextSeq();
    return new Promise((resolve) => {
      pending.set(seq, {resolve, kind: obj.t});
      if (!send({...obj, seq})) {
        pending.delete(seq);
        resolve({ok: false, error: 'not connected to the room; reconnecting…'});
      }
    });
  }

  // ---- The socket

  function connect() {
    clearTimeout(retryTimer);
    if (st.fatal || st.closed) return;
    let sock;
    try {
      sock = new WebSocket(roomSocketURL());
    } catch (e) {
      hooks.onFatal('Cannot connect to the room.', String(e && e.message || e));
      return;
    }
    ws = sock;
    sock.onopen = () => {
      if (ws !== sock) return;
      const hello = helloFrame(st.code, st.as, st.mode, params.name);
      sock.send(JSON.stringify(hello));
      st.frames.out++;
    };
    sock.onmessage = (ev) => {
      if (ws !== sock) return;
      st.frames.in++;
      readFrame(ev.data, receive, hooks.onStatus);
    };
    sock.onclose = (ev) => {
      if (ws !== sock) return;
      ws = null;
      const was = st.connected;
      st.connected = false;
      for (const [seq, p] of pending) {
        pending.delete(seq);
        p.resolve({ok: false, error: 'the connection to the room dropped before it answered; try again'});
      }
      hooks.onChange();
      if (st.fatal || st.closed) return;
      if (switching) {
        switching = false;
        connect();
        return;
      }
      const wait = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
      attempt++;
      hooks.onStatus(`${was ? 'The connection to the room dropped' : 'Cannot reach the room'}` +
        `${ev && ev.reason ? ` (${ev.reason})` : ''}; reconnecting in ${(wait / 1000).toFixed(1)} s…`, 'error');
      retryTimer = setTimeout(connect, wait);
    };
    sock.onerror = () => {
      // onclose follows and reconnects.
    };
  }

  // ---- Frames from the room

  function receive(f) {
    st.recent.push(f.t === 'now' ? `now ${f.at}` : f.t === 'input' ? `input ${f.n} ${f.text}` : f.t);
    if (st.recent.length > 40) st.recent.shift();
    switch (f.t) {
      case 'sync':
        onSync(f);
        break;
      case 'input':
        st.inputs.push({n: f.n, seat: f.seat, name: f.name, at: f.at, text: f.text});
        if (st.inputs.length > 50) st.inputs.shift();
        if (lockstep) queue.push(f);
        hooks.onChange();
        break;
      case 'clock':
        if (lockstep) queue.push({...f, recv: performance.now()});
        else setClock(f, performance.now());
        hooks.onChange();
        break;
      case 'now':
        if (lockstep) queue.push(f);
        else st.lastNow = Math.max(st.lastNow, f.at);
        break;
      case 'ack': {
        const p = pending.get(f.seq);
        if (!p) break;
        pending.delete(f.seq);
        if (lockstep && p.kind === 'act' && f.n && f.n > st.appliedN) waitN.push({n: f.n, resolve: p.resolve});
        else p.resolve({ok: true, value: null});
        break;
      }
      case 'dup': {
        // This page sends each frame once: a dup means the room counted
        // this seat's frames further than this browser did. The next
        // frame's number goes past it.
        const p = pending.get(f.seq);
        if (!p) break;
        pending.delete(f.seq);
        p.resolve({ok: false, error: `the room had taken a frame numbered ${f.seq} from this seat already: try again`});
        break;
      }
      case 'refused': {
        const p = pending.get(f.seq);
        const reason = f.reason || 'refused';
        if (p) {
          pending.delete(f.seq);
          p.resolve({ok: false, error: reason, refused: true});
        }
        hooks.onStatus(`✖ Refused: ${reason}`, 'error');
        break;
      }
      case 'seats': {
        if (f.changed) {
          // Only the seats that changed: merge them in by number.
          const bySeat = new Map(st.seats.map((x) => [x.seat, x]));
          for (const x of f.changed) bySeat.set(x.seat, x);
          st.seats = [...bySeat.values()].sort((a, b) => a.seat - b.seat);
        } else {
          st.seats = f.seats || [];
        }
        // The seats list carries this seat's role as the teacher set it.
        const me = st.as === 'student' && st.seats.find((x) => x.seat === st.seat);
        if (me) st.role = {role: me.role || 'observer', ...(me.server ? {server: me.server} : {})};
        hooks.onChange();
        break;
      }
      case 'diverged':
        diverge(f.at, `the room's state hash there is ${f.want}, this screen's ${f.got}`);
        break;
      case 'exercise':
        st.exercise = f.status || null;
        hooks.onChange();
        break;
      case 'view':
        if (f.view) {
          newView = JSON.stringify(f.view);
          st.lastNow = Math.max(st.lastNow, f.view.now || 0);
          st.localNow = f.view.now || 0;
          st.synced = true;
        }
        break;
      case 'error':
        st.fatal = f.reason || 'the room refused this page';
        // (a closed room's refusal: the room's closed frame may have been
        // missed while reconnecting)
        if (/\bclosed\b/.test(st.fatal)) st.closed = true;
        hooks.onFatal('The room refused this page.', st.fatal);
        if (ws) ws.close();
        break;
      case 'closed':
        st.closed = true;
        if (st.room) st.room.closed = true;
        hooks.onStatus('The teacher closed this room. Its run stays on this screen.', 'warn');
        hooks.onChange();
        break;
      default:
        // A class's frames (issue 14): the room's page follows a lesson
        // or a hunt the teacher starts (room-ui.js).
        if (hooks.onClassFrame) hooks.onClassFrame(f);
        break;
    }
  }

  function onSync(f) {
    attempt = 0;
    st.connected = true;
    st.seat = f.seat ?? null;
    st.name = f.name || '';
    st.role = f.role || null;
    st.room = f.room || null;
    st.closed = !!(f.room && f.room.closed);
    if (f.seats) st.seats = f.seats;
    st.exerciseInfo = (f.room && f.room.exercise) || null;
    if (st.exerciseInfo && st.exerciseInfo.status) st.exercise = st.exerciseInfo.status;
    if (st.as === 'student') {
      const seat = load(seatKey(st.code)) || {};
      if (f.token) seat.token = f.token;
      seat.seat = f.seat;
      seat.name = f.name;
      seat.seq = Math.max(seat.seq || 0, f.lastSeq || 0);
      save(seatKey(st.code), seat);
    } else if (f.lastSeq) {
      const s = load(seatStore) || {};
      s.seq = Math.max(s.seq || 0, f.lastSeq);
      save(seatStore, s);
    }
    hooks.onStatus(st.note, st.note ? 'warn' : 'ok');
    if (lockstep) {
      // A sync replaces whatever was waiting.
      queue.length = 0;
      queue.push({...f, recv: performance.now()});
    } else {
      setClock(f.clock || {}, performance.now());
      st.lastNow = f.at || 0;
      st.appliedN = f.n || 0;
    }
    hooks.onChange();
  }

  function setClock(c, recv) {
    st.clock = {playing: !!c.playing, speedPpm: c.speedPpm || st.clock.speedPpm, at: c.at || 0};
    st.clockRecv = recv;
    const jump = c.op === 'goto' || c.op === 'fork' || c.op === 'reset';
    st.lastNow = jump ? c.at || 0 : Math.max(st.lastNow, c.at || 0);
  }

  // target is the time this browser runs toward: the room's clock
  // extrapolated, never more than LEAD_MICROS past the room's last known
  // time; when paused, the room's time exactly.
  function target() {
    const c = st.clock;
    if (!c.playing) return Math.min(c.at, st.end);
    const t = c.at + Math.floor(((performance.now() - st.clockRecv) * c.speedPpm) / 1000);
    return Math.min(t, st.lastNow + LEAD_MICROS, st.end);
  }

  // ---- Lockstep: applying the room's frames in order

  async function work(fn, ...args) {
    const res = await inner.call(fn, ...args);
    if (res.panic) {
      // The banner offers the trace; the page goes on with the room's
      // own views, since this simulator stopped.
      hooks.onPanic(res);
      if (lockstep) toViews('This screen\'s simulator hit an internal error: it now shows the room\'s own run, drawn by the server.');
    }
    return res;
  }

  function took(res, fresh) {
    const v = res.value;
    st.localNow = v.now;
    hooks.onView(v.view, fresh);
    return v;
  }

  async function apply(f) {
    stuckAt = -1;
    switch (f.t) {
      case 'sync': {
        setClock(f.clock || {}, f.recv);
        st.lastNow = f.at || 0;
        const res = await work('roomSync', JSON.stringify(f.recording), f.at || 0);
        if (!res.ok) {
          st.synced = false;
          diverge(f.at || 0, `the room's recording does not open here: ${res.error}`);
          return;
        }
        st.synced = true;
        st.appliedN = f.n || 0;
        myGrid.clear();
        unreported.clear();
        for (const k of [...srvGrid.keys()]) if (k > (f.at || 0)) srvGrid.delete(k);
        let v = took(res, true);
        if (forgeSyncs > 0) {
          forgeSyncs--;
          const forged = await work('act', forgeText);
          if (forged.ok) v = {...v, hash: (await work('stateHash')).value};
        }
        if (f.hash && v.hash !== f.hash && !(f.at || 0)) {
          // A room reset to time 0 has run time 0's own events (a fresh
          // room has not): the same rewind here.
          const again = await work('roomGoto', 0, 'reset');
          if (again.ok) v = took(again, false);
        }
        try {
          st.end = JSON.parse(v.view).end || Infinity;
        } catch (e) {
          st.end = Infinity;
        }
        if (f.hash && v.hash !== f.hash) {
          st.badSyncs++;
          if (st.badSyncs >= BAD_SYNCS_MAX) {
            return toViews(`This screen's simulator gave another state than the room's ${BAD_SYNCS_MAX} times: ` +
              'it now shows the room\'s own run, drawn by the server.');
          }
          diverge(f.at || 0, `after a resync, the room's state hash is ${f.hash} and this screen's ${v.hash}`);
        } else {
          if (f.hash) agree(f.at || 0, f.hash);
        }
        if (!(f.hash && v.hash !== f.hash) && st.diverged) {
          st.badSyncs = 0;
          st.diverged = null;
          hooks.onDiverged(null);
        }
        settleWaits();
        return;
      }
      case 'input': {
        if (!st.synced || f.n <= st.appliedN) return;
        const res = await work('roomAct', f.at, f.text);
        st.appliedN = f.n;
        // The room's hash at a grid point holds the acts of that very
        // microsecond: one computed here before this act is stale.
        dropAfter(f.at - 1);
        if (!res.ok) {
          diverge(f.at, `the room took "${f.text}" and this screen could not: ${res.error}`);
          settleWaits();
          return;
        }
        const v = took(res, false);
        report(f.at, v.hash);
        if (f.hash && v.hash !== f.hash) diverge(f.at, `after "${f.text}", the room's state hash is ${f.hash} and this screen's ${v.hash}`);
        else if (f.hash) agree(f.at, f.hash);
        settleWaits();
        return;
      }
      case 'clock': {
        setClock(f, f.recv);
        if (!st.synced) return;
        const jump = f.op === 'goto' || f.op === 'fork' || f.op === 'reset';
        if (jump || (f.op === 'pause' && st.localNow !== f.at)) {
          const res = await work('roomGoto', f.at, f.op);
          if (!res.ok) {
            diverge(f.at, `the teacher's ${f.op} does not run here: ${res.error}`);
            return;
          }
          dropAfter(f.at);
          if (jump) for (const k of [...srvGrid.keys()]) if (k > f.at) srvGrid.delete(k);
          const v = took(res, false);
          if (f.hash && v.now === f.at && v.hash !== f.hash) {
            diverge(f.at, `after the teacher's ${f.op}, the room's state hash is ${f.hash} and this screen's ${v.hash}`);
          } else if (f.hash && v.now === f.at) {
            agree(f.at, f.hash);
          }
        }
        return;
      }
      case 'now':
        st.lastNow = Math.max(st.lastNow, f.at);
        reportPassed();
        for (const [at, hash] of f.grid || []) {
          srvGrid.set(at, hash);
          compare(at);
        }
        trim(srvGrid);
        return;
    }
  }

  function dropAfter(at) {
    for (const k of [...myGrid.keys()]) if (k > at) myGrid.delete(k);
    for (const k of [...unreported]) if (k > at) unreported.delete(k);
  }

  function trim(m) {
    while (m.size > GRID_KEEP) m.delete(m.keys().next().value);
  }

  function compare(at) {
    if (!myGrid.has(at) || !srvGrid.has(at)) return;
    const mine = myGrid.get(at), theirs = srvGrid.get(at);
    myGrid.delete(at);
    srvGrid.delete(at);
    unreported.delete(at);
    if (mine !== theirs) {
      report(at, mine);
      diverge(at, `at the grid point, the room's state hash is ${theirs} and this screen's ${mine}`);
    } else {
      agree(at, mine);
    }
  }

  // agree notes the latest state this screen and the room were seen to
  // share: the panel shows it, so that a teacher can check an exported
  // recording against it (smrlab replay --hash).
  function agree(at, hash) {
    const changed = !st.agreed || st.agreed.at !== at || st.agreed.hash !== hash;
    st.agreed = {at, hash};
    if (changed) hooks.onChange();
  }

  // reportPassed reports this browser's hashes at the grid points the room
  // has passed: by then every input before them has come (the room sends
  // them in order), so a hash computed ahead of an input, which the input
  // discards, is never reported.
  function reportPassed() {
    for (const at of [...unreported]) {
      if (at > st.lastNow) continue;
      unreported.delete(at);
      if (myGrid.has(at)) report(at, myGrid.get(at));
    }
  }

  // report sends this browser's hash at a grid point or after an act.
  function report(at, hash) {
    send({t: 'hash', at, hash});
  }

  function settleWaits() {
    for (let i = waitN.length - 1; i >= 0; i--) {
      if (waitN[i].n <= st.appliedN) {
        waitN[i].resolve({ok: true, value: null});
        waitN.splice(i, 1);
      }
    }
  }

  // diverge shows that this screen's run differs from the room's, and
  // asks for a fresh sync, at most once every few seconds: the banner
  // stays until a sync matches the room's hash again.
  function diverge(at, why) {
    st.divergences++;
    st.diverged = {at, why};
    hooks.onDiverged(st.diverged);
    requestResync();
  }

  // requestResync asks for a fresh sync: at once, or when RESYNC_GAP_MS
  // have passed since the last one; requests meanwhile make one.
  function requestResync() {
    if (resyncTimer) return;
    const wait = Math.max(0, lastResync + RESYNC_GAP_MS - performance.now());
    resyncTimer = setTimeout(() => {
      resyncTimer = 0;
      lastResync = performance.now();
      st.resyncs++;
      send({t: 'resync'});
    }, wait);
  }

  // toViews gives up running the room here after syncs that do not match
  // it (another build of the simulator, say): the page reconnects in views
  // mode and draws the room's own run.
  function toViews(note) {
    lockstep = false;
    st.mode = 'views';
    queue.length = 0;
    st.synced = false;
    st.note = note;
    hooks.onStatus(st.note, 'warn');
    st.diverged = null;
    hooks.onDiverged(null);
    switching = true;
    attempt = 0;
    if (ws) ws.close();
  }

  // ---- One frame of the page

  async function frame() {
    if (!lockstep) {
      if (newView) {
        const v = newView;
        newView = null;
        hooks.onView(v, false);
      }
      return {ok: true, value: null};
    }
    while (queue.length) await apply(queue.shift());
    if (!st.synced) return {ok: true, value: null};
    const t = target();
    if (t > st.localNow) {
      const from = st.localNow;
      const res = await work('roomFrame', t, GRID_MICROS);
      if (!res.ok) return res;
      took(res, false);
      // A run stopped at a violation goes no further: no frame calls
      // until the room's frames change something.
      stuckAt = st.localNow === from ? from : -1;
      for (const [at, hash] of res.value.grid || []) {
        myGrid.set(at, hash);
        unreported.add(at);
        compare(at);
      }
      trim(myGrid);
      reportPassed();
    } else if (t < st.localNow && !st.clock.playing) {
      const res = await work('roomGoto', t, 'goto');
      if (!res.ok) return res;
      dropAfter(t);
      took(res, false);
    }
    return {ok: true, value: null};
  }

  // due tells the page that a frame call has work to do.
  function due() {
    if (!lockstep) return !!newView;
    if (queue.length) return true;
    if (!st.synced || stuckAt === st.localNow) return false;
    const t = target();
    return st.clock.playing ? t - st.localNow >= 1000 : t !== st.localNow;
  }

  // ---- What the page asks of its lab

  const teacherOnly = (what) => ({ok: false, error: `the teacher controls the clock (${what} is theirs)`});
  // Calls that only read the session go to the worker as they are.
  const READS = new Set(['stateHash', 'recording', 'shareRecording', 'share', 'exportFormats', 'exportTrace',
    'saveScenario', 'bugs', 'preloadLessons']);

  async function call(fn, ...args) {
    switch (fn) {
      case 'frame': {
        if (working) return {ok: true, value: null};
        working = true;
        try {
          return await frame();
        } finally {
          working = false;
        }
      }
      case 'view':
        if (lockstep && st.synced) return work('view');
        return {ok: true, value: null};
      case 'act':
        return request({t: 'act', text: String(args[0] || '')});
      case 'goto':
        if (st.as !== 'teacher') return teacherOnly('going back in time');
        return request({t: 'clock', op: 'goto', at: Math.max(0, Math.round(+args[0] || 0))});
      case 'fork':
        if (st.as !== 'teacher') return teacherOnly('forking');
        return request({t: 'clock', op: 'fork'});
      case 'step':
        return {ok: false, error: 'in a room the run follows the room\'s clock: it cannot step on one screen'};
      case 'open':
      case 'importTrace':
      case 'lessonOpen':
        return {ok: false, error: 'in a room the teacher chooses the run: open the lab without ?room= to run your own'};
      default:
        if (READS.has(fn) && inner && (lockstep || fn === 'bugs' || fn === 'exportFormats')) return work(fn, ...args);
        if (READS.has(fn)) return {ok: false, error: 'this screen shows the room\'s views: it holds no run of its own to read'};
        return {ok: false, error: `${fn} is not available in a room`};
    }
  }

  const lab = {
    call,
    get busy() {
      return working || (!!inner && inner.busy);
    },
    busyFor() {
      return inner ? inner.busyFor() : 0;
    },
  };

  return {
    lab,
    state: st,
    due,
    start: connect,
    get lockstep() {
      return lockstep;
    },
    // Teacher's frames.
    clock: (op, extra = {}) => request({t: 'clock', op, ...extra}),
    setRole: (seat, role, server) => request({t: 'role', seat, role, ...(server ? {server} : {})}),
    close: () => request({t: 'close'}),
    resync: () => send({t: 'resync'}),
    target,
    // Test hooks: perturb this browser's session behind the room's back,
    // or the next hash report.
    forgeSession: async (text) => {
      const res = await work('act', text);
      if (res.ok) hooks.onView(res.value, false);
      return res.ok;
    },
    forgeSyncs: (n, text) => {
      forgeSyncs = n;
      forgeText = text;
    },
    dropSocket: () => ws && ws.close(),
  };
}
