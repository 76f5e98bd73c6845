"""Map: every model of the bundle on one semantic map, with filters, search, details and lineage."""

from __future__ import annotations

import datetime as dt

import plotly.express as px
import pydeck as pdk
import streamlit as st

from core import atlas
from core.atlas import Camera, ColorBy, SizeBy
from core.licenses import LicenseClass
from core.lineage import MATCH_REASONS
from core.lineage.family import table_selection_to_model
from views import atlas_component, cache, chain, links, state

COLOR_LABELS = {ColorBy.CLUSTER: "cluster", ColorBy.LIBRARY: "library", ColorBy.TASK: "task", ColorBy.LICENSE: "license class",
                ColorBy.FAMILY: "family", ColorBy.DEPTH: "depth", ColorBy.RELATION: "relation to parent",
                ColorBy.DENSITY: "density"}
SIZE_LABELS = {SizeBy.NONE: "same size", SizeBy.DOWNLOADS: "downloads", SizeBy.LIKES: "likes"}
RELATION_RGB = {"finetune": [59, 111, 182], "adapter": [242, 165, 65], "quantized": [76, 175, 80], "merge": [200, 60, 160]}
ANY = "any"


def _filters(path: str) -> atlas.MapFilter:
    tasks, libs = cache.top_values(path, "pipeline_tag"), cache.top_values(path, "library_name")
    with st.sidebar.expander("Filters", expanded=True, icon=":material/filter_alt:"):
        text = st.text_input("Id or author contains", key="map_q", bind="query-params", max_chars=200)
        lic = st.selectbox("License class", [ANY] + [l.value for l in LicenseClass], key="map_license", bind="query-params")
        task = st.selectbox("Task", [ANY] + tasks, key="map_task", bind="query-params")
        lib = st.selectbox("Library", [ANY] + libs, key="map_library", bind="query-params")
        c = st.columns(2)
        min_dl = state.url_int_input(c[0], "Min downloads", "map_min_dl", 0, 10**12, 0, step=100)
        min_likes = state.url_int_input(c[1], "Min likes", "map_min_likes", 0, 10**9, 0, step=10)
        c = st.columns(2)
        since = c[0].date_input("Created from", value=None, min_value=dt.date(2015, 1, 1), key="map_from", bind="query-params")
        until = c[1].date_input("Created until", value=None, min_value=dt.date(2015, 1, 1), key="map_to", bind="query-params")
        family = st.text_input("Family (root id)", key="map_family", bind="query-params", max_chars=300)
        base = st.toggle("Base models only", key="map_base", bind="query-params", help="Models without a parent")
    return atlas.MapFilter(text=text.strip(), license="" if lic in (None, ANY) else lic, task="" if task in (None, ANY) else task,
                           library="" if lib in (None, ANY) else lib, min_downloads=min_dl, min_likes=min_likes,
                           created_from=since, created_to=until, base_only=bool(base), family=family.strip())


def _on_map_click() -> None:
    """A map click (index in draw order) → model id, written to the URL-bound ``map_model`` before the rerun."""
    info, pick = st.session_state.get("_map_points"), _component_value("picked")
    if not info:
        return
    geo = cache.map_geometry(info["path"])
    if isinstance(pick, dict):
        _write_view(pick.get("view"))
    model = atlas.picked_model(pick, geo.order, geo.ids, info["points_key"])
    if model:
        st.session_state["map_model"] = model


def _component_value(name: str):
    value = st.session_state.get("map_chart")
    return value.get(name) if hasattr(value, "get") else getattr(value, name, None)


def _on_map_select() -> None:
    """A drawn box or lasso (grid vertices) → the URL's ``map_sel``; an empty one clears it."""
    info, sent = st.session_state.get("_map_points"), _component_value("selected")
    if not info or not isinstance(sent, dict) or sent.get("points") != info["points_key"]:
        return
    _write_view(sent.get("view"))
    try:
        text = atlas.format_polygon(sent.get("polygon") or [])
    except (TypeError, ValueError):
        text = ""
    _set_selection(text)


def _set_selection(text: str) -> None:
    if text:
        st.query_params["map_sel"] = text
    else:
        st.query_params.pop("map_sel", None)
        st.query_params.pop("map_only_sel", None)


