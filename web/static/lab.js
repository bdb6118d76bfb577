// The page's side of the worker protocol: post {id, fn, args}, receive
// {id, res} with res = {ok, value, error, panic, seed, recording}. Calls are
// answered in order, one at a time, by the worker.

export function createLab(worker, onFatal) {
  let nextId = 1;
  const pending = new Map();

  worker.onmessage = (ev) => {
    const {id, res} = ev.data || {};
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    p.resolve(res || {ok: false, error: `the simulator answered ${p.fn} with nothing`});
  };
  worker.onerror = (ev) => {
    const msg = (ev && ev.message) || 'the simulator worker failed to load';
    if (ev && ev.preventDefault) ev.preventDefault();
    for (const p of pending.values()) p.resolve({ok: false, error: msg});
    pending.clear();
    onFatal && onFatal(msg);
  };

  return {
    // call runs one function of the Go bridge; it never rejects.
    call(fn, ...args) {
      const id = nextId++;
      const transfer = [];
      for (const a of args) if (a instanceof Uint8Array) transfer.push(a.buffer);
      return new Promise((resolve) => {
        pending.set(id, {resolve, fn, at: performance.now()});
        try {
          worker.postMessage({id, fn, args}, transfer);
        } catch (e) {
          pending.delete(id);
          resolve({ok: false, error: `could not send ${fn} to the simulator: ${e.message || e}`});
        }
      });
    },
    // busy is true while any call is unanswered.
    get busy() {
      return pending.size > 0;
    },
    // busyFor is how long the oldest unanswered call has waited, in ms.
    busyFor() {
      let oldest = Infinity;
      for (const p of pending.values()) oldest = Math.min(oldest, p.at);
      return oldest === Infinity ? 0 : performance.now() - oldest;
    },
  };
}
