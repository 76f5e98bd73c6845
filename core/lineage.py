"""The lineage graph: typed parent→child edges, families, depth and descendants.

Everything here is vectorised over integer node indices so the whole Hub
(millions of models) is handled in seconds. Self-loops are dropped and
counted; cycles are found as strongly connected components and never make a
traversal loop.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "Relation",
    "RelationSource",
    "ParentMatch",
    "CANONICAL_ORGS",
    "MATCH_REASONS",
    "resolve_parents",
    "RELATION_PRIORITY",
    "LineageEdges",
    "Lineage",
    "infer_relations",
    "InferenceRule",
    "RULE_CONFIDENCE",
    "build_edges",
    "compute_lineage",
    "weak_components",
    "family_roots",
    "ancestors_of",
    "descendants_of",
]


class Relation(str, Enum):
    """How a child was made from its parent."""

    FINETUNE = "finetune"
    ADAPTER = "adapter"
    QUANTIZED = "quantized"
    MERGE = "merge"


class RelationSource(str, Enum):
    """Whether the relation type was declared on the Hub or inferred by Phylo."""

    DECLARED = "declared"
    INFERRED = "inferred"


class ParentMatch(str, Enum):
    """How a parent id as a child wrote it was matched to a model of the snapshot."""

    EXACT = "exact"  # the id as written
    CASE = "case"  # the id ignoring case: Hub repo ids are case-insensitive
    REDIRECT = "redirect"  # a legacy un-namespaced id the Hub redirects to a canonical organisation's model
    NAME = "name"  # an un-namespaced name that exactly one namespaced model of the snapshot carries
    OUTSIDE = "outside"  # no model of the snapshot (or several equally likely ones)


MATCH_REASONS: dict[str, str] = {
    ParentMatch.EXACT.value: "the id as written",
    ParentMatch.CASE.value: "the same id ignoring case (Hub ids are case-insensitive)",
    ParentMatch.REDIRECT.value: "a legacy id the Hub redirects to its canonical organisation",
    ParentMatch.NAME.value: "the only model of that name in the snapshot (likely, not certain)",
    ParentMatch.OUTSIDE.value: "no model of the snapshot has this id",
}
"""Why a parent was matched as it was, for pages that show it."""

# In 2024 the Hub moved its canonical, once un-namespaced models under these organisations and redirects the old
# ids (``gpt2`` -> ``openai-community/gpt2``); see https://huggingface.co/openai-community and the model pages'
# "redirected from" notes. Older children still name the old id.
CANONICAL_ORGS = ("distilbert", "google-bert", "google-t5", "openai-community", "FacebookAI", "albert", "xlnet",
                  "almanach", "flaubert", "transfo-xl")

# Codes used while building edges: 0 is "untyped"; a parent listed under several
# types takes the highest code (the study's rule: merge wins).
RELATION_PRIORITY: tuple[Relation, ...] = (Relation.FINETUNE, Relation.QUANTIZED, Relation.ADAPTER, Relation.MERGE)
_CODE = {r: i + 1 for i, r in enumerate(RELATION_PRIORITY)}

MERGE_TAGS = ("merge", "mergekit", "lazymergekit", "model-merge", "merged-model")
QUANT_TAGS = ("gguf", "gptq", "awq", "exl2", "4-bit", "8-bit", "bitsandbytes", "quantized", "int4", "int8", "fp8", "mlx",
              "ggml", "llamafile", "hqq", "aqlm", "onnx-quantized", "imatrix")
# Tags of a file format or method that only a quantized copy carries (4-bit/bitsandbytes also mark QLoRA training).
QUANT_FORMAT_TAGS = ("gguf", "gptq", "awq", "exl2", "fp8", "mlx", "ggml", "llamafile", "hqq", "aqlm", "onnx-quantized",
                     "imatrix")
ADAPTER_TAGS = ("peft", "lora", "adapter", "adapter-transformers", "template:sd-lora", "qlora", "loha", "lokr")
QUANT_LIBRARIES = ("gguf", "mlx", "ggml", "llamafile", "ctranslate2")
ADAPTER_LIBRARIES = ("peft", "adapter-transformers")
# Name parts that name a quantized file format: -GGUF, -AWQ, -GPTQ, -exl2, 4.0bpw, -Q4_K_M, -fp8, -int4, -mlx ...
QUANT_FORMAT_NAME = (r"(?i)(gguf|gptq|awq|exl2|ggml|\d(\.\d+)?-?bpw|bpw\d|[-_.]q[2-8]_|[-_.]hqq|[-_.]mlx|imatrix|fp8"
                     r"|(^|[^0-9a-z])int[48]($|[^0-9]))")
# Weaker quantisation words: 4bit, -bnb, quantized, quanto; never 16bit, fp16, bf16 (full-precision exports).
QUANT_NAME = (r"(?i)((^|[^0-9])[2-8][-_.]?bits?\b|[-_.]bnb|quanti[sz]ed|quantization|quanto\b|(^|[-_.])quants?($|[-_.]))")
# Names that say the opposite (``-unquantized``, ``dequantized``, ``noquant``): not a quantisation signal.
NOT_QUANT_NAME = r"(?i)(un|de|non|no)[-_]?quant"
ADAPTER_NAME = r"(?i)([-_.]lora\b|[-_.]qlora|[-_.]adapter|[-_.]peft)"
# Merge methods. Not "-merged": Unsloth and PEFT call a LoRA merged back into its base "merged", a fine-tune.
MERGE_NAME = r"(?i)([-_.]slerp\b|[-_.]ties\b|[-_.]dare\b|passthrough|frankenmerge|[-_.]moerge)"


class InferenceRule(str, Enum):
    """The rules that type an untyped edge, in the order they are tried: the first that applies decides."""

    SEVERAL_PARENTS = "several parents: a merge"
    ADAPTER_LIBRARY = "adapter library (peft): an adapter"
    QUANT_FORMAT = "a quantized file format (GGUF, GPTQ, AWQ, EXL2, MLX, FP8 …): a quantization"
    CONTROLNET = "a ControlNet: an adapter"
    ONE_PARENT_MERGE_TAG = "merge tags with one parent: a fine-tune of a merged model (the tags come with its card)"
    ADAPTER_NAME_ONLY = "LoRA in the name, not the peft library: a LoRA merged into the weights, a fine-tune"
    QUANT_SIGNAL = "a quantization tag or name (4-bit, bnb, quantized): a quantization"
    DEFAULT = "no other signal: a fine-tune"


_RULE_RELATION = {InferenceRule.SEVERAL_PARENTS: Relation.MERGE, InferenceRule.ADAPTER_LIBRARY: Relation.ADAPTER,
                  InferenceRule.QUANT_FORMAT: Relation.QUANTIZED, InferenceRule.CONTROLNET: Relation.ADAPTER,
                  InferenceRule.ONE_PARENT_MERGE_TAG: Relation.FINETUNE, InferenceRule.ADAPTER_NAME_ONLY: Relation.FINETUNE,
                  InferenceRule.QUANT_SIGNAL: Relation.QUANTIZED, InferenceRule.DEFAULT: Relation.FINETUNE}
# How often each rule is right: its precision on the 6,517 edges of the July 2024 listing whose type the Hub declared
# by June 2025 (../shared/data/typed_edges_2025-06.csv; tests/core/test_inference.py re-measures every one of them).
# That data holds no ControlNet (English text generation only): its figure is a prior, not a measurement. Declared: 1.
RULE_CONFIDENCE: dict[InferenceRule, float] = {
    InferenceRule.SEVERAL_PARENTS: 0.96, InferenceRule.ADAPTER_LIBRARY: 0.99, InferenceRule.QUANT_FORMAT: 0.87,
    InferenceRule.CONTROLNET: 0.80, InferenceRule.ONE_PARENT_MERGE_TAG: 0.99, InferenceRule.ADAPTER_NAME_ONLY: 0.78,
    InferenceRule.QUANT_SIGNAL: 0.78, InferenceRule.DEFAULT: 0.99,
}


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
    confidence: np.ndarray | None = None  # float32 chance the type is right: 1 declared, RULE_CONFIDENCE inferred


@dataclass(frozen=True)
class Lineage:
    """Per-model lineage columns and graph facts for the manifest."""

    family_index: np.ndarray  # int64 family number per model (0 = largest family)
    family_root: np.ndarray  # int64 row index of the family's root per model
    depth: np.ndarray  # int64 generations below the nearest root, or below a cycle's entry node (see _cycle_entries)
    n_parents: np.ndarray  # int64 distinct parents, in or out of the snapshot
    n_children: np.ndarray  # int64 distinct children in the snapshot
    n_descendants: np.ndarray  # int64 distinct models reachable below, excluding the model itself
    cycles: list[list[int]]  # node indices of each strongly connected component larger than one
    in_cycle: np.ndarray  # bool


def infer_relations(
    n_parents: np.ndarray,
    has_merge_tag: np.ndarray,
    has_quant_tag: np.ndarray,
    has_adapter_tag: np.ndarray,
    library: pa.Array,
    child_name: pa.Array,
    has_quant_format_tag: np.ndarray | None = None,
    has_controlnet_tag: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Type untyped edges from the child's signals: (relation code, index of the InferenceRule that decided).

    The rules are tried in InferenceRule order, which the Hub's own declarations taught (see RULE_CONFIDENCE): a
    file format only quantized copies have beats the merge tags a GGUF of a merged model copies from its parent's
    card; the peft library beats the 4-bit tags QLoRA training leaves; one parent with merge tags, or LoRA in
    the name of a transformers model, is a fine-tune. ``child_name`` may be ids or names: the rules read the
    name, never the author.
    """
    n = len(n_parents)
    lib = pc.fill_null(pc.utf8_lower(library.cast(pa.string())), "")
    name = pc.replace_substring_regex(pc.fill_null(child_name.cast(pa.string()), ""), r"^.*/", "")

    def matches(pattern: str) -> np.ndarray:
        return pc.match_substring_regex(name, pattern).to_numpy(zero_copy_only=False)

    def library_in(values: tuple[str, ...]) -> np.ndarray:
        return pc.is_in(lib, pa.array(values)).to_numpy(zero_copy_only=False)

    format_tag = has_quant_format_tag if has_quant_format_tag is not None else np.zeros(n, dtype=bool)
    controlnet = has_controlnet_tag if has_controlnet_tag is not None else np.zeros(n, dtype=bool)
    masks = {
        InferenceRule.SEVERAL_PARENTS: n_parents >= 2,
        InferenceRule.ADAPTER_LIBRARY: library_in(ADAPTER_LIBRARIES),
        InferenceRule.QUANT_FORMAT: format_tag | library_in(QUANT_LIBRARIES) | matches(QUANT_FORMAT_NAME),
        InferenceRule.CONTROLNET: controlnet | matches(r"(?i)controlnet"),
        InferenceRule.ONE_PARENT_MERGE_TAG: has_merge_tag | pc.equal(lib, "mergekit").to_numpy(zero_copy_only=False)
        | matches(MERGE_NAME),
        InferenceRule.ADAPTER_NAME_ONLY: has_adapter_tag | matches(ADAPTER_NAME),
        InferenceRule.QUANT_SIGNAL: has_quant_tag | (matches(QUANT_NAME) & ~matches(NOT_QUANT_NAME)),
        InferenceRule.DEFAULT: np.ones(n, dtype=bool),
    }
    rule = np.full(n, -1, dtype=np.int8)
    for i, (r, mask) in enumerate(masks.items()):
        rule[(rule < 0) & mask] = i
    codes = np.array([_CODE[_RULE_RELATION[r]] for r in InferenceRule], dtype=np.int8)
    return codes[rule], rule


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
    format_tag = child_signals.get("quant_format_tag")
    inferred, rule = infer_relations(
        n_parents_of_edge,
        child_signals["merge_tag"][child],
        child_signals["quant_tag"][child],
        child_signals["adapter_tag"][child],
        child_signals["library"].take(pa.array(child)),
        model_ids.take(pa.array(child)),
        format_tag[child] if format_tag is not None else None,
        child_signals["controlnet_tag"][child] if "controlnet_tag" in child_signals else None,
    )
    # Where the Hub declares the type, the guess is checked against it: that is the inference's accuracy.
    stats["inferred_relations"] = int((~declared).sum())
    stats["inference_checked"] = int(declared.sum())
    stats["inference_correct"] = int((inferred[declared] == code[declared]).sum())
    code = np.where(declared, code, inferred)
    confidence = np.array([RULE_CONFIDENCE[r] for r in InferenceRule], dtype=np.float32)[rule]
    edges = LineageEdges(child=child, parent_id=pid, parent=parent, relation=code.astype(np.int8), declared=declared,
                         parent_as_written=as_written, match=match,
                         rule=np.where(declared, -1, rule).astype(np.int8),
                         confidence=np.where(declared, np.float32(1), confidence))
    return edges, stats


