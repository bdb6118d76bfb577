// The lesson player: the course's catalogue, a lesson's steps beside the
// live cluster, and the student's progress in this browser.
//
// Go decides everything that can be checked (core/lesson's Player, in the
// simulator's worker): the narration's HTML, the goals' states, whether the
// run controls are locked by an unanswered prediction, the hints unlocked.
// Every view the worker returns while a lesson is open carries that state as
// view.lesson; this module draws it, shows only the controls the step
// offers (elements marked data-ctl="NAME ..."), and keeps the progress.
//
// course.js loads this module (with lesson.css) when the student heads for
// a lesson: it adds the lesson panel and the catalogue to the page.
//
// Test hooks (data-testid): lesson-dialog, lesson-list (lesson-ID
// entries, lesson-start-ID buttons), progress-export, progress-import,
// progress-status, student-id, lesson-dialog-close; lesson-panel,
// lesson-title, lesson-kicker, lesson-question, lesson-dots, lesson-step-title,
// lesson-narration, lesson-predict (choice-ID buttons, lesson-predict-note),
// lesson-goals (goal-N items, data-state not-yet|met|failed), lesson-hints,
// lesson-hint, lesson-hint-note, lesson-showme, lesson-reset, lesson-next,
// lesson-status, lesson-done, lesson-exit, lesson-catalogue.

import {escapeHTML, seconds, setText, span} from './fmt.js';
import {PROGRESS_KEY} from './course.js';

const $ = (id) => document.getElementById(id);

const STUDENT_KEY = 'smrlab.student';
const PROGRESS_FORMAT = 'smrlab-progress';
const PROGRESS_VERSION = 1;
// PROGRESS_BYTES_MAX bounds an imported progress file.
const PROGRESS_BYTES_MAX = 1 << 20;
// The lesson's clock runs at 1/10 of real time: slow enough to see messages
// fly, fast enough that a step's seconds of virtual time pass in a minute.
const LESSON_SPEED = 0.1;

// The panels a highlight can name, by their element.
const PANELS = {
  cluster: 'cluster-wrap', logs: 'logs-panel', lamport: 'lamport-panel', status: 'status-panel', config: 'config-panel',
  server: 'server-panel', network: 'network-panel', clients: 'client-panel', metrics: 'metrics-panel',
  steps: 'steps-panel', command: 'command-panel', events: 'events-panel',
};
// The control a scenario action's verb belongs to, for the keyboard
// shortcuts and the ring's menu: a step that does not offer it refuses it.
const VERB_CONTROL = {
  crash: 'crash', pause: 'crash', resume: 'crash', restart: 'restart', isolate: 'partition', cut: 'partition',
  partition: 'partition', heal: 'heal', snapshot: 'snapshot', add: 'membership', promote: 'membership',
  remove: 'membership', replace: 'membership', transfer: 'transfer', campaign: 'transfer', clock: 'clock',
  'slow-disk': 'slow-disk', net: 'network', workload: 'clients', propose: 'write', options: 'reads',
  nemesis: 'nemesis', deliver: 'next-step', drop: 'next-step', duplicate: 'next-step', heartbeat: 'next-step',
  persist: 'next-step',
};

// ---- Progress: kept in localStorage, exported and imported as a file

// emptyProgress is the progress of a student who has done nothing yet.
function emptyProgress(student) {
  return {format: PROGRESS_FORMAT, version: PROGRESS_VERSION, student, lessons: {}};
}

