"""``python -m core.fetch``: the Space's start-up step, pulling the bundle ``PHYLO_BUNDLE_REPO`` names."""

from __future__ import annotations

import argparse
import sys

from core.hub.fetch import fetch
from core.precompute.selfbuild import DATASET, start
from core.settings import REPO_VARIABLE, SELF_BUILD_VARIABLE, bundle_repo, cache_dir, self_build_source


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--self-build", action="store_true",
                    help="when no published bundle can be had, build the real Hub in the background "
                         f"(from {SELF_BUILD_VARIABLE}, default the study's dataset {DATASET})")
    args = ap.parse_args(argv)
    value = bundle_repo()
    fetched = fetch(value) if value else None
    if fetched is None:
        print(f"phylo: {REPO_VARIABLE} is not set; the app serves its bundled data")
    if args.self_build and (fetched is None or not fetched.ok):
        root = cache_dir()
        status = start(root, self_build_source() or DATASET)
        print(f"phylo: self-build {status.stage.value} into {root} (pid {status.pid}); the demo is served meanwhile")
    return 0  # a Space without its bundle still serves the demo, with a banner


if __name__ == "__main__":
    sys.exit(main())
