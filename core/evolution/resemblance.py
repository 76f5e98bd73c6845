"""Family resemblance (ANALYSES.md §3): how alike are the metadata and cards of related models?

Pairs of models are drawn by their relation in one lineage graph (finetune
edges unless the ``EdgeScope`` names another relation), then compared by
Levenshtein similarity and by bag-of-words and TF-IDF cosine. Sampling runs on
integer node indices with numpy, so the whole Hub listing takes seconds; texts
are only built for the models that are drawn or that fit the vectorisers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from core.bundle import arrow_rows, pandas_rows
from core.evolution.reference import RESEMBLANCE
from core.evolution.sampling import edge_population, index_pairs
from core.evolution.texts import (LIST_FIELDS, METADATA_FIELDS, RECORD_COLUMNS, field_values, has_cards,
                                  metadata_text, record_shape, render_field, texts_of, trait_sql)
from core.evolution.traits import Measure, Relative, TextTrait
from core.lineage import EdgeScope

__all__ = ["Vectorisers", "Comparison", "Findings", "FIT_SAMPLE", "bootstrap_ci", "fit_vectorisers", "pair_similarities",
           "resemblance", "with_reference", "compare", "bundle_vectorisers", "vectorisers_table", "findings", "stored_resemblance"]

NGRAMS = (1, 2)
MAX_FEATURES = 512






# --- measures --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Vectorisers:
    """Bag-of-words counts and TF-IDF weights (unigrams + bigrams, 512 features) of one trait, as plain data.

    ``terms`` are the vocabulary in column order and ``idf`` their smoothed inverse document frequencies, so a
    bundle stores them (vectorisers.parquet) and every page, the report and Compare score a pair alike.
    """

    terms: tuple[str, ...]
    idf: np.ndarray

    def transform(self, texts: Sequence[str]):
        """Row-normalised BoW and TF-IDF matrices of ``texts`` (a zero row stays zero); as sklearn's
        CountVectorizer + TfidfTransformer fitted on the same corpus would give."""
        from sklearn.feature_extraction.text import CountVectorizer
        from sklearn.preprocessing import normalize

        counts = CountVectorizer(ngram_range=NGRAMS, vocabulary={t: i for i, t in enumerate(self.terms)},
                                 dtype=np.float64).transform(texts)
        return normalize(counts), normalize(counts.multiply(self.idf).tocsr())


def fit_vectorisers(texts: Sequence[str]) -> Vectorisers:
    """Fit the BoW vocabulary (the 512 most frequent uni- and bigrams) and the IDF weights on ``texts``.

    BoW and TF-IDF share the vocabulary, as sklearn's TfidfVectorizer with the same settings would choose it, but
    for ties at the cut: sklearn orders them by an unstable argsort whose order differs between CPUs (numpy's
    SIMD sort on AVX-512 machines), which moved the demo's card means by up to 2.6e-4; here the alphabetically
    first terms win, on every machine. Raises ValueError when no text has a word of two letters.
    """
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

    counts = CountVectorizer(ngram_range=NGRAMS, dtype=np.float64)
    matrix = counts.fit_transform(texts).tocsc()
    names = counts.get_feature_names_out()  # alphabetical, the column order
    frequency = np.asarray(matrix.sum(axis=0)).ravel()  # sums of integers: exact
    keep = np.sort(np.lexsort((np.arange(len(names)), -frequency))[:MAX_FEATURES])
    matrix = matrix[:, keep].tocsr()
    return Vectorisers(tuple(names[keep].tolist()), TfidfTransformer().fit(matrix).idf_)


FIT_SAMPLE = 100_000
"""Texts of a trait the vectorisers are fitted on: a seeded sample over the whole bundle. On the Hub listing (760k
records) fitting on all of them took 16 s against 4.5 s and moved no mean by more than 0.005, under half a CI."""


def _fit_corpus(con, trait: TextTrait, size: int = FIT_SAMPLE, seed: int = 0) -> list[str]:
    """The corpus a trait's vectorisers are fitted on: a seeded sample of ``size`` of all the bundle's texts of it
    (never a scope's: the vocabulary is the bundle's, scoping only selects pairs)."""
    ids = arrow_rows(con, f"SELECT model_id FROM models m WHERE {trait_sql(con, trait, 'm')} ORDER BY model_id")
    ids = ids["model_id"].combine_chunks()
    if len(ids) > size:
        ids = ids.take(pa.array(np.sort(np.random.default_rng([seed, len(Relative)]).choice(len(ids), size, replace=False))))
    return texts_of(con, trait, ids.to_pylist())


def bundle_vectorisers(con, trait: TextTrait) -> Vectorisers | None:
    """The trait's vectorisers of this bundle: read from its vectorisers table, else fitted as precompute fits them
    (same sample, same seed, so the same numbers); None when the trait has no text to fit on."""
    trait = TextTrait(trait)
    stored = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'vectorisers'").fetchone()[0]
    if stored:
        rows = arrow_rows(con, "SELECT term, idf FROM vectorisers WHERE trait = ? ORDER BY position", [trait.value])
        if rows.num_rows:
            return Vectorisers(tuple(rows["term"].to_pylist()), rows["idf"].to_numpy())
        return None
    corpus = _fit_corpus(con, trait) if trait is TextTrait.METADATA or has_cards(con) else []
    try:
        return fit_vectorisers(corpus) if corpus else None
    except ValueError:  # no word of two letters in any text: no vocabulary
        return None


def vectorisers_table(fitted: Mapping[TextTrait, Vectorisers | None]) -> pa.Table:
    """Fitted vectorisers as the rows of vectorisers.parquet: trait, position, term, idf."""
    items = [(t, v) for t, v in fitted.items() if v is not None]
    return pa.table({
        "trait": pa.array([t.value for t, v in items for _ in v.terms], pa.string()),
        "position": pa.array([i for _, v in items for i in range(len(v.terms))], pa.int32()),
        "term": pa.array([term for _, v in items for term in v.terms], pa.string()),
        "idf": pa.array(np.concatenate([v.idf for _, v in items]) if items else np.empty(0), pa.float64()),
    })


def _row_cosines(x, y) -> np.ndarray:
    """Cosine of matching rows of two row-normalised sparse matrices (0 when a row has no known term)."""
    return np.clip(np.asarray(x.multiply(y).sum(axis=1)).ravel(), 0.0, 1.0)  # rounding can pass 1


def _indexed_cosines(matrix, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosines of rows ``a[i]`` and ``b[i]``; NaN when nothing could be vectorised (``matrix`` None)."""
    return np.full(len(a), np.nan) if matrix is None else _row_cosines(matrix[a], matrix[b])


