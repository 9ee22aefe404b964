"""`library.albums`: create, rename, delete, add, remove, cover and order, each undoable (app.core.undo).

Deleting an album deletes the album only: photos and files are never touched. A smart album holds no photo rows;
its photos are its query's answer at the moment it is read, so photos imported later appear without any action.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Optional

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.core.db.models import Album, AlbumPhoto, Photo
from app.core.undo import record, undoer

if TYPE_CHECKING:
    from app.core.library import Library

KINDS = ("manual", "smart")
SORTS = ("date", "manual")


class AlbumError(Exception):
    """An album edit that cannot be done (unknown album or photo, empty name, bad query); message for the user."""


@dataclass(frozen=True)
class AlbumInfo:
    id: int
    name: str
    kind: str
    query: Optional[str]
    cover_photo_id: Optional[int]
    sort: str
    photo_ids: list[int]

    def to_json(self) -> dict:
        """The stable `albums list --json` object ("query" only for smart albums)."""
        data = {"id": self.id, "name": self.name, "kind": self.kind}
        if self.kind == "smart":
            data["query"] = self.query
        data.update(cover_photo_id=self.cover_photo_id, sort=self.sort, photo_ids=self.photo_ids)
        return data


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise AlbumError("an album needs a name")
    if len(name) > 256:
        raise AlbumError("an album name can be at most 256 characters long")
    return name


class AlbumService:
    def __init__(self, library: "Library"):
        self._library = library

    # -- reading -----------------------------------------------------------------------------------------------
    def list(self) -> list[AlbumInfo]:
        with self._library.db.read_session() as s:
            albums = list(s.scalars(select(Album).order_by(func.lower(Album.name), Album.id)))
            return [self._info(s, a) for a in albums]

    def get(self, album_id: int) -> AlbumInfo:
        with self._library.db.read_session() as s:
            return self._info(s, self._album(s, album_id))

    def find(self, name: str) -> list[int]:
        """Ids of albums with this name (case-insensitive), for `album:"Summer 2019"`."""
        with self._library.db.read_session() as s:
            return list(s.scalars(select(Album.id).where(func.lower(Album.name) == name.strip().lower())))

    def _info(self, s: Session, album: Album) -> AlbumInfo:
        return AlbumInfo(album.id, album.name, album.kind, album.query, album.cover_photo_id, album.sort,
                         self._photo_ids(s, album))

    def _photo_ids(self, s: Session, album: Album) -> list[int]:
        if album.kind == "smart":
            from app.core.search.query import run_query

            return run_query(self._library, album.query or "", session=s)
        query = select(AlbumPhoto.photo_id).join(Photo, Photo.id == AlbumPhoto.photo_id).where(
            AlbumPhoto.album_id == album.id)
        if album.sort == "manual":
            query = query.order_by(AlbumPhoto.position)
        else:
            query = query.order_by(Photo.taken_at.is_(None), Photo.taken_at, Photo.id)
        return list(s.scalars(query))

    @staticmethod
    def _album(s: Session, album_id: int) -> Album:
        album = s.get(Album, album_id)
        if album is None:
            raise AlbumError(f"there is no album {album_id} (see `shoebox albums list`)")
        return album

    # -- edits -------------------------------------------------------------------------------------------------
    def create(self, name: str, photo_ids: Iterable[int] = (), *, query: str | None = None) -> int:
        name = _clean_name(name)
        photo_ids = list(photo_ids)
        if query is not None:
            from app.core.search.query import parse

            if photo_ids:
                raise AlbumError("a smart album takes a query or photos, not both")
            parse(query)  # a bad query is refused now, with its position, not every time the album is shown
        with self._library.db.write_session() as s:
            album = Album(name=name, kind="smart" if query is not None else "manual", query=query,
                          sort="date", created_at=time.time())
            s.add(album)
            s.flush()
            if photo_ids:
                self._add(s, album, photo_ids)
            record(s, "album.create", {"album_id": album.id}, f"create album {name!r}")
            return album.id

    def rename(self, album_id: int, name: str) -> None:
        name = _clean_name(name)
        with self._library.db.write_session() as s:
            album = self._album(s, album_id)
            record(s, "album.rename", {"album_id": album_id, "name": album.name}, f"rename album {album.name!r}")
            album.name = name

    def set_query(self, album_id: int, query: str) -> None:
        from app.core.search.query import parse

        parse(query)
        with self._library.db.write_session() as s:
            album = self._album(s, album_id)
            if album.kind != "smart":
                raise AlbumError(f"album {album_id} is a hand-made album; only smart albums have a query")
            record(s, "album.query", {"album_id": album_id, "query": album.query}, f"change query of {album.name!r}")
            album.query = query

    def delete(self, album_id: int) -> None:
        """Delete the album; its photos stay in the library and on disk."""
        with self._library.db.write_session() as s:
            album = self._album(s, album_id)
            rows = [(r.photo_id, r.position) for r in s.scalars(select(AlbumPhoto).where(AlbumPhoto.album_id == album_id))]
            snapshot = {c.name: getattr(album, c.name) for c in Album.__table__.columns}
            record(s, "album.delete", {"album": snapshot, "rows": rows}, f"delete album {album.name!r}")
            s.delete(album)

    def add(self, album_id: int, photo_ids: Iterable[int]) -> int:
        """Add photos (those already in the album are skipped); returns how many were added."""
        with self._library.db.write_session() as s:
            album = self._manual(s, album_id)
            added = self._add(s, album, list(photo_ids))
            record(s, "album.add", {"album_id": album_id, "photo_ids": added}, f"add {len(added)} to {album.name!r}")
            return len(added)

    def remove(self, album_id: int, photo_ids: Iterable[int]) -> int:
        """Take photos out of the album (never out of the library); returns how many were removed."""
        ids = list(photo_ids)
        with self._library.db.write_session() as s:
            album = self._manual(s, album_id)
            rows = [(r.photo_id, r.position) for r in s.scalars(
                select(AlbumPhoto).where(AlbumPhoto.album_id == album_id, AlbumPhoto.photo_id.in_(ids)))]
            s.execute(delete(AlbumPhoto).where(AlbumPhoto.album_id == album_id, AlbumPhoto.photo_id.in_(ids)))
            record(s, "album.remove", {"album_id": album_id, "rows": rows}, f"remove {len(rows)} from {album.name!r}")
            return len(rows)

    def set_cover(self, album_id: int, photo_id: int | None) -> None:
        with self._library.db.write_session() as s:
            album = self._album(s, album_id)
            if photo_id is not None and s.get(Photo, photo_id) is None:
                raise AlbumError(f"there is no photo {photo_id}")
            record(s, "album.cover", {"album_id": album_id, "cover": album.cover_photo_id}, f"cover of {album.name!r}")
            album.cover_photo_id = photo_id

    def set_order(self, album_id: int, photo_ids: list[int] | None = None, *, sort: str | None = None) -> None:
        """Order by date (`sort="date"`) or by hand (`photo_ids` in the new order, which sets sort to manual)."""
        with self._library.db.write_session() as s:
            album = self._manual(s, album_id)
            rows = {r.photo_id: r for r in s.scalars(select(AlbumPhoto).where(AlbumPhoto.album_id == album_id))}
            record(s, "album.order", {"album_id": album_id, "sort": album.sort,
                                      "rows": [(p, r.position) for p, r in rows.items()]}, f"order {album.name!r}")
            if photo_ids is not None:
                if set(photo_ids) != set(rows):
                    raise AlbumError("a new order must list exactly the album's photos")
                for position, photo_id in enumerate(photo_ids):
                    rows[photo_id].position = position
                album.sort = "manual"
            if sort is not None:
                if sort not in SORTS:
                    raise AlbumError(f"an album is sorted by {' or '.join(SORTS)}, not {sort!r}")
                album.sort = sort

    # -- helpers -----------------------------------------------------------------------------------------------
    def _manual(self, s: Session, album_id: int) -> Album:
        album = self._album(s, album_id)
        if album.kind == "smart":
            raise AlbumError(f"album {album_id} ({album.name!r}) is a smart album: its photos come from its query")
        return album

    @staticmethod
    def _add(s: Session, album: Album, photo_ids: list[int]) -> list[int]:
        known = set(s.scalars(select(Photo.id).where(Photo.id.in_(photo_ids)))) if photo_ids else set()
        unknown = [p for p in photo_ids if p not in known]
        if unknown:
            raise AlbumError(f"there is no photo {', '.join(map(str, unknown[:5]))} (see `shoebox photos`)")
        present = set(s.scalars(select(AlbumPhoto.photo_id).where(AlbumPhoto.album_id == album.id)))
        position = s.scalar(select(func.max(AlbumPhoto.position)).where(AlbumPhoto.album_id == album.id))
        position = -1 if position is None else position
        added = []
        for photo_id in dict.fromkeys(photo_ids):
            if photo_id not in present:
                position += 1
                s.add(AlbumPhoto(album_id=album.id, photo_id=photo_id, position=position))
                added.append(photo_id)
        return added


# -- undo ------------------------------------------------------------------------------------------------------
def _restore_rows(s: Session, album_id: int, rows) -> None:
    for photo_id, position in rows:
        if s.get(Photo, photo_id) is not None and s.get(AlbumPhoto, (album_id, photo_id)) is None:
            s.add(AlbumPhoto(album_id=album_id, photo_id=photo_id, position=position))


@undoer("album.create")
def _undo_create(s: Session, p: dict) -> None:
    album = s.get(Album, p["album_id"])
    if album is not None:
        s.delete(album)


@undoer("album.delete")
def _undo_delete(s: Session, p: dict) -> None:
    data = dict(p["album"])
    if s.get(Album, data["id"]) is not None:  # SQLite gave the id to a newer album meanwhile
        data.pop("id")
    if data.get("cover_photo_id") is not None and s.get(Photo, data["cover_photo_id"]) is None:
        data["cover_photo_id"] = None
    album = Album(**data)
    s.add(album)
    s.flush()
    _restore_rows(s, album.id, p["rows"])


@undoer("album.rename")
def _undo_rename(s: Session, p: dict) -> None:
    album = s.get(Album, p["album_id"])
    if album is not None:
        album.name = p["name"]


@undoer("album.query")
def _undo_query(s: Session, p: dict) -> None:
    album = s.get(Album, p["album_id"])
    if album is not None:
        album.query = p["query"]


@undoer("album.add")
def _undo_add(s: Session, p: dict) -> None:
    s.execute(delete(AlbumPhoto).where(AlbumPhoto.album_id == p["album_id"], AlbumPhoto.photo_id.in_(p["photo_ids"])))


@undoer("album.remove")
def _undo_remove(s: Session, p: dict) -> None:
    if s.get(Album, p["album_id"]) is not None:
        _restore_rows(s, p["album_id"], p["rows"])


@undoer("album.cover")
def _undo_cover(s: Session, p: dict) -> None:
    album = s.get(Album, p["album_id"])
    if album is not None:
        album.cover_photo_id = p["cover"] if p["cover"] is None or s.get(Photo, p["cover"]) else None


@undoer("album.order")
def _undo_order(s: Session, p: dict) -> None:
    album = s.get(Album, p["album_id"])
    if album is None:
        return
    album.sort = p["sort"]
    for photo_id, position in p["rows"]:
        row = s.get(AlbumPhoto, (p["album_id"], photo_id))
        if row is not None:
            row.position = position
