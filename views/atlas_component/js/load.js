// Loading: the point files (shared by every map on the page), deck.gl's scripts, and the spec's match mask.

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

async function loadPoints(d) {
  const [pos, codes, sizes, times, frac] = await Promise.all([
    fetchBuffer(d.position_url), fetchBuffer(d.color_url),
    d.size_url ? fetchBuffer(d.size_url) : null, d.time_url ? fetchBuffer(d.time_url) : null,
    d.fraction_url ? fetchBuffer(d.fraction_url) : null,
  ]);
  return { pos: new Uint16Array(pos), codes: new Uint8Array(codes), sizes: sizes && new Uint8Array(sizes),
           times: times && new Uint16Array(times), frac: frac && new Int8Array(frac),
           fracScale: 1 / (d.fraction_steps || 254) };
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
