// Client-facing correctness and faults: the linearizability light (the live
// Porcupine check of the client history), the read mode of every server,
// admission control bounds, and the nemesis menu (Jepsen-style named fault
// schedules). Every control sends a scenario action through app.act.

import {escapeHTML, seconds, setAttr, setText} from './fmt.js';

const $ = (id) => document.getElementById(id);

// READ_MODES mirrors sim.ReadMode: the option value, its label, and what it
// means for a read.
export const READ_MODES = [
  ['log', 'log', 'Every read goes through the log like a write: linearizable, but as slow as a commit.'],
  ['index', 'ReadIndex', 'The leader confirms it still leads with a heartbeat round, then reads once applied up to its commit index (thesis §6.4).'],
  ['lease', 'lease', 'The leader reads locally while its lease lasts: no message, but correct only if clocks drift within the bound.'],
  ['stale', 'stale', 'Any server answers from its own state at once: fast, and not linearizable (a follower may lag).'],
];

// NEMESES mirrors sim.Nemeses.
export const NEMESES = [
  ['partition-halves', 'cut the cluster into two random halves'],
  ['partition-ring', 'a majority ring: every server reaches a majority, no two the same one'],
  ['bridge', 'two halves joined by one server that reaches both'],
  ['isolate-leader', 'cut the leader off from everyone'],
  ['kill-random', 'crash a random server (writes not yet durable are lost), then restart it'],
  ['kill-leader', 'crash the leader, then restart it'],
  ['pause', 'pause a random server (a long garbage collection), then resume it'],
  ['clock-skew', 'make a random server\'s clock run 30% slow or fast, then fix it'],
  ['slow-disk', 'make a random server\'s disk 20 times slower, then restore it'],
  ['loss-burst', 'lose 25% of messages on every link for a while'],
  ['dup-burst', 'duplicate 20% of messages for a while'],
  ['reorder-burst', 'hold back 30% of messages up to 40ms for a while'],
];

// The newest linearizability violation seen, kept to jump to it again after
// going back before it (the recorded future still breaks there).
let seenLinear = null;
// The servers' read modes the read mode control last followed.
let syncedModes = '';

export function resetClientsPanel() {
  seenLinear = null;
  syncedModes = '';
}

// ---- The linearizability light

export function renderLinear(app, v) {
  const lin = v.linear || {verdict: 'none'};
  if (lin.verdict === 'violation') seenLinear = {...lin};
  // Still ahead on the recorded future: replaying gets there again.
  const ahead = lin.verdict !== 'violation' && seenLinear && v.now < v.reached && seenLinear.time <= v.reached ? seenLinear : null;
  const light = $('linear-light');
  const plural = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;
  let state, dot, text;
  switch (lin.verdict) {
    case 'ok':
      state = 'ok', dot = '✓', text = `Linearizable so far (${plural(lin.ops, 'op')}, ${plural(lin.keys, 'key')})`;
      break;
    case 'unknown': {
      // Never silent: which keys the check could not decide, and why.
      const keys = lin.unknownKeys || [], n = lin.unknown || keys.length;
      const named = keys.slice(0, 3).join(', ') + (n > 3 ? ` and ${n - 3} more` : '');
      state = 'unknown', dot = '?', text = `Linearizability UNKNOWN on ${plural(n, 'key')}` +
        `${named ? ` (${named})` : ''}: ${lin.reason || 'the check ran out of time'}` +
        ` (${plural(lin.ops, 'op')}, ${plural(lin.keys, 'key')} checked)`;
      break;
    }
    case 'violation':
      state = 'violation', dot = '✖', text = `NOT linearizable${lin.key ? ` (key ${lin.key})` : ''}`;
      break;
    default:
      state = 'none', dot = '–', text = 'Linearizability: no clients yet';
  }
  if (ahead && state !== 'violation') text += ` (not linearizable later, at ${seconds(ahead.time, 6)})`;
  setAttr(light, 'data-state', state);
  setText(light.querySelector('.light-dot'), dot);
  setText(light.querySelector('.light-text'), text);
  const shown = lin.verdict === 'violation' ? lin : ahead;
  $('linear-detail').hidden = !shown;
  if (shown) {
    setText($('linear-text'), (shown.explanation || 'No order of the operations explains what the clients saw.') +
      (shown.time ? `\n\nThe first operation no order explains was called at ${seconds(shown.time, 6)}.` : ''));
    $('jump-linear').disabled = !shown.time && shown.time !== 0;
  }
}

