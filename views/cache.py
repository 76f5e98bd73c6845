"""Every Streamlit caching wrapper, in one place.

``st.cache_resource`` holds one DuckDB connection per bundle (each run queries
through its own cursor, as DuckDB requires across threads); ``st.cache_data``
holds small query results keyed by scalars.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import streamlit as st

from core.evolution import overview
from core.bundle import Bundle, list_bundles, open_bundle
from core.licenses import connect
from core.errors import BundleError
from core.evolution.sampling import sample_pairs
from core.evolution.traits import DriftTrait, Relative, TextTrait

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUNDLE = ROOT / "data" / "demo"


def bundle_roots() -> list[Path]:
    """Folders searched for bundles: data/, bundles/ and PHYLO_BUNDLES (os.pathsep-separated)."""
    extra = [Path(p) for p in os.environ.get("PHYLO_BUNDLES", "").split(os.pathsep) if p]
    return [ROOT / "data", ROOT / "bundles", *extra]


@st.cache_data(ttl=60, show_spinner=False)
def remote_bundle():
    """The bundle the Space was told to fetch (PHYLO_BUNDLE_REPO) and whether it is here; None when none was."""
    from core.hub.fetch import read_status

    status = read_status()
    if status is not None and status.ok and not (Path(status.path) / "manifest.json").is_file():
        return dataclasses.replace(status, ok=False, reason=f"its files are gone from {status.path}")
    return status


@st.cache_data(ttl=60, show_spinner=False)
def available_bundles() -> dict[str, str]:
    """Bundle name → folder: the fetched Hub bundle first, then PHYLO_BUNDLE, the demo and the bundle folders."""
    found: dict[str, str] = {}
    remote = remote_bundle()
    if remote is not None and remote.ok:
        found[remote.repo.split("/")[-1]] = str(Path(remote.path).resolve())
    first = os.environ.get("PHYLO_BUNDLE")
    paths = ([Path(first)] if first else []) + [DEFAULT_BUNDLE] + [p for r in bundle_roots() for p in list_bundles(r)]
    for path in paths:
        if (path / "manifest.json").is_file():
            found.setdefault(path.name, str(path.resolve()))
    return found


@st.cache_resource(show_spinner="Loading bundle…", max_entries=3)
def _bundle_and_connection(path: str) -> tuple[Bundle, object]:
    bundle = open_bundle(path)
    return bundle, connect(bundle)


def bundle(path: str) -> Bundle:
    return _bundle_and_connection(path)[0]


def cursor(path: str):
    """A cursor of the shared connection, private to this run (thread-safe use of DuckDB)."""
    return _bundle_and_connection(path)[1].cursor()


@st.cache_data(show_spinner=False, max_entries=64)
def summary(path: str) -> overview.Summary:
    return overview.summary(cursor(path))


@st.cache_data(show_spinner=False, max_entries=64)
def edge_mix(path: str):
    return overview.edge_mix(cursor(path))


@st.cache_data(show_spinner=False, max_entries=64)
def largest_families(path: str, graph: str, limit: int):
    return overview.largest_families(cursor(path), overview.FamilyGraph(graph), limit)


@st.cache_data(show_spinner=False, max_entries=64)
def trait_shares(path: str, trait: str, limit: int):
    return overview.trait_shares(cursor(path), overview.Trait(trait), limit)


@st.cache_data(show_spinner=False, max_entries=64)
def models_per_month(path: str, split: str):
    return overview.models_per_month(cursor(path), overview.TimeSplit(split))


__all__ = ["BundleError", "available_bundles", "bundle", "cursor", "summary", "edge_mix", "largest_families",
           "trait_shares", "models_per_month"]


# ---- the map ---------------------------------------------------------------------------------

STATIC = ROOT / "static"


def _bundle_key(path: str) -> str:
    import hashlib

    manifest = (Path(path) / "manifest.json").read_bytes()
    return hashlib.sha1(path.encode() + manifest).hexdigest()[:12]


def has_map(path: str) -> bool:
    return bundle(path).table_path("points").is_file()


@st.cache_resource(show_spinner=False, max_entries=3)
def map_geometry(path: str) -> dict:
    """Grid coordinates (2D and 3D), the drawing order and model ids; shared read-only by all sessions."""
    import numpy as np

    from core import atlas
    con = cursor(path)
    pts = atlas.map_points(con)
    gx, gy, grid = atlas.grid_coordinates(pts["x"].to_numpy(), pts["y"].to_numpy())
    g3 = atlas.grid_coordinates_3d(np.stack([pts[c].to_numpy() for c in ("x3", "y3", "z3")], axis=1))
    # Ids stay one Arrow array (~40 bytes a model), not a Python string per model: 1.86M strings would be ~150 MB.
    return {"gx": gx, "gy": gy, "g3": g3, "grid": grid,
            "order": atlas.draw_order(pts["downloads"].to_numpy().astype(np.int64)),
            "ids": pts["model_id"].combine_chunks(), "key": _bundle_key(path)}


def warm(path: str) -> None:
    """Build the shared map state with the bundle, once per server: Map and Growth need it, and at 1.86M models
    it takes seconds that no page's first render should pay. A failure is left to the page that needs it."""
    try:
        if has_map(path):
            map_geometry(path)
            hover_files(path)
    except Exception:  # noqa: BLE001 — the page that opens this bundle reports what is wrong, in one line
        pass


