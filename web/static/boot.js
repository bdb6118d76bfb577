// Start the simulator's worker, and so the wasm download, before anything
// else: app.js (a module) picks it up as window.smrlabWorker. A classic
// script, so that it runs as soon as the parser meets it (and no inline
// script is needed: the lab server's Content-Security-Policy forbids them).
try {
  window.smrlabWorker = new Worker('worker.js');
} catch (e) {
  window.smrlabWorkerError = e;
}
