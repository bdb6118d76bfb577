// The visual vocabulary, in one place so that the ring, the space-time
// diagram and the legend agree. Colours are Okabe–Ito (safe for the common
// colour-vision deficiencies); every colour also comes with a shape, a fill
// or a word, so that nothing is told by colour alone.

export const OI = {
  black: '#000000', orange: '#E69F00', sky: '#56B4E9', green: '#009E73',
  yellow: '#F0E442', blue: '#0072B2', vermillion: '#D55E00', purple: '#CC79A7', grey: '#8a8a8a',
};

export const INK = '#1d2430';
export const MUTED = '#6b7280';
export const LINK = '#dfe3ea';
export const CUT = OI.vermillion;

// Roles: fill, stroke, text colour, dash, label.
export const ROLE = {
  follower: {fill: '#ffffff', stroke: '#4b5563', text: INK, width: 2, dash: null, label: 'follower', glyph: ''},
  'pre-candidate': {fill: '#fff3d6', stroke: '#b87d00', text: INK, width: 3, dash: [5, 3], label: 'pre-candidate', glyph: '?'},
  candidate: {fill: OI.orange, stroke: '#7a5200', text: INK, width: 3, dash: null, label: 'candidate', glyph: '!'},
  leader: {fill: OI.blue, stroke: '#00304d', text: '#ffffff', width: 4, dash: null, label: 'leader', glyph: '★'},
  crashed: {fill: '#d4d6da', stroke: '#6b7280', text: '#4b5563', width: 2, dash: [3, 3], label: 'crashed', glyph: '✖'},
};

export function roleStyle(role) {
  return ROLE[role] || ROLE.follower;
}

// Message styles. Families share a colour; requests are filled shapes,
// responses are rings of the same shape.
const MSG = {
  PreVote: {color: OI.yellow, shape: 'diamond', resp: false, label: 'PreVote'},
  PreVoteResp: {color: OI.yellow, shape: 'diamond', resp: true, label: 'PreVote response'},
  RequestVote: {color: OI.orange, shape: 'diamond', resp: false, label: 'RequestVote'},
  RequestVoteResp: {color: OI.orange, shape: 'diamond', resp: true, label: 'RequestVote response'},
  AppendEntries: {color: OI.blue, shape: 'circle', resp: false, label: 'AppendEntries with entries'},
  AppendEmpty: {color: OI.sky, shape: 'circle', resp: false, label: 'AppendEntries, empty'},
  AppendEntriesResp: {color: OI.blue, shape: 'circle', resp: true, label: 'AppendEntries response'},
  Heartbeat: {color: OI.green, shape: 'small', resp: false, label: 'Heartbeat'},
  HeartbeatResp: {color: OI.green, shape: 'small', resp: true, label: 'Heartbeat response'},
  ClientRequest: {color: OI.purple, shape: 'square', resp: false, label: 'Client request'},
  ClientReply: {color: OI.purple, shape: 'square', resp: true, label: 'Client reply'},
  TimeoutNow: {color: OI.vermillion, shape: 'diamond', resp: false, label: 'TimeoutNow (leadership transfer)'},
  InstallSnapshot: {color: OI.black, shape: 'box', resp: false, label: 'InstallSnapshot chunk'},
  InstallSnapshotResp: {color: OI.black, shape: 'box', resp: true, label: 'InstallSnapshot response'},
};
const MSG_UNKNOWN = {color: OI.grey, shape: 'circle', resp: false, label: 'other'};

export const MSG_LEGEND = ['PreVote', 'PreVoteResp', 'RequestVote', 'RequestVoteResp', 'AppendEntries',
  'AppendEmpty', 'AppendEntriesResp', 'Heartbeat', 'HeartbeatResp', 'ClientRequest', 'ClientReply', 'TimeoutNow',
  'InstallSnapshot', 'InstallSnapshotResp'];

export function msgStyle(type, entries) {
  if (type === 'AppendEntries' && !entries) return MSG.AppendEmpty;
  return MSG[type] || MSG_UNKNOWN;
}

export function msgLabel(key) {
  return (MSG[key] || MSG_UNKNOWN).label;
}

