"""Language tags: the Hub's two-letter ISO 639-1 codes to the English names the dataset stores."""

from __future__ import annotations

from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["STUDY_NAMES", "language_names", "canonical_languages"]

# Where the study's dataset spells a language otherwise than pycountry (checked against every name of
# ../shared/data/paper_aggregates_2025-07/language_counts_2025-07.json: these two are the only differences).
STUDY_NAMES = {"ny": "Nyanja", "dv": "Dhivehi"}


@lru_cache(maxsize=1)
def language_names() -> dict[str, str]:
    """ISO 639-1 code → name as the study's dataset spells it (pycountry's English name, but for STUDY_NAMES)."""
    import pycountry

    return {lang.alpha_2: STUDY_NAMES.get(lang.alpha_2, lang.name) for lang in pycountry.languages
            if hasattr(lang, "alpha_2")}


@lru_cache(maxsize=1)
def _aliases() -> tuple[pa.Array, pa.Array]:
    """Spellings to fix → the dataset's name: codes, and pycountry's names where the study differs."""
    import pycountry

    names = language_names()
    keys = list(names) + [pycountry.languages.get(alpha_2=code).name for code in STUDY_NAMES]
    values = list(names.values()) + list(STUDY_NAMES.values())
    return pa.array(keys), pa.array(values)


def canonical_languages(values: pa.Array) -> pa.Array:
    """Language values as the dataset names them: a code (``en``) or pycountry's ``Chichewa`` become the name, so a
    model that lists a language both ways counts it once; other values are kept as written."""
    keys, names = _aliases()
    pos = pc.index_in(values.cast(pa.string()), value_set=keys)
    return pc.coalesce(pc.take(names, pos), values.cast(pa.string()))
