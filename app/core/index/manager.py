"""Keeps the FAISS index of one model in step with the vectors in the database (the source of truth).

The index file lives in the library's index folder with a small JSON note of what it holds (row count, id sum,
newest vector time). `sync()` compares that note with the database: equal means ready; only newer rows means
they are added as deltas; anything else (deleted photos, another model) means a rebuild. When the library
outgrows exact search, an approximate index is built on a background thread from a snapshot while the old one
keeps answering, then the rows that arrived meanwhile are added and it is swapped in under the lock. Saves are
debounced so a burst of embed batches writes the file once. On SQLite the fingerprint (a pass over the model's
vectors: ~13 ms at 100k, paid by a search typed after a pause) is read only when `PRAGMA data_version` says
someone committed since the last one.

Video clips add one vector per keyframe (`KeyframeEmbedding`, keyed app.core.keyframes.vector_id); a search maps
those back to the clip and keeps its best keyframe, so callers only ever see photo ids.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import BigInteger, func, literal, select

from app.core.db.models import Embedding, KeyframeEmbedding
from app.core.index.vector_index import IndexSpec, VectorIndex
from app.core.ml.registry import model_slug

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

SAVE_DELAY_S = 2.0
SYNC_INTERVAL_S = 1.0


@dataclass(frozen=True)
class Fingerprint:
    """Cheap summary of a model's vectors; equal fingerprints mean the index holds exactly those rows."""

    count: int
    id_sum: int
    newest: float


