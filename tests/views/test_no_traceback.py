"""No traceback reaches a user: every button on every page of the demo is clicked, and a page that fails shows one
line (the traceback goes to the server's log)."""

from __future__ import annotations

import pytest

from tests.apptest import assert_clean, run_page

PAGES = ["views/pages/overview.py", "views/pages/map.py", "views/pages/family.py", "views/pages/resemblance.py",
         "views/pages/drift.py", "views/pages/licenses.py", "views/pages/growth.py", "views/pages/network.py",
         "views/pages/changes.py"]
# Pages whose buttons appear once a model is picked: opened on one of the demo's deeper models.
PICKED = {"views/pages/family.py": {"fam_model": "pebble-urchin/Pulsar-1B-1", "fam_find": "Pulsar"},
          "views/pages/network.py": {"net_model": "pebble-urchin/Pulsar-1B-1"}}


@pytest.mark.parametrize("page", PAGES)
def test_every_button_on_every_page(page):
    at = run_page(page, PICKED.get(page))
    assert_clean(at)
    keys = [b.key for b in at.button if b.key]
    if page == "views/pages/family.py":  # the search's results are buttons: each one picks a model
        assert sum(k.startswith("fam_found_") for k in keys) >= 2
    for key in keys:
        at = run_page(page, PICKED.get(page))
        buttons = [b for b in at.button if b.key == key]
        if not buttons:
            continue
        buttons[0].click()
        at.run()
        assert not at.exception, (page, key, at.exception)


def test_a_failing_page_shows_one_line_not_a_traceback(monkeypatch, caplog):
    from views import cache

    def broken(*args, **kwargs):
        raise RuntimeError("the bundle's edges cannot be read")

    monkeypatch.setattr(cache, "edge_mix", broken)
    at = run_page("views/pages/overview.py")
    assert not at.exception
    assert [e.value for e in at.error] == [
        "This page could not be shown (RuntimeError). The details are in the server's log; try another view, or reload."]
    assert "the bundle's edges cannot be read" in caplog.text  # the traceback is logged for whoever runs the server
