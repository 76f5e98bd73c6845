"""Drift: how traits change from parent to child (ANALYSES.md §4), beside the study's figures."""

from __future__ import annotations


import dataclasses

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from core.evolution.reference import REFERENCE_MUTATION_RATES, REFERENCE_NUMERICAL_DRIFT, REFERENCE_ORDERINGS
from core.evolution.definitions import Definitions
from core.evolution.drift import MAX_EXACT_VALUES, flow_matrix
from core.evolution.traits import DriftGroup, DriftMeasure, DriftTrait
from core.lineage import EdgeScope, Relation
from views import cache, state

TRAIT_LABELS = {DriftTrait.LICENSES: "licenses", DriftTrait.LANGUAGES: "languages", DriftTrait.LIBRARY: "library",
                DriftTrait.TASK: "task"}
MEASURE_LABELS = {DriftMeasure.HAS_CARD: "has a card (share)", DriftMeasure.AUTO_GENERATED: "auto-generated card (share)",
                  DriftMeasure.CARD_LENGTH: "card length (characters)", DriftMeasure.N_LANGUAGES: "number of languages"}
GROUP_LABELS = {DriftGroup.RELATION: "by edge type", DriftGroup.DEPTH: "by depth of the child"}
PARENT_RGB, CHILD_RGB = "#9ab7de", "#3b6fb6"


def _scope(path: str) -> EdgeScope:
    """The scope controls."""
    relations = [r.value for r in (Relation.FINETUNE, Relation.ADAPTER, Relation.QUANTIZED, Relation.MERGE)]
    return state.edge_scope_controls(path, "drift", relations + [state.ALL_EDGES],
                                     help="Mutation rates and transitions: the study uses fine-tune edges")


def _scope_words(scope: EdgeScope) -> str:
    parts = [f"{Relation(scope.relation).value} edges" if scope.relation else "all edges"]
    if scope.model:
        parts.append(f"into {state.scope_words(scope)}")
    if scope.created_from or scope.created_to:
        parts.append(f"children created {scope.created_from or '…'} to {scope.created_to or '…'}")
    return ", ".join(parts)


def _mutation(path: str, scope: EdgeScope, defs: Definitions) -> None:
    st.subheader("Mutation rates")
    df = cache.mutation_rates(path, scope, defs.value)
    df["label"] = df["trait"].map(lambda t: TRAIT_LABELS[DriftTrait(t)])
    df["study"] = df["trait"].map(lambda t: REFERENCE_MUTATION_RATES.get(DriftTrait(t), (np.nan, None))[0])
    study_n = [REFERENCE_MUTATION_RATES[DriftTrait(t)][1] if DriftTrait(t) in REFERENCE_MUTATION_RATES else None
               for t in df["trait"]]
    left, right = st.columns([3, 2])
    fig = go.Figure([
        go.Bar(x=df["label"], y=df["rate"], name="here", marker_color=CHILD_RGB,
               text=[f"{r:.3f}" if pd.notna(r) else "" for r in df["rate"]], textposition="outside",
               customdata=df["n"], hovertemplate="%{y:.4f} over %{customdata:,} edges<extra></extra>"),
        go.Scatter(x=df["label"], y=df["study"], mode="markers", name="study 2025",
                   marker=dict(symbol="diamond-open", size=14, color="#d62728", line=dict(width=2)),
                   hovertemplate="study: %{y:.4f}<extra></extra>")])
    fig.update_layout(height=300, margin=dict(l=0, r=0, t=10, b=0), yaxis=dict(title="mutation rate", rangemode="tozero",
                      automargin=True), legend=dict(orientation="h", y=1.12))
    left.plotly_chart(fig, key="drift_mutation_chart")
    table = df.assign(**{"study": [f"{v:.4f}" if pd.notna(v) else "—" for v in df["study"]],
                         "study n": [f"{v:,}" if v else "—" for v in study_n]})
    right.dataframe(table[["label", "rate", "n", "study", "study n"]], hide_index=True, key="drift_mutation_table",
                    column_config={"label": "trait", "rate": st.column_config.NumberColumn("rate", format="%.4f"),
                                   "n": st.column_config.NumberColumn("edges", format="localized"),
                                   "study": st.column_config.TextColumn("study", help="The study's rate (2025 Hub)"),
                                   "study n": st.column_config.TextColumn("study n", help="The study's edges")})
    right.caption(f"Mean of 1 − Jaccard of the parent's and the child's sets over {_scope_words(scope)} where both "
                  f"report the trait, under {state.DEFINITION_LABELS[defs]}. The study: fine-tune edges of the full "
                  "2025 Hub.")
    other = Definitions.STUDY if defs is Definitions.PHYLO else Definitions.PHYLO
    both = df.merge(cache.mutation_rates(path, scope, other.value)[["trait", "rate"]], on="trait", suffixes=("", "_other"))
    differ = [(TRAIT_LABELS[DriftTrait(t)], a, b) for t, a, b in zip(both["trait"], both["rate"], both["rate_other"])
              if pd.notna(a) and pd.notna(b) and abs(a - b) >= 0.0005]
    if differ:
        mine, theirs = (("study's definition", "with the Hub's redirects") if defs is Definitions.STUDY
                        else ("with the Hub's redirects", "study's definition"))
        st.caption("Where the definitions differ: " + "; ".join(f"{label}: {mine} {a:.3f}, {theirs} {b:.3f}"
                                                                for label, a, b in differ) + ".")


