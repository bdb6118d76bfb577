// The ring: servers as circles (term inside, election-timer arc around),
// links between them (cut links dashed red, one-way cuts with an arrow),
// partition sides as tinted halos, clients in the middle, and messages as
// dots travelling from sender to receiver. The ring holds the members of the
// configuration; spare machines wait on a shelf at the right, faded and
// dashed, until a membership change brings them in (paper §6).

import {CONFIG_ENTRY, CONFIG_NEW, CONFIG_OLD, CUT, FONT, INK, LEARNER, LINK, MUTED, OI, SIDE, SIDE_NAME, drawGlyph, msgStyle,
  roleStyle} from './palette.js';
import {FLASH_DURATION_MS} from './history.js';
import {fitCanvas} from './fmt.js';

const TAU = Math.PI * 2;
const LANE = 4; // px between the two directions of a link
const SHELF_W = 96; // px at the right for the spare machines
const SHORT_ROLE = {'pre-candidate': 'pre-cand.', candidate: 'cand.', leader: 'leader'};

export class ClusterDrawer {
  constructor(canvas) {
    this.canvas = canvas;
    this.pos = new Map(); // endpoint id -> {x, y, r, a, spare}
    this.n = 0;
    this.chunks = []; // the labels of the last InstallSnapshot messages drawn
    this.chunkSeen = new Set();
  }

  layout(v, w, h) {
    // Members on the ring, spares on the shelf (all on the ring if the view
    // has no configuration yet).
    let ring = v.servers.filter((s) => s.member !== 'spare');
    let spares = v.servers.filter((s) => s.member === 'spare');
    if (!ring.length) {
      ring = v.servers;
      spares = [];
    }
    const shelfW = spares.length ? SHELF_W : 0;
    w -= shelfW;
    const n = ring.length;
    const cx = w / 2, cy = h / 2;
    // The largest ring whose circles and labels fit in the canvas.
    let r = 46;
    let R = Math.min(w, h) / 2;
    for (let pass = 0; pass < 2; pass++) {
      R = Math.min(w, h) / 2;
      for (let i = 0; i < n; i++) {
        const a = -Math.PI / 2 + (TAU * i) / n;
        const ca = Math.cos(a), sa = Math.sin(a);
        const b = extents(ca, sa, r, n);
        R = Math.min(R, fit(ca, b.x0, b.x1, w / 2 - 6), fit(sa, b.y0, b.y1, h / 2 - 4));
      }
      R = Math.max(40, R);
      r = Math.max(15, Math.min(46, R * Math.sin(Math.PI / Math.max(n, 3)) * 0.55, 20 + R * 0.1));
    }
    this.pos.clear();
    ring.forEach((s, i) => {
      const a = -Math.PI / 2 + (TAU * i) / n;
      this.pos.set(s.id, {x: cx + R * Math.cos(a), y: cy + R * Math.sin(a), r, a});
    });
    this.shelf = null;
    if (spares.length) {
      // One column, each spare with room for its label under it.
      const top = 34, bottom = h - 8;
      const gap = Math.min(2 * Math.min(22, r * 0.7) + 34, (bottom - top - 18) / spares.length);
      const rs = Math.max(9, Math.min(22, r * 0.7, (gap - 26) / 2));
      const x = w + shelfW / 2;
      const y0 = (top + bottom) / 2 - (gap * spares.length) / 2 + 9;
      spares.forEach((s, j) => this.pos.set(s.id, {x, y: y0 + gap * j + rs + 4, r: rs, a: 0, spare: true}));
      this.shelf = {x: w + 6, y: y0 - 18, w: shelfW - 12, h: gap * spares.length + 22};
    }
    const k = (v.workload && v.workload.clients) || 0;
    const cr = k > 1 ? Math.min(R * 0.3, 16 + 9 * k) : 0;
    for (let j = 0; j < k; j++) {
      const a = -Math.PI / 2 + (TAU * j) / k;
      this.pos.set(101 + j, {x: cx + cr * Math.cos(a), y: cy + cr * Math.sin(a), r: 8, a, client: true});
    }
    this.n = n;
    this.R = R;
    this.r = r;
    this.cx = cx;
    this.cy = cy;
  }

