import json

import duckdb
import pandas as pd

from core.bundle import open_bundle
from core.licenses import connect
from core.precompute import build_bundle


def _declared(csv_path):
    """(parent, child, relation) pairs as the CSV's typed parent columns declare them."""
    import ast

    df = pd.read_csv(csv_path, usecols=["model_id", "finetune_parent", "quantized_parent", "adapter_parent", "merge_parent"])
    pairs = {}
    for rel in ("finetune", "quantized", "adapter", "merge"):  # later types win
        for child, parents in zip(df["model_id"], df[f"{rel}_parent"]):
            for parent in ast.literal_eval(parents):
                pairs[(parent, child)] = rel
    return pairs


def test_family_trees_csv_matches_its_declared_relations(family_trees_bundle, shared_data):
    declared = _declared(shared_data / "family_trees_2025.csv")
    edges = pd.read_parquet(family_trees_bundle / "edges.parquet")
    got = {(p, c): r for p, c, r in zip(edges["parent"], edges["child"], edges["relation"])}
    assert got == declared
    assert set(edges["relation_source"]) == {"declared"}
    manifest = json.loads((family_trees_bundle / "manifest.json").read_text())
    assert manifest["counts"]["models"] == 1983
    assert manifest["relation_inference"]["declared_edges_checked"] == len(declared)
    assert manifest["warnings"]["unknown_parents"] == int((~edges["parent_in_snapshot"]).sum())


def test_family_trees_families_and_cards(family_trees_bundle):
    con = connect(open_bundle(family_trees_bundle))
    size, family = con.execute("SELECT size, family FROM families ORDER BY size DESC LIMIT 1").fetchone()
    assert size > 100 and family
    # Every family's root has depth 0 and no in-snapshot parent.
    bad = con.execute("""SELECT count(*) FROM families f JOIN models m ON m.model_id = f.family
                         WHERE m.depth <> 0 AND NOT m.in_cycle""").fetchone()[0]
    assert bad == 0
    cards = con.execute("SELECT count(*) FROM cards").fetchone()[0]
    assert cards == con.execute("SELECT count(*) FROM models WHERE card_length > 0").fetchone()[0] > 1000


