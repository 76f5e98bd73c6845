"""Edges from parent mentions: each written parent id matched to a snapshot model, one typed edge per pair."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core.lineage.inference import infer_types, modality_of, relation_confidence
from core.lineage.types import ParentMatch

__all__ = ["CANONICAL_ORGS", "LineageEdges", "resolve_parents", "build_edges"]

# In 2024 the Hub moved its canonical, once un-namespaced models under these organisations and redirects the old
# ids (``gpt2`` -> ``openai-community/gpt2``); see https://huggingface.co/openai-community and the model pages'
# "redirected from" notes. Older children still name the old id.
CANONICAL_ORGS = ("distilbert", "google-bert", "google-t5", "openai-community", "FacebookAI", "albert", "xlnet",
                  "almanach", "flaubert", "transfo-xl")


@dataclass(frozen=True)
class LineageEdges:
    """Edges as integer arrays; ``parent_id`` is the matched model's id, or the id as written when outside."""

    child: np.ndarray  # int64 row index of the child
    parent_id: pa.Array  # string id of the parent
    parent: np.ndarray  # int64 row index of the parent, -1 when outside the snapshot
    relation: np.ndarray  # int8 code 1..4 (see RELATION_PRIORITY)
    declared: np.ndarray  # bool
    parent_as_written: pa.Array | None = None  # the parent id as the child wrote it (first mention)
    match: np.ndarray | None = None  # int8 index into ParentMatch
    rule: np.ndarray | None = None  # int8 index into InferenceRule, -1 where the type is declared
    confidence: np.ndarray | None = None  # float32 chance the type is right: 1 declared, else its rule × modality rate



