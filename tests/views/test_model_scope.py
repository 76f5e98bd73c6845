"""Any model as a scope, on a small real bundle cut from the July 2024 listing: Meta-Llama-3-8B's lineage (every
model below it and every parent of those, so merges keep their other parents). Licenses, Resemblance, Drift and
Growth open scoped to it, and the license audit answers "which Llama 3 derivatives relabel themselves apache-2.0
or mit, how many, and why is each one wrong?"."""

from __future__ import annotations

import pytest

from core.bundle import open_bundle
from core.licenses import connect, filter_verdicts, verdict_edges
from core.lineage import EdgeScope, ScopeKind
from tests.apptest import assert_clean, run_page, serve
from tests.conftest import LLAMA
from views.state import SCOPE_LABELS


@pytest.fixture
def open_llama(llama_bundle, monkeypatch):
    yield from serve(llama_bundle, monkeypatch)


def test_the_llama_family_is_named_after_it_and_holds_no_bert(llama_bundle):
    con = connect(open_bundle(llama_bundle))
    family, size = con.execute("SELECT family, (SELECT count(*) FROM models WHERE family = m.family) FROM models m "
                               "WHERE model_id = ?", [LLAMA]).fetchone()
    assert family == LLAMA and size > 500
    assert con.execute("SELECT count(*) FROM models WHERE family = ? AND model_id ILIKE '%bert%'", [LLAMA]).fetchone()[0] == 0


@pytest.mark.parametrize("page, prefix", [("views/pages/licenses.py", "lic"), ("views/pages/resemblance.py", "res"),
                                          ("views/pages/drift.py", "drift"), ("views/pages/growth.py", "grow_of")])
@pytest.mark.parametrize("kind", [ScopeKind.FAMILY, ScopeKind.DESCENDANTS])
def test_pages_open_scoped_to_any_model(open_llama, page, prefix, kind):
    at = run_page(page, {**open_llama, f"{prefix}_model": LLAMA, f"{prefix}_scope": SCOPE_LABELS[kind]})
    assert_clean(at)
    assert at.text_input(key=f"{prefix}_model").value == LLAMA
    assert not any("No model" in w.value for w in at.warning)
    assert at.button_group(key=f"{prefix}_scope").value == kind.value


def test_licenses_count_the_edges_of_the_scope(open_llama, llama_bundle):
    at = run_page("views/pages/licenses.py", {**open_llama, "lic_model": LLAMA, "lic_scope": "its descendants"})
    assert_clean(at)
    judged = verdict_edges(connect(open_bundle(llama_bundle)), EdgeScope(model=LLAMA, kind=ScopeKind.DESCENDANTS))
    shown = sum(int(m.value.replace(",", "")) for m in at.metric if m.label in ("Compatible", "Obligation", "Review", "Violation"))
    assert shown == len(judged) > 500


def test_the_audit_answers_which_llama_derivatives_relabel_themselves(open_llama, llama_bundle):
    """From the UI: parent llama3, child apache-2.0 or mit; a count and a reason on every row that fits it."""
    params = {**open_llama, "lic_model": LLAMA, "lic_scope": "its descendants", "lic_verdict": "any",
              "lic_parent_lic": ["llama3"], "lic_child_lic": ["apache-2.0", "mit"]}
    at = run_page("views/pages/licenses.py", params)
    assert_clean(at)
    judged = verdict_edges(connect(open_bundle(llama_bundle)), EdgeScope(model=LLAMA, kind=ScopeKind.DESCENDANTS))
    expected = filter_verdicts(judged, ["llama3"], ["apache-2.0", "mit"])
    assert len(expected) > 20
    assert any(f"**{len(expected):,}** edges" in m.value for m in at.markdown)
    table = next(d.value for d in at.dataframe if "reasons" in d.value.columns)
    assert len(table) == len(expected) and set(table["verdict"]) == {"violation"}
    for rel, child_lic, reason in zip(table["relation"], table["child_licenses"], table["reasons"]):
        assert "relabels" in reason and child_lic in reason and "llama3 agreement" in reason
        assert {"quantized": "quantized copy", "finetune": "fine-tune", "adapter": "adapter"}.get(rel, "") in reason


def test_drift_offers_the_studys_definitions_and_says_where_they_differ(open_llama, llama_bundle):
    from core.bundle import open_bundle as open_
    from core.evolution import definitions, drift

    at = run_page("views/pages/drift.py", {**open_llama, "drift_defs": "the study's definitions"})
    assert_clean(at)
    assert at.button_group(key="drift_defs").value == "study"
    study = drift.mutation_rates(definitions.connect(open_(llama_bundle), "study")).set_index("trait")["rate"]
    phylo = drift.mutation_rates(definitions.connect(open_(llama_bundle), "phylo")).set_index("trait")["rate"]
    line = next(c.value for c in at.caption if c.value.startswith("Where the definitions differ"))
    trait = (study - phylo).abs().idxmax()
    assert abs(study[trait] - phylo[trait]) >= 0.0005
    assert f"study's definition {study[trait]:.3f}, with the Hub's redirects {phylo[trait]:.3f}" in line
