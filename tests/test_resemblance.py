import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from core import resemblance as res
from core.bundle import connect, open_bundle
from core.lineage import Relation
from core.resemblance import Measure, Relative, TextTrait
from core.scope import EdgeScope

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
        "model_id": ids, "author": "someone", "family": [FAMILY[m] for m in ids],
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
    assert math.isclose(res.levenshtein_similarity("kitten", "sitting"), 1 - 3 / 7)
    assert res.levenshtein_similarity("", "") == 1.0
    assert res.levenshtein_similarity("abc", "") == 0.0
    assert res.levenshtein_similarity("same", "same") == 1.0


def test_bow_and_tfidf_cosines_by_hand():
    # Vocabulary: cat, fish, red, "red cat", "red fish". Each text holds three terms and shares only "red".
    v = res.fit_vectorisers(["red fish", "red cat"])
    s = res.pair_similarities(["red fish"], ["red cat"], v)
    assert math.isclose(s[Measure.BOW][0], 1 / 3)
    idf_rare = math.log(3 / 2) + 1  # smoothed idf of a term in one of two texts; "red" has idf 1
    assert math.isclose(s[Measure.TFIDF][0], 1 / (1 + 2 * idf_rare ** 2))
    assert math.isclose(s[Measure.LEVENSHTEIN][0], res.levenshtein_similarity("red fish", "red cat"))
    same = res.pair_similarities(["red fish"], ["red fish"], v)
    assert all(math.isclose(same[m][0], 1.0) for m in Measure)


def test_bootstrap_ci_contains_the_mean_and_shrinks_with_n():
    rng = np.random.default_rng(1)
    small, large = rng.random(100), rng.random(10_000)
    lo_s, hi_s = res.bootstrap_ci(small)
    lo_l, hi_l = res.bootstrap_ci(large)
    assert lo_s < small.mean() < hi_s and lo_l < large.mean() < hi_l
    assert (hi_l - lo_l) < (hi_s - lo_s) / 5  # width goes as 1/sqrt(n): 10× here
    assert res.bootstrap_ci(small, seed=3) == res.bootstrap_ci(small, seed=3)
    assert all(math.isnan(x) for x in res.bootstrap_ci(np.empty(0)))


def test_metadata_text_order_and_what_it_leaves_out():
    row = {"model_id": "org/secret-name", "author": "org", "downloads": 7, "tags": ["b", "a"], "licenses": ["mit"],
           "pipeline_tag": "text-generation", "library_name": None, "languages": np.array(["English", "French"])}
    text = res.metadata_text(row)
    assert text.splitlines() == ["pipeline_tag: text-generation", "library_name: ", "licenses: mit",
                                 "languages: English, French", "datasets: ", "arxiv: ", "tags: b, a"]
    assert "secret" not in text and "org" not in text and "7" not in text


# --- sampling ----------------------------------------------------------------------------------------------------------

def test_every_sampled_pair_is_a_true_relative_and_every_relative_is_drawn():
    con = _tiny()
    pairs = res.sample_pairs(con, TextTrait.METADATA, draws=3000)
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
    pairs = res.sample_pairs(_tiny(), TextTrait.METADATA, draws=5000)[Relative.SIBLINGS]
    share = np.mean([frozenset(p) == {"a1", "a2"} for p in zip(pairs["a"], pairs["b"])])
    assert abs(share - 1 / 4) < 0.03  # r has 3 child pairs, a has 1


def test_card_pairs_only_join_models_with_a_qualifying_card():
    pairs = res.sample_pairs(_tiny(), TextTrait.CARDS, draws=2000)
    assert _pairs(pairs[Relative.PARENT_CHILD]) == {("r", "a"), ("r", "b"), ("a", "a1"), ("a1", "x")}
    assert _pairs(pairs[Relative.SIBLINGS], ordered=False) == {frozenset(("a", "b"))}
    assert _pairs(pairs[Relative.GRANDPARENT]) == {("r", "a1"), ("a", "x")}
    assert _pairs(pairs[Relative.AUNT_NIECE]) == {("b", "a1")}
    assert _pairs(pairs[Relative.GREAT_GRANDPARENT]) == {("r", "x")}
    assert set(pairs[Relative.RANDOM].stack()) == {"r", "a", "b", "a1", "x"}