def rows_of(path: str, model_ids) -> dict[str, int]:
    """Bundle row of each given model id that exists (one DuckDB lookup, not a scan of the id list)."""
    found = cursor(path).execute("SELECT model_id, rowid FROM models WHERE model_id IN (SELECT unnest(?::VARCHAR[]))",
                                 [list(model_ids)]).fetchall()
    return {m: int(r) for m, r in found}


@st.cache_resource(show_spinner=False, max_entries=16)
def point_codes(path: str, color_by: str, size_by: str):
    """(colour code, size code, legend) per model in bundle order; shared read-only."""
    from core import atlas
    con = cursor(path)
    codes, legend = atlas.color_codes(con, atlas.ColorBy(color_by))
    return codes, atlas.size_codes(con, atlas.SizeBy(size_by)), legend


def _static_file(geo: dict, name: str, write) -> str:
    """URL of a point file under static/, written once (atomically) by ``write(path)``."""
    target = STATIC / "points" / geo["key"] / name
    if not target.exists():
        write(target)
    return f"app/static/points/{geo['key']}/{name}"


@st.cache_data(show_spinner="Preparing the map…", max_entries=32)
def map_files(path: str, color_by: str, size_by: str, three_d: bool, with_time: bool = False) -> dict:
    """The binary point files of a view (positions, colour codes, size codes, creation days) and the legend.

    Files are named by content version and view, so browsers may cache them; the map component fetches each once.
    """
    from core import atlas
    geo = map_geometry(path)
    order = geo["order"]
    codes, sizes, legend = point_codes(path, color_by, size_by)
    if three_d:
        pos = _static_file(geo, "v4-xyz.u16", lambda t: atlas.write_array(t, atlas.interleave(*(g[order] for g in geo["g3"])), "u2"))
    else:
        pos = _static_file(geo, "v4-xy.u16", lambda t: atlas.write_array(t, atlas.interleave(geo["gx"][order], geo["gy"][order]), "u2"))
    files = {"position_url": pos,
             "color_url": _static_file(geo, f"v4-c-{color_by}.u8", lambda t: atlas.write_array(t, codes[order], "u1")),
             "size_url": None if size_by == atlas.SizeBy.NONE else
             _static_file(geo, f"v4-s-{size_by}.u8", lambda t: atlas.write_array(t, sizes[order], "u1")),
             "time_url": _static_file(geo, "v4-t.u16", lambda t: atlas.write_array(
                 t, atlas.created_days(cursor(path))[order], "u2")) if with_time else None}
    files["bytes"] = sum((ROOT / u.removeprefix("app/")).stat().st_size for u in files.values() if u)
    colored = legend[legend["category"] != "other"]
    return {"files": files, "legend": legend, "n_colors": len(colored), "palette": [list(map(int, c)) for c in colored["rgb"]]}


def has_labels(path: str) -> bool:
    return bundle(path).table_path("labels").is_file()


