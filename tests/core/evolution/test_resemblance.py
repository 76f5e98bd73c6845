import json
import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from core.evolution import resemblance as res
from core.evolution import sampling
from core.evolution import texts as txt
from core.bundle import open_bundle, pandas_rows
from core.licenses import connect
from core.lineage import Relation
from core.evolution.resemblance import Measure, Relative, TextTrait
from core.lineage.scope import EdgeScope
from core.bundle import SourceShape

# A hand-made lineage. Family r: r → a, b, c; a → a1, a2; a1 → x (finetune); r → z (adapter).
# Family s: s → t. An edge from u, which is not in the snapshot, must be ignored.
FINETUNE = [("r", "a"), ("r", "b"), ("r", "c"), ("a", "a1"), ("a", "a2"), ("a1", "x"), ("s", "t")]
FAMILY = {m: "r" for m in ("r", "a", "b", "c", "a1", "a2", "x", "z")} | {"s": "s", "t": "s"}
# Cards: r, a, b, a1, x qualify; c's is auto-generated, a2's too short, the others have none.
CARDS = {m: f"{m} card about a model " * 40 for m in ("r", "a", "b", "a1", "x", "c")} | {"a2": "short card"}
AUTO = {"c"}


def _tiny(with_cards: bool = True):
    ids = list(FAMILY)
    models = pd.DataFrame({
        "model_id": ids, "author": "someone", "family": [FAMILY[m] for m in ids], "likes": 1, "downloads": 10,
        "created_at": pd.to_datetime(["2024-01-01"] * len(ids), utc=True),
        "pipeline_tag": ["text-generation" if FAMILY[m] == "r" else "fill-mask" for m in ids],
        "library_name": "transformers", "licenses": [["mit"] for _ in ids], "languages": [["English"] for _ in ids],
        "datasets": [[f"data-{m}"] for m in ids], "arxiv": [[] for _ in ids],
        "tags": [["transformers", f"tag-{m}"] for m in ids],
        "has_card": [m in CARDS for m in ids], "card_length": [len(CARDS.get(m, "")) for m in ids],
        "card_auto_generated": [m in AUTO for m in ids],
    })
    edges = pd.DataFrame(
        [(p, c, "finetune", True) for p, c in FINETUNE] + [("r", "z", "adapter", True), ("u", "a", "finetune", False)],
        columns=["parent", "child", "relation", "parent_in_snapshot"])
    con = duckdb.connect()
    con.execute("CREATE TABLE models AS SELECT * FROM models")
    con.execute("CREATE TABLE edges AS SELECT * FROM edges")
    if with_cards:
        cards = pd.DataFrame({"model_id": list(CARDS), "card": list(CARDS.values())})
        con.execute("CREATE TABLE cards AS SELECT * FROM cards")
    return con


def _pairs(frame: pd.DataFrame, ordered: bool = True) -> set:
    return {(a, b) if ordered else frozenset((a, b)) for a, b in zip(frame["a"], frame["b"])}


# --- measures ----------------------------------------------------------------------------------------------------------

def test_levenshtein_similarity_known_values():
    assert math.isclose(txt.levenshtein_similarity("kitten", "sitting"), 1 - 3 / 7)
    assert txt.levenshtein_similarity("", "") == 1.0
    assert txt.levenshtein_similarity("abc", "") == 0.0
    assert txt.levenshtein_similarity("same", "same") == 1.0


def test_bow_and_tfidf_cosines_by_hand():
    # Vocabulary: cat, fish, red, "red cat", "red fish". Each text holds three terms and shares only "red".
    v = res.fit_vectorisers(["red fish", "red cat"])
    s = res.pair_similarities(["red fish"], ["red cat"], v)
    assert math.isclose(s[Measure.BOW][0], 1 / 3)
    idf_rare = math.log(3 / 2) + 1  # smoothed idf of a term in one of two texts; "red" has idf 1
    assert math.isclose(s[Measure.TFIDF][0], 1 / (1 + 2 * idf_rare ** 2))
    assert math.isclose(s[Measure.LEVENSHTEIN][0], txt.levenshtein_similarity("red fish", "red cat"))
    same = res.pair_similarities(["red fish"], ["red fish"], v)
    assert all(math.isclose(same[m][0], 1.0) for m in Measure)


