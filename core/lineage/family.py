"""Family trees: a model's whole lineage, pruned to stay readable, summarised and exported.

The family of a model is read from the bundle (DuckDB), then walked in Python:
families have at most tens of thousands of models, and the walks are safe on
cycles. Pruning keeps the top-k children of each node by downloads and folds the
rest into a "+N more" node that the user can expand.
"""

from __future__ import annotations

import io
import json
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

import pandas as pd

from core.bundle import pandas_rows
from core.lineage.graph import lineage_of, walk
from core.lineage.types import FamilyGraph

__all__ = ["Scope", "FamilyData", "load_family", "Descendants", "descendants", "descendants_summary", "FamilyOutline", "outline", "group_members", "lineage_of", "PrunedTree", "prune", "more_node_id", "summary",
           "to_csv", "to_graphml", "to_json", "from_json", "table_selection_to_model", "has_model"]

MORE_PREFIX = "more::"


class Scope(str, Enum):
    LINEAGE = "lineage"  # ancestors and descendants of the model
    FAMILY = "family"  # every model of its family


@dataclass(frozen=True)
class FamilyData:
    """Models and in-snapshot edges of one family."""

    family: str
    models: pd.DataFrame  # model_id, downloads, likes, created_at, pipeline_tag, library_name, license_class, depth, n_descendants
    edges: pd.DataFrame  # parent, child, relation, relation_source, relation_confidence (1 when declared)


def load_family(con, model_id: str, graph: FamilyGraph = FamilyGraph.NO_MERGE) -> FamilyData | None:
    """The family of ``model_id`` on the ``graph`` variant (None if the model is not in the bundle). Merge edges
    from other families into its models come with it; the tree draws only edges inside the family."""
    column = FamilyGraph(graph).column
    row = con.execute(f"SELECT {column} FROM models WHERE model_id = ?", [model_id]).fetchone()
    if row is None:
        return None
    family = row[0]
    models = pandas_rows(con, f"""
        SELECT model_id, downloads, likes, created_at, pipeline_tag, library_name, license_class, licenses, depth,
               n_children, n_descendants
        FROM models WHERE {column} = ? ORDER BY downloads DESC, model_id""", [family])
    edges = pandas_rows(con, f"""
        SELECT e.parent, e.child, e.relation, e.relation_source, e.relation_confidence
        FROM edges e JOIN models c ON c.model_id = e.child
        WHERE e.parent_in_snapshot AND c.{column} = ? ORDER BY e.parent, e.child""", [family])
    return FamilyData(family=family, models=models, edges=edges)


@dataclass(frozen=True)
class Descendants:
    """A model and everything made from it on a graph variant, generation by generation."""

    model_id: str
    graph: FamilyGraph
    models: pd.DataFrame  # model_id, generation (1 = children), downloads, license_class, n_descendants
    edges: pd.DataFrame  # parent, child, relation, relation_source, relation_confidence: every edge walked


def descendants(con, model_id: str, graph: FamilyGraph = FamilyGraph.NO_MERGE, max_generations: int = 64) -> Descendants:
    """Walk down from ``model_id`` one generation a query (cycle-safe: a model is met once, at its nearest
    generation); the edges walked are those of ``graph``."""
    graph = FamilyGraph(graph)
    seen, frontier, frames, edge_frames = {model_id}, [model_id], [], []
    for generation in range(1, max_generations + 1):
        found = pandas_rows(con, f"""
            SELECT e.parent, e.child, e.relation, e.relation_source, e.relation_confidence
            FROM edges e WHERE e.parent_in_snapshot AND {graph.edge_condition('e')}
              AND e.parent IN (SELECT unnest(?::VARCHAR[])) ORDER BY e.parent, e.child""", [frontier])
        if found.empty:
            break
        edge_frames.append(found)
        frontier = [c for c in dict.fromkeys(found["child"]) if c not in seen]
        seen.update(frontier)
        frames.append(pd.DataFrame({"model_id": frontier, "generation": generation}))
        if not frontier:
            break
    edges = (pd.concat(edge_frames, ignore_index=True).drop_duplicates(["parent", "child"]) if edge_frames
             else pd.DataFrame(columns=["parent", "child", "relation", "relation_source", "relation_confidence"]))
    models = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"model_id": [], "generation": []})
    facts = pandas_rows(con, "SELECT model_id, downloads, license_class, n_descendants FROM models "
                             "WHERE model_id IN (SELECT unnest(?::VARCHAR[]))", [models["model_id"].tolist()])
    models = models.merge(facts, on="model_id", how="left").sort_values(["generation", "downloads"],
                                                                       ascending=[True, False]).reset_index(drop=True)
    return Descendants(model_id=model_id, graph=graph, models=models, edges=edges)


def descendants_summary(d: Descendants) -> dict:
    """How many models descend, over how many generations, by which relations, and the most downloaded of them."""
    m = d.models
    return {
        "size": len(m),
        "generations": int(m["generation"].max()) if len(m) else 0,
        "per_generation": m.groupby("generation").size().rename("models").reset_index(),
        "relations": d.edges.groupby(["relation", "relation_source"]).size().rename("edges").reset_index(),
        "top_downloads": m.nlargest(10, "downloads")[["model_id", "generation", "downloads"]],
    }


