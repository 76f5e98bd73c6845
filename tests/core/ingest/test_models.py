import pyarrow as pa

from core.ingest.models import MAX_CARD_CHARS, normalize
from core.bundle import SourceShape
from core.ingest.snapshot import Snapshot


def _dataset(rows):
    return Snapshot(table=pa.Table.from_pylist(rows), shape=SourceShape.DATASET, source="test")


def test_dataset_shape_list_text_and_columns_union():
    snap = _dataset([{
        "model_id": "org/m", "tags": "['license:mit', 'en', 'fr', 'dataset:squad', 'arxiv:1234.5']",
        "licenses": "['apache-2.0']", "languages": "['German']", "createdAt": "2025-07-11T00:55:12.000Z",
        "downloads": "12", "likes": "3.0", "modelCard": "---\nlicense: mit\n---\nThis card was generated automatically.",
    }])
    m = normalize(snap).models.to_pylist()[0]
    assert m["licenses"] == ["mit", "apache-2.0"]
    assert m["languages"] == ["English", "French", "German"]
    assert m["datasets"] == ["squad"] and m["arxiv"] == ["1234.5"]
    assert m["author"] == "org"
    assert (m["downloads"], m["likes"]) == (12, 3)
    assert m["created_at"].isoformat() == "2025-07-11T00:55:12+00:00"
    assert m["has_card"] and m["card_auto_generated"] and m["card_length"] == len(snap.table["modelCard"][0].as_py())


def test_placeholder_missing_and_bad_dates_become_null_and_are_counted():
    norm = normalize(_dataset([
        {"model_id": "a", "createdAt": "2022-03-02T23:29:04.000Z"},
        {"model_id": "b", "createdAt": None},
        {"model_id": "c", "createdAt": "not a date"},
        {"model_id": "d", "createdAt": "2023-05-01"},
    ]))
    assert [d is None for d in norm.models["created_at"].to_pylist()] == [True, True, True, False]
    assert norm.warnings["placeholder_date"] == 1 and norm.warnings["missing_date"] == 1 and norm.warnings["bad_date"] == 1


def test_duplicate_and_missing_ids_keep_first_valid_row():
    norm = normalize(_dataset([
        {"model_id": "a", "downloads": "1"}, {"model_id": "a", "downloads": "2"}, {"model_id": "", "downloads": "3"},
        {"model_id": None, "downloads": "4"}, {"model_id": "b", "downloads": "-5"}, {"model_id": "c", "downloads": "lots"},
    ]))
    assert norm.models["model_id"].to_pylist() == ["a", "b", "c"]
    assert norm.models["downloads"].to_pylist() == [1, 0, 0]
    assert norm.warnings["duplicate_id"] == 1 and norm.warnings["missing_id"] == 2 and norm.warnings["bad_downloads"] == 2


def test_hostile_and_enormous_cards_are_cleaned_truncated_and_counted():
    huge = "x" * (MAX_CARD_CHARS + 10)
    norm = normalize(_dataset([
        {"model_id": "a", "modelCard": huge},
        {"model_id": "b", "modelCard": "<script>alert(1)</script>\x00\x07 hi"},
        {"model_id": "c", "modelCard": None},
    ]))
    m = norm.models.to_pylist()
    assert m[0]["card_length"] == MAX_CARD_CHARS + 10 and m[2]["has_card"] is False
    cards = dict(zip(norm.cards["model_id"].to_pylist(), norm.cards["card"].to_pylist()))
    assert len(cards["a"]) == MAX_CARD_CHARS
    assert cards["b"] == "<script>alert(1)</script> hi"
    assert norm.warnings["card_truncated"] == 1 and norm.warnings["card_control_characters"] == 1


def test_listing_without_cards_reports_card_features_as_unknown():
    snap = Snapshot(table=pa.Table.from_pylist([{"id": "a/b", "tags": ["base_model:x/y"]}]), shape=SourceShape.LISTING, source="t")
    norm = normalize(snap)
    assert norm.models["has_card"].to_pylist() == [None]
    assert norm.cards is None
    assert norm.mention_parent.to_pylist() == ["x/y"] and norm.mention_code.tolist() == [0]


def test_negative_typed_counts_are_counted_like_text_ones():
    snap = Snapshot(table=pa.table({"id": ["a", "b", "c"], "downloads": pa.array([3, -5, None], pa.int64()),
                                    "likes": pa.array([1.5, -1.0, 2.0])}), shape=SourceShape.LISTING, source="t")
    norm = normalize(snap)
    assert norm.models["downloads"].to_pylist() == [3, 0, 0] and norm.warnings["bad_downloads"] == 1
    assert norm.models["likes"].to_pylist() == [1, 0, 2] and norm.warnings["bad_likes"] == 1


def test_none_text_is_missing_not_malformed_nor_a_card():
    norm = normalize(_dataset([
        {"model_id": "a", "tags": "None", "licenses": "None", "languages": "nan", "modelCard": "None"},
        {"model_id": "b", "tags": "['en']", "licenses": "['mit']", "languages": "['English']", "modelCard": "A real card."},
    ]))
    m = norm.models.to_pylist()
    assert m[0]["tags"] == [] and m[0]["licenses"] == [] and m[0]["languages"] == []
    assert not any(k.startswith("malformed_list") for k in norm.warnings)
    assert m[0]["has_card"] is False and m[0]["card_length"] == 0 and norm.n_cards == 1


def test_language_names_are_the_study_s_and_counted_once():
    norm = normalize(_dataset([
        {"model_id": "a", "tags": "['ny', 'dv', 'en']", "languages": "['Nyanja', 'Dhivehi', 'English']"},
        {"model_id": "b", "tags": "[]", "languages": "['Chichewa', 'en']"},
    ]))
    assert norm.models["languages"].to_pylist() == [["Nyanja", "Dhivehi", "English"], ["Nyanja", "English"]]
