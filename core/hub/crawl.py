"""A live listing of the Hub's models, written in the Hub-listing shape the ingest reads.

The listing is paged the way ``HfApi.list_models`` pages it: the same ``/api/models`` request (only the ``expand``
fields a bundle needs), then each answer's ``Link: <…>; rel="next"`` header, through huggingface_hub's own
``http_backoff`` (which waits out HTTP 429 for its ``Retry-After`` and retries 5xx answers). ``list_models`` hides
the next-page link, and resuming needs it, so the crawl follows the links itself.

Rows go to ``OUT.parts/part-NNNNN.parquet`` every ``batch_rows`` models, and after each part a checkpoint
(``checkpoint.json``: the next page's URL, parts and rows written) is replaced atomically. A crawl that stops
(interrupted, the Hub down, a page that cannot be read) keeps every part; run it again and it goes on from the
checkpoint. The last page joins the parts into ``OUT`` and removes the folder.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from core.errors import PhyloError, one_line

__all__ = ["LISTING_FIELDS", "CARD_FIELD", "LISTING_SCHEMA", "CrawlError", "CrawlResult", "crawl", "listing_params"]

LISTING_FIELDS = ("author", "createdAt", "downloads", "likes", "library_name", "pipeline_tag", "tags")  # id comes always
CARD_FIELD = "cardData"  # the card's YAML metadata, not its text: optional, it makes pages several times larger
PAGE_SIZE = 1000  # the Hub's largest page of /api/models
LISTING_SCHEMA = pa.schema([("id", pa.string()), ("author", pa.string()), ("createdAt", pa.string()),
                            ("downloads", pa.int64()), ("likes", pa.int64()), ("library_name", pa.string()),
                            ("pipeline_tag", pa.string()), ("tags", pa.list_(pa.string()))])
CHECKPOINT = "checkpoint.json"


class CrawlError(PhyloError):
    """The listing could not be had: the Hub unreachable, or a page unreadable after its retries."""


@dataclass(frozen=True)
class CrawlResult:
    """Where the listing went and how it went."""

    path: str
    rows: int
    pages: int
    resumed_from: int  # rows already written by an earlier, interrupted run
    seconds: float


def listing_params(cards: bool = False, page_size: int = PAGE_SIZE) -> dict:
    """The query ``HfApi.list_models(expand=[...], limit=page_size)`` sends for the fields a bundle needs."""
    return {"limit": page_size, "expand": [*LISTING_FIELDS, *([CARD_FIELD] if cards else [])]}


def _schema(cards: bool) -> pa.Schema:
    return LISTING_SCHEMA.append(pa.field(CARD_FIELD, pa.string())) if cards else LISTING_SCHEMA


def _rows(items: list, cards: bool) -> pa.Table:
    """A page's models as a table of the listing schema; the card metadata as JSON text."""
    records = []
    for item in items:
        if not isinstance(item, dict) or not (item.get("id") or item.get("modelId")):
            continue
        record = {f.name: item.get(f.name) for f in LISTING_SCHEMA}
        record["id"] = item.get("id") or item.get("modelId")
        if cards:
            data = item.get(CARD_FIELD)
            record[CARD_FIELD] = None if data is None else json.dumps(data, ensure_ascii=False)
        records.append(record)
    return pa.Table.from_pylist(records, schema=_schema(cards))


def _endpoint() -> str:
    """``HF_ENDPOINT`` as it is now (huggingface_hub reads it once, at import)."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def _pages(url: str, params: dict | None, retries: int, wait: float, sleep: Callable[[float], None],
           first_try: bool) -> Iterator[tuple[list, str | None]]:
    """(models, next page URL or None) for each page from ``url`` on, through huggingface_hub's HTTP layer."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled
    from huggingface_hub.utils import build_hf_headers, hf_raise_for_status, http_backoff

    headers = build_hf_headers()
    while url:
        for attempt in range(retries + 1):
            try:
                response = http_backoff("GET", url, params=params, headers=headers, timeout=60,
                                        max_retries=1 if first_try else retries, base_wait_time=wait,
                                        max_wait_time=max(wait, 8 * wait))
                hf_raise_for_status(response)
                items = response.json()
                if not isinstance(items, list):
                    raise ValueError(f"expected a JSON list of models, got {type(items).__name__}")
                break
            except OfflineModeIsEnabled as exc:
                raise CrawlError("HF_HUB_OFFLINE is set: the Hub is not asked; nothing was listed") from exc
            except (httpx2.ConnectError, httpx2.ConnectTimeout) as exc:
                if first_try:
                    raise CrawlError(f"the Hub is not reachable at {_endpoint()} ({one_line(exc)}); "
                                     "nothing was listed") from exc
                last = exc
            except HfHubHTTPError as exc:  # already retried by http_backoff (429 after Retry-After, 5xx)
                raise CrawlError(f"page {url} answered {one_line(exc)}") from exc
            except ValueError as exc:  # a broken page: not JSON, or not a list
                last = exc
            if attempt < retries:
                sleep(wait * 2 ** attempt)
        else:
            raise CrawlError(f"page {url} could not be read after {retries + 1} tries: {one_line(last)}")
        first_try = False
        next_url = response.links.get("next", {}).get("url")
        yield items, next_url
        url, params = next_url, None  # the next link carries the query


