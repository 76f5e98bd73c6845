"""The lineage graph: typed parent→child edges, families, depth and descendants.

Everything here is vectorised over integer node indices so the whole Hub
(millions of models) is handled in seconds. Self-loops are dropped and
counted; cycles are found as strongly connected components and never make a
traversal loop.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from core.lineage.edges import LineageEdges

__all__ = ["Lineage", "compute_lineage", "nearest_declaring", "weak_components", "family_roots", "ancestors_of", "descendants_of", "lineage_of", "walk"]


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


def nearest_declaring(n: int, parent: np.ndarray, child: np.ndarray, declared: np.ndarray, downloads: np.ndarray,
                      max_steps: int = 64) -> np.ndarray:
    """Per model, the nearest ancestor that declares something (``declared``), or -1: the license a model's
    own should match. Each model looks up through one parent, its most downloaded one over the given edges
    (pass the edges without merges: a merge has several parents and no single upstream). Bounded, so cycles end."""
    up = np.full(n, -1, dtype=np.int64)
    order = np.lexsort((parent, -downloads[parent], child))  # per child: the most downloaded parent first
    first = np.ones(len(order), dtype=bool)
    first[1:] = child[order][1:] != child[order][:-1]
    up[child[order][first]] = parent[order][first]
    found = np.full(n, -1, dtype=np.int64)
    cur = up.copy()
    for _ in range(max_steps):
        live = cur >= 0
        if not live.any():
            break
        hit = live & declared[np.maximum(cur, 0)]
        found[hit] = cur[hit]
        cur = np.where(live & ~hit, up[np.maximum(cur, 0)], -1)
    return found


def walk(start: str, neighbours: dict[str, list[str]], max_depth: int | None = None) -> dict[str, int]:
    """Every node reachable from ``start`` with its distance (``start`` left out): the one graph walk, cycle-safe."""
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
    return walk(model_id, up, max_depth)


def descendants_of(model_id: str, edges: list[tuple[str, str]], max_depth: int | None = None) -> dict[str, int]:
    """Descendants of ``model_id`` with their distance, over (parent, child) pairs; safe on cycles."""
    down: dict[str, list[str]] = {}
    for parent, child in edges:
        down.setdefault(parent, []).append(child)
    return walk(model_id, down, max_depth)


def lineage_of(model_id: str, edges) -> set[str]:
    """The model, all its ancestors up to the roots and all its descendants (cycle-safe).

    ``edges`` is any table with ``parent`` and ``child`` columns (or a mapping of them).
    """
    pairs = list(zip(edges["parent"], edges["child"]))
    return {model_id, *ancestors_of(model_id, pairs), *descendants_of(model_id, pairs)}