def _write_view(text) -> None:
    """The camera a map event carried (the browser already wrote it into the URL) → ``st.query_params``, so a
    callback's write of the query string keeps it instead of the server's older copy."""
    cam = Camera.from_url(text) if isinstance(text, str) else None
    if cam is not None and cam.three_d == bool(st.session_state.get("map_3d")):
        st.query_params["map_view"] = cam.to_url()


def _on_map_layers() -> None:
    """The label layers switched on the map → the URL (``map_labels=off``, ``map_families=on``; defaults are left out)."""
    v = _component_value("layers")
    if not isinstance(v, dict):
        return
    _write_view(v.get("view"))
    for key, on, default in (("map_labels", bool(v.get("labels", True)), True),
                             ("map_families", bool(v.get("families", False)), False)):
        if on == default:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = "on" if on else "off"


def _url_layers() -> dict:
    return {"labels": st.query_params.get("map_labels", "on") != "off", "families": st.query_params.get("map_families") == "on"}


def _close_model() -> None:
    st.session_state["map_model"] = ""


def _clear_selection() -> None:
    _set_selection("")


def _select(model_id: str) -> None:
    st.session_state["map_model"] = model_id


def _only_family(family: str) -> None:
    st.session_state["map_family"] = family


def _marker(marker_id: str, points: list, rgb: list[int], radius: int):
    return pdk.Layer("ScatterplotLayer", data=[{"p": [int(x), int(y)]} for x, y in points], id=marker_id,
                     get_position="p", get_fill_color=rgb + [60], get_line_color=rgb, line_width_min_pixels=2,
                     stroked=True, get_radius=radius, radius_units="pixels")


def _map(path: str, f: atlas.MapFilter, color_by: str, size_by: str, three_d: bool, model_id: str | None,
         pins: list, polygon: str, only_selection: bool) -> None:
    """Every model, from binary point files (most downloaded drawn on top); filters dim the rest; overlays on top."""
    geo = cache.map_geometry(path)
    view = cache.map_files(path, color_by, size_by, three_d)
    mask, mask_id = None, ""
    if f.active or (only_selection and polygon):
        match = cache.matching(path, f, polygon=polygon if only_selection else "")
        mask, mask_id = match["mask"], match["digest"]
    overlays, markers = [], []
    if model_id and not three_d:
        seg = cache.family_segments(path, model_id)
        if len(seg):
            px_, py_ = atlas.to_grid(seg["px"], seg["py"], geo.grid)
            cx_, cy_ = atlas.to_grid(seg["cx"], seg["cy"], geo.grid)
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
    points_key = f"{geo.key}-{'3d' if three_d else '2d'}-{color_by}-{size_by}"
    st.session_state["_map_points"] = {"path": path, "points_key": points_key}
    camera = Camera.from_url(st.query_params.get("map_view"))
    if camera is not None and three_d != camera.three_d:
        camera = None  # a 2D camera does not place a 3D view, nor the reverse
    legend = atlas_component.legend_spec(COLOR_LABELS[ColorBy(color_by)], view["legend"])
    atlas_component.point_map(key="map_chart", points_key=points_key, n=len(geo.ids), files=view["files"],
                       n_colors=view["n_colors"], palette=view["palette"], mode="3d" if three_d else "2d", mask=mask,
                       mask_id=mask_id, overlays=overlays + markers, fill=True, height=420, labels=cache.map_labels(path),
                       legend=legend, hover=cache.hover_files(path), camera=camera, tools=not three_d, avoid=".st-key-map_panel",
                       selection=atlas.parse_polygon(polygon), layers=_url_layers(), url_view_key="map_view",
                       pins=[] if three_d else pins,
                       on_pick=_on_map_click, on_select=_on_map_select, on_layers=_on_map_layers)


@st.fragment
def _map_ready(path: str, f: atlas.MapFilter, color_by: str, size_by: str, three_d: bool, model_id: str | None,
               pins: list, polygon: str, only_selection: bool) -> None:
    """The map in a fragment: its own events rerun only it, unless a click picked another model or a box or lasso
    changed the selection. Camera moves rerun nothing: the browser writes the view into the URL."""
    # A click or a selection is handled by its callback before this runs: then the whole page reruns at once
    # (the panel shows the new model or selection), without drawing the map twice.
    if (st.session_state.get("map_model") or "").strip() != (model_id or "") or (not three_d and _url_polygon() != polygon):
        st.rerun()
    _map(path, f, color_by, size_by, three_d, model_id, pins, polygon, only_selection)


