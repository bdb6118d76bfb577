// The side panels and chips: status light, server details, metrics with
// sparklines, the event log and the list of recorded actions. They are
// updated a few times a second, and only where the text changed.

import {escapeHTML, fitCanvas, name, seconds, setAttr, setText, span} from './fmt.js';
import {OI, memberStyle, roleStyle} from './palette.js';

const $ = (id) => document.getElementById(id);

// ---- Server chips

export function renderChips(app, v) {
  const box = $('server-chips');
  const n = v.servers.length;
  if (box.childElementCount !== n + 1) {
    box.innerHTML = '<span class="chips-label">Servers</span>' + v.servers.map((s) =>
      `<button class="chip" data-id="${s.id}" data-testid="select-S${s.id}" aria-pressed="false">S${s.id}</button>`).join('');
    for (const b of box.querySelectorAll('.chip')) b.addEventListener('click', () => app.select(+b.dataset.id, true));
  }
  for (const s of v.servers) {
    const b = box.querySelector(`[data-id="${s.id}"]`);
    const role = s.up ? s.role : 'crashed';
    const st = roleStyle(role);
    const member = s.member || 'voter';
    setText(b, `S${s.id}${st.glyph ? ' ' + st.glyph : ''}${s.paused ? ' ❚❚' : ''}`);
    setAttr(b, 'data-role', role);
    setAttr(b, 'data-member', member);
    setAttr(b, 'aria-pressed', String(app.selected === s.id));
    setAttr(b, 'aria-label', `S${s.id}: ${member === 'voter' ? '' : memberStyle(member).label + ', '}${st.label}` +
      `${s.paused ? ', paused' : ''}, term ${s.term}. Select to inspect`);
  }
}

// ---- Status

export function renderStatus(app, v) {
  const light = $('invariants-light');
  const vio = v.violation;
  // After going back before a violation, this branch still breaks there:
  // say so, and keep the jump to it.
  const ahead = !vio && v.branchViolation;
  const shown = vio || ahead;
  setAttr(light, 'data-state', vio ? 'violation' : 'ok');
  setText(light.querySelector('.light-dot'), vio ? '✖' : '✓');
  setText(light.querySelector('.light-text'), vio ? `Invariant broken: ${vio.invariant}`
    : ahead ? `All invariants hold so far (${ahead.invariant} breaks later)` : 'All invariants hold');
  $('violation').hidden = !shown;
  if (shown) {
    setText($('violation-text'), `${shown.explanation} — at ${seconds(shown.time, 6)} (event ${shown.event}` +
      `${shown.nodes && shown.nodes.length ? ', servers ' + shown.nodes.map(name).join(', ') : ''}).` +
      (vio ? ' The run stopped there.' : ' This branch gets there unless you change its future.'));
  }
  const live = v.liveness || [];
  const ll = $('liveness-light');
  setAttr(ll, 'data-state', live.length ? 'stall' : 'ok');
  setText(ll.querySelector('.light-dot'), live.length ? '⚠' : '✓');
  setText(ll.querySelector('.light-text'), live.length ? `Watchdog: ${live.length} stall report${live.length > 1 ? 's' : ''}`
    : 'Watchdog: no stall reported');
  const list = $('liveness-list');
  const html = live.slice(-5).map((t) => `<li>${escapeHTML(t)}</li>`).join('');
  if (list.innerHTML !== html) list.innerHTML = html;

  const leaders = v.servers.filter((s) => s.up && s.role === 'leader');
  let line;
  if (!leaders.length) line = 'No leader right now';
  else line = leaders.map((s) => `Leader S${s.id} in term ${s.term}`).join('; ');
  const states = [];
  if (v.stopped && !vio) states.push('stopped');
  if (v.now >= v.end) states.push('end of the scenario');
  if (v.now < v.reached) states.push(`replaying: ${span(v.reached - v.now)} of recorded future ahead`);
  setText($('leader-line'), line + (states.length ? ' · ' + states.join(' · ') : ''));
}

// ---- Server details

let builtFor = -1;

