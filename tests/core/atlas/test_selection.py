"""Map selections (core.atlas.queries): a box or a lasso on the map's grid becomes model ids, then a summary."""

import numpy as np
import pytest

from core import atlas
from core.bundle import open_bundle, pandas_rows
from core.licenses import connect
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
    summary = atlas.selection_summary(con, rows, top=20)
    assert summary["count"] == len(ids) and len(summary["models"]) == min(20, len(ids))
    assert summary["models"]["downloads"].is_monotonic_decreasing
    assert set(summary["models"]["model_id"]) <= set(ids)
    for key in ("tasks", "libraries", "licenses"):
        assert summary[key]["models"].sum() == len(ids), key
    families = pandas_rows(con, "SELECT family, count(*) AS n FROM models WHERE model_id IN (SELECT unnest(?::VARCHAR[])) "
                                "GROUP BY 1 ORDER BY 2 DESC, 1", [ids])
    assert summary["n_families"] == len(families) and len(summary["families"]) == min(20, len(families))
    assert summary["families"]["models"].tolist() == families["n"].head(20).tolist()  # the largest, in order
    assert (summary["families"]["family_size"] >= summary["families"]["models"]).all()
    export = atlas.selection_rows(con, rows)
    assert sorted(export["model_id"]) == sorted(ids) and export["downloads"].is_monotonic_decreasing


def test_density_codes_rank_crowded_places_above_lonely_ones():
    rng = np.random.default_rng(1)
    crowd = rng.normal(2_000, 30, size=(5_000, 2))  # one tight crowd…
    lonely = np.array([[9_000, 9_000], [9_500, 200]])  # …and two lone models far away
    gx, gy = np.clip(np.vstack([crowd, lonely]), 0, atlas.GRID).astype(np.int64).T
    codes, legend = atlas.density_codes(gx, gy)
    assert codes[-1] == codes[-2] == 0 and codes[:100].min() >= 4
    assert legend["models"].sum() == len(gx) and len(legend) == len(atlas.DENSITY_BINS)


@pytest.mark.parametrize("text", ["", "1,2;3,4", "1,2;3,x;5,6", "1,2,3;4,5;6,7", "nan,1;2,3;4,5", "1;2;3", "9" * 5000,
                                  "--1,0;0,0;0,1", "²,0;0,0;0,1", "1" + "0" * 5000 + ",0;0,0;0,1", "1e3,0;0,0;0,1",
                                  "١,0;0,0;0,1", " ,0;0,0;0,1"])
def test_malformed_url_polygons_are_no_selection(text):
    assert atlas.parse_polygon(text) == []


def test_url_polygons_round_trip_and_are_clamped_and_thinned():
    box = atlas.box_polygon(10, 20, 300, 400)
    assert atlas.parse_polygon(atlas.format_polygon(box)) == [(10, 20), (300, 20), (300, 400), (10, 400)]
    assert atlas.parse_polygon("-5,0;20000,0;5,5") == [(0, 0), (atlas.GRID, 0), (5, 5)]
    t = np.linspace(0, 2 * np.pi, 5_000, endpoint=False)
    ring = np.column_stack([5_000 + 3_000 * np.cos(t), 5_000 + 3_000 * np.sin(t)])
    text = atlas.format_polygon(ring)
    assert len(atlas.parse_polygon(text)) == atlas.MAX_POLYGON


@pytest.mark.parametrize("text", [None, "", "1,2", "a,b,c", "1,2,3,4", "5000,5000,99", "inf,1,1", "1,1,1,1,1,400"])
def test_bad_cameras_are_ignored(text):
    assert atlas.Camera.from_url(text) is None


def test_cameras_round_trip():
    for cam in (atlas.Camera(4999.5, 120.25, -3.2), atlas.Camera(5000, 5000, -2.5, 5000, 30, 25, three_d=True),
                atlas.Camera(5000, 4000, -2.5, 0, 0, 0, three_d=True)):  # a 3D view at orbit 0 stays 3D
        back = atlas.Camera.from_url(cam.to_url())
        assert back.three_d == cam.three_d
        for field in ("x", "y", "z", "orbit", "pitch"):
            assert abs(getattr(back, field) - getattr(cam, field)) <= 0.5, field
        assert abs(back.zoom - cam.zoom) < 1e-3


def test_an_outline_past_the_map_edge_is_clamped_and_selects_up_to_the_edge():
    poly = atlas.parse_polygon(f"-500,-500;{atlas.GRID + 900},-500;{atlas.GRID + 900},{atlas.GRID + 900};-500,{atlas.GRID + 900}")
    assert poly == atlas.box_polygon(0, 0, atlas.GRID, atlas.GRID)
    x = np.array([0, atlas.GRID, 5000])
    assert atlas.points_in_polygon(x, x, poly).tolist() == [0, 1, 2]


def test_hover_chunks_cover_every_point_in_draw_order():
    import json

    con = connect(open_bundle(ROOT / "data" / "demo"))
    table = atlas.hover_table(con)
    order = atlas.draw_order(table["downloads"].to_numpy())
    chunks = list(atlas.hover_chunks(table, order, chunk=1000))
    assert len(chunks) == -(-len(order) // 1000)
    last = json.loads(chunks[-1][1])
    assert last["id"][-1] == table["id"][int(order[-1])].as_py()  # the most downloaded, drawn last
    first = json.loads(chunks[0][1])
    assert set(first) == {"id", "task", "library", "license", "downloads", "family", "family_size"}
    assert all(s >= 1 for s in first["family_size"])


def test_lone_models_are_grey_in_the_family_colouring():
    con = connect(open_bundle(ROOT / "data" / "demo"))
    codes, legend = atlas.color_codes(con, atlas.ColorBy.FAMILY)
    assert atlas.NO_FAMILY not in set(legend["category"])
    assert legend["category"].iloc[-1] == "other" and legend["rgb"].iloc[-1] == atlas.OTHER_COLOR
    lone = con.execute("SELECT coalesce(f.size, 1) <= 1 AS lone FROM models m LEFT JOIN families f USING (family_id) "
                       "ORDER BY m.rowid").fetchnumpy()["lone"].astype(bool)
    assert lone.any() and (codes[lone] == len(legend) - 1).all()
    assert legend["models"].sum() == len(codes)


def test_a_selection_over_a_filtered_map_keeps_only_the_matching_models():
    """With a search filter on, a box takes the models the map draws as matching: the intersection with the
    filter's rows (on the 760k listing a box over a "sentiment" filter once took 5,242 models, Mistral ones too)."""
    from core.atlas import geometry

    con = connect(open_bundle(ROOT / "data" / "demo"))
    geo = geometry.map_geometry(con, "test")
    polygon = atlas.format_polygon(atlas.box_polygon(0, 0, atlas.GRID, atlas.GRID))
    f = atlas.MapFilter(text="lora")
    everything, inside = geometry.selected_rows(con, geo, polygon)
    rows, inside_f = geometry.selected_rows(con, geo, polygon, f)
    assert inside == inside_f == len(everything) > len(rows) > 0
    ids = pandas_rows(con, "SELECT model_id FROM models WHERE rowid IN (SELECT unnest(?::BIGINT[]))",
                      [rows.astype(np.int64).tolist()])["model_id"]
    assert ids.str.contains("lora", case=False).all()
    assert set(rows.tolist()) == set(atlas.matching_rows(con, f).tolist())
