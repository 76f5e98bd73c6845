"""Growth over time (core.evolution.growth): hand-made months with known answers, and the real 760k listing."""

from __future__ import annotations

import duckdb
import pandas as pd

from core.bundle import open_bundle
from core.licenses import connect
from core.evolution.growth import family_growth, monthly_growth, unknown_dates
from core.evolution.overview import TimeSplit, models_per_month
from core.lineage import FamilyGraph


def dated_bundle():
    """Family A (root a): Jan, Jan, Mar; family B (root b): Feb and an unknown date; c alone in Apr.

    Without merges, a2 leaves A for a family of its own with a3 (root a2).
    """
    models = [  # model_id, created_at, library, family_all, family (no merge), depth, downloads, n_parents
        ("a", "2024-01-03", "transformers", "a", "a", 0, 100, 0),
        ("a1", "2024-01-30", "transformers", "a", "a", 1, 10, 1),
        ("a2", "2024-03-15", "peft", "a", "a2", 1, 20, 2),
        ("a3", "2024-03-20", "peft", "a", "a2", 2, 1, 1),
        ("b", "2024-02-01", "diffusers", "b", "b", 0, 5, 0),
        ("b1", None, "diffusers", "b", "b", 1, 1, 1),
        ("c", "2024-04-09", None, "c", "c", 0, 1, 0),
    ]
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE models (model_id VARCHAR, created_at TIMESTAMPTZ, library_name VARCHAR, family_all VARCHAR, "
                "family VARCHAR, depth INTEGER, downloads BIGINT, n_parents INTEGER, "
                "family_finetune VARCHAR, pipeline_tag VARCHAR, licenses VARCHAR[])")
    con.executemany("INSERT INTO models VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, [])", [(*m, m[0]) for m in models])
    return con


def test_monthly_growth_fills_empty_months_and_accumulates():
    df = monthly_growth(dated_bundle())
    assert list(df.columns) == ["month", "group", "new", "cumulative"]
    assert [m.strftime("%Y-%m") for m in df["month"]] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    assert df["new"].tolist() == [2, 1, 2, 1]  # b1 has no date
    assert df["cumulative"].tolist() == [2, 3, 5, 6]
    assert unknown_dates(dated_bundle()) == 1


def test_monthly_growth_split_keeps_top_groups_and_other():
    df = monthly_growth(dated_bundle(), TimeSplit.LIBRARY, top=2)
    # transformers 2 and peft 2 are the top two (ties by name); diffusers and (none) fold into other
    assert set(df["group"]) == {"peft", "transformers", "other"}
    assert len(df) == 4 * 3  # every group in every month
    last = df[df["month"] == df["month"].max()].set_index("group")["cumulative"].to_dict()
    assert last == {"other": 2, "peft": 2, "transformers": 2}
    feb = df[df["month"] == pd.Timestamp("2024-02-01")].set_index("group")["new"].to_dict()
    assert feb == {"other": 1, "peft": 0, "transformers": 0}


def test_monthly_growth_agrees_with_overview_counts():
    con = dated_bundle()
    per_month = models_per_month(con, TimeSplit.LIBRARY, 2)
    growth = monthly_growth(con, TimeSplit.LIBRARY, 2)
    merged = per_month.assign(month=pd.to_datetime(per_month["month"])).merge(growth, on=["month", "group"])
    assert (merged["models"] == merged["new"]).all() and len(merged) == len(per_month)


def test_family_growth_by_hand():
    df = family_growth(dated_bundle(), FamilyGraph.ALL, families=2)
    assert df["family"].unique().tolist() == ["a", "b"]  # largest first
    a = df[df["family"] == "a"]
    assert [m.strftime("%Y-%m") for m in a["month"]] == ["2024-01", "2024-02", "2024-03"]
    assert a["cumulative"].tolist() == [2, 2, 4]
    b = df[df["family"] == "b"]
    assert b["cumulative"].tolist() == [1, 1]  # Feb..Mar, the last month of any of them; b1 undated
    no_merge = family_growth(dated_bundle(), FamilyGraph.NO_MERGE, families=3)
    ends = no_merge.groupby("family", sort=False)["cumulative"].last().to_dict()
    assert ends == {"a": 2, "a2": 2, "b": 1}


def test_growth_on_the_real_listing(listing_bundle):
    con = connect(open_bundle(listing_bundle))
    total, unknown = con.execute("SELECT count(*), count(*) FILTER (WHERE created_at IS NULL) FROM models").fetchone()
    assert unknown_dates(con) == unknown > 0  # the 2022-03-02 placeholders are unknown, not a spike
    monthly = monthly_growth(con)
    assert monthly["new"].sum() == total - unknown
    assert monthly["cumulative"].is_monotonic_increasing
    march_2022 = monthly.loc[monthly["month"] == pd.Timestamp("2022-03-01"), "new"].iloc[0]
    assert 0 < march_2022 < 10_000  # the ~30k migration placeholders are not a spike
    by_task = monthly_growth(con, TimeSplit.TASK, top=5)
    assert by_task["group"].nunique() == 6
    assert by_task.groupby("month")["new"].sum().tolist() == monthly["new"].tolist()
    families = family_growth(con, FamilyGraph.NO_MERGE, families=5)
    # With the children that name its legacy id, distilbert-base-uncased is the largest family without merges.
    assert list(dict.fromkeys(families["family"]))[:2] == ["distilbert/distilbert-base-uncased", "stabilityai/stable-diffusion-xl-base-1.0"]
    for _, rows in families.groupby("family"):
        assert rows["cumulative"].is_monotonic_increasing
    sizes = con.execute("SELECT family, count(created_at) FROM models GROUP BY 1").fetchall()
    dated = dict(sizes)
    for family, end in families.groupby("family")["cumulative"].last().items():
        assert end == dated[family]
