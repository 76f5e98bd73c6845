"""A model's license chain up to its roots, each step judged: shown on the Licenses and Family pages."""

from __future__ import annotations

import streamlit as st

from core.licenses.compliance import SEVERITY, Verdict
from views import cache, state

VERDICT_HELP = {"compatible": "allowed as it is (keep the parent's notice where it asks)",
                "obligation": "allowed if a duty is met: pass on the agreement, keep the use restrictions, name prefix",
                "review": "unknown or custom terms on either side: a person must read them",
                "violation": "the parent's terms do not allow this license on a derivative"}
# Each verdict's colour on charts (hex) and in Markdown text (Streamlit's names), for every page that shows one.
VERDICT_COLOURS = {"compatible": "#4caf50", "obligation": "#3b6fb6", "review": "#f2a541", "violation": "#d62728"}
_TEXT_COLOUR = {"compatible": "green", "obligation": "blue", "review": "orange", "violation": "red"}


def show(path: str, model: str) -> None:
    """Can I use this model, and on what terms? Every edge from it up to its roots with its verdict and reasons."""
    if cache.model_details(path, model) is None:
        st.warning(f"Not in this bundle: {state.code(model)}.")
        return
    steps = cache.license_chain(path, model)
    if steps.empty:
        st.info(f"{state.code(model)} has no parent in this bundle: its own license is all there is.")
        return
    worst = max((Verdict(v) for v in steps["verdict"]), key=SEVERITY.get)
    st.markdown(f"**{worst.value.capitalize()}** at worst along {len(steps):,} edges up to the roots: "
                f"{VERDICT_HELP[worst.value]}.")
    for row in steps.itertuples():
        st.markdown(f"{'&nbsp;' * 4 * (row.generation - 1)}:material/subdirectory_arrow_right: generation "
                    f"{row.generation}: {state.code(row.parent)} {state.code(row.parent_licenses or 'no license')} → "
                    f"{state.code(row.child)} {state.code(row.child_licenses or 'no license')} — "
                    f":{_TEXT_COLOUR[row.verdict]}[**{row.verdict}**]")
        st.text(row.reasons)  # license ids come from the snapshot: shown as text, never as Markdown