def test_rebuild_is_identical(tmp_path, shared_data):
    a, b = tmp_path / "a", tmp_path / "b"
    build_bundle(str(shared_data / "family_trees_2025.csv"), a)
    build_bundle(str(shared_data / "family_trees_2025.csv"), b)
    for name in ("models.parquet", "edges.parquet", "families.parquet", "cards.parquet", "manifest.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_sample_keeps_parents_outside_the_sample(tmp_path, shared_data):
    m = build_bundle(str(shared_data / "family_trees_2025.csv"), tmp_path / "s", sample=300)
    assert m["counts"]["models"] == 300 and m["sample"] == 300
    n_unknown = duckdb.execute("SELECT count(*) FROM read_parquet(?) WHERE NOT parent_in_snapshot", [str(tmp_path / 's' / 'edges.parquet')]).fetchone()[0]
    assert n_unknown > 0 and m["warnings"]["unknown_parents"] == n_unknown


def test_real_listing_lineage_facts(listing_bundle):
    """The July 2024 listing: 760k models, 665 self-references and 7 non-trivial cycles (ANALYSES.md §2).

    Matched as the Hub matches ids, 26 more parents are the model itself (by case or a legacy id), and 16,194
    edges that named a legacy id (``distilbert-base-uncased``) reach the canonical model.
    """
    m = json.loads((listing_bundle / "manifest.json").read_text())
    assert m["counts"]["models"] == 760_000
    assert m["warnings"]["self_loops"] == 665 + 26 == len(m["self_loops"])
    assert m["warnings"]["cycles"] == 7 and len(m["cycles"]) == 7
    assert m["identity"]["parents_by_match"] == {"exact": 104_738, "case": 696, "redirect": 16_194, "name": 47,
                                                 "outside": 4_283}
    # The default family is the study's, without merges; with them, merges of a BERT and an LLM glue 28,036 models.
    assert m["counts"]["largest_family_all_edges"] == 28_036
    assert m["counts"]["largest_family"] < 10_000
    assert m["counts"]["edges_by_source"] == {"inferred": m["counts"]["edges"]}  # 2024 tags are untyped
    con = connect(open_bundle(listing_bundle))
    # Families partition the in-snapshot edges other than merges: both ends of every such edge share a family.
    split = con.execute("""SELECT count(*) FILTER (WHERE e.relation <> 'merge'), count(*) FILTER (WHERE e.relation = 'merge')
                           FROM edges e JOIN models p ON p.model_id = e.parent
                           JOIN models c ON c.model_id = e.child WHERE p.family_id <> c.family_id""").fetchone()
    assert split[0] == 0 and split[1] > 0
    # Merges cross between families and are counted there: Llama 3's models are merged into other families' models.
    assert con.execute("SELECT merges_out FROM families WHERE family = 'meta-llama/Meta-Llama-3-8B'").fetchone()[0] > 100
    llama = con.execute("""SELECT family, (SELECT count(*) FROM models WHERE family = m.family),
                                  (SELECT count(*) FROM models WHERE family = m.family AND model_id ILIKE '%bert%')
                           FROM models m WHERE model_id = 'meta-llama/Meta-Llama-3-8B'""").fetchone()
    assert llama[0] == "meta-llama/Meta-Llama-3-8B" and llama[1] > 500 and llama[2] == 0
    glued = con.execute("SELECT family_all FROM models WHERE model_id = 'meta-llama/Meta-Llama-3-8B'").fetchone()[0]
    assert glued == "google-bert/bert-base-uncased"  # the all-edges variant, one switch away
    distilbert = con.execute("""SELECT n_children, (SELECT count(*) FROM models WHERE family = m.model_id)
                                FROM models m WHERE model_id = 'distilbert/distilbert-base-uncased'""").fetchone()
    assert distilbert == (5_239, 5_283)  # 541 children and 547 models when legacy ids were left outside
    written = con.execute("SELECT count(*) FROM edges WHERE parent = 'distilbert/distilbert-base-uncased' "
                          "AND parent_as_written = 'distilbert-base-uncased' AND parent_match = 'redirect'").fetchone()[0]
    assert written == 4_698


def test_resemblance_table_is_the_default_scope_resemblance(family_trees_bundle, tmp_path, shared_data):
    """resemblance.parquet holds resemblance() of every trait for the whole bundle, and rebuilds byte-identically."""
    from core.evolution.resemblance import TextTrait, resemblance

    stored = pd.read_parquet(family_trees_bundle / "resemblance.parquet")
    assert list(stored.columns) == ["trait", "relative", "measure", "mean", "ci_low", "ci_high", "n", "distinct_pairs"]
    con = connect(open_bundle(family_trees_bundle))
    for trait in TextTrait:
        expected = resemblance(con, trait)
        got = stored[stored["trait"] == trait.value].drop(columns="trait").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
        assert (got["n"] > 0).all()
    from_table = con.execute("SELECT count(*) FROM resemblance").fetchone()[0]  # loaded as an optional table
    assert from_table == len(stored)
    again = tmp_path / "again"
    build_bundle(str(shared_data / "family_trees_2025.csv"), again)
    assert (again / "resemblance.parquet").read_bytes() == (family_trees_bundle / "resemblance.parquet").read_bytes()


def test_a_family_made_only_of_a_cycle_has_a_real_depth(tmp_path):
    src = tmp_path / "c.csv"
    src.write_text("id,downloads,tags\n"
                   "o/a,5,\"['base_model:o/c']\"\n"
                   "o/b,9,\"['base_model:o/a']\"\n"  # the most downloaded member is where the cycle is entered
                   "o/c,1,\"['base_model:o/b']\"\n"
                   "o/d,0,\"['base_model:o/c']\"\n")
    m = build_bundle(str(src), tmp_path / "b")
    fam = pd.read_parquet(tmp_path / "b" / "families.parquet")
    assert fam["max_depth"].tolist() == [2] and fam["n_in_cycles"].tolist() == [3]
    depth = dict(pd.read_parquet(tmp_path / "b" / "models.parquet", columns=["model_id", "depth"]).values)
    assert depth == {"o/b": 0, "o/c": 1, "o/a": 2, "o/d": 2} and m["warnings"]["cycles"] == 1


def test_labels_only_adds_the_label_hierarchy_to_an_older_map_bundle(tmp_path, capsys):
    import shutil

    from core.bundle import verify
    from core.precompute.__main__ import main
    from tests.conftest import ROOT

    old = tmp_path / "old"
    shutil.copytree(ROOT / "data" / "demo", old)
    (old / "labels.parquet").unlink()
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["files"].pop("labels.parquet")
    (old / "manifest.json").write_text(json.dumps(manifest))
    assert main(["--out", str(old), "--labels-only"]) == 0
    assert "labels.parquet" in json.loads((old / "manifest.json").read_text())["files"]
    verify(old)  # the checksums cover the new file
    con = connect(open_bundle(old))
    assert con.execute("SELECT count(DISTINCT level) FROM labels").fetchone()[0] == 3
    bare = tmp_path / "bare"
    bare.mkdir()
    assert main(["--out", str(bare), "--labels-only"]) == 2
    assert "has no map" in capsys.readouterr().err
