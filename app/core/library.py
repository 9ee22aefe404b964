"""One open library folder: its database (migrated on open), folders on disk, settings and services.

Services are created on first use so that opening a library (and the window) stays fast, and so that each
service lives in its own module instead of growing this class.

Opening is careful with the user's folders: a folder that holds other files is never turned into a library
unasked, a library whose database is missing or empty is never silently restarted, a library made by a newer
Shoebox is left alone, and a library the user cannot write is opened read-only.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import sys
from functools import cached_property
from pathlib import Path
from typing import Iterator

from app.core.config import Config
from app.core.db.database import Database, is_damaged_error
from app.core.db.postgres import display_url
from app.core.ingest.tempfiles import remove_stray_temp_files
from app.core.logs import attach_library_log, detach_library_log
from app.core.paths import LibraryLayout, PathMap, default_library_dir, local_folder_for

log = logging.getLogger(__name__)


class LibraryError(Exception):
    """A library folder that cannot be opened (not writable, not a library, newer schema)."""


class NotALibraryError(LibraryError):
    """The folder holds files but no library database; `create=True` makes a library there anyway."""


class LibraryDamagedError(LibraryError):
    """The library database file is damaged; only a backup or SQLite's recovery can help."""


class NewerLibraryError(LibraryError):
    """The library was made (migrated) by a newer Shoebox whose schema this one does not know."""


def damaged_message(db_path: Path, exc: BaseException | None = None) -> str:
    """What to tell the user when SQLite reports that the database file is damaged."""
    detail = f" ({getattr(exc, 'orig', None) or exc})" if exc is not None else ""
    return (
        f"the library database {db_path} is damaged{detail}; it was left as it is. Restore the library folder "
        f"from a backup, or salvage what SQLite can read: `sqlite3 {db_path} .recover | sqlite3 recovered.db`, "
        "then put recovered.db in its place."
    )


def writable(path: Path) -> bool:
    """Whether this process may create files in `path` (a read-only mount counts as not writable)."""
    return os.access(path, os.W_OK)


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """An OS file lock (released by the OS if the process dies), so one process at a time creates or migrates."""
    try:
        handle = open(path, "a+b")
    except OSError as exc:
        raise LibraryError(f"cannot lock library folder {path.parent}: {exc.strerror or exc}") from exc
    with handle:
        if sys.platform == "win32":
            import msvcrt

            while True:
                try:
                    msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # tries for 10 s, then raises: retry
                    break
                except OSError:
                    continue
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # waits while another process creates or migrates
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _first_file(folder: Path) -> Path | None:
    """Any file under `folder` (depth first, stops at the first), or None when it holds only empty folders."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            found = _first_file(Path(entry.path))
            if found is not None:
                return found
        else:
            return Path(entry.path)
    return None


def _disk_full(folder: Path) -> bool:
    """Less than a megabyte free for this user: SQLite then fails to open with "disk I/O error"."""
    try:
        return shutil.disk_usage(folder).free < 1 << 20
    except OSError:
        return False


def _has_database(db: Path) -> bool:
    return db.is_file() and db.stat().st_size > 0


# Files a file manager drops into any folder it shows; they do not make a folder "not empty".
_DESKTOP_FILES = {".DS_Store", "Thumbs.db", "desktop.ini", ".directory"}


def _refuse_unless_new(layout: LibraryLayout, *, locked: bool = True) -> None:
    """Raise NotALibraryError unless the folder is a new library: nothing in it but what opening one creates.

    Without the creation lock (`locked=False`) another process may be creating the library right now, so its
    database's own sidecar files (-wal, -shm, -journal) say nothing yet; the check under the lock decides.
    """
    db = layout.database
    sidecars = {db.name, db.name + "-wal", db.name + "-shm", db.name + "-journal", layout.lock.name}
    library_names = {folder.name for folder in layout.folders}
    foreign: Path | None = None
    library_file: Path | None = None
    for entry in sorted(layout.root.iterdir()):
        if entry.name in _DESKTOP_FILES:
            continue
        if entry.name in sidecars:
            if locked and entry.name != layout.lock.name and entry.is_file() and entry.stat().st_size > 0:
                library_file = library_file or entry  # a non-empty -wal next to an empty database
        elif entry.name == layout.logs.name and entry.is_dir():
            continue  # our own log may be written before the database
        elif entry.name in library_names and entry.is_dir():
            library_file = library_file or _first_file(entry)
        else:
            foreign = foreign or entry
    if library_file is not None:
        state = "empty (0 bytes)" if db.exists() else "missing"
        raise NotALibraryError(
            f"the library database {db} is {state}, but {layout.root} holds library files (such as "
            f"{library_file.relative_to(layout.root)}): the database was probably lost or truncated. Restore "
            "shoebox.db from a backup; Shoebox will not start a new, empty library over it unasked."
        )
    if foreign is not None:
        raise NotALibraryError(
            f"{layout.root} is not a Shoebox library: it holds other files (such as {foreign.name}). "
            "Choose a new or empty folder for a library."
        )


def _check_revision(db: Database) -> str | None:
    """The database's schema revision; refuses one this Shoebox does not know (made by a newer version)."""
    revision = db.schema_revision()
    if revision is not None and revision not in _migrations().known:
        from app import __version__

        raise NewerLibraryError(
            f"{db.path.parent if db.path else db.url} was made by a newer version of Shoebox (its database schema "
            f"is {revision!r}, which Shoebox {__version__} does not know). Update Shoebox to open it."
        )
    return revision