@st.cache_data(show_spinner=False, max_entries=8)
def map_labels(path: str) -> list[dict]:
    """The map's label hierarchy with grid positions in 2D and 3D (a few hundred rows), for the map component."""
    if not has_labels(path):
        return []
    from core import atlas
    geo = map_geometry(path)
    con = cursor(path)
    t = con.execute("SELECT level, label, size, anchor FROM labels ORDER BY level, size DESC, cluster").df()
    # A second layer: the roots of the largest families, where their root model sits (shown by a toggle).
    roots = con.execute(f"SELECT {atlas.FAMILY_LEVEL} AS level, family AS label, size, family AS anchor FROM families "
                        "WHERE size > 1 ORDER BY size DESC, family LIMIT 15").df()
    rows = rows_of(path, t["anchor"].tolist() + roots["anchor"].tolist())
    out = []
    for r in [*t.itertuples(), *roots.itertuples()]:
        row = rows.get(r.anchor)
        if row is None:
            continue
        family = r.level == atlas.FAMILY_LEVEL
        out.append({"level": int(r.level), "text": atlas.short_label(r.label, 1) if family else atlas.short_label(r.label),
                    "title": f"family of {r.label}" if family else r.label, "n": int(r.size),
                    "xy": [int(geo["gx"][row]), int(geo["gy"][row])], "xyz": [int(g[row]) for g in geo["g3"]]})
    return out


@st.cache_data(show_spinner=False, max_entries=4)
def hover_files(path: str) -> dict:
    """Hover facts for the browser in draw-order chunks of ``atlas.HOVER_CHUNK`` (written once per bundle version):
    the component fetches the chunk of a point the first time one of its points is hovered."""
    from core import atlas
    geo = map_geometry(path)
    folder = STATIC / "points" / geo["key"] / f"hover-{atlas.HOVER_CHUNK}"
    done = folder / "complete"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        for i, blob in atlas.hover_chunks(atlas.hover_table(cursor(path)), geo["order"]):
            atlas.write_bytes(folder / f"h{i}.json", blob)
        done.write_text("ok")
    return {"hover_url": f"app/static/points/{geo['key']}/{folder.name}/h", "hover_chunk": atlas.HOVER_CHUNK}


@st.cache_data(show_spinner=False, max_entries=16)
def selection(path: str, polygon: str, top: int = 200) -> dict:
    """The models inside a URL polygon (``atlas.format_polygon``) on the 2D map, and their summary.
    Rows are kept as uint32 (7 MB for all 1.86M models), few entries: each is copied on a hit."""
    import numpy as np

    from core import atlas
    geo = map_geometry(path)
    rows = atlas.points_in_polygon(geo["gx"], geo["gy"], atlas.parse_polygon(polygon)).astype(np.uint32)
    return {"rows": rows, **atlas.selection_summary(cursor(path), rows, top=top)}


def selection_csv(path: str, polygon: str) -> bytes:
    """Every selected model as CSV, made when the button is pressed and not kept (it can be ~200 MB)."""
    from core import atlas
    return atlas.selection_rows(cursor(path), selection(path, polygon)["rows"]).to_csv(index=False).encode()


@st.cache_data(show_spinner=False, max_entries=64)
def matching(path: str, polygon: str = "", **filter_fields) -> dict:
    """Rows passing a filter (and inside ``polygon``, a URL selection, when given) and the same as one bit per
    drawn point (base64, for the map component)."""
    import base64
    import hashlib

    import numpy as np

    from core import atlas
    f = atlas.MapFilter(**filter_fields)
    rows = atlas.matching_rows(cursor(path), f)
    if polygon:
        rows = np.intersect1d(rows, selection(path, polygon)["rows"], assume_unique=True)
    bits = atlas.mask_bits(rows, map_geometry(path)["order"]) if has_map(path) else b""
    # The bundle is part of the digest: the map component keeps a mask until the digest changes.
    return {"count": len(rows), "mask": base64.b64encode(bits).decode(),
            "digest": hashlib.sha1(repr((_bundle_key(path), polygon, sorted(filter_fields.items()))).encode()).hexdigest()[:12]}