def test_vocabulary_ties_at_the_cut_go_alphabetically_whatever_the_order_of_texts():
    words = [f"w{i:04d}" for i in range(600)]  # 600 words once each, and their 599 bigrams once each: all tie
    texts = [" ".join(words)]
    v = res.fit_vectorisers(texts)
    assert v.terms == tuple(sorted(words + [f"{a} {b}" for a, b in zip(words, words[1:])])[:512])
    rng = np.random.default_rng(0)
    corpus = [" ".join(rng.choice(words[:40], 8)) for _ in range(300)]
    assert res.fit_vectorisers(corpus).terms == res.fit_vectorisers(corpus[::-1]).terms


def test_bootstrap_ci_contains_the_mean_and_shrinks_with_n():
    rng = np.random.default_rng(1)
    small, large = rng.random(100), rng.random(10_000)
    lo_s, hi_s = res.bootstrap_ci(small)
    lo_l, hi_l = res.bootstrap_ci(large)
    assert lo_s < small.mean() < hi_s and lo_l < large.mean() < hi_l
    assert (hi_l - lo_l) < (hi_s - lo_s) / 5  # width goes as 1/sqrt(n): 10× here
    assert res.bootstrap_ci(small, seed=3) == res.bootstrap_ci(small, seed=3)
    assert all(math.isnan(x) for x in res.bootstrap_ci(np.empty(0)))


def test_metadata_text_is_the_dataset_record_as_one_json_string():
    row = {"model_id": "org/m", "likes": 2, "downloads": 7, "pipeline_tag": "text-generation", "library_name": None,
           "created_at": pd.Timestamp("2025-07-11T00:55:12.5", tz="UTC"), "licenses": ["mit"], "arxiv": [],
           "datasets": ["squad"], "languages": np.array(["English", "French"]),
           "tags": ["base_model:org/base", "base_model:finetune:org/base", "region:us", "license:mit"]}
    text = txt.metadata_text(row)
    assert text.startswith('{"model_id": "org/m", "likes": 2, "downloads": 7, "tags": "[\'base_model:org/base\'')
    record = json.loads(text)
    assert list(record) == list(txt.RECORD_FIELDS[SourceShape.DATASET])
    assert record["createdAt"] == "2025-07-11T00:55:12.500Z" and record["library_name"] is None
    assert (record["parent_model"], record["finetune_parent"], record["merge_parent"]) == ("['org/base']", "['org/base']", "[]")
    assert record["regions"] == "['us']" and record["languages"] == "['English', 'French']"


def test_a_listing_s_record_has_the_listing_s_fields(listing_bundle, shared_data):
    con = connect(open_bundle(listing_bundle))
    assert txt.record_shape(con) is SourceShape.LISTING
    (text,) = txt.texts_of(con, TextTrait.METADATA, ["openai-community/gpt2"])
    record = json.loads(text)
    assert list(record) == list(txt.RECORD_FIELDS[SourceShape.LISTING])
    raw = pandas_rows(duckdb, "SELECT * FROM read_parquet(?) WHERE id = 'openai-community/gpt2'",
                              [str(shared_data / "hub_listing_2024-07.parquet")]).iloc[0]
    for field in ("id", "author", "downloads", "likes", "library_name", "pipeline_tag"):
        assert record[field] == raw[field], field
    assert record["tags"] == list(raw["tags"])
    assert raw["createdAt"].startswith("2022-03-02") and record["createdAt"] is None  # the migration placeholder


def test_metadata_text_rebuilds_the_study_s_own_records(family_trees_bundle, shared_data):
    """The bundle's rows give back the dataset's records, field by field (family_trees_2025.csv is that dataset)."""
    source = pd.read_csv(shared_data / "family_trees_2025.csv", dtype=str, keep_default_na=False).set_index("model_id")
    con = connect(open_bundle(family_trees_bundle))
    ids = con.execute("SELECT model_id FROM models WHERE created_at IS NOT NULL ORDER BY model_id").fetchall()
    ids = [i for (i,) in ids]
    texts = txt.texts_of(con, TextTrait.METADATA, ids)
    assert txt.record_shape(con) is SourceShape.DATASET
    fields = [f for f in txt.RECORD_FIELDS[SourceShape.DATASET] if f != "model_id"]
    same = {f: 0 for f in fields}
    for model_id, text in zip(ids, texts):
        record, raw = json.loads(text), source.loc[model_id]
        for f in fields:
            want = raw[f]
            got = record[f]
            same[f] += (str(got) if got is not None else "") == (str(int(float(want))) if f in ("likes", "downloads") and want else want)
    assert all(n >= 0.99 * len(ids) for n in same.values()), {f: len(ids) - n for f, n in same.items() if n < len(ids)}


