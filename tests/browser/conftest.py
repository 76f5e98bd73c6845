"""A Streamlit server per bundle and a headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "build" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(bundle: Path | None = None, with_pid: bool = False, env_extra: dict | None = None):
    """A Streamlit server of the app on ``bundle`` (with ``env_extra`` in its environment); yields its URL (and its
    pid, for memory readings)."""
    port = _free_port()
    env = {**os.environ, **(env_extra or {})}
    if bundle is not None:
        env["PHYLO_BUNDLE"] = str(bundle)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("streamlit did not start")
        yield (url, proc.pid) if with_pid else url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(autouse=True)
def _close_pages(request):
    """Each test's pages close when it ends: a page left open keeps drawing its map (software WebGL) and running
    its app, and a few dozen of them slowed the whole suite by minutes."""
    yield
    if "browser" in request.fixturenames:
        for context in request.getfixturevalue("browser").contexts:
            context.close()


def open_page(browser, url: str, wait_text: str | None = None, height: int = 1400, width: int = 1400):
    """Open ``url``, wait for the app to finish running, return (page, console errors)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("[data-testid=stAppViewContainer]", timeout=60_000)
    if wait_text:
        page.get_by_text(wait_text).first.wait_for(timeout=120_000)
    wait_settled(page)
    return page, errors


def wait_settled(page, quiet_ms: int = 1500, timeout_ms: int = 120_000) -> None:
    """Wait until the app has stopped running and drawing (no status widget, no skeleton) for ``quiet_ms``: a page
    may rerun once more after its first run (a URL-bound widget settling), so one quiet moment is not enough."""
    page.wait_for_function(f"""() => {{
        const busy = document.querySelector('[data-testid=stStatusWidget], [data-testid=stSkeleton]');
        const now = performance.now();
        if (busy || !window.__phyloQuietSince) {{ window.__phyloQuietSince = busy ? 0 : now; return false; }}
        return now - window.__phyloQuietSince >= {quiet_ms};
    }}""", timeout=timeout_ms, polling=250)


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