@st.cache_data(show_spinner=False, max_entries=256)
def model_details(path: str, model_id: str):
    from core import atlas
    return atlas.model_details(cursor(path), model_id)


@st.cache_data(show_spinner=False, max_entries=256)
def family_segments(path: str, model_id: str):
    from core import atlas
    return atlas.family_segments(cursor(path), model_id)


@st.cache_data(show_spinner=False, max_entries=256)
def search_ids(path: str, query: str):
    from core import atlas
    return atlas.search_ids(cursor(path), query)


@st.cache_data(show_spinner=False, max_entries=64)
def distributions(path: str, **filter_fields):
    from core import atlas
    return atlas.distributions(cursor(path), atlas.MapFilter(**filter_fields))


@st.cache_data(show_spinner=False, max_entries=8)
def cluster_table(path: str):
    return cursor(path).execute("SELECT * FROM clusters ORDER BY cluster").df()


@st.cache_resource(show_spinner="Loading the search index…", max_entries=2)
def vector_index(path: str):
    import numpy as np

    from core.atlas.embedding import VectorIndex

    return VectorIndex(np.load(Path(path) / "embeddings.npy", mmap_mode="r"))


@st.cache_resource(show_spinner="Loading the embedding model…", max_entries=3)
def encoder(backend: str):
    """The query encoder of one backend; a bundle's queries must use the backend its vectors came from."""
    from core.atlas.embedding import load_encoder

    return load_encoder(backend)


def map_backend(path: str) -> str:
    """The backend that embeds queries in the space of the bundle's vectors, as its manifest records it
    (``map.query_backend``; before it, ``map.backend``; older bundles: int8 ONNX MiniLM)."""
    recorded = bundle(path).manifest.get("map") or {}
    return str(recorded.get("query_backend") or recorded.get("backend") or "onnx-int8")


@st.cache_resource(show_spinner="Loading the projection…", max_entries=2)
def projector(path: str) -> dict:
    import joblib

    return joblib.load(Path(path) / "projection.joblib")


@st.cache_data(show_spinner=False, max_entries=256)
def nearest_to_text(path: str, text: str, k: int = 15):
    """Models nearest to a free text (the query is embedded like a model's text)."""
    vec = encoder(map_backend(path)).encode([text])[0]
    rows, scores = vector_index(path).search(vec, k)
    ids = map_geometry(path)["ids"]
    return list(zip(ids.take(rows).to_pylist(), scores.astype(float).tolist())), vec


@st.cache_data(show_spinner=False, max_entries=256)
def nearest_to_model(path: str, model_id: str, k: int = 15):
    geo = map_geometry(path)
    row = rows_of(path, [model_id]).get(model_id)
    if row is None:
        return []
    index = vector_index(path)
    rows, scores = index.search(index.vector(row), k, exclude=row)
    return list(zip(geo["ids"].take(rows).to_pylist(), scores.astype(float).tolist()))


@st.cache_data(show_spinner=False, max_entries=64)
def place_text(path: str, text: str) -> tuple[float, float]:
    """Where a new model's text lands on the map (the fitted reducer's transform), in grid units."""
    from core import atlas
    from core.atlas.projection import place_new

    vec = encoder(map_backend(path)).encode([text])
    xy = place_new(projector(path), vec)[0]
    gx, gy = atlas.to_grid([xy[0]], [xy[1]], map_geometry(path)["grid"])
    return int(gx[0]), int(gy[0])


