"""The license audit: every edge with both ends' licenses, whether it relaxes its parent's class, and the verdict
of the rule engine (:mod:`core.licenses.compliance`), by edge, by model, by family and up a model's chain.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from core.bundle import pandas_rows
from core.licenses.classes import CLASS_ORDER, relaxes
from core.licenses.compliance import SEVERITY, Verdict, edge_lead, judge, named_agreement, resolve
from core.lineage.family import FamilyData
from core.lineage.scope import EdgeScope, edges_sql

__all__ = ["family_relaxations", "transitions", "class_counts", "license_edges", "verdict_edges", "model_verdicts",
           "family_verdicts", "license_chain", "relaxing_edges", "license_values", "filter_verdicts", "license_pairs", "verdict_mix",
           "class_matrix"]


_EDGE_COLUMNS = ["family", "parent", "child", "relation", "relation_source", "parent_licenses", "child_licenses",
                 "parent_class", "child_class", "relaxed", "child_created", "child_downloads"]


def license_edges(con, scope: EdgeScope = EdgeScope()) -> pd.DataFrame:
    """Every in-snapshot edge in ``scope`` with both ends' licenses and classes, and whether the child relaxes them.

    ``family`` is the child's family root; licenses are ", "-joined; sorted by
    family, then the child's downloads (most first).
    """
    sql, params = edges_sql(scope, """
        c.family, e.parent, e.child, e.relation, e.relation_source,
        array_to_string(coalesce(p.licenses, []), ', ') AS parent_licenses,
        array_to_string(coalesce(c.licenses, []), ', ') AS child_licenses,
        p.license_class AS parent_class, c.license_class AS child_class,
        c.created_at AS child_created, c.downloads AS child_downloads""")
    df = pandas_rows(con, f"SELECT * FROM ({sql}) ORDER BY family, child_downloads DESC NULLS LAST, child, parent",
                          params)
    df["relaxed"] = relaxes(df["parent_class"], df["child_class"])
    return df[_EDGE_COLUMNS]


def _arrow(parent_class: str, child_class: str) -> str:
    return f"{parent_class} → {child_class}"


def family_relaxations(edges: pd.DataFrame) -> pd.DataFrame:
    """Per family of ``license_edges`` output: edges, relaxing edges, their share and the most common relaxation.

    Most relaxing first; ties by edges, then family. ``most_common`` is None where nothing is relaxed.
    """
    columns = ["family", "edges", "relaxed", "share_relaxed", "most_common"]
    if edges.empty:
        return pd.DataFrame(columns=columns)
    out = edges.groupby("family", sort=True).agg(edges=("child", "size"), relaxed=("relaxed", "sum")).reset_index()
    kinds = (edges[edges["relaxed"]].groupby(["family", "parent_class", "child_class"]).size().rename("n").reset_index()
             .sort_values(["family", "n", "parent_class", "child_class"], ascending=[True, False, True, True])
             .drop_duplicates("family"))
    common = dict(zip(kinds["family"], map(_arrow, kinds["parent_class"], kinds["child_class"])))
    out["relaxed"] = out["relaxed"].astype("int64")
    out["share_relaxed"] = out["relaxed"] / out["edges"]
    # object dtype keeps None (not NaN) for families where nothing is relaxed
    out["most_common"] = pd.Series([common.get(f) for f in out["family"]], index=out.index, dtype=object)
    out = out.sort_values(["relaxed", "edges", "family"], ascending=[False, False, True]).reset_index(drop=True)
    return out[columns]


def transitions(edges: pd.DataFrame) -> pd.DataFrame:
    """``license_edges`` output counted by (parent class, child class); most frequent first, ties by class names."""
    out = edges.groupby(["parent_class", "child_class"]).size().rename("edges").reset_index()
    out["edges"] = out["edges"].astype("int64")
    return out.sort_values(["edges", "parent_class", "child_class"], ascending=[False, True, True]).reset_index(drop=True)


def class_matrix(counts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``transitions`` output as a parent × child class matrix of edges in ``CLASS_ORDER``, and each row's shares
    (NaN for a parent class with no edges)."""
    matrix = (counts.pivot_table(index="parent_class", columns="child_class", values="edges", aggfunc="sum", fill_value=0)
              .reindex(index=CLASS_ORDER, columns=CLASS_ORDER, fill_value=0))
    return matrix, matrix.div(matrix.sum(axis=1).where(lambda s: s > 0), axis=0)