class _Migrations:
    """The schema revisions this Shoebox knows, and the newest, read from the migration files' top-level
    `revision` and `down_revision` (without importing Alembic: that import was a tenth of every command's start,
    and a library already at the newest revision needs nothing else from it)."""

    def __init__(self):
        import ast
        import importlib.util

        spec = importlib.util.find_spec("migrations")  # finds the package without running it
        folder = Path(next(iter(spec.submodule_search_locations))) / "versions"
        self.known: set[str] = set()
        parents: set[str] = set()
        for path in folder.glob("*.py"):
            values = {}
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    if node.targets[0].id in ("revision", "down_revision"):
                        values[node.targets[0].id] = ast.literal_eval(node.value)
            if values.get("revision"):
                self.known.add(values["revision"])
                down = values.get("down_revision")
                parents.update(down if isinstance(down, (tuple, list)) else [down] if down else [])
        heads = self.known - parents
        self.head = next(iter(heads)) if len(heads) == 1 else None  # several heads: let Alembic decide


@functools.cache
def _migrations() -> _Migrations:
    return _Migrations()


def _check_database_marker(layout: LibraryLayout, database: str | None) -> None:
    """A folder holds the thumbnails and indexes of exactly one database: a PostgreSQL library's folder names its
    database in a marker file, so it is never mixed with another database's (or a SQLite library's) files."""
    marker = layout.database_marker
    named = marker.read_text(encoding="utf-8").strip() if marker.is_file() else None
    if database is None:
        if named is not None:
            raise LibraryError(f"{layout.root} holds the local files of the PostgreSQL library {named}: open it "
                               f"with --database {named}")
        return
    if _has_database(layout.database):
        raise LibraryError(f"{layout.root} is a SQLite library (it holds {layout.database.name}); choose another "
                           "folder for the PostgreSQL library's local files, or copy this library into PostgreSQL "
                           "with `shoebox migrate-db --to URL`")
    if named is not None and named != display_url(database):
        raise LibraryError(f"{layout.root} holds the local files of the PostgreSQL library {named}, not of "
                           f"{display_url(database)}: choose another folder")


