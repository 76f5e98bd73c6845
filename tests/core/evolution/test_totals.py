"""The Hub's totals over time: a build or a crawl records its snapshot's totals; the history keeps one line per
date and source, survives a broken line, and the real July 2024 listing gives its known size."""

from __future__ import annotations

import json

from core.evolution.totals import HISTORY_FILE, Totals, history, of_bundle, of_listing, record


def test_history_keeps_one_line_per_snapshot_and_survives_a_broken_line(tmp_path):
    record(Totals("2024-07-11", "listing", "build", 760_000), tmp_path)
    record(Totals("2022-09-30", "listing 2022", "build", 74_970), tmp_path)
    record(Totals("2024-07-11", "listing", "build", 760_001), tmp_path)  # the same snapshot again: replaced
    with open(tmp_path / HISTORY_FILE, "a", encoding="utf-8") as fh:
        fh.write("{not json\n" + json.dumps({"date": "x"}) + "\n")
    h = history(tmp_path)
    assert h["models"].tolist() == [74_970, 760_001] and h["date"].dt.year.tolist() == [2022, 2024]
    assert history(tmp_path / "nowhere").empty


def test_totals_of_the_real_listing(listing_bundle, shared_data):
    t = of_bundle(listing_bundle, "Hub listing 2024-07")
    assert t.models == 760_000 and t.date == "2024-07-11"
    assert sum(t.by_library.values()) == sum(t.by_task.values()) == sum(t.by_license_class.values()) == 760_000
    assert next(iter(t.by_library)) == "transformers" and t.by_license_class["permissive"] > 150_000
    raw = of_listing(shared_data / "hub_listing_2024-07.parquet", "listing file")
    assert raw.models == 760_000 and raw.by_library == t.by_library
