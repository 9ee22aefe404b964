"""Sorting and filtering what a view shows (the grid's filter bar): a list of photo ids in, the same photos
filtered by a query (the query language: `is:favourite rating:>=3 type:jpeg has:gps`) and sorted, out.

Views read their lists in capture-date order (app.core.photos); this refines any such list, so the Library,
a folder and later albums share one filter bar.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.core.db.models import Photo, PhotoEdit, PhotoFile

if TYPE_CHECKING:
    from app.core.library import Library

SORTS = ("taken", "imported", "name", "rating")
_CHUNK = 10_000


def refine(library: "Library", ids: list[int], *, sort: str = "taken", query: str = "") -> list[int]:
    """`ids` (in capture-date order, newest first) kept where `query` holds, ordered by `sort`: capture date
    (as given), import time (newest first), file name (A-Z), rating (best first). Ties keep the given order."""
    if sort not in SORTS:
        raise ValueError(f"sort by {', '.join(SORTS)}, not {sort!r}")
    if query.strip():
        from app.core.search.query import run_query

        keep = set(run_query(library, query))
        ids = [i for i in ids if i in keep]
    if sort == "taken" or len(ids) < 2:
        return list(ids)
    keys = _keys(library, ids, sort)
    if sort == "name":
        return sorted(ids, key=lambda i: keys.get(i, "\uffff"))
    default = 0.0 if sort == "imported" else 0
    return sorted(ids, key=lambda i: keys.get(i, default), reverse=True)


def _keys(library: "Library", ids: list[int], sort: str) -> dict:
    keys: dict = {}
    with library.db.read_session() as s:
        for start in range(0, len(ids), _CHUNK):
            part = ids[start : start + _CHUNK]
            if sort == "imported":
                keys.update(list(s.execute(select(Photo.id, Photo.imported_at).where(Photo.id.in_(part)))))
            elif sort == "rating":
                keys.update(list(s.execute(select(PhotoEdit.photo_id, PhotoEdit.rating)
                                           .where(PhotoEdit.photo_id.in_(part)))))
            else:
                rows = s.execute(select(PhotoFile.photo_id, PhotoFile.path).where(PhotoFile.photo_id.in_(part))
                                 .order_by(PhotoFile.missing, PhotoFile.id))
                for photo_id, path in rows:
                    if photo_id not in keys:  # the file the grid shows: the first one on disk
                        keys[photo_id] = os.path.basename(path.replace("\\", "/")).lower()
    return keys
