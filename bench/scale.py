"""Full-scale benchmark: the 2025 Hub's size (1,860,411 models, 67% with cards) built and served on one machine.

Part 1 (build): ``python -m core.precompute`` with the map on the synthetic dataset-shape snapshot, each stage's
seconds and memory (read, normalise, lineage, write, resemblance, embed, project, cluster), against a plain
pyarrow scan of the same file in the same run. Goals: <= 30 min in all, peak RSS <= 12 GB.

Part 2 (app): the bundle opened in the app in headless Chromium: each page's first render once the bundle is
loaded (<= 3 s), the map's every point drawn (<= 6 s), a filter change (<= 1 s), a click to the details
panel (<= 1.5 s), and the server's RSS once every page has been opened (<= 4 GB), against the server's RSS
on the 25,000-model demo in the same run.

    python bench/scale.py [--n 1860411] [--backend static] [--skip-build] [--skip-app] [--fit-sample 50000]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
PAGES = {"overview": "Models", "family": None, "resemblance": "Resemblance", "drift": "Drift",
         "licenses": "License inheritance", "growth": "Growth"}
DONE = "() => !document.querySelector('[data-testid=stStatusWidget]') && document.querySelector('h1')"


def build(source: Path, out: Path, backend: str, fit_sample: int) -> dict:
    from ingest import plain_scan  # bench/ingest.py

    scan = plain_scan(source)
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "core.precompute", "--source", str(source), "--out", str(out),
                          "--backend", backend, "--fit-sample", str(fit_sample), "--quiet", "--timings"],
                         cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if res.returncode:
        raise SystemExit(f"precompute failed:\n{res.stderr[-3000:]}")
    stages = json.loads(next(x for x in res.stderr.splitlines() if x.startswith("phylo-stages: ")).split(": ", 1)[1])
    manifest = json.loads((out / "manifest.json").read_text())
    c = manifest["counts"]
    print(f"== build: {c['models']:,} models, {c['edges']:,} edges, {c['cards']:,} cards -> {out} "
          f"(map backend {manifest['map']['backend']}, UMAP fitted on {manifest['map']['fit_sample']:,})")
    print(f"plain pyarrow scan of {source.name} (baseline)  {scan['seconds']:7.1f} s   peak {scan['peak_mb']:7.0f} MB")
    for s in stages:
        extra = ", ".join(f"{k} {v}" for k, v in s.items() if k not in ("stage", "seconds", "rss_mb", "peak_mb"))
        print(f"  {s['stage']:<12} {s['seconds']:8.1f} s   rss {s['rss_mb']:6} MB   peak so far {s['peak_mb']:6} MB  {extra}")
    peak = max(s["peak_mb"] for s in stages)
    print(f"whole build {wall / 60:6.1f} min = {wall / scan['seconds']:.0f}x the scan   peak {peak / 1024:.1f} GB = "
          f"{peak / scan['peak_mb']:.1f}x the scan's   goals: <= 30 min, <= 12 GB")
    return {"wall": wall, "peak_mb": peak}


def _rss_mb(pid: int) -> float:
    import psutil

    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20


def serve(bundle: Path, label: str, limit: float = 300) -> dict:
    """Open every page once (Map: draw, filter, click) and return timings and the server's RSS."""
    import numpy as np
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from map import wait_drawn  # bench/map.py
    from tests.browser.conftest import CHROMIUM_ARGS, streamlit_server

    out: dict = {}
    with streamlit_server(bundle, with_pid=True) as (url, pid), sync_playwright() as p:
        out["rss_idle_mb"] = _rss_mb(pid)
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        warm = browser.new_page()
        t = time.perf_counter()
        warm.goto(url + "/overview")  # loads the bundle into the shared DuckDB connection
        warm.wait_for_function(DONE, timeout=limit * 1000)
        out["bundle_load_s"] = time.perf_counter() - t
        warm.close()
        out["pages"] = {}
        for path, heading in PAGES.items():
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            t = time.perf_counter()
            page.goto(f"{url}/{path}")
            page.locator("h1").first.wait_for(timeout=limit * 1000)
            page.wait_for_timeout(100)
            page.wait_for_function(DONE, timeout=limit * 1000, polling=50)
            out["pages"][path] = time.perf_counter() - t
            errors = page.locator("[data-testid=stException]").count()
            if errors:
                out["pages"][path + " (EXCEPTION)"] = errors
            page.close()

        # The first Map visit on a server builds the shared map state (positions, draw order, point files) once.
        first = browser.new_page(viewport={"width": 1400, "height": 1100})
        t = time.perf_counter()
        first.goto(url + "/map")
        wait_drawn(first, "true", limit)
        out["map_first_s"] = time.perf_counter() - t
        first.close()
        # A visitor after that: a fresh browser context, nothing cached on the client.
        page = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
        t = time.perf_counter()
        page.goto(url + "/map")
        wait_drawn(page, "true", limit)
        out["map_draw_s"] = time.perf_counter() - t
        canvas = page.locator(".phylo-map").first
        out["drawn"] = int(canvas.get_attribute("data-points"))
        box = page.get_by_label("Min downloads")
        box.fill("1000")
        t = time.perf_counter()
        box.press("Enter")
        wait_drawn(page, "k.split('|')[1]", limit)
        out["filter_s"] = time.perf_counter() - t
        img = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("L"))
        ys, xs = np.nonzero(img < 200)
        cbox = canvas.bounding_box()
        order = np.argsort((xs - np.median(xs)) ** 2 + (ys - np.median(ys)) ** 2)
        out["click_s"] = None
        for i in order[:60:6]:
            t = time.perf_counter()
            page.mouse.click(cbox["x"] + float(xs[i]), cbox["y"] + float(ys[i]))
            try:
                page.get_by_text("Open on the Hub").first.wait_for(timeout=10_000)
                out["click_s"] = time.perf_counter() - t
                break
            except Exception:
                continue
        page.screenshot(path=str(ROOT / "build" / "screenshots" / f"scale_map_{label}.png"))
        page.close()
        out["rss_after_mb"] = _rss_mb(pid)
        browser.close()
    return out


