// Labels: the cluster hierarchy by zoom and the family roots, placed greedily without overlaps.

// Levels 0-2 are the cluster hierarchy; the spec's ``family_level`` (core.atlas.browser.FAMILY_LEVEL) names the roots of the
// largest families: a second layer, by its own toggle.
const LABEL_FONTS = ["600 15px sans-serif", "600 13px sans-serif", "12px sans-serif"];
const FAMILY_FONT = "italic 600 12px sans-serif";
const MAX_LABELS = 40;
const MODEL_FONT = "500 11px sans-serif";
const MODEL_NAMES_FROM = 3.5; // zoom above the fitted view from which the most downloaded models in view are named
const MAX_MODEL_NAMES = 14;
let measureCtx = null;
function labelFont(d, level) {
  return level === d.family_level ? FAMILY_FONT : LABEL_FONTS[level] || LABEL_FONTS[2];
}

function textWidth(text, font) {
  measureCtx = measureCtx || document.createElement("canvas").getContext("2d");
  measureCtx.font = font;
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
    ui.modelNames.replaceChildren();
    st.root.dataset.labels = "0";
    return;
  }
  ui.labels.style.display = "block";
  const labelsKey = JSON.stringify(labels.map((l) => [l.level, l.text, l.xy, l.xyz]));
  if (ui.labelsFor !== labelsKey) {
    ui.labels.replaceChildren();
    ui.labelNodes = labels.map((l) => {
      const n = el("div", `phylo-label phylo-label-${l.level}`,
                   `position:absolute;left:0;top:0;white-space:nowrap;font:${labelFont(d, l.level)};` +
                   "color:#1d1d1f;text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;display:none;" +
                   (l.level === 0 ? "letter-spacing:.04em;text-transform:uppercase;color:#333;" : "") +
                   (l.level === d.family_level ? "color:#8b1a1a;" : ""));
      n.textContent = l.level === d.family_level ? `◆ ${l.text}` : l.text;
      n.title = `${l.title} · ${fmt(l.n)} models`;
      n.dataset.level = String(l.level);
      l.w = textWidth(l.level === 0 ? l.text.toUpperCase() : n.textContent, labelFont(d, l.level)) * (l.level === 0 ? 1.08 : 1) + 4;
      l.h = l.level === 0 ? 19 : l.level === 1 ? 17 : 15;
      return n;
    });
    ui.labels.append(...ui.labelNodes);
    ui.labelsFor = labelsKey;
    ui.labelSizes = labels.map((l) => [l.w, l.h]);
  }
  const levels = labelLevels(vp.zoom - st.zoom0);
  if (st.showFamilies) levels.unshift(d.family_level);
  const w = st.root.clientWidth, h = st.root.clientHeight;
  // The tools, the legend and the minimap are drawn over the map: no label goes under them.
  const blocked = [ui.tools, ui.legend, ui.minimap.box].filter((e) => e.offsetWidth).map((e) =>
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
  for (const p of d.mode === "3d" ? [] : d.pins || []) { // no model name under a numbered marker
    const [px, py] = vp.project(p.xy);
    blocked.push([px - 13, py - 13, px + 13, py + 13]);
  }
  const named = vp.zoom - st.zoom0 >= MODEL_NAMES_FROM && d.mode !== "3d" ? placeModelNames(st, vp, taken, blocked, w, h) : 0;
  if (!named) ui.modelNames.replaceChildren();
  const ms = performance.now() - t0;
  st.root.dataset.labels = String(taken.length);
  st.root.dataset.modelNames = String(named);
  st.root.dataset.labelLevels = levels.join(",");
  st.root.dataset.labelMs = ms.toFixed(2);
}

