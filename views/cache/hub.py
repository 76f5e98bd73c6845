"""Caches of what is asked of the live Hub."""

from __future__ import annotations

import streamlit as st

from core.hub.files import RepoFiles, paper_titles, repo_files


@st.cache_data(ttl=600, show_spinner="Listing its files on the Hub…", max_entries=256)
def model_files(model_id: str) -> RepoFiles:
    """A model's repository files (names and sizes), kept ten minutes; offline, one line saying why."""
    return repo_files(model_id)


@st.cache_data(ttl=3600, show_spinner=False, max_entries=1024)
def papers(arxiv_ids: tuple[str, ...]) -> dict[str, str]:
    """The titles the Hub gives for these arXiv ids, kept an hour; offline, none."""
    return paper_titles(arxiv_ids)
