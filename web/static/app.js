// smrlab's browser app: the entry module. The simulation runs in a Web
// Worker (worker.js, the Go WebAssembly build of core/lab); this page only
// draws the view model each call returns and turns clicks into actions.
//
// Test hooks, stable for the chromedp browser tests. data-testid values:
//   cluster (ring canvas; its aria-label sums it up), logs, lamport, lamport-window,
//   legend, loading, time, reached, last-event, speed, speed-label, scrubber,
//   play, pause, step-event, step-delivery, fork
//   select-S1..select-S9: server chips (aria-pressed, data-role, data-member:
//     voter, learner, joining, leaving or spare)
//   server-menu (popover after a click on a server): menu-crash, menu-restart,
//     menu-pause, menu-resume, menu-isolate, menu-campaign, menu-cut, menu-snapshot,
//     menu-add, menu-promote, menu-remove, menu-transfer (disabled when they make no sense)
//   server-panel (the selected server): server-crash, server-restart, server-pause,
//     server-resume, server-isolate, server-campaign, server-transfer, server-cut,
//     server-cut-oneway, server-snapshot, server-add, server-promote, server-remove,
//     server-status, server-details, server-receiving (a snapshot arriving),
//     progress-table (progress-snap-SN: a snapshot being sent to SN),
//     disk-off, disk-10x, disk-100x, clock-drift, clock-skew, clock-apply,
//     link-A-B (toggles the cut of the link SA -> SB)
//   config-panel: config-version (data-committed), config-sets (config-voters, or
//     config-old and config-new in a joint configuration; config-learners,
//     config-spares), config-quorum, config-changes, config-last (the latest
//     membership step), add-server, add-learner, replace-old, replace-new, replace,
//     snapshot-every, snapshot-every-set, snapshot-all, config-status
//   crash-leader, restart-crashed, partition, heal; action-status (their result)
//   partition-dialog: partition-group-A|B|C|Bridge, partition-S1.., preset-isolate-leader,
//     preset-leader-minority, preset-leader-majority, preset-three-way,
//     partition-halves, partition-apply, partition-cancel, partition-status
//   network-panel: net-loss, net-dup, net-reorder, net-latency-min, net-latency-max,
//     partition-open, heal-all, net-calm, net-status
//   client-panel: workload-state, workload-start, workload-stop, workload-rate,
//     workload-rate-set, write-key, write-value, write, client-status,
//     read-mode (select: log, index, lease, stale; sets every server), read-modes
//     (data-modes: each server's mode, comma-separated), read-mode-help,
//     max-uncommitted, max-pending, admission-set, reads-status
//   nemesis-panel: nemesis-NAME (checkboxes), nemesis-duration (seconds),
//     nemesis-every (like 300ms..1500ms), nemesis-start, nemesis-none, nemesis-status
//   status-panel: invariants-light (data-state wait|ok|violation), violation-text,
//     jump-violation, linear-light (data-state none|ok|unknown|violation),
//     linear-detail, linear-text, jump-linear, liveness (data-state ok|stall),
//     leader-line, partition-info, nemesis-badges (nemesis-badge-NAME per active one)
//   metrics-panel: metric-leaders, metric-commit, metric-p99, metric-ops,
//     metric-ops-lost, metric-reads, metric-retries, metric-msgs, metric-dropped,
//     metric-rejected, metric-snapshots, metric-installs, metric-snapshot-failures,
//     metric-membership (each with its exported name, like leader_changes_per_minute,
//     in a .m-name caption)
//   events (li.ev-KIND; nemesis faults also .ev-nemesis), events-filter; act-input, act-submit, act-status, actions-list
//   steps-panel (shown under the manual scheduler): steps (data-actions: the number of
//     actions taken when its steps were drawn), steps-note, steps-status,
//     step-VERB-ARG per next step (step-deliver-m7, step-campaign-S2, step-propose-S1-x-1)
//   scenario-picker, seed, bugs-picker (checkboxes bug-NAME), open, new-seed
//   share, export-recording, export-scenario, export-trace, export-jsonl, export-perfetto,
//     export-edn, export-shiviz, export-porcupine, export-timeline, import-file,
//   file-status ("reproduced: same state hash ..."), toast
//   error-banner, banner-download (the recording of a panicked run), banner-close
//   help, help-dialog, help-close
//
// window.smrlabTest:
//   ready           Promise resolved once the first cluster is drawn
//   firstDrawAt     performance.now() at that first draw
//   view()          the latest parsed view model
//   call(fn, ...a)  a raw worker call, resolving to res; views it returns are drawn
//   stateHash()     Promise of the state hash (hex)
//   leader()        the leader's id (the highest term's if several), or 0
//   frameTimes()    the last 600 frame costs in ms (view parsing + drawing)
//   frameParts()    the same frames' parts in ms: {parse, ingest (history), ring, logs,
//                   lamport, panels, total, bytes (of the views parsed)}, and per
//                   answered frame call: waits() {ms from post to answer, bytes}
//   playing(), play(), pause(), setSpeed(x)   drive the clock
//   idle()          Promise resolved when no call is in flight; busy(): ms waited
//   serverXY(id)    {x, y, r, spare}: a server's centre on the page, to click it
//   logRows()       what the logs panel drew last, per server: {id, snapshot (the
//                   snapshot block's text, '' if none), first, last} (retained entries)
//   drawnChunks()   the labels of the last 50 InstallSnapshot messages the ring drew
//                   ("chunk 0–64 of 360 B", "got 64 of 360 B")
//   simulatePanic() shows the banner as a panicking call would
//   lesson()        the open lesson's state (view.lesson), null when none
//   progress(), student()   Promises of the lesson progress kept in localStorage and
//                   the student's id (they load the lesson player)
//   lessons()       Promise of the course's catalogue (lessons/index.json)
//   room()          in a classroom room (?room=CODE): the room's state (room.js), else null;
//                   roomForgeSession(text) takes an action on this screen only,
//                   roomForgeSyncs(n, text) does so after each of the next n syncs,
//                   roomResync() asks for a sync, roomDropSocket() drops the websocket
// The course's, the lesson player's and the room's hooks are listed at the top of
// course.js, lesson.js and room-ui.js.

import {createLab} from './lab.js';
import {roomParams} from './room.js';
import {roomControl, setupRoom} from './room-ui.js';
import {History} from './history.js';
import {ClusterDrawer, cutSet, partitionSides} from './draw-cluster.js';
import {drawLogs} from './draw-logs.js';
import {drawLamport} from './lamport.js';
import {buildMetrics, memberActions, renderActions, renderChips, renderEvents, renderMetrics, renderServer, renderStatus,
  resetEvents, resetServerPanel} from './panels.js';
import {majority, renderConfig, resetConfigPanel, setupMembership} from './membership.js';
import {setupPartition} from './partition.js';
import {renderLinear, resetClientsPanel, setupClientControls, syncClientControls} from './clients.js';
import {buildLegend} from './legend.js';
import {installKeys} from './keys.js';
import {renderSteps, setupSteps} from './steps.js';
import {setupCourse} from './course.js';
import {SIDE_NAME} from './palette.js';
import {escapeHTML, onCanvasResize, pct, seconds, setAttr, setText} from './fmt.js';

const $ = (id) => document.getElementById(id);

const SPEEDS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100];
const DEFAULT_SPEED = 5; // 1/20 of real time: a 10 ms message takes 0.2 s to cross
// FRAME_US_MAX caps the virtual time one frame may ask for; REAL_MS_MAX
// caps the real time one frame accounts for (after a stall or a busy worker).
const FRAME_US_MAX = 2_000_000;
const REAL_MS_MAX = 100;
const PANELS_EVERY_MS = 120;
const FRAME_TIMES_MAX = 600;
const VIEW_FNS = new Set(['open', 'frame', 'view', 'step', 'act', 'goto', 'fork',
  'lessonOpen', 'lessonAnswer', 'lessonHint', 'lessonReset', 'lessonShowMe', 'lessonNext', 'lessonClose', 'lessonApply', 'lessonReveal']);
