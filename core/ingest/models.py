"""The canonical models table: one row per model, whatever the source looked like.

Normalisation keeps every valid row. Problems with single rows (malformed list
text, duplicate ids, bad numbers or dates, enormous or control-character card
text) are counted by kind in ``Normalized.warnings`` instead of failing.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.bundle import SourceShape
from core.errors import SourceError
from core.ingest.cards import MAX_CARD_CHARS
from core.ingest.languages import canonical_languages, language_names
from core.ingest.listtext import MISSING_TEXT, as_string_lists, collect, explode
from core.ingest.snapshot import Snapshot, SnapshotReader, open_snapshot
from core.lineage import RELATION_PRIORITY, tag_signals

__all__ = ["Normalized", "normalize", "MODEL_COLUMNS", "PLACEHOLDER_DATE", "MAX_CARD_CHARS", "card_features"]

PLACEHOLDER_DATE = "2022-03-02"  # models migrated to the Hub then carry this date; it is not their creation date
AUTO_GENERATED = r"(?i)(automatically generated|generated automatically)"
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"

MODEL_COLUMNS = (
    "model_id", "author", "created_at", "downloads", "likes", "pipeline_tag", "library_name",
    "licenses", "languages", "datasets", "arxiv", "tags", "has_card", "card_length", "card_auto_generated",
    "license_name",
)
# Column names of the same field across listing shapes, preferred first: the 2022 Hub API wrote ``modelId``,
# ``creation_time`` and ``task_category`` (and ``has_modelcard``) where today's writes ``id``, ``createdAt`` and
# ``pipeline_tag``; its ``has_modelcard`` and ``task_domain`` are not read.
_DATE_COLUMNS = ("createdAt", "created_at", "creation_time")
_PIPELINE_COLUMNS = ("pipeline_tag", "task_category")
_PARENT_COLUMNS = {"parent_model": 0} | {f"{r.value}_parent": i + 1 for i, r in enumerate(RELATION_PRIORITY)}


@dataclass(frozen=True)
class Normalized:
    """A canonical models table plus the lineage mentions found while reading it."""

    models: pa.Table
    mention_child: np.ndarray  # row index of a child mentioning a parent
    mention_parent: pa.Array  # parent id as written
    mention_code: np.ndarray  # 0 untyped, 1..4 declared (see lineage.RELATION_PRIORITY)
    signals: dict[str, np.ndarray | pa.Array]
    cards: pa.Table | None  # None when the source has no cards or they went to a card sink
    warnings: Counter = field(default_factory=Counter)
    n_cards: int | None = None  # models with a card row; None when the source has no card column
    dropped_rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))  # later duplicates, source order


def _text(table: pa.Table, name: str, n: int) -> pa.Array:
    """A string column with empty values as null (absent columns are all null)."""
    if name not in table.column_names:
        return pa.nulls(n, pa.string())
    arr = table[name].combine_chunks()
    if pa.types.is_null(arr.type):
        return pa.nulls(n, pa.string())
    arr = arr.cast(pa.string())
    empty = pc.equal(pc.utf8_length(arr), 0)
    return pc.if_else(empty, pa.scalar(None, pa.string()), arr) if pc.any(empty).as_py() else arr


def _count(table: pa.Table, name: str, n: int, warnings: Counter) -> pa.Array:
    """A non-negative int64 count column; unparseable and negative values become null and are counted, typed or text."""
    if name not in table.column_names:
        return pa.nulls(n, pa.int64())
    arr = table[name].combine_chunks()
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        num = arr.cast(pa.float64())  # typed values pass the same range check as text ones
    else:
        text = pc.utf8_trim_whitespace(arr.cast(pa.string()))
        ok = pc.fill_null(pc.match_substring_regex(text, r"^-?\d+(\.\d*)?([eE]\d+)?$"), False)
        bad = pc.sum(pc.and_(pc.invert(ok), pc.is_valid(text))).as_py() or 0
        if bad:
            warnings[f"bad_{name}"] += bad
        num = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())
    out_of_range = pc.fill_null(pc.or_(pc.invert(pc.is_finite(num)), pc.or_(pc.less(num, 0), pc.greater(num, 9e18))), False)
    if n_out := pc.sum(out_of_range).as_py():
        warnings[f"bad_{name}"] += n_out
        num = pc.if_else(out_of_range, pa.scalar(None, pa.float64()), num)
    return pc.cast(pc.floor(num), pa.int64())


_ISO = (r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[T ](?P<hm>\d{2}:\d{2})(?::(?P<s>\d{2}))?(?:[.,](?P<frac>\d+))?)?"
        r"\s*(?P<tz>[Zz]|UTC|[+-]\d{2}(?::?\d{2})?)?$")


_HUB_FORMAT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$"


def parse_timestamps(text: pa.Array) -> pa.Array:
    """ISO 8601 text to UTC ``timestamp[ms]``, the one date parser for every source format.

    Takes a date alone, a time with or without seconds and fraction, and a ``Z``
    or ``±hh[:mm]`` offset (none means UTC): ``2023-01-01T10:00:00+02:00`` is
    08:00 UTC. Anything else, or an impossible date, becomes null.
    """
    text = pc.utf8_trim_whitespace(text.cast(pa.string()))
    canonical = pc.match_substring_regex(text, _HUB_FORMAT)
    if pc.all(canonical).as_py() is not False:  # the Hub's own format (nulls aside): Arrow's cast parses it
        try:
            return pc.cast(text, pa.timestamp("ms", tz="UTC"))
        except pa.ArrowInvalid:  # an impossible date such as 02-30: the general path nulls it
            pass
    parts = pc.extract_regex(text, _ISO)
    field = {name: pc.struct_field(parts, name) for name in ("date", "hm", "s", "frac", "tz")}
    hm = pc.if_else(pc.equal(field["hm"], ""), "00:00", field["hm"])
    sec = pc.if_else(pc.equal(field["s"], ""), "00", field["s"])
    local = pc.strptime(pc.binary_join_element_wise(pc.binary_join_element_wise(field["date"], hm, "T"), sec, ":"),
                        format="%Y-%m-%dT%H:%M:%S", unit="ms", error_is_null=True)
    ms = local.cast(pa.int64()).to_numpy(zero_copy_only=False).astype(np.float64)
    frac = pc.utf8_slice_codeunits(pc.binary_join_element_wise(field["frac"], "000", ""), 0, 3)
    ms += pc.fill_null(pc.cast(frac, pa.int64(), safe=False), 0).to_numpy(zero_copy_only=False)
    tz = pc.fill_null(pc.replace_substring(field["tz"], ":", ""), "")
    sign = np.where(pc.starts_with(tz, "-").to_numpy(zero_copy_only=False), -1, 1)
    offset_text = pc.utf8_slice_codeunits(pc.binary_join_element_wise(pc.utf8_slice_codeunits(tz, 1, 5), "0000", ""), 0, 4)
    digits = pc.match_substring_regex(offset_text, r"^\d{4}$").to_numpy(zero_copy_only=False)
    hhmm = np.where(digits, pc.cast(pc.if_else(pa.array(digits), offset_text, "0000"), pa.int64()).to_numpy(zero_copy_only=False), 0)
    ms -= sign * (hhmm // 100 * 60 + hhmm % 100) * 60_000
    # strptime rolls 2023-02-30 over to March: a date that does not print back as written is impossible.
    valid = pc.fill_null(pc.equal(pc.strftime(local, format="%Y-%m-%d"), field["date"]), False).to_numpy(zero_copy_only=False)
    return pa.array(np.where(valid, ms, 0).astype(np.int64), pa.timestamp("ms", tz="UTC"), mask=~valid)


def _created_at(table: pa.Table, name: str, n: int, warnings: Counter) -> pa.Array:
    """UTC timestamps; missing, unparseable and 2022-03-02 placeholder dates become null."""
    utc = pa.timestamp("ms", tz="UTC")
    if name not in table.column_names:
        warnings["missing_date"] += n
        return pa.nulls(n, utc)
    arr = table[name].combine_chunks()
    if pa.types.is_timestamp(arr.type):
        ts = arr.cast(pa.timestamp("ms", tz="UTC")) if arr.type.tz else pc.assume_timezone(arr.cast(pa.timestamp("ms")), "UTC")
        missing = arr.null_count
    else:
        text = pc.utf8_trim_whitespace(arr.cast(pa.string()))
        ts = parse_timestamps(text)
        blank = pc.fill_null(pc.equal(text, ""), True)
        missing = pc.sum(blank).as_py() or 0
        if bad := (pc.sum(pc.and_(pc.is_null(ts), pc.invert(blank))).as_py() or 0):
            warnings["bad_date"] += bad
    if missing:
        warnings["missing_date"] += missing
    day = pc.cast(pc.cast(ts, pa.timestamp("ms")), pa.date32())
    placeholder = pc.fill_null(pc.equal(day, pa.scalar(datetime.date.fromisoformat(PLACEHOLDER_DATE), pa.date32())), False)
    n_ph = pc.sum(placeholder).as_py() or 0
    if n_ph:
        warnings["placeholder_date"] += n_ph
    return pc.if_else(placeholder, pa.scalar(None, utc), ts)


def card_features(cards: pa.Array, pool=None) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(has_card, card_length, card_auto_generated) as the study defines them: a card is longer than 3 characters.

    With an executor ``pool``, the auto-generated scan runs beside the length count.
    """
    auto = pool.submit(pc.match_substring_regex, cards, AUTO_GENERATED) if pool else None
    length = pc.utf8_length(cards)
    has = pc.fill_null(pc.greater(length, 3), False)
    auto = pc.fill_null(auto.result() if auto else pc.match_substring_regex(cards, AUTO_GENERATED), False)
    return has, pc.fill_null(length, 0).cast(pa.int64()), pc.and_(auto, has)


