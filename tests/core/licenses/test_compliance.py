"""The license rule engine (core.licenses.compliance): a table of cases, each with the text it follows, merges and the CLI."""

import subprocess
import sys

import pytest

from core.licenses.compliance import SOURCES, Verdict, judge, judge_pair
from tests.conftest import ROOT

C, O, R, V = Verdict.COMPATIBLE, Verdict.OBLIGATION, Verdict.REVIEW, Verdict.VIOLATION

# (parent, child, verdict, source the verdict follows)
CASES = [
    # Agreements that must govern every derivative (Llama, Gemma).
    ("llama3", "apache-2.0", V, "llama3"), ("llama3", "mit", V, "llama3"), ("llama2", "apache-2.0", V, "llama2"),
    ("llama3.1", "cc-by-nc-4.0", V, "llama3.1"), ("llama3.2", "openrail", V, "llama3.2"),
    ("gemma", "apache-2.0", V, "gemma"), ("gemma", "llama3.1", V, "gemma"), ("llama3", "llama3.1", V, "llama3"),
    ("llama3.1", "llama3.1", O, "llama3.1"), ("gemma", "gemma", O, "gemma"), ("llama2", "llama2", O, "llama2"),
    ("llama2", "other", R, "unknown"), ("llama3", "unknown", R, "unknown"),
    # The OpenRAIL family: use restrictions travel with every derivative.
    ("creativeml-openrail-m", "mit", V, "rail"), ("openrail", "apache-2.0", V, "rail"),
    ("bigscience-bloom-rail-1.0", "cc-by-4.0", V, "rail"), ("openrail++", "openrail++", O, "rail"),
    ("creativeml-openrail-m", "openrail++", O, "rail"), ("bigscience-openrail-m", "llama3", R, "rail"),
    # Creative Commons elements.
    ("cc-by-nc-4.0", "apache-2.0", V, "cc-nc"), ("cc-by-nc-4.0", "cc-by-4.0", V, "cc-nc"),
    ("cc-by-nc-4.0", "cc-by-nc-sa-4.0", C, "cc-by"), ("cc-by-nc-sa-4.0", "cc-by-nc-4.0", V, "cc-sa"),
    ("cc-by-sa-4.0", "cc-by-4.0", V, "cc-sa"), ("cc-by-sa-3.0", "cc-by-sa-4.0", C, "cc-by"),
    ("cc-by-sa-4.0", "gpl-3.0", C, "cc-by"), ("cc-by-sa-4.0", "mit", V, "cc-sa"),
    ("cc-by-nd-4.0", "cc-by-nd-4.0", V, "cc-nd"), ("cc-by-nc-nd-4.0", "cc-by-nc-4.0", V, "cc-nd"),
    ("cc-by-4.0", "apache-2.0", C, "cc-by"), ("cc-by-4.0", "cc-by-nc-4.0", C, "cc-by"),
    # Open source by the OSADL matrix, and copyleft beyond it.
    ("gpl-3.0", "apache-2.0", V, "osadl"), ("gpl-3.0", "mit", V, "osadl"), ("gpl-2.0-only", "gpl-3.0", V, "osadl"),
    ("agpl-3.0", "gpl-3.0", R, "osadl"), ("lgpl-3.0", "apache-2.0", V, "osadl"),  # OSADL: AGPL under GPL "check dependency"
    ("gpl-3.0", "cc-by-nc-4.0", V, "gpl"), ("gpl-3.0", "llama3", V, "gpl"), ("mpl-2.0", "cc-by-4.0", R, "osadl"),
    ("apache-2.0", "gpl-3.0", C, "osadl"), ("mit", "apache-2.0", C, "osadl"), ("bsd-3-clause", "mit", C, "osadl"),
    ("mit", "gpl-2.0", C, "osadl"), ("apache-2.0", "gpl-2.0", V, "osadl"),
    # Permissive parents let a derivative take stricter terms, keeping the notice.
    ("mit", "llama3", C, "permissive"), ("apache-2.0", "cc-by-nc-4.0", C, "permissive"),
    ("apache-2.0", "apache-2.0", C, "osadl"), ("mit", "openrail", C, "permissive"),
    # Unknown or custom terms are for a person to read.
    ("other", "apache-2.0", R, "unknown"), ("apache-2.0", "other", R, "unknown"), ("", "mit", R, "unknown"),
    ("some-custom-license", "mit", R, "unknown"),
]


@pytest.mark.parametrize("parent, child, verdict, source", CASES)
def test_rule_table(parent, child, verdict, source):
    j = judge_pair(parent, child)
    assert j.verdict is verdict, [r.text for r in j.reasons]
    assert j.reasons and all(r.text and r.source for r in j.reasons)
    assert any(r.source == SOURCES[source] for r in j.reasons), [r.source for r in j.reasons]


def test_duties_of_the_llama_3_1_agreement_name_the_prefix():
    texts = [r.text for r in judge_pair("llama3.1", "llama3.1").reasons]
    assert any('begin the derivative model\'s name with "Llama"' in t for t in texts)
    assert any("copy of the llama3.1 agreement" in t for t in texts)


def test_a_merge_must_satisfy_every_parent():
    assert judge([["cc-by-nc-sa-4.0"], ["apache-2.0"]], ["apache-2.0"]).verdict is V
    assert judge([["mit"], ["apache-2.0"]], ["apache-2.0"]).verdict is C
    assert judge([["llama3"], ["mit"]], ["llama3"]).verdict is O


