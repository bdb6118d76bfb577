// The simulation's Web Worker: it loads the Go WebAssembly build of core/lab
// and answers calls from the page, one at a time, so that a busy simulation
// never blocks drawing or input.
//
// Protocol: the page posts {id, fn, args}; the worker answers {id, res}
// where res is {ok, value, error, panic, seed, recording} as returned by the
// Go bridge (wasm/main.go). A Uint8Array value is transferred, not copied.
'use strict';

// Start the download before wasm_exec.js is even parsed: the first view
// waits for nothing else.
const wasmResponse = fetch('smrlab.wasm');
importScripts('wasm_exec.js');

const loaded = (async () => {
  const go = new Go();
  const resp = await wasmResponse;
  if (!resp.ok) throw new Error(`smrlab.wasm: HTTP ${resp.status} (run "make web" to build it)`);
  let inst;
  if ((resp.headers.get('content-type') || '').startsWith('application/wasm')) {
    inst = await WebAssembly.instantiateStreaming(resp, go.importObject);
  } else {
    // Servers that send the wrong content type: compile from bytes.
    inst = await WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject);
  }
  go.run(inst.instance).then(() => { self.smrlabExited = true; });
  for (let i = 0; i < 200 && !self.smrlab; i++) await new Promise(r => setTimeout(r, 5));
  if (!self.smrlab) throw new Error('the simulator did not start');
})();

self.onmessage = async (ev) => {
  const {id, fn, args} = ev.data || {};
  let res;
  try {
    await loaded;
    if (self.smrlabExited) {
      res = {ok: false, panic: true, error: 'the simulator stopped after an internal error; reload the page'};
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
};
