"""``python -m core.licenses check``: may a derivative of these parents carry this license?"""

from __future__ import annotations

import argparse
import sys

from core.licenses.compliance import judge


def main(argv: list[str] | None = None) -> int:
    """``python -m core.licenses check --parent LICENSES [--parent …] --child LICENSES [--relation R]``."""
    parser = argparse.ArgumentParser(prog="python -m core.licenses")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="may a derivative of these parents carry this license?")
    check.add_argument("--parent", action="append", default=[], metavar="LICENSES",
                       help="a parent's Hub license ids, comma-separated (alternatives); one --parent per parent")
    check.add_argument("--child", required=True, metavar="LICENSES", help="the derivative's Hub license ids, comma-separated")
    check.add_argument("--relation", default=None, choices=["finetune", "adapter", "quantized", "merge"],
                       help="how the child was made (every relation is a derivative; a merge needs every parent)")
    args = parser.parse_args(argv)

    def ids(text: str) -> list[str]:
        return [x.strip() for x in text.split(",") if x.strip()]

    judgement = judge([ids(p) for p in args.parent] or [[]], ids(args.child))
    print(f"verdict: {judgement.verdict.value}")
    for reason in judgement.reasons:
        print(f"- {reason.verdict.value}: {reason.text} [{reason.source}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
