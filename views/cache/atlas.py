"""Caches of the map: its shared geometry, point and hover files, labels, filters, selections and the search index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from core import atlas
from core.atlas import geometry
from core.atlas.embedding import VectorIndex, load_encoder, nearest, query_backend_of
from views.cache.bundle import ROOT, bundle, cursor

STATIC = ROOT / "static"  # served at app/static/ (server.enableStaticServing)


def has_map(path: str) -> bool:
    return bundle(path).has("points")


def has_labels(path: str) -> bool:
    return bundle(path).has("labels")


@st.cache_resource(show_spinner=False, max_entries=3)
def map_geometry(path: str) -> geometry.MapGeometry:
    """Grid coordinates (2D and 3D), the drawing order and model ids; shared read-only by all sessions."""
    return geometry.map_geometry(cursor(path), bundle(path).version_key)


def warm(path: str) -> None:
    """Build the shared map state with the bundle, once per server: Map and Growth need it, and at 1.86M models
    it takes seconds that no page's first render should pay. A failure is left to the page that needs it."""
    try:
        if has_map(path):
            map_geometry(path)
            hover_files(path)
    except Exception:  # noqa: BLE001 — the page that opens this bundle reports what is wrong, in one line
        pass


@st.cache_resource(show_spinner=False, max_entries=16)
def point_codes(path: str, color_by: atlas.ColorBy, size_by: atlas.SizeBy) -> geometry.PointCodes:
    """Colour code, size code and legend per model in bundle order; shared read-only."""
    return geometry.point_codes(cursor(path), color_by, size_by)


@st.cache_data(show_spinner="Preparing the map…", max_entries=32)
def map_files(path: str, color_by: atlas.ColorBy, size_by: atlas.SizeBy, three_d: bool, with_time: bool = False) -> dict:
    """The binary point files of a view and its legend (``core.atlas.geometry.point_files``)."""
    return geometry.point_files(cursor(path), map_geometry(path), STATIC, point_codes(path, color_by, size_by),
                                color_by, size_by, three_d, with_time)


@st.cache_data(show_spinner=False, max_entries=8)
def map_labels(path: str) -> list[dict]:
    """The map's label hierarchy with grid positions, for the map component ([] for a bundle without labels)."""
    return geometry.map_labels(cursor(path), map_geometry(path)) if has_labels(path) else []


@st.cache_data(show_spinner=False, max_entries=4)
def hover_files(path: str) -> dict:
    return geometry.hover_files(cursor(path), map_geometry(path), STATIC)


@st.cache_data(show_spinner=False, max_entries=16)
def selection(path: str, polygon: str, f: atlas.MapFilter | None = None, top: int = 200) -> dict:
    """The models inside a URL polygon that pass the filter ``f`` (``geometry.selected_rows``), how many the outline
    holds in all, and their summary; rows as uint32, few entries: each is copied on a hit."""
    rows, inside = geometry.selected_rows(cursor(path), map_geometry(path), polygon, f)
    return {"rows": rows, "inside": inside, **atlas.selection_summary(cursor(path), rows, top=top)}


def selection_csv(path: str, polygon: str, f: atlas.MapFilter | None = None) -> bytes:
    """Every selected model as CSV, made when the button is pressed and not kept (it can be ~200 MB)."""
    return atlas.selection_rows(cursor(path), selection(path, polygon, f)["rows"]).to_csv(index=False).encode()


@st.cache_data(show_spinner=False, max_entries=64)
def matching(path: str, f: atlas.MapFilter, polygon: str = "") -> dict:
    """Rows passing ``f`` (inside ``polygon`` when given): their count and mask for the map component."""
    return geometry.match_mask(cursor(path), map_geometry(path) if has_map(path) else None, f,
                               selection(path, polygon)["rows"] if polygon else None, polygon)


@st.cache_data(show_spinner=False, max_entries=256)
def model_details(path: str, model_id: str):
    return atlas.model_details(cursor(path), model_id)


@st.cache_data(show_spinner=False, max_entries=256)
def family_segments(path: str, model_id: str):
    return atlas.family_segments(cursor(path), model_id)


@st.cache_data(show_spinner=False, max_entries=256)
def search_ids(path: str, query: str):
    return atlas.search_ids(cursor(path), query)


@st.cache_data(show_spinner=False, max_entries=64)
def distributions(path: str, f: atlas.MapFilter):
    return atlas.distributions(cursor(path), f)


@st.cache_resource(show_spinner="Loading the search index…", max_entries=2)
def vector_index(path: str) -> VectorIndex:
    return VectorIndex(np.load(Path(path) / "embeddings.npy", mmap_mode="r"))


@st.cache_resource(show_spinner="Loading the embedding model…", max_entries=3)
def encoder(backend: str):
    """The query encoder of one backend; a bundle's queries must use the backend its vectors came from."""
    return load_encoder(backend)


def map_backend(path: str) -> str:
    """The backend that embeds queries in the space of the bundle's vectors (its manifest's ``map`` record)."""
    return query_backend_of(bundle(path).manifest)


@st.cache_resource(show_spinner="Loading the projection…", max_entries=2)
def projector(path: str) -> dict:
    import joblib  # sklearn's, only once a text is placed

    return joblib.load(Path(path) / "projection.joblib")


@st.cache_data(show_spinner=False, max_entries=256)
def nearest_to_text(path: str, text: str, k: int = 15):
    """Models nearest to a free text (the query is embedded like a model's text), and the query's vector."""
    vec = encoder(map_backend(path)).encode([text])[0]
    return nearest(vector_index(path), map_geometry(path).ids, vec, k), vec


@st.cache_data(show_spinner=False, max_entries=256)
def nearest_to_model(path: str, model_id: str, k: int = 15):
    row = geometry.rows_of(cursor(path), [model_id]).get(model_id)
    index = vector_index(path)
    return [] if row is None else nearest(index, map_geometry(path).ids, index.vector(row), k, exclude=row)


@st.cache_data(show_spinner=False, max_entries=64)
def place_text(path: str, text: str) -> tuple[int, int]:
    """Where a new model's text lands on the map, in grid units."""
    return geometry.place_vectors(map_geometry(path), projector(path), encoder(map_backend(path)).encode([text]))


@st.cache_data(show_spinner=False, max_entries=1024)
def positions(path: str, model_ids: tuple[str, ...], exact: bool = False) -> list[tuple]:
    """Grid positions of a few models (``exact``: where the browser draws them, between grid units)."""
    return geometry.positions(cursor(path), map_geometry(path), model_ids, exact)
