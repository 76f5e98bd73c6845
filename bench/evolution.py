"""Evolution-analyses benchmark: the full study report (ANALYSES.md §2–§5) on the 760k listing, by section.

The baseline, in the same process, is loading the bundle into DuckDB (``connect``)
and one plain scan of it (``SELECT count(*)`` over models joined to edges); the
report's time is printed as a ratio to each. Goal: the whole report in under 2
minutes on a 2-core machine.

    python bench/evolution.py [--bundle bundles/hub_listing_2024-07] [--draws 5000] [--repeat 1]

``time_report(bundle)`` returns the figures as a dict, for other benchmarks to call.
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
    from core.bundle import connect, open_bundle
    from core.report import Section, section_report

    load_s, con = _timed(lambda: connect(open_bundle(bundle)))
    scan_s, _ = _timed(lambda: con.execute(
        "SELECT count(*) FROM edges e JOIN models m ON m.model_id = e.child").fetchone())
    sections, keys = {}, 0
    for section in Section:
        sections[section.value], values = _timed(lambda: section_report(con, section, draws=draws, seed=seed))
        keys += len(values)
    return {"load_s": load_s, "scan_s": scan_s, "sections_s": sections, "report_s": sum(sections.values()),
            "keys": keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default=str(DEFAULT_BUNDLE))
    parser.add_argument("--draws", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=1, help="runs; the fastest is printed")
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


if __name__ == "__main__":
    main()
