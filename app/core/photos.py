"""Read access to photos for the CLI and the GUI, returned as plain dataclasses (never ORM rows)."""

from __future__ import annotations

import json
import os
import sys
from contextlib import closing
from dataclasses import dataclass, field, fields
from operator import itemgetter
from typing import TYPE_CHECKING, Iterable, Iterator, Optional

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.core.db.models import Folder, Photo, PhotoFile
from app.core.db.types import FsPath
from app.core.organise.service import read_edits
from app.core.photo_metadata import PhotoMetadata, metadata_of

if TYPE_CHECKING:
    from app.core.library import Library


@dataclass(frozen=True)
class PhotoInfo(PhotoMetadata):
    """A photo for display: its metadata fields (taken_at, GPS, camera, ...; see PhotoMetadata) and these."""

    id: int
    path: str
    paths: list[str]
    sha256: str
    size: int
    width: Optional[int]
    height: Optional[int]
    format: Optional[str]
    phash: Optional[str]
    status: str
    hidden: bool
    duplicate_group_id: Optional[int]
    thumbnail: str
    preview: str
    missing_paths: list[str] = field(default_factory=list)
    # The user's edits (app.core.organise): stored in the library, never in the file.
    rotation: int = 0  # degrees clockwise on top of the EXIF orientation
    favourite: bool = False
    rating: int = 0
    rejected: bool = False
    title: Optional[str] = None
    description: Optional[str] = None
    tags: list[str] = field(default_factory=list)
    media: str = "photo"  # photo | video (a short clip)
    duration_s: Optional[float] = None  # videos: length in seconds

    def to_json(self) -> dict:
        """The stable `photos --json` object (the metadata fields come first). What asdict gives, built
        directly (every field is a plain value or a list of paths): asdict's deep copies were a third of
        `photos --json`."""
        return {name: list(v) if isinstance(v := getattr(self, name), list) else v for name in _FIELD_NAMES}


_FIELD_NAMES = tuple(f.name for f in fields(PhotoInfo))


@dataclass(frozen=True)
class FolderInfo:
    """An imported root folder and how many visible photos have a file in it (for the sidebar)."""

    id: int
    path: str
    photo_count: int
    paused: bool = False
    online: bool = True  # False: the folder is not there now (a removable drive that is unplugged)


@dataclass(frozen=True)
class MonthCount:
    """Visible photos taken in one month ("2021-03"; None for undated), in display order, for date headers."""

    month: Optional[str]
    count: int


_PHOTOS = Photo.__table__
LISTING_FIELDS = _FIELD_NAMES
# A listing's photo columns: the metadata fields, then PhotoInfo's other stored fields in its order.
_LISTING_COLUMNS = (
    *(f.name for f in fields(PhotoMetadata)),
    "id", "sha256", "size", "width", "height", "format", "phash", "status", "hidden", "duplicate_group_id",
    "media", "duration_s",
)
_SHA, _HIDDEN = _LISTING_COLUMNS.index("sha256"), _LISTING_COLUMNS.index("hidden")
_LISTING_SQL = f"SELECT {', '.join(_LISTING_COLUMNS)} FROM photos WHERE id IN (SELECT value FROM json_each(?))"
_LISTING_FILES_SQL = (
    "SELECT photo_id, path, missing FROM photo_files WHERE photo_id IN (SELECT value FROM json_each(?)) ORDER BY id"
)
# Postgres (psycopg): the chunk's ids as one array parameter instead of a JSON text.
_LISTING_SQL_PG = f"SELECT {', '.join(_LISTING_COLUMNS)} FROM photos WHERE id = ANY(%s)"
_LISTING_FILES_SQL_PG = "SELECT photo_id, path, missing FROM photo_files WHERE photo_id = ANY(%s) ORDER BY id"
# A listing's edits and tags, in the ORM path's order (organise.service.read_edits), straight through the driver.
_LISTING_EDITS_SQL = ("SELECT photo_id, rotation, favourite, rating, rejected, title, description FROM photo_edits"
                      " WHERE photo_id IN (SELECT value FROM json_each(?))")
_LISTING_TAGS_SQL = ("SELECT photo_tags.photo_id, tags.name FROM photo_tags JOIN tags ON tags.id = photo_tags.tag_id"
                     " WHERE photo_tags.photo_id IN (SELECT value FROM json_each(?)) ORDER BY lower(tags.name)")
