"""Growth over time (ANALYSES.md §5): models created per month and the cumulative size of the largest families.

Dates are ``models.created_at`` (UTC); a model without one (the 2022-03-02
migration placeholder is already null in bundles) is left out and counted by
``unknown_dates``.
"""

from __future__ import annotations

import pandas as pd

from core.bundle import pandas_rows
from core.evolution.overview import TimeSplit, largest_families, models_per_month
from core.lineage.scope import EdgeScope
from core.lineage.types import FamilyGraph

__all__ = ["monthly_growth", "scoped_growth", "family_growth", "unknown_dates", "created_span", "created_by"]


def _month_range(first, last) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(first), pd.Timestamp(last), freq="MS")


def _every_month(per_month: pd.DataFrame, value: str) -> pd.DataFrame:
    """Counts per (month, group) as ``new`` and ``cumulative`` for every group and every month from the first to
    the last, so the cumulative curves are continuous."""
    per_month = per_month.assign(month=pd.to_datetime(per_month["month"]))
    counts = per_month.pivot_table(index="month", columns="group", values=value, aggfunc="sum", fill_value=0)
    counts = counts.reindex(_month_range(counts.index.min(), counts.index.max()), fill_value=0)
    counts.index.name = "month"
    new = counts.stack().rename("new").reset_index()
    new["new"] = new["new"].astype("int64")
    new = new.sort_values(["group", "month"], kind="stable")
    new["cumulative"] = new.groupby("group")["new"].cumsum()
    return new.sort_values(["month", "group"]).reset_index(drop=True)[["month", "group", "new", "cumulative"]]


def monthly_growth(con, split: TimeSplit = TimeSplit.NONE, top: int = 8) -> pd.DataFrame:
    """New and cumulative models per month and group (the ``top`` groups of ``split`` plus 'other').

    Columns ``month`` (first day, a Timestamp), ``group``, ``new``, ``cumulative``;
    every group has a row for every month from the first to the last, so the
    cumulative curves are continuous. The counts are ``overview.models_per_month``'s.
    """
    per_month = models_per_month(con, TimeSplit(split), top)
    columns = ["month", "group", "new", "cumulative"]
    if per_month.empty:
        return pd.DataFrame(columns=columns)
    return _every_month(per_month, "models")


def family_growth(con, graph: FamilyGraph = FamilyGraph.NO_MERGE, families: int = 10) -> pd.DataFrame:
    """Cumulative size by creation month of the ``families`` largest families under a graph variant.

    Columns ``family`` (root id; largest first), ``month``, ``new``, ``cumulative``
    (dated members created up to that month), one row per month from the
    family's first dated member to the last dated member of any of them.
    """
    graph = FamilyGraph(graph)
    columns = ["family", "month", "new", "cumulative"]
    roots = largest_families(con, graph, families)["family"].tolist()
    if not roots:
        return pd.DataFrame(columns=columns)
    column = FamilyGraph(graph).column
    counts = pandas_rows(con, f"""
        SELECT {column} AS family, date_trunc('month', created_at)::DATE AS month, count(*) AS new
        FROM models WHERE created_at IS NOT NULL AND {column} IN (SELECT unnest(?::VARCHAR[]))
        GROUP BY ALL""", [roots])
    if counts.empty:
        return pd.DataFrame(columns=columns)
    counts["month"] = pd.to_datetime(counts["month"])
    last = counts["month"].max()
    frames = []
    for root in roots:  # largest first
        own = counts[counts["family"] == root].set_index("month")["new"]
        if own.empty:
            continue
        new = own.reindex(_month_range(own.index.min(), last), fill_value=0).astype("int64")
        frames.append(pd.DataFrame({"family": root, "month": new.index, "new": new.to_numpy(),
                                    "cumulative": new.cumsum().to_numpy()}))
    return pd.concat(frames, ignore_index=True)[columns]


def scoped_growth(con, scope: EdgeScope) -> pd.DataFrame:
    """New and cumulative models per month in a model scope (its family or its descendants; the model itself
    counts in its family, not among its descendants), by the relation that brought each in (a model with several
    parents counts under its strongest: merge, then adapter, quantized, fine-tune). Columns as ``monthly_growth``,
    with the relation as ``group``; undated models are left out."""
    cond, params = scope.models_where("m")
    df = pandas_rows(con, f"""
        WITH scoped AS (SELECT m.model_id, m.created_at FROM models m WHERE {cond} AND m.created_at IS NOT NULL),
             brought AS (SELECT e.child, max(CASE e.relation WHEN 'merge' THEN 4 WHEN 'adapter' THEN 3
                                                             WHEN 'quantized' THEN 2 ELSE 1 END) AS r
                         FROM edges e WHERE e.parent_in_snapshot AND e.child IN (SELECT model_id FROM scoped) GROUP BY 1)
        SELECT date_trunc('month', s.created_at)::DATE AS month,
               CASE b.r WHEN 4 THEN 'merge' WHEN 3 THEN 'adapter' WHEN 2 THEN 'quantized' WHEN 1 THEN 'finetune'
                        ELSE 'root' END AS "group", count(*) AS new
        FROM scoped s LEFT JOIN brought b ON b.child = s.model_id GROUP BY ALL""", params)
    columns = ["month", "group", "new", "cumulative"]
    if df.empty:
        return pd.DataFrame(columns=columns)
    return _every_month(df, "new")


def unknown_dates(con) -> int:
    """Models without a creation date, which the monthly figures leave out."""
    return int(con.execute("SELECT count(*) FROM models WHERE created_at IS NULL").fetchone()[0])


def created_span(con) -> dict:
    """``first`` and ``last`` creation dates (UTC; None without any) and ``unknown``, the models without a date."""
    first, last = con.execute("SELECT min(created_at)::DATE, max(created_at)::DATE FROM models").fetchone()
    return {"first": first, "last": last, "unknown": unknown_dates(con)}


def created_by(con, day) -> int:
    """Models created on or before ``day`` (a date, UTC), as the growth replay shows them."""
    return int(con.execute("SELECT count(*) FROM models WHERE created_at::DATE <= ?", [day]).fetchone()[0])
