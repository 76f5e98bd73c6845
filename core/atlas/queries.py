"""The latent-space map: which models match, how they are coloured and sized, and how clicks become ids.

All models are drawn. Points travel to the browser as raw static files that the
map component fetches once: uint16 x,y (4 bytes a point), a uint8 colour code per
colouring and a uint8 size code per sizing, in draw order (the most downloaded
last, so they are drawn on top). A filter is one bit per point.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, fields
from enum import Enum

import numpy as np
import pyarrow as pa
import pandas as pd

from core.atlas.grid import density_codes, grid_coordinates
from core.bundle import arrow_rows, pandas_rows
from core.ingest.cards import card_excerpt

__all__ = ["ColorBy", "SizeBy", "MapFilter", "PALETTE", "OTHER_COLOR", "NO_FAMILY", "UNKNOWN_DAY", "EPOCH",
           "filter_sql", "matching_rows", "color_codes", "size_codes", "created_days", "map_points", "family_segments",
           "model_details", "search_ids", "distributions", "selection_summary", "selection_rows", "most_downloaded",
           "hover_table"]

# 19 distinct colours (Tableau 20 without grey) plus grey for "other".
PALETTE = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189], [140, 86, 75],
           [227, 119, 194], [188, 189, 34], [23, 190, 207], [174, 199, 232], [255, 187, 120], [152, 223, 138],
           [255, 152, 150], [197, 176, 213], [196, 156, 148], [247, 182, 210], [219, 219, 141], [158, 218, 229],
           [57, 59, 121]]
OTHER_COLOR = [160, 160, 160]


class ColorBy(str, Enum):
    CLUSTER = "cluster"
    LIBRARY = "library"
    TASK = "task"
    LICENSE = "license"
    FAMILY = "family"
    DEPTH = "depth"
    RELATION = "relation"
    DENSITY = "density"


class SizeBy(str, Enum):
    NONE = "none"
    DOWNLOADS = "downloads"
    LIKES = "likes"


NO_FAMILY = "(no family)"
_CATEGORY_SQL = {
    ColorBy.CLUSTER: "coalesce(c.label, 'unclustered')",
    ColorBy.LIBRARY: "coalesce(m.library_name, '(no library)')",
    ColorBy.TASK: "coalesce(m.pipeline_tag, '(no task)')",
    ColorBy.LICENSE: "m.license_class",
    ColorBy.FAMILY: f"CASE WHEN f.size > 1 THEN m.family ELSE '{NO_FAMILY}' END",
    ColorBy.DEPTH: "CASE WHEN m.depth IS NULL THEN 'in a cycle' WHEN m.depth >= 5 THEN 'depth 5+' ELSE 'depth ' || m.depth END",
    ColorBy.RELATION: "coalesce(r.relation, 'base (no parent)')",
}


@dataclass(frozen=True)
class MapFilter:
    """What the user filters the map by; empty values mean no filter."""

    text: str = ""
    license: str = ""
    task: str = ""
    library: str = ""
    min_downloads: int = 0
    min_likes: int = 0
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    base_only: bool = False
    family: str = ""

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) != f.default for f in fields(self))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filter_sql(f: MapFilter) -> tuple[str, list]:
    """A WHERE clause over ``models m`` and its parameters; values never enter the SQL text."""
    clauses, params = ["TRUE"], []
    if f.text:
        clauses.append("(m.model_id ILIKE ? ESCAPE '\\' OR m.author ILIKE ? ESCAPE '\\')")
        params += [_like(f.text), _like(f.text)]
    for column, value in (("license_class", f.license), ("pipeline_tag", f.task), ("library_name", f.library), ("family", f.family)):
        if value:
            clauses.append(f"m.{column} = ?")
            params.append(value)
    if f.min_downloads:
        clauses.append("m.downloads >= ?")
        params.append(int(f.min_downloads))
    if f.min_likes:
        clauses.append("m.likes >= ?")
        params.append(int(f.min_likes))
    if f.created_from:
        clauses.append("m.created_at >= ?")
        params.append(dt.datetime.combine(f.created_from, dt.time(), dt.timezone.utc))
    if f.created_to:
        clauses.append("m.created_at < ?")
        params.append(dt.datetime.combine(f.created_to + dt.timedelta(days=1), dt.time(), dt.timezone.utc))
    if f.base_only:
        clauses.append("m.n_parents = 0")
    return " AND ".join(clauses), params


def matching_rows(con, f: MapFilter) -> np.ndarray:
    """Row numbers (bundle order) of the models that pass ``f``."""
    where, params = filter_sql(f)
    res = con.execute(f"SELECT m.rowid AS row FROM models m WHERE {where} ORDER BY row", params).fetchnumpy()
    return res["row"].astype(np.int64)


def color_codes(con, color_by: ColorBy, top: int = len(PALETTE)) -> tuple[np.ndarray, pd.DataFrame]:
    """Colour code per model (0..top-1, ``top`` = other) and the legend (category, models, rgb)."""
    if ColorBy(color_by) is ColorBy.DENSITY:
        xy = con.execute("SELECT p.x, p.y FROM models m JOIN points p USING (model_id) ORDER BY m.rowid").fetchnumpy()
        gx, gy, _ = grid_coordinates(xy["x"].astype(np.float64), xy["y"].astype(np.float64))
        return density_codes(gx, gy)
    category = _CATEGORY_SQL[ColorBy(color_by)]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _cat AS
        SELECT m.rowid AS row, {category} AS category
        FROM models m
        LEFT JOIN families f USING (family_id)
        {"LEFT JOIN points p ON p.model_id = m.model_id LEFT JOIN clusters c ON c.cluster = p.cluster" if color_by == ColorBy.CLUSTER else ""}
        {"LEFT JOIN (SELECT child, arg_max(relation, CASE relation WHEN 'merge' THEN 4 WHEN 'adapter' THEN 3 WHEN 'quantized' THEN 2 ELSE 1 END) AS relation FROM edges WHERE parent_in_snapshot GROUP BY child) r ON r.child = m.model_id" if color_by == ColorBy.RELATION else ""}
    """)
    counts = pandas_rows(con, "SELECT category, count(*) AS models FROM _cat GROUP BY 1 ORDER BY 2 DESC, 1")
    if color_by == ColorBy.DEPTH:
        counts = counts.sort_values("category", key=lambda s: s.map(lambda v: (v == "in a cycle", v))).reset_index(drop=True)
    # Lone models are no family: grey with the small families, or the Hub's largest "family" would take the first
    # colour and cover the map (most models of the 760k listing have no relatives).
    ranked = counts[counts["category"] != NO_FAMILY] if color_by == ColorBy.FAMILY else counts
    keep = ranked.head(top if len(ranked) == len(counts) and len(counts) <= top else top - 1)
    code_of = {c: i for i, c in enumerate(keep["category"])}
    # Codes are joined in SQL: no Python string a model.
    con.execute("CREATE OR REPLACE TEMP TABLE _code (category VARCHAR, code SMALLINT)")
    if code_of:
        con.executemany("INSERT INTO _code VALUES (?, ?)", list(code_of.items()))
    codes = con.execute("SELECT coalesce(k.code, ?) AS code FROM _cat LEFT JOIN _code k USING (category) ORDER BY row",
                        [len(keep)]).fetchnumpy()["code"].astype(np.int16)
    legend = keep.copy()
    if len(counts) > len(keep):
        rest = int(counts["models"].sum() - keep["models"].sum())
        legend = pd.concat([legend, pd.DataFrame({"category": ["other"], "models": [rest]})], ignore_index=True)
    legend["rgb"] = [PALETTE[i] if i < len(keep) else OTHER_COLOR for i in range(len(legend))]
    return codes, legend


