"""Embedding and projection benchmark.

Texts per second of the static backend, the int8 ONNX backend and plain torch float32 (2 threads,
the same texts from the 760k listing, with and without the start of a real card), the cosine of
onnx-int8 to torch, and the quality of static against MiniLM (onnx-int8) in the same run: family
coherence of 10 nearest neighbours over a seeded pool, neighbour overlap, and precision@10 of
free-text queries (bench/queries.py), for the distilled table and for the table fitted to MiniLM on
20,000 other texts (what precompute does; its queries are embedded by MiniLM) against the bar for the
CPU default (coherence >= MiniLM's, precision >= 0.9x MiniLM's). Then UMAP projection time at 100k and at the full listing,
extrapolated to the 1.86M-model Hub.

    python bench/embed.py [--bundle bundles/hub_listing_2024-07] [--texts 3000] [--skip-projection]

The lineage (``family_id``) comes from the bundle's models.parquet; build it without embeddings with
``core.precompute.build_bundle(listing, bundle, embed=False)`` (~20 s). MiniLM vectors of the pools
are cached under .embeddings/bench-* (git-ignored), so a second run skips most of the MiniLM time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HUB_2025 = 1_860_411
CACHE = ROOT / ".embeddings"


def rate(encoder, texts: list[str]) -> tuple[float, np.ndarray]:
    encoder.encode(texts[:64])  # warm-up
    t = time.perf_counter()
    vec = encoder.encode(texts)
    return len(texts) / (time.perf_counter() - t), vec


def listing_texts(listing: Path):
    """The normalised 760k models table and one metadata text per row."""
    from core.atlas.embedding import model_texts
    from core.ingest.models import normalize
    from core.ingest.snapshot import read_snapshot

    m = normalize(read_snapshot(str(listing))).models
    return m, model_texts(m["model_id"].combine_chunks(), m["pipeline_tag"].combine_chunks(),
                          m["library_name"].combine_chunks(), m["tags"].combine_chunks())


def card_texts(path: Path) -> list[str]:
    """Texts with the card start of every model of ``path`` that has a card."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from core.atlas.embedding import card_start, model_texts
    from core.ingest.models import normalize
    from core.ingest.snapshot import read_snapshot

    n = normalize(read_snapshot(str(path)))
    m = n.models.filter(pc.is_in(n.models["model_id"], n.cards["model_id"]))
    cards = pa.chunked_array([pc.take(n.cards["card"], pc.index_in(m["model_id"], n.cards["model_id"]))]).combine_chunks()
    return model_texts(m["model_id"].combine_chunks(), m["pipeline_tag"].combine_chunks(),
                       m["library_name"].combine_chunks(), m["tags"].combine_chunks(), card_start(cards))


def static_rate(encoder, texts: list[str], min_s: float = 2.0) -> float:
    """Texts/s of ``encoder`` over ``texts``, repeating whole passes until ``min_s`` seconds have passed."""
    encoder.encode(texts[:64])
    done, t = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - t) < min_s or not done:
        encoder.encode(texts)
        done += len(texts)
        elapsed = time.perf_counter() - t
    return done / elapsed


