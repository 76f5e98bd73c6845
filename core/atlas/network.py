"""The similarity network: the k nearest neighbours in the embedding space among a set of models (a model's
neighbourhood or a family), laid out so clusters show, with lineage edges kept apart from similarity edges.

Up to ``MAX_NODES`` models are drawn one by one; beyond that the set is aggregated into groups (k-means on the
vectors), each drawn as one node named by its most downloaded member, so the picture stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.atlas.geometry import rows_of
from core.bundle import pandas_rows

__all__ = ["MAX_NODES", "Network", "similarity_network", "unit_rows", "network_of"]

MAX_NODES = 1_500  # a spring layout of this many takes a few seconds on 2 cores; beyond it, groups


@dataclass(frozen=True)
class Network:
    """Nodes with positions, and edges of two kinds: ``similar`` (cosine of the vectors) and ``lineage``."""

    nodes: pd.DataFrame  # id, label, x, y, size (models in it: 1 unless aggregated), downloads
    edges: pd.DataFrame  # source, target, kind ("similar" | "lineage"), weight (cosine, or edges when aggregated)
    aggregated: bool


def unit_rows(codes: np.ndarray) -> np.ndarray:
    """Rows as float32 unit vectors (the bundle stores int8 codes; cosine needs only the direction)."""
    v = np.asarray(codes, dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def _knn(v: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's ``k`` most similar other rows: (source, target, cosine), each pair once."""
    sims = v @ v.T
    np.fill_diagonal(sims, -np.inf)
    k = min(k, len(v) - 1)
    if k <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32)
    nbr = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    src = np.repeat(np.arange(len(v)), k)
    dst = nbr.ravel()
    a, b = np.minimum(src, dst), np.maximum(src, dst)
    pairs = np.unique(a * len(v) + b)
    a, b = pairs // len(v), pairs % len(v)
    return a, b, sims[a, b].astype(np.float32)


def _layout(v: np.ndarray, a: np.ndarray, b: np.ndarray, w: np.ndarray, seed: int) -> np.ndarray:
    """Force-directed positions (networkx's Fruchterman–Reingold), similar nodes pulled together, started from the
    vectors' first two principal axes so few iterations settle it."""
    import networkx as nx

    n = len(v)
    centred = v - v.mean(axis=0)
    start = centred @ np.linalg.svd(centred, full_matrices=False)[2][:2].T if n > 2 else np.zeros((n, 2))
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(zip(a.tolist(), b.tolist(), np.clip(w, 0.01, None).tolist()))
    pos = nx.spring_layout(g, weight="weight", seed=seed, iterations=30,
                           pos={i: start[i] for i in range(n)} if n > 2 else None)
    return np.array([pos[i] for i in range(n)], dtype=np.float32)


def similarity_network(ids: list[str], vectors: np.ndarray, downloads: np.ndarray, lineage: list[tuple[str, str]],
                       k: int = 5, max_nodes: int = MAX_NODES, seed: int = 0) -> Network:
    """The network of ``ids`` (rows of ``vectors``, unit length): each model linked to its ``k`` nearest, and
    the lineage edges among them; aggregated into at most ``max_nodes // 10`` groups beyond ``max_nodes``."""
    ids = list(ids)
    downloads = np.asarray(downloads, dtype=np.int64)
    if len(ids) > max_nodes:
        return _aggregated(ids, vectors, downloads, lineage, k, max(max_nodes // 10, 2), seed)
    a, b, w = _knn(vectors, k)
    xy = _layout(vectors, a, b, w, seed) if len(ids) else np.empty((0, 2), np.float32)
    index = {m: i for i, m in enumerate(ids)}
    lin = [(index[p], index[c]) for p, c in lineage if p in index and c in index and p != c]
    nodes = pd.DataFrame({"id": ids, "label": ids, "x": xy[:, 0] if len(ids) else [], "y": xy[:, 1] if len(ids) else [],
                          "size": 1, "downloads": downloads})
    edges = pd.concat([
        pd.DataFrame({"source": [ids[i] for i in a], "target": [ids[j] for j in b], "kind": "similar", "weight": w}),
        pd.DataFrame({"source": [ids[i] for i, _ in lin], "target": [ids[j] for _, j in lin], "kind": "lineage",
                      "weight": 1.0})], ignore_index=True)
    return Network(nodes=nodes, edges=edges, aggregated=False)


def _aggregated(ids, vectors, downloads, lineage, k, groups, seed) -> Network:
    """Groups by k-means on the vectors; a group's node is named by its most downloaded member."""
    from sklearn.cluster import MiniBatchKMeans

    km = MiniBatchKMeans(n_clusters=groups, random_state=seed, n_init=3, batch_size=4096).fit(vectors)
    label = km.labels_
    centres = km.cluster_centers_ / np.maximum(np.linalg.norm(km.cluster_centers_, axis=1, keepdims=True), 1e-12)
    order = np.lexsort((-downloads, label))
    first = np.r_[True, label[order][1:] != label[order][:-1]]
    top = {int(label[i]): ids[i] for i in order[first]}
    size = np.bincount(label, minlength=groups)
    net = similarity_network([f"group {g}" for g in range(groups)], centres.astype(np.float32),
                             np.bincount(label, weights=downloads, minlength=groups).astype(np.int64), [], k,
                             max_nodes=groups + 1, seed=seed)
    nodes = net.nodes.assign(label=[f"{top.get(g, '')} +{size[g] - 1:,}" for g in range(groups)], size=size)
    group_of = dict(zip(ids, label.tolist()))
    lin = pd.DataFrame([(group_of[p], group_of[c]) for p, c in lineage if p in group_of and c in group_of
                        and group_of[p] != group_of[c]], columns=["s", "t"])
    lin_edges = (lin.groupby(["s", "t"]).size().rename("weight").reset_index() if len(lin)
                 else pd.DataFrame(columns=["s", "t", "weight"]))
    edges = pd.concat([net.edges, pd.DataFrame({"source": [f"group {s}" for s in lin_edges["s"]],
                                                "target": [f"group {t}" for t in lin_edges["t"]], "kind": "lineage",
                                                "weight": lin_edges["weight"].astype(float)})], ignore_index=True)
    return Network(nodes=nodes, edges=edges, aggregated=True)


def network_of(con, codes: np.ndarray, model_ids: list[str], k: int = 5, seed: int = 0) -> Network:
    """The similarity network of ``model_ids`` in a bundle: their vectors (rows of ``codes``, the bundle's
    embeddings), downloads, and the in-snapshot lineage edges among them."""
    rows = rows_of(con, model_ids)
    ids = [m for m in dict.fromkeys(model_ids) if m in rows]
    vectors = unit_rows(codes[np.asarray([rows[m] for m in ids], dtype=np.int64)]) if ids else np.empty((0, 1))
    downloads = pandas_rows(con, "SELECT model_id, coalesce(downloads, 0) AS d FROM models "
                                 "WHERE model_id IN (SELECT unnest(?::VARCHAR[]))", [ids]).set_index("model_id")["d"]
    lineage = con.execute("""SELECT parent, child FROM edges WHERE parent_in_snapshot
                             AND parent IN (SELECT unnest(?::VARCHAR[])) AND child IN (SELECT unnest(?::VARCHAR[]))""",
                          [ids, ids]).fetchall()
    return similarity_network(ids, vectors, downloads.reindex(ids).fillna(0).to_numpy(), lineage, k, seed=seed)
