"""Caches of the similarity network."""

from __future__ import annotations

import streamlit as st

from core import atlas
from core.atlas import geometry, network
from core.lineage import FamilyGraph
from views.cache.atlas import map_geometry, nearest_to_model, vector_index
from views.cache.bundle import cursor
from views.cache.lineage import family_data


@st.cache_data(show_spinner="Linking each model to its nearest neighbours…", max_entries=16)
def similarity_network(path: str, model_id: str, around: str, n: int, k: int, graph: FamilyGraph) -> network.Network:
    """``around`` "neighbourhood": the model and its ``n`` nearest; "family": its family on ``graph``."""
    if around == "family":
        fam = family_data(path, model_id, graph)
        ids = fam.models["model_id"].tolist() if fam is not None else []
    else:
        ids = [model_id, *(m for m, _ in nearest_to_model(path, model_id, n))]
    return network.network_of(cursor(path), vector_index(path).codes, ids, k)


SELECTION_MODELS = 20_000  # a selection's most downloaded models drawn; beyond MAX_NODES they are grouped anyway


@st.cache_data(show_spinner="Linking the selected models to their nearest neighbours…", max_entries=16)
def selection_network(path: str, polygon: str, k: int) -> tuple[network.Network, int]:
    """The network of the models inside a map outline (URL polygon), its ``SELECTION_MODELS`` most downloaded;
    and how many the outline holds."""
    rows = geometry.polygon_rows(map_geometry(path), polygon)
    ids = atlas.most_downloaded(cursor(path), rows, SELECTION_MODELS) if len(rows) else []
    return network.network_of(cursor(path), vector_index(path).codes, ids, k), len(rows)