def app(bundle: Path) -> None:
    demo = serve(ROOT / "data" / "demo", "demo")
    big = serve(bundle, "full")
    n = json.loads((bundle / "manifest.json").read_text())["counts"]["models"]
    print(f"\n== app on {bundle.name} ({n:,} models; {big['drawn']:,} drawn), beside the 25,000-model demo in the same run")

    def row(label: str, ours, base, goal: str = "") -> None:
        ratio = f"{ours / base:4.1f}x" if ours is not None and base else "   - "
        print(f"{label:<32} {ours if ours is not None else float('nan'):7.2f}  demo {base or float('nan'):6.2f}  "
              f"{ratio} the demo  {goal}")

    print(f"{'':<32} {'1.86M':>7}  {'':5}{'':6}  ratio")
    row("bundle load, first visit (s)", big["bundle_load_s"], demo["bundle_load_s"])
    for path, seconds in big["pages"].items():
        row(f"page /{path} first render (s)", seconds, demo["pages"].get(path), "goal <= 3 s")
    row("map: server's first visit (s)", big["map_first_s"], demo["map_first_s"], "(shared point files, once)")
    row("map: every point drawn (s)", big["map_draw_s"], demo["map_draw_s"], "goal <= 6 s")
    row("map: filter change (s)", big["filter_s"], demo["filter_s"], "goal <= 1 s")
    row("map: click -> details (s)", big["click_s"], demo["click_s"], "goal <= 1.5 s")
    row("server RSS, all pages (MB)", big["rss_after_mb"], demo["rss_after_mb"],
        f"goal <= 4096 MB (idle before any visit {big['rss_idle_mb']:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_860_411)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--fit-sample", type=int, default=50_000)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--skip-app", action="store_true")
    args = parser.parse_args()
    work = ROOT / "build" / "scale"
    work.mkdir(parents=True, exist_ok=True)
    (ROOT / "build" / "screenshots").mkdir(parents=True, exist_ok=True)
    source = work / f"hub_{args.n}.parquet"
    bundle = ROOT / "bundles" / f"synthetic_{args.n}"
    if not args.skip_build:
        if not source.exists():
            print(f"writing {source} (once) ...", flush=True)
            subprocess.run([sys.executable, "-m", "core.demo", "--source-out", str(source), "--n", str(args.n)],
                           cwd=ROOT, check=True)
        build(source, bundle, args.backend, args.fit_sample)
    if not args.skip_app:
        app(bundle)


if __name__ == "__main__":
    main()