// Pins: numbered markers of result lists (Ask, Place mine, similar models), the numbers the page's panel lists.
function placePins(st) {
  const { ui, d } = st;
  const pins = d.mode === "3d" ? [] : d.pins || [];
  const vp = st.deck.getViewports()[0];
  const key = JSON.stringify(pins);
  if (ui.pinsFor !== key) {
    ui.pins.replaceChildren();
    ui.pinNodes = pins.map((p) => {
      const star = p.kind === "draft";
      const n = el("div", `phylo-pin phylo-pin-${p.kind}`,
                   `position:absolute;left:0;top:0;min-width:${star ? 24 : 20}px;height:${star ? 24 : 20}px;` +
                   `border-radius:${star ? "4px" : "50%"};background:rgb(${p.rgb.join(",")});color:#fff;` +
                   "border:2px solid #fff;box-shadow:0 0 0 1px rgba(0,0,0,.55),0 1px 4px rgba(0,0,0,.35);" +
                   "font:700 11px/20px sans-serif;text-align:center;padding:0 2px;box-sizing:content-box;display:none");
      n.textContent = p.n; // numbers and ids are data, never HTML
      n.title = `${p.n} · ${p.id}`;
      n.dataset.id = p.id;
      n.dataset.n = p.n;
      return n;
    });
    ui.pins.append(...ui.pinNodes);
    ui.pinsFor = key;
  }
  let shown = 0;
  pins.forEach((p, k) => {
    const node = ui.pinNodes[k];
    const [sx, sy] = vp.project(p.xy);
    const inside = sx >= 0 && sy >= 0 && sx <= st.root.clientWidth && sy <= st.root.clientHeight;
    node.style.display = inside ? "block" : "none";
    const w = inside ? node.offsetWidth || 24 : 24, h = inside ? node.offsetHeight || 24 : 24;
    node.style.transform = `translate(${sx - w / 2}px, ${sy - h / 2}px)`; // centred on the point
    shown += inside ? 1 : 0;
  });
  st.root.dataset.pins = String(shown);
}

// Zoomed in, the names of the most downloaded models in view: the point files are in draw order (least downloaded
// first), so the last visible indices are the most downloaded; their ids come from the hover chunks (cached).
function placeModelNames(st, vp, taken, blocked, w, h) {
  const { ui, d, raw } = st;
  if (!raw || !d.hover_url) return 0;
  const m = vp.pixelProjectionMatrix;
  const until = raw.times && d.until_day !== null && d.until_day !== undefined ? d.until_day : Infinity;
  const picked = [];
  for (let i = d.n - 1; i >= 0 && picked.length < MAX_MODEL_NAMES * 3; i--) {
    if ((st.match && !st.match[i]) || (raw.times && raw.times[i] > until)) continue;
    const [px, py] = pointAt(raw, i, 2);
    const ww = m[3] * px + m[7] * py + m[15];
    const sx = (m[0] * px + m[4] * py + m[12]) / ww, sy = (m[1] * px + m[5] * py + m[13]) / ww;
    if (sx >= 0 && sy >= 0 && sx <= w && sy <= h) picked.push([i, sx, sy]);
  }
  const nodes = [];
  let waiting = false;
  for (const [i, sx, sy] of picked) {
    if (nodes.length >= MAX_MODEL_NAMES) break;
    const id = st.modelIds && st.modelIds.get(i);
    if (id === undefined) {
      waiting = true;
      hoverFacts(d, i).then((f) => {
        st.modelIds = st.modelIds || new Map();
        st.modelIds.set(i, f ? f.id : null);
        if (st.modelIds.size > 20000) st.modelIds.clear();
        clearTimeout(st.namesTimer);
        st.namesTimer = setTimeout(() => { if (st.deck) placeLabels(st); }, 30);
      }).catch(() => {});
      continue;
    }
    if (!id) continue;
    const text = id.split("/").pop();
    const lw = textWidth(text, MODEL_FONT) + 4, lh = 14;
    const box = [sx + 5, sy - lh / 2 - 1, sx + 5 + lw + 4, sy + lh / 2 + 1]; // right of its point
    const hit = (t) => box[0] < t[2] && t[0] < box[2] && box[1] < t[3] && t[1] < box[3];
    if (box[2] > w || box[1] < 0 || box[3] > h || taken.some(hit) || blocked.some(hit)) continue;
    taken.push(box);
    const n = el("div", "phylo-label phylo-label-model",
                 `position:absolute;left:0;top:0;white-space:nowrap;font:${MODEL_FONT};color:#222;` +
                 "text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 2px #fff;" +
                 `transform:translate(${box[0] + 2}px, ${box[1] + 1}px)`);
    n.textContent = text; // ids are data, never HTML
    n.title = id;
    n.dataset.level = "model";
    n.dataset.id = id;
    nodes.push(n);
  }
  ui.modelNames.replaceChildren(...nodes);
  st.root.dataset.namesPending = waiting ? "1" : "";
  return nodes.length;
}