def size_codes(con, size_by: SizeBy) -> np.ndarray:
    """Size code 0..9 per model: log10 of downloads or likes (0 when sizing is off)."""
    n = con.execute("SELECT count(*) FROM models").fetchone()[0]
    if SizeBy(size_by) is SizeBy.NONE:
        return np.zeros(n, dtype=np.int8)
    column = "downloads" if size_by == SizeBy.DOWNLOADS else "likes"
    v = con.execute(f"SELECT {column} FROM models ORDER BY rowid").fetchnumpy()[column].astype(np.float64)
    return np.clip(np.floor(np.log10(np.maximum(v, 0) + 1) * (10 / 7)), 0, 9).astype(np.int8)


UNKNOWN_DAY = 65535
EPOCH = dt.date(2015, 1, 1)


def created_days(con) -> np.ndarray:
    """Days from 2015-01-01 to each model's creation in bundle order (``UNKNOWN_DAY`` when unknown), for replays."""
    days = con.execute("SELECT date_diff('day', ?::DATE, created_at::DATE) AS d FROM models ORDER BY rowid",
                       [EPOCH]).fetchnumpy()["d"]
    filled = np.ma.filled(np.ma.masked_invalid(np.ma.asarray(days, dtype=np.float64)), UNKNOWN_DAY)
    return np.clip(filled, 0, UNKNOWN_DAY).astype(np.uint16)


