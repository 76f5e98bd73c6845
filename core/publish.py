"""``python -m core.publish DIR --repo OWNER/NAME [--private] [--revision BRANCH]``: a bundle as a Hub dataset."""

from __future__ import annotations

import argparse
import sys

from core.errors import PhyloError
from core.hub.publish import publish


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.publish", description=__doc__.splitlines()[0])
    parser.add_argument("bundle", help="bundle folder to upload")
    parser.add_argument("--repo", required=True, help="dataset repo OWNER/NAME (created if missing)")
    parser.add_argument("--private", action="store_true", help="create the repo private")
    parser.add_argument("--revision", default=None, help="branch to commit to (created if missing; default main)")
    args = parser.parse_args(argv)
    try:
        url = publish(args.bundle, args.repo, private=args.private, revision=args.revision)
    except PhyloError as exc:
        print(f"phylo: error: {exc}", file=sys.stderr)
        return 2
    print(f"published {args.bundle} to {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
