"""Turning a parsed query (app.core.search.parse) into one SQLAlchemy condition on photos.

Each filter becomes a condition on the `photos` row or a `photos.id IN (...)` subquery, so that `-` (NOT) and
OR combine them as SQL and the whole query runs in the database. Names compare case-insensitively.
Free words match the photo's file and folder names (smart search ranks them instead when a model is there;
see app.core.search.query).
"""

from __future__ import annotations

from sqlalchemy import and_, false, func, not_, or_, select, true
from sqlalchemy.orm import Session

from app.core.db.models import (Album, AlbumPhoto, Event, EventPhoto, Face, Person, Photo, PhotoEdit, PhotoFile,
                                 PhotoPlace, PhotoTag, Tag, VoiceNote)
from app.core.search.errors import QueryError
from app.core.search.parse import RATING_PATTERN, IS_VALUES, And, Filter, Not, Or, Word

# type: values -> Photo.format as the decoder names it (Pillow's format names).
TYPE_FORMATS = {"heic": ("HEIF", "HEIC", "AVIF"), "heif": ("HEIF", "HEIC"), "jpeg": ("JPEG", "MPO"),
                "jpg": ("JPEG", "MPO"), "png": ("PNG",), "tiff": ("TIFF",), "tif": ("TIFF",), "gif": ("GIF",),
                "webp": ("WEBP",), "avif": ("AVIF",), "bmp": ("BMP",),
                # video clips, by container (app.core.ingest.video names them); `type:video` is any clip
                "mp4": ("MP4",), "mov": ("MOV",), "m4v": ("M4V",), "3gp": ("3GP", "3G2"), "webm": ("WEBM",),
                "mkv": ("MKV",)}
MEDIA_TYPES = ("photo", "video")  # type:video (every clip), type:photo (every still)

_MAX_ALBUM_DEPTH = 8  # smart albums that name each other


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(text: str) -> str:
    return "%" + _escape(text) + "%"


