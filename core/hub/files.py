"""A model's repository files, listed from the Hub when it can be reached (the seed navigator's file browser).

Nothing is downloaded: the listing is names and sizes. Offline, or for a model the Hub does not know, the answer
is one line saying why, and the rest of the page is unaffected.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd

from core.errors import one_line

__all__ = ["RepoFiles", "repo_files", "MAX_FILES"]

MAX_FILES = 500  # a repository of thousands of checkpoints is listed up to this many entries


@dataclass(frozen=True)
class RepoFiles:
    """The listing (path, kind, size in bytes) or, when there is none, why."""

    files: pd.DataFrame | None
    reason: str | None = None
    truncated: bool = False


def repo_files(model_id: str, api=None, limit: int = MAX_FILES) -> RepoFiles:
    """The files of ``model_id``'s repository on the Hub (top level and folders, recursively, up to ``limit``)."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip() not in ("", "0", "false", "False"):
        return RepoFiles(None, "the Hub is not reachable from this site (offline mode)")
    try:
        if api is None:
            from huggingface_hub import HfApi

            api = HfApi()
        rows = []
        for entry in api.list_repo_tree(model_id, recursive=True):
            if len(rows) >= limit:
                return RepoFiles(_frame(rows), truncated=True)
            size = getattr(entry, "size", None)
            rows.append((entry.path, "file" if size is not None else "folder", size))
    except Exception as exc:  # noqa: BLE001 - offline, unknown repo, gated, rate-limited: all said in one line
        return RepoFiles(None, f"the Hub did not list its files ({type(exc).__name__}: {one_line(exc)[:200]})")
    return RepoFiles(_frame(rows))


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["path", "kind", "bytes"]).astype({"bytes": "Int64"})
