"""Resemblance: how alike related models are (ANALYSES.md §3), by relation class, beside the study; two models compared."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.evolution.definitions import Definitions
from core.evolution.resemblance import findings, with_reference
from core.evolution.traits import Measure, Relative, TextTrait
from core.lineage import EdgeScope, Relation
from views import cache, state

ANY = "(any)"
TRAIT_LABELS = {TextTrait.METADATA: "metadata", TextTrait.CARDS: "model cards"}
MEASURE_LABELS = {Measure.LEVENSHTEIN: "Levenshtein", Measure.BOW: "bag of words", Measure.TFIDF: "TF-IDF"}
MEASURE_RGB = {Measure.LEVENSHTEIN: "#3b6fb6", Measure.BOW: "#f2a541", Measure.TFIDF: "#4caf50"}
RELATIVE_LABELS = {Relative.RANDOM: "random pair", Relative.PARENT_CHILD: "parent–child",
                   Relative.SIBLINGS: "siblings", Relative.GRANDPARENT: "grandparent–grandchild",
                   Relative.AUNT_NIECE: "aunt–niece", Relative.GREAT_GRANDPARENT: "great-grandparent–grandchild"}
PICKS = {Relative.PARENT_CHILD: "Parent and child", Relative.SIBLINGS: "Two siblings"}  # drawn at random


def _scope(path: str) -> tuple[TextTrait, EdgeScope]:
    """The scope controls: the compared trait and the edges relatives come from (finetune when unrestricted)."""
    model, kind, graph = state.model_scope_controls(path, "res", st.columns([3, 2, 2]))
    c = st.columns([3, 2, 2])
    relations = [r.value for r in (Relation.FINETUNE, Relation.ADAPTER, Relation.QUANTIZED, Relation.MERGE)]
    relation = c[0].selectbox("Relation graph", relations, key="res_relation", bind="query-params",
                              help="Which edges make relatives; the study uses fine-tunes") or Relation.FINETUNE.value
    task = c[1].selectbox("Task of the child", [ANY] + cache.top_values(path, "pipeline_tag"), key="res_task",
                          bind="query-params") or ANY
    trait = c[2].segmented_control("Compare", [t.value for t in TextTrait], default=TextTrait.METADATA.value,
                                   format_func=lambda t: TRAIT_LABELS[TextTrait(t)], key="res_trait",
                                   bind="query-params") or TextTrait.METADATA.value
    return TextTrait(trait), EdgeScope(model=model, kind=kind, graph=graph,
                                       relation=None if relation == Relation.FINETUNE.value else Relation(relation),
                                       task=None if task == ANY else task)  # finetune is the default graph


def _findings(df: pd.DataFrame) -> list[str]:
    """The two findings of §3 in words, from ``core.evolution.resemblance.findings``."""
    f = findings(df)
    out = []
    if f.related:
        below = [f"{RELATIVE_LABELS[Relative(r)]} ({MEASURE_LABELS[Measure(m)]})" for r, m in f.related
                 if (r, m) not in f.above_random]
        verdict = "**Every related class beats random**" if not below else "**Not every related class beats random**"
        out.append(f"{verdict}: {len(f.above_random)} of {len(f.related)} class × measure means are above the random "
                   f"pair's, {len(f.clear_of_random)} with non-overlapping 95% intervals."
                   + (f" Not above random: {', '.join(below)}." if below else ""))
    if f.sibling_measures:
        wins, n = f.siblings_win, len(f.sibling_measures)
        verdict = "**Siblings beat parent–child**" if len(wins) == n else "**Siblings do not always beat parent–child**"
        out.append(f"{verdict} on {len(wins)} of {n} measures"
                   + (f" ({', '.join(MEASURE_LABELS[Measure(m)] for m in wins)})" if 0 < len(wins) < n else "") + ".")
    return out


def _chart(df: pd.DataFrame) -> go.Figure:
    """Means with 95% CI bars per relative class (x) and measure (colour); the study's means as hollow diamonds."""
    fig = go.Figure()
    classes = [r.value for r in Relative]
    for k, measure in enumerate(Measure):
        rows = df[df["measure"] == measure.value].set_index("relative").reindex(classes)
        x = [i + (k - 1) * 0.26 for i in range(len(classes))]
        fig.add_trace(go.Scatter(
            x=x, y=rows["mean"], mode="markers", name=f"{MEASURE_LABELS[measure]} (here)",
            marker=dict(color=MEASURE_RGB[measure], size=11),
            error_y=dict(type="data", symmetric=False, array=rows["ci_high"] - rows["mean"],
                         arrayminus=rows["mean"] - rows["ci_low"], thickness=1.5, width=5),
            customdata=rows[["ci_low", "ci_high", "n"]].to_numpy(),
            hovertemplate="%{y:.3f} (95% CI %{customdata[0]:.3f}–%{customdata[1]:.3f}, n=%{customdata[2]:,})<extra></extra>"))
        fig.add_trace(go.Scatter(
            x=[v + 0.09 for v in x], y=rows["reference"], mode="markers", name=f"{MEASURE_LABELS[measure]} (study)",
            marker=dict(color=MEASURE_RGB[measure], size=11, symbol="diamond-open", line=dict(width=2)),
            hovertemplate="study: %{y:.3f}<extra></extra>"))
    fig.update_layout(height=430, margin=dict(l=0, r=0, t=10, b=0), yaxis=dict(title="mean similarity", range=[0, 1.02]),
                      xaxis=dict(tickvals=list(range(len(classes))), ticktext=[RELATIVE_LABELS[Relative(c)] for c in classes]),
                      legend=dict(orientation="h", y=-0.15))
    return fig


