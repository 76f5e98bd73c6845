"""The map's integer grid: coordinates, draw order, selections by polygon, picking and density."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["GRID", "grid_coordinates", "grid_coordinates_3d", "to_grid", "draw_order", "box_polygon",
           "points_in_polygon", "picked_model", "DENSITY_CELLS", "DENSITY_REACH", "DENSITY_BINS", "DENSITY_RGB",
           "density_codes"]


GRID = 9999  # coordinates are integers 0..GRID (uint16 in the point files)



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



def picked_model(pick: dict | None, order: np.ndarray, model_ids, points_key: str) -> str | None:
    """The model id a map click points at (its index in draw order), or None for stale or malformed picks."""
    if not isinstance(pick, dict) or pick.get("points") != points_key:
        return None
    i = pick.get("index")
    if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(order):
        return None
    picked = model_ids[int(order[i])]
    return picked.as_py() if hasattr(picked, "as_py") else picked  # an Arrow array of ids, or a list



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
