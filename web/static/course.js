// The course's entry, on every page: the header's "Start the course" button
// and, on a first visit, a card beside the panels that starts lesson 1. The
// lesson player itself (lesson.js, lesson.css and the simulator's lessons
// build, smrlab-lessons.wasm) loads when the student heads for a lesson, so
// that a visit to the lab alone downloads none of it.
//
// Test hooks (data-testid): lessons (the header's button), welcome,
// start-course, welcome-catalogue, welcome-close.

import {setText} from './fmt.js';

const $ = (id) => document.getElementById(id);

export const PROGRESS_KEY = 'smrlab.progress';
export const WELCOME_KEY = 'smrlab.welcome-closed';

function stored(key) {
  try {
    return localStorage.getItem(key);
  } catch (e) {
    return null;
  }
}

// storedLessons is the progress's lessons by id, as far as it reads (the
// player checks it in full).
function storedLessons() {
  try {
    const p = JSON.parse(stored(PROGRESS_KEY) || 'null');
    return p && typeof p.lessons === 'object' && p.lessons ? p.lessons : {};
  } catch (e) {
    return {};
  }
}

export function setupCourse(app) {
  let player = null; // Promise of lesson.js's player
  const load = () => {
    if (!player) {
      app.call('preloadLessons');
      player = import('./lesson.js').then((m) => m.setupLessons(app));
      player.catch(() => { player = null; });
    }
    return player;
  };
  app.loadLessons = load;
  // go runs fn with the player, loading it first.
  const go = (fn) => async () => {
    let pl;
    try {
      pl = await load();
    } catch (e) {
      app.showBanner('The lesson player could not be loaded.', String((e && e.message) || e));
      return;
    }
    fn(pl);
  };
  // Heading for a lesson: start the downloads.
  for (const id of ['lessons', 'welcome-start', 'welcome-list']) {
    $(id).addEventListener('pointerenter', () => load(), {once: true});
    $(id).addEventListener('focus', () => load(), {once: true});
  }
  $('lessons').addEventListener('click', go((pl) => pl.openCatalogue()));
  $('welcome-list').addEventListener('click', go((pl) => pl.openCatalogue()));
  $('welcome-start').addEventListener('click', go((pl) => pl.startNext()));
  $('welcome-close').addEventListener('click', () => {
    try {
      localStorage.setItem(WELCOME_KEY, '1');
    } catch (e) {
      // Private mode: the card comes back at the next visit.
    }
    $('welcome').hidden = true;
    $('cluster').focus();
  });
  // openLessonFromURL opens ?lesson=ID&step=K; false when it could not.
  app.openLessonFromURL = async (q) => {
    try {
      return await (await load()).openFromURL(q);
    } catch (e) {
      app.showBanner('The lesson player could not be loaded.', String((e && e.message) || e));
      return false;
    }
  };

  // The welcome card, for a first visit; a returning student's header and
  // card name the next lesson, from the catalogue (a first visit does not
  // fetch it: the card's own words start lesson 1).
  const q = new URLSearchParams(location.search);
  const elsewhere = q.has('scenario') || q.has('lesson') || location.hash.startsWith('#r=');
  $('welcome').hidden = elsewhere || !!stored(WELCOME_KEY);
  const lessons = storedLessons();
  if (!Object.keys(lessons).length) return;
  (async () => {
    let list = [];
    try {
      const r = await fetch('lessons/index.json');
      if (r.ok) list = await r.json();
    } catch (e) {
      list = [];
    }
    if (!Array.isArray(list) || !list.length) return;
    list.sort((a, b) => (a.order || 0) - (b.order || 0));
    const finished = (e) => {
      const l = lessons[e.id];
      const done = l && l.steps && typeof l.steps === 'object' ? Object.values(l.steps).filter((s) => s && s.done).length : 0;
      return !!(l && (l.finished === true || (e.steps && done >= e.steps)));
    };
    if (!document.body.dataset.lesson) setText($('lessons'), `Lessons · ${list.filter(finished).length}/${list.length} done`);
    const next = list.find((e) => !finished(e)) || list[0];
    setText($('welcome-first'), `Continue with lesson ${list.indexOf(next) + 1}: ${next.title || next.id}` +
      `${next.minutes ? ` (${next.minutes} min)` : ''}`);
  })();
}
