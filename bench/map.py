"""Map benchmark in headless Chromium (software WebGL on this machine).

Opens the Map page on a bundle and measures: time from navigation to the deck
canvas, to the first points painted and to every
point drawn; bytes of point data and bytes sent in all; and the time for a filter
change to redraw. The baseline, computed in the same run, is the size of the same
points sent inline through st.pydeck_chart (JSON in the websocket message).

    python bench/map.py [--bundle bundles/hub_listing_2024-07]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def painted_fraction(element) -> float:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(element.screenshot(timeout=180_000))).convert("L"))  # the page may be busy
    return float((img < 235).mean())


def wait_stable(canvas, start: float, limit: float, min_fraction: float = 0.0) -> tuple[float, float]:
    """Poll the canvas until the painted fraction stops changing; returns (seconds, fraction)."""
    last, stable_since, t = -1.0, None, start
    while time.perf_counter() - start < limit:
        frac = painted_fraction(canvas)
        now = time.perf_counter()
        if frac > min_fraction and abs(frac - last) < 1e-4:
            if stable_since is None:
                stable_since = now
            elif now - stable_since > 1.0:
                return stable_since - start, frac
        else:
            stable_since = None
            t = now
        last = frac
        time.sleep(0.15)
    return t - start, last


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
        warm.wait_for_selector("canvas", timeout=300_000)
        warm.wait_for_timeout(3000)
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
        canvas = page.wait_for_selector("[data-testid=stDeckGlJsonChart] canvas", timeout=120_000)
        t_canvas = time.perf_counter() - t0
        t_first = None
        while time.perf_counter() - t0 < args.limit:
            if painted_fraction(canvas) > 0.002:
                t_first = time.perf_counter() - t0
                break
            time.sleep(0.1)
        t_all, frac = wait_stable(canvas, t0, args.limit)
        canvas.screenshot(path=str(SCREENSHOTS / "bench_map_all.png"))

        # Filter change: minimum downloads 1000.
        box = page.get_by_label("Min downloads")
        box.fill("1000")
        t1 = time.perf_counter()
        box.press("Enter")
        page.get_by_text("models match — the rest are dimmed").wait_for(timeout=60_000)
        t_filter, _ = wait_stable(canvas, t1, args.limit)
        canvas.screenshot(path=str(SCREENSHOTS / "bench_map_filter.png"))
        browser.close()

    baseline = inline_baseline_bytes(bundle, n)
    print(f"bundle {bundle.name}: {n:,} models, all drawn (every model is in one of the point files)")
    print(f"navigation -> deck canvas     {t_canvas:6.1f} s")
    print(f"navigation -> first points    {t_first if t_first is not None else float('nan'):6.1f} s")
    print(f"navigation -> all points      {t_all:6.1f} s  (canvas painted {frac:.1%})")
    print(f"filter change -> redrawn      {t_filter:6.1f} s  (min downloads 1000)")
    on_disk = sum(f.stat().st_size for f in (ROOT / "static" / "points").glob("*/v3-2d-cluster-none-*.csv")
                  if f.parent.name == __import__("views.cache", fromlist=["_bundle_key"])._bundle_key(str(bundle)))
    # Static files come without a content-length header here; the files served are the measure then.
    sent = point_bytes[0] or on_disk
    print(f"point data sent               {sent / 1e6:6.1f} MB = {sent / n:.1f} bytes per point "
          f"({'from headers' if point_bytes[0] else 'size of the files served'})")
    print(f"websocket + other HTTP bytes  {(total_bytes[0] + ws_bytes[0]) / 1e6:6.1f} MB (Streamlit's own assets included)")
    print(f"baseline: inline JSON through st.pydeck_chart would send {baseline / 1e6:.0f} MB "
          f"({baseline / n:.0f} bytes per point): {baseline / max(sent, 1):.1f}x more")
    print(f"screenshots: {SCREENSHOTS}/bench_map_all.png, bench_map_filter.png")


if __name__ == "__main__":
    main()
