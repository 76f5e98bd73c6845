"""The atlas component: the point map widget shared by the Atlas and Growth pages, deck.gl fed binary point files.

pydeck cannot reach the map's goals at 760k points: ``st.pydeck_chart`` rebuilds
the deck and re-parses every point on each rerun, and deck.gl rejects binary
attributes given by URL. This ``st.components.v2`` component loads the same
deck.gl (vendored under ``static/vendor``) and fetches uint16 positions (with an
int8 file of what the grid rounds off, so no lattice shows zoomed in) and uint8
colour codes once; reruns send only a small JSON spec (a filter is one bit per
point), so a filter redraws without reloading anything. The overlays (lineage
lines, markers) stay pydeck layers: Python describes them, deck.gl's JSON module
builds them. Hover, labels, the legend, the minimap and box/lasso selection are the
component's own (DOM over the canvas): hover picks on a bucket grid and reads
the point's facts from static JSON chunks, so none of them waits for Python.

The browser side lives in ``js/``, one file per concern, joined in ``JS_FILES`` order into one module (one
scope, one ``export default``, in ``frame.js``). Values both sides need (the grid, the family label level, the
palette, the default label layers) come to it in the spec rather than as copies in the JS.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core import atlas
from core.atlas import geometry

DECK_URL = "app/static/vendor/deck.gl-9.1.14.min.js"
DECK_JSON_URL = "app/static/vendor/deck.gl-json-9.1.14.min.js"
DIM_COLOR = [226, 226, 226]  # lighter than "other" (160), so grey matches stand out of the dimmed rest
DEFAULT_LAYERS = {"labels": True, "families": False}  # the label layers shown when the page names none
JS_DIR = Path(__file__).with_name("js")
# Joined in this order: loading, WebGL, picking, hover, labels, selection, minimap, then the frame with the default
# export.
JS_FILES = ("load.js", "gl.js", "picking.js", "hover.js", "labels.js", "selection.js", "minimap.js", "frame.js")


def joined_js() -> str:
    """The component's JavaScript: the files of ``JS_FILES`` concatenated into one module."""
    return "\n".join((JS_DIR / name).read_text() for name in JS_FILES)


_component = st.components.v2.component("phylo.pointmap", js=joined_js())


def _layers_json(layers: list) -> list:
    """pydeck layers as the JSON deck.gl's JSON module converts (the form ``st.pydeck_chart`` sends)."""
    if not layers:
        return []
    import json

    import pydeck as pdk

    out = json.loads(pdk.Deck(layers=layers, map_style=None).to_json())["layers"]
    # pydeck marks every string as an expression ("@@="); only accessors (get*) are, enums such as units are not.
    return [{k: v[3:] if isinstance(v, str) and v.startswith("@@=") and not k.startswith("get") else v
             for k, v in layer.items()} for layer in out]


def point_map(*, key: str, points_key: str, n: int, files: dict, n_colors: int, palette: list | None = None,
              mode: str = "2d", mask: str | None = None, mask_id: str = "", until_day: int | None = None,
              hide_unmatched: bool = False, overlays: list | None = None, height: int = 640, fill: bool = False,
              labels: list | None = None, legend: dict | None = None, hover: dict | None = None,
              camera: atlas.Camera | None = None, selection: list | None = None, tools: bool = False,
              avoid: str | None = None, layers: dict | None = None, url_view_key: str | None = None,
              pins: list | None = None, on_pick=None,
              on_select=None, on_layers=None):
    """Draw ``n`` points from ``files`` (see ``cache.map_files``); returns the component result
    (``.picked``, ``.selected``: a polygon in grid units, ``.layers``; each carries ``view``, the camera as
    ``Camera.to_url`` writes it, or None before the first move).

    Colour codes below ``n_colors`` take ``palette`` colours (``atlas.PALETTE`` by default), the rest grey.
    ``mask`` is base64 bits of the matching points in draw order; without ``hide_unmatched`` the others are drawn
    dimmed. ``until_day`` hides models created after that day (``atlas.EPOCH`` + days). ``overlays`` are
    small ``pydeck.Layer``s in grid units (lineage lines, markers) drawn over the points. ``fill`` stretches the
    map to the bottom of the window (``height`` is then the least). ``labels`` (``cache.map_labels``), ``legend``
    ({title, items: [{label, rgb, n}]}), ``hover`` (``cache.hover_files``), ``camera`` and ``selection`` are drawn
    or restored in the browser; ``tools`` offers box and lasso selection; no label is placed under the element
    of the CSS selector ``avoid`` (a panel the page draws over the map). ``layers`` ({labels, families}: bools)
    says which label layers show; the component reports a change as ``.layers``. With ``url_view_key``, the
    camera goes into that query parameter once it settles, written in the browser: a pan or zoom reruns nothing.
    ``pins`` ([{n, xy, id, kind, rgb}]) are numbered markers drawn over the points (search results, neighbours).
    """
    spec = {"deck_url": DECK_URL, "points_key": points_key, "n": int(n), "grid": atlas.GRID, "mode": mode,
            "palette": palette or atlas.PALETTE, "n_colors": int(n_colors), "other_color": atlas.OTHER_COLOR,
            "dim_color": DIM_COLOR, "dim_alpha": 90, "mask": mask, "mask_id": mask_id, "until_day": until_day,
            "hide_unmatched": hide_unmatched, "overlays": _layers_json(overlays or []), "deck_json_url": DECK_JSON_URL,
            "height": int(height), "fill": fill, "labels": labels or [], "legend": legend, "tools": tools, "avoid": avoid,
            "layers": DEFAULT_LAYERS if layers is None else layers, "family_level": atlas.FAMILY_LEVEL,
            "url_view_key": url_view_key, "pins": pins or [], "fraction_steps": geometry.FRACTION_STEPS,
            "camera": camera.__dict__ if camera else None, "selection": [list(p) for p in selection or []] or None,
            **(hover or {}), **{k: v for k, v in files.items() if k.endswith("_url")}}
    return _component(data=spec, key=key, height="content" if fill else height,
                      on_picked_change=on_pick or (lambda: None), on_selected_change=on_select or (lambda: None),
                      on_layers_change=on_layers or (lambda: None))


def legend_spec(title: str, legend) -> dict:
    """The component's legend from a ``map_files`` legend frame (category, models, rgb)."""
    return {"title": title, "items": [{"label": str(c), "rgb": [int(v) for v in rgb], "n": int(m)}
                                      for c, m, rgb in zip(legend["category"], legend["models"], legend["rgb"])]}
