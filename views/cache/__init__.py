"""Streamlit caches, one module per domain; each wrapper is one call into ``core``, keyed by small scalars and the
frozen dataclasses of ``core`` (``EdgeScope``, ``MapFilter``) as they are.

``st.cache_resource`` holds what every session shares read-only (the DuckDB connection, the map's geometry, the
encoder and the vector index); ``st.cache_data`` holds small results. Pages import the names below.
"""

from views.cache.atlas import (distributions, encoder, family_segments, has_labels, has_map, hover_files,
                               map_backend, map_files, map_geometry, map_labels, matching, model_details,
                               nearest_to_model, nearest_to_text, place_text, point_codes, positions, projector,
                               search_ids, selection, selection_csv, vector_index, warm)
from views.cache.bundle import (ROOT, available_bundles, bundle, bundle_roots, bundle_summary, cursor, edge_mix,
                                has_cards, largest_families, models_per_month, remote_bundle, self_build,
                                top_values, trait_shares)
from views.cache.diff import snapshot_diff
from views.cache.hub import model_files, papers
from views.cache.network import selection_network, similarity_network
from views.cache.evolution import (compare, created_by, created_months, family_growth, scoped_growth, monthly_growth,
                                   mutation_rates, numerical_drift, relative_pair, resemblance, transitions,
                                   vectorisers, hub_history)
from views.cache.licenses import (family_relaxing, license_chain, license_class_counts, license_edges,
                                  license_families, license_transitions, model_verdicts, verdict_edges)
from views.cache.lineage import (descendants, descendants_summary, family_data, family_group, family_outline,
                                 family_summary, has_model)

__all__ = [
    "ROOT", "available_bundles", "bundle", "bundle_roots", "bundle_summary", "cursor", "edge_mix", "has_cards",
    "largest_families", "models_per_month", "remote_bundle", "self_build", "top_values", "trait_shares",
    "distributions", "encoder", "family_segments", "has_labels", "has_map", "hover_files", "map_backend", "map_files",
    "map_geometry", "map_labels", "matching", "model_details", "nearest_to_model", "nearest_to_text", "place_text",
    "point_codes", "positions", "projector", "search_ids", "selection", "selection_csv", "vector_index", "warm",
    "descendants", "descendants_summary", "family_data", "family_group", "family_outline", "family_summary",
    "has_model",
    "family_relaxing", "license_chain", "license_class_counts", "license_edges", "license_families",
    "license_transitions", "model_verdicts", "verdict_edges",
    "compare", "hub_history", "created_by", "created_months", "family_growth", "scoped_growth", "monthly_growth", "mutation_rates",
    "numerical_drift", "relative_pair", "resemblance", "transitions", "vectorisers",
    "snapshot_diff", "selection_network", "similarity_network", "model_files", "papers",
]
