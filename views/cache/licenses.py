"""Caches of the license audit."""

from __future__ import annotations

import streamlit as st

from core import licenses
from core.lineage import EdgeScope, FamilyGraph
from views.cache.bundle import cursor
from views.cache.lineage import family_data


@st.cache_data(show_spinner="Checking license inheritance…", max_entries=32)
def license_edges(path: str, scope: EdgeScope):
    """Every in-snapshot edge in scope with both ends' license classes and whether the child relaxes them."""
    return licenses.license_edges(cursor(path), scope)


@st.cache_data(show_spinner=False, max_entries=8)
def license_class_counts(path: str):
    return licenses.class_counts(cursor(path))


@st.cache_data(show_spinner=False, max_entries=32)
def license_families(path: str, scope: EdgeScope):
    """Relaxing edges per family in scope (from the cached edges)."""
    return licenses.family_relaxations(license_edges(path, scope))


@st.cache_data(show_spinner=False, max_entries=32)
def license_transitions(path: str, scope: EdgeScope):
    return licenses.transitions(license_edges(path, scope))


@st.cache_data(show_spinner="Judging every edge's licenses…", max_entries=32)
def verdict_edges(path: str, scope: EdgeScope):
    """Every in-snapshot edge in scope with its compliance verdict and reasons."""
    return licenses.verdict_edges(cursor(path), scope)


@st.cache_data(show_spinner="Following violations down the lineages…", max_entries=4)
def model_verdicts(path: str):
    return licenses.model_verdicts(cursor(path))


@st.cache_data(show_spinner=False, max_entries=256)
def license_chain(path: str, model_id: str):
    return licenses.license_chain(cursor(path), model_id)


@st.cache_data(show_spinner=False, max_entries=16)
def family_relaxing(path: str, model_id: str, graph: FamilyGraph = FamilyGraph.NO_MERGE):
    """The edges of a model's family whose child relaxes its parent's license class (None: no such model)."""
    fam = family_data(path, model_id, graph)
    return licenses.relaxing_edges(fam) if fam is not None else None
