"""The `places` task: names new photos' places after an import, then re-segments events (they use places)."""

from __future__ import annotations

from app.core.tasks.context import TaskContext
from app.core.tasks.registry import task_handler

PLACES_DEDUPE = "places"


@task_handler("places", max_concurrency=1)
def name_places(ctx: TaskContext) -> None:
    ctx.library.places.name_pending(ctx.check_cancelled)
    _then_events(ctx)


def _then_events(ctx: TaskContext) -> None:
    from app.core.events.tasks import submit_segmentation

    submit_segmentation(ctx)


def submit_places(ctx: TaskContext) -> None:
    """Queue the places task (once: a live one already covers every photo)."""
    ctx.submit("places", group_id=None, dedupe_key=PLACES_DEDUPE)
