"""`library.search`: text search, "more like this", and the state of embeddings, for the GUI and the CLI.

Which model answers: the active model (`library.models.active_id()`) once every photo has its vector; while a
re-embed for a newly chosen model is still running, the model that served before keeps answering with its old
vectors, and the switch happens when the new vectors are complete. Photos that cannot be analysed at all are recorded as
failures (see app.core.ml.embed) and do not hold the switch back; `status()` counts them.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import func, select

from app.core.db.models import Embedding, Photo
from app.core.ml.errors import ModelError, ModelMissingError

if TYPE_CHECKING:
    from app.core.library import Library

__all__ = ["SearchService", "SearchStatus", "SearchHit", "ModelMissingError", "SearchError"]

log = logging.getLogger(__name__)

SERVING_KEY = "search.serving_model_id"


class SearchError(Exception):
    """A search that cannot be answered (e.g. the photo has no vector yet); the message is for the user."""


@dataclass(frozen=True)
class SearchStatus:
    model_id: str | None
    model_available: bool
    message: str
    embedded: int
    total: int
    failed: int = 0  # photos that could not be analysed for this model (nothing decodable)


@dataclass(frozen=True)
class SearchHit:
    photo_id: int
    score: float


class SearchService:
    def __init__(self, library: "Library"):
        self._library = library
        self._lock = threading.Lock()
        self._indexes: dict[str, object] = {}

    # -- which model serves ----------------------------------------------------------------------------------
    def _count_vectors(self, model_id: str) -> int:
        with self._library.db.read_session() as s:
            return s.scalar(
                select(func.count()).select_from(Embedding).join(Photo, Photo.id == Embedding.photo_id)
                .where(Embedding.model_id == model_id)
            ) or 0

    def serving_model_id(self) -> str | None:
        """The active model, or the previous one until the active model's vectors are complete."""
        from app.core.ml.embed import count_lacking

        active = self._library.models.active_id()
        serving = self._library.config.get(SERVING_KEY)
        if active is None or serving == active:
            return active
        if serving is None or count_lacking(self._library, active) == 0 or not self._count_vectors(serving):
            self._library.config.set(SERVING_KEY, active)
            if serving is not None:
                log.info("search switched from %s to %s", serving, active)
            return active
        if self._library.models.folder(serving) is None:
            return active  # the old model is gone: the partial new vectors are all there is
        return serving

    def index(self, model_id: str):
        from app.core.index.manager import IndexManager

        with self._lock:
            if model_id not in self._indexes:
                self._indexes = {model_id: IndexManager(self._library, model_id)}  # drop the old model's index
            return self._indexes[model_id]

    # -- the contract ----------------------------------------------------------------------------------------
    def status(self) -> SearchStatus:
        from app.core.ml.embed import count_failed

        models = self._library.models
        model_id = models.active_id()
        total = self._library.photos.count(include_hidden=True)
        available = bool(model_id) and models.folder(model_id) is not None
        embedded = self._count_vectors(model_id) if model_id else 0
        failed = count_failed(self._library, model_id) if model_id else 0
        if not available:
            message = models.missing_message(model_id)
        elif embedded + failed < total:
            message = f"{embedded} of {total} photos are ready for smart search; the rest are being analysed"
        else:
            message = f"smart search ready ({model_id})"
        if available and failed:
            message += (f"; {failed} photo{'s' if failed != 1 else ''} could not be analysed"
                        " (`shoebox models status` lists them)")
        return SearchStatus(model_id, available, message, embedded, total, failed)

    def failures(self) -> list:
        """The active model's recorded failures (photo id, reason), oldest photo first."""
        from app.core.ml.embed import failures

        model_id = self._library.models.active_id()
        return failures(self._library, model_id) if model_id else []

    def retry_failed(self) -> tuple[int, int | None]:
        """Explicit requeue: forget the active model's failures and start a chain; (forgotten, task id or None)."""
        from app.core.ml.embed import retry_failures

        model_id = self._library.models.active_id()
        if model_id is None:
            return 0, None
        forgotten = retry_failures(self._library, model_id)
        return forgotten, self.schedule_embedding()

    def text(self, query: str, limit: int = 50) -> list[SearchHit]:
        model_id = self._require_model()
        try:
            encoder = self._library.models.load_clip(model_id)
        except ModelMissingError:
            raise
        except ModelError as exc:
            raise ModelMissingError(str(exc)) from exc
        vector = encoder.encode_texts([query])[0]
        return self._nearest(model_id, vector, limit)

    def like(self, photo_id: int, limit: int = 50) -> list[SearchHit]:
        model_id = self._require_model()
        with self._library.db.read_session() as s:
            blob = s.scalar(
                select(Embedding.vector).where(Embedding.photo_id == photo_id, Embedding.model_id == model_id)
            )
        if blob is None:
            raise SearchError(f"photo {photo_id} has not been analysed for smart search yet")
        vector = np.frombuffer(blob, dtype=np.float32)
        return [h for h in self._nearest(model_id, vector, limit + 1) if h.photo_id != photo_id][:limit]

    def schedule_embedding(self) -> int | None:
        """Submit the resumable embed chain when photos lack vectors for the active model (None otherwise)."""
        from app.core.ml.embed import embed_request

        request = embed_request(self._library)
        if request is None:
            return None
        return self._library.tasks.submit(request.pop("type_"), **request)

    # -- helpers ---------------------------------------------------------------------------------------------
    def _require_model(self) -> str:
        model_id = self.serving_model_id()
        if model_id is None or self._library.models.folder(model_id) is None:
            raise ModelMissingError(self._library.models.missing_message(model_id))
        return model_id

    def _nearest(self, model_id: str, vector: np.ndarray, limit: int) -> list[SearchHit]:
        """Top hits, skipping photos hidden as duplicates (fetches extra to fill the page)."""
        found = self.index(model_id).search(vector, limit * 2 + 10)
        if not found:
            return []
        with self._library.db.read_session() as s:
            hidden = set(s.scalars(select(Photo.id).where(Photo.id.in_([i for i, _ in found]), Photo.hidden.is_(True))))
        return [SearchHit(i, score) for i, score in found if i not in hidden][:limit]

    def close(self) -> None:
        for manager in self._indexes.values():
            manager.close()
