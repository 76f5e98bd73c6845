"""Drift of traits along edges (core.evolution.drift): hand-made cases with known answers, and the real 760k listing."""

from __future__ import annotations

import itertools
import math
import time

import duckdb
import numpy as np
import pandas as pd
import pytest

from core.evolution.drift import EXCLUDED_VALUES, DriftMeasure, DriftTrait, best_ordering, flow_matrix, mutation_rates, numerical_drift, ordering, transition_flows, trait_frequencies
from core.evolution.reference import REFERENCE_MUTATION_RATES, REFERENCE_NUMERICAL_DRIFT, REFERENCE_ORDERINGS
from core.lineage import Relation
from core.lineage.scope import EdgeScope

MODEL_COLUMNS = {
    "model_id": "VARCHAR", "family": "VARCHAR", "depth": "INTEGER", "created_at": "TIMESTAMPTZ",
    "pipeline_tag": "VARCHAR", "library_name": "VARCHAR", "licenses": "VARCHAR[]", "languages": "VARCHAR[]",
    "has_card": "BOOLEAN", "card_length": "BIGINT", "card_auto_generated": "BOOLEAN",
}


def make_con(models: list[dict], edges: list[tuple]):
    """An in-memory connection with bundle-shaped ``models`` and ``edges`` tables.

    ``edges`` rows are (parent, child, relation) or (parent, child, relation, parent_in_snapshot).
    """
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE models (" + ", ".join(f"{c} {t}" for c, t in MODEL_COLUMNS.items()) + ")")
    defaults = {"family": "root", "depth": 1, "created_at": "2024-01-01 00:00:00+00", "licenses": [], "languages": []}
    rows = [[{**defaults, **m}.get(c) for c in MODEL_COLUMNS] for m in models]
    con.executemany(f"INSERT INTO models VALUES ({', '.join('?' * len(MODEL_COLUMNS))})", rows)
    con.execute("CREATE TABLE edges (parent VARCHAR, child VARCHAR, relation VARCHAR, relation_source VARCHAR, "
                "parent_in_snapshot BOOLEAN)")
    con.executemany("INSERT INTO edges VALUES (?, ?, ?, 'declared', ?)",
                    [(e[0], e[1], e[2], e[3] if len(e) > 3 else True) for e in edges])
    return con


def licensed_chain(pairs: list[tuple[list[str], list[str]]], relation: str = "finetune"):
    """One finetune edge per (parent licenses, child licenses) pair, each between fresh models."""
    models, edges = [], []
    for k, (p, c) in enumerate(pairs):
        models += [{"model_id": f"p{k}", "licenses": p}, {"model_id": f"c{k}", "licenses": c}]
        edges.append((f"p{k}", f"c{k}", relation))
    return make_con(models, edges)


def rate_of(df: pd.DataFrame, trait: DriftTrait) -> tuple[float, int]:
    row = df.set_index("trait").loc[trait.value]
    return float(row["rate"]), int(row["n"])


# ---- mutation rates ------------------------------------------------------------------------------------------------
def tiny_bundle():
    models = [
        {"model_id": "A", "licenses": ["mit", "mit"], "pipeline_tag": "a", "languages": ["en", "fr"]},
        {"model_id": "B", "licenses": ["mit"], "pipeline_tag": "a", "languages": ["en"]},
        {"model_id": "C", "licenses": ["apache-2.0"], "pipeline_tag": "b"},
        {"model_id": "D", "licenses": ["x"], "pipeline_tag": None},
        {"model_id": "E", "licenses": ["y", "z"], "pipeline_tag": "a"},
        {"model_id": "F", "licenses": [], "pipeline_tag": "a"},
        {"model_id": "G", "licenses": ["mit"], "pipeline_tag": "a"},
        {"model_id": "H", "licenses": ["gpl-3.0"], "pipeline_tag": "c"},
    ]
    edges = [("A", "B", "finetune"), ("A", "C", "finetune"), ("D", "E", "finetune"), ("F", "G", "finetune"),
             ("A", "H", "adapter"), ("Z", "H", "finetune", False)]
    return make_con(models, edges)


