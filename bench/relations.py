"""Relation inference and its confidence against the Hub's declarations, split by family.

Labelled edges come from three real sources in ../shared/data:
  declared   declared_relations_2024-09: the Hub's typed tags of Sept 2024, made untyped in its listing (every relation)
  typed      typed_edges_2025-06 joined with the untyped edges of the 2024-07 listing: only its quantized, merged and
             adapter labels (its "finetuned" also counts children that declared nothing)
  trees      family_trees_2025: declared fine-tunes, the negatives
Edges are split by the family of their parent (its fine-tune-only root, else the parent id), hashed, never by edge:
even hashes tune, odd ones are held out. ``--write`` stores the rule × modality table the build reads
(core/lineage/calibration.json), measured on the tuning part only; every figure printed is on the held-out part.
"Before" is the rule set of commit BASELINE_COMMIT, read from git.

    python bench/relations.py [--write] [--listing /tmp/after/listing] [--work build/bench/relations]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import types
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.lineage import inference  # noqa: E402
from core.lineage.types import RELATION_PRIORITY  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
BASELINE_COMMIT = "39b3952"  # the rules tuned on English text generation only
PRIOR_WEIGHT = 20  # a stratum counts as this many edges at its rule's rate (the rule's at the overall rate)
FEW = 30  # a stratum with fewer tuning edges is shrunk toward its rule's rate capped at MODEST, not the rule's own
MODEST = 0.9
CEILING = 0.99  # an inferred type is never certain; 1 stays the mark of a declared one
TYPED_LABELS = {"quantized": "quantized", "merged": "merge", "adapter": "adapter"}
RELATIONS = [r.value for r in RELATION_PRIORITY]
BINS = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0001)


def held_out(group: str) -> bool:
    """The split: a family is held out when the md5 of its lower-cased root id is odd (deterministic, ~half)."""
    return int(hashlib.md5(group.lower().encode()).hexdigest()[:8], 16) % 2 == 1


def _edges_with_child(bundle: Path, where: str, extra_join: str = "", params: list | None = None) -> pd.DataFrame:
    con = duckdb.connect()
    con.execute(f"CREATE VIEW e AS SELECT * FROM read_parquet('{bundle / 'edges.parquet'}')")
    con.execute(f"CREATE VIEW m AS SELECT * FROM read_parquet('{bundle / 'models.parquet'}')")
    return con.execute(f"""
        WITH np AS (SELECT child, count(*) AS n_parents FROM e GROUP BY child)
        SELECT e.child, e.parent, np.n_parents, m.tags, m.library_name AS library, m.pipeline_tag,
               lower(coalesce(pm.family_finetune, e.parent)) AS grp, e.relation AS stored, e.relation_source,
               e.relation_rule, e.relation_confidence {', x.label' if extra_join else ''}
        FROM e JOIN np USING (child) JOIN m ON m.model_id = e.child LEFT JOIN m pm ON pm.model_id = e.parent
        {extra_join} WHERE {where}""", params or []).df()


def labelled(decl: Path, trees: Path, listing: Path | None, shared: Path = SHARED) -> pd.DataFrame:
    """Every labelled edge with the child's signals, its source and its part of the split."""
    rel = str(shared / "declared_relations_2024-09" / "relations.csv")
    parts = [_edges_with_child(decl, "TRUE", f"""JOIN (SELECT child AS c, parent AS p, relation AS label
        FROM read_csv('{rel}', header = true)) x ON lower(x.c) = lower(e.child) AND lower(x.p) = lower(e.parent)""")
             .assign(source="declared"),
             _edges_with_child(trees, "e.relation_source = 'declared' AND e.relation = 'finetune'")
             .assign(label="finetune", source="trees")]
    if listing is not None:
        typed = str(shared / "typed_edges_2025-06.csv")
        parts.append(_edges_with_child(listing, "e.relation_source = 'inferred'", f"""JOIN (SELECT source AS p,
            target AS c, CASE edge WHEN 'merged' THEN 'merge' ELSE edge END AS label FROM read_csv('{typed}', header = true)
            WHERE edge IN ('quantized', 'merged', 'adapter')) x
            ON lower(x.c) = lower(e.child) AND lower(x.p) = lower(e.parent)""").assign(source="typed"))
    df = pd.concat(parts, ignore_index=True)
    df["held_out"] = df["grp"].map(held_out)
    return df


