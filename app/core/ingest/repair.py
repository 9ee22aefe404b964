"""Thumbnails that went missing or broken (deleted by hand, cut short by an old crash) are made again from the
photo's original file, so `photos --json` and the grid never point at nothing for good.

Every import queues a check (cheap: the file is there, not empty, and has a JPEG's first and last markers) that
queues one `thumbnails` task per broken photo. An import's check covers the next CHECK_SLICE photos by id after
where the last one stopped, wrapping around, so a library of any size costs a re-import at most that many checks
(all 100k photos took ~4 s of CPU, twice the whole re-import's goal; 5,000 take ~0.15 s, on a second worker while
the scan runs) and every photo is still checked within 20 imports of a 100k library; the check the window queues
when a library opens covers every photo. The GUI calls `regenerate_thumbnails` for photos it
could not show, which also decodes their thumbnails to be sure. A photo whose original is gone (or no longer
holds its bytes) is marked with the reason in `photos.error`; nothing fails.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db.models import Photo, PhotoFile
from app.core.ingest.analyse import IngestSettings, rebuild_thumbnails
from app.core.ingest.errors import FileBusy, FileRejected
from app.core.ingest.tasks import record_result
from app.core.ingest.thumbnails import thumbnail_ok
from app.core.tasks import Priority, TaskContext, task_handler

if TYPE_CHECKING:
    from app.core.library import Library
    from app.core.tasks.store import TaskStore

log = logging.getLogger(__name__)

CHECK_TASK, REPAIR_TASK = "thumbnails_check", "thumbnails"
SIZES = ("grid", "preview")
_IN_CHUNK = 10_000
CHECK_SLICE = 5_000  # photos an import's thumbnail check looks at (the next ones after the previous check's)


@dataclass(frozen=True)
class RepairOutcome:
    photo_id: int
    repaired: bool
    reason: str | None = None  # why it could not be repaired
    retry: bool = False  # only transient errors (I/O, a full disk): worth another try later


def find_broken_thumbnails(
    library: "Library", photo_ids: Iterable[int] | None = None, *, full: bool = False
) -> list[int]:
    """Photos (all, or these) whose grid or preview thumbnail is missing or broken. `full` decodes each
    thumbnail (slow); otherwise the cheap check runs."""
    return _broken(library, _hashes(library, photo_ids), full=full)


def _broken(library: "Library", rows: list[tuple[int, str]], *, full: bool = False) -> list[int]:
    layout = library.layout
    return [
        photo_id
        for photo_id, sha256 in rows
        if not all(thumbnail_ok(layout.thumbnail_path(sha256, size), full=full) for size in SIZES)
    ]


def regenerate_thumbnails(library: "Library", photo_ids: Iterable[int]) -> list[int]:
    """For the GUI: check these photos' thumbnails fully (decoding them) and make the broken ones again from
    their originals. Returns the ids whose thumbnails were regenerated; the others were whole already or could
    not be repaired (the reason is in the photo's `error`). Decodes files: call it off the UI thread."""
    repaired = []
    for photo_id in find_broken_thumbnails(library, photo_ids, full=True):
        with library.db.write_session() as session:
            outcome = repair_photo(library, session, photo_id)
        if outcome.repaired:
            repaired.append(photo_id)
    return repaired


def repair_photo(library: "Library", session: Session, photo_id: int) -> RepairOutcome:
    """Rebuild one photo's thumbnails from the first of its files on disk that still holds its bytes, and note
    the result on the photo (in `session`, not committed)."""
    with library.db.read_session() as s:
        sha256 = s.scalar(select(Photo.sha256).where(Photo.id == photo_id))
        paths = list(
            s.scalars(
                select(PhotoFile.path)
                .where(PhotoFile.photo_id == photo_id, PhotoFile.missing.is_(False))
                .order_by(PhotoFile.id)
            )
        )
    if sha256 is None:
        return RepairOutcome(photo_id, False, "no such photo")
    settings = IngestSettings.from_config(library.config)
    reasons, retry = [], False
    for path in paths:
        try:
            rebuild_thumbnails(path, library.layout, settings, sha256)
        except (FileRejected, FileBusy) as exc:
            reasons.append(f"{path}: {exc.error_class}: {exc}")
            retry = retry or isinstance(exc, FileBusy)
            continue
        _note(session, photo_id, None)
        log.info("regenerated the thumbnails of photo %d from %s", photo_id, path)
        return RepairOutcome(photo_id, True)
    if not paths:
        reasons.append("no original file of this photo is on disk")
    reason = "thumbnails cannot be made again: " + "; ".join(reasons)
    _note(session, photo_id, reason)
    log.warning("photo %d: %s", photo_id, reason)
    return RepairOutcome(photo_id, False, reason, retry)


def submit_thumbnail_check(
    store: "TaskStore", session: Session, group_id: int | None = None, *, every_photo: bool = False
) -> int | None:
    """Queue a check of the photos' thumbnails: the next CHECK_SLICE photos, or `every_photo` (once: a live
    check makes this a no-op). In an import's group, the repairs it queues belong to that import too:
    cancelling the import cancels them."""
    payload = {"all": True} if every_photo else {}
    return store.submit(
        CHECK_TASK, payload, priority=Priority.NORMAL, group_id=group_id, dedupe_key=CHECK_TASK, session=session
    )


def schedule_thumbnail_check(library: "Library") -> int | None:
    """Queue the background check of every photo's thumbnails (the window does this when a library opens)."""
    with library.db.write_session() as session:
        return submit_thumbnail_check(library.tasks.store, session, every_photo=True)


@task_handler(CHECK_TASK)
def check_thumbnails(ctx: TaskContext) -> None:
    if ctx.payload.get("all"):
        broken, next_after = find_broken_thumbnails(ctx.library), 0  # file work before the write lock
    else:
        after = _last_check_end(ctx.library)
        rows = _hashes(ctx.library, None, after_id=after, limit=CHECK_SLICE)
        broken = _broken(ctx.library, rows)
        next_after = rows[-1][0] if len(rows) == CHECK_SLICE else 0  # at the end: from the start next time
    ctx.check_cancelled()
    for photo_id in broken:
        ctx.submit(
            REPAIR_TASK, {"photo_id": photo_id}, priority=Priority.NORMAL, dedupe_key=f"{REPAIR_TASK}:{photo_id}"
        )
    record_result(ctx, broken=len(broken), next_after_id=next_after)
    if broken:
        log.info("%d photos have missing or broken thumbnails; regenerating them", len(broken))


@task_handler(REPAIR_TASK)
def repair_thumbnails(ctx: TaskContext) -> None:
    photo_id = int(ctx.payload["photo_id"])
    outcome = repair_photo(ctx.library, ctx.session, photo_id)
    if outcome.retry and ctx.task.attempts < ctx.task.max_attempts:
        raise FileBusy(outcome.reason or "cannot read the original now")  # the engine retries later
    record_result(ctx, repaired=outcome.repaired, reason=outcome.reason)


def _note(session: Session, photo_id: int, reason: str | None) -> None:
    """A repaired photo loses its error (and an `error` status); an unrepairable one keeps why. A `missing`
    status stays: it says more than `error`."""
    photo = session.get(Photo, photo_id)
    if photo is None:
        return
    photo.error = reason
    if reason is None and photo.status == "error":
        photo.status = "ok"
    elif reason is not None and photo.status == "ok":
        photo.status = "error"
    session.flush()


def _last_check_end(library: "Library") -> int:
    """The photo id the last finished check stopped after (0: none, or it reached the end)."""
    from app.core.db.models import Task
    from app.core.tasks.states import TaskState

    with library.db.read_session() as s:
        # By the dedupe key every check is queued under: its index finds the last one at once, where the state
        # index walked every finished task of the library (a re-import of 100k photos: 200k rows, ~25 ms CPU).
        payload = s.scalar(
            select(Task.payload)
            .where(Task.dedupe_key == CHECK_TASK, Task.type == CHECK_TASK, Task.state == TaskState.DONE)
            .order_by(Task.id.desc())
            .limit(1)
        )
    try:
        return int(json.loads(payload or "{}").get("next_after_id") or 0)
    except (ValueError, TypeError, AttributeError):
        return 0


def _hashes(
    library: "Library", photo_ids: Iterable[int] | None, *, after_id: int = 0, limit: int | None = None
) -> list[tuple[int, str]]:
    """(id, sha256) of these photos; of all photos (by id, after `after_id`, at most `limit`) except those
    already found unrepairable while every file of theirs is missing (when a file comes back, its import
    rebuilds the thumbnails anyway)."""
    query = select(Photo.id, Photo.sha256).order_by(Photo.id)
    with library.db.read_session() as s:
        if photo_ids is None:
            known_lost = (Photo.status == "missing") & Photo.error.is_not(None)
            query = query.where(~known_lost, Photo.id > after_id)
            if limit is not None:
                query = query.limit(limit)
            return [tuple(row) for row in s.connection().execute(query)]  # Core rows: 10k ORM rows cost 0.1 s
        ids = list(photo_ids)
        rows = []
        for start in range(0, len(ids), _IN_CHUNK):  # SQLite caps the bound parameters of one statement
            chunk = query.where(Photo.id.in_(ids[start : start + _IN_CHUNK]))
            rows += [tuple(row) for row in s.connection().execute(chunk)]
        return rows
