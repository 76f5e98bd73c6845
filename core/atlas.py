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
from pathlib import Path

import numpy as np
import pyarrow as pa
import pandas as pd

__all__ = ["ColorBy", "SizeBy", "MapFilter", "PALETTE", "OTHER_COLOR", "GRID", "UNKNOWN_DAY", "EPOCH", "filter_sql",
           "matching_rows", "color_codes", "size_codes", "grid_coordinates", "grid_coordinates_3d", "draw_order", "write_array",
           "interleave", "mask_bits", "created_days", "picked_model", "family_segments", "model_details", "search_ids",
           "card_excerpt", "distributions", "to_grid", "box_polygon", "points_in_polygon", "selection_summary",
           "selection_rows", "format_polygon", "parse_polygon", "Camera", "density_codes", "hover_table", "hover_chunks",
           "write_bytes", "short_label", "FAMILY_LEVEL"]

GRID = 9999  # coordinates are integers 0..GRID (uint16 in the point files)
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
    counts = con.execute("SELECT category, count(*) AS models FROM _cat GROUP BY 1 ORDER BY 2 DESC, 1").df()
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


def grid_coordinates(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict]:
    """Map coordinates to integers 0..GRID keeping the aspect ratio; returns the transform for later points."""
    lo = np.array([np.nanmin(x), np.nanmin(y)])
    span = max(float(np.nanmax(x) - lo[0]), float(np.nanmax(y) - lo[1]), 1e-9)
    t = {"x0": float(lo[0]), "y0": float(lo[1]), "scale": GRID / span}
    return to_grid(x, y, t) + (t,)


def grid_coordinates_3d(xyz: np.ndarray) -> list[np.ndarray]:
    """3D coordinates to integers 0..GRID with one scale for all axes, so the cloud keeps its shape."""
    lo = np.nanmin(xyz, axis=0)
    scale = GRID / max(float(np.nanmax(xyz - lo)), 1e-9)
    return [np.clip(np.rint((xyz[:, i] - lo[i]) * scale), 0, GRID).astype(np.int32) for i in range(3)]


def to_grid(x, y, t: dict) -> tuple[np.ndarray, np.ndarray]:
    gx = np.clip(np.rint((np.asarray(x) - t["x0"]) * t["scale"]), 0, GRID).astype(np.int32)
    gy = np.clip(np.rint((np.asarray(y) - t["y0"]) * t["scale"]), 0, GRID).astype(np.int32)
    return gx, gy


def draw_order(downloads: np.ndarray) -> np.ndarray:
    """Bundle rows, least downloaded first, so the most used models are drawn on top."""
    return np.argsort(downloads, kind="stable")


