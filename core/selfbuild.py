"""``python -m core.selfbuild --root DIR [--source SOURCE]``: the Space's background build (core.precompute.selfbuild)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.precompute.selfbuild import DATASET, Stage, run


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--root", required=True, help="where the status file and the built bundle go")
    ap.add_argument("--source", default=DATASET, help="the study's dataset on the Hub (default), a Hub listing file, "
                                                      "or a local copy of either")
    args = ap.parse_args(argv)
    status = run(Path(args.root), args.source)
    print(f"phylo: self-build {status.stage.value}" + (f": {status.reason}" if status.reason else
                                                       f" at {status.path}" if status.path else ""))
    return 0 if status.stage is Stage.READY else 1


if __name__ == "__main__":
    sys.exit(main())
