"""The Overview in headless Chromium: rendered, no exception, charts drawn, on the demo and the 760k listing."""

import pytest

from tests.browser.conftest import open_page, screenshot, streamlit_server


@pytest.mark.parametrize("which", ["demo", "listing"])
def test_overview_renders_in_chromium(browser, request, which):
    bundle = None if which == "demo" else request.getfixturevalue("listing_bundle")
    expected = "25,000" if which == "demo" else "760,000"
    with streamlit_server(bundle) as url:
        page, errors = open_page(browser, url + "/?ov_split=library&ov_cumulative=true", wait_text="Growth", height=3200)
        page.get_by_text(expected).first.wait_for(timeout=60_000)
        assert page.locator("[data-testid=stException]").count() == 0
        assert page.locator("[data-testid=stAlertContentError]").count() == 0
        # Plotly drew its three charts (edge mix, shares, growth), each with plotted marks inside.
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 3", timeout=60_000)
        page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].every("
                               "p => p.querySelectorAll('.point, .trace path').length > 0)", timeout=60_000)
        screenshot(page, f"overview_{which}")
        assert errors == []


def test_every_page_has_its_own_address_and_keeps_its_query(browser):
    """/overview is the Overview (no "Page not found"), / lands there with its query string, and a visitor gets the
    viewer's toolbar (no Deploy button)."""
    with streamlit_server() as url:
        page, errors = open_page(browser, url + "/overview?ov_trait=Language", wait_text="What models are")
        assert page.get_by_text("Page not found").count() == 0
        assert page.url.endswith("/overview?ov_trait=Language")
        assert page.get_by_text("Deploy", exact=True).count() == 0
        page.goto(url + "/?ov_trait=Language&bundle=demo")
        page.wait_for_url("**/overview?*", timeout=60_000)
        page.get_by_text("What models are").first.wait_for(timeout=60_000)
        assert "ov_trait=Language" in page.url and page.get_by_text("Page not found").count() == 0
        page.goto(url + "/resemblance?res_family=nobody%2Fnothing")
        page.get_by_text("Are related models more alike").first.wait_for(timeout=60_000)
        assert page.url.endswith("/resemblance?res_family=nobody%2Fnothing")
        screenshot(page, "direct_url_resemblance")
        assert errors == []
