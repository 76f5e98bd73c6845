"""AppTest of the Changes page: two bundles picked by URL, the model counts, each view, and one bundle alone."""

import pytest

from core.precompute import build_bundle
from tests.apptest import assert_clean, run_page
from tests.conftest import write_jsonl

CHANGES = "views/pages/changes.py"


@pytest.fixture(scope="module")
def two_snapshots(tmp_path_factory):
    root = tmp_path_factory.mktemp("changes")
    build_bundle(write_jsonl(root / "old.jsonl", [
        {"modelId": "gpt2", "creation_time": "2019-01-01T00:00:00Z", "task_category": "text-generation"},
        {"modelId": "gone/x", "downloads": 5}]), root / "bundles" / "snap_2022")
    build_bundle(write_jsonl(root / "new.jsonl", [
        {"id": "openai-community/gpt2", "pipeline_tag": "text-generation", "tags": ["license:mit"]},
        {"id": "a/ft", "tags": ["base_model:openai-community/gpt2"]},
        {"id": "new/root", "downloads": 50}]), root / "bundles" / "snap_2024")
    return root / "bundles"


@pytest.fixture
def served(two_snapshots, monkeypatch):
    from views import cache

    monkeypatch.setenv("PHYLO_BUNDLES", str(two_snapshots))
    cache.available_bundles.clear()
    yield
    cache.available_bundles.clear()


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def test_two_bundles_from_the_url_show_the_diff(served):
    at = run_page(CHANGES, {"chg_old": "snap_2022", "chg_new": "snap_2024"})
    assert_clean(at)
    assert _metrics(at) == {"Kept": "0", "Renamed": "1", "Added": "2", "Removed": "1"}
    renamed = next(d.value for d in at.dataframe if "old_id" in d.value.columns)
    assert renamed.to_dict("records") == [{"old_id": "gpt2", "new_id": "openai-community/gpt2", "match": "redirect"}]


@pytest.mark.parametrize("view", ["Families", "Edges", "Counts"])
def test_each_view_draws(served, view):
    at = run_page(CHANGES, {"chg_old": "snap_2022", "chg_new": "snap_2024", "chg_view": view})
    assert_clean(at)
    if view == "Families":
        grow = next(d.value for d in at.dataframe if "growth" in d.value.columns)
        assert grow["family"].tolist() == ["openai-community/gpt2"]
    if view == "Counts":
        counts = at.dataframe[0].value.set_index("value")
        assert counts.loc["(none)", "new"] == 3  # no model of the newer one names a library


def test_the_same_bundle_twice_asks_for_two(served):
    at = run_page(CHANGES, {"chg_old": "snap_2024", "chg_new": "snap_2024"})
    assert_clean(at)
    assert any("two different" in i.value for i in at.info)
