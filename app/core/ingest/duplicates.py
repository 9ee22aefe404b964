"""Near-duplicate groups: photos whose 64-bit pHashes differ in fewer than `threshold` bits, joined transitively.

Comparing every pair is quadratic (5e9 pairs at 100k photos). FAISS's multi-index hashing finds the pairs in
about linear time: split the 64 bits into `threshold` chunks; two hashes within threshold-1 bits agree exactly
on at least one chunk (pigeonhole), so only photos sharing a chunk value are compared, and FAISS verifies
the full distance. Connected components of the pair graph are the groups.
"""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.core.db.models import DuplicateGroup, Photo


def hashes_to_array(hex_hashes: list[str]) -> np.ndarray:
    """(n, 8) uint8 rows, the layout FAISS binary indexes take."""
    values = np.array([int(h, 16) for h in hex_hashes], dtype=np.uint64)
    return values.astype(">u8").view(np.uint8).reshape(-1, 8)


def near_pairs(codes: np.ndarray, threshold: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) whose Hamming distance is below `threshold`."""
    import faiss  # heavy import: only when grouping runs

    n = len(codes)
    if n < 2 or threshold <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if threshold > 32:  # chunks would be too small to narrow anything down: compare all (still in C)
        index = faiss.IndexBinaryFlat(64)
    else:
        index = faiss.IndexBinaryMultiHash(64, threshold, 64 // threshold)
    index.add(codes)
    lims, _distances, ids = index.range_search(codes, threshold)  # strict: distance < threshold
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(lims).astype(np.int64))
    ids = ids.astype(np.int64)
    keep = rows < ids
    return rows[keep], ids[keep]


def group_labels(codes: np.ndarray, threshold: int) -> np.ndarray:
    """A component label per row; rows alone in their component get -1."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(codes)
    a, b = near_pairs(codes, threshold)
    if len(a) == 0:
        return np.full(n, -1, dtype=np.int64)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _count, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    return np.where(sizes[labels] > 1, labels, -1)


def regroup(session: Session, threshold: int) -> int:
    """Recompute every near-duplicate group in the library; returns the number of groups. Does not commit.

    Existing group ids are reused where a new group overlaps an old one, so a group the user is looking at
    keeps its id when a new near-duplicate joins it.
    """
    rows = session.execute(
        select(Photo.id, Photo.phash, Photo.duplicate_group_id).where(Photo.phash.is_not(None)).order_by(Photo.id)
    ).all()
    valid = [r for r in rows if _is_hex64(r.phash)]
    labels = group_labels(hashes_to_array([r.phash for r in valid]), threshold) if valid else np.empty(0)
    members: dict[int, list] = {}
    for row, label in zip(valid, labels):
        if label >= 0:
            members.setdefault(int(label), []).append(row)

    old_ids = set(session.scalars(select(DuplicateGroup.id)))
    used: set[int] = set()
    assignment: dict[int, int] = {}  # photo id -> group id
    now = time.time()
    for group_rows in sorted(members.values(), key=len, reverse=True):
        votes = Counter(r.duplicate_group_id for r in group_rows if r.duplicate_group_id in old_ids)
        group_id = next((gid for gid, _n in votes.most_common() if gid not in used), None)
        if group_id is None:
            group = DuplicateGroup(created_at=now)
            session.add(group)
            session.flush()
            group_id = group.id
        used.add(group_id)
        for r in group_rows:
            assignment[r.id] = group_id

    changed = [(r.id, assignment.get(r.id)) for r in rows if r.duplicate_group_id != assignment.get(r.id)]
    if changed:  # ORM bulk update by primary key: one executemany, not one statement per photo
        session.execute(update(Photo), [{"id": pid, "duplicate_group_id": gid} for pid, gid in changed])
    stale = old_ids - used
    if stale:
        session.execute(delete(DuplicateGroup).where(DuplicateGroup.id.in_(stale)))
    session.flush()
    return len(used)


def _is_hex64(value: str | None) -> bool:
    if not value or len(value) != 16:
        return False
    try:
        int(value, 16)
        return True
    except ValueError:
        return False
