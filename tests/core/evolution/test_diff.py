"""Snapshot diffs: matching ids across snapshots, families, edge changes and counts, on hand-made listings and on
the real 2022-10 and 2024-07 listings."""

import json

import pyarrow as pa
import pytest

from core.bundle import open_bundle
from core.diff import main as diff_main
from core.evolution.diff import NO_LICENSE, CountBy, Match, diff_bundles, match_models
from core.precompute import build_bundle
from tests.conftest import write_jsonl


def test_ids_match_ignoring_case_then_by_the_hubs_redirect():
    m = match_models(pa.array(["gpt2", "Bob/X", "bob/x", "gone/y", "ctrl"]),
                     pa.array(["openai-community/gpt2", "bob/x", "new/z", "Salesforce/ctrl"]))
    assert [m.how(i) for i in range(5)] == [Match.REDIRECT, Match.KEPT, Match.KEPT, Match.REMOVED, Match.NAME]
    assert (m.kept, m.kept_new, m.renamed, m.removed, m.added) == (2, 1, 2, 1, 1)
    assert m.kept_new + m.renamed + m.added == 4 and m.kept + m.renamed + m.removed == 5


def test_a_new_model_is_matched_once():
    """``gpt2`` kept as is: the canonical organisation's copy is then a new model, not a rename target twice."""
    m = match_models(pa.array(["gpt2", "GPT2x"]), pa.array(["gpt2", "openai-community/gpt2"]))
    assert [m.how(i) for i in range(2)] == [Match.KEPT, Match.REMOVED] and m.added == 1


@pytest.fixture(scope="module")
def two_bundles(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("diff")
    old = write_jsonl(tmp / "old.jsonl", [
        {"modelId": "gpt2", "creation_time": "2019-01-01T00:00:00Z", "task_category": "text-generation", "downloads": 9},
        {"modelId": "Alice/Model", "creation_time": "2021-01-01T00:00:00Z", "task_category": "fill-mask"},
        {"modelId": "gone/x", "creation_time": "2021-01-01T00:00:00Z", "downloads": 5},
    ])
    new = write_jsonl(tmp / "new.jsonl", [
        {"id": "openai-community/gpt2", "createdAt": "2019-01-01T00:00:00.000Z", "pipeline_tag": "text-generation",
         "library_name": "transformers", "tags": ["license:mit"], "downloads": 100},
        {"id": "alice/model", "createdAt": "2021-01-01T00:00:00.000Z", "pipeline_tag": "fill-mask",
         "tags": ["license:cc-by-nc-4.0"]},
        {"id": "alice/gpt2-ft", "tags": ["base_model:openai-community/gpt2", "license:mit"], "downloads": 3},
        {"id": "bob/gpt2-lora", "library_name": "peft", "tags": ["base_model:openai-community/gpt2"]},
        {"id": "new/root", "tags": ["license:apache-2.0"], "downloads": 50},
        {"id": "new/child", "tags": ["base_model:new/root"]},
    ])
    (tmp / "a").mkdir(), (tmp / "b").mkdir()
    build_bundle(old, tmp / "a" / "old")
    build_bundle(new, tmp / "b" / "new")
    return open_bundle(tmp / "a" / "old"), open_bundle(tmp / "b" / "new")


def test_diff_of_two_small_bundles(two_bundles):
    d = diff_bundles(*two_bundles)
    assert (d.kept, d.n_renamed, d.added, d.removed) == (1, 1, 4, 1)
    assert d.renamed.to_dict("records") == [{"old_id": "gpt2", "new_id": "openai-community/gpt2", "match": "redirect"}]
    assert d.top_added["model_id"].tolist()[0] == "new/root" and d.top_removed["model_id"].tolist() == ["gone/x"]
    assert d.new_families[["family", "size"]].to_dict("records") == [{"family": "new/root", "size": 2}]
    grow = d.growing_families.to_dict("records")
    assert grow == [{"family": "openai-community/gpt2", "old_family": "gpt2", "old_size": 1, "new_size": 3,
                     "growth": 2}]
    task = d.counts[CountBy.TASK].set_index("value")
    assert task.loc["text-generation", ["old", "new", "change"]].tolist() == [1, 1, 0]
    lic = d.counts[CountBy.LICENSE].set_index("value")
    assert lic.loc[NO_LICENSE, "old"] == 3 and lic.loc["permissive", "new"] == 3
    assert d.edges_in_both == 0  # the old listing has no tags, so no edges


def test_edges_in_both_report_relation_and_license_changes(two_bundles, tmp_path):
    """The new snapshot against a later one where the fine-tune became a declared quantisation and its license
    turned non-commercial."""
    later = write_jsonl(tmp_path / "later.jsonl", [
        {"id": "openai-community/gpt2", "tags": ["license:mit"]},
        {"id": "alice/gpt2-ft", "tags": ["base_model:quantized:openai-community/gpt2", "license:cc-by-nc-4.0"]},
        {"id": "bob/gpt2-lora", "library_name": "peft", "tags": ["base_model:openai-community/gpt2"]},
    ])
    build_bundle(later, tmp_path / "later")
    d = diff_bundles(two_bundles[1], open_bundle(tmp_path / "later"))
    assert d.edges_in_both == 2
    rel = d.relation_changes.to_dict("records")
    assert len(rel) == 1 and rel[0]["new_relation"] == "quantized" and rel[0]["edges"] == 1
    assert d.license_changes.to_dict("records") == [
        {"end": "child", "old_class": "permissive", "new_class": "non-commercial", "edges": 1}]


def test_cli_writes_the_json_keys(two_bundles, tmp_path, capsys):
    out = tmp_path / "d.json"
    assert diff_main([str(two_bundles[0].path), str(two_bundles[1].path), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert {k: data["models"][k] for k in ("kept", "renamed", "added", "removed")} == \
        {"kept": 1, "renamed": 1, "added": 4, "removed": 1}
    assert "models: kept 1  renamed 1  added 4  removed 1" in capsys.readouterr().out


def test_cli_says_why_in_one_line_when_a_folder_is_no_bundle(tmp_path, capsys):
    assert diff_main([str(tmp_path), str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("phylo:")


@pytest.fixture(scope="session")
def listing_2022_bundle(tmp_path_factory, shared_data):
    out = tmp_path_factory.mktemp("listing2022") / "hub_listing_2022-10"
    build_bundle(str(shared_data / "hub_listing_2022-10.parquet"), out, label="Hub listing 2022-10")
    return out


def test_real_2022_to_2024_diff(listing_2022_bundle, listing_bundle):
    d = diff_bundles(open_bundle(listing_2022_bundle), open_bundle(listing_bundle))
    assert d.kept == 68_625  # the data README's count, ignoring case
    assert 40 <= d.n_renamed <= 68
    assert set(d.renamed["match"]) <= {"redirect", "name"}
    assert ("bert-base-uncased", "google-bert/bert-base-uncased") in set(zip(d.renamed.old_id, d.renamed.new_id))
    assert d.kept + d.n_renamed + d.removed == 74_970
    assert d.kept_new + d.n_renamed + d.added == 760_000
    assert d.growing_families["family"].iloc[0] == "distilbert/distilbert-base-uncased"
