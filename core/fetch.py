"""``python -m core.fetch``: the Space's start-up step, pulling the bundle ``PHYLO_BUNDLE_REPO`` names."""

from __future__ import annotations

import sys

from core.hub.fetch import fetch
from core.settings import REPO_VARIABLE, bundle_repo


def main(argv: list[str] | None = None) -> int:
    value = bundle_repo()
    if not value:
        print(f"phylo: {REPO_VARIABLE} is not set; the app serves its bundled data")
        return 0
    fetch(value)
    return 0  # a Space without its bundle still serves the demo, with a banner


if __name__ == "__main__":
    sys.exit(main())
