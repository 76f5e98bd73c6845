"""Caches of what is asked of the live Hub."""

from __future__ import annotations

import streamlit as st

from core.hub.files import RepoFiles, repo_files


@st.cache_data(ttl=600, show_spinner="Listing its files on the Hub…", max_entries=256)
def model_files(model_id: str) -> RepoFiles:
    """A model's repository files (names and sizes), kept ten minutes; offline, one line saying why."""
    return repo_files(model_id)