def _classes(path: str, trait: TextTrait, scope: EdgeScope) -> None:
    defs = state.definitions_control(st, "res")
    if trait is TextTrait.CARDS and not cache.has_cards(path):
        st.info("This bundle has **no model card text** (the Hub listing carries metadata only), so card "
                "resemblance cannot be measured here. Choose *metadata*, or open a bundle built from a snapshot with cards.",
                icon=":material/description:")
        return
    df = cache.resemblance(path, trait, scope, defs.value)
    st.caption(f"Relatives under {state.DEFINITION_LABELS[defs]}"
               + (": exact parent ids, and for metadata the no-merge graph without quantized edges and each record as "
                  "the study's dataset holds it, placeholder date included." if defs is Definitions.STUDY else "."))
    if (df["n"] == 0).all():
        st.info(f"No pair of models with {TRAIT_LABELS[trait]} to compare in this scope"
                + (" (cards qualify from 512 characters and when not auto-generated)." if trait is TextTrait.CARDS else "."))
        return
    df = with_reference(df, trait)
    for sentence in _findings(df):
        st.markdown(sentence)
    st.plotly_chart(_chart(df), key="res_chart")
    st.caption("Filled dots: mean similarity of pairs drawn here, with bootstrap 95% intervals; hollow diamonds: the "
               "study's means on the full 2025 Hub. Relatives come from the "
               f"{(scope.relation or Relation.FINETUNE).value} graph"
               + (f" within {state.scope_words(scope)}" if scope.model else "") + "; pairs are drawn with a fixed seed (n per class in the table). "
               + ("Cards: the first 512 characters of cards of at least 512 characters that are not auto-generated. "
                  if trait is TextTrait.CARDS else "Metadata: each model's record as the study's dataset holds it "
                  "(id, likes, downloads, tags, task, library, date, regions, licenses, arXiv ids, datasets, parents, "
                  "languages), as one JSON string. ")
               + "Bag-of-words and TF-IDF use one vocabulary per bundle, fitted on all its models: a scope selects "
               "pairs, not words.")
    few = df[(df["n"] > 0) & (df["distinct_pairs"] < df["n"] / 10)]
    if len(few):
        names = ", ".join(f"{RELATIVE_LABELS[Relative(r)]} ({int(k):,} distinct of {int(n):,} drawn)"
                          for r, k, n in few.drop_duplicates("relative")[["relative", "distinct_pairs", "n"]].itertuples(index=False))
        st.info(f"Few distinct pairs: {names}. Their intervals describe these few pairs, not the relation at large.",
                icon=":material/info:")
    table = df.assign(relative=df["relative"].map(lambda r: RELATIVE_LABELS[Relative(r)]),
                      measure=df["measure"].map(lambda m: MEASURE_LABELS[Measure(m)]),
                      difference=df["mean"] - df["reference"])
    number = st.column_config.NumberColumn(format="%.3f")
    st.dataframe(table[["relative", "measure", "mean", "ci_low", "ci_high", "reference", "difference", "n",
                        "distinct_pairs"]],
                 hide_index=True, key="res_table", height=35 * (len(table) + 1) + 3,
                 column_config={"mean": number, "ci_low": st.column_config.NumberColumn("95% CI low", format="%.3f"),
                                "ci_high": st.column_config.NumberColumn("95% CI high", format="%.3f"),
                                "reference": st.column_config.NumberColumn("study 2025", format="%.3f"),
                                "difference": st.column_config.NumberColumn("here − study", format="%+.3f"),
                                "n": st.column_config.NumberColumn("pairs drawn", format="%d"),
                                "distinct_pairs": st.column_config.NumberColumn("distinct pairs", format="%d")})


def _set_pair(a: str, b: str) -> None:
    st.session_state["res_a"], st.session_state["res_b"] = a, b


