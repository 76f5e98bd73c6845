"""Build a bundle from a Hub snapshot: ``python -m core.precompute --source SRC --out DIR``.

Steps: read the source, normalise the models, build typed edges, compute
families and depths, write parquet files and a manifest. Rerunning on the same
source writes the same bundle.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.bundle import BUNDLE_FORMAT, file_facts
from core.cards import CardWriter, card_starts
from core.errors import BundleError, PhyloError
from core.lineage import CANONICAL_ORGS, RELATION_PRIORITY, InferenceRule, ParentMatch, Relation, RelationSource, build_edges, compute_lineage, family_roots, weak_components
from core.models import normalize
from core.snapshot import DEFAULT_BATCH_ROWS, DEFAULT_DATASET, Snapshot, open_snapshot

__all__ = ["build_bundle", "main"]

MAX_LISTED = 1000  # ids listed in the manifest per kind of problem (all are counted)
STEPS = ("read", "normalise", "edges", "lineage", "write")
_REL_NAMES = pa.array([r.value for r in RELATION_PRIORITY])
_MATCH_NAMES = pa.array([m.value for m in ParentMatch])
_RULE_NAMES = pa.array([r.name.lower() for r in InferenceRule])


def _progress(enabled: bool):
    from tqdm import tqdm

    return tqdm(total=len(STEPS), unit="step", disable=not enabled, file=sys.stderr, leave=False,
                bar_format="{desc:<12} {bar:20} {n_fmt}/{total_fmt} [{elapsed}]")


def _variant_roots(n: int, parent: np.ndarray, child: np.ndarray, keep: np.ndarray, downloads: np.ndarray, ids: pa.Array) -> pa.Array:
    """Root id per model for a graph variant (e.g. without merge edges)."""
    p, c = parent[keep], child[keep]
    labels = weak_components(n, p, c)
    has_parent = np.bincount(c, minlength=n) > 0
    _, root = family_roots(labels, has_parent, downloads)
    return ids.take(pa.array(root))


def _families(models: pa.Table, family: np.ndarray, root: np.ndarray, ids: pa.Array,
              edge_child: np.ndarray, edge_relation: np.ndarray) -> pa.Table:
    """One row per family of two or more models: root, size, depth, roots, downloads, dates, edge mix."""
    sizes = np.bincount(family)
    agg = (pa.table({"family_id": family, "depth": models["depth"], "is_root": pc.equal(models["depth"], 0),
                     "in_cycle": models["in_cycle"], "downloads": models["downloads"], "likes": models["likes"],
                     "created_at": models["created_at"]})
           .filter(pa.array(sizes[family] > 1))
           .group_by("family_id", use_threads=False)
           .aggregate([("depth", "max"), ("is_root", "sum"), ("in_cycle", "sum"), ("downloads", "sum"),
                       ("likes", "sum"), ("created_at", "min"), ("created_at", "max")])
           .sort_by("family_id"))
    fid = agg["family_id"].to_numpy()
    root_of = np.empty(len(sizes), dtype=np.int64)
    root_of[family] = root
    k = len(RELATION_PRIORITY) + 1
    by_rel = np.bincount(family[edge_child] * k + edge_relation.astype(np.int64), minlength=len(sizes) * k).reshape(-1, k)
    columns = {
        "family_id": pa.array(fid.astype(np.int32)),
        "family": ids.take(pa.array(root_of[fid])),
        "size": pa.array(sizes[fid].astype(np.int32)),
        "max_depth": pc.fill_null(agg["depth_max"], 0),
        "n_roots": pc.fill_null(agg["is_root_sum"], 0).cast(pa.int32()),
        "n_in_cycles": agg["in_cycle_sum"].cast(pa.int32()),
        "downloads": agg["downloads_sum"],
        "likes": agg["likes_sum"],
        "first_created": agg["created_at_min"],
        "last_created": agg["created_at_max"],
        "n_edges": pa.array(by_rel[fid].sum(axis=1).astype(np.int32)),
    }
    for i, rel in enumerate(RELATION_PRIORITY):
        columns[f"n_{rel.value}"] = pa.array(by_rel[fid, i + 1].astype(np.int32))
    return pa.table(columns)


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for pkg in ("pyarrow", "duckdb", "numpy", "scipy", "pandas"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def _sample(table_rows: int, sample: int | None, seed: int = 0) -> np.ndarray | None:
    if sample is None or sample >= table_rows:
        return None
    return np.sort(np.random.default_rng(seed).choice(table_rows, size=sample, replace=False))


class StageLog:
    """Wall time, resident and peak memory after each build stage (``--timings``, bench/scale.py).

    Timings go to the terminal, never to the manifest, so rebuilds stay byte-identical.
    """

    def __init__(self):
        import time

        self._clock = time.perf_counter
        self._last = self._clock()
        self.rows: list[dict] = []

    def mark(self, stage: str, **extra) -> None:
        import resource

        now = self._clock()
        try:
            with open("/proc/self/statm") as fh:
                rss = int(fh.read().split()[1]) * resource.getpagesize() / 2**20
        except OSError:
            rss = float("nan")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.rows.append({"stage": stage, "seconds": round(now - self._last, 2), "rss_mb": round(rss),
                          "peak_mb": round(peak), **extra})
        self._last = now

    def table(self) -> str:
        lines = [f"{'stage':<12} {'seconds':>8} {'rss MB':>8} {'peak MB':>8}"]
        for r in self.rows:
            note = "  " + ", ".join(f"{k} {v}" for k, v in r.items() if k not in ("stage", "seconds", "rss_mb", "peak_mb"))
            lines.append(f"{r['stage']:<12} {r['seconds']:>8.2f} {r['rss_mb']:>8} {r['peak_mb']:>8}{note.rstrip()}")
        return "\n".join(lines)


def _write_table(table: pa.Table, path: Path, row_group: int = 256_000) -> None:
    """Parquet with row groups of ``row_group`` rows, each made contiguous first: the file's bytes then do not
    depend on the batches the table was built from (a rebuild with any ``batch_rows`` writes the same bytes)."""
    if not table.num_rows:
        pq.write_table(table, path, compression="zstd")
        return
    with pq.ParquetWriter(path, table.schema, compression="zstd") as writer:
        for start in range(0, table.num_rows, row_group):
            writer.write_table(table.slice(start, row_group).combine_chunks(), row_group_size=row_group)


def build_bundle(source: str | Snapshot, out: str | Path, sample: int | None = None, progress: bool = False,
                 synthetic: bool = False, label: str | None = None, embed: bool = False,
                 backend: str = "onnx-int8", model_path: str | None = None, fit_sample: int = 50_000,
                 seed: int = 0, batch_rows: int | None = DEFAULT_BATCH_ROWS, log: StageLog | None = None) -> dict:
    """Build the bundle of ``source`` into ``out`` and return its manifest.

    The source is read and normalised ``batch_rows`` rows at a time (``None``: whole); card text goes
    straight to ``cards.parquet``, so memory holds the models table and lineage, never every card.
    With ``embed``, also embed every model, project to 2D/3D and cluster (see :func:`add_map`).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():  # found before the work, not after it
        raise BundleError(f"--out {out} is a file; give a folder for the bundle")
    log = log or StageLog()
    bar = _progress(progress)
    bar.set_description("read")
    reader = open_snapshot(source, batch_rows=batch_rows)
    if sample is not None and (rows := _sample(reader.count_rows(), sample)) is not None:
        reader.sample = rows
    log.mark("open")
    bar.update()
    bar.set_description("normalise")
    out.mkdir(parents=True, exist_ok=True)
    cards = CardWriter(out / "cards.parquet")
    try:
        norm = normalize(reader, card_sink=cards.write)
    except BaseException:
        cards.abort()
        raise
    models = norm.models
    n = models.num_rows
    ids = models["model_id"].combine_chunks()
    downloads = models["downloads"].to_numpy()
    log.mark("normalise", read_seconds=round(reader.read_seconds, 2), batches_of=batch_rows or "all")
    bar.update()

    bar.set_description("edges")
    edges, edge_stats = build_edges(norm.mention_child, norm.mention_parent, norm.mention_code, ids, norm.signals)
    inside = edges.parent >= 0
    edge_table = pa.table({
        "parent": edges.parent_id,
        "child": ids.take(pa.array(edges.child)),
        "relation": pc.take(_REL_NAMES, pa.array(edges.relation.astype(np.int64) - 1)),
        "relation_source": pa.array(np.where(edges.declared, RelationSource.DECLARED.value, RelationSource.INFERRED.value)),
        "parent_in_snapshot": pa.array(inside),
        "parent_as_written": edges.parent_as_written,
        "parent_match": pc.take(_MATCH_NAMES, pa.array(edges.match.astype(np.int64))),
        "relation_confidence": pa.array(edges.confidence, pa.float32()),
        "relation_rule": pc.if_else(pa.array(edges.rule >= 0), pc.take(_RULE_NAMES, pa.array(np.maximum(edges.rule, 0).astype(np.int64))),
                                    pa.scalar(None, pa.string())),
    })
    log.mark("edges")
    bar.update()

    bar.set_description("lineage")
    lin = compute_lineage(n, edges, downloads)
    p_in, c_in, rel_in = edges.parent[inside], edges.child[inside], edges.relation[inside]
    merge_code = RELATION_PRIORITY.index(Relation.MERGE) + 1
    finetune_code = RELATION_PRIORITY.index(Relation.FINETUNE) + 1
    depth = pa.array(lin.depth.astype(np.int32), mask=lin.depth < 0)
    models = models.append_column("family_id", pa.array(lin.family_index.astype(np.int32)))
    models = models.append_column("family", ids.take(pa.array(lin.family_root)))
    models = models.append_column("depth", depth)
    models = models.append_column("n_parents", pa.array(lin.n_parents.astype(np.int32)))
    models = models.append_column("n_children", pa.array(lin.n_children.astype(np.int32)))
    models = models.append_column("n_descendants", pa.array(lin.n_descendants.astype(np.int32)))
    models = models.append_column("in_cycle", pa.array(lin.in_cycle))
    models = models.append_column("family_no_merge", _variant_roots(n, p_in, c_in, rel_in != merge_code, downloads, ids))
    models = models.append_column("family_finetune", _variant_roots(n, p_in, c_in, rel_in == finetune_code, downloads, ids))
    families = _families(models, lin.family_index, lin.family_root, ids, c_in, rel_in)
    rel_counts = {d["values"]: d["counts"] for d in pc.value_counts(edge_table["relation"]).to_pylist()}
    src_counts = {d["values"]: d["counts"] for d in pc.value_counts(edge_table["relation_source"]).to_pylist()}
    last = pc.max(models["created_at"]).as_py()
    snapshot_date = last.date().isoformat() if last else None
    log.mark("lineage")
    bar.update()

    bar.set_description("write")
    for name, table in (("models", models), ("edges", edge_table), ("families", families)):
        _write_table(table, out / f"{name}.parquet")
    cards.finish(keep=norm.n_cards is not None, dropped_rows=norm.dropped_rows)
    log.mark("write")
    warnings = Counter(norm.warnings)
    for key in ("self_loops", "unknown_parents"):
        if edge_stats[key]:
            warnings[key] += edge_stats[key]
    if lin.cycles:
        warnings["cycles"] += len(lin.cycles)
    sizes = families["size"].to_numpy()
    checked = edge_stats["inference_checked"]
    manifest = {
        "format": BUNDLE_FORMAT,
        "label": label or Path(reader.source).name,
        "synthetic": synthetic,
        "source": reader.source,
        "source_shape": reader.shape.value,
        "sample": sample,
        "snapshot_date": snapshot_date,
        "counts": {
            "models": n,
            "edges": edge_table.num_rows,
            "edges_in_snapshot": int(inside.sum()),
            "edges_by_relation": {k: int(v) for k, v in sorted(rel_counts.items())},
            "edges_by_source": {k: int(v) for k, v in sorted(src_counts.items())},
            "families": int(lin.family_index.max(initial=-1)) + 1,
            "families_with_edges": int(len(sizes)),
            "largest_family": int(sizes.max(initial=0)),
            "models_in_cycles": int(lin.in_cycle.sum()),
            "cards": norm.n_cards or 0,
        },
        "warnings": dict(sorted(warnings.items())),
        "identity": {
            "parents_by_match": {m.value: edge_stats[f"parents_{m.value}"] for m in ParentMatch},
            "edges_written_several_ways": edge_stats["spellings_merged"],
            "canonical_orgs": list(CANONICAL_ORGS),
        },
        "self_loops": sorted(edge_stats["self_loop_ids"])[:MAX_LISTED],
        "cycles": [ids.take(pa.array(np.asarray(group[:20], dtype=np.int64))).to_pylist() for group in lin.cycles[:50]],
        "relation_inference": {
            "declared_edges_checked": checked,
            "correct": edge_stats["inference_correct"],
            "accuracy": round(edge_stats["inference_correct"] / checked, 4) if checked else None,
        },
        "versions": _versions(),
    }
    bar.update()
    bar.close()
    for stale in ("points.parquet", "clusters.parquet", "labels.parquet", "embeddings.npy", "projection.joblib"):
        (out / stale).unlink(missing_ok=True)
    # What is written is read back by the later steps: drop the ingest's tables before they run.
    del norm, models, edges, edge_table, families, lin, ids, downloads, p_in, c_in, rel_in, depth, inside
    pa.default_memory_pool().release_unused()
    add_resemblance(out, reader.shape.value)
    log.mark("resemblance")
    if embed:
        manifest["map"] = add_map(out, backend=backend, model_path=model_path,
                                  fit_sample=fit_sample, seed=seed, progress=progress, log=log)
    manifest["files"] = file_facts(out)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return manifest


