"""Centre-crop hashes for photos imported before they existed, computed from their grid thumbnails.

A resumable chain like the embed task: each task fills one chunk in photo-id order, commits it with the follow-up
for the next chunk, and the last one regroups near duplicates so the new hashes take effect. A photo whose
thumbnails cannot be decoded gets "" (nothing to compare; never retried in a loop) instead of NULL.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PIL import Image
from sqlalchemy import and_, select, update

from app.core.db.models import Photo, Task
from app.core.ingest.crop_hash import crop_hashes_hex
from app.core.tasks import Priority, TaskContext, task_handler
from app.core.tasks.states import LIVE_STATES

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

TASK_TYPE = "crop_hashes"
CHAIN_DEDUPE = "crop_hashes"
CHUNK = 500


def _lacking():
    return and_(Photo.phash.is_not(None), Photo.phash_crops.is_(None))


def lacking(library: "Library", after_id: int = 0, limit: int = CHUNK) -> list[tuple[int, str]]:
    with library.db.read_session() as s:
        return [tuple(r) for r in s.execute(
            select(Photo.id, Photo.sha256).where(_lacking(), Photo.id > after_id).order_by(Photo.id).limit(limit))]


def _chain_is_live(session) -> bool:
    """Matched on the dedupe key: the chain's first task has CHAIN_DEDUPE, its follow-ups `CHAIN_DEDUPE:<after_id>`."""
    rows = session.execute(select(Task.dedupe_key, Task.type, Task.state).where(
        Task.dedupe_key >= CHAIN_DEDUPE, Task.dedupe_key < CHAIN_DEDUPE + ";"))  # one range of the dedupe-key index
    return any(t == TASK_TYPE and state in LIVE_STATES and (k == CHAIN_DEDUPE or k.startswith(CHAIN_DEDUPE + ":")) for k, t, state in rows)


def schedule(ctx: TaskContext) -> None:
    """Start the chain in the caller's transaction when some photo lacks its crop hashes (after an upgrade)."""
    session = ctx.session
    if session.scalar(select(Photo.id).where(_lacking()).limit(1)) is None or _chain_is_live(session):
        return
    ctx.submit(TASK_TYPE, {"after_id": 0}, priority=Priority.BULK, group_id=None, dedupe_key=CHAIN_DEDUPE)


def hashes_from_thumbnails(library: "Library", sha256: str) -> str:
    for name in ("grid", "preview"):
        try:
            with Image.open(library.layout.thumbnail(sha256, name)) as image:
                image.thumbnail((256, 256))
                return crop_hashes_hex(image.convert("RGB"))
        except (OSError, ValueError, Image.DecompressionBombError):
            continue
    log.warning("photo %s: no decodable thumbnail for its crop hashes", sha256[:12])
    return ""


@task_handler(TASK_TYPE, max_concurrency=1)
def backfill_crop_hashes(ctx: TaskContext) -> None:
    after_id = int(ctx.payload.get("after_id", 0))
    rows = lacking(ctx.library, after_id, CHUNK)
    values = []
    for i, (photo_id, sha) in enumerate(rows):
        if i % 50 == 0:
            ctx.check_cancelled()
            ctx.set_progress(i / max(len(rows), 1))
        values.append({"id": photo_id, "phash_crops": hashes_from_thumbnails(ctx.library, sha)})
    session = ctx.session  # the write lock only now, after the decoding
    if values:
        session.execute(update(Photo), values)
    if len(rows) == CHUNK:
        last = rows[-1][0]
        ctx.submit(TASK_TYPE, {"after_id": last}, priority=Priority.BULK, group_id=None, dedupe_key=f"{CHAIN_DEDUPE}:{last}")
    else:
        ctx.submit("duplicates", {}, priority=Priority.BULK, group_id=None)
