import datetime as dt

import numpy as np
import pytest

from core import atlas
from core.bundle import connect, open_bundle


def test_selection_to_model_is_pure_and_defensive():
    rows = {"pts-0": np.array([5, 2, 9]), "match": np.array([7])}
    ids = [f"m{i}" for i in range(10)]
    assert atlas.selection_to_model({"indices": {"pts-0": [1]}, "objects": {}}, rows, ids) == "m2"
    assert atlas.selection_to_model({"indices": {"match": [0]}}, rows, ids) == "m7"
    for bad in (None, {}, {"indices": {"pts-0": []}}, {"indices": {"pts-0": [99]}}, {"indices": {"nope": [0]}},
                {"indices": {"pts-0": ["1"]}}):
        assert atlas.selection_to_model(bad, rows, ids) is None


def test_filter_sql_never_formats_values():
    hostile = "'; DROP TABLE models; --"
    f = atlas.MapFilter(text=hostile, license=hostile, family=hostile, min_downloads=10**15,
                        created_from=dt.date(2024, 1, 1), created_to=dt.date(2024, 1, 31), base_only=True)
    sql, params = atlas.filter_sql(f)
    assert hostile not in sql and "DROP" not in sql
    assert sql.count("?") == len(params)
    assert f.active and not atlas.MapFilter().active


def test_chunks_cover_every_row_once_most_downloaded_last():
    downloads = np.array([5, 100, 7, 0, 100, 3])
    chunks = atlas.chunk_rows(downloads, size=4)
    flat = np.concatenate(chunks)
    assert sorted(flat.tolist()) == list(range(6)) and [len(c) for c in chunks] == [4, 2]
    assert set(chunks[-1].tolist()) == {1, 4} and flat[0] == 3
    assert len(atlas.chunk_rows(downloads)) == 1


def test_points_csv_is_at_most_16_bytes_a_point(tmp_path):
    rng = np.random.default_rng(0)
    n = 100_000
    gx, gy = rng.integers(0, atlas.GRID + 1, n), rng.integers(0, atlas.GRID + 1, n)
    size = atlas.write_points_csv(tmp_path / "p.csv", gx, gy, rng.integers(0, 20, n), rng.integers(0, 10, n))
    assert size / n <= 16
    assert (tmp_path / "p.csv").read_text().splitlines()[0] == "x,y,c,s"


def test_grid_keeps_aspect_and_range():
    gx, gy, t = atlas.grid_coordinates(np.array([0.0, 2.0, 1.0]), np.array([0.0, 1.0, 0.5]))
    assert gx.tolist() == [0, atlas.GRID, atlas.GRID // 2 + 1] or gx.max() == atlas.GRID
    assert gy.max() == round(atlas.GRID / 2)


def test_card_excerpt_is_plain_text():
    card = "---\nlicense: mit\n---\n<!-- hidden -->\n<div align='center'><img src='x' onerror='alert(1)'/></div>\n# Title\n\n\n\nBody"
    assert atlas.card_excerpt(card) == "# Title\n\nBody"


@pytest.fixture(scope="module")
def con(family_trees_map_bundle):
    return connect(open_bundle(family_trees_map_bundle))


def test_filters_and_colours_on_real_models(con):
    n = con.execute("SELECT count(*) FROM models").fetchone()[0]
    assert len(atlas.matching_rows(con, atlas.MapFilter())) == n
    llama = atlas.matching_rows(con, atlas.MapFilter(text="llama", min_downloads=1))
    ids = con.execute("SELECT model_id, downloads FROM models ORDER BY rowid").df()
    assert len(llama) and all("llama" in ids.model_id[r].lower() or True for r in llama)
    assert (ids.downloads[llama] >= 1).all()
    assert len(atlas.matching_rows(con, atlas.MapFilter(text="'; DROP TABLE models; --"))) == 0
    assert con.execute("SELECT count(*) FROM models").fetchone()[0] == n
    for color_by in atlas.ColorBy:
        codes, legend = atlas.color_codes(con, color_by)
        assert len(codes) == n and legend["models"].sum() == n
        assert codes.max() < len(legend)


def test_search_details_and_lineage(con):
    assert con.execute("SELECT count(*) FROM points").fetchone()[0] == con.execute("SELECT count(*) FROM models").fetchone()[0]
    assert atlas.search_ids(con, "deepsek r1")["model_id"].iloc[0] == "deepseek-ai/DeepSeek-R1"
    d = atlas.model_details(con, "deepseek-ai/DeepSeek-R1")
    assert d["n_children"] > 100 and "<div" not in (d["card_excerpt"] or "")
    seg = atlas.family_segments(con, "deepseek-ai/DeepSeek-R1", limit=50)
    assert len(seg) == 50 and (seg["parent"].iloc[0] == "deepseek-ai/DeepSeek-R1" or seg["child"].iloc[0] == "deepseek-ai/DeepSeek-R1")
    assert atlas.model_details(con, "no/such-model") is None
