"""The `text-embed` task: embeds the notes and captions of photos whose text changed (BULK priority).

Each task embeds up to CHUNK marked photos and commits the vectors with the marks it cleared, then queues the
next one while marks remain: a killed process loses at most one chunk, and the marks themselves say what is left.
"""

from __future__ import annotations

from app.core.ml.errors import ModelError
from app.core.tasks import PermanentError, Priority, TaskContext, task_handler

TASK_TYPE = "text-embed"
CHUNK = 256


@task_handler(TASK_TYPE, max_concurrency=1)
def text_embed_task(ctx: TaskContext) -> None:
    index = ctx.library.text_index
    try:
        index.sync_meaning(CHUNK, check=ctx.check_cancelled)
    except ModelError as exc:
        raise PermanentError(str(exc)) from exc
    if index.meaning_pending():
        ctx.submit(TASK_TYPE, {}, priority=Priority.BULK)
