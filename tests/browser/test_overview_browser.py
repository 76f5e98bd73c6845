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
