"""Language tags: the Hub's two-letter ISO 639-1 codes to the English names the dataset stores."""

from __future__ import annotations

from functools import lru_cache

__all__ = ["language_names"]


@lru_cache(maxsize=1)
def language_names() -> dict[str, str]:
    """ISO 639-1 code → name, as pycountry spells it (the reference dataset uses the same names)."""
    import pycountry

    return {lang.alpha_2: lang.name for lang in pycountry.languages if hasattr(lang, "alpha_2")}
