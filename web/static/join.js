// /join: a room's code and the student's name, then the lab page in the
// room (?room=CODE). The name stays in localStorage (smrlab.name); the seat
// (its token) is kept by the room page under smrlab.seat.CODE.
//
// Test hooks (data-testid): join-form, join-code, join-name, join-submit,
// join-msg (why a code or name is refused).

import {NAME_KEY, seatKey, validCode} from './room.js';

const $ = (id) => document.getElementById(id);

function stored(key) {
  try {
    return localStorage.getItem(key) || '';
  } catch (e) {
    return '';
  }
}

function say(text, kind) {
  const el = $('join-msg');
  el.textContent = text;
  el.dataset.kind = kind;
}

// checkName says what is wrong with a display name ('' when nothing):
// the room takes 1 to 40 printable characters.
export function checkName(name) {
  if (!name) return 'Type the name the class will see.';
  if (new TextEncoder().encode(name).length > 40) return 'A name is at most 40 characters.';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'A name cannot hold control characters.';
  return '';
}

const q = new URLSearchParams(location.search);
$('join-code').value = (q.get('code') || '').toUpperCase();
$('join-name').value = stored(NAME_KEY);
($('join-code').value ? $('join-name') : $('join-code')).focus();

function seatNote() {
  const code = $('join-code').value.trim().toUpperCase();
  if (!validCode(code)) return;
  try {
    const seat = JSON.parse(localStorage.getItem(seatKey(code)) || 'null');
    if (seat && seat.token) say(`This browser has a seat in room ${code}${seat.name ? ` (${seat.name}, seat ${seat.seat})` : ''}: Join takes you back to it.`, 'ok');
  } catch (e) {
    // a damaged entry: the room gives a new seat
  }
}
$('join-code').addEventListener('input', seatNote);
seatNote();

$('join-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const code = $('join-code').value.trim().toUpperCase().replace(/\s+/g, '');
  const name = $('join-name').value.trim();
  if (!validCode(code)) {
    say(`"${code}" is not a room code: a code is 6 characters from ACDEFGHJKMNPQRTUVWXY3479 (no 0, O, 1, I, L, 2, Z, 5, S, 6, G, 8, B).`, 'error');
    $('join-code').focus();
    return;
  }
  const bad = checkName(name);
  if (bad) {
    say(bad, 'error');
    $('join-name').focus();
    return;
  }
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch (e) {
    // no storage: the name goes in the address
  }
  location.href = `./?room=${encodeURIComponent(code)}&name=${encodeURIComponent(name)}`;
});
