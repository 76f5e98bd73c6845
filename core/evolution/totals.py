"""The Hub's totals over time: each build or crawl records how many models the Hub had, and how many by library,
task and license class, with its date, in a small history table (JSON lines under ``settings.cache_dir()``).

A bundle's ``createdAt`` curve says when the models it holds were made; the history says how many the Hub held
when each snapshot was taken, deleted models included, which no single snapshot can tell.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from core.licenses.classes import classify_license

__all__ = ["HISTORY_FILE", "Totals", "of_bundle", "of_listing", "record", "history"]

HISTORY_FILE = "hub_totals.jsonl"
TOP = 15  # values kept per breakdown; the rest are counted as "other"


@dataclass(frozen=True)
class Totals:
    """The Hub's size at one date, as one build or crawl saw it."""

    date: str  # ISO date of the snapshot
    source: str
    kind: str  # "build" or "crawl"
    models: int
    by_library: dict = field(default_factory=dict)
    by_task: dict = field(default_factory=dict)
    by_license_class: dict = field(default_factory=dict)


def _top(rows: list[tuple]) -> dict:
    counts = {str(k) if k is not None else "(none)": int(n) for k, n in rows}
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    out = dict(ranked[:TOP])
    if len(ranked) > TOP:
        out["other"] = sum(n for _, n in ranked[TOP:])
    return out


def _classes(rows: list[tuple]) -> dict:
    counts: dict[str, int] = {}
    for lid, n in rows:
        cls = classify_license(lid).value
        counts[cls] = counts.get(cls, 0) + int(n)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def of_bundle(folder: str | Path, source: str, kind: str = "build") -> Totals:
    """The totals of a bundle's ``models.parquet``, dated by its newest model (its snapshot date); a model's license
    class here is its first license's, as a listing states it."""
    con = duckdb.connect()
    models = str(Path(folder) / "models.parquet")
    n, last = con.execute("SELECT count(*), max(created_at)::DATE FROM read_parquet(?)", [models]).fetchone()
    group = "SELECT {c}, count(*) FROM read_parquet(?) GROUP BY 1"
    return Totals(date=(last or dt.date.today()).isoformat(), source=source, kind=kind, models=int(n),
                  by_library=_top(con.execute(group.format(c="library_name"), [models]).fetchall()),
                  by_task=_top(con.execute(group.format(c="pipeline_tag"), [models]).fetchall()),
                  by_license_class=_classes(con.execute(group.format(c="licenses[1]"), [models]).fetchall()))


def of_listing(path: str | Path, source: str, kind: str = "crawl", date: dt.date | None = None) -> Totals:
    """The totals of a Hub-listing file (``id, library_name, pipeline_tag, tags``) as a crawl writes it."""
    con = duckdb.connect()
    listing = str(path)
    n = con.execute("SELECT count(*) FROM read_parquet(?)", [listing]).fetchone()[0]
    group = "SELECT {c}, count(*) FROM read_parquet(?) GROUP BY 1"
    license_of = "replace(list_filter(tags, lambda t: t LIKE 'license:%')[1], 'license:', '')"
    return Totals(date=(date or dt.date.today()).isoformat(), source=source, kind=kind, models=int(n),
                  by_library=_top(con.execute(group.format(c="library_name"), [listing]).fetchall()),
                  by_task=_top(con.execute(group.format(c="pipeline_tag"), [listing]).fetchall()),
                  by_license_class=_classes(con.execute(group.format(c=license_of), [listing]).fetchall()))


def record(totals: Totals, root: Path) -> Path:
    """Append ``totals`` to the history under ``root`` (one JSON line; a same-date, same-source line is replaced)."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / HISTORY_FILE
    kept = [line for line in _lines(path) if (line.get("date"), line.get("source")) != (totals.date, totals.source)]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(x, sort_keys=True) + "\n" for x in [*kept, asdict(totals)]), encoding="utf-8")
    tmp.replace(path)
    return path


def _lines(path: Path) -> list[dict]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue  # a broken line loses itself, never the history
        if isinstance(row, dict) and isinstance(row.get("models"), int) and isinstance(row.get("date"), str):
            out.append(row)
    return out


def history(root: Path) -> pd.DataFrame:
    """Every recorded total, oldest first: date, source, kind, models, and the three breakdowns."""
    rows = _lines(root / HISTORY_FILE)
    columns = ["date", "source", "kind", "models", "by_library", "by_task", "by_license_class"]
    if not rows:
        return pd.DataFrame(columns=columns)
    df = pd.DataFrame(rows).reindex(columns=columns)
    df["date"] = pd.to_datetime(df["date"], errors="coerce")
    return df.dropna(subset=["date"]).sort_values(["date", "source"]).reset_index(drop=True)
