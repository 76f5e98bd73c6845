"""Every number of ANALYSES.md §2–§5 computed on one bundle, beside the study's: ``python -m core.report DIR``.

The report is a flat dict so it diffs, greps and serialises as JSON. Keys are
dot-joined names: ``<measure>.<trait or stat>[.<edge type>]``, e.g.
``mutation_rate.licenses`` (all in-snapshot edges) and
``mutation_rate.licenses.finetune`` (finetune edges only). A key's sample size
sits beside it under ``<key>.n``; a mean's bootstrap interval under
``<key>.ci_low``/``<key>.ci_high``. Lists (orderings, largest families) run
source first / largest first. ``REFERENCE`` holds the study's value under the
same key where the study gives one. Every figure comes from the core function
the app shows it with, so the app, this report and the tests agree.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from enum import Enum

import numpy as np
import pandas as pd

from core import licenses
from core.evolution import definitions, drift, growth, overview, reference, resemblance
from core.evolution.traits import DriftMeasure, TextTrait
from core.licenses.compliance import Verdict
from core.lineage import EdgeScope, Relation, edges_sql

__all__ = ["Section", "REFERENCE", "reference_value", "section_of", "section_report", "compute_report",
           "format_table", "differences", "format_differences"]


class Section(str, Enum):
    """The parts of ANALYSES.md the report covers, in its order."""

    LINEAGE = "§2 lineage graph and families"
    RESEMBLANCE = "§3 family resemblance"
    DRIFT = "§4 drift of traits along edges"
    GROWTH = "§5 growth over time"


_MEASURE_NAMES = {DriftMeasure.HAS_CARD: "has_card", DriftMeasure.AUTO_GENERATED: "auto_generated",
                  DriftMeasure.CARD_LENGTH: "card_length", DriftMeasure.N_LANGUAGES: "languages_count"}
_SHARE_TRAITS = (overview.Trait.LICENSES, overview.Trait.TASK, overview.Trait.LIBRARY, overview.Trait.LANGUAGES)
_GROWN_FAMILIES = 5

# First part of a key → section, for grouping the printed table.
_SECTION_OF_PREFIX = {
    "models": Section.LINEAGE, "edges": Section.LINEAGE, "families": Section.LINEAGE,
    "largest_families": Section.LINEAGE, "children_with_children": Section.LINEAGE, "share": Section.LINEAGE,
    "top": Section.LINEAGE, "resemblance": Section.RESEMBLANCE, "mutation_rate": Section.DRIFT,
    "ordering": Section.DRIFT, "license_relaxations": Section.DRIFT, "license": Section.DRIFT, "growth": Section.GROWTH,
    "family_growth": Section.GROWTH, **{name: Section.DRIFT for name in _MEASURE_NAMES.values()},
}


def section_of(key: str) -> Section:
    """The section a report key belongs to."""
    return _SECTION_OF_PREFIX[key.split(".", 1)[0]]


def _clean(value):
    """A JSON-ready value: numpy scalars to Python, NaN to None, tuples to lists, dates to ISO text."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_clean(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