def write_array(path: Path, values: np.ndarray, dtype) -> int:
    """Write ``values`` as raw little-endian ``dtype`` (atomically); returns bytes written."""
    write_bytes(path, np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<")).tobytes())
    return path.stat().st_size


def write_bytes(path: Path, blob: bytes) -> None:
    """Write ``blob`` to ``path`` atomically: two sessions may write the same file at once, and neither may see
    half of it (each writes a temporary name of its own, then renames)."""
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(blob)
    os.replace(tmp, path)


def short_label(label: str, terms: int | None = None) -> str:
    """A map label with model ids without their namespace (``org/Name`` → ``Name``), its first ``terms`` terms.

    >>> short_label("meta-llama/Llama-2-7b · gguf · text-generation", 2)
    'Llama-2-7b · gguf'
    """
    return " · ".join(t.rsplit("/", 1)[-1] for t in str(label).split(" · ")[:terms])


def interleave(*columns: np.ndarray) -> np.ndarray:
    """Columns side by side in one flat array (x0, y0, x1, y1, …), the layout of a deck.gl binary attribute."""
    return np.stack(columns, axis=1).ravel()


def mask_bits(rows: np.ndarray, order: np.ndarray) -> bytes:
    """Which drawn points match, one bit each in draw order (bit ``i & 7`` of byte ``i >> 3``)."""
    shown = np.zeros(len(order), dtype=bool)
    shown[np.asarray(rows, dtype=np.int64)] = True
    return np.packbits(shown[order], bitorder="little").tobytes()


UNKNOWN_DAY = 65535
EPOCH = dt.date(2015, 1, 1)


def created_days(con) -> np.ndarray:
    """Days from 2015-01-01 to each model's creation in bundle order (``UNKNOWN_DAY`` when unknown), for replays."""
    days = con.execute("SELECT date_diff('day', ?::DATE, created_at::DATE) AS d FROM models ORDER BY rowid",
                       [EPOCH]).fetchnumpy()["d"]
    filled = np.ma.filled(np.ma.masked_invalid(np.ma.asarray(days, dtype=np.float64)), UNKNOWN_DAY)
    return np.clip(filled, 0, UNKNOWN_DAY).astype(np.uint16)


def picked_model(pick: dict | None, order: np.ndarray, model_ids, points_key: str) -> str | None:
    """The model id a map click points at (its index in draw order), or None for stale or malformed picks."""
    if not isinstance(pick, dict) or pick.get("points") != points_key:
        return None
    i = pick.get("index")
    if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(order):
        return None
    picked = model_ids[int(order[i])]
    return picked.as_py() if hasattr(picked, "as_py") else picked  # an Arrow array of ids, or a list


def map_points(con) -> pa.Table:
    """Map coordinates, downloads and model id of every model, in bundle order, as Arrow (no Python object a model)."""
    from core.bundle import arrow_rows

    return arrow_rows(con, "SELECT p.x, p.y, p.x3, p.y3, p.z3, m.downloads, m.model_id FROM models m "
                           "JOIN points p USING (model_id) ORDER BY m.rowid")


def family_segments(con, model_id: str, limit: int = 3000) -> pd.DataFrame:
    """Parent→child segments of the model's lineage (all its ancestors and descendants) with map coordinates,
    the model's own edges first. Recursion uses UNION, so cycles end it."""
    return con.execute("""
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
        ORDER BY e.own DESC, e.downloads DESC LIMIT ?""", [model_id, model_id, model_id, model_id, int(limit)]).df()


def model_details(con, model_id: str, card_chars: int = 1500) -> dict | None:
    """Everything the details panel shows about one model, or None if it is not in the bundle."""
    row = con.execute("""
        SELECT m.*, f.size AS family_size FROM models m LEFT JOIN families f USING (family_id)
        WHERE m.model_id = ?""", [model_id]).df()
    if row.empty:
        return None
    out = row.iloc[0].to_dict()
    out["parents"] = con.execute("""
        SELECT parent, relation, relation_source, parent_in_snapshot, parent_as_written, parent_match
        FROM edges WHERE child = ? ORDER BY parent""",
                                 [model_id]).df()
    out["children"] = con.execute("""
        SELECT e.child, e.relation, m.downloads FROM edges e JOIN models m ON m.model_id = e.child
        WHERE e.parent = ? ORDER BY m.downloads DESC, e.child LIMIT 10""", [model_id]).df()
    has_cards = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'cards'").fetchone()[0] or \
        con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'cards'").fetchone()[0]
    card = con.execute("SELECT card FROM cards WHERE model_id = ?", [model_id]).fetchone() if has_cards else None
    out["card_excerpt"] = card_excerpt(card[0], card_chars) if card else None
    return out


def search_ids(con, query: str, limit: int = 20) -> pd.DataFrame:
    """Fuzzy id search: ids containing every word of the query first, then the closest names by Jaro-Winkler."""
    q = " ".join((query or "").split())[:200]
    if not q:
        return pd.DataFrame(columns=["model_id", "downloads"])
    words = q.split(" ")[:8]
    all_words = " AND ".join(["model_id ILIKE ? ESCAPE '\\'"] * len(words))
    similarity = "greatest(jaro_winkler_similarity(lower(model_id), lower(?)), jaro_winkler_similarity(lower(split_part(model_id, '/', -1)), lower(?)))"
    return con.execute(f"""
        SELECT model_id, downloads FROM (
            SELECT model_id, downloads, ({all_words}) AS contains, {similarity} AS similarity FROM models)
        WHERE contains OR similarity > 0.85
        ORDER BY contains DESC, CASE WHEN contains THEN downloads END DESC, similarity DESC, downloads DESC LIMIT ?""",
                       [*map(_like, words), q, q, int(limit)]).df()