def class_counts(con) -> pd.DataFrame:
    """Models per license class and the six most common licenses of each (``examples``), most models first."""
    return pandas_rows(con, """
        WITH l AS (SELECT license_class, unnest(licenses) AS license FROM models),
        counted AS (SELECT license_class, license, count(*) AS n FROM l GROUP BY license_class, license),
        top AS (SELECT * FROM counted QUALIFY row_number() OVER (PARTITION BY license_class ORDER BY n DESC, license) <= 6)
        SELECT m.license_class, m.models, string_agg(t.license, ', ' ORDER BY t.n DESC, t.license) AS examples
        FROM (SELECT license_class, count(*) AS models FROM models GROUP BY 1) m
        LEFT JOIN top t USING (license_class) GROUP BY ALL ORDER BY m.models DESC, m.license_class""")


_VERDICT_COLUMNS = ["family", "parent", "child", "relation", "relation_source", "parent_licenses", "child_licenses",
                    "verdict", "reasons", "differs_upstream", "upstream", "upstream_licenses", "root_agreement_doubt"]


def _license_name(con, alias: str) -> str:
    """SQL for the card's license_name of model row ``alias`` (NULL on a bundle without the column; fixed text)."""
    known = con.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'models' "
                        "AND column_name = 'license_name'").fetchone()[0]
    return f"{alias}.license_name" if known else "NULL"


def _has_upstream(con) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.columns WHERE table_name = 'models' "
                       "AND column_name = 'license_upstream'").fetchone()[0] > 0


def verdict_edges(con, scope: EdgeScope = EdgeScope()) -> pd.DataFrame:
    """Every in-snapshot edge in ``scope`` with the compliance verdict on its child's licenses (core.licenses.compliance).

    Licenses are ", "-joined as each model states them, "other" read from the card's ``license_name`` where the
    bundle has it; ``reasons`` say what the edge does with the license, for its relation, then the rules that
    fired, "; "-joined with their sources. ``differs_upstream``: the child declares a license other than its
    ``upstream`` (the nearest ancestor without merges that declares one, ``models.license_upstream``); a parent
    that does so is named in the reasons, since its children are judged against its label. Each distinct pair of
    license lists is judged once, so the whole Hub takes a second. Sorted as ``license_edges``.
    """
    up = _has_upstream(con)
    sql, params = edges_sql(scope, f"""
        c.family, e.parent, e.child, e.relation, e.relation_source, coalesce(p.licenses, []) AS pl,
        {_license_name(con, 'p')} AS pn, coalesce(c.licenses, []) AS cl, {_license_name(con, 'c')} AS cn,
        c.downloads AS child_downloads,
        {'c.license_upstream' if up else 'NULL'} AS upstream, {'p.license_upstream' if up else 'NULL'} AS parent_upstream""")
    df = pandas_rows(con, f"""
        SELECT s.*, coalesce(cu.licenses, []) AS ul, coalesce(pu.licenses, []) AS pul, coalesce(r.licenses, []) AS rl
        FROM ({sql}) s LEFT JOIN models cu ON cu.model_id = s.upstream LEFT JOIN models pu ON pu.model_id = s.parent_upstream
        LEFT JOIN models r ON r.model_id = s.family
        ORDER BY s.family, s.child_downloads DESC NULLS LAST, s.child, s.parent""", params)
    return _judged(df)[_VERDICT_COLUMNS]


