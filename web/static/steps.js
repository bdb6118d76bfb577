// The next-step panel of a world under the manual scheduler (`schedule
// manual`, and every counterexample `smrlab modelcheck` writes): nothing
// happens by itself, so the page lists every step that can come next, as the
// exhaustive explorer sees them, and a click takes one (through app.act,
// like the command box). A message is named by its number, as the timeline
// names it, with what it carries.

import {escapeHTML, setText} from './fmt.js';

const $ = (id) => document.getElementById(id);

const VERBS = {
  deliver: 'Deliver the message now',
  drop: 'Lose the message',
  duplicate: 'Put a second copy of the message on the wire',
  campaign: 'Fire the election timeout: the server stands in the next term',
  heartbeat: 'Fire the heartbeat timeout: the leader sends its heartbeats',
  propose: 'Propose x=1 at the leader',
  crash: 'Crash the server (what its disk holds survives)',
  restart: 'Restart the server from its disk',
  persist: 'Finish the server\'s pending disk writes',
};

// Each step takes one millisecond of virtual time, as in the explorer's
// counterexamples: at the front of the run the clock moves 1 ms first, so
// the timeline and the space-time diagram show the steps apart. In the past
// (after going back) a step acts at once, forking there.
export const STEP_US = 1000;

export function setupSteps(app) {
  $('steps').addEventListener('click', async (ev) => {
    const b = ev.target.closest('button[data-step]');
    if (!b) return;
    const v = app.view;
    if (v && v.now >= v.reached && !v.violation && v.now + STEP_US <= v.end) await app.advance(STEP_US);
    app.act(b.dataset.step, $('steps-status'), 'next-step');
  });
}

let stepsKey = '';

// describe names message m7 by what the view's flights say of it.
function describe(v, id) {
  const f = (v.flights || []).find((x) => x.id === id);
  if (!f) return `m${id}`;
  const what = `${f.type}${f.reject ? ' (refused)' : ''} t${f.term}${f.entries ? `, ${f.entries} entr${f.entries === 1 ? 'y' : 'ies'}` : ''}`;
  return `m${id} S${f.from}→S${f.to} ${what}`;
}

export function renderSteps(app, v) {
  const panel = $('steps-panel');
  panel.hidden = !v.manual;
  if (!v.manual) return;
  const choices = v.choices || [];
  const taken = (v.actions || []).length;
  const key = `${taken}|${choices.join(',')}|${v.violation ? 1 : 0}`;
  if (key === stepsKey) return;
  stepsKey = key;
  // The steps drawn are those after this many actions (tests wait for it).
  $('steps').dataset.actions = String(taken);
  const msgs = new Map(), servers = [];
  for (const c of choices) {
    const [verb, arg] = c.split(' ');
    if (/^m\d+$/.test(arg || '') && (verb === 'deliver' || verb === 'drop' || verb === 'duplicate')) {
      const id = +arg.slice(1);
      if (!msgs.has(id)) msgs.set(id, []);
      msgs.get(id).push(verb);
    } else {
      servers.push(c);
    }
  }
  const btn = (step, label) => `<button type="button" data-step="${escapeHTML(step)}" data-testid="step-${escapeHTML(step.replace(/[ =]/g, '-'))}" title="${escapeHTML((VERBS[step.split(' ')[0]] || step) + ': ' + step)}">${escapeHTML(label)}</button>`;
  const rows = [...msgs.entries()].sort((a, b) => a[0] - b[0]).map(([id, verbs]) =>
    `<li class="step-msg"><span class="step-what">${escapeHTML(describe(v, id))}</span> ${verbs.map((vb) => btn(`${vb} m${id}`, vb)).join(' ')}</li>`);
  $('steps').innerHTML = (rows.length ? `<ul class="steps-list">${rows.join('')}</ul>` : '<p class="muted">No message on the wire.</p>') +
    `<div class="step-servers">${servers.map((c) => btn(c, c)).join(' ')}</div>`;
  setText($('steps-note'), v.violation ? 'The run stopped at a violation: go back in time to take another path.'
    : `${choices.length} possible next steps: the explorer tries every one of them, in every order.`);
}