def card_excerpt(card: str | None, chars: int = 1200) -> str | None:
    """Readable start of a card as plain text: no YAML header, HTML tags or comments, blank runs collapsed."""
    import re

    if not card:
        return None
    text = re.sub(r"^\s*---[\s\S]*?\n---\s*", "", card, count=1)
    text = re.sub(r"<!--[\s\S]*?-->", "", text)
    text = re.sub(r"<[^>]{0,2000}>", "", text)
    text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
    return (text[:chars] + ("…" if len(text) > chars else "")) or None


def distributions(con, f: MapFilter) -> dict[str, pd.DataFrame]:
    """Histograms of downloads and likes (log10 bins) and models per month for the models that pass ``f``."""
    where, params = filter_sql(f)
    out = {}
    for column in ("downloads", "likes"):
        out[column] = con.execute(f"""
            SELECT floor(log10({column} + 1) * 2) / 2 AS log10_bin, count(*) AS models
            FROM models m WHERE {where} GROUP BY 1 ORDER BY 1""", params).df()
    out["created"] = con.execute(f"""
        SELECT date_trunc('month', created_at)::DATE AS month, count(*) AS models
        FROM models m WHERE {where} AND created_at IS NOT NULL GROUP BY 1 ORDER BY 1""", params).df()
    return out


