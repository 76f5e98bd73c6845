"""AppTest smoke tests: every page renders on the demo bundle, whatever the URL says."""

import re
from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import run_page
from tests.conftest import ROOT

PAGES = ["views/pages/overview.py", "views/pages/map.py", "views/pages/family.py", "views/pages/resemblance.py", "views/pages/drift.py",
         "views/pages/licenses.py", "views/pages/growth.py"]


def _run(params: dict | None = None, page: str | None = None) -> AppTest:
    return run_page(page, params)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(page):
    at = _run(page=page)
    assert not at.exception, at.exception
    assert not at.error


def test_overview_shows_the_bundle_counts():
    at = _run()
    values = {m.label: m.value for m in at.metric}
    assert values["Models"] == "25,000"
    assert any("synthetic" in w.value for w in at.warning)


def test_overview_widgets_follow_the_url():
    at = _run({"ov_graph": "without merges", "ov_trait": "Language", "ov_top": "7"})
    assert at.number_input(key="ov_top").value == 7
    assert at.button_group(key="ov_trait").value == "languages" if hasattr(at, "button_group") else True


@pytest.mark.parametrize("params", [
    {"ov_top": "99999999999999999999"},
    {"ov_top": "1e400"},
    {"ov_families": "nan"},
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


def _demo_model(rank: int = 0) -> str:
    import duckdb

    return duckdb.execute("SELECT model_id FROM read_parquet(?) WHERE n_children > 0 ORDER BY downloads DESC LIMIT 1 OFFSET ?",
                          [str(ROOT / "data" / "demo" / "models.parquet"), rank]).fetchone()[0]


MAP_STATE = {
    "map_q": "lab", "map_license": "permissive", "map_task": "text-generation", "map_library": "transformers",
    "map_min_dl": "5", "map_min_likes": "1", "map_from": "2023-01-01", "map_to": "2025-06-30", "map_base": "true",
    "map_color": "license class", "map_size": "downloads", "map_find": "Atlas", "map_similar": "true",
}


def test_map_state_round_trips_through_the_url():
    model = _demo_model()
    at = _run({**MAP_STATE, "map_model": model, "map_family": model}, page="views/pages/map.py")
    assert not at.exception, at.exception
    assert at.text_input(key="map_q").value == "lab"
    assert at.selectbox(key="map_license").value == "permissive"
    assert at.selectbox(key="map_task").value == "text-generation"
    assert at.selectbox(key="map_library").value == "transformers"
    assert at.number_input(key="map_min_dl").value == 5 and at.number_input(key="map_min_likes").value == 1
    assert str(at.date_input(key="map_from").value) == "2023-01-01" and str(at.date_input(key="map_to").value) == "2025-06-30"
    assert at.toggle(key="map_base").value is True and at.toggle(key="map_similar").value is True
    assert at.selectbox(key="map_color").value == "license" and at.selectbox(key="map_size").value == "downloads"
    assert at.text_input(key="map_model").value == model and at.text_input(key="map_family").value == model
    assert any("models match" in m.value for m in at.markdown)


def test_a_url_selection_opens_its_panel_and_only_these_dims_the_rest():
    box = "0,0;9999,0;9999,5000;0,5000"
    at = _run({"map_sel": box, "map_view": "5000,2500,-2.1"}, page="views/pages/map.py")
    assert not at.exception, at.exception
    count = next(int(m.value.split()[1].replace(",", "")) for m in at.markdown if "models selected" in m.value)
    assert 0 < count < 25_000
    assert at.toggle(key="map_only_sel").value is False
    at = _run({"map_sel": box, "map_only_sel": "true"}, page="views/pages/map.py")
    assert any(f"{count:,} of 25,000 models match — the rest are dimmed" in m.value for m in at.markdown)


@pytest.mark.parametrize("params", [
    {"map_min_dl": "1e400"}, {"map_from": "2024-13-45"}, {"map_license": "'; DROP TABLE models; --"},
    {"map_model": "no/such-model' OR 1=1 --"}, {"map_q": "%_\\'\""}, {"map_color": "<img src=x>"},
    {"map_family": "x" * 5000}, {"map_find": "' UNION SELECT 1 --"}, {"map_sel": "1,2;x,3;4,5"}, {"map_sel": "9" * 20_000},
    {"map_sel": "-1,-1;1e9,0;5,5", "map_only_sel": "yes"}, {"map_view": "nan,1,2"}, {"map_view": "1,2,3,4"},
    {"map_color": "density", "map_3d": "true", "map_sel": "0,0;100,0;100,100"}, {"map_sel": "--1,0;0,0;0,1"},
    {"map_sel": "1" + "0" * 5000 + ",0;0,0;0,1"}, {"map_sel": "0,0;99,0;99,99", "map_sel_mix": "<script>"},
    {"map_only_sel": "true"}, {"map_view": "5000,5000,-2,5000,30,25", "map_3d": "true"},
])
def test_map_hostile_url_values_give_a_clean_page(params):
    at = _run(params, page="views/pages/map.py")
    assert not at.exception, at.exception
    assert any("models match" in m.value for m in at.markdown)


def test_family_state_from_the_url():
    model = _demo_model()
    at = _run({"fam_model": model, "fam_scope": "whole family", "fam_k": "5", "fam_depth": "3", "fam_color": "task"},
              page="views/pages/family.py")
    assert not at.exception, at.exception
    assert at.text_input(key="fam_model").value == model
    assert at.slider(key="fam_k").value == 5 and at.slider(key="fam_depth").value == 3
    assert at.button_group(key="fam_scope").value == "family" and at.button_group(key="fam_color").value == "task"
    assert any(m.label == "Models" for m in at.metric)
    assert len(at.get("download_button")) == 4


def test_family_link_restores_the_clicked_node():
    import duckdb

    model = _demo_model()
    child = duckdb.execute("SELECT child FROM read_parquet(?) WHERE parent = ? LIMIT 1",
                           [str(ROOT / "data" / "demo" / "edges.parquet"), model]).fetchone()[0]
    at = _run({"fam_model": model, "fam_focus": child}, page="views/pages/family.py")
    assert not at.exception, at.exception
    assert any(child in m.value for m in at.markdown)
    assert any(b.label == "Centre the tree here" for b in at.button)


@pytest.mark.parametrize("params", [
    {"fam_model": "no/such'; DROP TABLE edges; --"}, {"fam_k": "1e9"}, {"fam_depth": "-3"},
    {"fam_expand": "|".join(["x"] * 500)}, {"fam_scope": "<b>"}, {"fam_find": "%%%"}, {"fam_focus": "no/such"},
])
def test_family_hostile_url_values_give_a_clean_page(params):
    at = _run(params, page="views/pages/family.py")
    assert not at.exception, at.exception
    assert any(s.value.startswith("Largest families") for s in at.subheader)


@pytest.mark.parametrize("page", PAGES)
def test_a_broken_bundle_gives_one_clear_message_on_every_page(page, tmp_path, monkeypatch):
    import shutil

    import streamlit as st

    broken = tmp_path / "broken"
    shutil.copytree(ROOT / "data" / "demo", broken)
    (broken / "edges.parquet").write_bytes(b"truncated")
    monkeypatch.setenv("PHYLO_BUNDLE", str(broken))
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = _run(page=page)
        assert not at.exception, at.exception
        assert [e.value for e in at.error] == [f"{broken}/edges.parquet has 9 bytes, its manifest says "
                                               f"{(ROOT / 'data' / 'demo' / 'edges.parquet').stat().st_size:,}: "
                                               "the file is truncated or not this bundle's"]
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


@pytest.mark.parametrize("fetched", [False, True])
def test_the_space_serves_its_hub_bundle_or_says_why_not(fetched, tmp_path, monkeypatch):
    import shutil

    import streamlit as st

    from core.hub.fetch import fetch

    monkeypatch.setenv("PHYLO_BUNDLE_REPO", "someone/phylo-hub")
    monkeypatch.setenv("PHYLO_CACHE", str(tmp_path))
    copy = tmp_path / "snapshots" / "abc123"
    shutil.copytree(ROOT / "data" / "demo", copy)

    def download(repo, revision, cache_dir):
        if not fetched:
            raise ConnectionError("Failed to resolve 'huggingface.co'")
        return str(copy)

    fetch("someone/phylo-hub", download=download, log=lambda _: None)
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = _run()
        assert not at.exception and not at.error
        banner = [w.value for w in at.warning if "should show the bundle" in w.value]
        if fetched:
            assert banner == [] and at.selectbox(key="bundle").value == "phylo-hub"
        else:
            assert banner == ["This site should show the bundle **someone/phylo-hub** from the Hub, but it is not here: "
                              "ConnectionError: Failed to resolve 'huggingface.co'. You are looking at the bundled data instead."]
            assert at.selectbox(key="bundle").value == "demo"
        assert {m.label: m.value for m in at.metric}["Models"] == "25,000"
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def test_a_public_site_s_settings():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] == "viewer"  # no Deploy button, no developer menu for visitors
    assert config["server"]["enableXsrfProtection"] is True and config["server"]["enableCORS"] is True
    assert config["server"]["disconnectedSessionTTL"] <= 300


@pytest.mark.parametrize("around", ["its nearest models", "its family"])
def test_network_page_draws_a_models_neighbourhood_or_family(around):
    at = _run({"net_model": "pebble-urchin/Pulsar-1B-1", "net_around": around, "net_n": "80"},
              page="views/pages/network.py")
    assert not at.exception and not at.error
    line = next(c.value for c in at.caption if "similarity links" in c.value)
    assert line.startswith("81 models") if around == "its nearest models" else "lineage edges" in line


@pytest.mark.parametrize("box", [(3000, 3000, 4500, 4500), (0, 0, 9999, 9999)])  # ~1,000 models; all 25,000
def test_network_page_draws_the_models_inside_a_map_outline(box):
    """From the map panel's link: the outline's models (its 20,000 most downloaded), grouped beyond 1,500."""
    from core.atlas import box_polygon, format_polygon
    from core.atlas.geometry import polygon_rows
    from views.cache import map_geometry, selection_network
    from views.links import network_of_selection

    polygon = format_polygon(box_polygon(*box))
    path = str(ROOT / "data" / "demo")
    inside = len(polygon_rows(map_geometry(path), polygon))
    assert 0 < inside
    page, query = network_of_selection(polygon).split("?")
    assert page == "network"
    at = _run({k: v[0] for k, v in parse_qs(query).items()}, page="views/pages/network.py")  # the link, followed
    assert not at.exception and not at.error
    head = next(c.value for c in at.caption if c.value.startswith("The models inside the map outline"))
    assert f"{inside:,}" in head and (("20,000 most downloaded" in head) == (inside > 20_000))
    line = next(c.value for c in at.caption if "similarity links" in c.value)
    assert line.startswith(f"{min(inside, 20_000):,} models") if inside <= 1_500 else "groups" in line
    net, n = selection_network(path, polygon, 4)
    assert n == inside and (net.aggregated == (inside > 1_500))
    if net.aggregated:  # lineage between groups in three widths by how many edges join them, every link drawn once
        import json

        traces = [t for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]
                  if t.get("name", "").startswith("lineage")]
        assert [t["name"] for t in traces] == ["lineage: 1–2 edges", "lineage: 3–9 edges", "lineage: 10+ edges"]
        assert [t["line"]["width"] for t in traces] == sorted(t["line"]["width"] for t in traces)
        drawn = sum(t.get("x", []).count(None) for t in traces)
        assert drawn == int((net.edges["kind"] == "lineage").sum()) > 0


