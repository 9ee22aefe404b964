"""One open library folder: its database (migrated on open), folders on disk, settings and services.

Services are created on first use so that opening a library (and the window) stays fast, and so that each
service lives in its own module instead of growing this class.
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path

from app.core.config import Config
from app.core.db.database import Database
from app.core.ingest.tempfiles import remove_stray_temp_files
from app.core.logs import attach_library_log, detach_library_log
from app.core.paths import LibraryLayout, default_library_dir

log = logging.getLogger(__name__)


class LibraryError(Exception):
    """A library folder that cannot be opened (not writable, not a library, newer schema)."""


class Library:
    def __init__(self, root: Path, *, log_to_file: bool = True):
        self.layout = LibraryLayout(Path(root).expanduser().resolve())
        try:
            self.layout.create()
        except OSError as exc:
            raise LibraryError(f"cannot create library folder {self.layout.root}: {exc.strerror or exc}") from exc
        self._log_to_file = log_to_file
        if log_to_file:
            attach_library_log(self.layout.logs)
        self.db = Database(self.layout.database)
        try:
            self.db.upgrade()
        except Exception as exc:
            self.db.close()
            raise LibraryError(f"cannot open library database {self.layout.database}: {exc}") from exc
        self.config = Config(self.db)
        remove_stray_temp_files(self.layout.thumbnail_temp)  # half-written thumbnails of a killed import
        log.info("opened library %s", self.layout.root)

    @classmethod
    def open(cls, root: Path | str | None = None, **kwargs) -> "Library":
        return cls(Path(root) if root else default_library_dir(), **kwargs)

    @property
    def root(self) -> Path:
        return self.layout.root

    @cached_property
    def photos(self):
        from app.core.photos import PhotoService

        return PhotoService(self)

    @cached_property
    def tasks(self):
        from app.core.tasks.engine import TaskEngine

        return TaskEngine(self)

    @cached_property
    def importer(self):
        from app.core.ingest.importer import Importer

        return Importer(self)

    @cached_property
    def models(self):
        from app.core.ml.registry import ModelRegistry

        return ModelRegistry(self)

    @cached_property
    def search(self):
        from app.core.search.service import SearchService

        return SearchService(self)

    def close(self) -> None:
        if "tasks" in self.__dict__:
            self.tasks.stop()
        if "search" in self.__dict__:
            self.search.close()  # flushes the debounced index save
        self.db.close()
        if self._log_to_file:
            detach_library_log(self.layout.logs)

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
