// The room's side of the lab page (index.html?room=CODE): the room panel
// (code and join link, who you are, what your server knows, the seats, the
// exercise's goals and scoreboard, the room's latest inputs), the teacher's
// tools (roles, close, downloads; the time bar drives the room's clock),
// the projector's large read-only layout, and the divergence banner.
//
// Test hooks (data-testid): room-panel, room-code, room-join-link, room-you,
// room-conn (data-state connecting|online|offline|closed|refused),
// room-status (refusals and connection news, aria-live), room-knows,
// room-seats (li.seat, data-seat, data-online, data-diverged; the teacher's
// seat-role-N selects), room-exercise, room-log, room-clock-note,
// room-reset, room-close, room-recording, room-audit, room-diverged (data-state
// diverged|resynced). window.smrlabTest.room() returns the room's state.

import {NAME_KEY, createRoom, seatKey, storedTeacherKey, validCode} from './room.js';
import {escapeHTML, seconds, setText} from './fmt.js';

const $ = (id) => document.getElementById(id);

const ROLES = ['observer', 'server', 'nemesis', 'operator', 'client'];

// setupRoom turns the page into the room's page; it returns the room, whose
// lab the page uses in place of its own.
export function setupRoom(app, params, inner) {
  const css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = 'room.css';
  document.head.append(css);
  document.body.classList.add('in-room');
  if (params.as === 'student' && validCode(params.code) && !params.name && !hasSeat(params.code) && !storedName()) {
    // A student with no seat and no name: the join page asks for one.
    location.replace(`join?code=${encodeURIComponent(params.code)}`);
  }
  if (params.as === 'projector') document.body.classList.add('projector');
  if (params.as === 'teacher') document.body.classList.add('teacher');
  const showNames = params.as !== 'projector' || new URLSearchParams(location.search).get('names') === '1';
  buildPanel(params);

  let firstView = true;
  let resyncedTimer = 0;
  const room = createRoom(params, inner, {
    onView(json, fresh) {
      app.ingest(json, fresh || firstView);
      if (firstView) {
        firstView = false;
        $('loading').hidden = true;
        markOwnServer();
      }
      renderKnows();
    },
    onChange: () => render(),
    onStatus: (text, kind) => status(text, kind),
    onDiverged(d) {
      const el = $('room-diverged');
      clearTimeout(resyncedTimer);
      if (d) {
        el.dataset.state = 'diverged';
        setText($('room-diverged-text'), `This screen's run differs from the room's at ${seconds(d.at, 3)}; resyncing…`);
        $('room-diverged-why').textContent = d.why || '';
        el.hidden = false;
      } else {
        el.dataset.state = 'resynced';
        setText($('room-diverged-text'), 'Resynced: this screen runs the room\'s run again.');
        resyncedTimer = setTimeout(() => (el.hidden = true), 10_000);
      }
      render();
    },
    onFatal(title, msg) {
      $('loading').hidden = true;
      app.showBanner(title, `${msg}.`, '');
      const join = params.as === 'student' ? ' <a href="join">Join another room</a>' : params.as === 'teacher'
        ? ' <a href="teach">Back to your rooms</a>' : '';
      $('banner-msg').innerHTML = `${escapeHTML(msg)}.${join}`;
      status(`✖ ${msg}`, 'error');
      render();
    },
    onPanic: (res) => app.showPanic(res),
    onClassFrame(f) {
      // A student's page opens the lesson or the bug hunt the teacher
      // starts for the room (class-student.js, on the lab page).
      if (f.t !== 'class' || params.as !== 'student') return;
      const lessons = f.active === false ? [] : f.lessons || [];
      const hunt = f.hunt && f.hunt.state !== 'ended';
      if (!lessons.length && !hunt) return;
      const q = new URLSearchParams({class: params.code});
      const first = lessons.length ? (typeof lessons[0] === 'string' ? lessons[0] : lessons[0].name) : '';
      if (first) q.set('lesson', first);
      else q.set('hunt', '1');
      status(first ? `The teacher started lesson ${first}: opening it…` : 'The teacher started a bug hunt: opening it…', 'ok');
      location.assign(`?${q}`);
    },
  });

  // ---- Drawing the panel

  function status(text, kind) {
    const el = $('room-status');
    el.textContent = text;
    el.dataset.kind = kind || '';
    if (text && kind === 'error') app.toast(text);
  }

  function serverId() {
    const r = room.state.role;
    return r && r.role === 'server' && /^S\d$/.test(r.server || '') ? Number(r.server.slice(1)) : 0;
  }

  function markOwnServer() {
    const id = serverId();
    app.focus = id;
    app.dirty = true;
    if (!id) {
      if (app.highlights) app.setHighlights(null);
      return;
    }
    app.select(id);
    app.setHighlights({servers: [id], logs: [{id, index: 0}], panels: new Set(), leader: false});
  }

  function youText() {
    const st = room.state;
    if (st.as === 'teacher') return 'You are the teacher: the clock and the roles are yours.';
    if (st.as === 'projector') return 'Projector: the room, read-only.';
    if (st.seat == null) return 'Joining…';
    const r = st.role || {role: 'observer'};
    const what = r.role === 'server' && r.server ? `You are ${r.server}` : `You are ${article(r.role)} ${r.role}`;
    return `${what} (seat ${st.seat}, ${st.name}).`;
  }

  function connState() {
    const st = room.state;
    if (st.closed) return ['closed', 'room closed'];
    if (st.fatal) return ['refused', st.fatal];
    if (st.connected) return ['online', `online · ${st.mode === 'lockstep' ? 'running the room here' : 'the room\'s views'}`];
    return [st.seat == null ? 'connecting' : 'offline', st.seat == null ? 'connecting…' : 'reconnecting…'];
  }

  let roleKey = '';
  function render() {
    const st = room.state;
    const rk = JSON.stringify(st.role);
    if (rk !== roleKey && app.view) {
      roleKey = rk;
      markOwnServer();
    }
    const [state, label] = connState();
    const conn = $('room-conn');
    conn.dataset.state = state;
    setText(conn, label);
    setText($('room-you'), youText());
    setText($('room-title'), `Room ${st.code}${st.room && st.room.title ? ' · ' + st.room.title : ''}`);
    const ag = st.agreed;
    setText($('room-agreed'), ag ? `In step with the room at ${seconds(ag.at, 3)}: state hash ${ag.hash}` : '');
    renderSeats();
    renderExercise();
    renderLog();
    renderKnows();
    syncClockControls();
    $('room-close').disabled = st.closed || !st.connected;
    $('room-reset').disabled = st.closed || !st.connected;
  }

  function renderSeats() {
    const st = room.state;
    const list = $('room-seats');
    const teacher = st.as === 'teacher';
    const servers = (app.view && app.view.servers || []).map((s) => 'S' + s.id);
    const rows = st.seats.filter((s) => s.seat !== 0).map((s) => {
      const role = typeof s.role === 'object' && s.role ? s.role.role : s.role;
      const server = s.server || (typeof s.role === 'object' && s.role ? s.role.server : '') || '';
      const roleText = role === 'server' && server ? server : role || 'observer';
      const me = s.seat === st.seat && st.as === 'student';
      let pick = '';
      if (teacher) {
        const opts = ROLES.flatMap((r) => r === 'server' ? servers.map((sv) => [`server:${sv}`, `server ${sv}`]) : [[r, r]]);
        const cur = role === 'server' ? `server:${server}` : role || 'observer';
        pick = ` <select data-testid="seat-role-${s.seat}" data-seat="${s.seat}" aria-label="Role of seat ${s.seat}">` +
          opts.map(([v, l]) => `<option value="${escapeHTML(v)}"${v === cur ? ' selected' : ''}>${escapeHTML(l)}</option>`).join('') +
          '</select>';
      }
      const name = showNames ? escapeHTML(s.name) : `seat ${s.seat}`;
      return `<li class="seat${me ? ' me' : ''}" data-seat="${s.seat}" data-online="${!!s.online}" data-diverged="${!!s.diverged}">` +
        `<span class="dot" aria-hidden="true"></span><b>${name}</b> <span class="muted">#${s.seat}</span> ` +
        `<span class="seat-role">${escapeHTML(roleText)}</span>${s.diverged ? ' <span class="bad">diverged</span>' : ''}` +
        `${s.online ? '' : ' <span class="muted">offline</span>'}${pick}</li>`;
    });
    const html = rows.join('') || '<li class="muted">No students yet: share the code.</li>';
    if (list.dataset.html !== html && !list.contains(document.activeElement)) {
      list.dataset.html = html;
      list.innerHTML = html;
      for (const sel of list.querySelectorAll('select')) {
        sel.addEventListener('change', async () => {
          const [role, server] = sel.value.split(':');
          const res = await room.setRole(Number(sel.dataset.seat), role, server);
          status(res.ok ? `✓ Seat ${sel.dataset.seat} is now ${server || role}.` : `✖ ${res.error}`, res.ok ? 'ok' : 'error');
          sel.blur();
        });
      }
    }
    const online = st.seats.filter((s) => s.seat !== 0 && s.online).length;
    setText($('room-seats-count'), `${online} online of ${st.seats.filter((s) => s.seat !== 0).length}`);
  }

  function renderExercise() {
    const info = room.state.exerciseInfo;
    const ex = room.state.exercise;
    const el = $('room-exercise');
    if (!info && !ex) {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    const goals = (ex && ex.goals) || [];
    const score = (ex && ex.score) || [];
    let html = `<h3>${escapeHTML((info && (info.title || info.name)) || (ex && ex.name) || 'Exercise')}` +
      `${ex && ex.done ? ' <span class="good">· done</span>' : ''}</h3>`;
    if (info && info.summary) html += `<p class="muted small">${escapeHTML(info.summary)}</p>`;
    for (const line of (info && info.say) || []) html += `<p class="small">${escapeHTML(line)}</p>`;
    if (goals.length) {
      html += '<ul class="goals">' + goals.map((g) => {
        const state = g.state || 'not yet';
        return `<li class="goal" data-state="${escapeHTML(state)}"><span class="goal-mark" aria-hidden="true">` +
          `${state === 'met' ? '✓' : state === 'failed' ? '✖' : '○'}</span> ${escapeHTML(g.label || g.cond || '')}` +
          ` <span class="muted small">(${escapeHTML(state)}${g.why ? ': ' + escapeHTML(g.why) : ''})</span></li>`;
      }).join('') + '</ul>';
    }
    if (score.length) {
      html += '<table class="scoreboard" data-testid="room-scoreboard">' + score.map((r) =>
        `<tr><th>${escapeHTML(r.name)}</th><td>${escapeHTML(String(r.value))}${r.unit ? ' ' + escapeHTML(r.unit) : ''}</td></tr>`).join('') +
        '</table>';
    }
    if (el.dataset.html !== html) {
      el.dataset.html = html;
      el.innerHTML = html;
    }
  }

  function renderLog() {
    const html = room.state.inputs.slice(-8).reverse().map((i) =>
      `<li><span class="muted">${seconds(i.at, 3)}</span> ${escapeHTML(showNames ? i.name || `seat ${i.seat}` : `seat ${i.seat}`)}: ` +
      `<code>${escapeHTML(i.text)}</code></li>`).join('');
    const el = $('room-log');
    if (el.dataset.html !== html) {
      el.dataset.html = html;
      el.innerHTML = html || '<li class="muted">No actions yet.</li>';
    }
  }

  let knowsKey = '';
  function renderKnows() {
    const id = serverId();
    const el = $('room-knows');
    el.hidden = !id;
    if (!id || !app.view) return;
    const s = app.view.servers.find((q) => q.id === id);
    if (!s) return;
    const key = [s.up, s.paused, s.role, s.term, s.vote, s.lead, s.commit, s.applied, s.last, s.durable].join('|');
    if (key === knowsKey) return;
    knowsKey = key;
    const who = (n) => (n ? 'S' + n : 'nobody');
    const rows = [
      ['state', s.up ? (s.paused ? 'paused' : s.role) : 'crashed (down)'],
      ['current term', s.term],
      ['voted for', who(s.vote)],
      ['leader it believes', who(s.lead)],
      ['log', s.last ? `entries up to index ${s.last}` : 'empty'],
      ['commit index', s.commit],
      ['applied index', s.applied],
      ['on disk up to', s.durable],
    ];
    el.innerHTML = `<h3>What S${id} knows</h3><p class="muted small">Only what S${id} itself holds: the other servers ` +
      'may know more, or less.</p><dl class="knows">' +
      rows.map(([k, v]) => `<dt>${k}</dt><dd data-k="${k.replace(/ /g, '-')}">${escapeHTML(String(v))}</dd>`).join('') + '</dl>';
  }

  // ---- The clock: the teacher's, or nobody's on this screen

  function syncClockControls() {
    const st = room.state;
    const mine = st.as === 'teacher';
    for (const id of ['play', 'pause', 'speed', 'scrubber', 'fork', 'step-event', 'step-delivery']) {
      const el = $(id);
      if (!el) continue;
      if (!mine) el.disabled = true;
      else if (id === 'step-event' || id === 'step-delivery') el.disabled = true;
    }
    $('room-clock-note').hidden = mine;
    app.showClock(st.clock.playing, st.clock.speedPpm / 1e6);
  }

  // ---- Building the panel

  function buildPanel(p) {
    const side = document.querySelector('.side');
    const sec = document.createElement('section');
    sec.className = 'panel room-panel';
    sec.id = 'room-panel';
    sec.dataset.testid = 'room-panel';
    sec.setAttribute('aria-labelledby', 'room-title');
    const join = `${location.origin}/join?code=${encodeURIComponent(p.code)}`;
    sec.innerHTML = `
      <div class="room-head">
        <h2 id="room-title">Room ${escapeHTML(p.code)}</h2>
        <span class="room-conn" id="room-conn" data-testid="room-conn" data-state="connecting">connecting…</span>
      </div>
      <p class="room-code-line">Code <b class="room-code" id="room-code" data-testid="room-code">${escapeHTML(p.code)}</b>
        · <a id="room-join-link" data-testid="room-join-link" href="${escapeHTML(join)}">${escapeHTML(join)}</a></p>
      <p class="room-you" id="room-you" data-testid="room-you">Joining…</p>
      <p class="room-status" id="room-status" data-testid="room-status" role="status" aria-live="polite"></p>
      <p class="room-agreed muted small" id="room-agreed" data-testid="room-agreed"></p>
      <div class="room-knows" id="room-knows" data-testid="room-knows" hidden></div>
      <div class="room-exercise" id="room-exercise" data-testid="room-exercise" hidden></div>
      <h3 class="sub">Seats <span class="muted small" id="room-seats-count"></span></h3>
      <ul class="room-seats" id="room-seats" data-testid="room-seats"></ul>
      <h3 class="sub">Latest actions</h3>
      <ol class="room-log" id="room-log" data-testid="room-log"></ol>
      <div class="room-teacher" id="room-teacher">
        <a class="button" data-testid="room-dashboard" href="class.html?room=${escapeHTML(p.code)}">Class dashboard (lessons, votes, hunts, grades)</a>
        <a class="button" data-testid="room-board" href="class.html?room=${escapeHTML(p.code)}&amp;as=projector">Class board for the projector</a>
        <button type="button" id="room-recording" data-testid="room-recording">Download the recording</button>
        <button type="button" id="room-audit" data-testid="room-audit">Download the audit log</button>
        <button type="button" id="room-reset" data-testid="room-reset" title="Back to time 0 with no actions, for everyone">Reset the run</button>
        <button type="button" id="room-close" data-testid="room-close" class="danger">Close the room</button>
      </div>`;
    side.prepend(sec);

    const note = document.createElement('div');
    note.className = 'room-clock-note small';
    note.id = 'room-clock-note';
    note.dataset.testid = 'room-clock-note';
    note.textContent = 'The teacher controls the clock: this screen follows the room.';
    note.hidden = true;
    document.querySelector('.timebar').prepend(note);

    const banner = document.createElement('div');
    banner.className = 'banner room-diverged';
    banner.id = 'room-diverged';
    banner.dataset.testid = 'room-diverged';
    banner.setAttribute('role', 'alert');
    banner.hidden = true;
    banner.innerHTML = '<div class="banner-text"><strong id="room-diverged-text"></strong> ' +
      '<span class="small" id="room-diverged-why"></span></div>';
    $('error-banner').after(banner);

    if (!validCode(p.code)) {
      queueMicrotask(() => {
        $('loading').hidden = true;
        app.showBanner('This is not a room code.', `"${p.code}" is not a room code: a code is 6 letters and digits, like K7QM3P.`);
        $('banner-msg').innerHTML += ' <a href="join">Join a room</a>';
      });
    }
    $('room-close').addEventListener('click', async () => {
      if (!confirm('Close the room for everyone? Its recording stays.')) return;
      const res = await room.close();
      status(res.ok ? '✓ The room is closed.' : `✖ ${res.error}`, res.ok ? 'ok' : 'error');
    });
    $('room-reset').addEventListener('click', async () => {
      if (!confirm('Reset the run for everyone: back to time 0, every action dropped? The audit log keeps them.')) return;
      const res = await room.clock('reset');
      status(res.ok ? '✓ The run is back at time 0.' : `✖ ${res.error}`, res.ok ? 'ok' : 'error');
    });
    $('room-recording').addEventListener('click', () => teacherDownload('recording', 'json', 'application/json'));
    $('room-audit').addEventListener('click', () => teacherDownload('audit.jsonl', 'jsonl', 'application/x-ndjson'));
  }

  async function teacherDownload(what, ext, type) {
    const st = room.state;
    if (!st.room || !st.room.id) return status('✖ Not joined yet: wait for the room.', 'error');
    try {
      const r = await fetch(`api/rooms/${encodeURIComponent(st.room.id)}/${what}`,
        {headers: {Authorization: `Bearer ${storedTeacherKey()}`}});
      if (!r.ok) {
        let msg = `HTTP ${r.status}`;
        try {
          msg = (await r.json()).error || msg;
        } catch (e) {
          // not JSON: the status says enough
        }
        return status(`✖ Could not download the ${what}: ${msg}`, 'error');
      }
      app.download(await r.blob(), `smrlab-room-${st.code}-${what.replace('.jsonl', '')}.${ext}`, type);
      status(`✓ Downloaded the room's ${what}.`, 'ok');
    } catch (e) {
      status(`✖ Could not download the ${what}: ${e.message}`, 'error');
    }
  }

  // (after the page's module has set up what render uses)
  queueMicrotask(render);
  return room;
}

function hasSeat(code) {
  try {
    const s = JSON.parse(localStorage.getItem(seatKey(code)) || 'null');
    return !!(s && s.token);
  } catch (e) {
    return false;
  }
}

function storedName() {
  try {
    return localStorage.getItem(NAME_KEY) || '';
  } catch (e) {
    return '';
  }
}

function article(word) {
  return /^[aeiou]/.test(word || '') ? 'an' : 'a';
}

// The teacher's time bar: what each control sends to the room.
export function roomControl(room, what, value) {
  switch (what) {
    case 'play':
      return room.clock('play');
    case 'pause':
      return room.clock('pause');
    case 'speed':
      return room.clock('speed', {speedPpm: Math.max(1, Math.round(value * 1e6))});
    default:
      return Promise.resolve({ok: false, error: `unknown control ${what}`});
  }
}
