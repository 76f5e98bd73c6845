"""AppTest smoke tests: every page renders on the demo bundle, whatever the URL says."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")
PAGES = ["views/overview.py"]


def _run(params: dict | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page).run()
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(page):
    at = _run(page=page)
    assert not at.exception, at.exception
    assert not at.error


def test_overview_shows_the_bundle_counts():
    at = _run()
    values = {m.label: m.value for m in at.metric}
    assert values["Models"] == "30,000"
    assert any("synthetic" in w.value for w in at.warning)


def test_overview_widgets_follow_the_url():
    at = _run({"ov_graph": "without merges", "ov_trait": "Language", "ov_top": "7"})
    assert at.number_input(key="ov_top").value == 7
    assert at.button_group(key="ov_trait").value == "languages" if hasattr(at, "button_group") else True


@pytest.mark.parametrize("params", [
    {"ov_top": "99999999999999999999"},
    {"ov_top": "-4"},
    {"ov_trait": "'; DROP TABLE models; --"},
    {"ov_graph": "<script>alert(1)</script>"},
    {"bundle": "../../../etc"},
    {"ov_cumulative": "maybe", "ov_families": "1e308"},
])
def test_hostile_url_values_give_a_clean_page(params):
    at = _run(params)
    assert not at.exception, at.exception
    assert [m.label for m in at.metric][:1] == ["Models"]
