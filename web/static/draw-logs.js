// Logs: one row per server, one cell per entry, coloured by term with the
// term written in it, aligned by index across servers. Committed entries
// end at the C marker, applied ones at the ▲, and entries not yet durable
// are hatched with a dashed border. The compacted prefix of a log is one
// snapshot block ("snapshot ≤ 120, t3") just before its first retained
// entry (paper §7); configuration entries carry a purple corner, a leader's
// no-op a grey dot.

import {CONFIG_ENTRY, FONT, INK, KIND_CONFIG, KIND_NOOP, MONO, MUTED, OI, SNAPSHOT_FILL, SNAPSHOT_STROKE, hatchPattern,
  roleStyle, termColor} from './palette.js';
import {fitCanvas} from './fmt.js';

const LABEL_W = 88;
const SNAP_W = 84; // the snapshot block's own room, left of the cells
const GUTTER = 12; // room for the … of retained entries not shown
const HEAD_H = 18;

// drawLogs draws every row and returns what each row shows, for the page's
// description and its tests: {id, snapshot, first, last}.
// highlights (a lesson's step) are rows to mark: {id, index} (index 0: the
// whole row).
export function drawLogs(canvas, v, selected, highlights) {
  const {ctx, w, h} = fitCanvas(canvas);
  ctx.clearRect(0, 0, w, h);
  const out = [];
  if (!v || !v.servers || !v.servers.length) return out;
  const servers = v.servers;
  const n = servers.length;
  const every = thresholds(servers);
  ctx.font = `10px ${MONO}`;
  let RIGHT_W = 0;
  const nums = servers.map((s) => `c${s.commit} a${s.applied} d${s.durable}` +
    (every.same ? '' : ` s/${s.snapshotEvery || 'off'}`));
  for (const t of nums) RIGHT_W = Math.max(RIGHT_W, ctx.measureText(t).width);
  RIGHT_W += 14;
  const avail = Math.max(40, w - LABEL_W - SNAP_W - GUTTER - RIGHT_W - 8);
  const X0 = LABEL_W + SNAP_W + GUTTER;
  // Readable cells first: shrink them only when fewer than 12 would fit.
  const cw = avail / 22 >= 12 ? 22 : Math.max(14, avail / 12);
  const cols = Math.max(4, Math.min(48, Math.floor(avail / cw)));
  let hi = 0;
  for (const s of servers) hi = Math.max(hi, s.last);
  const lo = Math.max(1, hi - cols + 1);
  const rh = Math.max(15, Math.min(30, (h - HEAD_H - 4) / n));
  const ch = Math.max(11, rh - (rh < 20 ? 3 : 6));

  // The index axis, and the snapshot threshold at its right.
  ctx.font = `10px ${MONO}`;
  ctx.fillStyle = MUTED;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  const tick = cw >= 22 ? 5 : 10;
  for (let i = lo; i <= lo + cols - 1; i++) {
    if (i % tick === 0 || i === 1) ctx.fillText(String(i), X0 + (i - lo + 0.5) * cw, HEAD_H / 2);
  }
  ctx.textAlign = 'left';
  ctx.fillText('index', 6, HEAD_H / 2);
  // The threshold, over the snapshot blocks.
  ctx.font = `10px ${FONT}`;
  const room = SNAP_W + GUTTER - 6;
  ctx.fillText(every.texts.find((t) => ctx.measureText(t).width <= room) || '', LABEL_W + 2, HEAD_H / 2);

  const hatch = hatchPattern(ctx);
  servers.forEach((s, row) => {
    const y = HEAD_H + row * rh + (rh - ch) / 2;
    const role = s.up ? s.role : 'crashed';
    if (selected === s.id) {
      ctx.fillStyle = '#eef4fb';
      ctx.fillRect(0, HEAD_H + row * rh, w, rh);
    }
    const spare = s.member === 'spare';
    ctx.globalAlpha = s.up && !spare ? 1 : 0.5;
    // Label: name and role (or place in the configuration).
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    ctx.font = `700 12px ${FONT}`;
    ctx.fillStyle = INK;
    ctx.fillText('S' + s.id, 6, y + ch / 2);
    ctx.font = `11px ${FONT}`;
    ctx.fillStyle = role === 'leader' ? OI.blue : s.member === 'learner' && s.up ? '#1f6d99' : MUTED;
    ctx.fillText(rowLabel(s, role), 28, y + ch / 2);

    const snap = s.snapIndex || 0;
    const start = s.logStart || 1; // the first entry the view carries
    const first = Math.max(lo, start);
    if (s.last === 0 && !snap) {
      ctx.fillStyle = MUTED;
      ctx.font = `italic 11px ${FONT}`;
      ctx.fillText(spare ? '(spare machine: no log)' : s.up ? '(empty log)' : '(down: only its disk remains)',
        LABEL_W + 2, y + ch / 2);
    }
    out.push({id: s.id, snapshot: snap ? drawSnapshot(ctx, s, snap, lo, X0, cw, y, ch) : '', first: snap + 1, last: s.last});
    // Retained entries that the row does not show: before the view, or
    // before the tail the view carries.
    const hidden = first > snap + 1 && s.last >= first;
    if (hidden) {
      ctx.fillStyle = MUTED;
      ctx.font = `700 12px ${FONT}`;
      ctx.textAlign = 'center';
      ctx.fillText('…', X0 - GUTTER / 2, y + ch / 2);
    } else if (s.last > 0 && s.last < lo) {
      ctx.fillStyle = MUTED;
      ctx.font = `italic 11px ${FONT}`;
      ctx.textAlign = 'left';
      ctx.fillText(`◂ … its log ends at ${s.last}, ${hi - s.last} behind`, X0 + 2, y + ch / 2);
    }
    ctx.font = `${cw >= 18 ? 10 : 9}px ${MONO}`;
    ctx.textAlign = 'center';
    const terms = s.logTerms || [];
    const kinds = kindsOf(s);
    for (let i = Math.max(first, snap + 1); i <= s.last; i++) {
      const t = terms[i - start];
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
      markKind(ctx, kinds[i - start], x, y, cw, ch);
    }
    // Commit: a bar after the last committed entry; applied: a triangle.
    if (s.commit >= lo && s.commit >= first - 1 && s.last) {
      const x = X0 + (s.commit - lo + 1) * cw;
      ctx.fillStyle = INK;
      ctx.fillRect(x - 1.5, y - 3, 3, ch + 6);
    }
    if (s.applied >= lo && s.applied >= first && s.applied > snap) {
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
    // A lesson's step points at this row (or one entry of it): amber.
    for (const hl of highlights || []) {
      if (hl.id !== s.id) continue;
      ctx.save();
      ctx.globalAlpha = 1;
      ctx.strokeStyle = '#e69f00';
      ctx.lineWidth = 3;
      if (hl.index >= lo && hl.index < lo + cols) ctx.strokeRect(X0 + (hl.index - lo) * cw - 1, y - 3, cw + 2, ch + 6);
      else ctx.strokeRect(2, HEAD_H + row * rh + 1, w - 4, rh - 2);
      ctx.restore();
    }
    // Numbers on the right.
    ctx.textAlign = 'left';
    ctx.font = `10px ${MONO}`;
    ctx.fillStyle = MUTED;
    ctx.fillText(nums[row], w - RIGHT_W + 6, y + ch / 2);
    ctx.globalAlpha = 1;
  });
  return out;
}

// kindsOf returns the kinds of a server's entries. Go's encoding/json
// writes a []uint8 as base64, so the view may carry a string.
function kindsOf(s) {
  const k = s.logKinds;
  if (typeof k !== 'string') return k || [];
  try {
    return Uint8Array.from(atob(k), (c) => c.charCodeAt(0));
  } catch (e) {
    return [];
  }
}

function rowLabel(s, role) {
  if (role === 'leader') return '★ leader';
  if (role === 'crashed') return '✖ down';
  if (s.member === 'spare') return 'spare';
  if (s.member === 'learner') return 'learner';
  return role === 'pre-candidate' ? 'pre-cand.' : role === 'candidate' ? 'cand.' : roleStyle(role).label;
}

// thresholds says how often the servers snapshot: one text for all, or a
// note that it differs (then each row shows its own).
function thresholds(servers) {
  const set = new Set(servers.map((s) => s.snapshotEvery || 0));
  if (set.size > 1) return {same: false, texts: ['snapshot every: s/N', 'every: s/N →']};
  const n = [...set][0];
  return {same: true, texts: n ? [`snapshot every ${n}`, `snap every ${n}`, `every ${n}`] : ['snapshots off', 'no snapshots']};
}

// drawSnapshot draws the compacted prefix as one block that ends just
// before the first retained entry: over the compacted cells in view, or in
// its own room when they are all left of the view.
function drawSnapshot(ctx, s, snap, lo, X0, cw, y, ch) {
  const x0 = LABEL_W + 2;
  const x1 = snap >= lo - 1 ? X0 + (snap - lo + 1) * cw - 1 : LABEL_W + SNAP_W - 2;
  ctx.save();
  ctx.fillStyle = SNAPSHOT_FILL;
  ctx.strokeStyle = SNAPSHOT_STROKE;
  ctx.lineWidth = 1.2;
  if (s.durableSnap < snap) ctx.setLineDash([3, 2]);
  ctx.beginPath();
  ctx.rect(x0 + 0.5, y + 0.5, x1 - x0 - 1, ch - 1);
  ctx.fill();
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.fillStyle = INK;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  const room = x1 - x0 - 6;
  const texts = [`snapshot ≤ ${snap}, t${s.snapTerm}`, `snap ≤ ${snap}, t${s.snapTerm}`, `≤${snap} t${s.snapTerm}`, `≤${snap}`];
  ctx.font = `600 10px ${FONT}`;
  const text = texts.find((t) => ctx.measureText(t).width <= room) || '';
  ctx.fillText(text, (x0 + x1) / 2, y + ch / 2 + 0.5);
  ctx.restore();
  return texts[0];
}

// markKind marks the entries that are not client commands.
function markKind(ctx, kind, x, y, cw, ch) {
  if (kind === KIND_CONFIG) {
    // A configuration entry: a purple border and corner.
    const c = Math.min(8, cw * 0.4);
    ctx.fillStyle = CONFIG_ENTRY;
    ctx.beginPath();
    ctx.moveTo(x + cw - 1 - c, y);
    ctx.lineTo(x + cw - 1, y);
    ctx.lineTo(x + cw - 1, y + c);
    ctx.closePath();
    ctx.fill();
    ctx.strokeStyle = CONFIG_ENTRY;
    ctx.lineWidth = 2;
    ctx.strokeRect(x + 2, y + 1, cw - 4, ch - 2);
  } else if (kind === KIND_NOOP) {
    // A leader's no-op (§8): a grey dot in the top-left corner.
    ctx.fillStyle = '#6b7280';
    ctx.beginPath();
    ctx.arc(x + 5, y + 4, 2.2, 0, Math.PI * 2);
    ctx.fill();
  }
}
