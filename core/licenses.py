"""License classes, from most to least restrictive, and the check for edges that relax their parent's terms."""

from __future__ import annotations

import re
from enum import Enum

__all__ = ["LicenseClass", "classify_license", "model_license_class", "RESTRICTIVENESS"]


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
