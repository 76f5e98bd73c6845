"""Map benchmark in headless Chromium (software WebGL on this machine).

Opens the Map page on a bundle and measures: time from navigation to every point
drawn (the map component marks a finished GPU draw on its element), bytes of point
data and bytes sent in all, the time for a filter change to redraw and for a zoom
step. The baseline, computed in the same run, is the size of the same points sent
inline through st.pydeck_chart (JSON in the websocket message).

Then the atlas: hover latency (pointer move → tooltip filled, first hovers of
their chunk included), label placement time per frame over zoom steps, wheel zoom → the view in the
URL (written in the browser) with the Python reruns counted, a box selection →
its panel in the browser, and in this process selection → summary
table for boxes of 1% to all of the map, beside the same summary fed a list of
ids (the simple way; the baseline).

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


def hover_latencies(page, canvas, count: int = 40) -> tuple[list[float], list[float]]:
    """Move the pointer onto drawn points; each time, the component's pointer-move → tooltip-filled time."""
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(canvas.screenshot(timeout=180_000))).convert("L"))
    box = canvas.bounding_box()
    ys, xs = np.nonzero(img[80:-80, 120:-120] < 200)
    rng = np.random.default_rng(0)
    hover, pick = [], []
    for i in rng.choice(len(xs), size=min(count, len(xs)), replace=False):
        page.evaluate(f"() => {{ ({DRAWN})().dataset.hoverMs = ''; }}")
        page.mouse.move(box["x"] + 120 + float(xs[i]), box["y"] + 80 + float(ys[i]))
        try:
            page.wait_for_function(f"() => ({DRAWN})().dataset.hoverMs !== ''", timeout=5_000, polling=20)
        except Exception:  # noqa: BLE001 — a pixel between points: no tooltip
            continue
        r = page.evaluate(f"() => [({DRAWN})().dataset.hoverMs, ({DRAWN})().dataset.pickMs]")
        hover.append(float(r[0]))
        pick.append(float(r[1]))
    return hover or [float("nan")], pick or [float("nan")]


LINEAR_PICK = """async (url) => {
  // The baseline for picking: the same screen-distance test over every point (what a click did before the index).
  const pos = new Uint16Array(await (await fetch(url)).arrayBuffer());
  const n = pos.length / 2, out = [];
  for (let rep = 0; rep < 7; rep++) {
    const s = 0.05 + rep * 0.01, x = 300 + rep, y = 250, t = performance.now();
    let best = -1, bestD = 64;
    for (let i = n - 1; i >= 0; i--) {
      const dx = pos[2 * i] * s - x, dy = pos[2 * i + 1] * s - y, dd = dx * dx + dy * dy;
      if (dd < bestD) { bestD = dd; best = i; }
    }
    out.push(performance.now() - t + (best < -1 ? 1 : 0)); // (uses best, so the loop is not optimised away)
  }
  return out.sort((a, b) => a - b)[3];
}"""


def label_times(page, canvas, steps: int = 8) -> list[float]:
    """Label placement per frame, read after each of ``steps`` wheel zooms in and out."""
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] / 2)
    out = []
    for k in range(steps):
        page.mouse.wheel(0, -250 if k < steps / 2 else 250)
        page.wait_for_timeout(400)
        ms = page.evaluate(f"() => ({DRAWN})().dataset.labelMs")
        if ms:
            out.append(float(ms))
    return out or [float("nan")]