def more_node_id(parent: str) -> str:
    return MORE_PREFIX + parent


@dataclass(frozen=True)
class PrunedTree:
    nodes: list[str]  # real models shown
    edges: list[tuple[str, str]]  # (parent, child) among shown nodes
    more: dict[str, int] = field(default_factory=dict)  # parent -> children folded into its "+N more" node
    hidden: int = 0  # models of the scope not shown


def prune(nodes: set[str], edges: list[tuple[str, str]], downloads: dict[str, int], focus: str, k: int = 8,
          max_depth: int = 6, expanded: frozenset[str] = frozenset(), cap: int = 400, budget: int = 300) -> PrunedTree:
    """Keep a readable tree: from the roots of ``nodes``, each node shows its top-``k`` children by downloads
    (all of them, up to ``cap``, once expanded), down to ``max_depth`` generations below the roots, and at
    most ``budget`` models in all (generation by generation, so the browser never gets a hairball);
    the path from the roots to ``focus`` is always shown. A parent's children that are drawn nowhere are
    counted in its "+N more".

    >>> t = prune({"r", "a", "b", "c"}, [("r", "a"), ("r", "b"), ("r", "c")], {"a": 3, "b": 2, "c": 1}, "r", k=2)
    >>> t.nodes, t.more
    (['r', 'a', 'b'], {'r': 1})
    """
    children: dict[str, list[str]] = {}
    parents: dict[str, list[str]] = {}
    for p, c in edges:
        if p in nodes and c in nodes and p != c:
            children.setdefault(p, []).append(c)
            parents.setdefault(c, []).append(p)
    for p in children:
        children[p].sort(key=lambda c: (-downloads.get(c, 0), c))
    must = {focus, *walk(focus, parents)} if focus in nodes else set()  # focus and its ancestors
    roots = sorted((n for n in nodes if not parents.get(n)), key=lambda n: (-downloads.get(n, 0), n))
    if not roots:  # a family that is one big cycle: start at the focus
        roots = [focus] if focus in nodes else sorted(nodes)[:1]
    # Families joined by merges can have thousands of roots: keep the top-k and those above the focus.
    roots = roots[:k] + [r for r in roots[k:] if r in must]
    shown: dict[str, int] = {}
    queue = deque()
    for r in roots:
        shown[r] = 0
        queue.append(r)
    for m in must:  # make sure the focus path survives depth and top-k limits
        shown.setdefault(m, 0)
    processed: list[str] = []
    while queue:
        node = queue.popleft()
        depth = shown[node]
        kids = children.get(node, [])
        if not kids:
            continue
        processed.append(node)
        limit = cap if node in expanded else k
        room = max(budget - len(shown), 0) if node not in expanded else limit
        visible = [c for c in kids[:min(limit, room)] if c not in shown or c in must] if depth < max_depth else []
        visible += [c for c in kids if c in must and c not in visible]
        for c in visible:
            if c not in shown:
                shown[c] = depth + 1
                queue.append(c)
            elif c in must and shown[c] == 0 and c not in roots:
                shown[c] = depth + 1
                queue.append(c)
    shown_set = set(shown)
    # Folded: a parent's children that are not drawn anywhere (one drawn through another parent is not folded).
    more = {node: folded for node in processed
            if (folded := sum(c not in shown_set for c in children[node]))}
    kept_edges = [(p, c) for p, c in edges if p in shown_set and c in shown_set and p != c]
    order = sorted(shown, key=lambda n: (shown[n], -downloads.get(n, 0), n))
    return PrunedTree(nodes=order, edges=kept_edges, more=more, hidden=len(nodes) - len(shown_set))


def summary(fam: FamilyData) -> dict:
    """Size, depth, generations, relation and license mix, top descendants and growth of a family."""
    m = fam.models
    gens = m["depth"].fillna(-1).astype(int).value_counts().sort_index()
    created = m.dropna(subset=["created_at"]).sort_values("created_at")
    growth = pd.DataFrame({"month": created["created_at"].dt.tz_convert(None).dt.to_period("M").dt.to_timestamp()})
    growth = growth.groupby("month").size().cumsum().rename("models").reset_index()
    return {
        "size": len(m),
        "depth": int(m["depth"].max()) if m["depth"].notna().any() else 0,
        "generations": gens.rename(index={-1: "in a cycle"}).rename("models").reset_index().rename(columns={"depth": "generation"}),
        "relations": fam.edges.groupby(["relation", "relation_source"]).size().rename("edges").reset_index(),
        "licenses": m["license_class"].value_counts().rename("models").reset_index(),
        "top_downloads": m.nlargest(10, "downloads")[["model_id", "downloads"]],
        "top_descendants": m.nlargest(10, "n_descendants")[["model_id", "n_descendants"]],
        "growth": growth,
    }


