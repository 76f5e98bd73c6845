"""The offline build: a Hub snapshot in, a parquet bundle out (``python -m core.precompute``).

Owns: the build's steps and their log (:mod:`.build`, :mod:`.stages`) and the map steps (:mod:`.map`).
May import every domain package: it is the one place that runs them all, in order.
"""

from core.precompute.build import add_resemblance, build_bundle
from core.precompute.map import add_labels, add_map

__all__ = ["build_bundle", "add_resemblance", "add_map", "add_labels"]
