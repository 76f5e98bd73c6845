"""Two definitions of every figure of ANALYSES.md §2–§5: the study's own code (``STUDY``) and Phylo's (``PHYLO``).

The study's code (github.com/bendlaufer/ai-ecosystem) is the reference wherever it defines a number. Phylo's
lineage matches more parents and its rules differ in places; both are computed from the same bundle:

- parents: the study keeps an edge only when the parent's exact id is in the snapshot and keeps self-loops
  (get_full_graph.ipynb, cell 3); Phylo also matches case, the Hub's legacy redirects and unique names;
- families: weakly connected components of the study's all-edges graph (get_full_graph, cell 3);
- orderings: top-N values by the models of the whole finetune graph that carry them, among the values of the
  oriented flow graph only (ordering_helpers.py: get_trait_counter ~l.23, get_top_trait_graph ~l.163);
- transition flow: a dropped value gives +1 to every value the child has (ordering_helpers.py ~l.82);
- the metadata record: raw text, placeholder date kept (similarity_analysis.ipynb, cell 5 on ``full_json``);
- the metadata resemblance graph: the no-merge graph without quantized edges (similarity_analysis, cells 3–4);
- children with children: successors in the no-merge graph (time_trends_analysis.ipynb, cell 8);
- great-grandparent draws: each middle edge weighted by its child's children only (sample_helpers.py quad_3, ~l.309).

``connect(bundle, Definitions.STUDY)`` gives a connection whose ``edges`` and families are the study's and which
carries a ``definitions`` table; the analyses read ``is_study(con)`` for the rules that differ.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
import pandas as pd

from core.licenses.classes import connect as connect_bundle
from core.lineage import Relation, family_roots, weak_components

__all__ = ["Definitions", "LABELS", "is_study", "connect", "apply_study", "self_loops", "PLACEHOLDER_CREATED",
           "STUDY_METADATA_RELATIONS", "REASONS", "reason_of"]


class Definitions(str, Enum):
    STUDY = "study"  # the study's code
    PHYLO = "phylo"  # Phylo's lineage and rules


LABELS = {Definitions.PHYLO: "Phylo's lineage (case, redirects, names)",
          Definitions.STUDY: "the study's definition (exact ids)"}

# The Hub's migration placeholder as most placeholder-dated models carry it (22,162 of 29,993 on the 2024 listing;
# 7,828 carry …:04). Bundles keep the date null, so the study's raw record gets this text back.
PLACEHOLDER_CREATED = "2022-03-02T23:29:05.000Z"
# similarity_analysis.ipynb cells 3-4: the no-merge graph, quantized edges removed.
STUDY_METADATA_RELATIONS = (Relation.FINETUNE, Relation.ADAPTER)

# Why a figure differs between the definitions, by the first part(s) of its key; the longest prefix wins.
REASONS = {
    "edges": "the study keeps exact parent ids only; Phylo also matches case, the Hub's redirects and unique names",
    "edges.self_loops": "self-loops: the study keeps a model naming itself exactly; Phylo drops any it resolves",
    "families": "components of the study's all-edges graph of exact ids; Phylo's no-merge families on its lineage",
    "largest_families": "families on the study's exact-id graph",
    "children_with_children": "the study counts successors in the no-merge graph; Phylo's n_children counts merges",
    "share": "shares over the same models; n differs only where the graph does",
    "top": "the same models",
    "resemblance": "exact-id graph; metadata: raw record with the placeholder date, no-merge graph without quantized "
                   "edges; great-grandparents weighted by children only",
    "mutation_rate": "the study's exact-id edges",
    "ordering": "the study ranks values by models of the whole graph, present in the oriented flow, and a dropped "
                "value gives +1 to every value the child has",
    "license_relaxations": "the study's exact-id edges",
    "license": "the study's exact-id edges",
    "family_growth": "families on the study's exact-id graph",
    "growth": "the same models",
    **{m: "the study's exact-id edges" for m in ("has_card", "auto_generated", "card_length", "languages_count")},
}


def reason_of(key: str) -> str:
    parts = key.split(".")
    for k in range(len(parts), 0, -1):
        if ".".join(parts[:k]) in REASONS:
            return REASONS[".".join(parts[:k])]
    return "the study's exact-id graph"


def is_study(con) -> bool:
    """Whether ``con`` holds the study's definitions (see ``connect``)."""
    found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'definitions'").fetchone()[0]
    return bool(found) and con.execute("SELECT definitions FROM definitions").fetchone()[0] == Definitions.STUDY.value


