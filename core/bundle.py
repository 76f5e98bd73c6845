"""The parquet bundle: what precompute writes and every page reads through DuckDB."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from core.errors import BundleError

__all__ = ["BUNDLE_FORMAT", "TABLES", "Bundle", "open_bundle", "connect", "arrow_rows", "list_bundles"]

BUNDLE_FORMAT = 2  # 2: edges carry parent_as_written and parent_match (parents matched as the Hub resolves ids)
TABLES = ("models", "edges", "families")
OPTIONAL_TABLES = ("cards", "points", "clusters", "resemblance", "vectorisers")


@dataclass(frozen=True)
class Bundle:
    """A bundle folder and its manifest."""

    path: Path
    manifest: dict

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest.get("synthetic"))

    def table_path(self, table: str) -> Path:
        return self.path / f"{table}.parquet"


def open_bundle(path: str | Path) -> Bundle:
    """Check that ``path`` holds a readable bundle and load its manifest."""
    folder = Path(path)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise BundleError(f"{folder} is not a Phylo bundle (no manifest.json); build one with python -m core.precompute")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BundleError(f"{manifest_path} cannot be read: {exc}") from exc
    if manifest.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{folder} has bundle format {manifest.get('format')!r}; this Phylo reads format {BUNDLE_FORMAT}")
    missing = [t for t in TABLES if not (folder / f"{t}.parquet").is_file()]
    if missing:
        raise BundleError(f"{folder} lacks {', '.join(missing)}.parquet")
    return Bundle(path=folder, manifest=manifest)


def connect(bundle: Bundle, in_memory: bool = True, license_classes: bool = True):
    """A DuckDB connection with one view or table per bundle table.

    In memory the tables are loaded once (fast queries, ~0.3 GB per million
    models); otherwise views read the parquet files on each query (a one-off
    job such as precompute's). ``license_classes`` adds ``models.license_class``
    (in memory only).
    """
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order = true")
    # Dates and months of created_at (UTC) must not depend on the server's zone; GLOBAL reaches every cursor.
    con.execute("SET GLOBAL TimeZone = 'UTC'")
    for table in TABLES + OPTIONAL_TABLES:
        path = bundle.table_path(table)
        if not path.is_file():
            continue
        kind = "TABLE" if in_memory and table != "cards" else "VIEW"
        # Paths come from the bundle folder, not from users; quote them as SQL literals.
        literal = "'" + str(path).replace("'", "''") + "'"
        con.execute(f"CREATE {kind} {table} AS SELECT * FROM read_parquet({literal})")
    # What queries need of the manifest: the shape of the source (the study's metadata record has its fields).
    con.execute("CREATE TABLE bundle_facts AS SELECT ?::VARCHAR AS source_shape", [bundle.manifest.get("source_shape")])
    if license_classes and in_memory:
        _add_license_classes(con)
    return con


def _add_license_classes(con) -> None:
    """models.license_class: the most restrictive class of a model's licenses (see core.licenses)."""
    from core.licenses import RESTRICTIVENESS, LicenseClass, classify_license

    values = [r[0] for r in con.execute("SELECT DISTINCT unnest(licenses) FROM models").fetchall()]
    rank = {c.value: RESTRICTIVENESS.get(c, -1) for c in LicenseClass}
    con.execute("CREATE TEMP TABLE license_map (license VARCHAR, class VARCHAR, rank INTEGER)")
    if values:
        classes = [classify_license(v).value for v in values]
        con.executemany("INSERT INTO license_map VALUES (?, ?, ?)", [(v, c, rank[c]) for v, c in zip(values, classes)])
    con.execute("""
        CREATE TEMP TABLE model_license AS
        SELECT m.model_id, arg_max(l.class, l.rank) AS license_class
        FROM (SELECT model_id, unnest(licenses) AS license FROM models) m JOIN license_map l USING (license)
        WHERE l.rank >= 0 GROUP BY m.model_id""")
    con.execute("ALTER TABLE models ADD COLUMN license_class VARCHAR DEFAULT 'other/unknown'")
    con.execute("""UPDATE models SET license_class = ml.license_class FROM model_license ml
                   WHERE models.model_id = ml.model_id""")


def arrow_rows(con, sql: str, params=None):
    """A query's rows as one Arrow table, on whatever connection or cursor the caller holds.

    Columns such as every model id stay columnar this way (a Python string each would cost ~80 bytes a model).
    DuckDB 2 warns that a DB-API result is copied once to Arrow: that copy is the point, so the warning is muted.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return con.execute(sql, params or []).to_arrow_table()


def list_bundles(root: str | Path) -> list[Path]:
    """Bundle folders directly under ``root`` (and ``root`` itself if it is one), sorted by name."""
    base = Path(root)
    found = [p for p in sorted(base.iterdir()) if (p / "manifest.json").is_file()] if base.is_dir() else []
    return ([base] if (base / "manifest.json").is_file() else []) + found
