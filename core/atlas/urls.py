"""The map's state in a URL: the camera and a selection polygon as short, hostile-proof strings."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from core.atlas.grid import GRID

__all__ = ["MAX_POLYGON", "format_polygon", "parse_polygon", "Camera"]


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
