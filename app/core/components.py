"""Connected components of an undirected graph given as edge lists, in numpy (no scipy in the desktop bundle).

Labels are what scipy.sparse.csgraph.connected_components(directed=False) gives: components numbered in the order
of their smallest node. Union by hooking each edge's larger root onto its smaller one, then pointer jumping, all
vectorised: a few passes over the edges even for a million of them (duplicate photos, face neighbour graphs).
"""

from __future__ import annotations

import numpy as np


def connected_components(n: int, a: np.ndarray, b: np.ndarray) -> tuple[int, np.ndarray]:
    """(number of components, label per node 0..n-1) of the graph on n nodes with edges a[i] - b[i]."""
    parent = np.arange(n, dtype=np.int64)
    a, b = np.asarray(a, dtype=np.int64).ravel(), np.asarray(b, dtype=np.int64).ravel()
    while len(a):
        ra, rb = parent[a], parent[b]  # roots: every tree is flat here
        apart = ra != rb
        a, b, ra, rb = a[apart], b[apart], ra[apart], rb[apart]  # joined edges stay joined
        if not len(a):
            break
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))  # a root hooks onto a smaller root
        while True:  # flatten: every node points at its root
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    # The root of each component is its smallest node (roots only ever hook onto smaller ones).
    roots, labels = np.unique(parent, return_inverse=True)
    return len(roots), labels.astype(np.int32)
