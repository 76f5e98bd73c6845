import numpy as np

import pyarrow as pa

from core.atlas.projection import cluster_labels, cluster_points, dequantize, label_terms, project, quantize


def _blobs(n=1200, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(4, 384)) * 3
    x = centers[np.arange(n) % 4] + rng.normal(size=(n, 384))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), np.arange(n) % 4


def test_projection_is_deterministic_and_keeps_blobs_apart():
    x, truth = _blobs()
    a = project(x, seed=3, fit_sample=800)
    b = project(x, seed=3, fit_sample=800)
    assert np.array_equal(a.xy, b.xy) and np.array_equal(a.xyz, b.xyz)
    assert a.xy.shape == (1200, 2) and a.xyz.shape == (1200, 3) and np.isfinite(a.xy).all()
    labels = cluster_points(a.xy, seed=0, k=4)
    # Each blob lands (almost) entirely in one cluster, for fitted and transformed points alike.
    purity = sum(np.bincount(labels[truth == t]).max() for t in range(4)) / len(truth)
    assert purity > 0.95


def test_quantize_round_trip():
    x, _ = _blobs(50)
    cos = (dequantize(quantize(x)) * x).sum(1)
    assert cos.min() > 0.999


def test_cluster_labels_name_distinctive_features():
    labels = np.array([0, 0, 0, 1, 1, 1])
    feats = [["llama", "text-generation"], ["llama", "gguf"], ["llama"], ["whisper", "audio"], ["whisper"], ["whisper", "audio"]]
    names = cluster_labels(labels, feats, top=2, min_count=2)
    assert names[0].startswith("llama") and names[1].startswith("whisper")


def test_cluster_labels_stay_distinct_when_clusters_share_every_term():
    labels = np.array([0, 0, 1, 1, 2, 2])
    feats = [["llama"], ["llama"], ["llama"], ["llama"], ["whisper"], ["whisper"]]
    names = cluster_labels(labels, feats, top=2, min_count=1)
    assert len(set(names)) == 3 and names[2] == "whisper"


def test_region_names_never_come_from_licenses_or_hub_boilerplate():
    """The 760k listing's largest cluster was named "artistic-2.0 · other · unknown": licenses and boilerplate tags
    shared by a region are not terms; its task, architecture, base model, language and name words are."""
    n = 60
    ids = [f"user{i}/llama-sentiment-chat-{i}" if i < 30 else f"org{i}/whisper-swahili-{i}" for i in range(n)]
    tasks = ["text-generation" if i < 30 else "automatic-speech-recognition" for i in range(n)]
    boiler = ["license:artistic-2.0", "license:other", "license:unknown", "wtfpl", "other", "unknown", "mit",
              "region:us", "endpoints_compatible", "autotrain_compatible", "text-generation-inference", "tf-keras",
              "not-for-all-audiences", "safetensors", "pytorch", "4-bit", "arxiv:2106.09685", "dataset:imdb"]
    tags = [boiler + (["llama", "base_model:meta-llama/Llama-2-7b-hf"] if i < 30 else ["whisper", "sw"]) for i in range(n)]
    terms = label_terms(pa.array(ids), pa.array(tasks), pa.array([None] * n, pa.string()), pa.array(tags))
    flat = {t for row in terms.to_pylist() for t in row}
    assert not flat & {"artistic-2.0", "other", "unknown", "wtfpl", "mit", "tf-keras", "not-for-all-audiences",
                       "safetensors", "pytorch", "4-bit", "imdb", "2106.09685"}
    assert not [t for t in flat if ":" in t or "/" in t]
    assert {"llama", "text-generation", "sentiment", "whisper", "swahili"} <= flat
    # Half the map shares the boilerplate, so only informative terms can name either half.
    labels = np.array([0] * 30 + [1] * 30)
    names = cluster_labels(labels, terms, top=3)
    assert all(t in flat for name in names for t in name.split(" · "))
    assert "whisper" in names[1] and ("llama" in names[0] or "text-generation" in names[0])
