"""The `caption` task chain (BULK priority, resumable, one model at a time): captions photos that lack one from
the active caption model, BATCH photos per task; a model change re-captions every photo not edited by hand.

Each task writes its captions together with its own `done` and queues the next from the last photo id it saw,
so a killed process loses at most one batch. A photo that cannot be decoded gets no caption (and is skipped).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from sqlalchemy import or_, select

from app.core.db.models import Caption, Photo, Task
from app.core.db.sql import upsert
from app.core.ml.errors import ModelError
from app.core.tasks import PermanentError, Priority, TaskContext, task_handler
from app.core.tasks.states import LIVE_STATES

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

TASK_TYPE = "caption"
BATCH = 16


def lacking(session, model_id: str, after: int = 0, limit: int | None = None) -> list[tuple[int, str]]:
    """(photo id, sha256) of photos with no caption from `model_id` and none typed by the user."""
    query = (select(Photo.id, Photo.sha256).outerjoin(Caption, Caption.photo_id == Photo.id)
             .where(Photo.id > after, or_(Caption.photo_id.is_(None),
                                          (Caption.edited.is_(False)) & (Caption.model_id != model_id)))
             .order_by(Photo.id))
    return list(session.execute(query.limit(limit) if limit else query))


def caption_request(library: "Library") -> dict | None:
    captions = library.captions
    model_id = captions.model_id()
    if model_id is None or captions.folder(model_id) is None:
        return None
    with library.db.read_session() as s:
        if not lacking(s, model_id, limit=1):
            return None
        if s.scalar(select(Task.id).where(Task.type == TASK_TYPE, Task.state.in_(LIVE_STATES)).limit(1)):
            return None
    return {"type_": TASK_TYPE, "payload": {"model_id": model_id, "after": 0}, "priority": Priority.BULK,
            "dedupe_key": TASK_TYPE}


@task_handler(TASK_TYPE, max_concurrency=1)
def caption_task(ctx: TaskContext) -> None:
    from app.core.ml.embed import load_image

    library = ctx.library
    model_id = ctx.payload["model_id"]
    if library.captions.model_id() != model_id:
        return  # the model changed meanwhile: its own chain takes over
    with library.db.read_session() as s:
        rows = lacking(s, model_id, int(ctx.payload.get("after", 0)), BATCH + 1)
    if not rows:
        return
    try:
        captioner = library.captions.load()
    except ModelError as exc:
        raise PermanentError(str(exc)) from exc
    batch = rows[:BATCH]
    images, ids = [], []
    for photo_id, sha in batch:
        ctx.check_cancelled()
        image = load_image(library, photo_id, sha)
        if image is not None:
            images.append(image)
            ids.append(photo_id)
    texts = captioner.caption(images)
    ctx.check_cancelled()
    now = time.time()
    for photo_id, text in zip(ids, texts):
        statement = upsert(ctx.session, Caption).values(photo_id=photo_id, text=text, model_id=model_id, edited=False,
                                           created_at=now)
        # A caption the user typed meanwhile wins.
        ctx.session.execute(statement.on_conflict_do_update(
            index_elements=[Caption.photo_id], set_={"text": text, "model_id": model_id, "created_at": now},
            where=Caption.edited.is_(False)))
    ctx.set_progress(1.0)
    if len(rows) > BATCH:
        last = batch[-1][0]
        ctx.submit(TASK_TYPE, {"model_id": model_id, "after": last}, priority=Priority.BULK,
                   dedupe_key=f"{TASK_TYPE}:{last}")
