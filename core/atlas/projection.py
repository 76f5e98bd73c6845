"""From embeddings to the map: PCA, UMAP in 2D and 3D, clusters with readable labels.

At large N, UMAP is fitted on a seeded sample and the rest is placed with the
fitted reducer's ``transform`` (2D); the 3D view places the rest at the
distance-weighted mean of its nearest sample neighbours, which costs seconds
instead of minutes. Everything is deterministic for a given seed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from core.ingest.languages import language_names

__all__ = ["Projection", "project", "cluster_points", "cluster_labels", "place_new", "quantize", "dequantize",
           "label_terms", "is_label_noise"]

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
    # One job: a seeded UMAP runs on one thread anyway (asking for more only earns a warning).
    reducer = umap.UMAP(n_components=2, n_neighbors=neighbours, min_dist=0.1, random_state=seed, low_memory=True, n_jobs=1)
    xy = np.empty((n, 2), dtype=np.float32)
    xy[sample] = reducer.fit_transform(reduced[sample])
    reducer3 = umap.UMAP(n_components=3, n_neighbors=neighbours, min_dist=0.1, random_state=seed, low_memory=True, n_jobs=1)
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


def cluster_labels(labels: np.ndarray, features, top: int = 3, min_count: int = 3) -> list[str]:
    """A readable name per cluster: its most distinctive features (over-represented, and common inside it).

    ``features`` is one list of strings per point (an Arrow list array or Python lists). Counting is vectorised
    (one code per distinct feature), so naming 1.86M points at three granularities takes seconds.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    labels = np.asarray(labels, dtype=np.int64)
    k = int(labels.max()) + 1 if len(labels) else 0
    feats = features if isinstance(features, (pa.ListArray, pa.LargeListArray)) else pa.array(list(features), pa.list_(pa.string()))
    rows = pc.list_parent_indices(feats).to_numpy(zero_copy_only=False).astype(np.int64)
    enc = pc.list_flatten(feats).dictionary_encode()
    vocab = enc.dictionary.to_pylist()
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    pair = np.unique(rows * max(len(vocab), 1) + codes)  # each feature once a point
    rows, codes = pair // max(len(vocab), 1), pair % max(len(vocab), 1)
    total = np.bincount(codes, minlength=len(vocab))
    key, cnt = np.unique(labels[rows] * max(len(vocab), 1) + codes, return_counts=True)
    cl, f = key // max(len(vocab), 1), key % max(len(vocab), 1)
    n = max(len(labels), 1)
    sizes = np.bincount(labels, minlength=k)
    p_in, p_all = cnt / np.maximum(sizes[cl], 1), total[f] / n
    lift = p_in / p_all
    ok = (cnt >= np.minimum(min_count, sizes[cl])) & (lift >= 1.5)  # over-represented here, not just common everywhere
    score = np.where(ok, p_in * np.log(np.maximum(lift, 1e-12)), -np.inf)
    names: list[str] = []
    seen: set[frozenset] = set()
    for c in range(k):
        mine = np.flatnonzero((cl == c) & ok)
        ranked = sorted(((-score[i], vocab[f[i]]) for i in mine))
        picked = [t for _, t in ranked[:top]]
        extra = [t for _, t in ranked[top:]]
        while frozenset(picked) in seen and extra:  # keep labels distinct, in any order of their terms
            picked.append(extra.pop(0))
        if not picked or frozenset(picked) in seen:  # no distinctive term left: the cluster's number tells it apart
            picked.append(f"cluster {c}")
        seen.add(frozenset(picked))
        names.append(" · ".join(picked))
    return names


# Terms that never name a region: licenses, Hub regions and endpoints, file formats, quantisation widths, paper,
# dataset and parent ids as tags, tool and event boilerplate (compared lower-case; see ``label_terms``).
LABEL_NOISE_PREFIXES = ("license:", "region:", "arxiv:", "doi:", "dataset:", "base_model:", "diffusers:", "template:",
                        "deploy:", "inference:", "has_space", "endpoints_compatible", "autotrain_compatible",
                        "text-generation-inference", "text-embeddings-inference", "co2_eq_emissions", "model-index",
                        "generated_from", "custom_code", "custom-implementation", "gguf-my-repo")
