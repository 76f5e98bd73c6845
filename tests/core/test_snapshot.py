import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.errors import SourceError
from core.snapshot import SourceShape, detect_shape, read_snapshot
from tests.conftest import ROOT


def test_detect_shape():
    assert detect_shape(["model_id", "tags"]) is SourceShape.DATASET
    assert detect_shape(["id", "tags"]) is SourceShape.LISTING
    with pytest.raises(SourceError, match="missing required column"):
        detect_shape(["name", "tags"])


def test_reads_listing_as_parquet_json_and_jsonl(tmp_path):
    records = [{"id": "a/x", "author": "a", "createdAt": "2024-01-01T00:00:00.000Z", "downloads": 3, "likes": 1,
                "library_name": "transformers", "pipeline_tag": "text-generation", "tags": ["license:mit"]}]
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "l.parquet")
    (tmp_path / "l.json").write_text(json.dumps(records))
    (tmp_path / "l.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    for name in ("l.parquet", "l.json", "l.jsonl"):
        snap = read_snapshot(str(tmp_path / name))
        assert snap.shape is SourceShape.LISTING and snap.table.num_rows == 1


def test_csv_with_leading_index_column_and_broken_row(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(',model_id,tags\n0,a/x,"[\'license:mit\']"\n1,b/y,"[]",extra,cells\n2,c/z,"[]"\n')
    snap = read_snapshot(str(path))
    assert snap.shape is SourceShape.DATASET
    assert snap.table.column_names == ["model_id", "tags"]
    assert snap.table["model_id"].to_pylist() == ["a/x", "c/z"]
    assert snap.skipped_rows == 1


@pytest.mark.parametrize("content, message", [("", "is empty"), ("model_id,tags\n", "no rows")])
def test_empty_inputs(tmp_path, content, message):
    path = tmp_path / "e.csv"
    path.write_text(content)
    with pytest.raises(SourceError, match=message):
        read_snapshot(str(path))


def test_unknown_and_unreadable_sources(tmp_path):
    with pytest.raises(SourceError, match="unknown source"):
        read_snapshot(str(tmp_path / "missing.parquet"))
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(SourceError, match="cannot read"):
        read_snapshot(str(bad))
    odd = tmp_path / "x.xlsx"
    odd.write_bytes(b"1")
    with pytest.raises(SourceError, match="unknown file type"):
        read_snapshot(str(odd))


@pytest.mark.parametrize("case", ["missing_column", "empty", "unknown"])
def test_cli_exits_2_with_one_line(tmp_path, case):
    src = tmp_path / "s.csv"
    if case == "missing_column":
        src.write_text("name,tags\nx,[]\n")
    elif case == "empty":
        src.write_text("")
    else:
        src = tmp_path / "nothing-here"
    res = subprocess.run([sys.executable, "-m", "core.precompute", "--source", str(src), "--out", str(tmp_path / "b"), "--quiet"],
                         cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("phylo: error:")
    assert "Traceback" not in res.stderr