def family_pool(families: np.ndarray, members: int, cap: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Rows of whole random families of >= 2 models (at most ``cap`` random members each) until ``members``
    rows, and as many random other rows as distractors."""
    rng = np.random.default_rng(seed)
    ids, first, counts = np.unique(families, return_index=True, return_counts=True)
    order = np.argsort(families, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    chosen = []
    total = 0
    for f in rng.permutation(np.flatnonzero(counts >= 2)):
        rows = order[starts[f]:starts[f + 1]]
        if len(rows) > cap:
            rows = rng.choice(rows, cap, replace=False)
        chosen.append(rows)
        total += len(rows)
        if total >= members:
            break
    fam_rows = np.sort(np.concatenate(chosen))
    others = np.setdiff1d(np.flatnonzero(~np.isin(families, families[fam_rows])), [])
    distractors = np.sort(rng.choice(others, len(fam_rows), replace=False))
    return fam_rows, distractors


def neighbours(vectors: np.ndarray, rows: np.ndarray, k: int = 10, block: int = 2048) -> np.ndarray:
    """The ``k`` nearest rows of ``vectors`` (cosine of unit vectors) to each of ``rows``, itself excluded."""
    out = np.empty((len(rows), k), dtype=np.int64)
    for s in range(0, len(rows), block):
        q = rows[s:s + block]
        scores = vectors[q] @ vectors.T
        scores[np.arange(len(q)), q] = -np.inf
        top = np.argpartition(-scores, k, axis=1)[:, :k]
        part = np.take_along_axis(scores, top, 1)
        out[s:s + len(q)] = np.take_along_axis(top, np.argsort(-part, axis=1, kind="stable"), 1)
    return out


def cached_embedding(name: str, texts: list[str], encoder) -> np.ndarray:
    from core.atlas.embedding import embed_resumable

    return embed_resumable(texts, CACHE / f"bench-{name}-{encoder.backend.value}", encoder, chunk=5_000)


def query_precision(queries, vectors: np.ndarray, encoder, judged: list) -> np.ndarray:
    """Precision@10 of each query: the share of its 10 nearest pool models that its judge accepts."""
    q = encoder.encode([x.text for x in queries])
    scores = q @ vectors.T
    top = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    return np.array([np.mean([x.judge(judged[r]) for r in row]) for x, row in zip(queries, top)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listing", default=str(ROOT.parent / "shared/data/hub_listing_2024-07.parquet"))
    parser.add_argument("--cards", default=str(ROOT.parent / "shared/data/family_trees_2025.csv"))
    parser.add_argument("--bundle", default=str(ROOT / "bundles/hub_listing_2024-07"))
    parser.add_argument("--texts", type=int, default=3000, help="metadata texts for torch and onnx")
    parser.add_argument("--card-texts", type=int, default=600, help="card texts for torch and onnx")
    parser.add_argument("--static-texts", type=int, default=200_000, help="metadata texts for static")
    parser.add_argument("--family-members", type=int, default=25_000)
    parser.add_argument("--query-pool", type=int, default=50_000, help="random models added to the family pool for queries")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--teacher-texts", type=int, default=20_000, help="texts the static table is fitted on")
    parser.add_argument("--skip-torch", action="store_true")
    parser.add_argument("--skip-projection", action="store_true")
    args = parser.parse_args()
    import os

    os.environ.setdefault("RAYON_NUM_THREADS", str(args.threads))
    from core.atlas.embedding import load_encoder

    t0 = time.perf_counter()
    models, all_texts = listing_texts(Path(args.listing))
    rows = np.sort(np.random.default_rng(0).choice(len(all_texts), args.static_texts, replace=False))
    static_texts = [all_texts[i] for i in rows]
    texts = static_texts[::max(1, len(static_texts) // args.texts)][:args.texts]  # spread over the listing
    cards = card_texts(Path(args.cards))
    from tokenizers import Tokenizer

    from core.atlas.embedding import default_model_path

    tok = Tokenizer.from_file(str(default_model_path() / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    tokens = np.mean([len(e.ids) for e in tok.encode_batch(texts)])
    card_tokens = np.mean([len(e.ids) for e in tok.encode_batch(cards)])
    print(f"{len(texts):,} metadata texts from the 760k listing, mean {tokens:.0f} tokens; {len(cards):,} texts with the "
          f"card start (family_trees_2025.csv), mean {card_tokens:.0f} tokens untruncated; {args.threads} threads")

    t = time.perf_counter()
    static = load_encoder("static", threads=args.threads)
    print(f"static encoder ready in {time.perf_counter() - t:.1f} s (distilled on first use, then cached), dim {static.dim}")
    onnx = load_encoder("onnx-int8", threads=args.threads)
    onnx_rate, vec = rate(onnx, texts)
    onnx_card_rate, _ = rate(onnx, cards[:args.card_texts])
    static_meta = static_rate(static, static_texts)
    static_card = static_rate(static, cards)
    print("\nthroughput, texts/s               metadata      with card start")
    if not args.skip_torch:
        torch_rate, ref = rate(load_encoder("torch", threads=args.threads), texts)
        torch_card_rate, _ = rate(load_encoder("torch", threads=args.threads), cards[:args.card_texts])
        print(f"torch float32 (baseline)         {torch_rate:9.0f}    {torch_card_rate:9.0f}")
    print(f"onnx int8                        {onnx_rate:9.0f}    {onnx_card_rate:9.0f}"
          + ("" if args.skip_torch else f"     ({onnx_rate / torch_rate:.2f}x / {onnx_card_rate / torch_card_rate:.2f}x torch)"))
    print(f"static ({static.dim}-d)                  {static_meta:9.0f}    {static_card:9.0f}"
          f"     ({static_meta / onnx_rate:.0f}x / {static_card / onnx_card_rate:.0f}x onnx int8)")
    print(f"  (static timed on {len(static_texts):,} metadata texts and on all {len(cards):,} card texts, repeated passes;"
          f" onnx/torch on {len(texts):,} and {min(len(cards), args.card_texts):,})")
    if not args.skip_torch:
        cos = (vec * ref).sum(1)
        print(f"onnx int8 cosine to torch vectors   mean {cos.mean():.4f}  min {cos.min():.4f}")
    for name, r in (("onnx int8", onnx_rate), ("static", static_meta)):
        print(f"embedding {HUB_2025:,} models with {name}: ~{HUB_2025 / r / 60:.1f} min on this CPU")

    import pyarrow.parquet as pq

    from bench.queries import QUERIES, Model

    bundle_models = pq.read_table(Path(args.bundle) / "models.parquet", columns=["model_id", "family_id"])
    assert bundle_models["model_id"].equals(models["model_id"]), "bundle and listing rows differ: rebuild the bundle"
    families = bundle_models["family_id"].to_numpy()
    fam_rows, distractors = family_pool(families, args.family_members, cap=500)
    pool = np.concatenate([fam_rows, distractors])
    n_fam = len(np.unique(families[fam_rows]))
    print(f"\nfamily pool: {n_fam:,} random families of >= 2 models (whole, at most 500 random members each) = "
          f"{len(fam_rows):,} models, plus {len(distractors):,} random models of other families as distractors (seed 0)")
    pool_texts = [all_texts[i] for i in pool]
    t = time.perf_counter()
    mini = cached_embedding(f"familypool{args.family_members}", pool_texts, onnx)
    print(f"MiniLM (onnx int8) on the pool: {time.perf_counter() - t:.0f} s (cached across runs)")
    stat = static.encode(pool_texts)
    members = np.arange(len(fam_rows))
    fam = families[pool]
    coherence = {}
    nbrs = {}
    for name, v in (("MiniLM onnx int8", mini), ("static", stat)):
        nb = neighbours(v, members)
        nbrs[name] = nb
        coherence[name] = float((fam[nb] == fam[members][:, None]).mean())
    base = coherence["MiniLM onnx int8"]
    for name, c in coherence.items():
        print(f"family coherence@10 {name:18s} {c:.3f}   ({c / base:.2f}x MiniLM)")
    a, b = nbrs.values()
    overlap = np.mean([len(set(x) & set(y)) / 10 for x, y in zip(a, b)])
    print(f"top-10 neighbour overlap static vs MiniLM: {overlap:.3f}")

    extra = np.setdiff1d(np.arange(len(all_texts)), pool)
    extra = np.sort(np.random.default_rng(1).choice(extra, args.query_pool, replace=False))
    extra_texts = [all_texts[i] for i in extra]
    qpool = np.concatenate([pool, extra])
    mini_q = np.concatenate([mini, cached_embedding(f"querypool{args.query_pool}", extra_texts, onnx)])
    stat_q = np.concatenate([stat, static.encode(extra_texts)])
    # The static backend as precompute uses it: fitted to MiniLM on a seeded sample of the bundle's texts (here
    # 20,000 of the random models, none of the family pool), queries embedded by MiniLM in the same space.
    from core.atlas.embedding import Backend, Encoder
    from core.atlas.static_embedding import fit_to_teacher, load_static

    fit_rows = np.sort(np.random.default_rng(7).choice(len(extra_texts), min(args.teacher_texts, len(extra_texts)),
                                                        replace=False))
    t = time.perf_counter()
    teacher = cached_embedding(f"querypool{args.query_pool}", extra_texts, onnx)[fit_rows]
    fitted = fit_to_teacher(load_static(default_model_path()), [extra_texts[i] for i in fit_rows], teacher)
    fit_s = time.perf_counter() - t
    fitted_enc = Encoder(Backend.STATIC, lambda texts, bs: fitted.encode(texts, bs or 16_384), fitted.dim)
    fit_pool = fitted_enc.encode(pool_texts)
    fit_q = np.concatenate([fit_pool, fitted_enc.encode(extra_texts)])
    nb = neighbours(fit_pool, members)
    coherence["static fitted"] = float((fam[nb] == fam[members][:, None]).mean())
    fitted_meta, fitted_card = static_rate(fitted_enc, static_texts), static_rate(fitted_enc, cards)
    print(f"\nstatic fitted to MiniLM on {len(fit_rows):,} texts ({fit_s:.0f} s, teacher vectors cached; in a build the "
          f"teacher embeds them first: ~{len(fit_rows) / onnx_rate:.0f} s at this CPU's onnx rate), {fitted.dim}-d:")
    print(f"  throughput {fitted_meta:,.0f} / {fitted_card:,.0f} texts/s metadata / card start "
          f"({fitted_meta / onnx_rate:.0f}x / {fitted_card / onnx_card_rate:.0f}x onnx int8)")
    print(f"  family coherence@10 {coherence['static fitted']:.3f} ({coherence['static fitted'] / base:.2f}x MiniLM); "
          f"cosine to MiniLM on the pool {float((fit_pool * mini).sum(1).mean()):.3f}")
    overlap_fit = np.mean([len(set(x) & set(y)) / 10 for x, y in zip(nb, nbrs["MiniLM onnx int8"])])
    print(f"  top-10 neighbour overlap with MiniLM {overlap_fit:.3f}")
    sub = models.select(["model_id", "pipeline_tag", "library_name", "tags", "languages"]).take(qpool).to_pylist()
    judged = [Model(r["model_id"].lower(), r["pipeline_tag"] or "", r["library_name"] or "",
                    frozenset(t.lower() for t in (r["tags"] or []) + (r["languages"] or []))) for r in sub]
    p_mini = query_precision(QUERIES, mini_q, onnx, judged)
    p_stat = query_precision(QUERIES, stat_q, static, judged)
    p_fit = query_precision(QUERIES, fit_q, onnx, judged)  # queries by MiniLM, vectors by the fitted static table
    p_fit_static = query_precision(QUERIES, fit_q, fitted_enc, judged)
    print(f"\nprecision@10 of {len(QUERIES)} free-text queries over {len(qpool):,} models (the family pool + {args.query_pool:,} random)")
    print(f"{'query':46s} MiniLM  static  fitted (MiniLM queries)  fitted (static queries)")
    for q, x, y, z, w in zip(QUERIES, p_mini, p_stat, p_fit, p_fit_static):
        print(f"{q.text:46s} {x:6.1f}  {y:6.1f}  {z:6.1f}  {w:6.1f}")
    ratio = lambda p: p.mean() / max(p_mini.mean(), 1e-9)  # noqa: E731
    print(f"{'mean':46s} {p_mini.mean():6.3f}  {p_stat.mean():6.3f}  {p_fit.mean():6.3f}  {p_fit_static.mean():6.3f}   "
          f"({ratio(p_stat):.2f}x / {ratio(p_fit):.2f}x / {ratio(p_fit_static):.2f}x MiniLM)")
    for name, c, p in (("distilled static", coherence["static"], p_stat), ("fitted static, MiniLM queries (the default)",
                                                                           coherence["static fitted"], p_fit)):
        ok = c >= base and p.mean() >= 0.9 * p_mini.mean()
        print(f"{name} meets the CPU-default bar (coherence >= MiniLM and precision >= 0.9x MiniLM): {ok}")
    print(f"\nbench time so far {time.perf_counter() - t0:.0f} s")

    if args.skip_projection:
        return
    emb_path = Path(args.bundle) / "embeddings.npy"
    if not emb_path.exists():
        print(f"no {emb_path}: build the 760k bundle with embeddings first to time the projection")
        return
    from core.atlas.projection import dequantize, project

    codes = np.load(emb_path)
    t = time.perf_counter()
    project(dequantize(codes[:1000]), fit_sample=1000)
    compile_s = time.perf_counter() - t
    print(f"\nUMAP first call (numba compilation, once per process) {compile_s:.0f} s")
    sub = dequantize(codes[np.sort(np.random.default_rng(0).choice(len(codes), 100_000, replace=False))])
    t = time.perf_counter()
    project(sub, fit_sample=100_000)
    fit100 = time.perf_counter() - t
    print(f"projection of 100,000 (UMAP 2D + 3D fitted on all of them, PCA-50 first): {fit100:.0f} s")
    done = [0]
    t = time.perf_counter()
    project(dequantize(codes), fit_sample=50_000, progress=lambda k: done.__setitem__(0, done[0] + k))
    full = time.perf_counter() - t
    n = len(codes)
    per_rest = full / max(n - 50_000, 1)
    print(f"projection of all {n:,} (fit on 50,000, transform the rest): {full:.0f} s")
    print(f"extrapolated to {HUB_2025:,}: ~{(full + per_rest * (HUB_2025 - n)) / 60:.0f} min projection "
          f"(transform is linear in N; the fit stays at 50,000)")


if __name__ == "__main__":
    main()