def add_resemblance(out: Path, source_shape: str | None = None) -> None:
    """Write vectorisers.parquet and resemblance.parquet: each trait's BoW/TF-IDF vectorisers, fitted once on the
    whole bundle, and §3 resemblance of every trait over the whole bundle (default draws and seed).

    Every later score (a scoped run, Compare, the report) uses these vectorisers; the table is the Resemblance
    page's first view, which would take seconds to compute on the Hub listing.
    """
    from core.bundle import Bundle, connect
    from core.resemblance import TextTrait, bundle_vectorisers, resemblance, vectorisers_table

    target, fitted_path = out / "resemblance.parquet", out / "vectorisers.parquet"
    target.unlink(missing_ok=True)
    fitted_path.unlink(missing_ok=True)
    con = connect(Bundle(path=out, manifest={"source_shape": source_shape}), in_memory=False, license_classes=False)
    try:
        fitted = {t: bundle_vectorisers(con, t) for t in TextTrait}
        frames = [(t.value, resemblance(con, t, vectorisers=fitted[t])) for t in TextTrait]
    finally:
        con.close()
    pq.write_table(vectorisers_table(fitted), fitted_path, compression="zstd")
    table = pa.table({
        "trait": pa.array([t for t, df in frames for _ in range(len(df))], pa.string()),
        **{c: pa.array([v for _, df in frames for v in df[c].tolist()], pa.string())
           for c in ("relative", "measure")},
        **{c: pa.array([v for _, df in frames for v in df[c].tolist()], pa.float64())
           for c in ("mean", "ci_low", "ci_high")},
        **{c: pa.array([v for _, df in frames for v in df[c].tolist()], pa.int64()) for c in ("n", "distinct_pairs")},
    })
    pq.write_table(table, target, compression="zstd")


