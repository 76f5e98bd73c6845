"""The similarity network of a map selection: ``python bench/network.py BUNDLE [--baseline-max N]``.

For outlines of growing size on a bundle with its map, the Network page's path (the outline's rows, its 20,000
most downloaded models, their network: k-means groups beyond 1,500 models, then the layout) is timed with its
Python peak memory (tracemalloc, which sees numpy's buffers). The baseline, in the same process, is the same
network of every model inside the outline, without the cap (outlines of up to ``--baseline-max`` models: past
that it needs gigabytes). Goal: a selection of the whole 760k map draws in under 10 s.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core import atlas  # noqa: E402
from core.atlas import geometry, network  # noqa: E402
from core.bundle import open_bundle  # noqa: E402
from core.licenses import connect  # noqa: E402
from views.cache.network import SELECTION_MODELS  # noqa: E402

# Boxes in grid units (the grid is 0..9,999): small, a quarter of the middle, the whole map.
BOXES = [(4500, 4500, 5000, 5000), (3000, 3000, 5000, 5000), (2500, 2500, 7500, 7500), (0, 0, 9999, 9999)]


def measured(fn):
    """(result, seconds, Python peak MB) of ``fn()``: timed on one run, its memory traced on a second (tracemalloc
    slows what it traces)."""
    t = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, seconds, peak


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("bundle", type=Path)
    ap.add_argument("--baseline-max", type=int, default=200_000)
    args = ap.parse_args(argv)
    con = connect(open_bundle(args.bundle))
    geo = geometry.map_geometry(con, "bench")
    codes = np.load(args.bundle / "embeddings.npy", mmap_mode="r")
    print(f"{len(geo.ids):,} models; k = 4; cap {SELECTION_MODELS:,}")
    network.network_of(con, codes, list(geo.ids[:2_000].to_pylist()), 4)  # warm: imports, first page-ins
    print("| selected | drawn | ours: time | ours: Python peak | uncapped: time | uncapped: Python peak |")
    print("|---|---|---|---|---|---|")
    for box in BOXES:
        polygon = atlas.format_polygon(atlas.box_polygon(*box))
        rows = geometry.polygon_rows(geo, polygon)

        def ours():
            return network.network_of(con, codes, atlas.most_downloaded(con, rows, SELECTION_MODELS), 4)

        net, t, peak = measured(ours)
        line = f"| {len(rows):,} | {len(net.nodes)} {'groups' if net.aggregated else 'models'} | {t:.2f} s | {peak:,.0f} MB |"
        if len(rows) <= args.baseline_max:
            _, tb, pb = measured(lambda: network.network_of(con, codes, atlas.most_downloaded(con, rows, len(rows)), 4))
            line += f" {tb:.2f} s ({tb / t:.2f}x) | {pb:,.0f} MB ({pb / max(peak, 1e-9):.2f}x) |"
        else:
            line += " not run (above --baseline-max) | |"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