class _QuietFirstTry(logging.Filter):
    """Mutes huggingface_hub's retry warnings until the first page has come: offline, the crawl says why in one
    line. Later, its "Rate limited. Waiting …" and "Retrying in …" lines show the back-off."""

    first = True

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.first


def _save_checkpoint(parts: Path, state: dict) -> None:
    tmp = parts / (CHECKPOINT + ".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    tmp.replace(parts / CHECKPOINT)


def _load_checkpoint(parts: Path, cards: bool) -> dict | None:
    try:
        state = json.loads((parts / CHECKPOINT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if state.get("cards") != cards:
        raise CrawlError(f"{parts} holds a crawl {'with' if state.get('cards') else 'without'} cards; "
                         "run with the same --cards, or --restart")
    for stale in sorted(parts.glob("part-*.parquet"))[state["parts"]:]:  # written after the last checkpoint
        stale.unlink()
    return state


def crawl(out: str | Path, cards: bool = False, batch_rows: int = 10_000, page_size: int = PAGE_SIZE,
          max_pages: int | None = None, restart: bool = False, retries: int = 4, wait: float = 1.0,
          log: Callable[[str], None] = print, sleep: Callable[[float], None] = time.sleep) -> CrawlResult:
    """List every model of the Hub into the parquet file ``out`` (see the module's docstring).

    ``max_pages`` stops after that many pages of this run, leaving the checkpoint to go on from (as an
    interruption would). ``retries``: further tries of a page that fails, ``wait`` seconds apart, doubling.
    """
    out = Path(out)
    parts = out.with_name(out.name + ".parts")
    if restart and parts.exists():
        shutil.rmtree(parts)
    state = _load_checkpoint(parts, cards) if parts.exists() else None
    resumed = state["rows"] if state else 0
    if state is None:
        parts.mkdir(parents=True, exist_ok=True)
        state = {"next": f"{_endpoint()}/api/models", "params": listing_params(cards, page_size), "parts": 0,
                 "rows": 0, "pages": 0, "cards": cards, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        _save_checkpoint(parts, state)
    else:
        log(f"phylo crawl: resuming after {state['rows']:,} models ({state['pages']:,} pages) from {parts}")
    start, pending, pending_pages, pages_now = time.perf_counter(), [], 0, 0

    def flush(next_url: str | None) -> None:
        nonlocal pending, pending_pages
        if pending:
            table = pa.concat_tables(pending)
            pq.write_table(table, parts / f"part-{state['parts']:05d}.parquet", compression="zstd")
            state["parts"] += 1
            state["rows"] += table.num_rows
        state["pages"] += pending_pages
        state["next"], state["params"] = next_url, None if state["pages"] else state["params"]
        _save_checkpoint(parts, state)
        pending, pending_pages = [], 0
        rate = (state["rows"] - resumed) / max(time.perf_counter() - start, 1e-9)
        log(f"phylo crawl: {state['rows']:,} models, {state['pages']:,} pages ({rate:,.0f} models/s)")

    quiet = _QuietFirstTry()
    hub_logger = logging.getLogger("huggingface_hub.utils._http")  # where http_backoff logs
    hub_logger.addFilter(quiet)
    try:
        for items, next_url in _pages(state["next"], state["params"], retries, wait, sleep,
                                      first_try=state["pages"] == 0 and pages_now == 0):
            quiet.first = False
            pending.append(_rows(items, cards))
            pending_pages += 1
            pages_now += 1
            if next_url is None or sum(t.num_rows for t in pending) >= batch_rows or \
                    (max_pages is not None and pages_now >= max_pages):
                flush(next_url)
            if next_url is not None and max_pages is not None and pages_now >= max_pages:
                log(f"phylo crawl: stopped after {pages_now} pages; run again to go on from {parts}")
                return CrawlResult(str(parts), state["rows"], state["pages"], resumed, time.perf_counter() - start)
    except CrawlError as exc:
        if not state["rows"] and not resumed:
            shutil.rmtree(parts, ignore_errors=True)
        raise CrawlError(f"{exc}; {state['rows']:,} models written so far are kept in {parts}: run again to resume"
                         if state["rows"] else str(exc)) from exc
    except KeyboardInterrupt:
        log(f"phylo crawl: interrupted; {state['rows']:,} models kept in {parts}: run again to resume")
        raise
    finally:
        hub_logger.removeFilter(quiet)
    files = sorted(parts.glob("part-*.parquet"))
    tables = [pq.read_table(f, schema=_schema(cards)) for f in files]
    table = pa.concat_tables(tables) if tables else _schema(cards).empty_table()
    tmp = out.with_name(out.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(out)
    shutil.rmtree(parts)
    seconds = time.perf_counter() - start
    log(f"phylo crawl: {table.num_rows:,} models in {state['pages']:,} pages written to {out} ({seconds:.0f} s)")
    return CrawlResult(str(out), table.num_rows, state["pages"], resumed, seconds)