// ---- Controls

export function setupClientControls(app) {
  const st = $('reads-status');
  const sel = $('read-mode');
  sel.innerHTML = READ_MODES.map(([k, label, help]) => `<option value="${k}" title="${escapeHTML(help)}">${label}</option>`).join('');
  const help = () => {
    const m = READ_MODES.find(([k]) => k === sel.value);
    setText($('read-mode-help'), m ? m[2] : '');
  };
  sel.addEventListener('change', () => {
    help();
    app.act(`options all reads=${sel.value}`, st);
  });
  help();

  $('admission-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const parts = [];
    for (const [id, key] of [['max-uncommitted', 'max-uncommitted'], ['max-pending', 'max-pending']]) {
      const raw = $(id).value.trim();
      if (raw === '') continue;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0) return app.showStatus(st, `✖ ${key} is a whole number (0 turns the bound off).`, 'error');
      parts.push(`${key}=${n}`);
    }
    if (!parts.length) return app.showStatus(st, '✖ Give a bound (0 turns it off).', 'error');
    app.act(`options all ${parts.join(' ')}`, st);
  });

  $('jump-linear').addEventListener('click', () => {
    const lin = app.view && app.view.linear && app.view.linear.verdict === 'violation' ? app.view.linear : seenLinear;
    if (lin && lin.time != null) {
      app.setPlaying(false);
      app.goto(lin.time);
    }
  });

  // The nemesis menu.
  const list = $('nemesis-list');
  list.innerHTML = NEMESES.map(([n, d]) => `<label class="nem"><input type="checkbox" value="${n}" data-testid="nemesis-${n}" ` +
    `aria-label="Nemesis ${n}: ${escapeHTML(d)}"> <span><b>${n}</b> <span class="muted small">${escapeHTML(d)}</span></span></label>`).join('');
  const nst = $('nemesis-status');
  $('nemesis-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const names = [...list.querySelectorAll('input:checked')].map((c) => c.value);
    if (!names.length) return app.showStatus(nst, '✖ Pick at least one nemesis.', 'error');
    const dur = Number($('nemesis-duration').value);
    if (!(dur > 0)) return app.showStatus(nst, '✖ The duration is a positive number of seconds.', 'error');
    const every = $('nemesis-every').value.trim();
    if (/\s/.test(every)) return app.showStatus(nst, '✖ Write the fault lengths as a range like 300ms..1500ms, or leave it empty.', 'error');
    const all = names.length === NEMESES.length ? 'all' : names.join(',');
    app.act(`nemesis ${all}${every ? ` every ${every}` : ''} for ${+dur.toFixed(3)}s`, nst);
  });
  $('nemesis-none').addEventListener('click', () => {
    for (const c of list.querySelectorAll('input')) c.checked = false;
  });
}

// syncClientControls shows the servers' read modes and the active nemeses.
export function syncClientControls(v) {
  const modes = v.readModes || [];
  const label = (k) => (READ_MODES.find(([m]) => m === k) || [k, k])[1];
  const uniq = [...new Set(modes)];
  const sel = $('read-mode');
  // Follow the servers when their modes change (a scenario, a rewind), not
  // on every frame: the user may be choosing.
  const modesKey = modes.join(',');
  if (modesKey !== syncedModes && uniq.length === 1 && document.activeElement !== sel) {
    syncedModes = modesKey;
    sel.value = uniq[0];
    const m = READ_MODES.find(([k]) => k === uniq[0]);
    setText($('read-mode-help'), m ? m[2] : '');
  }
  setText($('read-modes'), !modes.length ? '' : uniq.length === 1 ? `every server reads by ${label(uniq[0])}`
    : modes.map((m, i) => `S${i + 1} ${label(m)}`).join(' · '));
  setAttr($('read-modes'), 'data-modes', modes.join(','));

  const active = v.nemeses || [];
  const box = $('nemesis-badges');
  const key = active.join(',');
  if (box.dataset.key !== key) {
    box.dataset.key = key;
    box.innerHTML = active.map((n) => {
      const d = (NEMESES.find(([k]) => k === n) || [n, ''])[1];
      return `<span class="badge nemesis" data-testid="nemesis-badge-${escapeHTML(n)}" title="Nemesis ${escapeHTML(n)}: ${escapeHTML(d)}">⚡ ${escapeHTML(n)}</span>`;
    }).join('');
    box.hidden = !active.length;
  }
}
