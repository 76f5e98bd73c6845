"""Many visitors at once: ``python bench/load.py BUNDLE N [--soak 200]``.

Serves the app on BUNDLE and drives real browser sessions (headless Chromium, one Playwright context each)
through every page and a click on the map, sampling the server's resident memory with psutil. First one
session alone (the baseline, in the same run), then N at once: page-ready p50/p95 beside the single
session's, errors, and the server's peak RSS. Then a soak: ``--soak`` sessions opened and closed, ten at a
time, after which the server's RSS must be within 10% of its plateau (shared caches, no per-session copies).
Goals on the 760k listing: 10 sessions, 0 errors, RSS ≤ 3 GB, soak within 10%.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Each page by its address and the title it shows once its script has run.
PAGES = {"/overview": "Phylo — the Hub at a glance", "/map": "The map of models", "/family": "Family trees",
         "/resemblance": "Resemblance", "/drift": "Drift", "/licenses": "License inheritance", "/growth": "Growth",
         "/network": "Similarity network", "/changes": "Changes between two snapshots"}
READY_TIMEOUT_MS = 300_000


@dataclass
class Session:
    """What one visitor saw: seconds to each page being ready, and anything that went wrong."""

    ready: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    map_click: bool | None = None  # whether a click on the map opened a model's details (None: no map)


class RssSampler:
    """The server process tree's resident memory, sampled every 0.2 s in a thread."""

    def __init__(self, pid: int):
        import psutil

        self.process = psutil.Process(pid)
        self.peak = self.last = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss(self) -> int:
        import psutil

        try:
            procs = [self.process, *self.process.children(recursive=True)]
            return sum(p.memory_info().rss for p in procs)
        except psutil.Error:
            return self.last

    def _run(self):
        while not self._stop.is_set():
            self.last = self.rss()
            self.peak = max(self.peak, self.last)
            time.sleep(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


async def _ready(page, title: str) -> None:
    """The page's script has run: its title is shown, Streamlit's running indicator is gone, nothing is loading."""
    await page.get_by_role("heading", name=title).first.wait_for(timeout=READY_TIMEOUT_MS)
    await page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]') && "
                                 "!document.querySelector('[data-testid=stSkeleton]')", timeout=READY_TIMEOUT_MS)


async def _click_map(page) -> bool:
    """Click drawn points, densest first, until a model's details open."""
    import io

    import numpy as np
    from PIL import Image

    canvas = page.locator(".phylo-map").first
    try:
        await page.locator(".phylo-map[data-drawn]").first.wait_for(timeout=READY_TIMEOUT_MS)
    except Exception:  # noqa: BLE001 — no map in this bundle
        return False
    img = np.asarray(Image.open(io.BytesIO(await canvas.screenshot())).convert("L"))
    ys, xs = np.nonzero(img < 200)
    if not len(xs):
        return False
    box = await canvas.bounding_box()
    order = np.argsort((xs - np.median(xs)) ** 2 + (ys - np.median(ys)) ** 2)
    for i in order[:40:4]:
        await page.mouse.click(box["x"] + float(xs[i]), box["y"] + float(ys[i]))
        try:
            await page.get_by_text("Open on the Hub").first.wait_for(timeout=6_000)
            return True
        except Exception:  # noqa: BLE001 — between points: try the next
            continue
    return False


