// Phylo point map: every model of a bundle drawn at once.
//
// deck.gl owns the camera, the controller and the small overlay layers (lineage
// lines, markers), which Python describes with pydeck. The points themselves are drawn underneath by one WebGL2
// program as GL points straight from the binary files (uint16 positions, uint8
// colour and size codes, a uint8 match flag, uint16 creation days), using
// deck.gl's view-projection matrix. Measured in headless Chromium with software
// WebGL, deck.gl's instanced ScatterplotLayer takes ~10 s a frame for 760k points;
// GL points take ~0.2 s. Filters and the time replay are shader inputs, so they
// redraw without rebuilding any array. Over the canvas, plain DOM: the hover ring
// and tooltip, the cluster labels, the selection outline (SVG), the tools and the
// legend; every text in them is set with textContent.

const buffers = new Map(); // url -> Promise<ArrayBuffer>, shared by every map on the page
const states = new WeakMap(); // root element -> map state
let deckLoading = null;

function fetchBuffer(url) {
  if (!buffers.has(url)) {
    const pending = fetch(url).then((r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return r.arrayBuffer();
    });
    pending.catch(() => buffers.delete(url)); // a failed fetch is retried by the next render
    buffers.set(url, pending);
  }
  return buffers.get(url);
}

function loadScript(url) {
  // Fetched as text and run from a Blob: Streamlit's static server does not label .js files as scripts.
  return fetch(url).then((r) => {
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    return r.text();
  }).then((code) => new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    s.onload = resolve;
    s.onerror = reject;
    document.head.appendChild(s);
  }));
}

// deck.gl core, then its JSON module (which replaces window.deck with its own exports): merged into one.
function loadDeck(coreUrl, jsonUrl) {
  if (!deckLoading) {
    deckLoading = (async () => {
      if (!window.deck || !window.deck.Deck) await loadScript(coreUrl);
      const core = window.deck;
      if (!core.JSONConverter) {
        await loadScript(jsonUrl);
        window.deck = Object.assign({}, core, window.deck);
      }
      const deck = window.deck;
      deck.converter = new deck.JSONConverter({
        configuration: new deck.JSONConfiguration({ classes: { LineLayer: deck.LineLayer, ScatterplotLayer: deck.ScatterplotLayer } }),
      });
      return deck;
    })();
    deckLoading.catch(() => { deckLoading = null; });
  }
  return deckLoading;
}

const VERTEX = `#version 300 es
in vec3 a_pos; in float a_code; in float a_size; in float a_match; in float a_day;
uniform mat4 u_mvp; uniform vec3 u_palette[20]; uniform vec3 u_other; uniform vec4 u_dim;
uniform int u_pass; uniform int u_ncolors; uniform float u_until; uniform float u_sized; uniform float u_alpha;
out vec4 v_color;
void main() {
  bool matched = a_match > 0.5;
  if (a_day > u_until || (u_pass == 1 && matched) || (u_pass == 2 && !matched)) {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0); gl_PointSize = 0.0; v_color = vec4(0.0); return;
  }
  gl_Position = u_mvp * vec4(a_pos, 1.0);
  gl_PointSize = u_sized > 0.5 ? 2.0 + a_size * 1.2 : 3.0;
  int c = int(a_code + 0.5);
  vec3 rgb = c < u_ncolors ? u_palette[min(c, 19)] : u_other;
  v_color = u_pass == 1 ? u_dim : vec4(rgb / 255.0, u_alpha);
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
in vec4 v_color; out vec4 o;
void main() {
  vec2 d = gl_PointCoord - 0.5;
  if (dot(d, d) > 0.25) discard;
  o = v_color;
}`;

function compile(gl, type, source) {
  const s = gl.createShader(type);
  gl.shaderSource(s, source);
  gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
  return s;
}

function createRenderer(canvas) {
  const gl = canvas.getContext("webgl2", { antialias: false, alpha: true, premultipliedAlpha: false,
                                            preserveDrawingBuffer: true });
  if (!gl) throw new Error("this browser has no WebGL2");
  const program = gl.createProgram();
  gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
  gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(program));
  const attr = {};
  for (const name of ["a_pos", "a_code", "a_size", "a_match", "a_day"]) attr[name] = gl.getAttribLocation(program, name);
  const uni = {};
  for (const name of ["u_mvp", "u_palette", "u_other", "u_dim", "u_pass", "u_ncolors", "u_until", "u_sized", "u_alpha"]) {
    uni[name] = gl.getUniformLocation(program, name);
  }
  return { gl, program, attr, uni, bufs: {} };
}

