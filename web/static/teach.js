// /teach: the teacher's page. The key (kept in localStorage, sent as a
// Bearer token), the rooms list, the form that opens a room (an exercise
// from GET /api/exercises, a scenario from scenarios/index.json, a seed,
// bug toggles), and the room just opened: its code in big letters, its
// join link, the teacher view and the projector.
//
// Test hooks (data-testid): key-form, teacher-key, key-save, key-forget,
// key-msg, open-form, open-exercise, exercise-summary, open-scenario,
// open-seed, open-bugs (checkboxes bug-NAME), open-submit, open-msg,
// opened, opened-code, opened-join, opened-teacher, opened-projector,
// opened-class, opened-board (the class's dashboard and board),
// opened-close, rooms (tr[data-code], data-closed), rooms-refresh,
// rooms-msg, room-close-CODE, room-recording-CODE, room-audit-CODE.

import {TEACHER_KEY} from './room.js';

const $ = (id) => document.getElementById(id);

function key() {
  try {
    return localStorage.getItem(TEACHER_KEY) || '';
  } catch (e) {
    return '';
  }
}

function say(id, text, kind) {
  const el = $(id);
  el.textContent = text;
  el.dataset.kind = kind;
}

function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c]);
}

// api calls the labserver's API with the key; it never throws: {ok, status,
// data} or {ok: false, error}, the error in words a teacher can act on.
async function api(method, path, body) {
  let r;
  try {
    r = await fetch(path, {
      method,
      headers: {Authorization: `Bearer ${key()}`, ...(body ? {'Content-Type': 'application/json'} : {})},
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    return {ok: false, error: `the labserver does not answer (${e.message}): is it running?`};
  }
  let data = null;
  const text = await r.text();
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = text;
  }
  if (!r.ok) {
    const why = data && data.error ? data.error : `HTTP ${r.status}`;
    if (r.status === 401 || r.status === 403) {
      return {ok: false, status: r.status, error: `the teacher key is ${key() ? 'wrong' : 'missing'} (${why}): enter the key the labserver printed`};
    }
    return {ok: false, status: r.status, error: why};
  }
  return {ok: true, status: r.status, data};
}

const abs = (p) => new URL(p, location.href).href;

// ---- The key

$('teacher-key').value = key();
$('key-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const k = $('teacher-key').value.trim();
  if (!k) return say('key-msg', 'Type the key first.', 'error');
  try {
    localStorage.setItem(TEACHER_KEY, k);
  } catch (e) {
    return say('key-msg', 'This browser cannot store the key (storage is off).', 'error');
  }
  const res = await loadRooms();
  say('key-msg', res ? '✓ Key accepted.' : '✖ This key does not open the rooms: see below.', res ? 'ok' : 'error');
});
$('key-forget').addEventListener('click', () => {
  try {
    localStorage.removeItem(TEACHER_KEY);
  } catch (e) {
    // nothing stored
  }
  $('teacher-key').value = '';
  $('rooms-body').innerHTML = '';
  say('key-msg', 'Key forgotten in this browser.', 'ok');
});

// ---- The form

let exercises = [];
let scenarios = [];

async function loadForm() {
  try {
    const r = await fetch('scenarios/index.json');
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    scenarios = (await r.json()).filter((s) => s && typeof s.file === 'string');
    $('open-scenario').insertAdjacentHTML('beforeend', scenarios.map((s) =>
      `<option value="${esc(s.file)}" title="${esc(s.description)}">${esc(s.name || s.file)}${s.bugs ? ` (bug: ${esc(s.bugs)})` : ''}</option>`).join(''));
    const bugs = [...new Set(scenarios.flatMap((s) => (s.bugs ? s.bugs.split(',') : [])))].sort();
    $('open-bugs').innerHTML = bugs.map((b) =>
      `<label><input type="checkbox" value="${esc(b)}" data-testid="bug-${esc(b)}"> ${esc(b)}</label>`).join('');
    for (const c of $('open-bugs').querySelectorAll('input')) {
      c.addEventListener('change', () => ($('bugs-count').textContent = String($('open-bugs').querySelectorAll('input:checked').length)));
    }
  } catch (e) {
    say('open-msg', `The scenario list did not load (${e.message}): rooms open on the default cluster.`, 'error');
  }
  const res = await api('GET', 'api/exercises');
  if (!res.ok) {
    say('open-msg', `The exercises did not load: ${res.error}.`, 'error');
    return;
  }
  exercises = Array.isArray(res.data) ? res.data : [];
  $('open-exercise').insertAdjacentHTML('beforeend', exercises.map((x) =>
    `<option value="${esc(x.name)}">${esc(x.title || x.name)}</option>`).join(''));
}

$('open-exercise').addEventListener('change', () => {
  const x = exercises.find((e) => e.name === $('open-exercise').value);
  $('exercise-summary').textContent = x ? `${x.summary || ''}${x.scenario ? ` It runs ${x.scenario}.` : ''}` +
    `${x.roles && x.roles.length ? ` Roles: ${x.roles.join(', ')}.` : ''}` : '';
  // An exercise brings its own scenario.
  $('open-scenario').disabled = !!(x && x.scenario);
});

