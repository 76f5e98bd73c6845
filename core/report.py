"""``python -m core.report BUNDLE``: every number of ANALYSES.md §2–§5 on a bundle, beside the study's."""

from __future__ import annotations

import argparse
import json
import sys

from core.bundle import open_bundle
from core.errors import PhyloError
from core.evolution.definitions import LABELS, Definitions, connect
from core.evolution.report import compute_report, differences, format_differences, format_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m core.report",
        description="Compute every number of ANALYSES.md §2–§5 on a bundle, beside the study's.")
    parser.add_argument("bundle", help="bundle folder (written by python -m core.precompute)")
    parser.add_argument("--json", default=None, help="also write the report as JSON to this file")
    parser.add_argument("--draws", type=int, default=5000, help="pairs drawn per relative class (§3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--definitions", choices=[d.value for d in Definitions], default=Definitions.STUDY.value,
                        help="study: the study's own code (exact parent ids, its rules; the default, so the side by "
                        "side compares like with like); phylo: Phylo's lineage and rules. Figures that differ are "
                        "listed with both values")
    parser.add_argument("--no-differences", action="store_true",
                        help="compute the chosen definitions only (skip the list of figures that differ)")
    parser.add_argument("--min-confidence", type=float, default=None, metavar="P",
                        help="count only edges whose relation type is at least P sure (declared: 1; inferred: the "
                        "the measured accuracy of its rule × modality stratum, see core/lineage/calibration.json)")
    args = parser.parse_args(argv)
    if args.min_confidence is not None and not 0 <= args.min_confidence <= 1:
        parser.error("--min-confidence must be between 0 and 1")
    if args.draws <= 0:
        parser.error("--draws must be a positive number of pairs")
    chosen = Definitions(args.definitions)
    try:
        bundle = open_bundle(args.bundle)
    except PhyloError as exc:
        print(f"phylo: error: {exc}", file=sys.stderr)
        return 2
    reports = {}
    for definitions in ([chosen] if args.no_differences else [chosen, *(d for d in Definitions if d is not chosen)]):
        con = connect(bundle, definitions)
        reports[definitions] = compute_report(con, draws=args.draws, seed=args.seed, min_confidence=args.min_confidence)
        con.close()
    report = reports[chosen]
    print(f"definitions: {chosen.value} ({LABELS[chosen]})")
    if args.min_confidence is not None:
        print(f"edges whose relation type is at least {args.min_confidence:.0%} sure only")
    print(format_table(report))
    if len(reports) == 2:
        print()
        print(format_differences(differences(reports[Definitions.STUDY], reports[Definitions.PHYLO])))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1, ensure_ascii=False)  # the chosen definitions' flat report
            f.write("\n")
        print(f"\nreport written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
