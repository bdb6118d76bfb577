// The configuration panel (paper §6): the cluster's voter sets and the
// quorums they need, learners and spare machines, the membership steps
// still to do, and the controls that change membership and the snapshot
// policy. Each control sends a scenario action through app.act, which
// reports in #config-status like every other control of the page.

import {escapeHTML, setAttr, setText} from './fmt.js';
import {roleStyle} from './palette.js';

const $ = (id) => document.getElementById(id);

const setOf = (ids) => `{${(ids || []).map((id) => 'S' + id).join(',')}}`;

// majority reports whether the servers ids hold a quorum of the
// configuration cfg: of its voters, and of its old voters too when joint.
export function majority(cfg, ids) {
  if (!cfg || !cfg.voters || !cfg.voters.length) return false;
  const n = (set) => (set || []).filter((id) => ids.includes(id)).length;
  return n(cfg.voters) >= cfg.quorum && (!cfg.joint || n(cfg.oldVoters) >= cfg.oldQuorum);
}

// spareToAdd is the spare machine "Add server" takes: the lowest one up.
export function spareToAdd(v) {
  const s = ((v && v.servers) || []).find((x) => x.member === 'spare' && x.up);
  return s ? s.id : 0;
}

export function setupMembership(app) {
  const st = $('config-status');
  const addWith = (kind) => {
    const id = spareToAdd(app.view);
    if (!id) return app.showStatus(st, '✖ No spare machine is up: remove a server, or restart a spare, first.', 'error');
    app.act(`add ${kind}S${id}`, st);
  };
  $('cfg-add').addEventListener('click', () => addWith(''));
  $('cfg-add-learner').addEventListener('click', () => addWith('learner '));
  $('replace-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const out = +$('replace-old').value, into = +$('replace-new').value;
    if (!out || !into) return app.showStatus(st, '✖ Choose the server to replace and the spare machine to replace it with.', 'error');
    app.act(`replace S${out} with S${into}`, st);
  });
  $('snap-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const raw = $('snap-every').value.trim();
    const n = Number(raw);
    if (raw === '' || !Number.isInteger(n) || n < 0) {
      return app.showStatus(st, '✖ The threshold is a whole number of entries (0 turns automatic snapshots off).', 'error');
    }
    app.act(`snapshot every ${n} all`, st);
  });
  $('snap-all').addEventListener('click', () => app.act('snapshot all', st));
}

let setsKey = '', changesKey = '', optionsKey = '';