# ---- the study's values --------------------------------------------------------------------------------------------
def _build_reference() -> dict:
    ref: dict = {"models": reference.REFERENCE_MODELS, "edges": reference.REFERENCE_EDGES,
                 "share.has_card": reference.CARD_SHARE,
                 "largest_families.no_merge": list(reference.LARGEST_FAMILIES_NO_MERGE),
                 "largest_families.no_merge.sizes": list(reference.LARGEST_FAMILIES_NO_MERGE.values())}
    ref.update({f"edges.{rel}": n for rel, n in reference.EDGES_BY_RELATION.items()})
    ref.update({f"children_with_children.{rel}": v for rel, v in reference.CHILDREN_WITH_CHILDREN.items()})
    for trait, values in reference.SHARES.items():
        ref.update({f"share.{trait}.{value}": share for value, share in values.items()})
        ref[f"top.{trait}"] = list(values)
    for (trait, relative, measure), value in reference.RESEMBLANCE.items():
        ref[f"resemblance.{trait.value}.{measure.value}.{relative.value}"] = value
    ref["resemblance.findings.related_beat_random"] = 1.0
    ref["resemblance.findings.siblings_beat_parent_child"] = 1.0
    for trait, (rate, n) in reference.REFERENCE_MUTATION_RATES.items():
        ref[f"mutation_rate.{trait.value}.finetune"] = rate
        ref[f"mutation_rate.{trait.value}.finetune.n"] = n
    for trait, o in reference.REFERENCE_ORDERINGS.items():
        key = f"ordering.{trait.value}"
        # The study prints the ends of its ordering only: they are compared end to end, never as a whole list.
        if o.head:
            ref[f"{key}.head"] = list(o.head)
        if o.tail:
            ref[f"{key}.tail"] = list(o.tail)
        ref.update({f"{key}.agreeing_pairs": o.agreeing_pairs, f"{key}.oriented_pairs": o.oriented_pairs,
                    f"{key}.agreement": o.agreement, f"{key}.flow_share": o.flow_share, f"{key}.values": o.top_n})
    for d in reference.REFERENCE_NUMERICAL_DRIFT:
        suffix = "" if d.group == "all" else f".{d.group}"
        for stat in ("parent", "child", "change"):
            key = f"{_MEASURE_NAMES[d.measure]}.{stat}{suffix}"
            if getattr(d, stat) is not None:
                ref[key] = getattr(d, stat)
            if d.n is not None:
                ref[f"{key}.n"] = d.n
    for rank, family in enumerate(list(reference.LARGEST_FAMILIES_NO_MERGE)[:_GROWN_FAMILIES], start=1):
        ref[f"family_growth.{rank:02d}.family"] = family
    return dict(sorted((k, _clean(v)) for k, v in ref.items()))


REFERENCE: dict = _build_reference()
"""The study's value of each report key it gives one for (ANALYSES.md; full 2025-07 snapshot)."""


def reference_value(key: str):
    """The study's value under a report key, None where the study gives none."""
    return REFERENCE.get(key)


# ---- §2 lineage graph and families ---------------------------------------------------------------------------------
def _lineage(con, draws: int, seed: int, base: EdgeScope) -> dict:
    out: dict = {}
    s = overview.summary(con)
    out["models"] = s.models
    out["families"] = s.families_with_edges
    out["families.largest"] = s.largest_family
    if definitions.is_study(con):  # weakly connected components of the all-edges graph (get_full_graph, cell 3)
        out["families"], out["families.largest"] = con.execute(
            "SELECT count(*), coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM models GROUP BY family_all) "
            "WHERE n > 1").fetchone()
    out["edges.self_loops"] = definitions.self_loops(con)
    mix = overview.edge_mix(con)
    out["edges"] = int(mix["in_snapshot"].sum())
    out["edges.outside_snapshot"] = int((mix["edges"] - mix["in_snapshot"]).sum())
    out["edges.inferred"] = int(mix.loc[mix["relation_source"] == "inferred", "in_snapshot"].sum())
    by_relation = mix.groupby("relation")["in_snapshot"].sum()
    for rel in Relation:
        out[f"edges.{rel.value}"] = int(by_relation.get(rel.value, 0))

    largest = overview.largest_families(con, overview.FamilyGraph.NO_MERGE, 10)
    out["largest_families.no_merge"] = largest["family"].tolist()
    out["largest_families.no_merge.sizes"] = largest["size"].tolist()

    sql, params = edges_sql(base, "e.relation, c.n_children")
    counts = con.execute(f"SELECT relation, count(*), count(*) FILTER (WHERE n_children > 0) FROM ({sql}) GROUP BY 1",
                         params).fetchall()
    rows = {r: (n, k) for r, n, k in counts}
    for rel in Relation:
        n, k = rows.get(rel.value, (0, 0))
        out[f"children_with_children.{rel.value}"] = k / n if n else None
        out[f"children_with_children.{rel.value}.n"] = n

    denominators = _share_denominators(con)
    for trait in _SHARE_TRAITS:
        shares = overview.trait_shares(con, trait, limit=1_000_000)
        by_value = dict(zip(shares["value"], shares["share"]))
        out[f"top.{trait.value}"] = shares["value"].head(3).tolist()
        for value in reference.SHARES[trait.value]:
            key = f"share.{trait.value}.{value}"
            out[key] = float(by_value.get(value, 0.0)) if denominators[trait] else None
            out[f"{key}.n"] = denominators[trait]
    n_card, with_card = con.execute("SELECT count(has_card), count(*) FILTER (WHERE has_card) FROM models").fetchone()
    out["share.has_card"] = with_card / n_card if n_card else None
    out["share.has_card.n"] = n_card
    return out


