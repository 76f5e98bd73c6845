"""Reading a Hub snapshot into Phylo's tables: sources streamed in batches, list text, languages, cards and their
cuts, the canonical models table, and the synthetic Hub of the demo.

Owns: :mod:`.snapshot` (sources), :mod:`.listtext`, :mod:`.languages`, :mod:`.cards` (card text and every cut of
it), :mod:`.models` (normalisation) and :mod:`.demo` (the synthetic Hub).
May import: ``core.errors``, ``core.settings``, ``core.bundle`` and ``core.lineage`` (the relation vocabulary
that typed parent tags are read into).
"""

from core.ingest.snapshot import (DEFAULT_DATASET, Snapshot, SnapshotReader, SourceShape, detect_shape, open_snapshot,
                                  read_snapshot)
from core.ingest.listtext import MISSING_TEXT, as_string_lists, collect, explode
from core.ingest.languages import STUDY_NAMES, canonical_languages, language_names
from core.ingest.cards import (COMPARED_CHARS, EMBED_CHARS, MAX_CARD_CHARS, CardWriter, card_excerpt, card_start,
                               card_starts, compared_card)
from core.ingest.models import MODEL_COLUMNS, PLACEHOLDER_DATE, Normalized, card_features, normalize
from core.ingest.demo import demo_snapshot, synthetic_listing, write_source

__all__ = [
    "DEFAULT_DATASET", "Snapshot", "SnapshotReader", "SourceShape", "detect_shape", "open_snapshot",
    "read_snapshot", "MISSING_TEXT", "as_string_lists", "collect", "explode", "STUDY_NAMES", "canonical_languages",
    "language_names", "COMPARED_CHARS", "EMBED_CHARS", "MAX_CARD_CHARS", "CardWriter", "card_excerpt", "card_start",
    "card_starts", "compared_card", "MODEL_COLUMNS", "PLACEHOLDER_DATE", "Normalized", "card_features", "normalize",
    "demo_snapshot", "synthetic_listing", "write_source",
]