  // hit returns the server under (x, y), or 0.
  hit(x, y) {
    let best = 0, bestD = Infinity;
    for (const [id, p] of this.pos) {
      if (p.client) continue;
      const d = Math.hypot(x - p.x, y - p.y);
      if (d < p.r + 14 && d < bestD) {
        best = id;
        bestD = d;
      }
    }
    return best;
  }

  draw(v, ui) {
    const {ctx, w, h} = fitCanvas(this.canvas);
    ctx.clearRect(0, 0, w, h);
    if (!v || !v.servers || !v.servers.length) return;
    this.layout(v, w, h);
    const cut = cutSet(v.cuts);
    const sides = partitionSides(v, cut);
    this.sides = sides;
    this.drawShelf(ctx);
    this.drawLinks(ctx, v, cut);
    if (sides.count > 1) this.drawSides(ctx, v, sides);
    this.drawClients(ctx, v);
    for (const s of v.servers) {
      if (this.pos.get(s.id).spare) this.drawSpare(ctx, v, s, ui, sides);
      else this.drawServer(ctx, v, s, ui, sides);
    }
    if (ui.focus) this.drawFocus(ctx, v, ui.focus);
    if (ui.pick) this.drawPick(ctx, ui.pick);
    this.drawFlights(ctx, v);
    this.drawFlashes(ctx, ui.flashes, ui.realNow);
  }

  // drawFocus veils every server but one (a classroom room's "you are
  // S3"): the others are drawn, de-emphasized.
  drawFocus(ctx, v, focus) {
    ctx.save();
    ctx.fillStyle = 'rgba(255,255,255,0.55)';
    for (const s of v.servers) {
      if (s.id === focus) continue;
      const p = this.pos.get(s.id);
      ctx.beginPath();
      ctx.arc(p.x, p.y, p.r + 8, 0, TAU);
      ctx.fill();
    }
    ctx.restore();
  }

