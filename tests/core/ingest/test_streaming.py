"""Streaming ingest: a bundle built batch by batch equals the one built from the whole source in memory."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import core.ingest.cards as cards_module
from core.ingest.demo import write_source
from core.errors import SourceError
from core.ingest.models import normalize
from core.precompute import build_bundle
from core.ingest.snapshot import open_snapshot, read_snapshot

BUNDLE_TABLES = ("models", "edges", "families", "cards", "resemblance", "vectorisers")


def _assert_same_bundle(a, b):
    import pandas as pd

    for name in BUNDLE_TABLES:
        if (a / f"{name}.parquet").exists() or (b / f"{name}.parquet").exists():
            ta, tb = pq.read_table(a / f"{name}.parquet"), pq.read_table(b / f"{name}.parquet")
            if name == "resemblance":  # NaN means (no pairs) never compare equal in Arrow
                pd.testing.assert_frame_equal(ta.to_pandas(), tb.to_pandas(), check_exact=True)
            else:
                assert ta.equals(tb), name
    ma, mb = (json.loads((x / "manifest.json").read_text()) for x in (a, b))
    # cards.parquet holds a row group per batch read, so its bytes follow the batches; its rows are compared above.
    for m in (ma, mb):
        m["files"].pop("cards.parquet", None)
    assert ma == mb


@pytest.fixture(scope="module")
def listing_slice(tmp_path_factory, shared_data):
    """The first 60,000 models of the real 760k listing, as parquet (its lineage crosses every batch boundary)."""
    path = tmp_path_factory.mktemp("slice") / "listing_60k.parquet"
    pf = pq.ParquetFile(shared_data / "hub_listing_2024-07.parquet")
    pq.write_table(pa.Table.from_batches([next(pf.iter_batches(batch_size=60_000))]), path, row_group_size=25_000)
    return path


def test_streamed_listing_equals_in_memory(listing_slice, tmp_path):
    build_bundle(str(listing_slice), tmp_path / "whole", batch_rows=None)
    build_bundle(str(listing_slice), tmp_path / "stream", batch_rows=7_000)
    _assert_same_bundle(tmp_path / "whole", tmp_path / "stream")
    for name in ("models.parquet", "edges.parquet", "families.parquet", "resemblance.parquet", "manifest.json"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "stream" / name).read_bytes(), name
    assert json.loads((tmp_path / "stream" / "manifest.json").read_text())["counts"]["models"] == 60_000


def test_streamed_dataset_csv_and_parquet_equal_in_memory(shared_data, tmp_path):
    csv = shared_data / "family_trees_2025.csv"
    build_bundle(str(csv), tmp_path / "whole", batch_rows=None)
    build_bundle(str(csv), tmp_path / "stream", batch_rows=150)
    _assert_same_bundle(tmp_path / "whole", tmp_path / "stream")
    # The same rows as a dataset-shape parquet file with small row groups.
    parquet = tmp_path / "family_trees.parquet"
    pq.write_table(read_snapshot(str(csv)).table, parquet, row_group_size=300)
    build_bundle(str(parquet), tmp_path / "pq_stream", batch_rows=200)
    for name in ("models", "edges", "families", "cards"):
        assert pq.read_table(tmp_path / "pq_stream" / f"{name}.parquet").equals(
            pq.read_table(tmp_path / "whole" / f"{name}.parquet")), name
    assert json.loads((tmp_path / "stream" / "manifest.json").read_text())["counts"]["cards"] > 1800


def test_streamed_sample_equals_in_memory_sample(shared_data, tmp_path):
    csv = str(shared_data / "family_trees_2025.csv")  # CSV: the row count is not known up front
    build_bundle(csv, tmp_path / "whole", sample=700, batch_rows=None)
    build_bundle(csv, tmp_path / "stream", sample=700, batch_rows=128)
    _assert_same_bundle(tmp_path / "whole", tmp_path / "stream")


@pytest.fixture(scope="module")
def card_heavy(tmp_path_factory):
    path = tmp_path_factory.mktemp("cards") / "hub_3000.parquet"
    write_source(path, n=3000, seed=3, chunk=1000)
    return path


def test_card_heavy_source_is_ingested_without_holding_all_cards(card_heavy, tmp_path, monkeypatch):
    written = []
    original = cards_module.CardWriter.write
    monkeypatch.setattr(cards_module.CardWriter, "write",
                        lambda self, cards, rows: (written.append(cards.num_rows), original(self, cards, rows)))
    manifest = build_bundle(str(card_heavy), tmp_path / "b", batch_rows=250)
    assert len(written) == 12 and max(written) <= 250  # cards left batch by batch
    assert sum(written) == manifest["counts"]["cards"] == pq.read_metadata(tmp_path / "b" / "cards.parquet").num_rows
    # The normaliser itself keeps no card text when it has a sink.
    reader = open_snapshot(str(card_heavy), batch_rows=250)
    sizes = []
    norm = normalize(reader, card_sink=lambda cards, rows: sizes.append(cards.num_rows))
    assert norm.cards is None and norm.n_cards == sum(sizes) == manifest["counts"]["cards"]
    assert "card" not in norm.models.column_names


def test_batches_are_bounded_and_cover_every_row(card_heavy):
    reader = open_snapshot(str(card_heavy), batch_rows=400)
    sizes = [b.num_rows for b in reader.batches()]
    assert max(sizes) <= 400 and sum(sizes) == 3000 == reader.count_rows()
    assert "Unnamed: 0" not in reader.columns  # the index column is dropped


def test_duplicate_ids_across_batches_keep_the_first(tmp_path):
    rows = [{"id": f"a/m{i % 7}", "downloads": i, "tags": []} for i in range(20)]
    path = tmp_path / "dups.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    norm = normalize(open_snapshot(str(path), batch_rows=3))
    assert norm.models["model_id"].to_pylist() == [f"a/m{i}" for i in range(7)]
    assert norm.models["downloads"].to_pylist() == list(range(7))
    assert norm.warnings["duplicate_id"] == 13


def test_duplicates_across_batches_lose_their_cards_too(tmp_path):
    rows = [{"model_id": f"a/m{i % 5}", "downloads": str(i), "tags": "[]", "modelCard": f"card {i} " * 3}
            for i in range(12)]
    path = tmp_path / "dups.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    manifest = build_bundle(str(path), tmp_path / "b", batch_rows=4)
    cards = pq.read_table(tmp_path / "b" / "cards.parquet").to_pylist()
    assert cards == [{"model_id": f"a/m{i}", "card": f"card {i} " * 3} for i in range(5)]
    assert manifest["counts"]["models"] == 5 and manifest["counts"]["cards"] == 5
    assert manifest["warnings"]["duplicate_id"] == 7


def test_a_read_error_mid_stream_is_one_clear_error(card_heavy, tmp_path):
    broken = tmp_path / "broken.parquet"
    data = card_heavy.read_bytes()
    broken.write_bytes(data[:4] + bytes(len(data) // 2) + data[4 + len(data) // 2:])  # row groups zeroed, footer kept
    with pytest.raises(SourceError, match="cannot read"):
        build_bundle(str(broken), tmp_path / "b", batch_rows=500)
    assert not (tmp_path / "b" / "cards.parquet.tmp").exists()


def test_stopping_early_ends_the_reading_thread(card_heavy):
    import threading

    batches = open_snapshot(str(card_heavy), batch_rows=100).batches()
    next(batches)
    batches.close()
    assert not any(t.name == "phylo-read" and t.is_alive() for t in threading.enumerate())


def test_hub_dataset_source_streams_from_the_memory_mapped_table(card_heavy, tmp_path, monkeypatch):
    """A Hub dataset id goes through ``datasets.load_dataset``; here it resolves to a local parquet of the same shape."""
    import datasets

    real_load = datasets.load_dataset
    asked = []

    def load_dataset(repo_id, split=None, **kwargs):
        asked.append(repo_id)
        return real_load("parquet", data_files=str(card_heavy), split=split, cache_dir=str(tmp_path / "hf"))

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    reader = open_snapshot("modelbiome/ai_ecosystem_withmodelcards", batch_rows=700)
    assert asked == ["modelbiome/ai_ecosystem_withmodelcards"] and reader.num_rows == 3000
    assert max(b.num_rows for b in reader.batches()) <= 700
    build_bundle("modelbiome/ai_ecosystem_withmodelcards", tmp_path / "hub", batch_rows=700)
    build_bundle(str(card_heavy), tmp_path / "file", batch_rows=None)
    for name in ("models", "edges", "families", "cards"):
        assert pq.read_table(tmp_path / "hub" / f"{name}.parquet").equals(pq.read_table(tmp_path / "file" / f"{name}.parquet"))


def test_hub_dataset_offline_is_one_clear_error(tmp_path, monkeypatch):
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "PATH": "/usr/bin:/bin"}
    res = subprocess.run([sys.executable, "-m", "core.precompute", "--source", "nobody/no-such-dataset", "--out",
                          str(tmp_path / "b"), "--no-embed", "--quiet"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "cannot load Hub dataset 'nobody/no-such-dataset'" in res.stderr
