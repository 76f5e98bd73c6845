import json
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.errors import SourceError
from core.bundle import SourceShape
from core.ingest.snapshot import detect_shape, read_snapshot
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


def _build(tmp_path, src, *extra):
    return subprocess.run([sys.executable, "-m", "core.precompute", "--source", str(src), "--out", str(tmp_path / "b"),
                           "--quiet", "--no-embed", *extra], cwd=ROOT, capture_output=True, text=True)


def test_invalid_utf8_in_one_csv_card_keeps_every_row(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b'model_id,tags,modelCard\na/x,[],"a card long enough"\nb/y,[],"bad \xff byte in a card"\n'
                     b'c/z,[],"fine card"\n\xfe/bad-id,[],"its id is not text"\n')
    from core.ingest.models import normalize
    from core.ingest.snapshot import open_snapshot

    reader = open_snapshot(str(path))
    norm = normalize(reader)
    assert norm.models["model_id"].to_pylist() == ["a/x", "b/y", "c/z"]
    assert "\ufffd" in norm.cards["card"][1].as_py()
    assert norm.warnings["invalid_utf8_rows"] == 1 and norm.warnings["unparseable_rows"] == 1


def test_broken_jsonl_line_mixed_types_and_keys_missing_from_the_first_record(tmp_path):
    path = tmp_path / "l.jsonl"
    path.write_text('{"id": "a/x", "downloads": 5}\n{"id": "b/y", "downloads": "7", "tags": ["license:mit"]}\n'
                    '{"id": "c/z", broken\n\n{"id": "d/w", "downloads": 2, "likes": 1}\n')
    snap = read_snapshot(str(path))
    assert snap.table["id"].to_pylist() == ["a/x", "b/y", "d/w"] and snap.skipped_rows == 1
    from core.ingest.models import normalize

    m = normalize(snap).models
    assert m["downloads"].to_pylist() == [5, 7, 2] and m["licenses"].to_pylist()[1] == ["mit"]
    assert m["likes"].to_pylist() == [0, 0, 1]


def test_json_array_with_a_bom_and_mixed_types(tmp_path):
    path = tmp_path / "l.json"
    records = [{"id": "a/x", "downloads": 5}, {"id": "b/y", "downloads": "7", "pipeline_tag": "fill-mask"}, "junk"]
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(records).encode())
    snap = read_snapshot(str(path))
    assert snap.table["id"].to_pylist() == ["a/x", "b/y"] and snap.skipped_rows == 1
    assert snap.table["pipeline_tag"].to_pylist() == [None, "fill-mask"]
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + b'{"id": "a/x"}\n{"id": "b/y"}\n')
    assert read_snapshot(str(jsonl)).table["id"].to_pylist() == ["a/x", "b/y"]
    csv = tmp_path / "b.csv"
    csv.write_bytes(b"\xef\xbb\xbfmodel_id,likes\na/x,1\n")
    assert read_snapshot(str(csv)).shape is SourceShape.DATASET


def test_dates_with_offsets_are_the_same_instant_in_every_format(tmp_path):
    from core.ingest.models import normalize

    dates = ["2023-01-01T10:00:00+02:00", "2023-01-01T08:00:00.000Z", "2023-01-01 08:00:00", "2023-01-01T03:00-05:00"]
    records = [{"id": f"m/{i}", "createdAt": d} for i, d in enumerate(dates)]
    (tmp_path / "l.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    (tmp_path / "l.csv").write_text("id,createdAt\n" + "".join(f"{r['id']},{r['createdAt']}\n" for r in records))
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "l.parquet")
    for name in ("l.jsonl", "l.csv", "l.parquet"):
        got = normalize(read_snapshot(str(tmp_path / name))).models["created_at"].to_pylist()
        assert {d.isoformat() for d in got} == {"2023-01-01T08:00:00+00:00"}, name


def test_out_that_is_a_file_and_a_source_without_ids_exit_2_before_the_work(tmp_path):
    src = tmp_path / "s.csv"
    src.write_text("model_id,tags\na/x,[]\n")
    (tmp_path / "b").write_text("not a folder")
    res = _build(tmp_path, src)
    assert res.returncode == 2 and res.stderr.strip().splitlines() == [f"phylo: error: --out {tmp_path / 'b'} is a file; "
                                                                       "give a folder for the bundle"]
    (tmp_path / "b").unlink()
    src.write_text("model_id,tags\n ,[]\n,[]\n")
    res = _build(tmp_path, src)
    assert res.returncode == 2 and "no row has a model id" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "b" / "manifest.json").exists()
