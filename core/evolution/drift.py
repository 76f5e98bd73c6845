"""Drift of traits along lineage edges (ANALYSES.md §4): mutation rates, transition graphs and numerical drift.

A trait is read as a set on both ends of an edge (single-valued traits are sets
of size one, a missing value the empty set). The transition graph says which
values children move towards; ``best_ordering`` finds, exactly, the linear order
of the most frequent values that agrees with the most of that flow (the linear
ordering problem, solved as an integer program). Every function takes an
``EdgeScope``; values only travel as DuckDB parameters.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.bundle import pandas_rows
from core.evolution.definitions import is_study
from core.evolution.traits import DriftGroup, DriftMeasure, DriftTrait
from core.lineage import EdgeScope, Relation, edges_sql

__all__ = ["Ordering", "EXCLUDED_VALUES", "MAX_EXACT_VALUES", "mutation_rates", "transition_flows", "flow_matrix",
           "trait_frequencies", "best_ordering", "ordering", "ordering_flows", "numerical_drift"]


# Values that say nothing about where a trait goes; never ranked in an ordering.
EXCLUDED_VALUES = frozenset({"other", "unknown", "", "none", "(none)"})
MAX_EXACT_VALUES = 20


_FINETUNE = EdgeScope(relation=Relation.FINETUNE)


# ---- Mutation rates ------------------------------------------------------------------------------------------------
def mutation_rates(con, scope: EdgeScope = _FINETUNE) -> pd.DataFrame:
    """Mean 1 − Jaccard(parent set, child set) per trait over edges in ``scope`` where both ends report it.

    Columns ``trait`` (DriftTrait value), ``rate`` (NaN when ``n`` is 0), ``n`` (edges).
    The study's default is finetune edges.
    """
    columns = ", ".join(f"{t.set_sql('p')} AS p{i}, {t.set_sql('c')} AS c{i}" for i, t in enumerate(DriftTrait))
    sql, params = edges_sql(scope, columns)
    aggregates = []
    for i, _ in enumerate(DriftTrait):
        both = f"len(p{i}) > 0 AND len(c{i}) > 0"
        inter = f"len(list_intersect(p{i}, c{i}))"
        aggregates.append(f"avg(1 - {inter} / (len(p{i}) + len(c{i}) - {inter})) FILTER (WHERE {both})")
        aggregates.append(f"count(*) FILTER (WHERE {both})")
    row = con.execute(f"SELECT {', '.join(aggregates)} FROM ({sql})", params).fetchone()
    rows = [(t.value, float(row[2 * i]) if row[2 * i] is not None else np.nan, int(row[2 * i + 1]))
            for i, t in enumerate(DriftTrait)]
    return pd.DataFrame(rows, columns=["trait", "rate", "n"])


# ---- Transition graph and best ordering ------------------------------------------------------------------------
def transition_flows(con, trait: DriftTrait, scope: EdgeScope = _FINETUNE) -> pd.DataFrame:
    """Directed flow between trait values summed over the edges in ``scope``.

    On each edge every value the child adds gets +1 from each parent value, and
    every value the child drops gives +1 to each value it keeps (under the study's definitions to each value the
    child has: ordering_helpers.py get_trait_graph, ~l.82). Columns ``source``, ``target``, ``flow`` (edges),
    largest flow first.
    """
    trait = DriftTrait(trait)
    receives = "cs" if is_study(con) else "kept"
    sql, params = edges_sql(scope, f"{trait.set_sql('p')} AS ps, {trait.set_sql('c')} AS cs")
    query = f"""
        WITH sets AS (
            SELECT ps, cs,
                   list_filter(cs, lambda v: NOT list_contains(ps, v)) AS added,
                   list_filter(ps, lambda v: NOT list_contains(cs, v)) AS dropped,
                   list_filter(cs, lambda v: list_contains(ps, v)) AS kept
            FROM ({sql}) WHERE len(ps) > 0 AND len(cs) > 0 AND NOT (list_has_all(ps, cs) AND list_has_all(cs, ps))),
        gained AS (SELECT source, unnest(added) AS target FROM (SELECT unnest(ps) AS source, added FROM sets)),
        lost AS (SELECT source, unnest({receives}) AS target FROM (SELECT unnest(dropped) AS source, {receives} FROM sets))
        SELECT source, target, count(*) AS flow FROM (SELECT * FROM gained UNION ALL SELECT * FROM lost)
        GROUP BY source, target ORDER BY flow DESC, source, target"""
    flows = pandas_rows(con, query, params)
    flows["flow"] = flows["flow"].astype("int64")
    return flows


def trait_frequencies(con, trait: DriftTrait, scope: EdgeScope = _FINETUNE) -> pd.Series:
    """How many distinct models at either end of the edges in ``scope`` carry each value (most frequent first).

    Under the study's definitions every model counts: its finetune graph holds every node (ordering_helpers.py
    get_trait_counter, ~l.23, on ai_ecosystem_graph_finetune)."""
    trait = DriftTrait(trait)
    if is_study(con):
        df = pandas_rows(con, f"""SELECT value, count(*) AS n FROM (SELECT unnest({trait.set_sql('m')}) AS value
                                  FROM models m) GROUP BY value ORDER BY n DESC, value""")
        return pd.Series(df["n"].to_numpy(dtype="int64"), index=df["value"].astype(str), name="models")
    sql, params = edges_sql(scope, "e.parent, e.child")
    query = f"""
        WITH ends AS (SELECT parent AS model_id FROM ({sql}) UNION SELECT child FROM ({sql}))
        SELECT value, count(*) AS n FROM (SELECT unnest({trait.set_sql('m')}) AS value
                                          FROM ends JOIN models m USING (model_id))
        GROUP BY value ORDER BY n DESC, value"""
    df = pandas_rows(con, query, params + params)
    return pd.Series(df["n"].to_numpy(dtype="int64"), index=df["value"].astype(str), name="models")


@dataclass(frozen=True)
class Ordering:
    """The linear order of a trait's top values that agrees with the most transition flow.

    ``order`` runs source → sink; ``agreeing_pairs`` of the ``oriented_pairs``
    (pairs with non-zero net flow) point forward in it; ``flow_share`` is the
    share of all flow among these values that runs forward.
    """

    order: tuple[str, ...]
    agreeing_pairs: int
    oriented_pairs: int
    flow_share: float
    n_values: int

    @property
    def agreement(self) -> float:
        return self.agreeing_pairs / self.oriented_pairs if self.oriented_pairs else float("nan")


def flow_matrix(flows: pd.DataFrame, values: list[str] | tuple[str, ...]) -> np.ndarray:
    """Gross flow from row value to column value, rows and columns in ``values`` (others left out).

    Its net flow is ``m - m.T``: antisymmetric, positive where the row's value flows to the column's.
    """
    index = {v: i for i, v in enumerate(values)}
    m = np.zeros((len(values), len(values)))
    for s, t, f in flows[["source", "target", "flow"]].itertuples(index=False):
        if s in index and t in index and s != t:
            m[index[s], index[t]] += f
    return m


def _score(m: np.ndarray, order: list[int] | tuple[int, ...]) -> tuple[int, int, float]:
    """(agreeing pairs, oriented pairs, forward flow share) of an order given as indices into ``m``."""
    pos = np.empty(len(order), dtype=int)
    pos[list(order)] = np.arange(len(order))
    forward = pos[:, None] < pos[None, :]
    net = m - m.T
    oriented = int(np.count_nonzero(np.triu(net != 0, 1)))
    agreeing = int(np.count_nonzero((net > 0) & forward))
    total = m.sum()
    return agreeing, oriented, float(m[forward].sum() / total) if total else float("nan")


def _solve_linear_ordering(m: np.ndarray) -> list[int]:
    """Exact maximum-forward-flow order of the values of flow matrix ``m`` (indices), by a binary program.

    x_ij (i < j) is 1 when i precedes j; the 3-cycle constraints
    0 ≤ x_ij + x_jk − x_ik ≤ 1 make any feasible x a linear order.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    n = len(m)
    if n <= 1:
        return list(range(n))
    pairs = list(itertools.combinations(range(n), 2))
    var = {p: k for k, p in enumerate(pairs)}
    # Maximising Σ f_ij x_ij + f_ji (1 − x_ij) is minimising Σ (f_ji − f_ij) x_ij.
    cost = np.array([m[j, i] - m[i, j] for i, j in pairs], dtype=float)
    scale = np.abs(cost).max()
    if scale == 0:
        return list(range(n))
    constraints = []
    if n >= 3:
        rows, cols, vals = [], [], []
        for r, (i, j, k) in enumerate(itertools.combinations(range(n), 3)):
            rows += [r, r, r]
            cols += [var[i, j], var[j, k], var[i, k]]
            vals += [1.0, 1.0, -1.0]
        a = coo_matrix((vals, (rows, cols)), shape=(r + 1, len(pairs))).tocsr()
        constraints.append(LinearConstraint(a, 0, 1))
    result = milp(cost / scale, constraints=constraints, integrality=np.ones(len(pairs)), bounds=Bounds(0, 1),
                  options={"mip_rel_gap": 0})
    if not result.success:
        raise RuntimeError(f"the linear ordering program failed: {result.message}")
    x = np.round(result.x).astype(int)
    # i precedes every j with x_ij = 1 (i < j) or x_ji = 0 (j < i): sort by how many values each precedes.
    precedes = np.zeros(n, dtype=int)
    for (i, j), k in var.items():
        precedes[i if x[k] else j] += 1
    return sorted(range(n), key=lambda i: -precedes[i])