def _first_column(table: pa.Table, names: tuple[str, ...]) -> str:
    """The first of ``names`` the table has (else the first, read as absent)."""
    return next((c for c in names if c in table.column_names), names[0])


def _cards(table: pa.Table, ids: pa.Array, warnings: Counter):
    name = next((c for c in ("modelCard", "card", "card_text", "readme") if c in table.column_names), None)
    if name is None:
        n = len(ids)
        return pa.nulls(n, pa.bool_()), pa.nulls(n, pa.int64()), pa.nulls(n, pa.bool_()), None, None
    text = table[name].combine_chunks().cast(pa.string())
    # pandas writes a missing card as the text "None": that is no card, not a 4-character one.
    text = pc.if_else(pc.fill_null(pc.is_in(text, value_set=MISSING_TEXT), False), pa.scalar(None, pa.string()), text)
    # The three scans of the card text run at once: Arrow's kernels release the GIL.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        control = pool.submit(lambda: pc.fill_null(pc.match_substring_regex(text, _CONTROL), False))
        has, length, auto = card_features(text, pool)
        control = control.result()
    if n_ctrl := pc.sum(control).as_py():
        warnings["card_control_characters"] += n_ctrl
        text = pc.replace_substring_regex(text, _CONTROL, "")
    long = pc.fill_null(pc.greater(length, MAX_CARD_CHARS), False)
    if n_long := pc.sum(long).as_py():
        warnings["card_truncated"] += n_long
        text = pc.if_else(long, pc.utf8_slice_codeunits(text, 0, MAX_CARD_CHARS), text)
    present = pc.is_valid(text)
    cards = pa.table({"model_id": ids.filter(present), "card": text.filter(present)})
    return has, length, auto, cards, np.flatnonzero(present.to_numpy(zero_copy_only=False))