def label_features(tasks: pa.Array, libs: pa.Array, tags: pa.Array) -> pa.ListArray:
    """What names a region of the map: each model's informative tags, its task and its library (Arrow, no Python
    list a model)."""
    from core.embedding import informative_tags

    own = informative_tags(tasks, libs, tags)
    rows = [pc.list_parent_indices(own).to_numpy(zero_copy_only=False).astype(np.int64)]
    values = [pc.list_flatten(own).cast(pa.string())]
    for col in (tasks, libs):
        valid = pc.is_valid(col).to_numpy(zero_copy_only=False)
        rows.append(np.flatnonzero(valid))
        values.append(col.cast(pa.string()).filter(pa.array(valid)))
    r = np.concatenate(rows)
    by = np.argsort(r, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(r, minlength=len(tasks)))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.concat_arrays(values).take(pa.array(by)))


def label_table(xy: np.ndarray, features: pa.ListArray, clusters: np.ndarray, ids: pa.Array, seed: int = 0) -> pa.Table:
    """labels.parquet: the map's label hierarchy (see ``core.projection.label_hierarchy``), anchored by model id."""
    from core.projection import label_hierarchy

    t = label_hierarchy(xy, features, clusters, seed=seed)
    return t.set_column(t.schema.get_field_index("anchor"), "anchor", ids.take(pa.array(t["anchor"].to_numpy())))


