"""The study report (core.report): a hand-made snapshot with known answers, real bundles, the CLI."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from core.evolution import drift
from core.bundle import open_bundle
from core.licenses import connect
from core.lineage import Relation
from core.evolution.report import REFERENCE, Section, compute_report, format_table, reference_value, section_of, section_report
from core.report import main
from core.lineage.scope import EdgeScope

COLUMNS = ["model_id", "likes", "trendingScore", "private", "downloads", "tags", "pipeline_tag", "library_name",
           "createdAt", "regions", "licenses", "arxiv_papers", "datasets", "parent_model", "finetune_parent",
           "quantized_parent", "adapter_parent", "merge_parent", "languages", "modelCard"]


def _row(model_id, licenses, task, created, downloads, languages=(), finetune=(), quantized=(),
         library="transformers", card=None):
    """One row of the reference dataset's shape (list columns as Python-list text)."""
    return {"model_id": model_id, "likes": 0, "trendingScore": 0, "private": False, "downloads": downloads,
            "tags": str([f"license:{x}" for x in licenses]), "pipeline_tag": task, "library_name": library,
            "createdAt": created, "regions": "['us']", "licenses": str(list(licenses)), "arxiv_papers": "[]",
            "datasets": "[]", "parent_model": str(list(finetune) + list(quantized)),
            "finetune_parent": str(list(finetune)), "quantized_parent": str(list(quantized)), "adapter_parent": "[]",
            "merge_parent": "[]", "languages": str(list(languages)), "modelCard": card}


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    """base (llama3) → ft1 (mit) → q1 (mit, quantized); base → ft2 (llama3); solo (apache-2.0, no date)."""
    from core.precompute import build_bundle

    rows = [
        _row("org/base", ["llama3"], "text-generation", "2024-01-05T00:00:00.000Z", 100, ["English", "French"],
             card="b" * 600),
        _row("org/ft1", ["mit"], "text-generation", "2024-01-20T00:00:00.000Z", 50, ["English"], finetune=["org/base"]),
        _row("org/ft2", ["llama3"], "text-classification", "2024-03-01T00:00:00.000Z", 10, finetune=["org/base"]),
        _row("org/q1", ["mit"], "text-generation", "2024-03-10T00:00:00.000Z", 5, ["English"], quantized=["org/ft1"]),
        _row("org/solo", ["apache-2.0"], "text-to-image", None, 1, library="diffusers"),
    ]
    folder = tmp_path_factory.mktemp("tiny")
    pd.DataFrame(rows, columns=COLUMNS).to_csv(folder / "tiny.csv", index=False)
    build_bundle(str(folder / "tiny.csv"), folder / "bundle")
    return compute_report(connect(open_bundle(folder / "bundle")), draws=50)


def test_tiny_snapshot_by_hand(tiny_report):
    r = tiny_report
    assert (r["models"], r["edges"], r["edges.finetune"], r["edges.quantized"], r["edges.adapter"]) == (5, 3, 2, 1, 0)
    # licenses: base→ft1 {llama3}→{mit} 1, base→ft2 0, ft1→q1 0
    assert r["mutation_rate.licenses.finetune"] == pytest.approx(0.5) and r["mutation_rate.licenses.finetune.n"] == 2
    assert r["mutation_rate.licenses"] == pytest.approx(1 / 3) and r["mutation_rate.licenses.n"] == 3
    assert r["mutation_rate.licenses.adapter"] is None and r["mutation_rate.licenses.adapter.n"] == 0
    # only base→ft1 relaxes (commercial-restricted → permissive); every end has a ranked class
    assert (r["license_relaxations"], r["license_relaxations.n"]) == (1, 3)
    assert r["license_relaxations.share"] == pytest.approx(1 / 3) and r["license_relaxations.share.n"] == 3
    assert r["license_relaxations.most_common"] == "commercial-restricted → permissive"
    assert r["license_relaxations.quantized"] == 0
    # ft1 has a child of its own, ft2 and q1 do not
    assert (r["children_with_children.finetune"], r["children_with_children.finetune.n"]) == (0.5, 2)
    assert r["children_with_children.quantized"] == 0.0 and r["children_with_children.adapter"] is None
    assert r["share.licenses.mit"] == pytest.approx(0.4) and r["share.licenses.mit.n"] == 5
    assert r["share.pipeline_tag.text-generation"] == pytest.approx(0.6)
    assert r["share.has_card"] == pytest.approx(0.2)
    # languages on edges where both list some: base→ft1 2→1, ft1→q1 1→1
    assert (r["languages_count.parent"], r["languages_count.child"], r["languages_count.child.n"]) == (1.5, 1.0, 2)
    assert r["ordering.licenses"] == ["llama3", "mit"] and r["ordering.licenses.agreement"] == 1.0
    assert r["largest_families.no_merge"] == ["org/base"] and r["largest_families.no_merge.sizes"] == [4]
    assert (r["growth.first_month"], r["growth.last_month"], r["growth.dated"], r["growth.unknown_dates"]) == \
        ("2024-01", "2024-03", 4, 1)
    assert (r["family_growth.01.family"], r["family_growth.01.half_month"], r["family_growth.01.models"]) == \
        ("org/base", "2024-01", 4)


