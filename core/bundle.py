"""The parquet bundle: what precompute writes and every page reads through DuckDB."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from core.errors import BundleError

__all__ = ["SourceShape", "BUNDLE_FORMAT", "TABLES", "Bundle", "open_bundle", "connect", "arrow_rows", "list_bundles", "file_facts",
           "verify", "discover_bundles", "pandas_rows", "DUCKDB_MEMORY_LIMIT", "DUCKDB_THREADS"]

DUCKDB_MEMORY_LIMIT = "4GB"  # per bundle connection: a Space has 16 GB for everything
DUCKDB_THREADS = 2  # a Space's CPU Basic has 2 vCPUs

BUNDLE_FORMAT = 4  # 2: parent_as_written, parent_match; 3: relation_confidence and _rule, models.license_name, vectorisers;
# 4: models.family is the no-merge family (family_all the all-edges one), families.merges_in|out, calibrated confidence
TABLES = ("models", "edges", "families")
OPTIONAL_TABLES = ("cards", "points", "clusters", "labels", "resemblance", "vectorisers")


class SourceShape(str, Enum):
    """The two record layouts Phylo understands; a bundle's manifest records which one it was built from."""

    DATASET = "dataset"  # model_id + derived list columns (+ modelCard)
    LISTING = "listing"  # Hub /api/models: id, author, createdAt, ..., tags


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

    def has(self, table: str) -> bool:
        """Whether the bundle carries an optional table (cards, points, labels, resemblance …)."""
        return self.table_path(table).is_file()

    @property
    def version_key(self) -> str:
        """12 hex digits naming this bundle's content version: files derived from it (the browser's point and
        hover files) are named by it, so a rebuilt bundle never meets a stale file."""
        manifest = (self.path / "manifest.json").read_bytes()
        return hashlib.sha1(str(self.path.resolve()).encode() + manifest).hexdigest()[:12]


def file_facts(folder: str | Path) -> dict[str, dict]:
    """Size and SHA-256 of each file of a bundle folder (not the manifest, not hidden files): what the manifest
    records so a reader can tell a truncated or foreign file from the one precompute wrote."""
    out = {}
    for path in sorted(Path(folder).iterdir()):
        if not path.is_file() or path.name == "manifest.json" or path.name.startswith("."):
            continue
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        out[path.name] = {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}
    return out


def open_bundle(path: str | Path) -> Bundle:
    """Check that ``path`` holds a readable bundle of this format, with every file at its recorded size."""
    folder = Path(path)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise BundleError(f"{folder} is not a Phylo bundle (no manifest.json); build one with python -m core.precompute")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BundleError(f"{manifest_path} cannot be read: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise BundleError(f"{folder} has bundle format {found!r}; this Phylo reads format {BUNDLE_FORMAT} "
                          "(rebuild it with python -m core.precompute)")
    missing = [t for t in TABLES if not (folder / f"{t}.parquet").is_file()]
    if missing:
        raise BundleError(f"{folder} lacks {', '.join(missing)}.parquet")
    _check_sizes(folder, manifest.get("files") or {})
    return Bundle(path=folder, manifest=manifest)


def _check_sizes(folder: Path, files: dict) -> None:
    for name, facts in files.items():
        path = folder / name
        if not path.is_file():
            raise BundleError(f"{folder} lacks {name}, which its manifest lists: the bundle is incomplete")
        size = path.stat().st_size
        if size != facts.get("bytes"):
            raise BundleError(f"{folder}/{name} has {size:,} bytes, its manifest says {facts.get('bytes'):,}: "
                              "the file is truncated or not this bundle's")


def verify(path: str | Path) -> Bundle:
    """``open_bundle`` plus every file's checksum (reads every byte: for a download, not for each page)."""
    bundle = open_bundle(path)
    recorded = bundle.manifest.get("files") or {}
    actual = file_facts(bundle.path)
    for name, facts in recorded.items():
        if actual[name]["sha256"] != facts.get("sha256"):
            raise BundleError(f"{bundle.path}/{name} does not match its manifest's checksum: not this bundle's file")
    return bundle


def connect(bundle: Bundle, in_memory: bool = True, extend: Callable | None = None):
    """A DuckDB connection with one view or table per bundle table, confined to the bundle's folder.

    In memory the tables are loaded once (fast queries, ~0.3 GB per million
    models); otherwise views read the parquet files on each query (a one-off
    job such as precompute's). ``extend(con)`` runs before the door closes: how a
    domain adds derived columns (``core.licenses.connect`` adds license classes) without the bundle knowing them. Then the door closes: no file outside the bundle's folder
    can be read or written, no extension loaded, and the settings (memory limit,
    threads) are locked, so nothing that reaches SQL can change them.
    """
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order = true")
    # Dates and months of created_at (UTC) must not depend on the server's zone; GLOBAL reaches every cursor.
    con.execute("SET GLOBAL TimeZone = 'UTC'")
    try:
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
        if extend is not None:
            extend(con)
    except duckdb.Error as exc:
        con.close()
        raise BundleError(f"{bundle.path} cannot be read: {str(exc).splitlines()[0][:300]}") from exc
    con.execute("SET allowed_directories = ?", [[str(bundle.path.resolve()) + "/"]])
    con.execute("SET enable_external_access = false")
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_LIMIT}'")
    con.execute(f"SET threads = {int(DUCKDB_THREADS)}")
    con.execute("SET lock_configuration = true")
    return con


def arrow_rows(con, sql: str, params=None):
    """A query's rows as one Arrow table, on whatever connection or cursor the caller holds.

    Columns such as every model id stay columnar this way (a Python string each would cost ~80 bytes a model).
    DuckDB 2 warns that a DB-API result is copied once to Arrow: that copy is the point, so the warning is muted.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return con.execute(sql, params or []).to_arrow_table()


def pandas_rows(con, sql: str, params=None):
    """A query's rows as a pandas DataFrame (DuckDB's ``.df()``), on whatever connection or cursor the caller holds.

    DuckDB 2.0 converts each time-zone-aware column with ``DataFrame.drop(inplace=True)``, which pandas 3.1
    deprecates (a Pandas4Warning per query). The frame is right either way, and the Arrow route would change dtypes
    (dates to objects, nullable integers to floats), so that one warning is muted here and nowhere else.
    """
    import warnings

    from pandas.errors import Pandas4Warning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The inplace keyword in DataFrame.drop", Pandas4Warning)
        return con.execute(sql, params or []).df()


def list_bundles(root: str | Path) -> list[Path]:
    """Bundle folders directly under ``root`` (and ``root`` itself if it is one), sorted by name."""
    base = Path(root)
    found = [p for p in sorted(base.iterdir()) if (p / "manifest.json").is_file()] if base.is_dir() else []
    return ([base] if (base / "manifest.json").is_file() else []) + found


def discover_bundles(roots: list[Path], first: list[Path] = (), named: dict[str, Path] | None = None) -> dict[str, str]:
    """Bundle name → resolved folder: ``named`` ones under their given names, then the folders of ``first`` (in
    order), then every bundle under ``roots``; the first of two bundles with one name wins."""
    found = {name: str(Path(path).resolve()) for name, path in (named or {}).items()}
    for path in [*first, *(p for r in roots for p in list_bundles(r))]:
        if (Path(path) / "manifest.json").is_file():
            found.setdefault(Path(path).name, str(Path(path).resolve()))
    return found