// Bind a vertex buffer (or a constant when there is none) to an attribute.
function bindAttribute(r, name, data, size, type, constant) {
  const { gl } = r;
  const loc = r.attr[name];
  if (loc < 0) return;
  if (!data) {
    gl.disableVertexAttribArray(loc);
    gl.vertexAttrib4f(loc, constant, 0, 0, 1);
    return;
  }
  if (r.bufs[name] && r.bufs[name].data === data) {
    gl.bindBuffer(gl.ARRAY_BUFFER, r.bufs[name].buf);
  } else {
    if (r.bufs[name]) gl.deleteBuffer(r.bufs[name].buf);
    const buf = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buf);
    gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
    r.bufs[name] = { buf, data };
  }
  gl.enableVertexAttribArray(loc);
  gl.vertexAttribPointer(loc, size, type, false, 0, 0);
}

function drawPoints(st) {
  const { r, d, raw } = st;
  const vp = st.deck && st.deck.getViewports()[0];
  if (!r || !raw || !vp) return false;
  const { gl } = r;
  const canvas = gl.canvas;
  // A frame is drawn only when what it shows changed: a rerun that changes only the page (a panel, a selection)
  // keeps the last frame, which at 1.86M points with software WebGL costs ~0.6 s to draw again.
  const sig = [st.pointsKey, st.maskId, d.until_day, d.hide_unmatched, vp.width, vp.height, ...vp.viewProjectionMatrix].join("|");
  if (sig === st.drawnSig && canvas.width === vp.width && canvas.height === vp.height) return true;
  st.drawnSig = sig;
  if (canvas.width !== vp.width || canvas.height !== vp.height) {
    canvas.width = vp.width;
    canvas.height = vp.height;
  }
  gl.viewport(0, 0, canvas.width, canvas.height);
  gl.clearColor(0, 0, 0, 0);
  gl.clear(gl.COLOR_BUFFER_BIT);
  gl.useProgram(r.program);
  bindAttribute(r, "a_pos", raw.pos, d.mode === "3d" ? 3 : 2, gl.UNSIGNED_SHORT, 0);
  bindAttribute(r, "a_code", raw.codes, 1, gl.UNSIGNED_BYTE, 0);
  bindAttribute(r, "a_size", raw.sizes, 1, gl.UNSIGNED_BYTE, 0);
  bindAttribute(r, "a_match", st.match, 1, gl.UNSIGNED_BYTE, 1);
  bindAttribute(r, "a_day", raw.times, 1, gl.UNSIGNED_SHORT, 0);
  gl.uniformMatrix4fv(r.uni.u_mvp, false, new Float32Array(vp.viewProjectionMatrix));
  const pal = new Float32Array(60);
  d.palette.slice(0, 20).forEach((rgb, i) => pal.set(rgb, i * 3));
  gl.uniform3fv(r.uni.u_palette, pal);
  gl.uniform3fv(r.uni.u_other, d.other_color);
  gl.uniform1i(r.uni.u_ncolors, Math.min(d.n_colors, 20));
  gl.uniform4f(r.uni.u_dim, d.dim_color[0] / 255, d.dim_color[1] / 255, d.dim_color[2] / 255, d.dim_alpha / 255);
  gl.uniform1f(r.uni.u_until, raw.times && d.until_day !== null && d.until_day !== undefined ? d.until_day : 1e9);
  gl.uniform1f(r.uni.u_sized, raw.sizes ? 1 : 0);
  gl.uniform1f(r.uni.u_alpha, 0.82);
  gl.enable(gl.BLEND);
  gl.blendFuncSeparate(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA, gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
  const passes = st.match ? (d.hide_unmatched ? [2] : [1, 2]) : [0];
  for (const pass of passes) {
    gl.uniform1i(r.uni.u_pass, pass);
    if (pass === 2 && st.matchIndex) {
      // Only the matches' vertices: a second pass over every point would double a filter's frame at 1.86M points.
      if (!r.elements || r.elements.data !== st.matchIndex) {
        if (r.elements) gl.deleteBuffer(r.elements.buf);
        const buf = gl.createBuffer();
        gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, buf);
        gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, st.matchIndex, gl.STATIC_DRAW);
        r.elements = { buf, data: st.matchIndex };
      }
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, r.elements.buf);
      gl.drawElements(gl.POINTS, st.matchIndex.length, gl.UNSIGNED_INT, 0);
    } else {
      gl.drawArrays(gl.POINTS, 0, d.n);
    }
  }
  return true;
}

function decodeBits(b64, n) {
  if (!b64) return null;
  const bin = atob(b64);
  const flags = new Uint8Array(n);
  for (let i = 0; i < n; i++) flags[i] = (bin.charCodeAt(i >> 3) >> (i & 7)) & 1;
  return flags;
}

// Draw-order indices of the matching points, for the pass that colours them.
function matchIndices(flags) {
  if (!flags) return null;
  let count = 0;
  for (let i = 0; i < flags.length; i++) count += flags[i];
  const out = new Uint32Array(count);
  for (let i = 0, j = 0; i < flags.length; i++) if (flags[i]) out[j++] = i;
  return out;
}

