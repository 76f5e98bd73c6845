"""Evolution-analyses benchmark: the full study report (ANALYSES.md §2–§5) on the 760k listing, by section.

The baseline, in the same process, is loading the bundle into DuckDB (``connect``)
and one plain scan of it (``SELECT count(*)`` over models joined to edges); the
report's time is printed as a ratio to each. Goal: the whole report in under 2
minutes on a 2-core machine.

    python bench/evolution.py [--bundle bundles/hub_listing_2024-07] [--draws 5000] [--repeat 1]

``time_report(bundle)`` returns the figures as a dict, for other benchmarks to call.
``--pages`` also times each evolution page's first render in headless Chromium:
a fresh server whose bundle is loaded by a first visit to the Overview (as on a
deployed Space), then navigation → the page's script finished and drawn, each
page once with its caches cold. Goal: under 2 s each.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL_S = 120.0
DEFAULT_BUNDLE = ROOT / "bundles" / "hub_listing_2024-07"


def _timed(fn):
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


def time_report(bundle: str | Path = DEFAULT_BUNDLE, draws: int = 5000, seed: int = 0) -> dict:
    """Seconds to load ``bundle``, scan it once, and compute each report section and the whole report.

    Returns ``{"load_s", "scan_s", "sections_s": {section value: s}, "report_s", "keys"}``;
    ``report_s`` is the sum of the sections (the report is their union).
    """
    from core.bundle import open_bundle
    from core.licenses import connect
    from core.evolution.report import Section, section_report

    load_s, con = _timed(lambda: connect(open_bundle(bundle)))
    scan_s, _ = _timed(lambda: con.execute(
        "SELECT count(*) FROM edges e JOIN models m ON m.model_id = e.child").fetchone())
    sections, keys = {}, 0
    for section in Section:
        sections[section.value], values = _timed(lambda: section_report(con, section, draws=draws, seed=seed))
        keys += len(values)
    return {"load_s": load_s, "scan_s": scan_s, "sections_s": sections, "report_s": sum(sections.values()),
            "keys": keys}


PAGES = {"resemblance": "Resemblance", "drift": "Drift", "licenses": "License inheritance", "growth": "Growth"}
PAGE_GOAL_S = 2.0


def time_pages(bundle: str | Path = DEFAULT_BUNDLE) -> dict[str, float]:
    """Seconds from navigation to each page's first run finished (caches cold, bundle already loaded)."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, streamlit_server

    done = "() => !document.querySelector('[data-testid=stStatusWidget]') && document.querySelector('h1')"
    out = {}
    with streamlit_server(Path(bundle)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        warm = browser.new_page()
        warm.goto(url + "/overview")
        warm.get_by_text("Models", exact=True).first.wait_for(timeout=300_000)
        warm.wait_for_function(done, timeout=300_000)
        warm.close()
        for path, title in PAGES.items():
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            t = time.perf_counter()
            page.goto(f"{url}/{path}")
            page.get_by_role("heading", name=title).first.wait_for(timeout=120_000)
            page.wait_for_timeout(100)  # let the status widget appear if the script is still running
            page.wait_for_function(done, timeout=120_000, polling=50)
            out[path] = time.perf_counter() - t
            page.close()
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default=str(DEFAULT_BUNDLE))
    parser.add_argument("--draws", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=1, help="runs; the fastest is printed")
    parser.add_argument("--pages", action="store_true", help="also time each page's first render in Chromium")
    args = parser.parse_args()
    if not (Path(args.bundle) / "manifest.json").is_file():
        sys.exit(f"no bundle at {args.bundle}; build one with "
                 "python -m core.precompute --source ../shared/data/hub_listing_2024-07.parquet "
                 f"--out {args.bundle} --no-embed")
    runs = [time_report(args.bundle, draws=args.draws) for _ in range(max(args.repeat, 1))]
    best = min(runs, key=lambda r: r["report_s"])
    print(f"bundle {args.bundle}: {best['keys']:,} report keys, {args.draws:,} draws per relative class")
    print(f"baseline: load into DuckDB {best['load_s']:.2f} s, one edges x models scan {best['scan_s'] * 1e3:.0f} ms")
    for section, seconds in best["sections_s"].items():
        print(f"  {section:<34} {seconds:6.2f} s")
    total = best["report_s"]
    print(f"full report {total:.1f} s = {total / best['load_s']:.1f}x the load, "
          f"{total / best['scan_s']:.0f}x the scan; goal < {GOAL_S:.0f} s: {'met' if total < GOAL_S else 'MISSED'}")
    if args.pages:
        for path, seconds in time_pages(args.bundle).items():
            print(f"page /{path:<12} first render {seconds:5.2f} s = {seconds / best['load_s']:.1f}x the bundle load; "
                  f"goal < {PAGE_GOAL_S:.0f} s: {'met' if seconds < PAGE_GOAL_S else 'MISSED'}")


if __name__ == "__main__":
    main()