$('open-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const seedText = $('open-seed').value.trim() || '1';
  if (!/^\d+$/.test(seedText) || !Number.isSafeInteger(Number(seedText))) {
    say('open-msg', `The seed "${seedText}" is not a whole number from 0 to ${Number.MAX_SAFE_INTEGER}.`, 'error');
    return;
  }
  if (!key()) return say('open-msg', 'Enter the teacher key first (above).', 'error');
  const exercise = $('open-exercise').value;
  const body = {
    scenario: $('open-scenario').disabled ? '' : $('open-scenario').value,
    seed: Number(seedText),
    bugs: [...$('open-bugs').querySelectorAll('input:checked')].map((c) => c.value),
    exercise,
  };
  say('open-msg', 'Opening…', 'ok');
  const res = await api('POST', 'api/rooms', body);
  if (!res.ok) return say('open-msg', `✖ The room did not open: ${res.error}.`, 'error');
  const r = res.data || {};
  say('open-msg', `✓ Room ${r.code} is open.`, 'ok');
  showOpened(r);
  loadRooms();
});

let opened = null;
function showOpened(r) {
  opened = r;
  $('opened').hidden = false;
  $('opened-code').textContent = r.code;
  const join = abs(r.join || `join?code=${r.code}`);
  $('opened-join').href = join;
  $('opened-join').textContent = join;
  $('opened-teacher').href = abs(r.teacher || `./?room=${r.code}&as=teacher`);
  $('opened-projector').href = abs(r.projector || `./?room=${r.code}&as=projector`);
  $('opened-class').href = abs(`class.html?room=${r.code}`);
  $('opened-board').href = abs(`class.html?room=${r.code}&as=projector`);
  $('opened-close').disabled = false;
  $('opened').scrollIntoView({block: 'nearest'});
}

$('opened-close').addEventListener('click', async () => {
  if (!opened) return;
  const res = await closeRoom(opened.id, opened.code);
  if (res) $('opened-close').disabled = true;
});

async function closeRoom(id, code) {
  const res = await api('POST', `api/rooms/${encodeURIComponent(id)}/close`);
  say('rooms-msg', res.ok ? `✓ Room ${code} is closed; its recording stays.` : `✖ Room ${code} did not close: ${res.error}.`,
    res.ok ? 'ok' : 'error');
  loadRooms();
  return res.ok;
}

async function download(id, code, what, type) {
  const res = await fetch(`api/rooms/${encodeURIComponent(id)}/${what}`, {headers: {Authorization: `Bearer ${key()}`}})
    .catch((e) => ({ok: false, status: 0, statusText: e.message}));
  if (!res.ok) return say('rooms-msg', `✖ Room ${code}: the ${what} did not download (HTTP ${res.status} ${res.statusText || ''}).`, 'error');
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `smrlab-room-${code}-${what === 'recording' ? 'recording.json' : 'audit.jsonl'}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  say('rooms-msg', `✓ Room ${code}: ${what} downloaded (${blob.size} bytes).`, 'ok');
}

// ---- The rooms

async function loadRooms() {
  if (!key()) {
    say('rooms-msg', 'Enter the teacher key to see your rooms.', 'error');
    return false;
  }
  const res = await api('GET', 'api/rooms');
  if (!res.ok) {
    say('rooms-msg', `✖ ${res.error}.`, 'error');
    return false;
  }
  const rooms = Array.isArray(res.data) ? res.data : [];
  say('rooms-msg', rooms.length ? '' : 'No rooms yet: open one above.', 'ok');
  rooms.sort((a, b) => (b.created || 0) - (a.created || 0));
  $('rooms-body').innerHTML = rooms.map((r) => {
    const closed = !!r.closed;
    const code = esc(r.code);
    return `<tr data-code="${code}" data-closed="${closed}"><td><b>${code}</b></td><td>${esc(r.title)}</td>` +
      `<td>${esc(r.exercise || 'free play')}</td><td>${r.created ? esc(new Date(r.created).toLocaleString()) : ''}</td>` +
      `<td>${closed ? 'closed' : `${r.online ?? 0} online of ${r.seats ?? 0}`}</td><td class="row">` +
      (closed ? '' : `<a class="button" href="./?room=${code}&as=teacher" target="_blank" rel="noopener">Teacher view</a>` +
        `<a class="button" href="./?room=${code}&as=projector" target="_blank" rel="noopener">Projector</a>` +
        `<button type="button" data-act="close" data-testid="room-close-${code}">Close</button>`) +
      `<button type="button" data-act="recording" data-testid="room-recording-${code}">Recording</button>` +
      `<button type="button" data-act="audit.jsonl" data-testid="room-audit-${code}">Audit log</button></td></tr>`;
  }).join('');
  for (const b of $('rooms-body').querySelectorAll('button[data-act]')) {
    const r = rooms.find((x) => x.code === b.closest('tr').dataset.code);
    b.addEventListener('click', () => {
      if (b.dataset.act === 'close') closeRoom(r.id, r.code);
      else download(r.id, r.code, b.dataset.act, b.dataset.act === 'recording' ? 'application/json' : 'application/x-ndjson');
    });
  }
  return true;
}

$('rooms-refresh').addEventListener('click', () => loadRooms());
loadForm();
if (key()) loadRooms();
else say('rooms-msg', 'Enter the teacher key to see your rooms.', 'error');
