// The class page (class.html?room=CODE[&as=projector]), issue 14.
//
// The teacher's dashboard: start and stop lessons (from the course's
// catalogue), the students by steps, live (who is stuck: long on a step,
// many hints), each student's checklist, watch a student's run (this page
// replays their lesson log in its own lessons wasm, live as their new
// operations come), hints to one student or to all, a prediction held for
// the class (its live histogram, vote again, reveal), bug hunts (scenario
// and secret bug, ranking, reveal) and the grades (CSV, JSON Lines).
//
// The projector (as=projector): the class's progress without names (how
// many students reached and finished each step) and the votes' histograms.
//
// Everything is a button, a select or a form field: the keyboard reaches
// all of it. Test hooks (data-testid): dash-conn, dash-code, dash-status,
// lesson-pick (checkboxes pick-ID), lesson-start, lesson-stop, students
// (tr[data-seat] with data-step, data-stuck; td.dots li[data-state]),
// watch-N, hint-N, checklist, hint-to, hint-text, hint-send, hold-step,
// hold, votes (data-round, bars li[data-choice] with data-count),
// vote-again, vote-reveal, reveal, hunt-scenario, hunt-bug, hunt-start,
// hunt-end, hunt-ranking (tr[data-seat] data-valid), hunt-answer,
// grades-csv, grades-jsonl, grades-msg, watch-panel (data-seat,
// data-ops), watch-step, watch-goals, watch-servers, board (li[data-step]
// with data-reached, data-done). window.smrlabTest.dash() returns the
// page's state.

import {classSocket} from './class-net.js';
import {createLab} from './lab.js';
import {TEACHER_KEY} from './room.js';
import {escapeHTML, setText} from './fmt.js';

const $ = (id) => document.getElementById(id);
const q = new URLSearchParams(location.search);
const code = (q.get('room') || '').trim().toUpperCase();
const as = q.get('as') === 'projector' ? 'projector' : 'teacher';
// A lesson's name in the class's frames: its file's, without .lesson.
const lessonName = (e) => e.file.split('/').pop().replace(/\.lesson$/, '');
const STUCK_HINT = 'long on this step or many hints';

const D = {
  catalogue: [],
  dashboard: [],
  seats: new Map(), // seat -> {seat, name, online}
  board: null,
  votes: null,
  reveal: null,
  hunt: null,
  cls: null,
  selected: 0, // the seat whose checklist shows
  watch: null, // {seat, lesson, seed, ops: [], now, view, error}
  roomID: '',
  closed: false,
};

function key() {
  try {
    return localStorage.getItem(TEACHER_KEY) || '';
  } catch (e) {
    return '';
  }
}

function say(text, kind = '') {
  const el = $('dash-status');
  el.textContent = text;
  el.dataset.kind = kind;
}