@pytest.mark.parametrize("sel", ["", "1,2;3", "'; DROP TABLE models; --", "9" * 400])
def test_network_of_a_selection_without_an_outline_says_how_to_make_one(sel):
    at = _run({"net_around": "a map selection", "net_sel": sel}, page="views/pages/network.py")
    assert not at.exception and not at.error
    assert any("Draw a box or lasso on the map" in c.value for c in at.caption)


def test_paper_links_only_for_well_formed_arxiv_ids():
    from views.links import papers

    got = papers(["2104.01778", "1810.04805v2", "evil](javascript:alert(1))", "hep-th/9901001", "2104.01778"])
    assert [a for a, _, _ in got] == ["2104.01778", "1810.04805v2", "hep-th/9901001"]
    assert got[1][1:] == ("https://arxiv.org/abs/1810.04805v2", "https://huggingface.co/papers/1810.04805")
    assert papers(None) == []


def test_family_lists_files_only_when_asked_and_says_why_offline(monkeypatch):
    from views import cache

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache.model_files.clear()
    at = _run({"fam_model": "pebble-urchin/Pulsar-1B-1"}, page="views/pages/family.py")
    assert not at.exception and not any("Not listed" in c.value for c in at.caption)
    at = _run({"fam_model": "pebble-urchin/Pulsar-1B-1", "fam_files": "true"}, page="views/pages/family.py")
    assert not at.exception
    assert any(c.value == "Not listed: the Hub is not reachable from this site (offline mode)." for c in at.caption)