def test_alternatives_on_either_side_take_the_best_pair():
    assert judge([["mit", "gpl-3.0"]], ["apache-2.0"]).verdict is C  # the parent may be used under MIT
    assert judge([["llama3"]], ["llama3", "apache-2.0"]).verdict is O  # the child carries the agreement
    assert judge([[]], ["mit"]).verdict is R and judge([["mit"]], []).verdict is R


@pytest.mark.parametrize("args, first", [
    (["--parent", "llama3", "--child", "apache-2.0"], "verdict: violation"),
    (["--parent", "mit", "--child", "apache-2.0"], "verdict: compatible"),
    (["--parent", "cc-by-nc-sa-4.0", "--parent", "apache-2.0", "--child", "apache-2.0", "--relation", "merge"],
     "verdict: violation"),
    (["--parent", "llama2", "--child", "other"], "verdict: review"),
    (["--parent", "no-such-license,??", "--child", "%%%"], "verdict: review"),
])
def test_cli(args, first):
    res = subprocess.run([sys.executable, "-m", "core.licenses", "check", *args], cwd=ROOT, capture_output=True,
                         text=True)
    assert res.returncode == 0 and res.stderr == ""
    lines = res.stdout.strip().splitlines()
    assert lines[0] == first and len(lines) >= 2 and all(line.startswith("- ") for line in lines[1:])


def _bundle(tmp_path, rows):
    import pandas as pd

    from core.bundle import open_bundle
    from core.licenses import connect
    from core.precompute import build_bundle

    def row(model_id, licenses, parents=(), merge=(), card=None):
        tags = [f"license:{x}" for x in licenses] + [f"base_model:finetune:{p}" for p in parents] \
            + [f"base_model:merge:{p}" for p in merge]
        return {"model_id": model_id, "tags": str(tags), "licenses": str(list(licenses)), "modelCard": card,
                "createdAt": "2025-01-01T00:00:00.000Z", "downloads": 1}

    path = tmp_path / "s.csv"
    pd.DataFrame([row(*r) if isinstance(r, tuple) else row(**r) for r in rows]).to_csv(path, index=False)
    build_bundle(str(path), tmp_path / "b")
    return connect(open_bundle(tmp_path / "b"))


def test_bundle_verdicts_merges_and_inherited_violations(tmp_path):
    from core.licenses import family_verdicts, model_verdicts, verdict_edges

    con = _bundle(tmp_path, [
        ("m/base", ["llama3"]), ("m/ft", ["apache-2.0"], ["m/base"]), ("m/grand", ["apache-2.0"], ["m/ft"]),
        ("m/ok", ["llama3"], ["m/base"]),
        ("n/nc", ["cc-by-nc-sa-4.0"]), ("n/free", ["apache-2.0"]),
        {"model_id": "n/merged", "licenses": ["apache-2.0"], "merge": ["n/nc", "n/free"]},
        {"model_id": "g/base", "licenses": ["gemma"]},
        {"model_id": "g/kid", "licenses": ["other"], "parents": ["g/base"],
         "card": "---\nlicense: other\nlicense_name: gemma-terms-of-use\n---\n# A Gemma fine-tune\n"},
    ])
    edges = verdict_edges(con).set_index(["parent", "child"])
    assert edges.loc[("m/base", "m/ft"), "verdict"] == "violation" and "llama3 agreement" in edges.loc[("m/base", "m/ft"), "reasons"]
    assert edges.loc[("m/ft", "m/grand"), "verdict"] == "compatible"
    assert edges.loc[("m/base", "m/ok"), "verdict"] == "obligation"
    assert edges.loc[("n/nc", "n/merged"), "verdict"] == "violation" and edges.loc[("n/free", "n/merged"), "verdict"] == "compatible"
    # "other" read from the card's YAML: the child carries the Gemma terms.
    assert edges.loc[("g/base", "g/kid"), ["child_licenses", "verdict"]].tolist() == ["gemma", "obligation"]
    models = model_verdicts(con).set_index("model_id")
    assert models.loc["n/merged", "verdict"] == "violation"  # a merge must satisfy every parent
    assert models.loc["m/grand", ["verdict", "inherited_violation"]].tolist() == ["compatible", True]
    assert not models.loc["m/ok", "inherited_violation"] and "m/base" not in models.index
    fam = family_verdicts(verdict_edges(con)).set_index("family")
    assert fam.loc["m/base", ["edges", "violation", "obligation", "compatible"]].tolist() == [3, 1, 1, 1]


def test_other_is_resolved_from_a_real_card(family_trees_bundle):
    """family_trees_2025.csv: cards that say license: other name their license in YAML (gemma-terms-of-use …)."""
    from core.bundle import open_bundle
    from core.licenses import connect
    from core.licenses import verdict_edges

    con = connect(open_bundle(family_trees_bundle))
    named = dict(con.execute("SELECT model_id, license_name FROM models WHERE license_name IS NOT NULL").fetchall())
    assert named and set(named.values()) >= {"gemma-terms-of-use"}
    card = con.execute("SELECT card FROM cards WHERE model_id = ?", [next(m for m, n in named.items()
                                                                       if n == "gemma-terms-of-use")]).fetchone()[0]
    assert "license_name: gemma-terms-of-use" in card[:4000]
    edges = verdict_edges(con)
    kids = edges[edges["child"].isin([m for m, n in named.items() if n == "gemma-terms-of-use"])]
    assert len(kids) and kids["child_licenses"].str.contains("gemma").all()
    assert set(edges["verdict"]) <= {"compatible", "obligation", "review", "violation"} and len(edges) > 1000