  // drawShelf frames the spare machines: outside the configuration, they
  // take no part in elections or commitment until added.
  drawShelf(ctx) {
    const b = this.shelf;
    if (!b) return;
    ctx.save();
    ctx.fillStyle = '#f7f8fa';
    ctx.strokeStyle = '#c3c8d1';
    ctx.lineWidth = 1;
    ctx.setLineDash([4, 3]);
    roundRect(ctx, b.x, b.y, b.w, b.h, 8);
    ctx.fill();
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = MUTED;
    ctx.font = `700 9px ${FONT}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText('SPARE MACHINES', b.x + b.w / 2, b.y + 5);
    ctx.restore();
  }

  drawLinks(ctx, v, cut) {
    const ids = v.servers.map((s) => s.id);
    ctx.lineCap = 'round';
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const a = ids[i], b = ids[j];
        const pa = this.pos.get(a), pb = this.pos.get(b);
        const ab = cut.has(a * 16 + b), ba = cut.has(b * 16 + a);
        // A spare talks to no one: no links (its halo tells its side).
        if (pa.spare || pb.spare) continue;
        if (!ab && !ba) {
          ctx.strokeStyle = LINK;
          ctx.lineWidth = 1.2;
          ctx.beginPath();
          ctx.moveTo(pa.x, pa.y);
          ctx.lineTo(pb.x, pb.y);
          ctx.stroke();
          continue;
        }
        if (ab && ba) {
          this.cutLine(ctx, pa, pb, 0, false);
        } else if (ab) {
          this.cutLine(ctx, pa, pb, LANE, true);
          this.openLane(ctx, pb, pa);
        } else {
          this.cutLine(ctx, pb, pa, LANE, true);
          this.openLane(ctx, pa, pb);
        }
      }
    }
  }

  openLane(ctx, pa, pb) {
    const g = lane(pa, pb, LANE);
    ctx.strokeStyle = LINK;
    ctx.lineWidth = 1.2;
    ctx.beginPath();
    ctx.moveTo(g.x0, g.y0);
    ctx.lineTo(g.x1, g.y1);
    ctx.stroke();
  }

  // cutLine draws a cut link from pa to pb: dashed, with a cross in the
  // middle; a one-way cut also gets an arrow at the end it cannot reach.
  cutLine(ctx, pa, pb, off, oneWay) {
    const g = lane(pa, pb, off);
    ctx.save();
    ctx.strokeStyle = CUT;
    ctx.lineWidth = 2.2;
    ctx.setLineDash([6, 5]);
    ctx.beginPath();
    ctx.moveTo(g.x0, g.y0);
    ctx.lineTo(g.x1, g.y1);
    ctx.stroke();
    ctx.setLineDash([]);
    const mx = (g.x0 + g.x1) / 2, my = (g.y0 + g.y1) / 2;
    ctx.fillStyle = '#fff';
    ctx.beginPath();
    ctx.arc(mx, my, 6.5, 0, TAU);
    ctx.fill();
    ctx.lineWidth = 2.2;
    ctx.beginPath();
    ctx.moveTo(mx - 3.5, my - 3.5); ctx.lineTo(mx + 3.5, my + 3.5);
    ctx.moveTo(mx + 3.5, my - 3.5); ctx.lineTo(mx - 3.5, my + 3.5);
    ctx.stroke();
    if (oneWay) {
      // An arrowhead pointing at the server that no longer hears the other.
      const ax = g.x1 - g.ux * 2, ay = g.y1 - g.uy * 2;
      ctx.fillStyle = CUT;
      ctx.beginPath();
      ctx.moveTo(ax, ay);
      ctx.lineTo(ax - g.ux * 9 + g.nx * 4.5, ay - g.uy * 9 + g.ny * 4.5);
      ctx.lineTo(ax - g.ux * 9 - g.nx * 4.5, ay - g.uy * 9 - g.ny * 4.5);
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  }

  drawSides(ctx, v, sides) {
    for (const s of v.servers) {
      const p = this.pos.get(s.id);
      const k = sides.of.get(s.id);
      ctx.globalAlpha = 0.22;
      ctx.fillStyle = SIDE[k % SIDE.length];
      ctx.beginPath();
      ctx.arc(p.x, p.y, p.r + 24, 0, TAU);
      ctx.fill();
      ctx.globalAlpha = 1;
    }
  }

  drawClients(ctx, v) {
    const k = (v.workload && v.workload.clients) || 0;
    if (!k) return;
    ctx.font = `600 9px ${FONT}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (let j = 0; j < k; j++) {
      const p = this.pos.get(101 + j);
      ctx.fillStyle = '#f7e8f1';
      ctx.strokeStyle = '#a35a85';
      ctx.lineWidth = 1;
      roundRect(ctx, p.x - 9, p.y - 8, 18, 16, 3);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = '#6d2f55';
      ctx.fillText('C' + (j + 1), p.x, p.y + 0.5);
    }
    if (k > 1) {
      ctx.fillStyle = MUTED;
      ctx.font = `10px ${FONT}`;
      const cr = Math.hypot(this.pos.get(101).x - this.cx, this.pos.get(101).y - this.cy);
      ctx.fillText(v.workload.on ? 'clients' : 'clients (idle)', this.cx, this.cy + cr + 20);
    }
  }

