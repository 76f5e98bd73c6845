"""Every Streamlit caching wrapper, in one place.

``st.cache_resource`` holds one DuckDB connection per bundle (each run queries
through its own cursor, as DuckDB requires across threads); ``st.cache_data``
holds small query results keyed by scalars.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from core import overview
from core.bundle import Bundle, connect, list_bundles, open_bundle
from core.errors import BundleError

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUNDLE = ROOT / "data" / "demo"


def bundle_roots() -> list[Path]:
    """Folders searched for bundles: data/, bundles/ and PHYLO_BUNDLES (os.pathsep-separated)."""
    extra = [Path(p) for p in os.environ.get("PHYLO_BUNDLES", "").split(os.pathsep) if p]
    return [ROOT / "data", ROOT / "bundles", *extra]


@st.cache_data(ttl=60, show_spinner=False)
def available_bundles() -> dict[str, str]:
    """Bundle name → folder, the PHYLO_BUNDLE one first."""
    found: dict[str, str] = {}
    first = os.environ.get("PHYLO_BUNDLE")
    paths = ([Path(first)] if first else []) + [DEFAULT_BUNDLE] + [p for r in bundle_roots() for p in list_bundles(r)]
    for path in paths:
        if (path / "manifest.json").is_file():
            found.setdefault(path.name, str(path.resolve()))
    return found


@st.cache_resource(show_spinner="Loading bundle…", max_entries=3)
def _bundle_and_connection(path: str) -> tuple[Bundle, object]:
    bundle = open_bundle(path)
    return bundle, connect(bundle)


def bundle(path: str) -> Bundle:
    return _bundle_and_connection(path)[0]


def cursor(path: str):
    """A cursor of the shared connection, private to this run (thread-safe use of DuckDB)."""
    return _bundle_and_connection(path)[1].cursor()


@st.cache_data(show_spinner=False, max_entries=64)
def summary(path: str) -> overview.Summary:
    return overview.summary(cursor(path))


@st.cache_data(show_spinner=False, max_entries=64)
def edge_mix(path: str):
    return overview.edge_mix(cursor(path))


@st.cache_data(show_spinner=False, max_entries=64)
def largest_families(path: str, graph: str, limit: int):
    return overview.largest_families(cursor(path), overview.FamilyGraph(graph), limit)


@st.cache_data(show_spinner=False, max_entries=64)
def trait_shares(path: str, trait: str, limit: int):
    return overview.trait_shares(cursor(path), overview.Trait(trait), limit)


@st.cache_data(show_spinner=False, max_entries=64)
def models_per_month(path: str, split: str):
    return overview.models_per_month(cursor(path), overview.TimeSplit(split))


__all__ = ["BundleError", "available_bundles", "bundle", "cursor", "summary", "edge_mix", "largest_families",
           "trait_shares", "models_per_month"]
