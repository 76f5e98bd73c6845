"""The browser's file format for the map: raw little-endian arrays of points and masks, hover facts in JSON chunks,
written atomically under the static folder so the page fetches them without a round trip to Python.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa

__all__ = ["write_array", "write_bytes", "short_label", "interleave", "mask_bits", "FAMILY_LEVEL", "HOVER_CHUNK",
           "hover_chunks"]


def write_array(path: Path, values: np.ndarray, dtype) -> int:
    """Write ``values`` as raw little-endian ``dtype`` (atomically); returns bytes written."""
    write_bytes(path, np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<")).tobytes())
    return path.stat().st_size



def write_bytes(path: Path, blob: bytes) -> None:
    """Write ``blob`` to ``path`` atomically: two sessions may write the same file at once, and neither may see
    half of it (each writes a temporary name of its own, then renames)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(blob)
    os.replace(tmp, path)



def short_label(label: str, terms: int | None = None) -> str:
    """A map label with model ids without their namespace (``org/Name`` → ``Name``), its first ``terms`` terms.

    >>> short_label("meta-llama/Llama-2-7b · gguf · text-generation", 2)
    'Llama-2-7b · gguf'
    """
    return " · ".join(t.rsplit("/", 1)[-1] for t in str(label).split(" · ")[:terms])



def interleave(*columns: np.ndarray) -> np.ndarray:
    """Columns side by side in one flat array (x0, y0, x1, y1, …), the layout of a deck.gl binary attribute."""
    return np.stack(columns, axis=1).ravel()



def mask_bits(rows: np.ndarray, order: np.ndarray) -> bytes:
    """Which drawn points match, one bit each in draw order (bit ``i & 7`` of byte ``i >> 3``)."""
    shown = np.zeros(len(order), dtype=bool)
    shown[np.asarray(rows, dtype=np.int64)] = True
    return np.packbits(shown[order], bitorder="little").tobytes()



FAMILY_LEVEL = 3  # map labels: levels 0-2 are the cluster hierarchy, this one the roots of the largest families



HOVER_CHUNK = 1024  # points a hover file holds: ~0.1 MB of JSON, fetched the first time a point in it is hovered



def hover_chunks(table: pa.Table, order: np.ndarray, chunk: int = HOVER_CHUNK):
    """(index, JSON bytes) of each hover file: ``table``'s rows in draw order, ``chunk`` at a time, as columns."""
    import json

    ordered = table.take(pa.array(order)).combine_chunks()  # one take, then zero-copy slices (a take a chunk: 40x slower)
    for i, start in enumerate(range(0, len(order), chunk)):
        part = ordered.slice(start, chunk)
        yield i, json.dumps({c: part[c].to_pylist() for c in part.column_names}, separators=(",", ":"),
                            ensure_ascii=True, default=str).encode()
