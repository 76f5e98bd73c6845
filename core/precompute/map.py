"""The map steps of a build: embeddings, the 2D/3D projection, clusters and their label hierarchy.

Each step can run on a bundle that exists (``--map-only``, ``--labels-only``), so a map is added without a rebuild.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.atlas.embedding import (TEACHER_SAMPLE, Backend, best_backend, embed_resumable, fit_static,
                                  load_encoder, model_texts, query_backend)
from core.atlas.projection import cluster_labels, cluster_points, label_hierarchy, label_terms, project, quantize
from core.bundle import file_facts
from core.ingest.cards import card_starts
from core.precompute.stages import StageLog

__all__ = ["label_features", "label_table", "add_labels", "add_map"]


def label_features(ids: pa.Array, tasks: pa.Array, libs: pa.Array, tags: pa.Array) -> pa.ListArray:
    """What names a region of the map: each model's informative terms (``core.atlas.projection.label_terms``: task,
    library, architecture and domain tags, languages, base models, words of its name; never a license or Hub
    boilerplate), as Arrow lists (no Python list a model)."""
    return label_terms(ids, tasks, libs, tags)



def label_table(xy: np.ndarray, features: pa.ListArray, clusters: np.ndarray, ids: pa.Array, seed: int = 0) -> pa.Table:
    """labels.parquet: the map's label hierarchy (see ``core.atlas.projection.label_hierarchy``), anchored by model id."""
    t = label_hierarchy(xy, features, clusters, seed=seed)
    return t.set_column(t.schema.get_field_index("anchor"), "anchor", ids.take(pa.array(t["anchor"].to_numpy())))



def add_labels(out: Path, seed: int = 0) -> int:
    """Write labels.parquet, and the colour clusters' names in clusters.parquet, (and their checksums in the manifest)
    for a bundle with a map: one made before labels existed, or whose labels came from older label terms; returns the
    label rows written."""
    models = pq.read_table(out / "models.parquet", columns=["model_id", "pipeline_tag", "library_name", "tags"])
    points = pq.read_table(out / "points.parquet", columns=["model_id", "x", "y", "cluster"])
    if not points["model_id"].equals(models["model_id"]):
        points = points.take(pc.index_in(models["model_id"], points["model_id"]))
    xy = np.stack([points["x"].to_numpy(), points["y"].to_numpy()], axis=1)
    features = label_features(*(models[c].combine_chunks() for c in ("model_id", "pipeline_tag", "library_name", "tags")))
    clusters = points["cluster"].to_numpy()
    table = label_table(xy, features, clusters, models["model_id"].combine_chunks(), seed)
    pq.write_table(table, out / "labels.parquet")
    if (out / "clusters.parquet").exists():  # the colour legend names the same clusters with the same terms
        names = cluster_labels(clusters, features)
        old = pq.read_table(out / "clusters.parquet")
        if old.num_rows == len(names):
            pq.write_table(old.set_column(old.schema.get_field_index("label"), "label", pa.array(names)),
                           out / "clusters.parquet")
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"] = file_facts(out)  # the checksums now cover the new file
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return table.num_rows



