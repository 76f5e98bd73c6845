"""Caches of family trees."""

from __future__ import annotations

import streamlit as st

from core.lineage import family
from views.cache.bundle import cursor


@st.cache_resource(show_spinner="Reading the family…", max_entries=16)
def family_data(path: str, model_id: str) -> family.FamilyData | None:
    """The family of a model (models and edges), shared read-only."""
    return family.load_family(cursor(path), model_id)


@st.cache_data(show_spinner=False, max_entries=16)
def family_summary(path: str, model_id: str) -> dict:
    fam = family_data(path, model_id)
    return family.summary(fam) if fam is not None else {}


@st.cache_data(show_spinner=False, max_entries=256)
def is_family(path: str, root: str) -> bool:
    """Whether ``root`` is the root id of a family of two or more models."""
    return family.is_family(cursor(path), root)
