"""Map benchmark in headless Chromium (software WebGL on this machine).

Opens the Map page on a bundle and measures: time from navigation to every point
drawn (the map component marks a finished GPU draw on its element), bytes of point
data and bytes sent in all, the time for a filter change to redraw and for a zoom
step. The baseline, computed in the same run, is the size of the same points sent
inline through st.pydeck_chart (JSON in the websocket message).

    python bench/map.py [--bundle bundles/hub_listing_2024-07]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def painted_fraction(element) -> float:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(element.screenshot(timeout=180_000))).convert("L"))
    return float((img < 235).mean())


DRAWN = "() => document.querySelector('.phylo-map') || [...document.querySelectorAll('*')]" \
        ".map(e => e.shadowRoot && e.shadowRoot.querySelector('.phylo-map')).find(Boolean)"


def wait_drawn(page, predicate: str, limit: float) -> float:
    """Seconds until the map element's ``data-drawn`` key satisfies ``predicate`` (a JS expression over ``k``)."""
    t = time.perf_counter()
    page.wait_for_function(f"() => {{ const r = ({DRAWN})(); const k = r && r.dataset.drawn; return k && ({predicate}); }}",
                           timeout=limit * 1000, polling=50)
    return time.perf_counter() - t


def inline_baseline_bytes(bundle: Path, n: int) -> int:
    """Bytes of the deck JSON that st.pydeck_chart would send with the same points inline (x, y, colour)."""
    import pandas as pd
    import pydeck as pdk

    sample = min(n, 50_000)
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.random(sample) * 10, "y": rng.random(sample) * 10, "c": rng.integers(0, 20, sample)})
    deck = pdk.Deck(layers=[pdk.Layer("ScatterplotLayer", data=df, get_position="[x, y]", get_fill_color="[c, 0, 0]")])
    return int(len(deck.to_json()) / sample * n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default=str(ROOT / "bundles/hub_listing_2024-07"))
    parser.add_argument("--limit", type=float, default=120)
    args = parser.parse_args()
    bundle = Path(args.bundle).resolve()
    n = json.loads((bundle / "manifest.json").read_text())["counts"]["models"]

    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, SCREENSHOTS, streamlit_server

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(bundle) as url, sync_playwright() as p:
        # Warm the server's caches (point files, DuckDB) with a first visit, as a deployed Space would be.
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        warm = browser.new_page(viewport={"width": 1400, "height": 1100})
        warm.goto(url + "/map")
        wait_drawn(warm, "true", 300)
        warm.close()

        # A fresh context: nothing cached, as for a first visitor.
        page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
        point_bytes, total_bytes, ws_bytes = [0], [0], [0]

        def on_response(r):
            # Sizes from headers: reading bodies here would stall the page being timed.
            size = int(r.headers.get("content-length") or 0)
            total_bytes[0] += size
            if "/app/static/points/" in r.url:
                point_bytes[0] += size

        page.on("response", on_response)
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: ws_bytes.__setitem__(0, ws_bytes[0] + len(payload))))
        t0 = time.perf_counter()
        page.goto(url + "/map")
        wait_drawn(page, "true", args.limit)
        t_all = time.perf_counter() - t0
        canvas = page.locator(".phylo-map").first
        drawn_points = int(canvas.get_attribute("data-points"))
        frac = painted_fraction(canvas)
        canvas.screenshot(path=str(SCREENSHOTS / "bench_map_all.png"))

        # Filter change: minimum downloads 1000 (the drawn key then carries the filter's digest).
        box = page.get_by_label("Min downloads")
        box.fill("1000")
        t1 = time.perf_counter()
        box.press("Enter")
        wait_drawn(page, "k.split('|')[1]", args.limit)
        t_filter = time.perf_counter() - t1
        canvas.screenshot(path=str(SCREENSHOTS / "bench_map_filter.png"))

        # One zoom step with the mouse wheel: deck.gl moves the camera, the points are redrawn.
        box = canvas.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.evaluate(f"() => {{ ({DRAWN})().dataset.drawn = 'zoom'; }}")
        t2 = time.perf_counter()
        page.mouse.wheel(0, -400)
        page.wait_for_function(f"() => {{ const r = ({DRAWN})(); return r.dataset.drawn !== 'zoom'; }}", timeout=60_000,
                               polling=50)
        t_zoom = time.perf_counter() - t2
        browser.close()

    baseline = inline_baseline_bytes(bundle, n)
    print(f"bundle {bundle.name}: {n:,} models, {drawn_points:,} drawn")
    print(f"navigation -> every point drawn  {t_all:6.1f} s  (canvas painted {frac:.1%})   goal < 8 s")
    print(f"filter change -> redrawn         {t_filter:6.1f} s  (min downloads 1000)          goal < 2 s")
    print(f"zoom step -> redrawn             {t_zoom:6.1f} s")
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # views.cache outside a server warns on every wrapper
    from views.cache import _bundle_key

    key = _bundle_key(str(bundle))
    files = [ROOT / "static" / "points" / key / f for f in ("v4-xy.u16", "v4-c-cluster.u8")]
    on_disk = sum(f.stat().st_size for f in files)
    sent = point_bytes[0] or on_disk
    print(f"point data sent                  {sent / 1e6:6.1f} MB = {sent / n:.1f} bytes per point "
          f"({'from headers' if point_bytes[0] else 'size of the files served'})   goal <= 16")
    print(f"websocket + other HTTP bytes     {(total_bytes[0] + ws_bytes[0]) / 1e6:6.1f} MB "
          "(Streamlit's assets and the 1.6 MB deck.gl script included)")
    print(f"baseline: inline JSON through st.pydeck_chart would send {baseline / 1e6:.0f} MB "
          f"({baseline / n:.0f} bytes per point): {baseline / max(sent, 1):.1f}x more")
    print(f"screenshots: {SCREENSHOTS}/bench_map_all.png, bench_map_filter.png")


if __name__ == "__main__":
    main()
