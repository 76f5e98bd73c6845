"""Every page of the demo readable in Chromium at 1280×720 and 1920×1080: no text cut off with an ellipsis or
hidden by its box, and no exception; the Family page's "Largest families" table opens the family clicked."""

from __future__ import annotations

import pytest

from tests.browser.conftest import open_page, screenshot, streamlit_server
from tests.conftest import ROOT

DEMO = ROOT / "data" / "demo"
PAGES = ["overview", "map", "family?fam_model=pebble-urchin/Pulsar-1B-1", "resemblance", "drift", "licenses", "growth",
         "family?fam_model=rustic-tapir/Halo-2B-0&fam_scope=whole%20family",
         "resemblance?res_view=Compare%20two%20models&res_a=pebble-urchin/Pulsar-1B-1&res_b=rustic-tapir/Halo-2B-0",
         "network?net_model=pebble-urchin/Pulsar-1B-1", "changes",
         "network?net_around=selection&net_sel=3000,3000;4500,3000;4500,4500;3000,4500",
         "map?map_sel=3000,3000;4500,3000;4500,4500;3000,4500"]
# Text whose box is narrower than the text and clips it (ellipsis or hidden overflow); Streamlit's off-screen
# "Skip to main content" link is meant to be hidden, an icon's ligature name is drawn as one glyph, and a
# screen reader's label (a 1-pixel box) is hidden on purpose.
CUT_TEXT_JS = """() => [...new Set([...document.querySelectorAll('body *')].filter(e => {
    if (e.dataset.testid === 'stButtonGroup') {  // a choice scrolled or pushed out of the group's box
      const g = e.getBoundingClientRect();
      return e.scrollWidth > e.clientWidth + 1 || [...e.querySelectorAll('button')].some(b => {
        const r = b.getBoundingClientRect();
        return r.right > g.right + 1 || r.left < g.left - 1;
      });
    }
    if (e.tagName === 'INPUT' && e.offsetWidth && e.placeholder && !e.value) {  // a placeholder wider than its box
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = getComputedStyle(e).font;
      const cs = getComputedStyle(e);
      return ctx.measureText(e.placeholder).width > e.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) + 1;
    }
    if (e.offsetWidth <= 1 || e.offsetHeight <= 1 || e.children.length > 2 || !(e.innerText || '').trim()) return false;
    if (e.closest('[data-testid=stSkipToContent], [data-testid=stIconMaterial]')) return false;
    const cs = getComputedStyle(e);
    const clips = cs.textOverflow === 'ellipsis' || cs.overflowX === 'hidden' || cs.overflow === 'hidden';
    return clips && e.scrollWidth > e.clientWidth + 1;
  }).map(e => (e.innerText || e.placeholder || e.dataset.testid || '').trim().slice(0, 80)))]"""


@pytest.fixture(scope="module")
def server():
    with streamlit_server(DEMO) as url:
        yield url


@pytest.mark.parametrize("width, height", [(1280, 720), (1920, 1080)])
def test_no_page_cuts_its_text(browser, server, width, height):
    for i, path in enumerate(PAGES):
        page, errors = open_page(browser, f"{server}/{path}", height=height, width=width)
        page.wait_for_timeout(1000)
        name = f"{i:02d}_{path.split('?')[0]}"
        assert page.locator("[data-testid=stSkeleton]").count() == 0, name  # drawn, not still loading
        screenshot(page, f"readable_{name}_{width}")
        assert page.locator("[data-testid=stException]").count() == 0, name
        assert page.evaluate(CUT_TEXT_JS) == [], (name, width)
        assert not errors, (name, errors)
        page.close()


def test_a_largest_families_row_opens_that_family(browser, server):
    page, errors = open_page(browser, f"{server}/family", wait_text="Largest families", height=720)
    grid = page.locator("[data-testid=stDataFrame]").last
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection cell, under the header
    page.wait_for_function("() => new URLSearchParams(location.search).get('fam_model')", timeout=30_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=120_000)
    assert page.locator("[data-testid=stException]").count() == 0
    model = page.evaluate("() => new URLSearchParams(location.search).get('fam_model')")
    page.get_by_text(f"Made from {model}").first.wait_for(timeout=60_000)
    assert not errors, errors