  drawServer(ctx, v, s, ui, sides) {
    const p = this.pos.get(s.id);
    const {x, y, r} = p;
    const role = s.up ? s.role : 'crashed';
    const st = roleStyle(role);
    if (ui.violators && ui.violators.has(s.id)) {
      ctx.save();
      ctx.strokeStyle = OI.vermillion;
      ctx.lineWidth = 3.5;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.arc(x, y, r + 19, 0, TAU);
      ctx.stroke();
      ctx.restore();
    }
    // A lesson's step points at this server: a wide amber halo.
    if (ui.highlight && ui.highlight.has(s.id)) {
      ctx.save();
      ctx.strokeStyle = 'rgba(230,159,0,0.55)';
      ctx.lineWidth = 7;
      ctx.beginPath();
      ctx.arc(x, y, r + 24, 0, TAU);
      ctx.stroke();
      ctx.restore();
    }
    if (role === 'leader') {
      ctx.fillStyle = 'rgba(0,114,178,0.16)';
      ctx.beginPath();
      ctx.arc(x, y, r + 15, 0, TAU);
      ctx.fill();
    }
    drawSelectionRing(ctx, ui, s, x, y, r + 13);
    // The timer: election timeout for followers and candidates, the
    // heartbeat interval for a leader (dashed, thinner).
    // A learner never campaigns: it has no election timer to show.
    if (s.up && s.timerTimeout > 0 && s.member !== 'learner') {
      const f = Math.min(1, s.timerElapsed / s.timerTimeout);
      const ar = r + 6;
      ctx.lineWidth = role === 'leader' ? 3 : 4.5;
      ctx.strokeStyle = '#e7e9ee';
      ctx.beginPath();
      ctx.arc(x, y, ar, 0, TAU);
      ctx.stroke();
      ctx.save();
      ctx.lineCap = 'butt';
      if (role === 'leader') {
        ctx.strokeStyle = OI.blue;
        ctx.setLineDash([3, 2.5]);
      } else {
        ctx.strokeStyle = s.paused ? '#9ca3af' : f > 0.8 ? '#b85600' : '#374151';
      }
      ctx.beginPath();
      ctx.arc(x, y, ar, -Math.PI / 2, -Math.PI / 2 + TAU * f);
      ctx.stroke();
      ctx.restore();
    }
    // The circle.
    ctx.save();
    ctx.fillStyle = st.fill;
    ctx.strokeStyle = st.stroke;
    ctx.lineWidth = st.width;
    if (st.dash) ctx.setLineDash(st.dash);
    ctx.beginPath();
    ctx.arc(x, y, r, 0, TAU);
    ctx.fill();
    ctx.stroke();
    ctx.restore();
    if (s.member === 'learner') {
      // A learner: a hollow ring inside the circle (it gets the log, never votes).
      ctx.save();
      ctx.strokeStyle = LEARNER;
      ctx.lineWidth = 4;
      ctx.beginPath();
      ctx.arc(x, y, r - 4.5, 0, TAU);
      ctx.stroke();
      ctx.restore();
    }
    if (v.config && v.config.joint) this.drawJointArcs(ctx, v.config, s, x, y, r);
    if (!s.up) {
      ctx.strokeStyle = 'rgba(75,85,99,0.45)';
      ctx.lineWidth = 3;
      const d = r * 0.62;
      ctx.beginPath();
      ctx.moveTo(x - d, y - d); ctx.lineTo(x + d, y + d);
      ctx.moveTo(x + d, y - d); ctx.lineTo(x - d, y + d);
      ctx.stroke();
    }
    ctx.fillStyle = st.text;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.font = `700 ${Math.round(Math.max(11, r * 0.44))}px ${FONT}`;
    ctx.fillText('S' + s.id, x, y - r * 0.2);
    ctx.font = `${Math.round(Math.max(9, r * 0.3))}px ${FONT}`;
    ctx.fillText('term ' + s.term, x, y + r * 0.34);
    if (role === 'leader') {
      ctx.fillStyle = OI.blue;
      ctx.font = `${Math.round(Math.max(12, r * 0.5))}px ${FONT}`;
      ctx.fillText('★', x, y - r - 19);
    }
    if (s.paused) {
      const bx = x + r * 0.78, by = y - r * 0.78;
      ctx.fillStyle = INK;
      ctx.beginPath();
      ctx.arc(bx, by, 8.5, 0, TAU);
      ctx.fill();
      ctx.fillStyle = '#fff';
      ctx.fillRect(bx - 4, by - 4, 3, 8);
      ctx.fillRect(bx + 1, by - 4, 3, 8);
    }
    this.drawLabel(ctx, v, s, p, role, sides);
  }

  // drawJointArcs marks, in a joint configuration (C_old,new), which of the
  // two voter sets a server belongs to: the left half for C_old, the right
  // half for C_new.
  drawJointArcs(ctx, cfg, s, x, y, r) {
    const ar = r + 10.5;
    ctx.save();
    ctx.lineWidth = 3.5;
    ctx.lineCap = 'butt';
    if ((cfg.oldVoters || []).includes(s.id)) {
      ctx.strokeStyle = CONFIG_OLD;
      ctx.beginPath();
      ctx.arc(x, y, ar, Math.PI / 2 + 0.12, Math.PI * 1.5 - 0.12);
      ctx.stroke();
    }
    if ((cfg.voters || []).includes(s.id)) {
      ctx.strokeStyle = CONFIG_NEW;
      ctx.beginPath();
      ctx.arc(x, y, ar, -Math.PI / 2 + 0.12, Math.PI / 2 - 0.12);
      ctx.stroke();
    }
    ctx.restore();
  }