def self_loops(con) -> int | None:
    """Self-loops under the connection's definitions: the study's exact ones, or those Phylo dropped; None unknown."""
    found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'definitions'").fetchone()[0]
    return con.execute("SELECT self_loops FROM definitions").fetchone()[0] if found else None


def connect(bundle, definitions: Definitions | str = Definitions.PHYLO):
    """A connection to ``bundle`` (core.licenses.connect) under ``definitions``."""
    con = connect_bundle(bundle)
    definitions = Definitions(definitions)
    manifest = bundle.manifest or {}
    if definitions is Definitions.STUDY:
        apply_study(con, manifest)
    else:
        dropped = (manifest.get("warnings") or {}).get("self_loops", 0)
        con.execute("CREATE TABLE definitions AS SELECT ?::VARCHAR AS definitions, ?::BIGINT AS self_loops",
                    [definitions.value, int(dropped)])
    return con


def apply_study(con, manifest: dict) -> None:
    """Turn a fresh in-memory bundle connection into the study's: exact-id edges, families and successor counts."""
    study = manifest.get("study") or {}
    written_otherwise = pd.DataFrame(study.get("not_written_exactly") or [], columns=["child", "parent"], dtype=str)
    con.register("written_otherwise", written_otherwise)
    con.execute("""CREATE OR REPLACE TABLE edges AS SELECT * FROM edges e
                   WHERE e.parent_in_snapshot AND e.parent_match = 'exact'
                     AND NOT EXISTS (SELECT 1 FROM written_otherwise w WHERE w.child = e.child AND w.parent = e.parent)""")
    con.unregister("written_otherwise")
    ids = con.execute("SELECT model_id, downloads FROM models ORDER BY model_id").fetchnumpy()
    model_ids = np.asarray(ids["model_id"], dtype=object)
    index = pd.Index(model_ids)
    e = con.execute("SELECT parent, child, relation FROM edges").fetchnumpy()
    p, c = index.get_indexer(e["parent"]), index.get_indexer(e["child"])
    rel = np.asarray(e["relation"], dtype=object)
    n, downloads = len(model_ids), np.asarray(ids["downloads"], dtype=np.int64)
    columns = {}
    for column, keep in (("family_all", np.ones(len(p), bool)), ("family", rel != Relation.MERGE.value),
                         ("family_finetune", rel == Relation.FINETUNE.value)):
        labels = weak_components(n, p[keep], c[keep])
        _, root = family_roots(labels, np.bincount(c[keep], minlength=n) > 0, downloads)
        columns[column] = model_ids[root]
    no_merge = rel != Relation.MERGE.value
    columns["n_children"] = np.bincount(p[no_merge], minlength=n).astype(np.int32)  # time_trends cell 8
    columns["n_parents"] = np.bincount(c, minlength=n).astype(np.int32)
    frame = pd.DataFrame({"model_id": model_ids, **columns})
    con.register("study_columns", frame)
    sets = ", ".join(f"{k} = s.{k}" for k in columns)
    con.execute(f"UPDATE models SET {sets} FROM study_columns s WHERE models.model_id = s.model_id")
    con.unregister("study_columns")
    loops = study.get("self_loops")
    con.execute("CREATE TABLE definitions AS SELECT ?::VARCHAR AS definitions, ?::BIGINT AS self_loops",
                [Definitions.STUDY.value, None if loops is None else int(loops)])
