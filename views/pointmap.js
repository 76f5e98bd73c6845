// Phylo point map: every model of a bundle drawn at once.
//
// deck.gl owns the camera, the controller and the small overlay layers (lineage
// lines, markers), which Python describes with pydeck. The points themselves are drawn underneath by one WebGL2
// program as GL points straight from the binary files (uint16 positions, uint8
// colour and size codes, a uint8 match flag, uint16 creation days), using
// deck.gl's view-projection matrix. Measured in headless Chromium with software
// WebGL, deck.gl's instanced ScatterplotLayer takes ~10 s a frame for 760k points;
// GL points take ~0.2 s. Filters and the time replay are shader inputs, so they
// redraw without rebuilding any array.

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

// Nearest drawn point to a click, in screen pixels: matches first, then the dimmed rest; -1 if none is near.
function nearestPoint(st, x, y) {
  const vp = st.deck.getViewports()[0];
  if (!vp || !st.raw) return -1;
  const m = vp.pixelProjectionMatrix, reach = 8 * 8;
  const { pos, times } = st.raw;
  const dims = st.d.mode === "3d" ? 3 : 2;
  const until = times && st.d.until_day !== null && st.d.until_day !== undefined ? st.d.until_day : Infinity;
  const passes = st.match ? (st.d.hide_unmatched ? [1] : [1, 0]) : [-1];
  for (const want of passes) {
    let best = -1, bestD = reach;
    for (let i = st.d.n - 1; i >= 0; i--) {
      if ((want >= 0 && st.match[i] !== want) || (times && times[i] > until)) continue;
      const px = pos[i * dims], py = pos[i * dims + 1], pz = dims === 3 ? pos[i * 3 + 2] : 0;
      const w = m[3] * px + m[7] * py + m[11] * pz + m[15];
      const sx = (m[0] * px + m[4] * py + m[8] * pz + m[12]) / w - x;
      const sy = (m[1] * px + m[5] * py + m[9] * pz + m[13]) / w - y;
      const dd = sx * sx + sy * sy;
      if (dd < bestD) { bestD = dd; best = i; }
    }
    if (best >= 0) return best;
  }
  return -1;
}

function scheduleDraw(root, st) {
  if (st.frame) return;
  st.frame = requestAnimationFrame(() => {
    st.frame = 0;
    if (!drawPoints(st)) return;
    const key = st.drawKey;
    if (root.dataset.drawn !== key) {
      st.r.gl.readPixels(0, 0, 1, 1, st.r.gl.RGBA, st.r.gl.UNSIGNED_BYTE, new Uint8Array(4)); // wait for the GPU
      root.dataset.drawn = key;
    }
  });
}

// Release the deck, the WebGL context and its buffers (2D/3D switch, an error, or the element leaving the page).
function teardown(st) {
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
}

async function render(root, st, d) {
  const version = ++st.version;
  const deck = await loadDeck(d.deck_url, d.deck_json_url);
  if (st.pointsKey !== d.points_key) {
    const raw = await loadPoints(d);
    if (version !== st.version) return; // a newer spec arrived while loading
    st.raw = raw;
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
  if (!st.deck || st.mode !== d.mode) {
    teardown(st);
    root.replaceChildren();
    const canvas = document.createElement("canvas");
    canvas.style.cssText = "position:absolute;left:0;top:0;width:100%;height:100%";
    root.appendChild(canvas);
    st.r = createRenderer(canvas);
    const view = d.mode === "3d" ? new deck.OrbitView({ id: "v", controller: true })
                                 : new deck.OrthographicView({ id: "v", controller: true });
    st.deck = new deck.Deck({
      parent: root, views: [view], initialViewState: initialView(d, root.clientWidth, d.height),
      layers, width: "100%", height: d.height, useDevicePixels: false,
      getCursor: ({ isDragging }) => (isDragging ? "grabbing" : "crosshair"),
      onClick: (info) => {
        const i = nearestPoint(st, info.x, info.y);
        if (i >= 0) st.pick(i);
      },
      onAfterRender: () => scheduleDraw(root, st),
    });
    st.deck.getCanvas && st.deck.getCanvas() && (st.deck.getCanvas().style.position = "absolute");
    st.mode = d.mode;
  } else {
    st.deck.setProps({ layers });
  }
  root.dataset.points = String(d.n);
  scheduleDraw(root, st);
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
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
    st = { version: 0 };
    states.set(root, st);
  }
  clearTimeout(st.finalizeTimer);
  // A pick names the points it was found in, which lag behind ``data`` while new files load.
  st.pick = (i) => setTriggerValue("picked", { index: i, points: st.pointsKey });
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