  // drawSpare draws a machine outside the configuration on the shelf:
  // faded, dashed, with no timer (it takes no part in elections).
  drawSpare(ctx, v, s, ui, sides) {
    const {x, y, r} = this.pos.get(s.id);
    if (sides.count > 1) {
      ctx.globalAlpha = 0.22;
      ctx.fillStyle = SIDE[sides.of.get(s.id) % SIDE.length];
      ctx.beginPath();
      ctx.arc(x, y, r + 8, 0, TAU);
      ctx.fill();
      ctx.globalAlpha = 1;
    }
    drawSelectionRing(ctx, ui, s, x, y, r + 6);
    ctx.save();
    ctx.globalAlpha = s.up ? 0.75 : 0.5;
    ctx.fillStyle = s.up ? '#f3f4f6' : '#d4d6da';
    ctx.strokeStyle = '#6b7280';
    ctx.lineWidth = 1.6;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.arc(x, y, r, 0, TAU);
    ctx.fill();
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = '#4b5563';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.font = `700 ${Math.round(Math.max(10, r * 0.6))}px ${FONT}`;
    ctx.fillText('S' + s.id, x, y + 0.5);
    ctx.restore();
    ctx.fillStyle = MUTED;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.font = `600 10px ${FONT}`;
    // A removed server may still campaign (paper §6): say so.
    const note = s.paused ? ' · paused' : s.role === 'follower' ? '' : ' · ' + (SHORT_ROLE[s.role] || s.role);
    ctx.fillText(s.up ? 'spare' + note : '✖ spare, down', x, y + r + 3);
  }

