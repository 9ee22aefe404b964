"""The embed task: CLIP image vectors for photos that lack one for the active model, in resumable chunks.

Each task embeds one chunk (CHUNK photos, in batches of BATCH) in photo-id order and commits the vectors together
with its own `done` and the follow-up task for the next chunk. Killing the process loses at most one chunk; the
next start continues from the follow-up's cursor. Vectors are decoded from the preview thumbnail (small and
already oriented), else the grid thumbnail, else the original file.

A photo that cannot be decoded at all gets an `EmbedFailure` row for the model instead of a vector. It no longer
counts as lacking (else a model switch never completes and every start schedules a new chain); it is retried
when its preview changes (a regenerated thumbnail) or on `retry_failures` (`shoebox models retry`).
"""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, Iterable

import numpy as np
from PIL import Image
from sqlalchemy import and_, delete, exists, func, not_, select

from app.core.db.models import EmbedFailure, Embedding, Photo, PhotoFile, Task
from app.core.ml.errors import ModelMissingError
from app.core.tasks import PermanentError, Priority, TaskContext, task_handler
from app.core.tasks.states import LIVE_STATES

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

TASK_TYPE = "embed"
CHUNK = 256
BATCH = 32


def _lacking(model_id: str):
    """Photos with neither a vector nor a recorded failure for the model."""
    return and_(
        not_(exists().where(and_(Embedding.photo_id == Photo.id, Embedding.model_id == model_id))),
        not_(exists().where(and_(EmbedFailure.photo_id == Photo.id, EmbedFailure.model_id == model_id))),
    )


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


def chain_key(model_id: str) -> str:
    """The dedupe key of a chain's first task; its follow-ups are `<key>:<after_id>`."""
    return f"embed:{model_id}"


def preview_stamp(library: "Library", sha256: str) -> str:
    """What identifies the preview thumbnail's current bytes ("" when there is none)."""
    try:
        st = os.stat(library.layout.thumbnail(sha256, "preview"))
    except OSError:
        return ""
    return f"{st.st_size}:{st.st_mtime_ns}"


def failures(library: "Library", model_id: str) -> list[EmbedFailure]:
    with library.db.read_session() as s:
        rows = list(s.scalars(select(EmbedFailure).where(EmbedFailure.model_id == model_id)
                              .order_by(EmbedFailure.photo_id)))
        s.expunge_all()
    return rows


def count_failed(library: "Library", model_id: str) -> int:
    with library.db.read_session() as s:
        return s.scalar(select(func.count()).select_from(EmbedFailure).where(EmbedFailure.model_id == model_id)) or 0


def stale_failures(library: "Library", model_id: str) -> list[tuple[int, str]]:
    """(photo id, sha256) of failed photos whose preview changed since: worth another try. Failures are few, so
    one stat each is cheap."""
    with library.db.read_session() as s:
        rows = s.execute(
            select(EmbedFailure.photo_id, Photo.sha256, EmbedFailure.preview_stamp)
            .join(Photo, Photo.id == EmbedFailure.photo_id).where(EmbedFailure.model_id == model_id)
            .order_by(EmbedFailure.photo_id)
        ).all()
    return [(pid, sha) for pid, sha, stamp in rows if preview_stamp(library, sha) != stamp]


def retry_failures(library: "Library", model_id: str) -> int:
    """Forget the model's recorded failures so the next chain tries those photos again; returns how many."""
    with library.db.write_session() as s:
        return s.execute(delete(EmbedFailure).where(EmbedFailure.model_id == model_id)).rowcount or 0


