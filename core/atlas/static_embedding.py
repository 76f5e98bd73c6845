"""Static token embeddings distilled from all-MiniLM-L6-v2 (model2vec-style): encoding at tokenizer speed.

Each WordPiece token's vector is MiniLM's output at the token's position in the one-token
sentence ``[CLS] token [SEP]`` (for queries a little better than the sentence's mean or the
input embedding); the vectors are centred (the shared direction says nothing) and rotated
onto their principal axes, cut to ``DEFAULT_DIM`` (256: 384 gained ~0.015 query precision
for 1.5x the pooling cost). A text's vector is the weighted
mean of its tokens' vectors, computed for a whole batch as one sparse (texts x vocab) CSR matrix
times the (vocab x dim) table, then L2-normalised. No network runs at encoding time, so a text
costs its tokenisation and a few hundred multiply-adds per token.

Token weights are SIF weights ``a / (a + p(token))`` (Arora et al. 2017) with ``p`` from Zipf's
law over the tokenizer's own word order (BERT's vocabulary lists whole words by corpus
frequency): frequent words ("the", "of") and punctuation count less than rare, telling ones. The
order is fixed by the tokenizer, so the encoder never depends on the data it embeds. Weights
from token counts of the Hub listing itself (SIF or IDF) measured worse: they mute the task and
library words ("speech", "recognition") that free-text queries need.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np

from core.settings import cache_dir

__all__ = ["Weighting", "StaticEmbedding", "token_weights", "token_matrix", "pool", "distill_token_vectors",
           "principal_axes", "build_static", "load_static", "static_cache_path", "fit_to_teacher"]

DEFAULT_DIM = 256
SIF_A = 1e-4  # model2vec's coefficient; 1e-3 and 1e-5 measured worse for queries
FORMAT_VERSION = 2
_SPECIAL = re.compile(r"^\[(PAD|CLS|SEP|MASK|unused\d+)\]$")


class Weighting(str, Enum):
    UNIFORM = "uniform"
    SIF_ZIPF = "sif-zipf"  # a / (a + p), p by Zipf's law over the vocabulary order


def token_weights(vocab: list[str], weighting: Weighting | str = Weighting.SIF_ZIPF, a: float = SIF_A) -> np.ndarray:
    """One float32 weight per vocabulary id; special and unused tokens weigh 0 (they carry no meaning).

    The Zipf rank of a token is its position among the kept tokens in vocabulary order.
    """
    keep = np.array([not _SPECIAL.match(t) for t in vocab])
    weighting = Weighting(weighting)
    w = np.zeros(len(vocab), dtype=np.float64)
    if weighting is Weighting.UNIFORM:
        w[keep] = 1.0
    else:
        rank = np.cumsum(keep)[keep]  # 1 for the first kept token
        p = 1.0 / (rank + 1.0)
        p /= p.sum()
        w[keep] = a / (a + p)
    return w.astype(np.float32)


def token_matrix(ids: list[list[int]], weights: np.ndarray, vocab_size: int):
    """The (texts x vocab) CSR matrix whose row ``i`` holds text ``i``'s token weights, divided by their sum.

    Repeated tokens add up (scipy sums duplicates); a text without weighted tokens is an empty row.
    """
    from itertools import chain

    from scipy.sparse import csr_matrix

    lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    indptr = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    indices = np.fromiter(chain.from_iterable(ids), dtype=np.int32, count=int(indptr[-1]))
    data = weights[indices]
    totals = np.bincount(np.repeat(np.arange(len(ids)), lengths), weights=data, minlength=len(ids))
    data = (data / np.maximum(np.repeat(totals, lengths), 1e-12)).astype(np.float32)
    return csr_matrix((data, indices, indptr), shape=(len(ids), vocab_size))


def pool(matrix, vectors: np.ndarray) -> np.ndarray:
    """Weighted means of token vectors (``matrix @ vectors``), L2-normalised; empty rows stay zero."""
    out = np.asarray(matrix @ vectors, dtype=np.float32)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out


def _fast_pool(matrix, vectors: np.ndarray) -> np.ndarray:
    """:func:`pool` by torch's ``embedding_bag`` (weighted sums, bags in parallel): ~4x scipy's single-threaded
    sparse product, equal to it within float32 rounding (a test checks); scipy when torch is absent."""
    try:
        import torch
    except ImportError:
        return pool(matrix, vectors)
    table = torch.from_numpy(np.ascontiguousarray(vectors, dtype=np.float32))
    out = torch.nn.functional.embedding_bag(
        torch.from_numpy(matrix.indices.astype(np.int64)), table, torch.from_numpy(matrix.indptr[:-1].astype(np.int64)),
        mode="sum", per_sample_weights=torch.from_numpy(matrix.data.astype(np.float32)),
        include_last_offset=False).numpy()
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out


@dataclass(frozen=True)
class StaticEmbedding:
    """A token table, its weights and the tokenizer: encodes texts into unit float32 vectors of size ``dim``."""

    vectors: np.ndarray  # (vocab, dim) float32
    weights: np.ndarray  # (vocab,) float32
    tokenizer: object  # tokenizers.Tokenizer, without padding, truncation or special tokens

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        fast = getattr(self.tokenizer, "encode_batch_fast", self.tokenizer.encode_batch)
        return [e.ids for e in fast(texts, add_special_tokens=False)]

    def encode(self, texts: list[str], batch_size: int = 16_384) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            part = texts[start:start + batch_size]
            out[start:start + len(part)] = _fast_pool(token_matrix(self.token_ids(part), self.weights, len(self.weights)),
                                                      self.vectors)
        return out


def _tokenizer(model_path: Path, max_tokens: int | None):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    tok.no_padding()
    if max_tokens:
        tok.enable_truncation(max_tokens)
    else:
        tok.no_truncation()
    return tok


def _vocab(tok) -> list[str]:
    vocab = tok.get_vocab(with_added_tokens=True)
    out = [""] * len(vocab)
    for token, i in vocab.items():
        out[i] = token
    return out


def distill_token_vectors(model_path: Path, token_ids: np.ndarray, cls_id: int, sep_id: int,
                          batch_size: int = 1024) -> np.ndarray:
    """MiniLM's float32 output at the token of each sentence ``[CLS] token [SEP]`` (torch, CPU, ~30 s for 30k)."""
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_path)).eval()
    out = np.zeros((len(token_ids), model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, len(token_ids), batch_size):
            ids = torch.as_tensor(token_ids[start:start + batch_size], dtype=torch.long)
            x = torch.stack([torch.full_like(ids, cls_id), ids, torch.full_like(ids, sep_id)], 1)
            hidden = model(input_ids=x, attention_mask=torch.ones_like(x), token_type_ids=torch.zeros_like(x)).last_hidden_state
            out[start:start + len(ids)] = hidden[:, 1].numpy()
    return out


def principal_axes(raw: np.ndarray, weights: np.ndarray, dim: int) -> np.ndarray:
    """``raw`` centred and projected on its ``dim`` leading principal axes (float64 maths, fixed signs, float32 out).

    The mean and covariance are weighted by the token weights, so boilerplate tokens do not set the axes.
    """
    x = raw.astype(np.float64)
    w = weights.astype(np.float64) / weights.sum()
    mean = w @ x
    xc = x - mean
    cov = (xc * w[:, None]).T @ xc
    values, axes = np.linalg.eigh(cov)
    axes = axes[:, np.argsort(-values, kind="stable")[:dim]]
    axes *= np.where(axes[np.argmax(np.abs(axes), axis=0), np.arange(axes.shape[1])] < 0, -1.0, 1.0)
    return (xc @ axes).astype(np.float32)


def build_static(model_path: Path, dim: int = DEFAULT_DIM, weighting: Weighting | str = Weighting.SIF_ZIPF,
                 vocab_limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The (vocab x dim) token table and weights; ``vocab_limit`` distils only the first ids (fast tests)."""
    tok = _tokenizer(model_path, None)
    vocab = _vocab(tok)
    weights = token_weights(vocab, weighting)
    if vocab_limit is not None:
        weights[vocab_limit:] = 0
    kept = np.flatnonzero(weights > 0)
    raw = distill_token_vectors(model_path, kept, tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]"))
    vectors = np.zeros((len(vocab), dim), dtype=np.float32)
    vectors[kept] = principal_axes(raw, weights[kept], dim)
    return vectors, weights


def static_cache_path(dim: int = DEFAULT_DIM, weighting: Weighting | str = Weighting.SIF_ZIPF) -> Path:
    suffix = "" if Weighting(weighting) is Weighting.SIF_ZIPF else f"-{Weighting(weighting).value}"
    return cache_dir() / f"static-minilm-l6-v2-{dim}{suffix}.npz"


def _write_npz(path: Path, **arrays: np.ndarray) -> None:
    """An .npz with fixed zip timestamps (same arrays, same bytes), written to a temp file and renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as z:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            z.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buf.getvalue())
    os.replace(tmp, path)


def load_static(model_path: Path, dim: int = DEFAULT_DIM, weighting: Weighting | str = Weighting.SIF_ZIPF,
                max_tokens: int | None = None) -> StaticEmbedding:
    """The static model from the cache, distilled and cached first if absent (15-30 s on 2 cores)."""
    path = static_cache_path(dim, weighting)
    vectors = None
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            if "version" in z and int(z["version"][0]) == FORMAT_VERSION:
                vectors, weights = z["vectors"], z["weights"]
    if vectors is None:
        vectors, weights = build_static(model_path, dim, weighting)
        _write_npz(path, vectors=vectors, weights=weights, version=np.array([FORMAT_VERSION]))
    return StaticEmbedding(vectors, weights, _tokenizer(model_path, max_tokens))


def fit_to_teacher(model: StaticEmbedding, texts: list[str], teacher: np.ndarray, ridge: float = 0.01,
                   iters: int = 60) -> StaticEmbedding:
    """A static model whose pooled vectors approximate ``teacher`` (e.g. MiniLM's) on ``texts``.

    Token vectors ``V`` (vocab x teacher dim) minimise ``|A V - T|^2 + ridge * s * |V - V0|^2``, with ``A`` the
    weighted-mean matrix of the texts (:func:`token_matrix`), ``T`` the teacher's unit vectors and ``V0`` the
    distilled table mapped to the teacher's space by least squares (so tokens the texts never use keep their
    distilled meaning); ``s`` scales the ridge to ``A``'s mean squared column norm. Solved by conjugate gradients
    over all columns at once (float64 maths: deterministic for the same inputs). This is tokenlearn's idea
    (learn token vectors from a teacher's sentence vectors) by linear algebra instead of training.
    """
    a = token_matrix(model.token_ids(texts), model.weights, len(model.weights)).astype(np.float64)
    t = teacher.astype(np.float64)
    base = np.asarray(a @ model.vectors, dtype=np.float64)
    bridge, *_ = np.linalg.lstsq(base, t, rcond=None)  # static space -> teacher space
    v0 = model.vectors.astype(np.float64) @ bridge
    v0[model.weights == 0] = 0
    at = a.T.tocsr()
    col_sq = np.asarray(a.multiply(a).sum(axis=0)).ravel()
    lam = ridge * float(col_sq[col_sq > 0].mean())

    def apply(x):
        return at @ (a @ x) + lam * x

    rhs = at @ t + lam * v0
    x = v0.copy()
    r = rhs - apply(x)
    p = r.copy()
    rs = (r * r).sum(axis=0)
    for _ in range(iters):
        ap = apply(p)
        alpha = rs / np.maximum((p * ap).sum(axis=0), 1e-300)
        x += p * alpha
        r -= ap * alpha
        rs_new = (r * r).sum(axis=0)
        if float(np.sqrt(rs_new.max())) < 1e-10:
            break
        p = r + p * (rs_new / np.maximum(rs, 1e-300))
        rs = rs_new
    x[model.weights == 0] = 0
    return StaticEmbedding(x.astype(np.float32), model.weights, model.tokenizer)
