"""A model's repository files from the Hub: listed through the client's tree, capped, and one line offline."""

from __future__ import annotations

from types import SimpleNamespace

from core.hub.files import describe, file_format, paper_titles, repo_files


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
    assert got.files["format"].tolist() == ["JSON", "", "ONNX graph"]
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


def test_a_files_format_comes_from_its_name():
    assert file_format("model-00001-of-00002.safetensors") == "safetensors weights"
    assert file_format("sub/Q4_K_M.GGUF") == "GGUF weights"
    assert file_format("pytorch_model.bin") == "binary (PyTorch pickle weights?)"
    assert file_format("vocab.spm.weird") == "weird"
    assert file_format(".gitattributes") == "(no extension)" and file_format("LICENSE") == "(no extension)"


class _Papers:
    def __init__(self, titles):
        self.titles, self.asked = titles, []

    def paper_info(self, arxiv_id):
        self.asked.append(arxiv_id)
        if arxiv_id not in self.titles:
            raise RuntimeError("404 Client Error: Paper Not Found")
        return SimpleNamespace(title=self.titles[arxiv_id])


def test_paper_titles_are_the_hubs_and_an_unknown_paper_is_left_out(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    api = _Papers({"1810.04805": "BERT: Pre-training of Deep\n  Bidirectional Transformers", "2104.01778": "  "})
    got = paper_titles(["1810.04805", "2104.01778", "9999.99999"], api=api)
    assert api.asked == ["1810.04805", "2104.01778", "9999.99999"]
    assert got == {"1810.04805": "BERT: Pre-training of Deep Bidirectional Transformers"}
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    offline = _Papers({"1810.04805": "BERT"})
    assert paper_titles(["1810.04805"], api=offline) == {} and offline.asked == []


def test_a_listing_is_described_by_its_bytes_and_the_formats_holding_them(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    api = _Api([SimpleNamespace(path="model.safetensors", size=900), SimpleNamespace(path="config.json", size=60),
                SimpleNamespace(path="gguf"), SimpleNamespace(path="gguf/q4.gguf", size=40),
                SimpleNamespace(path="README.md", size=0)])
    assert describe(repo_files("org/m", api=api)) == ("4 files, 1,000 bytes; most of it safetensors weights (90%), "
                                                      "JSON (6%), GGUF weights (4%)")
    capped = repo_files("org/m", api=_Api([SimpleNamespace(path=f"f{i}.bin", size=0) for i in range(5)]), limit=3)
    assert describe(capped) == "3 files, 0 bytes (the first 3 entries)"