function initialView(d, width, height) {
  const g = d.grid;
  const zoom = Math.log2(Math.max(Math.min(width, height), 100) / (g * 1.08));
  if (d.mode === "3d") {
    return { target: [g / 2, g / 2, g / 2], zoom: zoom - 0.4, rotationOrbit: 30, rotationX: 25, minZoom: zoom - 4, maxZoom: zoom + 12 };
  }
  return { target: [g / 2, g / 2, 0], zoom, minZoom: zoom - 3, maxZoom: zoom + 12 };
}

async function loadPoints(d) {
  const [pos, codes, sizes, times] = await Promise.all([
    fetchBuffer(d.position_url), fetchBuffer(d.color_url),
    d.size_url ? fetchBuffer(d.size_url) : null, d.time_url ? fetchBuffer(d.time_url) : null,
  ]);
  return { pos: new Uint16Array(pos), codes: new Uint8Array(codes), sizes: sizes && new Uint8Array(sizes),
           times: times && new Uint16Array(times) };
}

// The overlay layers come as pydeck JSON (layers with "@@type" and "@@=" accessors), converted by deck.gl's JSON module.
function overlayLayers(deck, d) {
  if (!d.overlays || !d.overlays.length) return [];
  return deck.converter.convert({ layers: d.overlays }).layers;
}

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
  const { pos, times } = st.raw;
  const dims = st.d.mode === "3d" ? 3 : 2;
  const until = times && st.d.until_day !== null && st.d.until_day !== undefined ? st.d.until_day : Infinity;
  const passes = st.match ? (st.d.hide_unmatched ? [1] : [1, 0]) : [-1];
  const m = vp.pixelProjectionMatrix;
  const screen = (i) => {
    const px = pos[i * dims], py = pos[i * dims + 1], pz = dims === 3 ? pos[i * 3 + 2] : 0;
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

// ---- hover: the facts of the point under the cursor, fetched a chunk at a time -----------------------------

const hoverChunks = new Map(); // url -> Promise<columns>, least recently used first
const MAX_HOVER_CHUNKS = 256; // ~25 MB of parsed facts at most
function hoverFacts(d, i) {
  if (!d.hover_url) return Promise.resolve(null);
  const chunk = Math.floor(i / d.hover_chunk);
  const url = `${d.hover_url}${chunk}.json`;
  let pending = hoverChunks.get(url);
  if (pending) {
    hoverChunks.delete(url); // re-inserted below: the Map's order is least recently used first
  } else {
    pending = fetch(url).then((r) => { if (!r.ok) throw new Error(`HTTP ${r.status}`); return r.json(); });
    pending.catch(() => hoverChunks.delete(url));
  }
  hoverChunks.set(url, pending);
  if (hoverChunks.size > MAX_HOVER_CHUNKS) hoverChunks.delete(hoverChunks.keys().next().value);
  return pending.then((cols) => {
    const j = i - chunk * d.hover_chunk;
    const out = {};
    for (const [k, v] of Object.entries(cols)) out[k] = v[j];
    return out;
  });
}

function el(tag, cls, css) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (css) e.style.cssText = css;
  return e;
}

function screenOf(st, i) {
  const vp = st.deck.getViewports()[0];
  const { pos } = st.raw;
  const p = st.d.mode === "3d" ? [pos[3 * i], pos[3 * i + 1], pos[3 * i + 2]] : [pos[2 * i], pos[2 * i + 1]];
  return vp.project(p);
}

// The box (in the map's pixels) of the panel the page draws over the map (the spec's ``avoid`` selector), or null.
function panelBox(st) {
  const over = st.d.avoid && document.querySelector(st.d.avoid);
  if (!over) return null;
  const a = over.getBoundingClientRect(), r = st.root.getBoundingClientRect();
  return [a.left - r.left, a.top - r.top, a.right - r.left, a.bottom - r.top];
}

function fmt(n) {
  return typeof n === "number" ? n.toLocaleString("en-US") : String(n ?? "—");
}

