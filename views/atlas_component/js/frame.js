// The frame around the canvas: tools, legend, camera, scheduling, teardown, listeners and the default export.

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
  ui.modelNames = el("div", "phylo-model-names", "position:absolute;inset:0;pointer-events:none;overflow:hidden;z-index:3");
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
  ui.pins = el("div", "phylo-pins", "position:absolute;inset:0;pointer-events:none;overflow:hidden;z-index:5");
  ui.pinNodes = [];
  root.append(ui.labels, ui.modelNames, ui.svg, ui.pins, ui.ring, ui.tip, ui.tools, ui.legend);
  st.ui = ui;
  buildMinimap(root, st);
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
  if ((d.labels || []).some((l) => l.level === d.family_level)) layer("showFamilies", "Families", "Name the roots of the largest families");
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

// The camera in the URL, written here with history.replaceState: no rerun. Streamlit keeps it: a bound widget's
// change rewrites the URL from location.search, and a server write of the query string (from its older copy,
// which lacks this camera) is undone by ``writeView`` after that rerun and by a check each second. Picks,
// selections and layer switches also carry the camera, so the page's callbacks write the same one.
const VIEW_SETTLE_MS = 150;

function viewText(cam, mode) {
  const vals = [cam.x, cam.y, cam.zoom].concat(mode === "3d" ? [cam.z, cam.orbit, cam.pitch] : []);
  // As core.atlas.Camera.to_url: 4 significant digits, integers from 100 on.
  return vals.map((v) => (Math.abs(v) < 100 ? String(Number(v.toPrecision(4))) : String(Math.round(v)))).join(",");
}

function urlWindow() {
  try {
    if (window.parent && window.parent !== window && window.parent.location.href) return window.parent;
  } catch (e) { /* a cross-origin parent: the component's own window */ }
  return window;
}

function writeView(st) {
  const key = st.d && st.d.url_view_key;
  if (!key || !st.viewText || !st.root.isConnected) return;
  const w = urlWindow();
  const url = new URL(w.location.href);
  if (st.viewPath && url.pathname !== st.viewPath) return; // another page now
  if (url.searchParams.get(key) !== st.viewText) {
    url.searchParams.set(key, st.viewText);
    w.history.replaceState(w.history.state, "", url.toString());
  }
  st.root.dataset.urlView = st.viewText;
  if (st.movedAt) st.root.dataset.urlMs = (performance.now() - st.movedAt).toFixed(0);
}

// New result markers (Ask, Place mine, similar models) are framed in the part of the map the panel leaves free,
// unless a shared link's camera comes with them on the first render.
function fitPins(st, d) {
  const pins = d.mode === "3d" ? [] : d.pins || [];
  const key = JSON.stringify(pins.map((p) => p.xy));
  const first = st.pinsFitted === undefined;
  if (key === st.pinsFitted) return;
  st.pinsFitted = key;
  if (!pins.length || (first && d.camera) || !st.deck) return;
  const xs = pins.map((p) => p.xy[0]), ys = pins.map((p) => p.xy[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const w = st.root.clientWidth, h = st.root.clientHeight;
  const panel = panelBox(st);
  const free = panel && panel[0] > w * 0.35 ? Math.min(w, panel[0]) : w;
  const zoom = Math.min(st.zoom0 + 6, Math.max(st.zoom0, Math.log2(Math.min((free - 80) / Math.max(x1 - x0, 1),
                                                                       (h - 80) / Math.max(y1 - y0, 1)))));
  const s = Math.pow(2, zoom);
  const target = [(x0 + x1) / 2 + (w - free) / 2 / s, (y0 + y1) / 2, 0];
  const vs = { ...initialView(d, w, h), target, zoom, transitionDuration: 0 };
  st.deck.setProps({ initialViewState: vs });
  st.root.dataset.camera = JSON.stringify(cameraOf(vs));
  st.viewText = viewText(cameraOf(vs), d.mode);
}

function initialView(d, width, height) {
  const g = d.grid;
  const zoom = Math.log2(Math.max(Math.min(width, height), 100) / (g * 1.08));
  if (d.mode === "3d") {
    return { target: [g / 2, g / 2, g / 2], zoom: zoom - 0.4, rotationOrbit: 30, rotationX: 25, minZoom: zoom - 4, maxZoom: zoom + 12 };
  }
  return { target: [g / 2, g / 2, 0], zoom, minZoom: zoom - 3, maxZoom: zoom + 12 };
}

// The overlay layers come as pydeck JSON (layers with "@@type" and "@@=" accessors), converted by deck.gl's JSON module.
function overlayLayers(deck, d) {
  if (!d.overlays || !d.overlays.length) return [];
  return deck.converter.convert({ layers: d.overlays }).layers;
}

function scheduleDraw(root, st) {
  if (st.frame) return;
  st.frame = requestAnimationFrame(() => {
    st.frame = 0;
    if (!drawPoints(st)) return;
    if (st.ui) {
      placeMinimap(st); // first: the labels keep clear of it
      placeLabels(st);
      placePins(st);
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
  st.viewText = null; // a 2D camera does not place a 3D view, nor the reverse
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
  const shown = JSON.stringify(d.layers);
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
        const cam = cameraOf(viewState);
        root.dataset.camera = JSON.stringify(cam);
        st.movedAt = performance.now();
        if (st.hoverIndex >= 0 && st.rehover) st.rehover(); // the tooltip follows the camera, never stale
        // Written to the URL on this side once the view settles, not on every frame of a drag: no rerun.
        clearTimeout(st.viewTimer);
        st.viewTimer = setTimeout(() => {
          st.viewText = viewText(cam, st.d.mode);
          writeView(st);
        }, VIEW_SETTLE_MS);
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
  fitPins(st, d);
  root.dataset.points = String(d.n);
  writeView(st); // a rerun that wrote the URL from the server's older copy loses no camera
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
    if ([st.ui.tools, st.ui.legend, st.ui.minimap.box].some((p) => p.contains(e.target))) return; // not on the map
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
  // After a camera move, the point under the resting pointer again (the same point's tooltip moves with it).
  st.rehover = () => {
    if (!st.pointer || st.dragging) return;
    st.hoverIndex = -2;
    if (!st.hoverFrame) st.hoverFrame = requestAnimationFrame(hoverAt);
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
    st.viewPath = urlWindow().location.pathname;
    st.healTimer = setInterval(() => { if (st.viewText) writeView(st); }, 1000);
    window.addEventListener("resize", () => { if (st.d) { fitHeight(root, st.d); st.deck && st.deck.redraw(true); } });
  }
  fitHeight(root, data);
  clearTimeout(st.finalizeTimer);
  // A pick names the points it was found in, which lag behind ``data`` while new files load.
  st.pick = (i) => setTriggerValue("picked", { index: i, points: st.pointsKey, view: st.viewText || null });
  st.send = (name, value, isState) => {
    const withView = { ...value, view: st.viewText || null }; // the page's callback writes the URL with this camera
    if (isState) setStateValue(name, withView);
    else setTriggerValue(name, withView);
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
        clearInterval(st.healTimer);
        teardown(st);
        states.delete(root);
      }
    }, 1000);
  };
}