// The calls that open a new session: the page starts its history afresh.
const FRESH_FNS = new Set(['open', 'lessonOpen']);

// ---- State

const app = {
  view: null,
  selected: 0,
  hover: 0,
  pick: null,
  playing: false,
  speedIndex: DEFAULT_SPEED,
  scenarioFile: '', // the open scenario's file, '' for the default cluster
  index: [],
  dirty: true,
  panelsDirty: true,
};

const hist = new History();
let worker = window.smrlabWorker;
if (!worker) {
  try {
    worker = new Worker('worker.js');
  } catch (e) {
    worker = null;
  }
}
const ownLab = worker ? createLab(worker, (msg) => showBanner('The simulator failed to start.', msg)) : null;
// In a classroom room (?room=CODE) the room's lab stands in for the page's
// own: the same calls, answered by the room (room.js).
const roomMode = roomParams();
const room = roomMode ? setupRoom(app, roomMode, ownLab) : null;
const lab = room ? room.lab : ownLab;
const cluster = new ClusterDrawer($('cluster'));
let partition;

let logRows = [];
let resolveReady;
const ready = new Promise((r) => (resolveReady = r));
let firstDrawAt = 0;
const frameTimes = [];
let ingestMs = 0;
// What each drawn frame spent where (smrlabTest.frameParts), and how long
// each frame call waited for the worker (smrlabTest.waits).
const frameParts = [];
const waits = [];
let parseMs = 0, ingestBytes = 0;

// ---- Calls

async function call(fn, ...args) {
  if (app.classCall) {
    // A lesson in a class (class-student.js) answers some calls itself:
    // hints are asked of the teacher's room, held answers wait for the class.
    const res = await app.classCall(fn, args);
    if (res) return res;
  }
  return callLab(fn, ...args);
}

async function callLab(fn, ...args) {
  if (!lab) return {ok: false, error: 'Web Workers are not available in this browser'};
  const sent = performance.now();
  const res = await lab.call(fn, ...args);
  if (fn === 'frame' && typeof res.value === 'string') {
    waits.push({ms: performance.now() - sent, bytes: res.value.length});
    if (waits.length > FRAME_TIMES_MAX) waits.splice(0, waits.length - FRAME_TIMES_MAX);
  }
  if (res.panic) showPanic(res);
  if (res.ok) {
    if (VIEW_FNS.has(fn) && typeof res.value === 'string') ingestJSON(res.value, FRESH_FNS.has(fn));
    else if (fn === 'importTrace' && res.value && res.value.view) ingestJSON(res.value.view, true);
    if (app.afterCall) app.afterCall(fn, res);
  }
  return res;
}

function ingestJSON(json, fresh) {
  const t0 = performance.now();
  let v;
  try {
    v = JSON.parse(json);
  } catch (e) {
    showBanner('The simulator sent a view the page cannot read.', String(e));
    return;
  }
  parseMs += performance.now() - t0;
  ingestBytes += json.length;
  // Another world (a lesson's step may start one): start afresh too.
  const was = app.view;
  if (was && (v.scenario !== was.scenario || v.seed !== was.seed || v.servers.length !== was.servers.length ||
    (v.lesson && was.lesson && v.lesson.world !== was.lesson.world))) fresh = true;
  if (fresh) {
    app.scenarioFile = '';
    hist.clear();
    resetServerPanel();
    resetConfigPanel();
    resetEvents();
    resetClientsPanel();
    // The cluster's size as opened: its members, not the spare machines.
    app.members = v.servers.filter((s) => s.member !== 'spare').length || v.servers.length;
    if (app.view && app.view.servers.length !== v.servers.length) app.selected = 0;
  }
  hist.ingest(v, performance.now());
  app.view = v;
  if (fresh) syncHeader();
  if (app.onLessonView) app.onLessonView(v.lesson);
  app.dirty = true;
  app.panelsDirty = true;
  if (app.playing && (v.stopped || v.now >= v.end)) setPlaying(false);
  ingestMs += performance.now() - t0;
}

// cleanError drops the parser's position in the text the page built
// ("action:1:19: ...") that would mean nothing to the user.
function cleanError(err) {
  return String(err || 'unknown error').replace(/^action:\d+:\d+:\s*/, '');
}

// fail shows a failed call's error where the user acted.
function fail(el, res) {
  showStatus(el, '✖ ' + cleanError(res.error), 'error');
}

// actionNote is what the simulator said when it carried out an action (the
// note in parentheses of its event, like "2 step(s): add S6 as a learner,
// then promote S6 to voter"), from the events after seq.
function actionNote(seq) {
  let first = null; // the action's own event comes before what it set off
  for (let i = hist.events.length - 1; i >= 0; i--) {
    const e = hist.events[i];
    if (e.seq != null && e.seq <= seq) break;
    if (e.kind === 'action' || e.kind === 'member') first = e;
  }
  const m = first && /\((.*)\)\s*$/.exec(first.text || '');
  return m ? m[1] : '';
}

// A note that says the action found nothing to do (on every server it named).
const NOTHING_RE = /^no |is down$|is not |cannot|refused|nothing applied/;
const nothingDone = (note) => !!note && note.split('; ').every((part) => NOTHING_RE.test(part));

function showStatus(el, text, kind) {
  if (!el) return;
  el.textContent = text;
  el.dataset.kind = kind;
  clearTimeout(el._timer);
  if (kind === 'ok') el._timer = setTimeout(() => { if (el.textContent === text) el.textContent = ''; }, 6000);
}

// act takes one action now and reports where the user acted.
// from names the lesson control it came from, when not the action's own.
async function act(text, statusEl = $('action-status'), from = '') {
  if (!app.view) return false;
  const refused = app.lessonRefuses ? app.lessonRefuses(text, from) : '';
  if (refused) {
    showStatus(statusEl, '✖ ' + refused, 'error');
    return false;
  }
  const past = app.view.now < app.view.reached;
  const last = hist.events[hist.events.length - 1];
  const seq = last && last.seq != null ? last.seq : -1;
  const res = await call('act', text);
  if (!res.ok) {
    fail(statusEl, res);
    return false;
  }
  const note = actionNote(seq);
  const nothing = nothingDone(note);
  showStatus(statusEl, `${nothing ? '⚠' : '✓'} ${text} at ${seconds(app.view.now, 6)}${note ? ': ' + note : ''}` +
    (past ? ' — forked: the recorded future after this moment is gone' : ''), nothing ? 'warn' : 'ok');
  return true;
}
app.act = act;
app.ingest = (json, fresh) => ingestJSON(json, fresh);
app.showPanic = (res) => showPanic(res);
// showClock shows the room's clock on the time bar (room mode).
app.showClock = (playing, speed) => {
  app.playing = playing;
  setAttr($('play'), 'aria-pressed', String(playing));
  setAttr($('pause'), 'aria-pressed', String(!playing));
  document.body.dataset.playing = String(playing);
  let best = 0;
  SPEEDS.forEach((x, i) => { if (Math.abs(Math.log(x / speed)) < Math.abs(Math.log(SPEEDS[best] / speed))) best = i; });
  showSpeed(best);
};
app.syncHeader = () => syncHeader();
app.call = call;
app.callLab = callLab;
app.cleanError = cleanError;
app.showBanner = (title, msg, detail) => showBanner(title, msg, detail);
app.toast = (text) => toast(text);
app.download = (data, name, type) => download(data, name, type);
// setSpeedValue picks the speed nearest x times real time.
app.setSpeedValue = (x) => {
  let best = 0;
  SPEEDS.forEach((s, i) => { if (Math.abs(Math.log(s / x)) < Math.abs(Math.log(SPEEDS[best] / x))) best = i; });
  app.setSpeed(best);
  return SPEEDS[best];
};
// setHighlights marks what a lesson's step points at: servers and the
// leader on the ring, rows of the logs, panels (null: nothing); reveal
// scrolls the panels into view (at a step's start).
app.highlights = null;
app.setHighlights = (h, reveal = false) => {
  app.highlights = h;
  for (const el of document.querySelectorAll('.lesson-highlight')) el.classList.remove('lesson-highlight');
  // A new step with no panel to point at starts from the top of the panels.
  if (reveal && (!h || !h.panels.size)) document.querySelector('.side').scrollTop = 0;
  if (h) {
    for (const id of h.panels) {
      const el = $(id);
      if (!el) continue;
      el.classList.add('lesson-highlight');
      if (el.tagName === 'DETAILS') el.open = true;
      // (after the panels' next turn: the next-step panel shows only then)
      if (reveal) setTimeout(() => el.scrollIntoView({block: 'nearest'}), 250);
    }
  }
  app.dirty = true;
};
function highlightedServers(v) {
  const h = app.highlights;
  if (!h) return null;
  const ids = new Set(h.servers);
  if (h.leader) {
    const l = leaderOf(v);
    if (l) ids.add(l.id);
  }
  for (const r of h.logs) ids.add(r.id);
  return ids;
}
// advance runs the session forward by us virtual microseconds (drawn when it answers).
app.advance = (us) => call('frame', us);
app.goto = (t) => gotoThrottled(t);
app.setPlaying = (on) => setPlaying(on);
app.showStatus = showStatus;