def _share_denominators(con) -> dict:
    """The models each share is a share of (as overview.trait_shares divides)."""
    row = con.execute("""SELECT count(*), count(pipeline_tag), count(library_name),
                                count(*) FILTER (WHERE len(languages) > 0) FROM models""").fetchone()
    return dict(zip(_SHARE_TRAITS, map(int, row)))


# ---- §3 family resemblance -----------------------------------------------------------------------------------------
def _resemblance(con, draws: int, seed: int, base: EdgeScope) -> dict:
    out: dict = {}
    related = above = sibling_measures = siblings_win = 0
    for trait in TextTrait:
        df = resemblance.resemblance(con, trait, base, draws=draws, seed=seed)
        for r in df.itertuples(index=False):
            key = f"resemblance.{trait.value}.{r.measure}.{r.relative}"
            out[key], out[f"{key}.ci_low"], out[f"{key}.ci_high"], out[f"{key}.n"] = r.mean, r.ci_low, r.ci_high, r.n
            out[f"{key}.distinct_pairs"] = r.distinct_pairs
        f = resemblance.findings(df)
        related, above = related + len(f.related), above + len(f.above_random)
        sibling_measures, siblings_win = sibling_measures + len(f.sibling_measures), siblings_win + len(f.siblings_win)
    for key, wins, cells in (("related_beat_random", above, related),
                             ("siblings_beat_parent_child", siblings_win, sibling_measures)):
        out[f"resemblance.findings.{key}"] = wins / cells if cells else None
        out[f"resemblance.findings.{key}.n"] = cells
    return out


# ---- §4 drift of traits along edges --------------------------------------------------------------------------------
def _drift(con, draws: int, seed: int, base: EdgeScope) -> dict:
    out: dict = {}
    scopes = {"": base, **{f".{rel.value}": dataclasses.replace(base, relation=rel) for rel in Relation}}
    for suffix, scope in scopes.items():
        for r in drift.mutation_rates(con, scope).itertuples(index=False):
            out[f"mutation_rate.{r.trait}{suffix}"], out[f"mutation_rate.{r.trait}{suffix}.n"] = r.rate, r.n

    for trait, top_n in ((t, o.top_n) for t, o in reference.REFERENCE_ORDERINGS.items()):  # the study's top-N
        key = f"ordering.{trait.value}"
        o = drift.ordering(con, trait, top_n, dataclasses.replace(base, relation=Relation.FINETUNE))  # as the study
        ref = reference.REFERENCE_ORDERINGS[trait]
        out[key] = list(o.order)
        out[f"{key}.head"] = list(o.order[:len(ref.head)]) if ref.head else None
        out[f"{key}.tail"] = list(o.order[len(o.order) - len(ref.tail):]) if ref.tail and len(o.order) else None
        out[f"{key}.n"] = out[f"mutation_rate.{trait.value}.finetune.n"]
        out.update({f"{key}.agreeing_pairs": o.agreeing_pairs, f"{key}.oriented_pairs": o.oriented_pairs,
                    f"{key}.agreement": o.agreement, f"{key}.flow_share": o.flow_share, f"{key}.values": o.n_values})

    for by, frame in ((None, drift.numerical_drift(con, base)), ("relation", drift.numerical_drift(con, base, by="relation"))):
        for r in frame.itertuples(index=False):
            suffix = "" if by is None else f".{r.group}"
            name = _MEASURE_NAMES[DriftMeasure(r.measure)]
            for stat in ("parent", "child", "change"):
                out[f"{name}.{stat}{suffix}"] = getattr(r, stat)
                out[f"{name}.{stat}{suffix}.n"] = r.n
        # Every bundle gets the same keys: all edges and each edge type, with or without edges.
        for suffix in ([""] if by is None else [f".{rel.value}" for rel in Relation]):
            for name in _MEASURE_NAMES.values():
                for stat in ("parent", "child", "change"):
                    out.setdefault(f"{name}.{stat}{suffix}", None)
                    out.setdefault(f"{name}.{stat}{suffix}.n", 0)

    edges = licenses.license_edges(con, base)
    ranked = [c.value for c in licenses.RESTRICTIVENESS]
    comparable = (edges["parent_class"].isin(ranked) & edges["child_class"].isin(ranked)).to_numpy()
    for suffix, rel in (("", None), *((f".{r.value}", r.value) for r in Relation)):
        mask = np.ones(len(edges), dtype=bool) if rel is None else (edges["relation"] == rel).to_numpy()
        relaxed, n_comparable = int(edges["relaxed"][mask].sum()), int(comparable[mask].sum())
        out[f"license_relaxations{suffix}"], out[f"license_relaxations{suffix}.n"] = relaxed, int(mask.sum())
        out[f"license_relaxations.share{suffix}"] = relaxed / n_comparable if n_comparable else None
        out[f"license_relaxations.share{suffix}.n"] = n_comparable
    # Compliance verdicts (core.licenses.compliance): shares over direct edges, inherited violations over derived models.

    judged = licenses.verdict_edges(con, base)
    for v in Verdict:
        out[f"license.verdict.{v.value}"] = float((judged["verdict"] == v.value).mean()) if len(judged) else None
        out[f"license.verdict.{v.value}.n"] = len(judged)
    derived = licenses.model_verdicts(con, judged)  # the edges just judged: not judged again
    out["license.inherited_violation"] = float(derived["inherited_violation"].mean()) if len(derived) else None
    out["license.inherited_violation.n"] = len(derived)
    relaxing = edges[edges["relaxed"]]
    out["license_relaxations.families"] = int(relaxing["family"].nunique())
    kinds = licenses.transitions(relaxing)
    out["license_relaxations.most_common"] = (f"{kinds['parent_class'].iloc[0]} → {kinds['child_class'].iloc[0]}"
                                              if len(kinds) else None)
    return out


