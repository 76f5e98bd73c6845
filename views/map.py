"""Map: every model of the bundle on one semantic map, with filters, search, details and lineage."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import plotly.express as px
import pydeck as pdk
import streamlit as st

from core import atlas
from core.atlas import ColorBy, SizeBy
from core.licenses import LicenseClass
from core.lineage import MATCH_REASONS
from views import cache, chain, pointmap, state

COLOR_LABELS = {ColorBy.CLUSTER: "cluster", ColorBy.LIBRARY: "library", ColorBy.TASK: "task", ColorBy.LICENSE: "license class",
                ColorBy.FAMILY: "family", ColorBy.DEPTH: "depth", ColorBy.RELATION: "relation to parent"}
SIZE_LABELS = {SizeBy.NONE: "same size", SizeBy.DOWNLOADS: "downloads", SizeBy.LIKES: "likes"}
RELATION_RGB = {"finetune": [59, 111, 182], "adapter": [242, 165, 65], "quantized": [76, 175, 80], "merge": [200, 60, 160]}
ANY = "any"


def _filters(path: str) -> atlas.MapFilter:
    tasks, libs = cache.top_values(path, "pipeline_tag"), cache.top_values(path, "library_name")
    with st.expander("Filters", expanded=True):
        c = st.columns([3, 2, 2, 2])
        text = c[0].text_input("Id or author contains", key="map_q", bind="query-params", max_chars=200)
        lic = c[1].selectbox("License class", [ANY] + [l.value for l in LicenseClass], key="map_license", bind="query-params")
        task = c[2].selectbox("Task", [ANY] + tasks, key="map_task", bind="query-params")
        lib = c[3].selectbox("Library", [ANY] + libs, key="map_library", bind="query-params")
        c = st.columns([2, 2, 2, 2, 2, 3])
        min_dl = state.url_int_input(c[0], "Min downloads", "map_min_dl", 0, 10**12, 0, step=100)
        min_likes = state.url_int_input(c[1], "Min likes", "map_min_likes", 0, 10**9, 0, step=10)
        since = c[2].date_input("Created from", value=None, min_value=dt.date(2015, 1, 1), key="map_from", bind="query-params")
        until = c[3].date_input("Created until", value=None, min_value=dt.date(2015, 1, 1), key="map_to", bind="query-params")
        base = c[4].toggle("Base models only", key="map_base", bind="query-params", help="Models without a parent")
        family = c[5].text_input("Family (root id)", key="map_family", bind="query-params", max_chars=300)
    return atlas.MapFilter(text=text.strip(), license="" if lic in (None, ANY) else lic, task="" if task in (None, ANY) else task,
                           library="" if lib in (None, ANY) else lib, min_downloads=min_dl, min_likes=min_likes,
                           created_from=since, created_to=until, base_only=bool(base), family=family.strip())


def _filter_fields(f: atlas.MapFilter) -> dict:
    return {k: getattr(f, k) for k in atlas.MapFilter.__dataclass_fields__}


def _on_map_click() -> None:
    """A map click (index in draw order) → model id, written to the URL-bound ``map_model`` before the rerun."""
    info = st.session_state.get("_map_points")
    state_ = st.session_state.get("map_chart")
    pick = state_.get("picked") if hasattr(state_, "get") else getattr(state_, "picked", None)
    if not info:
        return
    geo = cache.map_geometry(info["path"])
    model = atlas.picked_model(pick, geo["order"], geo["ids"], info["points_key"])
    if model:
        st.session_state["map_model"] = model


def _select(model_id: str) -> None:
    st.session_state["map_model"] = model_id


def _only_family(family: str) -> None:
    st.session_state["map_family"] = family


def _marker(marker_id: str, points: list, rgb: list[int], radius: int):
    return pdk.Layer("ScatterplotLayer", data=[{"p": [int(x), int(y)]} for x, y in points], id=marker_id,
                     get_position="p", get_fill_color=rgb + [60], get_line_color=rgb, line_width_min_pixels=2,
                     stroked=True, get_radius=radius, radius_units="pixels")


def _map(path: str, f: atlas.MapFilter, color_by: str, size_by: str, three_d: bool, model_id: str | None,
         extra_markers: list, draft_point) -> None:
    """Every model, from binary point files (most downloaded drawn on top); filters dim the rest; overlays on top."""
    geo = cache.map_geometry(path)
    view = cache.map_files(path, color_by, size_by, three_d)
    mask, mask_id = None, ""
    if f.active:
        match = cache.matching(path, **_filter_fields(f))
        mask, mask_id = match["mask"], match["digest"]
    overlays, markers = [], []
    if model_id and not three_d:
        seg = cache.family_segments(path, model_id)
        if len(seg):
            px_, py_ = atlas.to_grid(seg["px"], seg["py"], geo["grid"])
            cx_, cy_ = atlas.to_grid(seg["cx"], seg["cy"], geo["grid"])
            # Declared types are drawn solid; inferred ones fade with how unsure their type is.
            lines = [{"s": [int(a), int(b)], "t": [int(c), int(d)],
                      "rgb": RELATION_RGB.get(r, [90, 90, 90]) + [220 if src == "declared" else int(40 + 140 * k)]}
                     for a, b, c, d, r, src, k in zip(px_, py_, cx_, cy_, seg["relation"], seg["relation_source"],
                                                      seg["relation_confidence"].astype(float))]
            overlays.append(pdk.Layer("LineLayer", data=lines, id="lineage", get_source_position="s",
                                      get_target_position="t", get_color="rgb", get_width=1.5, width_units="pixels"))
        pos = cache.positions(path, (model_id,))
        if pos:
            markers.append(_marker("selected", [pos[0][1:]], [220, 20, 60], 9))
    if extra_markers and not three_d:
        markers.append(_marker("found", [(x, y) for _, x, y in extra_markers], [255, 140, 0], 6))
    if draft_point is not None and not three_d:
        markers.append(_marker("draft", [draft_point], [0, 0, 0], 12))
    points_key = f"{geo['key']}-{'3d' if three_d else '2d'}-{color_by}-{size_by}"
    st.session_state["_map_points"] = {"path": path, "points_key": points_key}
    pointmap.point_map(key="map_chart", points_key=points_key, n=len(geo["ids"]), files=view["files"], n_colors=view["n_colors"],
                       mode="3d" if three_d else "2d", mask=mask, mask_id=mask_id, overlays=overlays + markers,
                       on_pick=_on_map_click)


@st.fragment
def _map_ready(*args) -> None:
    """The map in a fragment: its own events rerun only it, unless a click picked another model."""
    _map(*args)
    if (st.session_state.get("map_model") or "").strip() != (args[5] or ""):
        st.rerun()  # the whole page: the details panel shows the new selection


def _legend(path: str, color_by: str, size_by: str, three_d: bool) -> None:
    legend = cache.map_files(path, color_by, size_by, three_d)["legend"]
    fig = px.bar(legend.iloc[::-1], x="models", y="category", orientation="h", log_x=True,
                 color="category", color_discrete_map={c: f"rgb{tuple(rgb)}" for c, rgb in zip(legend["category"], legend["rgb"])})
    fig.update_layout(showlegend=False, height=max(200, 22 * len(legend)), margin=dict(l=0, r=10, t=0, b=0), yaxis_title="",
                      xaxis_title="models (log scale)")
    fig.update_yaxes(automargin=True, tickfont=dict(size=11))
    st.plotly_chart(fig, key="map_legend")


def _details(path: str, model_id: str) -> None:
    d = cache.model_details(path, model_id)
    if d is None:
        st.warning(f"No model {state.code(model_id)} in this bundle.")
        return
    st.markdown(f"#### {d['model_id']}")  # ids are Hub ids; markdown escapes nothing dangerous without unsafe HTML
    c = st.columns(2)
    c[0].link_button("Open on the Hub", f"https://huggingface.co/{quote(d['model_id'], safe='/')}", icon=":material/open_in_new:")
    c[1].link_button("Family tree", f"family?fam_model={quote(d['model_id'], safe='')}", icon=":material/account_tree:")
    with st.expander("License chain up to the roots"):
        chain.show(path, d["model_id"])
    created = d["created_at"].strftime("%Y-%m-%d") if d["created_at"] is not None and str(d["created_at"]) != "NaT" else "unknown"
    st.markdown(f"**{int(d['downloads']):,}** downloads · **{int(d['likes']):,}** likes · created **{created}**")
    facts = {
        "task": d["pipeline_tag"] or "—", "library": d["library_name"] or "—",
        "licenses": ", ".join(d["licenses"]) or "—", "license class": d["license_class"],
        "languages": ", ".join(list(d["languages"])[:8]) or "—",
        "family": f"{d['family']} ({int(d['family_size']) if d['family_size'] == d['family_size'] and d['family_size'] else 1:,} models)",
        "depth": ("—" if d["depth"] is None or d["depth"] != d["depth"] else int(d["depth"]))
        if not d.get("in_cycle") else f"{int(d['depth']) if d['depth'] == d['depth'] and d['depth'] is not None else '—'} (in a cycle)",
        "children": f"{int(d['n_children']):,}", "descendants": f"{int(d['n_descendants']):,}",
    }
    st.dataframe([{"": k, "value": str(v)} for k, v in facts.items()], hide_index=True, key="map_facts")
    parents = d["parents"]
    if len(parents):
        st.caption("Parents")
        for p in parents.itertuples():
            label = f"{p.parent} — {p.relation} ({p.relation_source})" + ("" if p.parent_in_snapshot else " · not in this snapshot")
            if p.parent_as_written != p.parent:
                label += f" · written {p.parent_as_written!r}, {MATCH_REASONS.get(p.parent_match, p.parent_match)}"
            if p.parent_in_snapshot:
                st.button(label, key=f"map_parent_{p.parent}", on_click=_select, args=(p.parent,), type="tertiary")
            else:
                st.text(label)
    if len(d["children"]):
        st.caption("Top children by downloads")
        for ch in d["children"].itertuples():
            st.button(f"{ch.child} — {ch.relation}", key=f"map_child_{ch.child}", on_click=_select, args=(ch.child,), type="tertiary")
    if d.get("card_excerpt"):
        with st.expander("Model card (start, plain text)"):
            st.text(d["card_excerpt"])
    st.button("Show only this family on the map", key="map_only_family", on_click=_only_family, args=(d["family"],),
              type="tertiary")


def _results(title: str, results: list[tuple[str, float]], key: str) -> None:
    st.caption(title)
    for model, score in results:
        st.button(f"{model}  ·  {score:.2f}", key=f"{key}_{model}", on_click=_select, args=(model,), type="tertiary")


path, b = state.require_bundle("The map of models")
if not cache.has_map(path):
    st.info("This bundle has no map yet: rebuild it without `--no-embed` to embed and project every model.")
    st.stop()
f = _filters(path)
c = st.columns([4, 2, 1])
color_by = c[0].segmented_control("Colour by", [x.value for x in ColorBy], default=ColorBy.CLUSTER.value,
                                  format_func=lambda v: COLOR_LABELS[ColorBy(v)], key="map_color", bind="query-params") or ColorBy.CLUSTER.value
size_by = c[1].segmented_control("Size by", [x.value for x in SizeBy], default=SizeBy.NONE.value,
                                 format_func=lambda v: SIZE_LABELS[SizeBy(v)], key="map_size", bind="query-params") or SizeBy.NONE.value
three_d = c[2].toggle("3D", key="map_3d", bind="query-params", help="A 3D projection with an orbit camera")

total = cache.summary(path).models
n_match = cache.matching(path, **_filter_fields(f))["count"] if f.active else total
st.markdown(f"**{n_match:,}** of {total:,} models match" + (" — the rest are dimmed." if f.active and n_match < total else "."))

left, right = st.columns([3, 1.3])
with right:
    model_id = st.text_input("Selected model", key="map_model", bind="query-params", max_chars=300,
                             help="Click a point, pick a search result, or paste a model id").strip()
    tab_find, tab_ask, tab_draft = st.tabs(["Find by id", "Ask in words", "Where would my model sit?"])
    markers, draft_point = [], None
    with tab_find:
        q = st.text_input("Model id (fuzzy)", key="map_find", bind="query-params", max_chars=200)
        if q.strip():
            found = cache.search_ids(path, q)
            if found.empty:
                st.caption("No model id is close to that.")
            for r in found.head(10).itertuples():
                st.button(f"{r.model_id}  ·  {int(r.downloads):,} downloads", key=f"map_found_{r.model_id}",
                          on_click=_select, args=(r.model_id,), type="tertiary")
    with tab_ask:
        ask = st.text_input("Describe a model", key="map_ask", bind="query-params", max_chars=500,
                            placeholder="e.g. speech recognition for Swahili")
        if ask.strip():
            results, _ = cache.nearest_to_text(path, ask.strip())
            _results("Nearest models by meaning", results, "map_ask_r")
            markers = cache.positions(path, tuple(m for m, _ in results))
    with tab_draft:
        draft = st.text_area("Paste a model card or tags", key="map_draft", bind="query-params", max_chars=4000, height=120)
        if draft.strip():
            draft_point = cache.place_text(path, draft.strip())
            results, _ = cache.nearest_to_text(path, draft.strip(), 10)
            st.caption("The black ring on the map is where it would sit (the fitted UMAP's transform).")
            _results("Its nearest neighbours", results, "map_draft_r")
    if model_id:
        st.divider()
        _details(path, model_id)
        if st.toggle("Similar to this model", key="map_similar", bind="query-params"):
            similar = cache.nearest_to_model(path, model_id)
            _results("Most similar models", similar, "map_sim_r")
            markers = markers + cache.positions(path, tuple(m for m, _ in similar))
with left:
    args = (path, f, color_by, size_by, bool(three_d), model_id or None, markers, draft_point)
    _map_ready(*args)
    if three_d and (model_id or markers or draft_point is not None):
        st.caption("Lineage lines and search markers are drawn in the 2D view.")
    st.caption("Scroll to zoom, drag to pan; click a point for its details and its lineage (ancestors and descendants) "
               "(lines: blue fine-tune, orange adapter, green quantized, pink merge; faint when the type is inferred).")
    legend_col, dist_col = st.columns([3, 2])
    with legend_col:
        _legend(path, color_by, size_by, bool(three_d))
    with dist_col:
        d = cache.distributions(path, **_filter_fields(f))
        t1, t2, t3 = st.tabs(["Downloads", "Likes", "Created"])
        for tab, key in ((t1, "downloads"), (t2, "likes")):
            with tab:
                fig = px.bar(d[key], x="log10_bin", y="models", labels={"log10_bin": f"log10({key} + 1)"})
                fig.update_layout(height=260, margin=dict(l=0, r=0, t=0, b=0))
                st.plotly_chart(fig, key=f"map_hist_{key}")
        with t3:
            fig = px.bar(d["created"], x="month", y="models")
            fig.update_layout(height=260, margin=dict(l=0, r=0, t=0, b=0))
            st.plotly_chart(fig, key="map_hist_created")
        st.caption("Distributions of the models that match the filters.")