def _reset_top() -> None:
    """A new trait starts at its own default number of values."""
    st.session_state.pop("drift_top", None)
    st.query_params.pop("drift_top", None)


def _heatmap(net: np.ndarray, order: tuple[str, ...]) -> go.Figure:
    """Net flow from each value to every later one, on a signed log scale: blue agrees with the order, red does not.

    Net flow is antisymmetric, so only the upper triangle is drawn.
    """
    net = np.where(np.triu(np.ones_like(net, dtype=bool), 1), net, np.nan)
    z = np.sign(net) * np.log10(1 + np.abs(net))
    top = max(float(np.nanmax(np.abs(z), initial=0)), 1.0)
    raw = [10 ** k for k in range(int(np.floor(top)) + 1)]
    tickvals = [-np.log10(1 + r) for r in raw[::-1]] + [0] + [np.log10(1 + r) for r in raw]
    ticktext = [f"−{r:,}" for r in raw[::-1]] + ["0"] + [f"{r:,}" for r in raw]
    labels = [v if len(v) <= 24 else v[:22] + "…" for v in order]
    fig = go.Figure(go.Heatmap(
        z=z, x=labels, y=labels, zmid=0, zmin=-top, zmax=top, colorscale="RdBu", xgap=1, ygap=1,
        customdata=net, hovertemplate="%{y} → %{x}: net %{customdata:,.0f} edges<extra></extra>",
        colorbar=dict(title="net flow", tickvals=tickvals, ticktext=ticktext)))
    size = max(360, 30 * len(order) + 160)
    fig.update_layout(height=size, margin=dict(l=0, r=0, t=10, b=0),
                      xaxis=dict(side="top", tickangle=-45, title="to"), yaxis=dict(autorange="reversed", title="from"))
    return fig