def add_labels(out: Path, seed: int = 0) -> int:
    """Write labels.parquet (and its checksum in the manifest) for a bundle with a map made before labels existed;
    returns the rows written."""
    models = pq.read_table(out / "models.parquet", columns=["model_id", "pipeline_tag", "library_name", "tags"])
    points = pq.read_table(out / "points.parquet", columns=["model_id", "x", "y", "cluster"])
    if not points["model_id"].equals(models["model_id"]):
        points = points.take(pc.index_in(models["model_id"], points["model_id"]))
    xy = np.stack([points["x"].to_numpy(), points["y"].to_numpy()], axis=1)
    features = label_features(*(models[c].combine_chunks() for c in ("pipeline_tag", "library_name", "tags")))
    table = label_table(xy, features, points["cluster"].to_numpy(), models["model_id"].combine_chunks(), seed)
    pq.write_table(table, out / "labels.parquet")
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
    import shutil
    import time

    import joblib
    from tqdm import tqdm

    from core.embedding import (TEACHER_SAMPLE, Backend, best_backend, embed_resumable, fit_static,
                                load_encoder, model_texts, query_backend)
    from core.projection import cluster_labels, cluster_points, project, quantize

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
        encoder = fit_static(texts, load_encoder(query_backend(resolved), model_path), teacher_sample, seed, model_path)
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
    with tqdm(total=max(0, len(ids) - fit_sample), unit="model", desc="project", disable=not progress, file=sys.stderr) as bar:
        proj = project(vectors, seed=seed, fit_sample=fit_sample, progress=bar.update)
    project_s = time.perf_counter() - t1
    log.mark("project")
    clusters = cluster_points(proj.xy, seed=seed)
    features = label_features(tasks, libs, tags)
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


