"""URL state: the one place that knows which bundle is open and how page links carry it.

Widgets bind themselves to the URL with ``bind="query-params"`` and a
page-prefixed key (Streamlit validates those values and drops invalid ones);
this module handles the bundle choice shared by all pages.
"""

from __future__ import annotations

import streamlit as st

from views import cache

BUNDLE_KEY = "bundle"


def current_bundle_path() -> str | None:
    """Folder of the bundle chosen in the sidebar (bound to ``?bundle=``), or None if there is none."""
    return st.session_state.get("_bundle_path")


def choose_bundle() -> str | None:
    """Sidebar selector of bundles; its value lives in the URL as ``?bundle=NAME``."""
    bundles = cache.available_bundles()
    if not bundles:
        st.session_state["_bundle_path"] = None
        return None
    names = list(bundles)
    name = st.sidebar.selectbox("Bundle", names, key=BUNDLE_KEY, bind="query-params",
                                help="Parquet bundles found under data/, bundles/ and PHYLO_BUNDLES")
    path = bundles.get(name or names[0])
    st.session_state["_bundle_path"] = path
    return path
