import numpy as np
import pyarrow as pa

from core.lineage import Relation, ancestors_of, build_edges, compute_lineage, descendants_of, infer_relations
from core.ingest.models import normalize
from core.bundle import SourceShape
from core.ingest.snapshot import Snapshot


def _bundle_parts(rows):
    snap = Snapshot(table=pa.Table.from_pylist(rows), shape=SourceShape.LISTING, source="test")
    norm = normalize(snap)
    ids = norm.models["model_id"].combine_chunks()
    edges, stats = build_edges(norm.mention_child, norm.mention_parent, norm.mention_code, ids, norm.signals)
    lin = compute_lineage(len(ids), edges, norm.models["downloads"].to_numpy())
    return ids.to_pylist(), edges, stats, lin


def _relation_names(edges):
    order = (Relation.FINETUNE, Relation.QUANTIZED, Relation.ADAPTER, Relation.MERGE)
    return [order[c - 1].value for c in edges.relation]


def test_infer_relations_signals():
    n = np.array([1, 3, 1, 1, 1, 1])
    f = np.zeros(6, dtype=bool)
    lib = pa.array(["transformers", "transformers", "peft", None, "transformers", "gguf"])
    names = pa.array(["a/plain-ft", "a/three-parents", "a/x", "a/Model-7B-GGUF", "a/model-lora", "a/y"])
    got, _ = infer_relations(n, f, f, f, lib, names)
    # finetune; merge (three parents); adapter (peft); quantized (GGUF); finetune (a LoRA merged into a
    # transformers model); quantized (gguf library)
    assert got.tolist() == [1, 4, 3, 2, 1, 2]


def test_declared_types_merge_wins_and_untyped_are_inferred():
    ids, edges, stats, _ = _bundle_parts([
        {"id": "base", "tags": []},
        {"id": "other", "tags": []},
        {"id": "m", "tags": ["base_model:base", "base_model:finetune:base", "base_model:merge:base", "base_model:other"]},
        {"id": "q-GGUF", "tags": ["base_model:base", "gguf"]},
    ])
    rel = dict(zip([(ids[p], ids[c]) for p, c in zip(edges.parent, edges.child)], zip(_relation_names(edges), edges.declared)))
    assert rel[("base", "m")] == ("merge", True)
    assert rel[("other", "m")] == ("merge", False)  # untyped, two parents: inferred merge
    assert rel[("base", "q-GGUF")] == ("quantized", False)
    assert stats["inference_checked"] == 1 and stats["inference_correct"] == 1


def test_three_cycle_self_loop_unknown_parent_and_merge_of_three():
    ids, edges, stats, lin = _bundle_parts([
        {"id": "a", "tags": ["base_model:c"]},
        {"id": "b", "tags": ["base_model:a"]},
        {"id": "c", "tags": ["base_model:b"]},
        {"id": "self", "tags": ["base_model:self"]},
        {"id": "root", "tags": [], "downloads": 100},
        {"id": "r2", "tags": []},
        {"id": "r3", "tags": ["base_model:gone/missing"]},
        {"id": "merge3", "tags": ["base_model:root", "base_model:r2", "base_model:r3"]},
        {"id": "child", "tags": ["base_model:merge3"]},
    ])
    idx = {m: i for i, m in enumerate(ids)}
    assert stats["self_loops"] == 1 and stats["unknown_parents"] == 1
    assert (edges.parent < 0).sum() == 1 and edges.parent_id.to_pylist().count("gone/missing") == 1
    assert [sorted(ids[i] for i in g) for g in lin.cycles] == [["a", "b", "c"]]
    assert lin.in_cycle[idx["a"]] and not lin.in_cycle[idx["root"]]
    # The cycle has no root: it is measured from its entry (a, the lowest index of equal downloads), so the
    # family has a real depth of 2; every member counts the other two as descendants.
    assert [lin.depth[idx[m]] for m in "abc"] == [0, 1, 2] and lin.n_descendants[idx["a"]] == 2
    # Merge with three parents: one family, root = most downloaded parentless member.
    fam = lin.family_index
    assert fam[idx["root"]] == fam[idx["r2"]] == fam[idx["r3"]] == fam[idx["merge3"]] == fam[idx["child"]]
    assert ids[lin.family_root[idx["child"]]] == "root"
    assert lin.n_parents[idx["merge3"]] == 3 and lin.n_children[idx["merge3"]] == 1
    assert lin.depth[idx["merge3"]] == 1 and lin.depth[idx["child"]] == 2
    assert lin.n_descendants[idx["root"]] == 2
    assert set(_relation_names(edges)[i] for i in np.flatnonzero(edges.child == idx["merge3"])) == {"merge"}
    # The self-loop model is alone.
    assert (fam == fam[idx["self"]]).sum() == 1 and lin.n_parents[idx["self"]] == 0


