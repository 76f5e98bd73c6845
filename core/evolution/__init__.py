"""How traits evolve along lineage (ANALYSES.md §2–§5): bundle-wide figures, resemblance of relatives, drift
along edges, growth over time, the study's reference numbers and the report that sets them side by side.

Owns: :mod:`.traits` (the vocabularies), :mod:`.reference` (every study number), :mod:`.overview`, :mod:`.texts`,
:mod:`.sampling`, :mod:`.resemblance`, :mod:`.drift`, :mod:`.growth` and :mod:`.report`.
May import: ``core.errors``, ``core.settings``, ``core.bundle``, ``core.lineage``, ``core.ingest`` and
``core.licenses``.
"""

from core.evolution.traits import DriftGroup, DriftMeasure, DriftTrait, Measure, Relative, TextTrait

__all__ = ["DriftTrait", "DriftMeasure", "DriftGroup", "Relative", "TextTrait", "Measure"]