def test_mutation_rate_is_mean_one_minus_jaccard_over_edges_reporting_the_trait():
    df = mutation_rates(tiny_bundle())
    # licenses: {mit}→{mit} 0, {mit}→{apache-2.0} 1, {x}→{y,z} 1; F lists none; the adapter edge is out of scope
    assert rate_of(df, DriftTrait.LICENSES) == (pytest.approx(2 / 3), 3)
    # tasks: a→a 0, a→b 1, D has none, F→G a→a 0
    assert rate_of(df, DriftTrait.TASK) == (pytest.approx(1 / 3), 3)
    # languages: only A→B reports on both ends: 1 − |{en}| / |{en, fr}|
    assert rate_of(df, DriftTrait.LANGUAGES) == (pytest.approx(0.5), 1)
    lib_rate, lib_n = rate_of(df, DriftTrait.LIBRARY)
    assert lib_n == 0 and math.isnan(lib_rate)


def test_mutation_rate_partial_overlap():
    con = licensed_chain([(["mit", "apache-2.0"], ["apache-2.0"]), (["a", "b", "c"], ["b", "c", "d"]), (["q"], ["q"])])
    rate, n = rate_of(mutation_rates(con), DriftTrait.LICENSES)
    assert n == 3
    assert rate == pytest.approx(((1 - 1 / 2) + (1 - 2 / 4) + 0) / 3)


def test_scope_changes_the_edges_measured():
    con = tiny_bundle()
    everything = mutation_rates(con, EdgeScope())
    # the adapter edge A→H ({mit}→{gpl-3.0}, a→c) joins; the edge from a parent outside the snapshot never does
    assert rate_of(everything, DriftTrait.LICENSES) == (pytest.approx(3 / 4), 4)
    adapters = mutation_rates(con, EdgeScope(relation=Relation.ADAPTER))
    assert rate_of(adapters, DriftTrait.TASK) == (pytest.approx(1.0), 1)
    con.execute("UPDATE models SET family = 'other-root' WHERE model_id IN ('B', 'C')")
    fam = mutation_rates(con, EdgeScope(model="B", relation=Relation.FINETUNE))  # any model of the family scopes it
    assert rate_of(fam, DriftTrait.LICENSES) == (pytest.approx(0.5), 2)
    by_task = mutation_rates(con, EdgeScope(task="b"))
    assert rate_of(by_task, DriftTrait.LICENSES) == (pytest.approx(1.0), 1)


# ---- transition graph and ordering -----------------------------------------------------------------------------
def three_value_graph():
    """Flows a→b 4, b→c 3, c→a 1 (and 'other'→a 10, which no ordering ranks)."""
    pairs = [(["a"], ["b"])] * 3 + [(["a", "b"], ["b"]), (["b"], ["b", "c"]), (["c"], ["a"])] + [(["b"], ["c"])] * 2
    pairs += [(["other"], ["a"])] * 10 + [(["a"], ["a"])] * 5
    return licensed_chain(pairs)


def test_transition_flows_by_hand():
    con = three_value_graph()
    flows = transition_flows(con, DriftTrait.LICENSES)
    got = {(s, t): f for s, t, f in flows.itertuples(index=False)}
    assert got == {("a", "b"): 4, ("b", "c"): 3, ("c", "a"): 1, ("other", "a"): 10}
    m = flow_matrix(pd.concat([flows, pd.DataFrame([("b", "a", 1)], columns=flows.columns)]), ["a", "b", "c"])
    assert m.tolist() == [[0, 4, 0], [1, 0, 3], [1, 0, 0]]  # "other" left out
    net = m - m.T
    assert net[0, 1] == 3 and net[1, 0] == -3 and net[2, 0] == 1


def test_drops_flow_to_kept_values_and_adds_flow_from_every_parent_value():
    con = licensed_chain([(["a", "b"], ["b", "c"])])
    got = {(s, t): f for s, t, f in transition_flows(con, DriftTrait.LICENSES).itertuples(index=False)}
    # c added: +1 from a and from b; a dropped: +1 to the kept b
    assert got == {("a", "c"): 1, ("b", "c"): 1, ("a", "b"): 1}


def test_best_ordering_by_hand():
    con = three_value_graph()
    flows = transition_flows(con, DriftTrait.LICENSES)
    o = best_ordering(flows, 3)
    assert o.order == ("a", "b", "c")
    assert (o.agreeing_pairs, o.oriented_pairs, o.n_values) == (2, 3, 3)
    assert o.flow_share == pytest.approx(7 / 8)
    assert "other" not in ordering(con, DriftTrait.LICENSES, 3).order
    assert "other" in EXCLUDED_VALUES


def test_best_ordering_refuses_more_than_twenty_values():
    flows = pd.DataFrame({"source": ["a"], "target": ["b"], "flow": [1]})
    with pytest.raises(ValueError, match="20"):
        best_ordering(flows, 21)