app.onSelected = (fn) => {
  const s = app.view && app.view.servers.find((x) => x.id === app.selected);
  if (!s) {
    showStatus($('action-status'), 'Select a server first (click it, or press 1–9).', 'error');
    return;
  }
  act(fn(s.id, s), app.selected ? $('srv-status') || $('action-status') : $('action-status'));
};

// ---- Opening sessions

async function openSession(opts, {paused = false, file = ''} = {}) {
  setPlaying(false);
  const res = await call('open', JSON.stringify(opts));
  if (!res.ok) {
    showBanner(opts.share ? 'This shared link could not be opened.' : 'The scenario could not be opened.', cleanError(res.error));
    return false;
  }
  app.scenarioFile = file;
  syncHeader();
  setPlaying(!paused);
  return true;
}

async function fetchScenario(file) {
  if (!/^[\w.-]+\.scn$/.test(file)) throw new Error(`"${file}" is not a scenario file name`);
  const r = await fetch('scenarios/' + encodeURIComponent(file));
  if (!r.ok) throw new Error(`scenarios/${file}: HTTP ${r.status}`);
  return r.text();
}

async function openScenario(file, seed, bugs, {updateURL = true} = {}) {
  let src = '';
  if (file && file.startsWith('@')) {
    // The default cluster with another number of servers.
    const servers = Number(file.slice(1));
    const ok = await openSession({servers, seed: seed || '', bugs}, {file: ''});
    if (ok && updateURL) {
      const q = new URLSearchParams({servers: String(servers)});
      if (seed) q.set('seed', seed);
      if (bugs && bugs.length) q.set('bugs', bugs.join(','));
      history.replaceState(null, '', location.pathname + '?' + q.toString());
    }
    return ok;
  }
  if (file) {
    try {
      src = await fetchScenario(file);
    } catch (e) {
      showBanner('The scenario could not be loaded.', e.message);
      return false;
    }
  }
  const ok = await openSession({scenario: src, file, seed: seed || '', bugs}, {file});
  if (ok && updateURL) {
    const q = new URLSearchParams();
    if (file) q.set('scenario', file);
    if (seed) q.set('seed', seed);
    if (bugs && bugs.length) q.set('bugs', bugs.join(','));
    const qs = q.toString();
    history.replaceState(null, '', location.pathname + (qs ? '?' + qs : ''));
  }
  return ok;
}

function selectedBugs() {
  return [...document.querySelectorAll('#bugs-list input[type=checkbox]:checked')].map((c) => c.value);
}

function reopenFromHeader() {
  const file = $('scenario-picker').value;
  if (file === '__other') {
    fileStatus('✖ This run came from a link or a file: pick a scenario from the list to reopen with another seed or bugs.', 'error');
    return Promise.resolve(false);
  }
  return openScenario(file, $('seed').value.trim(), selectedBugs());
}

function syncHeader() {
  const v = app.view;
  if (!v) return;
  $('seed').value = v.seed;
  const pick = $('scenario-picker');
  let other = pick.querySelector('option[value="__other"]');
  const hit = app.scenarioFile ? app.index.find((s) => s.file === app.scenarioFile)
    : app.index.find((s) => s.name === v.scenario);
  if (hit || v.scenario === 'lab') {
    const n = app.members || v.servers.length;
    const size = n === 5 ? '' : '@' + n;
    pick.value = hit ? hit.file : size;
    if (other) other.remove();
  } else {
    // A run from a shared link or a file, not one of the list's.
    if (!other) {
      other = document.createElement('option');
      other.value = '__other';
      other.disabled = true;
      pick.append(other);
    }
    other.textContent = `${v.scenario} (from a link or file)`;
    pick.value = '__other';
  }
  const on = new Set(v.bugs && v.bugs !== 'none' ? v.bugs.split(',') : []);
  for (const c of document.querySelectorAll('#bugs-list input[type=checkbox]')) c.checked = on.has(c.value);
  setText($('bugs-count'), String(on.size));
  setAttr($('bugs-picker'), 'data-on', String(on.size > 0));
  const entry = app.index.find((s) => s.name === v.scenario);
  const spares = v.servers.length - (app.members || v.servers.length);
  const desc = v.scenario === 'lab' ? `${app.members || v.servers.length} servers` +
    `${spares > 0 ? ` and ${spares} spare machine${spares > 1 ? 's' : ''}` : ''}, PreVote and CheckQuorum on, two clients writing and reading.`
    : entry ? entry.description : '';
  const bugs = [...new Set([...on, ...(entry && entry.bugs ? entry.bugs.split(',') : [])])];
  if (v.lesson) {
    // A lesson names its world by the lesson, and keeps a hidden bug toggle
    // hidden unless the step offers the bugs control ("find the bug").
    const showBugs = !v.lesson.hideBugs;
    $('scenario-info').innerHTML = `<b>Lesson: ${escapeHTML(v.lesson.title || v.lesson.lesson)}</b> · seed ${v.seed}` +
      (showBugs && bugs.length ? ' · <span class="bugs">bug: ' + escapeHTML(bugs.join(', ')) + '</span>' : '');
    document.title = `smrlab — ${v.lesson.title || v.lesson.lesson}`;
    return;
  }
  $('scenario-info').innerHTML = `<b>${escapeHTML(v.scenario === 'lab' ? 'Default cluster' : v.scenario)}</b>` +
    ` · seed ${v.seed}${bugs.length ? ' · <span class="bugs">bug: ' + escapeHTML(bugs.join(', ')) + '</span>' : ''}` +
    (desc ? `<div class="desc">${escapeHTML(desc)}</div>` : '');
  document.title = `smrlab — ${v.scenario === 'lab' ? 'Raft, live' : v.scenario}`;
}

async function loadIndex() {
  try {
    const r = await fetch('scenarios/index.json');
    if (!r.ok) throw new Error('HTTP ' + r.status);
    const list = await r.json();
    if (!Array.isArray(list)) throw new Error('not a list');
    app.index = list.filter((s) => s && typeof s.file === 'string');
    // Two groups: scenarios that must run clean, and those with a bug toggle
    // that the checks must catch.
    const group = (label, list) => list.length ? `<optgroup label="${label}">` + list.map((s) =>
      `<option value="${escapeHTML(s.file)}" title="${escapeHTML(s.description || '')}">${escapeHTML(s.name || s.file)}` +
      `${s.servers ? ` (${s.servers} servers)` : ''}</option>`).join('') + '</optgroup>' : '';
    $('scenario-picker').insertAdjacentHTML('beforeend', group('Scenarios', app.index.filter((s) => !s.bugs)) +
      group('Bug toggles the checks must catch', app.index.filter((s) => s.bugs)));
    syncHeader();
  } catch (e) {
    const o = document.createElement('option');
    o.disabled = true;
    o.textContent = `(no scenario list: ${e.message})`;
    $('scenario-picker').append(o);
  }
}