def _oriented_values(flows: pd.DataFrame) -> set[str]:
    """Values with a non-zero net flow to some other value: the nodes of the study's oriented graph."""
    f = flows[flows["source"] != flows["target"]]
    gross = f.groupby(["source", "target"])["flow"].sum()
    back = gross.reindex(list(zip(gross.index.get_level_values(1), gross.index.get_level_values(0))), fill_value=0)
    net = gross.to_numpy() - back.to_numpy()
    kept = gross.index[net != 0]
    return {str(v) for pair in kept for v in pair}


def best_ordering(flows: pd.DataFrame, top_n: int, frequency: pd.Series | None = None,
                  oriented_only: bool = False) -> Ordering:
    """Exact best linear ordering (source → sink) of the ``top_n`` most frequent values of a transition graph.

    Frequency is ``frequency`` (value → count, e.g. ``trait_frequencies``) or,
    when omitted, each value's total in- and out-flow. Values in
    ``EXCLUDED_VALUES`` are never ranked. Exact up to ``MAX_EXACT_VALUES`` values.
    """
    if not 1 <= top_n <= MAX_EXACT_VALUES:
        raise ValueError(f"best_ordering is exact for 1 to {MAX_EXACT_VALUES} values; got top_n={top_n}")
    if frequency is None:
        frequency = pd.concat([flows.groupby("source")["flow"].sum(), flows.groupby("target")["flow"].sum()])
        frequency = frequency.groupby(level=0).sum()
    if oriented_only:  # the study ranks the nodes of its oriented graph only (get_top_trait_graph, ~l.163)
        present = _oriented_values(flows)
        frequency = frequency[[str(v) in present for v in frequency.index]]
    freq = frequency[[v is not None and str(v).strip().lower() not in EXCLUDED_VALUES for v in frequency.index]]
    # Ties broken by name so the chosen values do not depend on row order.
    ranked = sorted(freq.items(), key=lambda kv: (-kv[1], str(kv[0])))
    values = [str(v) for v, _ in ranked[:top_n]]
    m = flow_matrix(flows, values)
    order = _solve_linear_ordering(m)
    agreeing, oriented, share = _score(m, order)
    return Ordering(order=tuple(values[i] for i in order), agreeing_pairs=agreeing, oriented_pairs=oriented,
                    flow_share=share, n_values=len(values))


