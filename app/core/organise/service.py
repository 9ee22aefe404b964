"""`library.organise`: rotate, favourite, rate, reject, title, describe and tag photos, many at a time, each edit
undoable through the library's undo log (app.core.undo).

Everything is stored in the library (`photo_edits`, `tags`, `photo_tags`); original files are never written.
Thumbnails, the viewer and exports apply the rotation when they show or write a photo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Optional

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from app.core.db.models import Photo, PhotoEdit, PhotoTag, Tag
from app.core.db.sql import insert_ignore
from app.core.undo import record, undoer

if TYPE_CHECKING:
    from app.core.library import Library
    from app.core.organise.embedded import EmbeddedInfo

FIELDS = ("rotation", "favourite", "rating", "rejected", "title", "description")
DEFAULTS = {"rotation": 0, "favourite": False, "rating": 0, "rejected": False, "title": None, "description": None}
MAX_TEXT = 2000
MAX_TAG = 256
_CHUNK = 10_000


class OrganiseError(Exception):
    """An edit that cannot be done (unknown photo, rating out of range, empty tag); message for the user."""


@dataclass(frozen=True)
class PhotoEdits:
    """A photo's edits (the defaults when it has none)."""

    rotation: int = 0
    favourite: bool = False
    rating: int = 0
    rejected: bool = False
    title: Optional[str] = None
    description: Optional[str] = None
    tags: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {name: getattr(self, name) for name in (*FIELDS, "tags")}


@dataclass(frozen=True)
class TagCount:
    name: str
    count: int


def _chunks(ids: list[int]):
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def read_edits(s: Session, ids: list[int]) -> dict[int, PhotoEdits]:
    """Edits of the photos that have any (by photo id), for photo listings."""
    rows: dict[int, dict] = {}
    for part in _chunks(ids):
        for r in s.execute(select(PhotoEdit.__table__).where(PhotoEdit.photo_id.in_(part))):
            rows[r.photo_id] = {name: getattr(r, name) for name in FIELDS}
        for photo_id, name in s.execute(
            select(PhotoTag.photo_id, Tag.name).join(Tag, Tag.id == PhotoTag.tag_id)
            .where(PhotoTag.photo_id.in_(part)).order_by(func.lower(Tag.name))
        ):
            rows.setdefault(photo_id, dict(DEFAULTS)).setdefault("tags", []).append(name)
    return {pid: PhotoEdits(**{**v, "rotation": v["rotation"] or 0, "rating": v["rating"] or 0,
                               "favourite": bool(v["favourite"]), "rejected": bool(v["rejected"])})
            for pid, v in rows.items()}


def _clean_tag(name: str) -> str:
    name = "/".join(part.strip() for part in (name or "").replace("|", "/").split("/") if part.strip())
    if not name:
        raise OrganiseError("a tag needs a name")
    if len(name) > MAX_TAG:
        raise OrganiseError(f"a tag can be at most {MAX_TAG} characters long")
    return name


def _tag_id(s: Session, name: str) -> int:
    tag_id = s.scalar(select(Tag.id).where(Tag.name == name))  # the column compares case-insensitively
    if tag_id is None:
        tag_id = s.execute(insert(Tag).values(name=name).returning(Tag.id)).scalar_one()
    return tag_id


def store_embedded(s: Session, photo_id: int, info: "EmbeddedInfo") -> None:
    """On import of a new photo: what its file carried (rating, tags, title, description). Not undoable: it
    is how the photo arrived. Does not commit."""
    if not info:
        return
    s.execute(insert(PhotoEdit).values(photo_id=photo_id, rotation=0, favourite=False, rating=info.rating,
                                       rejected=info.rejected, title=info.title, description=info.description))
    for name in dict.fromkeys(info.tags):
        try:
            tag_id = _tag_id(s, _clean_tag(name))
        except OrganiseError:
            continue
        s.execute(insert_ignore(s, PhotoTag).values(photo_id=photo_id, tag_id=tag_id))