async function loadBugs() {
  const res = await call('bugs');
  const list = $('bugs-list');
  if (!res.ok) {
    list.textContent = 'Bug toggles unavailable: ' + cleanError(res.error);
    return;
  }
  let bugs = [];
  try {
    bugs = JSON.parse(res.value) || [];
  } catch (e) {
    bugs = [];
  }
  list.innerHTML = '<p class="muted small">Each toggle brings back a classic Raft bug; the checks should catch it. ' +
    'Changing one reopens the scenario.</p>' + bugs.map((b) => {
    const n = escapeHTML(b.Name);
    return `<label class="bug"><input type="checkbox" value="${n}" data-testid="bug-${n}" aria-label="Bug toggle ${n}: ` +
      `${escapeHTML(b.Summary)}"> <span><b>${n}</b><br><span class="muted small">${escapeHTML(b.Summary)}. ` +
      `Caught by ${escapeHTML(b.CaughtBy)}. (${escapeHTML(b.Reference)})</span></span></label>`;
  }).join('');
  for (const c of list.querySelectorAll('input')) c.addEventListener('change', () => reopenFromHeader());
  syncHeader();
}

async function boot() {
  loadIndex();
  if (room) {
    setText($('loading'), `Joining room ${roomMode.code}…`);
    room.start();
    loadBugs();
    return;
  }
  const q = new URLSearchParams(location.search);
  if (q.has('class')) {
    // A lesson or a bug hunt in a class: the room says which, and on what seed.
    $('welcome').hidden = true;
    try {
      const m = await import('./class-student.js');
      // The free lab until the room says which lesson (or hunt) runs.
      await openSession({});
      if (await m.setupClassStudent(app, q)) {
        $('loading').hidden = true;
        loadBugs();
        return;
      }
    } catch (e) {
      showBanner('The class could not be joined.', String((e && e.message) || e));
    }
  }
  const bugs = (q.get('bugs') || '').split(',').filter(Boolean);
  const file = q.get('scenario') || '';
  // Ask for the scenario source now, while the wasm loads.
  const src = file ? fetchScenario(file).catch((e) => e) : null;
  let ok = false;
  if (q.has('lesson')) {
    ok = await app.openLessonFromURL(q);
    if (ok) {
      $('loading').hidden = true;
      loadBugs();
      return;
    }
  } else if (location.hash.startsWith('#r=')) {
    lastHash = location.hash;
    ok = await openSession({share: location.hash}, {paused: true});
    if (ok) toast(`Opened a shared run at ${seconds(app.view.now, 3)}. Press Play to go on.`);
  } else if (file) {
    const s = await src;
    if (s instanceof Error) showBanner('The scenario could not be loaded.', s.message);
    else ok = await openSession({scenario: s, file, seed: q.get('seed') || '', bugs}, {file});
  } else {
    ok = await openSession({seed: q.get('seed') || '', bugs, servers: Number(q.get('servers')) || 0});
  }
  if (!ok) ok = await openSession({});
  if (!ok) {
    setText($('loading'), 'The simulator could not start: see the message above.');
    return;
  }
  $('loading').hidden = true;
  loadBugs();
}

// ---- Time

// roomClock sends the teacher's play or pause to the room.
function roomClock(what) {
  if (roomMode.as !== 'teacher') {
    showStatus($('action-status'), '✖ The teacher controls the clock: this screen follows the room.', 'error');
    return;
  }
  roomControl(room, what).then((res) => { if (!res.ok) fail($('action-status'), res); });
}

function setPlaying(on) {
  if (room) return; // the room's clock decides (app.showClock)
  app.playing = !!on;
  lastFrameAt = performance.now();
  carryUs = 0;
  setAttr($('play'), 'aria-pressed', String(app.playing));
  setAttr($('pause'), 'aria-pressed', String(!app.playing));
  document.body.dataset.playing = String(app.playing);
}

// lockedNote tells the student why the run does not move (a lesson's
// prediction waits for an answer); '' when it may.
function lockedNote() {
  if (!(app.lessonLocked && app.lessonLocked())) return '';
  showStatus($('action-status'), 'Locked: answer the prediction first (in the lesson panel); the controls unlock when you have chosen.', 'error');
  return 'locked';
}

app.togglePlay = () => {
  if (room) return roomClock(app.playing ? 'pause' : 'play');
  if (!app.playing && lockedNote()) return;
  if (!app.playing && app.view && (app.view.stopped || app.view.now >= app.view.end)) {
    showStatus($('action-status'), app.view.violation ? 'The run stopped at the violation: drag the timeline back to replay it.'
      : 'This is the end of the scenario.', 'error');
    return;
  }
  setPlaying(!app.playing);
};

app.setSpeed = (i) => {
  if (room) {
    // The teacher's speed is the room's; the others cannot change it.
    if (roomMode.as !== 'teacher') return;
    const x = SPEEDS[Math.max(0, Math.min(SPEEDS.length - 1, i))];
    roomControl(room, 'speed', x).then((res) => { if (!res.ok) fail($('action-status'), res); });
    return;
  }
  showSpeed(i);
};

function showSpeed(i) {
  app.speedIndex = Math.max(0, Math.min(SPEEDS.length - 1, i));
  $('speed').value = String(app.speedIndex);
  const s = SPEEDS[app.speedIndex];
  const label = s < 1 ? `1/${Math.round(1 / s)}×` : `${s}×`;
  setText($('speed-label'), label);
  $('speed').setAttribute('aria-valuetext', `${label} real time`);
}

app.step = async (kind) => {
  setPlaying(false);
  if (!app.view || lockedNote()) return;
  const before = app.view.now, seen = hist.eventsVersion;
  const res = await call('step', kind);
  if (!res.ok) return fail($('action-status'), res);
  if (app.view.now === before && hist.eventsVersion === seen) {
    showStatus($('action-status'), app.view.violation ? 'The run stopped at the violation: nothing comes after it.'
      : `No ${kind === 'delivery' ? 'delivery' : 'event'} comes before the end of the scenario.`, 'error');
  }
};

app.back = (us) => {
  if (!app.view || lockedNote()) return;
  setPlaying(false);
  gotoThrottled(Math.max(0, app.view.now - us));
};

app.fork = async () => {
  if (!app.view || lockedNote()) return;
  const was = app.view.reached;
  const res = await call('fork');
  if (!res.ok) return fail($('action-status'), res);
  showStatus($('action-status'), was > app.view.now ? `✓ Forked at ${seconds(app.view.now, 6)}: the future after it is discarded. Act differently from here.`
    : '✓ Nothing to fork: you are at the newest moment of this run.', 'ok');
};

// goto: one call in flight at a time; while it runs, later targets replace
// each other and the newest is sent next.
let gotoTarget = null, gotoBusy = false;
function gotoThrottled(t) {
  gotoTarget = t;
  if (gotoBusy) return;
  pumpGoto();
}
async function pumpGoto() {
  while (gotoTarget != null) {
    const t = gotoTarget;
    gotoTarget = null;
    gotoBusy = true;
    const res = await call('goto', t);
    gotoBusy = false;
    if (!res.ok) fail($('action-status'), res);
  }
}

// ---- The frame loop

let lastFrameAt = performance.now();
let carryUs = 0;
let lastPanels = 0;
let scrubbing = false;
let lastAria = 0;
let lastTurn = ''; // what the last frame drew: 'canvases', 'panels' or ''

function loop() {
  requestAnimationFrame(loop);
  tick();
}

