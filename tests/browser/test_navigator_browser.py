"""The navigator's features in headless Chromium: the minimap, the base-models filter, the similarity network of a
map selection (demo bundle), and a real model's papers and files, offline (the family-trees bundle)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from core import atlas
from core.bundle import open_bundle
from core.licenses import connect
from tests.browser.conftest import open_page, screenshot, streamlit_server
from tests.browser.test_atlas_browser import DEMO, ROOT_JS, _open_map

MINIMAP = ".phylo-minimap"
# Pixels of the minimap's image in the filter's blue (matching models) and in any colour.
MINIMAP_PIXELS_JS = f"""() => {{
    const c = {ROOT_JS}.querySelector('{MINIMAP} canvas');
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let blue = 0, any = 0;
    for (let i = 0; i < px.length; i += 4) {{
        if (!px[i + 3]) continue;
        any++;
        if (px[i + 2] > px[i] + 60) blue++;
    }}
    return {{blue, any}};
}}"""


@pytest.fixture(scope="module")
def server():
    with streamlit_server(DEMO) as url:
        yield url


def _camera(element) -> dict:
    return json.loads(element.get_attribute("data-camera"))


def test_the_minimap_shows_zoomed_in_outlines_the_view_and_moves_the_camera(browser, server):
    page, errors, element = _open_map(browser, server + "/map")
    assert element.get_attribute("data-minimap") == "hidden"  # the whole map is in view: no minimap
    zoom = _camera(element)["zoom"] + 2
    page2, errors2, element2 = _open_map(browser, server + f"/map?map_view=5000,5000,{zoom:.3f}")
    page2.wait_for_function(f"() => {ROOT_JS}.dataset.minimap === 'shown'", timeout=10_000)
    mini = page2.locator(MINIMAP)
    assert mini.is_visible()
    box = element2.bounding_box()
    x0, y0, x1, y1 = map(float, element2.get_attribute("data-minimap-view").split(","))
    assert x0 < 5000 < x1 and y0 < 5000 < y1
    assert abs((x1 - x0) - box["width"] / 2 ** zoom) < 0.02 * (x1 - x0)  # the outline is the part in view
    frame = page2.locator(".phylo-minimap-view").bounding_box()
    mbox = mini.bounding_box()
    assert mbox["x"] <= frame["x"] and frame["x"] + frame["width"] <= mbox["x"] + mbox["width"] + 1
    assert page2.evaluate(MINIMAP_PIXELS_JS)["any"] > 50  # the whole map's density is drawn
    screenshot(page2, "minimap")

    # A click on the minimap centres the camera there, keeps the zoom and writes the view into the URL.
    mini.click(position={"x": mbox["width"] * 0.25, "y": mbox["height"] * 0.75})
    grid = atlas.GRID
    page2.wait_for_function(f"() => Math.abs(JSON.parse({ROOT_JS}.dataset.camera).x - {grid * 0.25}) < {grid * 0.02}",
                            timeout=10_000)
    cam = _camera(element2)
    assert abs(cam["y"] - grid * 0.75) < grid * 0.02 and abs(cam["zoom"] - zoom) < 1e-3
    page2.wait_for_function("() => new URL(location.href).searchParams.get('map_view')", timeout=5_000)
    sent = atlas.Camera.from_url(parse_qs(urlparse(page2.url).query)["map_view"][0])
    assert sent is not None and abs(sent.x - cam["x"]) < 1 and abs(sent.y - cam["y"]) < 1
    page2.wait_for_function(f"() => {ROOT_JS}.dataset.minimapView !== {json.dumps(f'{x0:.1f},{y0:.1f},{x1:.1f},{y1:.1f}')}",
                            timeout=10_000)
    nx0, ny0, nx1, ny1 = map(float, element2.get_attribute("data-minimap-view").split(","))
    assert nx0 < cam["x"] < nx1 and ny0 < cam["y"] < ny1
    assert errors == errors2 == []


def test_base_models_only_keeps_the_roots_and_the_minimap_shows_where_they_are(browser, server):
    con = connect(open_bundle(DEMO))
    roots = len(atlas.matching_rows(con, atlas.MapFilter(base_only=True)))
    no_parent = con.execute("SELECT count(*) FROM models m WHERE NOT EXISTS "
                            "(SELECT 1 FROM edges e WHERE e.child = m.model_id)").fetchone()[0]
    assert 0 < roots < 25_000 and roots == no_parent
    page, errors, element = _open_map(browser, server + "/map")
    zoom = _camera(element)["zoom"]
    page2, errors2, element2 = _open_map(browser, server + f"/map?map_base=true&map_view=6500,3000,{zoom + 1.5:.3f}")
    page2.get_by_text(f"{roots:,} of 25,000 models match").first.wait_for(timeout=30_000)
    assert page2.get_by_role("switch", name="Base models only").is_checked()
    page2.wait_for_function(f"() => {ROOT_JS}.dataset.minimap === 'shown'", timeout=10_000)
    page2.wait_for_function(f"() => ({MINIMAP_PIXELS_JS})().blue > 20", timeout=10_000)
    page3, errors3, _ = _open_map(browser, server + f"/map?map_view=6500,3000,{zoom + 1.5:.3f}")
    page3.wait_for_function(f"() => {ROOT_JS}.dataset.minimap === 'shown'", timeout=10_000)
    assert page3.evaluate(MINIMAP_PIXELS_JS)["blue"] == 0  # no filter: no model stands out
    screenshot(page2, "map_base_models_only")
    assert errors == errors2 == errors3 == []


def test_the_network_of_a_map_selection_opens_from_the_panel(browser, server):
    polygon = atlas.format_polygon(atlas.box_polygon(3000, 3000, 4500, 4500))
    page, errors, _ = _open_map(browser, server + f"/map?map_sel={polygon}")
    panel = page.locator(".st-key-map_panel")
    link = panel.get_by_role("link", name="Similarity network of these")
    link.wait_for(timeout=30_000)
    href = link.get_attribute("href")
    assert href.startswith("network?net_around=a%20map%20selection&net_sel=")
    page2, errors2 = open_page(browser, f"{server}/{href}", wait_text="The models inside the map outline",
                               height=1080, width=1920)
    caption = page2.get_by_text("The models inside the map outline").first.inner_text()
    inside = int(caption.split(":")[1].split(".")[0].replace(",", "").strip())
    assert 500 < inside < 25_000
    page2.locator(".js-plotly-plot").first.wait_for(timeout=30_000)
    legend = page2.locator(".js-plotly-plot .legend").first.text_content()
    assert "lineage (parent → child)" in legend and "nearest in meaning" in legend
    page2.get_by_text("similarity links (grey)").first.wait_for(timeout=10_000)
    screenshot(page2, "network_of_selection")
    assert errors == errors2 == []


@pytest.fixture(scope="module")
def offline_family_trees(family_trees_bundle):
    with streamlit_server(family_trees_bundle, env_extra={"HF_HUB_OFFLINE": "1"}) as url:
        yield url


def test_a_real_models_papers_are_links_and_its_files_say_why_not_offline(browser, offline_family_trees,
                                                                            family_trees_bundle):
    model, arxiv = connect(open_bundle(family_trees_bundle)).execute(
        "SELECT model_id, arxiv FROM models WHERE len(arxiv) > 0 ORDER BY downloads DESC LIMIT 1").fetchone()
    page, errors = open_page(browser, f"{offline_family_trees}/family?fam_model={model}", wait_text="Papers:",
                             height=720, width=1280)
    a = page.locator(f'a[href="https://arxiv.org/abs/{arxiv[0]}"]').first
    a.wait_for(timeout=10_000)
    assert a.inner_text() == f"arXiv {arxiv[0]}"
    page.get_by_text("Ask the Hub", exact=True).first.click()
    page.get_by_text("Not listed: the Hub is not reachable from this site (offline mode).").first.wait_for(timeout=30_000)
    assert "fam_files=true" in page.url
    screenshot(page, "family_papers_files_offline")
    assert errors == []