class IndexManager:
    def __init__(self, library: "Library", model_id: str):
        self._library = library
        self.model_id = model_id
        base = library.layout.index / model_slug(model_id)
        self.path = base.with_suffix(".faiss")
        self.meta_path = base.with_suffix(".json")
        self._lock = threading.RLock()
        self._index: VectorIndex | None = None
        self._fingerprint: Fingerprint | None = None
        self._last_sync = 0.0
        self._save_timer: threading.Timer | None = None
        self._builder: threading.Thread | None = None
        self.background = True  # tests and benchmarks may build in the foreground
        self._has_keyframes = False  # clips' keyframe vectors are in the index (search maps them back)
        self._changes = None  # app.core.changes.DataVersion on a connection of its own (SQLite), once made
        self._version = 0  # its data_version at the last sync
        self._in_step = False  # the last sync found the index holding exactly the database's vectors

    # -- database side ---------------------------------------------------------------------------------------
    def _keyframe_totals(self, s, newest: float | None = None) -> tuple[int, int, float]:
        """(count, sum of vector ids, newest) of the model's keyframe vectors (created at or before `newest`)."""
        kf = KeyframeEmbedding
        query = select(func.count(), func.coalesce(func.sum(kf.photo_id + (kf.frame + 1) * literal(1 << 32, BigInteger)), 0),
                       func.coalesce(func.max(kf.created_at), 0.0)).where(kf.model_id == self.model_id)
        if newest is not None:
            query = query.where(kf.created_at <= newest)
        count, id_sum, latest = s.execute(query).one()
        return int(count), int(id_sum), float(latest)

    def _db_fingerprint(self) -> Fingerprint:
        with self._library.db.read_session() as s:
            count, id_sum, newest = s.execute(
                select(func.count(), func.coalesce(func.sum(Embedding.photo_id), 0),
                       func.coalesce(func.max(Embedding.created_at), 0.0)).where(Embedding.model_id == self.model_id)
            ).one()
            kf_count, kf_sum, kf_newest = self._keyframe_totals(s)
        self._has_keyframes = kf_count > 0
        return Fingerprint(int(count) + kf_count, int(id_sum) + kf_sum, max(float(newest), kf_newest))

    def _rows(self, newer_than: float | None = None) -> tuple[np.ndarray, np.ndarray, float]:
        from app.core.keyframes import vector_id

        query = select(Embedding.photo_id, Embedding.vector, Embedding.created_at).where(
            Embedding.model_id == self.model_id
        )
        kf = KeyframeEmbedding
        frames = select(kf.photo_id, kf.frame, kf.vector, kf.created_at).where(kf.model_id == self.model_id)
        if newer_than is not None:
            query = query.where(Embedding.created_at > newer_than)
            frames = frames.where(kf.created_at > newer_than)
        with self._library.db.read_session() as s:
            rows = s.execute(query).all()
            rows += [(vector_id(r[0], r[1]), r[2], r[3]) for r in s.execute(frames)]
        if not rows:
            return np.zeros(0, np.int64), np.zeros((0, 0), np.float32), newer_than or 0.0
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        return ids, vectors, max(r[2] for r in rows)

    # -- keeping in step -------------------------------------------------------------------------------------
    def sync(self, *, force: bool = False) -> VectorIndex | None:
        """Bring the index in line with the database; returns it (None when the model has no vectors yet)."""
        with self._lock:
            now = time.monotonic()
            if not force and self._index is not None and now - self._last_sync < SYNC_INTERVAL_S:
                return self._index
            self._last_sync = now
            moved = self._library_moved()  # asked before the fingerprint: a commit after this moves it again
            if not force and not moved and self._in_step and self._index is not None:
                return self._index
            self._in_step = False
            db = self._db_fingerprint()
            if self._index is None and self._fingerprint is None:
                self._load_file()
            if self._fingerprint == db and (self._index is not None or db.count == 0):
                self._in_step = True
                return self._index
            if db.count == 0:
                self._index, self._fingerprint = None, db
                return None
            if self._index is not None and self._fingerprint is not None and db.newest > self._fingerprint.newest:
                self._add_newer(self._fingerprint.newest)
                if self._fingerprint == db:
                    self._in_step = True
                    self._schedule_save()
                    self._maybe_rebuild_in_background()
                    return self._index
            self._rebuild_now()
            self._in_step = self._fingerprint == db
            return self._index

    def _library_moved(self) -> bool:
        """Whether anyone committed to the library since the last call: SQLite's `data_version` on a connection
        of this index's own (microseconds). True whenever it cannot say (the first call, PostgreSQL, an error)."""
        if self._changes is None:
            self._changes = False
            if not self._library.db.is_postgres:
                from app.core.changes import DataVersion

                try:
                    self._changes = DataVersion(self._library.layout.database, read_only=self._library.read_only)
                    self._version = self._changes.read()
                except Exception as exc:  # noqa: BLE001 - no shortcut, the fingerprint is read every time
                    log.debug("index %s: no data_version watch: %s", self.model_id, exc)
                    self._changes = False
            return True
        if not self._changes:
            return True
        try:
            version = self._changes.read()
        except sqlite3.Error:
            return True
        moved, self._version = version != self._version, version
        return moved

    def _add_newer(self, newer_than: float) -> None:
        ids, vectors, newest = self._rows(newer_than)
        if len(ids) == 0:
            return
        if self._index.dim != vectors.shape[1]:
            self._fingerprint = None  # a different dimension: only a rebuild can help
            return
        self._index.remove(ids)  # a re-embedded photo replaces its old vector
        self._index.add(ids, vectors)
        self._fingerprint = self._fingerprint_of_index(newest)
        log.debug("index %s: added %d vectors", self.model_id, len(ids))

    def _fingerprint_of_index(self, newest: float) -> Fingerprint:
        """After deltas we cannot read id sums back from FAISS cheaply, so ask the database what we now cover."""
        with self._library.db.read_session() as s:
            count, id_sum = s.execute(
                select(func.count(), func.coalesce(func.sum(Embedding.photo_id), 0)).where(
                    Embedding.model_id == self.model_id, Embedding.created_at <= newest
                )
            ).one()
            kf_count, kf_sum, _ = self._keyframe_totals(s, newest)
        count, id_sum = count + kf_count, id_sum + kf_sum
        if count != self._index.size:
            return Fingerprint(-1, 0, newest)  # disagreement: forces a rebuild
        return Fingerprint(int(count), int(id_sum), newest)

    def _rebuild_now(self) -> None:
        ids, vectors, newest = self._rows()
        started = time.perf_counter()
        self._index = VectorIndex.build(ids, vectors)
        self._fingerprint = Fingerprint(len(ids), int(ids.sum()), newest)
        log.info("index %s: built %s over %d vectors in %.2fs", self.model_id, self._index.spec.factory,
                 len(ids), time.perf_counter() - started)
        self.save()

    def _maybe_rebuild_in_background(self) -> None:
        if self._index is None or not self._index.needs_rebuild():
            return
        if not self.background:
            self._rebuild_now()
            return
        if self._builder is not None and self._builder.is_alive():
            return
        self._builder = threading.Thread(target=self._build_and_swap, name="index-build", daemon=True)
        self._builder.start()

    def _build_and_swap(self) -> None:
        """Runs on a thread: the old index answers queries until the new one is complete."""
        try:
            ids, vectors, newest = self._rows()
            built = VectorIndex.build(ids, vectors)
            with self._lock:
                old_index, old_fp = self._index, self._fingerprint
                self._in_step = False  # the next sync checks the swapped-in index against the database
                self._index = built
                self._fingerprint = Fingerprint(len(ids), int(ids.sum()), newest)
                self._add_newer(newest)  # photos embedded while we were building
                if self._fingerprint.count < 0:
                    self._index, self._fingerprint = old_index, old_fp
                    return
                log.info("index %s: swapped in %s over %d vectors", self.model_id, built.spec.factory, built.size)
                self.save()
        except Exception:
            log.exception("background index build failed; the previous index keeps serving")

    def wait_for_background(self, timeout: float | None = None) -> None:
        if self._builder is not None:
            self._builder.join(timeout)

    # -- queries ---------------------------------------------------------------------------------------------
    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Best first (photo id, cosine); a clip once, by its best keyframe."""
        with self._lock:
            index = self.sync()
            if index is None:
                return []
            if not self._has_keyframes:
                return index.search(vector, k)
            from app.core.keyframes import photo_of

            want = k
            while True:  # keyframes of one clip take several places: ask for more until k photos are found
                found = index.search(vector, want)
                best: dict[int, float] = {}
                for vid, score in found:
                    best.setdefault(photo_of(vid), score)
                if len(best) >= k or len(found) < want:
                    return list(best.items())[:k]
                want *= 2

    @property
    def kind(self) -> str | None:
        return self._index.spec.kind if self._index is not None else None

    # -- persistence -----------------------------------------------------------------------------------------
    def _load_file(self) -> None:
        if not (self.path.is_file() and self.meta_path.is_file()):
            return
        try:
            meta = json.loads(self.meta_path.read_text())
            if meta.get("model_id") != self.model_id:
                return
            spec = IndexSpec(meta["factory"], meta.get("nprobe", 0))
            self._index = VectorIndex.load(self.path, spec, meta["dim"], meta.get("trained_size", 0))
            self._fingerprint = Fingerprint(**meta["fingerprint"])
            if self._index.size != self._fingerprint.count:
                self._index, self._fingerprint = None, None
        except Exception as exc:  # a damaged file is only a cache: rebuild from the database
            log.warning("index file %s is unreadable (%s); rebuilding", self.path, exc)
            self._index, self._fingerprint = None, None

    def save(self) -> None:
        with self._lock:
            if self._save_timer is not None:
                self._save_timer.cancel()
                self._save_timer = None
            if self._index is None or self._fingerprint is None or self._fingerprint.count < 0:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._index.save(self.path)
            meta = {
                "model_id": self.model_id,
                "factory": self._index.spec.factory,
                "nprobe": self._index.spec.nprobe,
                "dim": self._index.dim,
                "trained_size": self._index.trained_size,
                "fingerprint": asdict(self._fingerprint),
            }
            tmp = self.meta_path.with_name(self.meta_path.name + ".tmp")
            tmp.write_text(json.dumps(meta))
            tmp.replace(self.meta_path)

    def _schedule_save(self) -> None:
        if self._save_timer is not None:
            self._save_timer.cancel()
        self._save_timer = threading.Timer(SAVE_DELAY_S, self.save)
        self._save_timer.daemon = True
        self._save_timer.start()

    def close(self) -> None:
        """Flush a pending save; a lost save only costs a delta add on next open."""
        self.wait_for_background(timeout=0)
        with self._lock:
            if self._changes:
                self._changes.close()
            self._changes = None
            if self._save_timer is not None:
                self.save()