export function renderServer(app, v) {
  const id = app.selected;
  const body = $('server-body');
  const s = v.servers.find((x) => x.id === id);
  if (!s) {
    if (builtFor !== 0) {
      builtFor = 0;
      setText($('server-title'), 'Server');
      body.innerHTML = '<p class="muted">Click a server on the ring (or press 1–9) to see its state and break it.</p>';
    }
    return;
  }
  if (builtFor !== id) buildServer(app, v, s);
  const role = s.up ? s.role : 'crashed';
  const member = s.member || 'voter';
  setText($('server-title'), `Server S${s.id} · ${roleStyle(role).label}${member === 'voter' ? '' : ' · ' + memberStyle(member).label}`);
  $('srv-crash').disabled = !s.up;
  $('srv-restart').disabled = s.up;
  $('srv-pause').disabled = !s.up || s.paused;
  $('srv-resume').disabled = !s.paused;
  $('srv-campaign').disabled = !s.up;
  const can = memberActions(s);
  for (const [k, why] of Object.entries(can)) {
    const b = $('srv-' + k);
    b.disabled = why !== '';
    setAttr(b, 'title', why || b.dataset.tip);
  }
  const slow = s.slowPercent || 100;
  for (const b of body.querySelectorAll('[data-disk]')) setAttr(b, 'aria-pressed', String(+b.dataset.disk === slow));

  const up = s.up;
  const gone = '—';
  const rows = [
    ['term', up ? `${s.term}` : gone, `on disk ${s.durableTerm}`],
    ['vote', up ? (s.vote ? `S${s.vote}` : 'none') : gone, `on disk ${s.durableVote ? 'S' + s.durableVote : 'none'}`],
    ['leader known', up ? (s.lead ? `S${s.lead}` : 'none') : gone, ''],
    ['commit index', up ? `${s.commit}` : gone, ''],
    ['applied', up ? `${s.applied}` : gone, up ? `${s.keys} keys in the store` : ''],
    ['last index', up ? `${s.last}` : gone, ''],
    ['durable', `${s.durable}`, !up ? 'what the disk kept: a restart begins here'
      : s.last > s.durable ? `${s.last - s.durable} entries not yet on disk` : 'all on disk'],
    ['pending writes', up ? `${s.pendingWrites}` : gone, up ? '' : 'memory was lost in the crash'],
    [role === 'leader' ? 'heartbeat timer' : 'election timer', s.up ? `${s.timerElapsed} / ${s.timerTimeout} ticks` : '—',
      s.up ? span(s.timerElapsed * v.tick) + ' of ' + span(s.timerTimeout * v.tick) : ''],
    ['membership', memberStyle(member).text, s.config && s.config.voters && s.config.voters.length
      ? `uses configuration ${s.config.version}${s.config.committed ? '' : ' (not yet committed)'}` : ''],
    ['snapshot', s.snapIndex ? `≤ ${s.snapIndex}, term ${s.snapTerm}` : 'none yet',
      `${s.durableSnap ? `on disk ≤ ${s.durableSnap}` : 'none on disk'}; ` +
      `${s.snapshotEvery ? `a new one every ${s.snapshotEvery} entries` : 'automatic snapshots off'}`],
    ['slow disk', slow === 100 ? 'no' : `${+(slow / 100).toFixed(2)}× slower`, ''],
    ['clock', `drift ${s.driftPPM > 0 ? '+' : ''}${+(s.driftPPM / 1e4).toFixed(2)}%`, `skew ${s.skew > 0 ? '+' : ''}${span(s.skew)}`],
  ];
  let kv = rows.map(([k, a, b]) => `<dt>${k}</dt><dd><b>${escapeHTML(a)}</b>${b ? ` <span class="muted">${escapeHTML(b)}</span>` : ''}</dd>`).join('');
  if (s.receiving && s.receiving.size) {
    const rc = s.receiving;
    kv += `<dt>receiving</dt><dd data-testid="server-receiving"><b>snapshot ≤ ${rc.index}</b> ${bar(rc.got, rc.size)}` +
      ` <span class="muted">${rc.got} of ${rc.size} bytes</span></dd>`;
  }
  const kvEl = $('srv-kv');
  if (kvEl.innerHTML !== kv) kvEl.innerHTML = kv;

  let prog = '';
  if (role === 'leader' && s.progress && s.progress.length) {
    prog = '<table class="progress" data-testid="progress-table"><caption>Leader’s view of each follower</caption>' +
      '<thead><tr><th scope="col">peer</th><th scope="col">match</th><th scope="col">next</th><th scope="col">state</th>' +
      '<th scope="col">inflight</th><th scope="col">active</th><th scope="col">snapshot sent</th></tr></thead><tbody>' +
      s.progress.map((p) => `<tr><th scope="row">S${p.id}</th><td>${p.match}</td><td>${p.next}</td><td>${p.state}</td>` +
        `<td>${p.inflight}</td><td>${p.active ? '✓ yes' : '✗ no'}</td><td class="snap-cell">${p.snapshot
          ? `<span data-testid="progress-snap-S${p.id}" title="InstallSnapshot of the snapshot ≤ ${p.snapshot}: ` +
            `${p.snapAcked || 0} of ${p.snapSize || 0} bytes acknowledged">≤${p.snapshot} ${bar(p.snapAcked || 0, p.snapSize || 0)}</span>`
          : '—'}</td></tr>`).join('') + '</tbody></table>';
  }
  const pe = $('srv-progress');
  if (pe.innerHTML !== prog) pe.innerHTML = prog;

  // Links: one toggle per direction.
  const cuts = new Set((v.cuts || []).map(([a, b]) => a * 16 + b));
  for (const b of body.querySelectorAll('[data-link]')) {
    const [a, c] = b.dataset.link.split('-').map(Number);
    const isCut = cuts.has(a * 16 + c);
    setAttr(b, 'aria-pressed', String(isCut));
    setText(b, `${a === id ? '→' : ''}S${a === id ? c : a}${a === id ? '' : '→'}${isCut ? ' ✂' : ''}`);
    setAttr(b, 'aria-label', `Link S${a} to S${c}: ${isCut ? 'cut, click to heal' : 'open, click to cut'}`);
  }
}

function buildServer(app, v, s) {
  builtFor = s.id;
  const id = s.id;
  const others = v.servers.filter((x) => x.id !== id).map((x) => x.id);
  const drift = ['-50%', '-20%', '-5%', '0', '+5%', '+20%', '+50%'];
  $('server-body').innerHTML = `
    <div class="btn-grid" role="group" aria-label="Faults for S${id}">
      <button id="srv-crash" data-testid="server-crash" data-ctl="crash" aria-label="Crash S${id}" title="c">✖ Crash</button>
      <button id="srv-restart" data-testid="server-restart" data-ctl="restart" aria-label="Restart S${id}" title="r">↻ Restart</button>
      <button id="srv-pause" data-testid="server-pause" data-ctl="crash" aria-label="Pause S${id}" title="p">❚❚ Pause</button>
      <button id="srv-resume" data-testid="server-resume" data-ctl="crash" aria-label="Resume S${id}" title="p">▶ Resume</button>
      <button id="srv-isolate" data-testid="server-isolate" data-ctl="partition" aria-label="Isolate S${id} from every other server">Isolate</button>
      <button id="srv-campaign" data-testid="server-campaign" data-ctl="transfer" aria-label="Make S${id} start an election now">Campaign</button>
      <button id="srv-transfer" data-testid="server-transfer" data-ctl="transfer" aria-label="Ask the leader to hand leadership to S${id} (TimeoutNow)" data-tip="The leader brings S${id} up to date, then tells it to start an election at once">Make leader</button>
      <button id="srv-cut" data-testid="server-cut" data-ctl="partition" aria-label="Cut a link from S${id}: then click the other server">✂ Cut a link…</button>
      <label class="inline small" data-ctl="partition"><input type="checkbox" id="srv-oneway" data-testid="server-cut-oneway"> one way</label>
    </div>
    <div class="btn-grid member-grid" role="group" aria-label="Snapshots and membership for S${id}">
      <button id="srv-snapshot" data-testid="server-snapshot" data-ctl="snapshot" aria-label="S${id} takes a snapshot now and compacts its log" data-tip="Snapshot the state machine now and drop the log entries it covers (§7)">▣ Snapshot now</button>
      <button id="srv-add" data-testid="server-add" data-ctl="membership" aria-label="Add S${id} to the cluster: as a learner, then a voter once caught up" data-tip="Joins as a learner (non-voting), promoted to voter once it has caught up">+ Add to cluster</button>
      <button id="srv-promote" data-testid="server-promote" data-ctl="membership" aria-label="Promote the learner S${id} to voter" data-tip="The learner becomes a voter: the quorum grows">⇧ Promote to voter</button>
      <button id="srv-remove" data-testid="server-remove" data-ctl="membership" aria-label="Remove S${id} from the configuration" data-tip="S${id} leaves the configuration and becomes a spare machine">− Remove</button>
    </div>
    <p class="inline-status" id="srv-status" data-testid="server-status" role="status" aria-live="polite"></p>
    <dl class="kv" id="srv-kv" data-testid="server-details"></dl>
    <div class="sub-row" data-ctl="slow-disk"><span class="sub-label">Disk</span>
      <span class="seg" role="group" aria-label="Slow disk for S${id}">
        <button data-disk="100" data-testid="disk-off" aria-label="Normal disk">normal</button>
        <button data-disk="1000" data-testid="disk-10x" aria-label="Disk 10 times slower">10×</button>
        <button data-disk="10000" data-testid="disk-100x" aria-label="Disk 100 times slower">100×</button>
      </span></div>
    <div class="sub-row" data-ctl="clock"><span class="sub-label">Clock</span>
      <label class="inline">drift <select id="srv-drift" data-testid="clock-drift" aria-label="Clock drift for S${id}">
        ${drift.map((d) => `<option${d === '0' ? ' selected' : ''}>${d}</option>`).join('')}</select></label>
      <label class="inline">skew <input id="srv-skew" data-testid="clock-skew" size="5" value="0" aria-label="Clock skew for S${id}, like +50ms"></label>
      <button id="srv-clock" data-testid="clock-apply" aria-label="Apply the clock settings to S${id}">Set</button></div>
    <div class="sub-row links" data-ctl="partition heal"><span class="sub-label">Links out</span>
      <span class="seg wrap">${others.map((o) => `<button data-link="${id}-${o}" data-testid="link-${id}-${o}">→S${o}</button>`).join('')}</span></div>
    <div class="sub-row links" data-ctl="partition heal"><span class="sub-label">Links in</span>
      <span class="seg wrap">${others.map((o) => `<button data-link="${o}-${id}" data-testid="link-${o}-${id}">S${o}→</button>`).join('')}</span></div>
    <div id="srv-progress"></div>`;
  if (app.lessonControls) app.lessonControls($('server-body'));
  const st = $('srv-status');
  const act = (text) => app.act(text, st);
  $('srv-crash').onclick = () => act(`crash S${id}`);
  $('srv-restart').onclick = () => act(`restart S${id}`);
  $('srv-pause').onclick = () => act(`pause S${id}`);
  $('srv-resume').onclick = () => act(`resume S${id}`);
  $('srv-isolate').onclick = () => act(`isolate S${id}`);
  $('srv-campaign').onclick = () => act(`campaign S${id}`);
  $('srv-transfer').onclick = () => act(`transfer S${id}`);
  $('srv-snapshot').onclick = () => act(`snapshot S${id}`);
  $('srv-add').onclick = () => act(`add S${id}`);
  $('srv-promote').onclick = () => act(`promote S${id}`);
  $('srv-remove').onclick = () => act(`remove S${id}`);
  $('srv-cut').onclick = () => app.startPick(id, $('srv-oneway').checked);
  for (const b of document.querySelectorAll('#server-body [data-disk]')) {
    b.onclick = () => act(`slow-disk S${id} ${b.dataset.disk === '100' ? 'off' : +b.dataset.disk / 100 + 'x'}`);
  }
  $('srv-clock').onclick = () => {
    let skew = $('srv-skew').value.trim() || '0';
    if (/^[+-]?\d+(\.\d+)?$/.test(skew) && skew !== '0') skew += 'ms';
    if (!/^[+-]/.test(skew) && skew !== '0') skew = '+' + skew;
    act(`clock S${id} drift=${$('srv-drift').value} skew=${skew}`);
  };
  for (const b of document.querySelectorAll('#server-body [data-link]')) {
    b.onclick = () => {
      const [a, c] = b.dataset.link.split('-');
      act(`${b.getAttribute('aria-pressed') === 'true' ? 'heal' : 'cut'} S${a} -> S${c}`);
    };
  }
  const sv = v.servers.find((x) => x.id === id);
  if (sv) {
    const d = sv.driftPPM / 1e4;
    const opt = [...$('srv-drift').options].find((o) => parseFloat(o.value) === d);
    if (opt) $('srv-drift').value = opt.value;
    $('srv-skew').value = sv.skew ? `${sv.skew > 0 ? '+' : ''}${sv.skew / 1000}ms` : '0';
  }
}

// bar is a small progress bar of got out of size.
function bar(got, size) {
  const f = size ? Math.max(0, Math.min(1, got / size)) : 0;
  return `<span class="bar" role="progressbar" aria-valuemin="0" aria-valuemax="${size}" aria-valuenow="${got}">` +
    `<span style="width:${(100 * f).toFixed(1)}%"></span></span> ${Math.round(100 * f)}%`;
}

// memberActions says, for each membership control of a server, why it is
// off ('' when it makes sense now).
export function memberActions(s) {
  const m = s.member || 'voter';
  const voting = m === 'voter' || m === 'joining' || m === 'leaving';
  return {
    snapshot: s.up ? '' : `S${s.id} is down: a crashed server takes no snapshot`,
    add: m !== 'spare' ? `S${s.id} is in the configuration already (${memberStyle(m).label})`
      : !s.up ? `S${s.id} is down: restart it first, or it can never catch up` : '',
    promote: m !== 'learner' ? 'Only a learner can be promoted to voter' : '',
    remove: m === 'spare' ? `S${s.id} is not in the configuration` : '',
    transfer: !voting ? `Only a voter can lead: S${s.id} is a ${memberStyle(m).label}`
      : !s.up ? `S${s.id} is down` : s.role === 'leader' ? `S${s.id} leads already` : '',
  };
}

export function resetServerPanel() {
  builtFor = -1;
}

// ---- Metrics

// name is the metric's exported name, shown as a caption.
const METRICS = [
  {key: 'leaders', label: 'Leader changes', name: 'leader_changes_per_minute', spark: (s) => s.leaderChanges, step: true},
  {key: 'commit', label: 'Commit index', spark: 'rate:commit', unit: '/s'},
  {key: 'p99', label: 'Quorum ack p99', name: 'quorum_acks_latency_p99', spark: (s) => s.p99 / 1000, unit: 'ms'},
  {key: 'ops', label: 'Client ops ok / started', spark: 'rate:opsOK', unit: '/s'},
  {key: 'ops-lost', label: 'Client ops failed / indeterminate', name: 'ops_failed, ops_indeterminate', spark: null,
    tip: 'failed: refused every time, surely not applied; indeterminate: given up on with the outcome unknown (it may have been applied)'},
  {key: 'reads', label: 'Reads outside the log: stale / lease / ReadIndex', name: 'stale_reads, lease_reads, read_index_reads', spark: null},
  {key: 'retries', label: 'Client retries', spark: 'rate:retried', unit: '/s'},
  {key: 'msgs', label: 'Messages in flight', spark: (s) => s.flights},
  {key: 'dropped', label: 'Messages dropped', spark: 'rate:dropped', unit: '/s'},
  {key: 'rejected', label: 'Rejected requests (admission control), by reason', name: 'rejected_requests_due_to_admission_control', spark: null},
  {key: 'snapshots', label: 'Snapshots taken', spark: (s) => s.snapshots, step: true},
  {key: 'installs', label: 'Snapshots installed from a leader', spark: (s) => s.installs, step: true},
  {key: 'snapshot-failures', label: 'Snapshot transfers failed', name: 'snapshot_install_failures', spark: null},
  {key: 'membership', label: 'Membership changes done', spark: null},
];

export function buildMetrics() {
  $('metrics').innerHTML = METRICS.map((m) => `<div class="metric" data-testid="metric-${m.key}"${m.name || m.tip
    ? ` title="${escapeHTML([m.name, m.tip].filter(Boolean).join(': '))}"` : ''}>
    <div class="m-label">${m.label}${m.name ? `<div class="m-name">${m.name}</div>` : ''}</div><div class="m-value" id="m-${m.key}">—</div>
    ${m.spark ? `<canvas class="spark" id="spark-${m.key}" aria-hidden="true"></canvas><div class="m-spark-label" id="sl-${m.key}"></div>` : '<div></div><div></div>'}
  </div>`).join('');
}

export function renderMetrics(app, v, hist) {
  const m = v.metrics || {};
  setText($('m-leaders'), `${m.leaderChanges ?? 0}  (${(m.leaderChangesPerMinute || 0).toFixed(1)}/min, ${m.elections ?? 0} elections)`);
  setText($('m-commit'), `${m.commit ?? 0}`);
  setText($('m-p99'), m.quorumAckP99 ? `${(m.quorumAckP99 / 1000).toFixed(2)} ms` : '—');
  setText($('m-ops'), `${m.opsOK ?? 0} / ${m.opsStarted ?? 0}` + (v.workload ? `  (${v.workload.pending} pending)` : ''));
  setText($('m-ops-lost'), `${m.opsFailed ?? 0} / ${m.opsIndeterminate ?? 0}`);
  setText($('m-reads'), `${m.staleReads ?? 0} / ${m.leaseReads ?? 0} / ${m.readIndexReads ?? 0}`);
  setText($('m-retries'), `${m.opsRetried ?? 0}`);
  setText($('m-msgs'), `${(v.flights || []).length}  (${m.sent ?? 0} sent)`);
  setText($('m-dropped'), `${m.dropped ?? 0}`);
  const rej = Object.entries(m.rejected || {}).sort();
  setText($('m-rejected'), rej.length ? rej.map(([k, n]) => `${k}: ${n}`).join(', ') : 'none');
  setText($('m-snapshots'), `${m.snapshots ?? 0}`);
  setText($('m-installs'), `${m.snapshotsInstalled ?? 0}`);
  setText($('m-snapshot-failures'), `${m.snapshotInstallFailures ?? 0}`);
  setText($('m-membership'), `${m.membershipChanges ?? 0}` + ((v.changes || []).length ? `  (${v.changes.length} step${v.changes.length > 1 ? 's' : ''} to do)` : ''));
  const samples = hist.samples;
  for (const def of METRICS) {
    if (!def.spark) continue;
    const vals = sparkValues(samples, def.spark);
    const c = $('spark-' + def.key);
    drawSpark(c, vals, def.step);
    const last = vals.length ? vals[vals.length - 1] : 0;
    setText($('sl-' + def.key), def.unit ? `${fmtNum(last)}${def.unit}` : '');
  }
}

function fmtNum(x) {
  return Math.abs(x) >= 100 ? Math.round(x).toString() : (+x.toFixed(1)).toString();
}

function sparkValues(samples, spec) {
  if (typeof spec === 'function') return samples.map(spec);
  const key = spec.slice(5);
  const out = [];
  for (let i = 1; i < samples.length; i++) {
    const dt = (samples[i].t - samples[i - 1].t) / 1e6;
    out.push(dt > 0 ? (samples[i][key] - samples[i - 1][key]) / dt : 0);
  }
  // Smooth rates over a few samples: a raw per-frame rate jumps about.
  const k = 4;
  return out.map((_, i) => {
    let s = 0, n = 0;
    for (let j = Math.max(0, i - k + 1); j <= i; j++) { s += out[j]; n++; }
    return s / n;
  });
}

function drawSpark(canvas, vals, step) {
  const {ctx, w, h} = fitCanvas(canvas);
  ctx.clearRect(0, 0, w, h);
  if (vals.length < 2) return;
  let lo = Infinity, hi = -Infinity;
  for (const x of vals) { if (x < lo) lo = x; if (x > hi) hi = x; }
  if (step) lo = Math.min(lo, hi - 1);
  lo = Math.min(lo, 0);
  const range = hi - lo || 1;
  const dx = w / (vals.length - 1);
  ctx.beginPath();
  let prevY = 0;
  vals.forEach((x, i) => {
    const px = i * dx, py = h - 2 - ((x - lo) / range) * (h - 4);
    if (i === 0) ctx.moveTo(px, py);
    else if (step) {
      ctx.lineTo(px, prevY);
      ctx.lineTo(px, py);
    } else ctx.lineTo(px, py);
    prevY = py;
  });
  ctx.strokeStyle = OI.blue;
  ctx.lineWidth = 1.4;
  ctx.stroke();
  ctx.lineTo(w, h);
  ctx.lineTo(0, h);
  ctx.closePath();
  ctx.fillStyle = 'rgba(0,114,178,0.10)';
  ctx.fill();
}

// ---- Events

const MSG_KINDS = new Set(['send', 'deliver', 'drop', 'duplicate']);
const CHANGE_KINDS = new Set(['snapshot', 'install', 'config', 'member']);
const QUIET_KINDS = new Set(['send', 'deliver', 'drop', 'duplicate', 'write', 'persist', 'commit', 'apply', 'call', 'return']);
const EVENTS_SHOWN = 150;
const isNemesis = (e) => e.kind === 'fault' && /^(fault: )?nemesis /.test(e.text || '');

let eventsKey = '';
let eventRows = null; // the list's lines, reused: [{li, time, text, e}]

export function renderEvents(app, hist) {
  const filter = $('events-filter').value;
  const key = `${hist.eventsVersion}|${filter}|${hist.events.length}`;
  if (key === eventsKey) return;
  eventsKey = key;
  const shown = [];
  for (let i = hist.events.length - 1; i >= 0 && shown.length < EVENTS_SHOWN; i--) {
    const e = hist.events[i];
    if (filter === 'protocol' && QUIET_KINDS.has(e.kind)) continue;
    if (filter === 'messages' && !MSG_KINDS.has(e.kind)) continue;
    if (filter === 'changes' && !CHANGE_KINDS.has(e.kind)) continue;
    if (filter === 'clients' && e.kind !== 'reject' && !isNemesis(e)) continue;
    shown.push(e);
  }
  const list = $('events');
  if (!shown.length) {
    list.innerHTML = '<li class="muted">No events yet.</li>';
    eventRows = null;
    return;
  }
  // A busy run replaces every line several times a second: rewriting the
  // text of the lines there are costs far less than parsing new ones.
  if (!eventRows) {
    list.textContent = '';
    eventRows = [];
  }
  while (eventRows.length < shown.length) {
    const li = document.createElement('li');
    const time = document.createElement('span');
    time.className = 'ev-t';
    const stamp = document.createTextNode('');
    time.append(stamp);
    const text = document.createTextNode('');
    li.append(time, text);
    list.append(li);
    eventRows.push({li, time: stamp, text, e: null});
  }
  while (eventRows.length > shown.length) eventRows.pop().li.remove();
  shown.forEach((e, i) => {
    const row = eventRows[i];
    if (row.e === e) return;
    row.e = e;
    row.li.className = `ev-${e.kind}${isNemesis(e) ? ' ev-nemesis' : ''}`;
    row.time.data = (e.t / 1e6).toFixed(6);
    row.text.data = ' ' + e.text;
  });
}

export function resetEvents() {
  eventsKey = '';
}

// ---- Recorded actions

let actionsKey = '';

export function renderActions(v) {
  const acts = v.actions || [];
  const key = acts.length + '|' + (acts.length ? acts[acts.length - 1].at : '') + '|' + v.now;
  if (key === actionsKey) return;
  actionsKey = key;
  $('actions-list').innerHTML = acts.length ? acts.slice(-50).map((a) =>
    `<li class="${a.at > v.now ? 'future' : ''}"><span class="ev-t">${(a.at / 1e6).toFixed(6)}</span> ${escapeHTML(a.text.replace(/^at \S+ /, ''))}</li>`).join('')
    : '<li class="muted">None yet: every button you press is recorded here, with its time.</li>';
}

