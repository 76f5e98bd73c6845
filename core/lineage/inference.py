"""Typing untyped edges from the child's signals: the tag and name vocabularies and the ordered rules."""

from __future__ import annotations

from enum import Enum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.lineage.types import RELATION_CODE, Relation

__all__ = ["InferenceRule", "RULE_CONFIDENCE", "infer_relations", "MERGE_TAGS", "QUANT_TAGS", "QUANT_FORMAT_TAGS",
           "ADAPTER_TAGS", "QUANT_LIBRARIES", "ADAPTER_LIBRARIES"]

MERGE_TAGS = ("merge", "mergekit", "lazymergekit", "model-merge", "merged-model")
QUANT_TAGS = ("gguf", "gptq", "awq", "exl2", "4-bit", "8-bit", "bitsandbytes", "quantized", "int4", "int8", "fp8", "mlx",
              "ggml", "llamafile", "hqq", "aqlm", "onnx-quantized", "imatrix")
# Tags of a file format or method that only a quantized copy carries (4-bit/bitsandbytes also mark QLoRA training).
QUANT_FORMAT_TAGS = ("gguf", "gptq", "awq", "exl2", "fp8", "mlx", "ggml", "llamafile", "hqq", "aqlm", "onnx-quantized",
                     "imatrix")
ADAPTER_TAGS = ("peft", "lora", "adapter", "adapter-transformers", "template:sd-lora", "qlora", "loha", "lokr")
QUANT_LIBRARIES = ("gguf", "mlx", "ggml", "llamafile", "ctranslate2")
ADAPTER_LIBRARIES = ("peft", "adapter-transformers")
# Name parts that name a quantized file format: -GGUF, -AWQ, -GPTQ, -exl2, 4.0bpw, -Q4_K_M, -fp8, -int4, -mlx ...
QUANT_FORMAT_NAME = (r"(?i)(gguf|gptq|awq|exl2|ggml|\d(\.\d+)?-?bpw|bpw\d|[-_.]q[2-8]_|[-_.]hqq|[-_.]mlx|imatrix|fp8"
                     r"|(^|[^0-9a-z])int[48]($|[^0-9]))")
# Weaker quantisation words: 4bit, -bnb, quantized, quanto; never 16bit, fp16, bf16 (full-precision exports).
QUANT_NAME = (r"(?i)((^|[^0-9])[2-8][-_.]?bits?\b|[-_.]bnb|quanti[sz]ed|quantization|quanto\b|(^|[-_.])quants?($|[-_.]))")
# Names that say the opposite (``-unquantized``, ``dequantized``, ``noquant``): not a quantisation signal.
NOT_QUANT_NAME = r"(?i)(un|de|non|no)[-_]?quant"
ADAPTER_NAME = r"(?i)([-_.]lora\b|[-_.]qlora|[-_.]adapter|[-_.]peft)"
# Merge methods. Not "-merged": Unsloth and PEFT call a LoRA merged back into its base "merged", a fine-tune.
MERGE_NAME = r"(?i)([-_.]slerp\b|[-_.]ties\b|[-_.]dare\b|passthrough|frankenmerge|[-_.]moerge)"


class InferenceRule(str, Enum):
    """The rules that type an untyped edge, in the order they are tried: the first that applies decides."""

    SEVERAL_PARENTS = "several parents: a merge"
    ADAPTER_LIBRARY = "adapter library (peft): an adapter"
    QUANT_FORMAT = "a quantized file format (GGUF, GPTQ, AWQ, EXL2, MLX, FP8 …): a quantization"
    CONTROLNET = "a ControlNet: an adapter"
    ONE_PARENT_MERGE_TAG = "merge tags with one parent: a fine-tune of a merged model (the tags come with its card)"
    ADAPTER_NAME_ONLY = "LoRA in the name, not the peft library: a LoRA merged into the weights, a fine-tune"
    QUANT_SIGNAL = "a quantization tag or name (4-bit, bnb, quantized): a quantization"
    DEFAULT = "no other signal: a fine-tune"


