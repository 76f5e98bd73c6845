"""Family resemblance (ANALYSES.md §3): how alike are the metadata and cards of related models?

Pairs of models are drawn by their relation in one lineage graph (finetune
edges unless the ``EdgeScope`` names another relation), then compared by
Levenshtein similarity and by bag-of-words and TF-IDF cosine. Sampling runs on
integer node indices with numpy, so the whole Hub listing takes seconds; texts
are only built for the models that are drawn or that fit the vectorisers.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.bundle import arrow_rows
from core.lineage import Relation
from core.scope import EdgeScope, edges_sql
from core.snapshot import SourceShape

__all__ = [
    "Relative", "TextTrait", "Measure", "METADATA_FIELDS", "CARD_EXCERPT", "REFERENCE", "Vectorisers", "Comparison",
    "levenshtein_similarity", "metadata_text", "card_excerpt", "bootstrap_ci", "relative_pairs", "sample_pairs",
    "fit_vectorisers", "pair_similarities", "resemblance", "with_reference", "compare", "bundle_vectorisers",
    "vectorisers_table", "FIT_SAMPLE", "RECORD_FIELDS", "record_shape",
    "Findings", "findings",
]

CARD_EXCERPT = 512  # characters of a card compared, and the minimum card length that qualifies
NGRAMS = (1, 2)
MAX_FEATURES = 512
_REJECTION_ROUNDS = 64


class Relative(str, Enum):
    """How the two models of a pair are related in the lineage graph."""

    RANDOM = "random"
    PARENT_CHILD = "parent-child"
    SIBLINGS = "siblings"
    GRANDPARENT = "grandparent-grandchild"
    AUNT_NIECE = "aunt-niece"
    GREAT_GRANDPARENT = "great-grandparent-grandchild"


class TextTrait(str, Enum):
    """The text of a model that is compared."""

    METADATA = "metadata"  # the metadata record as one string, see metadata_text
    CARDS = "cards"  # the first 512 characters of a card of ≥ 512 characters that is not auto-generated


class Measure(str, Enum):
    """How alike two texts are, from 0 (nothing shared) to 1 (identical)."""

    LEVENSHTEIN = "levenshtein"
    BOW = "bow"
    TFIDF = "tfidf"


METADATA_FIELDS: tuple[str, ...] = (
    "pipeline_tag", "library_name", "licenses", "languages", "datasets", "arxiv", "tags")
"""The fields the Compare tab lines up side by side."""
_LIST_FIELDS = frozenset({"licenses", "languages", "datasets", "arxiv", "tags"})

RECORD_FIELDS: dict[SourceShape, tuple[str, ...]] = {
    SourceShape.DATASET: (
        "model_id", "likes", "downloads", "tags", "pipeline_tag", "library_name", "createdAt", "regions", "licenses",
        "arxiv_papers", "datasets", "parent_model", "finetune_parent", "quantized_parent", "adapter_parent",
        "merge_parent", "languages"),
    SourceShape.LISTING: ("id", "author", "createdAt", "downloads", "likes", "library_name", "pipeline_tag", "tags"),
}
"""The metadata record the study compares, with the fields of the snapshot the bundle was built from. The study's
dataset (modelbiome/ai_ecosystem_withmodelcards): every column but the card, the crawl's bookkeeping
(ratelimit_retries, exception_raised) and two a bundle does not keep (trendingScore, a crawl-time score; private,
false for every public model); its list columns are Python-list text and derive from the tags. A Hub listing
(/api/models): its eight fields, tags a JSON list."""
_RECORD_COLUMNS = ("model_id", "author", "likes", "downloads", "tags", "pipeline_tag", "library_name", "created_at",
                   "licenses", "arxiv", "datasets", "languages")
_TYPED_PARENTS = ("finetune", "quantized", "adapter", "merge")


def _ref(metadata: tuple[float, float, float], cards: tuple[float, float, float]) -> dict:
    return {(t, m): v for t, values in ((TextTrait.METADATA, metadata), (TextTrait.CARDS, cards))
            for m, v in zip(Measure, values)}


_REFERENCE_ROWS = {
    Relative.RANDOM: _ref((.440, .437, .115), (.191, .193, .128)),
    Relative.PARENT_CHILD: _ref((.545, .700, .640), (.246, .484, .465)),
    Relative.SIBLINGS: _ref((.747, .856, .837), (.729, .878, .893)),
    Relative.GRANDPARENT: _ref((.553, .665, .578), (.223, .426, .411)),
    Relative.AUNT_NIECE: _ref((.592, .697, .586), (.287, .518, .476)),
    Relative.GREAT_GRANDPARENT: _ref((.601, .681, .588), (.252, .406, .380)),
}
REFERENCE: dict[tuple[TextTrait, Relative, Measure], float] = {
    (t, r, m): v for r, row in _REFERENCE_ROWS.items() for (t, m), v in row.items()}
"""The study's mean similarities (ANALYSES.md §3), keyed by (trait, relative, measure)."""