def _pick(path: str, trait: TextTrait, scope: EdgeScope, relative: str) -> None:
    """Quick pick: a new random pair of the class in the scope (each click draws with the next seed)."""
    seed = st.session_state.get("_res_pick_seed", 0) + 1
    st.session_state["_res_pick_seed"] = seed
    # Relatives that both have the compared text (a qualifying card), else any relatives.
    pair = (cache.relative_pair(path, trait, Relative(relative), seed, scope)
            or cache.relative_pair(path, TextTrait.METADATA, Relative(relative), seed, scope))
    if pair is None:
        st.session_state["_res_pick_msg"] = f"No {RELATIVE_LABELS[Relative(relative)]} pair in this scope."
    else:
        _set_pair(*pair)


def _compare(path: str, trait: TextTrait, scope: EdgeScope) -> None:
    st.caption("Two models side by side: metadata fields (differences marked), their similarities and card excerpts. "
               "Pick any two ids, or draw a related pair from the scope above.")
    c = st.columns(2)
    a = c[0].text_input("Model A", key="res_a", bind="query-params", max_chars=300, placeholder="a model id").strip()
    b = c[1].text_input("Model B", key="res_b", bind="query-params", max_chars=300, placeholder="a model id").strip()
    picks = st.columns(4)
    for i, (relative, label) in enumerate(PICKS.items()):
        picks[i].button(label, key=f"res_pick_{relative.value}", on_click=_pick, args=(path, trait, scope, relative.value),
                        icon=":material/casino:")
    details_a = cache.model_details(path, a) if a else None
    parents = details_a["parents"] if details_a is not None else None
    parent = next((p for p, inside in zip(parents["parent"], parents["parent_in_snapshot"]) if inside), None) \
        if parents is not None and len(parents) else None
    picks[2].button("A and its parent", key="res_pick_parent", on_click=_set_pair, args=(a, parent or ""),
                    disabled=parent is None, icon=":material/arrow_upward:",
                    help="Compare model A with its parent" if parent else "Model A has no parent in this bundle")
    if msg := st.session_state.pop("_res_pick_msg", None):
        st.info(msg)
    missing = [m for m in (a, b) if m and cache.model_details(path, m) is None]
    if missing:
        st.warning("Not in this bundle: " + ", ".join(state.code(m) for m in missing) + ". Check the id (owner/name).")
        return
    if not (a and b):
        return
    comp = cache.compare(path, a, b)
    if comp is None:
        st.warning("One of the two models is not in this bundle.")
        return
    groups = st.columns(2, border=True)
    for group, trait in zip(groups, TextTrait):
        scores = comp.similarity.get(trait)
        group.markdown(f"**Similarity of their {TRAIT_LABELS[trait]}**")
        if scores is None:
            group.caption("n/a: " + ("both models need a card of at least 512 characters that is not auto-generated."
                                     if cache.has_cards(path) else "this bundle has no card text."))
            continue
        for col, measure in zip(group.columns(3), Measure):
            col.metric(MEASURE_LABELS[measure], f"{scores[measure]:.3f}")
    fields = comp.fields.rename(columns={"value_a": "A", "value_b": "B"})
    fields["differs"] = fields["same"].map({True: "", False: "≠"})
    styled = fields.drop(columns="same").style.apply(
        lambda row: ["background-color: #fde7c8" if row["differs"] else ""] * len(row), axis=1)
    n_diff = int((~comp.fields["same"]).sum())
    st.markdown(f"**{n_diff} of {len(fields)} metadata fields differ** (marked ≠; lists compare as sets).")
    st.dataframe(styled, hide_index=True, key="res_fields",
                 column_config={"field": st.column_config.TextColumn(width=110),
                                "A": st.column_config.TextColumn(f"A · {a[:60]}", width="large"),
                                "B": st.column_config.TextColumn(f"B · {b[:60]}", width="large"),
                                "differs": st.column_config.TextColumn("", width=40)})
    with st.expander("The metadata records compared (each model's record as one JSON string, as the study compares it)"):
        for col, model, text in zip(st.columns(2), (comp.model_a, comp.model_b), (comp.metadata_a, comp.metadata_b)):
            col.caption(model[:200])
            col.code(text, language="json", wrap_lines=True)
    c = st.columns(2)
    for col, model, card in ((c[0], comp.model_a, comp.card_a), (c[1], comp.model_b, comp.card_b)):
        col.caption(f"Card excerpt of {model[:200]} (first 512 characters)")
        if card is None:
            col.text("No qualifying card (none, shorter than 512 characters, or auto-generated)."
                     if cache.has_cards(path) else "This bundle has no card text.")
        else:
            col.code(card, language=None, wrap_lines=True)


path, _ = state.require_bundle("Resemblance")
st.caption("Are related models more alike than random pairs? Pairs of models are drawn by their relation in the "
           "lineage graph and their metadata or model cards compared by three measures (ANALYSES.md §3).")
trait, scope = _scope(path)
tab_classes, tab_compare = st.tabs(["By relation class", "Compare two models"], key="res_view", bind="query-params")
if tab_compare.open:  # only the open tab runs
    with tab_compare:
        _compare(path, trait, scope)
else:
    with tab_classes:
        _classes(path, trait, scope)
