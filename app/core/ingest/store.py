"""Turn one file's analysis into rows, inside the caller's transaction (the task engine commits it together with
the task's `done`, so a crash never leaves half an import).

Photos are keyed by content (sha256); files are keyed by path. That gives the re-import rules:
- the same path with the same content: refresh its size/mtime (`unchanged`);
- known content at a new path while an old path of it is gone: the file moved, update that row (`moved`);
- known content at a new path otherwise: one more location of the same photo (`duplicate`);
- new content: a new photo (`imported`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from sqlalchemy import bindparam, case, delete, insert, select, update
from sqlalchemy.orm import Session

from app.core.db.models import FailedFile, Photo, PhotoFile, VideoKeyframe
from app.core.db.types import text_safe
from app.core.ingest.analyse import FileAnalysis
from app.core.organise.service import store_embedded
from app.core.photo_metadata import metadata_of

IMPORTED, DUPLICATE, MOVED, UNCHANGED = "imported", "duplicate", "moved", "unchanged"

_PHOTOS = Photo.__table__
_FILES = PhotoFile.__table__
_FAILED = FailedFile.__table__
# Built once and run on the session's Connection with parameters: building a statement per call (`.values(...)`
# of thirty columns) and the ORM session's execute path cost more than SQLite's own work on a small photo. An
# UPDATE sets the columns named in its parameters.
_CLEAR_FAILURE = delete(_FAILED).where(_FAILED.c.path == bindparam("path_"))
_PHOTO_BY_SHA = select(_PHOTOS.c.id, _PHOTOS.c.taken_at).where(_PHOTOS.c.sha256 == bindparam("sha256_"))
_FILE_BY_PATH = select(_FILES.c.id, _FILES.c.photo_id, _FILES.c.folder_id).where(_FILES.c.path == bindparam("path_"))
_INSERT_PHOTO = insert(_PHOTOS).returning(_PHOTOS.c.id)
_UPDATE_PHOTO = update(_PHOTOS).where(_PHOTOS.c.id == bindparam("photo_id_"))
_INSERT_FILE = insert(_FILES)
_UPDATE_FILE = update(_FILES).where(_FILES.c.id == bindparam("file_id_"))


@dataclass(frozen=True)
class StoreOutcome:
    kind: str  # imported | duplicate | moved | unchanged
    # A move whose old location a scan had already flagged missing: the import summary un-counts it.
    was_missing: bool = False


def store_analysis(session: Session, analysis: FileAnalysis, folder_id: int | None) -> StoreOutcome:
    """Upsert the photo and its file row. Does not commit.

    Prepared Core statements on the session's connection, not ORM objects: this runs once per imported file,
    and the unit of work's bookkeeping cost more than the SQL itself."""
    conn = session.connection()
    now = time.time()
    was_missing = False
    conn.execute(_CLEAR_FAILURE, {"path_": analysis.path})
    found = conn.execute(_PHOTO_BY_SHA, {"sha256_": analysis.sha256}).first()
    content = _content_values(analysis, has_date=found is not None and found.taken_at is not None)
    if found is None:
        photo_id = conn.execute(
            _INSERT_PHOTO, {"sha256": analysis.sha256, "imported_at": now, "hidden": False, **content}
        ).scalar_one()
        store_embedded(session, photo_id, analysis.embedded)
        outcome = IMPORTED
    else:
        photo_id = found.id
        conn.execute(_UPDATE_PHOTO, {"photo_id_": photo_id, **content})
        outcome = DUPLICATE
    if analysis.keyframes:
        _store_keyframes(conn, photo_id, analysis.keyframes)

    row = conn.execute(_FILE_BY_PATH, {"path_": analysis.path}).first()
    file_id = row.id if row is not None else None
    keep_folder = row.folder_id if row is not None else None
    values = {"path": analysis.path}
    if row is not None and row.photo_id == photo_id:
        outcome = UNCHANGED
    elif row is not None:
        # Same path, new content (the file was edited or replaced): the row follows the new content.
        conn.execute(_UPDATE_FILE, {"file_id_": file_id, "photo_id": photo_id})
        _mark_missing_if_orphaned(session, row.photo_id)
    elif outcome == DUPLICATE:
        moved = _vanished_location(session, photo_id)
        if moved is not None:
            was_missing = bool(moved.missing)
            file_id, keep_folder = moved.id, moved.folder_id
            outcome = MOVED
    values.update(
        folder_id=folder_id if folder_id is not None else keep_folder,
        size=analysis.size,
        mtime_ns=analysis.mtime_ns,
        missing=False,
        last_seen=now,
    )
    if file_id is None:
        conn.execute(_INSERT_FILE, {"photo_id": photo_id, "first_seen": now, **values})
    else:
        conn.execute(_UPDATE_FILE, {"file_id_": file_id, **values})
    return StoreOutcome(outcome, was_missing)


