// Labels: the cluster hierarchy by zoom and the family roots, placed greedily without overlaps.

// Levels 0-2 are the cluster hierarchy; the spec's ``family_level`` (core.atlas.browser.FAMILY_LEVEL) names the roots of the
// largest families: a second layer, by its own toggle.
const LABEL_FONTS = ["600 15px sans-serif", "600 13px sans-serif", "12px sans-serif"];
const FAMILY_FONT = "italic 600 12px sans-serif";
const MAX_LABELS = 40;
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
