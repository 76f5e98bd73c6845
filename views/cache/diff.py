"""Cache of snapshot diffs: two bundles compared once per pair of folders."""

from __future__ import annotations

import streamlit as st

from core.bundle import open_bundle
from core.evolution.diff import SnapshotDiff, diff_bundles


@st.cache_data(show_spinner="Comparing the two snapshots…", max_entries=4)
def snapshot_diff(old_path: str, new_path: str, top: int = 20) -> SnapshotDiff:
    """What changed from the bundle at ``old_path`` to the one at ``new_path`` (see core.evolution.diff)."""
    return diff_bundles(open_bundle(old_path), open_bundle(new_path), top=top)
