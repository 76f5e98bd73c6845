"""Running a page of the app in AppTest, as the page tests share it."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")


def run_page(page: str | None = None, params: dict | None = None) -> AppTest:
    """The app run once on ``page`` (the default page when None) with ``params`` in its URL."""
    at = AppTest.from_file(APP, default_timeout=180)
    if page:
        at.switch_page(page)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    return at


def assert_clean(at: AppTest) -> None:
    """No exception and no error message on the page."""
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def serve(folder, monkeypatch):
    """For a fixture to ``yield from``: the app serves the bundle at ``folder`` (as PHYLO_BUNDLE) until the test
    ends; yields the URL parameter that opens it."""
    from views import cache

    monkeypatch.setenv("PHYLO_BUNDLE", str(folder))
    cache.available_bundles.clear()
    yield {"bundle": folder.name}
    cache.available_bundles.clear()
