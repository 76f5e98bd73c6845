"""The map as the server holds it: every model's grid position, draw order and id, and what is derived from them
for the browser (point files, hover files, labels, filter masks) and for lookups (positions, selections).

One ``MapGeometry`` per bundle is shared read-only by every session: ids stay one Arrow array (~40 bytes a model;
1.86M Python strings would be ~150 MB).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from core.atlas.browser import FAMILY_LEVEL, HOVER_CHUNK, hover_chunks, interleave, mask_bits, short_label, write_array, \
    write_bytes
from core.atlas.grid import draw_order, grid_coordinates, grid_coordinates_3d, points_in_polygon, to_grid
from core.atlas.projection import place_new
from core.atlas.queries import (ColorBy, MapFilter, SizeBy, color_codes, created_days, hover_table, map_points,
                                matching_rows, size_codes)
from core.atlas.urls import parse_polygon
from core.bundle import pandas_rows

__all__ = ["MapGeometry", "map_geometry", "rows_of", "PointCodes", "point_codes", "point_files", "hover_files",
           "map_labels", "polygon_rows", "selected_rows", "match_mask", "fraction_codes", "FRACTION_STEPS", "positions", "place_vectors"]

FILES_VERSION = "v4"  # bump when the layout of the point files changes


@dataclass(frozen=True, eq=False)
class MapGeometry:
    """Grid coordinates in 2D and 3D (bundle order), the draw order, the grid transform, ids and the version key."""

    gx: np.ndarray
    gy: np.ndarray
    g3: list[np.ndarray]
    grid: dict
    order: np.ndarray
    ids: pa.Array
    key: str
    frac: np.ndarray | None = None  # (N, 2) int8: the 2D position's remainder past the grid unit, in 1/254ths


FRACTION_STEPS = 254  # a grid unit in fraction codes (int8 -127..127 is -0.5..0.5 of a unit)


def fraction_codes(x: np.ndarray, y: np.ndarray, gx: np.ndarray, gy: np.ndarray, grid: dict) -> np.ndarray:
    """What the integer grid rounds off (half a unit at most), as int8 codes of 1/``FRACTION_STEPS`` of a unit: the
    browser adds them to the uint16 positions, so no lattice shows at the deepest zoom (the point files keep their
    layout; the codes are a file of their own)."""
    exact = np.stack([(np.asarray(x, np.float64) - grid["x0"]) * grid["scale"],
                      (np.asarray(y, np.float64) - grid["y0"]) * grid["scale"]], axis=1)
    rest = exact - np.stack([gx, gy], axis=1)
    return np.clip(np.rint(np.nan_to_num(rest) * FRACTION_STEPS), -127, 127).astype(np.int8)


def map_geometry(con, key: str) -> MapGeometry:
    """The geometry of the bundle ``con`` reads; ``key`` is its ``Bundle.version_key``."""
    pts = map_points(con)
    x, y = pts["x"].to_numpy(), pts["y"].to_numpy()
    gx, gy, grid = grid_coordinates(x, y)
    g3 = grid_coordinates_3d(np.stack([pts[c].to_numpy() for c in ("x3", "y3", "z3")], axis=1))
    return MapGeometry(gx=gx, gy=gy, g3=g3, grid=grid, order=draw_order(pts["downloads"].to_numpy().astype(np.int64)),
                       ids=pts["model_id"].combine_chunks(), key=key, frac=fraction_codes(x, y, gx, gy, grid))


def rows_of(con, model_ids) -> dict[str, int]:
    """Bundle row of each given model id that exists (one DuckDB lookup, not a scan of the id list)."""
    found = con.execute("SELECT model_id, rowid FROM models WHERE model_id IN (SELECT unnest(?::VARCHAR[]))",
                        [list(model_ids)]).fetchall()
    return {m: int(r) for m, r in found}


def positions(con, geo: MapGeometry, model_ids, exact: bool = False) -> list[tuple]:
    """Grid positions of a few models, in the order given (unknown ids left out); integers, or with ``exact`` the
    positions the browser draws (fraction codes added)."""
    rows = rows_of(con, model_ids)
    if not exact or geo.frac is None:
        return [(m, int(geo.gx[rows[m]]), int(geo.gy[rows[m]])) for m in model_ids if m in rows]
    return [(m, round(float(geo.gx[r] + geo.frac[r, 0] / FRACTION_STEPS), 3),
             round(float(geo.gy[r] + geo.frac[r, 1] / FRACTION_STEPS), 3))
            for m in model_ids if (r := rows.get(m)) is not None]


@dataclass(frozen=True, eq=False)
class PointCodes:
    """Colour code, size code and the colour legend of every model, in bundle order."""

    colors: np.ndarray
    sizes: np.ndarray
    legend: object  # pandas DataFrame: category, models, rgb


def point_codes(con, color_by: ColorBy, size_by: SizeBy) -> PointCodes:
    colors, legend = color_codes(con, ColorBy(color_by))
    return PointCodes(colors, size_codes(con, SizeBy(size_by)), legend)


def _file(static: Path, geo: MapGeometry, name: str, write) -> str:
    """URL of a point file under ``static``, written once (atomically) by ``write(path)``."""
    target = static / "points" / geo.key / name
    if not target.exists():
        write(target)
    return f"app/static/points/{geo.key}/{name}"


def point_files(con, geo: MapGeometry, static: Path, codes: PointCodes, color_by: ColorBy, size_by: SizeBy,
                three_d: bool, with_time: bool = False) -> dict:
    """The binary point files of a view (positions, colour codes, size codes, creation days) and the legend.

    Files are named by content version and view, so browsers may cache them; the map component fetches each once.
    """
    order, v = geo.order, FILES_VERSION
    if three_d:
        pos = _file(static, geo, f"{v}-xyz.u16", lambda t: write_array(t, interleave(*(g[order] for g in geo.g3)), "u2"))
    else:
        pos = _file(static, geo, f"{v}-xy.u16", lambda t: write_array(t, interleave(geo.gx[order], geo.gy[order]), "u2"))
    fraction = None
    if not three_d and geo.frac is not None:
        fraction = _file(static, geo, f"{v}-xy-frac.i8", lambda t: write_array(t, geo.frac[order].ravel(), "i1"))
    files = {"position_url": pos, "fraction_url": fraction,
             "color_url": _file(static, geo, f"{v}-c-{ColorBy(color_by).value}.u8",
                                lambda t: write_array(t, codes.colors[order], "u1")),
             "size_url": None if SizeBy(size_by) is SizeBy.NONE else
             _file(static, geo, f"{v}-s-{SizeBy(size_by).value}.u8", lambda t: write_array(t, codes.sizes[order], "u1")),
             "time_url": _file(static, geo, f"{v}-t.u16", lambda t: write_array(t, created_days(con)[order], "u2"))
             if with_time else None}
    files["bytes"] = sum((static.parent / u.removeprefix("app/")).stat().st_size for u in files.values() if u)
    legend = codes.legend
    colored = legend[legend["category"] != "other"]
    return {"files": files, "legend": legend, "n_colors": len(colored),
            "palette": [list(map(int, c)) for c in colored["rgb"]]}


def hover_files(con, geo: MapGeometry, static: Path) -> dict:
    """Hover facts in draw-order chunks of ``HOVER_CHUNK`` (written once per bundle version): the component fetches
    the chunk of a point the first time one of its points is hovered."""
    folder = static / "points" / geo.key / f"hover-{HOVER_CHUNK}"
    done = folder / "complete"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        for i, blob in hover_chunks(hover_table(con), geo.order):
            write_bytes(folder / f"h{i}.json", blob)
        done.write_text("ok")
    return {"hover_url": f"app/static/points/{geo.key}/{folder.name}/h", "hover_chunk": HOVER_CHUNK}


def map_labels(con, geo: MapGeometry) -> list[dict]:
    """The label hierarchy with grid positions in 2D and 3D (a few hundred rows), and a second layer naming the
    roots of the 15 largest families where their root model sits."""
    t = pandas_rows(con, "SELECT level, label, size, anchor FROM labels ORDER BY level, size DESC, cluster")
    roots = pandas_rows(con, "SELECT ?::INTEGER AS level, family AS label, size, family AS anchor FROM families "
                             "WHERE size > 1 ORDER BY size DESC, family LIMIT 15", [FAMILY_LEVEL])
    rows = rows_of(con, t["anchor"].tolist() + roots["anchor"].tolist())
    out = []
    for r in [*t.itertuples(), *roots.itertuples()]:
        row = rows.get(r.anchor)
        if row is None:
            continue
        family = r.level == FAMILY_LEVEL
        out.append({"level": int(r.level), "text": short_label(r.label, 1) if family else short_label(r.label),
                    "title": f"family of {r.label}" if family else r.label, "n": int(r.size),
                    "xy": [int(geo.gx[row]), int(geo.gy[row])], "xyz": [int(g[row]) for g in geo.g3]})
    return out


def polygon_rows(geo: MapGeometry, polygon: str) -> np.ndarray:
    """Bundle rows inside a URL polygon (``format_polygon``) on the 2D map, as uint32 (7 MB for 1.86M models)."""
    return points_in_polygon(geo.gx, geo.gy, parse_polygon(polygon)).astype(np.uint32)


def selected_rows(con, geo: MapGeometry, polygon: str, f: MapFilter | None = None) -> tuple[np.ndarray, int]:
    """What a box or lasso selects: the rows inside ``polygon`` that also pass the active filter ``f`` (a selection
    drawn over a filtered map takes what the map shows as matching, not the dimmed rest), as uint32; and how many
    rows the outline holds in all."""
    inside = polygon_rows(geo, polygon)
    if f is None or not f.active:
        return inside, len(inside)
    return np.intersect1d(inside, matching_rows(con, f), assume_unique=True).astype(np.uint32), len(inside)


def match_mask(con, geo: MapGeometry | None, f: MapFilter, within: np.ndarray | None = None,
               polygon: str = "") -> dict:
    """Rows passing ``f`` (and in ``within``, a selection's rows, when given): their count, one bit per drawn point
    (base64, for the map component; empty without a map) and a digest the component keeps a mask until it changes."""
    rows = matching_rows(con, f)
    if within is not None:
        rows = np.intersect1d(rows, within, assume_unique=True)
    bits = mask_bits(rows, geo.order) if geo is not None else b""
    # The bundle's version is part of the digest.
    digest = hashlib.sha1(repr((geo.key if geo else "", polygon, sorted(f.__dict__.items()))).encode()).hexdigest()
    return {"count": len(rows), "mask": base64.b64encode(bits).decode(), "digest": digest[:12]}


def place_vectors(geo: MapGeometry, projection: dict, vectors: np.ndarray) -> tuple[int, int]:
    """Where a new text's vector lands on the map (the fitted reducer's transform), in grid units."""
    xy = place_new(projection, vectors)[0]
    gx, gy = to_grid([xy[0]], [xy[1]], geo.grid)
    return int(gx[0]), int(gy[0])
