"""Family-tree benchmark on the 760k listing: query and pruning times, and the tree's render time in headless Chromium.

Measures the largest family (26,327 models) and a 10-member family: reading the family
from DuckDB, the ancestor/descendant walk, top-k pruning, and navigation → tree drawn in
the browser. The baseline, in the same run, is the 10-member family: with pruning, the
largest family should draw about as fast.

    python bench/family.py [--bundle build/bench/listing]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path
from urllib.parse import quote

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def drawn(frame_el) -> bool:
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(frame_el.screenshot())).convert("RGB")).astype(int)
    sat = (img.max(axis=2) - img.min(axis=2)) > 80
    sat[-130:] = False
    return sat.mean() > 0.0005


def time_tree(browser, url: str, limit: float = 120) -> float:
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    t0 = time.perf_counter()
    page.goto(url)
    frame = page.locator("iframe").first
    frame.wait_for(timeout=limit * 1000)
    while time.perf_counter() - t0 < limit:
        try:
            if drawn(frame):
                break
        except Exception:
            pass
        time.sleep(0.1)
    elapsed = time.perf_counter() - t0
    page.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listing", default=str(ROOT.parent / "shared/data/hub_listing_2024-07.parquet"))
    parser.add_argument("--bundle", default=str(ROOT / "build/bench/listing"))
    args = parser.parse_args()
    bundle = Path(args.bundle)
    if not (bundle / "manifest.json").exists():
        from core.precompute import build_bundle

        build_bundle(args.listing, bundle, label="Hub listing 2024-07")

    from core.lineage import family as fam
    from core.bundle import open_bundle
    from core.licenses import connect

    con = connect(open_bundle(bundle))
    largest = con.execute("SELECT family FROM families ORDER BY size DESC LIMIT 1").fetchone()[0]
    small = con.execute("SELECT family FROM families WHERE size = 10 ORDER BY downloads DESC LIMIT 1").fetchone()[0]
    for name in (largest, small):
        t = time.perf_counter()
        f = fam.load_family(con, name)
        t_load = time.perf_counter() - t
        t = time.perf_counter()
        nodes = fam.lineage_of(name, f.edges)
        t_walk = time.perf_counter() - t
        t = time.perf_counter()
        tree = fam.prune(set(f.models["model_id"]), list(zip(f.edges["parent"], f.edges["child"])),
                         dict(zip(f.models["model_id"], f.models["downloads"])), name, k=6, max_depth=5, budget=45)
        t_prune = time.perf_counter() - t
        print(f"{name}: {len(f.models):,} models, {len(f.edges):,} edges | DuckDB family read {t_load * 1e3:.0f} ms, "
              f"ancestor/descendant walk {t_walk * 1e3:.1f} ms ({len(nodes):,} in its lineage), "
              f"pruning {t_prune * 1e3:.1f} ms -> {len(tree.nodes)} drawn")

    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM_ARGS, streamlit_server

    with streamlit_server(bundle) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        time_tree(browser, f"{url}/family?fam_model={quote(small)}")  # warm the server
        results = {}
        for label, name in (("largest", largest), ("10-member", small)):
            results[label] = time_tree(browser, f"{url}/family?fam_model={quote(name)}&fam_scope=whole%20family")
            print(f"navigation -> tree drawn, {label} family ({name}): {results[label]:.1f} s")
        browser.close()
    print(f"ratio largest / 10-member: {results['largest'] / results['10-member']:.2f}x "
          "(pruning keeps the drawn tree the same size whatever the family's size); goal: under 3 s")


if __name__ == "__main__":
    main()
