"""A model's repository files from the Hub: listed through the client's tree, capped, and one line offline."""

from __future__ import annotations

from types import SimpleNamespace

from core.hub.files import repo_files


class _Api:
    def __init__(self, entries=None, error=None):
        self.entries, self.error, self.asked = entries or [], error, []

    def list_repo_tree(self, repo_id, recursive=False):
        self.asked.append((repo_id, recursive))
        if self.error:
            raise self.error
        yield from self.entries


def test_files_are_listed_with_sizes_and_folders(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    api = _Api([SimpleNamespace(path="config.json", size=612), SimpleNamespace(path="onnx"),
                SimpleNamespace(path="onnx/model.onnx", size=90_000_000)])
    got = repo_files("org/model", api=api)
    assert api.asked == [("org/model", True)] and got.reason is None and not got.truncated
    assert got.files["path"].tolist() == ["config.json", "onnx", "onnx/model.onnx"]
    assert got.files["kind"].tolist() == ["file", "folder", "file"]
    assert got.files["bytes"].iloc[0] == 612 and got.files["bytes"].isna().tolist() == [False, True, False]
    capped = repo_files("org/model", api=_Api([SimpleNamespace(path=f"f{i}", size=1) for i in range(10)]), limit=4)
    assert len(capped.files) == 4 and capped.truncated


def test_offline_or_unknown_it_says_why_in_one_line(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert repo_files("org/model", api=_Api()).reason == "the Hub is not reachable from this site (offline mode)"
    monkeypatch.delenv("HF_HUB_OFFLINE")
    got = repo_files("org/model", api=_Api(error=RuntimeError("404 Client Error: Repository Not Found\nmore")))
    assert got.files is None and got.reason.startswith("the Hub did not list its files (RuntimeError: 404")
    assert "\n" not in got.reason
