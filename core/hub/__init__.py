"""The Hugging Face Hub as a place for bundles: publishing one as a dataset and fetching it at a Space's start.

Owns: :mod:`.publish` and :mod:`.fetch` (``python -m core.publish`` and ``core.fetch`` are their CLIs), the live
listing :mod:`.crawl` (``python -m core.crawl``) and a model's repository files (:mod:`.files`).
May import: ``core.errors``, ``core.settings`` and ``core.bundle``; the token comes from ``HF_TOKEN`` only.
"""

from core.hub.publish import CONFIGS, dataset_card, publish
from core.hub.fetch import REPO_VARIABLE, RemoteBundle, fetch, parse_repo, read_status

__all__ = [
    "CONFIGS", "dataset_card", "publish", "REPO_VARIABLE", "RemoteBundle", "fetch", "parse_repo", "read_status",
]