def _details(path: str, model_id: str) -> None:
    d = cache.model_details(path, model_id)
    if d is None:
        st.warning(f"No model {state.code(model_id)} in this bundle.")
        return
    st.markdown(f"#### {d['model_id']}")  # ids are Hub ids; markdown escapes nothing dangerous without unsafe HTML
    c = st.columns(2)
    c[0].link_button("Open on the Hub", links.hub(d['model_id']), icon=":material/open_in_new:")
    c[1].link_button("Family tree", links.family(d['model_id']), icon=":material/account_tree:")
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


# Numbered markers on the map, one colour a list (none a cluster colour: dark, with a white ring and number).
PIN_RGB = {"ask": [17, 17, 17], "place": [12, 74, 110], "similar": [88, 28, 135], "base": [127, 29, 29]}
PIN_NAMES = {"ask": "black", "place": "dark blue", "similar": "dark purple", "base": "dark red"}


def _results(title: str, results: list[tuple[str, float]], key: str, kind: str | None = None) -> None:
    """A list of models with scores; with ``kind``, numbered as their markers on the map (``_pins``)."""
    st.caption(title + (f" · numbered {PIN_NAMES[kind]} markers on the map" if kind else ""))
    for n, (model, score) in enumerate(results, 1):
        text = f"{model}  ·  {score:.2f}" if score == score else model
        st.button(f"{n}. {text}" if kind else text, key=f"{key}_{model}", on_click=_select, args=(model,), type="tertiary")


def _pins(path: str, kind: str, results: list[tuple[str, float]]) -> list[dict]:
    """The map's numbered markers of a result list: the same numbers as ``_results`` shows."""
    where = {m: (x, y) for m, x, y in cache.positions(path, tuple(m for m, _ in results), exact=True)}
    return [{"n": str(n), "xy": list(where[m]), "id": m, "kind": kind, "rgb": PIN_RGB[kind]}
            for n, (m, _) in enumerate(results, 1) if m in where]


def _selection(path: str, polygon: str, f: atlas.MapFilter) -> None:
    """The selection's panel: count, actions, its models (sortable; a row opens it), its mix and its families.
    With a filter on, the selection is the outline's models that match it (the ones the map draws in colour)."""
    sel = cache.selection(path, polygon, f if f.active else None)
    head = st.columns([5, 1])
    head[0].markdown(f"#### {sel['count']:,} models selected")
    if f.active:
        head[0].caption(f"Those of the {sel['inside']:,} inside the outline that match the filters")
    head[1].button("", icon=":material/close:", key="map_sel_close", on_click=_clear_selection, help="Clear the selection",
                   type="tertiary")
    st.toggle("Show only these on the map", key="map_only_sel", bind="query-params",
              help="Dim every model outside the selection")
    if not sel["count"]:
        st.caption("Nothing matching the filters is inside this outline." if f.active else
                   "Nothing is drawn inside this outline. Draw another box or lasso, or clear it.")
        return
    c = st.columns(2)
    top_family = sel["families"].iloc[0]
    c[0].link_button("Largest family", links.family(top_family['value']),
                     icon=":material/account_tree:", help=f"{top_family['value']}: {int(top_family['models']):,} of its "
                                                          f"{int(top_family['family_size']):,} models are selected")
    c[1].download_button("CSV of all", lambda: cache.selection_csv(path, polygon, f if f.active else None), file_name="phylo-selection.csv",
                         mime="text/csv", icon=":material/download:", on_click="ignore",
                         help="Ids and metadata of every selected model")
    st.link_button("Similarity network of these", links.network_of_selection(polygon), icon=":material/hub:",
                   help="The models inside the outline linked to their nearest neighbours by meaning (the filters are "
                        "not carried over)")
    models = sel["models"]
    st.caption(f"Top {len(models):,} by downloads (click a header to sort, a row to open the model)")
    st.dataframe(models, hide_index=True, key="map_sel_table", on_select=_on_sel_row, selection_mode="single-row",
                 height=260, column_order=["model_id", "downloads", "pipeline_tag", "license_class", "library_name", "likes"],
                 column_config={"pipeline_tag": "task", "license_class": "license", "library_name": "library",
                                "model_id": st.column_config.TextColumn(width="medium"),  # downloads in view too
                                "downloads": st.column_config.NumberColumn(format="localized"),
                                "likes": st.column_config.NumberColumn(format="localized")})
    mixes = {"tasks": "task", "libraries": "library", "licenses": "license class", "families": "family"}
    # One mix at a time (a choice in the URL, not tabs): each table drawn costs the browser a grid.
    key = st.segmented_control("Mix", list(mixes), default="tasks", format_func=str.capitalize, key="map_sel_mix",
                               bind="query-params", label_visibility="collapsed") or "tasks"
    mix = sel[key].head(30).assign(share=lambda d: d["models"] / sel["count"])
    if key == "families":
        st.caption(f"{sel['n_families']:,} families; the largest {len(mix)}")
    st.dataframe(mix, hide_index=True, key=f"map_sel_{key}", height=220, column_config={
        "value": st.column_config.TextColumn(mixes[key], width="medium"),
        "models": st.column_config.NumberColumn(width="small", format="localized"),
        "family_size": st.column_config.NumberColumn("family size", width="small", format="localized"),
        "share": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1, width="small")})


