"""The Space's start-up step: pull the bundle named by ``PHYLO_BUNDLE_REPO`` before Streamlit serves anyone.

``PHYLO_BUNDLE_REPO=OWNER/NAME[@REVISION]`` names a dataset repo written by
:mod:`core.publish`. ``python -m core.fetch`` downloads it with
``snapshot_download`` into the Hub cache under ``PHYLO_CACHE`` (files of a
revision already there are not fetched again), verifies every file against the
manifest and writes a status file. The app reads the status: the bundle when it
is there, else the demo with a banner saying which bundle it wanted and why it
is not there. The step never fails the container: a Space with no bundle still
serves the demo.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from core.bundle import verify
from core.settings import REPO_VARIABLE, bundle_repo, cache_dir
from core.errors import PhyloError, one_line

__all__ = ["RemoteBundle", "parse_repo", "fetch", "read_status", "served_status"]

STATUS_FILE = "remote-bundle.json"


@dataclass(frozen=True)
class RemoteBundle:
    """What the start-up step found: the bundle wanted, where it is when it is ``ok``, else why not."""

    repo: str
    revision: str | None
    ok: bool
    path: str | None = None
    reason: str | None = None
    commit: str | None = None


def parse_repo(value: str) -> tuple[str, str | None]:
    """``OWNER/NAME[@REVISION]`` → (repo, revision); raises PhyloError on anything else."""
    repo, _, revision = value.strip().partition("@")
    parts = repo.split("/")
    if len(parts) != 2 or not all(parts) or any(c.isspace() for c in repo):
        raise PhyloError(f"{REPO_VARIABLE}={value!r} is not OWNER/NAME[@REVISION]")
    return repo, revision or None


def _download(repo: str, revision: str | None, cache_dir: Path) -> str:
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(repo, repo_type="dataset", revision=revision, cache_dir=str(cache_dir))
    except Exception as online:  # unreachable, unknown repo or revision, no access: a cached copy may still do
        try:
            return snapshot_download(repo, repo_type="dataset", revision=revision, cache_dir=str(cache_dir),
                                     local_files_only=True)
        except Exception:
            raise online from None


def fetch(value: str, root: Path | None = None, download: Callable[[str, str | None, Path], str] = _download,
          log: Callable[[str], None] = print) -> RemoteBundle:
    """Download and verify the bundle ``value`` (``OWNER/NAME[@REVISION]``); write and return its status."""
    root = root or cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    try:
        repo, revision = parse_repo(value)
    except PhyloError as exc:
        return _write(root, RemoteBundle(value, None, ok=False, reason=str(exc)), log)
    log(f"phylo: fetching bundle {repo}@{revision or 'main'} from the Hub into {root / 'hub'}")
    start = time.perf_counter()
    try:
        path = Path(download(repo, revision, root / "hub"))
        bundle = verify(path)
    except PhyloError as exc:
        return _write(root, RemoteBundle(repo, revision, ok=False, reason=str(exc)), log)
    except Exception as exc:  # noqa: BLE001 — reported in one line, the app falls back to the demo
        return _write(root, RemoteBundle(repo, revision, ok=False, reason=f"{type(exc).__name__}: {one_line(exc)}"), log)
    files = bundle.manifest.get("files") or {}
    log(f"phylo: bundle {repo} ready at {path} ({len(files)} files, {sum(f['bytes'] for f in files.values()) / 2**20:,.0f} MB, "
        f"checksums verified) in {time.perf_counter() - start:.0f} s")
    return _write(root, RemoteBundle(repo, revision, ok=True, path=str(path), commit=path.name), log)


def _write(root: Path, status: RemoteBundle, log: Callable[[str], None]) -> RemoteBundle:
    if not status.ok:
        log(f"phylo: bundle {status.repo} not available, the app will show the demo: {status.reason}")
    (root / STATUS_FILE).write_text(json.dumps(asdict(status), indent=2) + "\n", encoding="utf-8")
    return status


def read_status(root: Path | None = None) -> RemoteBundle | None:
    """The bundle the Space wanted, or None when ``PHYLO_BUNDLE_REPO`` is not set; a status file that is
    missing, stale (for another repo) or unreadable reads as "not fetched"."""
    value = bundle_repo()
    if not value:
        return None
    path = (root or cache_dir()) / STATUS_FILE
    try:
        status = RemoteBundle(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        status = None
    if status is None or status.repo != _repo_of(value):
        return RemoteBundle(value, None, ok=False, reason="the start-up step did not fetch it (run python -m core.fetch)")
    return status


def served_status(root: Path | None = None) -> RemoteBundle | None:
    """``read_status``, and not ok when the fetched files have gone since (a Space's disk is not persistent)."""
    status = read_status(root)
    if status is not None and status.ok and not (Path(status.path) / "manifest.json").is_file():
        return dataclasses.replace(status, ok=False, reason=f"its files are gone from {status.path}")
    return status


def _repo_of(value: str) -> str:
    try:
        return parse_repo(value)[0]
    except PhyloError:
        return value