function tick() {
  const now = performance.now();
  const v = app.view;
  if (app.playing && app.lessonLocked && app.lessonLocked()) setPlaying(false);
  if (room) {
    // The room's clock drives the run: a frame call when it has work.
    if (!lab.busy && room.due()) {
      call('frame', 0).then((res) => {
        if (!res.ok && !res.panic) showBanner('The room\'s run could not advance on this screen.', cleanError(res.error));
      });
    }
  } else if (app.playing && v && lab && !lab.busy && !scrubbing) {
    const realMs = Math.min(now - lastFrameAt, REAL_MS_MAX);
    lastFrameAt = now;
    const want = realMs * 1000 * SPEEDS[app.speedIndex] + carryUs;
    const us = Math.min(Math.floor(want), FRAME_US_MAX);
    carryUs = us < FRAME_US_MAX ? want - us : 0;
    if (us >= 1) {
      call('frame', us).then((res) => {
        if (!res.ok && !res.panic) {
          setPlaying(false);
          showBanner('The simulation could not advance.', cleanError(res.error));
        }
      });
    }
  } else if (!app.playing) {
    lastFrameAt = now;
  }
  if (!v) return;

  const t0 = performance.now();
  const part = {ring: 0, logs: 0, lamport: 0, panels: 0};
  const flashes = hist.liveFlashes(now);
  let drew = false;
  // The canvases and the panels take turns: when both are due, a frame does
  // the one the frame before did not, so that no frame pays for both.
  let canvasesDue = app.dirty || flashes.length > 0 || !!app.pick || app.hoverDirty;
  let panelsDue = app.panelsDirty && now - lastPanels >= PANELS_EVERY_MS;
  if (canvasesDue && panelsDue && firstDrawAt) {
    if (lastTurn === 'canvases') canvasesDue = false;
    else panelsDue = false;
  }
  lastTurn = canvasesDue ? 'canvases' : panelsDue ? 'panels' : '';
  if (canvasesDue) {
    const violators = v.violation ? new Set(v.violation.nodes || []) : null;
    cluster.draw(v, {selected: app.selected, hover: app.hover, pick: app.pick, flashes, realNow: now, violators,
      highlight: highlightedServers(v), focus: app.focus || 0});
    app.hoverDirty = false;
    drew = true;
    part.ring = performance.now() - t0;
    if (!firstDrawAt) {
      firstDrawAt = performance.now();
      window.smrlabTest.firstDrawAt = firstDrawAt;
      resolveReady();
    }
  }
  if (canvasesDue && app.dirty) {
    let t1 = performance.now();
    if ($('logs-panel').open) logRows = drawLogs($('logs'), v, app.selected, app.highlights && app.highlights.logs);
    let t2 = performance.now();
    part.logs = t2 - t1;
    if ($('lamport-panel').open) drawLamport($('lamport'), v, hist, +$('lamport-window').value, app.selected);
    t1 = performance.now();
    part.lamport = t1 - t2;
    updateTimebar(v);
    app.dirty = false;
  }
  if (panelsDue) {
    lastPanels = now;
    app.panelsDirty = false;
    const t1 = performance.now();
    renderPanels(v);
    part.panels = performance.now() - t1;
    drew = true;
  }
  setBusy(lab && lab.busyFor() > 300);
  if (drew) {
    const total = performance.now() - t0 + ingestMs;
    frameTimes.push(total);
    frameParts.push({...part, parse: parseMs, ingest: ingestMs - parseMs, total, bytes: ingestBytes});
    ingestMs = parseMs = ingestBytes = 0;
    if (frameTimes.length > FRAME_TIMES_MAX) frameTimes.splice(0, frameTimes.length - FRAME_TIMES_MAX);
    if (frameParts.length > FRAME_TIMES_MAX) frameParts.splice(0, frameParts.length - FRAME_TIMES_MAX);
  }
  if (now - lastAria > 1000) {
    lastAria = now;
    describeCluster(v);
  }
}

function renderPanels(v) {
  renderChips(app, v);
  renderStatus(app, v);
  renderLinear(app, v);
  if ($('config-panel').open) renderConfig(app, v, hist);
  renderServer(app, v);
  if ($('metrics-panel').open) renderMetrics(app, v, hist);
  if ($('events-panel').open) renderEvents(app, hist);
  if ($('command-panel').open) renderActions(v);
  renderSteps(app, v);
  syncNet(v);
  syncClients(v);
  syncClientControls(v);
  renderPartitionInfo(v);
  renderRingNote(v);
  renderScrubMarks(v);
  const last = hist.events[hist.events.length - 1];
  setText($('last-event'), last ? `latest event · ${(last.t / 1e6).toFixed(6)} s · ${last.text}` : '');
  $('fork').disabled = !(v.now < v.reached);
  if (app.lessonLock) app.lessonLock();
}

function updateTimebar(v) {
  const s = (v.now / 1e6).toFixed(6);
  const [a, b] = s.split('.');
  const el = $('time');
  const text = `${a}.${b.slice(0, 3)}`;
  if (el.firstChild === null || el.dataset.t !== s) {
    el.dataset.t = s;
    el.innerHTML = `${text}<small>${b.slice(3)}</small> s`;
  }
  const sc = $('scrubber');
  if (!scrubbing) {
    if (+sc.max !== v.reached) sc.max = String(v.reached);
    if (+sc.value !== v.now) sc.value = String(v.now);
  }
  setAttr(sc, 'aria-valuetext', `${seconds(v.now, 3)} of ${seconds(v.reached, 3)} computed`);
  setText($('scrub-end'), `${seconds(v.reached, 2)}${v.reached > v.now ? ' recorded' : ''}`);
}

let marksKey = '';
function renderScrubMarks(v) {
  const vio = v.violation || v.branchViolation;
  const key = `${v.reached}|${vio ? vio.time : ''}|${(v.actions || []).length}`;
  if (key === marksKey) return;
  marksKey = key;
  const box = $('scrub-marks');
  const max = Math.max(1, v.reached);
  let html = '';
  for (const a of (v.actions || []).slice(-200)) {
    html += `<span class="mark act" style="left:${(100 * a.at) / max}%"></span>`;
  }
  if (vio) html += `<span class="mark bad" style="left:${(100 * vio.time) / max}%"></span>`;
  box.innerHTML = html;
}

function setBusy(on) {
  const el = $('busy');
  if (el.hidden === !on) return;
  el.hidden = !on;
}

function describeCluster(v) {
  const leaders = v.servers.filter((s) => s.up && s.role === 'leader');
  const down = v.servers.filter((s) => !s.up).map((s) => 'S' + s.id);
  const count = (m) => v.servers.filter((s) => s.member === m).length;
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const voters = v.servers.length - count('learner') - count('spare');
  const kinds = [plural(voters, 'voter')];
  if (count('learner')) kinds.push(plural(count('learner'), 'learner'));
  if (count('spare')) kinds.push(plural(count('spare'), 'spare machine'));
  const parts = [`${kinds.length > 1 ? kinds.slice(0, -1).join(', ') + ' and ' + kinds[kinds.length - 1] : kinds[0]}` +
    ` at ${seconds(v.now, 3)}`];
  if (v.config && v.config.joint) {
    parts.push(`joint configuration: C_old ${(v.config.oldVoters || []).map((id) => 'S' + id).join(',')}, ` +
      `C_new ${(v.config.voters || []).map((id) => 'S' + id).join(',')}`);
  }
  parts.push(leaders.length ? leaders.map((s) => `leader S${s.id} in term ${s.term}`).join(', ') : 'no leader');
  if (down.length) parts.push(`crashed: ${down.join(', ')}`);
  if ((v.cuts || []).length) parts.push(`${v.cuts.length} links cut`);
  parts.push(`${(v.flights || []).length} messages in flight`);
  setAttr($('cluster'), 'aria-label', 'The cluster: ' + parts.join('; '));
}

// renderRingNote explains the arcs of a joint configuration on the ring.
function renderRingNote(v) {
  const cfg = v.config || {};
  const el = $('ring-note');
  const set = (ids) => `{${(ids || []).map((id) => 'S' + id).join(',')}}`;
  const html = cfg.joint ? `<b>Joint configuration</b>: left arcs <span class="k-old">C_old</span> ${set(cfg.oldVoters)}, ` +
    `right arcs <span class="k-new">C_new</span> ${set(cfg.voters)}. A leader needs a majority of each.` : '';
  if (el.innerHTML !== html) el.innerHTML = html;
  el.hidden = !html;
}