def _on_sel_row() -> None:
    picked = st.session_state.get("map_sel_table")
    rows = picked.selection.rows if picked is not None else None
    if rows:
        f = st.session_state.get("_map_filter")
        models = cache.selection(state.current_bundle_path(), _url_polygon(), f if f is not None and f.active else None)["models"]
        if chosen := table_selection_to_model(rows, models["model_id"].tolist()):
            st.session_state["map_model"] = str(chosen)


def _url_polygon() -> str:
    """The URL's selection, normalised (a malformed one is no selection)."""
    return atlas.format_polygon(atlas.parse_polygon(st.query_params.get("map_sel", "")))


PANEL_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.2rem; padding-bottom: 1rem; }
.st-key-map_panel { position: fixed; top: 6.4rem; right: 1rem; width: min(400px, 33vw); max-height: calc(100vh - 7.2rem);
  overflow-y: auto; z-index: 990; background: var(--st-background-color, #fff); border: 1px solid rgba(49,51,63,.2);
  border-radius: .6rem; padding: .6rem .8rem; box-shadow: 0 4px 18px rgba(0,0,0,.16); }
.st-key-map_panel [data-testid="stVerticalBlock"] { gap: .35rem; }
.st-key-map_panel .stButton button[kind="tertiary"] { min-height: 0; padding: 0; text-align: left; }
</style>
"""


path, b = state.require_bundle("The map of models", compact=True)
if not cache.has_map(path):
    st.title("The map of models")
    st.info("This bundle has no map yet: rebuild it without `--no-embed` to embed and project every model.")
    st.stop()
st.html(PANEL_CSS)
with st.sidebar:
    if b.synthetic:
        st.caption(":material/science: Synthetic demo bundle: invented models, real pipeline.")
    color_by = st.selectbox("Colour by", [x.value for x in ColorBy], format_func=lambda v: COLOR_LABELS[ColorBy(v)],
                            key="map_color", bind="query-params") or ColorBy.CLUSTER.value
    size_by = st.selectbox("Size by", [x.value for x in SizeBy], format_func=lambda v: SIZE_LABELS[SizeBy(v)],
                           key="map_size", bind="query-params") or SizeBy.NONE.value
    three_d = st.toggle("3D view", key="map_3d", bind="query-params", help="A 3D projection with an orbit camera")
f = _filters(path)
st.session_state["_map_filter"] = f  # a selection's table row (its callback) reads the rows the panel showed
with st.sidebar:
    model_id = st.text_input("Selected model", key="map_model", bind="query-params", max_chars=300,
                             help="Click a point, pick a search result, or paste a model id").strip()
    tab_find, tab_ask, tab_draft = st.tabs(["Find", "Ask", "Place mine"])
    pins, lists = [], []  # numbered markers on the map; the result lists the panel shows with the same numbers
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
                            placeholder="e.g. Swahili speech")
        if ask.strip():
            asked, _ = cache.nearest_to_text(path, ask.strip())
            lists.append(("Nearest models by meaning", asked, "map_ask_r", "ask"))
            st.caption(f"{len(asked)} results: numbered black markers on the map, listed in the panel.")
    with tab_draft:
        # Not bound to the URL: a pasted card is the user's own text, and a whole card makes a link unusable.
        draft = st.text_area("Paste a model card or tags: where would my model sit?", key="map_draft",
                             max_chars=4000, height=120)
        if draft.strip():
            draft_point = cache.place_text(path, draft.strip())
            pins.append({"n": "★", "xy": list(draft_point), "id": "your model", "kind": "draft", "rgb": [0, 0, 0]})
            neighbours, _ = cache.nearest_to_text(path, draft.strip(), 10)
            lists.append(("Its nearest neighbours", neighbours, "map_draft_r", "place"))
            for base in atlas.declared_base_models(draft):
                d_base = cache.model_details(path, base)
                if d_base is None:
                    st.caption(f"Its declared base model {state.code(base)} is not in this bundle.")
                    continue
                kin = [(d_base["model_id"], float("nan"))] + [(c, float("nan")) for c in d_base["children"]["child"]]
                lists.append((f"Its declared base model {d_base['model_id']} (1), and that model's children", kin[:11],
                              "map_draft_base", "base"))
                break
            st.caption("★ on the map is where it would sit (the fitted UMAP's transform); its neighbours are numbered "
                       "in the panel.")

polygon = _url_polygon() if not three_d else ""
only_sel = bool(polygon) and st.query_params.get("map_only_sel", "").lower() == "true"
total = cache.bundle_summary(path).models
n_match = cache.matching(path, f, polygon=polygon if only_sel else "")["count"] if f.active or only_sel else total
line = f"##### The map of models · {n_match:,} of {total:,} models match" + (
    " — the rest are dimmed" if (f.active or only_sel) and n_match < total else "")
st.markdown(line)

# The panel is the page's last element, drawn after the map in a slot made before it: the map keeps its
# place in the page when the panel opens or closes, so the browser keeps its points instead of a new component.
map_slot, below = st.container(), st.container()
if model_id or polygon or lists:
    with st.container(key="map_panel"):
        for title, results, key, kind in lists:
            _results(title, results, key, kind)
            pins += _pins(path, kind, results)
        if lists and (polygon or model_id):
            st.divider()
        if polygon:
            _selection(path, polygon, f)
        if model_id:
            if polygon:
                st.divider()
            head = st.columns([5, 1], vertical_alignment="center")
            head[0].caption("Model")
            head[1].button("", icon=":material/close:", key="map_model_close", on_click=_close_model,
                           help="Close the model's details", type="tertiary")
            _details(path, model_id)
            if st.toggle("Similar to this model", key="map_similar", bind="query-params"):
                similar = cache.nearest_to_model(path, model_id)
                _results("Most similar models", similar, "map_sim_r", "similar")
                pins += _pins(path, "similar", similar)

with map_slot:
    _map_ready(path, f, color_by, size_by, bool(three_d), model_id or None, pins, polygon, only_sel)
with below:
    hint = ("Scroll to zoom, drag to pan, hover a point for its facts, click it for its details and lineage "
            "(lines: blue fine-tune, orange adapter, green quantized, pink merge; faint when the type is inferred). "
            "Shift-drag, or the Box and Lasso tools, select a region.")
    if three_d:
        hint = "Drag to orbit, scroll to zoom. Lineage lines, search markers and selections are drawn in the 2D view."
    st.caption(hint)
    d = cache.distributions(path, f)
    cols = st.columns(3)
    for col, key in zip(cols[:2], ("downloads", "likes")):
        fig = px.bar(d[key], x="log10_bin", y="models", labels={"log10_bin": f"log10({key} + 1)"}, title=f"{key.capitalize()}")
        fig.update_layout(height=240, margin=dict(l=0, r=0, t=30, b=0))
        col.plotly_chart(fig, key=f"map_hist_{key}")
    fig = px.bar(d["created"], x="month", y="models", title="Created per month")
    fig.update_layout(height=240, margin=dict(l=0, r=0, t=30, b=0))
    cols[2].plotly_chart(fig, key="map_hist_created")
    st.caption("Distributions of the models that match the filters.")
