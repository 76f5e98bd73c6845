"""A model's repository files and its papers' titles, asked of the Hub when it can be reached (the seed navigator's
file browser and paper links).

Nothing is downloaded: the listing is names and sizes. Offline, or for a model the Hub does not know, the answer
is one line saying why, and the rest of the page is unaffected.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd

from core.errors import one_line

__all__ = ["RepoFiles", "repo_files", "file_format", "describe", "paper_titles", "MAX_FILES"]

MAX_FILES = 500  # a repository of thousands of checkpoints is listed up to this many entries


@dataclass(frozen=True)
class RepoFiles:
    """The listing (path, kind, format, size in bytes) or, when there is none, why."""

    files: pd.DataFrame | None
    reason: str | None = None
    truncated: bool = False


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip() not in ("", "0", "false", "False")


def repo_files(model_id: str, api=None, limit: int = MAX_FILES) -> RepoFiles:
    """The files of ``model_id``'s repository on the Hub (top level and folders, recursively, up to ``limit``)."""
    if _offline():
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


# What a file's extension says it holds, where the name alone is unclear (the rest show their extension).
FORMATS = {"safetensors": "safetensors weights", "gguf": "GGUF weights", "bin": "binary (PyTorch pickle weights?)",
           "pt": "PyTorch pickle", "pth": "PyTorch pickle", "ckpt": "checkpoint", "onnx": "ONNX graph",
           "h5": "Keras/HDF5 weights", "msgpack": "Flax weights", "tflite": "TensorFlow Lite", "pb": "TensorFlow graph",
           "mlmodel": "Core ML", "model": "tokenizer model (SentencePiece?)", "md": "Markdown (card)",
           "json": "JSON", "txt": "text", "py": "Python code"}


def file_format(path: str) -> str:
    """A file's format from its name: a description for known weight and config formats, else its extension."""
    name = path.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name.lstrip(".") else ""
    return FORMATS.get(ext, ext or "(no extension)")


def _frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["path", "kind", "bytes"]).astype({"bytes": "Int64"})
    frame.insert(2, "format", [file_format(p) if k == "file" else "" for p, k in zip(frame["path"], frame["kind"])])
    return frame


def describe(listing: RepoFiles) -> str:
    """One line on a listing: how many files, how many bytes, and the formats holding most of them."""
    files = listing.files[listing.files["kind"] == "file"]
    total = int(files["bytes"].sum())
    shares = files.groupby("format")["bytes"].sum().sort_values(ascending=False, kind="stable").head(3)
    most = ", ".join(f"{name} ({int(b) / total:.0%})" for name, b in shares.items() if total and b)
    return (f"{len(files):,} files, {total:,} bytes" + (f"; most of it {most}" if most else "")
            + (f" (the first {len(listing.files):,} entries)" if listing.truncated else ""))


def paper_titles(arxiv_ids, api=None) -> dict[str, str]:
    """Titles of the papers the Hub knows, by arXiv id (``HfApi.paper_info``); an id it does not answer for, or
    every id when offline, is left out, so the caller shows the bare id."""
    if _offline():
        return {}
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi()
    titles = {}
    for arxiv_id in arxiv_ids:
        try:
            title = getattr(api.paper_info(arxiv_id), "title", None)
        except Exception:  # noqa: BLE001 - unknown paper, offline, rate-limited: the bare id is shown
            continue
        if isinstance(title, str) and title.strip():
            titles[arxiv_id] = " ".join(title.split())[:200]
    return titles
