// Start the simulator's worker, and so the wasm download, before anything
// else: app.js (a module) picks it up as window.smrlabWorker. A classic
// script, so that it runs as soon as the parser meets it (and no inline
// script is needed: the lab server's Content-Security-Policy forbids them).
try {
  // A lesson's link starts the simulator with the lesson player at once.
  window.smrlabWorker = new Worker(/[?&]lesson=/.test(location.search) ? 'worker.js?build=lessons' : 'worker.js');
} catch (e) {
  window.smrlabWorkerError = e;
}
