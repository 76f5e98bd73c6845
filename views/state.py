"""URL state: the one place that knows which bundle is open and how page links carry it.

Widgets bind themselves to the URL with ``bind="query-params"`` and a
page-prefixed key (Streamlit validates those values and drops invalid ones).
This module holds what that cannot: the bundle choice shared by all pages,
number inputs (Streamlit's binding crashes on values like ``1e400``) and the
common page preamble.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from core.errors import BundleError
from core.evolution.definitions import Definitions
from core.precompute.selfbuild import Stage
from core.lineage import FAMILY_GRAPH_LABELS, EdgeScope, FamilyGraph, Relation, ScopeKind
from views import cache

BUNDLE_KEY = "bundle"
_log = logging.getLogger("phylo")


def current_bundle_path() -> str | None:
    """Folder of the bundle chosen in the sidebar (bound to ``?bundle=``), or None if there is none."""
    return st.session_state.get("_bundle_path")


def choose_bundle() -> str | None:
    """Sidebar selector of bundles; its value lives in the URL as ``?bundle=NAME``."""
    remote = cache.remote_bundle()
    if remote is not None and not remote.ok:
        st.warning(f"This site should show the bundle **{remote.repo}**{'@' + remote.revision if remote.revision else ''} "
                   f"from the Hub, but it is not here: {remote.reason}. You are looking at the bundled data instead.",
                   icon=":material/cloud_off:")
    _self_build_banner()
    bundles = cache.available_bundles()
    if not bundles:
        st.session_state["_bundle_path"] = None
        return None
    names = list(bundles)
    name = st.sidebar.selectbox("Bundle", names, key=BUNDLE_KEY, bind="query-params",
                                help="Parquet bundles found under data/, bundles/ and PHYLO_BUNDLES")
    path = bundles.get(name or names[0])
    st.session_state["_bundle_path"] = path
    if path:
        cache.warm(path)
    return path


def run_guarded(page) -> None:
    """Run a page behind an error boundary: Streamlit's own stop and rerun pass through; anything else becomes one
    line on the page and a full traceback in the server's log, never a traceback in front of a user."""
    try:
        page.run()
    except ScriptControlException:
        raise
    except Exception as exc:  # noqa: BLE001 - the boundary: every other failure ends here
        _log.exception("page %s failed", getattr(page, "url_path", "?"))
        st.error(f"This page could not be shown ({type(exc).__name__}). The details are in the server's log; "
                 "try another view, or reload.", icon=":material/error:")


def _self_build_banner() -> None:
    """While the Space builds the real Hub itself (or could not), say so above every page: stage, progress, why."""
    built = cache.self_build()
    if built is None or built.stage is Stage.READY:
        return
    if built.stage in (Stage.OFFLINE, Stage.FAILED):
        st.warning(f"This site could not build the real Hub itself ({built.stage.value}: {built.reason}). You are "
                   "looking at the bundled demo.", icon=":material/cloud_off:")
        return
    since = dt.datetime.fromtimestamp(built.started or 0, dt.timezone.utc).strftime("%H:%M UTC")
    st.info(f"Building the real Hub from {code(built.source, 120)} in the background (since {since}): "
            f"{built.stage.value}{', ' + built.step if built.step else ''} — {built.progress:.0%} done. Until it is "
            "ready you are looking at the bundled demo; reload to see it move.", icon=":material/construction:")


def open_first_page(first) -> None:
    """The site's root: go to ``first`` at its own URL, keeping the query string, so every page has one address
    (``/overview?bundle=…`` is a link that works, and ``/?bundle=…`` lands there)."""
    st.switch_page(first, query_params=st.query_params.to_dict())