@dataclass(frozen=True)
class FamilyOutline:
    """A family too large to draw model by model, as groups: its models by generation and by how they came in."""

    groups: pd.DataFrame  # group, generation, relation, models, top (its most downloaded model), downloads
    links: pd.DataFrame  # source, target (group names), edges


_CAME_IN = {"merge": 4, "adapter": 3, "quantized": 2, "finetune": 1}  # a model with several parents: the strongest


def _grouped(fam: FamilyData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each model with its group (generation × how it came in, and that edge's parent), most downloaded first;
    and the family's edges inside it."""
    m = fam.models[["model_id", "downloads", "depth", "license_class"]].copy()
    ids = set(m["model_id"])
    inside = fam.edges[fam.edges["parent"].isin(ids) & fam.edges["child"].isin(ids)]
    came = (inside.assign(rank=inside["relation"].map(_CAME_IN).fillna(1)).sort_values(["rank", "parent"],
                                                                                      ascending=[False, True])
            .drop_duplicates("child").set_index("child"))
    m["relation"] = m["model_id"].map(came["relation"]).fillna("root")
    m["parent"] = m["model_id"].map(came["parent"])
    m["generation"] = m["depth"].astype("Int64").astype(str).replace("<NA>", "in a cycle")
    m["group"] = m["generation"].map(lambda g: f"gen {g}" if g != "in a cycle" else g) + " · " + m["relation"]
    return m.sort_values(["downloads", "model_id"], ascending=[False, True]), inside


def outline(fam: FamilyData) -> FamilyOutline:
    """Group a family's models by generation (``depth``; cycles apart) × the relation that brought each in
    ("root" for models without a parent in the family), and count the edges between groups."""
    m, inside = _grouped(fam)
    groups = (m.groupby("group", sort=False).agg(generation=("generation", "first"), relation=("relation", "first"),
                                                 models=("model_id", "size"), top=("model_id", "first"),
                                                 downloads=("downloads", "sum")).reset_index())
    order = groups["generation"].map(lambda g: int(g) if g.isdigit() else 10**6)
    groups = groups.assign(_o=order).sort_values(["_o", "models"], ascending=[True, False]).drop(columns="_o")
    group_of = dict(zip(m["model_id"], m["group"]))
    links = (inside.assign(source=inside["parent"].map(group_of), target=inside["child"].map(group_of))
             .groupby(["source", "target"]).size().rename("edges").reset_index())
    return FamilyOutline(groups=groups.reset_index(drop=True), links=links)


def group_members(fam: FamilyData, group: str, limit: int = 200) -> pd.DataFrame:
    """The models of one ``outline`` group, most downloaded first, with the parent that brought each in."""
    m, _ = _grouped(fam)
    return m[m["group"] == group].head(limit)[["model_id", "downloads", "parent", "license_class"]].reset_index(drop=True)


# ---- export ----------------------------------------------------------------------------------

_MODEL_EXPORT = ["model_id", "downloads", "likes", "created_at", "pipeline_tag", "library_name", "license_class", "depth"]


def _models_for_export(fam: FamilyData) -> pd.DataFrame:
    m = fam.models[_MODEL_EXPORT].copy()
    m["created_at"] = m["created_at"].astype(str).replace({"NaT": ""})
    m["depth"] = m["depth"].astype("Int64")
    return m


def to_csv(fam: FamilyData) -> tuple[str, str]:
    """(edges CSV, models CSV)."""
    return fam.edges.to_csv(index=False), _models_for_export(fam).to_csv(index=False)


def to_graphml(fam: FamilyData) -> str:
    """The family as GraphML (directed, parent → child), model attributes on nodes."""
    import networkx as nx

    g = nx.DiGraph(family=fam.family)
    for r in _models_for_export(fam).to_dict("records"):
        g.add_node(r.pop("model_id"), **{k: ("" if v is None or v is pd.NA else v) for k, v in r.items()})
    for p, c, rel, src in fam.edges[["parent", "child", "relation", "relation_source"]].itertuples(index=False):
        g.add_edge(p, c, relation=rel, relation_source=src)
    buf = io.BytesIO()
    nx.write_graphml(g, buf)
    return buf.getvalue().decode("utf-8")


def to_json(fam: FamilyData) -> str:
    m = _models_for_export(fam)
    m["depth"] = m["depth"].astype(object).where(m["depth"].notna(), None)
    return json.dumps({"family": fam.family, "models": m.to_dict("records"), "edges": fam.edges.to_dict("records")},
                      indent=1, default=str)


def from_json(text: str) -> FamilyData:
    data = json.loads(text)
    return FamilyData(family=data["family"], models=pd.DataFrame(data["models"]), edges=pd.DataFrame(data["edges"]))


def table_selection_to_model(selected_rows: list[int] | None, model_ids: list[str]) -> str | None:
    """The model id of the first selected row of a table of models, or None."""
    for i in selected_rows or []:
        if isinstance(i, int) and 0 <= i < len(model_ids):
            return model_ids[i]
    return None


def has_model(con, model_id: str) -> bool:
    """Whether the bundle holds ``model_id``."""
    return con.execute("SELECT count(*) FROM models WHERE model_id = ?", [model_id]).fetchone()[0] > 0
