// The space-time (Lamport) diagram: one lane per server (and one for the
// clients), virtual time flowing left to right over a recent window; a
// line per message from its send to its delivery, a cross where one was
// lost, and a band under each lane for its role.

import {FONT, INK, MONO, MUTED, OI, msgStyle} from './palette.js';
import {fitCanvas, niceStep} from './fmt.js';

const LEFT = 34;
const TOP = 16;

const BAND = {
  leader: OI.blue,
  candidate: OI.orange,
  'pre-candidate': '#f5cf7a',
  crashed: '#b8bcc4',
};

export function drawLamport(canvas, v, hist, windowUs, selected) {
  const {ctx, w, h} = fitCanvas(canvas);
  ctx.clearRect(0, 0, w, h);
  if (!v || !v.servers || !v.servers.length) return;
  const servers = v.servers;
  const clients = v.workload && v.workload.clients > 0;
  const lanes = servers.length + (clients ? 1 : 0);
  const right = w - 12;
  const laneH = Math.max(10, (h - TOP - 8) / lanes);
  const laneIndex = new Map();
  servers.forEach((s, i) => laneIndex.set(s.id, i));
  const yOf = (id) => TOP + laneH * ((id > 100 ? servers.length : laneIndex.get(id) ?? 0) + 0.5);
  const now = v.now;
  const t0 = now - windowUs;
  const xOf = (t) => LEFT + ((t - t0) / windowUs) * (right - LEFT);

  // Axis.
  const step = niceStep(windowUs, Math.max(2, Math.floor((right - LEFT) / 90)));
  const digits = step >= 1e6 ? 0 : step >= 1e5 ? 1 : step >= 1e4 ? 2 : 3;
  ctx.font = `10px ${MONO}`;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'center';
  for (let t = Math.ceil(Math.max(0, t0) / step) * step; t <= now; t += step) {
    const x = xOf(t);
    ctx.fillStyle = '#eef0f4';
    ctx.fillRect(x, TOP, 1, h - TOP - 4);
    ctx.fillStyle = MUTED;
    ctx.fillText((t / 1e6).toFixed(digits) + 's', x, TOP / 2);
  }
  if (t0 < 0) {
    ctx.fillStyle = '#f6f7f9';
    ctx.fillRect(LEFT, TOP, xOf(0) - LEFT, h - TOP - 4);
  }

  // Lanes with role bands.
  ctx.textAlign = 'left';
  servers.forEach((s) => {
    const y = yOf(s.id);
    if (selected === s.id) {
      ctx.fillStyle = '#eef4fb';
      ctx.fillRect(0, y - laneH / 2, w, laneH);
    }
    const roles = hist.roles.get(s.id) || [];
    for (let i = 0; i < roles.length; i++) {
      const r = roles[i];
      const color = BAND[r.role];
      if (!color) continue;
      const a = Math.max(t0, r.t < 0 ? t0 : r.t);
      const b = i + 1 < roles.length ? roles[i + 1].t : now;
      if (b < t0) continue;
      ctx.fillStyle = color;
      ctx.globalAlpha = r.role === 'leader' ? 0.85 : 0.7;
      const bh = r.role === 'leader' ? 5 : 4;
      ctx.fillRect(xOf(a), y - bh / 2, Math.max(1, xOf(b) - xOf(a)), bh);
      ctx.globalAlpha = 1;
    }
    ctx.strokeStyle = s.up ? '#c3c8d1' : '#d7dae0';
    ctx.lineWidth = 1;
    if (!s.up) ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(LEFT, y);
    ctx.lineTo(right, y);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.font = `700 11px ${FONT}`;
    ctx.fillStyle = INK;
    ctx.fillText('S' + s.id, 4, y);
  });
  if (clients) {
    const y = yOf(101);
    ctx.strokeStyle = '#e4d2de';
    ctx.beginPath();
    ctx.moveTo(LEFT, y);
    ctx.lineTo(right, y);
    ctx.stroke();
    ctx.font = `700 11px ${FONT}`;
    ctx.fillStyle = '#8a4a73';
    ctx.fillText('C', 4, y);
  }

  // Messages: gathered by colour and drawn as one path each, so that a busy
  // window of thousands of messages costs a few strokes, not thousands.
  const solid = new Map(); // colour|thin -> [x0, y0, x1, y1, ...]
  const dashed = new Map(); // colour -> same, for duplicates and messages in flight
  const heads = new Map(); // colour -> [x, y, ...]
  const list = (map, key) => {
    let a = map.get(key);
    if (!a) map.set(key, (a = []));
    return a;
  };
  const drops = [];
  for (const [id, m] of hist.msgs) {
    if (m.sent == null || m.sent > now) continue;
    const end = m.del2 ?? m.del ?? m.drop ?? now;
    if (end < t0) continue;
    if (m.color == null) {
      // A message's look never changes: work it out once.
      const st = msgStyle(m.type, m.entries);
      m.color = st.color === OI.yellow ? '#b9a800' : st.color;
      m.line = m.color + '|' + (st.resp ? 1 : 0);
    }
    const color = m.color;
    const y0 = yOf(m.from), y1 = yOf(m.to);
    const x0 = xOf(m.sent);
    if (m.del != null) {
      const x1 = xOf(m.del);
      list(solid, m.line).push(x0, y0, x1, y1);
      const hs = list(heads, color);
      hs.push(x1, y1);
      if (m.del2 != null) {
        const x2 = xOf(m.del2);
        list(dashed, color).push(x0, y0, x2, y1);
        hs.push(x2, y1);
      }
    } else if (m.drop != null) {
      const f = m.drop > m.sent ? 0.85 : 0.25;
      const xd = m.drop > m.sent ? xOf(m.drop) : x0 + 6;
      const yd = y0 + (y1 - y0) * f;
      list(solid, m.line).push(x0, y0, xd, yd);
      drops.push(xd, yd);
    } else {
      const fl = hist.flights.get(id);
      let p = 0.5;
      if (fl && fl.arrive > fl.sent) p = Math.min(1, Math.max(0, (now - fl.sent) / (fl.arrive - fl.sent)));
      list(dashed, color).push(x0, y0, xOf(now), y0 + (y1 - y0) * p);
    }
  }
  for (const [key, xs] of solid) {
    const [color, thin] = key.split('|');
    ctx.strokeStyle = color;
    ctx.lineWidth = thin === '1' ? 1 : 1.4;
    strokeSegments(ctx, xs);
  }
  ctx.lineWidth = 1.2;
  ctx.setLineDash([2, 3]);
  for (const [color, xs] of dashed) {
    ctx.strokeStyle = color;
    strokeSegments(ctx, xs);
  }
  ctx.setLineDash([]);
  for (const [color, xs] of heads) {
    ctx.fillStyle = color;
    for (let i = 0; i < xs.length; i += 2) ctx.fillRect(xs[i] - 2, xs[i + 1] - 2, 4, 4);
  }
  if (drops.length) {
    ctx.strokeStyle = OI.vermillion;
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (let i = 0; i < drops.length; i += 2) {
      const xd = drops[i], yd = drops[i + 1];
      ctx.moveTo(xd - 3.5, yd - 3.5); ctx.lineTo(xd + 3.5, yd + 3.5);
      ctx.moveTo(xd + 3.5, yd - 3.5); ctx.lineTo(xd - 3.5, yd + 3.5);
    }
    ctx.stroke();
  }

  // Marks: crashes, restarts, timeouts, the violation.
  ctx.font = `700 11px ${FONT}`;
  ctx.textAlign = 'center';
  for (const mk of hist.marks) {
    if (mk.t < t0) continue;
    const x = xOf(mk.t), y = yOf(mk.node);
    if (mk.kind === 'crash') {
      ctx.fillStyle = OI.vermillion;
      ctx.fillText('✖', x, y);
    } else if (mk.kind === 'restart') {
      ctx.fillStyle = OI.green;
      ctx.fillText('↻', x, y);
    } else if (mk.kind === 'timeout') {
      ctx.strokeStyle = '#8a5a00';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(x, y - laneH * 0.35);
      ctx.lineTo(x, y + laneH * 0.35);
      ctx.stroke();
    } else if (mk.kind === 'violation') {
      ctx.fillStyle = OI.vermillion;
      ctx.fillRect(x - 1, TOP, 2, h - TOP - 4);
      ctx.fillText('!', x + 6, TOP + 6);
    }
  }
  // Now.
  ctx.fillStyle = INK;
  ctx.fillRect(right, TOP - 2, 1.5, h - TOP - 2);
}

// strokeSegments strokes the segments [x0, y0, x1, y1, ...] as one path.
function strokeSegments(ctx, xs) {
  ctx.beginPath();
  for (let i = 0; i < xs.length; i += 4) {
    ctx.moveTo(xs[i], xs[i + 1]);
    ctx.lineTo(xs[i + 2], xs[i + 3]);
  }
  ctx.stroke();
}