def _judged(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (columns pl, pn, cl, cn: both ends' license lists and card license names; relation; optionally
    upstream, ul, parent_upstream, pul) with its verdicts and reasons."""

    keys = [(tuple(resolve(list(pl), pn)), tuple(resolve(list(cl), cn)))
            for pl, pn, cl, cn in zip(df["pl"], df["pn"], df["cl"], df["cn"])]
    judged = {k: judge([list(k[0])], list(k[1])) for k in set(keys)}
    leads = [edge_lead(rel, k[0], k[1]) for rel, k in zip(df["relation"], keys)]
    reasons = [f"{lead}; {_reason_text(judged[k])}" for lead, k in zip(leads, keys)]
    out = df.assign(parent_licenses=[", ".join(k[0]) for k in keys], child_licenses=[", ".join(k[1]) for k in keys],
                    verdict=[judged[k].verdict.value for k in keys])
    if "upstream" in df:
        differs = [bool(len(cl)) and bool(len(ul)) and sorted(cl) != sorted(ul) for cl, ul in zip(df["cl"], df["ul"])]
        parent_off = [bool(len(pl)) and bool(len(pul)) and sorted(pl) != sorted(pul) for pl, pul in zip(df["pl"], df["pul"])]
        reasons = [r + (f"; judged against the parent's declared {', '.join(pl)}, but its own upstream {pu} declares "
                        f"{', '.join(pul)}: the parent's label may be wrong" if off else "")
                   for r, off, pl, pu, pul in zip(reasons, parent_off, df["pl"], df["parent_upstream"], df["pul"])]
        # A root that names one vendor agreement and declares another misjudges its whole family: say so on each edge.
        roots = {f: named_agreement(f, list(rl)) for f, rl in zip(df["family"], df["rl"])}
        reasons = [r + (f"; the family's root {f} declares {', '.join(rl)} but its name says {roots[f]}: the edges "
                        f"below it may be judged against the wrong agreement" if roots.get(f) else "")
                   for r, f, rl in zip(reasons, df["family"], df["rl"])]
        out = out.assign(differs_upstream=differs, upstream_licenses=[", ".join(u) for u in df["ul"]],
                         root_agreement_doubt=[bool(roots.get(f)) for f in df["family"]])
    return out.assign(reasons=reasons)


def license_chain(con, model_id: str, max_steps: int = 50) -> pd.DataFrame:
    """The edges from ``model_id`` up to its roots, each with its verdict: "can I use this model, and on what
    terms?". ``generation`` 1 is the model's own edges, 2 its parents' and so on; safe on cycles."""
    pn, cn = _license_name(con, "p"), _license_name(con, "c")
    rows, frontier, seen = [], [model_id], {model_id}
    for generation in range(1, max_steps + 1):
        found = pandas_rows(con, f"""
            SELECT ?::INTEGER AS generation, e.parent, e.child, e.relation, e.relation_source,
                   coalesce(p.licenses, []) AS pl, {pn} AS pn, coalesce(c.licenses, []) AS cl, {cn} AS cn
            FROM edges e JOIN models p ON p.model_id = e.parent JOIN models c ON c.model_id = e.child
            WHERE e.parent_in_snapshot AND e.child IN (SELECT unnest(?::VARCHAR[])) ORDER BY e.child, e.parent""",
                                 [generation, frontier])
        if found.empty:
            break
        rows.append(found)
        frontier = [p for p in dict.fromkeys(found["parent"]) if p not in seen]
        seen.update(frontier)
        if not frontier:
            break
    columns = ["generation", "parent", "child", "relation", "relation_source", "parent_licenses", "child_licenses",
               "verdict", "reasons"]
    if not rows:
        return pd.DataFrame(columns=columns)
    return _judged(pd.concat(rows, ignore_index=True))[columns]


def _reason_text(judgement) -> str:
    return "; ".join(f"{r.text} [{r.source}]" for r in judgement.reasons)


def model_verdicts(con, edges: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per model with a parent in the snapshot: the worst verdict over its incoming edges (a merge must satisfy
    every parent), and whether any edge on a path down to it from its roots is a violation (``inherited``).
    ``edges`` are ``verdict_edges`` output when the caller has them (all in-snapshot edges by default)."""

    edges = verdict_edges(con) if edges is None else edges
    if edges.empty:
        return pd.DataFrame(columns=["model_id", "verdict", "inherited_violation"])
    rank = {v.value: SEVERITY[v] for v in Verdict}
    by_rank = {r: v for v, r in rank.items()}
    worst = edges.assign(r=edges["verdict"].map(rank)).groupby("child")["r"].max()
    # Violations taint everything below them: walk down from every violating edge's child.
    down: dict[str, list[str]] = {}
    for p, c in zip(edges["parent"], edges["child"]):
        down.setdefault(p, []).append(c)
    tainted = set(edges.loc[edges["verdict"] == Verdict.VIOLATION.value, "child"])
    frontier = list(tainted)
    while frontier:
        nxt = [c for node in frontier for c in down.get(node, ()) if c not in tainted]
        tainted.update(nxt)
        frontier = nxt
    out = pd.DataFrame({"model_id": worst.index, "verdict": worst.map(by_rank).to_numpy()})
    out["inherited_violation"] = out["model_id"].isin(tainted).to_numpy()
    return out.sort_values("model_id").reset_index(drop=True)


def family_verdicts(edges: pd.DataFrame) -> pd.DataFrame:
    """Per family of ``verdict_edges`` output: edges and the count of each verdict, most violations first."""

    columns = ["family", "edges", *[v.value for v in Verdict]]
    if edges.empty:
        return pd.DataFrame(columns=columns)
    counts = pd.crosstab(edges["family"], edges["verdict"]).reindex(columns=[v.value for v in Verdict], fill_value=0)
    counts.insert(0, "edges", counts.sum(axis=1))
    out = counts.reset_index().rename_axis(None, axis=1)
    return out.sort_values(["violation", "edges", "family"], ascending=[False, False, True]).reset_index(drop=True)[columns]


def license_values(edges: pd.DataFrame, column: str) -> list[str]:
    """The licenses named in ``column`` ("parent_licenses" or "child_licenses") of ``verdict_edges`` output, most
    edges first; "(none)" for edges whose side states none."""
    values = edges[column].fillna("").map(lambda v: v.split(", ") if v else ["(none)"]).explode()
    counts = values.value_counts()
    return sorted(counts.index, key=lambda v: (-counts[v], v))


def filter_verdicts(edges: pd.DataFrame, parent: Sequence[str] = (), child: Sequence[str] = (),
                    verdict: str | None = None, differs_only: bool = False) -> pd.DataFrame:
    """``verdict_edges`` rows whose parent states any of ``parent`` and whose child any of ``child`` ("(none)" for
    no license; empty means any), of ``verdict``, and with ``differs_only`` those whose label is in doubt: the
    child's differs from upstream, or the family's root names another agreement than it declares."""
    keep = pd.Series(True, index=edges.index)
    for column, wanted in (("parent_licenses", parent), ("child_licenses", child)):
        if wanted:
            wanted = set(wanted)
            keep &= edges[column].fillna("").map(lambda v: bool(wanted & set(v.split(", ") if v else ["(none)"])))
    if verdict:
        keep &= edges["verdict"] == verdict
    if differs_only and "differs_upstream" in edges:
        keep &= edges["differs_upstream"].astype(bool) | edges["root_agreement_doubt"].astype(bool)
    return edges[keep]


def verdict_mix(edges: pd.DataFrame) -> pd.DataFrame:
    """``verdict_edges`` output counted by verdict, every verdict listed, in order of severity."""
    counts = edges["verdict"].value_counts() if len(edges) else pd.Series(dtype="int64")
    return pd.DataFrame({"verdict": [v.value for v in Verdict], "edges": [int(counts.get(v.value, 0)) for v in Verdict]})


def license_pairs(edges: pd.DataFrame) -> pd.DataFrame:
    """``verdict_edges`` output counted by (parent licenses, child licenses, verdict), most edges first; a side
    with no license reads "(none)", so the pair is still readable."""
    edges = edges.assign(**{c: edges[c].fillna("").replace("", "(none)") for c in ("parent_licenses", "child_licenses")})
    return (edges.groupby(["parent_licenses", "child_licenses", "verdict"], dropna=False).size().rename("edges")
            .reset_index().sort_values(["edges", "parent_licenses"], ascending=[False, True]).reset_index(drop=True))


def relaxing_edges(fam: FamilyData) -> pd.DataFrame:
    """Edges whose child's license class is less restrictive than its parent's (the rule of ``licenses.relaxes``)."""
    cls = dict(zip(fam.models["model_id"], fam.models["license_class"]))
    e = pd.DataFrame({"parent": fam.edges["parent"], "parent_class": fam.edges["parent"].map(cls),
                      "child": fam.edges["child"], "child_class": fam.edges["child"].map(cls),
                      "relation": fam.edges["relation"]})
    return e[relaxes(e["parent_class"], e["child_class"])].reset_index(drop=True)
