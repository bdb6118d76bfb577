// The partition dialog: drag servers between sides (or click one to move it
// to the next side), or pick a preset; Apply sends "partition S1 S2 | S3 ...".

import {cutSet, partitionSides} from './draw-cluster.js';
import {majority} from './membership.js';
import {roleStyle} from './palette.js';

const $ = (id) => document.getElementById(id);
const GROUPS = ['A', 'B', 'C', 'Bridge'];

export function setupPartition(app) {
  const dlg = $('partition-dialog');
  const box = $('partition-groups');
  const status = $('partition-status');
  let assign = new Map(); // server id -> group index (3 = bridge)

  function servers() {
    return (app.view && app.view.servers) || [];
  }

  function open() {
    const v = app.view;
    if (!v) return;
    const sv = servers();
    assign = new Map();
    const sides = partitionSides(v, cutSet(v.cuts));
    if (sides.count > 1 && sides.count <= 3) {
      for (const s of sv) assign.set(s.id, sides.of.get(s.id));
    } else {
      preset('leader-minority');
    }
    status.textContent = '';
    render();
    if (!dlg.open) dlg.showModal();
  }

  function leaderId() {
    const l = servers().find((s) => s.up && s.role === 'leader');
    return l ? l.id : 0;
  }

  // voters are the servers whose votes count: a majority is of them, not
  // of the learners and spare machines.
  function voters() {
    const cfg = (app.view && app.view.config) || {};
    const set = new Set([...(cfg.voters || []), ...(cfg.oldVoters || [])]);
    const ids = servers().map((s) => s.id);
    return set.size ? ids.filter((id) => set.has(id)) : ids;
  }

  function preset(kind) {
    const ids = servers().map((s) => s.id);
    const vs = voters();
    const n = vs.length;
    const lead = leaderId() || vs[0];
    const rest = vs.filter((id) => id !== lead);
    assign = new Map();
    const minority = Math.floor((n - 1) / 2);
    // Learners and spares go with the majority's side (side B, or A when
    // the leader keeps the majority).
    if (kind === 'leader-alone') {
      for (const id of ids) assign.set(id, id === lead ? 0 : 1);
    } else if (kind === 'leader-minority') {
      // The leader and enough other voters to stay short of a majority.
      ids.forEach((id) => assign.set(id, 1));
      assign.set(lead, 0);
      rest.slice(0, Math.max(0, minority - 1)).forEach((id) => assign.set(id, 0));
    } else if (kind === 'leader-majority') {
      ids.forEach((id) => assign.set(id, 0));
      rest.slice(rest.length - minority).forEach((id) => assign.set(id, 1));
    } else if (kind === 'three-way') {
      const size = Math.ceil(n / 3);
      ids.forEach((id) => assign.set(id, 0));
      vs.forEach((id, i) => assign.set(id, Math.min(2, Math.floor(i / size))));
    }
  }

  function render() {
    const sv = servers();
    box.innerHTML = GROUPS.map((g, k) => {
      const members = sv.filter((s) => assign.get(s.id) === k);
      return `<div class="group" data-group="${k}" data-testid="partition-group-${g}" role="list"
        aria-label="${k === 3 ? 'Bridge: keeps every link' : 'Side ' + g}">
        <div class="group-title">${k === 3 ? 'Bridge' : 'Side ' + g} <span class="muted">(${members.length})</span></div>
        ${members.map((s) => {
          const role = s.up ? s.role : 'crashed';
          const st = roleStyle(role);
          return `<button type="button" class="chip" draggable="true" role="listitem" data-id="${s.id}" data-role="${role}"
            data-testid="partition-S${s.id}" aria-label="S${s.id} (${st.label}) on ${k === 3 ? 'the bridge' : 'side ' + g}: click to move">S${s.id}${st.glyph ? ' ' + st.glyph : ''}</button>`;
        }).join('')}
      </div>`;
    }).join('');
    const vs = voters();
    const n = vs.length;
    const cfg = app.view && app.view.config;
    const sides = [0, 1, 2].map((k) => vs.filter((id) => assign.get(id) === k));
    const maj = sides.findIndex((g) => cfg && cfg.voters && cfg.voters.length ? majority(cfg, g) : g.length > n / 2);
    const need = cfg && cfg.joint ? 'a majority of C_old and of C_new' : `${Math.floor(n / 2) + 1} of the ${n} voters`;
    status.textContent = maj >= 0 ? `Side ${GROUPS[maj]} holds a majority of the voters (${sides[maj].length} of ${n}): ` +
      'it can elect a leader and commit.' : `No side holds ${need}: nothing can commit until you heal.`;
  }

  box.addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-id]');
    if (!b) return;
    const id = +b.dataset.id;
    assign.set(id, ((assign.get(id) ?? 0) + 1) % GROUPS.length);
    render();
    const again = box.querySelector(`button[data-id="${id}"]`);
    if (again) again.focus();
  });
  box.addEventListener('dragstart', (ev) => {
    const b = ev.target.closest('button[data-id]');
    if (b) ev.dataTransfer.setData('text/plain', b.dataset.id);
  });
  box.addEventListener('dragover', (ev) => {
    if (ev.target.closest('.group')) ev.preventDefault();
  });
  box.addEventListener('drop', (ev) => {
    const g = ev.target.closest('.group');
    const id = +ev.dataTransfer.getData('text/plain');
    if (!g || !id) return;
    ev.preventDefault();
    assign.set(id, +g.dataset.group);
    render();
  });
  for (const b of dlg.querySelectorAll('[data-preset]')) {
    b.addEventListener('click', () => {
      preset(b.dataset.preset);
      render();
    });
  }
  $('partition-apply').addEventListener('click', async () => {
    const sv = servers();
    const groups = [0, 1, 2].map((k) => sv.filter((s) => assign.get(s.id) === k).map((s) => 'S' + s.id)).filter((g) => g.length);
    if (groups.length < 2) {
      status.textContent = 'Put servers on at least two sides.';
      return;
    }
    const ok = await app.act('partition ' + groups.map((g) => g.join(' ')).join(' | '), status);
    if (ok) dlg.close();
  });
  $('partition-halves').addEventListener('click', async () => {
    if (await app.act('partition halves', status)) dlg.close();
  });
  return {open};
}
