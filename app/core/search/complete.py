"""Completion for the search box: filter names while typing a word, and known values after `name:`.

Values come from the library (places, albums, cameras, years, event titles, people's names); filters whose feature does not
exist yet are not offered. Suggestions are whole replacements for the last term, quoted when they hold a space.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from app.core.db.models import Album, Event, Person, Photo, PhotoPlace, PhotoTag, Tag
from app.core.search.parse import FILTERS, HAS_VALUES, NOT_YET
from app.core.search.sql import TYPE_FORMATS

if TYPE_CHECKING:
    from app.core.library import Library

OFFERED = [name for name in FILTERS if (name, None) not in NOT_YET]


def _quoted(value: str) -> str:
    return f'"{value}"' if any(c.isspace() for c in value) else value


def _values(library: "Library", name: str) -> list[str]:
    with library.db.read_session() as s:
        if name == "place":
            rows = set()
            for column in (PhotoPlace.city, PhotoPlace.region, PhotoPlace.country):
                rows |= set(s.scalars(select(column).distinct().where(column.is_not(None))))
            return sorted(rows)
        if name == "album":
            return sorted(set(s.scalars(select(Album.name))))
        if name == "camera":
            names = set()
            for column in (Photo.camera_make, Photo.camera_model):  # camera: matches either
                names |= set(s.scalars(select(column).distinct().where(column.is_not(None))))
            return sorted(names)
        if name == "year":
            years = s.scalars(select(func.substr(Photo.taken_at, 1, 4)).distinct().where(Photo.taken_at.is_not(None)))
            return sorted(years, reverse=True)
        if name == "person":
            return sorted(set(s.scalars(select(Person.name).where(Person.name.is_not(None), Person.hidden.is_(False)))),
                          key=str.casefold)
        if name == "event":
            return list(s.scalars(select(Event.title).order_by(Event.start.desc()).limit(200)))
        if name == "tag":
            return sorted(set(s.scalars(select(Tag.name).where(Tag.id.in_(select(PhotoTag.tag_id))))), key=str.lower)
    if name == "is":
        return ["favourite", "rejected", "rotated"]
    if name == "rating":
        return [">=1", ">=2", ">=3", ">=4", "5", "0"]
    if name == "has":
        return sorted(HAS_VALUES)
    if name == "type":
        return sorted(TYPE_FORMATS)
    return []


def complete(library: "Library", text: str, limit: int = 20) -> list[str]:
    """Suggestions for the last term of `text` (what the user is typing), best first."""
    last = text.split(" ")[-1] if text and not text.endswith(" ") else ""
    negated = last.startswith("-")
    term = last[1:] if negated else last
    sign = "-" if negated else ""
    name, colon, partial = term.partition(":")
    if colon and name.lower() in OFFERED:
        partial = partial.strip('"').lower()
        values = _values(library, name.lower())
        starts = [v for v in values if v.lower().startswith(partial)]
        inside = [v for v in values if partial in v.lower() and v not in starts]
        return [f"{sign}{name.lower()}:{_quoted(v)}" for v in starts + inside][:limit]
    if not colon and term:
        return [f"{sign}{f}:" for f in OFFERED if f.startswith(term.lower())][:limit]
    return []
