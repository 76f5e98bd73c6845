"""Phylo's environment, read in one place: where caches and bundles live and which bundle the Space serves.

Each variable is read when asked for (tests and the Space set them per process), and the same way everywhere:
an unset or empty variable means the default.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_VARIABLE", "BUNDLE_VARIABLE", "BUNDLES_VARIABLE", "REPO_VARIABLE", "cache_dir", "bundle_override",
           "extra_bundle_roots", "bundle_repo", "SELF_BUILD_VARIABLE", "self_build_source"]

CACHE_VARIABLE = "PHYLO_CACHE"  # downloads, fetched bundles and fitted encoders; default ~/.cache/phylo
BUNDLE_VARIABLE = "PHYLO_BUNDLE"  # one bundle folder, listed first
BUNDLES_VARIABLE = "PHYLO_BUNDLES"  # more folders to search for bundles (os.pathsep-separated)
SELF_BUILD_VARIABLE = "PHYLO_SELF_BUILD_SOURCE"  # what the Space builds itself from when no bundle is published
REPO_VARIABLE = "PHYLO_BUNDLE_REPO"  # OWNER/NAME[@REVISION] of the bundle the Space fetches at start-up


def _value(name: str) -> str:
    return os.environ.get(name, "").strip()


def cache_dir() -> Path:
    """``PHYLO_CACHE``, else ``/data/phylo`` on a Space with persistent storage (``/data`` writable), else
    ``~/.cache/phylo``."""
    if value := _value(CACHE_VARIABLE):
        return Path(value)
    data = Path("/data")
    return data / "phylo" if data.is_dir() and os.access(data, os.W_OK) else Path.home() / ".cache" / "phylo"


def bundle_override() -> Path | None:
    """The bundle folder ``PHYLO_BUNDLE`` names, or None."""
    return Path(value) if (value := _value(BUNDLE_VARIABLE)) else None


def extra_bundle_roots() -> list[Path]:
    """Folders ``PHYLO_BUNDLES`` adds to the bundle search."""
    return [Path(p) for p in _value(BUNDLES_VARIABLE).split(os.pathsep) if p]


def bundle_repo() -> str:
    """``PHYLO_BUNDLE_REPO`` as set ("" when unset)."""
    return _value(REPO_VARIABLE)


def self_build_source() -> str:
    """``PHYLO_SELF_BUILD_SOURCE``: a Hub dataset id or a listing file the Space builds from; empty: the default."""
    return _value(SELF_BUILD_VARIABLE)
