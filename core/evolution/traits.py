"""The closed vocabularies of the evolution analyses: which traits drift, which texts resemble, which relatives."""

from __future__ import annotations

from enum import Enum

__all__ = ["DriftTrait", "DriftMeasure", "DriftGroup", "Relative", "TextTrait", "Measure"]


class DriftTrait(str, Enum):
    """Traits whose drift along edges §4 measures."""

    LICENSES = "licenses"
    LANGUAGES = "languages"
    LIBRARY = "library_name"
    TASK = "pipeline_tag"

    def set_sql(self, alias: str) -> str:
        """SQL for the trait of model row ``alias`` as a list of distinct non-empty values (a fixed fragment)."""
        column = f"{alias}.{self.value}"
        if self in (DriftTrait.LICENSES, DriftTrait.LANGUAGES):
            return f"list_distinct(list_filter(coalesce({column}, []), lambda v: v IS NOT NULL AND v <> ''))"
        return f"(CASE WHEN {column} IS NULL OR {column} = '' THEN []::VARCHAR[] ELSE [{column}] END)"



class DriftMeasure(str, Enum):
    """Per-model numbers whose parent → child change numerical drift reports."""

    HAS_CARD = "has_card"
    AUTO_GENERATED = "card_auto_generated"
    CARD_LENGTH = "card_length"
    N_LANGUAGES = "n_languages"



class DriftGroup(str, Enum):
    """How numerical drift splits edges: by edge type or by the child's depth."""

    RELATION = "relation"
    DEPTH = "depth"


class Relative(str, Enum):
    """How the two models of a pair are related in the lineage graph."""

    RANDOM = "random"
    PARENT_CHILD = "parent-child"
    SIBLINGS = "siblings"
    GRANDPARENT = "grandparent-grandchild"
    AUNT_NIECE = "aunt-niece"
    GREAT_GRANDPARENT = "great-grandparent-grandchild"



class TextTrait(str, Enum):
    """The text of a model that is compared."""

    METADATA = "metadata"  # the metadata record as one string, see metadata_text
    CARDS = "cards"  # the first 512 characters of a card of ≥ 512 characters that is not auto-generated



class Measure(str, Enum):
    """How alike two texts are, from 0 (nothing shared) to 1 (identical)."""

    LEVENSHTEIN = "levenshtein"
    BOW = "bow"
    TFIDF = "tfidf"