  // drawLabel writes the role, the vote and the badges outside the ring.
  drawLabel(ctx, v, s, p, role, sides) {
    const place = labelPlace(Math.cos(p.a), Math.sin(p.a), p.r, this.n);
    const ax = p.x + place.dx, ay = p.y + place.dy;
    const align = place.align;
    const lines = [];
    const st = roleStyle(role);
    const learner = s.member === 'learner';
    lines.push({text: (st.glyph ? st.glyph + ' ' : '') + (role === 'leader' ? 'LEADER' : learner && s.up ? 'LEARNER' : st.label),
      font: `700 12px ${FONT}`, color: role === 'leader' ? OI.blue : role === 'crashed' ? '#4b5563'
        : learner ? '#1f6d99' : role === 'follower' ? '#374151' : '#8a5a00'});
    if (!s.up) {
      lines.push({text: `disk: term ${s.durableTerm}, vote ${s.durableVote ? 'S' + s.durableVote : 'none'}`,
        font: `11px ${FONT}`, color: MUTED});
    } else if (learner) {
      lines.push({text: 'non-voting, gets the log', font: `11px ${FONT}`, color: MUTED});
    } else {
      lines.push({text: s.vote ? `voted for S${s.vote}` : 'no vote yet', font: `11px ${FONT}`, color: MUTED});
    }
    const pills = [];
    const plain = (text) => ({text, fill: '#fff3d6', stroke: '#b87d00', ink: INK});
    if (s.paused) pills.push({text: 'paused', fill: INK, stroke: INK, ink: '#fff'});
    // In a joint configuration the arcs tell both sets; the servers in only
    // one of them are the ones joining or leaving.
    if (s.member === 'leaving') pills.push({text: 'C_old only: leaving', fill: '#f6e3ee', stroke: CONFIG_OLD, ink: '#6d2a52'});
    if (s.member === 'joining') pills.push({text: 'C_new only: joining', fill: '#dcf3ea', stroke: CONFIG_NEW, ink: '#00573f'});
    // A server that uses another configuration than the cluster's (one it
    // has not received yet, or one it alone holds): §6's danger zone.
    const own = s.config, cfg = v.config;
    if (s.up && own && cfg && own.voters && own.voters.length && own.version !== cfg.version) {
      pills.push({text: `config ${own.version} ${own.joint ? '(joint)' : setText(own.voters)}`, fill: '#efe9f5',
        stroke: CONFIG_ENTRY, ink: '#3d1f5c'});
    }
    if (s.receiving && s.receiving.size) {
      const rc = s.receiving;
      pills.push({text: `snapshot in: ${rc.got}/${rc.size} B`, fill: '#fff', stroke: INK, ink: INK, frac: rc.got / rc.size});
    }
    if (role === 'leader') {
      for (const pr of s.progress || []) {
        if (pr.state !== 'snapshot' || !pr.snapSize) continue;
        pills.push({text: `snapshot → S${pr.id}: ${Math.round((100 * (pr.snapAcked || 0)) / pr.snapSize)}%`, fill: '#fff',
          stroke: INK, ink: INK, frac: (pr.snapAcked || 0) / pr.snapSize});
      }
    }
    if (s.slowPercent && s.slowPercent !== 100) pills.push(plain(`disk ×${+(s.slowPercent / 100).toFixed(2)} slower`));
    if (s.driftPPM) pills.push(plain(`drift ${s.driftPPM > 0 ? '+' : ''}${+(s.driftPPM / 1e4).toFixed(1)}%`));
    if (s.skew) pills.push(plain(`skew ${s.skew > 0 ? '+' : ''}${+(s.skew / 1000).toFixed(1)}ms`));
    if (sides.count > 1) {
      const side = SIDE[(sides.of.get(s.id) || 0) % SIDE.length];
      pills.unshift({text: `side ${SIDE_NAME[sides.of.get(s.id) % SIDE_NAME.length]}`, fill: tint(side), stroke: side, ink: INK});
    }
    const lh = 14, ph = 16;
    // Badges, wrapped into rows no wider than a label.
    ctx.font = `600 10px ${FONT}`;
    const rows = [[]];
    let rowW = 0;
    for (const t of pills) {
      const pw = ctx.measureText(t.text).width + 10;
      if (rowW && rowW + pw > LABEL_W) {
        rows.push([]);
        rowW = 0;
      }
      rows[rows.length - 1].push([t, pw]);
      rowW += pw + 4;
    }
    const height = lines.length * lh + (pills.length ? rows.length * (ph + 2) : 0);
    const top = place.valign === 'bottom' ? ay - height : place.valign === 'top' ? ay : ay - height / 2;
    ctx.textAlign = align;
    ctx.textBaseline = 'top';
    let yy = top;
    for (const l of lines) {
      ctx.font = l.font;
      ctx.fillStyle = l.color;
      ctx.fillText(l.text, ax, yy);
      yy += lh;
    }
    if (!pills.length) return;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    for (const row of rows) {
      const total = row.reduce((a, [, pw]) => a + pw + 4, -4);
      let x0 = align === 'left' ? ax : align === 'right' ? ax - total : ax - total / 2;
      yy += 2;
      for (const [t, pw] of row) {
        ctx.fillStyle = t.fill;
        ctx.strokeStyle = t.stroke;
        ctx.lineWidth = 1;
        roundRect(ctx, x0, yy, pw, ph - 2, 7);
        ctx.fill();
        if (t.frac != null) {
          // A progress bar: the pill fills as the bytes arrive.
          ctx.save();
          ctx.clip();
          ctx.fillStyle = '#c9ced8';
          ctx.fillRect(x0, yy, pw * Math.max(0, Math.min(1, t.frac)), ph - 2);
          ctx.restore();
        }
        ctx.stroke();
        ctx.fillStyle = t.ink;
        ctx.fillText(t.text, x0 + 5, yy + (ph - 2) / 2 + 0.5);
        x0 += pw + 4;
      }
      yy += ph;
    }
  }

  drawPick(ctx, pick) {
    const p = this.pos.get(pick.from);
    if (!p) return;
    ctx.save();
    ctx.strokeStyle = CUT;
    ctx.lineWidth = 2;
    ctx.setLineDash([6, 5]);
    ctx.beginPath();
    ctx.moveTo(p.x, p.y);
    ctx.lineTo(pick.x, pick.y);
    ctx.stroke();
    ctx.restore();
  }

