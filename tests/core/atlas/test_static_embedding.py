import numpy as np
import pytest

from core.atlas.embedding import Backend, Encoder, default_model_path, embed_resumable, load_encoder
from core.atlas.static_embedding import (StaticEmbedding, Weighting, _tokenizer, _write_npz, build_static, pool,
                                   token_matrix, token_weights)


def test_pooling_is_the_weighted_mean_of_token_vectors():
    vectors = np.array([[1, 0], [0, 1], [3, 4], [9, 9]], dtype=np.float32)
    weights = np.array([1.0, 2.0, 0.5, 0.0], dtype=np.float32)
    m = token_matrix([[0, 1, 1], [2], [3], []], weights, 4)
    assert np.allclose(m.toarray()[0], [1 / 5, 4 / 5, 0, 0])  # the repeated token adds up
    out = pool(m, vectors)
    expected = (1 * vectors[0] + 2 * vectors[1] + 2 * vectors[1]) / 5
    assert np.allclose(out[0], expected / np.linalg.norm(expected))
    assert np.allclose(out[1], [0.6, 0.8])
    assert np.all(out[2:] == 0)  # only weightless or no tokens: a zero vector, not NaN


def test_special_and_unused_tokens_weigh_nothing_and_frequent_words_less():
    vocab = ["[PAD]", "[unused0]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "of", "gguf"]
    w = token_weights(vocab, Weighting.SIF_ZIPF)
    assert w[[0, 1, 3, 4, 5]].tolist() == [0] * 5 and w[2] > 0
    assert 0 < w[6] < w[7] < w[8] < 1
    assert token_weights(vocab, "uniform")[6:].tolist() == [1, 1, 1]


@pytest.fixture(scope="module")
def small_build():
    """A distillation of the first 2,500 vocabulary ids only (seconds instead of ~30 s)."""
    return build_static(default_model_path(), dim=64, vocab_limit=2500)


def test_distillation_is_deterministic_to_the_byte(small_build, tmp_path):
    again = build_static(default_model_path(), dim=64, vocab_limit=2500)
    assert all(np.array_equal(a, b) for a, b in zip(small_build, again))
    _write_npz(tmp_path / "a.npz", vectors=small_build[0], weights=small_build[1])
    _write_npz(tmp_path / "b.npz", vectors=again[0], weights=again[1])
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    vectors, weights = small_build
    assert vectors.dtype == weights.dtype == np.float32 and vectors.shape == (30522, 64)
    assert not vectors[2500:].any() and not weights[2500:].any()


def test_small_static_model_encodes_unit_vectors(small_build):
    model = StaticEmbedding(*small_build, _tokenizer(default_model_path(), None))
    texts = ["the first of the", "in the and to", "was he is as for on"]
    a, b = model.encode(texts), model.encode(texts, batch_size=2)
    assert a.shape == (3, 64) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)


@pytest.fixture(scope="module")
def static():
    return load_encoder("static")  # distilled once into the cache (~30 s), then loaded


def test_static_encoder_shape_norm_and_determinism(static):
    texts = ["meta-llama/Llama-2-7b-hf | text-generation | transformers | llama, llama2",
             "openai/whisper-small | automatic-speech-recognition | transformers | whisper, audio", "x | | | "]
    a, b = static.encode(texts), static.encode(list(texts))
    assert static.backend is Backend.STATIC and a.shape == (3, static.dim) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert static.encode([]).shape == (0, static.dim)


def test_static_texts_sit_near_texts_sharing_their_meaning(static):
    speech, paraphrase, image, sentiment = static.encode([
        "openai/whisper-small | automatic-speech-recognition | transformers | whisper, audio",
        "speech recognition model for transcribing audio",
        "user/anime-lora | text-to-image | diffusers | stable-diffusion, lora, anime",
        "cardiffnlp/twitter-roberta-base-sentiment | text-classification | transformers | roberta, sentiment"])
    assert speech @ paraphrase > speech @ image and speech @ paraphrase > speech @ sentiment
    query = static.encode(["sentiment analysis of tweets"])[0]
    assert query @ sentiment > max(query @ speech, query @ image)


def test_embed_resumable_uses_the_encoder_dimension(tmp_path):
    small = Encoder(Backend.STATIC, lambda texts, batch_size: np.ones((len(texts), 8), np.float32), dim=8)
    out = embed_resumable(["a", "b", "c"], tmp_path, small, chunk=2)
    assert out.shape == (3, 8) and np.all(out == 1)


def test_fitting_to_a_teacher_recovers_its_vectors(small_build):
    """Texts whose teacher vectors are an exact weighted mean of hidden token vectors: the fit finds them."""
    from core.atlas.static_embedding import fit_to_teacher

    model = StaticEmbedding(*small_build, _tokenizer(default_model_path(), None))
    rng = np.random.default_rng(0)
    words = ["the", "first", "of", "in", "and", "to", "was", "he", "is", "as", "for", "on", "with", "by"]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(2, 6)))) for _ in range(400)]
    hidden = rng.normal(size=(len(model.weights), 12)).astype(np.float32)
    teacher = np.asarray(token_matrix(model.token_ids(texts), model.weights, len(model.weights)) @ hidden)
    fitted = fit_to_teacher(model, texts, teacher, ridge=1e-6, iters=300)
    unit = teacher / np.linalg.norm(teacher, axis=1, keepdims=True)
    assert fitted.dim == 12 and fitted.vectors.dtype == np.float32
    got = fitted.encode(texts)
    before = np.asarray(pool(token_matrix(model.token_ids(texts), model.weights, len(model.weights)), model.vectors))
    assert (got * unit).sum(1).min() > 0.99  # the fitted vectors match the teacher's
    assert np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5)
    assert before.shape[1] == 64  # (the distilled table lives in its own 64-d space)
    again = fit_to_teacher(model, texts, teacher, ridge=1e-6, iters=300)
    assert np.array_equal(again.vectors, fitted.vectors)  # deterministic


def test_precompute_default_on_a_cpu_is_static_queried_by_minilm(monkeypatch):
    from core.atlas.embedding import best_backend, query_backend

    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert best_backend() is Backend.STATIC
    assert query_backend(Backend.STATIC) is Backend.ONNX_INT8 and query_backend("torch") is Backend.TORCH
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert best_backend() is Backend.TORCH


def test_the_fast_pooling_equals_the_sparse_product():
    from core.atlas.static_embedding import _fast_pool

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(50, 7)).astype(np.float32)
    weights = rng.random(50).astype(np.float32)
    ids = [list(rng.integers(0, 50, size=int(k))) for k in rng.integers(0, 9, size=40)]
    m = token_matrix(ids, weights, 50)
    assert np.allclose(_fast_pool(m, vectors), pool(m, vectors), atol=1e-6)  # float32 rounding only
    assert np.array_equal(_fast_pool(m, vectors), _fast_pool(m, vectors))
