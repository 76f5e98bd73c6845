"""Free-text queries with a judge each: is a returned model what the query asked for?

A judge reads one model's metadata (task, library, lower-cased id, tags and languages) and answers
yes or no; precision@10 of a backend is the share of its ten nearest models that the judge accepts.
The judges look only at metadata a model declares, so they are strict: a good model without the
right tag counts as a miss for every backend alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

__all__ = ["Model", "Query", "QUERIES"]


@dataclass(frozen=True)
class Model:
    """The metadata a judge sees (ids and tags lower-cased; tags include languages)."""

    model_id: str
    task: str
    library: str
    tags: frozenset[str]

    def says(self, *words: str) -> bool:
        """Whether any word occurs in the id or in any tag."""
        return any(w in self.model_id or any(w in t for t in self.tags) for w in words)

    def lang(self, code: str) -> bool:
        return code in self.tags

    def tagged(self, *tags: str) -> bool:
        return any(t in self.tags for t in tags)


@dataclass(frozen=True)
class Query:
    text: str
    judge: Callable[[Model], bool]


QUERIES = (
    Query("german speech recognition", lambda m: m.task == "automatic-speech-recognition" and (m.lang("de") or m.says("german"))),
    Query("stable diffusion lora anime", lambda m: m.task == "text-to-image" and m.says("lora") and m.says("anime")),
    Query("sentiment analysis of tweets", lambda m: m.task == "text-classification" and m.says("sentiment", "tweet", "twitter")),
    Query("llama 3 gguf quantized", lambda m: m.says("gguf") and m.says("llama-3", "llama3", "llama_3")),
    Query("french named entity recognition", lambda m: m.task == "token-classification" and (m.lang("fr") or m.says("french"))),
    Query("image classification vit", lambda m: m.task == "image-classification" and m.says("vit")),
    Query("code generation python", lambda m: m.task == "text-generation" and m.says("code", "python")),
    Query("text to speech english", lambda m: m.task == "text-to-speech" and (m.lang("en") or m.says("english", "ljspeech"))),
    Query("chinese chat model", lambda m: m.task == "text-generation" and (m.lang("zh") or m.says("chinese")) and m.says("chat", "instruct")),
    Query("medical question answering", lambda m: m.says("medic", "clinic", "biomed", "health", "pubmed", "med-", "meditron")),
    Query("summarization of news articles", lambda m: m.task == "summarization" or m.says("summar")),
    Query("object detection yolo", lambda m: m.task == "object-detection" or m.tagged("object-detection")),
    Query("reinforcement learning atari", lambda m: m.task == "reinforcement-learning" and m.says("atari", "noframeskip")),
    Query("japanese translation", lambda m: m.task == "translation" and (m.lang("ja") or m.says("japanese", "-ja", "ja-"))),
    Query("embedding model for semantic search", lambda m: m.task in ("sentence-similarity", "feature-extraction")
          or m.library == "sentence-transformers"),
    Query("mistral 7b instruct awq", lambda m: m.says("awq") and m.says("mistral")),
    Query("whisper fine-tuned for hindi", lambda m: m.task == "automatic-speech-recognition" and (m.lang("hi") or m.says("hindi"))),
    Query("bert for extractive question answering", lambda m: m.task == "question-answering"),
    Query("monocular depth estimation", lambda m: m.task == "depth-estimation"),
    Query("sdxl text to image", lambda m: m.task == "text-to-image" and m.says("xl")),
    Query("spanish text classification", lambda m: m.task == "text-classification" and (m.lang("es") or m.says("spanish"))),
    Query("audio classification of environmental sounds", lambda m: m.task == "audio-classification"),
    Query("image captioning", lambda m: m.task == "image-to-text"),
    Query("protein language model", lambda m: m.says("protein", "esm", "prot_", "prot-", "amino")),
    Query("arabic text generation", lambda m: m.task == "text-generation" and (m.lang("ar") or m.says("arabic"))),
    Query("lora adapter for llama 2", lambda m: (m.library == "peft" or m.says("lora", "adapter")) and m.says("llama-2", "llama2")),
)