def test_scope_restricts_pairs_and_random_models():
    con = _tiny()
    s = res.sample_pairs(con, TextTrait.METADATA, EdgeScope(family="s"), draws=500)
    assert _pairs(s[Relative.PARENT_CHILD]) == {("s", "t")}
    assert _pairs(s[Relative.RANDOM], ordered=False) == {frozenset(("s", "t"))}
    assert all(len(s[r]) == 0 for r in (Relative.SIBLINGS, Relative.GRANDPARENT, Relative.AUNT_NIECE))
    adapter = res.sample_pairs(con, TextTrait.METADATA, EdgeScope(relation=Relation.ADAPTER), draws=50)
    assert _pairs(adapter[Relative.PARENT_CHILD]) == {("r", "z")}
    task = res.sample_pairs(con, TextTrait.METADATA, EdgeScope(task="fill-mask"), draws=50)
    assert _pairs(task[Relative.PARENT_CHILD]) == {("s", "t")}
    df = res.resemblance(con, TextTrait.METADATA, EdgeScope(family="s"), draws=200)
    assert df.loc[df.relative == "siblings", "n"].eq(0).all() and df.loc[df.relative == "siblings", "mean"].isna().all()


def test_relative_pairs_skip_cycles():
    # a ⇄ b: the only two-step paths return to where they started, so there is no grandparent pair.
    parents, children = np.array([0, 1]), np.array([1, 0])
    trait = np.ones(2, dtype=bool)
    assert len(res.relative_pairs(parents, children, trait, np.arange(2), Relative.GRANDPARENT, 100)) == 0
    pc = res.relative_pairs(parents, children, trait, np.arange(2), Relative.PARENT_CHILD, 100)
    assert len(pc) == 100 and (pc[:, 0] != pc[:, 1]).all()


def test_resemblance_is_deterministic_for_a_seed():
    con = _tiny()
    one = res.resemblance(con, TextTrait.CARDS, draws=300, seed=5)
    assert one.equals(res.resemblance(con, TextTrait.CARDS, draws=300, seed=5))
    a = res.sample_pairs(con, TextTrait.METADATA, draws=300, seed=5)[Relative.RANDOM]
    b = res.sample_pairs(con, TextTrait.METADATA, draws=300, seed=6)[Relative.RANDOM]
    assert not a.equals(b)
    assert list(one.columns) == ["relative", "measure", "mean", "ci_low", "ci_high", "n"]
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
    assert c.similarity[TextTrait.METADATA][Measure.LEVENSHTEIN] == res.levenshtein_similarity(c.metadata_a, c.metadata_b)
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


def test_sql_metadata_text_matches_python(family_trees):
    con, _ = family_trees
    rows = con.execute(f"SELECT model_id, {', '.join(res.METADATA_FIELDS)} FROM models USING SAMPLE 300 ROWS (reservoir, 1)").df()
    assert res._texts(con, TextTrait.METADATA, rows["model_id"]) == [res.metadata_text(r) for r in rows.to_dict("records")]


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
    _, results = family_trees
    df = results[TextTrait.METADATA]
    for m in (Measure.BOW, Measure.TFIDF):
        random_high = df.loc[("random", m.value), "ci_high"]
        for r in Relative:
            if r is not Relative.RANDOM:
                assert df.loc[(r.value, m.value), "ci_low"] > random_high, (r, m)


def test_family_trees_parent_and_child_cards_share_words(family_trees):
    _, results = family_trees
    df = results[TextTrait.CARDS]
    for m in (Measure.BOW, Measure.TFIDF):
        assert df.loc[("parent-child", m.value), "ci_low"] > df.loc[("random", m.value), "ci_high"]


def test_compare_with_cached_vectorisers_matches_fitting_each_time(family_trees_bundle):
    con = connect(open_bundle(family_trees_bundle))
    parent, child = con.execute("SELECT parent, child FROM edges WHERE parent_in_snapshot ORDER BY child LIMIT 1").fetchone()
    fitted = res.bundle_vectorisers(con)
    assert set(fitted) == {res.TextTrait.METADATA, res.TextTrait.CARDS}
    assert res.compare(con, parent, child, vectorisers=fitted).similarity == res.compare(con, parent, child).similarity


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
