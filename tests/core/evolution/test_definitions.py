"""The study's definitions (core.evolution.definitions), each on a hand-made graph worked out by hand from the
study's code (github.com/bendlaufer/ai-ecosystem), and the three targets on the real 2024 listing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.bundle import open_bundle
from core.evolution import definitions as defs
from core.evolution import drift
from core.evolution.report import compute_report, differences
from core.evolution.sampling import edge_population, relative_pairs
from core.evolution.texts import texts_of
from core.evolution.traits import DriftTrait, Relative, TextTrait
from core.lineage import EdgeScope, Relation

COLUMNS = ["model_id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag", "library_name",
           "createdAt", "regions", "licenses", "arxiv_papers", "datasets", "parent_model", "finetune_parent",
           "quantized_parent", "adapter_parent", "merge_parent", "languages", "modelCard"]


def _row(model_id, licenses=(), created="2024-01-01T00:00:00.000Z", downloads=1, **parents):
    kinds = {k: list(parents.get(k, ())) for k in ("finetune", "quantized", "adapter", "merge")}
    return {"model_id": model_id, "likes": 0, "trendingScore": 0, "private": False, "downloads": downloads,
            "tags": str([f"license:{x}" for x in licenses]), "pipeline_tag": "text-generation",
            "library_name": "transformers", "createdAt": created, "regions": "['us']", "licenses": str(list(licenses)),
            "arxiv_papers": "[]", "datasets": "[]", "parent_model": str(sum(kinds.values(), [])),
            **{f"{k}_parent": str(v) for k, v in kinds.items()}, "languages": "[]", "modelCard": None}


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    """org/base (a, b) → org/ft (a, c) finetune; Org/Base written by org/case (finetune); org/loop names itself;
    org/ft → org/ad adapter, → org/q quantized, → org/m merge; org/m has no date."""
    from core.precompute import build_bundle

    rows = [_row("org/base", ["a", "b"], downloads=100), _row("org/ft", ["a", "c"], finetune=["org/base"]),
            _row("org/case", ["a"], finetune=["Org/Base"]), _row("org/loop", ["a"], finetune=["org/loop"]),
            _row("org/ad", ["c"], adapter=["org/ft"]), _row("org/q", ["c"], quantized=["org/ft"]),
            _row("org/m", ["c"], created=None, merge=["org/ft", "org/other"]), _row("org/other", ["d"])]
    folder = tmp_path_factory.mktemp("defs")
    pd.DataFrame(rows, columns=COLUMNS).to_csv(folder / "hand.csv", index=False)
    build_bundle(str(folder / "hand.csv"), folder / "bundle")
    bundle = open_bundle(folder / "bundle")
    return defs.connect(bundle, "study"), defs.connect(bundle, "phylo")


def test_parents_exact_ids_and_self_loops(hand):
    # get_full_graph.ipynb cell 3: `if parent_model not in G.nodes(): continue` (exact id), self-loops kept in G.
    study, phylo = hand
    assert study.execute("SELECT count(*) FROM edges WHERE child = 'org/case'").fetchone()[0] == 0
    assert phylo.execute("SELECT count(*) FROM edges WHERE child = 'org/case'").fetchone()[0] == 1  # case match
    r = compute_report(study, draws=20)
    # exact edges: base→ft, ft→ad, ft→q, ft→m, other→m; the self-loop apart.
    assert r["edges"] == 5 and r["edges.self_loops"] == 1
    # Weakly connected components of the all-edges graph: {base, ft, ad, q, m, other}; org/case and org/loop alone.
    assert r["families"] == 1 and r["families.largest"] == 6
    p = compute_report(phylo, draws=20)
    assert p["edges"] == 6 and any(k == "edges" for k, *_ in differences(r, p))


def test_children_with_children_in_the_no_merge_graph(hand):
    # time_trends_analysis.ipynb cell 8: successors in G_nomerges. org/ft's children there: ad, q (m is a merge).
    study, phylo = hand
    assert study.execute("SELECT n_children FROM models WHERE model_id = 'org/ft'").fetchone()[0] == 2
    assert phylo.execute("SELECT n_children FROM models WHERE model_id = 'org/ft'").fetchone()[0] == 3


def test_transition_flow_of_a_dropped_value(hand):
    # ordering_helpers.py get_trait_graph ~l.82: `for removed_trait ...: for remaining_trait in child_traits`.
    # Finetune edges. base {a, b} → ft {a, c}: added c gets a→c, b→c; dropped b gives b→a and b→c (the study),
    # b→a only (Phylo, which also has base → org/case {a}: dropped b gives b→a once more).
    study, phylo = hand
    scope = EdgeScope(relation=Relation.FINETUNE)
    flows = {name: {(s, t): f for s, t, f in drift.transition_flows(con, DriftTrait.LICENSES, scope)
                    .itertuples(index=False)} for name, con in (("study", study), ("phylo", phylo))}
    assert flows["study"] == {("a", "c"): 1, ("b", "c"): 2, ("b", "a"): 1}
    assert flows["phylo"] == {("a", "c"): 1, ("b", "c"): 1, ("b", "a"): 2}


def test_ordering_counts_every_model_and_ranks_oriented_values_only(hand):
    # ordering_helpers.py get_trait_counter ~l.23 counts every node of the finetune graph (all models);
    # get_top_trait_graph ~l.163 ranks the nodes of the oriented graph only (values with a non-zero net flow).
    study, _ = hand
    freq = drift.trait_frequencies(study, DriftTrait.LICENSES)
    assert freq.to_dict() == {"a": 4, "c": 4, "b": 1, "d": 1}  # d: org/other, on no finetune edge
    flows = pd.DataFrame({"source": ["x", "y", "z"], "target": ["y", "x", "x"], "flow": [2, 2, 1]})
    o = drift.best_ordering(flows, 2, pd.Series({"x": 9, "y": 8, "z": 1}), oriented_only=True)
    assert set(o.order) == {"x", "z"}  # x↔y cancel: y is not in the oriented graph, z is
    assert set(drift.best_ordering(flows, 2, pd.Series({"x": 9, "y": 8, "z": 1})).order) == {"x", "y"}


def test_metadata_record_keeps_the_placeholder_date(hand):
    # similarity_analysis.ipynb cell 5 compares G.nodes[node]['full_json'], the raw record with its createdAt.
    study, phylo = hand
    assert defs.PLACEHOLDER_CREATED in texts_of(study, TextTrait.METADATA, ["org/m"])[0]
    assert '"createdAt": null' in texts_of(phylo, TextTrait.METADATA, ["org/m"])[0]


def test_metadata_graph_is_no_merge_without_quantized(hand):
    # similarity_analysis.ipynb cells 3-4: ai_ecosystem_graph_nomerges, then quantized edges removed.
    study, phylo = hand
    def edges(con, trait):
        pop = edge_population(con, trait, EdgeScope())
        return set(zip(pop.ids(pop.parents), pop.ids(pop.children)))
    assert edges(study, TextTrait.METADATA) == {("org/base", "org/ft"), ("org/ft", "org/ad")}
    assert edges(phylo, TextTrait.METADATA) == {("org/base", "org/ft"), ("org/base", "org/case")}  # finetune only


def test_great_grandparents_weighted_by_children_only():
    # sample_helpers.py quad_3 ~l.309-316: edge (u, v) weighs len(successors(v)) when u has a predecessor.
    # g1→p→m→{x1, x2}: middle edge (p, m) weighs 2 (both rules); g2, g3 → q → r → y: (q, r) weighs 1 (study),
    # 2 × 1 = 2 paths (Phylo). Share of pairs ending in x1/x2: 2/3 (study), 2/4 (Phylo).
    names = ["g1", "p", "m", "x1", "x2", "g2", "g3", "q", "r", "y"]
    i = {n: k for k, n in enumerate(names)}
    e = [("g1", "p"), ("p", "m"), ("m", "x1"), ("m", "x2"), ("g2", "q"), ("g3", "q"), ("q", "r"), ("r", "y")]
    parents, children = np.array([i[a] for a, _ in e]), np.array([i[b] for _, b in e])
    trait = np.ones(len(names), bool)
    for by_children, share in ((True, 2 / 3), (False, 1 / 2)):
        pairs = relative_pairs(parents, children, trait, np.arange(len(names)), Relative.GREAT_GRANDPARENT, 20_000,
                               by_children=by_children)
        assert np.isin(pairs[:, 1], [i["x1"], i["x2"]]).mean() == pytest.approx(share, abs=0.015)


def test_listing_targets(listing_bundle, shared_data):
    """The 760k listing: 104,737 exact edges with 665 self-loops apart, 6,744 families, the largest 26,327, and
    all-edge mutation rates as an independent pandas computation from the study's rules (orderings cell 6)."""
    bundle = open_bundle(listing_bundle)
    con = defs.connect(bundle, "study")
    assert con.execute("SELECT count(*) FROM edges").fetchone()[0] == 104_737 and defs.self_loops(con) == 665
    assert con.execute("SELECT count(*), max(n) FROM (SELECT count(*) n FROM models GROUP BY family_all) "
                       "WHERE n > 1").fetchone() == (6_744, 26_327)
    rates = drift.mutation_rates(con, EdgeScope()).set_index("trait")["rate"]

    # Independently: edges from the raw base_model: tags whose text is an id of the listing, self-loops left out.
    raw = pd.read_parquet(shared_data / "hub_listing_2024-07.parquet", columns=["id", "tags"])
    ids = set(raw["id"])
    pairs = {(t[11:], c) for c, tags in zip(raw["id"], raw["tags"]) for t in tags
             if t.startswith("base_model:") and t[11:] in ids and t[11:] != c}
    e = pd.DataFrame(sorted(pairs), columns=["parent", "child"])
    m = pd.read_parquet(bundle.path / "models.parquet",
                        columns=["model_id", "licenses", "pipeline_tag", "library_name", "languages"]).set_index("model_id")
    for column, is_list in (("licenses", True), ("pipeline_tag", False), ("library_name", False), ("languages", True)):
        def sets(rows):
            return [set(x) if is_list else ({x} if isinstance(x, str) else set()) for x in m.loc[rows, column]]
        j = [1 - len(a & b) / len(a | b) for a, b in zip(sets(e["parent"]), sets(e["child"])) if a and b]
        assert rates[column] == pytest.approx(np.mean(j), abs=0.005), column
