"""Map selections (core.atlas): a box or a lasso on the map's grid becomes model ids, then a summary."""

import numpy as np
import pytest

from core import atlas
from core.bundle import connect, open_bundle
from tests.conftest import ROOT


def test_box_selects_points_inside_and_on_its_edges():
    x = np.array([0, 1, 2, 3, 4, 2, 2])
    y = np.array([0, 1, 2, 3, 4, 0, 5])
    box = atlas.box_polygon(3, 4, 1, 0)  # corners in any order
    assert atlas.points_in_polygon(x, y, box).tolist() == [1, 2, 3, 5]


def test_lasso_follows_a_concave_outline():
    # An L: the square 0..4 × 0..4 without its top-right quarter.
    lasso = [(0, 0), (4, 0), (4, 2), (2, 2), (2, 4), (0, 4)]
    x = np.array([1, 3, 3, 1, 5, 1.5])
    y = np.array([1, 1, 3, 3, 1, 3.9])
    assert atlas.points_in_polygon(x, y, lasso).tolist() == [0, 1, 3, 5]  # (3, 3) is in the missing quarter


@pytest.mark.parametrize("polygon", [[], [(0, 0), (1, 1)], [(0, 0), (np.nan, 1), (1, 0)], "not a polygon", [[1, 2, 3]]])
def test_degenerate_or_hostile_polygons_select_nothing(polygon):
    assert len(atlas.points_in_polygon(np.arange(5), np.arange(5), polygon)) == 0


def test_a_huge_lasso_is_thinned_not_looped_over():
    t = np.linspace(0, 2 * np.pi, 100_000, endpoint=False)
    circle = np.column_stack([50 + 40 * np.cos(t), 50 + 40 * np.sin(t)])
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 100, 20_000), rng.uniform(0, 100, 20_000)
    got = set(atlas.points_in_polygon(x, y, circle).tolist())
    exact = set(np.flatnonzero((x - 50) ** 2 + (y - 50) ** 2 < 40 ** 2).tolist())
    assert len(got ^ exact) <= 10  # only points within a hair of the outline differ


def test_a_box_on_the_demo_map_returns_the_models_drawn_there():
    con = connect(open_bundle(ROOT / "data" / "demo"))
    pts = atlas.map_points(con)
    gx, gy, _ = atlas.grid_coordinates(pts["x"].to_numpy(), pts["y"].to_numpy())
    cx, cy, r = int(np.median(gx)), int(np.median(gy)), atlas.GRID // 20
    rows = atlas.points_in_polygon(gx, gy, atlas.box_polygon(cx - r, cy - r, cx + r, cy + r))
    expected = np.flatnonzero((np.abs(gx - cx) <= r) & (np.abs(gy - cy) <= r))
    assert len(rows) > 10 and rows.tolist() == expected.tolist()
    ids = pts["model_id"].take(rows).to_pylist()
    summary = atlas.selection_summary(con, ids, top=20)
    assert summary["count"] == len(ids) and len(summary["models"]) == min(20, len(ids))
    assert summary["models"]["downloads"].is_monotonic_decreasing
    for key in ("tasks", "libraries", "licenses", "families"):
        assert summary[key]["models"].sum() == len(ids), key