def load_image(library: "Library", photo_id: int, sha256: str) -> Image.Image | None:
    """The smallest good-enough picture of a photo; None (logged) when nothing can be decoded."""
    layout = library.layout
    candidates = [layout.thumbnail(sha256, "preview"), layout.thumbnail(sha256, "grid")]
    with library.db.read_session() as s:
        candidates += [library.path_map.local(p) for p in s.scalars(
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
               ctx: TaskContext | None = None) -> tuple[list[Embedding], list[EmbedFailure]]:
    """Embedding rows for the photos that could be decoded and failure rows for the others (not yet added to a
    session). A video clip is embedded by its keyframes: its rows include their KeyframeEmbedding rows
    (app.core.keyframes)."""
    from app.core.keyframes import clip_rows, frames_of, load_keyframes

    rows = list(rows)
    clips = frames_of(library, [photo_id for photo_id, _sha in rows])
    out: list[Embedding] = []
    failed: list[EmbedFailure] = []
    now = time.time()
    for start in range(0, len(rows), BATCH):
        if ctx is not None:
            ctx.check_cancelled()
            ctx.set_progress(start / max(len(rows), 1))
        groups, images = [], []  # (photo id, keyframe numbers or None for a photo), the pictures in order
        for photo_id, sha in rows[start : start + BATCH]:
            frames = load_keyframes(library, sha, clips[photo_id]) if photo_id in clips else []
            if frames:
                groups.append((photo_id, [frame for frame, _img in frames]))
                images += [img for _frame, img in frames]
                continue
            img = load_image(library, photo_id, sha)
            if img is not None:
                groups.append((photo_id, None))
                images.append(img)
            else:
                failed.append(EmbedFailure(
                    photo_id=photo_id, model_id=model_id, failed_at=now, preview_stamp=preview_stamp(library, sha),
                    reason="no decodable preview, thumbnail or original file",
                ))
        if not images:
            continue
        vectors = np.ascontiguousarray(encoder.encode_images(images), dtype=np.float32)
        at = 0
        for photo_id, frames in groups:
            if frames is not None:
                out += clip_rows(photo_id, model_id, frames, vectors[at:at + len(frames)], runtime=encoder.runtime,
                                 device=encoder.device)
                at += len(frames)
                continue
            vector = vectors[at]
            at += 1
            out.append(
                Embedding(photo_id=photo_id, model_id=model_id, dim=len(vector),
                          vector=vector.tobytes(), runtime=encoder.runtime, device=encoder.device, created_at=now)
            )
    return out, failed


def chain_tasks(key: str):
    """Tasks whose dedupe key is `key` or starts with it and sorts before `key;` (so `key:<n>`): one index range."""
    return select(Task.id, Task.dedupe_key, Task.type, Task.state).where(
        Task.dedupe_key >= key, Task.dedupe_key < key + ";")


def live_embed_task(library: "Library", model_id: str) -> int | None:
    """A pending/running embed chain for this model, so scheduling twice does not start a second one.

    Matched on the indexed dedupe key (the chain's key, or `<key>:<digits>` for a follow-up) as one index range;
    the payload is JSON with escaped non-ASCII, so it cannot be compared as text. States are checked here, not in
    SQL, so that SQLite cannot prefer the state index and walk every pending task."""
    key = chain_key(model_id)
    with library.db.read_session() as s:
        rows = s.execute(chain_tasks(key)).all()
    for task_id, dedupe_key, type_, state in rows:
        rest = dedupe_key[len(key):]
        if type_ == TASK_TYPE and state in LIVE_STATES and (rest == "" or (rest[0] == ":" and rest[1:].isdigit())):
            return task_id
    return None


def embed_request(library: "Library") -> dict | None:
    """The `submit` arguments that start the embed chain, or None when there is nothing to do (no usable model,
    every photo embedded, or a chain already live). Callers submit it in their own transaction."""
    model_id = library.models.active_id()
    if model_id is None or library.models.folder(model_id) is None:
        return None
    if count_lacking(library, model_id) == 0 and not stale_failures(library, model_id):
        return None
    if live_embed_task(library, model_id) is not None:
        return None
    return {
        "type_": TASK_TYPE,
        "payload": {"model_id": model_id, "after_id": 0},
        "priority": Priority.BULK,
        "dedupe_key": chain_key(model_id),
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
    retries = stale_failures(library, model_id) if after_id == 0 else []  # the chain's first task retries them
    if not rows and not retries:
        return
    embeddings, failed = embed_rows(library, encoder, model_id, retries + rows, ctx)
    session = ctx.session
    if retries:
        session.execute(delete(EmbedFailure).where(
            EmbedFailure.model_id == model_id, EmbedFailure.photo_id.in_([pid for pid, _sha in retries])))
    for row in embeddings + failed:
        session.merge(row)  # idempotent: a re-run replaces the same rows
    if failed:
        log.warning("%s: %d photos could not be analysed (see `shoebox models status`)", model_id, len(failed))
    if len(rows) == CHUNK:
        last = rows[-1][0]
        ctx.submit(TASK_TYPE, {"model_id": model_id, "after_id": last}, priority=Priority.BULK,
                   dedupe_key=f"{chain_key(model_id)}:{last}")
    ctx.set_progress(1.0)