def test_report_shape(tiny_report):
    r = tiny_report
    assert list(r) == sorted(r)
    assert json.loads(json.dumps(r, allow_nan=False)) == r  # no NaN, only JSON types
    for key, value in r.items():
        assert value is None or isinstance(value, (int, float, str, list)), key
        section_of(key)  # every key belongs to a section
        if key.endswith(".n"):
            assert key[:-2] in r, key
    # every number the study gives has a key the report computes
    assert set(REFERENCE) - set(r) == set()
    for key in ("mutation_rate.licenses", "mutation_rate.licenses.finetune", "mutation_rate.licenses.n",
                "languages_count.parent", "languages_count.child", "card_length.parent", "auto_generated.child",
                "resemblance.cards.tfidf.siblings", "ordering.licenses", "ordering.licenses.agreement"):
        assert key in r, key


def test_reference_values():
    assert reference_value("mutation_rate.licenses.finetune") == 0.1976
    assert reference_value("mutation_rate.licenses.finetune.n") == 138_694
    assert reference_value("mutation_rate.licenses") is None  # the study reports finetune edges only
    assert reference_value("resemblance.cards.tfidf.siblings") == 0.893
    assert reference_value("ordering.languages") is None  # the study prints the ends of its orderings only
    assert reference_value("ordering.languages.tail") == ["English"]
    assert len(reference_value("ordering.licenses.head")) == 7 and len(reference_value("ordering.licenses.tail")) == 6
    assert not any(isinstance(v, list) and "…" in v for v in REFERENCE.values())
    assert reference_value("ordering.licenses.agreement") == pytest.approx(113 / 121)
    assert reference_value("card_length.parent.finetune") == 12_175
    assert reference_value("edges.finetune") == 189_391
    assert section_of("card_length.parent") is Section.DRIFT and section_of("share.licenses.mit") is Section.LINEAGE


