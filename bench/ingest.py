"""Ingest benchmark: full bundle build (no embeddings) vs a plain pandas.read_parquet of the same file.

Each measurement runs in a fresh Python process (first call after imports, as a
user's run would be) and reports wall seconds and peak RSS. Then a warm repeat in
the same process. Also a synthetic 2,000,000-model listing to show growth.

    python bench/ingest.py [--listing ../shared/data/hub_listing_2024-07.parquet] [--skip-2m]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKER = r"""
import json, resource, sys, time
kind, src, out = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, {root!r})
if kind == "pandas":
    import pandas as pd
    run = lambda: pd.read_parquet(src)
else:
    from core.precompute import build_bundle
    run = lambda: build_bundle(src, out)
times = []
for _ in range(3):
    t = time.perf_counter(); run(); times.append(time.perf_counter() - t)
print(json.dumps({{"first": times[0], "warm": min(times[1:]), "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def measure(kind: str, src: Path, out: Path) -> dict:
    code = WORKER.format(root=str(ROOT))
    res = subprocess.run([sys.executable, "-c", code, kind, str(src), str(out)], capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def report(label: str, src: Path, out: Path) -> dict:
    base = measure("pandas", src, out)
    ingest = measure("ingest", src, out)
    manifest = json.loads((out / "manifest.json").read_text())
    n = manifest["counts"]["models"]
    print(f"\n== {label}: {n:,} models, {manifest['counts']['edges']:,} edges ({src})")
    print(f"pandas.read_parquet   first {base['first']:6.2f} s  warm {base['warm']:6.2f} s  peak {base['peak_mb']:7.0f} MB")
    print(f"phylo ingest (no emb) first {ingest['first']:6.2f} s  warm {ingest['warm']:6.2f} s  peak {ingest['peak_mb']:7.0f} MB")
    print(f"ratio ingest/read     first {ingest['first'] / base['first']:6.2f}x  warm {ingest['warm'] / base['warm']:6.2f}x")
    print(f"per million models    {ingest['first'] / n * 1e6:6.2f} s, {ingest['peak_mb'] / n * 1e6:7.0f} MB peak")
    return {"models": n, **{f"ingest_{k}": v for k, v in ingest.items()}, **{f"read_{k}": v for k, v in base.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listing", default=str(ROOT.parent / "shared/data/hub_listing_2024-07.parquet"))
    parser.add_argument("--skip-2m", action="store_true")
    args = parser.parse_args()
    work = ROOT / "build" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        real = report("Hub listing 2024-07", Path(args.listing), Path(tmp) / "real")
        if args.skip_2m:
            return
        synth = work / "synthetic_2000000.parquet"
        if not synth.exists():
            print(f"\ngenerating {synth} (one time) ...", flush=True)
            subprocess.run([sys.executable, "-m", "core.demo", "--listing", str(synth), "--n", "2000000", "--no-cards"],
                           cwd=ROOT, check=True)
        big = report("synthetic Hub", synth, Path(tmp) / "synth")
        print(f"\ngrowth {real['models']:,} -> {big['models']:,} models ({big['models'] / real['models']:.2f}x): "
              f"time {big['ingest_first'] / real['ingest_first']:.2f}x, peak memory {big['ingest_peak_mb'] / real['ingest_peak_mb']:.2f}x")


if __name__ == "__main__":
    main()