def test_diamond_descendants_are_counted_once():
    ids, _, _, lin = _bundle_parts([
        {"id": "top", "tags": []},
        {"id": "l", "tags": ["base_model:top"]},
        {"id": "r", "tags": ["base_model:top"]},
        {"id": "bottom", "tags": ["base_model:l", "base_model:r"]},
    ])
    assert lin.n_descendants.tolist() == [3, 1, 1, 0]
    assert lin.depth.tolist() == [0, 1, 1, 2]


def test_duplicate_ids_keep_the_first_record():
    ids, edges, _, _ = _bundle_parts([
        {"id": "p", "tags": []},
        {"id": "c", "tags": ["base_model:p"]},
        {"id": "c", "tags": ["base_model:elsewhere"]},
    ])
    assert ids == ["p", "c"] and edges.parent_id.to_pylist() == ["p"]


def test_walks_are_safe_on_cycles_and_respect_depth():
    edges = [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]
    assert descendants_of("a", edges) == {"b": 1, "c": 2, "d": 3}
    assert ancestors_of("d", edges, max_depth=2) == {"c": 1, "b": 2}


def test_legacy_ids_resolve_to_the_canonical_model_the_hub_redirects_to():
    ids, edges, stats, lin = _bundle_parts([
        {"id": "distilbert/distilbert-base-uncased", "downloads": 10, "tags": []},
        {"id": "someone/distilbert-base-uncased"},  # a copy: the canonical organisation wins
        {"id": "openai-community/gpt2"},
        {"id": "a/bert-base"}, {"id": "b/bert-base"},  # two namespaced models of one name: never a guess
        {"id": "u/only-one"},
        {"id": "c1", "tags": ["base_model:distilbert-base-uncased"]},
        {"id": "c2", "tags": ["base_model:GPT2", "base_model:openai-community/gpt2"]},  # one parent, written twice
        {"id": "c3", "tags": ["base_model:bert-base"]},
        {"id": "c4", "tags": ["base_model:only-one"]},
    ])
    parent_of = {ids[c]: (ids[p] if p >= 0 else None, w) for c, p, w in
                 zip(edges.child, edges.parent, edges.parent_as_written.to_pylist())}
    assert parent_of["c1"] == ("distilbert/distilbert-base-uncased", "distilbert-base-uncased")
    assert parent_of["c2"] == ("openai-community/gpt2", "GPT2")
    assert parent_of["c3"] == (None, "bert-base")
    assert parent_of["c4"] == ("u/only-one", "only-one")
    assert lin.n_parents[ids.index("c2")] == 1  # not two edges, not an inferred merge
    assert _relation_names(edges)[list(edges.child).index(ids.index("c2"))] == "finetune"
    assert stats["parents_redirect"] == 2 and stats["parents_name"] == 1 and stats["parents_outside"] == 1
    assert stats["spellings_merged"] == 1


def test_ids_match_ignoring_case_one_edge_per_parent():
    ids, edges, stats, lin = _bundle_parts([
        {"id": "o/base", "tags": []},
        {"id": "kid", "tags": ["base_model:o/base", "base_model:O/Base"]},
        {"id": "kid2", "tags": ["base_model:O/BASE"]},
        {"id": "orphan", "tags": ["base_model:x/Gone", "base_model:X/gone"]},  # outside, folded too
        {"id": "Self/Loop", "tags": ["base_model:self/loop"]},
    ])
    assert lin.n_parents[ids.index("kid")] == 1 and lin.n_parents[ids.index("orphan")] == 1
    assert set(_relation_names(edges)) == {"finetune"}
    assert stats["parents_case"] == 1 and stats["parents_exact"] == 1  # kid2 by case, kid exactly
    assert stats["self_loop_ids"] == ["Self/Loop"]
    assert edges.parent_as_written.to_pylist()[list(edges.child).index(ids.index("orphan"))] == "x/Gone"


def test_name_rules_read_the_name_not_the_author():
    n = np.ones(7, dtype=np.int64)
    f = np.zeros(7, dtype=bool)
    names = pa.array(["squantumengine/tiny-bert", "a/quantum-chem-bert", "a/quantile-regressor", "a/llama-quantized",
                      "quant-chef/mistral-ft", "a/mistral-7b-unquantized", "a/phi-2-quant"])
    got, _ = infer_relations(n, f, f, f, pa.nulls(7, pa.string()), names)
    assert got.tolist() == [1, 1, 1, 2, 1, 1, 2]
