"""Ingest benchmark: the whole ``--no-embed`` CLI against a plain pyarrow scan of the same file, same run.

Each measurement is a fresh Python process (wall seconds and its own peak RSS):

- the 1.86M-model synthetic snapshot in the dataset's shape, with cards (parquet and CSV; written once by
  ``python -m core.demo --source-out``), goals: peak RSS <= 3 GB, <= 2 min, ingest <= 3x the plain scan;
- the real 760,000-model listing, goals: <= 10 s and <= 1.5 GB for the whole CLI, resemblance included;
- the vectorisers' fit sample: resemblance means fitted on a 100,000-text sample against the full fit
  (goal: within 0.005).

    python bench/ingest.py [--listing PATH] [--skip-synthetic] [--skip-csv] [--skip-fit-check]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HUB_2025 = 1_860_411
INGEST_STAGES = ("open", "normalise", "edges", "lineage", "write")
SCAN = r"""
import json, resource, sys, time
path = sys.argv[1]
t = time.perf_counter()
rows = 0
if path.endswith(".parquet"):
    import pyarrow.parquet as pq
    for batch in pq.ParquetFile(path).iter_batches(batch_size=131072):
        rows += batch.num_rows
else:
    import pyarrow as pa, pyarrow.csv as csv
    names = csv.open_csv(path, read_options=csv.ReadOptions(block_size=1 << 25)).schema.names
    stream = csv.open_csv(path, read_options=csv.ReadOptions(block_size=1 << 25),
                          parse_options=csv.ParseOptions(newlines_in_values=True),
                          convert_options=csv.ConvertOptions(column_types={n: pa.string() for n in names}))
    for batch in stream:
        rows += batch.num_rows
print(json.dumps({"seconds": time.perf_counter() - t, "rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def plain_scan(path: Path) -> dict:
    """Every record batch of the file decoded by pyarrow and dropped: the floor for any reader."""
    res = subprocess.run([sys.executable, "-c", SCAN, str(path)], capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def cli(path: Path, out: Path) -> dict:
    """``python -m core.precompute --no-embed --timings``: wall seconds, stages, peak RSS of the process."""
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "core.precompute", "--source", str(path), "--out", str(out),
                          "--no-embed", "--quiet", "--timings"], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if res.returncode:
        raise SystemExit(f"precompute failed: {res.stderr.strip().splitlines()[-1]}")
    line = next(x for x in res.stderr.splitlines() if x.startswith("phylo-stages: "))
    stages = json.loads(line.split(": ", 1)[1])
    return {"wall": wall, "stages": stages, "peak_mb": max(s["peak_mb"] for s in stages),
            "ingest": sum(s["seconds"] for s in stages if s["stage"] in INGEST_STAGES),
            "manifest": json.loads((out / "manifest.json").read_text())}


def report(label: str, path: Path, out: Path, goals: str) -> dict:
    scan = plain_scan(path)
    run = cli(path, out)
    c = run["manifest"]["counts"]
    print(f"\n== {label}: {c['models']:,} models, {c['edges']:,} edges, {c['cards']:,} cards ({path.name}, "
          f"{path.stat().st_size / 2**20:,.0f} MB)   goals: {goals}")
    print(f"plain pyarrow scan (baseline)  {scan['seconds']:7.1f} s   peak {scan['peak_mb']:7.0f} MB")
    for s in run["stages"]:
        extra = ", ".join(f"{k} {v}" for k, v in s.items() if k not in ("stage", "seconds", "rss_mb", "peak_mb"))
        print(f"  {s['stage']:<12} {s['seconds']:7.2f} s   rss {s['rss_mb']:6} MB   peak so far {s['peak_mb']:6} MB  {extra}")
    print(f"ingest (open..write)           {run['ingest']:7.1f} s   {run['ingest'] / scan['seconds']:.2f}x the scan")
    print(f"whole CLI, process wall        {run['wall']:7.1f} s   {run['wall'] / scan['seconds']:.2f}x the scan   "
          f"peak {run['peak_mb']:,.0f} MB ({run['peak_mb'] / scan['peak_mb']:.2f}x the scan's)")
    return run


def fit_check(listing: Path, bundle: Path) -> None:
    """Resemblance means with vectorisers fitted on a seeded 100,000-text sample against the full fit."""
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from core.bundle import Bundle, connect
    from core.evolution.resemblance import FIT_SAMPLE, TextTrait, _fit_corpus, fit_vectorisers, resemblance

    con = connect(Bundle(path=bundle, manifest={"source_shape": "listing"}), in_memory=False)
    t = time.perf_counter()
    full = resemblance(con, TextTrait.METADATA, vectorisers=fit_vectorisers(_fit_corpus(con, TextTrait.METADATA, 10**9)))
    full_s = time.perf_counter() - t
    t = time.perf_counter()
    sample = resemblance(con, TextTrait.METADATA, vectorisers=fit_vectorisers(_fit_corpus(con, TextTrait.METADATA, FIT_SAMPLE)))
    sample_s = time.perf_counter() - t
    delta = (sample["mean"] - full["mean"]).abs().to_numpy()
    worst = int(np.nanargmax(delta))
    print(f"\n== vectoriser fit on {listing.name} (metadata, 5,000 pairs per class): full fit {full_s:.1f} s, "
          f"100,000-text sample {sample_s:.1f} s ({full_s / sample_s:.1f}x faster)")
    print(f"largest |mean(sample) - mean(full)| {np.nanmax(delta):.4f} ({sample['relative'][worst]}, "
          f"{sample['measure'][worst]}; goal <= 0.005)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listing", default=str(ROOT.parent / "shared/data/hub_listing_2024-07.parquet"))
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument("--skip-csv", action="store_true")
    parser.add_argument("--skip-fit-check", action="store_true")
    args = parser.parse_args()
    work = ROOT / "build" / "scale"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        report("Hub listing 2024-07", Path(args.listing), Path(tmp) / "listing", "<= 10 s, <= 1.5 GB")
        if not args.skip_fit_check:
            fit_check(Path(args.listing), Path(tmp) / "listing")
        if args.skip_synthetic:
            return
        for suffix in ("parquet",) + (() if args.skip_csv else ("csv",)):
            source = work / f"hub_{HUB_2025}.{suffix}"
            if not source.exists():
                print(f"\nwriting {source} (once) ...", flush=True)
                subprocess.run([sys.executable, "-m", "core.demo", "--source-out", str(source), "--n", str(HUB_2025)],
                               cwd=ROOT, check=True)
            report(f"synthetic 2025 Hub, dataset shape, {suffix}", source, Path(tmp) / f"synthetic_{suffix}",
                   "<= 120 s, <= 3 GB, ingest <= 3x the scan")


if __name__ == "__main__":
    main()