  drawFlights(ctx, v) {
    const flights = v.flights;
    if (!flights) return;
    const held = new Map();
    const snaps = [];
    ctx.font = `600 9px ${FONT}`;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    for (const f of flights) {
      const pa = this.pos.get(f.from), pb = this.pos.get(f.to);
      if (!pa || !pb) continue;
      const g = lane(pa, pb, pa.client || pb.client ? 0 : LANE, pa.r + 3, pb.r + 3);
      let p;
      if (f.held) {
        const k = held.get(f.to) || 0;
        held.set(f.to, k + 1);
        p = 1 - Math.min(0.5, (k * 9) / Math.max(1, g.len));
      } else {
        p = f.arrive > f.sent ? (v.now - f.sent) / (f.arrive - f.sent) : 1;
        p = p < 0 ? 0 : p > 1 ? 1 : p;
      }
      const x = g.x0 + (g.x1 - g.x0) * p, y = g.y0 + (g.y1 - g.y0) * p;
      const st = msgStyle(f.type, f.entries);
      const big = f.type === 'AppendEntries' && f.entries > 0;
      if (f.type === 'InstallSnapshot' || f.type === 'InstallSnapshotResp') {
        snaps.push([f, x, y]);
        continue;
      }
      drawGlyph(ctx, st, x, y, big ? 6.5 : 5, {reject: f.reject, dup: f.dup});
      if (big && f.entries > 1) {
        ctx.fillStyle = INK;
        ctx.fillText(String(f.entries), x + 8, y);
      }
    }
    // Snapshot chunks on top, each with the bytes it carries.
    ctx.font = `600 10px ${FONT}`;
    ctx.lineJoin = 'round';
    for (const [f, x, y] of snaps) {
      drawGlyph(ctx, msgStyle(f.type), x, y, 6, {reject: f.reject, dup: f.dup});
      const off = f.offset || 0, size = f.size || sentSize(v, f.to, f.from);
      const text = f.type === 'InstallSnapshot' ? `chunk ${off}–${off + (f.bytes || 0)} of ${size} B${f.done ? ' (last)' : ''}`
        : f.reject ? 'snapshot refused' : size ? `got ${off} of ${size} B` : `got ${off} B`;
      if (!this.chunkSeen.has(f.id)) {
        this.chunkSeen.add(f.id);
        this.chunks.push(text);
        if (this.chunks.length > 50) this.chunks.shift();
        if (this.chunkSeen.size > 500) this.chunkSeen.clear();
      }
      ctx.strokeStyle = 'rgba(255,255,255,0.92)';
      ctx.lineWidth = 3.5;
      ctx.strokeText(text, x + 11, y - 8);
      ctx.fillStyle = INK;
      ctx.fillText(text, x + 11, y - 8);
    }
  }

  drawFlashes(ctx, flashes, realNow) {
    if (!flashes || !flashes.length) return;
    ctx.save();
    ctx.lineCap = 'round';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    ctx.font = `700 10px ${FONT}`;
    // Label only the newest cross on each link, and none in a flood.
    const labelled = new Set();
    const quiet = flashes.length > 4;
    for (let i = flashes.length - 1; i >= 0; i--) {
      const fl = flashes[i];
      const pa = this.pos.get(fl.from), pb = this.pos.get(fl.to);
      if (!pa || !pb) continue;
      const age = (realNow - fl.born) / FLASH_DURATION_MS;
      if (age < 0 || age > 1) continue;
      const g = lane(pa, pb, pa.client || pb.client ? 0 : LANE, pa.r + 3, pb.r + 3);
      const x = g.x0 + (g.x1 - g.x0) * fl.p, y = g.y0 + (g.y1 - g.y0) * fl.p;
      const s = 6 + 3 * (1 - age);
      ctx.globalAlpha = 1 - age * age;
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 5.5;
      xMark(ctx, x, y, s);
      ctx.strokeStyle = OI.vermillion;
      ctx.lineWidth = 3;
      xMark(ctx, x, y, s);
      const key = fl.from * 1000 + fl.to;
      if (age < 0.7 && !quiet && !labelled.has(key)) {
        labelled.add(key);
        ctx.fillStyle = OI.vermillion;
        ctx.fillText(fl.why === 'loss' ? 'lost' : fl.why === 'partition' ? 'cut' : fl.why, x, y - s - 2);
      }
    }
    ctx.restore();
  }
}

// setText writes a set of servers: {S1,S2,S3}.
function setText(ids) {
  return `{${ids.map((id) => 'S' + id).join(',')}}`;
}

// sentSize is the size of the snapshot the leader lead sends to peer, as its
// progress says (a response carries only the bytes received so far).
function sentSize(v, lead, peer) {
  const s = v.servers.find((x) => x.id === lead);
  const p = s && (s.progress || []).find((x) => x.id === peer);
  return (p && p.snapSize) || 0;
}

// LABEL_W and LABEL_H are a label block's size as layout reserves it.
const LABEL_W = 132, LABEL_H = 48;