_LICENSE_NAME = r"(?m)^license_name:[ \t]*[\"']?(?P<name>[^\"'\r\n#]+?)[\"']?[ \t]*(?:#.*)?$"


def _card_license_names(licenses: pa.ListArray, cards: pa.Table | None, card_rows: np.ndarray | None,
                        n: int) -> pa.Array:
    """For models licensed "other", the ``license_name`` their card's YAML header gives (lowercase), else null:
    the Hub's way of naming a custom license, which the license rules can then read."""
    out = pa.nulls(n, pa.string())
    if cards is None or not len(card_rows):
        return out
    rows, values = explode(licenses)
    other = np.zeros(n, dtype=bool)
    other[rows[pc.equal(values, "other").to_numpy(zero_copy_only=False)]] = True
    pick = np.flatnonzero(other[card_rows])
    if not len(pick):
        return out
    head = pc.utf8_slice_codeunits(cards["card"].combine_chunks().take(pa.array(pick)), 0, 4000)
    header = pc.if_else(pc.starts_with(head, "---"), head, pa.scalar(None, pa.string()))  # YAML front matter only
    found = pc.struct_field(pc.extract_regex(header, _LICENSE_NAME), "name")
    names = np.full(n, None, dtype=object)
    names[card_rows[pick]] = pc.utf8_lower(pc.utf8_trim_whitespace(found)).to_pylist()
    return pa.array(names, pa.string())


