"""A user's own model card, pasted on the map ("Place mine"): what it declares about its lineage."""

from __future__ import annotations

import re

__all__ = ["declared_base_models"]

_FRONT = re.compile(r"\A\s*---\s*\n(.*?)\n---\s*(\n|\Z)", re.S)
_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")


def declared_base_models(card: str, limit: int = 5) -> list[str]:
    """The ``base_model`` ids a card's YAML header declares (a string or a list), in order, at most ``limit``;
    [] without a header, or for a malformed one or values that are not Hub ids (never an error).

    >>> declared_base_models("---\\nlicense: mit\\nbase_model: mistralai/Mistral-7B-v0.1\\n---\\n# My model")
    ['mistralai/Mistral-7B-v0.1']
    >>> declared_base_models("---\\nbase_model:\\n- a/b\\n- 'not an id!'\\n---"), declared_base_models("no header")
    (['a/b'], [])
    """
    import yaml

    m = _FRONT.match(card or "")
    if not m:
        return []
    try:
        meta = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        return []
    value = meta.get("base_model") if isinstance(meta, dict) else None
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [v.strip() for v in values if isinstance(v, str) and _ID.match(v.strip())][:limit]