function showHover(st, t0) {
  const { ui } = st;
  const i = st.hoverIndex;
  if (i < 0 || st.dragging) {
    ui.ring.style.display = "none";
    ui.tip.style.display = "none";
    st.root.dataset.hover = "";
    return;
  }
  const [sx, sy] = screenOf(st, i);
  ui.ring.style.display = "block";
  ui.ring.style.transform = `translate(${sx - 8}px, ${sy - 8}px)`;
  const place = () => {
    const panel = panelBox(st); // the tooltip stays left of the page's panel
    const w = panel ? Math.min(st.root.clientWidth, panel[0]) : st.root.clientWidth;
    const h = st.root.clientHeight;
    const tw = ui.tip.offsetWidth || 240, th = ui.tip.offsetHeight || 120;
    const left = sx + 14 + tw > w ? sx - 14 - tw : sx + 14;
    const top = Math.min(Math.max(4, sy - th / 2), h - th - 4);
    ui.tip.style.transform = `translate(${Math.max(4, left)}px, ${top}px)`;
  };
  ui.tip.style.display = "block";
  ui.tip.replaceChildren();
  ui.tip.textContent = "…"; // not the last point's facts beside this one
  hoverFacts(st.d, i).then((f) => {
    if (st.hoverIndex !== i) return;
    ui.tip.replaceChildren();
    if (!f) {
      ui.tip.textContent = `point ${i}`;
    } else {
      const head = el("div", "phylo-tip-id", "font-weight:600;margin-bottom:2px;word-break:break-all");
      head.textContent = f.id; // ids and tags are data, never HTML
      ui.tip.appendChild(head);
      const rows = [["task", f.task], ["library", f.library], ["license", f.license], ["downloads", fmt(f.downloads)],
                    ["family", f.family_size > 1 ? `${f.family} (${fmt(f.family_size)} models)` : "none (a lone model)"]];
      for (const [k, v] of rows) {
        const row = el("div", "", "display:flex;gap:6px");
        const kk = el("span", "", "color:#666;min-width:62px");
        kk.textContent = k;
        const vv = el("span", "", "word-break:break-all");
        vv.textContent = v ?? "—";
        row.append(kk, vv);
        ui.tip.appendChild(row);
      }
    }
    place();
    st.root.dataset.hover = f ? f.id : String(i);
    st.root.dataset.hoverMs = (performance.now() - t0).toFixed(1);
  }).catch(() => {
    if (st.hoverIndex !== i) return;
    ui.tip.textContent = "(could not load this point's facts)";
    place();
  });
  place();
}

// ---- labels: the cluster hierarchy, a level window by zoom, placed greedily without overlaps ------------------

const LABEL_FONTS = ["600 15px sans-serif", "600 13px sans-serif", "12px sans-serif", "italic 600 12px sans-serif"];
const FAMILY_LEVEL = 3; // the roots of the largest families: a second layer, by its own toggle
const MAX_LABELS = 40;
let measureCtx = null;
function textWidth(text, level) {
  measureCtx = measureCtx || document.createElement("canvas").getContext("2d");
  measureCtx.font = LABEL_FONTS[level] || LABEL_FONTS[2];
  return measureCtx.measureText(text).width;
}

// Which levels show at a zoom: broad regions zoomed out, finer clusters zoomed in (dz: zoom above the fitted view).
function labelLevels(dz) {
  if (dz < 0.9) return [0];
  if (dz < 2.2) return [0, 1];
  if (dz < 3.5) return [1, 2];
  return [2];
}

function placeLabels(st) {
  const t0 = performance.now();
  const { ui, d } = st;
  const labels = d.labels || [];
  const vp = st.deck.getViewports()[0];
  if (!labels.length || !vp || !st.showLabels) {
    ui.labels.style.display = "none";
    st.root.dataset.labels = "0";
    return;
  }
  ui.labels.style.display = "block";
  const labelsKey = JSON.stringify(labels.map((l) => [l.level, l.text, l.xy, l.xyz]));
  if (ui.labelsFor !== labelsKey) {
    ui.labels.replaceChildren();
    ui.labelNodes = labels.map((l) => {
      const n = el("div", `phylo-label phylo-label-${l.level}`,
                   `position:absolute;left:0;top:0;white-space:nowrap;font:${LABEL_FONTS[l.level] || LABEL_FONTS[2]};` +
                   "color:#1d1d1f;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;display:none;" +
                   (l.level === 0 ? "letter-spacing:.04em;text-transform:uppercase;color:#333;" : "") +
                   (l.level === FAMILY_LEVEL ? "color:#8b1a1a;" : ""));
      n.textContent = l.level === FAMILY_LEVEL ? `◆ ${l.text}` : l.text;
      n.title = `${l.title} · ${fmt(l.n)} models`;
      n.dataset.level = String(l.level);
      l.w = textWidth(l.level === 0 ? l.text.toUpperCase() : n.textContent, l.level) * (l.level === 0 ? 1.08 : 1) + 4;
      l.h = l.level === 0 ? 19 : l.level === 1 ? 17 : 15;
      return n;
    });
    ui.labels.append(...ui.labelNodes);
    ui.labelsFor = labelsKey;
    ui.labelSizes = labels.map((l) => [l.w, l.h]);
  }
  const levels = labelLevels(vp.zoom - st.zoom0);
  if (st.showFamilies) levels.unshift(FAMILY_LEVEL);
  const w = st.root.clientWidth, h = st.root.clientHeight;
  // The tools and the legend are drawn over the map: no label goes under them.
  const blocked = [ui.tools, ui.legend].filter((e) => e.offsetWidth).map((e) =>
    [e.offsetLeft, e.offsetTop, e.offsetLeft + e.offsetWidth, e.offsetTop + e.offsetHeight]);
  const panel = panelBox(st);
  if (panel) blocked.push(panel);
  const taken = [];
  const order = labels.map((l, k) => k).sort((a, b) => levels.indexOf(labels[a].level) - levels.indexOf(labels[b].level) || a - b);
  const shown = new Set();
  for (const k of order) {
    const l = labels[k];
    if (!levels.includes(l.level) || taken.length >= MAX_LABELS) continue;
    const [sx, sy] = vp.project(d.mode === "3d" ? l.xyz : l.xy);
    const [lw, lh] = ui.labelSizes[k];
    const box = [sx - lw / 2 - 3, sy - lh / 2 - 2, sx + lw / 2 + 3, sy + lh / 2 + 2];
    const hit = (t) => box[0] < t[2] && t[0] < box[2] && box[1] < t[3] && t[1] < box[3];
    if (box[0] >= 0 && box[1] >= 0 && box[2] <= w && box[3] <= h && !taken.some(hit) && !blocked.some(hit)) {
      taken.push(box);
      ui.labelNodes[k].style.transform = `translate(${box[0] + 3}px, ${box[1] + 2}px)`;
      shown.add(k);
    }
  }
  ui.labelNodes.forEach((node, k) => { node.style.display = shown.has(k) ? "block" : "none"; });
  const ms = performance.now() - t0;
  st.root.dataset.labels = String(taken.length);
  st.root.dataset.labelLevels = levels.join(",");
  st.root.dataset.labelMs = ms.toFixed(2);
}

