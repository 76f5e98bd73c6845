"""The license rule engine (core.compliance): a table of cases, each with the text it follows, merges and the CLI."""

import subprocess
import sys

import pytest

from core.compliance import SOURCES, Verdict, judge, judge_pair
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
