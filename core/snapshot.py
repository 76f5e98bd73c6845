"""Reading a Hub snapshot from wherever it lives into one Arrow table.

This is the only module that reads sources: a Hub dataset id (through
``datasets.load_dataset``), a local CSV or parquet in the shape of
``modelbiome/ai_ecosystem_withmodelcards``, or a Hub API listing as parquet,
JSON or JSONL. The shape is detected from the columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import pyarrow as pa

from core.errors import SourceError

__all__ = ["DEFAULT_DATASET", "SourceShape", "Snapshot", "read_snapshot", "detect_shape"]

DEFAULT_DATASET = "modelbiome/ai_ecosystem_withmodelcards"


class SourceShape(str, Enum):
    """The two record layouts Phylo understands."""

    DATASET = "dataset"  # model_id + derived list columns (+ modelCard)
    LISTING = "listing"  # Hub /api/models: id, author, createdAt, ..., tags


@dataclass(frozen=True)
class Snapshot:
    """A raw snapshot table plus what was learnt while reading it."""

    table: pa.Table
    shape: SourceShape
    source: str
    skipped_rows: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)


def detect_shape(columns: list[str]) -> SourceShape:
    """Tell the layout from the column names; raise if there is no model id."""
    cols = set(columns)
    if "model_id" in cols:
        return SourceShape.DATASET
    if "id" in cols or "modelId" in cols:
        return SourceShape.LISTING
    raise SourceError(
        "missing required column: no model id ('model_id' for the dataset shape, 'id' for a Hub listing); "
        f"found {sorted(cols)[:12]}"
    )


def _drop_index_columns(table: pa.Table) -> pa.Table:
    """Drop a leading unnamed index column as pandas writes it."""
    drop = [c for c in table.column_names if c in ("", "Unnamed: 0", "__index_level_0__", "index")]
    return table.drop_columns(drop) if drop else table


def _read_csv(path: Path) -> tuple[pa.Table, int]:
    from pyarrow import csv

    skipped = 0

    def skip(_row) -> str:
        nonlocal skipped
        skipped += 1
        return "skip"

    import csv as pycsv

    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        header = next(pycsv.reader(fh), [])
    if not header:
        raise SourceError(f"{path} has no header row")
    # Every column as text: types are fixed during normalisation, where bad values are counted
    # instead of failing the whole file on one odd row.
    table = csv.read_csv(
        path,
        read_options=csv.ReadOptions(block_size=1 << 26),
        parse_options=csv.ParseOptions(newlines_in_values=True, invalid_row_handler=skip),
        convert_options=csv.ConvertOptions(
            column_types={name: pa.string() for name in header}, strings_can_be_null=True
        ),
    )
    return table, skipped


def _read_json(path: Path) -> pa.Table:
    with path.open("rb") as fh:
        head = fh.read(64).lstrip()
    if head.startswith(b"["):
        with path.open("r", encoding="utf-8") as fh:
            records = json.load(fh)
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise SourceError(f"{path}: a JSON listing must be an array of objects")
        return pa.Table.from_pylist(records)
    from pyarrow import json as pjson

    return pjson.read_json(path, read_options=pjson.ReadOptions(block_size=1 << 24))


def _read_file(path: Path) -> tuple[pa.Table, int]:
    suffix = "".join(path.suffixes[-2:]).lower()
    try:
        if suffix.endswith(".parquet"):
            import pyarrow.parquet as pq

            return pq.read_table(path), 0
        if suffix.endswith((".csv", ".csv.gz")):
            return _read_csv(path)
        if suffix.endswith((".json", ".jsonl", ".ndjson", ".jsonl.gz")):
            return _read_json(path), 0
    except SourceError:
        raise
    except (pa.ArrowException, OSError, ValueError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"cannot read {path}: {first}") from exc
    raise SourceError(f"unknown file type {path.suffix!r} for {path} (expected .parquet, .csv, .json or .jsonl)")


def _read_hub_dataset(repo_id: str) -> pa.Table:
    """Load a Hub dataset with ``datasets``; used when online."""
    try:
        import datasets

        ds = datasets.load_dataset(repo_id, split="train")
    except Exception as exc:  # datasets raises many unrelated types for "not reachable"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"cannot load Hub dataset {repo_id!r}: {first}") from exc
    return ds.data.table.combine_chunks()


def read_snapshot(source: str) -> Snapshot:
    """Read ``source`` (a path or a Hub dataset id) into a raw table and detect its shape."""
    path = Path(source)
    if path.exists():
        if path.is_dir():
            raise SourceError(f"{source} is a folder; give a .parquet, .csv, .json or .jsonl file")
        if path.stat().st_size == 0:
            raise SourceError(f"{source} is empty")
        table, skipped = _read_file(path)
    elif "/" in source and not source.startswith((".", "/")) and source.count("/") == 1 and not Path(source).suffix:
        table, skipped = _read_hub_dataset(source), 0
    else:
        raise SourceError(f"unknown source {source!r}: not a file here, nor a Hub dataset id like 'owner/name'")
    table = _drop_index_columns(table)
    if table.num_rows == 0:
        raise SourceError(f"{source} has no rows")
    shape = detect_shape(table.column_names)
    return Snapshot(table=table, shape=shape, source=source, skipped_rows=skipped)