@st.cache_data(show_spinner=False, max_entries=1024)
def positions(path: str, model_ids: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """Grid positions of a few models."""
    geo = map_geometry(path)
    rows = rows_of(path, model_ids)
    out = [(m, int(geo["gx"][rows[m]]), int(geo["gy"][rows[m]])) for m in model_ids if m in rows]
    return out


# ---- family trees ------------------------------------------------------------------------------

@st.cache_resource(show_spinner="Reading the family…", max_entries=16)
def family(path: str, model_id: str):
    """The family of a model (models and edges), shared read-only."""
    from core.lineage.family import load_family

    return load_family(cursor(path), model_id)


@st.cache_data(show_spinner=False, max_entries=16)
def family_summary(path: str, model_id: str) -> dict:
    from core.lineage.family import summary

    fam = family(path, model_id)
    return summary(fam) if fam is not None else {}


@st.cache_data(show_spinner=False, max_entries=16)
def family_relaxing(path: str, model_id: str):
    from core.licenses.audit import relaxing_edges

    fam = family(path, model_id)
    return relaxing_edges(fam) if fam is not None else None


@st.cache_data(show_spinner=False, max_entries=32)
def top_values(path: str, column: str, limit: int = 60) -> list[str]:
    """The most common values of a model column (task or library), for filter menus."""
    if column not in ("pipeline_tag", "library_name"):
        raise ValueError(column)
    rows = cursor(path).execute(f"SELECT {column} FROM models WHERE {column} IS NOT NULL GROUP BY 1 "
                                "ORDER BY count(*) DESC, 1 LIMIT ?", [int(limit)]).fetchall()
    return [r[0] for r in rows]


# ---- resemblance and drift ---------------------------------------------------------------------

def _edge_scope(family: str | None = None, relation: str | None = None, task: str | None = None,
                created_from=None, created_to=None):
    """The EdgeScope of the given scalar fields (cache keys stay scalars; the frozen dataclass is rebuilt here)."""
    from core.lineage import Relation
    from core.lineage.scope import EdgeScope

    return EdgeScope(family=family or None, relation=Relation(relation) if relation else None, task=task or None,
                     created_from=created_from, created_to=created_to)


def has_cards(path: str) -> bool:
    """Whether the bundle carries model card text (the Hub listing does not)."""
    return bundle(path).table_path("cards").is_file()


@st.cache_data(show_spinner=False, max_entries=256)
def is_family(path: str, family: str) -> bool:
    """Whether ``family`` is the root id of a family of two or more models."""
    return cursor(path).execute("SELECT count(*) FROM families WHERE family = ?", [family]).fetchone()[0] > 0


@st.cache_data(show_spinner="Sampling relatives and comparing their texts…", max_entries=32)
def resemblance(path: str, trait: str, family: str | None = None, relation: str | None = None,
                task: str | None = None):
    """§3 resemblance of a trait in a scope: precomputed for the whole bundle (resemblance.parquet), else computed
    with the bundle's vectorisers."""
    from core.evolution import resemblance as res
    scope = _edge_scope(family, relation, task)
    con = cursor(path)
    if not scope.active and bundle(path).table_path("resemblance").is_file():
        df = con.execute("SELECT relative, measure, mean, ci_low, ci_high, n, distinct_pairs FROM resemblance "
                         "WHERE trait = ? ORDER BY rowid", [TextTrait(trait).value]).df()
        if len(df):
            return df
    return res.resemblance(con, TextTrait(trait), scope, vectorisers=vectorisers(path).get(TextTrait(trait)))


@st.cache_resource(show_spinner="Reading the text vectorisers…", max_entries=2)
def vectorisers(path: str) -> dict:
    """Each trait's BoW and TF-IDF vectorisers, one per bundle (stored by precompute); shared read-only."""
    from core.evolution import resemblance as res
    return {t: res.bundle_vectorisers(cursor(path), t) for t in TextTrait}


@st.cache_data(show_spinner="Comparing the two models…", max_entries=64)
def compare(path: str, model_a: str, model_b: str):
    from core.evolution import resemblance as res
    return res.compare(cursor(path), model_a, model_b, vectorisers=vectorisers(path))


@st.cache_data(show_spinner="Drawing a pair…", max_entries=64)
def relative_pair(path: str, trait: str, relative: str, seed: int, family: str | None = None,
                  relation: str | None = None, task: str | None = None) -> tuple[str, str] | None:
    """One pair of models related as ``relative`` in a scope, drawn with ``seed``; None when there is none."""
    pairs = sample_pairs(cursor(path), TextTrait(trait), _edge_scope(family, relation, task), draws=1,
                             seed=seed)[Relative(relative)]
    return (str(pairs["a"].iloc[0]), str(pairs["b"].iloc[0])) if len(pairs) else None


@st.cache_data(show_spinner=False, max_entries=64)
def mutation_rates(path: str, family: str | None = None, relation: str | None = None, created_from=None,
                   created_to=None):
    from core.evolution import drift
    return drift.mutation_rates(cursor(path), _edge_scope(family, relation, None, created_from, created_to))


@st.cache_data(show_spinner="Finding the best ordering…", max_entries=64)
def transitions(path: str, trait: str, top_n: int, family: str | None = None, relation: str | None = None,
                created_from=None, created_to=None) -> dict:
    """The best ordering of a trait's top values and the flows among them (``ordering``, ``flows``)."""
    from core.evolution import drift
    con = cursor(path)
    scope = _edge_scope(family, relation, None, created_from, created_to)
    flows = drift.transition_flows(con, DriftTrait(trait), scope)
    ordering = drift.best_ordering(flows, top_n, drift.trait_frequencies(con, DriftTrait(trait), scope))
    values = set(ordering.order)
    among = flows[flows["source"].isin(values) & flows["target"].isin(values)].reset_index(drop=True)
    return {"ordering": ordering, "flows": among}


@st.cache_data(show_spinner=False, max_entries=64)
def numerical_drift(path: str, by: str, family: str | None = None, relation: str | None = None, created_from=None,
                    created_to=None):
    from core.evolution import drift
    return drift.numerical_drift(cursor(path), _edge_scope(family, relation, None, created_from, created_to), by=by or None)


# ---- licenses and growth ----------------------------------------------------------------------

@st.cache_data(show_spinner="Checking license inheritance…", max_entries=32)
def license_edges(path: str, family: str | None = None, relation: str | None = None, created_from=None,
                  created_to=None):
    """Every in-snapshot edge in scope with both ends' license classes and whether the child relaxes them."""
    from core import licenses
    return licenses.license_edges(cursor(path), _edge_scope(family, relation, None, created_from, created_to))


@st.cache_data(show_spinner=False, max_entries=8)
def license_class_counts(path: str):
    from core import licenses
    return licenses.class_counts(cursor(path))


@st.cache_data(show_spinner=False, max_entries=32)
def license_families(path: str, family: str | None = None, relation: str | None = None, created_from=None,
                     created_to=None):
    """Relaxing edges per family in scope (from the cached edges)."""
    from core import licenses
    return licenses.family_relaxations(license_edges(path, family, relation, created_from, created_to))


@st.cache_data(show_spinner="Judging every edge's licenses…", max_entries=32)
def verdict_edges(path: str, family: str | None = None, relation: str | None = None, created_from=None,
                  created_to=None):
    """Every in-snapshot edge in scope with its compliance verdict and reasons (core.compliance)."""
    from core import licenses
    return licenses.verdict_edges(cursor(path), _edge_scope(family, relation, None, created_from, created_to))


@st.cache_data(show_spinner="Following violations down the lineages…", max_entries=4)
def model_verdicts(path: str):
    from core import licenses
    return licenses.model_verdicts(cursor(path))


@st.cache_data(show_spinner=False, max_entries=256)
def license_chain(path: str, model_id: str):
    from core import licenses
    return licenses.license_chain(cursor(path), model_id)


@st.cache_data(show_spinner=False, max_entries=32)
def license_transitions(path: str, family: str | None = None, relation: str | None = None, created_from=None,
                        created_to=None):
    from core import licenses
    return licenses.transitions(license_edges(path, family, relation, created_from, created_to))


@st.cache_data(show_spinner=False, max_entries=32)
def monthly_growth(path: str, split: str, top: int = 8):
    from core.evolution import growth
    return growth.monthly_growth(cursor(path), overview.TimeSplit(split), top)


@st.cache_data(show_spinner=False, max_entries=32)
def family_growth(path: str, graph: str, families: int):
    from core.evolution import growth
    return growth.family_growth(cursor(path), overview.FamilyGraph(graph), families)


@st.cache_data(show_spinner=False, max_entries=8)
def created_months(path: str) -> dict:
    """The first and last creation dates of the bundle, and how many models have none."""
    from core.evolution import growth
    return growth.created_span(cursor(path))


@st.cache_data(show_spinner=False, max_entries=256)
def created_by(path: str, day) -> int:
    from core.evolution import growth
    return growth.created_by(cursor(path), day)
