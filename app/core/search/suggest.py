"""Suggestions while typing in the search box: filter completions first (app.core.search.complete), then for a
plain word the names the library knows (people, places, albums) and the indexed words of notes, captions and
names that start with it, most frequent first. Names are offered as the filter that finds them (`person:` only
once people can be searched; until then a person's name is offered as a plain word, which the word index finds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from app.core.db.models import Album, Person, PhotoPlace
from app.core.search.complete import OFFERED, _quoted, complete

if TYPE_CHECKING:
    from app.core.library import Library


def suggest(library: "Library", text: str, limit: int = 12) -> list[str]:
    """Replacements for the last term of `text`, best first (filters, then names, then frequent words)."""
    out = list(complete(library, text, limit))
    last = text.split(" ")[-1] if text and not text.endswith(" ") else ""
    if ":" in last or len(last.lstrip("-")) < 2:
        return out[:limit]
    sign, term = ("-", last[1:]) if last.startswith("-") else ("", last)
    pattern = term.lower() + "%"
    with library.db.read_session() as s:
        people = s.scalars(select(Person.name).distinct().where(func.lower(Person.name).like(pattern),
                                                               Person.hidden.is_(False)).limit(limit))
        names = [(("person:" if "person" in OFFERED else ""), n) for n in people]
        for column in (PhotoPlace.city, PhotoPlace.country):
            names += [("place:", v) for v in s.scalars(select(column).distinct().where(func.lower(column).like(pattern))
                                                        .limit(limit))]
        names += [("album:", v) for v in s.scalars(select(Album.name).where(func.lower(Album.name).like(pattern))
                                                   .limit(limit))]
    for prefix, name in names:
        item = f"{sign}{prefix}{_quoted(name)}"
        if item not in out:
            out.append(item)
    known = {n.lower() for _, n in names}
    for word in library.text_index.terms(term, limit):
        if word not in known and f"{sign}{word}" not in out:
            out.append(f"{sign}{word}")
    return out[:limit]
