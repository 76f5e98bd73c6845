"""Relation inference against the Hub's own declarations, in every modality: the held-out half (by family) of
declared_relations_2024-09, the declared labels of typed_edges_2025-06 on the July 2024 listing, hand-made cases,
and the calibrated confidence (bench/relations.py writes and checks the table)."""

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from bench.relations import held_out, reliability
from core.bundle import pandas_rows
from core.lineage import RELATION_PRIORITY, UNSURE_BELOW, InferenceRule, Relation, infer_types, tag_signals

TYPED = {"quantized": "quantized", "adapter": "adapter", "merged": "merge"}  # its "finetuned" is no declaration


@pytest.fixture(scope="module")
def declared_bundle(tmp_path_factory, shared_data):
    from core.precompute import build_bundle

    out = tmp_path_factory.mktemp("declared") / "declared_relations_2024-09"
    build_bundle(str(shared_data / "declared_relations_2024-09" / "listing.jsonl"), out)
    return out


@pytest.fixture(scope="module")
def declared_held_out(declared_bundle, shared_data):
    """The held-out half of the declared edges: the Hub's type, the built one, its rule and confidence."""
    rows = pandas_rows(duckdb, """
        SELECT r.relation AS declared, e.relation AS inferred, e.relation_rule AS rule,
               e.relation_confidence AS confidence, lower(coalesce(p.family_finetune, e.parent)) AS grp
        FROM read_csv(?, header = true) r
        JOIN read_parquet(?) e ON lower(e.child) = lower(r.child) AND lower(e.parent) = lower(r.parent)
        LEFT JOIN read_parquet(?) p ON p.model_id = e.parent""",
                       [str(shared_data / "declared_relations_2024-09" / "relations.csv"),
                        str(declared_bundle / "edges.parquet"), str(declared_bundle / "models.parquet")])
    assert len(rows) == 874
    return rows[rows["grp"].map(held_out)]


def test_held_out_accuracy_per_relation(declared_held_out):
    right = declared_held_out["declared"] == declared_held_out["inferred"]
    assert len(declared_held_out) > 300
    assert right.mean() >= 0.94, right.mean()
    for relation, mine in declared_held_out.groupby("declared"):
        assert (mine["declared"] == mine["inferred"]).mean() >= 0.85, relation


def test_held_out_confidence_is_calibrated(declared_held_out):
    right = (declared_held_out["declared"] == declared_held_out["inferred"]).to_numpy()
    table, ece = reliability(declared_held_out["confidence"].to_numpy(), right)
    assert ece <= 0.05, table
    assert declared_held_out["confidence"].between(0, 0.99).all()


def _infer(*children: tuple[list[str], str | None, str | None, str, int]) -> list[tuple[str, str]]:
    """(relation, rule name) for each (tags, library, pipeline tag, name, number of parents)."""
    tags = pa.array([c[0] for c in children], pa.list_(pa.string()))
    signals = tag_signals(len(children), pc.list_parent_indices(tags).to_numpy(), pc.utf8_lower(pc.list_flatten(tags)))
    signals["library"] = pa.array([c[1] for c in children], pa.string())
    signals["pipeline_tag"] = pa.array([c[2] for c in children], pa.string())
    code, rule = infer_types(np.array([c[4] for c in children]), signals, pa.array([c[3] for c in children]))
    return [(RELATION_PRIORITY[c - 1].value, list(InferenceRule)[r].name.lower()) for c, r in zip(code, rule)]


