"""Changes: what changed between two snapshots of the Hub (two bundles): models kept, renamed, added and removed,
new and growing families, edge changes, and counts by library, task and license class."""

from __future__ import annotations

import streamlit as st

from core.evolution.diff import CountBy
from views import cache

COUNT_LABELS = {CountBy.LIBRARY: "library", CountBy.TASK: "task", CountBy.LICENSE: "license class"}

st.title("Changes between two snapshots")
bundles = cache.available_bundles()
names = list(bundles)
if len(names) < 2:
    st.info("Only one bundle is here. Build a second snapshot (python -m core.precompute --source FILE --out "
            "bundles/NAME, e.g. from python -m core.crawl) to compare the two.")
    st.stop()

c = st.columns(2)
old = c[0].selectbox("Older snapshot", names, index=1, key="chg_old", bind="query-params")
new = c[1].selectbox("Newer snapshot", names, index=0, key="chg_new", bind="query-params")
if old == new:
    st.info("Pick two different bundles.")
    st.stop()

diff = cache.snapshot_diff(bundles[old], bundles[new])
o, n = diff.old, diff.new
st.caption(f"{o.label} ({o.date or 'undated'}, {o.models:,} models) → {n.label} ({n.date or 'undated'}, "
           f"{n.models:,} models). Ids are compared ignoring case; a renamed model is a legacy id the Hub now "
           "redirects to an organisation's model.")
m = st.columns(4)
m[0].metric("Kept", f"{diff.kept:,}")
m[1].metric("Renamed", f"{diff.n_renamed:,}")
m[2].metric("Added", f"{diff.added:,}")
m[3].metric("Removed", f"{diff.removed:,}")
if diff.kept != diff.kept_new:
    st.caption(f"{diff.kept - diff.kept_new:,} old ids differ from another only by case: the kept are "
               f"{diff.kept_new:,} models of the newer snapshot.")

view = st.segmented_control("Show", ["Models", "Families", "Edges", "Counts"], default="Models", key="chg_view",
                            bind="query-params") or "Models"
if view == "Models":
    left, right = st.columns(2)
    left.subheader("Most downloaded new models")
    left.dataframe(diff.top_added, hide_index=True, width="stretch")
    right.subheader("Most downloaded models gone")
    right.dataframe(diff.top_removed, hide_index=True, width="stretch")
    st.subheader(f"Renamed ({diff.n_renamed:,})")
    st.dataframe(diff.renamed, hide_index=True, width="stretch", height=300)
elif view == "Families":
    left, right = st.columns(2)
    left.subheader(f"New families ({diff.n_new_families:,})")
    left.caption("Families of two models or more whose root is a new model; largest first.")
    left.dataframe(diff.new_families, hide_index=True, width="stretch")
    right.subheader("Fastest-growing families")
    right.caption("Models gained by families whose root was already there (under its old id).")
    right.dataframe(diff.growing_families, hide_index=True, width="stretch")
elif view == "Edges":
    st.metric("Edges in both snapshots", f"{diff.edges_in_both:,}")
    if not diff.edges_in_both:
        st.caption("No parent→child edge is in both snapshots (a listing without tags records no lineage).")
    left, right = st.columns(2)
    left.subheader("Relation changes")
    left.dataframe(diff.relation_changes, hide_index=True, width="stretch")
    right.subheader("License class changes at an edge's end")
    right.dataframe(diff.license_changes, hide_index=True, width="stretch")
else:
    by = st.segmented_control("Count by", [c.value for c in CountBy], default=CountBy.LIBRARY.value,
                              format_func=lambda v: COUNT_LABELS[CountBy(v)], key="chg_by",
                              bind="query-params") or CountBy.LIBRARY.value
    st.dataframe(diff.counts[CountBy(by)], hide_index=True, width="stretch", height=420)
    history = cache.hub_history()
    if not history.empty:
        st.subheader("The Hub's recorded totals")
        st.caption("Each build of a real snapshot and each crawl records the Hub's size with its date: the history "
                   "between and beyond the two snapshots compared here.")
        st.dataframe(history[["date", "models", "kind", "source"]].assign(date=history["date"].dt.date).iloc[::-1],
                     hide_index=True, width="stretch", height=200,
                     column_config={"models": st.column_config.NumberColumn(format="localized")})
