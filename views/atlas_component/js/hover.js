// Hover: the ring and tooltip of the point under the cursor, its facts fetched a chunk at a time; DOM helpers.

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