function renderPartitionInfo(v) {
  const sides = partitionSides(v, cutSet(v.cuts));
  const el = $('partition-info');
  let text = '';
  if (sides.count > 1) {
    const up = new Set(v.servers.filter((s) => s.up).map((s) => s.id));
    text = 'Partitioned: ' + sides.groups.map((g, i) => {
      // A majority of the voters (of both sets in a joint configuration).
      const has = majority(v.config, g), live = majority(v.config, g.filter((id) => up.has(id)));
      const note = has ? (live ? ' majority' : ' majority, but not enough of it up') : '';
      return `${SIDE_NAME[i % SIDE_NAME.length]} {${g.map((id) => 'S' + id).join(' ')}}${note}`;
    }).join(' · ');
  } else if ((v.cuts || []).length) {
    const cut = cutSet(v.cuts);
    const both = [], one = [];
    for (const [a, b] of v.cuts) {
      if (cut.has(b * 16 + a)) {
        if (a < b) both.push(`S${a}–S${b}`);
      } else one.push(`S${a}↛S${b}`);
    }
    const parts = [];
    if (both.length) parts.push(`cut both ways: ${both.slice(0, 6).join(' ')}${both.length > 6 ? ' …' : ''}`);
    if (one.length) parts.push(`cut one way: ${one.slice(0, 6).join(' ')}${one.length > 6 ? ' …' : ''}`);
    text = 'Links ' + parts.join('; ');
  }
  const net = v.net || {};
  const bad = [];
  if (net.lossPPM) bad.push(`loss ${pct(net.lossPPM)}`);
  if (net.duplicatePPM) bad.push(`dup ${pct(net.duplicatePPM)}`);
  if (net.reorderPPM) bad.push(`reorder ${pct(net.reorderPPM)}`);
  if (bad.length) text += (text ? '\n' : '') + 'Network: ' + bad.join(', ');
  setText(el, text);
  el.hidden = !text;
}

// ---- Network and clients

const NET = [
  ['net-loss', (n) => n.lossPPM / 1e4, (x) => `${x}%`],
  ['net-dup', (n) => n.duplicatePPM / 1e4, (x) => `${x}%`],
  ['net-reorder', (n) => n.reorderPPM / 1e4, (x) => `${x}%`],
  ['net-lat-min', (n) => n.latencyMin / 1000, (x) => `${x} ms`],
  ['net-lat-max', (n) => n.latencyMax / 1000, (x) => `${x} ms`],
];
let netEditing = false;

function syncNet(v) {
  if (netEditing || !v.net) return;
  for (const [id, get, fmt] of NET) {
    const el = $(id);
    if (document.activeElement === el) continue;
    const x = get(v.net);
    if (+el.value !== Math.round(x)) el.value = String(Math.round(x));
    setText($(id + '-out'), fmt(+x.toFixed(2)));
  }
}

// netCommand sets only what the slider changed: the others keep their
// exact values (a latency of 97.5ms is not rounded by touching the loss).
function netCommand(id) {
  const key = {'net-loss': 'loss', 'net-dup': 'duplicate', 'net-reorder': 'reorder'}[id];
  if (key) return `net ${key}=${$(id).value}%`;
  const lo = +$('net-lat-min').value, hi = Math.max(lo, +$('net-lat-max').value);
  return `net latency=${lo === hi ? lo + 'ms' : `${lo}ms..${hi}ms`}`;
}

function setupNet() {
  for (const [id] of NET) {
    const el = $(id);
    el.addEventListener('input', () => {
      netEditing = true;
      if (id === 'net-lat-min' && +el.value > +$('net-lat-max').value) $('net-lat-max').value = el.value;
      if (id === 'net-lat-max' && +el.value < +$('net-lat-min').value) $('net-lat-min').value = el.value;
      for (const [j, , f] of NET) setText($(j + '-out'), f(+$(j).value));
    });
    el.addEventListener('change', async () => {
      await act(netCommand(id), $('net-status'));
      netEditing = false;
      app.panelsDirty = true;
    });
  }
  $('net-calm').addEventListener('click', () => act('net loss=0 duplicate=0 reorder=0', $('net-status')));
  $('net-heal').addEventListener('click', () => act('heal', $('net-status')));
  $('net-partition').addEventListener('click', () => partition.open());
}

function syncClients(v) {
  const w = v.workload || {};
  setText($('workload-state'), w.on ? `workload on · ${w.rate}/s · ${w.clients} clients · ${w.pending} pending`
    : `workload off · ${w.clients || 0} clients · ${w.pending || 0} pending`);
  setAttr($('workload-state'), 'data-on', String(!!w.on));
  $('wl-start').disabled = !!w.on;
  $('wl-stop').disabled = !w.on;
  const rate = $('wl-rate');
  if (document.activeElement !== rate && rate.value !== String(w.rate ?? '')) rate.value = String(w.rate ?? '');
}

function leaderOf(v) {
  let best = null;
  for (const s of (v && v.servers) || []) {
    if (s.up && s.role === 'leader' && (!best || s.term > best.term)) best = s;
  }
  return best;
}

function setupClients() {
  const st = $('client-status');
  $('wl-start').addEventListener('click', () => act('workload start', st));
  $('wl-stop').addEventListener('click', () => act('workload stop', st));
  $('wl-rate-set').addEventListener('click', () => {
    const n = Math.round(+$('wl-rate').value);
    if (!(n >= 0)) return showStatus(st, '✖ The rate is a whole number of operations per second.', 'error');
    act(`workload rate=${n}/s`, st);
  });
  $('write-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const k = $('write-key').value.trim(), val = $('write-value').value.trim();
    if (!k || !val || /\s/.test(k + val)) return showStatus(st, '✖ Give a key and a value without spaces.', 'error');
    const l = leaderOf(app.view);
    if (!l) return showStatus(st, '✖ No leader right now: wait for an election (watch the timer arcs), then try again.', 'error');
    act(`propose S${l.id} ${k}=${val}`, st);
  });
}

// ---- Cluster interaction

function canvasXY(ev) {
  const r = $('cluster').getBoundingClientRect();
  return [ev.clientX - r.left, ev.clientY - r.top];
}

app.select = (id, toggle) => {
  if (!app.view) return;
  if (id && !app.view.servers.some((s) => s.id === id)) return;
  app.selected = toggle && app.selected === id ? 0 : id;
  closeMenu();
  app.dirty = app.panelsDirty = true;
  if (app.selected) $('server-panel').open = true;
};

app.startPick = (from, oneWay) => {
  closeMenu();
  app.pick = {from, oneWay, x: 0, y: 0};
  const note = $('pick-note');
  note.textContent = `Click the server that S${from} should no longer reach${oneWay ? ' (one way)' : ' (both ways)'} — Esc to cancel`;
  note.hidden = false;
};

function endPick() {
  app.pick = null;
  $('pick-note').hidden = true;
  app.dirty = true;
}

app.escape = () => {
  if (app.pick) return endPick();
  if (!$('server-menu').hidden) return closeMenu();
  app.select(0);
};

function setupCanvas() {
  const c = $('cluster');
  c.addEventListener('pointermove', (ev) => {
    const [x, y] = canvasXY(ev);
    const id = cluster.hit(x, y);
    if (id !== app.hover) {
      app.hover = id;
      app.hoverDirty = true;
      c.style.cursor = id ? 'pointer' : '';
    }
    if (app.pick) {
      app.pick.x = x;
      app.pick.y = y;
    }
  });
  c.addEventListener('pointerleave', () => {
    app.hover = 0;
    app.hoverDirty = true;
  });
  c.addEventListener('click', (ev) => {
    const [x, y] = canvasXY(ev);
    const id = cluster.hit(x, y);
    if (app.pick) {
      const {from, oneWay} = app.pick;
      endPick();
      if (id && id !== from) act(`cut S${from} ${oneWay ? '->' : '<->'} S${id}`);
      return;
    }
    if (!id) {
      closeMenu();
      return;
    }
    app.select(id);
    openMenu(id);
  });
}

