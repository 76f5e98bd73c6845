"""Family: the whole lineage of a model as a tree, readable at any size, with its summary and exports."""

from __future__ import annotations


import plotly.express as px
import plotly.graph_objects as go
import streamlit as st
from streamlit_agraph import Config, Edge, Node, agraph

from core.lineage import family as fam_core
from core.lineage import FAMILY_GRAPH_LABELS, UNSURE_BELOW, EdgeScope, FamilyGraph, ScopeKind
from core.lineage.family import Scope
from core.hub.files import describe
from core.licenses import LicenseClass, verdict_mix
from views import cache, chain, links, state

LICENSE_RGB = {LicenseClass.COMMERCIAL_RESTRICTED.value: "#d62728", LicenseClass.NON_COMMERCIAL.value: "#9467bd",
               LicenseClass.USE_RESTRICTED.value: "#ff7f0e", LicenseClass.COPYLEFT.value: "#1f77b4",
               LicenseClass.PERMISSIVE.value: "#2ca02c", LicenseClass.OTHER.value: "#a0a0a0"}
LICENSE_MD = {LicenseClass.COMMERCIAL_RESTRICTED.value: "red", LicenseClass.NON_COMMERCIAL.value: "violet",
              LicenseClass.USE_RESTRICTED.value: "orange", LicenseClass.COPYLEFT.value: "blue",
              LicenseClass.PERMISSIVE.value: "green", LicenseClass.OTHER.value: "gray"}
RELATION_WORDS = {"finetune": "fine-tune", "adapter": "adapter", "quantized": "quantization", "merge": "merge"}
RELATION_RGB = {"finetune": "#3b6fb6", "adapter": "#f2a541", "quantized": "#4caf50", "merge": "#c83ca0"}
TASK_COLORS = px.colors.qualitative.T10
TREE_BUDGET = 20  # models drawn at most: the widest generation then fits the frame with 14 px labels (≥ 12 px on screen)
SCOPE_LABELS = {Scope.LINEAGE: "lineage", Scope.FAMILY: "whole family"}  # lineage: its ancestors and descendants


def _select(model_id: str) -> None:
    st.session_state["fam_model"] = model_id
    st.session_state["fam_expanded"] = set()
    st.session_state["_fam_focus"] = ""
    st.query_params.pop("fam_expand", None)
    st.query_params.pop("fam_focus", None)


def _expanded() -> set[str]:
    if "fam_expanded" not in st.session_state:
        raw = st.query_params.get("fam_expand", "")
        st.session_state["fam_expanded"] = {p for p in raw.split("|")[:200] if p}
    return st.session_state["fam_expanded"]


def _expand(parent: str) -> None:
    exp = _expanded()
    exp.add(parent)
    st.query_params["fam_expand"] = "|".join(sorted(exp))[:4000]


def _short(model_id: str) -> str:
    name = model_id.split("/", 1)[-1]
    return name if len(name) <= 28 else name[:26] + "…"


def _outline(path: str, model_id: str, graph: FamilyGraph) -> None:
    """A family too large to draw model by model: generations × how models came in, with counts and the most
    downloaded of each group; a group opens as a table."""
    fam = cache.family_data(path, model_id, graph)
    o = cache.family_outline(path, model_id, graph)
    index = {g: i for i, g in enumerate(o.groups["group"])}
    labels = [f"{g.group.split(' · ')[0]}: {RELATION_WORDS.get(g.relation, g.relation)} × {g.models:,}"
              for g in o.groups.itertuples()]
    # Columns are generations (cycles last), rows the groups of a generation, largest first, spread by their size.
    gen = o.groups["generation"].map(lambda g: int(g) if g.isdigit() else None)
    last = int(gen.max()) + (1 if gen.isna().any() else 0) if len(gen) else 0
    x = gen.fillna(last).map(lambda g: 0.01 + 0.98 * g / max(last, 1))
    share = o.groups["models"] / o.groups.groupby("generation")["models"].transform("sum")
    y = (o.groups.assign(s=share).groupby("generation")["s"].cumsum() - share / 2).map(lambda v: 0.02 + 0.96 * v)
    fig = go.Figure(go.Sankey(
        arrangement="fixed",
        node=dict(label=labels, pad=14, x=x.tolist(), y=y.tolist(), thickness=14, color=[RELATION_RGB.get(r, "#888888") for r in o.groups["relation"]],
                  customdata=o.groups["top"], hovertemplate="%{label}<br>most downloaded: %{customdata}<extra></extra>"),
        link=dict(source=o.links["source"].map(index), target=o.links["target"].map(index), value=o.links["edges"],
                  color="rgba(160,160,160,0.35)", hovertemplate="%{value:,} edges<extra></extra>")))
    fig.update_layout(height=380, margin=dict(l=0, r=0, t=10, b=10), font=dict(size=13))
    st.caption(f"{len(fam.models):,} models are too many to draw one by one: here they flow from the root by generation, "
               "grouped by how each came in (blue fine-tune, orange adapter, green quantization, pink merge). Open a "
               "group below, or pick a model to see its own lineage.")
    st.plotly_chart(fig, key="fam_outline")
    groups = o.groups["group"].tolist()
    chosen = st.selectbox("Open a group", groups, index=min(1, len(groups) - 1), key="fam_group", bind="query-params")
    if chosen:
        members = cache.family_group(path, model_id, graph, chosen).assign(tree=lambda d: d["model_id"].map(links.family))
        st.dataframe(members, hide_index=True, key="fam_group_table", height=260,
                     column_config={"tree": st.column_config.LinkColumn("lineage", display_text="open"),
                                    "downloads": st.column_config.NumberColumn(format="localized")})


