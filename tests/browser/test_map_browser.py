"""The Map in headless Chromium: every point drawn, and a click on a point opens its details panel."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import open_page, screenshot, streamlit_server


def _n_models(bundle) -> int:
    import json

    return json.loads((bundle / "manifest.json").read_text())["counts"]["models"]


def _dark_fraction(element) -> float:
    img = np.asarray(Image.open(io.BytesIO(element.screenshot())).convert("L"))
    return float((img < 235).mean())


@pytest.fixture(scope="module")
def server(family_trees_map_bundle):
    with streamlit_server(family_trees_map_bundle) as url:
        yield url


def test_map_draws_and_click_opens_the_panel(browser, server, family_trees_map_bundle):
    page, errors = open_page(browser, server + "/map?map_color=family", wait_text="models match", height=1300)
    page.locator(".phylo-map[data-drawn]").wait_for(timeout=60_000)  # the component marks a finished draw
    canvas = page.locator(".phylo-map").first
    assert canvas.get_attribute("data-points") == str(_n_models(family_trees_map_bundle))
    assert _dark_fraction(canvas) > 0.002, "no points were drawn"
    screenshot(page, "map_family_trees")
    # Click the densest spot of the canvas: some model is there. The overlays (labels, tools, legend) go first:
    # their text is dark too.
    page.evaluate("() => [...document.querySelectorAll('*')].map(e => e.shadowRoot).filter(Boolean).forEach(r => "
                  "r.querySelectorAll('.phylo-labels, .phylo-tools, .phylo-legend').forEach(e => e.style.visibility = 'hidden'))")
    img = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("L"))
    ys, xs = np.nonzero(img < 200)
    box = canvas.bounding_box()
    order = np.argsort((xs - np.median(xs)) ** 2 + (ys - np.median(ys)) ** 2)
    opened = False
    for i in order[:40:4]:
        page.mouse.click(box["x"] + float(xs[i]), box["y"] + float(ys[i]))
        try:
            page.get_by_text("Open on the Hub").first.wait_for(timeout=8_000)
            opened = True
            break
        except Exception:
            continue
    assert opened, "clicking points never opened the details panel"
    assert "map_model=" in page.url  # the selection is in the URL, so the view can be shared
    box = page.get_by_label("Id or author contains")
    box.fill("llama")
    box.press("Enter")
    page.get_by_text("models match — the rest are dimmed").wait_for(timeout=30_000)
    assert "map_q=llama" in page.url
    page.wait_for_function("() => [...document.querySelectorAll('*')].some(e => e.shadowRoot && "
                           "(e.shadowRoot.querySelector('.phylo-map')?.dataset.drawn || '').split('|')[1])")
    screenshot(page, "map_family_trees_selected")
    assert page.locator("[data-testid=stException]").count() == 0
    assert errors == []


def test_shared_link_restores_the_view(browser, server):
    url = server + "/map?map_model=deepseek-ai/DeepSeek-R1&map_q=deepseek&map_color=license%20class&map_similar=true"
    page, errors = open_page(browser, url, wait_text="Open on the Hub", height=1300)
    assert page.get_by_text("models match — the rest are dimmed").count() == 1
    assert page.get_by_text("Most similar models").count() == 1
    assert page.locator("[data-testid=stException]").count() == 0
    screenshot(page, "map_shared_link")
    assert errors == []