def _flows(m: np.ndarray, names: list[str]) -> pd.DataFrame:
    return pd.DataFrame([(names[i], names[j], int(m[i, j])) for i in range(len(m)) for j in range(len(m)) if m[i, j]],
                        columns=["source", "target", "flow"])


def _forward(m: np.ndarray, order) -> int:
    return sum(m[order[a], order[b]] for a in range(len(order)) for b in range(a + 1, len(order)))


def test_exact_where_greedy_by_net_outflow_is_wrong():
    names = ["a", "b", "c", "d"]
    m = np.array([[0, 1, 5, 0], [4, 0, 0, 0], [1, 2, 0, 0], [0, 3, 0, 0]])
    net_out = (m - m.T).sum(axis=1)
    greedy = sorted(range(4), key=lambda i: (-net_out[i], i))
    best = max(_forward(m, p) for p in itertools.permutations(range(4)))
    assert _forward(m, greedy) == 9 and best == 12
    o = best_ordering(_flows(m, names), 4)
    assert o.order == ("d", "b", "a", "c")
    assert o.flow_share == pytest.approx(12 / 16)


def test_exact_against_brute_force_on_random_flows():
    rng = np.random.default_rng(7)
    for trial in range(25):
        n = int(rng.integers(3, 8))
        m = rng.integers(0, 20, (n, n)) * (rng.random((n, n)) < 0.6)
        np.fill_diagonal(m, 0)
        names = [f"v{i}" for i in range(n)]
        o = best_ordering(_flows(m, names), n, frequency=pd.Series(1, index=names))
        index = {v: i for i, v in enumerate(names)}
        got = _forward(m, [index[v] for v in o.order])
        best = max(_forward(m, p) for p in itertools.permutations(range(n)))
        assert got == best, (trial, m.tolist(), o.order)
        assert o.flow_share == pytest.approx(best / m.sum())


def test_top_n_picks_the_most_frequent_values():
    m = np.array([[0, 5, 1], [0, 0, 2], [3, 0, 0]])
    flows = _flows(m, ["a", "b", "c"])
    o = best_ordering(flows, 2, frequency=pd.Series({"a": 10, "c": 9, "b": 1, "unknown": 99}))
    assert set(o.order) == {"a", "c"} and o.order == ("c", "a")
    assert (o.agreeing_pairs, o.oriented_pairs) == (1, 1)
    assert o.flow_share == pytest.approx(3 / 4)


def test_trait_frequencies_count_models_at_edge_ends():
    freq = trait_frequencies(tiny_bundle(), DriftTrait.LICENSES)
    # finetune edges A→B, A→C, D→E, F→G: A and B and G carry mit (A once despite two edges)
    assert freq["mit"] == 3 and freq["apache-2.0"] == 1 and "gpl-3.0" not in freq.index


# ---- numerical drift ---------------------------------------------------------------------------------------------
def cards_bundle(with_cards: bool = True):
    def card(length, auto):
        return {"has_card": length > 3, "card_length": length, "card_auto_generated": auto} if with_cards else {}

    models = [
        {"model_id": "R", "depth": 0, "languages": ["en", "fr", "de"], **card(1000, False)},
        {"model_id": "S", "depth": 1, "languages": ["en"], **card(200, True)},
        {"model_id": "T", "depth": 1, **card(0, False)},
        {"model_id": "U", "depth": 2, "languages": ["fr"], **card(400, True)},
    ]
    return make_con(models, [("R", "S", "finetune"), ("R", "T", "adapter"), ("S", "U", "finetune")])


def drift_cell(df: pd.DataFrame, group, measure: DriftMeasure) -> pd.Series:
    return df[(df["group"] == group) & (df["measure"] == measure.value)].iloc[0]


def test_numerical_drift_by_hand():
    df = numerical_drift(cards_bundle())
    has = drift_cell(df, "all", DriftMeasure.HAS_CARD)
    assert (has["parent"], has["child"], has["n"]) == (1.0, pytest.approx(2 / 3), 3)
    assert has["change"] == pytest.approx(-1 / 3)
    auto = drift_cell(df, "all", DriftMeasure.AUTO_GENERATED)  # only R→S and S→U have cards at both ends
    assert (auto["parent"], auto["child"], auto["n"]) == (0.5, 1.0, 2)
    length = drift_cell(df, "all", DriftMeasure.CARD_LENGTH)
    assert (length["parent"], length["child"], length["n"]) == (600.0, 300.0, 2)
    langs = drift_cell(df, "all", DriftMeasure.N_LANGUAGES)
    assert (langs["parent"], langs["child"], langs["n"]) == (2.0, 1.0, 2)