def _tree(path: str, model_id: str, graph: FamilyGraph, scope: Scope, k: int, depth: int, color_by: str) -> None:
    fam = cache.family_data(path, model_id, graph)
    if scope is Scope.FAMILY and len(fam.models) > TREE_BUDGET:
        _outline(path, model_id, graph)
        return
    nodes = set(fam.models["model_id"]) if scope is Scope.FAMILY else fam_core.lineage_of(model_id, fam.edges)
    downloads = dict(zip(fam.models["model_id"], fam.models["downloads"]))
    tree = fam_core.prune(nodes, list(zip(fam.edges["parent"], fam.edges["child"])), downloads, model_id, k=k,
                          max_depth=depth, expanded=frozenset(_expanded()), budget=TREE_BUDGET)
    info = fam.models.set_index("model_id")
    tasks = {t: TASK_COLORS[i % len(TASK_COLORS)] for i, t in enumerate(info["pipeline_tag"].fillna("(no task)").value_counts().index)}
    g_nodes = []
    for m in tree.nodes:
        r = info.loc[m]
        color = LICENSE_RGB.get(r["license_class"], "#a0a0a0") if color_by == "license" else tasks[r["pipeline_tag"] or "(no task)"]
        title = f"{m}\n{int(r['downloads']):,} downloads · {r['license_class']} · {r['pipeline_tag'] or 'no task'}"
        # Boxes carry their label inside: no label under a node for its neighbour to cover, 13 px at any tree size
        # this budget allows. The colour says the license (or task); the border, the picked model.
        g_nodes.append(Node(id=m, label=_short(m), title=title, shape="box", margin=5,
                            color={"background": color, "border": "#111" if m == model_id else color},
                            borderWidth=3 if m == model_id else 1,
                            font={"size": 15 if m == model_id else 13, "color": "#fff",
                                  "bold": {"color": "#fff"}, "strokeWidth": 0}))
    for parent, n in tree.more.items():
        g_nodes.append(Node(id=fam_core.more_node_id(parent), label=f"+{n} more", title=f"show all {n} more children",
                            shape="box", color="#eeeeee", size=14, font={"size": 14}))
    rel = {(p, c): (r, s, float(k)) for p, c, r, s, k in
           fam.edges[["parent", "child", "relation", "relation_source", "relation_confidence"]].itertuples(index=False)}
    labelled = len(tree.edges) <= 8  # beyond that, labels hide the tree; colours, dashes and hover titles still tell

    def edge(p: str, c: str) -> Edge:
        relation, source, confidence = rel[(p, c)]
        sure = confidence >= UNSURE_BELOW
        label = relation if source == "declared" else f"{relation} · {confidence:.0%}"
        return Edge(source=p, target=c, dashes=source == "inferred",
                    color={"color": RELATION_RGB.get(relation, "#888"), "opacity": 1.0 if sure else 0.6},
                    title=f"{relation} ({source}" + ("" if source == "declared" else
                                                     f", {'unsure: ' if not sure else ''}{confidence:.0%} likely right") + ")",
                    **({"label": label, "font": {"size": 10, "color": "#666", "strokeWidth": 0}} if labelled else {}))

    g_edges = [edge(p, c) for p, c in tree.edges]
    g_edges += [Edge(source=p, target=fam_core.more_node_id(p), color="#cccccc", dashes=True) for p in tree.more]
    # Left to right: family trees are wide, not deep, and labels read best stacked.
    config = Config(width="100%", height=620, directed=True, physics=False, hierarchical=True, direction="LR",
                    sortMethod="directed", levelSeparation=230, nodeSpacing=32, treeSpacing=36,
                    interaction={"hover": True, "navigationButtons": True, "zoomView": True})
    config.width = "100%"
    st.caption(f"Showing {len(tree.nodes):,} of {len(nodes):,} models ({SCOPE_LABELS[scope]}); "
               f"{tree.hidden:,} folded into “+N more” nodes — click one to unfold it. Edges: blue fine-tune, orange adapter, "
               f"green quantized, pink merge; dashed when the type is inferred, and lighter when unsure, under {UNSURE_BELOW:.0%} "
               "(how often its rule is right on edges of its modality that the Hub declared).")
    clicked = agraph(nodes=g_nodes, edges=g_edges, config=config)
    if clicked and clicked != st.session_state.get("_fam_last_click"):
        st.session_state["_fam_last_click"] = clicked
        if clicked.startswith(fam_core.MORE_PREFIX):
            _expand(clicked[len(fam_core.MORE_PREFIX):])
        else:
            st.session_state["_fam_focus"] = clicked
            st.query_params["fam_focus"] = clicked
        st.rerun()