LABEL_NOISE = frozenset((
    "safetensors", "pytorch", "tf", "tf-keras", "keras", "jax", "onnx", "tensorboard", "transformers", "mlx",
    "not-for-all-audiences", "nsfw", "autotrain", "unk", "und", "mergekit", "lazymergekit", "bitsandbytes",
    "hf-asr-leaderboard", "whisper-event", "pruna-ai", "pruna-engine", "sail-rvc", "transformers.js",
    # Licenses written without their ``license:`` prefix (the 760k listing's largest cluster was "artistic-2.0 ·
    # other · unknown"); any value of a ``license:`` tag in the data is dropped as well.
    "mit", "apache-2.0", "apache 2.0", "other", "unknown", "artistic-2.0", "wtfpl", "openrail", "openrail++",
    "creativeml-openrail-m", "bigscience-openrail-m", "bigscience-bloom-rail-1.0", "afl-3.0", "bsd", "bsd-2-clause",
    "bsd-3-clause", "gpl", "gpl-2.0", "gpl-3.0", "lgpl-3.0", "agpl-3.0", "mpl-2.0", "unlicense", "cc0-1.0", "cc",
    "deepfloyd-if-license", "ecl-2.0", "epl-2.0", "isc", "ms-pl", "ncsa",
    "osl-3.0", "postgresql", "zlib", "c-uda", "lgpl-lr", "lppl-1.3c", "odc-by", "odbl", "pddl", "bsl-1.0",
))
LABEL_NOISE_PATTERN = r"^(cc-by.*|[0-9]+-?bits?|[0-9.]+[bmk]?)$"  # Creative Commons, quantisation widths, sizes
# Words of model names that say nothing about a model (training runs, sizes, versions, filler).
NAME_STOPWORDS = frozenset((
    "model", "models", "base", "large", "small", "medium", "tiny", "mini", "micro", "nano", "huge", "xxl", "test",
    "testing", "tests", "demo", "final", "finetuned", "finetune", "finetuning", "fine", "tuned", "tuning", "trained",
    "train", "training", "checkpoint", "checkpoints", "ckpt", "epoch", "epochs", "step", "steps", "run", "runs", "seed",
    "version", "new", "old", "the", "and", "for", "with", "from", "our", "output", "outputs", "result", "results",
    "uncased", "cased", "pretrained", "pretrain", "exp", "experiment", "baseline", "sample", "trial", "default",
    "custom", "repo", "project", "temp", "tmp", "copy", "dummy", "random", "full", "half", "best", "last", "latest",
    "try", "ver", "fix", "fixed", "updated", "update", "first", "second", "third", "one", "two", "three", "hub",
    "distilled", "mix", "all", "data", "dataset", "task", "lr", "bs", "sft", "hf", "safetensors", "pytorch", "onnx",
    "teste", "prueba", "probando", "essai", "versuch",
))
MAX_NAME_WORDS = 6  # words taken from a model's name
MIN_NAME_AUTHORS = 3  # authors whose model names use a word, for it to be a term


def is_label_noise(term: str) -> bool:
    """Whether a term (a tag, a word of a name) can never name a region of the map.

    >>> [is_label_noise(t) for t in ("license:mit", "artistic-2.0", "4-bit", "region:us", "llama", "text-generation")]
    [True, True, True, True, False, False]
    """
    t = term.lower()
    return t in LABEL_NOISE or t.startswith(LABEL_NOISE_PREFIXES) or re.fullmatch(LABEL_NOISE_PATTERN, t) is not None


