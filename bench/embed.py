"""Embedding and projection benchmark.

Texts per second for the chosen backend (onnx-int8) against the plain torch float32
backend in the same run (2 threads, the same texts from the 760k listing), the
mean/min cosine to the torch vectors, and UMAP projection time at 100k and at the
full listing, extrapolated to the 1.86M-model Hub.

    python bench/embed.py [--bundle bundles/hub_listing_2024-07] [--texts 3000] [--skip-projection]
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


def sample_texts(listing: Path, n: int, seed: int = 0) -> list[str]:
    import pyarrow as pa

    from core.embedding import model_texts
    from core.models import normalize
    from core.snapshot import read_snapshot

    snap = read_snapshot(str(listing))
    rows = np.sort(np.random.default_rng(seed).choice(snap.table.num_rows, n, replace=False))
    snap = type(snap)(table=snap.table.take(pa.array(rows)), shape=snap.shape, source=snap.source)
    m = normalize(snap).models
    return model_texts(m["model_id"].combine_chunks(), m["pipeline_tag"].combine_chunks(),
                       m["library_name"].combine_chunks(), m["tags"].combine_chunks())


def rate(encoder, texts: list[str]) -> tuple[float, np.ndarray]:
    encoder.encode(texts[:64])  # warm-up
    t = time.perf_counter()
    vec = encoder.encode(texts)
    return len(texts) / (time.perf_counter() - t), vec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listing", default=str(ROOT.parent / "shared/data/hub_listing_2024-07.parquet"))
    parser.add_argument("--bundle", default=str(ROOT / "bundles/hub_listing_2024-07"))
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-projection", action="store_true")
    args = parser.parse_args()

    from core.embedding import load_encoder

    texts = sample_texts(Path(args.listing), args.texts)
    from tokenizers import Tokenizer

    from core.embedding import default_model_path

    tok = Tokenizer.from_file(str(default_model_path() / "tokenizer.json"))
    tok.no_padding()
    tokens = np.mean([len(e.ids) for e in tok.encode_batch(texts)])
    print(f"{len(texts):,} metadata texts from the 760k listing, mean {tokens:.0f} tokens, {args.threads} threads")
    torch_rate, ref = rate(load_encoder("torch", threads=args.threads), texts)
    onnx_rate, vec = rate(load_encoder("onnx-int8", threads=args.threads), texts)
    cos = (vec * ref).sum(1)
    print(f"torch float32 (baseline)  {torch_rate:7.0f} texts/s")
    print(f"onnx int8 (chosen)        {onnx_rate:7.0f} texts/s   {onnx_rate / torch_rate:.2f}x the baseline")
    print(f"cosine to torch vectors   mean {cos.mean():.4f}  min {cos.min():.4f}")
    print(f"embedding 760,000 models  ~{760_000 / onnx_rate / 60:.0f} min; {HUB_2025:,} models ~{HUB_2025 / onnx_rate / 60:.0f} min on this CPU")

    if args.skip_projection:
        return
    emb_path = Path(args.bundle) / "embeddings.npy"
    if not emb_path.exists():
        print(f"no {emb_path}: build the 760k bundle with embeddings first to time the projection")
        return
    from core.projection import dequantize, project

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