async def visit(browser, url: str, pages: dict[str, str], query: str = "") -> Session:
    """One visitor in a fresh browser context: every page in turn, then a click on the map."""
    session = Session()
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.on("pageerror", lambda e: session.errors.append(f"js: {e}"))
    try:
        for path, title in pages.items():
            start = time.perf_counter()
            try:
                await page.goto(url + path + query)
                await _ready(page, title)
                session.ready[path] = time.perf_counter() - start
                if await page.locator("[data-testid=stException]").count():
                    session.errors.append(f"{path}: exception on the page")
                if await page.locator("[data-testid=stAlertContentError]").count():
                    session.errors.append(f"{path}: error message on the page")
            except Exception as exc:  # noqa: BLE001 — a page that never got ready is an error of this run
                session.errors.append(f"{path}: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
            if path == "/map" and not session.errors:
                session.map_click = await _click_map(page)
    finally:
        await context.close()
    return session


async def run_sessions(url: str, n: int, pages: dict[str, str] | None = None, query: str = "") -> list[Session]:
    """``n`` visitors at once, each in its own browser context of one headless Chromium."""
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM_ARGS

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            return list(await asyncio.gather(*(visit(browser, url, pages or PAGES, query) for _ in range(n))))
        finally:
            await browser.close()


async def soak(url: str, total: int, at_once: int, sampler: RssSampler) -> list[int]:
    """``total`` short visits (the Overview, then close), ``at_once`` at a time; the RSS after each wave."""
    from playwright.async_api import async_playwright

    from tests.browser.conftest import CHROMIUM_ARGS

    after = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for start in range(0, total, at_once):
                waves = min(at_once, total - start)
                await asyncio.gather(*(visit(browser, url, {"/overview": PAGES["/overview"]}) for _ in range(waves)))
                after.append(sampler.rss())
        finally:
            await browser.close()
    return after


def run(coroutine):
    """``asyncio.run`` in a thread of its own: works under a caller that already runs an event loop (Playwright's
    sync API in the same test session does)."""
    out = {}

    def target():
        try:
            out["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # handed back to the caller
            out["error"] = exc

    thread = threading.Thread(target=target, name="phylo-load")
    thread.start()
    thread.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def summary(sessions: list[Session]) -> dict:
    times = [t for s in sessions for t in s.ready.values()]
    return {"sessions": len(sessions), "pages": len(times), "p50": _percentile(times, 0.5),
            "p95": _percentile(times, 0.95), "errors": [e for s in sessions for e in s.errors],
            "map_clicks": sum(bool(s.map_click) for s in sessions)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("n", type=int, nargs="?", default=10)
    parser.add_argument("--soak", type=int, default=200, help="sessions opened and closed after the load (0: none)")
    args = parser.parse_args()
    from tests.browser.conftest import streamlit_server

    with streamlit_server(args.bundle, with_pid=True) as (url, pid), RssSampler(pid) as sampler:
        idle = sampler.rss()
        t = time.perf_counter()
        single = summary(run(run_sessions(url, 1)))
        single_s, single_peak = time.perf_counter() - t, sampler.peak
        t = time.perf_counter()
        many = summary(run(run_sessions(url, args.n)))
        many_s = time.perf_counter() - t
        print(f"server idle RSS {idle / 2**20:,.0f} MB; peak after one session {single_peak / 2**20:,.0f} MB")
        print(f"1 session   : {single['pages']} pages in {single_s:.1f} s, page-ready p50 {single['p50']:.2f} s, "
              f"p95 {single['p95']:.2f} s, errors {len(single['errors'])}, map click opened details: {single['map_clicks']}/1")
        print(f"{args.n} sessions : {many['pages']} pages in {many_s:.1f} s, page-ready p50 {many['p50']:.2f} s "
              f"({many['p50'] / single['p50']:.2f}x the single session), p95 {many['p95']:.2f} s "
              f"({many['p95'] / single['p95']:.2f}x), errors {len(many['errors'])}, map clicks {many['map_clicks']}/{args.n}")
        print(f"server peak RSS {sampler.peak / 2**20:,.0f} MB ({sampler.peak / max(single_peak, 1):.2f}x the single "
              f"session's; goal <= 3,072 MB)")
        for e in (single["errors"] + many["errors"])[:10]:
            print("  error:", e)
        if args.soak:
            after = run(soak(url, args.soak, 10, sampler))
            # The plateau: once the first sessions' memory is handed back (their TTL), the first half's median.
            plateau = statistics.median(after[len(after) // 4: max(len(after) // 2, len(after) // 4 + 1)])
            print(f"soak: {args.soak} sessions opened and closed, RSS after each 10: "
                  + " ".join(f"{a / 2**20:,.0f}" for a in after) + " MB")
            print(f"soak: final RSS {after[-1] / 2**20:,.0f} MB = {after[-1] / plateau:.3f}x the plateau "
                  f"({plateau / 2**20:,.0f} MB, the median over the first half after a quarter); goal <= 1.10x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
