"""``python -m core.demo``: write the synthetic demo bundle (or a synthetic source of the Hub's shape, for benchmarks)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pyarrow.parquet as pq

from core.ingest.demo import demo_snapshot, synthetic_listing, write_source
from core.precompute import build_bundle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.demo", description="Write the synthetic demo bundle.")
    parser.add_argument("--out", default="data/demo")
    parser.add_argument("--n", type=int, default=25_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--listing", help="write only the synthetic listing to this parquet file (for benchmarks)")
    parser.add_argument("--source-out", help="write a synthetic snapshot in the dataset's shape (.parquet or .csv, with "
                        "cards) to this file, e.g. --n 1860411 for the 2025 Hub's size (for benchmarks)")
    parser.add_argument("--no-cards", action="store_true")
    parser.add_argument("--no-embed", action="store_true", help="skip embeddings and the map")
    args = parser.parse_args(argv)
    if args.source_out:
        write_source(args.source_out, args.n, args.seed)
        print(f"synthetic dataset-shape snapshot of {args.n:,} models written to {args.source_out}")
        return 0
    if args.listing:
        pq.write_table(synthetic_listing(args.n, args.seed, cards=not args.no_cards), args.listing, compression="zstd")
        print(f"synthetic listing of {args.n:,} models written to {args.listing}")
        return 0
    manifest = build_bundle(demo_snapshot(args.n, args.seed), Path(args.out), synthetic=True,
                            label="Synthetic demo Hub (generated, not real models)", progress=True,
                            embed=not args.no_embed, fit_sample=6_000)
    print(f"demo bundle: {manifest['counts']['models']:,} models, {manifest['counts']['edges']:,} edges -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
