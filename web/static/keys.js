// Keyboard shortcuts (the help dialog lists them). In a lesson, a shortcut
// works only when the step offers its control (app.offers).

export function installKeys(app) {
  document.addEventListener('keydown', (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.defaultPrevented) return;
    const t = ev.target;
    const tag = t && t.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA' || (t && t.isContentEditable)) {
      if (ev.key === 'Escape' && t.blur) t.blur();
      return;
    }
    if (document.querySelector('dialog[open]')) return;
    const onButton = tag === 'BUTTON' || tag === 'SUMMARY' || tag === 'A';
    const k = ev.key;
    const can = (ctl) => !app.offers || app.offers(ctl);
    let handled = true;
    if (k === ' ' || k === 'Spacebar') {
      if (onButton) return;
      if (can('play') || can('pause')) app.togglePlay();
    } else if (k === 'ArrowRight') {
      if (can('step')) app.step(ev.shiftKey ? 'delivery' : 'event');
    } else if (k === 'ArrowLeft') {
      if (can('scrub')) app.back(ev.shiftKey ? 100_000 : 10_000);
    } else if (k === '+' || k === '=') {
      if (can('speed')) app.setSpeed(app.speedIndex + 1);
    } else if (k === '-' || k === '_') {
      if (can('speed')) app.setSpeed(app.speedIndex - 1);
    } else if (k >= '1' && k <= '9') {
      app.select(+k, true);
    } else if (k === '0') {
      app.select(0);
    } else if (k === 'Escape') {
      app.escape();
    } else if (k === 'c') {
      app.onSelected((id) => `crash S${id}`);
    } else if (k === 'r') {
      app.onSelected((id) => `restart S${id}`);
    } else if (k === 'p') {
      app.onSelected((id, s) => `${s.paused ? 'resume' : 'pause'} S${id}`);
    } else if (k === 's') {
      app.onSelected((id) => `snapshot S${id}`);
    } else if (k === 'h') {
      app.act('heal');
    } else if (k === 'x') {
      if (can('partition')) app.openPartition();
    } else if (k === 'f') {
      if (can('scrub')) app.fork();
    } else if (k === '?' || k === '/') {
      app.help();
    } else {
      handled = false;
    }
    if (handled) ev.preventDefault();
  });
}
