"""What family resemblance compares: a model's metadata record as one string, or its card's start, and Levenshtein."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from core.bundle import SourceShape, arrow_rows
from core.evolution.definitions import PLACEHOLDER_CREATED, is_study
from core.evolution.traits import TextTrait
from core.ingest.cards import COMPARED_CHARS

__all__ = ["METADATA_FIELDS", "LIST_FIELDS", "RECORD_FIELDS", "RECORD_COLUMNS", "TYPED_PARENTS", "levenshtein_similarity",
           "field_values", "render_field", "metadata_text", "record_shape", "has_cards", "trait_sql", "texts_of"]


METADATA_FIELDS: tuple[str, ...] = (
    "pipeline_tag", "library_name", "licenses", "languages", "datasets", "arxiv", "tags")
"""The fields the Compare tab lines up side by side."""



LIST_FIELDS = frozenset({"licenses", "languages", "datasets", "arxiv", "tags"})



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



RECORD_COLUMNS = ("model_id", "author", "likes", "downloads", "tags", "pipeline_tag", "library_name", "created_at",
                   "licenses", "arxiv", "datasets", "languages")



def levenshtein_similarity(a: str, b: str) -> float:
    """``1 − distance / max(len)``, 1.0 for two empty strings (rapidfuzz, C++).

    >>> round(levenshtein_similarity("kitten", "sitting"), 4)
    0.5714
    """
    from rapidfuzz.distance import Levenshtein

    return float(Levenshtein.normalized_similarity(a, b))



def field_values(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if v is not None]



def render_field(field: str, value) -> str:
    if field in LIST_FIELDS:
        return ", ".join(field_values(value))
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
    tags = field_values(row.get("tags"))
    date = _hub_date(row.get("created_at"))
    if SourceShape(shape) is SourceShape.LISTING:
        return json.dumps({"id": row.get("model_id"), "author": row.get("author"), "createdAt": date,
                           "downloads": _int(row.get("downloads")), "likes": _int(row.get("likes")),
                           "library_name": row.get("library_name"), "pipeline_tag": row.get("pipeline_tag"),
                           "tags": tags})
    typed: dict[str, list[str]] = {t: [] for t in TYPED_PARENTS}
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
        "createdAt": date, "regions": str(regions), "licenses": str(field_values(row.get("licenses"))),
        "arxiv_papers": str(field_values(row.get("arxiv"))), "datasets": str(field_values(row.get("datasets"))),
        "parent_model": str(untyped), **{f"{t}_parent": str(typed[t]) for t in TYPED_PARENTS},
        "languages": str(field_values(row.get("languages"))),
    })



def record_shape(con) -> SourceShape:
    """The shape of the snapshot behind ``con`` (its ``bundle_facts``; the dataset's when unknown)."""
    known = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'bundle_facts'").fetchone()[0]
    shape = con.execute("SELECT source_shape FROM bundle_facts").fetchone()[0] if known else None
    return SourceShape(shape) if shape in {s.value for s in SourceShape} else SourceShape.DATASET



def has_cards(con) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'cards'").fetchone()[0] > 0



def trait_sql(con, trait: TextTrait, alias: str = "m") -> str:
    """SQL boolean: the model row ``alias`` has the trait (fixed fragment)."""
    if TextTrait(trait) is TextTrait.METADATA:
        return "TRUE"
    if not has_cards(con):
        return "FALSE"
    return (f"(coalesce({alias}.has_card, FALSE) AND coalesce({alias}.card_length, 0) >= {COMPARED_CHARS} "
            f"AND NOT coalesce({alias}.card_auto_generated, FALSE))")



def texts_of(con, trait: TextTrait, model_ids: Sequence[str]) -> list[str]:
    """The trait's text of each model, in the order given (the models must have the trait)."""
    ids = list(model_ids)
    if not ids:
        return []
    if TextTrait(trait) is TextTrait.METADATA:
        rows = arrow_rows(con, f"SELECT {', '.join(RECORD_COLUMNS)} FROM models "
                          "WHERE model_id IN (SELECT unnest(?::VARCHAR[]))", [ids]).to_pylist()
        shape = record_shape(con)
        if is_study(con):  # the raw record: the placeholder date the bundle blanks comes back (PITFALLS.md)
            rows = [{**r, "created_at": r["created_at"] or pd.Timestamp(PLACEHOLDER_CREATED)} for r in rows]
        found = {r["model_id"]: metadata_text(r, shape) for r in rows}
    else:
        found = dict(con.execute(f"SELECT model_id, substring(card, 1, {COMPARED_CHARS}) FROM cards "
                                 "WHERE model_id IN (SELECT unnest(?::VARCHAR[]))", [ids]).fetchall())
    return [found[i] for i in ids]


TYPED_PARENTS = ("finetune", "quantized", "adapter", "merge")
