"""Which lineage edges an evolution analysis looks at: one family, one relation type, one task, a date range.

Every analysis of ANALYSES.md §3–5 takes an ``EdgeScope`` so the pages, the
report and the tests restrict the same way. Values only ever travel as DuckDB
parameters.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.lineage.types import Relation

__all__ = ["EdgeScope", "edges_sql"]


@dataclass(frozen=True)
class EdgeScope:
    """A restriction of the in-snapshot edges; the default keeps them all.

    ``family`` is a family's root id (``models.family``); ``relation`` an edge
    type; ``task`` the child's pipeline tag; the dates bound the child's
    ``created_at`` (inclusive); ``min_confidence`` keeps edges whose type is at
    least that sure (declared ones are 1; see ``lineage.RULE_CONFIDENCE``).
    """

    family: str | None = None
    relation: Relation | None = None
    task: str | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    min_confidence: float | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.family, self.relation, self.task, self.created_from, self.created_to,
                                           self.min_confidence))

    def where(self, edge: str = "e", child: str = "c") -> tuple[str, list]:
        """A SQL condition (no leading AND) over aliases ``edge`` and ``child``, and its parameters."""
        parts, params = ["TRUE"], []
        if self.family:
            parts.append(f"{child}.family = ?")
            params.append(self.family)
        if self.relation:
            parts.append(f"{edge}.relation = ?")
            params.append(Relation(self.relation).value)
        if self.task:
            parts.append(f"{child}.pipeline_tag = ?")
            params.append(self.task)
        if self.created_from:
            parts.append(f"{child}.created_at >= ?::DATE")
            params.append(self.created_from)
        if self.created_to:
            parts.append(f"{child}.created_at < (?::DATE + INTERVAL 1 DAY)")
            params.append(self.created_to)
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
