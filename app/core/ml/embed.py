"""The embed task: CLIP image vectors for photos that lack one for the active model, in resumable chunks.

Each task embeds one chunk (CHUNK photos, in batches of BATCH) in photo-id order and commits the vectors together
with its own `done` and the follow-up task for the next chunk. Killing the process loses at most one chunk; the
next start continues from the follow-up's cursor. Vectors are decoded from the preview thumbnail (small and
already oriented), else the grid thumbnail, else the original file.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Iterable

import numpy as np
from PIL import Image
from sqlalchemy import and_, exists, func, not_, select

from app.core.db.models import Embedding, Photo, PhotoFile, Task
from app.core.ml.errors import ModelMissingError
from app.core.tasks import PermanentError, Priority, TaskContext, task_handler

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

TASK_TYPE = "embed"
CHUNK = 256
BATCH = 32


def _lacking(model_id: str):
    return not_(exists().where(and_(Embedding.photo_id == Photo.id, Embedding.model_id == model_id)))


def count_lacking(library: "Library", model_id: str) -> int:
    with library.db.read_session() as s:
        return s.scalar(select(func.count(Photo.id)).where(_lacking(model_id))) or 0


def lacking_photos(library: "Library", model_id: str, *, after_id: int = 0, limit: int = CHUNK
                   ) -> list[tuple[int, str]]:
    """(photo id, sha256) of photos without a vector for this model, in id order after the cursor."""
    with library.db.read_session() as s:
        rows = s.execute(
            select(Photo.id, Photo.sha256).where(Photo.id > after_id, _lacking(model_id)).order_by(Photo.id).limit(limit)
        ).all()
    return [(r[0], r[1]) for r in rows]


def load_image(library: "Library", photo_id: int, sha256: str) -> Image.Image | None:
    """The smallest good-enough picture of a photo; None (logged) when nothing can be decoded."""
    layout = library.layout
    candidates = [layout.thumbnail(sha256, "preview"), layout.thumbnail(sha256, "grid")]
    with library.db.read_session() as s:
        candidates += [p for p in s.scalars(
            select(PhotoFile.path).where(PhotoFile.photo_id == photo_id, PhotoFile.missing.is_(False))
        )]
    for path in candidates:
        try:
            with Image.open(path) as img:
                img.draft("RGB", (448, 448))  # JPEG: decode at reduced size, CLIP needs 224 px
                img.thumbnail((1024, 1024))
                return img.convert("RGB")
        except (OSError, ValueError, Image.DecompressionBombError):
            continue
    log.warning("photo %s: no decodable thumbnail or file to embed", photo_id)
    return None


def embed_rows(library: "Library", encoder, model_id: str, rows: Iterable[tuple[int, str]],
               ctx: TaskContext | None = None) -> list[Embedding]:
    """Embedding rows (not yet added to a session) for the photos that could be decoded."""
    rows = list(rows)
    out: list[Embedding] = []
    now = time.time()
    for start in range(0, len(rows), BATCH):
        if ctx is not None:
            ctx.check_cancelled()
            ctx.set_progress(start / max(len(rows), 1))
        ids, images = [], []
        for photo_id, sha in rows[start : start + BATCH]:
            img = load_image(library, photo_id, sha)
            if img is not None:
                ids.append(photo_id)
                images.append(img)
        if not images:
            continue
        vectors = np.ascontiguousarray(encoder.encode_images(images), dtype=np.float32)
        for photo_id, vector in zip(ids, vectors):
            out.append(
                Embedding(photo_id=photo_id, model_id=model_id, dim=len(vector),
                          vector=vector.tobytes(), runtime=encoder.runtime, device=encoder.device, created_at=now)
            )
    return out


def live_embed_task(library: "Library", model_id: str) -> int | None:
    """A pending/running embed chain for this model, so scheduling twice does not start a second one."""
    with library.db.read_session() as s:
        for task_id, payload in s.execute(
            select(Task.id, Task.payload).where(Task.type == TASK_TYPE, Task.state.in_(("pending", "running", "failed")))
        ):
            if f'"{model_id}"' in (payload or ""):
                return task_id
    return None


def embed_request(library: "Library") -> dict | None:
    """The `submit` arguments that start the embed chain, or None when there is nothing to do (no usable model,
    every photo embedded, or a chain already live). Callers submit it in their own transaction."""
    model_id = library.models.active_id()
    if model_id is None or library.models.folder(model_id) is None:
        return None
    if count_lacking(library, model_id) == 0 or live_embed_task(library, model_id) is not None:
        return None
    return {
        "type_": TASK_TYPE,
        "payload": {"model_id": model_id, "after_id": 0},
        "priority": Priority.BULK,
        "dedupe_key": f"embed:{model_id}",
    }


@task_handler(TASK_TYPE, max_concurrency=1)
def embed_task(ctx: TaskContext) -> None:
    library = ctx.library
    model_id = ctx.payload.get("model_id") or library.models.active_id()
    after_id = int(ctx.payload.get("after_id", 0))
    if model_id is None:
        raise PermanentError(library.models.missing_message())
    try:
        encoder = library.models.load_clip(model_id)
    except ModelMissingError as exc:
        raise PermanentError(str(exc)) from exc
    rows = lacking_photos(library, model_id, after_id=after_id, limit=CHUNK)
    if not rows:
        return
    embeddings = embed_rows(library, encoder, model_id, rows, ctx)
    session = ctx.session
    for e in embeddings:
        session.merge(e)  # idempotent: a re-run replaces the same rows
    if len(rows) == CHUNK:
        last = rows[-1][0]
        ctx.submit(TASK_TYPE, {"model_id": model_id, "after_id": last}, priority=Priority.BULK,
                   dedupe_key=f"embed:{model_id}:{last}")
    ctx.set_progress(1.0)
