// Picking: the bucket grid over the 2D map and the nearest drawn point to a screen position.

// A bucket grid over the 2D map (CELLS² cells, draw-order indices per cell), built once per point set: hover
// and click look at the cells under the cursor, not at every point.
const CELLS = 256;
function buildIndex(raw, n, grid) {
  const cellOf = new Uint32Array(n), start = new Uint32Array(CELLS * CELLS + 1);
  const k = CELLS / (grid + 1);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(raw.pos[2 * i] * k) * CELLS + Math.floor(raw.pos[2 * i + 1] * k);
    cellOf[i] = c;
    start[c + 1]++;
  }
  for (let c = 0; c < CELLS * CELLS; c++) start[c + 1] += start[c];
  const items = new Uint32Array(n), fill = start.slice(0, CELLS * CELLS);
  for (let i = 0; i < n; i++) items[fill[cellOf[i]]++] = i;
  return { start, items, k };
}

// Nearest drawn point to a screen position (pixels), within 8 px: matches first, then the dimmed rest; -1 if none.
function nearestPoint(st, x, y) {
  const vp = st.deck && st.deck.getViewports()[0];
  if (!vp || !st.raw) return -1;
  const reach = 8 * 8;
  const { pos, times, frac } = st.raw;
  const dims = st.d.mode === "3d" ? 3 : 2;
  const f = dims === 2 && frac ? frac : null, fs = st.raw.fracScale;
  const until = times && st.d.until_day !== null && st.d.until_day !== undefined ? st.d.until_day : Infinity;
  const passes = st.match ? (st.d.hide_unmatched ? [1] : [1, 0]) : [-1];
  const m = vp.pixelProjectionMatrix;
  const screen = (i) => {
    const px = pos[i * dims] + (f ? f[2 * i] * fs : 0), py = pos[i * dims + 1] + (f ? f[2 * i + 1] * fs : 0);
    const pz = dims === 3 ? pos[i * 3 + 2] : 0;
    const w = m[3] * px + m[7] * py + m[11] * pz + m[15];
    const sx = (m[0] * px + m[4] * py + m[8] * pz + m[12]) / w - x;
    const sy = (m[1] * px + m[5] * py + m[9] * pz + m[13]) / w - y;
    return sx * sx + sy * sy;
  };
  // The points to look at: in 2D those of the grid cells the reach touches, in 3D (no index) every point.
  let visit;
  if (dims === 2) {
    if (!st.index) st.index = buildIndex(st.raw, st.d.n, st.d.grid);
    const { start, items, k } = st.index;
    const [wx, wy] = vp.unproject([x, y]);
    const r = 8 / Math.pow(2, vp.zoom);
    const cx0 = Math.max(0, Math.floor((wx - r) * k)), cx1 = Math.min(CELLS - 1, Math.floor((wx + r) * k));
    const cy0 = Math.max(0, Math.floor((wy - r) * k)), cy1 = Math.min(CELLS - 1, Math.floor((wy + r) * k));
    visit = (f) => {
      for (let cx = cx0; cx <= cx1; cx++) {
        for (let c = cx * CELLS + cy0; c <= cx * CELLS + cy1; c++) {
          for (let j = start[c]; j < start[c + 1]; j++) f(items[j]);
        }
      }
    };
  } else {
    visit = (f) => { for (let i = st.d.n - 1; i >= 0; i--) f(i); };
  }
  for (const want of passes) {
    let best = -1, bestD = reach;
    visit((i) => {
      if ((want >= 0 && st.match[i] !== want) || (times && times[i] > until)) return;
      const dd = screen(i);
      if (dd < bestD || (dd === bestD && i > best)) { bestD = dd; best = i; } // ties: the point drawn on top
    });
    if (best >= 0) return best;
  }
  return -1;
}

// Where point ``i`` is drawn, in grid units: the uint16 position plus its fraction code (2D).
function pointAt(raw, i, dims) {
  const { pos, frac, fracScale } = raw;
  if (dims === 3) return [pos[3 * i], pos[3 * i + 1], pos[3 * i + 2]];
  return frac ? [pos[2 * i] + frac[2 * i] * fracScale, pos[2 * i + 1] + frac[2 * i + 1] * fracScale]
              : [pos[2 * i], pos[2 * i + 1]];
}

function screenOf(st, i) {
  return st.deck.getViewports()[0].project(pointAt(st.raw, i, st.d.mode === "3d" ? 3 : 2));
}
