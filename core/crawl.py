"""``python -m core.crawl --out FILE``: a live listing of the Hub's models, resumable, in the Hub-listing shape
``python -m core.precompute --source FILE`` reads."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.errors import PhyloError
from core.evolution.totals import of_listing, record
from core.hub.crawl import PAGE_SIZE, crawl
from core.settings import cache_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.crawl",
                                     description="List the Hub's models (HF_ENDPOINT, HF_TOKEN as huggingface_hub "
                                     "reads them) into a parquet file; an interrupted run goes on where it stopped.")
    parser.add_argument("--out", required=True, help="the listing's parquet file (OUT.parts/ holds a crawl under way)")
    parser.add_argument("--cards", action="store_true", help="also ask for each card's metadata (cardData, as JSON)")
    parser.add_argument("--restart", action="store_true", help="drop a crawl under way and begin again")
    parser.add_argument("--batch-rows", type=int, default=10_000, help="models per part file and checkpoint")
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE, help=f"models per page (default {PAGE_SIZE})")
    parser.add_argument("--max-pages", type=int, default=None, help="stop after this many pages (resume later)")
    parser.add_argument("--retries", type=int, default=4, help="further tries of a page that fails")
    args = parser.parse_args(argv)
    if min(args.batch_rows, args.page_size) <= 0 or args.retries < 0:
        parser.error("--batch-rows and --page-size must be positive, --retries not negative")
    try:
        result = crawl(args.out, cards=args.cards, batch_rows=args.batch_rows, page_size=args.page_size,
                       max_pages=args.max_pages, restart=args.restart, retries=args.retries)
    except PhyloError as exc:
        print(f"phylo crawl: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    if Path(result.path) == Path(args.out):  # the whole listing, not the parts of a crawl stopped early
        print(f"phylo crawl: the Hub's totals recorded in {record(of_listing(args.out, 'crawl of the Hub'), cache_dir())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