def ordering(con, trait: DriftTrait, top_n: int, scope: EdgeScope = _FINETUNE) -> Ordering:
    """Best ordering of the ``top_n`` values of ``trait`` most frequent among the models of the edges in ``scope``."""
    return best_ordering(transition_flows(con, trait, scope), top_n, trait_frequencies(con, trait, scope),
                         oriented_only=is_study(con))


# ---- Numerical drift ---------------------------------------------------------------------------------------------
_MEASURE_SQL = {  # (parent value, child value, condition on the edge): fixed fragments
    DriftMeasure.HAS_CARD: ("p.has_card::DOUBLE", "c.has_card::DOUBLE",
                            "p.has_card IS NOT NULL AND c.has_card IS NOT NULL"),
    DriftMeasure.AUTO_GENERATED: ("p.card_auto_generated::DOUBLE", "c.card_auto_generated::DOUBLE",
                                  "p.has_card AND c.has_card AND p.card_auto_generated IS NOT NULL "
                                  "AND c.card_auto_generated IS NOT NULL"),
    DriftMeasure.CARD_LENGTH: ("p.card_length::DOUBLE", "c.card_length::DOUBLE",
                               "p.has_card AND c.has_card AND p.card_length IS NOT NULL AND c.card_length IS NOT NULL"),
    DriftMeasure.N_LANGUAGES: ("len(list_distinct(p.languages))::DOUBLE", "len(list_distinct(c.languages))::DOUBLE",
                               "len(p.languages) > 0 AND len(c.languages) > 0"),
}
_GROUP_SQL = {None: "'all'", DriftGroup.RELATION: "e.relation", DriftGroup.DEPTH: "c.depth"}