// ---- selection: a box (shift-drag, or the Box tool) or a lasso, in grid coordinates ------------------------

function drawSelection(st) {
  const { ui } = st;
  const poly = st.selection;
  const vp = st.deck.getViewports()[0];
  if (!poly || poly.length < 3 || !vp || st.d.mode === "3d") {
    ui.selPath.setAttribute("d", "");
    return;
  }
  const pts = poly.map((p) => vp.project(p));
  ui.selPath.setAttribute("d", "M" + pts.map((p) => `${p[0].toFixed(1)},${p[1].toFixed(1)}`).join("L") + "Z");
}

function startDrawing(st, e, tool) {
  const rect = st.root.getBoundingClientRect();
  const at = (ev) => [ev.clientX - rect.left, ev.clientY - rect.top];
  const first = at(e);
  const screen = [first];
  st.dragging = true;
  st.hoverIndex = -1;
  showHover(st, performance.now());
  const preview = () => {
    const pts = tool === "box" && screen.length > 1
      ? [first, [screen[screen.length - 1][0], first[1]], screen[screen.length - 1], [first[0], screen[screen.length - 1][1]]]
      : screen;
    st.ui.selPath.setAttribute("d", "M" + pts.map((p) => `${p[0]},${p[1]}`).join("L") + "Z");
  };
  const move = (ev) => {
    const p = at(ev), last = screen[screen.length - 1];
    if (tool === "box") screen[1] = p;
    else if ((p[0] - last[0]) ** 2 + (p[1] - last[1]) ** 2 > 16) screen.push(p);
    preview();
  };
  const stop = () => {
    window.removeEventListener("pointermove", move, true);
    window.removeEventListener("pointerup", up, true);
    window.removeEventListener("pointercancel", cancel, true);
    st.dragging = false;
  };
  const cancel = () => { stop(); drawSelection(st); }; // a lost pointer (touch cancelled): the old selection stays
  const up = (ev) => {
    stop();
    move(ev);
    const vp = st.deck.getViewports()[0];
    const outline = tool === "box" ? [first, [screen[1][0], first[1]], screen[1], [first[0], screen[1][1]]] : screen;
    const xs = outline.map((p) => p[0]), ys = outline.map((p) => p[1]);
    const tiny = Math.max(...xs) - Math.min(...xs) < 4 || Math.max(...ys) - Math.min(...ys) < 4 || outline.length < 3;
    if (tiny) { drawSelection(st); return; } // a click, not a selection
    st.selection = outline.map((p) => vp.unproject(p).slice(0, 2).map((v) => Math.round(v)));
    drawSelection(st);
    st.send("selected", { polygon: st.selection, points: st.pointsKey });
  };
  window.addEventListener("pointermove", move, true);
  window.addEventListener("pointerup", up, true);
  window.addEventListener("pointercancel", cancel, true);
}

// ---- the frame around the canvas: tools, legend, label toggle -----------------------------------------------

function button(text, title, onClick) {
  const b = el("button", "phylo-tool", "font:12px sans-serif;padding:3px 8px;border:1px solid #bbb;background:#fff;" +
                                       "border-radius:4px;cursor:pointer;color:#222");
  b.textContent = text;
  b.title = title;
  b.type = "button";
  b.addEventListener("click", (e) => { e.stopPropagation(); onClick(); });
  return b;
}