# --- sampling ----------------------------------------------------------------------------------------------------------

def test_every_sampled_pair_is_a_true_relative_and_every_relative_is_drawn():
    con = _tiny()
    pairs = sampling.sample_pairs(con, TextTrait.METADATA, draws=3000)
    assert _pairs(pairs[Relative.PARENT_CHILD]) == set(FINETUNE)  # no adapter edge, no out-of-snapshot parent
    assert _pairs(pairs[Relative.SIBLINGS], ordered=False) == {
        frozenset(p) for p in [("a", "b"), ("a", "c"), ("b", "c"), ("a1", "a2")]}
    assert _pairs(pairs[Relative.GRANDPARENT]) == {("r", "a1"), ("r", "a2"), ("a", "x")}
    assert _pairs(pairs[Relative.AUNT_NIECE]) == {("b", "a1"), ("c", "a1"), ("b", "a2"), ("c", "a2"), ("a2", "x")}
    assert _pairs(pairs[Relative.GREAT_GRANDPARENT]) == {("r", "x")}
    random = pairs[Relative.RANDOM]
    assert (random["a"] != random["b"]).all() and len(_pairs(random, ordered=False)) == math.comb(len(FAMILY), 2)
    assert all(len(p) == 3000 for p in pairs.values())


def test_siblings_weight_parents_by_child_pairs():
    pairs = sampling.sample_pairs(_tiny(), TextTrait.METADATA, draws=5000)[Relative.SIBLINGS]
    share = np.mean([frozenset(p) == {"a1", "a2"} for p in zip(pairs["a"], pairs["b"])])
    assert abs(share - 1 / 4) < 0.03  # r has 3 child pairs, a has 1


def test_card_pairs_only_join_models_with_a_qualifying_card():
    pairs = sampling.sample_pairs(_tiny(), TextTrait.CARDS, draws=2000)
    assert _pairs(pairs[Relative.PARENT_CHILD]) == {("r", "a"), ("r", "b"), ("a", "a1"), ("a1", "x")}
    assert _pairs(pairs[Relative.SIBLINGS], ordered=False) == {frozenset(("a", "b"))}
    assert _pairs(pairs[Relative.GRANDPARENT]) == {("r", "a1"), ("a", "x")}
    assert _pairs(pairs[Relative.AUNT_NIECE]) == {("b", "a1")}
    assert _pairs(pairs[Relative.GREAT_GRANDPARENT]) == {("r", "x")}
    assert set(pairs[Relative.RANDOM].stack()) == {"r", "a", "b", "a1", "x"}


def test_scope_restricts_pairs_and_random_models():
    con = _tiny()
    s = sampling.sample_pairs(con, TextTrait.METADATA, EdgeScope(model="s"), draws=500)
    assert _pairs(s[Relative.PARENT_CHILD]) == {("s", "t")}
    assert _pairs(s[Relative.RANDOM], ordered=False) == {frozenset(("s", "t"))}
    assert all(len(s[r]) == 0 for r in (Relative.SIBLINGS, Relative.GRANDPARENT, Relative.AUNT_NIECE))
    adapter = sampling.sample_pairs(con, TextTrait.METADATA, EdgeScope(relation=Relation.ADAPTER), draws=50)
    assert _pairs(adapter[Relative.PARENT_CHILD]) == {("r", "z")}
    task = sampling.sample_pairs(con, TextTrait.METADATA, EdgeScope(task="fill-mask"), draws=50)
    assert _pairs(task[Relative.PARENT_CHILD]) == {("s", "t")}
    df = res.resemblance(con, TextTrait.METADATA, EdgeScope(model="s"), draws=200)
    assert df.loc[df.relative == "siblings", "n"].eq(0).all() and df.loc[df.relative == "siblings", "mean"].isna().all()