# ---- §5 growth over time -------------------------------------------------------------------------------------------
def _month(value) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m")


def _growth(con, draws: int, seed: int, base: EdgeScope) -> dict:
    out: dict = {}
    monthly = growth.monthly_growth(con)
    dated = monthly[monthly["new"] > 0]
    peak = monthly.loc[monthly["new"].idxmax()] if len(monthly) else None
    out["growth.first_month"] = _month(dated["month"].min()) if len(dated) else None
    out["growth.last_month"] = _month(dated["month"].max()) if len(dated) else None
    out["growth.peak_month"] = _month(peak["month"]) if peak is not None else None
    out["growth.peak_new"] = int(peak["new"]) if peak is not None else None
    out["growth.dated"] = int(monthly["new"].sum())
    out["growth.unknown_dates"] = growth.unknown_dates(con)

    families = growth.family_growth(con, overview.FamilyGraph.NO_MERGE, _GROWN_FAMILIES)
    for rank, (family, rows) in enumerate(families.groupby("family", sort=False), start=1):
        key = f"family_growth.{rank:02d}"
        total = int(rows["cumulative"].iloc[-1])
        half = rows.loc[rows["cumulative"] >= total / 2, "month"].iloc[0]
        active = rows.loc[rows["new"] > 0, "month"]
        out.update({f"{key}.family": family, f"{key}.first_month": _month(active.iloc[0]),
                    f"{key}.half_month": _month(half), f"{key}.last_month": _month(active.iloc[-1]),
                    f"{key}.models": total})
    for rank in range(1, _GROWN_FAMILIES + 1):  # the same keys on a bundle with fewer families
        for name in ("family", "first_month", "half_month", "last_month", "models"):
            out.setdefault(f"family_growth.{rank:02d}.{name}", None)
    return out


_SECTIONS: dict[Section, Callable[[object, int, int, EdgeScope], dict]] = {
    Section.LINEAGE: _lineage, Section.RESEMBLANCE: _resemblance, Section.DRIFT: _drift, Section.GROWTH: _growth,
}