def _transitions(path: str, scope: EdgeScope, defs: Definitions) -> None:
    st.subheader("Where traits flow")
    c = st.columns([3, 1])
    trait = c[0].segmented_control("Trait", [t.value for t in DriftTrait], default=DriftTrait.LICENSES.value,
                                   format_func=lambda t: TRAIT_LABELS[DriftTrait(t)], key="drift_trait",
                                   bind="query-params", on_change=_reset_top) or DriftTrait.LICENSES.value
    trait = DriftTrait(trait)
    top_n = state.url_int_input(c[1], "Top values", "drift_top", 1, MAX_EXACT_VALUES, REFERENCE_ORDERINGS[trait].top_n,
                                help=f"The most frequent values ranked exactly (at most {MAX_EXACT_VALUES})")
    result = cache.transitions(path, trait, top_n, scope, defs.value)
    o, flows = result["ordering"], result["flows"]
    if o.n_values < 2 or flows.empty:
        st.info(f"Too few {TRAIT_LABELS[trait]} change along {_scope_words(scope)} to order them.")
        return
    ref = REFERENCE_ORDERINGS.get(trait)
    m = st.columns(3)
    m[0].metric("Values ordered", o.n_values)
    m[1].metric("Pairs agreeing with the order", f"{o.agreeing_pairs} / {o.oriented_pairs}",
                help="Pairs of values with a non-zero net flow whose flow runs forward in the order")
    m[2].metric("Share of flow forward", f"{o.flow_share:.1%}",
                help="Share of all flow among these values that runs from an earlier to a later value")
    if ref:
        m[1].caption(f"study 2025 (top {ref.top_n}): {ref.agreeing_pairs} / {ref.oriented_pairs}")
        m[2].caption(f"study 2025 (top {ref.top_n}): {ref.flow_share:.1%}")
    st.markdown("**Best ordering, source → sink**")
    st.code(" → ".join(o.order), language=None, wrap_lines=True)
    if ref and (ref.head or ref.tail):
        st.caption("The study's order (top " + str(ref.top_n) + "): "
                   + (" → ".join(ref.head) + " → …" if ref.head else "…")
                   + (" → " + " → ".join(ref.tail) if ref.tail else ""))
    m = flow_matrix(flows, o.order)
    net = m - m.T
    st.plotly_chart(_heatmap(net, o.order), key="drift_heatmap")
    st.caption(f"Net flow between each pair of the top {o.n_values} {TRAIT_LABELS[trait]} over {_scope_words(scope)}: on "
               "each edge every value the child adds gets one from each parent value, and every value it drops gives "
               "one to each value it keeps. Rows and columns follow the exact best ordering (an integer program): a "
               "blue cell is a net flow from the row's value to a later one, which agrees with the order; a red cell "
               "runs backwards. Colour on a log scale; hover for the edge counts.")


