import numpy as np
import pyarrow.parquet as pq

from core.ingest.demo import synthetic_listing
from core.precompute import build_bundle
from core.ingest.demo import demo_snapshot
from tests.conftest import ROOT


def test_generator_is_deterministic_and_hub_shaped():
    a = synthetic_listing(3000, seed=1)
    assert a.equals(synthetic_listing(3000, seed=1))
    assert not a.equals(synthetic_listing(3000, seed=2))


def test_committed_demo_bundle_is_what_the_generator_writes(tmp_path):
    """data/demo must be reproducible from the project's own code (python -m core.demo)."""
    build_bundle(demo_snapshot(), tmp_path, synthetic=True, label="Synthetic demo Hub (generated, not real models)")
    for name in ("models", "edges", "families", "cards"):
        assert pq.read_table(tmp_path / f"{name}.parquet").equals(pq.read_table(ROOT / "data" / "demo" / f"{name}.parquet")), name
    # The vocabularies are exact on every machine (ties at the 512-term cut go alphabetically; they used to follow
    # an argsort whose order differs between CPUs, which moved card means by 2.6e-4). What is left to differ is the
    # last bits of numpy's SIMD-dispatched sums and logs (~1e-16), so the floats are compared within 1e-9: far
    # below any real change, such as a different vocabulary.
    import pandas as pd

    assert pq.read_table(tmp_path / "vectorisers.parquet").select(["trait", "position", "term"]).equals(
        pq.read_table(ROOT / "data" / "demo" / "vectorisers.parquet").select(["trait", "position", "term"]))
    for name, exact in (("resemblance", ["trait", "relative", "measure", "n", "distinct_pairs"]),
                        ("vectorisers", ["trait", "position", "term"])):
        built = pq.read_table(tmp_path / f"{name}.parquet").to_pandas()
        committed = pq.read_table(ROOT / "data" / "demo" / f"{name}.parquet").to_pandas()
        pd.testing.assert_frame_equal(built[exact], committed[exact])
        pd.testing.assert_frame_equal(built.drop(columns=exact), committed.drop(columns=exact), check_exact=False,
                                      atol=1e-9, rtol=0)


def test_demo_bundle_shape():
    fam = pq.read_table(ROOT / "data" / "demo" / "families.parquet").to_pandas()
    models = pq.read_table(ROOT / "data" / "demo" / "models.parquet").to_pandas()
    sizes = np.sort(fam["size"].to_numpy())[::-1]
    assert sizes[0] > 10 * np.median(sizes)  # heavy-tailed family sizes
    edges = pq.read_table(ROOT / "data" / "demo" / "edges.parquet").to_pandas()
    mix = edges["relation"].value_counts(normalize=True)
    assert mix["adapter"] > mix["finetune"] > mix["quantized"] > mix["merge"]  # the study's order
    by_depth = models[models["has_card"]].groupby("depth")["card_length"].mean()
    assert by_depth.loc[0] > by_depth.loc[1] > by_depth.loc[2]  # cards shrink down the tree
    auto = models[models["has_card"]].groupby("depth")["card_auto_generated"].mean()
    assert auto.loc[2] > auto.loc[0]  # and get templated
    months = models["created_at"].dt.year.value_counts().sort_index()
    assert months.iloc[-1] > months.iloc[0]  # growth over time


def test_full_size_source_generator_has_the_dataset_shape_and_real_card_lengths(tmp_path, shared_data):
    import pandas as pd

    from core.ingest.demo import CARD_LENGTH_KNOTS, CARD_LENGTH_QUANTILES, CARD_SHARE, DATASET_COLUMNS, write_source
    from core.ingest.snapshot import read_snapshot

    # The knots are the real cards' length quantiles.
    real = pd.read_csv(shared_data / "family_trees_2025.csv", usecols=["modelCard"])["modelCard"].dropna().astype(str)
    lengths = real[real.str.len() > 3].str.len().to_numpy()
    assert np.allclose(np.quantile(lengths, CARD_LENGTH_QUANTILES), CARD_LENGTH_KNOTS, rtol=0.01, atol=1)

    pq_path, csv_path = tmp_path / "hub.parquet", tmp_path / "hub.csv"
    write_source(pq_path, n=12_000, seed=5, chunk=5_000)
    write_source(csv_path, n=12_000, seed=5, chunk=5_000)
    table = pq.read_table(pq_path)
    assert tuple(table.column_names) == DATASET_COLUMNS and pq.ParquetFile(pq_path).num_row_groups == 3
    cards = table["modelCard"].to_pandas().dropna()
    assert abs(len(cards) / table.num_rows - CARD_SHARE) < 0.02
    assert cards.str.startswith("---\n").all()  # a YAML header, as Hub READMEs have
    got = np.quantile(cards.str.len(), [0.5, 0.9, 0.99])
    assert np.allclose(got, [1515, 4541, 21993], rtol=0.15)
    assert table["tags"][0].as_py().startswith("['")  # list columns as Python-list text
    # Deterministic, and the CSV holds the same snapshot as the parquet.
    write_source(tmp_path / "again.parquet", n=12_000, seed=5, chunk=5_000)
    assert (tmp_path / "again.parquet").read_bytes() == pq_path.read_bytes()
    a, b = read_snapshot(str(pq_path)).table, read_snapshot(str(csv_path)).table
    assert a.column_names == b.column_names and a.num_rows == b.num_rows
    assert a["model_id"].equals(b["model_id"]) and a["tags"].equals(b["tags"]) and a["modelCard"].equals(b["modelCard"])
