// The legend, drawn with the same code as the ring so that they agree.

import {CONFIG_NEW, CONFIG_OLD, CUT, LEARNER, MSG_LEGEND, OI, ROLE, drawGlyph, msgLabel, msgStyle} from './palette.js';

function icon(draw, w = 26, h = 18) {
  const c = document.createElement('canvas');
  const dpr = Math.min(window.devicePixelRatio || 1, 2);
  c.width = w * dpr;
  c.height = h * dpr;
  c.style.width = w + 'px';
  c.style.height = h + 'px';
  c.setAttribute('aria-hidden', 'true');
  const ctx = c.getContext('2d');
  ctx.scale(dpr, dpr);
  draw(ctx, w, h);
  return c;
}

function item(canvas, text) {
  const li = document.createElement('li');
  li.append(canvas, document.createTextNode(text));
  return li;
}

export function buildLegend(el) {
  const roles = document.createElement('ul');
  roles.className = 'legend-list';
  for (const [key, st] of Object.entries(ROLE)) {
    roles.append(item(icon((ctx, w, h) => {
      ctx.fillStyle = st.fill;
      ctx.strokeStyle = st.stroke;
      ctx.lineWidth = Math.min(st.width, 2.5);
      if (st.dash) ctx.setLineDash([3, 2]);
      ctx.beginPath();
      ctx.arc(w / 2, h / 2, 7, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
    }), `${st.glyph ? st.glyph + ' ' : ''}${key}`));
  }
  roles.append(item(icon((ctx, w, h) => {
    ctx.lineWidth = 3;
    ctx.strokeStyle = '#e7e9ee';
    ctx.beginPath(); ctx.arc(w / 2, h / 2, 6, 0, Math.PI * 2); ctx.stroke();
    ctx.strokeStyle = '#374151';
    ctx.beginPath(); ctx.arc(w / 2, h / 2, 6, -Math.PI / 2, Math.PI * 0.8); ctx.stroke();
  }), 'election timer'));
  roles.append(item(icon((ctx, w, h) => {
    ctx.lineWidth = 2.5;
    ctx.strokeStyle = OI.blue;
    ctx.setLineDash([2, 2]);
    ctx.beginPath(); ctx.arc(w / 2, h / 2, 6, -Math.PI / 2, Math.PI * 0.8); ctx.stroke();
  }), 'heartbeat timer (leader)'));
  roles.append(item(icon((ctx, w, h) => {
    ctx.fillStyle = '#fff';
    ctx.strokeStyle = '#4b5563';
    ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.arc(w / 2, h / 2, 7.5, 0, Math.PI * 2); ctx.fill(); ctx.stroke();
    ctx.strokeStyle = LEARNER;
    ctx.lineWidth = 2.5;
    ctx.beginPath(); ctx.arc(w / 2, h / 2, 5, 0, Math.PI * 2); ctx.stroke();
  }), 'learner (non-voting member)'));
  roles.append(item(icon((ctx, w, h) => {
    ctx.globalAlpha = 0.75;
    ctx.fillStyle = '#f3f4f6';
    ctx.strokeStyle = '#6b7280';
    ctx.lineWidth = 1.5;
    ctx.setLineDash([3, 2]);
    ctx.beginPath(); ctx.arc(w / 2, h / 2, 7, 0, Math.PI * 2); ctx.fill(); ctx.stroke();
  }), 'spare machine (not in the configuration)'));
  roles.append(item(icon((ctx, w, h) => {
    ctx.lineWidth = 3;
    ctx.strokeStyle = CONFIG_OLD;
    ctx.beginPath(); ctx.arc(w / 2, h / 2, 6.5, Math.PI / 2 + 0.15, Math.PI * 1.5 - 0.15); ctx.stroke();
    ctx.strokeStyle = CONFIG_NEW;
    ctx.beginPath(); ctx.arc(w / 2, h / 2, 6.5, -Math.PI / 2 + 0.15, Math.PI / 2 - 0.15); ctx.stroke();
  }), 'joint configuration: C_old left, C_new right'));

  const msgs = document.createElement('ul');
  msgs.className = 'legend-list';
  for (const key of MSG_LEGEND) {
    const st = key === 'AppendEmpty' ? msgStyle('AppendEntries', 0) : msgStyle(key, 1);
    msgs.append(item(icon((ctx, w, h) => drawGlyph(ctx, st, w / 2, h / 2, key === 'AppendEntries' ? 6 : 5)), msgLabel(key)));
  }
  msgs.append(item(icon((ctx, w, h) => drawGlyph(ctx, msgStyle('AppendEntriesResp'), w / 2, h / 2, 5, {reject: true})),
    'rejected response (red centre)'));
  msgs.append(item(icon((ctx, w, h) => drawGlyph(ctx, msgStyle('Heartbeat'), w / 2, h / 2, 4, {dup: true})),
    'duplicated (dashed ring)'));
  msgs.append(item(icon((ctx, w, h) => {
    ctx.strokeStyle = CUT;
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    ctx.moveTo(w / 2 - 5, h / 2 - 5); ctx.lineTo(w / 2 + 5, h / 2 + 5);
    ctx.moveTo(w / 2 + 5, h / 2 - 5); ctx.lineTo(w / 2 - 5, h / 2 + 5);
    ctx.stroke();
  }), 'message lost (cross)'));
  msgs.append(item(icon((ctx, w, h) => {
    ctx.strokeStyle = CUT;
    ctx.lineWidth = 2;
    ctx.setLineDash([4, 3]);
    ctx.beginPath(); ctx.moveTo(1, h / 2); ctx.lineTo(w - 1, h / 2); ctx.stroke();
  }), 'cut link (arrow: one way)'));

  const h1 = document.createElement('h3');
  h1.textContent = 'Servers';
  const h2 = document.createElement('h3');
  h2.textContent = 'Messages (requests filled, responses ringed)';
  el.replaceChildren(h1, roles, h2, msgs);
}
