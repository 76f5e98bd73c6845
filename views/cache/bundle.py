"""Caches of the open bundle: which bundles there are, the shared DuckDB connection, and the bundle-wide figures."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.bundle import Bundle, discover_bundles, open_bundle
from core.evolution import definitions, overview
from core.hub.fetch import served_status
from core.licenses import connect
from core.lineage import FamilyGraph
from core.precompute import selfbuild
from core.settings import bundle_override, cache_dir, extra_bundle_roots

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BUNDLE = ROOT / "data" / "demo"


def bundle_roots() -> list[Path]:
    """Folders searched for bundles: data/, bundles/ and PHYLO_BUNDLES."""
    return [ROOT / "data", ROOT / "bundles", *extra_bundle_roots()]


@st.cache_data(ttl=60, show_spinner=False)
def remote_bundle():
    """The bundle the Space was told to fetch (PHYLO_BUNDLE_REPO) and whether it is here; None when none was."""
    return served_status()


@st.cache_data(ttl=10, show_spinner=False)
def self_build():
    """The Space's background build of the real Hub (core.precompute.selfbuild), or None when none was started."""
    return selfbuild.read(cache_dir())


@st.cache_data(ttl=60, show_spinner=False)
def available_bundles() -> dict[str, str]:
    """Bundle name → folder: the fetched Hub bundle first (or the Space's own build of it), then PHYLO_BUNDLE, the
    demo and the bundle folders."""
    remote = remote_bundle()
    fetched = {remote.repo.split("/")[-1]: Path(remote.path)} if remote is not None and remote.ok else {}
    built = self_build()
    if not fetched and built is not None and built.stage is selfbuild.Stage.READY:
        fetched = {"hub (built here)": Path(built.path)}
    override = [p] if (p := bundle_override()) else []
    return discover_bundles(bundle_roots(), [*override, DEFAULT_BUNDLE], named=fetched)


@st.cache_resource(show_spinner="Loading bundle…", max_entries=3)
def _bundle_and_connection(path: str) -> tuple[Bundle, object]:
    bundle = open_bundle(path)
    return bundle, connect(bundle)


def bundle(path: str) -> Bundle:
    return _bundle_and_connection(path)[0]


@st.cache_resource(show_spinner="Reading the bundle as the study's code does…", max_entries=2)
def _study_connection(path: str):
    """The bundle under the study's definitions (exact-id edges, its families): made once, when first asked for."""
    return definitions.connect(bundle(path), definitions.Definitions.STUDY)


def cursor(path: str, defs: str = definitions.Definitions.PHYLO.value):
    """A cursor of the shared connection, private to this run (thread-safe use of DuckDB); ``defs`` "study"
    gives the study's definitions of edges and families."""
    if definitions.Definitions(defs) is definitions.Definitions.STUDY:
        return _study_connection(path).cursor()
    return _bundle_and_connection(path)[1].cursor()


def has_cards(path: str) -> bool:
    """Whether the bundle carries model card text (the Hub listing does not)."""
    return bundle(path).has("cards")


@st.cache_data(show_spinner=False, max_entries=64)
def bundle_summary(path: str) -> overview.Summary:
    return overview.summary(cursor(path))


@st.cache_data(show_spinner=False, max_entries=64)
def edge_mix(path: str):
    return overview.edge_mix(cursor(path))


@st.cache_data(show_spinner=False, max_entries=64)
def largest_families(path: str, graph: FamilyGraph, limit: int):
    return overview.largest_families(cursor(path), FamilyGraph(graph), limit)


@st.cache_data(show_spinner=False, max_entries=64)
def trait_shares(path: str, trait: overview.Trait, limit: int):
    return overview.trait_shares(cursor(path), overview.Trait(trait), limit)


@st.cache_data(show_spinner=False, max_entries=64)
def models_per_month(path: str, split: overview.TimeSplit):
    return overview.models_per_month(cursor(path), overview.TimeSplit(split))


@st.cache_data(show_spinner=False, max_entries=32)
def top_values(path: str, column: str, limit: int = 60) -> list[str]:
    """The most common values of a model column (task or library), for filter menus."""
    return overview.top_values(cursor(path), column, limit)