_RULE_RELATION = {InferenceRule.SEVERAL_PARENTS: Relation.MERGE, InferenceRule.ADAPTER_LIBRARY: Relation.ADAPTER,
                  InferenceRule.QUANT_FORMAT: Relation.QUANTIZED, InferenceRule.CONTROLNET: Relation.ADAPTER,
                  InferenceRule.ONE_PARENT_MERGE_TAG: Relation.FINETUNE, InferenceRule.ADAPTER_NAME_ONLY: Relation.FINETUNE,
                  InferenceRule.QUANT_SIGNAL: Relation.QUANTIZED, InferenceRule.DEFAULT: Relation.FINETUNE}
# How often each rule is right: its precision on the 6,517 edges of the July 2024 listing whose type the Hub declared
# by June 2025 (../shared/data/typed_edges_2025-06.csv; tests/core/test_inference.py re-measures every one of them).
# That data holds no ControlNet (English text generation only): its figure is a prior, not a measurement. Declared: 1.
RULE_CONFIDENCE: dict[InferenceRule, float] = {
    InferenceRule.SEVERAL_PARENTS: 0.96, InferenceRule.ADAPTER_LIBRARY: 0.99, InferenceRule.QUANT_FORMAT: 0.87,
    InferenceRule.CONTROLNET: 0.80, InferenceRule.ONE_PARENT_MERGE_TAG: 0.99, InferenceRule.ADAPTER_NAME_ONLY: 0.78,
    InferenceRule.QUANT_SIGNAL: 0.78, InferenceRule.DEFAULT: 0.99,
}



def infer_relations(
    n_parents: np.ndarray,
    has_merge_tag: np.ndarray,
    has_quant_tag: np.ndarray,
    has_adapter_tag: np.ndarray,
    library: pa.Array,
    child_name: pa.Array,
    has_quant_format_tag: np.ndarray | None = None,
    has_controlnet_tag: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Type untyped edges from the child's signals: (relation code, index of the InferenceRule that decided).

    The rules are tried in InferenceRule order, which the Hub's own declarations taught (see RULE_CONFIDENCE): a
    file format only quantized copies have beats the merge tags a GGUF of a merged model copies from its parent's
    card; the peft library beats the 4-bit tags QLoRA training leaves; one parent with merge tags, or LoRA in
    the name of a transformers model, is a fine-tune. ``child_name`` may be ids or names: the rules read the
    name, never the author.
    """
    n = len(n_parents)
    lib = pc.fill_null(pc.utf8_lower(library.cast(pa.string())), "")
    name = pc.replace_substring_regex(pc.fill_null(child_name.cast(pa.string()), ""), r"^.*/", "")

    def matches(pattern: str) -> np.ndarray:
        return pc.match_substring_regex(name, pattern).to_numpy(zero_copy_only=False)

    def library_in(values: tuple[str, ...]) -> np.ndarray:
        return pc.is_in(lib, pa.array(values)).to_numpy(zero_copy_only=False)

    format_tag = has_quant_format_tag if has_quant_format_tag is not None else np.zeros(n, dtype=bool)
    controlnet = has_controlnet_tag if has_controlnet_tag is not None else np.zeros(n, dtype=bool)
    masks = {
        InferenceRule.SEVERAL_PARENTS: n_parents >= 2,
        InferenceRule.ADAPTER_LIBRARY: library_in(ADAPTER_LIBRARIES),
        InferenceRule.QUANT_FORMAT: format_tag | library_in(QUANT_LIBRARIES) | matches(QUANT_FORMAT_NAME),
        InferenceRule.CONTROLNET: controlnet | matches(r"(?i)controlnet"),
        InferenceRule.ONE_PARENT_MERGE_TAG: has_merge_tag | pc.equal(lib, "mergekit").to_numpy(zero_copy_only=False)
        | matches(MERGE_NAME),
        InferenceRule.ADAPTER_NAME_ONLY: has_adapter_tag | matches(ADAPTER_NAME),
        InferenceRule.QUANT_SIGNAL: has_quant_tag | (matches(QUANT_NAME) & ~matches(NOT_QUANT_NAME)),
        InferenceRule.DEFAULT: np.ones(n, dtype=bool),
    }
    rule = np.full(n, -1, dtype=np.int8)
    for i, (r, mask) in enumerate(masks.items()):
        rule[(rule < 0) & mask] = i
    codes = np.array([RELATION_CODE[_RULE_RELATION[r]] for r in InferenceRule], dtype=np.int8)
    return codes[rule], rule