def _node_panel(path: str, model_id: str) -> None:
    if "_fam_focus" not in st.session_state:  # a shared link may carry the clicked node
        st.session_state["_fam_focus"] = st.query_params.get("fam_focus", "")[:300]
    focus = st.session_state.get("_fam_focus") or model_id
    d = cache.model_details(path, focus)
    if d is None:
        return
    st.markdown(f"**{d['model_id']}**")
    st.caption(f"{int(d['downloads']):,} downloads · {d['license_class']} · {d['pipeline_tag'] or 'no task'} · "
               f"{int(d['n_children']):,} children · {int(d['n_descendants']):,} descendants")
    st.link_button("Open on the Hub", links.hub(d['model_id']), icon=":material/open_in_new:")
    st.link_button("Show on the map", links.on_map(d['model_id']), icon=":material/scatter_plot:")
    cited = links.papers(d.get("arxiv"))[:6]
    ask = st.toggle("Ask the Hub", key="fam_files", bind="query-params",
                    help="For its files (names, formats and sizes; nothing is downloaded) and the titles "
                         "of the papers it cites")
    titles = cache.papers(tuple(a for a, _, _ in cited)) if ask and cited else {}
    if cited:
        st.markdown("Papers: " + " · ".join(f"[arXiv {a}]({abs_})" + (f" *{state.md_text(titles[a])}*" if a in titles
                                                                       else "") + f" ([on the Hub]({hub}))"
                                            for a, abs_, hub in cited))
    if ask:
        listing = cache.model_files(d["model_id"])
        if listing.files is None:
            st.caption(f"Not listed: {listing.reason}.")
        else:
            st.caption(state.md_text(describe(listing), limit=400) + ".")  # formats come from the repo's names
            st.dataframe(listing.files, hide_index=True, key="fam_files", height=220,
                         column_config={"bytes": st.column_config.NumberColumn("size (bytes)", format="localized")})
    if focus != model_id:
        st.button("Centre the tree here", key="fam_recentre", on_click=_select, args=(focus,))