def test_relative_pairs_skip_cycles():
    # a ⇄ b: the only two-step paths return to where they started, so there is no grandparent pair.
    parents, children = np.array([0, 1]), np.array([1, 0])
    trait = np.ones(2, dtype=bool)
    assert len(sampling.relative_pairs(parents, children, trait, np.arange(2), Relative.GRANDPARENT, 100)) == 0
    pc = sampling.relative_pairs(parents, children, trait, np.arange(2), Relative.PARENT_CHILD, 100)
    assert len(pc) == 100 and (pc[:, 0] != pc[:, 1]).all()


def test_resemblance_is_deterministic_for_a_seed():
    con = _tiny()
    one = res.resemblance(con, TextTrait.CARDS, draws=300, seed=5)
    assert one.equals(res.resemblance(con, TextTrait.CARDS, draws=300, seed=5))
    a = sampling.sample_pairs(con, TextTrait.METADATA, draws=300, seed=5)[Relative.RANDOM]
    b = sampling.sample_pairs(con, TextTrait.METADATA, draws=300, seed=6)[Relative.RANDOM]
    assert not a.equals(b)
    assert list(one.columns) == ["relative", "measure", "mean", "ci_low", "ci_high", "n", "distinct_pairs"]
    assert list(zip(one.relative, one.measure)) == [(r.value, m.value) for r in Relative for m in Measure]


def test_a_bundle_without_cards_gives_empty_card_results():
    df = res.resemblance(_tiny(with_cards=False), TextTrait.CARDS, draws=100)
    assert (df["n"] == 0).all() and df[["mean", "ci_low", "ci_high"]].isna().all().all()
    ref = res.with_reference(df, TextTrait.CARDS)
    assert ref.loc[(ref.relative == "siblings") & (ref.measure == "tfidf"), "reference"].item() == 0.893


def test_compare_two_models():
    con = _tiny()
    c = res.compare(con, "a", "c")
    assert c.card_a == CARDS["a"][:512] and c.card_b is None  # c's card is auto-generated
    assert set(c.similarity) == {TextTrait.METADATA}
    assert c.similarity[TextTrait.METADATA][Measure.LEVENSHTEIN] == txt.levenshtein_similarity(c.metadata_a, c.metadata_b)
    diff = c.fields.set_index("field")
    assert not diff.loc["tags", "same"] and diff.loc["licenses", "same"] and diff.loc["tags", "value_a"] == "transformers, tag-a"
    both = res.compare(con, "a", "b")
    assert 0 < both.similarity[TextTrait.CARDS][Measure.LEVENSHTEIN] < 1
    assert res.compare(con, "a", "no/such-model") is None


# --- the real family trees (1,983 models with their cards) ------------------------------------------------------------

@pytest.fixture(scope="module")
def family_trees(family_trees_bundle):
    con = connect(open_bundle(family_trees_bundle))
    return con, {t: res.resemblance(con, t).set_index(["relative", "measure"]) for t in TextTrait}


def test_family_trees_every_class_is_drawn(family_trees):
    _, results = family_trees
    for df in results.values():
        assert (df["n"] == 5000).all()


def test_family_trees_siblings_beat_parent_child_on_all_six(family_trees):
    # The study's finding: siblings are far more alike than a parent and its child (mutations are fast and directed).
    _, results = family_trees
    for df in results.values():
        for m in Measure:
            sib, pc = df.loc[("siblings", m.value)], df.loc[("parent-child", m.value)]
            assert sib["ci_low"] > pc["ci_high"] + 0.1, m


def test_family_trees_siblings_are_the_most_alike_class(family_trees):
    _, results = family_trees
    for df in results.values():
        for m in Measure:
            means = df.xs(m.value, level="measure")["mean"]
            assert means.idxmax() == "siblings"


def test_family_trees_relatives_beat_random_in_metadata_words(family_trees):
    # Every related class shares more metadata terms than a random pair does. Levenshtein does not show it here:
    # a parent's metadata is often much longer than its child's, so its edit distance is large.
    # The great-grandparent class is 38 distinct pairs here, drawn 5,000 times: too few to speak for the relation.
    _, results = family_trees
    df = results[TextTrait.METADATA]
    assert df.loc[("great-grandparent-grandchild", "bow"), "distinct_pairs"] < 100
    for m in (Measure.BOW, Measure.TFIDF):
        random_high = df.loc[("random", m.value), "ci_high"]
        for r in Relative:
            if r is not Relative.RANDOM and df.loc[(r.value, m.value), "distinct_pairs"] >= 100:
                assert df.loc[(r.value, m.value), "ci_low"] > random_high, (r, m)


