"""The 2022 Hub API listing's shape (``modelId, creation_time, task_category``) reads as a listing."""

import datetime

import pyarrow as pa
import pyarrow.parquet as pq

from core.bundle import SourceShape
from core.ingest.models import normalize
from core.ingest.snapshot import detect_shape, open_snapshot

COLUMNS_2022 = ["modelId", "author", "creation_time", "downloads", "has_modelcard", "task_category", "task_domain"]


def _table_2022():
    utc = datetime.timezone.utc
    return pa.table({
        "modelId": ["bert-base-uncased", "Org/model", "solo/none"],
        "author": ["huggingface", "Org", None],
        "creation_time": pa.array([datetime.datetime(2018, 11, 14, 23, 35, 8, tzinfo=utc),
                                   datetime.datetime(2022, 3, 2, 23, 29, 5, tzinfo=utc), None],
                                  pa.timestamp("us", tz="UTC")),
        "downloads": [31924518.0, 12.0, None],
        "has_modelcard": [True, False, True],
        "task_category": ["fill-mask", "unknown", None],
        "task_domain": ["nlp", "unknown", None],
    })


def test_2022_columns_are_a_listing():
    assert detect_shape(COLUMNS_2022) is SourceShape.LISTING


def test_2022_listing_maps_id_date_and_task_with_no_lineage_or_licenses(tmp_path):
    path = tmp_path / "listing_2022.parquet"
    pq.write_table(_table_2022(), path)
    norm = normalize(open_snapshot(str(path)))
    m = norm.models.to_pylist()
    assert [r["model_id"] for r in m] == ["bert-base-uncased", "Org/model", "solo/none"]
    assert m[0]["created_at"].isoformat() == "2018-11-14T23:35:08+00:00"
    assert m[1]["created_at"] is None and norm.warnings["placeholder_date"] == 1  # the migration date
    assert [r["pipeline_tag"] for r in m] == ["fill-mask", None, None]  # 2022's "unknown" is no task
    assert [r["downloads"] for r in m] == [31924518, 12, 0]
    assert m[2]["author"] == "solo"
    assert all(r["licenses"] == [] and r["tags"] == [] for r in m)
    assert len(norm.mention_child) == 0


def test_real_2022_listing_reads_every_model_with_dates_and_tasks(shared_data):
    reader = open_snapshot(str(shared_data / "hub_listing_2022-10.parquet"))
    norm = normalize(reader)
    models = norm.models
    assert models.num_rows == 74_970
    assert models["created_at"].null_count < 500  # 173 missing + 100 placeholder dates
    assert models["pipeline_tag"].null_count == 26_296  # the rows 2022 marked "unknown"
    assert len(norm.mention_child) == 0


def test_todays_listing_still_reads_created_at_and_pipeline_tag():
    table = pa.table({"id": ["a/b"], "createdAt": ["2024-01-12T03:24:12.000Z"], "pipeline_tag": ["unknown"],
                      "task_category": ["ignored"]})
    m = normalize(open_snapshot(_snapshot(table))).models.to_pylist()[0]
    assert m["created_at"].isoformat() == "2024-01-12T03:24:12+00:00"
    assert m["pipeline_tag"] == "unknown"  # only 2022's column reads "unknown" as none


def _snapshot(table):
    from core.ingest.snapshot import Snapshot

    return Snapshot(table=table, shape=SourceShape.LISTING, source="test")
