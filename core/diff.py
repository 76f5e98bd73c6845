"""``python -m core.diff OLD NEW [--json F]``: what changed between two bundles (two snapshots of the Hub)."""

from __future__ import annotations

import argparse
import json
import sys
import time

from core.bundle import open_bundle
from core.errors import PhyloError
from core.evolution.diff import CountBy, SnapshotDiff, diff_bundles


def format_diff(diff: SnapshotDiff, rows: int = 10) -> str:
    """The diff as text for a terminal: the model counts first, then the ranked tables."""
    o, n = diff.old, diff.new
    lines = [f"{o.label} ({o.date or 'undated'}, {o.models:,} models) -> {n.label} ({n.date or 'undated'}, "
             f"{n.models:,} models)",
             f"models: kept {diff.kept:,}  renamed {diff.n_renamed:,}  added {diff.added:,}  removed {diff.removed:,}"]
    if diff.kept != diff.kept_new:
        lines.append(f"  ({diff.kept - diff.kept_new:,} old ids differ from another only by case: the kept are "
                     f"{diff.kept_new:,} new models)")
    if diff.n_renamed:
        by = diff.renamed["match"].value_counts().to_dict()
        lines.append("  renamed by " + ", ".join(f"{k} {v:,}" for k, v in by.items()) + "; e.g. " + ", ".join(
            f"{r.old_id} -> {r.new_id}" for r in diff.renamed.head(3).itertuples()))
    lines.append(f"families: {diff.n_new_families:,} new (2+ models, root added)")
    for r in diff.new_families.head(rows).itertuples():
        lines.append(f"  new      {r.family}: {r.size:,} models")
    for r in diff.growing_families.head(rows).itertuples():
        lines.append(f"  growing  {r.family}: {r.old_size:,} -> {r.new_size:,} (+{r.growth:,})")
    lines.append(f"edges in both: {diff.edges_in_both:,}; relation changed on {int(diff.relation_changes['edges'].sum()):,}, "
                 f"an end's license class changed on {int(diff.license_changes['edges'].sum()):,}")
    for facet in CountBy:
        lines.append(f"by {facet.value}: value, old, new, change")
        for r in diff.counts[facet].head(rows).itertuples():
            lines.append(f"  {r.value}: {r.old:,} -> {r.new:,} ({r.change:+,})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.diff",
                                     description="Compare two bundles: models kept, renamed, added and removed; new "
                                     "and growing families; edge changes; counts by library, task and license.")
    parser.add_argument("old", help="the older bundle folder (python -m core.precompute writes one)")
    parser.add_argument("new", help="the newer bundle folder")
    parser.add_argument("--json", default=None, metavar="F", help="also write the whole diff as JSON to F")
    parser.add_argument("--top", type=int, default=20, help="rows kept per ranked table (default 20)")
    args = parser.parse_args(argv)
    if args.top <= 0:
        parser.error("--top must be a positive number of rows")
    start = time.perf_counter()
    try:
        diff = diff_bundles(open_bundle(args.old), open_bundle(args.new), top=args.top)
    except PhyloError as exc:
        print(f"phylo: {exc}", file=sys.stderr)
        return 2
    print(format_diff(diff))
    print(f"({time.perf_counter() - start:.1f} s)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(diff.to_json(), fh, indent=2, default=str)
            fh.write("\n")
        print(f"diff written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