def test_numerical_drift_groups():
    by_relation = numerical_drift(cards_bundle(), by="relation")
    assert set(by_relation["group"]) == {"adapter", "finetune"}
    assert drift_cell(by_relation, "adapter", DriftMeasure.HAS_CARD)[["parent", "child", "n"]].tolist() == [1.0, 0.0, 1]
    assert drift_cell(by_relation, "adapter", DriftMeasure.CARD_LENGTH)["n"] == 0
    by_depth = numerical_drift(cards_bundle(), by="depth")
    assert sorted(by_depth["group"].unique()) == [1, 2]
    assert drift_cell(by_depth, 2, DriftMeasure.CARD_LENGTH)[["parent", "child", "n"]].tolist() == [200.0, 400.0, 1]
    only_finetune = numerical_drift(cards_bundle(), EdgeScope(relation=Relation.FINETUNE))
    assert drift_cell(only_finetune, "all", DriftMeasure.HAS_CARD)["n"] == 2


def test_numerical_drift_without_cards_reports_nothing():
    df = numerical_drift(cards_bundle(with_cards=False))
    for measure in (DriftMeasure.HAS_CARD, DriftMeasure.AUTO_GENERATED, DriftMeasure.CARD_LENGTH):
        cell = drift_cell(df, "all", measure)
        assert cell["n"] == 0 and math.isnan(cell["parent"]) and math.isnan(cell["child"])
    assert drift_cell(df, "all", DriftMeasure.N_LANGUAGES)["n"] == 2


def test_references_are_the_documented_figures():
    assert REFERENCE_MUTATION_RATES[DriftTrait.LICENSES] == (0.1976, 138_694)
    assert REFERENCE_ORDERINGS[DriftTrait.LANGUAGES].agreement == pytest.approx(186 / 189)
    assert REFERENCE_ORDERINGS[DriftTrait.LICENSES].head[0] == "gemma"
    lengths = [r for r in REFERENCE_NUMERICAL_DRIFT if r.group == "all" and r.measure is DriftMeasure.CARD_LENGTH]
    assert (lengths[0].parent, lengths[0].child) == (9_773, 4_402)


# ---- real data -------------------------------------------------------------------------------------------------
def test_drift_on_the_760k_listing(listing_bundle):
    from core.bundle import open_bundle
    from core.licenses import connect

    con = connect(open_bundle(listing_bundle))
    start = time.perf_counter()
    rates = mutation_rates(con)
    sizes = [(DriftTrait.LICENSES, 20), (DriftTrait.LANGUAGES, 20), (DriftTrait.LIBRARY, 10), (DriftTrait.TASK, 10)]
    orderings = {t: ordering(con, t, n) for t, n in sizes}
    drift = numerical_drift(con)
    by_relation = numerical_drift(con, by="relation")
    elapsed = time.perf_counter() - start
    assert elapsed < 40, elapsed

    lic_rate, lic_n = rate_of(rates, DriftTrait.LICENSES)
    assert 0.05 < lic_rate < 0.3 and lic_n > 30_000  # 0.113 over 39,146 finetune edges
    assert 0.2 < rate_of(rates, DriftTrait.TASK)[0] < 0.6

    licenses = orderings[DriftTrait.LICENSES]
    assert licenses.n_values == 20 and not set(licenses.order) & EXCLUDED_VALUES
    pos = {v: i for i, v in enumerate(licenses.order)}
    for restricted in ("llama2", "llama3", "gemma", "openrail++"):
        assert pos[restricted] < pos["apache-2.0"] and pos[restricted] < pos["mit"], licenses.order
    assert pos["openrail++"] < pos["creativeml-openrail-m"]  # SDXL derivatives relicensed under the older RAIL-M
    assert licenses.agreement > 0.85 and licenses.flow_share > 0.8

    languages = orderings[DriftTrait.LANGUAGES]
    assert languages.order[-1] == "English"  # the sink, as in the study
    assert languages.oriented_pairs > 150 and languages.agreement > 0.9
    for o in orderings.values():
        assert 0.5 < o.flow_share <= 1 and o.agreeing_pairs <= o.oriented_pairs

    # the listing has no card text: card measures say so instead of inventing numbers
    assert (drift[drift["measure"] != DriftMeasure.N_LANGUAGES.value]["n"] == 0).all()
    langs = drift_cell(drift, "all", DriftMeasure.N_LANGUAGES)
    assert langs["n"] > 10_000 and langs["parent"] > langs["child"]
    assert set(by_relation["group"]) == {r.value for r in Relation}