function buildUi(root, st) {
  const ui = {};
  ui.labels = el("div", "phylo-labels", "position:absolute;inset:0;pointer-events:none;overflow:hidden;z-index:3");
  ui.labelNodes = [];
  const svgNs = "http://www.w3.org/2000/svg";
  ui.svg = document.createElementNS(svgNs, "svg");
  ui.svg.setAttribute("class", "phylo-selection");
  ui.svg.style.cssText = "position:absolute;inset:0;width:100%;height:100%;pointer-events:none;z-index:4";
  ui.selPath = document.createElementNS(svgNs, "path");
  ui.selPath.setAttribute("fill", "rgba(30,110,220,0.10)");
  ui.selPath.setAttribute("stroke", "rgb(30,110,220)");
  ui.selPath.setAttribute("stroke-width", "1.5");
  ui.selPath.setAttribute("stroke-dasharray", "5 3");
  ui.svg.appendChild(ui.selPath);
  ui.ring = el("div", "phylo-ring", "position:absolute;left:0;top:0;width:16px;height:16px;border-radius:50%;" +
                                    "border:2px solid #111;box-shadow:0 0 0 2px #fff;pointer-events:none;display:none;z-index:5");
  ui.tip = el("div", "phylo-tooltip", "position:absolute;left:0;top:0;max-width:320px;background:rgba(255,255,255,.97);" +
                                      "border:1px solid #ccc;border-radius:6px;padding:6px 8px;font:12px/1.35 sans-serif;" +
                                      "color:#222;box-shadow:0 2px 8px rgba(0,0,0,.18);pointer-events:none;display:none;z-index:6");
  ui.tools = el("div", "phylo-tools", "position:absolute;left:8px;top:8px;display:flex;gap:4px;z-index:7");
  ui.legend = el("details", "phylo-legend", "position:absolute;left:8px;bottom:8px;max-height:30%;overflow:auto;" +
                                            "background:rgba(255,255,255,.93);border:1px solid #ddd;border-radius:6px;" +
                                            "padding:3px 8px;font:11px/1.35 sans-serif;color:#222;z-index:7;max-width:250px");
  ui.legend.open = true;
  for (const panel of [ui.legend, ui.tools]) {
    // Over the legend or the tools nothing on the map is hovered, dragged or zoomed.
    for (const type of ["pointerdown", "pointermove", "wheel"]) panel.addEventListener(type, (e) => e.stopPropagation());
    panel.addEventListener("pointerenter", () => { st.hoverIndex = -1; showHover(st, 0); });
  }
  root.append(ui.labels, ui.svg, ui.ring, ui.tip, ui.tools, ui.legend);
  st.ui = ui;
}

function updateUi(st) {
  const { ui, d } = st;
  ui.tools.replaceChildren();
  if (d.tools && d.mode !== "3d") {
    const pick = (tool) => () => { st.tool = st.tool === tool ? "pan" : tool; updateUi(st); };
    const box = button("▭ Box", "Drag a box to select the models in it (or shift-drag in any mode)", pick("box"));
    const lasso = button("◌ Lasso", "Draw around the models to select", pick("lasso"));
    for (const [b, t] of [[box, "box"], [lasso, "lasso"]]) {
      b.dataset.tool = t;
      if (st.tool === t) { b.style.background = "#1e6edc"; b.style.color = "#fff"; b.style.borderColor = "#1e6edc"; }
      ui.tools.appendChild(b);
    }
    if (st.selection && st.selection.length >= 3) {
      const clear = button("✕ Clear selection", "Select nothing", () => {
        st.selection = null;
        drawSelection(st);
        st.send("selected", { polygon: [], points: st.pointsKey });
        updateUi(st);
      });
      clear.dataset.tool = "clear";
      ui.tools.appendChild(clear);
    }
  }
  // Label layers, each on or off: the cluster names, and the roots of the largest families when the page sent them.
  const layer = (flag, name, title) => {
    const b = button(`${name}: ${st[flag] ? "on" : "off"}`, title, () => {
      st[flag] = !st[flag];
      updateUi(st);
      placeLabels(st);
      st.send("layers", { labels: st.showLabels, families: st.showFamilies }, true); // into the URL
    });
    b.dataset.tool = name.toLowerCase();
    ui.tools.appendChild(b);
  };
  if ((d.labels || []).length) layer("showLabels", "Labels", "Show or hide the cluster names");
  if ((d.labels || []).some((l) => l.level === FAMILY_LEVEL)) layer("showFamilies", "Families", "Name the roots of the largest families");
  st.root.style.cursor = st.tool === "pan" ? "" : "crosshair";
  st.root.dataset.tool = st.tool;
  const items = (d.legend && d.legend.items) || [];
  ui.legend.style.display = items.length ? "block" : "none";
  const legendKey = JSON.stringify(d.legend);
  if (items.length && ui.legendFor !== legendKey) {
    ui.legend.replaceChildren();
    const sum = el("summary", "", "cursor:pointer;font-weight:600");
    sum.textContent = d.legend.title;
    ui.legend.appendChild(sum);
    for (const it of items) {
      const row = el("div", "", "display:flex;align-items:center;gap:6px;white-space:nowrap");
      const sw = el("span", "", `width:10px;height:10px;border-radius:50%;flex:none;background:rgb(${it.rgb.join(",")})`);
      const name = el("span", "", "overflow:hidden;text-overflow:ellipsis;max-width:160px");
      name.textContent = it.label;
      name.title = it.label;
      const n = el("span", "", "color:#666;margin-left:auto;padding-left:8px");
      n.textContent = fmt(it.n);
      row.append(sw, name, n);
      ui.legend.appendChild(row);
    }
    ui.legendFor = legendKey;
  }
}