# --- texts -----------------------------------------------------------------------------------------------------------

def levenshtein_similarity(a: str, b: str) -> float:
    """``1 − distance / max(len)``, 1.0 for two empty strings (rapidfuzz, C++).

    >>> round(levenshtein_similarity("kitten", "sitting"), 4)
    0.5714
    """
    from rapidfuzz.distance import Levenshtein

    return float(Levenshtein.normalized_similarity(a, b))


def _values(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if v is not None]


def _render(field: str, value) -> str:
    if field in _LIST_FIELDS:
        return ", ".join(_values(value))
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _hub_date(value) -> str | None:
    """A timestamp as the dataset writes ``createdAt``: ``2025-07-11T00:55:12.000Z``."""
    if value is None or value != value:
        return None
    ts = pd.Timestamp(value)
    ts = ts.tz_convert("UTC") if ts.tzinfo else ts
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def _int(value):
    return None if value is None or value != value else int(value)


def metadata_text(row: Mapping, shape: SourceShape = SourceShape.DATASET) -> str:
    """A model's metadata record as the study compares it: ``json.dumps`` of the RECORD_FIELDS of ``shape``, values
    as that snapshot holds them (the dataset's list columns as the text of a Python list, ``"['a', 'b']"``).

    ``row`` holds the bundle's columns (``model_id``, ``author``, ``likes``, ``downloads``, ``tags``,
    ``pipeline_tag``, ``library_name``, ``created_at``, ``licenses``, ``arxiv``, ``datasets``, ``languages``); the
    dataset's regions and five parent columns are read from the tags, as the dataset derives them.
    """
    tags = _values(row.get("tags"))
    date = _hub_date(row.get("created_at"))
    if SourceShape(shape) is SourceShape.LISTING:
        return json.dumps({"id": row.get("model_id"), "author": row.get("author"), "createdAt": date,
                           "downloads": _int(row.get("downloads")), "likes": _int(row.get("likes")),
                           "library_name": row.get("library_name"), "pipeline_tag": row.get("pipeline_tag"),
                           "tags": tags})
    typed: dict[str, list[str]] = {t: [] for t in _TYPED_PARENTS}
    untyped, regions = [], []
    for tag in tags:
        if tag.startswith("base_model:"):
            rest = tag[len("base_model:"):]
            kind, _, parent = rest.partition(":")
            if kind in typed and parent:
                typed[kind].append(parent)
            else:
                untyped.append(rest)
        elif tag.startswith("region:"):
            regions.append(tag[len("region:"):])
    return json.dumps({
        "model_id": row.get("model_id"), "likes": _int(row.get("likes")), "downloads": _int(row.get("downloads")),
        "tags": str(tags), "pipeline_tag": row.get("pipeline_tag"), "library_name": row.get("library_name"),
        "createdAt": date, "regions": str(regions), "licenses": str(_values(row.get("licenses"))),
        "arxiv_papers": str(_values(row.get("arxiv"))), "datasets": str(_values(row.get("datasets"))),
        "parent_model": str(untyped), **{f"{t}_parent": str(typed[t]) for t in _TYPED_PARENTS},
        "languages": str(_values(row.get("languages"))),
    })


def record_shape(con) -> SourceShape:
    """The shape of the snapshot behind ``con`` (its ``bundle_facts``; the dataset's when unknown)."""
    known = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'bundle_facts'").fetchone()[0]
    shape = con.execute("SELECT source_shape FROM bundle_facts").fetchone()[0] if known else None
    return SourceShape(shape) if shape in {s.value for s in SourceShape} else SourceShape.DATASET


def card_excerpt(card: str) -> str:
    """The part of a card that is compared: its first CARD_EXCERPT characters."""
    return card[:CARD_EXCERPT]


def _has_cards(con) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'cards'").fetchone()[0] > 0


