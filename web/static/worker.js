// The simulation's Web Worker: it loads the Go WebAssembly build of core/lab
// and answers calls from the page, one at a time, so that a busy simulation
// never blocks drawing or input.
//
// Protocol: the page posts {id, fn, args}; the worker answers {id, res}
// where res is {ok, value, error, panic, seed, recording} as returned by the
// Go bridge (wasm/main.go). A Uint8Array value is transferred, not copied.
//
// Files (exports, imports, saving as a scenario) are the second build's,
// smrlab-files.wasm (wasm/files), fetched on the first such call so that a
// visit downloads only the simulator: the worker hands it the simulator's
// recording, or hands the simulator the recording it read out of a file.
//
// Lessons are the third build's, smrlab-lessons.wasm (wasm/ with -tags
// lessons): the simulator and the lesson player, a superset of
// smrlab.wasm. The first lesson* call loads it, and it then answers every
// call (the page opens a fresh session with the lesson). A page opened on a
// lesson's link starts it at once (worker.js?build=lessons).
'use strict';

const LESSONS = 'smrlab-lessons.wasm';
const lessonsFirst = new URLSearchParams(self.location.search).get('build') === 'lessons';
const MAIN = lessonsFirst ? LESSONS : 'smrlab.wasm';
// Start the download before wasm_exec.js is even parsed: the first view
// waits for nothing else.
const wasmResponse = fetch(MAIN);
importScripts('wasm_exec.js');

// start instantiates a Go build from its fetch and waits until it has set
// the global it registers; it returns {exited}, a promise that settles if
// the Go program ever stops (wrapped: an async function would wait for it).
async function start(name, response, global) {
  const go = new Go();
  const resp = await response;
  if (!resp.ok) throw new Error(`${name}: HTTP ${resp.status} (run "make web" to build it)`);
  let inst;
  if ((resp.headers.get('content-type') || '').startsWith('application/wasm')) {
    inst = await WebAssembly.instantiateStreaming(resp, go.importObject);
  } else {
    // Servers that send the wrong content type: compile from bytes.
    inst = await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject);
  }
  const exited = go.run(inst.instance);
  for (let i = 0; i < 200 && !self[global]; i++) await new Promise(r => setTimeout(r, 5));
  if (!self[global]) throw new Error(`${name} did not start`);
  return {exited};
}

const loaded = start(MAIN, wasmResponse, 'smrlab').then(({exited}) => {
  exited.then(() => { self.smrlabExited = true; });
});

// The lesson player's build: fetched ahead when the page expects a lesson
// (preloadLessons), started at the first lesson call in place of the
// simulator alone.
let lessonsResponse = null;
let lessons = lessonsFirst ? loaded : null;
function prefetchLessons() {
  if (!lessonsResponse && !lessons) lessonsResponse = fetch(LESSONS);
}
function loadLessons() {
  if (!lessons) {
    prefetchLessons();
    const response = lessonsResponse;
    lessonsResponse = null;
    lessons = (async () => {
      await loaded;
      const lab = self.smrlab;
      delete self.smrlab;
      try {
        const {exited} = await start(LESSONS, response, 'smrlab');
        exited.then(() => { self.smrlabExited = true; });
      } catch (e) {
        self.smrlab = lab; // the lab goes on; the next lesson call tries again
        lessons = null;
        throw e;
      }
    })();
  }
  return lessons;
}

let files = null;
function loadFiles() {
  if (!files) {
    files = start('smrlab-files.wasm', fetch('smrlab-files.wasm'), 'smrlabFiles').then(({exited}) => {
      exited.then(() => { files = null; delete self.smrlabFiles; });
    });
    files.catch(() => { files = null; }); // a failed download is tried again at the next call
  }
  return files;
}

// The calls the file tools answer, from the simulator's recording or into it.
const fileCalls = {
  exportFormats: async () => { await loadFiles(); return self.smrlabFiles.exportFormats(); },
  exportTrace: async (format) => withRecording(rec => self.smrlabFiles.exportTrace(rec, format)),
  saveScenario: async () => withRecording(rec => self.smrlabFiles.saveScenario(rec)),
  importTrace: async (bytes) => {
    await loadFiles();
    const read = self.smrlabFiles.readTrace(bytes);
    if (!read.ok) return read;
    return self.smrlab.importRecording(read.value.recording, read.value.traceStateHash);
  },
};

// withRecording takes the recording at the call, before the file tools load,
// so that frames run meanwhile do not change what is exported.
async function withRecording(fn) {
  const rec = self.smrlab.recording();
  if (!rec.ok) return rec;
  await loadFiles();
  return fn(rec.value);
}

// Calls are answered in the order they came, one at a time, also while the
// file tools load: each waits for the one before it.
let queue = Promise.resolve();
self.onmessage = (ev) => { queue = queue.then(() => answer(ev)); };

async function answer(ev) {
  const {id, fn, args} = ev.data || {};
  let res;
  try {
    await loaded;
    if (typeof fn === 'string' && fn.startsWith('lesson')) await loadLessons();
    if (self.smrlabExited) {
      res = {ok: false, panic: true, error: 'the simulator stopped after an internal error; reload the page'};
    } else if (fn === 'preloadLessons') {
      prefetchLessons();
      res = {ok: true, value: null};
    } else if (Object.hasOwn(fileCalls, fn)) {
      res = await fileCalls[fn](...(args || []));
    } else if (typeof self.smrlab[fn] !== 'function') {
      res = {ok: false, error: `unknown call ${fn}`};
    } else {
      res = self.smrlab[fn](...(args || []));
    }
  } catch (e) {
    res = {ok: false, panic: !!self.smrlab, error: String(e && e.message || e)};
  }
  const transfer = res && res.value instanceof Uint8Array ? [res.value.buffer] : [];
  self.postMessage({id, res}, transfer);
}
