"""Similarity network: a model's neighbourhood, its family or a map selection as a graph of nearest neighbours in
the embedding space, lineage edges drawn apart (issue 22; the seed navigator's network view, with lineage and aggregation)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from core import atlas
from core.atlas.network import MAX_NODES
from core.lineage import FAMILY_GRAPH_LABELS, FamilyGraph
from views import cache, links, state

AROUND = {"neighbourhood": "its nearest models", "family": "its family", "selection": "a map selection"}


# Lineage between groups (an aggregated network), by how many parent → child edges join them: (least, width, alpha).
GROUP_LINEAGE = ((1, 0.6, 0.18), (3, 1.4, 0.4), (10, 2.6, 0.8))


def _lines(net, kind: str, least: float = 0, below: float = float("inf")) -> tuple[list, list]:
    """Edge segments of one kind (weights in [least, below)) as x and y lists with None breaks (one trace each)."""
    pos = dict(zip(net.nodes["id"], zip(net.nodes["x"], net.nodes["y"])))
    xs, ys = [], []
    e = net.edges
    pick = (e["kind"] == kind) & (e["weight"] >= least) & (e["weight"] < below)
    for s, t in e.loc[pick, ["source", "target"]].itertuples(index=False):
        if s in pos and t in pos:
            xs += [pos[s][0], pos[t][0], None]
            ys += [pos[s][1], pos[t][1], None]
    return xs, ys


def _figure(net, model_id: str) -> go.Figure:
    fig = go.Figure()
    xs, ys = _lines(net, "similar")
    fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color="rgba(150,150,150,0.35)", width=1),
                    name="nearest in meaning", hoverinfo="skip")
    if not net.aggregated:
        xs, ys = _lines(net, "lineage")
        fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color="rgba(200,40,60,0.8)", width=2),
                        name="lineage (parent → child)", hoverinfo="skip")
    for (least, width, alpha), (below, _, _) in zip(GROUP_LINEAGE if net.aggregated else (),
                                                    (*GROUP_LINEAGE[1:], (float("inf"), 0, 0))):
        xs, ys = _lines(net, "lineage", least, below)  # many edges between two groups: a bolder line
        fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color=f"rgba(200,40,60,{alpha})", width=width),
                        name=f"lineage: {least:,}{'+' if below == float('inf') else f'–{int(below) - 1:,}'} edges",
                        hoverinfo="skip")
    n = net.nodes
    size = 6 + 3 * np.log10(n["downloads"].astype(float) + 1) + (4 * np.log10(n["size"]) if net.aggregated else 0)
    centre = n["id"] == model_id
    fig.add_scatter(x=n["x"], y=n["y"], mode="markers", name="models" if not net.aggregated else "groups of models",
                    marker=dict(size=size, color=np.where(centre, "#d62728", "#3b6fb6"),
                                line=dict(width=np.where(centre, 2, 0.5), color="#fff")),
                    customdata=np.c_[n["label"], n["downloads"], n["size"]],
                    hovertemplate="%{customdata[0]}<br>%{customdata[1]:,} downloads"
                                  + ("<br>%{customdata[2]:,} models" if net.aggregated else "") + "<extra></extra>")
    top = n.nlargest(12, "downloads")
    fig.add_scatter(x=top["x"], y=top["y"], mode="text", text=[t.split("/")[-1][:28] for t in top["label"]],
                    textposition="top center", textfont=dict(size=12, color="#222"), hoverinfo="skip", showlegend=False)
    fig.update_layout(height=620, margin=dict(l=0, r=0, t=10, b=0), legend=dict(orientation="h", y=1.04),
                      xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x"), plot_bgcolor="#fff")
    return fig


path, bundle = state.require_bundle("Similarity network")
if not cache.has_map(path):
    st.info("This bundle has no embeddings (it was built with --no-embed), so there is no similarity to draw. "
            "Open a bundle built with its map.", icon=":material/hub:")
    st.stop()
around = st.segmented_control("Show", list(AROUND), default="neighbourhood", format_func=AROUND.get,
                              key="net_around", bind="query-params") or "neighbourhood"
c = st.columns([4, 2, 2])  # below the choice, so its three options keep their width on a small screen
model_id = c[0].text_input("Model", key="net_model", bind="query-params", max_chars=300, placeholder="a model id",
                           disabled=around == "selection").strip()
n = state.url_int_input(c[1], "Nearest models", "net_n", 10, MAX_NODES, 150, step=10,
                        disabled=around != "neighbourhood",
                        help="How many of the model's nearest neighbours to draw (its neighbourhood)")
k = state.url_int_input(c[2], "Links per model", "net_k", 1, 15, 4, help="Each model is linked to its k nearest")
graph = FamilyGraph(st.selectbox("Family graph", [g.value for g in FamilyGraph], key="net_graph",
                                 format_func=lambda g: FAMILY_GRAPH_LABELS[FamilyGraph(g)], bind="query-params")
                    or FamilyGraph.NO_MERGE.value) if around == "family" else FamilyGraph.NO_MERGE
if around == "selection":
    polygon = atlas.format_polygon(atlas.parse_polygon(st.query_params.get("net_sel", "")))
    if not polygon:
        st.caption("Draw a box or lasso on the map, then press *Similarity network of these* in its panel: the models "
                   "inside the outline are drawn here.")
        st.page_link(links.PAGES["map"], label="Open the map", icon=":material/scatter_plot:")
        st.stop()
    net, inside = cache.selection_network(path, polygon, int(k))
    if not inside:
        st.info("No model is drawn inside this outline.", icon=":material/hub:")
        st.stop()
    shown = len(net.nodes) if not net.aggregated else int(net.nodes["size"].sum())
    st.caption(f"The models inside the map outline: {inside:,}" + (f", of which the {shown:,} most downloaded are "
                                                                    "drawn" if shown < inside else "") + ".")
    model_id = ""
elif not model_id:
    st.caption("Name a model: its nearest models by meaning (the map's embeddings), or its whole family, are drawn "
               "as a network where each model links to its nearest neighbours and lineage edges stand out. Or draw "
               "on the map and open the network of a selection from its panel.")
    st.stop()
elif not cache.has_model(path, model_id):
    st.warning(f"No model {state.code(model_id)} in this bundle.")
    st.stop()
else:
    net = cache.similarity_network(path, model_id, around, int(n), int(k), graph)
st.plotly_chart(_figure(net, model_id), key="net_chart")
kinds = net.edges["kind"].value_counts()
st.caption(f"{len(net.nodes):,} {'groups' if net.aggregated else 'models'}, {int(kinds.get('similar', 0)):,} similarity "
           f"links (grey) and {int(kinds.get('lineage', 0)):,} lineage "
           + ("links between groups (red, bolder where more parent → child edges join them)" if net.aggregated
              else "edges (red)") + ". Positions come from a force "
           "layout of the similarity links, so clusters of alike models sit together; a red edge across clusters is a "
           "child unlike its parent." + (f" Beyond {MAX_NODES:,} models the set is grouped by k-means on the "
                                          "vectors; each group is named by its most downloaded model." if net.aggregated else ""))
if model_id:
    st.link_button("Open its family tree", links.family(model_id), icon=":material/account_tree:")