_LISTING_EDITS_SQL_PG = _LISTING_EDITS_SQL.replace("IN (SELECT value FROM json_each(?))", "= ANY(%s)")
_LISTING_TAGS_SQL_PG = _LISTING_TAGS_SQL.replace("IN (SELECT value FROM json_each(?))", "= ANY(%s)")
_ID = _LISTING_COLUMNS.index("id")
_FS_PATH = FsPath()  # the raw rows' paths are decoded as the ORM would (bytes on SQLite, private use on Postgres)
_NO_FILES: tuple[list, list] = ([], [])
_NO_EDITS = (0, False, 0, False, None, None, ())  # rotation, favourite, rating, rejected, title, description, tags
_FILES = PhotoFile.__table__

# Newest first, undated last, id keeps the order stable (NULLS LAST: SQLite's own order for DESC, spelled out for PostgreSQL); in this
# form SQLite reads it from the index ix_photos_display_order instead of sorting every photo.
_ORDER = (Photo.taken_at.desc().nulls_last(), Photo.id.desc())


_LISTING_CHUNK = 2000  # ids per listing read (one JSON array parameter, so no cap on bound parameters)


def _driver_ids(session, query, last: list | None = None) -> list[int]:
    """The first column of `query` (whole numbers only: the query is compiled with its values inlined),
    read straight through the driver. The window re-reads 100k ids on every live refresh on its reader thread,
    and whatever Python does per row there holds the interpreter lock the GUI thread paints with: SQLAlchemy's
    row processing was most of that read's time, and the driver's own row tuples still cost ~20 ms. On SQLite
    the ids come as one `group_concat` string (SQLite builds it with the lock let go) that `json` parses at C
    speed: ~4x less time holding the lock. The subquery keeps its order: SQLite never flattens an ordered
    subquery into an aggregate (a test compares both ways on ties and missing dates). `last` ([] or the
    [sql, string, ids] of the previous call) skips the parsing when the same query found the same ids: most
    refreshes follow commits of background work that changed no photo's place in the list."""
    sql = str(query.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}))
    sqlite = session.get_bind().dialect.name == "sqlite"
    cursor = session.connection().connection.dbapi_connection.cursor()
    try:
        if sqlite:
            cursor.execute(f"SELECT group_concat(listed.id) FROM ({sql}) AS listed")
            joined = cursor.fetchone()[0]
            if last and last[0] == sql and last[1] == joined:
                return list(last[2])
            ids = _parse_ids(joined) if joined else []
            if last is not None:
                last[:] = [sql, joined, list(ids)]
            return ids
        cursor.execute(sql)
        return list(map(itemgetter(0), cursor.fetchall()))
    finally:
        cursor.close()


def _parse_ids(joined: str) -> list[int]:
    """The ids in SQLite's comma-joined string. numpy parses 100k of them in a fifth of json's time (one C call
    holding the GIL for ~8 ms, a stall in whatever frame the GUI thread was painting), once the window has
    loaded it; before the first paint, when it has not (tests/test_ui_startup_imports.py), json does."""
    numpy = sys.modules.get("numpy")
    if numpy is None:
        return json.loads(f"[{joined}]")
    return numpy.fromstring(joined, dtype=numpy.int64, sep=",").tolist()


