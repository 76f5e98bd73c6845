"""License classes, from most to least restrictive, and ``relaxes``: the one rule for edges that relax their
parent's terms (ANALYSES.md §4, license inheritance); the family page and the bundle-wide tables both apply it to
``models.license_class``, which :func:`connect` adds to a bundle's connection.
"""

from __future__ import annotations

import re
from enum import Enum

import numpy as np
import pandas as pd

from core.bundle import Bundle
from core.bundle import connect as connect_bundle

__all__ = ["LicenseClass", "classify_license", "model_license_class", "RESTRICTIVENESS", "relaxes",
           "add_license_classes", "connect"]


class LicenseClass(str, Enum):
    COMMERCIAL_RESTRICTED = "commercial-restricted"  # llama, gemma: use allowed, commercial terms attached
    NON_COMMERCIAL = "non-commercial"
    USE_RESTRICTED = "use-restricted"  # RAIL family: behavioural use restrictions
    COPYLEFT = "copyleft"
    PERMISSIVE = "permissive"
    OTHER = "other/unknown"


# Higher is more restrictive; OTHER is not ranked (unknown terms cannot be compared).
RESTRICTIVENESS = {
    LicenseClass.PERMISSIVE: 0, LicenseClass.COPYLEFT: 1, LicenseClass.USE_RESTRICTED: 2,
    LicenseClass.COMMERCIAL_RESTRICTED: 3, LicenseClass.NON_COMMERCIAL: 4,
}
# Most restrictive first, then the unranked class: the order of every class table and matrix.
CLASS_ORDER = [c.value for c in sorted(RESTRICTIVENESS, key=RESTRICTIVENESS.get, reverse=True)] + [LicenseClass.OTHER.value]

_RULES: list[tuple[str, LicenseClass]] = [
    (r"^(llama|gemma|meta-llama|llama-?\d)", LicenseClass.COMMERCIAL_RESTRICTED),
    # No-derivatives licenses forbid what a derived model is, so they rank with non-commercial ones.
    (r"(^|-)(nc|nd)(-|$)|non-?commercial", LicenseClass.NON_COMMERCIAL),
    (r"rail|openrail", LicenseClass.USE_RESTRICTED),
    (r"^(a|l)?gpl|^gfdl|^cc-by-sa|^mpl|^epl|^eupl|^osl|^cecill|^odbl", LicenseClass.COPYLEFT),
    (r"^(apache|mit$|bsd|cc0|cc-by(-\d|$)|^cc$|unlicense|wtfpl|afl|artistic|isc|zlib|bsl|ecl|postgresql|ms-pl|pddl|odc-by|c-uda|ncsa|openrail\+\+x)",
     LicenseClass.PERMISSIVE),
]
_COMPILED = [(re.compile(p), c) for p, c in _RULES]


def classify_license(license_id: str | None) -> LicenseClass:
    """Class of one Hub license id (``license:X`` tag value).

    >>> classify_license("llama3.1").value, classify_license("cc-by-nc-4.0").value, classify_license("mit").value
    ('commercial-restricted', 'non-commercial', 'permissive')
    """
    if not license_id:
        return LicenseClass.OTHER
    lid = license_id.strip().lower()
    for pattern, cls in _COMPILED:
        if pattern.search(lid):
            return cls
    return LicenseClass.OTHER


def model_license_class(licenses: list[str] | None) -> LicenseClass:
    """A model's class: the most restrictive of its known licenses, OTHER if none is known."""
    ranked = [c for c in (classify_license(x) for x in licenses or []) if c in RESTRICTIVENESS]
    return max(ranked, key=RESTRICTIVENESS.__getitem__) if ranked else LicenseClass.OTHER


_RANK = {c.value: r for c, r in RESTRICTIVENESS.items()}


def relaxes(parent_class, child_class) -> np.ndarray:
    """Whether each child's class is ranked less restrictive than its parent's (elementwise).

    Unknown terms are never compared: an edge with an unranked class at either
    end is never a relaxation.

    >>> relaxes(["commercial-restricted", "permissive"], ["permissive", "other/unknown"]).tolist()
    [True, False]
    """
    parent = pd.Series(parent_class, dtype=object).map(_RANK)
    child = pd.Series(child_class, dtype=object).map(_RANK)
    return (parent.notna() & child.notna() & (child < parent)).to_numpy(dtype=bool)


def add_license_classes(con) -> None:
    """Add ``models.license_class``, the most restrictive class of a model's licenses, to an in-memory connection."""
    values = [r[0] for r in con.execute("SELECT DISTINCT unnest(licenses) FROM models").fetchall()]
    rank = {c.value: RESTRICTIVENESS.get(c, -1) for c in LicenseClass}
    con.execute("CREATE TEMP TABLE license_map (license VARCHAR, class VARCHAR, rank INTEGER)")
    if values:
        classes = [classify_license(v).value for v in values]
        con.executemany("INSERT INTO license_map VALUES (?, ?, ?)", [(v, c, rank[c]) for v, c in zip(values, classes)])
    con.execute("""
        CREATE TEMP TABLE model_license AS
        SELECT m.model_id, arg_max(l.class, l.rank) AS license_class
        FROM (SELECT model_id, unnest(licenses) AS license FROM models) m JOIN license_map l USING (license)
        WHERE l.rank >= 0 GROUP BY m.model_id""")
    con.execute("ALTER TABLE models ADD COLUMN license_class VARCHAR DEFAULT 'other/unknown'")
    con.execute("""UPDATE models SET license_class = ml.license_class FROM model_license ml
                   WHERE models.model_id = ml.model_id""")



def connect(bundle: Bundle, in_memory: bool = True):
    """A bundle's connection whose ``models`` carry ``license_class``: what the pages, the report and tests query."""
    return connect_bundle(bundle, in_memory, extend=add_license_classes if in_memory else None)
