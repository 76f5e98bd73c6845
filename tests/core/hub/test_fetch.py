"""The Space's start-up fetch of its bundle, offline: success through a stand-in download, and every failure path."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from core.errors import PhyloError
from core.hub.fetch import RemoteBundle, fetch, parse_repo, read_status
from tests.conftest import ROOT


def test_parse_repo():
    assert parse_repo("someone/phylo-hub") == ("someone/phylo-hub", None)
    assert parse_repo(" someone/phylo-hub@2025-07 ") == ("someone/phylo-hub", "2025-07")
    for bad in ("phylo", "a/b/c", "/x", "a b/c", ""):
        with pytest.raises(PhyloError):
            parse_repo(bad)


def _copy_demo(tmp_path):
    target = tmp_path / "snapshot" / "0123abcd"
    shutil.copytree(ROOT / "data" / "demo", target)
    return target


def test_a_fetched_bundle_is_verified_and_recorded(tmp_path, monkeypatch):
    monkeypatch.setenv("PHYLO_BUNDLE_REPO", "someone/phylo-hub@v1")
    calls = []
    source = _copy_demo(tmp_path)

    def download(repo, revision, cache_dir):
        calls.append((repo, revision, cache_dir))
        return str(source)

    lines = []
    status = fetch("someone/phylo-hub@v1", tmp_path / "cache", download=download, log=lines.append)
    assert status.ok and status.path == str(source) and status.commit == "0123abcd"
    assert calls == [("someone/phylo-hub", "v1", tmp_path / "cache" / "hub")]
    assert "checksums verified" in lines[-1]
    assert read_status(tmp_path / "cache") == status


def test_a_broken_download_is_not_served(tmp_path):
    source = _copy_demo(tmp_path)
    (source / "models.parquet").write_bytes(b"short")
    status = fetch("someone/phylo-hub", tmp_path / "cache", download=lambda *a: str(source), log=lambda _: None)
    assert not status.ok and "truncated" in status.reason


def test_an_unreachable_hub_leaves_the_demo_with_a_reason(tmp_path):
    env = {**os.environ, "PHYLO_BUNDLE_REPO": "someone/phylo-hub", "PHYLO_CACHE": str(tmp_path),
           "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HUB_OFFLINE": "0", "HF_HUB_ETAG_TIMEOUT": "2"}
    res = subprocess.run([sys.executable, "-m", "core.fetch"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0  # the container still starts and serves the demo
    status = json.loads((tmp_path / "remote-bundle.json").read_text())
    assert status["ok"] is False and status["repo"] == "someone/phylo-hub" and status["reason"]
    assert "not available, the app will show the demo" in res.stdout


def test_not_fetched_or_stale_status_reads_as_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("PHYLO_BUNDLE_REPO", raising=False)
    assert read_status(tmp_path) is None
    monkeypatch.setenv("PHYLO_BUNDLE_REPO", "someone/other")
    (tmp_path / "remote-bundle.json").write_text(json.dumps(
        {"repo": "someone/phylo-hub", "revision": None, "ok": True, "path": "/x", "reason": None, "commit": "c"}))
    status = read_status(tmp_path)
    assert status == RemoteBundle("someone/other", None, ok=False, reason=status.reason) and "did not fetch" in status.reason