def test_report_matches_the_analyses_on_real_cards(family_trees_bundle):
    con = connect(open_bundle(family_trees_bundle))
    r = compute_report(con, draws=300)
    rates = drift.mutation_rates(con, EdgeScope(relation=Relation.FINETUNE)).set_index("trait")
    assert r["mutation_rate.licenses.finetune"] == pytest.approx(rates.loc["licenses", "rate"])
    assert r["mutation_rate.licenses.finetune.n"] == rates.loc["licenses", "n"]
    assert r["ordering.licenses"] == list(drift.ordering(con, drift.DriftTrait.LICENSES, 20).order)
    # the relaxations, recounted edge by edge in Python from the licenses themselves
    from core.licenses import RESTRICTIVENESS, model_license_class

    classes = {m: model_license_class(list(ls)) for m, ls in con.execute("SELECT model_id, licenses FROM models").fetchall()}
    relaxing = [(p, c) for p, c in con.execute("SELECT parent, child FROM edges WHERE parent_in_snapshot").fetchall()
                if classes[p] in RESTRICTIVENESS and classes[c] in RESTRICTIVENESS
                and RESTRICTIVENESS[classes[c]] < RESTRICTIVENESS[classes[p]]]
    families = dict(con.execute("SELECT model_id, family FROM models").fetchall())
    assert r["license_relaxations"] == len(relaxing) > 0
    assert r["license_relaxations.families"] == len({families[c] for _, c in relaxing})
    # real cards: both traits sampled; siblings beat parent-child on every measure, as in the study
    assert r["resemblance.cards.tfidf.siblings.n"] == 300
    assert r["resemblance.cards.tfidf.siblings.ci_low"] <= r["resemblance.cards.tfidf.siblings"] \
        <= r["resemblance.cards.tfidf.siblings.ci_high"]
    assert r["resemblance.findings.siblings_beat_parent_child"] == 1.0
    assert r["card_length.parent"] > r["card_length.child"] and r["card_length.parent.n"] > 1000
    assert json.loads(json.dumps(r, allow_nan=False)) == r


def test_listing_report_without_cards(listing_bundle):
    con = connect(open_bundle(listing_bundle))
    r = compute_report(con, draws=500)
    assert r["models"] == 760_000 and r["share.has_card"] is None and r["share.has_card.n"] == 0
    assert r["resemblance.cards.tfidf.siblings"] is None and r["resemblance.cards.tfidf.siblings.n"] == 0
    assert r["card_length.parent"] is None
    assert r["ordering.languages"][-1] == "English" and r["ordering.languages.tail"] == ["English"]  # the sink
    assert r["edges"] == sum(r[f"edges.{rel.value}"] for rel in Relation)
    assert not any(isinstance(v, float) and math.isnan(v) for v in r.values())


def test_cli_prints_a_table_and_writes_json(tmp_path, capsys, tiny_report):
    out = tmp_path / "report.json"
    assert main(["data/demo", "--json", str(out), "--draws", "200"]) == 0
    printed = capsys.readouterr().out
    for section in Section:
        assert section.value in printed
    line = next(x for x in printed.splitlines() if x.startswith("mutation_rate.licenses.finetune "))
    assert "0.1976" in line and "(138,694)" in line
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["resemblance.metadata.tfidf.siblings.n"] == 200
    assert format_table(report) in printed
    assert set(report) == set(tiny_report)  # the same keys whatever the bundle


def test_cli_exits_2_on_a_bad_bundle(tmp_path, capsys):
    assert main([str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("phylo: error:") and "not a Phylo bundle" in err and len(err.splitlines()) == 1


def test_a_bundle_without_edges_gets_every_key(tmp_path, tiny_report):
    from core.precompute import build_bundle

    rows = [_row("a/one", ["mit"], "text-generation", "2024-01-05T00:00:00.000Z", 3),
            _row("b/two", ["apache-2.0"], "fill-mask", "2024-02-05T00:00:00.000Z", 1)]
    path = tmp_path / "s.csv"
    pd.DataFrame(rows, columns=COLUMNS).to_csv(path, index=False)
    build_bundle(str(path), tmp_path / "b")
    r = compute_report(connect(open_bundle(tmp_path / "b")), draws=50)
    assert set(r) == set(tiny_report)
    assert r["card_length.parent"] is None and r["card_length.parent.n"] == 0


def test_the_report_can_count_only_confident_edges(listing_bundle):
    con = connect(open_bundle(listing_bundle))
    every, sure = (section_report(con, Section.DRIFT, draws=50, min_confidence=m) for m in (None, 0.9))
    assert set(every) == set(sure)
    assert 0 < sure["mutation_rate.licenses.n"] < every["mutation_rate.licenses.n"]
    assert sure["license.verdict.violation.n"] < every["license.verdict.violation.n"]
    r = section_report(con, Section.RESEMBLANCE, draws=50, min_confidence=0.9)
    assert r["resemblance.metadata.tfidf.parent-child.n"] == 50
