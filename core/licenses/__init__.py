"""Licenses: classes from most to least restrictive, the rule engine that judges each edge, and the audit.

Owns: :mod:`.classes` (``LicenseClass``, ``relaxes``, ``models.license_class`` and the connection that carries
it), :mod:`.compliance` (verdicts with their reasons and sources) and :mod:`.audit` (edges, models, families and
a model's chain, judged). ``python -m core.licenses check`` is :mod:`.__main__`.
May import: ``core.errors``, ``core.settings``, ``core.bundle``, ``core.lineage`` and ``core.ingest``.
"""

from core.licenses.classes import (CLASS_ORDER, RESTRICTIVENESS, LicenseClass, add_license_classes, classify_license, connect,
                                   model_license_class, relaxes)
from core.licenses.compliance import (CARD_NAMES, SEVERITY, edge_lead, SOURCES, Judgement, Reason, Verdict, judge, judge_pair,
                                      normalise, resolve, worst)
from core.licenses.audit import (class_counts, class_matrix, filter_verdicts, license_pairs, license_values, verdict_mix, family_relaxations, family_verdicts, license_chain, license_edges,
                                 model_verdicts, relaxing_edges, transitions, verdict_edges)

__all__ = [
    "CLASS_ORDER", "RESTRICTIVENESS", "LicenseClass", "add_license_classes", "classify_license", "connect", "model_license_class",
    "relaxes", "CARD_NAMES", "edge_lead", "SEVERITY", "SOURCES", "Judgement", "Reason", "Verdict", "judge", "judge_pair",
    "normalise", "resolve", "worst", "class_counts", "class_matrix", "filter_verdicts", "license_pairs", "license_values", "verdict_mix", "family_relaxations", "family_verdicts", "license_chain",
    "license_edges", "model_verdicts", "relaxing_edges", "transitions", "verdict_edges",
]
