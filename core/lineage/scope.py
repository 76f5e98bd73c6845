"""Which lineage edges an analysis looks at: a model's family or its descendants, one relation type, one task, a
date range.

Every analysis of ANALYSES.md §3–5 takes an ``EdgeScope`` so the pages, the
report and the tests restrict the same way. Values only ever travel as DuckDB
parameters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.lineage.types import FamilyGraph, Relation, ScopeKind

__all__ = ["EdgeScope", "edges_sql", "descendants_sql"]


def descendants_sql(graph: FamilyGraph) -> str:
    """A subquery of one parameter, a model id: that model and every model below it along ``graph``'s edges.
    ``UNION`` (not ``UNION ALL``) keeps each model once, so a cycle ends the recursion."""
    return (f"(WITH RECURSIVE below(model_id) AS (SELECT ?::VARCHAR UNION SELECT d.child FROM edges d "
            f"JOIN below ON d.parent = below.model_id WHERE d.parent_in_snapshot AND {graph.edge_condition('d')}) "
            "SELECT model_id FROM below)")


@dataclass(frozen=True)
class EdgeScope:
    """A restriction of the in-snapshot edges; the default keeps them all.

    ``model`` is any model id: with ``kind`` FAMILY the edges into its family on the ``graph`` variant, with
    DESCENDANTS the edges into the models below it along that variant's edges. ``relation`` is an edge type;
    ``task`` the child's pipeline tag; the dates bound the child's ``created_at`` (inclusive); ``min_confidence``
    keeps edges whose type is at least that sure (declared ones are 1; see ``lineage.RULE_CONFIDENCE``).
    """

    model: str | None = None
    kind: ScopeKind = ScopeKind.FAMILY
    graph: FamilyGraph = FamilyGraph.NO_MERGE
    relation: Relation | None = None
    task: str | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    min_confidence: float | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.model, self.relation, self.task, self.created_from, self.created_to,
                                           self.min_confidence))

    def models_where(self, child: str = "c") -> tuple[str, list]:
        """The part of the scope about the child model (its family or place below the model, task, dates): a SQL
        condition over alias ``child`` and its parameters, for analyses that draw models as well as edges."""
        parts, params = ["TRUE"], []
        if self.model:
            graph = FamilyGraph(self.graph)
            if ScopeKind(self.kind) is ScopeKind.DESCENDANTS:
                parts.append(f"{child}.model_id IN {descendants_sql(graph)} AND {child}.model_id <> ?")
                params += [self.model, self.model]
            else:
                parts.append(f"{child}.{graph.column} = (SELECT {graph.column} FROM models WHERE model_id = ?)")
                params.append(self.model)
        if self.task:
            parts.append(f"{child}.pipeline_tag = ?")
            params.append(self.task)
        if self.created_from:
            parts.append(f"{child}.created_at >= ?::DATE")
            params.append(self.created_from)
        if self.created_to:
            parts.append(f"{child}.created_at < (?::DATE + INTERVAL 1 DAY)")
            params.append(self.created_to)
        return " AND ".join(parts), params

    def where(self, edge: str = "e", child: str = "c") -> tuple[str, list]:
        """A SQL condition (no leading AND) over aliases ``edge`` and ``child``, and its parameters."""
        cond, params = self.models_where(child)
        parts = [cond]
        if self.model and ScopeKind(self.kind) is ScopeKind.DESCENDANTS:
            parts.append(FamilyGraph(self.graph).edge_condition(edge))  # the edges the descent walked
        if self.relation:
            parts.append(f"{edge}.relation = ?")
            params.append(Relation(self.relation).value)
        if self.min_confidence is not None:
            parts.append(f"{edge}.relation_confidence >= ?")
            params.append(float(self.min_confidence))
        return " AND ".join(parts), params


def edges_sql(scope: EdgeScope, columns: str = "e.parent, e.child, e.relation") -> tuple[str, list]:
    """SELECT of the in-snapshot edges in ``scope``, joined to parent ``p`` and child ``c`` model rows.

    Self-loops are already gone from the bundle; cycles remain and do not matter
    to per-edge measures.
    """
    cond, params = scope.where()
    sql = (f"SELECT {columns} FROM edges e JOIN models p ON p.model_id = e.parent "
           f"JOIN models c ON c.model_id = e.child WHERE e.parent_in_snapshot AND {cond}")
    return sql, params
