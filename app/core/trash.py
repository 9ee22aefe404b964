"""Moving photos to the system trash from Shoebox, with undo while the app runs, and never a hard delete.

The OS trash cannot be undone from a program in a portable way, so a "move to trash" happens in two steps. First
each file is renamed into a hidden `.shoebox-trash` folder beside it (the same disk, so an instant and atomic
move that undo simply reverses) and its photo is hidden. When the library closes (or, after a crash, when it next
opens) the waiting files go to the OS trash with send2trash, from where the user can still restore them by hand,
and the photos leave the library. Hidden folders are never imported, so a rescan does not bring them back.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from sqlalchemy import delete, exists, select, update

from app.core.db.models import Photo, PhotoFile, TrashEntry

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

STAGING = ".shoebox-trash"


@dataclass
class TrashResult:
    batch: str
    photos: int = 0
    files: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


class TrashService:
    def __init__(self, library: "Library"):
        self._library = library

    def move_to_trash(self, photo_ids: Iterable[int]) -> TrashResult:
        """Stage every present file of these photos for the trash and hide the photos. A photo one of whose
        files cannot be moved stays as it was (its other files are moved back)."""
        result = TrashResult(batch=uuid.uuid4().hex)
        now = time.time()
        with self._library.db.write_session() as s:
            for photo_id in dict.fromkeys(photo_ids):
                files = list(s.scalars(select(PhotoFile).where(PhotoFile.photo_id == photo_id,
                                                               PhotoFile.missing.is_(False))))
                moved: list[tuple[str, str]] = []
                try:
                    for row in files:
                        moved.append((row.path, _stage(row.path)))
                except OSError as exc:
                    result.failed.append((exc.filename or str(photo_id), exc.strerror or str(exc)))
                    for original, staged in moved:
                        os.replace(staged, original)
                    continue
                if not moved:
                    continue
                for original, staged in moved:
                    s.add(TrashEntry(batch=result.batch, photo_id=photo_id, file_path=original, staged_path=staged,
                                     trashed_at=now))
                s.execute(update(Photo).where(Photo.id == photo_id).values(hidden=True))
                result.photos += 1
                result.files += len(moved)
        log.info("moved %d photos (%d files) towards the trash", result.photos, result.files)
        return result

    def undo(self, batch: str) -> int:
        """Put the files of one move back where they were and show their photos again; returns photos back."""
        with self._library.db.write_session() as s:
            entries = list(s.scalars(select(TrashEntry).where(TrashEntry.batch == batch)))
            for entry in entries:
                if os.path.lexists(entry.file_path):
                    raise FileExistsError(f"{entry.file_path} exists again, so the photo cannot be put back there")
            for entry in entries:
                os.replace(entry.staged_path, entry.file_path)
                _remove_if_empty(Path(entry.staged_path).parent)
            photo_ids = {e.photo_id for e in entries}
            s.execute(update(Photo).where(Photo.id.in_(photo_ids)).values(hidden=False))
            # A rescan while they were away marked them missing; they are back.
            s.execute(update(Photo).where(Photo.id.in_(photo_ids), Photo.status == "missing").values(status="ok"))
            s.execute(update(PhotoFile).where(PhotoFile.path.in_([e.file_path for e in entries]))
                      .values(missing=False))
            s.execute(delete(TrashEntry).where(TrashEntry.batch == batch))
        return len(photo_ids)

    def pending(self) -> int:
        with self._library.db.read_session() as s:
            return len(list(s.scalars(select(TrashEntry.id))))

    def empty(self, before: float | None = None) -> int:
        """Send every waiting file (staged before `before`, if given) to the OS trash and take its photo out of the library (when no file of the
        photo is left). Files that cannot be trashed stay waiting, and are tried again next time."""
        from send2trash import send2trash

        from app.core.voice.audio_files import audio_of, discard

        done = 0
        with self._library.db.write_session() as s:
            query = select(TrashEntry) if before is None else select(TrashEntry).where(TrashEntry.trashed_at < before)
            touched = set()
            for entry in list(s.scalars(query)):
                try:
                    if os.path.lexists(entry.staged_path):
                        send2trash(entry.staged_path)
                except OSError as exc:
                    log.warning("could not move %s to the trash: %s", entry.staged_path, exc)
                    continue
                _remove_if_empty(Path(entry.staged_path).parent)
                s.execute(delete(PhotoFile).where(PhotoFile.path == entry.file_path))
                s.delete(entry)
                touched.add(entry.photo_id)
                done += 1
            s.flush()
            gone = list(s.scalars(select(Photo.id).where(
                Photo.id.in_(touched), ~exists().where(PhotoFile.photo_id == Photo.id),
                ~exists().where(TrashEntry.photo_id == Photo.id))))
            audio = audio_of(s, gone)  # their voice notes go by cascade; the audio files after the commit
            for start in range(0, len(gone), 500):
                s.execute(delete(Photo).where(Photo.id.in_(gone[start:start + 500])))
        discard(self._library, audio)
        if done:
            log.info("moved %d files to the system trash", done)
        return done


def _stage(path: str) -> str:
    folder = Path(path).parent / STAGING
    folder.mkdir(exist_ok=True)
    staged = folder / f"{uuid.uuid4().hex[:8]}-{Path(path).name}"
    os.rename(path, staged)
    return str(staged)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty (other waiting files) or already gone
