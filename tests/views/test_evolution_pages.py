"""AppTest of the Resemblance and Drift pages: widgets by key, URL state, hostile URLs, a bundle without cards."""

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import assert_clean as _clean, serve
from tests.apptest import run_page as _run
from tests.conftest import ROOT

DEMO = ROOT / "data" / "demo"
RESEMBLANCE, DRIFT = "views/pages/resemblance.py", "views/pages/drift.py"
COMPARE = {"res_view": "Compare two models"}


def _largest_family() -> str:
    return duckdb.execute("SELECT family FROM read_parquet(?) ORDER BY size DESC, family LIMIT 1",
                          [str(DEMO / "families.parquet")]).fetchone()[0]


def _edge(relation: str = "finetune") -> tuple[str, str]:
    return duckdb.execute("SELECT parent, child FROM read_parquet(?) WHERE parent_in_snapshot AND relation = ? "
                          "ORDER BY child LIMIT 1", [str(DEMO / "edges.parquet"), relation]).fetchone()


def _frame(at: AppTest, column: str) -> pd.DataFrame | None:
    """The first table shown with ``column`` (AppTest gives dataframes no key)."""
    return next((d.value for d in at.dataframe if column in d.value.columns), None)


def _metric_int(at: AppTest, label: str) -> int:
    return int(next(m.value for m in at.metric if m.label == label))


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


# ---- Resemblance --------------------------------------------------------------------------------------------------

def test_resemblance_default_view_reads_the_precomputed_table():
    at = _run(RESEMBLANCE)
    _clean(at)
    assert "beats random" in _markdown(at) and "parent–child" in _markdown(at)
    shown = _frame(at, "reference")
    stored = pd.read_parquet(DEMO / "resemblance.parquet").query("trait == 'metadata'")
    assert len(shown) == len(stored) == 18
    assert shown["mean"].round(6).tolist() == stored["mean"].round(6).tolist()
    assert shown["reference"].notna().all()


def test_resemblance_findings_follow_the_numbers():
    stored = pd.read_parquet(DEMO / "resemblance.parquet").query("trait == 'metadata'").drop(columns="trait")
    at = _run(RESEMBLANCE)
    text = _markdown(at)
    random_mean = stored[stored["relative"] == "random"].set_index("measure")["mean"]
    related = stored[stored["relative"] != "random"]
    above = sum(m > random_mean[k] for k, m in zip(related["measure"], related["mean"]))
    assert f"{above} of {len(related)}" in text
    means = stored.set_index(["relative", "measure"])["mean"]
    wins = sum(means["siblings", m] > means["parent-child", m] for m in ("levenshtein", "bow", "tfidf"))
    assert f"on {wins} of 3 measures" in text


def test_resemblance_widgets_driven_by_key():
    at = _run(RESEMBLANCE)
    at.text_input(key="res_model").set_value(_largest_family())
    at.selectbox(key="res_relation").set_value("adapter")
    at.selectbox(key="res_task").set_value("text-generation")
    at.button_group(key="res_trait").set_value("cards")
    at.run()
    _clean(at)
    assert not at.warning
    frame = _frame(at, "reference")
    assert frame["n"].gt(0).any() or any("No pair" in i.value for i in at.info)
    few = frame[(frame["n"] > 0) & (frame["distinct_pairs"] < frame["n"] / 10)]
    assert any("Few distinct pairs" in i.value for i in at.info) == (len(few) > 0)
    at.button_group(key="res_trait").set_value("metadata")
    at.selectbox(key="res_relation").set_value("finetune")
    at.run()
    _clean(at)
    assert len(_frame(at, "reference")) == 18


def test_resemblance_state_from_the_url():
    family = _largest_family()
    parent, child = _edge()
    at = _run(RESEMBLANCE, {"res_model": family, "res_relation": "quantized", "res_task": "text-generation",
                            "res_trait": "model cards", "res_a": child, "res_b": parent, **COMPARE})
    _clean(at)
    assert at.text_input(key="res_model").value == family
    assert at.selectbox(key="res_relation").value == "quantized"
    assert at.selectbox(key="res_task").value == "text-generation"
    assert at.button_group(key="res_trait").value == "cards"
    assert at.text_input(key="res_a").value == child and at.text_input(key="res_b").value == parent
    fields = _frame(at, "differs")
    assert list(fields.columns) == ["field", "A", "B", "differs"]
    assert "metadata fields differ" in _markdown(at)
    assert [m.label for m in at.metric][:3] == ["Levenshtein", "bag of words", "TF-IDF"]


def test_resemblance_quick_picks_fill_the_compare_view():
    at = _run(RESEMBLANCE, COMPARE)
    assert _frame(at, "reference") is None  # only the open tab runs
    at.button(key="res_pick_siblings").click().run()
    _clean(at)
    a, b = at.text_input(key="res_a").value, at.text_input(key="res_b").value
    assert a and b and a != b
    assert len(_frame(at, "differs")) == 7
    at.button(key="res_pick_parent-child").click().run()
    _clean(at)
    a, b = at.text_input(key="res_a").value, at.text_input(key="res_b").value
    parents = duckdb.execute("SELECT parent FROM read_parquet(?) WHERE child = ?", [str(DEMO / "edges.parquet"), b]).fetchall()
    assert (a,) in parents
    child = b
    at.text_input(key="res_a").set_value(child).run()
    at.button(key="res_pick_parent").click().run()
    _clean(at)
    assert at.text_input(key="res_a").value == child
    assert (at.text_input(key="res_b").value,) in parents


