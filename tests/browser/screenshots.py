"""Regenerate the README's screenshots from the current app: ``python -m tests.browser.screenshots [--listing DIR]``.

Each shot opens a page at its own URL in headless Chromium at 1280×720 (the smallest screen Phylo is made for),
waits until the page has settled and writes ``data/screenshots/NAME.png``. The demo is always shot; with
``--listing`` (a bundle of the 760k July 2024 listing), the shots where real data shows more are taken on it too,
as ``NAME-listing.png``, and the README labels them so.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tests.browser.conftest import CHROMIUM_ARGS, open_page, streamlit_server
from tests.conftest import ROOT

OUT = ROOT / "data" / "screenshots"
LLAMA = "meta-llama/Meta-Llama-3-8B"
# name → page and query string (after "#": a text the shot scrolls to), on the demo.
DEMO_SHOTS = {
    "overview": "overview",
    "map": "map",
    "family": "family?fam_model=pebble-urchin/Pulsar-1B-1",
    "resemblance": "resemblance",
    "drift": "drift",
    "licenses": "licenses",
    "growth": "growth",
    "direct-url": "drift?drift_trait=languages",
}
# name → page, on the real listing: families without merges, a model's own lineage, the auditor's question.
LISTING_SHOTS = {
    "overview-listing": "overview",
    "family-listing": f"family?fam_model={LLAMA}",
    "family-outline-listing": f"family?fam_model={LLAMA}&fam_scope=whole%20family",
    "license-audit-listing": (f"licenses?lic_model={LLAMA}&lic_scope=its%20descendants&lic_verdict=any"
                              "&lic_parent_lic=llama3&lic_child_lic=apache-2.0&lic_child_lic=mit#The edges, judged"),
    "growth-listing": f"growth?grow_of_model={LLAMA}&grow_of_scope=its%20descendants",
}


def shoot(bundle: Path, shots: dict[str, str], width: int = 1280, height: int = 720) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with streamlit_server(bundle) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for name, target_path in shots.items():
            path, _, anchor = target_path.partition("#")
            page, errors = open_page(browser, f"{url}/{path}", height=height, width=width)
            if anchor:
                page.get_by_text(anchor).first.evaluate("e => e.scrollIntoView({block: 'start'})")
                page.wait_for_timeout(800)
            if page.locator("[data-testid=stException]").count() or errors:
                raise SystemExit(f"{name}: the page failed ({errors or 'an exception is shown'})")
            target = OUT / f"{name}.png"
            page.screenshot(path=str(target))
            written.append(target)
            page.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--listing", type=Path, help="a bundle of the 760k listing, for the -listing shots")
    ap.add_argument("--only", nargs="*", help="names of the shots to take (default: all)")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    pick = (lambda shots: {k: v for k, v in shots.items() if not args.only or k in args.only})
    written = shoot(ROOT / "data" / "demo", pick(DEMO_SHOTS))
    if args.listing:
        written += shoot(args.listing, pick(LISTING_SHOTS))
    for path in written:
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
