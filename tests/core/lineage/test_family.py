import pandas as pd
import pytest

from core.lineage import family as fam
from core.bundle import open_bundle
from core.licenses import connect


def _fam(edges, downloads=None, classes=None):
    nodes = sorted({x for e in edges for x in e[:2]})
    downloads = downloads or {}
    classes = classes or {}
    models = pd.DataFrame({
        "model_id": nodes, "downloads": [downloads.get(n, 0) for n in nodes], "likes": 0,
        "created_at": pd.to_datetime(["2024-01-01"] * len(nodes), utc=True), "pipeline_tag": "text-generation",
        "library_name": "transformers", "license_class": [classes.get(n, "permissive") for n in nodes],
        "licenses": [[] for _ in nodes], "depth": 0, "n_children": 0, "n_descendants": 0,
    })
    e = pd.DataFrame([(p, c, r, "declared") for p, c, r in edges], columns=["parent", "child", "relation", "relation_source"])
    return fam.FamilyData(family=nodes[0], models=models, edges=e)


def test_lineage_on_cycles_and_merges():
    f = _fam([("a", "b", "finetune"), ("b", "c", "finetune"), ("c", "a", "finetune"), ("x", "m", "merge"),
              ("b", "m", "merge"), ("y", "m", "merge"), ("m", "k", "quantized"), ("q", "z", "finetune")])
    assert fam.lineage_of("m", f.edges) == {"m", "x", "y", "b", "a", "c", "k"}
    assert fam.lineage_of("k", f.edges) == {"k", "m", "x", "y", "b", "a", "c"}
    assert fam.lineage_of("z", f.edges) == {"z", "q"}


def test_prune_keeps_top_k_focus_path_and_counts_the_rest():
    edges = [("r", f"c{i}") for i in range(10)] + [("c9", "g1"), ("g1", "focus")]
    downloads = {f"c{i}": 100 - i for i in range(10)}
    nodes = {"r", "g1", "focus", *[f"c{i}" for i in range(10)]}
    t = fam.prune(nodes, edges, downloads, "focus", k=3)
    assert t.nodes[:4] == ["r", "c0", "c1", "c2"]
    assert {"c9", "g1", "focus"} <= set(t.nodes)  # the path to the focus survives though c9 is least downloaded
    assert t.more == {"r": 6} and t.hidden == 6
    assert all(p in t.nodes and c in t.nodes for p, c in t.edges)
    expanded = fam.prune(nodes, edges, downloads, "focus", k=3, expanded=frozenset({"r"}))
    assert expanded.more == {} and expanded.hidden == 0
    shallow = fam.prune(nodes, edges, downloads, "r", k=3, max_depth=0)
    assert shallow.nodes == ["r"] and shallow.more == {"r": 10}


def test_prune_folds_only_children_drawn_nowhere():
    # r's top child a is also a child of b; x is drawn through b. Neither is folded under r.
    edges = [("r", "a"), ("r", "b"), ("r", "x"), ("r", "h1"), ("b", "a"), ("b", "x"), ("b", "h2")]
    downloads = {"a": 9, "b": 8, "x": 1, "h1": 0, "h2": 0}
    nodes = {"r", "a", "b", "x", "h1", "h2"}
    t = fam.prune(nodes, edges, downloads, "x", k=2)
    assert set(t.nodes) == {"r", "a", "b", "x"} and t.hidden == 2
    assert t.more == {"r": 1, "b": 1}  # h1 and h2; a and x are drawn
    assert sum(t.more.values()) == t.hidden


def test_prune_on_a_real_family_counts_no_drawn_child(family_trees_bundle):
    from core.bundle import open_bundle
    from core.licenses import connect

    con = connect(open_bundle(family_trees_bundle))
    family_id = con.execute("SELECT family_id FROM families ORDER BY size DESC LIMIT 1").fetchone()[0]
    f = fam.load_family(con, con.execute("SELECT family FROM families WHERE family_id = ?", [family_id]).fetchone()[0])
    edges = list(zip(f.edges["parent"], f.edges["child"]))
    t = fam.prune(set(f.models["model_id"]), edges, dict(zip(f.models["model_id"], f.models["downloads"])),
                  f.models["model_id"].iloc[-1], k=4, max_depth=3)
    drawn = set(t.nodes)
    kids = {}
    for p, c in edges:
        kids.setdefault(p, set()).add(c)
    assert t.more and all(n == len(kids[p] - drawn) for p, n in t.more.items())
    hidden_with_a_drawn_parent = {c for p in drawn for c in kids.get(p, ()) if c not in drawn}
    assert hidden_with_a_drawn_parent <= set(f.models["model_id"]) - drawn and t.hidden >= len(hidden_with_a_drawn_parent)


def test_prune_survives_a_family_that_is_one_cycle():
    t = fam.prune({"a", "b", "c"}, [("a", "b"), ("b", "c"), ("c", "a")], {}, "b", k=5)
    assert set(t.nodes) == {"a", "b", "c"}