def _trait_sql(con, trait: TextTrait, alias: str = "m") -> str:
    """SQL boolean: the model row ``alias`` has the trait (fixed fragment)."""
    if TextTrait(trait) is TextTrait.METADATA:
        return "TRUE"
    if not _has_cards(con):
        return "FALSE"
    return (f"(coalesce({alias}.has_card, FALSE) AND coalesce({alias}.card_length, 0) >= {CARD_EXCERPT} "
            f"AND NOT coalesce({alias}.card_auto_generated, FALSE))")


def _texts(con, trait: TextTrait, model_ids: Sequence[str]) -> list[str]:
    """The trait's text of each model, in the order given (the models must have the trait)."""
    ids = list(model_ids)
    if not ids:
        return []
    if TextTrait(trait) is TextTrait.METADATA:
        rows = arrow_rows(con, f"SELECT {', '.join(_RECORD_COLUMNS)} FROM models "
                          "WHERE model_id IN (SELECT unnest(?::VARCHAR[]))", [ids]).to_pylist()
        shape = record_shape(con)
        found = {r["model_id"]: metadata_text(r, shape) for r in rows}
    else:
        found = dict(con.execute(f"SELECT model_id, substring(card, 1, {CARD_EXCERPT}) FROM cards "
                                 "WHERE model_id IN (SELECT unnest(?::VARCHAR[]))", [ids]).fetchall())
    return [found[i] for i in ids]


# --- sampling --------------------------------------------------------------------------------------------------------