// The lesson control (data-ctl) each item of the ring's menu belongs to.
const MENU_CONTROL = {crash: 'crash', restart: 'restart', pause: 'crash', resume: 'crash', isolate: 'partition',
  campaign: 'transfer', cut: 'partition', snapshot: 'snapshot', add: 'membership', promote: 'membership',
  remove: 'membership', transfer: 'transfer'};

function openMenu(id) {
  const s = app.view.servers.find((q) => q.id === id);
  if (!s) return;
  const m = $('server-menu');
  const why = memberActions(s);
  const items = [
    ['crash', '✖ Crash', !s.up], ['restart', '↻ Restart', s.up], ['pause', '❚❚ Pause', !s.up || s.paused],
    ['resume', '▶ Resume', !s.paused], ['isolate', 'Isolate', false], ['campaign', 'Campaign (start an election)', !s.up],
    ['cut', '✂ Cut a link…', false], ['sep'],
    ['snapshot', '▣ Snapshot now', why.snapshot], ['add', '+ Add to the cluster', why.add],
    ['promote', '⇧ Promote to voter', why.promote], ['remove', '− Remove from the cluster', why.remove],
    ['transfer', '★ Make leader', why.transfer],
  ];
  const member = s.member && s.member !== 'voter' ? ` <span class="muted">${s.member}</span>` : '';
  m.innerHTML = `<div class="menu-title">S${id}${member}</div>` + items.map(([k, label, off]) => k === 'sep'
    ? '<hr class="menu-sep">'
    : `<button role="menuitem" data-k="${k}" data-testid="menu-${k}" ${off ? 'disabled' : ''}${typeof off === 'string' && off
      ? ` title="${escapeHTML(off)}"` : ''} aria-label="${label.replace(/^[^\w]+/, '')} S${id}">${label}</button>`).join('');
  for (const b of m.querySelectorAll('button')) {
    b.dataset.ctl = MENU_CONTROL[b.dataset.k] || '';
    b.onclick = () => {
      const k = b.dataset.k;
      closeMenu();
      if (k === 'cut') app.startPick(id, false);
      else act(`${k} S${id}`);
    };
  }
  if (app.lessonControls) app.lessonControls(m);
  m.hidden = false;
  const wrap = $('cluster-wrap').getBoundingClientRect();
  const mw = m.offsetWidth, mh = m.offsetHeight;
  const p = cluster.pos.get(id);
  let left = p.x + p.r + 18, top = p.y - mh / 2;
  if (left + mw > wrap.width - 8) left = p.x - p.r - 18 - mw;
  top = Math.max(8, Math.min(wrap.height - mh - 8, top));
  m.style.left = `${left}px`;
  m.style.top = `${top}px`;
  const first = m.querySelector('button:not([disabled])');
  if (first) first.focus({preventScroll: true});
}

function closeMenu() {
  const m = $('server-menu');
  if (!m.hidden) m.hidden = true;
}

// ---- Banner, toast, files

let bannerRecording = null;

function showBanner(title, msg, detail) {
  setText($('banner-title'), title);
  setText($('banner-msg'), msg || '');
  const d = $('banner-detail');
  d.textContent = detail || '';
  d.hidden = !detail;
  $('banner-download').hidden = !bannerRecording;
  $('error-banner').hidden = false;
}

function showPanic(res) {
  setPlaying(false);
  bannerRecording = res.recording || null;
  const err = String(res.error || 'internal error');
  const nl = err.indexOf('\n');
  showBanner(`The simulator hit an internal error${res.seed ? ` (seed ${res.seed})` : ''}.`,
    (nl > 0 ? err.slice(0, nl) : err) + (bannerRecording ? ' Download the trace to report it.' : ''),
    nl > 0 ? err.slice(nl + 1) : '');
}

function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(t._timer);
  t._timer = setTimeout(() => (t.hidden = true), 4000);
}

