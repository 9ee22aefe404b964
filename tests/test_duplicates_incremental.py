"""Imports group near duplicates incrementally (only the new photos are looked up, the groups they touch are
merged); the result must be exactly what a full rebuild gives, and a changed hash must rebuild."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sqlalchemy import select, update

from app.core.db.models import Photo
from app.core.ingest import duplicates
from app.core.ingest.duplicates import regroup, update_groups

THRESHOLD = 6


def _near(value: int, bits: int, rng) -> int:
    return value ^ sum(1 << int(b) for b in rng.choice(64, size=bits, replace=False))


def _mixed_hashes(rng, count: int) -> list[tuple[str, str | None]]:
    """Clusters of close hashes (some linked only through a crop hash), chains and loners, in random order."""
    out: list[tuple[str, str | None]] = []
    while len(out) < count:
        base = int(rng.integers(0, 2**63))
        kind = rng.integers(0, 4)
        if kind == 0:  # a loner with crop hashes
            out.append((format(base, "016x"), format(_near(base, 20, rng), "016x") + format(_near(base, 30, rng), "016x")))
        elif kind == 1:  # a cluster of 2-4 close copies
            for _ in range(int(rng.integers(2, 5))):
                out.append((format(_near(base, int(rng.integers(0, 3)), rng), "016x"), None))
        elif kind == 2:  # a chain: each link close to the previous one only
            value = base
            for _ in range(int(rng.integers(3, 6))):
                value = _near(value, 4, rng)
                out.append((format(value, "016x"), None))
        else:  # a cropped copy: its whole hash meets the original's crop hash
            crop = _near(base, 25, rng)
            out.append((format(base, "016x"), format(crop, "016x") + format(_near(base, 33, rng), "016x")))
            out.append((format(_near(crop, 2, rng), "016x"), None))
    order = rng.permutation(len(out))
    return [out[i] for i in order[:count]]


def _add(session, hashes, start: int) -> None:
    for i, (phash, crops) in enumerate(hashes):
        session.add(
            Photo(sha256=f"{start + i:064x}", size=1, phash=phash, phash_crops=crops, imported_at=time.time(), hidden=False)
        )
    session.flush()


def _partition(session) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for pid, gid in session.execute(select(Photo.id, Photo.duplicate_group_id)):
        if gid is not None:
            groups.setdefault(gid, set()).add(pid)
    return {frozenset(g) for g in groups.values()}


def test_incremental_grouping_gives_the_same_groups_as_a_full_rebuild(library):
    rng = np.random.default_rng(7)
    hashes = _mixed_hashes(rng, 600)
    with library.db.write_session() as s:
        start = 0
        for size in (300, 1, 7, 120, 2, 170):  # imports of different sizes, each grouped incrementally
            _add(s, hashes[start : start + size], start)
            update_groups(s, THRESHOLD)
            start += size
        incremental = _partition(s)
        group_count = update_groups(s, THRESHOLD)
        assert group_count == len(incremental)
        assert len(incremental) > 20 and any(len(g) > 3 for g in incremental)  # the set really merges groups
        regroup(s, THRESHOLD)
        assert _partition(s) == incremental


def test_an_unchanged_library_is_not_regrouped_and_a_changed_hash_rebuilds(library, monkeypatch):
    rng = np.random.default_rng(3)
    with library.db.write_session() as s:
        _add(s, _mixed_hashes(rng, 80), 0)
        update_groups(s, THRESHOLD)  # first time: everything is new
        before = _partition(s)

        def no_full_rebuild(*_a, **_k):
            raise AssertionError("a re-import with nothing new must not regroup the library")

        monkeypatch.setattr(duplicates, "regroup", no_full_rebuild)
        assert update_groups(s, THRESHOLD) == len(before)
        monkeypatch.undo()

        # Split a group: move one member's hash far away. Merging alone could never split it.
        member = min(next(g for g in before if len(g) == 2))
        s.execute(update(Photo).where(Photo.id == member).values(phash="ffffffffffffffff", phash_crops=None))
        update_groups(s, THRESHOLD)
        after = _partition(s)
        assert all(member not in g for g in after)
        regroup(s, THRESHOLD)
        assert _partition(s) == after


def test_many_new_photos_take_the_full_rebuild(library, monkeypatch):
    rng = np.random.default_rng(5)
    monkeypatch.setattr(duplicates, "INCREMENTAL_MAX", 10)
    calls = []
    real = duplicates.regroup
    monkeypatch.setattr(duplicates, "regroup", lambda s, t: calls.append(1) or real(s, t))
    with library.db.write_session() as s:
        _add(s, _mixed_hashes(rng, 40), 0)
        update_groups(s, THRESHOLD)
        assert calls == [1]
        _add(s, _mixed_hashes(rng, 5), 1000)
        update_groups(s, THRESHOLD)
        assert calls == [1]  # few new: merged in