def test_cases_by_hand():
    sd = ["diffusers", "text-to-image", "stable-diffusion"]
    got = _infer(
        ([*sd, "lora", "template:sd-lora"], None, "text-to-image", "alvdansen/littletinies", 1),  # no library (2024-09)
        (["diffusers", "text-to-image"], "diffusers", "text-to-image", "someone/pixel-style-LoRA", 1),
        ([*sd, "controlnet", "image-to-image"], None, "image-to-image", "lllyasviel/control_v11p_sd15_canny", 1),
        ([*sd, "textual_inversion"], "diffusers", "text-to-image", "sd-concepts-library/cat-toy", 1),
        (["transformers", "gguf", "llama", "text-generation"], None, "text-generation", "bartowski/Llama-3-8B-GGUF", 1),
        (["gguf", "mergekit", "merge"], "gguf", None, "someone/Big-Merge-GGUF", 1),
        (["transformers", "mergekit", "merge"], "transformers", "text-generation", "someone/Franken-7B-slerp", 2),
        (["peft", "safetensors"], None, None, "someone/Qwen-Qwen1.5-7B-1724632776", 1),
        (["transformers", "llama", "text-generation"], "transformers", "text-generation", "someone/llama-3-lora-merged", 1),
        (["transformers", "whisper", "automatic-speech-recognition"], None, "automatic-speech-recognition",
         "someone/whisper-small-nl", 1),
    )
    assert got == [("adapter", "image_lora"), ("adapter", "image_lora"), ("adapter", "controlnet"),
                   ("adapter", "textual_inversion"), ("quantized", "quant_format"), ("quantized", "quant_format"),
                   ("merge", "several_parents"), ("adapter", "adapter_library"), ("finetune", "adapter_name_only"),
                   ("finetune", "default")]


def test_listing_declared_labels_and_diffusers_loras(listing_bundle, shared_data):
    """On the 760k listing: the declared types of typed_edges_2025-06, and 90%+ of diffusers LoRA edges adapters."""
    con = duckdb.connect()
    judged = pandas_rows(con, """
        SELECT t.edge AS declared, e.relation AS inferred FROM read_csv(?, header = true) t
        JOIN read_parquet(?) e ON lower(e.child) = lower(t.target) AND lower(e.parent) = lower(t.source)
        WHERE t.edge IN ('quantized', 'adapter', 'merged')""",
                         [str(shared_data / "typed_edges_2025-06.csv"), str(listing_bundle / "edges.parquet")])
    right = judged["declared"].map(TYPED) == judged["inferred"]
    assert len(judged) > 3_500 and right.mean() >= 0.95
    share, n = con.execute("""
        SELECT avg((e.relation = 'adapter')::INT), count(*) FROM read_parquet(?) e JOIN read_parquet(?) m ON m.model_id = e.child
        WHERE e.relation_source = 'inferred' AND (m.library_name = 'diffusers' OR list_contains(m.tags, 'diffusers'))
          AND (list_contains(m.tags, 'lora') OR list_contains(m.tags, 'template:sd-lora')
               OR regexp_matches(lower(m.model_id), 'lora'))""",
                           [str(listing_bundle / "edges.parquet"), str(listing_bundle / "models.parquet")]).fetchone()
    assert n > 6_000 and share >= 0.9


def test_declared_edges_are_certain(family_trees_bundle):
    rows = pandas_rows(duckdb, "SELECT relation_source, relation_rule, relation_confidence FROM read_parquet(?)",
                               [str(family_trees_bundle / "edges.parquet")])
    declared = rows[rows["relation_source"] == "declared"]
    assert len(declared) > 1000 and (declared["relation_confidence"] == 1).all() and declared["relation_rule"].isna().all()
    inferred = rows[rows["relation_source"] == "inferred"]
    assert inferred["relation_rule"].notna().all() and (inferred["relation_confidence"] < 1).all()
    assert 0 < UNSURE_BELOW < 1 and Relation.ADAPTER.value == "adapter"


def test_a_scope_can_keep_only_confident_types(listing_bundle):
    from core.bundle import open_bundle
    from core.licenses import connect
    from core.lineage.scope import EdgeScope, edges_sql

    con = connect(open_bundle(listing_bundle))
    counts = {}
    for floor in (None, 0.9):
        sql, params = edges_sql(EdgeScope(min_confidence=floor), "e.relation_confidence")
        counts[floor] = con.execute(f"SELECT count(*), min(relation_confidence) FROM ({sql})", params).fetchone()
    assert counts[0.9][0] < counts[None][0] and counts[0.9][1] >= 0.9
