// A class's connection to its room (issue 14): the lesson page of a
// student in a class, the teacher's dashboard and the projector's board
// each hold one websocket to the room, as the seat they are (the same
// token and frame counter as the room's page, room.js), and use only the
// class's frames: the room's run (sync, input, now...) is not theirs to
// draw.
//
// classSocket(code, as, hooks) returns {start, request, send, state}:
//   request(obj) sends a frame with the seat's next seq and resolves with
//     {ok: true} on its ack, {ok: false, error} on a refusal or a drop.
//   hooks.onFrame(f) gets every other frame; onStatus(text, kind) the
//     connection's news; onFatal(msg) a refusal of the page itself.

import {helloFrame, readFrame, roomSocketURL, seatKey, teacherSeqKey} from './room.js';

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];

function load(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || 'null');
  } catch (e) {
    return null;
  }
}

function save(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch (e) {
    // No storage: the seat lasts as long as the page.
  }
}

export function classSocket(code, as, hooks) {
  const st = {code, as, seat: null, name: '', connected: false, closed: false, fatal: '', room: null, frames: 0};
  const store = as === 'teacher' ? teacherSeqKey(code) : seatKey(code);
  const pending = new Map();
  let ws = null, attempt = 0, timer = 0;
  let offline = false; // test hook: the socket stays down

  function nextSeq() {
    const s = load(store) || {};
    s.seq = (s.seq || 0) + 1;
    save(store, s);
    return s.seq;
  }

  function send(obj) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(obj));
    return true;
  }

  function request(obj) {
    if (st.fatal) return Promise.resolve({ok: false, error: st.fatal});
    if (!st.connected) return Promise.resolve({ok: false, error: 'not connected to the room; reconnecting…', offline: true});
    const seq = nextSeq();
    return new Promise((resolve) => {
      pending.set(seq, {resolve, frame: obj});
      if (!send({...obj, seq})) {
        pending.delete(seq);
        resolve({ok: false, error: 'not connected to the room; reconnecting…', offline: true});
      }
    });
  }

  function connect() {
    clearTimeout(timer);
    if (st.fatal || offline) return;
    const sock = new WebSocket(roomSocketURL());
    ws = sock;
    sock.onopen = () => {
      if (ws !== sock) return;
      const hello = helloFrame(code, as, 'lockstep');
      sock.send(JSON.stringify(hello));
    };
    sock.onmessage = (ev) => {
      if (ws !== sock) return;
      st.frames++;
      readFrame(ev.data, receive, hooks.onStatus);
    };
    sock.onclose = (ev) => {
      if (ws !== sock) return;
      ws = null;
      const was = st.connected;
      st.connected = false;
      for (const [seq, p] of pending) {
        pending.delete(seq);
        p.resolve({ok: false, error: 'the connection to the room dropped before it answered', offline: true});
      }
      hooks.onChange && hooks.onChange();
      if (st.fatal) return;
      if (offline) {
        hooks.onStatus('Offline: your progress is kept in this browser until the room is back.', 'warn');
        return;
      }
      const wait = BACKOFF_MS[Math.min(attempt++, BACKOFF_MS.length - 1)];
      hooks.onStatus(`${was ? 'The connection to the room dropped' : 'Cannot reach the room'}` +
        `${ev && ev.reason ? ` (${ev.reason})` : ''}; reconnecting in ${(wait / 1000).toFixed(1)} s…`, 'error');
      timer = setTimeout(connect, wait);
    };
  }

  function receive(f) {
    switch (f.t) {
      case 'sync': {
        attempt = 0;
        const first = !st.connected;
        st.connected = true;
        st.seat = f.seat ?? null;
        st.name = f.name || '';
        st.room = f.room || null;
        st.closed = !!(f.room && f.room.closed);
        const s = load(store) || {};
        if (f.token) s.token = f.token;
        if (as === 'student') {
          s.seat = f.seat;
          s.name = f.name;
        }
        s.seq = Math.max(s.seq || 0, f.lastSeq || 0);
        save(store, s);
        if (first) hooks.onStatus('', 'ok');
        hooks.onConnect && hooks.onConnect(f);
        break;
      }
      case 'ack': {
        const p = pending.get(f.seq);
        if (p) {
          pending.delete(f.seq);
          p.resolve({ok: true, frame: f});
        }
        break;
      }
      case 'dup': {
        const p = pending.get(f.seq);
        if (p) {
          pending.delete(f.seq);
          p.resolve({ok: true, dup: true, frame: f});
        }
        break;
      }
      case 'credited':
      case 'progress-from':
      case 'granted': {
        // Answers to a progress frame (credited: counted; progress-from:
        // resend from the server's index) or to an ask, by seq.
        const p = f.seq ? pending.get(f.seq) : null;
        if (p) {
          pending.delete(f.seq);
          p.resolve({ok: f.t !== 'progress-from', resend: f.t === 'progress-from', frame: f});
        }
        hooks.onFrame(f);
        break;
      }
      case 'refused': {
        const p = pending.get(f.seq);
        if (p) {
          pending.delete(f.seq);
          p.resolve({ok: false, error: f.reason || 'refused', refused: true, frame: f});
        }
        hooks.onFrame(f);
        break;
      }
      case 'error':
        st.fatal = f.reason || 'the room refused this page';
        hooks.onFatal(st.fatal);
        if (ws) ws.close();
        break;
      case 'closed':
        st.closed = true;
        hooks.onFrame(f);
        break;
      case 'input': case 'now': case 'clock': case 'view': case 'diverged': case 'seats': case 'exercise':
        // The room's run: the room's page draws it.
        if (f.t === 'seats') hooks.onFrame(f);
        break;
      default:
        hooks.onFrame(f);
    }
  }

  return {
    state: st,
    start: connect,
    request,
    send,
    // Test hooks: drop the websocket (the page reconnects); keep it down
    // (setOffline(true)) and bring it back (setOffline(false)).
    drop: () => ws && ws.close(),
    setOffline(on) {
      offline = !!on;
      if (offline && ws) ws.close();
      if (!offline && !ws) connect();
    },
  };
}