def _descendants(path: str, model_id: str, graph: FamilyGraph) -> None:
    """The picked model's own lineage below it: how many, how deep, made how, judged how, and the top ones."""
    d = cache.descendants_summary(path, model_id, graph)
    st.subheader(f"Made from {model_id}")
    if not d["size"]:
        st.info(f"No model of this bundle descends from {state.code(model_id)} ({FAMILY_GRAPH_LABELS[graph]}).")
        return
    verdicts = verdict_mix(cache.verdict_edges(path, EdgeScope(model=model_id, kind=ScopeKind.DESCENDANTS, graph=graph)))
    rel = d["relations"].groupby("relation")["edges"].sum()
    c = st.columns(4)
    c[0].metric("Descendants", f"{d['size']:,}", help=f"Every model below it, {FAMILY_GRAPH_LABELS[graph]}")
    c[1].metric("Generations below it", d["generations"])
    c[2].metric("Edges", f"{int(rel.sum()):,}", help="Every edge walked down from the model")
    c[3].metric("License violations", f"{int(verdicts.set_index('verdict')['edges'].get('violation', 0)):,}",
                f"of {int(verdicts['edges'].sum()):,} judged edges", delta_color="off", delta_arrow="off")
    st.caption("Made by " + ", ".join(f"{RELATION_WORDS.get(r, r)} {int(n):,}" for r, n in
                                      rel.sort_values(ascending=False).items()) + ".")
    left, mid, right = st.columns(3)
    fig = px.bar(d["per_generation"], x="generation", y="models", title="Descendants per generation")
    fig.update_layout(height=240, margin=dict(l=0, r=0, t=30, b=0))
    fig.update_xaxes(type="category")
    left.plotly_chart(fig, key="fam_desc_gen")
    fig = px.bar(verdicts, x="verdict", y="edges", color="verdict", color_discrete_map=chain.VERDICT_COLOURS,
                 title="License verdicts on their edges")
    fig.update_layout(height=240, margin=dict(l=0, r=0, t=30, b=0), showlegend=False)
    mid.plotly_chart(fig, key="fam_desc_verdicts")
    right.caption("Most downloaded descendants")
    right.dataframe(d["top_downloads"], hide_index=True, key="fam_desc_top", height=220)
    st.page_link(links.PAGES["licenses"], label=f"Audit the licenses of these {d['size']:,} models",
                 query_params=state.scope_params("lic", model_id, ScopeKind.DESCENDANTS, graph),
                 icon=":material/gavel:")


def _summary(path: str, model_id: str, graph: FamilyGraph) -> None:
    s = cache.family_summary(path, model_id, graph)
    relaxing = cache.family_relaxing(path, model_id, graph)
    st.subheader(f"Family of {cache.family_data(path, model_id, graph).family} ({FAMILY_GRAPH_LABELS[graph]})")
    c = st.columns(4)
    c[0].metric("Models", f"{s['size']:,}")
    c[1].metric("Generations", s["depth"] + 1)
    c[2].metric("Edges", f"{int(s['relations']['edges'].sum()) if len(s['relations']) else 0:,}")
    c[3].metric("Edges relaxing the license", f"{len(relaxing):,}")
    left, right = st.columns(2)
    fig = px.bar(s["generations"], x="generation", y="models", title="Models per generation")
    fig.update_layout(height=260, margin=dict(l=0, r=0, t=30, b=0))
    fig.update_xaxes(type="category")
    left.plotly_chart(fig, key="fam_gen")
    if len(s["growth"]):
        fig = px.line(s["growth"], x="month", y="models", title="Growth (cumulative models)")
        fig.update_layout(height=260, margin=dict(l=0, r=0, t=30, b=0))
        right.plotly_chart(fig, key="fam_growth")
    left, right = st.columns(2)
    if len(s["relations"]):
        fig = px.bar(s["relations"], x="relation", y="edges", color="relation_source", title="Relation mix",
                     color_discrete_map={"declared": "#3b6fb6", "inferred": "#f2a541"})
        fig.update_layout(height=260, margin=dict(l=0, r=0, t=30, b=0), legend_title_text="")
        left.plotly_chart(fig, key="fam_rel")
    fig = px.bar(s["licenses"], x="license_class", y="models", title="License classes", color="license_class",
                 color_discrete_map=LICENSE_RGB)
    fig.update_layout(height=260, margin=dict(l=0, r=0, t=30, b=0), showlegend=False)
    right.plotly_chart(fig, key="fam_lic")
    left, right = st.columns(2)
    left.caption("Top descendants by downloads")
    left.dataframe(s["top_downloads"], hide_index=True, key="fam_top_dl")
    right.caption("Top by number of descendants")
    right.dataframe(s["top_descendants"], hide_index=True, key="fam_top_desc")
    st.caption("Edges where the child's license is less restrictive than its parent's (permissive < copyleft < "
               "use-restricted < commercial-restricted < non-commercial; unknown terms are not compared)")
    st.dataframe(relaxing, hide_index=True, key="fam_relaxing")


