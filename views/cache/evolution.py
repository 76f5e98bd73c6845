"""Caches of the study's analyses: resemblance, drift and growth."""

from __future__ import annotations

import streamlit as st

from core.evolution import drift, growth, overview, resemblance as res, totals
from core.evolution.definitions import Definitions
from core.evolution.sampling import sample_pairs
from core.evolution.traits import DriftTrait, Relative, TextTrait
from core.lineage import EdgeScope, FamilyGraph
from core.settings import cache_dir
from views.cache.bundle import cursor

PHYLO = Definitions.PHYLO.value


@st.cache_resource(show_spinner="Reading the text vectorisers…", max_entries=2)
def vectorisers(path: str) -> dict:
    """Each trait's BoW and TF-IDF vectorisers, one per bundle (stored by precompute); shared read-only."""
    return {t: res.bundle_vectorisers(cursor(path), t) for t in TextTrait}


@st.cache_data(show_spinner="Sampling relatives and comparing their texts…", max_entries=32)
def resemblance(path: str, trait: TextTrait, scope: EdgeScope, defs: str = PHYLO):
    """§3 resemblance of a trait in a scope under ``defs``: as precompute stored it for the whole bundle (Phylo's
    definitions), else computed."""
    stored = None if scope.active or defs != PHYLO else res.stored_resemblance(cursor(path), trait)
    return stored if stored is not None else res.resemblance(cursor(path, defs), TextTrait(trait), scope,
                                                             vectorisers=vectorisers(path).get(TextTrait(trait)))


@st.cache_data(show_spinner="Comparing the two models…", max_entries=64)
def compare(path: str, model_a: str, model_b: str):
    return res.compare(cursor(path), model_a, model_b, vectorisers=vectorisers(path))


@st.cache_data(show_spinner="Drawing a pair…", max_entries=64)
def relative_pair(path: str, trait: TextTrait, relative: Relative, seed: int, scope: EdgeScope) -> tuple[str, str] | None:
    """One pair of models related as ``relative`` in a scope, drawn with ``seed``; None when there is none."""
    pairs = sample_pairs(cursor(path), TextTrait(trait), scope, draws=1, seed=seed)[Relative(relative)]
    return (str(pairs["a"].iloc[0]), str(pairs["b"].iloc[0])) if len(pairs) else None


@st.cache_data(show_spinner=False, max_entries=64)
def mutation_rates(path: str, scope: EdgeScope, defs: str = PHYLO):
    return drift.mutation_rates(cursor(path, defs), scope)


@st.cache_data(show_spinner="Finding the best ordering…", max_entries=64)
def transitions(path: str, trait: DriftTrait, top_n: int, scope: EdgeScope, defs: str = PHYLO) -> dict:
    """The best ordering of a trait's top values and the flows among them (``ordering``, ``flows``)."""
    return drift.ordering_flows(cursor(path, defs), DriftTrait(trait), top_n, scope)


@st.cache_data(show_spinner=False, max_entries=64)
def numerical_drift(path: str, by: str | None, scope: EdgeScope, defs: str = PHYLO):
    return drift.numerical_drift(cursor(path, defs), scope, by=by or None)


@st.cache_data(show_spinner=False, max_entries=32)
def monthly_growth(path: str, split: overview.TimeSplit, top: int = 8):
    return growth.monthly_growth(cursor(path), overview.TimeSplit(split), top)


@st.cache_data(show_spinner=False, max_entries=32)
def family_growth(path: str, graph: FamilyGraph, families: int):
    return growth.family_growth(cursor(path), FamilyGraph(graph), families)


@st.cache_data(show_spinner=False, max_entries=32)
def scoped_growth(path: str, scope: EdgeScope):
    return growth.scoped_growth(cursor(path), scope)


@st.cache_data(show_spinner=False, max_entries=64)
def created_months(path: str) -> dict:
    """The first and last creation dates of the bundle, and how many models have none."""
    return growth.created_span(cursor(path))


@st.cache_data(show_spinner=False, max_entries=256)
def created_by(path: str, day) -> int:
    return growth.created_by(cursor(path), day)


@st.cache_data(ttl=60, show_spinner=False)
def hub_history():
    """The Hub's totals as each build or crawl recorded them (core.evolution.totals), oldest first."""
    return totals.history(cache_dir())
