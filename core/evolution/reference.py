"""The study's reference numbers, all of them (ANALYSES.md; full 2025-07 snapshot, 1,860,411 models).

Pages, the report and tests set Phylo's figures beside these; nothing else in Phylo holds a study value.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.evolution.traits import DriftMeasure, DriftTrait, Measure, Relative, TextTrait

__all__ = ["LISCAN", "REFERENCE_MODELS", "REFERENCE_EDGES", "EDGES_BY_RELATION", "SHARES", "CARD_SHARE",
           "CHILDREN_WITH_CHILDREN", "LARGEST_FAMILIES_NO_MERGE", "REFERENCE_MUTATION_RATES", "ReferenceOrdering",
           "REFERENCE_ORDERINGS", "ReferenceDrift", "REFERENCE_NUMERICAL_DRIFT", "RESEMBLANCE"]

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


# ---- §4 drift of traits along edges ----------------------------------------------------------------------------
REFERENCE_MUTATION_RATES = {  # finetune edges where both ends report the trait: (rate, edges)
    DriftTrait.LANGUAGES: (0.2419, 47_369),
    DriftTrait.LICENSES: (0.1976, 138_694),
    DriftTrait.TASK: (0.4106, 134_711),
}



@dataclass(frozen=True)
class ReferenceOrdering:
    """What the study reports of one best ordering; ``head``/``tail`` are its known first and last values."""

    top_n: int
    agreeing_pairs: int
    oriented_pairs: int
    flow_share: float
    head: tuple[str, ...] = ()
    tail: tuple[str, ...] = ()

    @property
    def agreement(self) -> float:
        return self.agreeing_pairs / self.oriented_pairs



REFERENCE_ORDERINGS = {
    DriftTrait.LICENSES: ReferenceOrdering(
        20, 113, 121, 0.846,
        head=("gemma", "llama3.1", "llama3.3", "llama3.2", "llama3", "openrail++", "llama2"),
        tail=("cc-by-4.0", "cc", "bigscience-bloom-rail-1.0", "afl-3.0", "artistic-2.0", "gpl-3.0")),
    DriftTrait.LANGUAGES: ReferenceOrdering(20, 186, 189, 0.750, tail=("English",)),
    DriftTrait.LIBRARY: ReferenceOrdering(10, 17, 17, 0.837),
    DriftTrait.TASK: ReferenceOrdering(10, 30, 32, 0.982),
}



@dataclass(frozen=True)
class ReferenceDrift:
    """One numerical-drift figure of the study; None where it gives no number (``change`` = child − parent)."""

    group: str
    measure: DriftMeasure
    parent: float | None
    child: float | None
    change: float | None
    n: int | None = None



REFERENCE_NUMERICAL_DRIFT = (
    ReferenceDrift("all", DriftMeasure.HAS_CARD, None, None, 0.0174),
    ReferenceDrift("all", DriftMeasure.AUTO_GENERATED, None, None, 0.249, 558_942),
    ReferenceDrift("all", DriftMeasure.CARD_LENGTH, 9_773, 4_402, 4_402 - 9_773, 558_942),
    ReferenceDrift("all", DriftMeasure.N_LANGUAGES, 6.60, 1.81, 1.81 - 6.60, 115_660),
    ReferenceDrift("finetune", DriftMeasure.CARD_LENGTH, 12_175, 4_700, 4_700 - 12_175),
    ReferenceDrift("finetune", DriftMeasure.AUTO_GENERATED, 0.06, 0.50, 0.44),
    ReferenceDrift("finetune", DriftMeasure.N_LANGUAGES, 12.3, 1.5, 1.5 - 12.3),
    ReferenceDrift("adapter", DriftMeasure.CARD_LENGTH, 9_060, 3_970, 3_970 - 9_060),
    ReferenceDrift("adapter", DriftMeasure.AUTO_GENERATED, 0.016, 0.28, 0.28 - 0.016),
    ReferenceDrift("quantized", DriftMeasure.CARD_LENGTH, 8_520, 4_960, 4_960 - 8_520),
    ReferenceDrift("quantized", DriftMeasure.AUTO_GENERATED, 0.078, 0.01, 0.01 - 0.078),
    ReferenceDrift("merge", DriftMeasure.CARD_LENGTH, 5_950, 3_340, 3_340 - 5_950),
)


# ---- §3 family resemblance -------------------------------------------------------------------------------------
def _ref(metadata: tuple[float, float, float], cards: tuple[float, float, float]) -> dict:
    return {(t, m): v for t, values in ((TextTrait.METADATA, metadata), (TextTrait.CARDS, cards))
            for m, v in zip(Measure, values)}



_REFERENCE_ROWS = {
    Relative.RANDOM: _ref((.440, .437, .115), (.191, .193, .128)),
    Relative.PARENT_CHILD: _ref((.545, .700, .640), (.246, .484, .465)),
    Relative.SIBLINGS: _ref((.747, .856, .837), (.729, .878, .893)),
    Relative.GRANDPARENT: _ref((.553, .665, .578), (.223, .426, .411)),
    Relative.AUNT_NIECE: _ref((.592, .697, .586), (.287, .518, .476)),
    Relative.GREAT_GRANDPARENT: _ref((.601, .681, .588), (.252, .406, .380)),
}



RESEMBLANCE: dict[tuple[TextTrait, Relative, Measure], float] = {
    (t, r, m): v for r, row in _REFERENCE_ROWS.items() for (t, m), v in row.items()}
"""The study's mean similarities (ANALYSES.md §3), keyed by (trait, relative, measure)."""
