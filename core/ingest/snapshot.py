"""Reading a Hub snapshot from wherever it lives, batch by batch.

This is the only module that reads sources: a Hub dataset id (through
``datasets.load_dataset``, memory-mapped), a local CSV or parquet in the shape of
``modelbiome/ai_ecosystem_withmodelcards``, or a Hub API listing (today's ``id, createdAt, pipeline_tag`` or 2022's
``modelId, creation_time, task_category``) as parquet,
JSON or JSONL. The shape is detected from the columns. Sources are streamed in
record batches (parquet row groups, the streaming CSV reader, the dataset's
Arrow table), since the Hub's cards alone are several GB.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from core.bundle import SourceShape
from core.errors import SourceError

__all__ = ["DEFAULT_DATASET", "SourceShape", "Snapshot", "SnapshotReader", "open_snapshot", "read_snapshot",
           "detect_shape"]

DEFAULT_DATASET = "modelbiome/ai_ecosystem_withmodelcards"


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


CSV_BLOCK_BYTES = 1 << 25  # a CSV row (a card included) must fit in one block of the streaming reader
DEFAULT_BATCH_ROWS = 65_536  # 131,072 took no less time on 1.86M models and peaked 0.6 GB higher


class SnapshotReader:
    """A snapshot read batch by batch: shape and columns known up front, rows streamed.

    ``batches()`` yields tables of at most ``batch_rows`` rows (index columns
    dropped) in source order, so no step needs the whole source in memory;
    ``batch_rows=None`` yields one table. CSV rows that do not parse are skipped
    and counted in ``skipped_rows`` as they are met. ``sample`` (sorted row
    numbers) keeps only those rows.
    """

    def __init__(self, source: str, columns: list[str], open_batches, num_rows: int | None = None,
                 batch_rows: int | None = DEFAULT_BATCH_ROWS):
        self.source = source
        self.columns = tuple(c for c in columns if c not in _INDEX_COLUMNS)
        self.shape = detect_shape(list(self.columns))
        self.num_rows = num_rows
        self.batch_rows = batch_rows
        self.sample: np.ndarray | None = None
        self.skipped_rows = 0
        self.repaired_rows = 0  # rows kept with invalid UTF-8 bytes replaced (CSV)
        self.read_seconds = 0.0  # time spent reading and decoding the source (overlaps normalising)
        self._open = open_batches

    def count_rows(self) -> int:
        """Rows in the source (known from metadata, else counted by one streaming pass)."""
        if self.num_rows is None:
            self.num_rows = sum(b.num_rows for b in self._open(self))
            self.skipped_rows = self.repaired_rows = 0  # counted again when the rows are read
        return self.num_rows

    def batches(self) -> Iterator[pa.Table]:
        """The rows in batches; the next batch is read (decoded) in a thread meanwhile."""
        yield from _prefetched(self._batches(), depth=1)

    def _batches(self) -> Iterator[pa.Table]:
        import time

        def timed(items):
            items = iter(items)
            while True:
                start = time.perf_counter()
                item = next(items, None)
                self.read_seconds += time.perf_counter() - start
                if item is None:
                    return
                yield item

        offset = 0
        try:
            raws = timed(self._open(self))
            for raw in raws:
                for part in _rebatch(raw, self.batch_rows, raws):
                    table = _drop_index_columns(part)
                    if self.sample is not None:
                        lo, hi = np.searchsorted(self.sample, [offset, offset + table.num_rows])
                        table = table.take(pa.array(self.sample[lo:hi] - offset))
                    offset += part.num_rows
                    yield table
        except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot read {self.source}: {_first_line(exc)}") from exc


def _prefetched(items: Iterator, depth: int) -> Iterator:
    """``items``, produced by a thread up to ``depth`` ahead: Arrow's readers release the GIL, so reading the
    next batch overlaps normalising this one (2 cores: ~2x). Errors surface in the consumer, in order."""
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce():
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((done, None))
        except BaseException as exc:  # handed to the consumer
            q.put((done, exc))

    thread = threading.Thread(target=produce, name="phylo-read", daemon=True)
    thread.start()
    try:
        while True:
            item, exc = q.get()
            if item is done:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)


_INDEX_COLUMNS = ("", "Unnamed: 0", "__index_level_0__", "index")


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _rebatch(first: pa.Table | pa.RecordBatch, rows: int | None, rest: Iterator) -> Iterator[pa.Table]:
    """Tables of ``rows`` rows (the last may be shorter): ``first`` cut up, or joined with the next items of
    ``rest`` when it is smaller (the CSV reader yields one batch a block, ~12k rows of cards)."""
    table = pa.Table.from_batches([first]) if isinstance(first, pa.RecordBatch) else first
    if rows is None:
        yield table
        return
    parts = [table]
    while sum(p.num_rows for p in parts) < rows:
        more = next(rest, None)
        if more is None:
            break
        parts.append(pa.Table.from_batches([more]) if isinstance(more, pa.RecordBatch) else more)
    table = pa.concat_tables(parts) if len(parts) > 1 else table
    for start in range(0, table.num_rows, rows):
        yield table.slice(start, rows)


def _drop_index_columns(table: pa.Table) -> pa.Table:
    """Drop a leading unnamed index column as pandas writes it."""
    drop = [c for c in table.column_names if c in _INDEX_COLUMNS]
    return table.drop_columns(drop) if drop else table


def _csv_reader(path: Path, source: str, batch_rows: int | None) -> SnapshotReader:
    from pyarrow import csv

    import csv as pycsv

    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as fh:  # Arrow skips a BOM too
        header = next(pycsv.reader(fh), [])
    if not header:
        raise SourceError(f"{path} has no header row")

    def open_batches(reader: SnapshotReader):
        def skip(_row) -> str:
            reader.skipped_rows += 1
            return "skip"

        # Every column as bytes, decoded per batch: types are fixed during normalisation, where bad values are
        # counted, and one invalid UTF-8 byte costs its row's field, not the file.
        stream = csv.open_csv(
            path,
            read_options=csv.ReadOptions(block_size=CSV_BLOCK_BYTES),
            parse_options=csv.ParseOptions(newlines_in_values=True, invalid_row_handler=skip),
            convert_options=csv.ConvertOptions(column_types={name: pa.binary() for name in header},
                                               strings_can_be_null=True),
        )
        batches = [stream.read_all()] if reader.batch_rows is None else stream
        for batch in batches:
            yield _decoded(batch, reader)

    return SnapshotReader(source, header, open_batches, batch_rows=batch_rows)


def _decoded(batch: pa.RecordBatch | pa.Table, reader: SnapshotReader) -> pa.Table:
    """Binary CSV columns as text. A field that is not valid UTF-8 keeps its text with U+FFFD for the bad bytes
    (counted in ``reader.repaired_rows``); a row whose model id is not valid UTF-8 is skipped, as its id is unknown."""
    table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
    id_column = {SourceShape.DATASET: "model_id"}.get(reader.shape) or ("id" if "id" in table.column_names else "modelId")
    columns, repaired, drop = [], np.zeros(table.num_rows, dtype=bool), np.zeros(table.num_rows, dtype=bool)
    for name, column in zip(table.column_names, table.columns):
        try:
            columns.append(column.cast(pa.string()))
            continue
        except pa.ArrowInvalid:
            pass
        values = column.to_pylist()
        bad = np.zeros(len(values), dtype=bool)
        text = []
        for i, v in enumerate(values):
            if v is None:
                text.append(None)
                continue
            try:
                text.append(v.decode("utf-8"))
            except UnicodeDecodeError:
                bad[i] = True
                text.append(v.decode("utf-8", errors="replace"))
        columns.append(pa.array(text, pa.string()))
        (drop if name == id_column else repaired)[bad] = True
    table = pa.table(dict(zip(table.column_names, columns)))
    reader.repaired_rows += int((repaired & ~drop).sum())
    if drop.any():
        reader.skipped_rows += int(drop.sum())
        table = table.filter(pa.array(~drop))
    return table


def _parquet_reader(path: Path, source: str, batch_rows: int | None) -> SnapshotReader:
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path)

    def open_batches(reader: SnapshotReader):
        pf = pq.ParquetFile(path)
        if reader.batch_rows is None:
            yield pf.read()
            return
        yield from pf.iter_batches(batch_size=reader.batch_rows)

    return SnapshotReader(source, meta.schema_arrow.names, open_batches, num_rows=meta.metadata.num_rows,
                          batch_rows=batch_rows)


def _table_reader(table: pa.Table, source: str, batch_rows: int | None) -> SnapshotReader:
    return SnapshotReader(source, table.column_names, lambda _r: iter([table]), num_rows=table.num_rows,
                          batch_rows=batch_rows)


def _records_table(records: list[dict]) -> pa.Table:
    """Records to a table: every key of any record is a column, and a key whose values mix types (an integer in one
    record, a string in the next) becomes text, to be typed, and its bad values counted, by normalisation."""
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    columns = {}
    for key in keys:
        values = [r.get(key) for r in records]
        try:
            columns[key] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            columns[key] = pa.array([None if v is None else v if isinstance(v, str) else json.dumps(v)
                                     for v in values], pa.string())
    return pa.table(columns) if columns else pa.table({})


def _json_table(path: Path) -> tuple[pa.Table, int]:
    """A JSON array of objects or JSON Lines, and the number of records that could not be read.

    JSON Lines go through Arrow's reader; a file it rejects (a broken line, a column whose type changes) is read
    line by line, keeping every record that parses. A UTF-8 byte-order mark is skipped.
    """
    with path.open("rb") as fh:
        head = fh.read(64).lstrip()
    bom = head.startswith(b"\xef\xbb\xbf")
    if bom:
        head = head[3:].lstrip()
    if head.startswith(b"["):
        try:
            records = json.loads(path.read_text(encoding="utf-8-sig"))
        except ValueError as exc:
            raise SourceError(f"{path} is not a valid JSON array ({_first_line(exc)}); "
                              "JSON Lines, one record a line, lose only a broken line") from exc
        if not isinstance(records, list):
            raise SourceError(f"{path}: a JSON listing must be an array of objects")
        good = [r for r in records if isinstance(r, dict)]
        return _records_table(good), len(records) - len(good)
    from pyarrow import json as pjson

    try:
        if not bom:
            return pjson.read_json(path, read_options=pjson.ReadOptions(block_size=1 << 24)), 0
    except pa.ArrowInvalid:
        pass
    records, bad = [], 0
    with path.open("r", encoding="utf-8-sig", errors="replace") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if isinstance(record, dict):
                records.append(record)
            else:
                bad += 1
    return _records_table(records), bad


def _file_reader(path: Path, source: str, batch_rows: int | None) -> SnapshotReader:
    suffix = "".join(path.suffixes[-2:]).lower()
    try:
        if suffix.endswith(".parquet"):
            return _parquet_reader(path, source, batch_rows)
        if suffix.endswith((".csv", ".csv.gz")):
            return _csv_reader(path, source, batch_rows)
        if suffix.endswith((".json", ".jsonl", ".ndjson", ".jsonl.gz")):
            # JSON listings (Hub API dumps) are small next to the card-carrying dataset: read whole.
            table, bad = _json_table(path)
            if not table.num_columns:
                raise SourceError(f"{path} has no readable records")
            reader = _table_reader(table, source, batch_rows)
            reader.skipped_rows = bad
            return reader
    except SourceError:
        raise
    except (pa.ArrowException, OSError, ValueError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot read {path}: {_first_line(exc)}") from exc
    raise SourceError(f"unknown file type {path.suffix!r} for {path} (expected .parquet, .csv, .json or .jsonl)")


def _hub_reader(repo_id: str, batch_rows: int | None) -> SnapshotReader:
    """The Hub dataset through ``datasets``: its Arrow table is memory-mapped, so batches cost no copy."""
    try:
        import datasets

        ds = datasets.load_dataset(repo_id, split="train")
    except Exception as exc:  # datasets raises many unrelated types for "not reachable"
        raise SourceError(f"cannot load Hub dataset {repo_id!r}: {_first_line(exc)}") from exc
    table = ds.data.table

    def open_batches(reader: SnapshotReader):
        if reader.batch_rows is None:
            yield table
            return
        yield from table.to_batches(max_chunksize=reader.batch_rows)

    return SnapshotReader(repo_id, table.column_names, open_batches, num_rows=table.num_rows, batch_rows=batch_rows)


def open_snapshot(source: str | Snapshot, batch_rows: int | None = DEFAULT_BATCH_ROWS) -> SnapshotReader:
    """A streaming reader of ``source``: a path, a Hub dataset id, or an in-memory :class:`Snapshot`."""
    if isinstance(source, Snapshot):
        reader = _table_reader(source.table, source.source, batch_rows)
        reader.skipped_rows = source.skipped_rows
        return reader
    path = Path(source)
    if path.exists():
        if path.is_dir():
            raise SourceError(f"{source} is a folder; give a .parquet, .csv, .json or .jsonl file")
        if path.stat().st_size == 0:
            raise SourceError(f"{source} is empty")
        return _file_reader(path, source, batch_rows)
    if "/" in source and not source.startswith((".", "/")) and source.count("/") == 1 and not Path(source).suffix:
        return _hub_reader(source, batch_rows)
    raise SourceError(f"unknown source {source!r}: not a file here, nor a Hub dataset id like 'owner/name'")


def read_snapshot(source: str) -> Snapshot:
    """Read ``source`` (a path or a Hub dataset id) whole into one table and detect its shape (small sources, tests)."""
    reader = open_snapshot(source, batch_rows=None)
    parts = list(reader.batches())
    table = pa.concat_tables(parts) if parts else pa.table({c: pa.array([], pa.string()) for c in reader.columns})
    if table.num_rows == 0:
        raise SourceError(f"{source} has no rows")
    return Snapshot(table=table, shape=reader.shape, source=reader.source, skipped_rows=reader.skipped_rows)