def _drift_chart(df: pd.DataFrame, measures: list[DriftMeasure], reference: pd.DataFrame) -> go.Figure:
    cols = min(2, len(measures))
    rows_n = (len(measures) + cols - 1) // cols
    fig = make_subplots(rows=rows_n, cols=cols, subplot_titles=[MEASURE_LABELS[m] for m in measures],
                        horizontal_spacing=0.08, vertical_spacing=0.16)
    for k, measure in enumerate(measures):
        at = dict(row=k // cols + 1, col=k % cols + 1)
        rows = df[df["measure"] == measure.value]
        for side, rgb in (("parent", PARENT_RGB), ("child", CHILD_RGB)):
            fig.add_trace(go.Bar(x=rows["label"], y=rows[side], name=side, marker_color=rgb, showlegend=k == 0,
                                 legendgroup=side, customdata=rows["n"],
                                 hovertemplate=f"{side}: %{{y:,.3f}} (%{{customdata:,}} edges)<extra></extra>"), **at)
        ref = reference[(reference["measure"] == measure.value) & reference["label"].isin(rows["label"])]
        for side in ("parent", "child"):
            have = ref[ref[side].notna()]
            if len(have):
                fig.add_trace(go.Scatter(x=have["label"], y=have[side], mode="markers", name=f"study {side}",
                                         legendgroup=f"study {side}", showlegend=f"study {side}" not in
                                         {t.name for t in fig.data},
                                         marker=dict(symbol="diamond-open", size=11, line=dict(width=2),
                                                     color=PARENT_RGB if side == "parent" else "#d62728"),
                                         cliponaxis=False, hovertemplate=f"study {side}: %{{y:,.3f}}<extra></extra>"), **at)
    fig.update_layout(height=290 * rows_n + 40, margin=dict(l=0, r=0, t=70, b=0), barmode="group",
                      legend=dict(orientation="h", yanchor="bottom", y=1.06, x=0))
    fig.update_xaxes(type="category")
    return fig


def _numerical(path: str, scope: EdgeScope, defs: Definitions) -> None:
    st.subheader("Numerical drift, parent → child")
    by = st.segmented_control("Split", [g.value for g in DriftGroup], default=DriftGroup.RELATION.value,
                              format_func=lambda g: GROUP_LABELS[DriftGroup(g)], key="drift_by",
                              bind="query-params") or DriftGroup.RELATION.value
    by = DriftGroup(by)
    # Split by edge type, every type is shown; split by depth, the chosen edge type applies.
    used = dataclasses.replace(scope, relation=None) if by is DriftGroup.RELATION else scope
    groups = cache.numerical_drift(path, by.value, used, defs.value)
    df = pd.concat([cache.numerical_drift(path, "", used, defs.value), groups[groups["group"].notna()]], ignore_index=True)
    df["label"] = df["group"].astype(str)
    measures = [m for m in DriftMeasure if df.loc[df["measure"] == m.value, "n"].sum() > 0]
    missing = [m for m in DriftMeasure if m not in measures]
    if missing and not cache.has_cards(path):
        st.info("This bundle has **no model card text** (the Hub listing carries metadata only): "
                + ", ".join(MEASURE_LABELS[m] for m in missing) + " cannot be measured here.", icon=":material/description:")
    elif missing:
        st.caption("No edge in this scope measures " + ", ".join(MEASURE_LABELS[m] for m in missing) + ".")
    if not measures:
        st.info(f"No edge in {_scope_words(used)} has both ends measured.")
        return
    reference = pd.DataFrame([{"label": r.group, "measure": r.measure.value, "parent": r.parent, "child": r.child,
                               "change": r.change, "n": r.n} for r in REFERENCE_NUMERICAL_DRIFT])
    if by is DriftGroup.DEPTH:
        reference = reference[reference["label"] == "all"]
    st.plotly_chart(_drift_chart(df[df["measure"].isin([m.value for m in measures])], measures, reference),
                    key="drift_numerical_chart")
    table = df[df["measure"].isin([m.value for m in measures])].merge(
        reference[["label", "measure", "parent", "child", "change"]].rename(
            columns={"parent": "study parent", "child": "study child", "change": "study change"}),
        on=["label", "measure"], how="left")
    for column in ("parent", "child", "change", "study parent", "study child", "study change"):
        sign = "+" if "change" in column else ""
        table[column] = [("—" if pd.isna(v) else f"{v:{sign},.0f}" if m == DriftMeasure.CARD_LENGTH.value else f"{v:{sign}.3f}")
                         for v, m in zip(table[column], table["measure"])]
    table["measure"] = table["measure"].map(lambda m: MEASURE_LABELS[DriftMeasure(m)])
    st.dataframe(table[["label", "measure", "parent", "child", "change", "n", "study parent", "study child", "study change"]],
                 hide_index=True, key="drift_numerical_table",
                 column_config={"label": "edge type" if by is DriftGroup.RELATION else "depth",
                                "change": "child − parent", "n": st.column_config.NumberColumn("edges", format="localized"),
                                "study change": "study child − parent"})
    st.caption(f"Means over {_scope_words(used)} where the measure is defined on both ends (card measures: both have "
               "a card; languages: both list some). Hollow diamonds: the study's figures where it gives them "
               "(full 2025 Hub, all edges and by type).")


path, _ = state.require_bundle("Drift")
st.caption("How traits change along lineage edges: how often a child changes its parent's licenses, languages, library "
           "or task, which way the values flow, and how cards and language lists change (ANALYSES.md §4).")
scope = _scope(path)
defs = state.definitions_control(st, "drift")
_mutation(path, scope, defs)
_transitions(path, scope, defs)
_numerical(path, scope, defs)
