"""What changed between two snapshots of the Hub: models kept, renamed, added and removed; new and fast-growing
families; relation and license changes on edges both snapshots have; counts by library, task and license class.

Ids are compared ignoring case (Hub repo ids are case-insensitive). An old id that is gone is *renamed* when the
new snapshot holds the model the Hub now redirects it to, matched the way parents are matched
(:func:`core.lineage.resolve_parents`): a legacy un-namespaced id (``bert-base-uncased``) found under a canonical
organisation (``google-bert/bert-base-uncased``) is a ``redirect``; one found under the only organisation
that has a model of that name is a ``name`` match (likely, not certain). Each new model is matched at most once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.bundle import Bundle, pandas_rows
from core.licenses import connect, model_license_class
from core.lineage import ParentMatch, resolve_parents

__all__ = ["CountBy", "Match", "ModelMatch", "SnapshotSide", "SnapshotDiff", "match_models", "diff_bundles",
           "NO_VALUE", "NO_LICENSE"]

NO_VALUE = "(none)"  # a model without a library or task
NO_LICENSE = "(none recorded)"  # a model without any license tag (the 2022 listing recorded no tags at all)


class CountBy(str, Enum):
    """The facets counted in both snapshots."""

    LIBRARY = "library"
    TASK = "task"
    LICENSE = "license"


class Match(str, Enum):
    """How an old model was found in the new snapshot."""

    KEPT = "kept"  # the same id, ignoring case
    REDIRECT = ParentMatch.REDIRECT.value  # a legacy id under its canonical organisation
    NAME = ParentMatch.NAME.value  # a legacy id under the only organisation with a model of that name
    REMOVED = "removed"


_RENAMES = (Match.REDIRECT, Match.NAME)


_MATCHES = list(Match)
_RENAME_CODES = [_MATCHES.index(m) for m in _RENAMES]


@dataclass(frozen=True)
class ModelMatch:
    """For each old model, its row in the new snapshot (-1 when removed) and how it was matched."""

    new_row: np.ndarray  # int64, per old model
    code: np.ndarray  # int8 index into Match, per old model
    n_new: int

    def how(self, row: int) -> Match:
        return _MATCHES[self.code[row]]

    def count(self, how: Match) -> int:
        return int((self.code == _MATCHES.index(how)).sum())

    @property
    def kept(self) -> int:
        return self.count(Match.KEPT)

    @property
    def kept_new(self) -> int:
        """New models kept: fewer than ``kept`` when two old ids differ only by case."""
        return len(np.unique(self.new_row[self.code == _MATCHES.index(Match.KEPT)]))

    @property
    def renamed_rows(self) -> np.ndarray:
        return np.flatnonzero(np.isin(self.code, _RENAME_CODES))

    @property
    def renamed(self) -> int:
        return len(self.renamed_rows)

    @property
    def removed(self) -> int:
        return self.count(Match.REMOVED)

    @property
    def added(self) -> int:
        return int(self.added_mask().sum())

    def added_mask(self) -> np.ndarray:
        """Whether each new model matched no old one."""
        mask = np.ones(self.n_new, dtype=bool)
        mask[self.new_row[self.new_row >= 0]] = False
        return mask


def match_models(old_ids: pa.Array, new_ids: pa.Array) -> ModelMatch:
    """Match old ids to new ones: the same id ignoring case, else the Hub's redirect of a legacy id.

    >>> m = match_models(pa.array(["gpt2", "Bob/x", "gone/y"]), pa.array(["openai-community/gpt2", "bob/X", "new/z"]))
    >>> [m.how(i).value for i in range(3)], m.added
    (['redirect', 'kept', 'removed'], 1)
    """
    old_ids, new_ids = old_ids.cast(pa.string()), new_ids.cast(pa.string())
    n_new = len(new_ids)
    row = pc.fill_null(pc.index_in(pc.utf8_lower(old_ids), value_set=pc.utf8_lower(new_ids)), -1)
    row = row.to_numpy(zero_copy_only=False).astype(np.int64)  # two old ids differing by case both count as kept
    code = np.where(row >= 0, _MATCHES.index(Match.KEPT), _MATCHES.index(Match.REMOVED)).astype(np.int8)
    todo = np.flatnonzero(row < 0)
    if len(todo) and n_new:
        found, how = resolve_parents(old_ids.take(pa.array(todo)), new_ids)
        parent_codes = list(ParentMatch)
        taken = np.zeros(n_new, dtype=bool)
        taken[row[row >= 0]] = True
        for i in np.flatnonzero(found >= 0):
            kind = parent_codes[how[i]].value
            if kind in (m.value for m in _RENAMES) and not taken[found[i]]:
                row[todo[i]], code[todo[i]], taken[found[i]] = found[i], _MATCHES.index(Match(kind)), True
    return ModelMatch(new_row=row, code=code, n_new=n_new)


@dataclass(frozen=True)
class SnapshotSide:
    """One end of a diff."""

    label: str
    path: str
    date: str | None
    models: int
    edges: int


@dataclass(frozen=True)
class SnapshotDiff:
    """Two snapshots compared (tables are small, top-``n`` cuts)."""

    old: SnapshotSide
    new: SnapshotSide
    kept: int
    kept_new: int  # the new models those are (two old ids may differ only by case): kept_new + renamed + added = new
    renamed: pd.DataFrame  # old_id, new_id, match
    added: int
    removed: int
    top_added: pd.DataFrame  # model_id, downloads, pipeline_tag: the most downloaded new models
    top_removed: pd.DataFrame  # model_id, downloads, pipeline_tag: the most downloaded models gone (old downloads)
    new_families: pd.DataFrame  # family, size, downloads: families whose root is a new model
    n_new_families: int  # of two models or more
    growing_families: pd.DataFrame  # family, old_family, old_size, new_size, growth
    edges_in_both: int
    relation_changes: pd.DataFrame  # old_relation, new_relation, edges
    license_changes: pd.DataFrame  # end ('parent'|'child'), old_class, new_class, edges
    counts: dict[CountBy, pd.DataFrame] = field(default_factory=dict)  # value, old, new, change

    @property
    def n_renamed(self) -> int:
        return len(self.renamed)

    def to_json(self) -> dict:
        """Plain JSON: ``models.kept``, ``models.renamed``, ``models.added``, ``models.removed`` and the tables."""
        def records(df: pd.DataFrame) -> list[dict]:
            return [{k: _plain(v) for k, v in r.items()} for r in df.to_dict("records")]

        return {
            "old": self.old.__dict__, "new": self.new.__dict__,
            "models": {"kept": self.kept, "kept_new_models": self.kept_new, "renamed": self.n_renamed, "added": self.added, "removed": self.removed,
                       "renamed_by_match": self.renamed["match"].value_counts().to_dict() if len(self.renamed) else {},
                       "renamed_ids": records(self.renamed), "top_added": records(self.top_added),
                       "top_removed": records(self.top_removed)},
            "families": {"new": self.n_new_families, "new_largest": records(self.new_families),
                         "fastest_growing": records(self.growing_families)},
            "edges": {"in_both": self.edges_in_both,
                      "relation_changed": int(self.relation_changes["edges"].sum()),
                      "relation_changes": records(self.relation_changes),
                      "license_changed": int(self.license_changes["edges"].sum()),
                      "license_changes": records(self.license_changes)},
            "counts": {c.value: records(df) for c, df in self.counts.items()},
        }


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    return None if value is pd.NA or (isinstance(value, float) and np.isnan(value)) else value


_MODELS_SQL = f"""
    SELECT model_id, family, downloads, pipeline_tag,
           coalesce(library_name, '{NO_VALUE}') AS library,
           coalesce(pipeline_tag, '{NO_VALUE}') AS task,
           array_to_string(list_sort(licenses), '\n') AS licenses
    FROM models"""
_EDGES_SQL = "SELECT parent, child, relation FROM edges WHERE parent_in_snapshot"


def diff_bundles(old: Bundle, new: Bundle, top: int = 20) -> SnapshotDiff:
    """Compare bundle ``old`` with bundle ``new`` (``top`` rows per ranked table)."""
    sides, models, edges = [], [], []
    for bundle in (old, new):
        con = connect(bundle, in_memory=False)
        try:
            models.append(_with_license_class(pandas_rows(con, _MODELS_SQL)))
            edges.append(pandas_rows(con, _EDGES_SQL))
        finally:
            con.close()
        sides.append(SnapshotSide(label=str(bundle.manifest.get("label") or bundle.name), path=str(bundle.path),
                                  date=bundle.manifest.get("snapshot_date"), models=len(models[-1]),
                                  edges=len(edges[-1])))
    om, nm = models
    match = match_models(pa.array(om["model_id"], pa.string()), pa.array(nm["model_id"], pa.string()))
    renamed_rows = match.renamed_rows
    renamed = pd.DataFrame({"old_id": om["model_id"].to_numpy()[renamed_rows],
                            "new_id": nm["model_id"].to_numpy()[match.new_row[renamed_rows]],
                            "match": [match.how(r).value for r in renamed_rows]})
    new_id_of = pd.Series(np.where(match.new_row >= 0, nm["model_id"].to_numpy()[np.maximum(match.new_row, 0)], None),
                          index=om["model_id"].to_numpy())
    added = nm[match.added_mask()]
    gone = om[match.code == _MATCHES.index(Match.REMOVED)]
    new_families, n_new_families, growing = _families(om, nm, added, new_id_of, top)
    both, relation_changes, license_changes = _edge_changes(edges, models, new_id_of)
    return SnapshotDiff(
        old=sides[0], new=sides[1], kept=match.kept, kept_new=match.kept_new, renamed=renamed, added=match.added, removed=match.removed,
        top_added=_top(added, top), top_removed=_top(gone, top),
        new_families=new_families, n_new_families=n_new_families, growing_families=growing,
        edges_in_both=both, relation_changes=relation_changes, license_changes=license_changes,
        counts={c: facet_counts(om, nm, c.value) for c in CountBy},
    )


def _with_license_class(models: pd.DataFrame) -> pd.DataFrame:
    """``license``: the model's license class (:func:`core.licenses.model_license_class`, once per distinct list of
    licenses), or NO_LICENSE when it has no license tag."""
    keys = models.pop("licenses").fillna("")
    classes = {k: model_license_class(k.split("\n")).value if k else NO_LICENSE for k in keys.unique()}
    return models.assign(license=keys.map(classes))


def _top(models: pd.DataFrame, top: int) -> pd.DataFrame:
    cols = ["model_id", "downloads", "pipeline_tag"]
    return models.nlargest(top, "downloads")[cols].reset_index(drop=True)


def facet_counts(old: pd.DataFrame, new: pd.DataFrame, column: str) -> pd.DataFrame:
    """Models per value of ``column`` in both snapshots, and the change; largest first."""
    out = pd.concat([old[column].value_counts().rename("old"), new[column].value_counts().rename("new")], axis=1)
    out = out.fillna(0).astype("int64").rename_axis("value").reset_index()
    out["change"] = out["new"] - out["old"]
    order = np.argsort(-np.maximum(out["old"].to_numpy(), out["new"].to_numpy()), kind="stable")
    return out.iloc[order].reset_index(drop=True)


def _families(om: pd.DataFrame, nm: pd.DataFrame, added: pd.DataFrame, new_id_of: pd.Series, top: int):
    """(new families, how many, fastest-growing families): a family is named by its root (models.family)."""
    new_sizes = nm.groupby("family").agg(size=("model_id", "size"), downloads=("downloads", "sum"))
    old_sizes = om.groupby("family").size().rename("old_size").reset_index()
    old_sizes["family_new_id"] = old_sizes["family"].map(new_id_of)
    old_sizes = old_sizes.dropna(subset=["family_new_id"]).drop_duplicates("family_new_id")
    root_added = pc.is_in(pa.array(new_sizes.index, pa.string()), value_set=pa.array(added["model_id"], pa.string()))
    fresh = new_sizes[root_added.to_numpy(zero_copy_only=False) & (new_sizes["size"] >= 2).to_numpy()]
    fresh = fresh.sort_values(["size", "downloads"], ascending=False).rename_axis("family").reset_index()
    grow = new_sizes.rename_axis("family").reset_index().merge(
        old_sizes.rename(columns={"family": "old_family"}), left_on="family", right_on="family_new_id")
    grow = grow.rename(columns={"size": "new_size"})
    grow["growth"] = grow["new_size"] - grow["old_size"]
    grow = grow[grow["growth"] > 0].sort_values(["growth", "downloads"], ascending=False)
    cols = ["family", "old_family", "old_size", "new_size", "growth"]
    return fresh.head(top), len(fresh), grow[cols].head(top).reset_index(drop=True)


def _edge_changes(edges: list[pd.DataFrame], models: list[pd.DataFrame], new_id_of: pd.Series):
    """Edges both snapshots have (ends matched as models are), their relation changes and their ends' license
    class changes."""
    oe, ne = edges
    empty_rel = pd.DataFrame({"old_relation": [], "new_relation": [], "edges": pd.Series([], dtype="int64")})
    empty_lic = pd.DataFrame({"end": [], "old_class": [], "new_class": [], "edges": pd.Series([], dtype="int64")})
    if oe.empty or ne.empty:
        return 0, empty_rel, empty_lic
    oe = oe.assign(parent=oe["parent"].map(new_id_of), child=oe["child"].map(new_id_of)).dropna()
    both = oe.merge(ne, on=["parent", "child"], suffixes=("_old", "_new"))
    if both.empty:
        return 0, empty_rel, empty_lic
    changed = both[both["relation_old"] != both["relation_new"]]
    rel = (changed.groupby(["relation_old", "relation_new"]).size().rename("edges").reset_index()
           .rename(columns={"relation_old": "old_relation", "relation_new": "new_relation"})
           .sort_values("edges", ascending=False, kind="stable").reset_index(drop=True))
    om, nm = models
    old_license = pd.Series(om["license"].to_numpy(), index=om["model_id"].map(new_id_of).to_numpy())
    old_license = old_license[old_license.index.notna()]
    old_license = old_license[~old_license.index.duplicated()]
    new_license = nm.set_index("model_id")["license"]
    parts = []
    for end in ("parent", "child"):
        pair = pd.DataFrame({"end": end, "old_class": both[end].map(old_license).to_numpy(),
                             "new_class": both[end].map(new_license).to_numpy()})
        parts.append(pair[pair["old_class"] != pair["new_class"]])
    lic = pd.concat(parts)
    lic = (lic.groupby(["end", "old_class", "new_class"]).size().rename("edges").reset_index()
           .sort_values("edges", ascending=False, kind="stable").reset_index(drop=True)) if len(lic) else empty_lic
    return len(both), rel, lic