// randomStudent is a new student id: 48 random bits, as 12 hex digits.
function randomStudent() {
  const b = new Uint8Array(6);
  crypto.getRandomValues(b);
  return 's' + [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

function storageGet(key) {
  try {
    return localStorage.getItem(key);
  } catch (e) {
    return null;
  }
}

function storageSet(key, value) {
  try {
    localStorage.setItem(key, value);
    return '';
  } catch (e) {
    return String(e && e.message || e);
  }
}

// positionOf turns JSON.parse's "at position N" into a line and a column.
function positionOf(text, message) {
  const m = /position (\d+)/.exec(message);
  if (!m) {
    const lc = /line (\d+) column (\d+)/.exec(message);
    return lc ? `line ${lc[1]}, column ${lc[2]}` : '';
  }
  const pos = Math.min(+m[1], text.length);
  const before = text.slice(0, pos).split('\n');
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

const isObject = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
const ID_RE = /^[a-z0-9-]{1,64}$/;

// checkProgress validates a parsed progress object and returns it with only
// the fields the page knows; it throws an Error that names the field (its
// path in the file) and what is wrong with it.
export function checkProgress(p) {
  const bad = (path, want, got) => {
    throw new Error(`${path}: want ${want}, got ${got === undefined ? 'nothing' : JSON.stringify(got).slice(0, 60)}`);
  };
  if (!isObject(p)) bad('the file', 'a JSON object', p);
  if (p.format !== PROGRESS_FORMAT) bad('format', `"${PROGRESS_FORMAT}" (is this a progress file of smrlab?)`, p.format);
  if (p.version !== PROGRESS_VERSION) bad('version', `${PROGRESS_VERSION} (this page reads version ${PROGRESS_VERSION})`, p.version);
  if (typeof p.student !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(p.student)) bad('student', 'an id of letters and digits', p.student);
  if (!isObject(p.lessons)) bad('lessons', 'an object of lessons by id', p.lessons);
  const out = emptyProgress(p.student);
  const count = (path, x) => {
    if (x === undefined) return 0;
    if (!Number.isSafeInteger(x) || x < 0) bad(path, 'a whole number from 0 up', x);
    return x;
  };
  const flag = (path, x) => {
    if (x === undefined) return false;
    if (typeof x !== 'boolean') bad(path, 'true or false', x);
    return x;
  };
  for (const [id, l] of Object.entries(p.lessons)) {
    const at = `lessons["${id}"]`;
    if (!ID_RE.test(id)) bad(`lessons`, 'lesson ids of a-z, 0-9 and -', id);
    if (!isObject(l)) bad(at, 'an object', l);
    const lesson = {current: count(`${at}.current`, l.current), finished: flag(`${at}.finished`, l.finished), steps: {}};
    if (l.steps !== undefined && !isObject(l.steps)) bad(`${at}.steps`, 'an object of steps by id', l.steps);
    for (const [sid, s] of Object.entries(l.steps || {})) {
      const sat = `${at}.steps["${sid}"]`;
      if (!ID_RE.test(sid)) bad(`${at}.steps`, 'step ids of a-z, 0-9 and -', sid);
      if (!isObject(s)) bad(sat, 'an object', s);
      if (s.answer !== undefined && (typeof s.answer !== 'string' || s.answer.length > 64)) bad(`${sat}.answer`, 'a choice id', s.answer);
      lesson.steps[sid] = {
        done: flag(`${sat}.done`, s.done), assisted: flag(`${sat}.assisted`, s.assisted),
        answer: s.answer || '', right: flag(`${sat}.right`, s.right),
        hints: count(`${sat}.hints`, s.hints), attempts: count(`${sat}.attempts`, s.attempts),
        virtualUs: count(`${sat}.virtualUs`, s.virtualUs), wallMs: count(`${sat}.wallMs`, s.wallMs),
      };
    }
    out.lessons[id] = lesson;
  }
  return out;
}

// parseProgress reads a progress file's text; errors say where and what.
export function parseProgress(text) {
  let p;
  try {
    p = JSON.parse(text);
  } catch (e) {
    const where = positionOf(text, String(e.message));
    throw new Error(`not JSON${where ? ` at ${where}` : ''}: ${e.message}`);
  }
  return checkProgress(p);
}

// mergeProgress adds what b records to a: a step done in either is done,
// counts and times take the larger.
function mergeProgress(a, b) {
  const out = checkProgress(JSON.parse(JSON.stringify(a)));
  out.student = b.student;
  for (const [id, l] of Object.entries(b.lessons)) {
    const m = out.lessons[id] || (out.lessons[id] = {current: 0, finished: false, steps: {}});
    m.current = Math.max(m.current, l.current);
    m.finished = m.finished || l.finished;
    for (const [sid, s] of Object.entries(l.steps)) {
      const t = m.steps[sid];
      if (!t) {
        m.steps[sid] = {...s};
        continue;
      }
      t.done = t.done || s.done;
      t.assisted = t.assisted || s.assisted;
      if (!t.answer) {
        t.answer = s.answer;
        t.right = s.right;
      }
      for (const k of ['hints', 'attempts', 'virtualUs', 'wallMs']) t[k] = Math.max(t[k], s[k]);
    }
  }
  return out;
}

// ---- The player

// PANEL and CATALOGUE are the player's part of the page.
const PANEL = `
  <section class="lesson-panel" id="lesson-panel" data-testid="lesson-panel" aria-labelledby="lesson-title" hidden>
    <div class="lesson-head">
      <div class="lesson-titles">
        <p class="lesson-kicker" id="lesson-kicker" data-testid="lesson-kicker"></p>
        <h2 id="lesson-title" data-testid="lesson-title"></h2>
      </div>
      <button type="button" id="lesson-catalogue" data-testid="lesson-catalogue" aria-haspopup="dialog">☰ All lessons</button>
      <button type="button" id="lesson-exit" data-testid="lesson-exit" aria-label="Leave the lesson for the free lab">✕</button>
    </div>
    <p class="lesson-question" id="lesson-question" data-testid="lesson-question"></p>
    <ol class="lesson-dots" id="lesson-dots" data-testid="lesson-dots" aria-label="Steps of the lesson"></ol>
    <div class="lesson-body" id="lesson-body">
      <h3 class="lesson-step-title" id="lesson-step-title" data-testid="lesson-step-title" tabindex="-1"></h3>
      <div class="narration" id="lesson-narration" data-testid="lesson-narration"></div>
      <div class="predict" id="lesson-predict" data-testid="lesson-predict" role="group" aria-labelledby="lesson-predict-q" hidden>
        <p class="predict-kicker">Predict first</p>
        <p class="predict-q" id="lesson-predict-q" data-testid="lesson-predict-question"></p>
        <div class="choices" id="lesson-choices" data-testid="lesson-choices"></div>
        <div class="predict-note" id="lesson-predict-note" data-testid="lesson-predict-note" tabindex="-1" aria-live="polite"></div>
      </div>
      <h4 class="lesson-sub" id="lesson-goals-title">Goal</h4>
      <ul class="checklist" id="lesson-goals" data-testid="lesson-goals" aria-labelledby="lesson-goals-title"></ul>
      <div class="lesson-hints">
        <ol class="hint-list" id="lesson-hints" data-testid="lesson-hints" aria-label="Hints"></ol>
        <div class="row">
          <button type="button" id="lesson-hint" data-testid="lesson-hint">Hint</button>
          <span class="muted small" id="lesson-hint-note" data-testid="lesson-hint-note"></span>
        </div>
      </div>
      <div class="lesson-done" id="lesson-done" data-testid="lesson-done" hidden></div>
    </div>
    <div class="lesson-actions" role="group" aria-label="Step controls">
      <button type="button" id="lesson-showme" data-testid="lesson-showme" title="Play the solution from the step's start (the step is then marked as shown)">▶ Show me</button>
      <button type="button" id="lesson-reset" data-testid="lesson-reset" title="Put the cluster back where this step started">↺ Reset step</button>
      <span class="spacer"></span>
      <button type="button" id="lesson-next" class="primary" data-testid="lesson-next">Next →</button>
    </div>
    <p class="inline-status lesson-status" id="lesson-status" data-testid="lesson-status" role="status" aria-live="polite"></p>
  </section>
`;
const CATALOGUE = `
<dialog id="lesson-dialog" class="lesson-dialog" data-testid="lesson-dialog" aria-labelledby="lesson-dialog-title">
  <form method="dialog" class="dialog-body">
    <h2 id="lesson-dialog-title">The course: Raft, one question at a time</h2>
    <p class="muted">Each lesson asks one question and answers it with the live cluster: every step has a goal, checked as the simulation runs. Your progress stays in this browser.</p>
    <ol class="catalogue" id="lesson-list" data-testid="lesson-list"><li class="muted">Loading the lessons…</li></ol>
    <h3>Your progress</h3>
    <div class="row">
      <button type="button" id="progress-export" data-testid="progress-export">Export progress…</button>
      <label class="button" for="progress-import">Import progress…
        <input type="file" id="progress-import" data-testid="progress-import" accept=".json,application/json">
      </label>
      <span class="muted small" id="student-id" data-testid="student-id"></span>
    </div>
    <p class="inline-status" id="progress-status" data-testid="progress-status" role="status" aria-live="polite"></p>
    <div class="dialog-actions"><span class="spacer"></span><button value="close" id="lesson-dialog-close" data-testid="lesson-dialog-close">Close</button></div>
  </form>
</dialog>

`;

// loadStyle adds lesson.css to the page; it resolves once the rules apply.
function loadStyle() {
  return new Promise((resolve) => {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = 'lesson.css';
    link.onload = link.onerror = () => resolve();
    document.head.append(link);
  });
}

// setupLessons adds the player to the page and returns what course.js
// calls; it resolves once its styles apply.
export async function setupLessons(app) {
  const styled = loadStyle();
  document.querySelector('main.layout').insertAdjacentHTML('afterbegin', PANEL);
  document.body.insertAdjacentHTML('beforeend', CATALOGUE);
  const L = {
    catalogue: [], // the course's lessons, in order (lessons/index.json)
    catalogueError: '',
    loaded: null, // Promise of the catalogue
    state: null, // the open lesson's state, from the latest view
    entry: null, // the open lesson's catalogue entry
    key: '', // the state last drawn, less its time
    ctlKey: '', // the controls and lock last applied
    offered: null, // Set of offered controls, null when no lesson
    locked: false,
    progress: null,
    student: '',
    finished: false, // the last step's "Finish" was pressed
    wallAt: 0, // performance.now() when the current step's wall time was last counted
    saveTimer: 0,
  };

  // The student's id: random, made once, kept with the progress.
  L.student = storageGet(STUDENT_KEY) || '';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(L.student)) {
    L.student = randomStudent();
    storageSet(STUDENT_KEY, L.student);
  }
  L.progress = emptyProgress(L.student);
  const raw = storageGet(PROGRESS_KEY);
  if (raw) {
    try {
      L.progress = parseProgress(raw);
      if (L.progress.student !== L.student) {
        L.student = L.progress.student;
        storageSet(STUDENT_KEY, L.student);
      }
    } catch (e) {
      // A damaged store is kept aside, not overwritten: it may be exported
      // by hand from the browser's storage.
      storageSet(PROGRESS_KEY + '.damaged', raw);
      app.toast(`Your saved progress could not be read (${e.message}); it was kept aside as ${PROGRESS_KEY}.damaged.`);
    }
  }

  function save() {
    clearTimeout(L.saveTimer);
    L.saveTimer = 0;
    const err = storageSet(PROGRESS_KEY, JSON.stringify(L.progress));
    if (err) showStatus(`✖ Progress not saved: ${err}`, 'error');
  }
  function saveSoon() {
    if (!L.saveTimer) L.saveTimer = setTimeout(save, 1000);
  }
  window.addEventListener('pagehide', () => {
    countWall();
    save();
  });

  function lessonProgress(id) {
    return L.progress.lessons[id] || (L.progress.lessons[id] = {current: 0, finished: false, steps: {}});
  }

  function stepProgress(id, stepId) {
    const l = lessonProgress(id);
    return l.steps[stepId] || (l.steps[stepId] = {done: false, assisted: false, answer: '', right: false, hints: 0,
      attempts: 0, virtualUs: 0, wallMs: 0});
  }

  // countWall adds the real time spent on the open step since last counted
  // (only while the page is visible and the step not yet done).
  function countWall() {
    const now = performance.now();
    const st = L.state;
    if (st && L.wallAt && document.visibilityState === 'visible' && !st.done) {
      stepProgress(st.lesson, st.stepId).wallMs += Math.round(Math.min(now - L.wallAt, 60_000));
      saveSoon();
    }
    L.wallAt = now;
  }
  setInterval(countWall, 1000);
  document.addEventListener('visibilitychange', countWall);

  // record keeps what the state says of the open step.
  function record(st) {
    const p = stepProgress(st.lesson, st.stepId);
    const pr = st.prediction;
    const before = JSON.stringify(p);
    if (st.done) p.done = true;
    if (st.assisted) p.assisted = true;
    if (pr && pr.answered && pr.chosen) {
      p.answer = pr.chosen;
      if (pr.revealed) p.right = !!pr.right;
    }
    p.hints = Math.max(p.hints, (st.hints || []).length);
    p.attempts = Math.max(p.attempts, st.attempts || 0);
    p.virtualUs = Math.max(p.virtualUs, st.elapsed || 0);
    const l = lessonProgress(st.lesson);
    const cur = st.done ? Math.min(st.step + 1, st.steps) : st.step;
    if (cur > l.current) l.current = cur;
    if (JSON.stringify(p) !== before) saveSoon();
  }

  // ---- The catalogue

  L.loaded = (async () => {
    try {
      const r = await fetch('lessons/index.json');
      if (!r.ok) throw new Error(`lessons/index.json: HTTP ${r.status}`);
      const list = await r.json();
      if (!Array.isArray(list)) throw new Error('lessons/index.json is not a list');
      L.catalogue = list.filter((l) => l && typeof l.id === 'string' && typeof l.file === 'string')
        .sort((a, b) => (a.order || 0) - (b.order || 0));
    } catch (e) {
      L.catalogueError = String(e.message || e);
    }
    renderCatalogue();
    return L.catalogue;
  })();

  function doneSteps(entry) {
    const l = L.progress.lessons[entry.id];
    if (!l) return 0;
    return Object.values(l.steps).filter((s) => s.done).length;
  }

  function isFinished(entry) {
    const l = L.progress.lessons[entry.id];
    return !!(l && (l.finished || (entry.steps && doneSteps(entry) >= entry.steps)));
  }

  // nextLesson is the first lesson of the course not finished yet.
  function nextLesson() {
    return L.catalogue.find((e) => !isFinished(e)) || L.catalogue[0];
  }

  function renderCatalogue() {
    const list = $('lesson-list');
    if (L.catalogueError) {
      list.innerHTML = `<li class="error" role="alert">The lessons could not be loaded: ${escapeHTML(L.catalogueError)}</li>`;
    } else if (!L.catalogue.length) {
      list.innerHTML = '<li class="muted">No lessons in this build.</li>';
    } else {
      list.innerHTML = L.catalogue.map((e, i) => {
        const n = doneSteps(e), total = e.steps || 0, fin = isFinished(e);
        const state = fin ? 'done' : n ? 'started' : 'new';
        const progress = fin ? '✓ done' : n ? `${n} of ${total} steps done` : total ? `${total} steps` : '';
        const verb = fin ? 'Again' : n ? 'Continue' : 'Start';
        const id = escapeHTML(e.id);
        return `<li class="cat-item" data-state="${state}" data-testid="lesson-${id}">` +
          `<span class="cat-num" aria-hidden="true">${i + 1}</span>` +
          `<div class="cat-text"><h3 class="cat-title" id="cat-title-${id}">${escapeHTML(e.title || e.id)}</h3>` +
          `<p class="cat-question">${escapeHTML(e.question || e.summary || '')}</p>` +
          (e.assumes && e.assumes.length ? `<p class="cat-assumes">After: ${escapeHTML(e.assumes.map((a) =>
            (L.catalogue.find((x) => x.id === a) || {title: a}).title || a).join(', '))}</p>` : '') +
          `<p class="cat-meta"><span>${e.minutes ? `${e.minutes} min` : ''}</span>` +
          `<span class="cat-progress" data-testid="lesson-progress-${id}">${escapeHTML(progress)}</span></p></div>` +
          `<button type="button" class="${fin ? '' : 'primary'}" data-lesson="${id}" data-testid="lesson-start-${id}" ` +
          `aria-describedby="cat-title-${id}">${verb}</button></li>`;
      }).join('');
    }
    setText($('student-id'), `Student id ${L.student} (it picks your seeds)`);
    const total = L.catalogue.length;
    const fin = L.catalogue.filter(isFinished).length;
    const started = Object.keys(L.progress.lessons).length > 0;
    setText($('lessons'), !started ? '▶ Start the course' : `Lessons · ${fin}/${total} done`);
  }

  function openCatalogue() {
    renderCatalogue();
    const d = $('lesson-dialog');
    if (!d.open) d.showModal();
    const first = d.querySelector('button[data-lesson].primary') || d.querySelector('button[data-lesson]');
    if (first) first.focus();
  }
  $('lesson-catalogue').addEventListener('click', openCatalogue);
  $('lesson-list').addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-lesson]');
    if (!b) return;
    $('lesson-dialog').close();
    startLesson(b.dataset.lesson);
  });

  // startLesson opens a lesson where the student left it.
  async function startLesson(id) {
    const e = L.catalogue.find((x) => x.id === id);
    if (!e) return;
    const l = L.progress.lessons[id];
    let step = 0;
    if (l && !isFinished(e)) step = Math.min(l.current, Math.max(0, (e.steps || 1) - 1));
    const err = await openLesson(id, step);
    if (err) app.showBanner('The lesson could not be opened.', err);
  }

  // ---- Opening a lesson

  async function fetchText(path) {
    const r = await fetch(path);
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r.text();
  }

  // openLesson opens lesson id at a step (0-based, or a step id) through
  // the simulator; it returns an error message, '' when it opened.
  async function openLesson(id, step, seed = '') {
    await L.loaded;
    const e = L.catalogue.find((x) => x.id === id);
    if (!e) {
      return L.catalogueError ? `the lessons could not be loaded: ${L.catalogueError}`
        : `no lesson "${id}" in this course (lessons: ${L.catalogue.map((x) => x.id).join(', ')})`;
    }
    let source;
    const scenarios = {};
    try {
      // The index names files as `smrlab lesson list` was given them: the
      // page serves them all from lessons/.
      source = await fetchText('lessons/' + encodeURIComponent(e.file.split('/').pop()));
      // A world named by scenario: its file, for the parser in Go.
      for (const m of source.matchAll(/^[ \t]*world[ \t]+scenario[ \t]+([\w.-]+)/gm)) {
        const name = m[1].replace(/\.scn$/, '');
        scenarios[name] = await fetchText(`scenarios/${encodeURIComponent(name)}.scn`);
      }
    } catch (err) {
      return `lesson ${id} could not be loaded: ${err.message}`;
    }
    app.setPlaying(false);
    if (!L.state) app.toast(`Opening the lesson “${e.title || e.id}”…`);
    const opts = {source, file: 'lessons/' + e.file.split('/').pop(), student: L.student, scenarios};
    if (typeof step === 'string') opts.stepId = step;
    else opts.step = step;
    // A class's lesson runs on the seed the room's server gives the seat.
    if (seed) opts.seed = seed;
    const res = await app.call('lessonOpen', JSON.stringify(opts));
    if (!res.ok) return app.cleanError(res.error);
    L.entry = e;
    L.finished = false;
    app.setSpeedValue(LESSON_SPEED);
    $('welcome').hidden = true;
    // The view drew the state (onView); focus its step for the keyboard.
    focusStep();
    return '';
  }

  // openFromURL opens ?lesson=ID&step=K (K 1-based or a step id); a bad
  // link shows what is wrong and leaves the lab and the progress as they
  // were. It returns whether a lesson opened.
  async function openFromURL(q) {
    const id = q.get('lesson') || '';
    const stepParam = q.get('step');
    let step = 0;
    if (stepParam !== null && stepParam !== '') {
      if (/^\d+$/.test(stepParam)) {
        step = +stepParam - 1;
        if (step < 0) {
          app.showBanner('This lesson link could not be opened.', `step=${stepParam}: steps count from 1.`);
          return false;
        }
      } else if (ID_RE.test(stepParam)) {
        step = stepParam;
      } else {
        app.showBanner('This lesson link could not be opened.', `step=${stepParam}: want a step number (1, 2, ...) or a step id.`);
        return false;
      }
    }
    await L.loaded;
    const e = L.catalogue.find((x) => x.id === id);
    if (e && typeof step === 'number' && e.steps && step >= e.steps) {
      app.showBanner('This lesson link could not be opened.',
        `step=${stepParam}: lesson "${id}" has ${e.steps} step${e.steps === 1 ? '' : 's'} (1 to ${e.steps}).`);
      return false;
    }
    const seed = q.get('seed') || '';
    if (seed && !/^\d{1,20}$/.test(seed)) {
      app.showBanner('This lesson link could not be opened.', `seed=${seed}: want a whole number.`);
      return false;
    }
    const err = await openLesson(id, step, seed);
    if (err) {
      app.showBanner('This lesson link could not be opened.', err);
      return false;
    }
    return true;
  }

  function setURL(st) {
    const q = new URLSearchParams({lesson: st.lesson, step: String(st.step + 1)});
    // A lesson in a class keeps its class in the address (a reload rejoins it).
    const cls = new URLSearchParams(location.search).get('class');
    if (cls) q.set('class', cls);
    const url = location.pathname + '?' + q.toString();
    if (location.search !== '?' + q.toString()) history.replaceState(null, '', url);
  }

  async function closeLesson() {
    countWall();
    save();
    const res = await app.call('lessonClose');
    if (!res.ok) return showStatus('✖ ' + app.cleanError(res.error), 'error');
    history.replaceState(null, '', location.pathname);
    $('lessons').focus();
  }
  $('lesson-exit').addEventListener('click', closeLesson);

  // ---- The step's buttons

  async function lessonCall(fn, ...args) {
    const res = await app.call(fn, ...args);
    // (waiting: a class's held prediction took the answer to the room)
    if (!res.ok && !res.panic) showStatus((res.waiting ? '⏳ ' : '✖ ') + app.cleanError(res.error), res.waiting ? 'ok' : 'error');
    return res;
  }

  $('lesson-choices').addEventListener('click', async (ev) => {
    const b = ev.target.closest('button[data-choice]');
    if (!b || b.disabled) return;
    const res = await lessonCall('lessonAnswer', b.dataset.choice);
    if (res.ok) {
      showStatus('✓ Answered: the controls are unlocked. Now run it and see.', 'ok');
      autoPlay();
    }
  });
  $('lesson-hint').addEventListener('click', async () => {
    const res = await lessonCall('lessonHint');
    if (res.ok) {
      const items = $('lesson-hints').querySelectorAll('li');
      if (items.length) items[items.length - 1].focus();
    }
  });
  $('lesson-reset').addEventListener('click', async () => {
    app.setPlaying(false);
    const res = await lessonCall('lessonReset');
    if (res.ok) {
      showStatus('↺ The step starts again from its start.', 'ok');
      autoPlay();
    }
  });
  $('lesson-showme').addEventListener('click', async () => {
    app.setPlaying(false);
    const res = await lessonCall('lessonShowMe');
    if (res.ok) showStatus('▶ The solution was played from the step\'s start: this step is marked as shown.', 'ok');
  });
  $('lesson-next').addEventListener('click', async () => {
    const st = L.state;
    if (!st || !st.done) return;
    if (st.last) {
      L.finished = true;
      lessonProgress(st.lesson).finished = true;
      save();
      app.setPlaying(false);
      renderDone(st);
      return;
    }
    app.setPlaying(false);
    const res = await lessonCall('lessonNext');
    if (res.ok) {
      focusStep();
      autoPlay();
    }
  });

  // autoPlay runs the clock for a step that offers no Play button of its
  // own (and is not waiting for a prediction): time passes by itself.
  function autoPlay() {
    const st = L.state;
    if (st && !st.locked && !st.done && !offers('play') && !offers('next-step') && !offers('step')) app.setPlaying(true);
  }

  function focusStep() {
    requestAnimationFrame(() => $('lesson-step-title').focus({preventScroll: false}));
  }

  function showStatus(text, kind) {
    app.showStatus($('lesson-status'), text, kind);
  }

  // ---- Controls: what the step offers, and the lock

  // A lesson that hides its bug toggles ("find the bug") offers neither the
  // bugs nor the scenario controls, nor share and exports (they carry them).
  function offers(ctl) {
    if (L.state && L.state.hideBugs && (ctl === 'bugs' || ctl === 'scenario')) return false;
    return !L.offered || L.offered.has('all') || L.offered.has(ctl);
  }
  app.offers = offers;

  // lessonRefuses says why the step does not let the student take an action
  // ('' when it does), by the control of its verb, or by from, the control
  // it came from (the next-step panel takes crashes and proposals too).
  app.lessonRefuses = (text, from) => {
    if (!L.state) return '';
    if (L.locked) return 'Answer the prediction first: the controls unlock when you have chosen.';
    const verb = String(text).trim().split(/\s+/)[0];
    const ctl = from || VERB_CONTROL[verb];
    if (ctl && !offers(ctl) && !offers('command')) {
      return `This step does not use "${verb}": see the step's goal.`;
    }
    return '';
  };

  // lessonControls shows the offered controls under root and disables them
  // all while the prediction waits.
  function applyControls(root) {
    const lesson = !!L.state;
    for (const el of root.querySelectorAll('[data-ctl]')) {
      const names = el.dataset.ctl.split(' ');
      const on = !lesson || names.some(offers);
      el.classList.toggle('ctl-on', on);
    }
    applyLock(root);
  }
  app.lessonControls = applyControls;

  const INTERACTIVE = 'button, input, select, textarea';
  let anyLocked = false; // some control carries the lock now
  function applyLock(root) {
    const lock = !!L.state && L.locked;
    if (!lock && !anyLocked) return;
    if (root === document) anyLocked = lock;
    else if (lock) anyLocked = true;
    for (const el of root.querySelectorAll('[data-ctl]')) {
      const targets = el.matches(INTERACTIVE) ? [el] : [...el.querySelectorAll(INTERACTIVE)];
      for (const t of targets) {
        if (lock) {
          if (!t.disabled) {
            t.disabled = true;
            t.dataset.lessonLocked = '1';
          }
        } else if (t.dataset.lessonLocked) {
          t.disabled = false;
          delete t.dataset.lessonLocked;
        }
      }
    }
  }
  app.lessonLock = () => applyLock(document);
  app.lessonLocked = () => !!L.state && L.locked;

  // ---- Drawing the state

  // onView takes the lesson state a view carries (undefined: no lesson).
  app.onLessonView = (st) => {
    if (!st) {
      if (L.state) leave();
      return;
    }
    record(st);
    // The time in the step changes at every frame: it alone redraws nothing.
    const key = JSON.stringify({...st, elapsed: 0});
    if (key === L.key) return;
    L.key = key;
    const first = !L.state;
    const newStep = first || L.state.lesson !== st.lesson || L.state.step !== st.step;
    if (newStep) {
      countWall();
      L.finished = false;
    }
    const wasDone = L.state && !newStep && L.state.done;
    L.state = st;
    if (!L.entry || L.entry.id !== st.lesson) L.entry = L.catalogue.find((x) => x.id === st.lesson) || {id: st.lesson, title: st.title};
    render(st, newStep);
    if (first) document.body.dataset.lesson = st.lesson;
    if (newStep) {
      setURL(st);
      app.syncHeader();
    }
    if (st.done && !wasDone && !newStep) {
      showStatus(st.last ? '✓ Every goal is met: press Finish.' : '✓ Every goal is met: press Next for the next step.', 'ok');
      if (!offers('play')) app.setPlaying(false);
    }
  };

  function leave() {
    countWall();
    save();
    L.state = null;
    L.key = '';
    L.offered = null;
    L.locked = false;
    L.ctlKey = '';
    L.entry = null;
    delete document.body.dataset.lesson;
    $('lesson-panel').hidden = true;
    applyControls(document);
    app.setHighlights(null);
    renderCatalogue();
  }

  function render(st, newStep) {
    $('lesson-panel').hidden = false;
    const ctlKey = `${(st.controls || []).join(' ')}|${!!st.locked}|${!!st.hideBugs}`;
    if (newStep || ctlKey !== L.ctlKey) {
      L.ctlKey = ctlKey;
      L.offered = new Set(st.controls && st.controls.length ? st.controls : ['all']);
      L.locked = !!st.locked;
      applyControls(document);
    }
    document.body.dataset.locked = String(L.locked);
    const e = L.entry || {};
    const order = L.catalogue.indexOf(e);
    setText($('lesson-kicker'), `${order >= 0 ? `Lesson ${order + 1}` : 'Lesson'}${e.minutes ? ` · ${e.minutes} min` : ''}` +
      ` · step ${st.step + 1} of ${st.steps}`);
    setText($('lesson-title'), st.title || e.title || st.lesson);
    setText($('lesson-question'), e.question || '');
    $('lesson-question').hidden = !e.question;
    renderDots(st);
    if (newStep) {
      setText($('lesson-step-title'), st.stepTitle || st.stepId);
      const n = $('lesson-narration');
      n.innerHTML = st.narration || '';
      for (const a of n.querySelectorAll('a[href]')) {
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
      }
      $('lesson-status').textContent = '';
    }
    renderPrediction(st);
    renderGoals(st);
    renderHints(st);
    if (L.finished) renderDone(st);
    else $('lesson-done').hidden = true;
    const next = $('lesson-next');
    next.disabled = !st.done;
    setText(next, st.last ? '✓ Finish' : 'Next →');
    next.title = st.done ? '' : 'Offered once every goal is met';
    $('lesson-showme').disabled = false;
    app.setHighlights(highlightsOf(st), newStep);
  }

  function renderDots(st) {
    const html = Array.from({length: st.steps}, (_, i) => {
      const state = i === st.step ? 'current' : i < st.step ? 'done' : 'todo';
      return `<li data-state="${state}"><span class="visually-hidden">Step ${i + 1}${state === 'current' ? ' (this one)'
        : state === 'done' ? ' (done)' : ''}</span></li>`;
    }).join('');
    const el = $('lesson-dots');
    if (el.innerHTML !== html) el.innerHTML = html;
  }

  function renderPrediction(st) {
    const pr = st.prediction;
    const box = $('lesson-predict');
    box.hidden = !pr;
    if (!pr) return;
    setText($('lesson-predict-q'), pr.question);
    const choices = pr.choices || [];
    const html = choices.map((c) => {
      const chosen = pr.chosen === c.id;
      let mark = '';
      if (pr.revealed && c.id === pr.answer) mark = ' data-right="true"';
      else if (pr.revealed && chosen) mark = ' data-right="false"';
      return `<button type="button" class="choice" data-choice="${escapeHTML(c.id)}" data-testid="choice-${escapeHTML(c.id)}"` +
        ` aria-pressed="${chosen}"${mark}${pr.answered ? ' disabled' : ''}><b>${escapeHTML(c.id)}</b> <span>${escapeHTML(c.text)}</span></button>`;
    }).join('');
    const el = $('lesson-choices');
    if (el.dataset.key !== html) {
      const had = el.contains(document.activeElement);
      el.innerHTML = html;
      el.dataset.key = html;
      // The buttons are disabled once answered: keep the keyboard's place.
      if (had) $('lesson-predict-note').focus();
    }
    let note;
    if (!pr.answered) {
      note = '<p class="lock-note">Locked: the run controls wait until you choose an answer.</p>';
    } else if (!pr.revealed) {
      note = `<p>You chose <b>${escapeHTML(pr.chosen)}</b>. Now run the step: the cluster will tell.</p>`;
    } else {
      const right = !!pr.right;
      note = `<p class="verdict" data-right="${right}">${right ? '✓ Right' : '✗ Not quite'}: the answer is <b>${escapeHTML(pr.answer)}</b>.</p>` +
        (pr.explain ? `<p>${escapeHTML(pr.explain)}</p>` : '');
    }
    if (pr.when) {
      note += `<p class="when muted small">What the run must show: ${escapeHTML(pr.when.label || '')}` +
        ` <span class="goal-state" data-state="${escapeHTML(pr.when.state || '')}">${stateWord(pr.when.state)}</span></p>`;
    }
    const ne = $('lesson-predict-note');
    if (ne.innerHTML !== note) ne.innerHTML = note;
  }

  function stateWord(s) {
    return s === 'met' ? '✓ met' : s === 'failed' ? '✗ failed' : '… not yet';
  }

  function renderGoals(st) {
    const html = (st.goals || []).map((g, i) => {
      const s = g.state === 'met' || g.state === 'failed' ? g.state : 'not-yet';
      const icon = s === 'met' ? '✓' : s === 'failed' ? '✗' : '○';
      const word = s === 'met' ? 'met' : s === 'failed' ? 'failed' : 'not yet';
      const why = s !== 'met' && g.why ? `<span class="goal-why">${escapeHTML(g.why)}</span>` : '';
      return `<li class="goal" data-state="${s}" data-testid="goal-${i + 1}"><span class="goal-icon" aria-hidden="true">${icon}</span>` +
        `<span class="goal-text"><span class="goal-label">${escapeHTML(g.label)}</span>` +
        `<span class="visually-hidden">: ${word}.</span>${why}</span></li>`;
    }).join('');
    const el = $('lesson-goals');
    if (el.innerHTML !== html) {
      const changed = el.innerHTML !== '' && el.dataset.step === st.stepId;
      el.innerHTML = html;
      el.dataset.step = st.stepId;
      // A goal changed state as the run went on: bring the checklist into
      // view, so the student sees it turn green.
      if (changed) el.scrollIntoView({block: 'nearest'});
    }
  }

  function renderHints(st) {
    const hints = st.hints || [];
    const html = hints.map((h, i) => `<li tabindex="-1" data-testid="hint-${i + 1}">${escapeHTML(h.text || h)}</li>`).join('');
    const el = $('lesson-hints');
    if (el.innerHTML !== html) el.innerHTML = html;
    el.hidden = !hints.length;
    const b = $('lesson-hint');
    const left = st.hintsLeft || 0;
    b.hidden = left === 0 && !hints.length ? true : false;
    b.disabled = !(left > 0 && st.nextHint === 'now');
    setText(b, `${hints.length ? 'Another hint' : 'Hint'}${left ? ` (${left} left)` : ''}`);
    let note = '';
    if (left === 0) note = hints.length ? 'No more hints: “Show me” plays the solution.' : '';
    else if (st.nextHint !== 'now') note = `The next hint unlocks ${readableTimes(st.nextHint || 'later')}.`;
    setText($('lesson-hint-note'), note);
  }

  // readableTimes writes Go's exact durations ("2159500us") as a student
  // reads them ("2.16 s").
  function readableTimes(text) {
    const unit = {us: 1, ms: 1000, s: 1e6};
    return text.replace(/\b(\d+)(us|ms|s)\b/g, (_, n, u) => span(+n * unit[u]));
  }

  function renderDone(st) {
    const el = $('lesson-done');
    const i = L.catalogue.findIndex((x) => x.id === st.lesson);
    const next = i >= 0 ? L.catalogue.slice(i + 1).find((x) => !isFinished(x)) || L.catalogue[i + 1] : null;
    const lp = L.progress.lessons[st.lesson] || {steps: {}};
    const steps = Object.values(lp.steps);
    const shown = steps.filter((s) => s.assisted).length;
    const hints = steps.reduce((n, s) => n + s.hints, 0);
    const virt = steps.reduce((n, s) => n + s.virtualUs, 0);
    el.innerHTML = `<h3>✓ Lesson complete</h3><p>${st.steps} step${st.steps === 1 ? '' : 's'}, ${hints} hint${hints === 1 ? '' : 's'}` +
      `${shown ? `, ${shown} shown` : ''}, ${seconds(virt, 1)} of virtual time.</p>` +
      (next ? `<button type="button" class="primary" data-testid="lesson-next-lesson" data-lesson="${escapeHTML(next.id)}">` +
        `Next lesson: ${escapeHTML(next.title || next.id)}</button>` : '<p>That was the last lesson of the course.</p>');
    el.hidden = false;
    const b = el.querySelector('button[data-lesson]');
    if (b) {
      b.onclick = () => startLesson(b.dataset.lesson);
      b.focus();
    }
    renderCatalogue();
  }

  // highlightsOf reads the step's highlights: leader, server SN, log SN
  // [INDEX], panel NAME (as words or as objects).
  function highlightsOf(st) {
    const out = {servers: new Set(), leader: false, logs: [], panels: new Set()};
    for (const h of st.highlights || []) {
      const words = typeof h === 'string' ? h.trim().split(/\s+/) : [h.kind, h.server ? `S${h.server}` : h.panel || '', h.index || ''];
      const [kind, arg, idx] = words;
      const id = /^S(\d+)$/.exec(arg || '');
      if (kind === 'leader') out.leader = true;
      else if (kind === 'server' && id) out.servers.add(+id[1]);
      else if (kind === 'log' && id) out.logs.push({id: +id[1], index: idx ? +idx : 0});
      else if (kind === 'panel' && PANELS[arg]) out.panels.add(PANELS[arg]);
    }
    return out;
  }

  // ---- Progress files

  $('progress-export').addEventListener('click', () => {
    countWall();
    save();
    const day = new Date().toISOString().slice(0, 10);
    app.download(JSON.stringify(L.progress, null, 2), `smrlab-progress-${L.student}-${day}.json`, 'application/json');
    app.showStatus($('progress-status'), '✓ Progress exported: import it in another browser to go on there.', 'ok');
  });
  $('progress-import').addEventListener('change', async (ev) => {
    const f = ev.target.files && ev.target.files[0];
    ev.target.value = '';
    if (!f) return;
    const st = $('progress-status');
    if (f.size > PROGRESS_BYTES_MAX) {
      return app.showStatus(st, `✖ ${f.name}: ${f.size} bytes, over the limit of ${PROGRESS_BYTES_MAX} for a progress file.`, 'error');
    }
    let p;
    try {
      p = parseProgress(await f.text());
    } catch (e) {
      return app.showStatus(st, `✖ ${f.name}: ${e.message}. Nothing was changed.`, 'error');
    }
    L.progress = mergeProgress(L.progress, p);
    L.student = L.progress.student;
    storageSet(STUDENT_KEY, L.student);
    save();
    renderCatalogue();
    const n = Object.keys(p.lessons).length;
    app.showStatus(st, `✓ ${f.name}: progress of ${n} lesson${n === 1 ? '' : 's'} imported (student ${L.student}).`, 'ok');
  });

  await styled;
  // What course.js calls, and the test hooks (smrlabTest.progress,
  // student, lessons).
  return {
    openCatalogue,
    openFromURL,
    startNext: async () => {
      await L.loaded;
      const e = nextLesson();
      return e ? startLesson(e.id) : undefined;
    },
    progress: () => JSON.parse(JSON.stringify(L.progress)),
    student: () => L.student,
    catalogue: () => L.loaded,
  };
}
