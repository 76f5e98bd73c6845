import numpy as np
import pyarrow.parquet as pq

from core.demo import synthetic_listing
from core.precompute import build_bundle
from core.demo import demo_snapshot
from tests.conftest import ROOT


def test_generator_is_deterministic_and_hub_shaped():
    a = synthetic_listing(3000, seed=1)
    assert a.equals(synthetic_listing(3000, seed=1))
    assert not a.equals(synthetic_listing(3000, seed=2))


def test_committed_demo_bundle_is_what_the_generator_writes(tmp_path):
    """data/demo must be reproducible from the project's own code (python -m core.demo)."""
    build_bundle(demo_snapshot(), tmp_path, synthetic=True, label="Synthetic demo Hub (generated, not real models)")
    for name in ("models", "edges", "families", "cards", "resemblance"):
        assert pq.read_table(tmp_path / f"{name}.parquet").equals(pq.read_table(ROOT / "data" / "demo" / f"{name}.parquet")), name


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
