"""The lineage vocabulary: relation types, where a type came from, how a parent was matched."""

from __future__ import annotations

from enum import Enum

__all__ = ["Relation", "RelationSource", "ParentMatch", "MATCH_REASONS", "RELATION_PRIORITY", "RELATION_CODE"]


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
