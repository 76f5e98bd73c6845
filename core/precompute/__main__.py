"""``python -m core.precompute --source SRC --out DIR``: build a bundle from a Hub snapshot."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.errors import PhyloError
from core.evolution.totals import of_bundle, record
from core.ingest.snapshot import DEFAULT_BATCH_ROWS, DEFAULT_DATASET
from core.precompute.build import build_bundle
from core.precompute.map import add_labels
from core.precompute.stages import StageLog
from core.settings import cache_dir


def _summary(manifest: dict) -> str:
    c = manifest["counts"]
    lines = [
        f"{c['models']:,} models, {c['edges']:,} edges ({c['edges_in_snapshot']:,} inside the snapshot), "
        f"{c['families_with_edges']:,} families with edges, largest {c['largest_family']:,}",
        "edges: " + ", ".join(f"{k} {v:,}" for k, v in c["edges_by_relation"].items())
        + " | " + ", ".join(f"{k} {v:,}" for k, v in c["edges_by_source"].items()),
    ]
    inf = manifest["relation_inference"]
    if inf["declared_edges_checked"]:
        lines.append(f"relation inference agrees with {inf['correct']:,} of {inf['declared_edges_checked']:,} declared edges ({inf['accuracy']:.1%})")
    if manifest["warnings"]:
        lines.append("warnings: " + ", ".join(f"{k} {v:,}" for k, v in manifest["warnings"].items()))
    return "\n".join(lines)



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.precompute", description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=DEFAULT_DATASET, help="Hub dataset id, or a local CSV/parquet/JSON(L) file")
    parser.add_argument("--out", required=True, help="bundle folder to write")
    parser.add_argument("--sample", type=int, default=None, help="keep a seeded random sample of N models")
    parser.add_argument("--no-embed", action="store_true", help="skip embeddings, the 2D/3D projection and clusters")
    parser.add_argument("--backend", default="auto", choices=["auto", "static", "onnx-int8", "torch"],
                        help="embedding backend; auto: torch MiniLM on a GPU if there is one, else the CPU default "
                        "(see core.atlas.embedding.best_backend); static: token vectors distilled from MiniLM and fitted to it on the bundle, ~90x faster")
    parser.add_argument("--model", default=None, help="sentence-transformers model folder or Hub id (default: the packaged all-MiniLM-L6-v2)")
    parser.add_argument("--fit-sample", type=int, default=50_000, help="models the UMAP is fitted on; the rest are placed by transform")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--label", default=None, help="name shown in the app")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--no-record", action="store_true",
                        help="do not add this snapshot's totals to the Hub's history (core.evolution.totals)")
    parser.add_argument("--timings", action="store_true", help="print each stage's seconds and memory (stderr, and one "
                        "'phylo-stages: <json>' line)")
    parser.add_argument("--batch-rows", type=int, default=DEFAULT_BATCH_ROWS, help="rows read and normalised at a time")
    parser.add_argument("--labels-only", action="store_true", help="add the map's label hierarchy to the bundle in "
                        "--out (one built with a map before labels existed); nothing else is rebuilt")
    args = parser.parse_args(argv)
    if args.labels_only:
        out = Path(args.out)
        if not (out / "points.parquet").is_file():
            print(f"phylo: error: {out} has no map (points.parquet) to label", file=sys.stderr)
            return 2
        print(f"{add_labels(out, seed=args.seed)} labels written to {out / 'labels.parquet'}")
        return 0
    if args.sample is not None and args.sample <= 0:
        parser.error("--sample must be a positive number of models")
    if args.batch_rows <= 0:
        parser.error("--batch-rows must be a positive number of rows")
    log = StageLog()
    try:
        manifest = build_bundle(args.source, args.out, sample=args.sample, progress=not args.quiet, label=args.label,
                                embed=not args.no_embed, backend=args.backend, model_path=args.model,
                                fit_sample=args.fit_sample, seed=args.seed, batch_rows=args.batch_rows, log=log)
    except PhyloError as exc:
        print(f"phylo: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("phylo: error: out of memory; try --sample N", file=sys.stderr)
        return 2
    except OSError as exc:  # the bundle folder cannot be written
        print(f"phylo: error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(_summary(manifest))
    print(f"bundle written to {args.out}")
    if not args.no_record and not manifest.get("synthetic"):
        where = record(of_bundle(args.out, manifest.get("label") or str(args.source)), cache_dir())
        print(f"the Hub's totals at {manifest.get('snapshot_date')} recorded in {where}")
    if args.timings:
        print(log.table(), file=sys.stderr)
        print("phylo-stages: " + json.dumps(log.rows), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
