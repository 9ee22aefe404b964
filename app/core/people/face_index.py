"""The persisted FAISS index of one face model's vectors, beside the CLIP index (`<library>/index/faces-<model>
.faiss` + `.json`), keyed by face id: what incremental assignment searches for a new face's nearest people.

It is the CLIP index's manager (app/core/index/manager.py) pointed at the `faces` table: the database stays the
source of truth, the file is a cache with a fingerprint (row count, id sum, newest face time) of the faces it
holds. On use it is compared with the database: equal means ready, newer faces are added as deltas, anything
else (forgotten faces, a damaged or deleted file) rebuilds it from the rows. It holds every recognisable face
of the model, with or without a person, so naming and regrouping never make it stale: who a face belongs to is
read from the database at query time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import func, select

from app.core.db.models import Face
from app.core.index.manager import Fingerprint, IndexManager
from app.core.ml.registry import model_slug

if TYPE_CHECKING:
    from app.core.library import Library

SEARCH_K = 10  # neighbours read per new face; the nearest 3 that have a person decide (cluster.MemberIndex)


def _indexed(model_id: str):
    return (Face.model_id == model_id, Face.recognisable.is_(True), Face.forgotten.is_(False),
            Face.embedding.is_not(None))


class FaceIndex(IndexManager):
    def __init__(self, library: "Library", model_id: str):
        super().__init__(library, model_id)
        base = library.layout.index / f"faces-{model_slug(model_id)}"
        self.path = base.with_suffix(".faiss")
        self.meta_path = base.with_suffix(".json")
        self.rebuilds = 0  # how often it was built from the rows (tests read it)

    def _db_fingerprint(self) -> Fingerprint:
        with self._library.db.read_session() as s:
            count, id_sum, newest = s.execute(
                select(func.count(), func.coalesce(func.sum(Face.id), 0), func.coalesce(func.max(Face.created_at), 0.0))
                .where(*_indexed(self.model_id))
            ).one()
        return Fingerprint(int(count), int(id_sum), float(newest))

    def _rows(self, newer_than: float | None = None) -> tuple[np.ndarray, np.ndarray, float]:
        query = select(Face.id, Face.embedding, Face.created_at).where(*_indexed(self.model_id))
        if newer_than is not None:
            query = query.where(Face.created_at > newer_than)
        with self._library.db.read_session() as s:
            rows = s.execute(query).all()
        if not rows:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32), newer_than or 0.0
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        return ids, vectors, max(r[2] for r in rows)

    def _fingerprint_of_index(self, newest: float) -> Fingerprint:
        with self._library.db.read_session() as s:
            count, id_sum = s.execute(
                select(func.count(), func.coalesce(func.sum(Face.id), 0))
                .where(*_indexed(self.model_id), Face.created_at <= newest)
            ).one()
        if count != self._index.size:
            return Fingerprint(-1, 0, newest)
        return Fingerprint(int(count), int(id_sum), newest)

    def _rebuild_now(self) -> None:
        self.rebuilds += 1
        super()._rebuild_now()

    def nearest(self, vectors: np.ndarray, k: int = SEARCH_K) -> tuple[np.ndarray, np.ndarray]:
        """Face ids (-1: none) and cosine similarities of each vector's k nearest indexed faces."""
        with self._lock:
            index = self.sync(force=True)
            if index is None or len(vectors) == 0:
                return np.full((len(vectors), k), -1), np.zeros((len(vectors), k), np.float32)
            sims, ids = index.index.search(np.ascontiguousarray(vectors, dtype=np.float32), k)
        return ids, sims


def nearest_people(index: FaceIndex, face_ids: np.ndarray, vectors: np.ndarray, person_of: dict[int, int],
                   distance: float, k: int = 3) -> np.ndarray:
    """The person of each face when its (up to) k nearest faces that have a person, within `distance`, agree
    on one; else -1 (the rule of cluster.MemberIndex.assign, on the persisted index)."""
    out = np.full(len(face_ids), -1, dtype=np.int64)
    found, sims = index.nearest(vectors)
    for row, (own, ids, row_sims) in enumerate(zip(face_ids, found, sims)):
        people = [(person_of.get(int(i)), float(s)) for i, s in zip(ids, row_sims) if i >= 0 and i != own]
        people = [(p, s) for p, s in people if p is not None][:k]
        close = {p for p, s in people if 1.0 - s < distance}
        if len(close) == 1:
            out[row] = close.pop()
    return out
