"""Bundle-wide figures for the Overview page, each computed by one function over a DuckDB connection.

Values from users (limits, choices) travel as DuckDB parameters; closed
vocabularies map to fixed SQL fragments, never to formatted user text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import pandas as pd

from core.bundle import pandas_rows
from core.evolution.reference import EDGES_BY_RELATION
from core.lineage.types import FamilyGraph

__all__ = ["Trait", "TimeSplit", "Summary", "summary", "edge_mix", "largest_families", "trait_shares",
           "models_per_month", "top_values"]


class Trait(str, Enum):
    """Traits whose shares the Overview shows."""

    LICENSES = "licenses"
    LANGUAGES = "languages"
    TASK = "pipeline_tag"
    LIBRARY = "library_name"

    @property
    def is_list(self) -> bool:
        return self in (Trait.LICENSES, Trait.LANGUAGES)


class TimeSplit(str, Enum):
    NONE = "none"
    LIBRARY = "library_name"
    TASK = "pipeline_tag"
    LICENSE = "license"
    LICENSE_CLASS = "license_class"


_SPLIT_SQL = {
    TimeSplit.NONE: "'all models'",
    TimeSplit.LIBRARY: "coalesce(library_name, '(none)')",
    TimeSplit.TASK: "coalesce(pipeline_tag, '(none)')",
    TimeSplit.LICENSE: "coalesce(licenses[1], '(none)')",
    TimeSplit.LICENSE_CLASS: "license_class",
}


@dataclass(frozen=True)
class Summary:
    models: int
    edges: int
    edges_in_snapshot: int
    families_with_edges: int
    largest_family: int
    models_in_families: int
    authors: int
    with_card: int | None  # None when the source had no card text
    first_created: pd.Timestamp | None
    last_created: pd.Timestamp | None


def summary(con) -> Summary:
    """Headline counts of a bundle."""
    m = con.execute("""
        SELECT count(*), count(DISTINCT author), count(*) FILTER (WHERE has_card),
               count(has_card), min(created_at)::VARCHAR, max(created_at)::VARCHAR FROM models""").fetchone()
    e = con.execute("SELECT count(*), count(*) FILTER (WHERE parent_in_snapshot) FROM edges").fetchone()
    f = con.execute("SELECT count(*), coalesce(max(size), 0), coalesce(sum(size), 0) FROM families").fetchone()
    return Summary(
        models=m[0], edges=e[0], edges_in_snapshot=e[1], families_with_edges=f[0], largest_family=f[1],
        models_in_families=int(f[2]), authors=m[1], with_card=m[2] if m[3] else None,
        first_created=pd.Timestamp(m[4]) if m[4] else None, last_created=pd.Timestamp(m[5]) if m[5] else None,
    )


def edge_mix(con) -> pd.DataFrame:
    """Edges by relation and by whether the type was declared or inferred."""
    return pandas_rows(con, """
        SELECT relation, relation_source, count(*) AS edges,
               count(*) FILTER (WHERE parent_in_snapshot) AS in_snapshot
        FROM edges GROUP BY ALL ORDER BY relation, relation_source""")


def relation_totals(mix: pd.DataFrame) -> pd.DataFrame:
    """``edge_mix`` summed by relation: edges, their share, and the study's share for the same relation."""
    totals = mix.groupby("relation", as_index=False)["edges"].sum()
    totals["share"] = totals["edges"] / totals["edges"].sum()
    ref_total = sum(EDGES_BY_RELATION.values())
    totals["study 2025"] = totals["relation"].map(lambda r: EDGES_BY_RELATION.get(r, 0) / ref_total)
    return totals


def largest_families(con, graph: FamilyGraph = FamilyGraph.NO_MERGE, limit: int = 20) -> pd.DataFrame:
    """The largest families under a graph variant: root, size, depth, downloads, first model date."""
    column = FamilyGraph(graph).column
    return pandas_rows(con, f"""
        SELECT {column} AS family, count(*) AS size, max(depth) AS max_depth, sum(downloads) AS downloads,
               count(*) FILTER (WHERE n_parents > 0) AS derived, min(created_at) AS first_created
        FROM models GROUP BY 1 HAVING count(*) > 1
        ORDER BY size DESC, family LIMIT ?""", [int(limit)])


def trait_shares(con, trait: Trait, limit: int = 15) -> pd.DataFrame:
    """Top values of a trait with their model counts and shares.

    List traits (licenses, languages) count a model once per value, as a share
    of all models for licenses and of models listing any language for languages;
    single-valued traits are shares of models with a non-null value, as the study reports them.
    """
    trait = Trait(trait)
    if trait.is_list:
        denominator = "count(*)" if trait is Trait.LICENSES else "count(*) FILTER (WHERE len(languages) > 0)"
        sql = f"""
            WITH d AS (SELECT {denominator} AS n FROM models)
            SELECT value, count(*) AS models, count(*) / any_value(d.n) AS share
            FROM (SELECT unnest({trait.value}) AS value FROM models), d
            GROUP BY value ORDER BY models DESC, value LIMIT ?"""
    else:
        sql = f"""
            WITH d AS (SELECT count({trait.value}) AS n FROM models)
            SELECT {trait.value} AS value, count(*) AS models, count(*) / any_value(d.n) AS share
            FROM models, d WHERE {trait.value} IS NOT NULL
            GROUP BY value ORDER BY models DESC, value LIMIT ?"""
    return pandas_rows(con, sql, [int(limit)])


def models_per_month(con, split: TimeSplit = TimeSplit.NONE, top: int = 8) -> pd.DataFrame:
    """New models per month (by creation date, unknown dates left out), split into the ``top`` groups plus 'other'."""
    expr = _SPLIT_SQL[TimeSplit(split)]
    return pandas_rows(con, f"""
        WITH m AS (SELECT date_trunc('month', created_at)::DATE AS month, {expr} AS grp FROM models WHERE created_at IS NOT NULL),
             top AS (SELECT grp FROM m GROUP BY grp ORDER BY count(*) DESC, grp LIMIT ?)
        SELECT month, CASE WHEN grp IN (SELECT grp FROM top) THEN grp ELSE 'other' END AS "group", count(*) AS models
        FROM m GROUP BY ALL ORDER BY month, "group" """, [int(top)])


def top_values(con, column: str, limit: int = 60) -> list[str]:
    """The most common values of a model column (``pipeline_tag`` or ``library_name``), for filter menus."""
    if column not in ("pipeline_tag", "library_name"):
        raise ValueError(column)
    rows = con.execute(f"SELECT {column} FROM models WHERE {column} IS NOT NULL GROUP BY 1 "
                       "ORDER BY count(*) DESC, 1 LIMIT ?", [int(limit)]).fetchall()
    return [r[0] for r in rows]