def _unique_index(keys: pa.Array, rows: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """The keys that occur once, and the row of each: a lookup that never picks between several."""
    enc = pc.dictionary_encode(keys)
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    once = np.flatnonzero(np.bincount(codes, minlength=len(enc.dictionary)) == 1)
    row_of = np.empty(len(enc.dictionary), dtype=np.int64)
    row_of[codes] = rows
    return enc.dictionary.take(pa.array(once)), row_of[once]


def _lookup(query: pa.Array, table: tuple[pa.Array, np.ndarray]) -> np.ndarray:
    keys, rows = table
    pos = pc.fill_null(pc.index_in(query, value_set=keys), -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return np.where(pos >= 0, rows[np.maximum(pos, 0)], -1)


def resolve_parents(parent_ids: pa.Array, model_ids: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Match parent ids as written to snapshot rows: (row or -1, ParentMatch code as its index in the enum).

    In order: the id as written; the id ignoring case (Hub ids are case-insensitive)
    when one model has it; for an un-namespaced id, the one model of a canonical
    organisation of that name (the Hub's redirect), else the one namespaced model
    of that name. Two equally good matches resolve to neither.
    """
    codes = list(ParentMatch)
    n_models = len(model_ids)
    exact = pc.fill_null(pc.index_in(parent_ids, value_set=model_ids), -1).to_numpy(zero_copy_only=False).astype(np.int64)
    row = exact.copy()
    match = np.where(row >= 0, codes.index(ParentMatch.EXACT), codes.index(ParentMatch.OUTSIDE)).astype(np.int8)
    todo = np.flatnonzero(row < 0)
    if not len(todo) or not n_models:
        return row, match
    folded_ids = pc.utf8_lower(model_ids)
    query = pc.utf8_lower(parent_ids.take(pa.array(todo)))
    found = _lookup(query, _unique_index(folded_ids, np.arange(n_models)))
    row[todo], match[todo[found >= 0]] = found, codes.index(ParentMatch.CASE)

    bare = todo[(found < 0) & ~pc.match_substring(query, "/").to_numpy(zero_copy_only=False)]
    if len(bare):
        parts = pc.split_pattern(model_ids, "/", max_splits=1)
        namespaced = np.flatnonzero((pc.list_value_length(parts).to_numpy(zero_copy_only=False) == 2))
        if len(namespaced):
            org = pc.list_element(parts.take(pa.array(namespaced)), 0)
            name = pc.utf8_lower(pc.list_element(parts.take(pa.array(namespaced)), 1))
            canonical = pc.is_in(org, value_set=pa.array(CANONICAL_ORGS)).to_numpy(zero_copy_only=False)
            bare_query = pc.utf8_lower(parent_ids.take(pa.array(bare)))
            at_org = _lookup(bare_query, _unique_index(name.filter(pa.array(canonical)), namespaced[canonical]))
            # A name several canonical models share is ambiguous: it must not fall through to the name rule.
            at_any_org = pc.is_in(bare_query, value_set=name.filter(pa.array(canonical))).to_numpy(zero_copy_only=False)
            by_name = _lookup(bare_query, _unique_index(name, namespaced))
            by_name[at_any_org] = -1
            row[bare] = np.where(at_org >= 0, at_org, by_name)
            match[bare[at_org >= 0]] = codes.index(ParentMatch.REDIRECT)
            match[bare[(at_org < 0) & (by_name >= 0)]] = codes.index(ParentMatch.NAME)
    return row, match


def build_edges(
    child: np.ndarray,
    parent_id: pa.Array,
    code: np.ndarray,
    model_ids: pa.Array,
    child_signals: dict[str, np.ndarray | pa.Array],
) -> tuple[LineageEdges, dict[str, int]]:
    """Turn long (child, parent id, code) mentions into one typed edge per (child, parent) pair.

    ``code`` is 0 for an untyped mention and 1..4 for a declared type. Parents are
    matched as :func:`resolve_parents` says; mentions of one parent (``o/base`` and
    ``O/Base``, ``gpt2`` and ``openai-community/gpt2``) make one edge, which keeps
    the highest code and what the child wrote first. Returns the edges and counts:
    dropped self-loops (their child ids in ``self_loop_ids``), parents outside the
    snapshot, and edges per kind of match.
    """
    parent_id = parent_id.cast(pa.string())
    keep = ~pc.is_null(parent_id).to_numpy(zero_copy_only=False)
    keep &= pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(parent_id), ""), False).to_numpy(zero_copy_only=False)
    idx = np.flatnonzero(keep)
    child, parent_id, code = child[idx], pc.utf8_trim_whitespace(parent_id.take(idx)), code[idx]
    # Resolve each distinct id once; outside parents are told apart by their case-folded id.
    written = pc.dictionary_encode(parent_id)
    dict_row, dict_match = resolve_parents(written.dictionary, model_ids)
    wcode = written.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    folded = pc.dictionary_encode(pc.utf8_lower(written.dictionary)).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    n = len(model_ids)
    target = np.where(dict_row >= 0, dict_row, n + folded)[wcode]
    key = child * (n + len(folded) + 1) + target
    position = np.arange(len(key))
    order = np.lexsort((position, -code.astype(np.int64), key))  # per pair: the highest code first
    key_sorted = key[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = key_sorted[1:] != key_sorted[:-1]
    earliest = np.lexsort((position, key))[first]  # the same groups, by source order: the first mention
    sel = order[first]
    by_source = np.argsort(sel)  # edges in source order
    sel, earliest = sel[by_source], earliest[by_source]
    child, code = child[sel], code[sel]
    as_written = parent_id.take(pa.array(earliest))
    parent = dict_row[wcode[sel]]
    match = dict_match[wcode[sel]]
    pid = pc.if_else(pa.array(parent >= 0), model_ids.take(pa.array(np.maximum(parent, 0))), as_written) if n else as_written
    self_loop = parent == child
    by_pair = np.lexsort((wcode, key))  # a pair written two ways: a second spelling within its group
    k, w = key[by_pair], wcode[by_pair]
    several = np.unique(k[1:][(k[1:] == k[:-1]) & (w[1:] != w[:-1])])
    stats = {"self_loops": int(self_loop.sum()), "self_loop_ids": model_ids.take(pa.array(child[self_loop])).to_pylist(),
             "spellings_merged": len(several)}
    child, code, pid, parent = child[~self_loop], code[~self_loop], pid.filter(pa.array(~self_loop)), parent[~self_loop]
    as_written, match = as_written.filter(pa.array(~self_loop)), match[~self_loop]
    stats["unknown_parents"] = int((parent < 0).sum())
    for i, kind in enumerate(ParentMatch):
        stats[f"parents_{kind.value}"] = int((match == i).sum())
    n_parents_of_edge = np.bincount(child, minlength=n)[child]
    declared = code > 0
    at_child = pa.array(child)
    signals = {k: (v.take(at_child) if isinstance(v, pa.Array) else np.asarray(v)[child]) for k, v in child_signals.items()}
    inferred, rule = infer_types(n_parents_of_edge, signals, model_ids.take(at_child))
    # Where the Hub declares the type, the guess is checked against it: that is the inference's accuracy.
    stats["inferred_relations"] = int((~declared).sum())
    stats["inference_checked"] = int(declared.sum())
    stats["inference_correct"] = int((inferred[declared] == code[declared]).sum())
    code = np.where(declared, code, inferred)
    confidence = relation_confidence(rule, modality_of(signals, len(child)))
    edges = LineageEdges(child=child, parent_id=pid, parent=parent, relation=code.astype(np.int8), declared=declared,
                         parent_as_written=as_written, match=match,
                         rule=np.where(declared, -1, rule).astype(np.int8),
                         confidence=np.where(declared, np.float32(1), confidence))
    return edges, stats


