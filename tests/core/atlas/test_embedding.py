import numpy as np
import pyarrow as pa
import pytest

from core.atlas.embedding import VectorIndex, load_encoder, model_text, model_texts


def test_model_text_keeps_meaning_and_drops_boilerplate():
    text = model_text("org/m", "text-generation", "transformers",
                      ["transformers", "safetensors", "region:us", "license:mit", "base_model:finetune:org/base", "dataset:squad",
                       "endpoints_compatible", "lora", "text-generation"],
                      "---\nlicense: mit\n---\n# Title\n\nSome   text\nhere")
    assert text == "org/m | text-generation | transformers | mit, org/base, squad, lora | # Title Some text here"


def test_model_texts_vectorised_matches_single():
    ids = pa.array(["a/x", "b/y"])
    tasks = pa.array([None, "fill-mask"], pa.string())
    libs = pa.array(["peft", None], pa.string())
    tags = pa.array([["peft", "lora"], []], pa.list_(pa.string()))
    assert model_texts(ids, tasks, libs, tags) == [model_text("a/x", None, "peft", ["peft", "lora"]), model_text("b/y", "fill-mask")]


def test_vector_index_is_exact():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(5000, 384)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    codes = np.clip(np.rint(v * 127), -127, 127).astype(np.int8)
    index = VectorIndex(codes, chunk=1024)
    q = v[42] + 0.01 * rng.normal(size=384).astype(np.float32)
    rows, scores = index.search(q, k=5)
    deq = codes.astype(np.float32) / np.linalg.norm(codes.astype(np.float32), axis=1, keepdims=True)
    brute = np.argsort(-(deq @ (q / np.linalg.norm(q))))[:5]
    assert rows.tolist() == brute.tolist() and rows[0] == 42
    assert np.all(np.diff(scores) <= 0)
    assert 42 not in index.search(q, k=5, exclude=42)[0]


@pytest.fixture(scope="module")
def encoders():
    return load_encoder("onnx-int8", threads=2), load_encoder("torch", threads=2)


def test_int8_backend_stays_close_to_the_torch_reference(encoders):
    fast, ref = encoders
    texts = ["meta-llama/Llama-2-7b-hf | text-generation | transformers | llama, llama2",
             "openai/whisper-small | automatic-speech-recognition | transformers | whisper, audio",
             "stabilityai/sdxl-lora-pixel | text-to-image | diffusers | lora, stable-diffusion-xl",
             "x | | | "]
    a, b = fast.encode(texts), ref.encode(texts)
    assert a.shape == b.shape == (4, 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-4)
    cos = (a * b).sum(1)
    assert cos.mean() >= 0.99 and cos.min() >= 0.97
    # Meaning survives: the two text-generation/speech texts are not confused.
    assert (a[0] @ a[1]) < (a[0] @ a[0])
