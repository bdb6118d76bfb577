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
// Shared links are deflated and inflated here, by the browser (shareCalls).
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

// Shared links (#r=...) are made and read here, in the form that
// core/sharelink writes and reads (the recording as JSON, deflated as in
// RFC 1951 and base64url-encoded without padding), with the browser's own
// CompressionStream and DecompressionStream: the simulator's build then
// carries no compress/flate, about 45 KB of the first download.
const shareKey = 'r=';             // sharelink.Key
const shareFragmentMax = 64 << 10; // sharelink.FragmentMax
const shareJSONMax = 2 << 20;      // sharelink.JSONMax

const shareCalls = {
  share: async () => {
    const rec = self.smrlab.shareRecording();
    if (!rec.ok) return rec;
    try {
      return {ok: true, value: await encodeShare(rec.value)};
    } catch (e) {
      return {ok: false, error: String(e && e.message || e)};
    }
  },
  // open takes the page's options; a shared link among them ({share}) is
  // handed to the simulator inflated ({shared}).
  open: async (optionsJSON) => {
    let o = null;
    try {
      o = JSON.parse(optionsJSON);
    } catch (e) {
      // Not JSON: the simulator names what is wrong with it.
    }
    if (o && typeof o === 'object' && typeof o.share === 'string') {
      try {
        o.shared = await decodeShare(o.share);
      } catch (e) {
        return {ok: false, error: String(e && e.message || e)};
      }
      delete o.share;
      optionsJSON = JSON.stringify(o);
    }
    return self.smrlab.open(optionsJSON);
  },
};

async function encodeShare(json) {
  const deflated = await pipe(new TextEncoder().encode(json), codec(CompressionStream, 'deflate-raw'), Infinity);
  const frag = shareKey + base64url(deflated);
  if (frag.length > shareFragmentMax) {
    throw new Error(`the recording is too long to share as a link (${frag.length} bytes, limit ${shareFragmentMax}): export it instead`);
  }
  return frag;
}

// decodeShare returns the recording a link's fragment (with or without the
// leading #) carries, as JSON; the simulator checks that it can run it.
async function decodeShare(frag) {
  if (frag.startsWith('#')) frag = frag.slice(1);
  if (frag.length > shareFragmentMax) {
    throw new Error(`shared link: ${frag.length} bytes, over the limit of ${shareFragmentMax}`);
  }
  if (!frag.startsWith(shareKey)) throw new Error('shared link: the part after # must start with r=');
  const raw = fromBase64url(frag.slice(shareKey.length));
  let json;
  try {
    json = await pipe(raw, codec(DecompressionStream, 'deflate-raw'), shareJSONMax);
  } catch (e) {
    if (e instanceof CodecMissing) throw e;
    throw new Error(`shared link: damaged (it does not inflate): ${e && e.message || e}`);
  }
  if (json === null) throw new Error(`shared link: inflates past the limit of ${shareJSONMax} bytes`);
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(json);
  } catch (e) {
    throw new Error('shared link: not a recording: not UTF-8 text');
  }
}

class CodecMissing extends Error {}

// codec makes a CompressionStream or DecompressionStream of format, or says
// that this browser has none.
function codec(Stream, format) {
  try {
    return new Stream(format);
  } catch (e) {
    throw new CodecMissing(`this browser cannot ${Stream === CompressionStream ? 'make' : 'open'} shared links ` +
      `(no ${format} ${Stream.name || 'stream'}): a current Chromium, Firefox or Safari can; an exported recording works in any`);
  }
}

// pipe runs bytes through a compression or decompression stream and returns
// what comes out, or null as soon as that passes max bytes.
async function pipe(bytes, stream, max) {
  const writer = stream.writable.getWriter();
  writer.write(bytes).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks = [];
  let n = 0;
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function base64url(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// fromBase64url decodes unpadded base64url as strictly as Go's
// base64.RawURLEncoding.
function fromBase64url(s) {
  const bad = s.search(/[^A-Za-z0-9_-]/);
  if (bad >= 0) throw new Error(`shared link: not base64url: illegal base64 data at input byte ${bad}`);
  if (s.length % 4 === 1) throw new Error(`shared link: not base64url: illegal base64 data at input byte ${s.length - 1}`);
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

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
    } else if (Object.hasOwn(shareCalls, fn)) {
      res = await shareCalls[fn](...(args || []));
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
