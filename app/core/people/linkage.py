"""Average linkage cut at a distance, in numpy: the flat clusters scipy's
fcluster(linkage(condensed, "average"), t, criterion="distance") gives, with the same numbers.

Face clusters of existing libraries came from scipy, so this follows scipy's own algorithms step by step rather
than any equivalent one: the nearest-neighbour chain (ties to the chain's previous element, then to the lowest
index; merged pair (x, y) kept as y), the stable sort of the merges by height, union-find relabelling, and
fcluster's walk that numbers the clusters. tests/test_no_scipy.py compares both on random data with ties. The
desktop bundle has no scipy.
"""

from __future__ import annotations

import numpy as np


def _nn_chain(dist: np.ndarray) -> np.ndarray:
    """scipy's nn_chain for average linkage on a square distance matrix (its upper triangle, which is what
    squareform keeps): rows (x, y, height, size) in merge order, x and y being the point that stands for each
    cluster."""
    n = len(dist)
    d = np.triu(np.asarray(dist, dtype=np.float64), 1)
    d += d.T
    np.fill_diagonal(d, np.inf)
    size = np.ones(n, dtype=np.int64)
    merges = np.empty((n - 1, 4))
    chain: list[int] = []
    for k in range(n - 1):
        if not chain:
            chain.append(int(np.flatnonzero(size > 0)[0]))
        while True:
            x = chain[-1]
            row = d[x]
            y, best = (chain[-2], row[chain[-2]]) if len(chain) > 1 else (-1, np.inf)
            j = int(row.argmin())  # the first strictly smaller distance wins, as scipy's scan
            if row[j] < best:
                y, best = j, row[j]
            if len(chain) > 1 and y == chain[-2]:
                break
            chain.append(y)
        del chain[-2:]
        x, y = min(x, y), max(x, y)
        nx, ny = size[x], size[y]
        merges[k] = x, y, best, nx + ny
        size[x], size[y] = 0, nx + ny
        # Average linkage: the new cluster's distance to each other one, scipy's formula in the same order
        # (whole rows: merged-away clusters and the diagonal hold inf, which the formula keeps inf).
        new = (nx * d[x] + ny * d[y]) / (nx + ny)
        d[y, :] = new
        d[:, y] = new
        d[x, :] = np.inf
        d[:, x] = np.inf
    return merges


def _relabel(merges: np.ndarray, n: int) -> np.ndarray:
    """scipy's label(): sort merges by height (stable) and name clusters n, n+1, ... in that order."""
    merges = merges[np.argsort(merges[:, 2], kind="mergesort")]
    parent = np.arange(2 * n - 1)

    def find(i: int) -> int:
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    for row in range(n - 1):
        a, b = find(int(merges[row, 0])), find(int(merges[row, 1]))
        merges[row, 0], merges[row, 1] = min(a, b), max(a, b)
        parent[a] = parent[b] = n + row
    return merges


def _flat_clusters(tree: np.ndarray, n: int, cutoff: float) -> np.ndarray:
    """scipy's fcluster(criterion="distance"): the topmost clusters whose highest merge is <= cutoff, numbered
    from 1 in the order scipy's cluster_monocrit walk meets them."""
    highest = np.empty(n - 1)
    for row in range(n - 1):  # children are always earlier rows
        highest[row] = max([tree[row, 2]] + [highest[int(c) - n] for c in tree[row, :2] if c >= n])
    out = np.zeros(n, dtype=np.int32)
    visited = np.zeros(2 * n - 1, dtype=bool)
    stack = [2 * n - 2]
    count, leader = 0, -1
    while stack:
        node = stack[-1] - n
        left, right = int(tree[node, 0]), int(tree[node, 1])
        if leader == -1 and highest[node] <= cutoff:
            leader = node
            count += 1
        if left >= n and not visited[left]:
            visited[left] = True
            stack.append(left)
            continue
        if right >= n and not visited[right]:
            visited[right] = True
            stack.append(right)
            continue
        for leaf in (left, right):
            if leaf < n:
                if leader == -1:
                    count += 1
                out[leaf] = count
        if leader == node:
            leader = -1
        stack.pop()
    return out


def average_linkage_clusters(dist: np.ndarray, cutoff: float) -> np.ndarray:
    """Flat cluster numbers (1, 2, ...) of average linkage on a square distance matrix (its upper triangle),
    cut at `cutoff`: fcluster(linkage(squareform(dist, checks=False), "average"), cutoff, "distance")."""
    n = len(dist)
    if n == 1:
        return np.ones(1, dtype=np.int32)
    return _flat_clusters(_relabel(_nn_chain(dist), n), n, cutoff)