def bounded_int(value, lo: int, hi: int, default: int) -> int:
    """An integer widget value clamped to [lo, hi]; NaN, infinities and junk from a URL give ``default``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return default
    if not math.isfinite(v):
        return default
    return int(min(max(v, lo), hi))


def url_int_input(container, label: str, key: str, lo: int, hi: int, default: int, step: int = 1, **kwargs) -> int:
    """A number input kept in the URL under ``key``.

    Streamlit's own URL binding crashes on values such as ``1e400``, so this one
    reads the URL once, clamps it, and writes changes back itself.
    """
    if key not in st.session_state:
        st.session_state[key] = bounded_int(st.query_params.get(key, default), lo, hi, default)

    def sync() -> None:
        value = st.session_state.get(key, default)
        if value == default:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = str(int(value))

    value = container.number_input(label, min_value=lo, max_value=hi, step=step, key=key, on_change=sync, **kwargs)
    return bounded_int(value, lo, hi, default)


def require_bundle(title: str, compact: bool = False):
    """Page preamble: the chosen bundle's path and Bundle, or a clear message and a stopped page.

    ``compact`` leaves the title to the page (the map keeps the window's height for the map)."""
    path = current_bundle_path()
    if path is None:
        st.error("No bundle found. Build the demo with `python -m core.demo`, or set PHYLO_BUNDLE to a bundle folder.")
        st.stop()
    try:
        bundle = cache.bundle(path)
    except BundleError as exc:
        st.error(str(exc))
        st.stop()
    if not compact:
        st.title(title)
    if bundle.synthetic and not compact:
        st.caption(":material/science: Synthetic demo bundle: invented models, real pipeline.")
    return path, bundle


def url_choice(key: str, options: list[str], default: str) -> None:
    """Seed session state for a choice widget kept in the URL under ``key`` (a value not in ``options`` gives ``default``).

    For widgets whose value the page also changes itself (a replay stepping a slider): Streamlit's URL binding
    cannot be combined with setting the value from code, so the URL is read once here and written by ``write_url``.
    """
    if st.session_state.get(key) not in options:
        wanted = st.query_params.get(key)
        st.session_state[key] = wanted if wanted in options else default


def write_url(key: str, default: str) -> None:
    """Put ``key``'s session value in the URL (dropped when it is the default, as bound widgets do)."""
    value = st.session_state.get(key)
    if value is None or value == default:
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = str(value)


def code(text: str, limit: int = 200) -> str:
    """A user-given id as a Markdown code span: cut to ``limit`` and without backticks, so it cannot close the
    span and inject links or images."""
    return "`" + str(text)[:limit].replace("`", "'") + "`"


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#!|~$:])")


def md_text(text: str, limit: int = 200) -> str:
    """Text from outside (a paper title the Hub gives) as plain Markdown on one line: its markup characters escaped,
    so it cannot become a link, an image or HTML."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).split())[:limit])


def checked_model(path: str, model: str) -> str | None:
    """``model`` if the bundle has it; otherwise a warning and None (no restriction)."""
    model = (model or "").strip()
    if model and not cache.has_model(path, model):
        st.warning(f"No model {code(model)} in this bundle; showing every model.")
        return None
    return model or None


ALL_EDGES = "all edge types"
SCOPE_LABELS = {ScopeKind.FAMILY: "its family", ScopeKind.DESCENDANTS: "its descendants"}


def model_scope_controls(path: str, prefix: str, columns) -> tuple[str | None, ScopeKind, FamilyGraph]:
    """Any model as a scope, URL-bound under ``<prefix>_model|scope|graph``: the model, whether it stands for its
    family or its descendants, and the graph variant both are read on. ``columns`` are three containers."""
    legacy = st.query_params.get(f"{prefix}_family")  # links from before any model could scope: a family root
    if legacy and f"{prefix}_model" not in st.query_params and f"{prefix}_model" not in st.session_state:
        st.session_state[f"{prefix}_model"] = legacy
    model = columns[0].text_input("Model (any id)", key=f"{prefix}_model", bind="query-params", max_chars=300,
                                  placeholder="every model")
    kind = columns[1].segmented_control("Scope", [k.value for k in ScopeKind], default=ScopeKind.FAMILY.value,
                                        format_func=lambda k: SCOPE_LABELS[ScopeKind(k)], key=f"{prefix}_scope",
                                        bind="query-params",
                                        help="The model's whole family, or the model and everything made from it")
    graph = columns[2].selectbox("Family graph", [g.value for g in FamilyGraph], key=f"{prefix}_graph",
                                 format_func=lambda g: FAMILY_GRAPH_LABELS[FamilyGraph(g)], bind="query-params",
                                 help="Which edges join a family and lead to descendants; the study's families are "
                                      "without merges")
    return (checked_model(path, model), ScopeKind(kind or ScopeKind.FAMILY.value),
            FamilyGraph(graph or FamilyGraph.NO_MERGE.value))


DEFINITION_LABELS = {Definitions.PHYLO: "Phylo's lineage", Definitions.STUDY: "the study's definitions"}


def definitions_control(container, prefix: str) -> Definitions:
    """Which definitions a page's figures use, URL-bound under ``<prefix>_defs``: Phylo's lineage by default, or
    the study's own code (exact parent ids, its families and rules) to compare like with like."""
    value = container.segmented_control(
        "Definitions", [d.value for d in (Definitions.PHYLO, Definitions.STUDY)], default=Definitions.PHYLO.value,
        format_func=lambda d: DEFINITION_LABELS[Definitions(d)], key=f"{prefix}_defs", bind="query-params",
        help="Phylo's lineage also matches parents by case, the Hub's redirects and unique names; the study's code "
             "keeps exact parent ids only and differs in a few rules (see the README)")
    return Definitions(value or Definitions.PHYLO.value)


def scope_params(prefix: str, model: str, kind: ScopeKind, graph: FamilyGraph) -> dict[str, str]:
    """The URL parameters that open a page scoped as ``model_scope_controls`` reads them (labels, as bound widgets
    write them)."""
    return {f"{prefix}_model": model, f"{prefix}_scope": SCOPE_LABELS[ScopeKind(kind)],
            f"{prefix}_graph": FAMILY_GRAPH_LABELS[FamilyGraph(graph)]}


def scope_words(scope: EdgeScope) -> str:
    """The scope's model part in words, for captions."""
    if not scope.model:
        return "every model"
    graph = FAMILY_GRAPH_LABELS[FamilyGraph(scope.graph)]
    if ScopeKind(scope.kind) is ScopeKind.DESCENDANTS:
        return f"the descendants of {code(scope.model, 120)} ({graph})"
    return f"the family of {code(scope.model, 120)} ({graph})"


def edge_scope_controls(path: str, prefix: str, relations: list[str], help: str | None = None) -> EdgeScope:
    """A model scope (``model_scope_controls``), edge type and child-creation dates, URL-bound under
    ``<prefix>_model|scope|graph|relation|from|to``.

    ``relations`` lists the edge-type choices, the first being the default (``ALL_EDGES`` for no restriction).
    Returns the ``EdgeScope`` they describe, which caches take as it is.
    """
    model, kind, graph = model_scope_controls(path, prefix, st.columns([3, 2, 2]))
    c = st.columns([3, 2, 2])
    relation = c[0].selectbox("Edge type", relations, key=f"{prefix}_relation", bind="query-params", help=help)
    since = c[1].date_input("Child created from", value=None, min_value=dt.date(2015, 1, 1), key=f"{prefix}_from",
                            bind="query-params")
    until = c[2].date_input("Child created until", value=None, min_value=dt.date(2015, 1, 1), key=f"{prefix}_to",
                            bind="query-params")
    relation = relation or relations[0]
    return EdgeScope(model=model, kind=kind, graph=graph, relation=None if relation == ALL_EDGES else Relation(relation),
                     created_from=since or None, created_to=until or None)
