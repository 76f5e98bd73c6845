"""The lineage vocabulary: relation types, where a type came from, how a parent was matched."""

from __future__ import annotations

from enum import Enum

__all__ = ["Relation", "RelationSource", "ParentMatch", "MATCH_REASONS", "RELATION_PRIORITY", "RELATION_CODE", "FamilyGraph",
           "FAMILY_GRAPH_LABELS", "ScopeKind"]


class Relation(str, Enum):
    """How a child was made from its parent."""

    FINETUNE = "finetune"
    ADAPTER = "adapter"
    QUANTIZED = "quantized"
    MERGE = "merge"


class RelationSource(str, Enum):
    """Whether the relation type was declared on the Hub or inferred by Phylo."""

    DECLARED = "declared"
    INFERRED = "inferred"


class ParentMatch(str, Enum):
    """How a parent id as a child wrote it was matched to a model of the snapshot."""

    EXACT = "exact"  # the id as written
    CASE = "case"  # the id ignoring case: Hub repo ids are case-insensitive
    REDIRECT = "redirect"  # a legacy un-namespaced id the Hub redirects to a canonical organisation's model
    NAME = "name"  # an un-namespaced name that exactly one namespaced model of the snapshot carries
    OUTSIDE = "outside"  # no model of the snapshot (or several equally likely ones)


MATCH_REASONS: dict[str, str] = {
    ParentMatch.EXACT.value: "the id as written",
    ParentMatch.CASE.value: "the same id ignoring case (Hub ids are case-insensitive)",
    ParentMatch.REDIRECT.value: "a legacy id the Hub redirects to its canonical organisation",
    ParentMatch.NAME.value: "the only model of that name in the snapshot (likely, not certain)",
    ParentMatch.OUTSIDE.value: "no model of the snapshot has this id",
}
"""Why a parent was matched as it was, for pages that show it."""


# Codes used while building edges: 0 is "untyped"; a parent listed under several
# types takes the highest code (the study's rule: merge wins).
RELATION_PRIORITY: tuple[Relation, ...] = (Relation.FINETUNE, Relation.QUANTIZED, Relation.ADAPTER, Relation.MERGE)
RELATION_CODE = {r: i + 1 for i, r in enumerate(RELATION_PRIORITY)}


class FamilyGraph(str, Enum):
    """Which edges join a family (ANALYSES.md §2). The default is the study's: without merges, so a model that
    merges a BERT with an LLM starts a family of its own instead of gluing the two together."""

    NO_MERGE = "no_merge"
    ALL = "all"
    FINETUNE = "finetune"

    @property
    def column(self) -> str:
        """The ``models`` column holding each model's family root under this variant."""
        return {FamilyGraph.NO_MERGE: "family", FamilyGraph.ALL: "family_all", FamilyGraph.FINETUNE: "family_finetune"}[self]

    def edge_condition(self, edge: str = "e") -> str:
        """SQL over the edges alias ``edge``: the edges this variant walks."""
        return {FamilyGraph.NO_MERGE: f"{edge}.relation <> 'merge'", FamilyGraph.ALL: "TRUE",
                FamilyGraph.FINETUNE: f"{edge}.relation = 'finetune'"}[self]


# Labels as pages show them and shared links carry them (a bound widget puts its label in the URL).
FAMILY_GRAPH_LABELS = {FamilyGraph.NO_MERGE: "without merges", FamilyGraph.ALL: "all edges",
                       FamilyGraph.FINETUNE: "fine-tunes only"}


class ScopeKind(str, Enum):
    """What a chosen model stands for when it scopes an analysis."""

    FAMILY = "family"  # every model of its family, on the chosen graph variant
    DESCENDANTS = "descendants"  # the model and every model below it, on the chosen graph variant