def _exports(path: str, model_id: str, graph: FamilyGraph) -> None:
    """The family as files. Each is made when it is asked for, and a download never reruns the page."""
    fam = cache.family_data(path, model_id, graph)
    stem = fam.family.replace("/", "__")[:80]
    c = st.columns(4)
    for col, (label, make, name, mime, key) in zip(c, (
            ("Edges (CSV)", lambda: fam_core.to_csv(fam)[0], f"{stem}-edges.csv", "text/csv", "fam_dl_edges"),
            ("Models (CSV)", lambda: fam_core.to_csv(fam)[1], f"{stem}-models.csv", "text/csv", "fam_dl_models"),
            ("GraphML", lambda: fam_core.to_graphml(fam), f"{stem}.graphml", "application/xml", "fam_dl_graphml"),
            ("JSON", lambda: fam_core.to_json(fam), f"{stem}.json", "application/json", "fam_dl_json"))):
        col.download_button(label, make, name, mime, key=key, on_click="ignore", icon=":material/download:")


def _pick_largest() -> None:
    """An on_select callback (it runs before the page, so it may set the model box): the picked family's root."""
    event = st.session_state.get("fam_table")
    rows = event.selection.rows if event is not None and hasattr(event, "selection") else None
    chosen = fam_core.table_selection_to_model(rows, st.session_state.get("_fam_largest_ids") or [])
    if chosen and chosen != st.session_state.get("fam_model"):
        _select(chosen)


def _largest(path: str, graph: FamilyGraph) -> None:
    st.subheader(f"Largest families ({FAMILY_GRAPH_LABELS[graph]})")
    df = cache.largest_families(path, graph.value, 100)
    st.session_state["_fam_largest_ids"] = df["family"].tolist()
    st.dataframe(df, hide_index=True, key="fam_table", on_select=_pick_largest, selection_mode="single-row",
                 column_config={"first_created": st.column_config.DatetimeColumn("first model", format="YYYY-MM-DD")})


path, bundle = state.require_bundle("Family trees")

top = st.columns([3, 2, 2])
model_id = top[0].text_input("Model", key="fam_model", bind="query-params", max_chars=300,
                             placeholder="a model id, e.g. meta-llama/Llama-2-7b-hf").strip()
query = top[1].text_input("Find a model (fuzzy)", key="fam_find", bind="query-params", max_chars=200)
if query.strip():
    found = cache.search_ids(path, query)
    cols = st.columns(2)
    for i, r in enumerate(found.head(8).itertuples()):
        cols[i % 2].button(f"{r.model_id} · {int(r.downloads):,}", key=f"fam_found_{r.model_id}", on_click=_select,
                           args=(r.model_id,), type="tertiary")

if model_id and cache.model_details(path, model_id) is None:
    st.warning(f"No model {state.code(model_id)} in this bundle. Pick one from the search or the table below.")
    model_id = ""

graph = FamilyGraph(top[2].selectbox("Family graph", [g.value for g in FamilyGraph], key="fam_graph", bind="query-params",
                                     format_func=lambda g: FAMILY_GRAPH_LABELS[FamilyGraph(g)],
                                     help="Which edges join a family; the study leaves merges out, so a merge "
                                          "starts a family of its own and links to its parents' families")
                     or FamilyGraph.NO_MERGE.value)
if model_id:
    c = st.columns([3, 2, 2, 2])
    scope = c[0].segmented_control("Show", [s.value for s in Scope], default=Scope.LINEAGE.value,
                                   format_func=lambda v: SCOPE_LABELS[Scope(v)], key="fam_scope", bind="query-params")
    k = c[1].slider("Children per node", 1, 30, 5, key="fam_k", bind="query-params")
    depth = c[2].slider("Generations", 1, 15, 3, key="fam_depth", bind="query-params")
    color_by = c[3].segmented_control("Colour", ["license", "task"], default="license", key="fam_color", bind="query-params")
    left, right = st.columns([3, 1])
    with left:
        _tree(path, model_id, graph, Scope(scope or Scope.LINEAGE.value), int(k), int(depth), color_by or "license")
    with right:
        if (color_by or "license") == "license":
            st.markdown("  \n".join(f":{LICENSE_MD[c_]}[●] {c_}" for c_ in LICENSE_RGB))
        else:
            st.caption("Nodes coloured by task; hover a node for its details.")
        st.divider()
        _node_panel(path, model_id)
    focus = st.session_state.get("_fam_focus") or model_id
    with st.expander(f"License chain of {focus[:120]}: can it be used, and on what terms?"):
        chain.show(path, focus)
    st.caption("Export the whole family")
    _exports(path, model_id, graph)
    _descendants(path, model_id, graph)
    _summary(path, model_id, graph)
    st.divider()
_largest(path, graph)