def count_reruns(page) -> list[str]:
    """Every Python rerun the page asks for (a ``rerun_script`` BackMsg on the websocket), as it happens."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    sent: list[str] = []

    def on_frame(payload):
        if isinstance(payload, (bytes, bytearray)):
            try:
                if BackMsg.FromString(bytes(payload)).WhichOneof("type") == "rerun_script":
                    sent.append("rerun")
            except Exception:  # noqa: BLE001 — not a BackMsg
                pass

    page.on("websocket", lambda ws: ws.on("framesent", on_frame))
    return sent


URL_VIEW = "() => new URL(location.href).searchParams.get('map_view')"


def zoom_to_url(page, canvas, reruns: list, steps: int = 6) -> tuple[list[float], list[float], int]:
    """Wheel zooms (in, then out), each left to settle: seconds from the last wheel event to the camera in the URL
    (measured here, through Playwright), the component's own settle → URL milliseconds, and the Python reruns
    asked for during all of it (the goal: none)."""
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] / 2)
    before, out, inner = len(reruns), [], []
    for k in range(steps):
        old = page.evaluate(URL_VIEW)
        page.mouse.wheel(0, -200 if k < steps / 2 else 200)
        t = time.perf_counter()
        page.wait_for_function(f"() => ({URL_VIEW})() !== {json.dumps(old)}", timeout=30_000, polling=10)
        out.append(time.perf_counter() - t)
        ms = page.evaluate(f"() => ({DRAWN})().dataset.urlMs")
        if ms:
            inner.append(float(ms))
        page.wait_for_timeout(300)
    page.wait_for_timeout(1_500)  # a rerun, if the page asked for one, has been sent by now
    return out, inner or [float("nan")], len(reruns) - before


def box_select(page, canvas) -> float:
    """Shift-drag a box over the middle of the map; seconds until the panel shows its count."""
    box = canvas.bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3
    page.keyboard.down("Shift")
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + box["width"] * 0.2, y0 + box["height"] * 0.3, steps=5)
    t = time.perf_counter()
    page.mouse.up()
    page.keyboard.up("Shift")
    page.get_by_text("models selected").first.wait_for(timeout=120_000)
    return time.perf_counter() - t


def selection_table(bundle: Path) -> list[str]:
    """Selection → summary (count, top 200 models, mixes, families) for boxes of growing size, in this process;
    the baseline is the same summary computed from a list of model ids (``IN (unnest(?::VARCHAR[]))``)."""
    import resource
    import tracemalloc

    from core import atlas
    from core.bundle import open_bundle, pandas_rows
    from core.licenses import connect

    con = connect(open_bundle(bundle))
    pts = atlas.map_points(con)
    gx, gy, _ = atlas.grid_coordinates(pts["x"].to_numpy(), pts["y"].to_numpy())
    ids = pts["model_id"]

    def by_ids(id_list: list[str]) -> dict:
        sel = "FROM models m WHERE m.model_id IN (SELECT unnest(?::VARCHAR[]))"
        out = {"models": pandas_rows(con, f"SELECT model_id, downloads {sel} ORDER BY downloads DESC LIMIT 200", [id_list])}
        for col in ("pipeline_tag", "library_name", "license_class", "family"):
            out[col] = pandas_rows(con, f"SELECT {col}, count(*) {sel} GROUP BY 1", [id_list])
        return out

    lines = []
    cx, cy = float(np.median(gx)), float(np.median(gy))
    for share in (0.01, 0.1, 0.5, 1.0):
        r = np.quantile(np.maximum(np.abs(gx - cx), np.abs(gy - cy)), share)
        poly = atlas.box_polygon(cx - r, cy - r, cx + r, cy + r)
        tracemalloc.start()
        t = time.perf_counter()
        rows = atlas.points_in_polygon(gx, gy, poly)
        t_poly = time.perf_counter() - t
        summary = atlas.selection_summary(con, rows)
        t_sum = time.perf_counter() - t
        m_sum = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        tracemalloc.start()
        t = time.perf_counter()
        base = by_ids(ids.take(rows).to_pylist())
        t_base = time.perf_counter() - t
        m_base = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert len(base["models"]) == len(summary["models"])
        lines.append(f"selection -> table, {len(rows):>9,} models ({share:>4.0%} of the map)  {t_sum * 1000:7.0f} ms "
                     f"(polygon {t_poly * 1000:5.0f} ms), Python peak {m_sum / 2**20:6.1f} MB;  baseline by id list "
                     f"{t_base * 1000:7.0f} ms ({t_base / max(t_sum, 1e-9):4.1f}x slower), Python peak "
                     f"{m_base / 2**20:6.1f} MB ({m_base / max(m_sum, 1):5.1f}x more)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines.append(f"peak memory of this process (bench, selections included) {peak:,.0f} MB")
    return lines


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
    from bench.load import RssSampler

    with streamlit_server(bundle, with_pid=True) as (url, pid), sync_playwright() as p:
        # Warm the server's caches (point files, DuckDB) with a first visit, as a deployed Space would be.
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        warm = browser.new_page(viewport={"width": 1400, "height": 1100})
        warm.goto(url + "/map")
        wait_drawn(warm, "true", 300)
        warm.close()

        # A fresh context: nothing cached, as for a first visitor.
        page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
        reruns = count_reruns(page)
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
        with RssSampler(pid) as sampler:
            time.sleep(0.5)
            rss_before = sampler.rss()  # the baseline: the map drawn and filtered, nothing hovered or selected
            hover_ms, pick_ms = hover_latencies(page, canvas)
            url_s, url_ms, zoom_reruns = zoom_to_url(page, canvas, reruns)
            label_ms = label_times(page, canvas)
            t_select = box_select(page, canvas)
            time.sleep(0.5)
        canvas.screenshot(path=str(SCREENSHOTS / "bench_map_selection.png"))
        linear_ms = page.evaluate(LINEAR_PICK, json.loads(page.evaluate(
            "() => JSON.stringify(performance.getEntriesByType('resource').map(e => e.name)"
            ".filter(u => u.endsWith('v4-xy.u16')))"))[0])
        browser.close()

    baseline = inline_baseline_bytes(bundle, n)
    print(f"bundle {bundle.name}: {n:,} models, {drawn_points:,} drawn")
    print(f"navigation -> every point drawn  {t_all:6.1f} s  (canvas painted {frac:.1%})   goal < 8 s")
    print(f"filter change -> redrawn         {t_filter:6.1f} s  (min downloads 1000)          goal < 2 s")
    print(f"zoom step -> redrawn             {t_zoom:6.1f} s")
    from core.bundle import open_bundle

    key = open_bundle(bundle).version_key
    files = [ROOT / "static" / "points" / key / f for f in ("v4-xy.u16", "v4-c-cluster.u8")]
    on_disk = sum(f.stat().st_size for f in files)
    sent = point_bytes[0] or on_disk
    print(f"point data sent                  {sent / 1e6:6.1f} MB = {sent / n:.1f} bytes per point "
          f"({'from headers' if point_bytes[0] else 'size of the files served'})   goal <= 16")
    print(f"websocket + other HTTP bytes     {(total_bytes[0] + ws_bytes[0]) / 1e6:6.1f} MB "
          "(Streamlit's assets and the 1.6 MB deck.gl script included)")
    print(f"baseline: inline JSON through st.pydeck_chart would send {baseline / 1e6:.0f} MB "
          f"({baseline / n:.0f} bytes per point): {baseline / max(sent, 1):.1f}x more")
    print(f"hover -> tooltip filled          median {np.median(hover_ms):5.1f} ms, p95 {np.percentile(hover_ms, 95):5.1f} ms, "
          f"max {max(hover_ms):5.1f} ms over {len(hover_ms)} points   goal <= 100 ms")
    print(f"picking (bucket grid)            median {np.median(pick_ms):5.2f} ms; baseline, a scan of every point in the "
          f"same page: {linear_ms:.1f} ms ({linear_ms / max(np.median(pick_ms), 1e-3):.0f}x slower)")
    print(f"label placement per frame        median {np.median(label_ms):5.2f} ms, max {max(label_ms):5.2f} ms "
          f"over {len(label_ms)} zoom steps; {np.median(label_ms) / 1000 / max(t_zoom, 1e-9):.4f}x a zoom redraw")
    print(f"zoom settles -> view in the URL  median {np.median(url_s) * 1000:5.0f} ms, max {max(url_s) * 1000:5.0f} ms "
          f"over {len(url_s)} wheel zooms (component: {np.median(url_ms):.0f} ms); Python reruns during them: "
          f"{zoom_reruns}   goal <= 300 ms, 0 reruns")
    print(f"box selection -> panel shown     {t_select:6.1f} s (browser, drag release to the count in the panel)")
    print(f"server memory (RSS)              {rss_before / 2**20:,.0f} MB with the map drawn (baseline) -> peak "
          f"{sampler.peak / 2**20:,.0f} MB over hovers, zooms and a selection ({sampler.peak / max(rss_before, 1):.2f}x)")
    for line in selection_table(bundle):
        print(line)
    print(f"screenshots: {SCREENSHOTS}/bench_map_all.png, bench_map_filter.png, bench_map_selection.png")


if __name__ == "__main__":
    main()
