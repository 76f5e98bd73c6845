"""Growth: models created per month, the largest families over time, and the Hub's growth replayed on the map (§5)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.express as px
import streamlit as st

from core import atlas
from core.atlas import ColorBy
from core.evolution.overview import TimeSplit
from core.lineage import FAMILY_GRAPH_LABELS, EdgeScope, FamilyGraph
from views import atlas_component, cache, links, state

SPLIT_LABELS = {TimeSplit.NONE: "nothing", TimeSplit.LIBRARY: "library", TimeSplit.TASK: "task",
                TimeSplit.LICENSE_CLASS: "license class", TimeSplit.LICENSE: "license"}
REPLAY_COLORS = {ColorBy.LIBRARY: "library", ColorBy.TASK: "task", ColorBy.LICENSE: "license class",
                 ColorBy.CLUSTER: "cluster", ColorBy.FAMILY: "family"}


def _months(first: dt.date, last: dt.date) -> list[str]:
    return [m.strftime("%Y-%m") for m in pd.date_range(pd.Timestamp(first).replace(day=1), pd.Timestamp(last), freq="MS")]


def _month_end(month: str) -> dt.date:
    return (pd.Timestamp(month + "-01") + pd.offsets.MonthEnd(0)).date()


def _per_month(path: str) -> None:
    st.subheader("Models created per month")
    c = st.columns([3, 1, 1])
    split = c[0].segmented_control("Split by", [s.value for s in SPLIT_LABELS], default=TimeSplit.NONE.value,
                                   format_func=lambda s: SPLIT_LABELS[TimeSplit(s)], key="grow_split",
                                   bind="query-params") or TimeSplit.NONE.value
    top = state.url_int_input(c[1], "Groups", "grow_top", 2, 15, 8)
    cumulative = c[2].toggle("Cumulative", value=True, key="grow_cum", bind="query-params")
    df = cache.monthly_growth(path, split, top)
    if df.empty:
        st.info("No model in this bundle has a creation date.")
        return
    y = "cumulative" if cumulative else "new"
    chart = px.area if cumulative else px.bar
    fig = chart(df, x="month", y=y, color="group", labels={"month": "", y: "models" if cumulative else "models created"})
    fig.update_layout(height=380, margin=dict(l=0, r=0, t=10, b=0), legend_title_text="")
    st.plotly_chart(fig, key="grow_month_chart")
    total = df.groupby("month")["new"].sum()
    peak = total.idxmax()
    st.caption(f"{int(total.sum()):,} dated models from {total.index.min():%Y-%m} to {total.index.max():%Y-%m}; the "
               f"busiest month was {peak:%Y-%m} with {int(total.max()):,} new models. "
               f"{cache.created_months(path)['unknown']:,} models have no date (the Hub's 2022-03-02 migration "
               "placeholder counts as unknown) and are left out.")


def _families(path: str) -> None:
    st.subheader("The largest families over time")
    c = st.columns([3, 1, 1])
    graph = c[0].segmented_control("Edges that join a family", [g.value for g in FamilyGraph],
                                   default=FamilyGraph.NO_MERGE.value, format_func=lambda g: FAMILY_GRAPH_LABELS[FamilyGraph(g)],
                                   key="grow_graph", bind="query-params") or FamilyGraph.NO_MERGE.value
    n = state.url_int_input(c[1], "Families", "grow_families", 1, 25, 10)
    log_y = c[2].toggle("Log scale", value=False, key="grow_log", bind="query-params")
    df = cache.family_growth(path, graph, n)
    if df.empty:
        st.info("No family has more than one dated model.")
        return
    fig = px.line(df, x="month", y="cumulative", color="family", log_y=log_y, labels={"month": "", "cumulative": "models"})
    fig.update_layout(height=400, margin=dict(l=0, r=0, t=10, b=0), legend_title_text="family (root)")
    st.plotly_chart(fig, key="grow_family_chart")
    st.caption("Cumulative size of each family by its members' creation dates (undated members left out). The study "
               "sees the Qwen1.5 families jump around Sep–Oct 2024 and FLUX.1-dev grow steadily from Aug 2024.")


def _rewind() -> None:
    """Play pressed on the last month: the replay starts from the first."""
    months = st.session_state.get("_grow_months") or []
    if st.session_state.get("grow_play") and months and st.session_state.get("grow_month") == months[-1]:
        st.session_state["grow_month"] = months[0]
        state.write_url("grow_month", months[-1])


def _replay(path: str) -> None:
    st.subheader("The Hub growing, on the map")
    if not cache.has_map(path):
        st.info("This bundle has no map yet: rebuild it without `--no-embed` to replay its growth on the map.")
        return
    span = cache.created_months(path)
    if span["first"] is None:
        st.info("No model in this bundle has a creation date.")
        return
    months = _months(span["first"], span["last"])
    st.session_state["_grow_months"] = months
    state.url_choice("grow_month", months, months[-1])
    c = st.columns([2, 1, 4])
    color_by = c[0].selectbox("Colour by", list(REPLAY_COLORS), format_func=lambda v: REPLAY_COLORS[ColorBy(v)],
                              key="grow_color", bind="query-params") or ColorBy.LIBRARY.value
    if st.session_state.pop("_grow_stop", False):
        st.session_state["grow_play"] = False
    playing = c[1].toggle("Play", key="grow_play", on_change=_rewind, help="Step one month a second, up to the last")

    @st.fragment(run_every=1.0 if playing else None)
    def frame() -> None:
        if playing and st.session_state.get("_grow_ticking"):  # a timed rerun: one month on
            i = months.index(st.session_state["grow_month"])
            if i >= len(months) - 1:
                st.session_state["_grow_stop"] = True  # the toggle exists already: switch it off before the next run
                st.session_state["_grow_ticking"] = False
                st.rerun(scope="app")  # the whole page, so the fragment stops its timer
            st.session_state["grow_month"] = months[i + 1]
            state.write_url("grow_month", months[-1])
        st.session_state["_grow_ticking"] = bool(playing)
        month = st.select_slider("Created up to", months, key="grow_month",
                                 on_change=state.write_url, args=("grow_month", months[-1]))
        day = _month_end(month)
        geo = cache.map_geometry(path)
        view = cache.map_files(path, color_by, "none", False, with_time=True)
        left, right = st.columns([3, 1])
        with left:
            points_key = f"{geo.key}-growth-{color_by}"
            clicked = atlas_component.point_map(key="grow_map", points_key=points_key, n=len(geo.ids), files=view["files"],
                                         n_colors=view["n_colors"], until_day=(day - atlas.EPOCH).days, height=560)
            model = atlas.picked_model(getattr(clicked, "picked", None), geo.order, geo.ids, points_key)
            if model:  # a click opens the model on the Map page, with its details and lineage
                st.switch_page(links.PAGES["map"], query_params={"map_model": model})
        with right:
            legend = view["legend"]
            fig = px.bar(legend.iloc[::-1], x="models", y="category", orientation="h", log_x=True, color="category",
                         color_discrete_map={c: f"rgb{tuple(rgb)}" for c, rgb in zip(legend["category"], legend["rgb"])})
            fig.update_layout(showlegend=False, height=max(220, 24 * len(legend)), margin=dict(l=0, r=0, t=0, b=0),
                              yaxis_title="", xaxis_title="models (log)")
            st.plotly_chart(fig, key="grow_legend")
        st.markdown(f"**{cache.created_by(path, day):,}** models created by the end of {month}"
                    + (f" · {span['unknown']:,} undated models are not shown" if span["unknown"] else ""))

    frame()
    st.caption("Each point is a model where the map puts it; points appear in the month their model was created. "
               "Press Play, or drag the slider; click a point to open the model on the Map.")


def _recorded(path: str) -> None:
    """The Hub's size as each build or crawl recorded it, beside this bundle's models by creation date: the gap is
    what no single snapshot holds (models deleted since, or not yet made)."""
    hist = cache.hub_history()
    if hist.empty:
        return
    st.subheader("The Hub's recorded size")
    curve = cache.monthly_growth(path, TimeSplit.NONE.value)
    fig = px.line(curve, x="month", y="cumulative", labels={"month": "", "cumulative": "models"})
    fig.data[0].name, fig.data[0].showlegend = "this bundle, by creation date", True
    fig.add_scatter(x=hist["date"], y=hist["models"], mode="markers+lines", name="recorded by a build or crawl",
                    marker=dict(size=9, color="#d62728"), customdata=hist[["source", "kind"]],
                    hovertemplate="%{x|%Y-%m-%d}: %{y:,} models (%{customdata[1]} of %{customdata[0]})<extra></extra>")
    fig.update_layout(height=320, margin=dict(l=0, r=0, t=10, b=0), legend=dict(orientation="h", y=1.1))
    st.plotly_chart(fig, key="grow_recorded_chart")
    table = hist[["date", "models", "kind", "source"]].assign(date=hist["date"].dt.date)
    st.dataframe(table.iloc[::-1], hide_index=True, key="grow_recorded_table", height=180,
                 column_config={"models": st.column_config.NumberColumn(format="localized")})
    st.caption("Each `python -m core.precompute` of a real snapshot and each `python -m core.crawl` records the Hub's "
               "totals (models, by library, task and license class) with the snapshot's date.")


def _scoped(path: str) -> None:
    """Any model's family or descendants, month by month, by the relation that brought each model in."""
    st.subheader("One model's family or descendants over time")
    model, kind, graph = state.model_scope_controls(path, "grow_of", st.columns([3, 2, 2]))
    if not model:
        st.caption("Name a model above to see its family, or everything made from it, grow month by month.")
        return
    scope = EdgeScope(model=model, kind=kind, graph=graph)
    df = cache.scoped_growth(path, scope)
    if df.empty:
        st.info(f"No dated model in {state.scope_words(scope)}.")
        return
    fig = px.area(df, x="month", y="cumulative", color="group", labels={"month": "", "cumulative": "models",
                                                                        "group": "came in as"},
                  color_discrete_map={"root": "#888888", "finetune": "#3b6fb6", "adapter": "#f2a541",
                                      "quantized": "#4caf50", "merge": "#c83ca0"})
    fig.update_layout(height=360, margin=dict(l=0, r=0, t=10, b=0))
    st.plotly_chart(fig, key="grow_scoped_chart")
    total = df.groupby("group")["new"].sum()
    st.caption(f"{int(total.sum()):,} dated models in {state.scope_words(scope)}: "
               + ", ".join(f"{int(n):,} {g}" for g, n in total.sort_values(ascending=False).items()) + ".")


path, _ = state.require_bundle("Growth")
_per_month(path)
_families(path)
_recorded(path)
_scoped(path)
_replay(path)
