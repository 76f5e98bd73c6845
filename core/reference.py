"""The study's reference numbers (ANALYSES.md; full 2025-07 snapshot, 1,860,411 models)."""

__all__ = ["LISCAN", "REFERENCE_MODELS", "REFERENCE_EDGES", "EDGES_BY_RELATION", "SHARES", "CARD_SHARE", "CHILDREN_WITH_CHILDREN",
           "LARGEST_FAMILIES_NO_MERGE"]

REFERENCE_MODELS = 1_860_411
REFERENCE_EDGES = 573_653
EDGES_BY_RELATION = {"finetune": 189_391, "quantized": 101_921, "adapter": 241_417, "merge": 40_924}  # merge incl. untyped
# Share of all models (licenses, languages: of models listing any) or of non-null values (tasks, libraries).
SHARES = {
    "licenses": {"apache-2.0": 298_442 / REFERENCE_MODELS, "mit": 109_820 / REFERENCE_MODELS, "other": 81_887 / REFERENCE_MODELS},
    "pipeline_tag": {"text-generation": 0.4107, "text-classification": 0.1362, "text-to-image": 0.1140},
    "library_name": {"transformers": 0.6317, "peft": 0.1992, "diffusers": 0.0831},
    "languages": {"English": 0.8556},
}
CARD_SHARE = 0.6704  # models with a card longer than 3 characters
# Share of the edges of each type whose child has children of its own.
CHILDREN_WITH_CHILDREN = {"finetune": 0.079, "quantized": 0.0095, "adapter": 0.0019}
LARGEST_FAMILIES_NO_MERGE = {
    "black-forest-labs/FLUX.1-dev": 33_194, "Qwen/Qwen1.5-0.5B": 32_557, "Qwen/Qwen1.5-1.8B": 30_618,
    "meta-llama/Meta-Llama-3-8B": 24_318, "google/gemma-2b": 23_869, "meta-llama/Llama-3.1-8B": 11_942,
    "google/gemma-7b": 9_859, "distilbert/distilbert-base-uncased": 9_669, "Qwen/Qwen2.5-7B": 9_263,
    "stabilityai/stable-diffusion-xl-base-1.0": 8_797,
}

# LISCAN.AI (IEEE TSE 2026): license incompatibility over 1.53M Hub models, another snapshot and another checker.
LISCAN = {"direct_incompatible": 0.436, "with_ancestors_incompatible": 0.807, "models": 1_530_000}