class PhotoService:
    def __init__(self, library: "Library"):
        self._library = library
        self._last_ids: list = []  # ordered_ids' last read (see _driver_ids)

    def _info(self, photo, files=None, edits=None) -> PhotoInfo:
        """From a Photo (with its files) or a photos row and its file rows (by file id), and its edits."""
        layout = self._library.layout
        files = photo.files if files is None else files
        present = [f.path for f in files if not f.missing]
        missing = [f.path for f in files if f.missing]
        paths = present + missing
        return PhotoInfo(
            id=photo.id,
            path=paths[0] if paths else "",
            paths=paths,
            sha256=photo.sha256,
            size=photo.size,
            width=photo.width,
            height=photo.height,
            format=photo.format,
            phash=photo.phash,
            status=photo.status,
            hidden=bool(photo.hidden),
            duplicate_group_id=photo.duplicate_group_id,
            thumbnail=self._thumbnail(photo.sha256, "grid"),
            preview=self._thumbnail(photo.sha256, "preview"),
            missing_paths=missing,
            media=photo.media,
            duration_s=photo.duration_s,
            **metadata_of(photo),
            **(edits.__dict__ if edits is not None else {}),
        )

    def _thumbnail_folder(self, size: str) -> str:
        """Where thumbnails of this size are, ending with a separator (`_thumbnail` is this + shard/sha.jpg)."""
        return os.path.join(str(self._library.layout.thumbnails), size, "")

    def _thumbnail(self, sha256: str, size: str) -> str:
        """str(layout.thumbnail(...)) without building a Path per photo (a listing makes 200k of them)."""
        base = self.__dict__.get("_thumbnail_root")
        if base is None:
            base = self.__dict__["_thumbnail_root"] = str(self._library.layout.thumbnails)
        return os.path.join(base, size, sha256[:2], f"{sha256}.jpg")

    def count(self, *, include_hidden: bool = False) -> int:
        query = select(func.count(Photo.id))
        if not include_hidden:
            query = query.where(Photo.hidden.is_(False))
        with self._library.db.read_session() as session:
            return session.scalar(query) or 0

    def ordered_ids(self, *, include_hidden: bool = False, folder_id: int | None = None) -> list[int]:
        """All photo ids in display order: cheap even for 100k photos, so views can page by position.

        `folder_id` keeps the photos with at least one file under that imported folder.
        """
        query = select(Photo.id).order_by(*_ORDER)
        if not include_hidden:
            query = query.where(Photo.hidden.is_(False))
        if folder_id is not None:
            query = query.where(Photo.id.in_(select(PhotoFile.photo_id).where(PhotoFile.folder_id == folder_id)))
        with self._library.db.read_session() as session:
            return _driver_ids(session, query, self._last_ids)

    def list(self, *, offset: int = 0, limit: int | None = None, include_hidden: bool = False) -> list[PhotoInfo]:
        query = select(Photo).options(selectinload(Photo.files)).order_by(*_ORDER).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        if not include_hidden:
            query = query.where(Photo.hidden.is_(False))
        with self._library.db.read_session() as session:
            photos = list(session.scalars(query))
            edits = read_edits(session, [p.id for p in photos])
            return [self._info(p, edits=edits.get(p.id)) for p in photos]

    def iter_photos(
        self,
        *,
        include_hidden: bool = False,
        offset: int = 0,
        limit: int | None = None,
        since: float | None = None,
        chunk: int = 2000,
    ) -> Iterator[PhotoInfo]:
        """Photos in display order, read `chunk` at a time, so listing 100k photos holds one chunk in memory.

        `since` (a UNIX time) keeps photos imported, or with a file (re)imported, at or after that time."""
        for rows in self.iter_listing(
            include_hidden=include_hidden, offset=offset, limit=limit, since=since, chunk=chunk
        ):
            for values in rows:
                yield PhotoInfo(*values)

    def iter_listing(
        self,
        *,
        include_hidden: bool = False,
        offset: int = 0,
        limit: int | None = None,
        since: float | None = None,
        chunk: int = 2000,
    ) -> Iterator[list[tuple]]:
        """`iter_photos` as chunks of plain tuples: each photo's values in LISTING_FIELDS order (PhotoInfo's
        fields; to_json's keys), for `photos --json` at 100k photos (no object, no dict per photo).

        Each chunk is three queries through the driver's cursor, the chunk's ids passed as one JSON array:
        SQLAlchemy rows and an expanded IN list of 2,000 parameters were most of the listing's time."""
        query = select(Photo.id).order_by(*_ORDER)
        if not include_hidden:
            query = query.where(Photo.hidden.is_(False))
        if since is not None:
            fresh_file = select(PhotoFile.id).where(PhotoFile.photo_id == Photo.id, PhotoFile.last_seen >= since)
            query = query.where(or_(Photo.imported_at >= since, fresh_file.exists()))
        query = query.offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self._library.db.read_session() as session:
            ids = list(session.scalars(query))
        for start in range(0, len(ids), chunk):
            yield self._listing_rows(ids[start : start + chunk])

    def _listing_rows(self, part: list[int]) -> list[tuple]:
        """The listing tuples (LISTING_FIELDS order) of the photos `part` names, in that order, missing ids
        skipped: three queries through the driver's cursor, the ids passed as one JSON array."""
        grid, preview = self._thumbnail_folder("grid"), self._thumbnail_folder("preview")
        with self._library.db.read_session() as session:
            dialect = session.get_bind().dialect
            postgres = dialect.name == "postgresql"
            if postgres:
                listing_sql, files_sql, ids_param = _LISTING_SQL_PG, _LISTING_FILES_SQL_PG, part
                edits_sql, tags_sql = _LISTING_EDITS_SQL_PG, _LISTING_TAGS_SQL_PG
            else:
                listing_sql, files_sql, ids_param = _LISTING_SQL, _LISTING_FILES_SQL, json.dumps(part)
                edits_sql, tags_sql = _LISTING_EDITS_SQL, _LISTING_TAGS_SQL
            with closing(session.connection().connection.driver_connection.cursor()) as cursor:
                rows = {row[_ID]: row for row in cursor.execute(listing_sql, (ids_param,))}
                files: dict[int, tuple[list, list]] = {}
                for photo_id, path, missing in cursor.execute(files_sql, (ids_param,)):
                    present_missing = files.get(photo_id)
                    if present_missing is None:
                        present_missing = files[photo_id] = ([], [])
                    path = _FS_PATH.process_result_value(path, dialect) if type(path) is not str or (
                        postgres and not path.isascii()) else path
                    present_missing[1 if missing else 0].append(path)
                # Edits as listing values, without SQLAlchemy's rows and PhotoEdits: the grid's read-ahead runs
                # this for every page on a thread of the window, holding the GIL its GUI thread paints with.
                edits: dict[int, tuple] = {}
                for photo_id, rotation, favourite, rating, rejected, title, description in cursor.execute(
                        edits_sql, (ids_param,)):
                    edits[photo_id] = (rotation or 0, bool(favourite), rating or 0, bool(rejected), title,
                                       description, [])
                for photo_id, name in cursor.execute(tags_sql, (ids_param,)):
                    edit = edits.get(photo_id)
                    if edit is None:
                        edit = edits[photo_id] = (0, False, 0, False, None, None, [])
                    edit[6].append(name)
        out = []
        for photo_id in part:
            row = rows.get(photo_id)
            if row is None:
                continue
            present, missing = files.get(photo_id, _NO_FILES)
            paths = present + missing
            shard = f"{row[_SHA][:2]}{os.sep}{row[_SHA]}.jpg"
            out.append((
                *row[:_SHA], paths[0] if paths else "", paths,  # the metadata fields, id, path, paths
                *row[_SHA:_HIDDEN], bool(row[_HIDDEN]), row[_HIDDEN + 1],  # sha256 ... status, hidden, group
                grid + shard, preview + shard, list(missing),
                *edits.get(photo_id, _NO_EDITS)[:6], list(edits.get(photo_id, _NO_EDITS)[6]),
                row[_HIDDEN + 2], row[_HIDDEN + 3],  # media, duration_s
            ))
        return out

    def get_many(self, ids: Iterable[int]) -> list[PhotoInfo]:
        """Photos by id, in the order the ids were given (missing ids are skipped)."""
        # Through the listing's driver-cursor reads (as `photos --json`): the grid reads its details a page at
        # a time on a thread of the window's process, and the ORM's objects for 200 photos were ~15 ms of Python
        # holding the GIL the GUI thread paints with.
        ids = list(ids)
        found: list[PhotoInfo] = []
        for start in range(0, len(ids), _LISTING_CHUNK):
            found.extend(PhotoInfo(*values) for values in self._listing_rows(ids[start : start + _LISTING_CHUNK]))
        return found

    def get(self, photo_id: int) -> PhotoInfo | None:
        found = self.get_many([photo_id])
        return found[0] if found else None

    def month_counts(self) -> list[MonthCount]:
        """Visible photos per month in display order (newest first, undated last): running sums of these
        counts are the grid rows where each month starts, so views can show date headers without loading
        every photo."""
        month = func.substr(Photo.taken_at, 1, 7)
        query = (
            select(month, func.count(Photo.id))
            .where(Photo.hidden.is_(False))
            .group_by(month)
            .order_by(month.is_(None), month.desc())
        )
        with self._library.db.read_session() as session:
            return [MonthCount(m, n) for m, n in session.execute(query)]

    def folders(self) -> list[FolderInfo]:
        """Imported root folders with their visible photo counts, by path."""
        count = (
            select(func.count(func.distinct(PhotoFile.photo_id)))
            .join(Photo, Photo.id == PhotoFile.photo_id)
            .where(PhotoFile.folder_id == Folder.id, Photo.hidden.is_(False))
            .scalar_subquery()
        )
        with self._library.db.read_session() as session:
            rows = session.execute(select(Folder.id, Folder.path, count, Folder.paused).order_by(Folder.path))
            return [FolderInfo(i, p, n or 0, bool(paused), os.path.isdir(p)) for i, p, n, paused in rows]
