"""Licenses: which edges relax their parent's license terms, by family — the auditor's checker (ANALYSES.md §4)."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from core.evolution.reference import LISCAN
from core.lineage.family import table_selection_to_model
from core.licenses import (CLASS_ORDER, RESTRICTIVENESS, LicenseClass, class_matrix, family_verdicts, filter_verdicts,
                           license_pairs, license_values)
from core.lineage import EdgeScope, Relation
from views import cache, chain, links, state

ANY = "any"
SHOWN_ROWS = 2_000  # rows drawn in the edge table; the export always holds every edge
CLASS_HELP = {
    LicenseClass.NON_COMMERCIAL: "no commercial use (cc-by-nc-*), or no derivatives (-nd)",
    LicenseClass.COMMERCIAL_RESTRICTED: "use allowed under the vendor's terms (llama*, gemma): attribution, "
                                        "acceptable-use policy, user caps",
    LicenseClass.USE_RESTRICTED: "behavioural use restrictions passed on to derivatives (OpenRAIL, BLOOM RAIL)",
    LicenseClass.COPYLEFT: "derivatives under the same terms (GPL, CC-BY-SA, …)",
    LicenseClass.PERMISSIVE: "attribution at most (apache-2.0, mit, bsd, cc-by)",
    LicenseClass.OTHER: "'other', unknown or no license: never counted as a relaxation",
}


def _scope(path: str) -> EdgeScope:
    return state.edge_scope_controls(path, "lic", [state.ALL_EDGES] + [r.value for r in Relation])


def _classes(path: str) -> None:
    with st.expander("License classes, from most to least restrictive"):
        counts = cache.license_class_counts(path).set_index("license_class")
        rows = [{"class": c, "rank": str(RESTRICTIVENESS.get(LicenseClass(c), "—")), "means": CLASS_HELP[LicenseClass(c)],
                 "models": int(counts["models"].get(c, 0)), "most common licenses": counts["examples"].get(c) or ""}
                for c in CLASS_ORDER]
        st.dataframe(rows, hide_index=True, key="lic_classes")
        st.caption("A model's class is the most restrictive of its licenses. An edge relaxes the terms when the "
                   "child's class ranks below its parent's; a child whose license is unknown is not counted, so the "
                   "numbers here are a floor.")


def _pick_family(table_key: str, ids_key: str):
    """An on_select callback: the family of the row picked in table ``table_key`` becomes the page's scope."""
    def pick() -> None:
        event = st.session_state.get(table_key)
        rows = event.selection.rows if event is not None and hasattr(event, "selection") else None
        chosen = table_selection_to_model(rows, st.session_state.get(ids_key) or [])
        if chosen:
            st.session_state["lic_model"] = chosen
    return pick




def _verdicts(path: str, scope: EdgeScope) -> None:
    """The audit: every edge judged by the rule engine (core.licenses.compliance), by family and by license pair."""
    judged = cache.verdict_edges(path, scope)
    st.subheader("Compliance verdicts")
    if judged.empty:
        st.info("No lineage edges in this scope.")
        return
    counts = judged["verdict"].value_counts()
    cols = st.columns(5)
    for col, verdict in zip(cols, chain.VERDICT_COLOURS):
        n = int(counts.get(verdict, 0))
        col.metric(verdict.capitalize(), f"{n:,}", f"{n / len(judged):.1%} of edges", delta_color="off",
                   delta_arrow="off", help=chain.VERDICT_HELP[verdict])
    models = cache.model_verdicts(path)
    inherited = models[models["model_id"].isin(set(judged["child"]))]
    cols[4].metric("Tainted models", f"{int(inherited['inherited_violation'].sum()):,}",
                   f"{inherited['inherited_violation'].mean():.1%} of derived" if len(inherited) else None,
                   delta_color="off", delta_arrow="off",
                   help="A violation on any edge from the model's roots down to it taints it, and every merge needs "
                        "every parent's terms met")
    st.caption(f"For comparison, LISCAN.AI (IEEE TSE 2026) finds {LISCAN['direct_incompatible']:.1%} of direct "
               f"derivatives incompatible with their parents and {LISCAN['with_ancestors_incompatible']:.1%} counting "
               f"indirect ancestors, on another snapshot ({LISCAN['models'] / 1e6:.2f}M models) with another checker. "
               "Here a child with no or a custom license is 'review', never counted as a violation.")
    left, right = st.columns([1, 1])
    with left:
        by_family = family_verdicts(judged)
        st.markdown("**By family** (most violations first; pick a row to scope the page to it)")
        st.session_state["_lic_verdict_family_ids"] = by_family["family"].tolist()
        st.dataframe(by_family, hide_index=True, key="lic_verdict_families", height=320,
                     on_select=_pick_family("lic_verdict_families", "_lic_verdict_family_ids"), selection_mode="single-row")
    with right:
        pairs = license_pairs(judged)
        st.markdown("**By license pair** (pick a row to list its edges)")
        st.session_state["_lic_pairs"] = pairs.head(500)[["parent_licenses", "child_licenses"]].values.tolist()
        st.dataframe(pairs.head(500), hide_index=True, key="lic_verdict_pairs", height=320, on_select=_pick_pair,
                     selection_mode="single-row",
                     column_config={"parent_licenses": "parent licenses", "child_licenses": "child licenses"})
    _edge_table(judged)


