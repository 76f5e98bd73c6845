import datetime as dt

import numpy as np
import pytest

from core import atlas
from core.bundle import open_bundle, pandas_rows
from core.licenses import connect


def test_picked_model_is_pure_and_defensive():
    order = np.array([5, 2, 9, 7])
    ids = [f"m{i}" for i in range(10)]
    assert atlas.picked_model({"index": 1, "points": "k"}, order, ids, "k") == "m2"
    assert atlas.picked_model({"index": 3, "points": "k"}, order, ids, "k") == "m7"
    for bad in (None, {}, {"index": 1, "points": "old"}, {"index": 99, "points": "k"}, {"index": -1, "points": "k"},
                {"index": "1", "points": "k"}, {"index": True, "points": "k"}, [1]):
        assert atlas.picked_model(bad, order, ids, "k") is None


def test_filter_sql_never_formats_values():
    hostile = "'; DROP TABLE models; --"
    f = atlas.MapFilter(text=hostile, license=hostile, family=hostile, min_downloads=10**15,
                        created_from=dt.date(2024, 1, 1), created_to=dt.date(2024, 1, 31), base_only=True)
    sql, params = atlas.filter_sql(f)
    assert hostile not in sql and "DROP" not in sql
    assert sql.count("?") == len(params)
    assert f.active and not atlas.MapFilter().active


def test_draw_order_puts_most_downloaded_last():
    order = atlas.draw_order(np.array([5, 100, 7, 0, 100, 3]))
    assert sorted(order.tolist()) == list(range(6)) and order[0] == 3 and set(order[-2:].tolist()) == {1, 4}


def test_point_files_take_6_bytes_a_point(tmp_path):
    rng = np.random.default_rng(0)
    n = 100_000
    gx, gy = rng.integers(0, atlas.GRID + 1, n), rng.integers(0, atlas.GRID + 1, n)
    size = atlas.write_array(tmp_path / "xy.u16", atlas.interleave(gx, gy), "u2")
    size += atlas.write_array(tmp_path / "c.u8", rng.integers(0, 20, n), "u1")
    size += atlas.write_array(tmp_path / "s.u8", rng.integers(0, 10, n), "u1")
    assert size / n == 6
    back = np.fromfile(tmp_path / "xy.u16", dtype="<u2")
    assert back[0] == gx[0] and back[1] == gy[0] and back[-1] == gy[-1]


def test_mask_bits_follow_draw_order():
    order = np.array([3, 0, 2, 1, 4, 5, 6, 7, 8])  # draw index -> bundle row
    bits = np.unpackbits(np.frombuffer(atlas.mask_bits(np.array([0, 8]), order), dtype=np.uint8), bitorder="little")
    assert bits[:9].tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 1] and len(bits) == 16


def test_grid_keeps_aspect_and_range():
    gx, gy, t = atlas.grid_coordinates(np.array([0.0, 2.0, 1.0]), np.array([0.0, 1.0, 0.5]))
    assert gx.tolist() == [0, atlas.GRID, atlas.GRID // 2 + 1] or gx.max() == atlas.GRID
    assert gy.max() == round(atlas.GRID / 2)


@pytest.fixture(scope="module")
def con(family_trees_map_bundle):
    return connect(open_bundle(family_trees_map_bundle))


def test_filters_and_colours_on_real_models(con):
    n = con.execute("SELECT count(*) FROM models").fetchone()[0]
    assert len(atlas.matching_rows(con, atlas.MapFilter())) == n
    llama = atlas.matching_rows(con, atlas.MapFilter(text="llama", min_downloads=1))
    ids = pandas_rows(con, "SELECT model_id, downloads FROM models ORDER BY rowid")
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


def test_created_days_for_the_replay(con):
    days = atlas.created_days(con)
    rows = pandas_rows(con, "SELECT created_at::DATE AS d FROM models ORDER BY rowid")["d"]
    assert len(days) == len(rows) and days.dtype == np.uint16
    known = rows.notna().to_numpy()
    first = int(np.flatnonzero(known)[0])
    assert days[first] == (rows.iloc[first].date() - atlas.EPOCH).days
    assert (days[~known] == atlas.UNKNOWN_DAY).all() and (days[known] < atlas.UNKNOWN_DAY).all()


def test_the_exact_id_comes_first_in_a_fuzzy_search():
    """More downloaded models whose ids contain the query must not push the exact id down the list."""
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE models AS SELECT * FROM (VALUES ('meta-llama/Llama-2-7b-hf', 10), "
                "('TheBloke/Llama-2-7b-hf-GPTQ', 900), ('x/Llama-2-7b-hf-chat', 500), ('y/llama-2-7b-hf', 5), "
                "('z/other', 1000)) t(model_id, downloads)")
    assert atlas.search_ids(con, "meta-llama/llama-2-7b-hf")["model_id"].tolist()[0] == "meta-llama/Llama-2-7b-hf"
    # A bare name: the models of exactly that name first (most downloaded first), then the ids containing it.
    assert atlas.search_ids(con, "Llama-2-7b-hf")["model_id"].tolist()[:3] == [
        "meta-llama/Llama-2-7b-hf", "y/llama-2-7b-hf", "TheBloke/Llama-2-7b-hf-GPTQ"]


def test_positions_are_finer_than_the_grid_so_no_lattice_shows_zoomed_in():
    """The uint16 grid rounds to a unit (at 760k models a dense region sits on a visible lattice at the deepest
    zoom); the fraction codes put every point back within 1/508 of a unit of its projected position."""
    from core.atlas import geometry

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=5000), rng.normal(size=5000)
    gx, gy, grid = atlas.grid_coordinates(x, y)
    frac = geometry.fraction_codes(x, y, gx, gy, grid)
    assert frac.dtype == np.int8 and frac.shape == (5000, 2)
    drawn = np.stack([gx, gy], axis=1) + frac / geometry.FRACTION_STEPS
    exact = np.stack([(x - grid["x0"]) * grid["scale"], (y - grid["y0"]) * grid["scale"]], axis=1)
    assert np.abs(drawn - exact).max() <= 0.5 / geometry.FRACTION_STEPS + 1e-9
    assert np.abs(np.stack([gx, gy], axis=1) - exact).max() > 0.4  # the grid alone is off by up to half a unit
    # Distinct positions: what the lattice merges, the fractions keep apart.
    assert len(np.unique(drawn.round(6), axis=0)) > len(np.unique(np.stack([gx, gy], axis=1), axis=0))