const TEACHER = `
<div class="class-grid">
  <section class="card wide-card" aria-labelledby="lessons-title">
    <h2 id="lessons-title">Lessons</h2>
    <p class="muted small">Choose the lessons the class runs, in order; every student runs them on their own seed.</p>
    <ol class="lesson-pick" id="lesson-pick" data-testid="lesson-pick"><li class="muted">Loading the course…</li></ol>
    <div class="row">
      <button type="button" class="primary" id="lesson-start" data-testid="lesson-start">Start for the class</button>
      <button type="button" id="lesson-stop" data-testid="lesson-stop">Stop the lesson</button>
      <span class="muted small" id="lesson-now" data-testid="lesson-now"></span>
    </div>
  </section>

  <section class="card wide-card" aria-labelledby="students-title">
    <h2 id="students-title">Students <span class="muted small" id="students-count"></span></h2>
    <table class="students" data-testid="students">
      <thead><tr><th scope="col">Student</th><th scope="col">Steps</th><th scope="col">On step</th>
        <th scope="col">Hints</th><th scope="col">Score</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody id="students"></tbody>
    </table>
    <div class="checklist-box" id="checklist" data-testid="checklist" aria-live="polite"></div>
  </section>

  <section class="card" aria-labelledby="hint-title">
    <h2 id="hint-title">Send a hint</h2>
    <form id="hint-form" class="row">
      <label for="hint-to">To</label>
      <select id="hint-to" data-testid="hint-to"><option value="0">every student</option></select>
      <label for="hint-text" class="sr-only">Hint</label>
      <input id="hint-text" data-testid="hint-text" maxlength="300" size="36" placeholder="Look at the terms in the status panel" required>
      <button type="submit" data-testid="hint-send">Send</button>
    </form>
  </section>

  <section class="card" aria-labelledby="vote-title">
    <h2 id="vote-title">Class vote</h2>
    <p class="muted small">Hold a prediction step for the class: students answer, you see the answers live, let them discuss and vote again, then reveal: every screen runs the step.</p>
    <div class="row">
      <label for="hold-step">Step</label>
      <select id="hold-step" data-testid="hold-step"></select>
      <button type="button" id="hold" data-testid="hold">Hold for the class</button>
    </div>
    <div class="votes" id="votes" data-testid="votes" aria-live="polite"></div>
    <div class="row">
      <button type="button" id="vote-again" data-testid="vote-again">Vote again</button>
      <button type="button" class="primary" id="vote-reveal" data-testid="vote-reveal">Reveal</button>
    </div>
    <p id="reveal" data-testid="reveal" class="small"></p>
  </section>

  <section class="card" aria-labelledby="hunt-title">
    <h2 id="hunt-title">Bug hunt</h2>
    <p class="muted small">Switch a bug on for the room without telling which: students submit a run that breaks an invariant and guess the bug. The room replays every submission.</p>
    <div class="row">
      <label for="hunt-scenario">Scenario</label>
      <select id="hunt-scenario" data-testid="hunt-scenario"><option value="manual-sandbox.scn">manual-sandbox.scn</option></select>
      <label for="hunt-bug">Secret bug</label>
      <select id="hunt-bug" data-testid="hunt-bug"><option value="">Loading…</option></select>
    </div>
    <div class="row">
      <button type="button" id="hunt-start" data-testid="hunt-start">Start the hunt</button>
      <button type="button" id="hunt-end" data-testid="hunt-end">End it and reveal</button>
      <span class="muted small" id="hunt-state" data-testid="hunt-state"></span>
    </div>
    <table class="students"><thead><tr><th scope="col">#</th><th scope="col">Student</th><th scope="col">Time</th>
      <th scope="col">Length</th><th scope="col">Valid</th><th scope="col">Guess</th></tr></thead>
      <tbody id="hunt-ranking" data-testid="hunt-ranking"></tbody></table>
    <p id="hunt-answer" data-testid="hunt-answer" class="small"></p>
  </section>

  <section class="card" aria-labelledby="grades-title">
    <h2 id="grades-title">Grades</h2>
    <div class="row">
      <button type="button" id="grades-csv" data-testid="grades-csv">Download CSV (a row a student)</button>
      <button type="button" id="grades-jsonl" data-testid="grades-jsonl">Download JSON Lines (every scored event)</button>
    </div>
    <p class="msg" id="grades-msg" data-testid="grades-msg" role="status" aria-live="polite"></p>
  </section>

  <section class="card wide-card watch" id="watch-panel" data-testid="watch-panel" aria-labelledby="watch-title" hidden>
    <h2 id="watch-title">Watching</h2>
    <p class="muted small">This page replays the student's lesson log in its own simulator: what they saw, live.</p>
    <p id="watch-step" data-testid="watch-step"></p>
    <ul class="checklist" id="watch-goals" data-testid="watch-goals"></ul>
    <ul class="watch-servers" id="watch-servers" data-testid="watch-servers"></ul>
    <ol class="watch-ops small" id="watch-ops" data-testid="watch-ops"></ol>
    <button type="button" id="watch-stop" data-testid="watch-stop">Stop watching</button>
  </section>
</div>`;

const PROJECTOR = `
<div class="class-grid projector-grid">
  <section class="card wide-card" aria-labelledby="board-title">
    <h2 id="board-title">The class's progress</h2>
    <ol class="board" id="board" data-testid="board"><li class="muted">Waiting for a lesson…</li></ol>
  </section>
  <section class="card wide-card" aria-labelledby="vote-title">
    <h2 id="vote-title">Class vote</h2>
    <div class="votes" id="votes" data-testid="votes" aria-live="polite"><p class="muted">No vote now.</p></div>
    <p id="reveal" data-testid="reveal"></p>
  </section>
</div>`;