@pytest.mark.parametrize("params", [
    {"res_model": "'; DROP TABLE models; --"},
    {"res_relation": "1e400"},
    {"res_task": "<script>alert(1)</script>"},
    {"res_trait": "99999999999999999999"},
    {"res_a": "no/such-model' OR 1=1 --", "res_b": "<script>alert(1)</script>"},
    {"res_a": "x" * 5000, "res_b": "`rm -rf`"},
    {"res_model": "%_\\'\"", "res_a": "1e400"},
    {"res_view": "<script>alert(1)</script>"},
    {"res_view": "' OR 1=1 --", "res_a": "no/such"},
])
def test_resemblance_hostile_url_values_give_a_clean_page(params):
    at = _run(RESEMBLANCE, params)
    _clean(at)
    assert _frame(at, "reference") is not None  # junk in res_view opens the first tab
    if "res_a" in params:
        at = _run(RESEMBLANCE, {**params, **COMPARE})
        _clean(at)
        assert any("Not in this bundle" in w.value for w in at.warning)


# ---- Drift --------------------------------------------------------------------------------------------------------

def test_drift_default_view():
    at = _run(DRIFT)
    _clean(at)
    rates = _frame(at, "study n")
    assert list(rates["label"]) == ["licenses", "languages", "library", "task"]
    assert (rates["study"] != "—").sum() == 3
    assert at.number_input(key="drift_top").value == 20
    assert " → " in at.code[0].value
    labels = {m.label: m.value for m in at.metric}
    assert labels["Values ordered"] and "/" in labels["Pairs agreeing with the order"]
    table = _frame(at, "study change")
    assert "all" in set(table["label"]) and table["study change"].notna().any()


def test_drift_widgets_driven_by_key():
    at = _run(DRIFT)
    at.button_group(key="drift_trait").set_value("pipeline_tag").run()
    _clean(at)
    assert at.number_input(key="drift_top").value == 10  # a new trait starts at its own default
    at.number_input(key="drift_top").set_value(4).run()
    assert at.query_params["drift_top"] == "4"
    assert _metric_int(at, "Values ordered") <= 4
    at.text_input(key="drift_model").set_value(_largest_family())
    at.selectbox(key="drift_relation").set_value("all edge types")
    at.date_input(key="drift_from").set_value("2023-01-01")
    at.date_input(key="drift_to").set_value("2025-12-31")
    at.button_group(key="drift_by").set_value("depth")
    at.run()
    _clean(at)
    assert not at.warning
    depths = _frame(at, "study change")["label"]
    assert depths.iloc[0] == "all" and set(depths) - {"all"} <= {str(d) for d in range(100)}


def test_drift_state_from_the_url():
    family = _largest_family()
    at = _run(DRIFT, {"drift_model": family, "drift_relation": "adapter", "drift_from": "2022-06-01",
                      "drift_to": "2025-06-30", "drift_trait": "languages", "drift_top": "6", "drift_by": "by depth of the child"})
    _clean(at)
    assert at.text_input(key="drift_model").value == family
    assert at.selectbox(key="drift_relation").value == "adapter"
    assert str(at.date_input(key="drift_from").value) == "2022-06-01"
    assert str(at.date_input(key="drift_to").value) == "2025-06-30"
    assert at.button_group(key="drift_trait").value == "languages"
    assert at.number_input(key="drift_top").value == 6
    assert at.button_group(key="drift_by").value == "depth"


@pytest.mark.parametrize("params", [
    {"drift_top": "1e400"}, {"drift_top": "99999999999999999999"}, {"drift_top": "-4"}, {"drift_top": "nan"},
    {"drift_model": "'; DROP TABLE edges; --"}, {"drift_relation": "<script>alert(1)</script>"},
    {"drift_from": "2024-13-45", "drift_to": "1e400"}, {"drift_trait": "' OR 1=1 --", "drift_by": "<img src=x>"},
    {"drift_from": "2025-01-01", "drift_to": "2020-01-01"},
])
def test_drift_hostile_url_values_give_a_clean_page(params):
    at = _run(DRIFT, params)
    _clean(at)
    assert 1 <= at.number_input(key="drift_top").value <= 20
    assert any(s.value == "Mutation rates" for s in at.subheader)


# ---- A bundle without cards (like the Hub listing) ------------------------------------------------------------------

@pytest.fixture(scope="module")
def no_cards_bundle(tmp_path_factory):
    from core.ingest.demo import synthetic_listing
    from core.precompute import build_bundle
    from core.bundle import SourceShape
    from core.ingest.snapshot import Snapshot

    out = tmp_path_factory.mktemp("nocards") / "listing_without_cards"
    snap = Snapshot(table=synthetic_listing(3000, 3, cards=False), shape=SourceShape.LISTING, source="test no cards")
    build_bundle(snap, out, synthetic=True, label="no cards")
    return out


@pytest.fixture
def open_no_cards(no_cards_bundle, monkeypatch):
    yield from serve(no_cards_bundle, monkeypatch)


def test_cards_trait_without_cards_says_so(open_no_cards):
    at = _run(RESEMBLANCE, {**open_no_cards, "res_trait": "model cards"})
    _clean(at)
    assert any("no model card text" in i.value for i in at.info)
    assert not at.get("plotly_chart") or all(c.key != "res_chart" for c in at.get("plotly_chart"))


def test_drift_without_cards_says_so(open_no_cards):
    at = _run(DRIFT, open_no_cards)
    _clean(at)
    assert any("no model card text" in i.value for i in at.info)
    measures = set(_frame(at, "study change")["measure"])
    assert measures == {"number of languages"}
