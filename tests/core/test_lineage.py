import numpy as np
import pyarrow as pa

from core.lineage import Relation, ancestors_of, build_edges, compute_lineage, descendants_of, infer_relations
from core.models import normalize
from core.snapshot import Snapshot, SourceShape


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
    got = infer_relations(n, f, f, f, lib, names)
    assert got.tolist() == [1, 4, 3, 2, 3, 2]  # finetune, merge, adapter, quantized, adapter, quantized


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
    # The cycle has no root: no depth, but every member counts the other two as descendants.
    assert lin.depth[idx["a"]] == -1 and lin.n_descendants[idx["a"]] == 2
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
