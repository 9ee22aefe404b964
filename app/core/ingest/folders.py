"""The user's imported folders as things they manage: pause or resume watching, remove one (its photos leave
the library; the files on disk stay), and which folders to rescan or watch now (present and not paused)."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from sqlalchemy import delete, exists, select, update

from app.core.db.models import Folder, Photo, PhotoFile

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)


class FolderError(Exception):
    pass


class FolderService:
    def __init__(self, library: "Library"):
        self._library = library

    def watched(self) -> list[tuple[int, str]]:
        """(id, path) of folders to watch and rescan: not paused, and present now (an unplugged drive is
        offline, not empty: its photos are not marked missing)."""
        with self._library.db.read_session() as s:
            rows = s.execute(select(Folder.id, Folder.path).where(Folder.paused.is_(False)).order_by(Folder.path))
            return [(i, p) for i, p in rows if os.path.isdir(p)]

    def set_paused(self, folder_id: int, paused: bool) -> None:
        with self._library.db.write_session() as s:
            if s.execute(update(Folder).where(Folder.id == folder_id).values(paused=paused)).rowcount == 0:
                raise FolderError(f"no folder with id {folder_id}")

    def remove(self, folder_id: int) -> int:
        """Take a folder out of the library: its files' rows go, and photos left with no file go with them (with
        their faces, album places and notes, by cascade). Photo files on disk are never touched; the removed notes'
        audio (a copy in the library's voice/ folder) is deleted. Returns photos removed."""
        from app.core.voice.audio_files import audio_of, discard

        with self._library.db.write_session() as s:
            if s.get(Folder, folder_id) is None:
                raise FolderError(f"no folder with id {folder_id}")
            photo_ids = list(s.scalars(select(PhotoFile.photo_id).where(PhotoFile.folder_id == folder_id).distinct()))
            s.execute(delete(PhotoFile).where(PhotoFile.folder_id == folder_id))
            orphans = list(s.scalars(select(Photo.id).where(
                Photo.id.in_(photo_ids), ~exists().where(PhotoFile.photo_id == Photo.id))))
            audio = audio_of(s, orphans)  # their voice notes go by cascade; the audio files after the commit
            for start in range(0, len(orphans), 500):
                s.execute(delete(Photo).where(Photo.id.in_(orphans[start:start + 500])))
            s.execute(delete(Folder).where(Folder.id == folder_id))
        discard(self._library, audio)
        log.info("removed folder %d from the library (%d photos left it)", folder_id, len(orphans))
        return len(orphans)