// drawGlyph draws one message at (x, y) with radius r.
export function drawGlyph(ctx, st, x, y, r, opts) {
  const shape = st.shape === 'small' ? 'circle' : st.shape;
  if (st.shape === 'small') r *= 0.8;
  ctx.beginPath();
  shapePath(ctx, shape, x, y, r);
  ctx.fillStyle = st.color;
  ctx.fill();
  ctx.lineWidth = 1;
  ctx.strokeStyle = 'rgba(0,0,0,0.55)';
  ctx.stroke();
  if (st.resp) {
    ctx.beginPath();
    shapePath(ctx, shape, x, y, r * 0.45);
    ctx.fillStyle = opts && opts.reject ? OI.vermillion : '#ffffff';
    ctx.fill();
  }
  if (opts && opts.dup) {
    ctx.beginPath();
    ctx.setLineDash([2, 2]);
    ctx.arc(x, y, r + 3.5, 0, Math.PI * 2);
    ctx.strokeStyle = INK;
    ctx.stroke();
    ctx.setLineDash([]);
  }
}

function shapePath(ctx, shape, x, y, r) {
  if (shape === 'box') {
    // A parcel: wider than tall, like a block of the snapshot's bytes.
    const dx = r * 1.35, dy = r * 0.9;
    ctx.rect(x - dx, y - dy, 2 * dx, 2 * dy);
  } else if (shape === 'diamond') {
    const d = r * 1.25;
    ctx.moveTo(x, y - d); ctx.lineTo(x + d, y); ctx.lineTo(x, y + d); ctx.lineTo(x - d, y); ctx.closePath();
  } else if (shape === 'square') {
    const d = r * 0.9;
    ctx.rect(x - d, y - d, 2 * d, 2 * d);
  } else {
    ctx.arc(x, y, r, 0, Math.PI * 2);
  }
}

// Membership (paper §6): how a server stands in the configuration. Every
// kind has a word on the ring and in the panels; colour only repeats it.
export const CONFIG_OLD = '#a3487f'; // C_old: the configuration being left
export const CONFIG_NEW = OI.green; // C_new: the configuration being entered
export const LEARNER = OI.sky;
export const MEMBER = {
  voter: {label: 'voter', text: 'voter'},
  learner: {label: 'learner', text: 'learner: non-voting, gets the log'},
  joining: {label: 'joining', text: 'voter of C_new only'},
  leaving: {label: 'leaving', text: 'voter of C_old only'},
  spare: {label: 'spare', text: 'spare machine: outside the configuration'},
};

export function memberStyle(member) {
  return MEMBER[member] || MEMBER.voter;
}

// Log entries that are not client commands.
export const KIND_NOOP = 1;
export const KIND_CONFIG = 2;
export const CONFIG_ENTRY = '#6a3d9a';
export const SNAPSHOT_FILL = '#d9dde4';
export const SNAPSHOT_STROKE = '#4b5563';

// Terms: light tints so that the term number written in each cell stays
// readable; the number, not the colour, is the truth.
const TERM = ['#cde6f7', '#fde2b0', '#c3eadb', '#f7f0a8', '#bcd3ea', '#f7cdb5', '#eccde0', '#dcdcdc',
  '#a9d4f0', '#fbd08a', '#9fdcc5', '#f2e77a'];

export function termColor(term) {
  if (!term) return '#f3f4f6';
  return TERM[(term - 1) % TERM.length];
}

// Partition sides.
export const SIDE = [OI.sky, OI.orange, OI.green, OI.purple, OI.yellow, OI.blue];
export const SIDE_NAME = ['A', 'B', 'C', 'D', 'E', 'F'];

let hatch = null;
// hatchPattern is diagonal stripes for what is not yet durable.
export function hatchPattern(ctx) {
  if (hatch) return hatch;
  const c = document.createElement('canvas');
  c.width = c.height = 6;
  const g = c.getContext('2d');
  g.strokeStyle = 'rgba(29,36,48,0.55)';
  g.lineWidth = 1.2;
  g.beginPath();
  g.moveTo(0, 6); g.lineTo(6, 0);
  g.moveTo(-3, 3); g.lineTo(3, -3);
  g.moveTo(3, 9); g.lineTo(9, 3);
  g.stroke();
  hatch = ctx.createPattern(c, 'repeat');
  return hatch;
}

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", "DejaVu Sans", Arial, sans-serif';
export const MONO = 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace';
