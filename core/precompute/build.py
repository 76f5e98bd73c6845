"""Build a bundle from a Hub snapshot (``python -m core.precompute``).

Steps: read the source, normalise the models, build typed edges, compute
families and depths, write parquet files and a manifest. Rerunning on the same
source writes the same bundle.
"""

from __future__ import annotations

import json
import platform
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.bundle import BUNDLE_FORMAT, Bundle, connect, file_facts
from core.errors import BundleError
from core.evolution.resemblance import bundle_vectorisers, resemblance, vectorisers_table
from core.evolution.traits import TextTrait
from core.ingest.cards import CardWriter
from core.ingest.models import normalize
from core.ingest.snapshot import DEFAULT_BATCH_ROWS, Snapshot, open_snapshot
from core.lineage import (CANONICAL_ORGS, RELATION_CODE, RELATION_PRIORITY, InferenceRule, ParentMatch, Relation, RelationSource,
                          build_edges, compute_lineage, family_roots, nearest_declaring, weak_components)
from core.precompute.map import add_map
from core.precompute.stages import STEPS, StageLog, progress_bar

__all__ = ["build_bundle", "add_resemblance", "STEPS"]

MAX_LISTED = 1000  # ids listed in the manifest per kind of problem (all are counted)
_REL_NAMES = pa.array([r.value for r in RELATION_PRIORITY])
_MATCH_NAMES = pa.array([m.value for m in ParentMatch])
_RULE_NAMES = pa.array([r.name.lower() for r in InferenceRule])


def _variant_families(n: int, parent: np.ndarray, child: np.ndarray, keep: np.ndarray,
                      downloads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(family number, root row) per model for a graph variant: the components of the ``keep`` edges."""
    p, c = parent[keep], child[keep]
    return family_roots(weak_components(n, p, c), np.bincount(c, minlength=n) > 0, downloads)


def _families(models: pa.Table, family: np.ndarray, root: np.ndarray, ids: pa.Array,
              edge_parent: np.ndarray, edge_child: np.ndarray, edge_relation: np.ndarray) -> pa.Table:
    """One row per family of two or more models: root, size, depth, roots, downloads, dates, the mix of the edges
    inside it, and the merges that cross its border (a merge joins families without making them one)."""
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
    inside = family[edge_parent] == family[edge_child]
    by_rel = np.bincount(family[edge_child[inside]] * k + edge_relation[inside].astype(np.int64),
                         minlength=len(sizes) * k).reshape(-1, k)
    merge = (edge_relation == RELATION_CODE[Relation.MERGE]) & ~inside
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
    # Merge edges between this family and another: into its models, and out of them into other families' models.
    columns["merges_in"] = pa.array(np.bincount(family[edge_child[merge]], minlength=len(sizes))[fid].astype(np.int32))
    columns["merges_out"] = pa.array(np.bincount(family[edge_parent[merge]], minlength=len(sizes))[fid].astype(np.int32))
    return pa.table(columns)


def _study_facts(mention_child: np.ndarray, mention_parent: pa.Array, ids: pa.Array, edges: pa.Table) -> dict:
    """What the study's definitions (core.evolution.definitions) need beyond the edges: its graph keeps an edge only
    when the parent is written exactly as a snapshot id (get_full_graph, cell 3), and keeps self-loops.

    ``self_loops``: models that name themselves exactly as a parent. ``not_written_exactly``: in-snapshot edges
    Phylo matches exactly only after trimming the written text (e.g. ``base_model: org/name``), [child, parent]."""
    row = pc.fill_null(pc.index_in(mention_parent, ids), -1).to_numpy(zero_copy_only=False).astype(np.int64)
    exact = row >= 0
    child = mention_child.astype(np.int64)
    self_loops = int(len(np.unique(child[exact & (row == child)])))
    n = len(ids)
    written = np.unique(child[exact] * n + row[exact])
    matched = pc.equal(edges["parent_match"], ParentMatch.EXACT.value).to_numpy(zero_copy_only=False)
    e_child = pc.index_in(edges["child"].filter(pa.array(matched)), ids).to_numpy(zero_copy_only=False).astype(np.int64)
    e_parent = pc.index_in(edges["parent"].filter(pa.array(matched)), ids).to_numpy(zero_copy_only=False).astype(np.int64)
    missing = ~np.isin(e_child * n + e_parent, written)
    pairs = sorted(zip(ids.take(pa.array(e_child[missing])).to_pylist(), ids.take(pa.array(e_parent[missing])).to_pylist()))
    return {"self_loops": self_loops, "not_written_exactly": [list(p) for p in pairs[:MAX_LISTED]],
            "not_written_exactly_count": int(missing.sum())}


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
    bar = progress_bar(progress)
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
    study = _study_facts(norm.mention_child, norm.mention_parent, ids, edge_table)
    log.mark("edges")
    bar.update()

    bar.set_description("lineage")
    lin = compute_lineage(n, edges, downloads)
    p_in, c_in, rel_in = edges.parent[inside], edges.child[inside], edges.relation[inside]
    merge_code = RELATION_CODE[Relation.MERGE]
    finetune_code = RELATION_CODE[Relation.FINETUNE]
    depth = pa.array(lin.depth.astype(np.int32), mask=lin.depth < 0)
    # The family shown everywhere is the study's: components without merge edges (FamilyGraph.NO_MERGE).
    family, root = _variant_families(n, p_in, c_in, rel_in != merge_code, downloads)
    _, root_finetune = _variant_families(n, p_in, c_in, rel_in == finetune_code, downloads)
    models = models.append_column("family_id", pa.array(family.astype(np.int32)))
    models = models.append_column("family", ids.take(pa.array(root)))
    models = models.append_column("depth", depth)
    models = models.append_column("n_parents", pa.array(lin.n_parents.astype(np.int32)))
    models = models.append_column("n_children", pa.array(lin.n_children.astype(np.int32)))
    models = models.append_column("n_descendants", pa.array(lin.n_descendants.astype(np.int32)))
    models = models.append_column("in_cycle", pa.array(lin.in_cycle))
    models = models.append_column("family_all", ids.take(pa.array(lin.family_root)))
    models = models.append_column("family_finetune", ids.take(pa.array(root_finetune)))
    # Where the license a model should keep comes from: its nearest ancestor (without merges) that declares one.
    declared = pc.fill_null(pc.greater(pc.list_value_length(models["licenses"]), 0), False).to_numpy(zero_copy_only=False)
    upstream = nearest_declaring(n, p_in[rel_in != merge_code], c_in[rel_in != merge_code], declared, downloads)
    models = models.append_column("license_upstream", pc.if_else(pa.array(upstream >= 0),
                                                                 ids.take(pa.array(np.maximum(upstream, 0))),
                                                                 pa.scalar(None, pa.string())))
    families = _families(models, family, root, ids, p_in, c_in, rel_in)
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
            "families": int(family.max(initial=-1)) + 1,
            "families_all_edges": int(lin.family_index.max(initial=-1)) + 1,
            "largest_family_all_edges": int(np.bincount(lin.family_index).max(initial=0)),
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
        "study": study,
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
    target, fitted_path = out / "resemblance.parquet", out / "vectorisers.parquet"
    target.unlink(missing_ok=True)
    fitted_path.unlink(missing_ok=True)
    con = connect(Bundle(path=out, manifest={"source_shape": source_shape}), in_memory=False, )
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