def map_points(con) -> pa.Table:
    """Map coordinates, downloads and model id of every model, in bundle order, as Arrow (no Python object a model)."""
    return arrow_rows(con, "SELECT p.x, p.y, p.x3, p.y3, p.z3, m.downloads, m.model_id FROM models m "
                           "JOIN points p USING (model_id) ORDER BY m.rowid")


def family_segments(con, model_id: str, limit: int = 3000) -> pd.DataFrame:
    """Parent→child segments of the model's lineage (all its ancestors and descendants) with map coordinates,
    the model's own edges first. Recursion uses UNION, so cycles end it."""
    return pandas_rows(con, """
        WITH RECURSIVE up(id) AS (
            SELECT ?::VARCHAR UNION SELECT e.parent FROM edges e JOIN up ON e.child = up.id WHERE e.parent_in_snapshot),
        down(id) AS (
            SELECT ?::VARCHAR UNION SELECT e.child FROM edges e JOIN down ON e.parent = down.id WHERE e.parent_in_snapshot),
        lin AS (SELECT id FROM up UNION SELECT id FROM down),
        e AS (
            SELECT e.parent, e.child, e.relation, e.relation_source, e.relation_confidence,
                   (e.parent = ? OR e.child = ?) AS own, c.downloads
            FROM edges e JOIN models c ON c.model_id = e.child
            WHERE e.parent_in_snapshot AND e.parent IN (SELECT id FROM lin) AND e.child IN (SELECT id FROM lin))
        SELECT e.parent, e.child, e.relation, e.relation_source, e.relation_confidence,
               pp.x AS px, pp.y AS py, pc.x AS cx, pc.y AS cy
        FROM e JOIN points pp ON pp.model_id = e.parent JOIN points pc ON pc.model_id = e.child
        ORDER BY e.own DESC, e.downloads DESC LIMIT ?""", [model_id, model_id, model_id, model_id, int(limit)])


def model_details(con, model_id: str, card_chars: int = 1500) -> dict | None:
    """Everything the details panel shows about one model, or None if it is not in the bundle."""
    row = pandas_rows(con, """
        SELECT m.*, f.size AS family_size FROM models m LEFT JOIN families f USING (family_id)
        WHERE m.model_id = ?""", [model_id])
    if row.empty:
        return None
    out = row.iloc[0].to_dict()
    out["parents"] = pandas_rows(con, """
        SELECT parent, relation, relation_source, parent_in_snapshot, parent_as_written, parent_match
        FROM edges WHERE child = ? ORDER BY parent""",
                                      [model_id])
    out["children"] = pandas_rows(con, """
        SELECT e.child, e.relation, m.downloads FROM edges e JOIN models m ON m.model_id = e.child
        WHERE e.parent = ? ORDER BY m.downloads DESC, e.child LIMIT 10""", [model_id])
    has_cards = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'cards'").fetchone()[0] or \
        con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'cards'").fetchone()[0]
    card = con.execute("SELECT card FROM cards WHERE model_id = ?", [model_id]).fetchone() if has_cards else None
    out["card_excerpt"] = card_excerpt(card[0], card_chars) if card else None
    return out


def search_ids(con, query: str, limit: int = 20) -> pd.DataFrame:
    """Fuzzy id search: the exact id (ignoring case) first, then its exact name under any author, then ids
    containing every word of the query by downloads, then the closest names by Jaro-Winkler."""
    q = " ".join((query or "").split())[:200]
    if not q:
        return pd.DataFrame(columns=["model_id", "downloads"])
    words = q.split(" ")[:8]
    all_words = " AND ".join(["model_id ILIKE ? ESCAPE '\\'"] * len(words))
    similarity = "greatest(jaro_winkler_similarity(lower(model_id), lower(?)), jaro_winkler_similarity(lower(split_part(model_id, '/', -1)), lower(?)))"
    return pandas_rows(con, f"""
        SELECT model_id, downloads FROM (
            SELECT model_id, downloads, ({all_words}) AS contains, {similarity} AS similarity,
                   CASE WHEN lower(model_id) = lower(?) THEN 0 WHEN lower(split_part(model_id, '/', -1)) = lower(?)
                        THEN 1 ELSE 2 END AS exact FROM models)
        WHERE contains OR similarity > 0.85
        ORDER BY exact, contains DESC, CASE WHEN contains THEN downloads END DESC, similarity DESC, downloads DESC,
                 model_id LIMIT ?""",
                            [*map(_like, words), q, q, q, q.rsplit("/", 1)[-1], int(limit)])