def signals_of(df: pd.DataFrame) -> dict:
    """The build's child signals (core.lineage.tag_signals) from a frame of tags, library and pipeline tag."""
    tags = pa.array(df["tags"].map(lambda t: list(t) if t is not None else []), pa.list_(pa.string()))
    rows = pc.list_parent_indices(tags).to_numpy(zero_copy_only=False)
    signals = inference.tag_signals(len(df), rows, pc.utf8_lower(pc.list_flatten(tags)))
    signals["library"] = pa.array(df["library"], pa.string())
    signals["pipeline_tag"] = pa.array(df["pipeline_tag"], pa.string())
    return signals, rows, tags


def infer_new(df: pd.DataFrame) -> pd.DataFrame:
    signals, _, _ = signals_of(df)
    code, rule = inference.infer_types(df["n_parents"].to_numpy(), signals, pa.array(df["child"], pa.string()))
    modality = inference.modality_of(signals, len(df))
    names = np.array([r.name.lower() for r in inference.InferenceRule])
    return df.assign(inferred=np.array(RELATIONS)[code - 1], rule=names[rule],
                     modality=np.array([m.value for m in inference.Modality])[modality],
                     confidence=inference.relation_confidence(rule, modality))


def old_rules() -> types.ModuleType:
    """The inference module of BASELINE_COMMIT, loaded from git: the status quo to compare with."""
    text = subprocess.run(["git", "show", f"{BASELINE_COMMIT}:core/lineage/inference.py"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout
    module = types.ModuleType("baseline_inference")
    exec(compile(text, "baseline_inference.py", "exec"), module.__dict__)  # noqa: S102 - our own file, from git
    return module


def infer_old(df: pd.DataFrame) -> pd.DataFrame:
    old = old_rules()
    _, rows, tags = signals_of(df)
    flat = pc.utf8_lower(pc.list_flatten(tags))

    def any_tag(values):
        hit = pc.is_in(flat, pa.array(values)).to_numpy(zero_copy_only=False)
        return np.bincount(rows[hit], minlength=len(df)) > 0

    code, rule = old.infer_relations(df["n_parents"].to_numpy(), any_tag(old.MERGE_TAGS), any_tag(old.QUANT_TAGS),
                                     any_tag(old.ADAPTER_TAGS), pa.array(df["library"], pa.string()),
                                     pa.array(df["child"], pa.string()), any_tag(old.QUANT_FORMAT_TAGS),
                                     any_tag(("controlnet", "controlnet-lora", "t2i-adapter")))
    conf = np.array([old.RULE_CONFIDENCE[r] for r in old.InferenceRule])[rule]
    return df.assign(inferred=np.array(RELATIONS)[code - 1], confidence=conf)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score 95% interval of k successes in n."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre, half = p + z * z / (2 * n), z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)


def reliability(confidence: np.ndarray, right: np.ndarray) -> tuple[pd.DataFrame, float]:
    """Confidence bins against measured accuracy, and the expected calibration error (count-weighted |gap|)."""
    bins = np.digitize(confidence, BINS[1:-1])
    rows = []
    for b in range(len(BINS) - 1):
        mine = bins == b
        if mine.any():
            rows.append({"bin": f"{BINS[b]:.2f}-{min(BINS[b + 1], 1):.2f}", "edges": int(mine.sum()),
                         "confidence": confidence[mine].mean(), "accuracy": right[mine].mean()})
    table = pd.DataFrame(rows)
    ece = float((table["edges"] * (table["confidence"] - table["accuracy"]).abs()).sum() / max(len(right), 1))
    return table, ece


def accuracy_by(df: pd.DataFrame, column: str) -> pd.DataFrame:
    out = []
    for key, g in [("all", df), *df.groupby(column)]:
        k, n = int((g["inferred"] == g["label"]).sum()), len(g)
        lo, hi = wilson(k, n)
        out.append({column: key, "edges": n, "accuracy": k / n if n else float("nan"), "low": lo, "high": hi})
    return pd.DataFrame(out)


def calibration_table(tune: pd.DataFrame) -> dict:
    """Rule × modality rates on the tuning part, each shrunk toward its rule's rate, the rule's toward the overall
    (a thin one toward MODEST at most): rate = (right + PRIOR_WEIGHT × prior) / (edges + PRIOR_WEIGHT), ≤ CEILING."""
    right = tune["inferred"] == tune["label"]
    overall = float(right.mean())
    out = {"source": "python bench/relations.py --write: tuning half (even md5 of the parent's family root) of "
                     "declared_relations_2024-09, typed_edges_2025-06 (quantized/merged/adapter) and family_trees_2025 "
                     "(fine-tunes)", "ceiling": CEILING, "few": FEW, "modest": MODEST,
           "prior_weight": PRIOR_WEIGHT, "prior_rate": round(overall, 4), "edges": len(tune), "rules": {}}
    for rule in inference.InferenceRule:
        mine = tune["rule"] == rule.name.lower()
        k, n = int(right[mine].sum()), int(mine.sum())
        rate = (k + PRIOR_WEIGHT * (min(overall, MODEST) if n < FEW else overall)) / (n + PRIOR_WEIGHT)
        strata = {}
        for modality in inference.Modality:
            cell = mine & (tune["modality"] == modality.value)
            km, nm = int(right[cell].sum()), int(cell.sum())
            if nm:
                prior = min(rate, MODEST) if nm < FEW else rate
                shrunk = min((km + PRIOR_WEIGHT * prior) / (nm + PRIOR_WEIGHT), CEILING)
                strata[modality.value] = {"n": nm, "right": km, "confidence": round(shrunk, 4)}
        out["rules"][rule.name.lower()] = {"n": n, "right": k, "confidence": round(min(rate, CEILING), 4),
                                           "modalities": strata}
    return out


def listing_lora_share(listing: Path) -> dict:
    """Share of the edges into diffusers LoRA children (library or tag diffusers; a lora tag or name) typed adapter."""
    frame = _edges_with_child(listing, """e.relation_source = 'inferred' AND (m.library_name = 'diffusers'
        OR list_contains(m.tags, 'diffusers')) AND (list_contains(m.tags, 'lora') OR list_contains(m.tags,
        'template:sd-lora') OR regexp_matches(lower(m.model_id), 'lora'))""")
    frame = frame.assign(label="adapter")
    after, before = infer_new(frame), infer_old(frame)
    return {"edges": len(frame), "before": float((before["inferred"] == "adapter").mean()),
            "after": float((after["inferred"] == "adapter").mean())}


def ensure_bundles(work: Path, listing: Path | None) -> tuple[Path, Path, Path | None]:
    from core.precompute import build_bundle

    paths = {"decl": SHARED / "declared_relations_2024-09" / "listing.jsonl", "trees": SHARED / "family_trees_2025.csv"}
    for name, source in paths.items():
        if not (work / name / "edges.parquet").exists():
            build_bundle(str(source), work / name)
    return work / "decl", work / "trees", listing


def report(df: pd.DataFrame, title: str) -> tuple[float, float]:
    print(f"\n== {title}: {len(df)} held-out edges")
    print(accuracy_by(df, "label").to_string(index=False, float_format="%.3f"))
    print(accuracy_by(df, "modality").to_string(index=False, float_format="%.3f"))
    table, ece = reliability(df["confidence"].to_numpy(), (df["inferred"] == df["label"]).to_numpy())
    print(table.to_string(index=False, float_format="%.3f"))
    accuracy = float((df["inferred"] == df["label"]).mean())
    print(f"accuracy {accuracy:.3f}  ECE {ece:.3f}")
    return accuracy, ece


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="write core/lineage/calibration.json from the tuning part")
    ap.add_argument("--listing", type=Path, default=Path("/tmp/after/listing"), help="bundle of the 760k listing")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "bench" / "relations")
    args = ap.parse_args()
    listing = args.listing if (args.listing / "edges.parquet").exists() else None
    decl, trees, listing = ensure_bundles(args.work, listing)
    df = labelled(decl, trees, listing)
    new = infer_new(df)
    if args.write:
        table = calibration_table(new[~new["held_out"]])
        inference.CALIBRATION_FILE.write_text(json.dumps(table, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {inference.CALIBRATION_FILE}; rerun without --write to measure with it")
        return
    old = infer_old(df).assign(modality=new["modality"])
    held = new["held_out"]
    print(f"labelled edges {len(df)} ({df['source'].value_counts().to_dict()}); held out {int(held.sum())}")
    for name, sel in (("all sources", held), ("declared_relations_2024-09", held & (new["source"] == "declared"))):
        report(old[sel], f"BEFORE ({BASELINE_COMMIT}) {name}")
        report(new[sel], f"AFTER {name}")
    if listing is not None:
        print("\n760k listing, diffusers LoRA edges typed adapter:", listing_lora_share(listing))
    rules = new[held].assign(right=new["inferred"] == new["label"]).groupby(["rule", "modality"])
    print(rules.agg(edges=("right", "size"), accuracy=("right", "mean"), confidence=("confidence", "mean"))
          .to_string(float_format="%.3f"))


if __name__ == "__main__":
    main()
