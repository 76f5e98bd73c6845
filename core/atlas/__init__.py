"""The map of models: embeddings, the projection and its labels, the queries behind the map page, its grid,
the browser's file format and the map's URL encodings.

Owns: :mod:`.embedding` and :mod:`.static_embedding` (encoders), :mod:`.projection` (UMAP, clusters, labels),
:mod:`.queries` (filters, colours, details, selections), :mod:`.grid` (integer coordinates, polygons, picking,
density), :mod:`.browser` (the point and hover files), :mod:`.urls` (camera and polygon in a URL) and :mod:`.draft` (a pasted
card's declared base models).
May import: ``core.errors``, ``core.settings``, ``core.bundle``, ``core.lineage``, ``core.ingest`` and
``core.licenses``.
"""

from core.atlas.queries import (EPOCH, NO_FAMILY, OTHER_COLOR, PALETTE, UNKNOWN_DAY, ColorBy, MapFilter, SizeBy,
                                color_codes, created_days, distributions, family_segments, filter_sql, hover_table,
                                map_points, matching_rows, model_details, most_downloaded, search_ids, selection_rows,
                                selection_summary, size_codes)
from core.atlas.grid import (DENSITY_BINS, DENSITY_CELLS, DENSITY_REACH, DENSITY_RGB, GRID, box_polygon, density_codes,
                             draw_order, grid_coordinates, grid_coordinates_3d, picked_model, points_in_polygon,
                             to_grid)
from core.atlas.browser import (FAMILY_LEVEL, HOVER_CHUNK, hover_chunks, interleave, mask_bits, short_label,
                                write_array, write_bytes)
from core.atlas.urls import MAX_POLYGON, Camera, format_polygon, parse_polygon
from core.atlas.draft import declared_base_models

__all__ = [
    "EPOCH", "NO_FAMILY", "OTHER_COLOR", "PALETTE", "UNKNOWN_DAY", "ColorBy", "MapFilter", "SizeBy", "color_codes",
    "created_days", "distributions", "family_segments", "filter_sql", "hover_table", "map_points", "matching_rows",
    "model_details", "most_downloaded", "search_ids", "selection_rows", "selection_summary", "size_codes", "DENSITY_BINS",
    "DENSITY_CELLS", "DENSITY_REACH", "DENSITY_RGB", "GRID", "box_polygon", "density_codes", "draw_order",
    "grid_coordinates", "grid_coordinates_3d", "picked_model", "points_in_polygon", "to_grid", "FAMILY_LEVEL",
    "HOVER_CHUNK", "hover_chunks", "interleave", "mask_bits", "short_label", "write_array", "write_bytes",
    "MAX_POLYGON", "Camera", "format_polygon", "parse_polygon", "declared_base_models",
]