def _csr(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Adjacency src→dst as (indptr, targets) sorted by source."""
    order = np.argsort(src, kind="stable")
    indptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))]).astype(np.int64)
    return indptr, dst[order]


def _gather(indptr: np.ndarray, targets: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each node, all its targets: returns (position of the source in ``nodes``, target)."""
    counts = indptr[nodes + 1] - indptr[nodes]
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    src_pos = np.repeat(np.arange(len(nodes)), counts)
    starts = np.repeat(indptr[nodes], counts)
    offs = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return src_pos, targets[starts + offs]


def weak_components(n: int, parent: np.ndarray, child: np.ndarray) -> np.ndarray:
    """Weakly connected component label per node (isolated nodes are their own component)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    g = coo_matrix((np.ones(len(parent), dtype=np.int8), (parent, child)), shape=(n, n)).tocsr()
    return connected_components(g, directed=True, connection="weak")[1].astype(np.int64)


def family_roots(labels: np.ndarray, has_parent: np.ndarray, downloads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Root of each component: its most downloaded member without a parent (any member if all have one).

    Returns (family number per node, root node per node); families are numbered
    by size, largest first, ties by root index, so numbering is deterministic.
    """
    n = len(labels)
    idx = np.arange(n)
    order = np.lexsort((idx, -downloads, has_parent, labels))
    lab_sorted = labels[order]
    first = np.ones(n, dtype=bool)
    first[1:] = lab_sorted[1:] != lab_sorted[:-1]
    root_of_label = np.empty(labels.max() + 1 if n else 0, dtype=np.int64)
    root_of_label[lab_sorted[first]] = order[first]
    sizes = np.bincount(labels)
    comp = lab_sorted[first]
    rank = np.lexsort((root_of_label[comp], -sizes[comp]))
    number = np.empty_like(root_of_label)
    number[comp[rank]] = np.arange(len(comp))
    return number[labels], root_of_label[labels]


def _depths(n: int, parent: np.ndarray, child: np.ndarray, has_parent: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Generations below the nearest root (multi-source BFS from roots and ``seeds``); -1 where none reaches."""
    indptr, targets = _csr(n, parent, child)
    depth = np.full(n, -1, dtype=np.int64)
    frontier = np.union1d(np.flatnonzero(~has_parent), seeds)
    depth[frontier] = 0
    level = 0
    while len(frontier):
        level += 1
        _, nxt = _gather(indptr, targets, frontier)
        nxt = np.unique(nxt)
        nxt = nxt[depth[nxt] < 0]
        depth[nxt] = level
        frontier = nxt
    return depth


def _cycle_entries(labels: np.ndarray, parent: np.ndarray, child: np.ndarray, downloads: np.ndarray) -> np.ndarray:
    """One node per cycle that nothing outside it leads into (its most downloaded member, then the lowest index):
    what a family made only of cycles, or hanging below one, is measured from, as if that node were its root."""
    sizes = np.bincount(labels)
    entered = np.zeros(len(sizes), dtype=bool)
    cross = labels[parent] != labels[child]
    entered[labels[child[cross]]] = True
    nodes = np.flatnonzero((sizes[labels] > 1) & ~entered[labels])
    if not len(nodes):
        return nodes
    order = np.lexsort((nodes, -downloads[nodes], labels[nodes]))
    lab = labels[nodes[order]]
    first = np.ones(len(order), dtype=bool)
    first[1:] = lab[1:] != lab[:-1]
    return nodes[order[first]]


def _descendant_counts(n: int, parent: np.ndarray, child: np.ndarray) -> np.ndarray:
    """Exact number of distinct descendants per node, by growing (ancestor, node) pairs level by level.

    Work is the sum of all ancestor-set sizes, about N × mean depth, and the
    pair set only grows, so cycles end the loop instead of spinning.
    """
    indptr, targets = _csr(n, parent, child)
    mult = np.int64(n)
    frontier = np.unique(parent.astype(np.int64) * mult + child)
    frontier = frontier[(frontier // mult) != (frontier % mult)]
    levels = [frontier]  # sorted, disjoint arrays of (ancestor, descendant) keys
    while len(frontier):
        anc, node = frontier // mult, frontier % mult
        pos, nxt = _gather(indptr, targets, node)
        new = np.unique(anc[pos] * mult + nxt)
        new = new[(new // mult) != (new % mult)]
        for known in levels:  # drop pairs already found by a shorter path
            if not len(new):
                break
            hit = np.searchsorted(known, new)
            hit[hit == len(known)] = 0
            new = new[known[hit] != new]
        if len(new):
            levels.append(new)
        frontier = new
    keys = np.concatenate(levels) if levels else np.empty(0, np.int64)
    return np.bincount(keys // mult, minlength=n).astype(np.int64)


def _cycles(n: int, parent: np.ndarray, child: np.ndarray) -> tuple[list[list[int]], np.ndarray, np.ndarray]:
    """Strongly connected components larger than one (node lists), membership, and each node's component."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not len(parent):
        return [], np.zeros(n, dtype=bool), np.arange(n)
    g = coo_matrix((np.ones(len(parent), dtype=np.int8), (parent, child)), shape=(n, n)).tocsr()
    _, labels = connected_components(g, directed=True, connection="strong")
    sizes = np.bincount(labels)
    big = np.flatnonzero(sizes > 1)
    in_cycle = np.isin(labels, big)
    members = np.flatnonzero(in_cycle)
    groups: dict[int, list[int]] = {}
    for node, lab in zip(members.tolist(), labels[members].tolist()):
        groups.setdefault(lab, []).append(node)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0])), in_cycle, labels


