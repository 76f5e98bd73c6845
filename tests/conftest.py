from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))
# Builds, crawls and fitted encoders write under PHYLO_CACHE: a test session keeps them to itself (and the
# command lines it runs inherit it), never adding a test snapshot to the user's history of the Hub's totals.
os.environ.setdefault("PHYLO_CACHE", tempfile.mkdtemp(prefix="phylo-test-cache-"))


def write_jsonl(path: Path, rows: list[dict]) -> str:
    """``rows`` as a JSON Lines file at ``path`` (a small Hub listing for a build); returns the path as text."""
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return str(path)


@pytest.fixture(scope="session", autouse=True)
def release_app_resources():
    """Pages run in this process (``tests.apptest``) leave their bundle connections in Streamlit's process-wide
    ``st.cache_resource``; released here, at the end of the session, they close while DuckDB is whole. Left to
    interpreter exit, their order of release is the interpreter's, and once torch is loaded (the embedding tests)
    they outlive DuckDB's module: nanobind then reports them as "leaked instances"."""
    yield
    if "streamlit.runtime" in sys.modules:
        import gc

        import streamlit as st

        st.cache_resource.clear()
        gc.collect()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    assert SHARED_DATA.is_dir(), f"real data expected at {SHARED_DATA}"
    return SHARED_DATA


@pytest.fixture(scope="session")
def family_trees_bundle(tmp_path_factory, shared_data):
    from core.precompute import build_bundle

    out = tmp_path_factory.mktemp("ft") / "family_trees"
    build_bundle(str(shared_data / "family_trees_2025.csv"), out)
    return out


@pytest.fixture(scope="session")
def listing_bundle(tmp_path_factory, shared_data):
    """Bundle of the real 760,000-model listing (built once per test session, ~4 s)."""
    from core.precompute import build_bundle

    out = tmp_path_factory.mktemp("listing") / "hub_listing_2024-07"
    build_bundle(str(shared_data / "hub_listing_2024-07.parquet"), out, label="Hub listing 2024-07")
    return out


@pytest.fixture(scope="session")
def family_trees_map_bundle(tmp_path_factory, shared_data):
    """The 1,983 real models of family_trees_2025.csv with embeddings, projection and clusters (~1 min)."""
    from core.precompute import build_bundle

    out = tmp_path_factory.mktemp("ftmap") / "family_trees_map"
    build_bundle(str(shared_data / "family_trees_2025.csv"), out, embed=True, label="Family trees 2025")
    return out


LLAMA = "meta-llama/Meta-Llama-3-8B"


@pytest.fixture(scope="session")
def llama_bundle(listing_bundle, shared_data, tmp_path_factory):
    """Meta-Llama-3-8B's lineage cut from the July 2024 listing: every model below it and every parent of those,
    so merges keep their other parents (~1.6k real models)."""
    import duckdb
    import pyarrow.parquet as pq

    from core.bundle import arrow_rows, open_bundle
    from core.licenses import connect
    from core.lineage.family import descendants
    from core.precompute import build_bundle

    con = connect(open_bundle(listing_bundle))
    below = descendants(con, LLAMA, "all").models["model_id"].tolist()
    keep = con.execute("SELECT DISTINCT parent FROM edges WHERE child IN (SELECT unnest(?::VARCHAR[])) "
                       "AND parent_in_snapshot", [below]).fetchall()
    ids = sorted({LLAMA, *below, *(p for (p,) in keep)})
    source = tmp_path_factory.mktemp("llama") / "llama_listing.parquet"
    rows = arrow_rows(duckdb.connect(), "SELECT * FROM read_parquet(?) WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                      [str(shared_data / "hub_listing_2024-07.parquet"), ids])
    pq.write_table(rows, source)
    out = source.parent / "llama_bundle"
    build_bundle(str(source), out, label="Llama 3 lineage, July 2024")
    return out