def section_report(con, section: Section, draws: int = 5000, seed: int = 0, min_confidence: float | None = None) -> dict:
    """The keys of one section, JSON-ready and sorted (``draws``/``seed`` drive §3's pair sampling).

    ``min_confidence`` keeps only edges whose type is at least that sure (declared ones are 1) in every
    edge-based figure: lineage shares, resemblance, drift and licenses."""
    values = _SECTIONS[Section(section)](con, draws, seed, EdgeScope(min_confidence=min_confidence))
    return dict(sorted((k, _clean(v)) for k, v in values.items()))


def compute_report(con, draws: int = 5000, seed: int = 0, min_confidence: float | None = None) -> dict:
    """Every number of ANALYSES.md §2–§5 on the bundle behind ``con``: a flat, sorted, JSON-ready dict.

    See the module docstring for the key scheme; ``REFERENCE`` has the study's values.
    """
    out: dict = {}
    for section in Section:
        out.update(section_report(con, section, draws, seed, min_confidence))
    return dict(sorted(out.items()))


# ---- the printed table ---------------------------------------------------------------------------------------------
_SIDE = (".n", ".ci_low", ".ci_high", ".distinct_pairs")


_CELL = 40  # widest list shown inline; longer lists are printed in full below their section


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.4f}"
    if isinstance(value, list):
        text = " → ".join(map(str, value))
        return text if len(text) <= _CELL else f"({len(value)} values, below)"
    return str(value)


def format_table(report: dict) -> str:
    """The report as one aligned table per section: key, ours, study, n (the study's n in brackets).

    A mean carries its 95% interval; lists too long for a cell follow their section in full.
    """
    lines = []
    for section in Section:
        keys = [k for k in report if section_of(k) is section and not k.endswith(_SIDE)]
        if not keys:
            continue
        rows, long_lists = [], []
        for key in keys:
            ours = _fmt(report[key])
            if report.get(f"{key}.ci_low") is not None:
                ours += f" [{report[key + '.ci_low']:.3f}, {report[key + '.ci_high']:.3f}]"
            n = _fmt(report[f"{key}.n"]) if f"{key}.n" in report else ""
            if reference_value(f"{key}.n") is not None:
                n += f" ({reference_value(key + '.n'):,})"
            rows.append((key, ours, _fmt(reference_value(key)) if key in REFERENCE else "", n))
            for label, value in (("ours", report[key]), ("study", reference_value(key))):
                if isinstance(value, list) and len(" → ".join(map(str, value))) > _CELL:
                    long_lists.append(f"  {key} ({label}): {' → '.join(map(str, value))}")
        header = ("key", "ours", "study", "n (study)")
        widths = [max(len(r[i]) for r in rows + [header]) for i in range(4)]
        lines += ["", section.value, "  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
                  "  ".join("-" * w for w in widths)]
        lines += ["  ".join((r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2].rjust(widths[2]),
                             r[3].rjust(widths[3]))).rstrip() for r in rows]
        lines += long_lists
    return "\n".join(lines[1:])


# ---- the two definitions -------------------------------------------------------------------------------------------
def differences(study: dict, phylo: dict) -> list[tuple[str, object, object, str]]:
    """(key, study's value, Phylo's value, reason) of every figure whose two definitions differ (side keys left out)."""
    out = []
    for key in sorted(set(study) | set(phylo)):
        if key.endswith(_SIDE):
            continue
        a, b = study.get(key), phylo.get(key)
        same = a == b or (isinstance(a, float) and isinstance(b, float) and abs(a - b) < 5e-5)
        if not same:
            out.append((key, a, b, definitions.reason_of(key)))
    return out


def format_differences(rows: list[tuple[str, object, object, str]]) -> str:
    """The differences as an aligned table: key, study's definition, Phylo's, why."""
    if not rows:
        return "The two definitions agree on every figure."
    cells = [(k, _fmt(a), _fmt(b), why) for k, a, b, why in rows]
    header = ("key", "study's definition", "Phylo's definition", "why")
    widths = [max(len(r[i]) for r in cells + [header]) for i in range(3)]
    lines = ["Figures whose two definitions differ", "  ".join(h.ljust(w) for h, w in zip(header, widths + [0])).rstrip(),
             "  ".join("-" * w for w in widths + [3])]
    lines += ["  ".join((k.ljust(widths[0]), a.rjust(widths[1]), b.rjust(widths[2]), why)) for k, a, b, why in cells]
    return "\n".join(lines)
