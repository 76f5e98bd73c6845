"""From embeddings to the map: PCA, UMAP in 2D and 3D, clusters with readable labels.

At large N, UMAP is fitted on a seeded sample and the rest is placed with the
fitted reducer's ``transform`` (2D); the 3D view places the rest at the
distance-weighted mean of its nearest sample neighbours, which costs seconds
instead of minutes. Everything is deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Projection", "project", "cluster_points", "cluster_labels", "place_new", "quantize", "dequantize"]

PCA_DIMS = 50


@dataclass(frozen=True)
class Projection:
    xy: np.ndarray  # (N, 2) float32
    xyz: np.ndarray  # (N, 3) float32
    fitted: dict  # {"pca": PCA, "umap": UMAP, "sample": indices} for placing new texts


def quantize(vectors: np.ndarray) -> np.ndarray:
    """Vectors to int8, each scaled so its largest component is ±127: a quarter of float32's size,
    cosine to the original above 0.999 (the direction is all that search and projection use)."""
    out = np.empty(vectors.shape, dtype=np.int8)
    for start in range(0, len(vectors), 65_536):  # in blocks: float temporaries of 1.86M x 384 would be GBs
        block = vectors[start:start + 65_536]
        peak = np.maximum(np.abs(block).max(axis=1, keepdims=True), 1e-12)
        out[start:start + 65_536] = np.clip(np.rint(block / peak * 127.0), -127, 127)
    return out


def dequantize(codes: np.ndarray) -> np.ndarray:
    v = codes.astype(np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def _knn_place(sample_pca: np.ndarray, sample_xyz: np.ndarray, rest_pca: np.ndarray, k: int = 8) -> np.ndarray:
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=min(k, len(sample_pca))).fit(sample_pca)
    out = np.empty((len(rest_pca), sample_xyz.shape[1]), dtype=np.float32)
    for start in range(0, len(rest_pca), 50_000):
        dist, idx = nn.kneighbors(rest_pca[start:start + 50_000])
        w = 1.0 / np.maximum(dist, 1e-6)
        out[start:start + 50_000] = (sample_xyz[idx] * w[..., None]).sum(1) / w.sum(1, keepdims=True)
    return out


def project(embeddings: np.ndarray, seed: int = 0, fit_sample: int = 50_000, progress=None) -> Projection:
    """2D and 3D UMAP coordinates for every row of ``embeddings`` (float32 or int8 codes)."""
    import umap
    from sklearn.decomposition import PCA

    n = len(embeddings)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, size=min(n, fit_sample), replace=False))
    x = dequantize(embeddings) if embeddings.dtype == np.int8 else np.asarray(embeddings, dtype=np.float32)  # no copy
    pca = PCA(n_components=min(PCA_DIMS, x.shape[1], max(2, len(sample) - 1)), random_state=seed).fit(x[sample])
    reduced = np.empty((n, pca.n_components_), dtype=np.float32)
    for start in range(0, n, 100_000):
        reduced[start:start + 100_000] = pca.transform(x[start:start + 100_000])
    neighbours = min(15, max(2, len(sample) - 1))
    reducer = umap.UMAP(n_components=2, n_neighbors=neighbours, min_dist=0.1, random_state=seed, low_memory=True)
    xy = np.empty((n, 2), dtype=np.float32)
    xy[sample] = reducer.fit_transform(reduced[sample])
    reducer3 = umap.UMAP(n_components=3, n_neighbors=neighbours, min_dist=0.1, random_state=seed, low_memory=True)
    xyz = np.empty((n, 3), dtype=np.float32)
    xyz[sample] = reducer3.fit_transform(reduced[sample])
    rest = np.setdiff1d(np.arange(n), sample)
    if len(rest):
        step = 20_000
        for start in range(0, len(rest), step):
            part = rest[start:start + step]
            xy[part] = reducer.transform(reduced[part])
            if progress:
                progress(len(part))
        xyz[rest] = _knn_place(reduced[sample], xyz[sample], reduced[rest])
    return Projection(xy=xy, xyz=xyz, fitted={"pca": pca, "umap": reducer, "sample": sample})


def place_new(fitted: dict, vectors: np.ndarray) -> np.ndarray:
    """2D positions of new texts' vectors by the fitted reducer's ``transform``."""
    return fitted["umap"].transform(fitted["pca"].transform(vectors.astype(np.float32))).astype(np.float32)


def cluster_points(xy: np.ndarray, seed: int = 0, k: int | None = None) -> np.ndarray:
    """Cluster label per point: k-means on map coordinates, so clusters are regions one can see."""
    from sklearn.cluster import MiniBatchKMeans

    n = len(xy)
    k = k or int(np.clip(np.sqrt(n / 20), 2, 40))
    k = min(k, n)
    km = MiniBatchKMeans(n_clusters=k, random_state=seed, batch_size=4096, n_init=3).fit(xy)
    # Number clusters by size, largest first, for stable colours.
    sizes = np.bincount(km.labels_, minlength=k)
    rank = np.empty(k, dtype=np.int64)
    rank[np.argsort(-sizes, kind="stable")] = np.arange(k)
    return rank[km.labels_].astype(np.int16)


def cluster_labels(labels: np.ndarray, features: list[list[str]], top: int = 3, min_count: int = 3) -> list[str]:
    """A readable name per cluster: its most distinctive features (over-represented, and common inside it)."""
    from collections import Counter

    k = int(labels.max()) + 1 if len(labels) else 0
    total = Counter()
    per = [Counter() for _ in range(k)]
    for lab, feats in zip(labels.tolist(), features):
        uniq = set(feats)
        total.update(uniq)
        per[lab].update(uniq)
    n = max(len(labels), 1)
    sizes = np.bincount(labels, minlength=k)
    names: list[str] = []
    for c in range(k):
        scored = []
        for f, cnt in per[c].items():
            if cnt < min(min_count, sizes[c]):
                continue
            p_in, p_all = cnt / sizes[c], total[f] / n
            if p_in / p_all >= 1.5:  # over-represented here, not just common everywhere
                scored.append((p_in * np.log(p_in / p_all), f))
        scored.sort(key=lambda s: (-s[0], s[1]))
        picked = [f for _, f in scored[:top]]
        extra = [f for _, f in scored[top:]]
        while " · ".join(picked) in names and extra:  # keep labels distinct
            picked.append(extra.pop(0))
        names.append(" · ".join(picked) or f"cluster {c}")
    return names
