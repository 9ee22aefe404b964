"""Grouping face vectors into people: pure functions over numpy arrays (the tasks in cluster_task apply them).

Method (figures in docs/PEOPLE.md): density groups from a FAISS k-nearest-neighbour graph (a face with at
least min_size - 1 neighbours within the match distance is a core face; linked core faces form a group), each
group cut by average linkage at the match distance (precision: no chains of look-alikes), groups whose average
pairwise distance is under it joined (recall: one person, one group), and the remaining faces join a group only
when their nearest grouped faces agree. Memory is O(n k): no n x n matrix is ever built.
"""

from __future__ import annotations

import numpy as np


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _means(vectors: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each group's id and mean vector (sorted by group, summed with reduceat: np.add.at was 10x slower)."""
    grouped = np.flatnonzero(labels >= 0)
    order = grouped[np.argsort(labels[grouped], kind="stable")]
    ids, starts, counts = np.unique(labels[order], return_index=True, return_counts=True)
    if len(ids) == 0:
        return ids, np.zeros((0, vectors.shape[1]))
    sums = np.add.reduceat(vectors[order], starts, axis=0, dtype=np.float64)
    return ids, sums / counts[:, None]


def _join_close(labels: np.ndarray, vectors: np.ndarray, distance: float) -> np.ndarray:
    """Join groups whose average pairwise cosine distance is under `distance` (average linkage between
    groups, computed exactly from their mean vectors: mean(a_i . b_j) = mean(a) . mean(b)); repeated until
    stable. Candidates come from a FAISS search over the unit centroids, so this is never quadratic."""
    while True:
        ids, means = _means(vectors, labels)
        cents = normalise(means)
        if len(ids) < 2:
            return labels
        _, found = vector_index(cents).search(np.ascontiguousarray(cents, dtype=np.float32), min(8, len(ids)))
        parent = list(range(len(ids)))

        def root(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        joined = False
        for i in range(len(ids)):
            for j in found[i]:
                if j != i and j >= 0 and 1.0 - float(means[i] @ means[j]) < distance and root(i) != root(j):
                    parent[root(i)] = root(j)
                    joined = True
        if not joined:
            return labels
        mapping = {ids[i]: ids[root(i)] for i in range(len(ids))}
        labels = np.array([mapping.get(l, -1) if l >= 0 else -1 for l in labels])


EXACT_KNN_MAX = 20_000  # above this many faces, searches go through an inverted-file (IVF) index
IVF_LISTS_PER_SQRT = 2  # lists = 2 sqrt(n): 632 at 100,000 faces
IVF_PROBE_SHARE = 1 / 128  # lists searched per query: 5 of 632, ~0.8 % of the faces (docs/PEOPLE.md)
IVF_TRAIN_PER_LIST = 32  # k-means training points per list (FAISS warns under 39, but more buys no recall)
IVF_TRAIN_ITER = 10  # k-means iterations: lists only need to be roughly right; FAISS's 25 cost 2.5x


def vector_index(vectors: np.ndarray):
    """A FAISS inner-product index over unit vectors: exact up to EXACT_KNN_MAX, else IVF (k-means lists,
    trained on a sample), which keeps a 100,000-face neighbour graph to seconds and one search to a few ms.
    Training was most of a 100,000-face recluster (47 of ~90 s under load with 1,264 lists, 25 iterations,
    trained twice): now 632 lists, 10 iterations, once per recluster (docs/PEOPLE.md)."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    if len(vectors) <= EXACT_KNN_MAX:
        index = faiss.IndexFlatIP(dim)
    else:
        lists = int(IVF_LISTS_PER_SQRT * np.sqrt(len(vectors)))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = IVF_TRAIN_ITER
        index.cp.min_points_per_centroid = 1  # no warning for the deliberately small sample
        sample = np.random.default_rng(0).choice(len(vectors), min(len(vectors), IVF_TRAIN_PER_LIST * lists),
                                                 replace=False)
        index.train(vectors[sample])
        index.nprobe = max(4, int(round(lists * IVF_PROBE_SHARE)))
    index.add(vectors)
    return index


def _neighbours(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each vector's k nearest (itself excluded where found): cosine distances and indexes (-1: none)."""
    k = min(k + 1, len(vectors))
    sims, found = vector_index(vectors).search(np.ascontiguousarray(vectors, dtype=np.float32), k)
    found = np.where(found == np.arange(len(vectors))[:, None], -1, found)
    return 1.0 - sims, found


def _core_groups(dist: np.ndarray, found: np.ndarray, min_size: int, distance: float) -> np.ndarray:
    """DBSCAN on a k-nearest-neighbour graph (`_neighbours`): a face with at least min_size - 1 neighbours
    within `distance` is a core face; core faces linked by such a neighbour pair form a group. O(n k) memory."""
    from app.core.components import connected_components

    n = len(found)
    close = (found >= 0) & (dist < distance)
    core = close.sum(axis=1) >= max(min_size - 1, 1)
    rows = np.repeat(np.arange(n), found.shape[1])
    cols = found.reshape(-1)
    keep = close.reshape(-1) & core[rows] & core[np.maximum(cols, 0)]
    _, labels = connected_components(n, rows[keep], cols[keep])
    labels = np.where(core, labels, -1)
    ids, counts = np.unique(labels[labels >= 0], return_counts=True)
    labels[np.isin(labels, ids[counts < min_size])] = -1
    return labels


def _hdbscan(vectors: np.ndarray, min_size: int) -> np.ndarray:
    """HDBSCAN, kept for comparison (`method="hdbscan"`): as good on quality, but 20-70 s for 10,000 faces
    in 128 dimensions on two cores, where the graph method takes under a second. Not in the desktop bundle
    (hdbscan needs scipy and scikit-learn), where asking for it is a clear error."""
    try:
        import hdbscan
    except ImportError as exc:
        raise RuntimeError('method="hdbscan" needs the hdbscan package (pip install hdbscan); this build has '
                           'only the default graph method') from exc

    return hdbscan.HDBSCAN(
        min_cluster_size=max(min_size, 2), min_samples=max(min_size - 1, 1), metric="euclidean",
        cluster_selection_method="leaf", core_dist_n_jobs=1, algorithm="prims_kdtree",
    ).fit_predict(vectors.astype(np.float64))


# Average linkage is exact but quadratic; bigger HDBSCAN groups are split on a random sample of this size.
LINKAGE_MAX = 2000


def _cosine_distances(unit: np.ndarray) -> np.ndarray:
    """Pairwise cosine distances of unit vectors from one BLAS product (scipy's pdist(metric="cosine") took
    most of the average-linkage step at 100,000 faces); linkage reads the upper triangle."""
    dist = 1.0 - unit.astype(np.float64) @ unit.T.astype(np.float64)
    np.fill_diagonal(dist, 0.0)
    return np.clip(dist, 0.0, 2.0)


def _split_loose(labels: np.ndarray, vectors: np.ndarray, distance: float) -> np.ndarray:
    """Cut each density group by average linkage at `distance`: a chain of look-alikes links two people in a
    neighbour graph (and HDBSCAN's leaf groups held two people at worst intra-group distance 0.78 on
    ../shared/faces). Average linkage keeps only members that are close on average. Groups that are provably
    tight (every pair within `distance`) skip it, and huge groups are cut on a sample."""
    from app.core.people.linkage import average_linkage_clusters

    out = np.full(len(labels), -1)
    next_label = 0
    rng = np.random.default_rng(0)
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.unique(labels[labels >= 0]))
    for start, end in zip(bounds, [*bounds[1:], len(order)]):
        members = order[start:end]
        mean = vectors[members].mean(axis=0)
        radius2 = float((((vectors[members] - mean) ** 2).sum(axis=1)).max())
        if 2 * radius2 < distance:
            # Every pair is within `distance` (unit vectors: cosine distance = |a - b|^2 / 2 <= 2 r^2): one part.
            out[members] = next_label
            next_label += 1
            continue
        sample = members if len(members) <= LINKAGE_MAX else rng.choice(members, LINKAGE_MAX, replace=False)
        parts = average_linkage_clusters(_cosine_distances(vectors[sample]), distance)
        out[sample] = parts + next_label
        next_label += int(parts.max()) + 1
        if len(sample) < len(members):  # the rest joins the sampled parts through their nearest members
            rest = np.setdiff1d(members, sample)
            out[rest] = MemberIndex(vectors[sample], out[sample]).assign(vectors[rest], distance)
    return out


def tight_pairs(vectors: np.ndarray, labels: np.ndarray, pair_distance: float) -> np.ndarray:
    """Two ungrouped faces that are each other's nearest ungrouped face, closer than `pair_distance`, become a
    group of two: a person seen in only two photos. The cut-off is far under the match distance (for SFace 0.4:
    under it lie ~95 % of same-person pairs and no pair of strangers measured, the closest being 0.62), so a
    pair is as safe as a group of `min_size` at the match distance. Returns labels with the new groups."""
    labels = labels.copy()
    pool = np.flatnonzero(labels < 0)
    if len(pool) < 2 or pair_distance <= 0:
        return labels
    dist, found = _neighbours(vectors[pool], 1)
    nearest = np.where(found[:, 0] >= 0, found[:, 0], found[:, -1])
    close = 1.0 - (vectors[pool] * vectors[pool[nearest]]).sum(axis=1) < pair_distance
    next_label = int(labels.max()) + 1 if (labels >= 0).any() else 0
    for i, j in enumerate(nearest):
        if i < j and close[i] and nearest[j] == i:
            labels[pool[[i, j]]] = next_label
            next_label += 1
    return labels


def density_groups(vectors: np.ndarray, *, min_size: int, distance: float, method: str = "graph",
                   pair_distance: float = 0.0) -> np.ndarray:
    """A group label per vector (-1: no group). Groups have at least `min_size` members, or are tight pairs
    (see tight_pairs; `pair_distance` 0 makes none)."""
    n = len(vectors)
    if n < 2:
        return np.full(n, -1)
    vectors = normalise(vectors)
    if n < min_size:
        return tight_pairs(vectors, np.full(n, -1), pair_distance)
    # One neighbour graph serves the density step and the noise step (one FAISS index per recluster).
    dist, found = _neighbours(vectors, max(min_size, NEIGHBOURS))
    labels = _core_groups(dist, found, min_size, distance) if method == "graph" else _hdbscan(vectors, min_size)
    labels = _split_loose(labels, vectors, distance)
    labels = _join_close(labels, vectors, distance)
    # Noise joins a group when its nearest grouped faces are close enough and agree on the group.
    labels = join_by_neighbours(labels, dist, found, distance)
    # Groups that lost members below the minimum dissolve.
    ids, counts = np.unique(labels[labels >= 0], return_counts=True)
    small = ids[counts < min_size]
    labels[np.isin(labels, small)] = -1
    return tight_pairs(vectors, labels, pair_distance)


NEIGHBOURS = 10  # the neighbour graph's k


def join_by_neighbours(labels: np.ndarray, dist: np.ndarray, found: np.ndarray, distance: float,
                        k: int = 3) -> np.ndarray:
    """join_nearest_members on a neighbour graph already computed: each ungrouped face takes the group its
    (up to) k nearest grouped neighbours within `distance` agree on. A face whose NEIGHBOURS nearest are all
    ungrouped stays alone, as it would with a separate index unless a grouped face were both farther than
    those and still within the match distance."""
    labels = labels.copy()
    queries = np.flatnonzero(labels < 0)
    if len(queries) == 0 or not (labels >= 0).any():
        return labels
    near, gap = found[queries], dist[queries]
    theirs = np.where(near >= 0, labels[np.maximum(near, 0)], -1)
    usable = (theirs >= 0) & (gap < distance)
    rank = np.cumsum(theirs >= 0, axis=1)  # only the k nearest grouped neighbours count
    usable &= rank <= k
    grouped_close = np.where(usable, theirs, -1)
    first = grouped_close.max(axis=1)
    agree = usable.any(axis=1) & np.all(~usable | (grouped_close == first[:, None]), axis=1)
    labels[queries[agree]] = first[agree]
    return labels


class MemberIndex:
    """Faces that have a person, searchable by vector (FAISS, exact): what a new face is matched against."""

    def __init__(self, vectors: np.ndarray, labels: np.ndarray):
        self.labels = np.asarray(labels)
        self.index = vector_index(vectors.reshape(len(vectors), -1))

    def assign(self, queries: np.ndarray, distance: float, k: int = 3) -> np.ndarray:
        """The person of each query when its nearest faces within `distance` all agree on one; else -1.
        Member distance, not centroid distance: a centroid sits closer to everyone than any real face does,
        so a centroid cut-off lets strangers in (measured in docs/PEOPLE.md)."""
        out = np.full(len(queries), -1)
        if self.index.ntotal == 0 or len(queries) == 0:
            return out
        sims, found = self.index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, self.index.ntotal))
        close = (found >= 0) & (1.0 - sims < distance)
        labels = np.where(close, self.labels[np.maximum(found, 0)], -1)
        first = labels.max(axis=1)  # the label of the close ones, when they agree
        agree = close.any(axis=1) & np.all(~close | (labels == first[:, None]), axis=1)
        out[agree] = first[agree]
        return out


def join_nearest_members(vectors: np.ndarray, labels: np.ndarray, queries: np.ndarray, distance: float,
                         k: int = 3) -> np.ndarray:
    """Give each query face the label its nearest labelled faces agree on (see MemberIndex.assign)."""
    labels = labels.copy()
    members = np.flatnonzero(labels >= 0)
    if len(members) == 0 or len(queries) == 0:
        return labels
    found = MemberIndex(vectors[members], labels[members]).assign(vectors[queries], distance, k)
    labels[queries] = np.where(found >= 0, found, labels[queries])
    return labels