class OrganiseService:
    def __init__(self, library: "Library"):
        self._library = library

    # -- reading -----------------------------------------------------------------------------------------------
    def edits(self, photo_ids: Iterable[int]) -> dict[int, PhotoEdits]:
        """Every asked photo's edits (defaults for photos without any)."""
        ids = list(dict.fromkeys(photo_ids))
        with self._library.db.read_session() as s:
            found = read_edits(s, ids)
        return {pid: found.get(pid, PhotoEdits()) for pid in ids}

    def tags(self) -> list[TagCount]:
        """Tags in use with their photo counts, by name (the sidebar, completion, `tags list`)."""
        query = (select(Tag.name, func.count(PhotoTag.photo_id)).join(PhotoTag, PhotoTag.tag_id == Tag.id)
                 .group_by(Tag.id).order_by(func.lower(Tag.name)))
        with self._library.db.read_session() as s:
            return [TagCount(n, c) for n, c in s.execute(query)]

    # -- edits -------------------------------------------------------------------------------------------------
    def rotate(self, photo_ids: Iterable[int], degrees: int) -> None:
        """Turn photos clockwise by `degrees` (a multiple of 90; negative turns left) on top of their EXIF
        orientation."""
        if degrees % 90:
            raise OrganiseError("photos turn in steps of 90 degrees")
        label = "rotate " + ("right" if degrees % 360 == 90 else "left" if degrees % 360 == 270 else f"{degrees}°")
        self._set(photo_ids, "rotation", lambda old: (old + degrees) % 360, label)

    def set_favourite(self, photo_ids: Iterable[int], value: bool | None = None) -> bool:
        """Mark or unmark; None toggles as one (all favourites become none, otherwise all become favourites).
        Returns the value set."""
        return self._set_flag(photo_ids, "favourite", value, "favourite", "unfavourite")

    def set_rejected(self, photo_ids: Iterable[int], value: bool | None = None) -> bool:
        return self._set_flag(photo_ids, "rejected", value, "reject", "unreject")

    def set_rating(self, photo_ids: Iterable[int], stars: int) -> None:
        if not isinstance(stars, int) or not 0 <= stars <= 5:
            raise OrganiseError(f"a rating is 0 to 5 stars, not {stars!r}")
        self._set(photo_ids, "rating", lambda _old: stars, f"rate {stars}" if stars else "clear rating")

    def set_title(self, photo_ids: Iterable[int], text: str | None) -> None:
        value = self._text(text)
        self._set(photo_ids, "title", lambda _old: value, "set title" if value else "clear title")

    def set_description(self, photo_ids: Iterable[int], text: str | None) -> None:
        value = self._text(text)
        self._set(photo_ids, "description", lambda _old: value, "set description" if value else "clear description")

    def add_tags(self, photo_ids: Iterable[int], names: Iterable[str]) -> int:
        """Tag photos (pairs already there are skipped); returns how many photo-tag pairs were added."""
        names = list(dict.fromkeys(_clean_tag(n) for n in names))
        if not names:
            raise OrganiseError("name at least one tag")
        with self._library.db.write_session() as s:
            ids = self._known(s, photo_ids)
            added = []
            for name in names:
                tag_id = _tag_id(s, name)
                present = set()
                for part in _chunks(ids):
                    present.update(s.scalars(select(PhotoTag.photo_id).where(PhotoTag.tag_id == tag_id,
                                                                             PhotoTag.photo_id.in_(part))))
                new = [pid for pid in ids if pid not in present]
                if new:
                    s.execute(insert(PhotoTag), [{"photo_id": pid, "tag_id": tag_id} for pid in new])
                added += [(pid, tag_id) for pid in new]
            record(s, "edit.tags_add", {"pairs": added}, f"tag {', '.join(names)}")
            return len(added)

    def remove_tags(self, photo_ids: Iterable[int], names: Iterable[str]) -> int:
        """Untag photos; a tag left on no photo is forgotten. Returns how many photo-tag pairs were removed."""
        names = list(dict.fromkeys(_clean_tag(n) for n in names))
        with self._library.db.write_session() as s:
            ids = self._known(s, photo_ids)
            removed = []
            for name in names:
                tag = s.execute(select(Tag.id, Tag.name).where(Tag.name == name)).first()
                if tag is None:
                    continue
                for part in _chunks(ids):
                    gone = list(s.scalars(select(PhotoTag.photo_id).where(PhotoTag.tag_id == tag.id,
                                                                          PhotoTag.photo_id.in_(part))))
                    s.execute(delete(PhotoTag).where(PhotoTag.tag_id == tag.id, PhotoTag.photo_id.in_(gone)))
                    removed += [(pid, tag.name) for pid in gone]
                if s.scalar(select(func.count()).where(PhotoTag.tag_id == tag.id)) == 0:
                    s.execute(delete(Tag).where(Tag.id == tag.id))
            record(s, "edit.tags_remove", {"pairs": removed}, f"untag {', '.join(names)}")
            return len(removed)

    # -- helpers -----------------------------------------------------------------------------------------------
    @staticmethod
    def _text(text: str | None) -> str | None:
        text = (text or "").strip()
        if len(text) > MAX_TEXT:
            raise OrganiseError(f"at most {MAX_TEXT} characters, please")
        return text or None

    @staticmethod
    def _known(s: Session, photo_ids: Iterable[int]) -> list[int]:
        ids = list(dict.fromkeys(int(p) for p in photo_ids))
        if not ids:
            raise OrganiseError("no photos chosen")
        known = set()
        for part in _chunks(ids):
            known.update(s.scalars(select(Photo.id).where(Photo.id.in_(part))))
        unknown = [p for p in ids if p not in known]
        if unknown:
            raise OrganiseError(f"there is no photo {', '.join(map(str, unknown[:5]))} (see `shoebox photos`)")
        return ids

    def _set_flag(self, photo_ids, name: str, value: bool | None, on: str, off: str) -> bool:
        ids = list(photo_ids)
        if value is None:
            current = self.edits(ids)
            value = not all(getattr(e, name) for e in current.values())
        self._set(ids, name, lambda _old: value, on if value else off)
        return value

    def _set(self, photo_ids, name: str, new_value, label: str) -> None:
        """Set one field on many photos (rows made as needed), logging the old values for undo."""
        with self._library.db.write_session() as s:
            ids = self._known(s, photo_ids)
            before: dict[int, object] = {}
            for part in _chunks(ids):
                for row in s.scalars(select(PhotoEdit).where(PhotoEdit.photo_id.in_(part))):
                    before[row.photo_id] = getattr(row, name)
            missing = [pid for pid in ids if pid not in before]
            if missing:
                s.execute(insert(PhotoEdit), [{"photo_id": pid, **DEFAULTS} for pid in missing])
                before.update((pid, DEFAULTS[name]) for pid in missing)
            changed = {}
            for part in _chunks(ids):
                for row in s.scalars(select(PhotoEdit).where(PhotoEdit.photo_id.in_(part))):
                    value = new_value(getattr(row, name) or DEFAULTS[name])
                    if value != getattr(row, name):
                        changed[row.photo_id] = before[row.photo_id]
                        setattr(row, name, value)
            count = f" ({len(ids)} photos)" if len(ids) > 1 else ""
            record(s, "edit.field", {"field": name, "before": [[p, v] for p, v in changed.items()]}, label + count)


# -- undo ------------------------------------------------------------------------------------------------------
@undoer("edit.field")
def _undo_field(s: Session, p: dict) -> None:
    name = p["field"]
    if name not in FIELDS:
        return
    for photo_id, value in p["before"]:
        row = s.get(PhotoEdit, photo_id)
        if row is not None:
            setattr(row, name, value)


@undoer("edit.tags_add")
def _undo_tags_add(s: Session, p: dict) -> None:
    tag_ids = {tag_id for _pid, tag_id in p["pairs"]}
    for photo_id, tag_id in p["pairs"]:
        s.execute(delete(PhotoTag).where(PhotoTag.photo_id == photo_id, PhotoTag.tag_id == tag_id))
    for tag_id in tag_ids:
        if s.scalar(select(func.count()).where(PhotoTag.tag_id == tag_id)) == 0:
            s.execute(delete(Tag).where(Tag.id == tag_id))


@undoer("edit.tags_remove")
def _undo_tags_remove(s: Session, p: dict) -> None:
    for photo_id, name in p["pairs"]:
        if s.get(Photo, photo_id) is not None:
            tag_id = _tag_id(s, name)
            s.execute(insert_ignore(s, PhotoTag).values(photo_id=photo_id, tag_id=tag_id))
