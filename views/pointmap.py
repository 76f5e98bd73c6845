"""The point map widget shared by the Map and Growth pages: deck.gl fed binary point files.

pydeck cannot reach the map's goals at 760k points: ``st.pydeck_chart`` rebuilds
the deck and re-parses every point on each rerun, and deck.gl rejects binary
attributes given by URL. This ``st.components.v2`` component loads the same
deck.gl (vendored under ``static/vendor``) and fetches uint16 positions and uint8
colour codes once; reruns send only a small JSON spec (a filter is one bit per
point), so a filter redraws without reloading anything. The overlays (lineage
lines, markers) stay pydeck layers: Python describes them, deck.gl's JSON module
builds them.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core import atlas

DECK_URL = "app/static/vendor/deck.gl-9.1.14.min.js"
DECK_JSON_URL = "app/static/vendor/deck.gl-json-9.1.14.min.js"
DIM_COLOR = [226, 226, 226]  # lighter than "other" (160), so grey matches stand out of the dimmed rest
_component = st.components.v2.component("phylo.pointmap", js=(Path(__file__).with_name("pointmap.js")).read_text())


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


def point_map(*, key: str, points_key: str, n: int, files: dict, n_colors: int, mode: str = "2d", mask: str | None = None,
              mask_id: str = "", until_day: int | None = None, hide_unmatched: bool = False, overlays: list | None = None,
              height: int = 640, on_pick=None):
    """Draw ``n`` points from ``files`` (see ``cache.map_files``); returns the component result (``.picked``).

    Colour codes below ``n_colors`` take ``atlas.PALETTE`` colours, the rest grey ("other").
    ``mask`` is base64 bits of the matching points in draw order; without ``hide_unmatched`` the others are drawn
    dimmed. ``until_day`` hides models created after that day (``atlas.EPOCH`` + days). ``overlays`` are
    small ``pydeck.Layer``s in grid units (lineage lines, markers) drawn over the points.
    """
    spec = {"deck_url": DECK_URL, "points_key": points_key, "n": int(n), "grid": atlas.GRID, "mode": mode,
            "palette": atlas.PALETTE, "n_colors": int(n_colors), "other_color": atlas.OTHER_COLOR, "dim_color": DIM_COLOR, "dim_alpha": 90,
            "mask": mask, "mask_id": mask_id, "until_day": until_day, "hide_unmatched": hide_unmatched,
            "overlays": _layers_json(overlays or []), "deck_json_url": DECK_JSON_URL, "height": int(height),
            **{k: v for k, v in files.items() if k.endswith("_url")}}
    return _component(data=spec, key=key, height=height, on_picked_change=on_pick or (lambda: None))
