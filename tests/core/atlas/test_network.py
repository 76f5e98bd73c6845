"""The similarity network: each model linked to its nearest by cosine, lineage edges apart, and a large set
aggregated into named groups."""

from __future__ import annotations

import numpy as np

from core.atlas.network import similarity_network, unit_rows


def _blobs(per: int, groups: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(groups, 16)) * 5
    return unit_rows(np.vstack([c + rng.normal(size=(per, 16)) * 0.2 for c in centres]))


def test_neighbours_link_within_their_cluster_and_lineage_stays_apart():
    v = _blobs(20)
    ids = [f"m{i}" for i in range(60)]
    net = similarity_network(ids, v, np.arange(60), [("m0", "m1"), ("m0", "m45"), ("m0", "outside")], k=3)
    similar = net.edges[net.edges["kind"] == "similar"]
    cluster = {m: int(m[1:]) // 20 for m in ids}
    assert (similar["source"].map(cluster) == similar["target"].map(cluster)).all()  # alike models link up
    assert len(similar) >= 60 * 3 / 2 and not net.aggregated
    lineage = net.edges[net.edges["kind"] == "lineage"]
    assert set(zip(lineage["source"], lineage["target"])) == {("m0", "m1"), ("m0", "m45")}  # none to outside
    xy = net.nodes.set_index("id")[["x", "y"]]
    within = np.linalg.norm(xy.loc["m2"] - xy.loc["m3"])
    across = np.linalg.norm(xy.loc["m2"] - xy.loc["m45"])
    assert within < across  # the layout puts a cluster together


def test_a_large_set_is_aggregated_into_named_groups():
    v = _blobs(400)
    ids = [f"m{i}" for i in range(1200)]
    downloads = np.zeros(1200, dtype=np.int64)
    downloads[7] = 10**6
    net = similarity_network(ids, v, downloads, [("m7", "m500")], k=3, max_nodes=300)
    assert net.aggregated and len(net.nodes) == 30 and net.nodes["size"].sum() == 1200
    assert any(label.startswith("m7 +") for label in net.nodes["label"])  # a group is named by its top model
    assert (net.edges["kind"] == "lineage").sum() == 1