def test_family_trees_parent_and_child_cards_share_words(family_trees):
    _, results = family_trees
    df = results[TextTrait.CARDS]
    for m in (Measure.BOW, Measure.TFIDF):
        assert df.loc[("parent-child", m.value), "ci_low"] > df.loc[("random", m.value), "ci_high"]


def test_one_vocabulary_per_bundle_stored_read_and_used_everywhere(family_trees_bundle):
    con = connect(open_bundle(family_trees_bundle))
    stored = {t: res.bundle_vectorisers(con, t) for t in TextTrait}
    con.execute("DROP TABLE vectorisers")
    fitted = {t: res.bundle_vectorisers(con, t) for t in TextTrait}  # fitted again, as precompute fits them
    for t in TextTrait:
        assert stored[t].terms == fitted[t].terms and len(stored[t].terms) == 512
        np.testing.assert_array_equal(stored[t].idf, fitted[t].idf)
    parent, child = con.execute("SELECT parent, child FROM edges WHERE parent_in_snapshot ORDER BY child LIMIT 1").fetchone()
    assert res.compare(con, parent, child, vectorisers=stored).similarity == res.compare(con, parent, child).similarity


def test_a_scope_selects_pairs_never_the_vocabulary():
    # Family s has one parent-child pair: its class mean is that pair's score, as Compare gives it.
    con = _tiny()
    df = res.resemblance(con, TextTrait.METADATA, EdgeScope(model="s"), draws=50).set_index(["relative", "measure"])
    pair = res.compare(con, "s", "t").similarity[TextTrait.METADATA]
    for m in Measure:
        assert math.isclose(df.loc[("parent-child", m.value), "mean"], pair[m], rel_tol=1e-12), m
    whole = res.bundle_vectorisers(con, TextTrait.METADATA)
    scope_only = res.fit_vectorisers(txt.texts_of(con, TextTrait.METADATA, ["s", "t"]))
    assert whole.terms != scope_only.terms


def test_distinct_pairs_beside_the_draws():
    df = res.resemblance(_tiny(), TextTrait.METADATA, draws=400).drop_duplicates("relative").set_index("relative")
    assert df.loc["great-grandparent-grandchild", ["n", "distinct_pairs"]].tolist() == [400, 1]
    assert df.loc["siblings", "distinct_pairs"] == 4 and df.loc["parent-child", "distinct_pairs"] == len(FINETUNE)


def test_findings_by_hand():
    rows = [("random", "bow", 0.30, 0.28, 0.32), ("parent-child", "bow", 0.50, 0.48, 0.52),
            ("siblings", "bow", 0.70, 0.68, 0.72), ("aunt-niece", "bow", 0.31, 0.25, 0.37),
            ("random", "tfidf", 0.20, 0.18, 0.22), ("parent-child", "tfidf", 0.60, 0.58, 0.62),
            ("siblings", "tfidf", 0.55, 0.53, 0.57), ("grandparent-grandchild", "tfidf", 0.10, 0.05, 0.15)]
    df = pd.DataFrame(rows, columns=["relative", "measure", "mean", "ci_low", "ci_high"]).assign(n=100)
    df.loc[len(df)] = ["great-grandparent-grandchild", "bow", float("nan"), float("nan"), float("nan"), 0]  # no pairs
    f = res.findings(df)
    assert set(f.related) == {("parent-child", "bow"), ("siblings", "bow"), ("aunt-niece", "bow"),
                              ("parent-child", "tfidf"), ("siblings", "tfidf"), ("grandparent-grandchild", "tfidf")}
    assert set(f.above_random) == set(f.related) - {("grandparent-grandchild", "tfidf")}
    assert ("aunt-niece", "bow") not in f.clear_of_random and ("siblings", "bow") in f.clear_of_random
    assert f.sibling_measures == ("bow", "tfidf") and f.siblings_win == ("bow",)