export function renderConfig(app, v, hist) {
  const cfg = v.config || {};
  const servers = v.servers || [];
  const byId = new Map(servers.map((s) => [s.id, s]));
  const learners = cfg.learners || [];
  const spares = servers.filter((s) => s.member === 'spare').map((s) => s.id);

  setText($('config-version'), `configuration ${cfg.version || 0}${cfg.version ? '' : ' (the initial one)'} · ` +
    (cfg.committed ? 'committed' : 'not yet committed'));
  setAttr($('config-version'), 'data-committed', String(!!cfg.committed));

  // The sets, as chips coloured by role.
  const chips = (ids, cls) => ids.length ? ids.map((id) => {
    const s = byId.get(id);
    const role = s ? (s.up ? s.role : 'crashed') : 'follower';
    const glyph = roleStyle(role).glyph;
    return `<span class="mchip ${cls}" data-role="${role}" title="S${id}: ${escapeHTML(roleStyle(role).label)}">S${id}${glyph ? ' ' + glyph : ''}</span>`;
  }).join('') : '<span class="muted">none</span>';
  const row = (label, tip, ids, cls, testid) => `<div class="cfg-row" data-testid="${testid}"><span class="cfg-label" title="${tip}">${label}</span>` +
    `<span class="cfg-chips">${chips(ids, cls)}</span></div>`;
  let sets = '';
  if (cfg.joint) {
    sets += '<p class="cfg-note">Joint consensus C<sub>old,new</sub> (§6): every election and every commit needs a majority of ' +
      'C<sub>old</sub> <b>and</b> a majority of C<sub>new</sub>.</p>';
    sets += row('C<sub>old</sub>', 'The configuration being left', cfg.oldVoters || [], 'old', 'config-old');
    sets += row('C<sub>new</sub>', 'The configuration being entered', cfg.voters || [], 'new', 'config-new');
  } else {
    sets += row('Voters', 'They elect the leader and count for commitment', cfg.voters || [], 'voter', 'config-voters');
  }
  sets += row('Learners', 'Non-voting members: they get the log, but count for no majority', learners, 'learner', 'config-learners');
  sets += row('Spares', 'Machines outside the configuration, ready to be added', spares, 'spare', 'config-spares');
  if (sets !== setsKey) {
    setsKey = sets;
    $('config-sets').innerHTML = sets;
  }
  const need = (q, ids) => `${q} of ${setOf(ids)}`;
  setText($('config-quorum'), !cfg.voters || !cfg.voters.length ? 'No configuration known yet.'
    : cfg.joint ? `A leader needs ${need(cfg.oldQuorum, cfg.oldVoters)} AND ${need(cfg.quorum, cfg.voters)} ` +
      'to win an election or commit an entry.'
      : `A leader needs ${need(cfg.quorum, cfg.voters)} to win an election or commit an entry.`);
  // Servers that use another configuration than the cluster's.
  const differ = servers.filter((s) => s.up && s.config && s.config.voters && s.config.voters.length &&
    s.config.version !== cfg.version).map((s) => `S${s.id} uses configuration ${s.config.version}: ` +
    (s.config.joint ? `C_old ${setOf(s.config.oldVoters)}, C_new ${setOf(s.config.voters)}` : `voters ${setOf(s.config.voters)}`) +
    (s.config.committed ? '' : ' (uncommitted)'));
  setText($('config-differ'), differ.join('\n'));
  $('config-differ').hidden = !differ.length;
  setText($('config-mode'), v.singleServer ? 'one voter at a time' : 'via joint consensus');
  setAttr($('config-mode'), 'title', v.singleServer ? 'Single-server changes: each adds or removes one voter, so any two majorities overlap'
    : 'Each change goes through a joint configuration C_old,new (§6)');

  // The steps to do, and the newest word on them.
  const changes = v.changes || [];
  let last = '';
  for (let i = hist.events.length - 1; i >= 0; i--) {
    if (hist.events[i].kind === 'member') {
      last = hist.events[i].text.replace(/^membership:\s*/, '');
      break;
    }
  }
  const ck = changes.join('|') + '#' + last;
  if (ck !== changesKey) {
    changesKey = ck;
    $('config-changes').innerHTML = changes.length ? changes.map((c, i) =>
      `<li${i === 0 ? ' class="next"' : ''}>${escapeHTML(c)}${i === 0 ? ' <span class="muted">(next)</span>' : ''}</li>`).join('')
      : '<li class="muted">None. Add a server below, or use a server’s menu (click it on the ring).</li>';
    setText($('config-last'), last ? 'Latest: ' + last : '');
  }

  // Controls that make sense now.
  const spare = spareToAdd(v);
  for (const [id, label] of [['cfg-add', '+ Add server'], ['cfg-add-learner', '+ Add learner']]) {
    const b = $(id);
    b.disabled = !spare;
    setText(b, spare ? `${label} S${spare}` : label);
    setAttr(b, 'title', spare ? (id === 'cfg-add' ? `S${spare} joins as a learner, then becomes a voter once it has caught up`
      : `S${spare} joins as a non-voting learner and stays one until promoted`)
      : 'No spare machine is up: remove a server, or restart a spare, first');
  }
  const members = servers.filter((s) => s.member && s.member !== 'spare').map((s) => s.id);
  const ready = servers.filter((s) => s.member === 'spare' && s.up).map((s) => s.id);
  const ok = `${members.join(',')}|${ready.join(',')}`;
  if (ok !== optionsKey) {
    optionsKey = ok;
    fillSelect($('replace-old'), members, (id) => `S${id}`);
    fillSelect($('replace-new'), ready, (id) => `S${id}`);
  }
  $('replace').disabled = !members.length || !ready.length;
  setAttr($('replace'), 'title', !ready.length ? 'No spare machine is up to replace a server with'
    : 'The spare joins as a learner, catches up, then takes the old server’s place in one configuration change');
  const every = new Set(servers.map((s) => s.snapshotEvery || 0));
  const input = $('snap-every');
  const value = every.size === 1 ? String([...every][0]) : '';
  if (document.activeElement !== input && input.dataset.shown !== value) {
    input.value = value;
    input.dataset.shown = value;
    input.placeholder = every.size > 1 ? 'varies' : '';
  }
}

// fillSelect rebuilds a select's options, keeping the choice when it stays.
function fillSelect(sel, ids, label) {
  const was = sel.value;
  sel.innerHTML = ids.length ? ids.map((id) => `<option value="${id}">${escapeHTML(label(id))}</option>`).join('')
    : '<option value="">none</option>';
  if (ids.map(String).includes(was)) sel.value = was;
}

export function resetConfigPanel() {
  setsKey = changesKey = optionsKey = '';
}
