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

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from app.core.db.models import FailedFile, Photo, PhotoFile
from app.core.db.types import text_safe
from app.core.ingest.analyse import FileAnalysis
from app.core.photo_metadata import metadata_of

IMPORTED, DUPLICATE, MOVED, UNCHANGED = "imported", "duplicate", "moved", "unchanged"

_CLEAR_FAILURE = (
    delete(FailedFile).where(FailedFile.path == bindparam("path")).execution_options(synchronize_session=False)
)


@dataclass(frozen=True)
class StoreOutcome:
    kind: str  # imported | duplicate | moved | unchanged
    # A move whose old location a scan had already flagged missing: the import summary un-counts it.
    was_missing: bool = False


def store_analysis(session: Session, analysis: FileAnalysis, folder_id: int | None) -> StoreOutcome:
    """Upsert the photo and its file row. Does not commit."""
    now = time.time()
    was_missing = False
    # First, while nothing is pending (no autoflush), and without matching it against loaded objects.
    session.execute(_CLEAR_FAILURE, {"path": analysis.path})
    photo = session.scalar(select(Photo).where(Photo.sha256 == analysis.sha256))
    outcome = IMPORTED
    if photo is None:
        photo = _new_photo(analysis, now)
        session.add(photo)
        session.flush()
    else:
        _refresh_photo(photo, analysis)
        outcome = DUPLICATE

    row = session.scalar(select(PhotoFile).where(PhotoFile.path == analysis.path))
    if row is not None and row.photo_id == photo.id:
        outcome = UNCHANGED
    elif row is not None:
        # Same path, new content (the file was edited or replaced): the row follows the new content.
        old_photo_id = row.photo_id
        row.photo_id = photo.id
        session.flush()
        _mark_missing_if_orphaned(session, old_photo_id)
    elif outcome == DUPLICATE:
        row = _vanished_location(session, photo.id)
        if row is not None:
            was_missing = row.missing
            row.path = analysis.path
            outcome = MOVED
    if row is None:
        row = PhotoFile(photo_id=photo.id, path=analysis.path, first_seen=now)
        session.add(row)
    row.folder_id = folder_id if folder_id is not None else row.folder_id
    row.size = analysis.size
    row.mtime_ns = analysis.mtime_ns
    row.missing = False
    row.last_seen = now
    photo.status = "ok"
    session.flush()
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


def _new_photo(analysis: FileAnalysis, now: float) -> Photo:
    photo = Photo(sha256=analysis.sha256, imported_at=now, hidden=False, status="ok")
    _refresh_photo(photo, analysis)
    return photo


def _refresh_photo(photo: Photo, analysis: FileAnalysis) -> None:
    """Content-derived fields: the same for every copy of the bytes, so any copy may (re)write them."""
    meta = analysis.metadata
    photo.size = analysis.size
    photo.width = analysis.width
    photo.height = analysis.height
    photo.format = analysis.format[:16]
    values = metadata_of(meta)
    # An EXIF date belongs to the bytes; an mtime is a per-copy guess that only fills a gap.
    if meta.taken_at_source == "mtime" and photo.taken_at is not None:
        del values["taken_at"], values["taken_at_source"]
    for name, value in values.items():
        setattr(photo, name, value)
    photo.phash = analysis.phash
    photo.phash_crops = analysis.phash_crops
    photo.error = None


def _vanished_location(session: Session, photo_id: int) -> PhotoFile | None:
    """A known location of this photo that is no longer on disk: the source of a move or rename."""
    for row in session.scalars(select(PhotoFile).where(PhotoFile.photo_id == photo_id).order_by(PhotoFile.id)):
        if row.missing or not os.path.exists(row.path):
            return row
    return None


def _mark_missing_if_orphaned(session: Session, photo_id: int) -> None:
    photo = session.get(Photo, photo_id)
    if photo is None:
        return
    present = session.scalar(
        select(PhotoFile.id).where(PhotoFile.photo_id == photo_id, PhotoFile.missing.is_(False)).limit(1)
    )
    photo.status = "ok" if present is not None else "missing"
