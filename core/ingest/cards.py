"""Card text at the Hub's size, and every cut of it: what is stored, embedded, compared and shown.

Cards are written to cards.parquet while a source streams in and read back a batch at a time: real cards average
2.3 kB (p99 22 kB), ~3 GB for the whole Hub, so no step holds them all. Card text is untrusted: the cuts here
return plain text, never markup to render.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = ["CardWriter", "card_starts", "card_start", "card_excerpt", "compared_card", "MAX_CARD_CHARS", "EMBED_CHARS",
           "COMPARED_CHARS"]

MAX_CARD_CHARS = 100_000  # longer cards are stored up to here; card_length keeps the true length
EMBED_CHARS = 400  # characters of a card's prose a model's embedding text uses
COMPARED_CHARS = 512  # characters of a card resemblance compares, and the minimum card length that qualifies


class CardWriter:
    """Writes cards.parquet batch by batch under a temporary name; ``finish`` puts it in place.

    (A writer thread that compressed one batch while the next was normalised saved no time on 2 cores and held
    two more batches of card text: measured, then removed.)
    """

    SCHEMA = pa.schema([("model_id", pa.string()), ("card", pa.string())])

    def __init__(self, path: Path):
        self.path, self.tmp = path, path.with_name(path.name + ".tmp")
        self._writer = None
        self._rows: list[np.ndarray] = []

    def write(self, cards: pa.Table, rows: np.ndarray) -> None:
        """Append ``cards``; ``rows`` are their models' source rows (to drop later duplicates at the end)."""
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.tmp, self.SCHEMA, compression="zstd")
        self._writer.write_table(cards.cast(self.SCHEMA))
        self._rows.append(np.asarray(rows, dtype=np.int64))

    def finish(self, keep: bool, dropped_rows: np.ndarray) -> None:
        """Install the file (an empty one when the source had a card column but no cards), or drop it.

        Cards of models dropped as later duplicates are filtered out in one streaming pass (rare).
        """
        if keep and self._writer is None:
            self.write(self.SCHEMA.empty_table(), np.empty(0, dtype=np.int64))
        if self._writer is None:
            self.path.unlink(missing_ok=True)
            return
        self._writer.close()
        rows = np.concatenate(self._rows)
        if len(dropped_rows) and np.isin(rows, dropped_rows).any():
            kept = ~np.isin(rows, dropped_rows)
            again = self.tmp.with_name(self.tmp.name + "2")
            with pq.ParquetWriter(again, self.SCHEMA, compression="zstd") as out:
                start = 0
                for batch in pq.ParquetFile(self.tmp).iter_batches(batch_size=65_536):
                    out.write_table(pa.Table.from_batches([batch]).filter(pa.array(kept[start:start + batch.num_rows])))
                    start += batch.num_rows
            again.replace(self.tmp)
        self.tmp.replace(self.path)

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self.tmp.unlink(missing_ok=True)


def card_starts(path: Path, ids: pa.Array) -> pa.Array | None:
    """The start of each model's card as its embedding text uses it (:func:`card_start`), in bundle
    order; null without a card. ~0.4 kB a card is held, not the card.
    """
    if not path.is_file():
        return None
    pos_parts, start_parts = [], []
    for batch in pq.ParquetFile(path).iter_batches(batch_size=65_536, columns=["model_id", "card"]):
        pos_parts.append(pc.index_in(batch["model_id"], value_set=ids).to_numpy(zero_copy_only=False))
        start_parts.append(card_start(batch["card"]))
    if not pos_parts:
        return pa.nulls(len(ids), pa.string())
    pos = np.concatenate(pos_parts)
    where = np.full(len(ids), len(pos), dtype=np.int64)  # len(pos): the null appended below
    where[pos] = np.arange(len(pos))
    starts = pa.concat_arrays([*start_parts, pa.nulls(1, pa.string())])
    return starts.take(pa.array(where))


def strip_front_matter(cards: pa.Array) -> pa.Array:
    """Drop a leading YAML header (--- … ---) so the card's prose starts the text."""
    return pc.replace_substring_regex(cards, r"^\s*---[\s\S]*?\n---\s*", "", max_replacements=1)


def card_start(cards: pa.Array) -> pa.Array:
    """The part of each card a model's text uses: the prose after a YAML header, ``EMBED_CHARS`` characters,
    whitespace runs as one space ("" without a card)."""
    start = pc.utf8_slice_codeunits(strip_front_matter(pc.fill_null(cards.cast(pa.string()), "")), 0, EMBED_CHARS)
    return pc.replace_substring_regex(start, r"\s+", " ")


def card_excerpt(card: str | None, chars: int = 1200) -> str | None:
    """Readable start of a card as plain text: no YAML header, HTML tags or comments, blank runs collapsed."""
    if not card:
        return None
    text = re.sub(r"^\s*---[\s\S]*?\n---\s*", "", card, count=1)
    text = re.sub(r"<!--[\s\S]*?-->", "", text)
    text = re.sub(r"<[^>]{0,2000}>", "", text)
    text = re.sub(r"\n\s*\n+", "\n\n", text).strip()
    return (text[:chars] + ("…" if len(text) > chars else "")) or None


def compared_card(card: str) -> str:
    """The part of a card that resemblance compares: its first COMPARED_CHARS characters."""
    return card[:COMPARED_CHARS]
