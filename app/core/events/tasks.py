"""The `events` task: re-segments the library after imports (queued by the places task), cancellable."""

from __future__ import annotations

from app.core.tasks.context import TaskContext
from app.core.tasks.registry import task_handler

EVENTS_DEDUPE = "events"


@task_handler("events", max_concurrency=1)
def segment_events(ctx: TaskContext) -> None:
    from app.core.events.service import rebuild

    with ctx.library.db.write_session() as s:
        rebuild(s, ctx.check_cancelled)


def submit_segmentation(ctx: TaskContext) -> None:
    """Queue a re-segmentation (once: a waiting one already covers every photo)."""
    ctx.submit("events", group_id=None, dedupe_key=EVENTS_DEDUPE)