def _summary(manifest: dict) -> str:
    c = manifest["counts"]
    lines = [
        f"{c['models']:,} models, {c['edges']:,} edges ({c['edges_in_snapshot']:,} inside the snapshot), "
        f"{c['families_with_edges']:,} families with edges, largest {c['largest_family']:,}",
        "edges: " + ", ".join(f"{k} {v:,}" for k, v in c["edges_by_relation"].items())
        + " | " + ", ".join(f"{k} {v:,}" for k, v in c["edges_by_source"].items()),
    ]
    inf = manifest["relation_inference"]
    if inf["declared_edges_checked"]:
        lines.append(f"relation inference agrees with {inf['correct']:,} of {inf['declared_edges_checked']:,} declared edges ({inf['accuracy']:.1%})")
    if manifest["warnings"]:
        lines.append("warnings: " + ", ".join(f"{k} {v:,}" for k, v in manifest["warnings"].items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.precompute", description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=DEFAULT_DATASET, help="Hub dataset id, or a local CSV/parquet/JSON(L) file")
    parser.add_argument("--out", required=True, help="bundle folder to write")
    parser.add_argument("--sample", type=int, default=None, help="keep a seeded random sample of N models")
    parser.add_argument("--no-embed", action="store_true", help="skip embeddings, the 2D/3D projection and clusters")
    parser.add_argument("--backend", default="auto", choices=["auto", "static", "onnx-int8", "torch"],
                        help="embedding backend; auto: torch MiniLM on a GPU if there is one, else the CPU default "
                        "(see core.embedding.best_backend); static: token vectors distilled from MiniLM and fitted to it on the bundle, ~90x faster")
    parser.add_argument("--model", default=None, help="sentence-transformers model folder or Hub id (default: the packaged all-MiniLM-L6-v2)")
    parser.add_argument("--fit-sample", type=int, default=50_000, help="models the UMAP is fitted on; the rest are placed by transform")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--label", default=None, help="name shown in the app")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--timings", action="store_true", help="print each stage's seconds and memory (stderr, and one "
                        "'phylo-stages: <json>' line)")
    parser.add_argument("--batch-rows", type=int, default=DEFAULT_BATCH_ROWS, help="rows read and normalised at a time")
    parser.add_argument("--labels-only", action="store_true", help="add the map's label hierarchy to the bundle in "
                        "--out (one built with a map before labels existed); nothing else is rebuilt")
    args = parser.parse_args(argv)
    if args.labels_only:
        out = Path(args.out)
        if not (out / "points.parquet").is_file():
            print(f"phylo: error: {out} has no map (points.parquet) to label", file=sys.stderr)
            return 2
        print(f"{add_labels(out, seed=args.seed)} labels written to {out / 'labels.parquet'}")
        return 0
    if args.sample is not None and args.sample <= 0:
        parser.error("--sample must be a positive number of models")
    if args.batch_rows <= 0:
        parser.error("--batch-rows must be a positive number of rows")
    log = StageLog()
    try:
        manifest = build_bundle(args.source, args.out, sample=args.sample, progress=not args.quiet, label=args.label,
                                embed=not args.no_embed, backend=args.backend, model_path=args.model,
                                fit_sample=args.fit_sample, seed=args.seed, batch_rows=args.batch_rows, log=log)
    except PhyloError as exc:
        print(f"phylo: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("phylo: error: out of memory; try --sample N", file=sys.stderr)
        return 2
    except OSError as exc:  # the bundle folder cannot be written
        print(f"phylo: error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(_summary(manifest))
    print(f"bundle written to {args.out}")
    if args.timings:
        print(log.table(), file=sys.stderr)
        print("phylo-stages: " + json.dumps(log.rows), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