def _prefixed(rows: np.ndarray, flat: pa.Array, prefix: str) -> tuple[np.ndarray, pa.Array]:
    mask = pc.fill_null(pc.starts_with(flat, prefix), False)
    m = mask.to_numpy(zero_copy_only=False)
    return rows[m], pc.utf8_slice_codeunits(flat.filter(mask), len(prefix))


def normalize(snapshot: Snapshot | SnapshotReader,
              card_sink: Callable[[pa.Table, np.ndarray], None] | None = None) -> Normalized:
    """Normalise a raw snapshot into the canonical models table and lineage mentions.

    A :class:`SnapshotReader` is normalised batch by batch: only the models table
    (no card text) and the lineage mentions are kept; each batch's cards go to
    ``card_sink(cards, rows)`` (e.g. a parquet writer; ``rows`` numbers the cards'
    models in source order, before duplicates are dropped) when given, else they
    are collected into ``Normalized.cards``. Duplicate ids keep their first
    occurrence; ones that recur in a later batch are dropped once every batch is
    read (one hash of all ids, not one per batch) and listed in ``dropped_rows``.
    """
    reader = open_snapshot(snapshot, batch_rows=None) if isinstance(snapshot, Snapshot) else snapshot
    warnings: Counter = Counter()
    parts: list[_Batch] = []
    offset, n_cards, card_column = 0, 0, False
    for raw in reader.batches():
        part = _normalize_batch(raw, reader.shape, warnings)
        if part.cards is not None:
            card_column = True
            rows = part.card_rows + offset
            if card_sink is not None:
                card_sink(part.cards, rows)
                part = replace(part, cards=None)
            part = replace(part, card_rows=rows)
        parts.append(replace(part, mention_child=part.mention_child + offset))
        offset += part.models.num_rows
    if reader.skipped_rows:
        warnings["unparseable_rows"] += reader.skipped_rows
    if reader.repaired_rows:
        warnings["invalid_utf8_rows"] += reader.repaired_rows
    if not parts:
        raise SourceError(f"{reader.source} has no rows")
    models = pa.concat_tables([p.models for p in parts])
    if not models.num_rows:
        raise SourceError(f"{reader.source}: no row has a model id ({warnings['missing_id']:,} rows without one)")
    mention_child = np.concatenate([p.mention_child for p in parts])
    mention_parent = pa.concat_arrays([p.mention_parent for p in parts])
    mention_code = np.concatenate([p.mention_code for p in parts])
    signals = {k: (pa.concat_arrays([p.signals[k] for p in parts]) if isinstance(parts[0].signals[k], pa.Array)
                   else np.concatenate([p.signals[k] for p in parts])) for k in parts[0].signals}
    with_cards = [p for p in parts if p.cards is not None]
    cards = pa.concat_tables([p.cards for p in with_cards]) if with_cards else None
    card_rows = np.concatenate([p.card_rows for p in parts if p.card_rows is not None]) if card_column else None

    dropped = np.empty(0, dtype=np.int64)
    if len(parts) > 1:  # within a batch, duplicates are already gone
        codes = pc.dictionary_encode(models["model_id"].combine_chunks()).indices.to_numpy(zero_copy_only=False)
        _, first = np.unique(codes, return_index=True)
        if len(first) < len(codes):
            keep = np.zeros(len(codes), dtype=bool)
            keep[first] = True
            dropped = np.flatnonzero(~keep)
            warnings["duplicate_id"] += len(dropped)
            new_row = np.cumsum(keep) - 1
            mention_keep = keep[mention_child]
            mention_child = new_row[mention_child[mention_keep]]
            mention_parent = mention_parent.filter(pa.array(mention_keep))
            mention_code = mention_code[mention_keep]
            signals = {k: (v.filter(pa.array(keep)) if isinstance(v, pa.Array) else v[keep]) for k, v in signals.items()}
            models = models.filter(pa.array(keep))
            if card_rows is not None:
                card_keep = keep[card_rows]
                if cards is not None:
                    cards = cards.filter(pa.array(card_keep))
                n_cards = int(card_keep.sum())
    if card_rows is not None and not len(dropped):
        n_cards = len(card_rows)
    return Normalized(
        models=models,
        mention_child=mention_child,
        mention_parent=mention_parent,
        mention_code=mention_code,
        signals=signals,
        cards=cards,
        warnings=warnings,
        n_cards=n_cards if card_column else None,
        dropped_rows=dropped,
    )