class SqlBuilder:
    """Builds the condition for one query in one session (album: and event: look names up as they go)."""

    def __init__(self, session: Session, query: str, depth: int = 0):
        self.session = session
        self.query = query
        self.depth = depth

    def condition(self, node):
        if isinstance(node, And):
            return and_(true(), *[self.condition(c) for c in node.children])
        if isinstance(node, Or):
            return or_(*[self.condition(c) for c in node.children])
        if isinstance(node, Not):
            return not_(func.coalesce(self.condition(node.child), false()))
        if isinstance(node, Word):
            return self.word(node.text)
        return getattr(self, "f_" + node.name)(node)

    def bad(self, node: Filter, message: str) -> QueryError:
        return QueryError(message, self.query, node.position, node.length)

    # -- free words --------------------------------------------------------------------------------------------
    def word(self, text: str):
        """File and folder names, titles, descriptions and tags."""
        pattern = _like(text)
        return or_(
            Photo.id.in_(select(PhotoFile.photo_id).where(PhotoFile.path.like(pattern, escape="\\"))),
            Photo.id.in_(select(PhotoEdit.photo_id).where(or_(PhotoEdit.title.like(pattern, escape="\\"),
                                                              PhotoEdit.description.like(pattern, escape="\\")))),
            Photo.id.in_(select(PhotoTag.photo_id).join(Tag, Tag.id == PhotoTag.tag_id)
                         .where(Tag.name.like(pattern, escape="\\"))),
        )

    # -- filters -----------------------------------------------------------------------------------------------
    def f_place(self, node: Filter):
        v = node.value.lower()
        names = [func.lower(c) == v for c in (PhotoPlace.city, PhotoPlace.region, PhotoPlace.country,
                                               PhotoPlace.country_code)]
        return Photo.id.in_(select(PhotoPlace.photo_id).where(or_(*names)))

    def f_camera(self, node: Filter):
        pattern = _like(node.value)
        return or_(func.coalesce(Photo.camera_make, "").like(pattern, escape="\\"),
                   func.coalesce(Photo.camera_model, "").like(pattern, escape="\\"))

    def f_year(self, node: Filter):
        return self._period(node.value)

    def f_date(self, node: Filter):
        return self._period(node.value)

    @staticmethod
    def _period(value: str):
        """`2019`, `2019-06`, `2019-06..2019-08`, `..2019`, `2019-06..`: ISO prefixes compared as text."""
        low, dots, high = value.partition("..")
        if not dots:
            high = low
        parts = [Photo.taken_at.is_not(None)]
        if low:
            parts.append(Photo.taken_at >= low)
        if high:
            parts.append(Photo.taken_at < high + "~")  # "~" sorts after every character of an ISO date
        return and_(*parts)

    def f_album(self, node: Filter):
        albums = list(self.session.scalars(select(Album).where(func.lower(Album.name) == node.value.lower())))
        if not albums:
            raise self.bad(node, f"there is no album named {node.value!r}")
        parts = []
        for album in albums:
            if album.kind == "smart":
                if self.depth >= _MAX_ALBUM_DEPTH:
                    raise self.bad(node, f"smart album {album.name!r} refers back to itself")
                from app.core.search.parse import parse

                inner = SqlBuilder(self.session, album.query or "", self.depth + 1)
                parts.append(inner.condition(parse(album.query or "")))
            else:
                parts.append(Photo.id.in_(select(AlbumPhoto.photo_id).where(AlbumPhoto.album_id == album.id)))
        return or_(*parts)

    def f_event(self, node: Filter):
        value = node.value
        if value.isdigit():
            events = select(Event.id).where(Event.id == int(value))
        else:
            events = select(Event.id).where(Event.title.like(_like(value), escape="\\"))
        return Photo.id.in_(select(EventPhoto.photo_id).where(EventPhoto.event_id.in_(events)))

    def f_person(self, node: Filter):
        """Photos showing a named person (names compare case-insensitively; forgotten faces never match)."""
        people = list(self.session.scalars(select(Person.id).where(func.lower(Person.name) == node.value.lower())))
        if not people:
            raise self.bad(node, f"there is no person named {node.value!r}")
        return Photo.id.in_(select(Face.photo_id).where(Face.person_id.in_(people), Face.forgotten.is_(False)))

    def f_has(self, node: Filter):
        if node.value.lower() == "gps":
            return and_(Photo.gps_lat.is_not(None), Photo.gps_lon.is_not(None))
        if node.value.lower() == "faces":
            return Photo.id.in_(select(Face.photo_id).where(Face.forgotten.is_(False)))
        if node.value.lower() == "voice":
            return Photo.id.in_(select(VoiceNote.photo_id))
        return Photo.id.in_(select(PhotoPlace.photo_id))

    def f_tag(self, node: Filter):
        """The tag by its full name or its last part ("kyoto" finds "Places/Japan/Kyoto"), and tags under it."""
        name = "/".join(p.strip() for p in node.value.replace("|", "/").split("/") if p.strip()).lower()
        low = func.lower(Tag.name)
        tags = select(Tag.id).where(or_(low == name, low.like(_escape(name) + "/%", escape="\\"),
                                        low.like("%/" + _escape(name), escape="\\"),
                                        low.like("%/" + _escape(name) + "/%", escape="\\")))
        return Photo.id.in_(select(PhotoTag.photo_id).where(PhotoTag.tag_id.in_(tags)))

    def f_rating(self, node: Filter):
        op, stars, low, high = RATING_PATTERN.match(node.value.replace(" ", "")).groups()
        rating = select(PhotoEdit.rating).where(PhotoEdit.photo_id == Photo.id).scalar_subquery()
        rating = func.coalesce(rating, 0)
        if stars is not None:
            n = int(stars)
            return {None: rating == n, "=": rating == n, ">=": rating >= n, "<=": rating <= n, ">": rating > n,
                    "<": rating < n}[op]
        return and_(rating >= int(low or 0), rating <= int(high if high is not None else 5))

    def f_is(self, node: Filter):
        what = IS_VALUES[node.value.lower()]
        column = {"favourite": PhotoEdit.favourite.is_(True), "rejected": PhotoEdit.rejected.is_(True),
                  "rotated": PhotoEdit.rotation != 0}[what]
        return Photo.id.in_(select(PhotoEdit.photo_id).where(column))

    def f_bbox(self, node: Filter):
        from app.core.geo import Box, box_condition

        return box_condition(Box.parse(node.value))

    def f_type(self, node: Filter):
        value = node.value.lower().lstrip(".")
        if value in MEDIA_TYPES:
            return Photo.media == value
        formats = TYPE_FORMATS.get(value)
        if formats is None:
            raise self.bad(node, f"unknown file type {node.value!r} (types: {', '.join(sorted(TYPE_FORMATS))})")
        return func.upper(func.coalesce(Photo.format, "")).in_(formats)


def photo_ids_query(session: Session, query: str, tree, *, include_hidden: bool = False):
    """A SELECT of matching photo ids, newest first (undated last)."""
    statement = select(Photo.id).where(SqlBuilder(session, query).condition(tree))
    if not include_hidden:
        statement = statement.where(Photo.hidden.is_(False))
    return statement.order_by(Photo.taken_at.is_(None), Photo.taken_at.desc(), Photo.id.desc())