def label_terms(ids, tasks, libraries, tags):
    """What may name a region of the map, per model (an Arrow list array of lower-case terms): its task and library,
    its tags that say what it is (architectures, domains, methods), its languages by name (``zh`` → ``chinese``),
    its base models' families (``base_model:mistralai/Mistral-7B-v0.1`` → ``mistral``)
    and the plain words of its own name that the names of ``MIN_NAME_AUTHORS`` authors use
    (``…/bert-finetuned-sentiment-imdb`` → ``bert``, ``sentiment``, ``imdb``).

    Never a license (``license:`` tags, and the common licenses written bare), a Hub region or
    endpoint, a file format, a quantisation width, or paper, dataset or tool boilerplate (``is_label_noise``).

    >>> import pyarrow as pa
    >>> label_terms(pa.array(["me/bert-sentiment-imdb-v2", "you/sentiment-imdb", "they/imdb-sentiment"]), pa.array(["text-classification"] * 3), pa.array([None] * 3, pa.string()),
    ...             pa.array([["license:mit", "mit", "zh", "base_model:google/bert-base", "region:us", "bert"], [], []])
    ...             ).to_pylist()[0]
    ['chinese', 'bert', 'text-classification', 'sentiment', 'imdb']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(ids)
    tags = tags.combine_chunks() if isinstance(tags, pa.ChunkedArray) else tags
    flat = pc.utf8_lower(pc.list_flatten(tags).cast(pa.string()))
    rows = pc.list_parent_indices(tags).to_numpy(zero_copy_only=False).astype(np.int64)
    # Base models: the parent's name, its namespace dropped (the tag itself is boilerplate).
    parent = pc.starts_with(flat, "base_model:")
    parents = pc.replace_substring_regex(flat, r"^base_model:((finetune|adapter|quantized|merge):)?(.*/)?", "")
    # ... as its family: the name up to its first size or version (Meta-Llama-3-8B → meta-llama, Mistral-7B-v0.1
    # → mistral), without a trailing size word (bert-base-uncased → bert).
    parents = pc.replace_substring_regex(parents, r"[-_. ][a-z]*[0-9].*$", "")
    parents = pc.replace_substring_regex(parents, r"([-_](base|large|small|medium|tiny|uncased|cased|hf|instruct|chat|it|v))+$", "")
    # Languages by name: a two-letter tag that is an ISO 639-1 code.
    codes = language_names()
    lang_keys = pa.array(list(codes))
    lang_names = pa.array([re.sub(r"\s*\(.*\)$", "", v).lower() for v in codes.values()])  # "swahili (macrolanguage)"
    lang = pc.index_in(flat, value_set=lang_keys)
    named = pc.if_else(pc.is_valid(lang), pc.take(lang_names, pc.fill_null(lang, 0)), flat)
    terms = pc.if_else(parent, parents, named)
    noise = pc.is_in(flat, pa.array(sorted(LABEL_NOISE)))
    for p in LABEL_NOISE_PREFIXES:
        noise = pc.or_(noise, pc.and_(pc.starts_with(flat, p), pc.invert(parent)))
    noise = pc.or_(noise, pc.match_substring_regex(flat, LABEL_NOISE_PATTERN))
    noise = pc.or_(noise, pc.equal(terms, ""))
    keep = pc.invert(pc.fill_null(noise, True))
    parts_rows, parts = [rows[keep.to_numpy(zero_copy_only=False)]], [terms.filter(keep)]
    for col in (tasks, libraries):
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        lowered = pc.utf8_lower(col.cast(pa.string()))
        valid = pc.and_(pc.is_valid(lowered), pc.invert(pc.fill_null(pc.is_in(lowered, pa.array(sorted(LABEL_NOISE))), False)))
        parts_rows.append(np.flatnonzero(valid.to_numpy(zero_copy_only=False)))
        parts.append(lowered.filter(valid))
    # Words of the model's own name (after the namespace): letters only, 3 to 20 of them, no filler.
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    names = pc.replace_substring_regex(pc.utf8_lower(ids.cast(pa.string())), r"^.*/", "")
    words = pc.split_pattern_regex(names, r"[^a-z0-9]+", max_splits=3 * MAX_NAME_WORDS)
    w_rows = pc.list_parent_indices(words).to_numpy(zero_copy_only=False).astype(np.int64)
    w_flat = pc.list_flatten(words)
    ok = pc.and_(pc.match_substring_regex(w_flat, r"^[a-z]{3,20}$"),
                 pc.invert(pc.is_in(w_flat, pa.array(sorted(NAME_STOPWORDS | LABEL_NOISE)))))
    ok_np = ok.to_numpy(zero_copy_only=False)
    w_rows, w_flat = w_rows[ok_np], w_flat.filter(ok)
    # ... used by at least MIN_NAME_AUTHORS authors: one account's series ("smashed", a user's own word) names nothing.
    authors = pc.replace_substring_regex(pc.utf8_lower(ids.cast(pa.string())), r"/.*$", "").dictionary_encode()
    a_codes = authors.indices.to_numpy(zero_copy_only=False).astype(np.int64)[w_rows]
    w_enc = w_flat.dictionary_encode()
    w_codes = w_enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    pairs = np.unique(w_codes * (int(a_codes.max()) + 1 if len(a_codes) else 1) + a_codes)
    n_authors = np.bincount(pairs // (int(a_codes.max()) + 1 if len(a_codes) else 1), minlength=len(w_enc.dictionary))
    shared = n_authors[w_codes] >= MIN_NAME_AUTHORS
    w_rows, w_flat = w_rows[shared], w_flat.filter(pa.array(shared))
    first = np.arange(len(w_rows)) - np.searchsorted(w_rows, w_rows, side="left") < MAX_NAME_WORDS
    parts_rows.append(w_rows[first])
    parts.append(w_flat.filter(pa.array(first)))
    r = np.concatenate(parts_rows)
    values = pa.concat_arrays([p.cast(pa.string()) for p in parts])
    by = np.argsort(r, kind="stable")
    r, values = r[by], values.take(pa.array(by))
    # Each term once a model, in first-seen order.
    key = pc.binary_join_element_wise(pa.array(r.astype(str)), values, "\x00")
    _, first_seen = np.unique(key.to_numpy(zero_copy_only=False), return_index=True)
    first_seen = np.sort(first_seen)
    r, values = r[first_seen], values.take(pa.array(first_seen))
    offsets = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=n))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def level_sizes(n: int) -> list[int]:
    """k per level of the label hierarchy: ~1/5 of the colour clusters, the colour clusters, 4× as many."""
    k1 = int(np.clip(np.sqrt(n / 20), 2, 40))
    return [min(n, max(2, round(k1 / 5))), min(n, k1), min(n, 4 * k1)]


def anchors(xy: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Per cluster, the member point nearest its centroid: a label sits on a point of its cluster even when the
    cluster is not convex (a centroid may fall in empty space or in another cluster)."""
    sizes = np.bincount(labels, minlength=k)
    cx = np.bincount(labels, weights=xy[:, 0], minlength=k) / np.maximum(sizes, 1)
    cy = np.bincount(labels, weights=xy[:, 1], minlength=k) / np.maximum(sizes, 1)
    d = (xy[:, 0] - cx[labels]) ** 2 + (xy[:, 1] - cy[labels]) ** 2
    by = np.lexsort((d, labels))
    first = np.searchsorted(labels[by], np.arange(k))
    out = np.full(k, -1, dtype=np.int64)
    has = sizes > 0
    out[has] = by[first[has]]
    return out


def label_hierarchy(xy: np.ndarray, features, clusters: np.ndarray | None = None, seed: int = 0):
    """Map labels at three granularities (``level_sizes``) (k-means on the map, named by distinctive tags) as one table:
    level, cluster, label, size, anchor (row of the point the label sits on). Level 1 is ``clusters`` when given
    (the colour clusters), so the colour legend and the map name the same regions alike."""
    import pyarrow as pa

    ks = level_sizes(len(xy))
    parts = []
    for level, k in enumerate(ks):
        lab = clusters.astype(np.int64) if level == 1 and clusters is not None else cluster_points(xy, seed=seed, k=k).astype(np.int64)
        k = int(lab.max()) + 1 if len(lab) else 0
        names = cluster_labels(lab, features, top=2)
        parts.append(pa.table({"level": np.full(k, level, np.int8), "cluster": np.arange(k, dtype=np.int32), "label": names,
                               "size": np.bincount(lab, minlength=k).astype(np.int64), "anchor": anchors(xy, lab, k)}))
    return pa.concat_tables(parts)
