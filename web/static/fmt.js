// Small helpers shared by the modules: formatting of virtual time and
// numbers, server names, and canvases sized to their boxes.

export const name = (id) => (id > 100 ? 'C' + (id - 100) : id ? 'S' + id : 'none');

// seconds prints virtual microseconds as "1.234 s" (or minutes past a minute).
export function seconds(us, digits = 3) {
  if (us == null) return '—';
  const s = us / 1e6;
  if (Math.abs(s) >= 60) {
    const m = Math.floor(s / 60);
    return `${m}m${(s - m * 60).toFixed(Math.min(digits, 1)).padStart(digits ? 4 : 2, '0')}s`;
  }
  return `${s.toFixed(digits)} s`;
}

// span prints a duration in the unit that reads best.
export function span(us) {
  const a = Math.abs(us);
  if (a < 1000) return `${us} µs`;
  if (a < 1e6) return `${+(us / 1000).toFixed(a < 1e4 ? 2 : 1)} ms`;
  return `${+(us / 1e6).toFixed(a < 1e7 ? 3 : 1)} s`;
}

export function pct(ppm) {
  return `${+(ppm / 1e4).toFixed(2)}%`;
}

export function escapeHTML(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
}

// setText changes an element's text only when it differs (no layout work
// otherwise).
export function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

export function setAttr(el, k, v) {
  if (el && el.getAttribute(k) !== v) el.setAttribute(k, v);
}

// fitCanvas sizes a canvas's backing store to its CSS box and device pixel
// ratio; it returns the context with CSS-pixel coordinates, and the size.
// The box comes from a ResizeObserver, not from clientWidth: reading the
// layout after the panels changed the page would force a layout in the
// middle of a frame, once per canvas.
export function fitCanvas(canvas) {
  const dpr = Math.min(window.devicePixelRatio || 1, 2);
  const box = canvasBox(canvas);
  const w = Math.max(1, box.w), h = Math.max(1, box.h);
  const bw = Math.round(w * dpr), bh = Math.round(h * dpr);
  if (canvas.width !== bw || canvas.height !== bh) {
    canvas.width = bw;
    canvas.height = bh;
  }
  let ctx = contexts.get(canvas);
  if (!ctx) contexts.set(canvas, (ctx = canvas.getContext('2d')));
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return {ctx, w, h};
}

const boxes = new WeakMap(); // canvas -> {w, h}, its CSS box as last laid out
const contexts = new WeakMap();
let resized = () => {};
let observer = null;

// onCanvasResize sets what to do when a canvas's box changes (redraw it).
export function onCanvasResize(fn) {
  resized = fn;
}

function canvasBox(canvas) {
  let box = boxes.get(canvas);
  if (box) return box;
  // The first time: one read of the layout, then the observer keeps it.
  box = {w: canvas.clientWidth, h: canvas.clientHeight};
  if (typeof ResizeObserver !== 'function') return box;
  boxes.set(canvas, box);
  observer ||= new ResizeObserver((entries) => {
    let changed = false;
    for (const e of entries) {
      const b = boxes.get(e.target);
      // The layout is fresh in the observer's callback: these reads are free.
      const w = e.target.clientWidth, h = e.target.clientHeight;
      if (b && (b.w !== w || b.h !== h)) {
        b.w = w;
        b.h = h;
        changed = true;
      }
    }
    if (changed) resized();
  });
  observer.observe(canvas);
  return box;
}

// niceStep picks a round axis step near span/target.
export function niceStep(total, target) {
  const raw = total / Math.max(1, target);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
