// A student's lesson or bug hunt in a class (issue 14): the lab page at
// ?class=CODE[&lesson=ID], opened from the room's page when the teacher
// starts a lesson or a hunt.
//
// The lesson: the page opens the lesson the room runs, on the seed the
// room's server gives this seat (the class frame), in the lesson player.
// Every operation the player takes is in its log (wasm/lesson.go's
// lessonLog); the log since the last index the server acknowledged goes
// to the room as a progress frame after each operation, each step change
// and every few seconds. The whole log is kept in localStorage too: while
// the socket is down progress waits there, and a reload replays it
// (lessonApply) and sends from the server's index, so nothing counts
// twice. Hints and "show me" are asked of the room (ask, granted); a
// prediction the teacher holds for the class takes the answer to the room
// and waits for the reveal, then the step runs here.
//
// The bug hunt: the page opens the hunt's recording (the scenario with the
// room's bug, which the page never names), the student explores it with
// the manual scheduler and submits the recording with a guess.
//
// Test hooks (data-testid): class-bar, class-conn (data-state), class-what,
// class-status (aria-live), class-hold (data-state waiting|revealed),
// class-credit, class-queue (data-queued, data-pending), class-hunt, hunt-guess,
// hunt-submit, hunt-result, hunt-ranking. window.smrlabTest.cls() returns
// the class's state; smrlabTest.clsForge(patch) alters the next progress or
// submission frame (a forgery the server must refuse); clsOffline(on) keeps
// the socket down and brings it back.

import {classSocket} from './class-net.js';
import {escapeHTML, setText} from './fmt.js';

const $ = (id) => document.getElementById(id);
const CODE_RE = /^[ACDEFGHJKMNPQRTUVWXY3479]{6}$/;
const FLUSH_EVERY_MS = 3000;
const ASK_WAIT_MS = 15_000; // a hint or "show me" asked of the room
// A progress frame stays under the room's 64 KiB limit.
const PROGRESS_BYTES = 60_000;
// The calls that change the log: progress follows them.
const LOGGED = new Set(['act', 'step', 'lessonAnswer', 'lessonHint', 'lessonShowMe', 'lessonReset', 'lessonNext']);
// What a class's lesson does not allow: time runs forward only, and the
// room chooses the lesson.
const REFUSED = {
  goto: 'in a class lesson the run goes forward only: Reset step starts the step again',
  fork: 'in a class lesson the run goes forward only: Reset step starts the step again',
  lessonOpen: 'in a class the teacher chooses the lesson',
  lessonClose: 'in a class the teacher chooses the lesson: it ends when the teacher stops it',
  open: 'in a class the teacher chooses the run',
  importTrace: 'in a class the teacher chooses the run',
};

export const logKey = (code, lesson) => `smrlab.class.${code}.${lesson}`;
// A lesson's name in the class's frames: its file's, without .lesson
// ("01-elections"); the player's state names it by its id ("elections").
export const lessonName = (e) => e.file.split('/').pop().replace(/\.lesson$/, '');

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
    return true;
  } catch (e) {
    return false;
  }
}

const BAR = `
<section class="class-bar" id="class-bar" data-testid="class-bar" aria-label="Your class">
  <span class="class-conn" id="class-conn" data-testid="class-conn" data-state="connecting">Connecting…</span>
  <strong id="class-what" data-testid="class-what">Joining the class…</strong>
  <span class="class-credit" id="class-credit" data-testid="class-credit"></span>
  <span class="class-queue muted small" id="class-queue" data-testid="class-queue" data-queued="0"></span>
  <a id="class-room" href="#">Back to the room</a>
  <p class="class-hold" id="class-hold" data-testid="class-hold" role="status" aria-live="polite" hidden></p>
  <p class="inline-status" id="class-status" data-testid="class-status" role="status" aria-live="polite"></p>
  <section class="class-hunt" id="class-hunt" data-testid="class-hunt" aria-labelledby="class-hunt-title" hidden>
    <h2 id="class-hunt-title">Bug hunt</h2>
    <p class="muted small">A bug is switched on in this cluster; the room does not say which. Drive the cluster by hand
      (Step, the messages' deliver and drop) until an invariant breaks, then submit your run and guess the bug.</p>
    <div class="row">
      <label for="hunt-guess">The bug is</label>
      <select id="hunt-guess" data-testid="hunt-guess"><option value="">(choose a bug)</option></select>
      <button type="button" class="primary" id="hunt-submit" data-testid="hunt-submit">Submit this run</button>
    </div>
    <p class="inline-status" id="hunt-result" data-testid="hunt-result" role="status" aria-live="polite"></p>
    <ol class="hunt-ranking" id="hunt-ranking" data-testid="hunt-ranking" aria-label="Ranking"></ol>
  </section>
</section>`;

