"""The auditor's question in headless Chromium, on Meta-Llama-3-8B's real lineage: "which Llama 3 derivatives
relabel themselves apache-2.0 or mit, how many, and why is each one wrong?" — asked with the page's own filters,
answered with a count on the page and a reason on every row of the CSV it exports. Then Resemblance, Drift and
Growth open scoped to the same model."""

import io

import pandas as pd

from core.bundle import open_bundle
from core.licenses import connect, filter_verdicts, verdict_edges
from core.lineage import EdgeScope, ScopeKind
from tests.browser.conftest import open_page, screenshot, streamlit_server
from tests.conftest import LLAMA


def _choose(page, label: str, values: list[str]) -> None:
    box = page.locator("[data-testid=stMultiSelect]").filter(has_text=label).first
    for value in values:
        box.locator("input").click()
        box.locator("input").fill(value)
        page.get_by_role("option", name=value, exact=True).first.click()
        page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=120_000)
    page.keyboard.press("Escape")


def test_the_audit_answers_the_auditors_question(browser, llama_bundle):
    judged = verdict_edges(connect(open_bundle(llama_bundle)), EdgeScope(model=LLAMA, kind=ScopeKind.DESCENDANTS))
    expected = filter_verdicts(judged, ["llama3"], ["apache-2.0", "mit"])
    with streamlit_server(llama_bundle) as url:
        page, errors = open_page(browser, url + f"/licenses?lic_model={LLAMA}&lic_scope=its%20descendants&lic_verdict=any",
                                 wait_text="The edges, judged", height=1800)
        _choose(page, "Parent states", ["llama3"])
        _choose(page, "Child states", ["apache-2.0", "mit"])
        page.get_by_text(f"{len(expected):,} edges:").first.wait_for(timeout=60_000)
        assert "lic_parent_lic=llama3" in page.url and "lic_child_lic=apache-2.0" in page.url  # a shareable link
        page.get_by_text("The edges, judged").first.scroll_into_view_if_needed()
        screenshot(page, "licenses_llama_relabels")
        with page.expect_download() as download:
            page.get_by_text(f"Download these {len(expected):,} verdicts (CSV)").first.click()
        rows = pd.read_csv(io.StringIO(open(download.value.path(), encoding="utf-8").read()))
        assert not errors, errors
    assert len(rows) == len(expected) > 20 and set(rows["verdict"]) == {"violation"}
    assert rows["reasons"].str.contains("relabels").all() and rows["reasons"].str.contains("llama3 agreement").all()


def test_pages_open_scoped_to_a_model(browser, llama_bundle):
    with streamlit_server(llama_bundle) as url:
        for page_path, prefix, wait in (("resemblance", "res", "Similarity of"), ("drift", "drift", "Mutation rates"),
                                        ("growth", "grow_of", "One model's family")):
            page, errors = open_page(browser, url + f"/{page_path}?{prefix}_model={LLAMA}&{prefix}_scope=its%20descendants",
                                     wait_text=wait, height=1400)
            assert page.locator("[data-testid=stException]").count() == 0
            assert not errors, errors
            screenshot(page, f"{page_path}_llama_scope")
            page.close()
