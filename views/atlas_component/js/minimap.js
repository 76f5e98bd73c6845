// The minimap: the whole map in a corner while zoomed in, with the part in view outlined; a click or drag on it
// moves the camera there. Its density image is made once per point set (and filter), from the same position file.

const MINIMAP_PX = 132; // its side on screen, CSS pixels
const MINIMAP_BINS = 132; // its density image, bins a side
const MINIMAP_FROM = 0.6; // zoom above the fitted view from which it shows

function buildMinimap(root, st) {
  const box = el("div", "phylo-minimap", `position:absolute;right:8px;bottom:8px;width:${MINIMAP_PX}px;` +
                 `height:${MINIMAP_PX}px;background:rgba(255,255,255,.93);border:1px solid #bbb;border-radius:4px;` +
                 "box-shadow:0 1px 4px rgba(0,0,0,.15);z-index:7;display:none;cursor:pointer");
  box.title = "The whole map: the outline is the part in view; click or drag to move there";
  const canvas = document.createElement("canvas");
  canvas.width = MINIMAP_BINS;
  canvas.height = MINIMAP_BINS;
  canvas.style.cssText = "position:absolute;inset:0;width:100%;height:100%";
  const frame = el("div", "phylo-minimap-view", "position:absolute;border:1.5px solid #d6336c;" +
                   "background:rgba(214,51,108,.08);pointer-events:none;box-sizing:border-box");
  box.append(canvas, frame);
  const moveTo = (e) => {
    const r = box.getBoundingClientRect();
    const g = st.d.grid;
    const gx = Math.min(Math.max((e.clientX - r.left) / r.width, 0), 1) * g;
    const gy = Math.min(Math.max((e.clientY - r.top) / r.height, 0), 1) * g;
    const vp = st.deck.getViewports()[0];
    const vs = { ...initialView(st.d, root.clientWidth, root.clientHeight), target: [gx, gy, 0], zoom: vp.zoom,
                 transitionDuration: 0 };
    st.deck.setProps({ initialViewState: vs });
    const cam = cameraOf(vs);
    root.dataset.camera = JSON.stringify(cam);
    st.viewText = viewText(cam, st.d.mode);
    writeView(st);
  };
  box.addEventListener("pointerdown", (e) => {
    e.stopPropagation();
    e.preventDefault();
    box.setPointerCapture(e.pointerId);
    st.minimapDrag = true;
    moveTo(e);
  });
  box.addEventListener("pointermove", (e) => { e.stopPropagation(); if (st.minimapDrag) moveTo(e); });
  for (const type of ["pointerup", "pointercancel"]) {  // a drag ends however the pointer leaves
    box.addEventListener(type, (e) => { e.stopPropagation(); st.minimapDrag = false; });
  }
  box.addEventListener("wheel", (e) => e.stopPropagation());
  box.addEventListener("pointerenter", () => { st.hoverIndex = -1; showHover(st, 0); });
  root.appendChild(box);
  st.ui.minimap = { box, canvas, frame, key: null };
}

// Models per bin as grey (log scale); with a filter, the matching models over them in blue.
function paintMinimap(st) {
  const mm = st.ui.minimap;
  const key = [st.pointsKey, st.maskId].join("|");
  if (mm.key === key) return;
  mm.key = key;
  const { pos } = st.raw;
  const n = st.d.n, g = st.d.grid, bins = MINIMAP_BINS, scale = bins / (g + 1);
  const all = new Uint32Array(bins * bins), hit = st.match ? new Uint32Array(bins * bins) : null;
  for (let i = 0; i < n; i++) {
    const b = Math.floor(pos[2 * i + 1] * scale) * bins + Math.floor(pos[2 * i] * scale);
    all[b]++;
    if (hit && st.match[i]) hit[b]++;
  }
  let top = 1;
  for (let b = 0; b < all.length; b++) top = Math.max(top, all[b]);
  const norm = Math.log1p(top);
  const ctx = mm.canvas.getContext("2d");
  const img = ctx.createImageData(bins, bins);
  for (let b = 0; b < all.length; b++) {
    if (!all[b]) continue;
    const strong = hit && hit[b];
    const a = 0.35 + 0.65 * Math.log1p(strong ? hit[b] : all[b]) / norm;
    const rgb = strong ? [30, 110, 220] : hit ? [190, 190, 190] : [90, 90, 90];
    img.data.set([rgb[0], rgb[1], rgb[2], Math.round(255 * a)], 4 * b);
  }
  ctx.putImageData(img, 0, 0);
}

// Shown in 2D once zoomed in, beside the panel the page draws over the map; the outline follows the camera.
function placeMinimap(st) {
  const mm = st.ui.minimap;
  const vp = st.deck.getViewports()[0];
  const show = st.d.mode !== "3d" && vp && vp.zoom - st.zoom0 >= MINIMAP_FROM;
  mm.box.style.display = show ? "block" : "none";
  st.root.dataset.minimap = show ? "shown" : "hidden";
  if (!show) return;
  paintMinimap(st);
  const panel = panelBox(st);
  const w = st.root.clientWidth;
  mm.box.style.right = `${panel && panel[0] < w && panel[2] > w - MINIMAP_PX - 16 ? w - panel[0] + 8 : 8}px`;
  const g = st.d.grid;
  const [x0, y0, x1, y1] = vp.getBounds();
  const clip = (v) => Math.min(Math.max(v / g, 0), 1) * 100;
  mm.frame.style.left = `${clip(x0)}%`;
  mm.frame.style.top = `${clip(y0)}%`;
  mm.frame.style.width = `${Math.max(clip(x1) - clip(x0), 1.5)}%`;
  mm.frame.style.height = `${Math.max(clip(y1) - clip(y0), 1.5)}%`;
  st.root.dataset.minimapView = [x0, y0, x1, y1].map((v) => v.toFixed(1)).join(",");
}
