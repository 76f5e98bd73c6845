"""AppTest of the Licenses and Growth pages: the numbers they show, URL state, hostile URLs."""

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from core.bundle import open_bundle
from core.licenses import connect
from core.licenses import license_edges
from core.lineage.scope import EdgeScope
from tests.apptest import assert_clean as _clean
from tests.apptest import run_page as _run
from tests.conftest import ROOT

DEMO = ROOT / "data" / "demo"
LICENSES, GROWTH = "views/pages/licenses.py", "views/pages/growth.py"


def _metric(at: AppTest, label: str) -> int:
    return int(next(m.value for m in at.metric if m.label == label).replace(",", ""))


@pytest.fixture(scope="module")
def demo_edges():
    return license_edges(connect(open_bundle(DEMO)))


def _family_with_relaxations(edges) -> str:
    counts = edges[edges["relaxed"]].groupby("family").size().sort_values(ascending=False)
    return counts.index[0]


def test_licenses_counts_match_the_checker(demo_edges):
    at = _run(LICENSES)
    _clean(at)
    assert _metric(at, "Edges in scope") == len(demo_edges)
    assert _metric(at, "Child relaxes the terms") == int(demo_edges["relaxed"].sum()) > 0
    assert _metric(at, "Families with a relaxing edge") == demo_edges.loc[demo_edges["relaxed"], "family"].nunique()
    assert len(at.get("download_button")) == 3  # verdicts, edges, families


def test_licenses_audit_shows_every_verdict_and_a_model_s_chain():
    from core.licenses import license_chain, verdict_edges

    con = connect(open_bundle(DEMO))
    judged = verdict_edges(con)
    at = _run(LICENSES)
    _clean(at)
    for verdict in ("compatible", "obligation", "review", "violation"):
        assert _metric(at, verdict.capitalize()) == int((judged["verdict"] == verdict).sum())
    table = next(d.value for d in at.dataframe if "reasons" in d.value.columns)  # AppTest gives tables no key
    assert len(table) == min(2_000, int((judged["verdict"] == "violation").sum())) and set(table["verdict"]) == {"violation"}
    assert table["reasons"].str.len().gt(0).all()
    deep = con.execute("SELECT model_id FROM models WHERE depth >= 3 ORDER BY model_id LIMIT 1").fetchone()[0]
    at = _run(LICENSES, {"lic_chain": deep, "lic_verdict": "any"})
    _clean(at)
    chain = license_chain(con, deep)
    assert chain["generation"].max() >= 3
    shown = [m.value for m in at.markdown if "generation" in m.value]
    assert len(shown) == len(chain) and all(f"[**{v}**]" in line for v, line in zip(chain["verdict"], shown))
    assert len(next(d.value for d in at.dataframe if "reasons" in d.value.columns)) == min(2_000, len(judged))


def test_licenses_state_round_trips_through_the_url(demo_edges):
    family = _family_with_relaxations(demo_edges)
    params = {"lic_model": family, "lic_relation": "finetune", "lic_from": "2023-01-01", "lic_to": "2025-12-31",
              "lic_only": "false", "lic_parent_class": "commercial-restricted", "lic_child_class": "permissive"}
    at = _run(LICENSES, params)
    _clean(at)
    assert at.text_input(key="lic_model").value == family
    assert at.selectbox(key="lic_relation").value == "finetune"
    assert str(at.date_input(key="lic_from").value) == "2023-01-01" and str(at.date_input(key="lic_to").value) == "2025-12-31"
    assert at.toggle(key="lic_only").value is False
    assert at.selectbox(key="lic_parent_class").value == "commercial-restricted"
    assert at.selectbox(key="lic_child_class").value == "permissive"
    import datetime as dt

    from core.lineage import Relation

    scoped = license_edges(connect(open_bundle(DEMO)), EdgeScope(model=family, relation=Relation.FINETUNE,
                                                                 created_from=dt.date(2023, 1, 1),
                                                                 created_to=dt.date(2025, 12, 31)))
    assert _metric(at, "Edges in scope") == len(scoped) < len(demo_edges)
    shown = scoped[(scoped["parent_class"] == "commercial-restricted") & (scoped["child_class"] == "permissive")]
    assert any(f"**{len(shown):,}** edges" in m.value for m in at.markdown)