// setupClassStudent joins the class named by ?class=CODE; it resolves
// true once the page is the class's (a lesson, a hunt, or waiting for one).
export async function setupClassStudent(app, q) {
  const code = (q.get('class') || '').trim().toUpperCase();
  if (!CODE_RE.test(code)) {
    app.showBanner('This class link could not be opened.', `class=${q.get('class')}: a room's code is 6 letters and digits.`);
    return false;
  }
  const css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = 'class.css';
  document.head.append(css);
  document.body.classList.add('in-class');
  document.querySelector('main.layout').insertAdjacentHTML('beforebegin', BAR);
  $('class-room').href = `?room=${code}`;

  const C = {
    code,
    cls: null, // the latest class frame
    lesson: '', // the lesson open here, by its name in the frames
    lessonID: '', // its id in the player's state
    seed: '',
    acked: 0, // the server's length of this lesson's log
    sending: false,
    again: false,
    lastNow: -1,
    credited: null,
    refused: '',
    held: null, // {lesson, step, round, choice}: this seat's answer to a held prediction
    reveal: null,
    asks: new Map(), // what -> resolve
    hunt: null,
    huntOpen: false,
    closed: false,
    stepWall: new Map(), // step id -> ms on it
    wallAt: performance.now(),
    forge: null, // test hook: alters the next progress or submit frame
    sent: 0,
  };

  const status = (text, kind = '') => app.showStatus($('class-status'), text, kind);

  const sock = classSocket(code, 'student', {
    onFrame,
    onStatus(text, kind) {
      if (text) status(text, kind);
      renderConn();
    },
    onFatal(msg) {
      app.showBanner('The room refused this page.', `${msg}.`);
      renderConn();
    },
    onConnect() {
      renderConn();
      if (!C.lesson && !C.huntOpen && !C.cls) setText($('class-what'), 'Waiting for the teacher to start a lesson…');
      flush();
    },
    onChange: renderConn,
  });

  function renderConn() {
    const el = $('class-conn');
    const s = sock.state;
    el.dataset.state = s.fatal ? 'refused' : C.closed ? 'closed' : s.connected ? 'online' : 'offline';
    setText(el, s.fatal ? 'Refused' : C.closed ? 'Room closed' : s.connected ? `Online · seat ${s.seat} (${s.name})` : 'Offline');
  }

  // ---- Frames from the room

  function onFrame(f) {
    switch (f.t) {
      case 'class':
        // A new hold puts the last reveal away.
        if (f.hold && (!C.cls || !C.cls.hold || C.cls.hold.step !== f.hold.step || C.cls.hold.lesson !== f.hold.lesson)) C.reveal = null;
        C.cls = f;
        onClass(f);
        break;
      case 'credited':
        if (f.lesson !== C.lesson) break;
        C.credited = f;
        C.refused = '';
        renderCredit();
        break;
      case 'progress-from':
        // (the flush that sent the frame resends from f.from)
        break;
      case 'refused':
        C.refused = f.reason || 'refused';
        status(`✖ Refused: ${C.refused}`, 'error');
        renderCredit();
        break;
      case 'granted': {
        const r = C.asks.get(f.what);
        if (r) {
          C.asks.delete(f.what);
          r(true);
        }
        break;
      }
      case 'hint':
        app.toast(`💬 ${f.from === 'teacher' ? 'Your teacher' : f.from || 'Teacher'}: ${f.text}`);
        status(`💬 Hint from your teacher: ${f.text}`, 'ok');
        break;
      case 'reveal':
        onReveal(f);
        break;
      case 'hunt':
        C.hunt = {...(C.hunt || {}), ...f};
        renderHunt();
        break;
      case 'closed':
        onClosed();
        break;
      default:
        break;
    }
  }

  // onClosed: the room is closed; the lesson's hidden checks show now.
  async function onClosed() {
    if (C.closed) return;
    C.closed = true;
    renderConn();
    await flush();
    if (C.lesson) await app.callLab('lessonReveal', true);
    status('The teacher closed the room: your progress is final. The hidden checks are shown now.', 'warn');
  }

  async function onClass(f) {
    if (f.closed) onClosed();
    // The lessons the room runs: {name, id, title, seed, steps, from}
    // (from: the operations of this seat's log the room holds already).
    const lessons = (f.active === false ? [] : f.lessons || []).map((x) => (typeof x === 'string' ? {name: x} : x));
    renderHold();
    if (f.hunt && f.hunt.state !== 'ended' && !lessons.length) {
      C.hunt = {...(C.hunt || {}), ...f.hunt};
      return openHunt(f.hunt);
    }
    if (!lessons.length) {
      if (C.huntOpen) return;
      setText($('class-what'), C.lesson ? 'The teacher stopped the lesson: your progress is kept.' : 'Waiting for the teacher to start a lesson…');
      if (C.lesson) await flush();
      C.lesson = '';
      C.lessonID = '';
      return;
    }
    const by = (n) => lessons.find((x) => x.name === n);
    const want = (!C.lesson && by(q.get('lesson'))) || by(C.lesson) || lessons[0];
    const seed = String(want.seed ?? f.seed ?? '');
    if (want.name === C.lesson && seed === C.seed) return;
    await openLesson(want.name, seed, want.from | 0);
  }

  let opening = false;
  async function openLesson(id, seed, held = 0) {
    opening = true;
    try {
      setText($('class-what'), `Opening lesson ${id}…`);
      const pl = await app.loadLessons();
      const e = (await pl.catalogue()).find((x) => lessonName(x) === id || x.id === id);
      if (!e) {
        setText($('class-what'), `The class runs lesson ${id}, which this page's course does not hold.`);
        return;
      }
      const ok = await pl.openFromURL(new URLSearchParams({lesson: e.id, seed}));
      if (!ok) {
        setText($('class-what'), `Lesson ${id} could not be opened.`);
        return;
      }
      C.lesson = id;
      C.lessonID = e.id;
      C.huntOpen = false;
      document.body.classList.remove('in-hunt');
      $('class-hunt').hidden = true;
      C.seed = seed;
      C.acked = 0;
      C.credited = null;
      C.lastNow = -1;
      // A reload (or this browser's earlier visit): the log kept here
      // replays to where the student was.
      const kept = load(logKey(code, id));
      if (kept && kept.seed === seed && Array.isArray(kept.ops) && kept.ops.length) {
        const res = await app.callLab('lessonApply', kept.ops, kept.now || 0);
        if (!res.ok) status(`✖ Your earlier run of this lesson could not be replayed (${app.cleanError(res.error)}): it starts afresh.`, 'error');
        else C.acked = Math.min(Math.max(kept.acked | 0, held), kept.ops.length);
      } else if (held > 0) {
        status(`The room holds ${held} operations of your run of this lesson, which this browser has lost: what they earned counts, ` +
          'but this fresh run cannot add to it. Ask your teacher.', 'warn');
      }
      if (C.closed) await app.callLab('lessonReveal', true);
      setText($('class-what'), `Lesson: ${e.title || id} (the class's)`);
      renderHold();
      await flush();
    } finally {
      opening = false;
    }
  }

  // ---- Progress

  function stepNow() {
    const l = app.view && app.view.lesson;
    return l && l.lesson === C.lessonID ? l : null;
  }

  function countWall() {
    const now = performance.now();
    const l = stepNow();
    if (l && document.visibilityState === 'visible' && !l.done) {
      C.stepWall.set(l.stepId, (C.stepWall.get(l.stepId) || 0) + Math.round(Math.min(now - C.wallAt, 60_000)));
    }
    C.wallAt = now;
  }

  // storeLog keeps the whole log and the server's index in localStorage.
  let lastLog = null;
  function storeLog() {
    if (!lastLog || !C.lesson) return;
    save(logKey(code, C.lesson), {seed: C.seed, ops: lastLog.ops, now: lastLog.now, acked: C.acked});
    // Not sent yet: operations past the room's index, or time run since.
    const queued = lastLog.ops.length - C.acked;
    const pending = queued > 0 || lastLog.now > C.lastNow;
    const el = $('class-queue');
    el.dataset.queued = String(queued);
    el.dataset.pending = String(pending);
    setText(el, pending && !sock.state.connected ? `Progress kept in this browser until the room is back` +
      `${queued > 0 ? ` (${queued} operation${queued === 1 ? '' : 's'})` : ''}` : '');
  }

  // flush sends the log from the server's index on (one frame at a time;
  // a call meanwhile sends again when it is answered).
  async function flush() {
    if (!C.lesson || opening) return;
    if (C.sending) {
      C.again = true;
      return;
    }
    C.sending = true;
    try {
      do {
        C.again = false;
        const res = await app.callLab('lessonLog', 0);
        if (!res.ok) return;
        lastLog = JSON.parse(res.value);
        storeLog();
        if (!sock.state.connected) return;
        let ops = lastLog.ops.slice(C.acked);
        if (!ops.length && lastLog.now === C.lastNow) continue;
        let now = lastLog.now;
        // The step and the state hash at now: the room checks them
        // against its own replay (not when only a part of the log goes).
        let frame = {t: 'progress', lesson: C.lesson, from: C.acked, ops, now, wall: wall(), step: lastLog.step, hash: lastLog.hash};
        while (JSON.stringify(frame).length > PROGRESS_BYTES && ops.length > 1) {
          ops = ops.slice(0, Math.ceil(ops.length / 2));
          now = ops[ops.length - 1].at;
          frame = {t: 'progress', lesson: C.lesson, from: C.acked, ops, now, wall: []};
          C.again = true;
        }
        if (C.forge) {
          frame = C.forge(frame) || frame;
          C.forge = null;
        }
        const from = frame.from;
        const r = await sock.request(frame);
        C.sent++;
        if (r.ok) {
          // credited.from: the room's length of the log now.
          C.acked = r.frame && Number.isInteger(r.frame.from) ? r.frame.from : Math.max(C.acked, from + ops.length);
          C.lastNow = now;
          storeLog();
        } else if (r.resend) {
          // progress-from: the room holds another length; send from there.
          C.acked = Math.max(0, r.frame.from | 0);
          C.again = true;
          storeLog();
        } else if (!r.offline) {
          // Refused: the reason shows; the next operation tries again.
          C.lastNow = now;
          return;
        } else {
          return;
        }
      } while (C.again);
    } finally {
      C.sending = false;
    }
  }

  function wall() {
    countWall();
    return [...C.stepWall].map(([step, ms]) => ({step, ms}));
  }

  setInterval(() => flush(), FLUSH_EVERY_MS);
  window.addEventListener('online', () => flush());

  // The step the view shows: a change (a step reached, goals met) is news.
  let seenKey = '';
  app.afterCall = (fn, res) => {
    if (LOGGED.has(fn)) {
      flush();
      return;
    }
    const l = stepNow();
    if (!l) return;
    const key = `${l.stepId}|${l.done}|${(l.goals || []).map((g) => g.state).join(',')}`;
    if (key !== seenKey) {
      seenKey = key;
      renderHold();
      flush();
    }
  };

  // ---- Calls the class answers

  function ask(what) {
    return new Promise((resolve) => {
      C.asks.set(what, resolve);
      setTimeout(() => {
        if (C.asks.get(what) !== resolve) return;
        C.asks.delete(what);
        resolve('the room did not answer in 15 s; try again');
      }, ASK_WAIT_MS);
      sock.request({t: 'ask', lesson: C.lesson, what}).then((r) => {
        if (!r.ok) {
          C.asks.delete(what);
          resolve(r.error);
        }
      });
    });
  }

  app.classCall = async (fn, args) => {
    if (opening) return null;
    if (C.huntOpen) {
      // A hunt explores freely (back in time, forks); it stays the room's run.
      return fn === 'open' || fn === 'importTrace' || fn === 'lessonOpen' ? {ok: false, error: 'in a bug hunt the teacher chose the run: submit it, or go back in time and fork'} : null;
    }
    if (REFUSED[fn]) return {ok: false, error: REFUSED[fn]};
    if (!C.lesson) return null;
    if (fn === 'lessonHint' || fn === 'lessonShowMe') {
      const what = fn === 'lessonHint' ? 'hint' : 'showme';
      const granted = await ask(what);
      if (granted !== true) return {ok: false, error: `the room did not grant the ${what === 'hint' ? 'hint' : '"show me"'}: ${granted}`};
      return app.callLab(fn, ...args);
    }
    if (fn === 'lessonAnswer') {
      const h = holdHere();
      if (h) {
        const choice = String(args[0] || '');
        const r = await sock.request({t: 'answer', lesson: C.lesson, step: h.step, round: h.round, choice});
        if (!r.ok) return {ok: false, error: r.error};
        C.held = {...h, choice};
        renderHold();
        return {ok: false, error: `your answer (${choice}) is in: waiting for the class, the teacher reveals it`, waiting: true};
      }
    }
    return null;
  };

  // holdHere is the held prediction when it is this student's step now.
  function holdHere() {
    const h = C.cls && C.cls.hold;
    const l = stepNow();
    if (!h || !l || h.lesson !== C.lesson || h.step !== l.stepId) return null;
    return h;
  }

  async function onReveal(f) {
    C.reveal = f;
    const l = stepNow();
    if (f.lesson === C.lesson && l && l.stepId === f.step && l.prediction && !l.prediction.answered) {
      // The step runs: with the student's own answer (the revealed one if
      // they gave none).
      const choice = C.held && C.held.step === f.step ? C.held.choice : f.answer;
      const res = await app.callLab('lessonAnswer', choice);
      if (!res.ok) status(`✖ ${app.cleanError(res.error)}`, 'error');
      else app.setPlaying(true); // every screen runs the step
    }
    C.held = null;
    renderHold();
    flush();
  }

  function renderHold() {
    const el = $('class-hold');
    const h = holdHere();
    const reveal = C.reveal;
    if (!h && reveal && reveal.lesson === C.lesson) {
      el.hidden = false;
      el.dataset.state = 'revealed';
      setText(el, `Revealed: the answer is ${reveal.answer}. The step runs now.`);
      return;
    }
    if (!h) {
      el.hidden = true;
      el.dataset.state = '';
      return;
    }
    el.hidden = false;
    el.dataset.state = 'waiting';
    setText(el, C.held && C.held.round === h.round
      ? `Your answer (${C.held.choice}) is in. Waiting for the class: the teacher reveals the answer.`
      : `The teacher holds this prediction for the class${h.round > 1 ? ` (round ${h.round}: discuss, then vote again)` : ''}: answer, then wait for the reveal.`);
  }

  function renderCredit() {
    const el = $('class-credit');
    const c = C.credited;
    if (C.refused) {
      el.dataset.state = 'refused';
      setText(el, `✖ Not counted: ${C.refused}`);
      return;
    }
    if (!c) {
      setText(el, '');
      return;
    }
    el.dataset.state = 'credited';
    const met = (c.goals || []).filter((g) => g.met).length;
    setText(el, `✓ Counted by the room: ${(c.done || []).length} step${(c.done || []).length === 1 ? '' : 's'} done` +
      `${c.step ? `, at ${c.step}` : ''}${(c.goals || []).length ? ` (${met}/${c.goals.length} goals)` : ''}`);
  }

  // ---- The bug hunt

  async function openHunt(h) {
    if (C.huntOpen) return renderHunt();
    if (!h.recording) {
      setText($('class-what'), 'A bug hunt runs, but the room sent no run to explore (this server is too old).');
      return;
    }
    opening = true;
    let res;
    try {
      res = await app.callLab('importRecording', typeof h.recording === 'string' ? h.recording : JSON.stringify(h.recording), '');
    } finally {
      opening = false;
    }
    if (!res.ok) {
      status(`✖ The hunt's run could not be opened: ${app.cleanError(res.error)}`, 'error');
      return;
    }
    app.ingest(res.value.view, true);
    C.huntOpen = true;
    // The page never names the room's bug (the worker's session holds it:
    // a student reading the worker's memory could find it).
    document.body.classList.add('in-hunt');
    setText($('class-what'), `Bug hunt on ${h.scenario || 'the class\'s scenario'}`);
    const bugs = await app.callLab('bugs');
    const sel = $('hunt-guess');
    if (bugs.ok) {
      let list = bugs.value;
      if (typeof list === 'string') list = JSON.parse(list);
      for (const b of list || []) {
        const name = typeof b === 'string' ? b : b.Name || b.name;
        if (!name) continue;
        const summary = typeof b === 'string' ? '' : b.Summary || b.summary || '';
        const o = document.createElement('option');
        o.value = name;
        o.textContent = `${name}${summary ? ` — ${summary}` : ''}`;
        sel.append(o);
      }
    }
    renderHunt();
  }

  function renderHunt() {
    const h = C.hunt;
    const el = $('class-hunt');
    el.hidden = !C.huntOpen && !(h && h.ranking);
    if (!h) return;
    $('hunt-submit').disabled = h.state === 'ended';
    const list = $('hunt-ranking');
    list.innerHTML = (h.ranking || []).map((r) => `<li data-seat="${r.seat}" data-valid="${!!r.valid}">` +
      `${escapeHTML(r.name || `seat ${r.seat}`)}: ${r.valid ? `found in ${(r.ms / 1000).toFixed(1)} s, ` +
      `${r.length} action${r.length === 1 ? '' : 's'}` : 'not valid'}${r.guess && h.state === 'ended' ? `, guessed ${escapeHTML(r.guess)}` : ''}</li>`).join('');
    if (h.state === 'ended' && h.bug) {
      app.showStatus($('hunt-result'), `The hunt is over: the bug was ${h.bug}${h.par ? ` (par: ${h.par} actions)` : ''}.`, 'ok');
    }
  }

  $('hunt-submit').addEventListener('click', async () => {
    const guess = $('hunt-guess').value;
    const out = $('hunt-result');
    if (!guess) {
      app.showStatus(out, '✖ Choose the bug you believe it is first.', 'error');
      $('hunt-guess').focus();
      return;
    }
    const rec = await app.callLab('recording');
    if (!rec.ok) return app.showStatus(out, `✖ ${app.cleanError(rec.error)}`, 'error');
    let frame = {t: 'submit', recording: JSON.parse(rec.value), guess};
    if (C.forge) {
      frame = C.forge(frame) || frame;
      C.forge = null;
    }
    app.showStatus(out, 'Submitting: the room replays your run…', '');
    const r = await sock.request(frame);
    if (r.ok) app.showStatus(out, '✓ Accepted: the room\'s replay of your run breaks an invariant. Your guess is scored when the hunt ends.', 'ok');
    else app.showStatus(out, `✖ Refused: ${r.error}`, 'error');
  });

  // ---- Test hooks

  window.smrlabTest = window.smrlabTest || {};
  window.smrlabTest.cls = () => ({code, lesson: C.lesson, seed: C.seed, acked: C.acked, sent: C.sent,
    cls: C.cls, credited: C.credited, refused: C.refused, hunt: C.hunt, connected: sock.state.connected, seat: sock.state.seat});
  // clsForge({frame: {fields}, recording: {fields}}): the next progress or
  // submit frame goes out with these fields replaced (the recording's in a
  // submission), behind the player's back.
  window.smrlabTest.clsForge = (patch) => {
    C.forge = (f) => {
      const out = {...f, ...(patch.frame || {})};
      if (patch.recording && out.recording) out.recording = {...out.recording, ...patch.recording};
      return out;
    };
  };
  window.smrlabTest.clsDrop = () => sock.drop();
  window.smrlabTest.clsOffline = (on) => sock.setOffline(on);

  renderConn();
  sock.start();
  return true;
}
