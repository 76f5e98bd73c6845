"""The lineage graph: typed parent→child edges, how untyped ones are typed, families, walks and edge scopes.

Owns: the relation vocabulary (:mod:`.types`), relation inference (:mod:`.inference`), matching parents and
building edges (:mod:`.edges`), the graph facts and the one graph walk (:mod:`.graph`), which edges an analysis
looks at (:mod:`.scope`) and a model's family tree (:mod:`.family`).
May import: ``core.errors``, ``core.settings``, ``core.bundle`` and ``core.ingest``.
"""

from core.lineage.edges import CANONICAL_ORGS, LineageEdges, build_edges, resolve_parents
from core.lineage.graph import (Lineage, ancestors_of, compute_lineage, descendants_of, family_roots, lineage_of,
                                nearest_declaring, walk,
                                weak_components)
from core.lineage.inference import (ADAPTER_LIBRARIES, ADAPTER_TAGS, MERGE_TAGS, QUANT_FORMAT_TAGS, QUANT_LIBRARIES,
                                    QUANT_TAGS, RULE_CONFIDENCE, UNSURE_BELOW, InferenceRule, Modality, infer_relations,
                                    infer_types, modality_of, relation_confidence, tag_signals)
from core.lineage.scope import EdgeScope, descendants_sql, edges_sql
from core.lineage.types import (FAMILY_GRAPH_LABELS, MATCH_REASONS, RELATION_CODE, RELATION_PRIORITY, FamilyGraph, ParentMatch,
                                Relation, RelationSource, ScopeKind)

__all__ = [
    "Relation", "RelationSource", "ParentMatch", "MATCH_REASONS", "RELATION_PRIORITY", "RELATION_CODE", "FamilyGraph",
    "FAMILY_GRAPH_LABELS", "ScopeKind",
    "InferenceRule", "RULE_CONFIDENCE", "UNSURE_BELOW", "Modality", "infer_relations", "infer_types", "modality_of",
    "relation_confidence", "tag_signals", "MERGE_TAGS", "QUANT_TAGS", "QUANT_FORMAT_TAGS",
    "ADAPTER_TAGS", "QUANT_LIBRARIES", "ADAPTER_LIBRARIES",
    "CANONICAL_ORGS", "LineageEdges", "resolve_parents", "build_edges",
    "Lineage", "compute_lineage", "nearest_declaring", "weak_components", "family_roots", "ancestors_of", "descendants_of", "lineage_of", "walk",
    "EdgeScope", "edges_sql", "descendants_sql",
]