@pytest.mark.parametrize("params", [
    {"lic_model": "'; DROP TABLE edges; --"}, {"lic_relation": "<script>alert(1)</script>"},
    {"lic_from": "2024-13-45"}, {"lic_parent_class": "x" * 5000}, {"lic_only": "maybe"},
])
def test_licenses_hostile_url_values_give_a_clean_page(params):
    at = _run(LICENSES, params)
    assert not at.exception, at.exception
    assert any(m.label == "Edges in scope" for m in at.metric)
    if "lic_model" in params:
        assert any("No model" in w.value for w in at.warning)


def test_a_link_from_before_any_model_could_scope_still_opens_its_family(demo_edges):
    family = _family_with_relaxations(demo_edges)
    at = _run(LICENSES, {"lic_family": family})
    _clean(at)
    assert at.text_input(key="lic_model").value == family
    assert _metric(at, "Edges in scope") == len(demo_edges[demo_edges["family"] == family])


def _months() -> list[str]:
    first, last = duckdb.execute("SELECT min(created_at), max(created_at) FROM read_parquet(?)",
                                 [str(DEMO / "models.parquet")]).fetchone()
    import pandas as pd

    return [m.strftime("%Y-%m") for m in pd.date_range(pd.Timestamp(first.date()).replace(day=1), pd.Timestamp(last.date()), freq="MS")]


def test_growth_replay_month_and_choices_from_the_url():
    months = _months()
    month = months[len(months) // 2]
    at = _run(GROWTH, {"grow_month": month, "grow_split": "license class", "grow_cum": "false", "grow_top": "5",
                       "grow_graph": "fine-tunes only", "grow_families": "4", "grow_log": "true", "grow_color": "task"})
    _clean(at)
    assert at.select_slider(key="grow_month").value == month
    assert at.button_group(key="grow_split").value == "license_class"
    assert at.button_group(key="grow_graph").value == "finetune"
    assert at.toggle(key="grow_cum").value is False and at.toggle(key="grow_log").value is True
    assert at.number_input(key="grow_top").value == 5 and at.number_input(key="grow_families").value == 4
    assert at.selectbox(key="grow_color").value == "task"
    import pandas as pd

    end = (pd.Timestamp(month + "-01") + pd.offsets.MonthEnd(0)).date()
    n = duckdb.execute("SELECT count(*) FROM read_parquet(?) WHERE created_at::DATE <= ?",
                       [str(DEMO / "models.parquet"), end]).fetchone()[0]
    assert any(f"**{n:,}** models created by the end of {month}" in m.value for m in at.markdown)


def test_growth_slider_writes_the_url():
    months = _months()
    at = _run(GROWTH)
    assert at.select_slider(key="grow_month").value == months[-1]
    at.select_slider(key="grow_month").set_value(months[3]).run()
    _clean(at)
    assert at.query_params["grow_month"] == [months[3]] or at.query_params["grow_month"] == months[3]


@pytest.mark.parametrize("params", [
    {"grow_month": "1999-01"}, {"grow_month": "'; DROP TABLE models; --"}, {"grow_top": "1e400"},
    {"grow_families": "-5"}, {"grow_split": "<img src=x>"}, {"grow_color": "nope"},
])
def test_growth_hostile_url_values_give_a_clean_page(params):
    at = _run(GROWTH, params)
    _clean(at)
    assert at.select_slider(key="grow_month").value == _months()[-1] or "grow_month" not in params


def test_growth_shows_the_hubs_recorded_totals(tmp_path, monkeypatch):
    from core.evolution.totals import Totals, record
    from views import cache

    monkeypatch.setenv("PHYLO_CACHE", str(tmp_path))
    record(Totals("2022-09-30", "Hub listing 2022-10", "build", 74_970), tmp_path)
    record(Totals("2024-07-11", "Hub listing 2024-07", "crawl", 760_000), tmp_path)
    cache.hub_history.clear()
    at = _run(GROWTH)
    _clean(at)
    assert any(s.value == "The Hub's recorded size" for s in at.subheader)
    table = next(d.value for d in at.dataframe if "kind" in d.value.columns)
    assert table["models"].tolist() == [760_000, 74_970]  # newest first
    cache.hub_history.clear()