def _pick_pair() -> None:
    """An on_select callback: the license pair picked in the pair table becomes the edge table's filter."""
    event = st.session_state.get("lic_verdict_pairs")
    rows = event.selection.rows if event is not None and hasattr(event, "selection") else None
    pairs = st.session_state.get("_lic_pairs") or []
    if rows and isinstance(rows[0], int) and 0 <= rows[0] < len(pairs):
        parent, child = pairs[rows[0]]
        st.session_state["lic_parent_lic"] = parent.split(", ")
        st.session_state["lic_child_lic"] = child.split(", ")
        st.session_state["lic_verdict"] = ANY


def _edge_table(judged) -> None:
    """The judged edges, filtered by licenses at either end, verdict and a label that differs from upstream."""
    st.markdown("**The edges, judged**")
    c = st.columns([3, 3, 2, 2])
    parents = c[0].multiselect("Parent states", license_values(judged, "parent_licenses"), key="lic_parent_lic",
                               bind="query-params", placeholder="any license")
    children = c[1].multiselect("Child states", license_values(judged, "child_licenses"), key="lic_child_lic",
                                bind="query-params", placeholder="any license")
    verdict = c[2].selectbox("Verdict", [ANY, *chain.VERDICT_COLOURS], index=4, key="lic_verdict",
                             bind="query-params") or ANY
    differs = c[3].toggle("Label in doubt", key="lic_differs", bind="query-params",
                          help="The child declares a license other than its nearest ancestor that declares one "
                               "(merges left out), or the family's root declares another vendor agreement than its "
                               "name says: a relabel to check")
    shown = filter_verdicts(judged, parents, children, None if verdict == ANY else verdict, differs)
    counts = shown["verdict"].value_counts()
    st.markdown(f"**{len(shown):,}** edges: " + ", ".join(f"{int(counts.get(v, 0)):,} {v}" for v in chain.VERDICT_COLOURS)
                + (f" — the first {SHOWN_ROWS:,} are shown; the CSV has all {len(shown):,}" if len(shown) > SHOWN_ROWS else ""))
    table = shown.head(SHOWN_ROWS).assign(tree=lambda d: d["child"].map(links.license_chain))
    st.dataframe(table[["child", "verdict", "reasons", "child_licenses", "relation", "parent", "parent_licenses",
                        "differs_upstream", "upstream", "upstream_licenses", "root_agreement_doubt", "family", "tree"]],
                 hide_index=True, key="lic_verdict_edges", height=360,
                 column_config={"child_licenses": "child licenses", "parent_licenses": "parent licenses",
                                "reasons": st.column_config.TextColumn("why (what the edge does, the rules, sources)",
                                                                       width="large"),
                                "differs_upstream": st.column_config.CheckboxColumn("differs from upstream"),
                                "upstream": "nearest ancestor with a license", "upstream_licenses": "its licenses",
                                "root_agreement_doubt": st.column_config.CheckboxColumn("root's agreement in doubt"),
                                "tree": st.column_config.LinkColumn("chain", display_text="licenses up to the roots")})
    st.download_button(f"Download these {len(shown):,} verdicts (CSV)", shown.to_csv(index=False),
                       file_name="phylo-license-verdicts.csv", mime="text/csv", key="lic_export_verdicts",
                       icon=":material/download:", on_click="ignore")


def _chain(path: str) -> None:
    """One model's licenses up to its roots, each step judged."""
    st.subheader("A model's license chain")
    model = st.text_input("Model", key="lic_chain", bind="query-params", max_chars=300,
                          placeholder="a model id, e.g. from the table above").strip()
    if model:
        chain.show(path, model)


path, _ = state.require_bundle("License inheritance")
st.caption("May each model carry its license, given where it comes from? Every lineage edge is judged by rules "
           "written from the license texts (the Llama and Gemma agreements, OpenRAIL, Creative Commons, the OSADL "
           "matrix), with the reasons and sources; below, where license classes drift from restrictive to permissive, "
           "as the study reports.")