def compute_lineage(n: int, edges: LineageEdges, downloads: np.ndarray) -> Lineage:
    """Families, roots, depth, child and descendant counts over in-snapshot edges."""
    inside = edges.parent >= 0
    p, c = edges.parent[inside], edges.child[inside]
    has_parent = np.bincount(c, minlength=n) > 0
    labels = weak_components(n, p, c)
    family, root = family_roots(labels, has_parent, downloads)
    cycles, in_cycle, strong = _cycles(n, p, c)
    return Lineage(
        family_index=family,
        family_root=root,
        depth=_depths(n, p, c, has_parent, _cycle_entries(strong, p, c, downloads)),
        n_parents=np.bincount(edges.child, minlength=n).astype(np.int64),
        n_children=np.bincount(p, minlength=n).astype(np.int64),
        n_descendants=_descendant_counts(n, p, c),
        cycles=cycles,
        in_cycle=in_cycle,
    )


def _walk(start: str, neighbours: dict[str, list[str]], max_depth: int | None) -> dict[str, int]:
    seen = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        d = seen[node]
        if max_depth is not None and d >= max_depth:
            continue
        for nxt in neighbours.get(node, ()):
            if nxt not in seen:
                seen[nxt] = d + 1
                queue.append(nxt)
    del seen[start]
    return seen


def ancestors_of(model_id: str, edges: list[tuple[str, str]], max_depth: int | None = None) -> dict[str, int]:
    """Ancestors of ``model_id`` with their distance, over (parent, child) pairs; safe on cycles.

    >>> ancestors_of("c", [("a", "b"), ("b", "c"), ("c", "a")])
    {'b': 1, 'a': 2}
    """
    up: dict[str, list[str]] = {}
    for parent, child in edges:
        up.setdefault(child, []).append(parent)
    return _walk(model_id, up, max_depth)


def descendants_of(model_id: str, edges: list[tuple[str, str]], max_depth: int | None = None) -> dict[str, int]:
    """Descendants of ``model_id`` with their distance, over (parent, child) pairs; safe on cycles."""
    down: dict[str, list[str]] = {}
    for parent, child in edges:
        down.setdefault(parent, []).append(child)
    return _walk(model_id, down, max_depth)
