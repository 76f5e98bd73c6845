"""The Family page in headless Chromium on the 760k listing: the largest family's tree draws, a click selects a node."""

import io

import numpy as np
from PIL import Image

from tests.browser.conftest import open_page, screenshot, streamlit_server

LARGEST = "distilbert/distilbert-base-uncased"  # root of the largest family (no merges) of the July 2024 listing


def _coloured_spots(png: bytes) -> list[tuple[float, float]]:
    """Centres (y, x) of saturated blobs (nodes) in a screenshot of the graph, above its navigation buttons."""
    from scipy import ndimage

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    sat = (img.max(axis=2) - img.min(axis=2)) > 80
    sat[-130:] = False  # vis.js navigation buttons live at the bottom
    labels, n = ndimage.label(sat)
    sizes = ndimage.sum(sat, labels, range(1, n + 1))
    return [c for c, size in zip(ndimage.center_of_mass(sat, labels, range(1, n + 1)), sizes) if size > 30]


def test_largest_family_tree_and_node_click(browser, listing_bundle):
    with streamlit_server(listing_bundle) as url:
        # The whole family is too large to draw model by model: it opens as generations × relations, readable.
        page, errors = open_page(browser, url + f"/family?fam_model={LARGEST}&fam_scope=whole%20family",
                                 wait_text="too many to draw one by one", height=1500)
        assert page.locator("[data-testid=stPlotlyChart]").first.locator(".sankey").count() == 1
        page.get_by_text("Open a group").first.wait_for()
        screenshot(page, "family_largest_outline")
        page.close()
        # Its root's own lineage is a tree of boxes, each label inside its box.
        page, errors = open_page(browser, url + f"/family?fam_model={LARGEST}", wait_text="Models per generation",
                                 height=1500)
        frame_el = page.locator("iframe").first
        frame_el.wait_for(timeout=60_000)
        frame = frame_el.content_frame
        frame.locator("canvas").first.wait_for(timeout=60_000)
        page.wait_for_timeout(2000)
        assert page.get_by_text("Showing").first.inner_text().startswith("Showing")
        shot = frame_el.screenshot()
        spots = _coloured_spots(shot)
        assert len(spots) > 5, "the tree has no visible nodes"
        screenshot(page, "family_largest")
        box = frame_el.bounding_box()
        clicked = False
        for y, x in sorted(spots, key=lambda s: -s[1])[:25]:  # rightmost first: descendants (the tree runs left to right)
            page.mouse.click(box["x"] + x, box["y"] + y)
            try:
                page.get_by_text("Centre the tree here").wait_for(timeout=6_000)
                clicked = True
                break
            except Exception:
                continue
        assert clicked, "clicking nodes never selected one"
        screenshot(page, "family_largest_clicked")
        assert page.locator("[data-testid=stException]").count() == 0
        assert errors == []