function cameraOf(viewState) {
  const t = viewState.target || [0, 0, 0];
  return { x: t[0], y: t[1], zoom: viewState.zoom, z: t[2] || 0, orbit: viewState.rotationOrbit || 0,
           pitch: viewState.rotationX || 0 };
}

function scheduleDraw(root, st) {
  if (st.frame) return;
  st.frame = requestAnimationFrame(() => {
    st.frame = 0;
    if (!drawPoints(st)) return;
    if (st.ui) {
      placeLabels(st);
      drawSelection(st);
      if (st.hoverIndex >= 0 && !st.dragging) {
        const [sx, sy] = screenOf(st, st.hoverIndex);
        st.ui.ring.style.transform = `translate(${sx - 8}px, ${sy - 8}px)`;
      }
    }
    const key = st.drawKey;
    if (root.dataset.drawn !== key) {
      st.r.gl.readPixels(0, 0, 1, 1, st.r.gl.RGBA, st.r.gl.UNSIGNED_BYTE, new Uint8Array(4)); // wait for the GPU
      root.dataset.drawn = key;
    }
  });
}

// Release the deck, the WebGL context and its buffers (2D/3D switch, an error, or the element leaving the page).
function teardown(st) {
  clearTimeout(st.viewTimer);
  if (st.frame) cancelAnimationFrame(st.frame);
  st.frame = 0;
  if (st.deck) st.deck.finalize();
  if (st.r) {
    const { gl } = st.r;
    Object.values(st.r.bufs).forEach((b) => gl.deleteBuffer(b.buf));
    if (st.r.elements) gl.deleteBuffer(st.r.elements.buf);
    gl.deleteProgram(st.r.program);
    const lose = gl.getExtension("WEBGL_lose_context");
    if (lose) lose.loseContext();
  }
  st.deck = null;
  st.r = null;
  st.mode = null;
  st.drawnSig = null;
}

async function render(root, st, d) {
  const version = ++st.version;
  const deck = await loadDeck(d.deck_url, d.deck_json_url);
  if (st.pointsKey !== d.points_key) {
    const raw = await loadPoints(d);
    if (version !== st.version) return; // a newer spec arrived while loading
    st.raw = raw;
    st.index = null;
    st.pointsKey = d.points_key;
    st.maskId = null; // decode the mask again against these points
  }
  if (version !== st.version) return;
  if (st.maskId !== d.mask_id) {
    st.match = decodeBits(d.mask, d.n);
    st.matchIndex = matchIndices(st.match);
    st.maskId = d.mask_id;
  }
  st.d = d;
  st.drawKey = [d.points_key, d.mask_id, d.until_day].join("|");
  const layers = overlayLayers(deck, d);
  const shown = JSON.stringify(d.layers || { labels: true, families: false });
  if (shown !== st.specLayers) { // the URL's label layers, when they change (as for the selection below)
    ({ labels: st.showLabels, families: st.showFamilies } = JSON.parse(shown));
    st.specLayers = shown;
  }
  // The URL's selection when it changes (a shared link, a clear from Python, the echo of a drawn one);
  // otherwise the one drawn here stays, even if a rerun started before Python heard of it.
  const sel = JSON.stringify(d.selection && d.selection.length >= 3 ? d.selection : null);
  if (sel !== st.specSelection) {
    st.selection = JSON.parse(sel);
    st.specSelection = sel;
  }
  if (!st.deck || st.mode !== d.mode) {
    teardown(st);
    root.replaceChildren();
    const canvas = document.createElement("canvas");
    canvas.style.cssText = "position:absolute;left:0;top:0;width:100%;height:100%";
    root.appendChild(canvas);
    st.r = createRenderer(canvas);
    const view = d.mode === "3d" ? new deck.OrbitView({ id: "v", controller: true })
                                 : new deck.OrthographicView({ id: "v", controller: true });
    const fitted = initialView(d, root.clientWidth, root.clientHeight);
    st.zoom0 = fitted.zoom;
    const cam = d.camera;
    const start = cam ? { ...fitted, target: [cam.x, cam.y, d.mode === "3d" ? cam.z : 0], zoom: cam.zoom,
                          ...(d.mode === "3d" ? { rotationOrbit: cam.orbit, rotationX: cam.pitch } : {}) } : fitted;
    st.deck = new deck.Deck({
      parent: root, views: [view], initialViewState: start,
      layers, width: "100%", height: "100%", useDevicePixels: false,
      getCursor: ({ isDragging }) => (isDragging ? "grabbing" : st.tool === "pan" ? "default" : "crosshair"),
      onClick: (info) => {
        const i = nearestPoint(st, info.x, info.y);
        if (i >= 0) st.pick(i);
      },
      onViewStateChange: ({ viewState }) => {
        root.dataset.camera = JSON.stringify(cameraOf(viewState));
        // Written to the URL once the view settles, not on every frame of a drag.
        clearTimeout(st.viewTimer);
        st.viewTimer = setTimeout(() => st.send("view", cameraOf(viewState), true), 450);
      },
      onAfterRender: () => scheduleDraw(root, st),
    });
    st.deck.getCanvas && st.deck.getCanvas() && (st.deck.getCanvas().style.position = "absolute");
    st.mode = d.mode;
    root.dataset.camera = JSON.stringify(cameraOf(start));
    buildUi(root, st);
  } else {
    st.deck.setProps({ layers });
  }
  updateUi(st);
  root.dataset.points = String(d.n);
  scheduleDraw(root, st);
}