def test_exports_read_back_equal(tmp_path):
    import networkx as nx

    f = _fam([("a", "b", "finetune"), ("b", "c", "adapter"), ("a", "d", "merge")], downloads={"a": 5, "b": 3})
    back = fam.from_json(fam.to_json(f))
    assert back.family == f.family
    assert back.edges.to_dict("records") == f.edges.to_dict("records")
    assert back.models["model_id"].tolist() == f.models["model_id"].tolist()
    assert back.models["downloads"].tolist() == f.models["downloads"].tolist()
    path = tmp_path / "f.graphml"
    path.write_text(fam.to_graphml(f))
    g = nx.read_graphml(path)
    assert set(g.edges()) == set(zip(f.edges["parent"], f.edges["child"]))
    assert {d["relation"] for _, _, d in g.edges(data=True)} == {"finetune", "adapter", "merge"}
    assert int(g.nodes["a"]["downloads"]) == 5
    edges_csv, models_csv = fam.to_csv(f)
    import io

    assert pd.read_csv(io.StringIO(edges_csv)).to_dict("records") == f.edges.to_dict("records")
    assert pd.read_csv(io.StringIO(models_csv))["model_id"].tolist() == f.models["model_id"].tolist()


def test_table_selection_to_model():
    ids = ["a", "b"]
    assert fam.table_selection_to_model([1], ids) == "b"
    assert fam.table_selection_to_model([], ids) is None and fam.table_selection_to_model([5], ids) is None


@pytest.fixture(scope="module")
def con(family_trees_bundle):
    return connect(open_bundle(family_trees_bundle))


def test_family_of_real_model(con):
    f = fam.load_family(con, "meta-llama/Llama-2-7b-chat-hf")
    assert f.family == "meta-llama/Llama-2-7b-chat-hf" and len(f.models) > 400 and len(f.edges) == len(f.models) - 1
    s = fam.summary(f)
    assert s["size"] == len(f.models) and s["generations"]["models"].sum() == len(f.models)
    assert s["growth"]["models"].iloc[-1] == f.models["created_at"].notna().sum()
    assert fam.load_family(con, "no/such") is None


def _scope_graph():
    """r → a → b (fine-tunes), a → q (quantized), b ⇄ c (a cycle), x + a → m (a merge), m → m1: families without
    merges are {r, a, b, c, q} and {m, m1} (and x alone)."""
    import duckdb

    con = duckdb.connect()
    edges = [("r", "a", "finetune"), ("a", "b", "finetune"), ("a", "q", "quantized"), ("b", "c", "finetune"),
             ("c", "b", "finetune"), ("x", "m", "merge"), ("a", "m", "merge"), ("m", "m1", "finetune")]
    family = {"r": "r", "a": "r", "b": "r", "c": "r", "q": "r", "m": "m", "m1": "m", "x": "x"}
    con.execute("CREATE TABLE edges (parent VARCHAR, child VARCHAR, relation VARCHAR, parent_in_snapshot BOOLEAN, "
                "relation_confidence FLOAT)")
    con.executemany("INSERT INTO edges VALUES (?, ?, ?, TRUE, 1)", edges)
    con.execute("CREATE TABLE models (model_id VARCHAR, family VARCHAR, family_all VARCHAR, family_finetune VARCHAR, "
                "pipeline_tag VARCHAR, created_at TIMESTAMPTZ)")
    con.executemany("INSERT INTO models VALUES (?, ?, 'r', ?, NULL, NULL)", [(m, f, f) for m, f in family.items()])
    return con


@pytest.mark.parametrize("scope, children", [
    (dict(model="b"), {"a", "b", "c", "q"}),  # b's family without merges: every edge into it
    (dict(model="a", kind="descendants"), {"b", "c", "q"}),  # below a, merges left out; the cycle ends
    (dict(model="a", kind="descendants", graph="all"), {"b", "c", "q", "m", "m1"}),
    (dict(model="a", kind="descendants", graph="finetune"), {"b", "c"}),
    (dict(model="m1"), {"m", "m1"}),  # a merge starts a family: x and a stay outside it, their merge edges lead in
    (dict(model="nobody"), set()),
])
def test_any_model_scopes_its_family_or_its_descendants(scope, children):
    from core.lineage import EdgeScope, edges_sql

    sql, params = edges_sql(EdgeScope(**scope))
    assert {c for _, c, _ in _scope_graph().execute(sql, params).fetchall()} == children


def test_a_large_family_outlines_as_generations_by_relation():
    """r → a, b (fine-tunes); a → q1, q2 (quantized); b → m (merge with a): m counts once, as a merge."""
    import pandas as pd

    from core.lineage.family import FamilyData, group_members, outline

    models = pd.DataFrame({"model_id": ["r", "a", "b", "q1", "q2", "m"], "downloads": [100, 50, 40, 9, 8, 1],
                           "depth": [0, 1, 1, 2, 2, 2], "license_class": ["permissive"] * 6})
    edges = pd.DataFrame({"parent": ["r", "r", "a", "a", "b", "a", "outside"], "child": ["a", "b", "q1", "q2", "m", "m", "r"],
                          "relation": ["finetune", "finetune", "quantized", "quantized", "merge", "merge", "finetune"]})
    o = outline(FamilyData(family="r", models=models, edges=edges))
    assert o.groups[["group", "models", "top"]].values.tolist() == [
        ["gen 0 · root", 1, "r"], ["gen 1 · finetune", 2, "a"], ["gen 2 · quantized", 2, "q1"], ["gen 2 · merge", 1, "m"]]
    links = {(s, t): n for s, t, n in o.links.values.tolist()}
    assert links == {("gen 0 · root", "gen 1 · finetune"): 2, ("gen 1 · finetune", "gen 2 · quantized"): 2,
                     ("gen 1 · finetune", "gen 2 · merge"): 2}
    members = group_members(FamilyData(family="r", models=models, edges=edges), "gen 2 · quantized")
    assert members["model_id"].tolist() == ["q1", "q2"] and members["parent"].tolist() == ["a", "a"]