class Library:
    def __init__(self, root: Path, *, log_to_file: bool = True, create: bool = False,
                 database: str | None = None):
        """Open the library in `root`; a missing or empty folder becomes a new library.

        `create=True` also makes a library in a folder that holds other files (the CLI's `--create`).
        `database`: a PostgreSQL URL; the library's rows live there, and `root` keeps this machine's own files
        (thumbnails, indexes, logs). Without it the database is the SQLite file in `root`.
        """
        self.layout = LibraryLayout(Path(root).expanduser().resolve())
        self.database_url = database
        self.path_map = PathMap()  # where this machine reads originals imported elsewhere (remote workers)
        root = self.layout.root
        if root.exists() and not root.is_dir():
            raise LibraryError(f"{root} is a file, not a library folder")
        if root.is_dir():
            _check_database_marker(self.layout, database)
        self.read_only = root.is_dir() and not (
            writable(root) and (not self.layout.database.exists() or writable(self.layout.database))
        )
        # Why the library is read-only, for messages ("you cannot write to …", "the disk … is full").
        self.read_only_reason = f"you cannot write to {root}" if self.read_only else ""
        self._log_to_file = log_to_file and not self.read_only
        if self.read_only:
            self.db = self._open_read_only()
        else:
            self.db = self._open_writable(create)
        self.config = Config(self.db)
        if not self.read_only:
            remove_stray_temp_files(self.layout.thumbnail_temp)  # half-written thumbnails of a killed import
        log.info("opened library %s%s", root, " read-only" if self.read_only else "")

    def _open_writable(self, create: bool) -> Database:
        try:
            self.layout.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryError(f"cannot create library folder {self.layout.root}: {exc.strerror or exc}") from exc
        db = self.layout.database
        new = not create and not _has_database(db) and not self.layout.database_marker.is_file()
        if new:
            _refuse_unless_new(self.layout, locked=False)  # before the lock file: a refused folder stays as it was
        with _exclusive_lock(self.layout.lock):
            if new and not _has_database(db):
                _refuse_unless_new(self.layout)  # again: another process may have been creating it
            try:
                self.layout.create()
                if self.database_url is not None and not self.layout.database_marker.is_file():
                    self.layout.database_marker.write_text(display_url(self.database_url) + "\n", encoding="utf-8")
            except OSError as exc:
                raise LibraryError(f"cannot create library folder {self.layout.root}: {exc.strerror or exc}") from exc
            if self._log_to_file:
                attach_library_log(self.layout.logs)
            try:
                try:
                    return self._open_database(read_only=False)
                except (NewerLibraryError, LibraryDamagedError):
                    raise
                except LibraryError:
                    if not _disk_full(self.layout.root):
                        raise
                    # SQLite cannot even set up its shared memory file: browsing still works read-only.
                    self.read_only = True
                    self.read_only_reason = f"the disk holding {self.layout.root} is full"
                    log.info("%s: opening the library read-only", self.read_only_reason)
                    return self._open_database(read_only=True)
            except BaseException:
                if self._log_to_file:
                    detach_library_log(self.layout.logs)
                raise

    def _open_read_only(self) -> Database:
        if not _has_database(self.layout.database):
            raise LibraryError(f"cannot make a library in {self.layout.root}: you cannot write to that folder")
        return self._open_database(read_only=True)

    def _open_database(self, read_only: bool) -> Database:
        """Check the schema revision, then migrate (or, read-only, insist that no migration is needed)."""
        path = self.layout.database
        try:
            database = Database(self.database_url or path, read_only=read_only)
        except Exception as exc:  # a malformed URL, a missing driver
            raise LibraryError(f"cannot open library database {self._database_name()}: {exc}") from exc
        try:
            revision = _check_revision(database)
            if not read_only and (revision is None or revision != _migrations().head):
                database.upgrade()
            elif revision != _migrations().head:
                raise LibraryError(
                    f"{self.layout.root} needs a database upgrade (from schema {revision}), which only someone "
                    "who can write to the folder can do: open it once as its owner"
                )
        except LibraryError:
            database.close()
            raise
        except Exception as exc:
            database.close()
            if is_damaged_error(exc):
                raise LibraryDamagedError(damaged_message(path, exc)) from exc
            raise LibraryError(f"cannot open library database {self._database_name()}: {exc}") from exc
        return database

    def _database_name(self) -> str:
        return display_url(self.database_url) if self.database_url else str(self.layout.database)

    @classmethod
    def open(cls, root: Path | str | None = None, *, database: str | None = None, **kwargs) -> "Library":
        """`root` defaults to the per-user library; with a PostgreSQL `database`, to a per-user folder of that
        database's own."""
        if not root:
            root = default_library_dir() if database is None else local_folder_for(database)
        return cls(Path(root), database=database, **kwargs)

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

    def task_engine(self, *, recover: bool = True):
        """`tasks`, made now if need be (`recover=False`: without putting stale running tasks back, for a
        process that does not run the queue itself)."""
        if "tasks" not in self.__dict__:
            from app.core.tasks.engine import TaskEngine

            self.__dict__["tasks"] = TaskEngine(self, recover=recover)
        return self.__dict__["tasks"]

    @cached_property
    def importer(self):
        from app.core.ingest.importer import Importer

        return Importer(self)

    @cached_property
    def models(self):
        from app.core.ml.registry import ModelRegistry

        return ModelRegistry(self)

    @cached_property
    def people(self):
        from app.core.people.operations import PeopleService

        return PeopleService(self)

    @cached_property
    def search(self):
        from app.core.search.service import SearchService

        return SearchService(self)

    @cached_property
    def albums(self):
        from app.core.albums.service import AlbumService

        return AlbumService(self)

    @cached_property
    def organise(self):
        from app.core.organise.service import OrganiseService

        return OrganiseService(self)

    @cached_property
    def undo(self):
        from app.core.undo import UndoLog

        return UndoLog(self)

    @cached_property
    def events(self):
        from app.core.events.service import EventService

        return EventService(self)

    @cached_property
    def folders(self):
        from app.core.ingest.folders import FolderService

        return FolderService(self)

    @cached_property
    def trash(self):
        from app.core.trash import TrashService

        return TrashService(self)

    @cached_property
    def text_index(self):
        from app.core.search.text_index import TextIndex

        return TextIndex(self)

    @cached_property
    def captions(self):
        from app.core.captions.service import CaptionService

        return CaptionService(self)

    @cached_property
    def voice(self):
        from app.core.voice.service import VoiceService

        return VoiceService(self)

    @cached_property
    def places(self):
        from app.core.places.service import PlaceService

        return PlaceService(self)

    def close(self) -> None:
        if "tasks" in self.__dict__:
            self.tasks.stop()
        if "search" in self.__dict__:
            self.search.close()  # flushes the debounced index save
        if "people" in self.__dict__:
            self.people.close()  # the face index's too
        if "text_index" in self.__dict__:
            self.text_index.close()
        self.db.close()
        if self._log_to_file:
            detach_library_log(self.layout.logs)

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