@pytest.fixture
def family_trees(family_trees_bundle, monkeypatch):
    from tests.apptest import serve

    yield from serve(family_trees_bundle, monkeypatch)


def test_family_panel_cites_papers_with_the_hubs_titles_as_plain_text(family_trees, family_trees_bundle, monkeypatch):
    """A real model's arXiv tags become links; asked, the Hub's titles follow them, markup in a title escaped."""
    import pandas as pd

    from core.bundle import open_bundle
    from core.hub.files import RepoFiles
    from core.licenses import connect
    from views import cache
    from views.cache import hub

    model, arxiv = connect(open_bundle(family_trees_bundle)).execute(
        "SELECT model_id, arxiv FROM models WHERE len(arxiv) > 1 ORDER BY downloads DESC LIMIT 1").fetchone()
    asked = []
    hostile = "[click](javascript:alert(1)) <img src=x onerror=alert(1)>"
    monkeypatch.setattr(hub, "paper_titles", lambda ids: asked.append(ids) or {ids[0]: "A title", ids[1]: hostile})
    listing = RepoFiles(pd.DataFrame({"path": ["model.safetensors", "x*y"], "kind": ["file", "file"],
                                      "format": ["safetensors weights", "[a](javascript:b)"], "bytes": [90, 10]}))
    monkeypatch.setattr(hub, "repo_files", lambda model_id: listing)
    cache.papers.clear()
    cache.model_files.clear()
    at = _run({**family_trees, "fam_model": model}, page="views/pages/family.py")
    assert not at.exception and not at.error
    line = next(m.value for m in at.markdown if m.value.startswith("Papers: "))
    assert f"[arXiv {arxiv[0]}](https://arxiv.org/abs/{arxiv[0]})" in line and "*A title*" not in line and asked == []
    at = _run({**family_trees, "fam_model": model, "fam_files": "true"}, page="views/pages/family.py")
    assert not at.exception and not at.error
    line = next(m.value for m in at.markdown if m.value.startswith("Papers: "))
    assert asked and f"[arXiv {arxiv[0]}](https://arxiv.org/abs/{arxiv[0]}) *A title*" in line
    # Every markup character of the hostile title is escaped: no link, no HTML.
    assert re.search(r"(?<!\\)\]\(javascript", line) is None and re.search(r"(?<!\\)<img", line) is None
    assert "\\[click\\]\\(javascript\\:alert\\(1\\)\\) \\<img src=x onerror=alert\\(1\\)\\>" in line
    # The files, described in one line whose format names (from the repository's file names) are plain text.
    assert ("2 files, 100 bytes; most of it safetensors weights \\(90%\\), \\[a\\]\\(javascript\\:b\\) \\(10%\\)."
            in [c.value for c in at.caption])