function download(data, filename, type) {
  const blob = data instanceof Blob ? data : new Blob([data], {type});
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function baseName() {
  const v = app.view;
  return `smrlab-${(v && v.scenario) || 'run'}-seed${v ? v.seed : 0}-t${v ? Math.round(v.now / 1000) : 0}ms`;
}

function fileStatus(text, kind) {
  showStatus($('file-status'), text, kind);
  $('file-status').title = text;
}

let lastHash = '';

function setupFiles() {
  $('share').addEventListener('click', async () => {
    const res = await call('share');
    if (!res.ok) return fail($('file-status'), res);
    const url = location.origin + location.pathname + '#' + res.value;
    history.replaceState(null, '', url);
    lastHash = '#' + res.value;
    let copied = false;
    try {
      await navigator.clipboard.writeText(url);
      copied = true;
    } catch (e) {
      copied = false;
    }
    const msg = copied ? `✓ Link copied: it reproduces this run up to ${seconds(app.view.now, 3)}.`
      : '✓ The address bar now holds the link (copy it from there: the clipboard was not available).';
    fileStatus(msg, 'ok');
    toast(msg);
  });
  $('export-recording').addEventListener('click', async () => {
    closeDropdowns();
    const res = await call('recording');
    if (!res.ok) return fail($('file-status'), res);
    download(res.value, baseName() + '.json', 'application/json');
    fileStatus('✓ Recording saved (scenario, seed and your actions).', 'ok');
  });
  // Every format of core/export: its extension and type come from Go.
  let formats = null;
  const exportAs = async (format) => {
    closeDropdowns();
    if (!formats) {
      const res = await call('exportFormats');
      if (!res.ok) return fail($('file-status'), res);
      formats = new Map(JSON.parse(res.value).map(f => [f.name, f]));
    }
    const f = formats.get(format);
    if (!f) return fileStatus(`✖ Unknown export format ${format}.`, 'error');
    fileStatus(`Writing the ${format} export…`, 'ok');
    const res = await call('exportTrace', format);
    if (!res.ok) {
      fail($('file-status'), res);
      showBanner(`Could not export as ${format}.`, cleanError(res.error));
      return;
    }
    download(res.value, baseName() + f.ext, f.mime);
    fileStatus(`✓ ${format} export saved (${(res.value.length / 1024).toFixed(0)} KB): ${f.description}.`, 'ok');
  };
  for (const b of document.querySelectorAll('#export-menu [data-format]')) {
    b.addEventListener('click', () => exportAs(b.dataset.format));
  }
  $('export-scenario').addEventListener('click', async () => {
    closeDropdowns();
    const res = await call('saveScenario');
    if (!res.ok) {
      fail($('file-status'), res);
      showBanner('Could not save this session as a scenario.', cleanError(res.error));
      return;
    }
    download(res.value, baseName() + '.scn', 'text/plain');
    fileStatus('✓ Scenario saved: smrlab run replays it to this state.', 'ok');
  });
  $('import-file').addEventListener('change', async (ev) => {
    const f = ev.target.files && ev.target.files[0];
    ev.target.value = '';
    if (!f) return;
    fileStatus(`Reading ${f.name}…`, 'ok');
    setPlaying(false);
    const bytes = new Uint8Array(await f.arrayBuffer());
    const res = await call('importTrace', bytes);
    if (!res.ok) {
      fileStatus(`✖ ${f.name}: ${cleanError(res.error)}`, 'error');
      showBanner(`Could not import ${f.name}.`, cleanError(res.error));
      return;
    }
    app.scenarioFile = '';
    history.replaceState(null, '', location.pathname);
    syncHeader();
    const r = res.value;
    let msg;
    if (r.same === true) msg = `✓ ${f.name}: reproduced: same state hash ${r.stateHash}.`;
    else if (r.same === false) msg = `✖ ${f.name}: NOT reproduced: the trace ends in state ${r.traceStateHash}, the replay in ${r.stateHash}.`;
    else msg = `✓ ${f.name}: recording opened at ${seconds(app.view.now, 3)} (state hash ${r.stateHash}; the file has none to compare).`;
    fileStatus(msg, r.same === false ? 'error' : 'ok');
    toast(msg);
  });
  $('banner-close').addEventListener('click', () => {
    $('error-banner').hidden = true;
    bannerRecording = null;
  });
  $('banner-download').addEventListener('click', () => {
    if (bannerRecording) download(bannerRecording, baseName() + '-crash.json', 'application/json');
  });
  window.addEventListener('hashchange', () => {
    if (location.hash.startsWith('#r=') && location.hash !== lastHash) {
      lastHash = location.hash;
      openSession({share: location.hash}, {paused: true});
    }
  });
}

function closeDropdowns() {
  for (const d of document.querySelectorAll('details.dropdown[open]')) d.open = false;
}

// ---- Wiring

function setupControls() {
  $('play').addEventListener('click', () => {
    if (room) roomClock('play');
    else if (!app.playing) app.togglePlay();
  });
  $('pause').addEventListener('click', () => (room ? roomClock('pause') : setPlaying(false)));
  $('step-event').addEventListener('click', () => app.step('event'));
  $('step-delivery').addEventListener('click', () => app.step('delivery'));
  $('speed').addEventListener('input', () => app.setSpeed(+$('speed').value));
  $('fork').addEventListener('click', () => app.fork());
  const sc = $('scrubber');
  sc.addEventListener('pointerdown', () => (scrubbing = true));
  sc.addEventListener('input', () => {
    scrubbing = true;
    gotoThrottled(+sc.value);
  });
  const endScrub = () => {
    scrubbing = false;
    lastFrameAt = performance.now();
  };
  sc.addEventListener('change', endScrub);
  sc.addEventListener('pointerup', endScrub);
  sc.addEventListener('blur', endScrub);
  $('jump-violation').addEventListener('click', () => {
    const vio = app.view && (app.view.violation || app.view.branchViolation);
    if (vio) {
      setPlaying(false);
      gotoThrottled(vio.time);
      const ids = vio.nodes || [];
      if (ids.length) app.select(ids[0]);
    }
  });

  $('q-crash-leader').addEventListener('click', () => {
    const l = leaderOf(app.view);
    if (!l) return showStatus($('action-status'), '✖ No leader right now: wait for one to be elected.', 'error');
    act(`crash S${l.id}`);
  });
  $('q-restart').addEventListener('click', () => {
    const down = ((app.view && app.view.servers) || []).filter((s) => !s.up).map((s) => 'S' + s.id);
    if (!down.length) return showStatus($('action-status'), 'Every server is up.', 'error');
    act(`restart ${down.join(',')}`);
  });
  $('q-partition').addEventListener('click', () => partition.open());
  $('q-heal').addEventListener('click', () => act('heal'));

  $('act-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = $('act-input').value.trim().replace(/^at\s+\S+\s+/, '');
    if (!text) return;
    if (await act(text, $('act-status'))) $('act-input').select();
  });

  $('scenario-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    reopenFromHeader();
  });
  $('scenario-picker').addEventListener('change', () => {
    $('seed').value = '';
    reopenFromHeader();
  });
  $('new-seed').addEventListener('click', () => {
    $('seed').value = String(1 + Math.floor(Math.random() * 999_999));
    reopenFromHeader();
  });
  $('help').addEventListener('click', () => app.help());
  app.help = () => {
    const d = $('help-dialog');
    if (!d.open) d.showModal();
  };
  app.openPartition = () => partition.open();
  $('lamport-window').addEventListener('change', () => (app.dirty = true));
  for (const id of ['logs-panel', 'lamport-panel', 'metrics-panel', 'events-panel', 'command-panel', 'config-panel', 'nemesis-panel']) {
    $(id).addEventListener('toggle', () => {
      app.dirty = app.panelsDirty = true;
      resetEvents();
    });
  }
  $('events-filter').addEventListener('change', () => (app.panelsDirty = true));
  document.addEventListener('click', (ev) => {
    if (!ev.target.closest('#server-menu') && ev.target !== $('cluster')) closeMenu();
    for (const d of document.querySelectorAll('details.dropdown[open]')) if (!d.contains(ev.target)) d.open = false;
  });
  new ResizeObserver(() => (app.dirty = true)).observe($('cluster-wrap'));
  onCanvasResize(() => (app.dirty = app.panelsDirty = true));
  window.addEventListener('resize', () => (app.dirty = app.panelsDirty = true));
}

window.addEventListener('error', (ev) => {
  showBanner('Something went wrong in the page.', `${ev.message || ev.error} (${(ev.filename || '').split('/').pop()}:${ev.lineno || 0})`);
});
window.addEventListener('unhandledrejection', (ev) => {
  showBanner('Something went wrong in the page.', String((ev.reason && ev.reason.message) || ev.reason));
});

window.smrlabTest = {
  ready,
  // The open lesson's state (null when none), the stored progress, the
  // student's id, and the course's catalogue once loaded.
  lesson: () => (app.view && app.view.lesson) || null,
  progress: async () => (await app.loadLessons()).progress(),
  student: async () => (await app.loadLessons()).student(),
  lessons: async () => (await app.loadLessons()).catalogue(),
  firstDrawAt: 0,
  view: () => app.view,
  call: (fn, ...args) => call(fn, ...args),
  stateHash: async () => {
    const res = await call('stateHash');
    return res.ok ? res.value : Promise.reject(new Error(res.error));
  },
  leader: () => {
    const l = leaderOf(app.view);
    return l ? l.id : 0;
  },
  frameTimes: () => frameTimes.slice(),
  frameParts: () => frameParts.slice(),
  waits: () => waits.slice(),
  playing: () => app.playing,
  play: () => setPlaying(true),
  pause: () => setPlaying(false),
  setSpeed: (x) => app.setSpeedValue(x),
  busy: () => (lab ? lab.busyFor() : 0),
  simulatePanic: async () => {
    const rec = await call('recording');
    showPanic({ok: false, panic: true, error: 'simulated panic (smrlabTest.simulatePanic)\ngoroutine 1 [running]: …',
      seed: app.view ? app.view.seed : '', recording: rec.ok ? rec.value : undefined});
  },
  serverXY: (id) => {
    const p = cluster.pos.get(id);
    if (!p) return null;
    const r = $('cluster').getBoundingClientRect();
    return {x: r.left + p.x, y: r.top + p.y, r: p.r, spare: !!p.spare};
  },
  logRows: () => logRows.map((r) => ({...r})),
  drawnChunks: () => cluster.chunks.slice(),
  idle: async () => {
    while (lab && lab.busy) await new Promise((r) => setTimeout(r, 10));
  },
  // The room (room mode): its state, and ways to break this screen's run
  // behind the room's back (a divergence the page must show): an action
  // taken here only, or the next n syncs followed by one.
  room: () => room && {...room.state, target: room.target(), due: room.due()},
  roomForgeSession: (text) => room.forgeSession(text),
  roomForgeSyncs: (n, text) => room.forgeSyncs(n, text),
  roomResync: () => room.resync(),
  roomDropSocket: () => room.dropSocket(),
};

partition = setupPartition(app);
setupMembership(app);
setupSteps(app);
buildLegend($('legend-body'));
buildMetrics();
setupControls();
setupNet();
setupClients();
setupClientControls(app);
setupCanvas();
setupFiles();
setupCourse(app);
installKeys(app);
if (room) showSpeed(DEFAULT_SPEED);
else app.setSpeed(DEFAULT_SPEED);
setPlaying(false);
if (!lab) showBanner('This browser cannot run the simulator.', 'Web Workers are not available' +
  (window.smrlabWorkerError ? `: ${window.smrlabWorkerError.message}` : '.'));
requestAnimationFrame(loop);
boot();