def store_failure(
    session: Session,
    path: str,
    error_class: str,
    reason: str,
    *,
    folder_id: int | None = None,
    size: int | None = None,
    mtime_ns: int | None = None,
) -> None:
    """Record (or refresh) why a file could not be imported. Does not commit."""
    row = session.scalar(select(FailedFile).where(FailedFile.path == path))
    if row is None:
        row = FailedFile(path=path)
        session.add(row)
    row.folder_id = folder_id
    row.size = size
    row.mtime_ns = mtime_ns
    row.error_class = error_class[:64]
    row.reason = text_safe(reason)[:2000]  # a message may quote a path that is not UTF-8
    row.failed_at = time.time()
    session.flush()


def clear_failures(session: Session, paths: list[str]) -> None:
    """Forget recorded failures whose cause is gone. Does not commit."""
    for start in range(0, len(paths), 500):
        session.execute(delete(FailedFile).where(FailedFile.path.in_(paths[start : start + 500])))


def mark_missing(session: Session, file_ids: list[int]) -> int:
    """Files gone from disk keep their rows (and their photo) but are flagged; a photo with no file left on disk
    becomes status `missing`."""
    if not file_ids:
        return 0
    photo_ids = set()
    for row in session.scalars(select(PhotoFile).where(PhotoFile.id.in_(file_ids))):
        row.missing = True
        photo_ids.add(row.photo_id)
    session.flush()
    for photo_id in photo_ids:
        _mark_missing_if_orphaned(session, photo_id)
    return len(file_ids)


_KEYFRAMES = VideoKeyframe.__table__


def _store_keyframes(conn, photo_id: int, times: tuple[float, ...]) -> None:
    """A clip's keyframe rows (content-derived like its thumbnails: any copy may write them again)."""
    conn.execute(delete(_KEYFRAMES).where(_KEYFRAMES.c.photo_id == photo_id))
    conn.execute(insert(_KEYFRAMES), [{"photo_id": photo_id, "frame": i, "time_s": t} for i, t in enumerate(times)])


def _content_values(analysis: FileAnalysis, *, has_date: bool) -> dict:
    """Content-derived columns: the same for every copy of the bytes, so any copy may (re)write them."""
    meta = analysis.metadata
    values = metadata_of(meta)
    # An EXIF date belongs to the bytes; an mtime is a per-copy guess that only fills a gap.
    if meta.taken_at_source == "mtime" and has_date:
        del values["taken_at"], values["taken_at_source"]
    return {
        **values,
        "size": analysis.size,
        "width": analysis.width,
        "height": analysis.height,
        "format": analysis.format[:16],
        "phash": analysis.phash,
        "phash_crops": analysis.phash_crops,
        "media": analysis.media,
        "duration_s": analysis.duration_s,
        "error": None,
        "status": "ok",
    }


def _vanished_location(session: Session, photo_id: int):
    """A known location of this photo that is no longer on disk: the source of a move or rename."""
    rows = session.execute(
        select(_FILES.c.id, _FILES.c.path, _FILES.c.missing, _FILES.c.folder_id)
        .where(_FILES.c.photo_id == photo_id)
        .order_by(_FILES.c.id)
    )
    for row in rows:
        if row.missing or not os.path.exists(row.path):
            return row
    return None


def _mark_missing_if_orphaned(session: Session, photo_id: int) -> None:
    present = (
        select(_FILES.c.id).where(_FILES.c.photo_id == photo_id, _FILES.c.missing.is_(False)).limit(1).exists()
    )
    status = case((present, "ok"), else_="missing")
    session.execute(update(_PHOTOS).where(_PHOTOS.c.id == photo_id).values(status=status))