def distributions(con, f: MapFilter) -> dict[str, pd.DataFrame]:
    """Histograms of downloads and likes (log10 bins) and models per month for the models that pass ``f``."""
    where, params = filter_sql(f)
    out = {}
    for column in ("downloads", "likes"):
        out[column] = pandas_rows(con, f"""
            SELECT floor(log10({column} + 1) * 2) / 2 AS log10_bin, count(*) AS models
            FROM models m WHERE {where} GROUP BY 1 ORDER BY 1""", params)
    out["created"] = pandas_rows(con, f"""
        SELECT date_trunc('month', created_at)::DATE AS month, count(*) AS models
        FROM models m WHERE {where} AND created_at IS NOT NULL GROUP BY 1 ORDER BY 1""", params)
    return out


@contextmanager
def _registered_rows(con, rows):
    """``rows`` (bundle rows) as the one-column view ``_selection`` while the block runs."""
    con.register("_selection", pa.table({"row": np.unique(np.asarray(rows, dtype=np.int64))}))
    try:
        yield "FROM models m JOIN _selection s ON s.row = m.rowid"
    finally:
        con.unregister("_selection")


def selection_summary(con, rows, top: int = 200) -> dict:
    """What a map selection holds: its count, its ``top`` models by downloads, its task, library and license-class
    mix, its ``top`` largest families and how many families it touches. ``rows`` are bundle rows (``points_in_polygon`` on bundle-order coordinates);
    they reach DuckDB as one registered Arrow column, not as a list of ids, so 760k selected rows take a join."""
    with _registered_rows(con, rows) as sel:
        table = pandas_rows(con, f"""
            SELECT m.model_id, m.downloads, m.likes, m.pipeline_tag, m.library_name, m.license_class, m.family {sel}
            ORDER BY m.downloads DESC, m.model_id LIMIT ?""", [int(top)])

        def mix(column: str) -> pd.DataFrame:
            return pandas_rows(con, f"SELECT coalesce(m.{column}, '(none)') AS value, count(*) AS models {sel} "
                                    "GROUP BY 1 ORDER BY 2 DESC, 1")

        # The largest families only: a big selection holds hundreds of thousands of one-model families.
        families = pandas_rows(con, f"""
            SELECT m.family AS value, count(*) AS models, any_value(f.size) AS family_size {sel}
            LEFT JOIN families f USING (family_id) GROUP BY 1 ORDER BY 2 DESC, 3 DESC, 1 LIMIT ?""", [int(top)])
        count, n_families = con.execute(f"SELECT count(*), count(DISTINCT m.family) {sel}").fetchone()
        return {"count": int(count), "models": table, "tasks": mix("pipeline_tag"), "libraries": mix("library_name"),
                "licenses": mix("license_class"), "families": families, "n_families": int(n_families)}


def selection_rows(con, rows) -> pd.DataFrame:
    """Every selected model's id and metadata, for a CSV export (most downloaded first)."""
    with _registered_rows(con, rows) as sel:
        return pandas_rows(con, f"""
            SELECT m.model_id, m.author, m.pipeline_tag, m.library_name, m.license_class, array_to_string(m.licenses, ';')
                   AS licenses, m.downloads, m.likes, m.created_at, m.family, m.depth
            {sel} ORDER BY m.downloads DESC, m.model_id""")


def most_downloaded(con, rows, n: int) -> list[str]:
    """The ``n`` most downloaded of the selected bundle ``rows`` (ties by id): what a network of a selection draws."""
    with _registered_rows(con, rows) as sel:
        return [r[0] for r in con.execute(f"SELECT m.model_id {sel} ORDER BY m.downloads DESC NULLS LAST, m.model_id "
                                          "LIMIT ?", [int(n)]).fetchall()]


def hover_table(con) -> pa.Table:
    """What hovering a point shows, per model in bundle order: id, task, library, first license, downloads, family
    and its size (Arrow; written to the browser in chunks by ``hover_chunks``)."""
    return arrow_rows(con, """
        SELECT m.model_id AS id, m.pipeline_tag AS task, m.library_name AS library,
               coalesce(m.licenses[1], m.license_class) AS license, m.downloads, m.family, coalesce(f.size, 1) AS family_size
        FROM models m LEFT JOIN families f USING (family_id) ORDER BY m.rowid""")