function main() {
  setText($('dash-code'), code);
  $('dash-room').href = `./?room=${encodeURIComponent(code)}${as === 'projector' ? '&as=projector' : '&as=teacher'}`;
  if (!/^[ACDEFGHJKMNPQRTUVWXY3479]{6}$/.test(code)) {
    say(`✖ "${q.get('room') || ''}" is not a room code: open this page from the room's panel (class.html?room=CODE).`, 'error');
    return;
  }
  if (as === 'teacher' && !key()) {
    say('✖ This browser holds no teacher key: enter it on the teach page first.', 'error');
    $('class-main').insertAdjacentHTML('beforeend', '<p><a href="teach">Go to the teach page</a></p>');
    return;
  }
  setText($('class-title'), as === 'projector' ? `Class ${code}` : `Class dashboard · ${code}`);
  document.body.classList.toggle('projector', as === 'projector');
  $('class-main').insertAdjacentHTML('beforeend', as === 'projector' ? PROJECTOR : TEACHER);

  const sock = classSocket(code, as, {
    onFrame,
    onStatus(text, kind) {
      if (text) say(text, kind);
      renderConn();
    },
    onFatal(msg) {
      say(`✖ The room refused this page: ${msg}.`, 'error');
      renderConn();
    },
    onConnect(f) {
      mergeSeats(f.seats || [], true);
      if (as === 'teacher') renderStudents();
      D.roomID = (f.room && f.room.id) || D.roomID;
      D.closed = !!(f.room && f.room.closed);
      renderConn();
    },
    onChange: renderConn,
  });

  // The room's seats: a student who has not sent progress yet is listed too.
  function mergeSeats(list, whole) {
    if (whole) D.seats = new Map();
    for (const x of list) if (x.seat > 0) D.seats.set(x.seat, x);
  }

  function renderConn() {
    const s = sock.state;
    const el = $('dash-conn');
    el.dataset.state = s.fatal ? 'refused' : D.closed ? 'closed' : s.connected ? 'online' : 'offline';
    setText(el, s.fatal ? 'refused' : D.closed ? 'closed' : s.connected ? 'online' : 'offline');
  }

  function onFrame(f) {
    switch (f.t) {
      case 'dashboard':
        D.dashboard = f.students || [];
        renderStudents();
        break;
      case 'board':
        D.board = f;
        renderBoard();
        break;
      case 'votes':
        D.votes = f;
        D.reveal = null;
        renderVotes();
        break;
      case 'reveal':
        D.reveal = f;
        renderVotes();
        break;
      case 'class':
        D.cls = f;
        renderLessonNow();
        break;
      case 'hunt':
        D.hunt = f;
        renderHunt();
        break;
      case 'watching':
        onWatching(f);
        break;
      case 'refused':
        say(`✖ Refused: ${f.reason || 'refused'}`, 'error');
        break;
      case 'closed':
        D.closed = true;
        renderConn();
        say('The room is closed: its grades are final.', 'warn');
        break;
      case 'seats':
        mergeSeats(f.changed || f.seats || [], !f.changed);
        if (as === 'teacher') renderStudents();
        break;
      default:
        break;
    }
  }

  // ---- The projector: no names

  function renderBoard() {
    const el = $('board');
    if (!el || !D.board) return;
    const steps = D.board.steps || [];
    const most = Math.max(1, ...steps.map((s) => s.reached || 0));
    el.innerHTML = steps.map((s) => `<li data-step="${escapeHTML(s.step)}" data-reached="${s.reached | 0}" data-done="${s.done | 0}">` +
      `<span class="board-step">${escapeHTML(s.step)}</span>` +
      `<span class="cbar" aria-hidden="true"><span class="cbar-reached" style="width:${(100 * (s.reached | 0)) / most}%"></span>` +
      `<span class="cbar-done" style="width:${(100 * (s.done | 0)) / most}%"></span></span>` +
      `<span class="board-count">${s.done | 0} done · ${s.reached | 0} reached</span></li>`).join('') ||
      '<li class="muted">Waiting for a lesson…</li>';
    el.setAttribute('aria-label', `Lesson ${D.board.lesson}: students by step`);
  }

  function renderVotes() {
    const el = $('votes');
    const v = D.votes;
    if (!v) return;
    const hist = v.histogram || {};
    const most = Math.max(1, ...Object.values(hist));
    el.dataset.round = String(v.round || 1);
    el.innerHTML = `<p><b>${escapeHTML(v.lesson)} · ${escapeHTML(v.step)}</b>, round ${v.round || 1}: ` +
      `${v.answered | 0} of ${v.of | 0} answered</p><ul class="hist">` +
      Object.keys(hist).sort().map((c) => `<li data-choice="${escapeHTML(c)}" data-count="${hist[c]}">` +
        `<span class="hist-choice">${escapeHTML(c)}</span><span class="cbar" aria-hidden="true">` +
        `<span class="cbar-done" style="width:${(100 * hist[c]) / most}%"></span></span><span>${hist[c]}</span></li>`).join('') +
      '</ul>';
    const r = D.reveal;
    setText($('reveal'), r ? `Revealed: the answer is ${r.answer}.` +
      ` Rounds: ${(r.rounds || []).map((x, i) => `${i + 1}: ${Object.entries(x.histogram || x).map(([c, n]) => `${c}×${n}`).join(' ')}`).join('; ')}` : '');
  }

  window.smrlabTest = {dash: () => JSON.parse(JSON.stringify({...D, seats: [...D.seats.values()], watch: D.watch && {...D.watch, view: null, busy: null}})),
    drop: () => sock.drop()};

  if (as === 'projector') {
    sock.start();
    return;
  }

  // ---- The teacher

  const request = async (frame, done) => {
    const r = await sock.request(frame);
    if (r.ok) {
      if (done) say(`✓ ${done}`, 'ok');
    } else {
      say(`✖ ${r.error}`, 'error');
    }
    return r;
  };

  // The course's catalogue.
  (async () => {
    try {
      const r = await fetch('lessons/index.json');
      if (!r.ok) throw new Error(`lessons/index.json: HTTP ${r.status}`);
      D.catalogue = (await r.json()).sort((a, b) => (a.order || 0) - (b.order || 0));
    } catch (e) {
      $('lesson-pick').innerHTML = `<li class="error">The course could not be loaded: ${escapeHTML(e.message)}</li>`;
      return;
    }
    $('lesson-pick').innerHTML = D.catalogue.map((l, i) => `<li><label><input type="checkbox" data-testid="pick-${escapeHTML(lessonName(l))}"` +
      ` value="${escapeHTML(lessonName(l))}"${i === 0 ? ' checked' : ''}> ${escapeHTML(l.title || l.id)}` +
      ` <span class="muted small">${l.steps || '?'} steps${l.minutes ? `, ${l.minutes} min` : ''}</span></label></li>`).join('');
    renderHoldSteps();
  })();

  // The scenarios and the bugs (the lessons worker knows the bugs).
  (async () => {
    try {
      const r = await fetch('scenarios/index.json');
      if (!r.ok) return;
      const list = await r.json();
      const sel = $('hunt-scenario');
      for (const s of list) {
        if (!s.file || s.file === 'manual-sandbox.scn') continue;
        const o = document.createElement('option');
        o.value = s.file;
        o.textContent = s.file;
        sel.append(o);
      }
    } catch (e) {
      // The default scenario stays.
    }
  })();

  let watcher = null; // the lessons worker, made at the first watch
  const worker = () => {
    if (!watcher) watcher = createLab(new Worker('worker.js?build=lessons'), (msg) => say(`✖ The simulator failed: ${msg}`, 'error'));
    return watcher;
  };
  (async () => {
    const res = await worker().call('bugs');
    const sel = $('hunt-bug');
    if (!res.ok) {
      sel.innerHTML = '<option value="">(the bug list could not be loaded)</option>';
      return;
    }
    const list = typeof res.value === 'string' ? JSON.parse(res.value) : res.value;
    sel.innerHTML = '<option value="">(choose the secret bug)</option>' + list.map((b) =>
      `<option value="${escapeHTML(b.Name)}">${escapeHTML(b.Name)}</option>`).join('');
  })();

  function picked() {
    return [...document.querySelectorAll('#lesson-pick input:checked')].map((x) => x.value);
  }

  $('lesson-start').addEventListener('click', () => {
    const lessons = picked();
    if (!lessons.length) return say('✖ Choose at least one lesson first.', 'error');
    request({t: 'lesson', op: 'start', lessons}, `Started ${lessons.join(', ')} for the class.`);
  });
  $('lesson-stop').addEventListener('click', () => request({t: 'lesson', op: 'stop'}, 'The lesson is stopped.'));
  $('lesson-pick').addEventListener('change', renderHoldSteps);

  // The lessons the room runs, by name (the class frame lists objects).
  function running() {
    const c = D.cls;
    if (!c || c.active === false) return [];
    return (c.lessons || []).map((x) => (typeof x === 'string' ? x : x.name));
  }

  function renderLessonNow() {
    const l = running();
    setText($('lesson-now'), l.length ? `Running: ${l.join(', ')}` : 'No lesson runs.');
    renderHoldSteps();
  }

  // The steps with a prediction, from the running (or chosen) lesson's file.
  const predictSteps = new Map(); // lesson id -> [step ids]
  async function renderHoldSteps() {
    const id = running()[0] || picked()[0];
    const sel = $('hold-step');
    if (!id) return;
    if (!predictSteps.has(id)) {
      predictSteps.set(id, []);
      const e = D.catalogue.find((x) => lessonName(x) === id || x.id === id);
      if (!e) return;
      try {
        const r = await fetch('lessons/' + encodeURIComponent(e.file.split('/').pop()));
        const src = await r.text();
        let step = '';
        const out = [];
        for (const line of src.split('\n')) {
          const m = /^step\s+(\S+)/.exec(line);
          if (m) step = m[1];
          else if (/^\s+predict\s/.test(line) && step && !out.includes(step)) out.push(step);
        }
        predictSteps.set(id, out);
      } catch (e2) {
        return;
      }
    }
    const steps = predictSteps.get(id);
    sel.innerHTML = steps.map((s) => `<option value="${escapeHTML(`${id}/${s}`)}">${escapeHTML(`${id} · ${s}`)}</option>`).join('') ||
      '<option value="">(this lesson has no prediction)</option>';
  }

  $('hold').addEventListener('click', () => {
    const v = $('hold-step').value;
    if (!v) return say('✖ Choose a prediction step to hold.', 'error');
    const [lesson, step] = v.split('/');
    request({t: 'hold', lesson, step}, `Step ${step} is held for the class: students answer, then you reveal.`);
  });
  $('vote-again').addEventListener('click', () => request({t: 'vote', op: 'again'}, 'A new round: the students vote again.'));
  $('vote-reveal').addEventListener('click', () => request({t: 'vote', op: 'reveal'}, 'Revealed: every screen runs the step.'));

  // ---- The students

  function fmtSince(ms) {
    const s = Math.round((ms || 0) / 1000);
    return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
  }

  function stepsOf(lesson) {
    const e = D.catalogue.find((x) => lessonName(x) === lesson || x.id === lesson);
    return e ? e.steps || 0 : 0;
  }

  // renderStudents updates the table in place, a row a student: it is
  // drawn again up to 4 times a second, and a button under the pointer or
  // the keyboard's focus must stay the same element.
  function renderStudents() {
    const body = $('students');
    setText($('students-count'), `(${Math.max(D.dashboard.length, D.seats.size)}; ${D.dashboard.filter((s) => s.stuck).length} stuck)`);
    const known = new Set(D.dashboard.map((s) => s.seat));
    const rows = [...D.dashboard, ...[...D.seats.values()].filter((x) => !known.has(x.seat))
      .map((x) => ({seat: x.seat, name: x.name, lesson: '', step: '', stepIndex: -1, done: [], goals: []}))]
      .sort((a, b) => a.seat - b.seat);
    const empty = body.querySelector('tr.empty');
    if (!rows.length) {
      if (!empty) body.innerHTML = '<tr class="empty"><td colspan="6" class="muted">No student has joined yet: they join with the room\'s code.</td></tr>';
      renderChecklist();
      return;
    }
    if (empty) empty.remove();
    const have = new Map([...body.querySelectorAll('tr[data-seat]')].map((tr) => [+tr.dataset.seat, tr]));
    let prev = null;
    for (const s of rows) {
      let tr = have.get(s.seat);
      have.delete(s.seat);
      if (!tr) {
        tr = document.createElement('tr');
        tr.dataset.seat = String(s.seat);
        tr.innerHTML = `<th scope="row"><button type="button" class="linklike" data-show="${s.seat}" data-testid="student-${s.seat}"></button>` +
          `<span class="stuck" title="${STUCK_HINT}" hidden>stuck</span></th><td class="dots"></td><td class="since"></td>` +
          '<td class="hints"></td><td class="score"></td>' +
          `<td><button type="button" data-watch="${s.seat}" data-testid="watch-${s.seat}">Watch</button> ` +
          `<button type="button" data-hint="${s.seat}" data-testid="hint-${s.seat}">Hint…</button></td>`;
      }
      if ((prev ? prev.nextSibling : body.firstChild) !== tr) body.insertBefore(tr, prev ? prev.nextSibling : body.firstChild);
      prev = tr;
      tr.dataset.step = s.step || '';
      tr.dataset.stuck = String(!!s.stuck);
      tr.dataset.done = String((s.done || []).length);
      if (D.selected === s.seat) tr.setAttribute('aria-selected', 'true');
      else tr.removeAttribute('aria-selected');
      setText(tr.querySelector('[data-show]'), s.name || `seat ${s.seat}`);
      tr.querySelector('.stuck').hidden = !s.stuck;
      const n = Math.max(stepsOf(s.lesson), (s.stepIndex | 0) + 1, (s.done || []).length);
      const dots = Array.from({length: n}, (_, i) => {
        const state = (s.done || []).length > i ? 'done' : i === (s.stepIndex | 0) ? 'current' : 'todo';
        return `<li data-state="${state}" title="step ${i + 1}: ${state}"></li>`;
      }).join('');
      const dotsHTML = `<ol aria-label="${(s.done || []).length} steps done">${dots}</ol>` +
        `<span class="small">${escapeHTML(s.lesson || '')} ${escapeHTML(s.step || '')}</span>`;
      const cell = tr.querySelector('.dots');
      if (cell.innerHTML !== dotsHTML) cell.innerHTML = dotsHTML;
      setText(tr.querySelector('.since'), s.stepIndex >= 0 ? fmtSince(s.sinceMs) : 'not started');
      setText(tr.querySelector('.hints'), `${s.hints | 0}${s.showme ? ` + ${s.showme} show me` : ''}`);
      setText(tr.querySelector('.score'), String(s.score ?? ''));
    }
    for (const tr of have.values()) tr.remove();
    renderChecklist();
    renderHintTo();
  }

  function renderChecklist() {
    const s = D.dashboard.find((x) => x.seat === D.selected);
    const el = $('checklist');
    if (!s) {
      el.innerHTML = '<p class="muted small">Choose a student to see their checklist.</p>';
      return;
    }
    el.innerHTML = `<h3>${escapeHTML(s.name || `seat ${s.seat}`)}: ${escapeHTML(s.lesson || '')} · ${escapeHTML(s.step || '')}</h3>` +
      `<p class="small">Done: ${(s.done || []).map(escapeHTML).join(', ') || 'none yet'}</p><ul class="checklist">` +
      (s.goals || []).map((g) => `<li data-state="${g.met ? 'met' : 'not-yet'}">${g.met ? '✓' : '○'} ${escapeHTML(g.label)}` +
        `${g.hidden ? ' <span class="muted small">(hidden from students until the room closes)</span>' : ''}</li>`).join('') + '</ul>';
  }

  $('students').addEventListener('click', (ev) => {
    const b = ev.target.closest('button');
    if (!b) return;
    if (b.dataset.show) {
      D.selected = +b.dataset.show;
      renderStudents();
    } else if (b.dataset.watch) {
      startWatch(+b.dataset.watch);
    } else if (b.dataset.hint) {
      $('hint-to').value = b.dataset.hint;
      $('hint-text').focus();
    }
  });

  let hintKey = '';
  function renderHintTo() {
    const sel = $('hint-to');
    const keep = sel.value;
    const byseat = new Map([...D.seats.values()].map((x) => [x.seat, x]));
    for (const x of D.dashboard) byseat.set(x.seat, x);
    // Drawn again only when the students change (an open list stays open).
    const key = [...byseat.values()].map((x) => `${x.seat}:${x.name}`).sort().join('|');
    if (key === hintKey) return;
    hintKey = key;
    sel.innerHTML = '<option value="0">every student</option>' + [...byseat.values()].sort((a, b) => a.seat - b.seat).map((s) =>
      `<option value="${s.seat}">${escapeHTML(s.name || `seat ${s.seat}`)}</option>`).join('');
    sel.value = [...sel.options].some((o) => o.value === keep) ? keep : '0';
  }

  $('hint-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const to = +$('hint-to').value;
    const text = $('hint-text').value.trim();
    if (!text) return;
    const r = await request({t: 'hint', to, text}, `Hint sent to ${to ? $('hint-to').selectedOptions[0].textContent : 'every student'}.`);
    if (r.ok) $('hint-text').value = '';
  });

  // ---- Watching a student's run

  async function startWatch(seat) {
    if (D.watch && D.watch.seat !== seat) sock.request({t: 'watch', seat: -1});
    D.watch = {seat, lesson: '', seed: '', ops: [], now: 0, view: null, error: '', busy: Promise.resolve()};
    const panel = $('watch-panel');
    panel.hidden = false;
    panel.dataset.seat = String(seat);
    panel.dataset.ops = '0';
    const s = D.dashboard.find((x) => x.seat === seat);
    setText($('watch-title'), `Watching ${s ? s.name : `seat ${seat}`}`);
    setText($('watch-step'), 'Waiting for their run…');
    const r = await request({t: 'watch', seat});
    if (!r.ok) panel.hidden = true;
    else $('watch-stop').focus();
  }

  $('watch-stop').addEventListener('click', () => {
    sock.request({t: 'watch', seat: -1});
    D.watch = null;
    $('watch-panel').hidden = true;
  });

  function onWatching(f) {
    const w = D.watch;
    if (!w || f.seat !== w.seat) return;
    // One replay at a time, in the frames' order.
    w.busy = w.busy.then(() => replay(w, f));
  }

  async function replay(w, f) {
    const lab = worker();
    let res;
    // The first frame holds the whole log (a new lesson, a new seed too);
    // the next ones the operations since.
    const fresh = !w.lesson || (f.lesson && f.lesson !== w.lesson) || (f.seed !== undefined && String(f.seed) !== w.seed) || f.from === 0;
    if (!fresh && Number.isInteger(f.from) && f.from !== w.ops.length) {
      // A gap: watch again from the start.
      w.lesson = '';
      sock.request({t: 'watch', seat: w.seat});
      return;
    }
    if (fresh) {
      const e = D.catalogue.find((x) => lessonName(x) === f.lesson || x.id === f.lesson);
      if (!e) {
        w.error = `lesson ${f.lesson} is not in this course`;
        return renderWatch(w);
      }
      const source = await (await fetch('lessons/' + encodeURIComponent(e.file.split('/').pop()))).text();
      const scenarios = {};
      for (const m of source.matchAll(/^[ \t]*world[ \t]+scenario[ \t]+([\w.-]+)/gm)) {
        const name = m[1].replace(/\.scn$/, '');
        scenarios[name] = await (await fetch(`scenarios/${encodeURIComponent(name)}.scn`)).text();
      }
      res = await lab.call('lessonOpen', JSON.stringify({source, file: `lessons/${e.file.split('/').pop()}`, scenarios, seed: String(f.seed)}));
      if (!res.ok) {
        w.error = res.error;
        return renderWatch(w);
      }
      w.lesson = f.lesson;
      w.seed = String(f.seed);
      w.ops = [];
      // The teacher sees the hidden checks too.
      await lab.call('lessonReveal', true);
    }
    const ops = f.ops || [];
    res = await lab.call('lessonApply', ops, f.now || 0);
    if (!res.ok) {
      w.error = res.error;
      return renderWatch(w);
    }
    w.ops.push(...ops);
    w.now = f.now || 0;
    w.error = '';
    try {
      w.view = JSON.parse(res.value);
    } catch (e) {
      w.view = null;
    }
    renderWatch(w);
  }

  function renderWatch(w) {
    if (D.watch !== w) return;
    $('watch-panel').dataset.ops = String(w.ops.length);
    if (w.error) {
      setText($('watch-step'), `✖ Their run does not replay here: ${w.error}`);
      return;
    }
    const v = w.view;
    const l = v && v.lesson;
    if (!l) return;
    setText($('watch-step'), `${l.title}: step ${l.step + 1} of ${l.steps}, ${l.stepTitle}${l.done ? ' (done)' : ''}` +
      ` · ${(v.now / 1e6).toFixed(3)} s · ${w.ops.length} operations`);
    $('watch-step').dataset.step = l.stepId;
    $('watch-goals').innerHTML = (l.goals || []).map((g) => `<li data-state="${escapeHTML(g.state)}">${escapeHTML(g.label)}` +
      `<span class="muted small"> ${escapeHTML(g.why || '')}</span></li>`).join('');
    $('watch-servers').innerHTML = (v.servers || []).map((s) => `<li data-role="${escapeHTML(s.role)}">S${s.id}: ` +
      `${s.up ? escapeHTML(s.role) : 'down'}, term ${s.term}, commit ${s.commit}</li>`).join('');
    $('watch-ops').innerHTML = w.ops.slice(-12).map((o) => `<li>${(o.at / 1e6).toFixed(3)} s: ${escapeHTML(o.op)}` +
      `${o.text ? ` ${escapeHTML(o.text)}` : ''}${o.choice ? ` ${escapeHTML(o.choice)}` : ''}</li>`).join('');
  }

  // ---- Bug hunts

  $('hunt-start').addEventListener('click', () => {
    const bug = $('hunt-bug').value;
    if (!bug) return say('✖ Choose the secret bug first.', 'error');
    request({t: 'hunt', op: 'start', bug, scenario: $('hunt-scenario').value}, 'The hunt is on: students see the scenario, not the bug.');
  });
  $('hunt-end').addEventListener('click', () => request({t: 'hunt', op: 'end'}, 'The hunt is over: the bug and the par are revealed.'));

  function renderHunt() {
    const h = D.hunt;
    if (!h) return;
    setText($('hunt-state'), h.state === 'running' ? 'Running.' : 'Ended.');
    $('hunt-ranking').innerHTML = (h.ranking || []).map((r, i) => `<tr data-seat="${r.seat}" data-valid="${!!r.valid}">` +
      `<td>${i + 1}</td><td>${escapeHTML(r.name || `seat ${r.seat}`)}</td><td>${((r.ms || 0) / 1000).toFixed(1)} s</td>` +
      `<td>${r.length ?? ''}</td><td>${r.valid ? '✓ valid' : '✖ refused'}</td><td>${escapeHTML(r.guess || '')}</td></tr>`).join('');
    setText($('hunt-answer'), h.state === 'ended' && h.bug ? `The bug was ${h.bug}; par ${h.par ?? '?'} actions.` : '');
  }

  // ---- Grades

  async function grades(ext, type) {
    const msg = $('grades-msg');
    if (!D.roomID) {
      msg.textContent = '✖ Not connected to the room yet.';
      msg.dataset.kind = 'error';
      return;
    }
    let r;
    try {
      r = await fetch(`/api/rooms/${encodeURIComponent(D.roomID)}/grades.${ext}`, {headers: {Authorization: `Bearer ${key()}`}});
    } catch (e) {
      msg.textContent = `✖ The server could not be reached: ${e.message}`;
      msg.dataset.kind = 'error';
      return;
    }
    if (!r.ok) {
      let why = `HTTP ${r.status}`;
      try {
        why = (await r.json()).error || why;
      } catch (e) {
        // not JSON
      }
      msg.textContent = `✖ The grades could not be downloaded: ${why}`;
      msg.dataset.kind = 'error';
      return;
    }
    const blob = new Blob([await r.text()], {type});
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `smrlab-grades-${code}.${ext}`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    msg.textContent = `✓ Downloaded smrlab-grades-${code}.${ext}`;
    msg.dataset.kind = 'ok';
  }
  $('grades-csv').addEventListener('click', () => grades('csv', 'text/csv'));
  $('grades-jsonl').addEventListener('click', () => grades('jsonl', 'application/x-ndjson'));

  renderStudents();
  sock.start();
}

main();
