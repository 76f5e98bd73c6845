"""Publishing a bundle as a Hub dataset, offline: the card, its configs, and the failure paths."""

import os
import shutil
import subprocess
import sys

import pytest
import yaml

from core.bundle import open_bundle
from core.hub.publish import CONFIGS, dataset_card
from tests.conftest import ROOT


def test_the_dataset_card_is_valid_and_every_config_loads(tmp_path):
    folder = tmp_path / "demo"
    shutil.copytree(ROOT / "data" / "demo", folder)
    card = dataset_card(open_bundle(folder), "someone/phylo-demo")
    front = yaml.safe_load(card.split("---")[1])
    assert [c["config_name"] for c in front["configs"]] == list(CONFIGS)
    assert front["size_categories"] == ["10K<n<100K"] and front["license"] == "other"
    assert "synthetic data" in card and 'load_dataset("someone/phylo-demo", "edges"' in card
    from huggingface_hub import DatasetCard

    assert DatasetCard(card).data.to_dict()["configs"] == front["configs"]
    (folder / "README.md").write_text(card)
    import datasets
    import pyarrow.parquet as pq

    for name in CONFIGS:
        ds = datasets.load_dataset(str(folder), name, split="train", cache_dir=str(tmp_path / "cache"))
        assert ds.num_rows == pq.ParquetFile(folder / f"{name}.parquet").metadata.num_rows, name


@pytest.mark.parametrize("case", ["no token", "no network"])
def test_publish_without_a_token_or_a_network_fails_with_one_line(case, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "HF_TOKEN"}
    secret = "hf_" + "x" * 34
    if case == "no network":
        env.update(HF_TOKEN=secret, HF_ENDPOINT="http://127.0.0.1:9", HF_HUB_OFFLINE="0", HF_HUB_ETAG_TIMEOUT="2")
    res = subprocess.run([sys.executable, "-m", "core.publish", "data/demo", "--repo", "someone/phylo-demo"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("phylo: error:"), res.stderr
    assert ("HF_TOKEN" in lines[0]) if case == "no token" else ("cannot publish to someone/phylo-demo" in lines[0])
    assert secret not in res.stderr + res.stdout