// labelPlace says where the text block of a server at angle (ca, sa) goes:
// outward from the ring; the top server's to its right.
function labelPlace(ca, sa, r, n) {
  if (sa < -0.9 && n <= 5) return {dx: r + 16, dy: 0, align: 'left', valign: 'middle'};
  const d = r + 24;
  return {dx: ca * d, dy: sa * d, align: Math.abs(ca) < 0.35 ? 'center' : ca > 0 ? 'left' : 'right',
    valign: sa < -0.35 ? 'bottom' : sa > 0.35 ? 'top' : 'middle'};
}

// extents is the box around a server's centre that its circle, halo and
// label need.
function extents(ca, sa, r, n) {
  const p = labelPlace(ca, sa, r, n);
  const lx0 = p.align === 'left' ? p.dx : p.align === 'right' ? p.dx - LABEL_W : p.dx - LABEL_W / 2;
  const ly0 = p.valign === 'top' ? p.dy : p.valign === 'bottom' ? p.dy - LABEL_H : p.dy - LABEL_H / 2;
  const c = r + 26;
  return {x0: Math.min(-c, lx0), x1: Math.max(c, lx0 + LABEL_W), y0: Math.min(-c - 6, ly0), y1: Math.max(c, ly0 + LABEL_H)};
}

// fit is the largest ring radius R for which R*c + [lo, hi] stays in [-lim, lim].
function fit(c, lo, hi, lim) {
  if (c > 1e-6) return (lim - hi) / c;
  if (c < -1e-6) return (lim + lo) / -c;
  return Infinity;
}

function xMark(ctx, x, y, s) {
  ctx.beginPath();
  ctx.moveTo(x - s, y - s); ctx.lineTo(x + s, y + s);
  ctx.moveTo(x + s, y - s); ctx.lineTo(x - s, y + s);
  ctx.stroke();
}

// lane is the segment from pa to pb between the circles' edges, shifted
// sideways by off so that the two directions of a link do not overlap.
function lane(pa, pb, off, ra = pa.r + 2, rb = pb.r + 2) {
  const dx = pb.x - pa.x, dy = pb.y - pa.y;
  const len = Math.hypot(dx, dy) || 1;
  const ux = dx / len, uy = dy / len;
  const nx = -uy, ny = ux;
  return {x0: pa.x + ux * ra + nx * off, y0: pa.y + uy * ra + ny * off,
    x1: pb.x - ux * rb + nx * off, y1: pb.y - uy * rb + ny * off, ux, uy, nx, ny, len: len - ra - rb};
}

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

function tint(hex) {
  const n = parseInt(hex.slice(1), 16);
  const mix = (c) => Math.round(c + (255 - c) * 0.75);
  return `rgb(${mix(n >> 16)},${mix((n >> 8) & 255)},${mix(n & 255)})`;
}

export function cutSet(cuts) {
  const set = new Set();
  for (const [a, b] of cuts || []) set.add(a * 16 + b);
  return set;
}

// partitionSides groups servers that can talk both ways (directly or
// through others); more than one group means the cluster is partitioned.
export function partitionSides(v, cut) {
  const ids = v.servers.map((s) => s.id);
  const of = new Map();
  let count = 0;
  if (!cut.size) {
    for (const id of ids) of.set(id, 0);
    return {of, count: 1, groups: [ids]};
  }
  const groups = [];
  for (const id of ids) {
    if (of.has(id)) continue;
    const g = [];
    const stack = [id];
    of.set(id, count);
    while (stack.length) {
      const a = stack.pop();
      g.push(a);
      for (const b of ids) {
        if (of.has(b) || cut.has(a * 16 + b) || cut.has(b * 16 + a)) continue;
        of.set(b, count);
        stack.push(b);
      }
    }
    g.sort((a, b) => a - b);
    groups.push(g);
    count++;
  }
  return {of, count, groups};
}

// drawSelectionRing marks the selected or hovered server with a dashed ring.
function drawSelectionRing(ctx, ui, s, x, y, radius) {
  if (ui.selected !== s.id && ui.hover !== s.id) return;
  ctx.save();
  ctx.strokeStyle = ui.selected === s.id ? INK : '#9ca3af';
  ctx.lineWidth = ui.selected === s.id ? 2 : 1.5;
  ctx.setLineDash([3, 3]);
  ctx.beginPath();
  ctx.arc(x, y, radius, 0, TAU);
  ctx.stroke();
  ctx.restore();
}