class _Adjacency:
    """Edges grouped by source node (CSR), sorted by (source, target)."""

    def __init__(self, src: np.ndarray, dst: np.ndarray, n: int):
        order = np.lexsort((dst, src))
        self.n = n
        self.src, self.dst = src[order], dst[order]
        self.count = np.bincount(self.src, minlength=n).astype(np.int64)
        self.start = np.concatenate([[0], np.cumsum(self.count)[:-1]]).astype(np.int64)

    def pick(self, nodes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One random target of each node (every node must have one)."""
        return self.dst[self.start[nodes] + rng.integers(0, self.count[nodes])]

    def position(self, nodes: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Index of each (node, target) edge within its node's group (the edges must exist)."""
        keys = self.src.astype(np.int64) * self.n + self.dst
        return np.searchsorted(keys, nodes.astype(np.int64) * self.n + targets) - self.start[nodes]


def _weighted(weights: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Indices drawn with replacement, in proportion to integer weights."""
    cumulative = np.cumsum(weights.astype(np.int64))
    return np.searchsorted(cumulative, rng.integers(0, cumulative[-1], size=size), side="right")


def _two_distinct(count: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two distinct positions in ``[0, count)`` for each entry (count ≥ 2)."""
    i = rng.integers(0, count)
    j = rng.integers(0, count - 1)
    return i, j + (j >= i)


def _distinct_pairs(draw, size: int) -> np.ndarray:
    """``size`` pairs from ``draw(k) -> (a, b)``, redrawing pairs with a == b (only cycles make them).

    Pairs still equal after a bounded number of rounds are dropped, so n can fall a
    little short of ``size`` on graphs whose only paths are cycles.
    """
    a, b = draw(size)
    for _ in range(_REJECTION_ROUNDS):
        bad = np.flatnonzero(a == b)
        if not len(bad):
            break
        a[bad], b[bad] = draw(len(bad))
    keep = a != b
    return np.column_stack([a[keep], b[keep]])


def relative_pairs(parents: np.ndarray, children: np.ndarray, has_trait: np.ndarray, candidates: np.ndarray,
                   relative: Relative, draws: int, seed: int = 0) -> np.ndarray:
    """``draws`` pairs of node indices related as ``relative``, both with the trait, drawn with replacement.

    ``parents``/``children`` are the graph's distinct edges (no self-loops) over
    nodes ``0..len(has_trait)-1``; ``candidates`` are the nodes a random pair is
    drawn from. Every pair of the class is equally likely: siblings weight a
    parent by its k(k−1)/2 child pairs, paths weight a middle node or edge by the
    number of paths through it. Returns an (n, 2) array; n is 0 when the class is empty.
    """
    relative = Relative(relative)
    rng = np.random.default_rng([seed, list(Relative).index(relative)])
    empty = np.empty((0, 2), dtype=np.int64)
    parents, children = np.asarray(parents, dtype=np.int64), np.asarray(children, dtype=np.int64)
    trait = np.asarray(has_trait, dtype=bool)
    n = len(trait)

    if relative is Relative.RANDOM:
        pool = np.asarray(candidates, dtype=np.int64)
        pool = pool[trait[pool]]
        if len(pool) < 2:
            return empty
        i, j = _two_distinct(np.full(draws, len(pool)), rng)
        return np.column_stack([pool[i], pool[j]])

    if relative is Relative.PARENT_CHILD:
        both = np.flatnonzero(trait[parents] & trait[children])
        if not len(both):
            return empty
        e = both[rng.integers(0, len(both), size=draws)]
        return np.column_stack([parents[e], children[e]])

    down = _Adjacency(parents[trait[children]], children[trait[children]], n)  # children with the trait
    up = _Adjacency(children[trait[parents]], parents[trait[parents]], n)  # parents with the trait

    if relative is Relative.SIBLINGS:
        weights = down.count * (down.count - 1) // 2
        if weights.sum() == 0:
            return empty
        g = _weighted(weights, draws, rng)
        i, j = _two_distinct(down.count[g], rng)
        return np.column_stack([down.dst[down.start[g] + i], down.dst[down.start[g] + j]])

    if relative is Relative.GRANDPARENT:
        weights = up.count * down.count  # paths through each middle node
        if weights.sum() == 0:
            return empty

        def draw(k):
            b = _weighted(weights, k, rng)
            return up.pick(b, rng), down.pick(b, rng)

        return _distinct_pairs(draw, draws)

    if relative is Relative.AUNT_NIECE:
        # Over edges grandparent g → parent p: aunts are g's other children with the trait, nieces p's children.
        p_trait = trait[children].astype(np.int64)
        weights = (down.count[parents] - p_trait) * down.count[children]
        if weights.sum() == 0:
            return empty

        def draw(k):
            e = _weighted(weights, k, rng)
            g, p = parents[e], children[e]
            niece = down.pick(p, rng)
            j = rng.integers(0, down.count[g] - p_trait[e])
            skip = p_trait[e].astype(bool)
            j[skip] += j[skip] >= down.position(g[skip], p[skip])
            return down.dst[down.start[g] + j], niece

        return _distinct_pairs(draw, draws)

    if relative is Relative.GREAT_GRANDPARENT:
        weights = up.count[parents] * down.count[children]  # 3-step paths through each middle edge
        if weights.sum() == 0:
            return empty

        def draw(k):
            e = _weighted(weights, k, rng)
            return up.pick(parents[e], rng), down.pick(children[e], rng)

        return _distinct_pairs(draw, draws)
    raise ValueError(relative)


@dataclass(frozen=True, eq=False)
class _Population:
    model_ids: pa.Array  # every model, sorted (Arrow: no Python string per model); pairs index into it
    has_trait: np.ndarray
    candidates: np.ndarray  # indices of the scope's models (random pairs, vectoriser fit)
    parents: np.ndarray
    children: np.ndarray

    def ids(self, rows: np.ndarray) -> list[str]:
        """The model ids of ``rows`` (only these become Python strings)."""
        return self.model_ids.take(pa.array(np.asarray(rows, dtype=np.int64))).to_pylist()


def _population(con, trait: TextTrait, scope: EdgeScope) -> _Population:
    """Models, trait flags and the scope's graph: ``scope.relation`` edges, finetune ones when it names none."""
    models_cond, models_params = dataclasses.replace(scope, relation=None, min_confidence=None).where(edge="e", child="m")
    models = arrow_rows(con, f"SELECT m.model_id, {_trait_sql(con, trait, 'm')} AS has_trait, "
                         f"coalesce(({models_cond}), FALSE) AS in_scope FROM models m ORDER BY m.model_id", models_params)
    model_ids = models["model_id"].combine_chunks()
    has_trait = models["has_trait"].to_numpy().astype(bool)
    in_scope = models["in_scope"].to_numpy().astype(bool)

    edge_scope = scope if scope.relation else dataclasses.replace(scope, relation=Relation.FINETUNE)
    sql, params = edges_sql(edge_scope, columns="DISTINCT e.parent, e.child")
    edges = arrow_rows(con, sql, params)

    def index(column: str) -> np.ndarray:
        found = pc.index_in(edges[column], value_set=model_ids)
        return pc.fill_null(found, -1).to_numpy().astype(np.int64)

    parents, children = index("parent"), index("child")
    keep = (parents >= 0) & (children >= 0) & (parents != children)
    parents, children = parents[keep], children[keep]
    order = np.lexsort((children, parents))  # DuckDB's DISTINCT comes back in any order; the draws must not
    return _Population(model_ids, has_trait, np.flatnonzero(in_scope), parents[order], children[order])


def _index_pairs(population: _Population, draws: int, seed: int) -> dict[Relative, np.ndarray]:
    return {r: relative_pairs(population.parents, population.children, population.has_trait, population.candidates,
                              r, draws, seed) for r in Relative}


def sample_pairs(con, trait: TextTrait, scope: EdgeScope = EdgeScope(), draws: int = 5000,
                 seed: int = 0) -> dict[Relative, pd.DataFrame]:
    """The pairs ``resemblance`` compares: per relative, a frame of model ids ``a``, ``b`` (see relative_pairs)."""
    population = _population(con, TextTrait(trait), scope)
    return {r: pd.DataFrame({"a": population.ids(p[:, 0]), "b": population.ids(p[:, 1])})
            for r, p in _index_pairs(population, draws, seed).items()}


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
    ids = arrow_rows(con, f"SELECT model_id FROM models m WHERE {_trait_sql(con, trait, 'm')} ORDER BY model_id")
    ids = ids["model_id"].combine_chunks()
    if len(ids) > size:
        ids = ids.take(pa.array(np.sort(np.random.default_rng([seed, len(Relative)]).choice(len(ids), size, replace=False))))
    return _texts(con, trait, ids.to_pylist())


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
    corpus = _fit_corpus(con, trait) if trait is TextTrait.METADATA or _has_cards(con) else []
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
    if trait is TextTrait.CARDS and not _has_cards(con):  # a listing without cards: no pair to draw
        pairs = {r: np.empty((0, 2), dtype=np.int64) for r in Relative}
        population = None
    else:
        population = _population(con, trait, scope)
        pairs = _index_pairs(population, draws, seed)

    drawn = np.unique(np.concatenate([p.ravel() for p in pairs.values()]))
    rows = []
    if len(drawn):
        texts = _texts(con, trait, population.ids(drawn))
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
    reference = [REFERENCE.get((trait, Relative(r), Measure(m)), float("nan"))
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
    if field in _LIST_FIELDS:
        return set(_values(a)) == set(_values(b))  # the order of a list on the Hub means nothing
    return _render(field, a) == _render(field, b)


def compare(con, a: str, b: str, vectorisers: Mapping[TextTrait, Vectorisers | None] | None = None) -> Comparison | None:
    """Models ``a`` and ``b`` side by side; None when either id is not in the bundle (as family.load_family).

    BoW and TF-IDF use the bundle's vectorisers of each trait (pass them, e.g. cached per bundle, or they are
    read with ``bundle_vectorisers``), the same that score the relative classes.
    """
    columns = ", ".join(dict.fromkeys(METADATA_FIELDS + _RECORD_COLUMNS))
    rows = arrow_rows(con, f"SELECT {columns}, {_trait_sql(con, TextTrait.CARDS, 'm')} AS card_ok "
                      "FROM models m WHERE model_id IN (?, ?)", [a, b]).to_pylist()
    record = {r["model_id"]: r for r in rows}
    if not {a, b} <= set(record):
        return None
    ra, rb = record[a], record[b]
    meta = (metadata_text(ra, record_shape(con)), metadata_text(rb, record_shape(con)))
    cards = tuple(_texts(con, TextTrait.CARDS, [m])[0] if record[m]["card_ok"] else None for m in (a, b))

    similarity = {}
    for trait, (ta, tb) in ((TextTrait.METADATA, meta), (TextTrait.CARDS, cards)):
        if ta is None or tb is None:
            continue
        fitted = vectorisers[trait] if vectorisers is not None and trait in vectorisers else bundle_vectorisers(con, trait)
        if fitted is None:
            continue
        scores = pair_similarities([ta], [tb], fitted)
        similarity[trait] = {m: float(v[0]) for m, v in scores.items()}

    fields = pd.DataFrame([{"field": f, "value_a": _render(f, ra.get(f)), "value_b": _render(f, rb.get(f)),
                            "same": _same(f, ra.get(f), rb.get(f))} for f in METADATA_FIELDS])
    return Comparison(a, b, meta[0], meta[1], cards[0], cards[1], similarity, fields)
