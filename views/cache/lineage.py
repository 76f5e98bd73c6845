"""Caches of family trees and of a model's descendants."""

from __future__ import annotations

import streamlit as st

from core.lineage import FamilyGraph, family
from views.cache.bundle import cursor


@st.cache_resource(show_spinner="Reading the family…", max_entries=16)
def family_data(path: str, model_id: str, graph: FamilyGraph = FamilyGraph.NO_MERGE) -> family.FamilyData | None:
    """The family of a model (models and edges) on a graph variant, shared read-only."""
    return family.load_family(cursor(path), model_id, graph)


@st.cache_data(show_spinner=False, max_entries=16)
def family_summary(path: str, model_id: str, graph: FamilyGraph = FamilyGraph.NO_MERGE) -> dict:
    fam = family_data(path, model_id, graph)
    return family.summary(fam) if fam is not None else {}


@st.cache_resource(show_spinner=False, max_entries=16)
def family_outline(path: str, model_id: str, graph: FamilyGraph = FamilyGraph.NO_MERGE) -> family.FamilyOutline:
    return family.outline(family_data(path, model_id, graph))


@st.cache_data(show_spinner=False, max_entries=64)
def family_group(path: str, model_id: str, graph: FamilyGraph, group: str):
    return family.group_members(family_data(path, model_id, graph), group)


@st.cache_resource(show_spinner="Walking down from the model…", max_entries=16)
def descendants(path: str, model_id: str, graph: FamilyGraph = FamilyGraph.NO_MERGE) -> family.Descendants:
    return family.descendants(cursor(path), model_id, graph)


@st.cache_data(show_spinner=False, max_entries=16)
def descendants_summary(path: str, model_id: str, graph: FamilyGraph = FamilyGraph.NO_MERGE) -> dict:
    return family.descendants_summary(descendants(path, model_id, graph))


@st.cache_data(show_spinner=False, max_entries=256)
def has_model(path: str, model_id: str) -> bool:
    return family.has_model(cursor(path), model_id)