def numerical_drift(con, scope: EdgeScope = EdgeScope(), by: DriftGroup | str | None = None) -> pd.DataFrame:
    """Parent and child means of card presence, auto-generated cards, card length (chars) and language count.

    Long format, one row per group and measure: ``group`` ('all', the relation,
    or the child's depth), ``measure`` (DriftMeasure value), ``parent``,
    ``child``, ``change`` (child − parent) and ``n``, the edges where the
    measure is defined (auto-generated and length: both ends have a card;
    languages: both list some). A bundle without cards reports n = 0 and NaN.
    """
    group = _GROUP_SQL[DriftGroup(by) if by is not None else None]
    columns = [f"{group} AS grp"]
    for k, (p, c, cond) in enumerate(_MEASURE_SQL.values()):
        columns.append(f"CASE WHEN {cond} THEN {p} END AS p{k}, CASE WHEN {cond} THEN {c} END AS c{k}")
    sql, params = edges_sql(scope, ", ".join(columns))
    aggregates = ", ".join(f"avg(p{k}), avg(c{k}), count(p{k})" for k in range(len(_MEASURE_SQL)))
    rows = con.execute(f"SELECT grp, {aggregates} FROM ({sql}) GROUP BY grp ORDER BY grp NULLS LAST", params).fetchall()
    out = []
    for row in rows:
        for k, measure in enumerate(_MEASURE_SQL):
            parent, child, n = row[1 + 3 * k: 4 + 3 * k]
            parent = np.nan if parent is None else float(parent)
            child = np.nan if child is None else float(child)
            out.append((row[0], measure.value, parent, child, child - parent, int(n)))
    df = pd.DataFrame(out, columns=["group", "measure", "parent", "child", "change", "n"])
    if by is not None and DriftGroup(by) is DriftGroup.DEPTH:
        df["group"] = df["group"].astype("Int64")  # models in a cycle have no depth: <NA>
    return df


def ordering_flows(con, trait: DriftTrait, top_n: int, scope: EdgeScope) -> dict:
    """The best ordering of a trait's top values and the flows among them (``ordering``, ``flows``)."""
    flows = transition_flows(con, DriftTrait(trait), scope)
    best = best_ordering(flows, top_n, trait_frequencies(con, DriftTrait(trait), scope), oriented_only=is_study(con))
    values = set(best.order)
    among = flows[flows["source"].isin(values) & flows["target"].isin(values)].reset_index(drop=True)
    return {"ordering": best, "flows": among}