scope = _scope(path)
_verdicts(path, scope)
_chain(path)
st.subheader("License classes along edges")
_classes(path)
edges = cache.license_edges(path, scope)
known = edges[(edges["parent_class"] != LicenseClass.OTHER.value) & (edges["child_class"] != LicenseClass.OTHER.value)]
relaxed = edges[edges["relaxed"]]
c = st.columns(4)
c[0].metric("Edges in scope", f"{len(edges):,}", help="In-snapshot parent → child edges")
c[1].metric("Both ends licensed", f"{len(known):,}", help="Both classes known, so the terms can be compared")
c[2].metric("Child relaxes the terms", f"{len(relaxed):,}",
            f"{len(relaxed) / len(known):.1%} of comparable edges" if len(known) else None, delta_color="off",
            delta_arrow="off")
c[3].metric("Families with a relaxing edge", f"{relaxed['family'].nunique():,}")

if edges.empty:
    st.info("No lineage edges in this scope.")
    st.stop()

left, right = st.columns([1, 1])
with left:
    st.subheader("Parent class → child class")
    counts = cache.license_transitions(path, scope)
    matrix, share = class_matrix(counts)
    fig = px.imshow(share, text_auto=".0%", color_continuous_scale="Blues", zmin=0, zmax=1, aspect="auto",
                    labels=dict(x="child", y="parent", color="share of the parent class's edges"))
    fig.update_traces(customdata=matrix.to_numpy(), hovertemplate="%{y} → %{x}: %{customdata:,} edges (%{z:.1%})<extra></extra>")
    fig.update_layout(height=420, margin=dict(l=0, r=0, t=10, b=0), coloraxis_showscale=False)
    fig.update_xaxes(side="top", tickangle=-30)
    st.plotly_chart(fig, key="lic_matrix")
    st.caption("Rows: the parent's class; cells: where its children's licenses go. Cells right of the diagonal "
               "(towards permissive) relax the terms, except the 'other/unknown' column, which is never compared.")
with right:
    st.subheader("Relaxing edges by family")
    by_family = cache.license_families(path, scope)
    by_family = by_family[by_family["relaxed"] > 0].reset_index(drop=True)
    if by_family.empty:
        st.success("No edge in this scope relaxes its parent's license class.")
    else:
        st.session_state["_lic_family_ids"] = by_family["family"].tolist()
        st.dataframe(by_family, hide_index=True, key="lic_family_table", on_select=_pick_family("lic_family_table", "_lic_family_ids"),
                     selection_mode="single-row", height=420,
                     column_config={"share_relaxed": st.column_config.ProgressColumn("share relaxed", format="percent",
                                                                                     min_value=0, max_value=1),
                                    "most_common": "most common relaxation"})
        st.caption("Pick a row to restrict the page to that family.")

st.subheader("The edges")
c = st.columns([2, 2, 2, 3])
only = c[0].toggle("Relaxing only", value=True, key="lic_only", bind="query-params")
parent_class = c[1].selectbox("Parent class", [ANY] + CLASS_ORDER, key="lic_parent_class", bind="query-params") or ANY
child_class = c[2].selectbox("Child class", [ANY] + CLASS_ORDER, key="lic_child_class", bind="query-params") or ANY
shown = relaxed if only else edges
if parent_class != ANY:
    shown = shown[shown["parent_class"] == parent_class]
if child_class != ANY:
    shown = shown[shown["child_class"] == child_class]
c[3].markdown(f"**{len(shown):,}** edges" + (f" — the first {SHOWN_ROWS:,} are shown (by family, then the child's "
                                             "downloads); the export has all" if len(shown) > SHOWN_ROWS else ""))
table = shown.head(SHOWN_ROWS).assign(child_page=lambda d: d["child"].map(links.hub),
                                      tree=lambda d: d["child"].map(links.family))
st.dataframe(table[["family", "parent", "parent_licenses", "parent_class", "relation", "relation_source", "child",
                    "child_licenses", "child_class", "child_created", "child_downloads", "child_page", "tree"]],
             hide_index=True, key="lic_edges", height=420,
             column_config={"parent_licenses": "parent licenses", "parent_class": "parent class",
                            "relation_source": "type is", "child_licenses": "child licenses", "child_class": "child class",
                            "child_page": st.column_config.LinkColumn("Hub", display_text="open"),
                            "tree": st.column_config.LinkColumn("lineage", display_text="family tree"),
                            "child_created": st.column_config.DateColumn("child created"),
                            "child_downloads": st.column_config.NumberColumn("child downloads", format="%d")})
d1, d2, _ = st.columns([3, 3, 2])
d1.download_button("Download these edges (CSV)", shown.to_csv(index=False), file_name="phylo-license-edges.csv",
                   mime="text/csv", key="lic_export_edges", icon=":material/download:")
if not by_family.empty:
    d2.download_button("Download the family table (CSV)", by_family.to_csv(index=False),
                       file_name="phylo-license-families.csv", mime="text/csv", key="lic_export_families",
                       icon=":material/download:")
st.caption("Relation types marked 'inferred' were not declared on the Hub (older snapshots have untyped parents). "
           "A relaxation is a signal for review, not a verdict: a fine-tune may be licensed differently by agreement.")
