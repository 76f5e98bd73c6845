"""The Growth page's replay in headless Chromium: the map shows the models created up to the chosen month, and Play steps on."""

import pytest

from tests.browser.conftest import open_page, screenshot, streamlit_server
from tests.conftest import ROOT

DRAWN = ("() => { const r = [...document.querySelectorAll('*')].map(e => e.shadowRoot && "
         "e.shadowRoot.querySelector('.phylo-map')).find(Boolean); return r ? (r.dataset.drawn || '') : ''; }")


@pytest.fixture(scope="module")
def server():
    with streamlit_server(ROOT / "data" / "demo") as url:
        yield url


def test_replay_draws_the_chosen_month_and_plays(browser, server):
    page, errors = open_page(browser, server + "/growth?grow_month=2023-06", wait_text="models created by the end of 2023-06",
                             height=2200)
    # The drawn key ends with the last day shown, counted from 2015-01-01: 2023-06-30.
    import datetime as dt

    until = (dt.date(2023, 6, 30) - dt.date(2015, 1, 1)).days
    page.wait_for_function(f"() => ({DRAWN})().endsWith('|{until}')", timeout=60_000)
    screenshot(page, "growth_demo")
    page.get_by_text("Play", exact=True).click()
    page.wait_for_function(f"() => {{ const k = ({DRAWN})(); return k && !k.endsWith('|{until}'); }}", timeout=60_000)
    later = int(page.evaluate(DRAWN).rsplit("|", 1)[1])
    assert later > until
    assert "grow_month=2023-0" in page.url or "grow_month=2023-1" in page.url
    assert page.locator("[data-testid=stException]").count() == 0
    assert errors == []


def test_replay_stops_at_the_last_month(browser, server):
    import datetime as dt

    import duckdb
    from playwright.sync_api import expect

    last = duckdb.execute("SELECT strftime(max(created_at), '%Y-%m') FROM read_parquet(?)",
                          [str(ROOT / "data" / "demo" / "models.parquet")]).fetchone()[0]
    year, month = map(int, last.split("-"))
    before = f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}"
    last_day = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.date(2015, 1, 1)).days - 1  # the last month's end
    page, errors = open_page(browser, server + f"/growth?grow_month={before}",
                             wait_text=f"models created by the end of {before}", height=2200)
    page.get_by_text("Play", exact=True).click()
    # The replay's end as the page shows it, at whatever pace the machine keeps: the map drawn up to the last month's
    # end, Play switched itself off (the fragment has no timer any more) and the run that switched it off finished.
    at_rest = ("() => { const t = [...document.querySelectorAll('input[type=checkbox]')]"
               ".find(i => i.closest('label')?.innerText.includes('Play'));"
               f" return !!t && !t.checked && ({DRAWN})().endsWith('|{last_day}')"
               " && !document.querySelector('[data-testid=stStatusWidget]'); }")
    page.wait_for_function(at_rest, timeout=180_000)
    expect(page.get_by_text(f"models created by the end of {last}")).to_have_count(1)
    expect(page.get_by_text(f"models created by the end of {before}")).to_have_count(0)
    expect(page.locator("[data-testid=stException]")).to_have_count(0)
    assert page.evaluate(at_rest)  # still at rest: no step after the last month
    assert errors == []


def test_a_click_on_the_replay_opens_the_model_on_the_map(browser, server):
    import io

    import numpy as np
    from PIL import Image

    page, errors = open_page(browser, server + "/growth", wait_text="models created by the end of", height=2200)
    page.wait_for_function(f"() => ({DRAWN})().length > 0", timeout=60_000)
    canvas = page.locator(".phylo-map").first
    img = np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("L"))
    ys, xs = np.nonzero(img < 200)
    box = canvas.bounding_box()
    i = np.argsort((xs - np.median(xs)) ** 2 + (ys - np.median(ys)) ** 2)[0]
    page.mouse.click(box["x"] + float(xs[i]), box["y"] + float(ys[i]))
    page.get_by_text("Open on the Hub").first.wait_for(timeout=30_000)
    assert "/map" in page.url and "map_model=" in page.url
    assert page.locator("[data-testid=stException]").count() == 0
    assert errors == []
