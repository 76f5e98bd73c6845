"""Drawing related pairs of models (parent-child, siblings, grandparents, aunts, great-grandparents, random)
from one lineage graph, on integer node indices with numpy: the whole Hub listing takes seconds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.bundle import arrow_rows
from core.evolution.definitions import STUDY_METADATA_RELATIONS, is_study
from core.evolution.texts import trait_sql
from core.evolution.traits import Relative, TextTrait
from core.lineage import EdgeScope, Relation, edges_sql

__all__ = ["relative_pairs", "edge_population", "Population", "index_pairs", "sample_pairs"]


_REJECTION_ROUNDS = 64


class _Adjacency:
    """Edges grouped by source node (CSR), sorted by (source, target)."""

    def __init__(self, src: np.ndarray, dst: np.ndarray, n: int):
        order = np.lexsort((dst, src))
        self.n = n
        self.src, self.dst = src[order], dst[order]
        self.count = np.bincount(self.src, minlength=n).astype(np.int64)
        self.start = np.concatenate([[0], np.cumsum(self.count)[:-1]]).astype(np.int64)

    def pick(self, nodes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One random target of each node (every node must have one)."""
        return self.dst[self.start[nodes] + rng.integers(0, self.count[nodes])]

    def position(self, nodes: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Index of each (node, target) edge within its node's group (the edges must exist)."""
        keys = self.src.astype(np.int64) * self.n + self.dst
        return np.searchsorted(keys, nodes.astype(np.int64) * self.n + targets) - self.start[nodes]


def _weighted(weights: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Indices drawn with replacement, in proportion to integer weights."""
    cumulative = np.cumsum(weights.astype(np.int64))
    return np.searchsorted(cumulative, rng.integers(0, cumulative[-1], size=size), side="right")


def _two_distinct(count: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two distinct positions in ``[0, count)`` for each entry (count ≥ 2)."""
    i = rng.integers(0, count)
    j = rng.integers(0, count - 1)
    return i, j + (j >= i)


def _distinct_pairs(draw, size: int) -> np.ndarray:
    """``size`` pairs from ``draw(k) -> (a, b)``, redrawing pairs with a == b (only cycles make them).

    Pairs still equal after a bounded number of rounds are dropped, so n can fall a
    little short of ``size`` on graphs whose only paths are cycles.
    """
    a, b = draw(size)
    for _ in range(_REJECTION_ROUNDS):
        bad = np.flatnonzero(a == b)
        if not len(bad):
            break
        a[bad], b[bad] = draw(len(bad))
    keep = a != b
    return np.column_stack([a[keep], b[keep]])


def relative_pairs(parents: np.ndarray, children: np.ndarray, has_trait: np.ndarray, candidates: np.ndarray,
                   relative: Relative, draws: int, seed: int = 0, by_children: bool = False) -> np.ndarray:
    """``draws`` pairs of node indices related as ``relative``, both with the trait, drawn with replacement.

    ``parents``/``children`` are the graph's distinct edges (no self-loops) over
    nodes ``0..len(has_trait)-1``; ``candidates`` are the nodes a random pair is
    drawn from. Every pair of the class is equally likely: siblings weight a
    parent by its k(k−1)/2 child pairs, paths weight a middle node or edge by the
    number of paths through it; with ``by_children`` (the study's rule: sample_helpers.py quad_3, ~l.309-316) a
    great-grandparent's middle edge is weighted by its child's children only, when its parent has a parent.
    Returns an (n, 2) array; n is 0 when the class is empty.
    """
    relative = Relative(relative)
    rng = np.random.default_rng([seed, list(Relative).index(relative)])
    empty = np.empty((0, 2), dtype=np.int64)
    parents, children = np.asarray(parents, dtype=np.int64), np.asarray(children, dtype=np.int64)
    trait = np.asarray(has_trait, dtype=bool)
    n = len(trait)

    if relative is Relative.RANDOM:
        pool = np.asarray(candidates, dtype=np.int64)
        pool = pool[trait[pool]]
        if len(pool) < 2:
            return empty
        i, j = _two_distinct(np.full(draws, len(pool)), rng)
        return np.column_stack([pool[i], pool[j]])

    if relative is Relative.PARENT_CHILD:
        both = np.flatnonzero(trait[parents] & trait[children])
        if not len(both):
            return empty
        e = both[rng.integers(0, len(both), size=draws)]
        return np.column_stack([parents[e], children[e]])

    down = _Adjacency(parents[trait[children]], children[trait[children]], n)  # children with the trait
    up = _Adjacency(children[trait[parents]], parents[trait[parents]], n)  # parents with the trait

    if relative is Relative.SIBLINGS:
        weights = down.count * (down.count - 1) // 2
        if weights.sum() == 0:
            return empty
        g = _weighted(weights, draws, rng)
        i, j = _two_distinct(down.count[g], rng)
        return np.column_stack([down.dst[down.start[g] + i], down.dst[down.start[g] + j]])

    if relative is Relative.GRANDPARENT:
        weights = up.count * down.count  # paths through each middle node
        if weights.sum() == 0:
            return empty

        def draw(k):
            b = _weighted(weights, k, rng)
            return up.pick(b, rng), down.pick(b, rng)

        return _distinct_pairs(draw, draws)

    if relative is Relative.AUNT_NIECE:
        # Over edges grandparent g → parent p: aunts are g's other children with the trait, nieces p's children.
        p_trait = trait[children].astype(np.int64)
        weights = (down.count[parents] - p_trait) * down.count[children]
        if weights.sum() == 0:
            return empty

        def draw(k):
            e = _weighted(weights, k, rng)
            g, p = parents[e], children[e]
            niece = down.pick(p, rng)
            j = rng.integers(0, down.count[g] - p_trait[e])
            skip = p_trait[e].astype(bool)
            j[skip] += j[skip] >= down.position(g[skip], p[skip])
            return down.dst[down.start[g] + j], niece

        return _distinct_pairs(draw, draws)

    if relative is Relative.GREAT_GRANDPARENT:
        above = (up.count[parents] > 0).astype(np.int64) if by_children else up.count[parents]
        weights = above * down.count[children]  # 3-step paths through each middle edge
        if weights.sum() == 0:
            return empty

        def draw(k):
            e = _weighted(weights, k, rng)
            return up.pick(parents[e], rng), down.pick(children[e], rng)

        return _distinct_pairs(draw, draws)
    raise ValueError(relative)


@dataclass(frozen=True, eq=False)
class Population:
    model_ids: pa.Array  # every model, sorted (Arrow: no Python string per model); pairs index into it
    has_trait: np.ndarray
    candidates: np.ndarray  # indices of the scope's models (random pairs, vectoriser fit)
    parents: np.ndarray
    children: np.ndarray
    by_children: bool = False  # the study's great-grandparent weights

    def ids(self, rows: np.ndarray) -> list[str]:
        """The model ids of ``rows`` (only these become Python strings)."""
        return self.model_ids.take(pa.array(np.asarray(rows, dtype=np.int64))).to_pylist()


def edge_population(con, trait: TextTrait, scope: EdgeScope) -> Population:
    """Models, trait flags and the scope's graph: ``scope.relation`` edges, finetune ones when it names none."""
    models_cond, models_params = scope.models_where(child="m")
    models = arrow_rows(con, f"SELECT m.model_id, {trait_sql(con, trait, 'm')} AS has_trait, "
                         f"coalesce(({models_cond}), FALSE) AS in_scope FROM models m ORDER BY m.model_id", models_params)
    model_ids = models["model_id"].combine_chunks()
    has_trait = models["has_trait"].to_numpy().astype(bool)
    in_scope = models["in_scope"].to_numpy().astype(bool)

    study = is_study(con)
    if study and trait is TextTrait.METADATA and not scope.relation:  # similarity_analysis cells 3-4
        sql, params = edges_sql(scope, columns="e.parent, e.child, e.relation")
        allowed = ", ".join(f"'{r.value}'" for r in STUDY_METADATA_RELATIONS)
        sql = f"SELECT DISTINCT parent, child FROM ({sql}) WHERE relation IN ({allowed})"
    else:
        edge_scope = scope if scope.relation else dataclasses.replace(scope, relation=Relation.FINETUNE)
        sql, params = edges_sql(edge_scope, columns="DISTINCT e.parent, e.child")
    edges = arrow_rows(con, sql, params)

    def index(column: str) -> np.ndarray:
        found = pc.index_in(edges[column], value_set=model_ids)
        return pc.fill_null(found, -1).to_numpy().astype(np.int64)

    parents, children = index("parent"), index("child")
    keep = (parents >= 0) & (children >= 0) & (parents != children)
    parents, children = parents[keep], children[keep]
    order = np.lexsort((children, parents))  # DuckDB's DISTINCT comes back in any order; the draws must not
    return Population(model_ids, has_trait, np.flatnonzero(in_scope), parents[order], children[order], study)


def index_pairs(population: Population, draws: int, seed: int) -> dict[Relative, np.ndarray]:
    return {r: relative_pairs(population.parents, population.children, population.has_trait, population.candidates,
                              r, draws, seed, population.by_children) for r in Relative}


def sample_pairs(con, trait: TextTrait, scope: EdgeScope = EdgeScope(), draws: int = 5000,
                 seed: int = 0) -> dict[Relative, pd.DataFrame]:
    """The pairs ``resemblance`` compares: per relative, a frame of model ids ``a``, ``b`` (see relative_pairs)."""
    drawn_from = edge_population(con, TextTrait(trait), scope)
    return {r: pd.DataFrame({"a": drawn_from.ids(p[:, 0]), "b": drawn_from.ids(p[:, 1])})
            for r, p in index_pairs(drawn_from, draws, seed).items()}
