"""Typing untyped edges from the child's signals (library, tags, pipeline tag, name, number of parents), in every
modality, and how sure each type is: the tag and name vocabularies, the ordered rules and the calibration table."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.lineage.types import RELATION_CODE, Relation

__all__ = ["InferenceRule", "Modality", "RULE_CONFIDENCE", "UNSURE_BELOW", "CALIBRATION", "SIGNAL_TAGS",
           "infer_relations", "infer_types", "tag_signals", "modality_of", "relation_confidence", "MERGE_TAGS", "QUANT_TAGS",
           "QUANT_FORMAT_TAGS", "ADAPTER_TAGS", "QUANT_LIBRARIES", "ADAPTER_LIBRARIES"]

MERGE_TAGS = ("merge", "mergekit", "lazymergekit", "model-merge", "merged-model")
QUANT_TAGS = ("gguf", "gptq", "awq", "exl2", "4-bit", "8-bit", "bitsandbytes", "quantized", "int4", "int8", "fp8", "mlx",
              "ggml", "llamafile", "hqq", "aqlm", "onnx-quantized", "imatrix")
# Tags of a file format or method that only a quantized copy carries (4-bit/bitsandbytes also mark QLoRA training);
# mlc-llm/web-llm are MLC's compiled q4f16 copies.
QUANT_FORMAT_TAGS = ("gguf", "gptq", "awq", "exl2", "fp8", "mlx", "ggml", "llamafile", "hqq", "aqlm", "onnx-quantized",
                     "imatrix", "mlc-llm", "web-llm")
ADAPTER_TAGS = ("peft", "lora", "adapter", "adapter-transformers", "template:sd-lora", "qlora", "loha", "lokr", "lycoris")
QUANT_LIBRARIES = ("gguf", "mlx", "ggml", "llamafile", "ctranslate2", "mlc-llm", "exllamav2", "gptq")
ADAPTER_LIBRARIES = ("peft", "adapter-transformers")
# The tag groups the rules read, one boolean signal per child each. The listing of 2024-09 has no library_name:
# the library shows as a tag there ("peft", "diffusers", "gguf"), so every library rule also reads its tag.
SIGNAL_TAGS: dict[str, tuple[str, ...]] = {
    "merge_tag": MERGE_TAGS,
    "quant_tag": QUANT_TAGS,
    "quant_format_tag": QUANT_FORMAT_TAGS,
    "peft_tag": ADAPTER_LIBRARIES,
    "lora_tag": ("lora", "template:sd-lora", "loha", "lokr", "lycoris", "qlora"),
    "adapter_tag": ADAPTER_TAGS,
    "controlnet_tag": ("controlnet", "controlnet-lora", "controlnet-v1-1"),
    "t2i_adapter_tag": ("t2i-adapter",),
    "textual_inversion_tag": ("textual_inversion", "textual-inversion"),
    "onnx_tag": ("onnx", "transformers.js"),
    "transformers_tag": ("transformers",),
    "image_tag": ("diffusers", "stable-diffusion", "stable-diffusion-diffusers", "stable-diffusion-xl",
                  "stable-diffusion-xl-diffusers", "text-to-image", "image-to-image", "flux", "timm", "art"),
    "audio_tag": ("audio", "speech", "asr", "tts", "whisper", "wav2vec2", "speechbrain", "nemo", "espnet", "hubert",
                  "text-to-speech", "automatic-speech-recognition", "audio-classification"),
    "text_tag": ("text-generation", "text-generation-inference", "conversational", "llama", "mistral", "gguf", "bert",
                 "t5", "sentence-transformers", "fill-mask", "text-classification", "peft", "trl", "sft", "unsloth"),
}
# Name parts that name a quantized file format: -GGUF, -AWQ, -GPTQ, -exl2, 4.0bpw, -Q4_K_M, -fp8, -int4, -mlx, MLC's
# q4f16_1 ...
QUANT_FORMAT_NAME = (r"(?i)(gguf|gptq|awq|exl2|ggml|\d(\.\d+)?-?bpw|bpw\d|[-_.]q[2-8]_|[-_.]hqq|[-_.]mlx|imatrix|fp8"
                     r"|(^|[^0-9a-z])int[48]($|[^0-9])|[-_.]q\d+f\d+(_\d)?([-_.]|$)|[-_.]mlc$)")
# Weaker quantisation words: 4bit, -bnb, quantized, quanto; never 16bit, fp16, bf16 (full-precision exports).
QUANT_NAME = (r"(?i)((^|[^0-9])[2-8][-_.]?bits?\b|[-_.]bnb|quanti[sz]ed|quantization|quanto\b|(^|[-_.])quants?($|[-_.]))")
# Names that say the opposite (``-unquantized``, ``dequantized``, ``noquant``): not a quantisation signal.
NOT_QUANT_NAME = r"(?i)(un|de|non|no)[-_]?quant"
ADAPTER_NAME = r"(?i)([-_.]lora\b|[-_.]qlora|[-_.]adapter|[-_.]peft)"
LORA_NAME = r"(?i)(lora|lycoris|loha|lokr)"
ONNX_NAME = r"(?i)([-_.]onnx$|^onnx[-_])"
# Merge methods. Not "-merged": Unsloth and PEFT call a LoRA merged back into its base "merged", a fine-tune.
MERGE_NAME = r"(?i)([-_.]slerp\b|[-_.]ties\b|[-_.]dare\b|passthrough|frankenmerge|[-_.]moerge)"
IMAGE_PIPELINES = ("text-to-image", "image-to-image", "image-classification", "object-detection", "image-segmentation",
                   "unconditional-image-generation", "image-feature-extraction", "zero-shot-image-classification",
                   "depth-estimation", "mask-generation", "image-to-video", "text-to-video", "video-classification",
                   "zero-shot-object-detection", "image-to-3d", "text-to-3d", "keypoint-detection")
AUDIO_PIPELINES = ("automatic-speech-recognition", "text-to-speech", "text-to-audio", "audio-classification",
                   "audio-to-audio", "voice-activity-detection", "audio-text-to-text")
TEXT_PIPELINES = ("text-generation", "text2text-generation", "fill-mask", "text-classification", "token-classification",
                  "question-answering", "translation", "summarization", "sentence-similarity", "feature-extraction",
                  "zero-shot-classification", "table-question-answering", "conversational", "text-ranking")


class Modality(str, Enum):
    """What a model handles, from its pipeline tag, else its tags: the strata confidence is measured in."""

    TEXT = "text"
    IMAGE = "image"
    AUDIO = "audio-speech"
    OTHER = "other"  # multimodal, tabular, RL, or nothing to tell


class InferenceRule(str, Enum):
    """The rules that type an untyped edge, in the order they are tried: the first that applies decides."""

    SEVERAL_PARENTS = "several parents: a merge"
    ADAPTER_LIBRARY = "the peft library, or its tag without transformers: an adapter"
    QUANT_FORMAT = "a quantized file format (GGUF, GPTQ, AWQ, EXL2, MLX, MLC, FP8 …): a quantization"
    CONTROLNET = "a ControlNet: an adapter"
    T2I_ADAPTER = "a T2I-Adapter: declared as fine-tunes by their authors"
    TEXTUAL_INVERSION = "a textual inversion (new token embeddings): an adapter"
    IMAGE_LORA = "a LoRA of an image model (diffusers, sd-lora template): an adapter"
    ONE_PARENT_MERGE_TAG = "merge tags with one parent: a fine-tune of a merged model (the tags come with its card)"
    ADAPTER_NAME_ONLY = "LoRA in the name of a text model, not peft: a LoRA merged into the weights, a fine-tune"
    ONNX_EXPORT = "ONNX files (onnx, transformers.js) and no other signal: a converted copy, declared quantized"
    QUANT_SIGNAL = "a quantization tag or name (4-bit, bnb, quantized): a quantization"
    DEFAULT = "no other signal: a fine-tune"


_RULE_RELATION = {InferenceRule.SEVERAL_PARENTS: Relation.MERGE, InferenceRule.ADAPTER_LIBRARY: Relation.ADAPTER,
                  InferenceRule.QUANT_FORMAT: Relation.QUANTIZED, InferenceRule.CONTROLNET: Relation.ADAPTER,
                  InferenceRule.T2I_ADAPTER: Relation.FINETUNE, InferenceRule.TEXTUAL_INVERSION: Relation.ADAPTER,
                  InferenceRule.IMAGE_LORA: Relation.ADAPTER, InferenceRule.ONE_PARENT_MERGE_TAG: Relation.FINETUNE,
                  InferenceRule.ADAPTER_NAME_ONLY: Relation.FINETUNE, InferenceRule.ONNX_EXPORT: Relation.QUANTIZED,
                  InferenceRule.QUANT_SIGNAL: Relation.QUANTIZED, InferenceRule.DEFAULT: Relation.FINETUNE}

# Measured by ``python bench/relations.py --write`` on the tuning half of a by-family split of declared edges.
CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
CALIBRATION: dict = json.loads(CALIBRATION_FILE.read_text(encoding="utf-8")) if CALIBRATION_FILE.exists() else {}
# Below this the UI calls an inferred type "unsure": about one in three such edges is typed wrong, or too few were seen.
UNSURE_BELOW = 0.7


def _rule_rate(rule: InferenceRule) -> float:
    entry = CALIBRATION.get("rules", {}).get(rule.name.lower())
    return float(entry["confidence"]) if entry else float(CALIBRATION.get("prior_rate", UNSURE_BELOW))


# Each rule's measured rate over every modality, shrunk toward the overall rate (see calibration.json).
RULE_CONFIDENCE: dict[InferenceRule, float] = {r: _rule_rate(r) for r in InferenceRule}


def relation_confidence(rule: np.ndarray, modality: np.ndarray) -> np.ndarray:
    """float32 chance the inferred type is right: the (rule, modality) stratum's calibrated rate, else the rule's."""
    table = np.array([[RULE_CONFIDENCE[r] for _ in Modality] for r in InferenceRule], dtype=np.float32)
    for i, r in enumerate(InferenceRule):
        strata = CALIBRATION.get("rules", {}).get(r.name.lower(), {}).get("modalities", {})
        for j, m in enumerate(Modality):
            if m.value in strata:
                table[i, j] = strata[m.value]["confidence"]
    return table[np.asarray(rule, dtype=np.int64), np.asarray(modality, dtype=np.int64)]


def tag_signals(n: int, rows: np.ndarray, flat_lower: pa.Array) -> dict[str, np.ndarray]:
    """One boolean per model for each SIGNAL_TAGS group, from the flattened lower-cased tags and their model rows."""
    out = {}
    for name, values in SIGNAL_TAGS.items():
        hit = pc.is_in(flat_lower, pa.array(values)).to_numpy(zero_copy_only=False)
        out[name] = np.bincount(rows[hit], minlength=n) > 0
    return out


def _lower(values: pa.Array | None, n: int) -> pa.Array:
    if values is None:
        return pa.array([""] * n, pa.string())
    return pc.fill_null(pc.utf8_lower(values.cast(pa.string())), "")


def modality_of(signals: dict, n: int) -> np.ndarray:
    """int8 index into Modality for each row: the pipeline tag decides, then image, audio and text tags."""
    pipe = _lower(signals.get("pipeline_tag"), n)
    lib = _lower(signals.get("library"), n)

    def flag(key: str) -> np.ndarray:
        return np.asarray(signals[key], dtype=bool) if key in signals else np.zeros(n, dtype=bool)

    def among(values: pa.Array, names: tuple[str, ...]) -> np.ndarray:
        return pc.is_in(values, pa.array(names)).to_numpy(zero_copy_only=False)

    codes = list(Modality)
    out = np.full(n, codes.index(Modality.OTHER), dtype=np.int8)
    no_pipe = pc.equal(pipe, "").to_numpy(zero_copy_only=False)
    guesses = [(Modality.TEXT, flag("text_tag") | flag("quant_format_tag") | flag("peft_tag")),
               (Modality.AUDIO, flag("audio_tag")), (Modality.IMAGE, flag("image_tag") | among(lib, ("diffusers", "timm")))]
    for modality, mask in guesses:  # the last wins: image and audio tags are rarer and surer than text ones
        out[no_pipe & mask] = codes.index(modality)
    for modality, names in ((Modality.TEXT, TEXT_PIPELINES), (Modality.IMAGE, IMAGE_PIPELINES),
                            (Modality.AUDIO, AUDIO_PIPELINES)):
        out[among(pipe, names)] = codes.index(modality)
    return out


def infer_types(n_parents: np.ndarray, signals: dict, child_name: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Type untyped edges from the child's signals: (relation code, index of the InferenceRule that decided).

    ``signals`` holds one value per edge: the SIGNAL_TAGS booleans (a missing one reads False), ``library`` and
    ``pipeline_tag`` (Arrow strings, may be absent). The order was learnt from the Hub's own declarations
    (bench/relations.py): a file format only quantized copies have beats the merge tags a GGUF of a merged model
    copies from its parent's card; peft beats the 4-bit tags QLoRA training leaves; a LoRA of a diffusion model
    is an adapter, while LoRA in the name of a transformers text model is one merged into the weights, a fine-tune.
    ``child_name`` may be ids or names: the rules read the name, never the author.
    """
    n = len(n_parents)
    lib = _lower(signals.get("library"), n)
    name = pc.replace_substring_regex(pc.fill_null(child_name.cast(pa.string()), ""), r"^.*/", "")

    def matches(pattern: str) -> np.ndarray:
        return pc.match_substring_regex(name, pattern).to_numpy(zero_copy_only=False)

    def library_in(values: tuple[str, ...]) -> np.ndarray:
        return pc.is_in(lib, pa.array(values)).to_numpy(zero_copy_only=False)

    def flag(key: str) -> np.ndarray:
        return np.asarray(signals[key], dtype=bool) if key in signals else np.zeros(n, dtype=bool)

    image = modality_of(signals, n) == list(Modality).index(Modality.IMAGE)
    image |= flag("image_tag") | library_in(("diffusers",))
    masks = {
        InferenceRule.SEVERAL_PARENTS: np.asarray(n_parents) >= 2,
        InferenceRule.ADAPTER_LIBRARY: library_in(ADAPTER_LIBRARIES)
        | (flag("peft_tag") & ~flag("transformers_tag") & ~library_in(("transformers",))),
        InferenceRule.QUANT_FORMAT: flag("quant_format_tag") | library_in(QUANT_LIBRARIES) | matches(QUANT_FORMAT_NAME),
        InferenceRule.CONTROLNET: flag("controlnet_tag") | matches(r"(?i)controlnet"),
        InferenceRule.T2I_ADAPTER: flag("t2i_adapter_tag") | matches(r"(?i)t2i[-_]?adapter"),
        InferenceRule.TEXTUAL_INVERSION: flag("textual_inversion_tag"),
        InferenceRule.IMAGE_LORA: image & (flag("lora_tag") | matches(LORA_NAME)),
        InferenceRule.ONE_PARENT_MERGE_TAG: flag("merge_tag") | library_in(("mergekit",)) | matches(MERGE_NAME),
        InferenceRule.ADAPTER_NAME_ONLY: flag("adapter_tag") | matches(ADAPTER_NAME),
        InferenceRule.ONNX_EXPORT: flag("onnx_tag") | matches(ONNX_NAME),
        InferenceRule.QUANT_SIGNAL: flag("quant_tag") | (matches(QUANT_NAME) & ~matches(NOT_QUANT_NAME)),
        InferenceRule.DEFAULT: np.ones(n, dtype=bool),
    }
    rule = np.full(n, -1, dtype=np.int8)
    for i, mask in enumerate(masks.values()):
        rule[(rule < 0) & mask] = i
    codes = np.array([RELATION_CODE[_RULE_RELATION[r]] for r in InferenceRule], dtype=np.int8)
    return codes[rule], rule


def infer_relations(n_parents: np.ndarray, has_merge_tag: np.ndarray, has_quant_tag: np.ndarray,
                    has_adapter_tag: np.ndarray, library: pa.Array, child_name: pa.Array,
                    has_quant_format_tag: np.ndarray | None = None,
                    has_controlnet_tag: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`infer_types` from the few signals callers named one by one before every tag group was a signal."""
    signals = {"merge_tag": has_merge_tag, "quant_tag": has_quant_tag, "adapter_tag": has_adapter_tag, "library": library,
               "quant_format_tag": has_quant_format_tag, "controlnet_tag": has_controlnet_tag}
    return infer_types(n_parents, {k: v for k, v in signals.items() if v is not None}, child_name)