@dataclass(frozen=True)
class _Batch:
    models: pa.Table
    mention_child: np.ndarray
    mention_parent: pa.Array
    mention_code: np.ndarray
    signals: dict
    cards: pa.Table | None
    card_rows: np.ndarray | None  # row of each card's model in the batch


def _normalize_batch(t: pa.Table, shape: SourceShape, warnings: Counter) -> _Batch:
    """One batch of raw rows to canonical models, mentions (row numbers within the batch) and cards."""
    id_col = "model_id" if shape is SourceShape.DATASET else ("id" if "id" in t.column_names else "modelId")
    ids = pc.utf8_trim_whitespace(_text(t, id_col, t.num_rows))
    # Rows without an id cannot be anything; duplicates keep their first occurrence.
    valid = pc.fill_null(pc.not_equal(ids, ""), False).to_numpy(zero_copy_only=False)
    if (missing := int((~valid).sum())):
        warnings["missing_id"] += missing
    codes = pc.dictionary_encode(ids).indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(np.where(valid, codes, -1), return_index=True)
    keep = np.zeros(t.num_rows, dtype=bool)
    keep[first] = True
    keep &= valid
    if (dups := int(valid.sum() - keep.sum())):
        warnings["duplicate_id"] += dups
    if not keep.all():
        mask = pa.array(keep)
        t, ids = t.filter(mask), ids.filter(mask)
    n = t.num_rows

    tags, bad = as_string_lists(t["tags"]) if "tags" in t.column_names else (pa.array([[]] * n, pa.list_(pa.string())), 0)
    if bad:
        warnings["malformed_list:tags"] += bad
    rows, flat = explode(tags)
    flat_lower = pc.utf8_lower(flat)

    def from_column(name: str) -> list[tuple[np.ndarray, pa.Array]]:
        if name not in t.column_names:
            return []
        lists, nbad = as_string_lists(t[name])
        if nbad:
            warnings[f"malformed_list:{name}"] += nbad
        return [explode(lists)]

    licenses = collect(n, [_prefixed(rows, flat, "license:"), *from_column("licenses")])
    datasets = collect(n, [_prefixed(rows, flat, "dataset:"), *from_column("datasets")])
    arxiv = collect(n, [_prefixed(rows, flat, "arxiv:"), *from_column("arxiv_papers"), *from_column("arxiv")])
    names = language_names()
    is_lang = pc.is_in(flat, pa.array(list(names))).to_numpy(zero_copy_only=False)
    lang_names = pc.take(pa.array(list(names.values())), pc.index_in(flat.filter(pa.array(is_lang)), pa.array(list(names))))
    languages = collect(n, [(rows[is_lang], lang_names),
                            *((r, canonical_languages(v)) for r, v in from_column("languages"))])

    # Lineage mentions: base_model:X (untyped), base_model:<type>:X (declared), and parent columns.
    m_rows, m_vals = _prefixed(rows, flat, "base_model:")
    m_code = np.zeros(len(m_rows), dtype=np.int8)
    for i, rel in enumerate(RELATION_PRIORITY):
        typed = pc.fill_null(pc.starts_with(m_vals, rel.value + ":"), False).to_numpy(zero_copy_only=False)
        m_code[typed] = i + 1
    typed_prefix = "^(" + "|".join(r.value for r in RELATION_PRIORITY) + "):"
    m_vals = pc.replace_substring_regex(m_vals, typed_prefix, "", max_replacements=1)
    child_parts, parent_parts, code_parts = [m_rows], [m_vals], [m_code]
    for col, code in _PARENT_COLUMNS.items():
        for r, v in from_column(col):
            child_parts.append(r)
            parent_parts.append(v)
            code_parts.append(np.full(len(r), code, dtype=np.int8))

    has_card, card_length, card_auto, cards, card_rows = _cards(t, ids, warnings)
    license_name = _card_license_names(licenses, cards, card_rows, n)
    author = _text(t, "author", n)
    pipeline_tag = _text(t, _first_column(t, _PIPELINE_COLUMNS), n)
    if "pipeline_tag" not in t.column_names and "task_category" in t.column_names:  # 2022 wrote no task as "unknown"
        pipeline_tag = pc.if_else(pc.fill_null(pc.equal(pipeline_tag, "unknown"), False),
                                  pa.scalar(None, pa.string()), pipeline_tag)
    if author.null_count:
        author = pc.coalesce(author, pc.if_else(pc.match_substring(ids, "/"), pc.list_element(pc.split_pattern(ids, "/", max_splits=1), 0), pa.scalar(None, pa.string())))
    models = pa.table({
        "model_id": ids,
        "author": author,
        "created_at": _created_at(t, _first_column(t, _DATE_COLUMNS), n, warnings),
        "downloads": pc.fill_null(_count(t, "downloads", n, warnings), 0),
        "likes": pc.fill_null(_count(t, "likes", n, warnings), 0),
        "pipeline_tag": pipeline_tag,
        "library_name": _text(t, "library_name", n),
        "licenses": licenses,
        "languages": languages,
        "datasets": datasets,
        "arxiv": arxiv,
        "tags": tags,
        "has_card": has_card,
        "card_length": card_length,
        "card_auto_generated": card_auto,
        "license_name": license_name,
    })
    signals = {
        **tag_signals(n, rows, flat_lower),
        "library": models["library_name"].combine_chunks(),
        "pipeline_tag": models["pipeline_tag"].combine_chunks(),
    }
    return _Batch(
        models=models,
        mention_child=np.concatenate(child_parts).astype(np.int64),
        mention_parent=pa.concat_arrays([p.cast(pa.string()) for p in parent_parts]),
        mention_code=np.concatenate(code_parts),
        signals=signals,
        cards=cards,
        card_rows=card_rows,
    )