function fitHeight(root, d) {
  if (!d.fill) return;
  const top = root.getBoundingClientRect().top + window.scrollY;
  root.style.height = `${Math.max(d.height, window.innerHeight - top - 12)}px`;
}

function listen(root, st) {
  // Pointer events on the map's element: hover (throttled to a frame), shift-drag and the selection tools.
  root.addEventListener("pointerdown", (e) => {
    if (!st.deck || !st.d || !st.d.tools || st.d.mode === "3d" || e.button !== 0) return;
    if (st.ui.tools.contains(e.target) || st.ui.legend.contains(e.target)) return; // a tool's button, the legend
    const tool = e.shiftKey ? "box" : st.tool;
    if (tool === "pan") return;
    e.stopPropagation();
    e.preventDefault();
    startDrawing(st, e, tool);
  }, true);
  const hoverAt = () => {
    st.hoverFrame = 0;
    if (!st.deck || !st.ui) return;
    const [x, y, t0] = st.pointer;
    const t1 = performance.now();
    const i = nearestPoint(st, x, y);
    root.dataset.pickMs = (performance.now() - t1).toFixed(2);
    if (i !== st.hoverIndex || i < 0) {
      st.hoverIndex = i;
      showHover(st, t0);
    }
  };
  root.addEventListener("pointermove", (e) => {
    if (!st.deck || st.dragging || e.buttons) return;
    const rect = root.getBoundingClientRect();
    st.pointer = [e.clientX - rect.left, e.clientY - rect.top, performance.now()];
    if (st.d && st.d.mode === "3d") {
      // 3D has no index: every point is projected, so only once the pointer rests.
      clearTimeout(st.hoverTimer);
      st.hoverTimer = setTimeout(hoverAt, 90);
      return;
    }
    if (!st.hoverFrame) st.hoverFrame = requestAnimationFrame(hoverAt);
  });
  root.addEventListener("pointerleave", () => { st.hoverIndex = -1; if (st.ui) showHover(st, 0); });
}

export default function (component) {
  const { data, parentElement, setTriggerValue, setStateValue } = component;
  let root = parentElement.querySelector(".phylo-map");
  if (!root) {
    root = document.createElement("div");
    root.className = "phylo-map";
    root.style.position = "relative";
    parentElement.appendChild(root);
  }
  root.style.height = `${data.height}px`;
  let st = states.get(root);
  if (!st) {
    st = { version: 0, tool: "pan", showLabels: true, showFamilies: false, hoverIndex: -1, selection: null, root };
    states.set(root, st);
    listen(root, st);
    window.addEventListener("resize", () => { if (st.d) { fitHeight(root, st.d); st.deck && st.deck.redraw(true); } });
  }
  fitHeight(root, data);
  clearTimeout(st.finalizeTimer);
  // A pick names the points it was found in, which lag behind ``data`` while new files load.
  st.pick = (i) => setTriggerValue("picked", { index: i, points: st.pointsKey });
  st.send = (name, value, isState) => {
    if (isState) setStateValue(name, value);
    else setTriggerValue(name, value);
  };
  render(root, st, data).catch((err) => {
    teardown(st);
    st.pointsKey = null;
    root.dataset.error = String(err);
    root.textContent = `The map could not be drawn: ${err}`;
  });
  return () => {
    // Called on unmount (and perhaps before a re-render): finalize only if no new render follows.
    st.finalizeTimer = setTimeout(() => {
      if (!root.isConnected) {
        teardown(st);
        states.delete(root);
      }
    }, 1000);
  };
}