def add_map(out: Path, backend: str = "onnx-int8", model_path: str | None = None, fit_sample: int = 50_000,
            seed: int = 0, progress: bool = False, log: StageLog | None = None) -> dict:
    """Embed every model, project to 2D and 3D, cluster; write embeddings.npy, points/clusters.parquet, projection.joblib.

    The start of each card is read from ``out/cards.parquet`` batch by batch. Embeddings are saved in chunks
    under ``out/.embeddings`` so a stopped run resumes; the chunks go once done.
    """
    import joblib  # sklearn's, only for a map
    from tqdm import tqdm

    models = pq.read_table(out / "models.parquet", columns=["model_id", "pipeline_tag", "library_name", "tags"])
    ids = models["model_id"].combine_chunks()
    card_text = card_starts(out / "cards.parquet", ids)
    tasks, libs = models["pipeline_tag"].combine_chunks(), models["library_name"].combine_chunks()
    tags = models["tags"].combine_chunks()
    texts = model_texts(ids, tasks, libs, tags, card_text)
    del card_text
    log = log or StageLog()
    log.mark("texts")
    resolved = best_backend() if backend == "auto" else Backend(backend)
    teacher_sample = 0
    if resolved is Backend.STATIC:  # fitted to MiniLM on a sample of this bundle's texts; queries go to MiniLM
        teacher_sample = min(TEACHER_SAMPLE, len(texts))
        with tqdm(total=teacher_sample, unit="text", desc="fit static: teacher", disable=not progress, file=sys.stderr,
                  smoothing=0.05) as bar:
            encoder = fit_static(texts, load_encoder(query_backend(resolved), model_path), teacher_sample, seed,
                                 model_path, progress=bar.update)
        log.mark("fit static", teacher_texts=teacher_sample)
    else:
        encoder = load_encoder(resolved, model_path)
    t0 = time.perf_counter()
    with tqdm(total=len(texts), unit="model", desc="embed", disable=not progress, file=sys.stderr, smoothing=0.05) as bar:
        vectors = embed_resumable(texts, out / ".embeddings", encoder, progress=bar.update)
    embed_s = time.perf_counter() - t0
    np.save(out / "embeddings.npy", quantize(vectors))
    del texts
    log.mark("embed", per_second=round(len(ids) / max(embed_s, 1e-9)), backend=encoder.backend.value)
    t1 = time.perf_counter()
    with tqdm(total=max(0, len(ids) - fit_sample), unit="model", desc="project: fitting", disable=not progress,
              file=sys.stderr, smoothing=0.05) as bar:
        fitted = []

        def advance(n: int) -> None:
            if not fitted:  # the fit is done: the clock of the rate (and the ETA) starts now, not before it
                fitted.append(True)
                bar.set_description("project")
                bar.reset(total=bar.total)
            bar.update(n)

        proj = project(vectors, seed=seed, fit_sample=fit_sample, progress=advance)
    project_s = time.perf_counter() - t1
    log.mark("project")
    clusters = cluster_points(proj.xy, seed=seed)
    features = label_features(ids, tasks, libs, tags)
    names = cluster_labels(clusters, features)
    pq.write_table(label_table(proj.xy, features, clusters, ids, seed), out / "labels.parquet")
    del features
    log.mark("cluster")
    pq.write_table(pa.table({
        "model_id": ids, "x": proj.xy[:, 0], "y": proj.xy[:, 1],
        "x3": proj.xyz[:, 0], "y3": proj.xyz[:, 1], "z3": proj.xyz[:, 2], "cluster": clusters,
    }), out / "points.parquet", compression="zstd")
    k = len(names)
    sizes = np.bincount(clusters, minlength=k)
    cx = np.bincount(clusters, weights=proj.xy[:, 0], minlength=k) / np.maximum(sizes, 1)
    cy = np.bincount(clusters, weights=proj.xy[:, 1], minlength=k) / np.maximum(sizes, 1)
    pq.write_table(pa.table({"cluster": np.arange(k, dtype=np.int16), "label": names, "size": sizes.astype(np.int64),
                             "x": cx.astype(np.float32), "y": cy.astype(np.float32)}), out / "clusters.parquet")
    joblib.dump({"pca": proj.fitted["pca"], "umap": proj.fitted["umap"]}, out / "projection.joblib", compress=3)
    shutil.rmtree(out / ".embeddings", ignore_errors=True)
    log.mark("write map")
    if progress:  # timings go to the terminal, not the manifest, so rebuilds stay byte-identical
        print(f"embedded {len(ids):,} models in {embed_s:.0f} s ({len(ids) / max(embed_s, 1e-9):.0f}/s, {encoder.backend.value}); "
              f"projected in {project_s:.0f} s", file=sys.stderr)
    return {"backend": encoder.backend.value, "query_backend": query_backend(encoder.backend).value,
            "model": "sentence-transformers/all-MiniLM-L6-v2", "dim": int(vectors.shape[1]),
            **({"teacher_sample": teacher_sample} if teacher_sample else {}),
            "fit_sample": int(min(fit_sample, len(ids))), "seed": seed, "clusters": k}