def _levenshtein_many(a: Sequence[str], b: Sequence[str]) -> np.ndarray:
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cpdist

    if not len(a):
        return np.empty(0)
    return cpdist(list(a), list(b), scorer=Levenshtein.normalized_similarity, dtype=np.float64, workers=1)


def pair_similarities(texts_a: Sequence[str], texts_b: Sequence[str],
                      vectorisers: Vectorisers) -> dict[Measure, np.ndarray]:
    """Each measure for each pair ``(texts_a[i], texts_b[i])``."""
    if not len(texts_a):
        return {m: np.empty(0) for m in Measure}
    bow_a, tfidf_a = vectorisers.transform(texts_a)
    bow_b, tfidf_b = vectorisers.transform(texts_b)
    return {Measure.LEVENSHTEIN: _levenshtein_many(texts_a, texts_b), Measure.BOW: _row_cosines(bow_a, bow_b),
            Measure.TFIDF: _row_cosines(tfidf_a, tfidf_b)}


def bootstrap_ci(values: np.ndarray, resamples: int = 1000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (NaNs when there are none)."""
    values = np.asarray(values, dtype=np.float64)
    if not len(values):
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(resamples, len(values)))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def resemblance(con, trait: TextTrait, scope: EdgeScope = EdgeScope(), draws: int = 5000, seed: int = 0,
                resamples: int = 1000, vectorisers: Vectorisers | None = None) -> pd.DataFrame:
    """Mean similarity of each relative class under each measure, with a bootstrap 95% CI.

    One row per (relative, measure), in enum order: ``relative``, ``measure`` (enum values as strings), ``mean``,
    ``ci_low``, ``ci_high``, ``n`` (pairs drawn) and ``distinct_pairs`` (different pairs among them: a small class is
    drawn many times over, and its interval then describes those few pairs only); n is 0 with NaNs when the class
    is empty, e.g. cards in a bundle without cards. BoW and TF-IDF use the bundle's vectorisers of the trait
    (``bundle_vectorisers``, or the ones given): a scope selects the pairs, never the vocabulary.
    """
    trait = TextTrait(trait)
    if trait is TextTrait.CARDS and not has_cards(con):  # a listing without cards: no pair to draw
        pairs = {r: np.empty((0, 2), dtype=np.int64) for r in Relative}
        population = None
    else:
        population = edge_population(con, trait, scope)
        pairs = index_pairs(population, draws, seed)

    drawn = np.unique(np.concatenate([p.ravel() for p in pairs.values()]))
    rows = []
    if len(drawn):
        texts = texts_of(con, trait, population.ids(drawn))
        fitted = vectorisers if vectorisers is not None else bundle_vectorisers(con, trait)
        bow, tfidf = fitted.transform(texts) if fitted is not None else (None, None)
    for relative, pair in pairs.items():
        if len(pair):
            a, b = np.searchsorted(drawn, pair[:, 0]), np.searchsorted(drawn, pair[:, 1])
            scores = {Measure.LEVENSHTEIN: _levenshtein_many([texts[i] for i in a], [texts[i] for i in b]),
                      Measure.BOW: _indexed_cosines(bow, a, b), Measure.TFIDF: _indexed_cosines(tfidf, a, b)}
            symmetric = relative in (Relative.RANDOM, Relative.SIBLINGS)
            ends = np.sort(pair, axis=1) if symmetric else pair
            distinct = len(np.unique(ends[:, 0] * (int(drawn.max()) + 1) + ends[:, 1]))
        else:
            scores, distinct = {m: np.empty(0) for m in Measure}, 0
        for measure in Measure:
            values = scores[measure]
            low, high = bootstrap_ci(values, resamples=resamples, seed=seed)
            rows.append({"relative": relative.value, "measure": measure.value,
                         "mean": float(values.mean()) if len(values) else float("nan"),
                         "ci_low": low, "ci_high": high, "n": len(values), "distinct_pairs": distinct})
    return pd.DataFrame(rows, columns=["relative", "measure", "mean", "ci_low", "ci_high", "n", "distinct_pairs"])


@dataclass(frozen=True)
class Findings:
    """§3's two findings over one resemblance table (rows with pairs only), cell by cell.

    ``related`` are the (relative, measure) cells compared with the random pair of the same measure;
    ``above_random`` those whose mean is higher, ``clear_of_random`` those whose 95% interval lies above
    random's. ``sibling_measures`` are the measures with both siblings and parent–child, ``siblings_win``
    those where siblings are more alike.
    """

    related: tuple[tuple[str, str], ...]
    above_random: tuple[tuple[str, str], ...]
    clear_of_random: tuple[tuple[str, str], ...]
    sibling_measures: tuple[str, ...]
    siblings_win: tuple[str, ...]


def findings(df: pd.DataFrame) -> Findings:
    """The findings of a ``resemblance`` table: do relatives beat random pairs, do siblings beat parent–child?"""
    ok = df[df["n"] > 0].set_index(["relative", "measure"])
    rnd = Relative.RANDOM.value
    measures = [m.value for m in Measure if (rnd, m.value) in ok.index]
    related = tuple((r.value, m) for r in Relative if r is not Relative.RANDOM for m in measures
                    if (r.value, m) in ok.index)
    above = tuple(c for c in related if ok.loc[c, "mean"] > ok.loc[(rnd, c[1]), "mean"])
    clear = tuple(c for c in related if ok.loc[c, "ci_low"] > ok.loc[(rnd, c[1]), "ci_high"])
    sib, pc = Relative.SIBLINGS.value, Relative.PARENT_CHILD.value
    both = tuple(m.value for m in Measure if (sib, m.value) in ok.index and (pc, m.value) in ok.index)
    wins = tuple(m for m in both if ok.loc[(sib, m), "mean"] > ok.loc[(pc, m), "mean"])
    return Findings(related, above, clear, both, wins)


def with_reference(df: pd.DataFrame, trait: TextTrait) -> pd.DataFrame:
    """``df`` from ``resemblance`` with the study's mean of each row as ``reference``."""
    trait = TextTrait(trait)
    reference = [RESEMBLANCE.get((trait, Relative(r), Measure(m)), float("nan"))
                 for r, m in zip(df["relative"], df["measure"])]
    return df.assign(reference=reference)


# --- two models side by side -----------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Comparison:
    """Two models' texts, their similarity under each measure, and which metadata fields differ."""

    model_a: str
    model_b: str
    metadata_a: str
    metadata_b: str
    card_a: str | None  # None when the model has no qualifying card
    card_b: str | None
    similarity: dict[TextTrait, dict[Measure, float]]  # a trait is absent when either model lacks it
    fields: pd.DataFrame  # field, value_a, value_b, same


def _same(field: str, a, b) -> bool:
    if field in LIST_FIELDS:
        return set(field_values(a)) == set(field_values(b))  # the order of a list on the Hub means nothing
    return render_field(field, a) == render_field(field, b)


def compare(con, a: str, b: str, vectorisers: Mapping[TextTrait, Vectorisers | None] | None = None) -> Comparison | None:
    """Models ``a`` and ``b`` side by side; None when either id is not in the bundle (as family.load_family).

    BoW and TF-IDF use the bundle's vectorisers of each trait (pass them, e.g. cached per bundle, or they are
    read with ``bundle_vectorisers``), the same that score the relative classes.
    """
    columns = ", ".join(dict.fromkeys(METADATA_FIELDS + RECORD_COLUMNS))
    rows = arrow_rows(con, f"SELECT {columns}, {trait_sql(con, TextTrait.CARDS, 'm')} AS card_ok "
                      "FROM models m WHERE model_id IN (?, ?)", [a, b]).to_pylist()
    record = {r["model_id"]: r for r in rows}
    if not {a, b} <= set(record):
        return None
    ra, rb = record[a], record[b]
    meta = (metadata_text(ra, record_shape(con)), metadata_text(rb, record_shape(con)))
    cards = tuple(texts_of(con, TextTrait.CARDS, [m])[0] if record[m]["card_ok"] else None for m in (a, b))

    similarity = {}
    for trait, (ta, tb) in ((TextTrait.METADATA, meta), (TextTrait.CARDS, cards)):
        if ta is None or tb is None:
            continue
        fitted = vectorisers[trait] if vectorisers is not None and trait in vectorisers else bundle_vectorisers(con, trait)
        if fitted is None:
            continue
        scores = pair_similarities([ta], [tb], fitted)
        similarity[trait] = {m: float(v[0]) for m, v in scores.items()}

    fields = pd.DataFrame([{"field": f, "value_a": render_field(f, ra.get(f)), "value_b": render_field(f, rb.get(f)),
                            "same": _same(f, ra.get(f), rb.get(f))} for f in METADATA_FIELDS])
    return Comparison(a, b, meta[0], meta[1], cards[0], cards[1], similarity, fields)


def stored_resemblance(con, trait: TextTrait) -> pd.DataFrame | None:
    """The whole bundle's resemblance of ``trait`` as precompute stored it (resemblance.parquet), or None."""
    if not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'resemblance'").fetchone()[0]:
        return None
    df = pandas_rows(con, "SELECT relative, measure, mean, ci_low, ci_high, n, distinct_pairs FROM resemblance "
                          "WHERE trait = ? ORDER BY rowid", [TextTrait(trait).value])
    return df if len(df) else None
