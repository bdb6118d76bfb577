// Logs: one row per server, one cell per entry, coloured by term with the
// term written in it, aligned by index across servers. Committed entries
// end at the C marker, applied ones at the ▲, and entries not yet durable
// are hatched with a dashed border.

import {FONT, INK, MONO, MUTED, OI, hatchPattern, roleStyle, termColor} from './palette.js';
import {fitCanvas} from './fmt.js';

const LABEL_W = 88;
const GUTTER = 14; // room for the … of a longer log
const HEAD_H = 18;

export function drawLogs(canvas, v, selected) {
  const {ctx, w, h} = fitCanvas(canvas);
  ctx.clearRect(0, 0, w, h);
  if (!v || !v.servers || !v.servers.length) return;
  const servers = v.servers;
  const n = servers.length;
  ctx.font = `10px ${MONO}`;
  let RIGHT_W = 0;
  const nums = servers.map((s) => `c${s.commit} a${s.applied} d${s.durable}`);
  for (const t of nums) RIGHT_W = Math.max(RIGHT_W, ctx.measureText(t).width);
  RIGHT_W += 14;
  const avail = Math.max(40, w - LABEL_W - GUTTER - RIGHT_W - 8);
  const X0 = LABEL_W + GUTTER;
  // Readable cells first: shrink them only when fewer than 12 would fit.
  const cw = avail / 22 >= 12 ? 22 : Math.max(14, avail / 12);
  const cols = Math.max(4, Math.min(48, Math.floor(avail / cw)));
  let hi = 0;
  for (const s of servers) hi = Math.max(hi, s.last);
  const lo = Math.max(1, hi - cols + 1);
  const rh = Math.max(15, Math.min(30, (h - HEAD_H - 4) / n));
  const ch = Math.max(11, rh - 6);

  // The index axis.
  ctx.font = `10px ${MONO}`;
  ctx.fillStyle = MUTED;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  const every = cw >= 22 ? 5 : 10;
  for (let i = lo; i <= lo + cols - 1; i++) {
    if (i % every === 0 || i === 1) ctx.fillText(String(i), X0 + (i - lo + 0.5) * cw, HEAD_H / 2);
  }
  ctx.textAlign = 'left';
  ctx.fillText('index', 6, HEAD_H / 2);

  const hatch = hatchPattern(ctx);
  servers.forEach((s, row) => {
    const y = HEAD_H + row * rh + (rh - ch) / 2;
    const role = s.up ? s.role : 'crashed';
    const st = roleStyle(role);
    if (selected === s.id) {
      ctx.fillStyle = '#eef4fb';
      ctx.fillRect(0, HEAD_H + row * rh, w, rh);
    }
    ctx.globalAlpha = s.up ? 1 : 0.5;
    // Label: name and role glyph.
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    ctx.font = `700 12px ${FONT}`;
    ctx.fillStyle = INK;
    ctx.fillText('S' + s.id, 6, y + ch / 2);
    ctx.font = `11px ${FONT}`;
    ctx.fillStyle = role === 'leader' ? OI.blue : MUTED;
    ctx.fillText(role === 'leader' ? '★ leader' : role === 'crashed' ? '✖ down' : role === 'pre-candidate' ? 'pre-cand.' : role === 'candidate' ? 'cand.' : 'follower',
      28, y + ch / 2);

    const first = Math.max(lo, s.logStart || 1);
    if (s.last === 0) {
      ctx.fillStyle = MUTED;
      ctx.font = `italic 11px ${FONT}`;
      ctx.fillText(s.up ? '(empty log)' : '(down: only its disk remains)', X0 + 2, y + ch / 2);
    }
    if (first > 1 && s.last >= first) {
      ctx.fillStyle = MUTED;
      ctx.font = `700 12px ${FONT}`;
      ctx.textAlign = 'center';
      ctx.fillText('…', LABEL_W + GUTTER / 2, y + ch / 2);
    } else if (s.last > 0 && s.last < lo) {
      ctx.fillStyle = MUTED;
      ctx.font = `italic 11px ${FONT}`;
      ctx.fillText(`◂ … its log ends at ${s.last}, ${hi - s.last} behind`, LABEL_W + 2, y + ch / 2);
    }
    ctx.font = `${cw >= 18 ? 10 : 9}px ${MONO}`;
    ctx.textAlign = 'center';
    const terms = s.logTerms || [];
    for (let i = first; i <= s.last; i++) {
      const t = terms[i - (s.logStart || 1)];
      if (t === undefined) continue;
      const x = X0 + (i - lo) * cw;
      ctx.fillStyle = termColor(t);
      ctx.fillRect(x + 1, y, cw - 2, ch);
      const durable = i <= s.durable;
      if (!durable) {
        ctx.fillStyle = hatch;
        ctx.fillRect(x + 1, y, cw - 2, ch);
        ctx.setLineDash([2, 2]);
      }
      ctx.strokeStyle = i <= s.commit ? '#374151' : '#9ca3af';
      ctx.lineWidth = 1;
      ctx.strokeRect(x + 1.5, y + 0.5, cw - 3, ch - 1);
      ctx.setLineDash([]);
      if (cw >= 15 && ch >= 12) {
        ctx.fillStyle = INK;
        ctx.fillText(String(t), x + cw / 2, y + ch / 2 + 0.5);
      }
    }
    // Commit: a bar after the last committed entry; applied: a triangle.
    if (s.commit >= lo && s.commit >= first - 1 && s.last) {
      const x = X0 + (s.commit - lo + 1) * cw;
      ctx.fillStyle = INK;
      ctx.fillRect(x - 1.5, y - 3, 3, ch + 6);
    }
    if (s.applied >= lo && s.applied >= first) {
      const x = X0 + (s.applied - lo + 0.5) * cw;
      ctx.fillStyle = OI.green;
      ctx.beginPath();
      ctx.moveTo(x, y + ch - 5);
      ctx.lineTo(x + 4, y + ch + 1);
      ctx.lineTo(x - 4, y + ch + 1);
      ctx.closePath();
      ctx.fill();
      ctx.strokeStyle = '#fff';
      ctx.stroke();
    }
    // Numbers on the right.
    ctx.textAlign = 'left';
    ctx.font = `10px ${MONO}`;
    ctx.fillStyle = MUTED;
    ctx.fillText(nums[row], w - RIGHT_W + 6, y + ch / 2);
    ctx.globalAlpha = 1;
  });
}
