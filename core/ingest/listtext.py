"""List columns: Python-list text such as ``"['a', 'b']"`` or real Arrow lists, to Arrow lists.

The Hub dataset stores list columns as the text of a Python list. Most values
are simple enough to split with vectorised string kernels; the rest go through
``ast.literal_eval`` and, when that fails, count as malformed and become empty.
"""

from __future__ import annotations

import ast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["MISSING_TEXT", "as_string_lists", "explode", "collect"]

_SIMPLE = r"^\['[^'\\\\\"]*'(, '[^'\\\\\"]*')*\]$"
LIST_OF_STRINGS = pa.list_(pa.string())
MISSING_TEXT = pa.array(["None", "nan", "NaN", "null"])  # how pandas and JSON dumps spell a missing value
_EMPTY = pa.array(["[]", ""])


def _parse_one(text: str) -> list[str] | None:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v is not None]
    return None


def as_string_lists(column: pa.ChunkedArray | pa.Array) -> tuple[pa.ListArray, int]:
    """Return ``column`` as ``list<string>`` and the number of malformed values.

    Nulls, missing-value text (``"None"``) and malformed values become empty lists, so no row is lost; only
    the malformed ones are counted.
    """
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
        arr = arr.cast(LIST_OF_STRINGS)
        return pc.if_else(pc.is_null(arr), pa.scalar([], LIST_OF_STRINGS), arr), 0
    if pa.types.is_null(arr.type):
        return pa.array([[]] * len(arr), LIST_OF_STRINGS), 0
    text = pc.utf8_trim_whitespace(arr.cast(pa.string()))
    n = len(text)
    empty = pc.or_(pc.is_null(text), pc.or_(pc.is_in(text, value_set=_EMPTY),
                                            pc.is_in(text, value_set=MISSING_TEXT))).to_numpy(zero_copy_only=False)
    simple = pc.fill_null(pc.match_substring_regex(text, _SIMPLE), False).to_numpy(zero_copy_only=False)
    simple &= ~empty
    out: list = [None] * n
    malformed = 0
    # Fast path, vectorised.
    idx_simple = np.flatnonzero(simple)
    parsed_simple = pc.split_pattern(pc.utf8_slice_codeunits(text.take(idx_simple), 2, -2), "', '")
    # Slow path, per value.
    idx_slow = np.flatnonzero(~simple & ~empty)
    slow_values = []
    for s in text.take(idx_slow).to_pylist():
        v = _parse_one(s)
        if v is None:
            malformed += 1
            v = []
        slow_values.append(v)
    if len(idx_slow) == 0:
        # Common case: assemble without Python objects.
        lengths = np.zeros(n, dtype=np.int64)
        lengths[idx_simple] = pc.list_value_length(parsed_simple).to_numpy(zero_copy_only=False)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
        values = pc.list_flatten(parsed_simple)
        return pa.ListArray.from_arrays(pa.array(offsets), values), 0
    for i, v in zip(idx_simple.tolist(), parsed_simple.to_pylist()):
        out[i] = v
    for i, v in zip(idx_slow.tolist(), slow_values):
        out[i] = v
    for i in np.flatnonzero(empty).tolist():
        out[i] = []
    return pa.array(out, LIST_OF_STRINGS), malformed


def explode(lists: pa.ListArray) -> tuple[np.ndarray, pa.Array]:
    """Long form of a list column: (row index per value, values)."""
    rows = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False).astype(np.int64)
    return rows, pc.list_flatten(lists)


def collect(n: int, pieces: list[tuple[np.ndarray, pa.Array]]) -> pa.ListArray:
    """Rebuild a list column of ``n`` rows from long pieces, deduplicated, first occurrence first."""
    pieces = [(r, v) for r, v in pieces if len(r)]
    if not pieces:
        return pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, dtype=np.int32)), pa.array([], pa.string()))
    rows = np.concatenate([r for r, _ in pieces])
    values = pa.concat_arrays([v.cast(pa.string()) for _, v in pieces])
    valid = ~pc.is_null(values).to_numpy(zero_copy_only=False)
    valid &= pc.fill_null(pc.not_equal(values, ""), False).to_numpy(zero_copy_only=False)
    keep_pos = np.flatnonzero(valid)
    rows, values = rows[keep_pos], values.take(keep_pos)
    codes = pc.dictionary_encode(values).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    key = rows * (int(codes.max(initial=0)) + 1) + codes
    _, first = np.unique(key, return_index=True)
    first.sort()
    order = first[np.argsort(rows[first], kind="stable")]
    counts = np.bincount(rows[order], minlength=n)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values.take(order))