def box_polygon(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    """The rectangle between two corners (in any order) as a polygon, for a box selection."""
    (left, right), (bottom, top) = sorted((x0, x1)), sorted((y0, y1))
    return [(left, bottom), (right, bottom), (right, top), (left, top)]


def points_in_polygon(x: np.ndarray, y: np.ndarray, polygon, max_vertices: int = 2_000) -> np.ndarray:
    """Indices of the points inside ``polygon`` (a box or a lasso: its vertices in order, closed implicitly), by
    the even-odd rule, vectorised over points edge by edge after a bounding-box cut.

    A polygon of under three finite vertices selects nothing; a lasso of more than ``max_vertices`` is thinned
    to that many, so a hostile URL cannot make the loop long.

    >>> points_in_polygon(np.array([1, 5, 2]), np.array([1, 5, 3]), box_polygon(0, 0, 3, 4)).tolist()
    [0, 2]
    """
    try:
        poly = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    except (TypeError, ValueError):
        return np.empty(0, dtype=np.int64)
    poly = poly[np.isfinite(poly).all(axis=1)]
    if len(poly) > max_vertices:
        poly = poly[np.linspace(0, len(poly) - 1, max_vertices).astype(np.int64)]
    if len(poly) < 3:
        return np.empty(0, dtype=np.int64)
    x, y = np.asarray(x), np.asarray(y)  # compared as they are: no float copy of every point before the cut
    (lo_x, lo_y), (hi_x, hi_y) = poly.min(axis=0), poly.max(axis=0)
    near = np.flatnonzero((x >= lo_x) & (x <= hi_x) & (y >= lo_y) & (y <= hi_y))
    px, py = x[near].astype(np.float64), y[near].astype(np.float64)
    inside = np.zeros(len(near), dtype=bool)
    for (x1, y1), (x2, y2) in zip(poly, np.roll(poly, -1, axis=0)):
        if y1 == y2:
            continue  # a horizontal edge never crosses the ray
        crosses = (y1 > py) != (y2 > py)
        at_x = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (px < at_x)
    # Points on the box's own edges count as inside (a drag over a point selects it).
    on_box = len(poly) == 4 and np.all(np.isin(poly[:, 0], [lo_x, hi_x])) and np.all(np.isin(poly[:, 1], [lo_y, hi_y]))
    if on_box:
        inside[:] = True
    return near[inside]


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
        table = con.execute(f"""
            SELECT m.model_id, m.downloads, m.likes, m.pipeline_tag, m.library_name, m.license_class, m.family {sel}
            ORDER BY m.downloads DESC, m.model_id LIMIT ?""", [int(top)]).df()

        def mix(column: str) -> pd.DataFrame:
            return con.execute(f"SELECT coalesce(m.{column}, '(none)') AS value, count(*) AS models {sel} "
                               "GROUP BY 1 ORDER BY 2 DESC, 1").df()

        # The largest families only: a big selection holds hundreds of thousands of one-model families.
        families = con.execute(f"""
            SELECT m.family AS value, count(*) AS models, any_value(f.size) AS family_size {sel}
            LEFT JOIN families f USING (family_id) GROUP BY 1 ORDER BY 2 DESC, 3 DESC, 1 LIMIT ?""", [int(top)]).df()
        count, n_families = con.execute(f"SELECT count(*), count(DISTINCT m.family) {sel}").fetchone()
        return {"count": int(count), "models": table, "tasks": mix("pipeline_tag"), "libraries": mix("library_name"),
                "licenses": mix("license_class"), "families": families, "n_families": int(n_families)}


def selection_rows(con, rows) -> pd.DataFrame:
    """Every selected model's id and metadata, for a CSV export (most downloaded first)."""
    with _registered_rows(con, rows) as sel:
        return con.execute(f"""
            SELECT m.model_id, m.author, m.pipeline_tag, m.library_name, m.license_class, array_to_string(m.licenses, ';')
                   AS licenses, m.downloads, m.likes, m.created_at, m.family, m.depth
            {sel} ORDER BY m.downloads DESC, m.model_id""").df()


MAX_POLYGON = 500  # vertices a polygon keeps in a URL


def format_polygon(polygon) -> str:
    """A selection polygon for the URL: integer grid vertices "x,y;x,y;…", thinned to ``MAX_POLYGON``."""
    poly = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    poly = poly[np.isfinite(poly).all(axis=1)]
    if len(poly) > MAX_POLYGON:
        poly = poly[np.linspace(0, len(poly) - 1, MAX_POLYGON).astype(np.int64)]
    poly = np.clip(np.rint(poly), 0, GRID).astype(np.int64)
    return ";".join(f"{x},{y}" for x, y in poly) if len(poly) >= 3 else ""


def parse_polygon(text: str | None) -> list[tuple[int, int]]:
    """The polygon of a ``format_polygon`` string; anything malformed gives [] (no selection), never an error.

    >>> parse_polygon("0,0;10,0;10,10") , parse_polygon("1,2;x,3"), parse_polygon("0,0;99999,0;5,5")
    ([(0, 0), (10, 0), (10, 10)], [], [(0, 0), (9999, 0), (5, 5)])
    """
    import re

    if not text or len(text) > 12 * MAX_POLYGON * 2:
        return []
    out = []
    for pair in text.split(";")[: MAX_POLYGON * 2]:
        parts = pair.split(",")
        if len(parts) != 2 or not all(re.fullmatch(r"-?[0-9]{1,6}", p.strip()) for p in parts):
            return []
        out.append(tuple(min(max(int(p), 0), GRID) for p in parts))
    return out if len(out) >= 3 else []


@dataclass(frozen=True)
class Camera:
    """Where the map looks: the target point on the grid, the zoom (deck.gl's log2 scale) and, in 3D, the orbit."""

    x: float
    y: float
    zoom: float
    z: float = 0.0
    orbit: float = 0.0
    pitch: float = 0.0
    three_d: bool = False  # a 3D camera writes all six numbers, a 2D one three

    def to_url(self) -> str:
        vals = [self.x, self.y, self.zoom] + ([self.z, self.orbit, self.pitch] if self.three_d else [])
        return ",".join(f"{v:.4g}" if abs(v) < 100 else f"{v:.0f}" for v in vals)

    @classmethod
    def from_url(cls, text: str | None) -> "Camera | None":
        """A camera from ``to_url``'s text, or None when the text is missing, malformed or out of range."""
        if not text or len(text) > 120:
            return None
        try:
            vals = [float(v) for v in text.split(",")]
        except ValueError:
            return None
        if len(vals) not in (3, 6) or not all(np.isfinite(vals)):
            return None
        x, y, zoom, *rest = vals
        if not (-GRID <= x <= 2 * GRID and -GRID <= y <= 2 * GRID and -20 <= zoom <= 20):
            return None
        z, orbit, pitch = rest or (0.0, 0.0, 0.0)
        if not (-GRID <= z <= 2 * GRID and -360 <= orbit <= 360 and -90 <= pitch <= 90):
            return None
        return cls(x, y, zoom, z, orbit, pitch, three_d=bool(rest))


DENSITY_CELLS = 256  # the density mode counts models per 1/256 × 1/256 square of the 2D map…
DENSITY_REACH = 2  # …and sums the squares within 2 of it: a 5 × 5 neighbourhood, ~2% of the map across
DENSITY_BINS = ["1", "2–4", "5–16", "17–64", "65–256", "257–1,024", "1,025–4,096", "4,097+"]
# A sequential palette (viridis, light for dense places so they read on white).
DENSITY_RGB = [[68, 1, 84], [70, 50, 126], [54, 92, 141], [39, 127, 142], [31, 161, 135], [74, 193, 109],
               [160, 218, 57], [253, 231, 37]]


def density_codes(gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Per point, how crowded its place on the map is: models in its neighbourhood (``DENSITY_REACH`` squares of
    ``DENSITY_CELLS``² around it, a smooth count rather than one of blocks), binned by powers of 4
    (``DENSITY_BINS``); and the legend (bin, models in such places, rgb)."""
    n = DENSITY_CELLS
    cx = np.minimum(np.asarray(gx, dtype=np.int64) * n // (GRID + 1), n - 1)
    cy = np.minimum(np.asarray(gy, dtype=np.int64) * n // (GRID + 1), n - 1)
    counts = np.bincount(cx * n + cy, minlength=n * n).reshape(n, n)
    r = DENSITY_REACH
    padded = np.pad(counts, r).cumsum(0).cumsum(1)
    padded = np.pad(padded, ((1, 0), (1, 0)))
    near = padded[2 * r + 1:, 2 * r + 1:] - padded[:-2 * r - 1, 2 * r + 1:] - padded[2 * r + 1:, :-2 * r - 1] + padded[:-2 * r - 1, :-2 * r - 1]
    crowd = near[cx, cy]
    codes = np.minimum(np.ceil(np.log(np.maximum(crowd, 1)) / np.log(4)).astype(np.int64), len(DENSITY_BINS) - 1)
    legend = pd.DataFrame({"category": [f"{b} nearby" for b in DENSITY_BINS],
                           "models": np.bincount(codes, minlength=len(DENSITY_BINS)), "rgb": DENSITY_RGB})
    return codes.astype(np.int16), legend


def hover_table(con) -> pa.Table:
    """What hovering a point shows, per model in bundle order: id, task, library, first license, downloads, family
    and its size (Arrow; written to the browser in chunks by ``hover_chunks``)."""
    from core.bundle import arrow_rows

    return arrow_rows(con, """
        SELECT m.model_id AS id, m.pipeline_tag AS task, m.library_name AS library,
               coalesce(m.licenses[1], m.license_class) AS license, m.downloads, m.family, coalesce(f.size, 1) AS family_size
        FROM models m LEFT JOIN families f USING (family_id) ORDER BY m.rowid""")


FAMILY_LEVEL = 3  # map labels: levels 0-2 are the cluster hierarchy, this one the roots of the largest families

HOVER_CHUNK = 1024  # points a hover file holds: ~0.1 MB of JSON, fetched the first time a point in it is hovered


def hover_chunks(table: pa.Table, order: np.ndarray, chunk: int = HOVER_CHUNK):
    """(index, JSON bytes) of each hover file: ``table``'s rows in draw order, ``chunk`` at a time, as columns."""
    import json

    ordered = table.take(pa.array(order)).combine_chunks()  # one take, then zero-copy slices (a take a chunk: 40x slower)
    for i, start in enumerate(range(0, len(order), chunk)):
        part = ordered.slice(start, chunk)
        yield i, json.dumps({c: part[c].to_pylist() for c in part.column_names}, separators=(",", ":"),
                            ensure_ascii=True, default=str).encode()
